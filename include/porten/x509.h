/* Enterprise-certificate validation for the x5c path (spec/maskinporten.md 9).
 * A porten_trust holds the trust anchors, intermediates, CRLs and accepted certificate
 * policies. It is built at start-up, then used read-only from many threads; verified
 * chains are cached by the exact bytes of the x5c array (leaf key, orgno, validity). */
#ifndef PORTEN_X509_H
#define PORTEN_X509_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "porten/key.h"

typedef struct porten_trust porten_trust;

int porten_trust_new(porten_trust **out);
void porten_trust_free(porten_trust *t);

/* PEM bundles; every certificate in the file is added. PORTEN_ERR_IO / PORTEN_ERR_INVALID
 * (no certificate in it). */
int porten_trust_add_anchors_file(porten_trust *t, const char *path);
int porten_trust_add_intermediates_file(porten_trust *t, const char *path);
/* PEM or DER CRL. Once any CRL is loaded, every certificate in a chain must be covered by
 * a CRL from its issuer (OpenSSL X509_V_FLAG_CRL_CHECK_ALL) or it is refused. */
int porten_trust_add_crl_file(porten_trust *t, const char *path);
/* An accepted policy OID: "2.16.578.1.29.13.200" matches exactly; "2.16.578.1.29.13.200.*"
 * matches any OID below it. With no policy added, the leaf's policies are not checked. */
int porten_trust_add_policy(porten_trust *t, const char *pattern);
/* The SEID policy lists of spec/maskinporten.md 9.1. which: "test", "prod" or "all". */
int porten_trust_add_seid_policies(porten_trust *t, const char *which);
size_t porten_trust_anchor_count(const porten_trust *t);

/* What a verified x5c says about its holder. */
struct porten_cert_info {
	porten_key *leaf_key;      /* reference owned by the info; porten_cert_info_clear() */
	char orgno[10];            /* 9 digits */
	int64_t not_before;        /* of the leaf */
	int64_t not_after;         /* earliest notAfter in the chain */
	char subject[256];         /* leaf subject, RFC 2253, for logs */
	char serial_hex[66];       /* leaf serial number */
};
void porten_cert_info_clear(struct porten_cert_info *ci);

/* Verifies a JOSE x5c value at time now (unix seconds).
 * - PORTEN_ERR_INVALID: x5c not a non-empty array of standard-base64 DER certificates,
 *   more than PORTEN_X5C_CERTS_MAX, or undecodable (Maskinporten MP-123).
 * - PORTEN_ERR_CERT: not trusted: chain does not build to an anchor (leaf-only x5c is
 *   completed from the intermediates), self-signed leaf, expired / not yet valid, revoked,
 *   missing CRL, critical extension other than keyUsage/basicConstraints, keyUsage absent,
 *   keyUsage without digitalSignature and nonRepudiation (encryption-only), RSA below 2048
 *   bits or not RSA, policy not accepted, or no organisation number (MP-120).
 * why (may be NULL) receives a short lowercase reason for logs. */
int porten_trust_verify_x5c(porten_trust *t, const json_t *x5c, int64_t now,
                            struct porten_cert_info *out, char *why, size_t whylen);

/* Organisation number from a DER certificate's subject, in Digdir's order
 * (spec 9.2: serialNumber of 9 digits; O ending "- 123456789"; organizationIdentifier
 * "NTRNO-123456789" / "...-123456789" / bare 9 digits). 0 or PORTEN_ERR_NOT_FOUND. */
int porten_cert_orgno_from_der(const unsigned char *der, size_t len, char orgno[10]);

/* notBefore and notAfter (unix seconds) of one DER certificate, without any trust
 * decision: for a client to say "your certificate expired" before it signs. Either out
 * may be NULL. 0 or PORTEN_ERR_INVALID. */
int porten_cert_validity_from_der(const unsigned char *der, size_t len, int64_t *not_before,
                                  int64_t *not_after);

#endif
