/* Keys: an EVP_PKEY behind an opaque, reference-counted handle. The EVP_PKEY is decoded
 * once, when the handle is made, and never changed afterwards, so any number of threads
 * may sign, verify and export with one handle at the same time. */
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/key_internal.h"
#include "porten/b64.h"
#include "porten/error.h"
#include "porten/limits.h"
#include "porten/rand.h"

struct porten_key {
	atomic_int refs;
	EVP_PKEY *pk;
	int bits;
	int is_rsa;
	int has_private;
};

/* Bytes of the largest modulus we accept from a JWK; leading zero bytes may come on top. */
#define JWK_N_MAX	(PORTEN_RSA_MAX_BITS / 8)
#define JWK_N_ZEROS_MAX	8
/* A public exponent wider than 64 bits only makes verification slower; OpenSSL itself
 * refuses them above 3072-bit moduli. */
#define JWK_E_MAX	8

EVP_PKEY *
porten_key_evp(const porten_key *k)
{
	return k != NULL ? k->pk : NULL;
}

/* Whether pk holds private material, for the key types we may meet. */
static int
pkey_has_private(const EVP_PKEY *pk)
{
	BIGNUM *bn = NULL;
	size_t len = 0;
	int r = 0;

	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_D, &bn) == 1 ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1)
		r = 1;
	else if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, NULL, 0,
	    &len) == 1 && len > 0)
		r = 1;
	BN_clear_free(bn);
	ERR_clear_error();
	return r;
}

/* Replaces a legacy key (one built through the deprecated per-algorithm API) by an
 * equivalent provider key. A legacy key would be exported to the provider on first use,
 * which writes to the shared EVP_PKEY. */
static int
pkey_to_provider(EVP_PKEY **pkp, int priv)
{
	EVP_PKEY *pk = *pkp, *np = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM *params = NULL;
	int sel = priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
	int r = PORTEN_ERR_CRYPTO;

	if (EVP_PKEY_get0_provider(pk) != NULL)
		return 0;
	if (EVP_PKEY_todata(pk, sel, &params) != 1)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, OBJ_nid2sn(EVP_PKEY_get_base_id(pk)), NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &np, sel, params) != 1)
		goto out;
	EVP_PKEY_free(pk);
	*pkp = np;
	np = NULL;
	r = 0;
out:
	OSSL_PARAM_free(params);	/* OSSL_PARAM_free clears private values */
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(np);
	ERR_clear_error();
	return r;
}

int
porten_key_wrap(EVP_PKEY *pk, porten_key **out)
{
	porten_key *k = NULL;
	int r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if (pk == NULL)
		return PORTEN_ERR_INVALID;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	k->has_private = pkey_has_private(pk);
	if ((r = pkey_to_provider(&pk, k->has_private)) != 0)
		goto out;
	k->is_rsa = EVP_PKEY_is_a(pk, "RSA");
	k->bits = EVP_PKEY_get_bits(pk);
	k->pk = pk;
	pk = NULL;
	atomic_init(&k->refs, 1);
	*out = k;
	k = NULL;
	r = 0;
out:
	EVP_PKEY_free(pk);
	free(k);
	return r;
}

porten_key *
porten_key_ref(porten_key *k)
{
	if (k != NULL)
		atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
	return k;
}

void
porten_key_unref(porten_key *k)
{
	if (k == NULL)
		return;
	if (atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* EVP_PKEY_free clears the private components (BN_clear_free) of RSA keys. */
	EVP_PKEY_free(k->pk);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

int
porten_key_bits(const porten_key *k)
{
	return k != NULL ? k->bits : 0;
}

int
porten_key_is_rsa(const porten_key *k)
{
	return k != NULL && k->is_rsa;
}

int
porten_key_has_private(const porten_key *k)
{
	return k != NULL && k->has_private;
}

int
porten_key_generate_rsa(int bits, porten_key **out)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	int r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if (bits < PORTEN_RSA_MIN_BITS || bits > PORTEN_RSA_MAX_BITS) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) != 1 ||
	    EVP_PKEY_generate(ctx, &pk) != 1) {
		r = PORTEN_ERR_CRYPTO;
		goto out;
	}
	r = porten_key_wrap(pk, out);
	pk = NULL;
out:
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

/* The DER body of one PEM block, by its label. Trailing bytes inside the block are an
 * error. */
