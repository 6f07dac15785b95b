/* Keys: the only place outside lib/crypto that touches key material, through an opaque,
 * reference-counted handle. Private material is wiped on the last unref. Thread-safe for
 * concurrent use once built (sign/verify/export do not mutate). */
#ifndef PORTEN_KEY_H
#define PORTEN_KEY_H

#include <stddef.h>
#include <jansson.h>

typedef struct porten_key porten_key;

/* RSA key pair of bits bits (2048..8192). */
int porten_key_generate_rsa(int bits, porten_key **out);
/* PEM: PKCS#8 / traditional private key, SubjectPublicKeyInfo public key, or a certificate
 * (its public key). */
int porten_key_from_pem(const char *pem, size_t len, porten_key **out);
/* DER SubjectPublicKeyInfo or certificate. */
int porten_key_from_cert_der(const unsigned char *der, size_t len, porten_key **out);
/* An RSA public JWK: requires kty "RSA", n and e as strict base64url; bits within
 * PORTEN_RSA_MIN_BITS..PORTEN_RSA_MAX_BITS; e odd and > 1. Other members are ignored here
 * (the caller validates use/alg/kid). PORTEN_ERR_INVALID on any problem. */
int porten_key_from_jwk(const json_t *jwk, porten_key **out);
/* An RSA private JWK (RFC 7518 6.3.2): n, e and d, with all of p, q, dp, dq, qi or none
 * of them; the same bounds as porten_key_from_jwk. PORTEN_ERR_INVALID on any problem
 * (including a public-only JWK). The decoded private values are wiped. */
int porten_key_from_private_jwk(const json_t *jwk, porten_key **out);

porten_key *porten_key_ref(porten_key *k);
void porten_key_unref(porten_key *k);

int porten_key_bits(const porten_key *k);
int porten_key_is_rsa(const porten_key *k);
int porten_key_has_private(const porten_key *k);

/* Public JWK {"kty":"RSA","n":..,"e":..} plus "kid" when kid != NULL. */
int porten_key_to_jwk(const porten_key *k, const char *kid, json_t **out);
/* RFC 7638 SHA-256 thumbprint, base64url (43 chars + NUL). */
int porten_key_thumbprint(const porten_key *k, char out[44]);
/* PEM encodings, malloc'd, NUL-terminated. Private key as unencrypted PKCS#8. */
int porten_key_private_pem(const porten_key *k, char **out);
int porten_key_public_pem(const porten_key *k, char **out);

#endif