static EVP_PKEY *
pem_block_key(const char *name, const unsigned char *der, long len)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;

	if (strcmp(name, PEM_STRING_PKCS8INF) == 0) {
		if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len)) != NULL && p == der + len)
			pk = EVP_PKCS82PKEY(p8);
		PKCS8_PRIV_KEY_INFO_free(p8);	/* clears the private key octets */
	} else if (strcmp(name, PEM_STRING_RSA) == 0) {
		pk = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, len);
	} else if (strcmp(name, PEM_STRING_PUBLIC) == 0) {
		pk = d2i_PUBKEY(NULL, &p, len);
	} else if (strcmp(name, PEM_STRING_RSA_PUBLIC) == 0) {
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
	} else if (strcmp(name, PEM_STRING_X509) == 0) {
		if ((x = d2i_X509(NULL, &p, len)) != NULL && p == der + len)
			pk = X509_get_pubkey(x);
		X509_free(x);
	}
	if (pk != NULL && p != der + len) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

int
porten_key_from_pem(const char *pem, size_t len, porten_key **out)
{
	BIO *bio = NULL;
	EVP_PKEY *pk = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long derlen = 0;
	int r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if (pem == NULL) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if (len > PORTEN_FILE_MAX || len > INT_MAX) {
		r = PORTEN_ERR_TOO_LARGE;
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	/* The first PEM block; text before it is skipped. */
	if (PEM_read_bio(bio, &name, &header, &der, &derlen) != 1 || derlen <= 0) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	/* Proc-Type/DEK-Info headers mean a traditionally encrypted key. */
	if (header[0] != '\0') {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if ((pk = pem_block_key(name, der, derlen)) == NULL) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	r = porten_key_wrap(pk, out);
	pk = NULL;
out:
	EVP_PKEY_free(pk);
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)derlen);
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

int
porten_key_from_cert_der(const unsigned char *der, size_t len, porten_key **out)
{
	const unsigned char *p;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	int r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if (der == NULL || len == 0) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if (len > LONG_MAX) {
		r = PORTEN_ERR_TOO_LARGE;
		goto out;
	}
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL && p == der + len) {
		pk = X509_get_pubkey(x);
	} else {
		p = der;
		if ((pk = d2i_PUBKEY(NULL, &p, (long)len)) != NULL && p != der + len) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	}
	if (pk == NULL) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	r = porten_key_wrap(pk, out);
	pk = NULL;
out:
	EVP_PKEY_free(pk);
	X509_free(x);
	ERR_clear_error();
	return r;
}

/* A JWK member that must be a strict base64url string; decodes into out. */
static int
jwk_b64_member(const json_t *jwk, const char *name, unsigned char *out, size_t cap,
    size_t *outlen)
{
	const json_t *v = json_object_get(jwk, name);
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return PORTEN_ERR_INVALID;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || porten_b64_decoded_max(n) > cap)
		return PORTEN_ERR_INVALID;
	if (porten_b64url_decode(s, n, out, cap, outlen) != 0)
		return PORTEN_ERR_INVALID;
	return 0;
}

int
porten_key_from_jwk(const json_t *jwk, porten_key **out)
{
	unsigned char nbuf[JWK_N_MAX + JWK_N_ZEROS_MAX], ebuf[JWK_E_MAX + JWK_N_ZEROS_MAX];
	const json_t *kty;
	size_t nlen, elen;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	int bits, r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if (!json_is_object(jwk)) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	kty = json_object_get(jwk, "kty");
	if (!json_is_string(kty) || json_string_length(kty) != 3 ||
	    memcmp(json_string_value(kty), "RSA", 3) != 0) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if ((r = jwk_b64_member(jwk, "n", nbuf, sizeof(nbuf), &nlen)) != 0 ||
	    (r = jwk_b64_member(jwk, "e", ebuf, sizeof(ebuf), &elen)) != 0)
		goto out;
	if ((n = BN_bin2bn(nbuf, (int)nlen, NULL)) == NULL ||
	    (e = BN_bin2bn(ebuf, (int)elen, NULL)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	bits = BN_num_bits(n);
	if (bits < PORTEN_RSA_MIN_BITS || bits > PORTEN_RSA_MAX_BITS || !BN_is_odd(n) ||
	    BN_num_bytes(e) > JWK_E_MAX || !BN_is_odd(e) || BN_is_one(e)) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	r = porten_key_wrap(pk, out);
	pk = NULL;
out:
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	ERR_clear_error();
	return r;
}

/* n and e of an RSA key as minimal big-endian base64url, malloc'd. */
static int
rsa_pub_b64(const porten_key *k, char **nout, char **eout)
{
	BIGNUM *n = NULL, *e = NULL;
	unsigned char *buf = NULL;
	size_t cap;
	int len, r = PORTEN_ERR_INTERNAL;

	*nout = *eout = NULL;
	if (k == NULL || !k->is_rsa) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if (EVP_PKEY_get_bn_param(k->pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(k->pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
		r = PORTEN_ERR_CRYPTO;
		goto out;
	}
	cap = (size_t)BN_num_bytes(n) > (size_t)BN_num_bytes(e) ?
	    (size_t)BN_num_bytes(n) : (size_t)BN_num_bytes(e);
	if ((buf = malloc(cap + 1)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	len = BN_bn2bin(n, buf);
	if ((r = porten_b64url_encode_alloc(buf, (size_t)len, nout, NULL)) != 0)
		goto out;
	len = BN_bn2bin(e, buf);
	if ((r = porten_b64url_encode_alloc(buf, (size_t)len, eout, NULL)) != 0)
		goto out;
	r = 0;
out:
	if (r != 0) {
		free(*nout);
		free(*eout);
		*nout = *eout = NULL;
	}
	free(buf);
	BN_free(n);
	BN_free(e);
	ERR_clear_error();
	return r;
}

int
porten_key_to_jwk(const porten_key *k, const char *kid, json_t **out)
{
	char *n = NULL, *e = NULL;
	json_t *jwk = NULL, *kidv = NULL;
	int r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if ((r = rsa_pub_b64(k, &n, &e)) != 0)
		goto out;
	/* json_string() refuses a kid that is not UTF-8. */
	if (kid != NULL && (kidv = json_string(kid)) == NULL) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if ((jwk = json_object()) == NULL ||
	    json_object_set_new(jwk, "kty", json_string("RSA")) != 0 ||
	    json_object_set_new(jwk, "n", json_string(n)) != 0 ||
	    json_object_set_new(jwk, "e", json_string(e)) != 0) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	if (kidv != NULL) {
		r = json_object_set_new(jwk, "kid", kidv);
		kidv = NULL;
		if (r != 0) {
			r = PORTEN_ERR_NOMEM;
			goto out;
		}
	}
	*out = jwk;
	jwk = NULL;
	r = 0;
out:
	json_decref(kidv);
	json_decref(jwk);
	free(n);
	free(e);
	return r;
}

int
porten_key_thumbprint(const porten_key *k, char out[44])
{
	unsigned char md[32];
	char *n = NULL, *e = NULL, *json = NULL;
	size_t len;
	int r = PORTEN_ERR_INTERNAL;

	out[0] = '\0';
	if ((r = rsa_pub_b64(k, &n, &e)) != 0)
		goto out;
	/* RFC 7638 3.2: required members only, lexicographic order, no whitespace. */
	len = strlen(n) + strlen(e) + sizeof("{\"e\":\"\",\"kty\":\"RSA\",\"n\":\"\"}");
	if ((json = malloc(len)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	snprintf(json, len, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", e, n);
	if ((r = porten_sha256(json, strlen(json), md)) != 0 ||
	    (r = porten_b64url_encode(md, sizeof(md), out, 44, NULL)) != 0)
		goto out;
	r = 0;
out:
	free(json);
	free(n);
	free(e);
	return r;
}

/* Copies a memory BIO's contents into a malloc'd string. */
static int
bio_to_string(BIO *bio, char **out)
{
	char *data = NULL, *s;
	long len;

	len = BIO_get_mem_data(bio, &data);
	if (len < 0 || data == NULL)
		return PORTEN_ERR_CRYPTO;
	if ((s = malloc((size_t)len + 1)) == NULL)
		return PORTEN_ERR_NOMEM;
	memcpy(s, data, (size_t)len);
	s[len] = '\0';
	OPENSSL_cleanse(data, (size_t)len);
	*out = s;
	return 0;
}

int
porten_key_private_pem(const porten_key *k, char **out)
{
	BIO *bio = NULL;
	int r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if (k == NULL || !k->has_private) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	/* Unencrypted PKCS#8 ("PRIVATE KEY"). */
	if (PEM_write_bio_PKCS8PrivateKey(bio, k->pk, NULL, NULL, 0, NULL, NULL) != 1) {
		r = PORTEN_ERR_CRYPTO;
		goto out;
	}
	r = bio_to_string(bio, out);
out:
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

int
porten_key_public_pem(const porten_key *k, char **out)
{
	BIO *bio = NULL;
	int r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if (k == NULL) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	if (PEM_write_bio_PUBKEY(bio, k->pk) != 1) {
		r = PORTEN_ERR_CRYPTO;
		goto out;
	}
	r = bio_to_string(bio, out);
out:
	BIO_free(bio);
	ERR_clear_error();
	return r;
}
