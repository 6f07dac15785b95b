/* The legacy-key test needs the deprecated per-algorithm RSA API. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/key_internal.h"
#include "porten/b64.h"
#include "porten/error.h"
#include "porten/key.h"
#include "porten/limits.h"

/* RFC 7638 section 3.1 (the RFC 7517 appendix A.1 key). */
static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo"
    "c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65Y"
    "GjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrd"
    "kt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnq"
    "DKgw";
static const char rfc7638_tp[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/* RFC 7515 appendix A.2 key; thumbprint computed independently (Python hashlib). */
static const char a2_n[] =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1"
    "Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kp"
    "aSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9k"
    "G4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpo"
    "Q";
static const char a2_tp[] = "IsUn6_e04MaShXFIISMp4kG62LWzMIPy_MvSA5pJgX8";

static porten_key *genkey;	/* one 2048-bit key pair for the whole file */

static int
setup(void **state)
{
	return porten_key_generate_rsa(2048, &genkey) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	porten_key_unref(genkey);
	return 0;
}

static json_t *
jwk_ne(const char *n, const char *e)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", n, "e", e);

	assert_non_null(j);
	return j;
}

/* A JWK whose n is the given bytes. */
static json_t *
jwk_nbytes(const unsigned char *n, size_t len, const char *e)
{
	char *s = NULL;
	json_t *j;

	assert_int_equal(porten_b64url_encode_alloc(n, len, &s, NULL), 0);
	j = jwk_ne(s, e);
	free(s);
	return j;
}

static int
jwk_import(json_t *j, porten_key **k)
{
	int r = porten_key_from_jwk(j, k);

	json_decref(j);
	return r;
}

static void
thumbprint_of(const porten_key *k, char tp[44])
{
	assert_int_equal(porten_key_thumbprint(k, tp), 0);
	assert_int_equal(strlen(tp), 43);
}

static void
test_thumbprint_rfc7638(void **state)
{
	porten_key *k = NULL;
	json_t *j;
	char tp[44];

	/* Extra members (alg, kid, use, unknown) do not take part. */
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "RSA", "n", rfc7638_n, "e", "AQAB",
	    "alg", "RS256", "kid", "2011-04-29", "x-extra", "ignored");
	assert_int_equal(jwk_import(j, &k), 0);
	thumbprint_of(k, tp);
	assert_string_equal(tp, rfc7638_tp);
	porten_key_unref(k);

	assert_int_equal(jwk_import(jwk_ne(a2_n, "AQAB"), &k), 0);
	thumbprint_of(k, tp);
	assert_string_equal(tp, a2_tp);
	porten_key_unref(k);
}

static void
test_jwk_import_export(void **state)
{
	porten_key *k = NULL;
	json_t *out = NULL;
	char *s, *want;
	size_t wantlen;

	assert_int_equal(jwk_import(jwk_ne(rfc7638_n, "AQAB"), &k), 0);
	assert_int_equal(porten_key_bits(k), 2048);
	assert_true(porten_key_is_rsa(k));
	assert_false(porten_key_has_private(k));

	assert_int_equal(porten_key_to_jwk(k, "k1", &out), 0);
	s = json_dumps(out, JSON_COMPACT);
	wantlen = strlen(rfc7638_n) + 64;
	want = malloc(wantlen);
	assert_non_null(want);
	snprintf(want, wantlen, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"kid\":\"k1\"}", rfc7638_n);
	assert_string_equal(s, want);
	free(s);
	json_decref(out);

	assert_int_equal(porten_key_to_jwk(k, NULL, &out), 0);
	assert_int_equal(json_object_size(out), 3);
	assert_null(json_object_get(out, "kid"));
	json_decref(out);
	/* A kid that is not UTF-8. */
	assert_int_equal(porten_key_to_jwk(k, "\xff", &out), PORTEN_ERR_INVALID);
	assert_null(out);
	free(want);
	porten_key_unref(k);
}

/* Leading zero bytes in n and e are accepted; the export is minimal. */
static void
test_jwk_leading_zeros(void **state)
{
	unsigned char n[2 + 256];
	porten_key *k = NULL;
	json_t *out = NULL;
	size_t len;
	char tp[44];

	n[0] = n[1] = 0;
	assert_int_equal(porten_b64url_decode(rfc7638_n, strlen(rfc7638_n), n + 2, 256, &len), 0);
	assert_int_equal(len, 256);
	assert_int_equal(jwk_import(jwk_nbytes(n + 1, 257, "AAEAAQ"), &k), 0);
	assert_int_equal(porten_key_bits(k), 2048);
	thumbprint_of(k, tp);
	assert_string_equal(tp, rfc7638_tp);
	assert_int_equal(porten_key_to_jwk(k, NULL, &out), 0);
	assert_string_equal(json_string_value(json_object_get(out, "n")), rfc7638_n);
	assert_string_equal(json_string_value(json_object_get(out, "e")), "AQAB");
	json_decref(out);
	porten_key_unref(k);
	assert_int_equal(jwk_import(jwk_nbytes(n, 258, "AQAB"), &k), 0);
	porten_key_unref(k);
}

static void
test_jwk_sizes(void **state)
{
	unsigned char n[1025];
	porten_key *k = NULL;
	size_t len;

	assert_int_equal(porten_b64url_decode(rfc7638_n, strlen(rfc7638_n), n, sizeof(n), &len), 0);
	/* 1024 bits: the first half of the 2048-bit modulus, made odd. */
	n[127] |= 1;
	assert_int_equal(jwk_import(jwk_nbytes(n, 128, "AQAB"), &k), PORTEN_ERR_INVALID);
	assert_null(k);
	/* 2047 bits. */
	assert_int_equal(porten_b64url_decode(rfc7638_n, strlen(rfc7638_n), n, sizeof(n), &len), 0);
	n[0] = 0x7f;
	assert_int_equal(jwk_import(jwk_nbytes(n, 256, "AQAB"), &k), PORTEN_ERR_INVALID);
	/* 8192 bits is the ceiling; 8193 is past it. */
	memset(n, 0xff, sizeof(n));
	assert_int_equal(jwk_import(jwk_nbytes(n, 1024, "AQAB"), &k), 0);
	assert_int_equal(porten_key_bits(k), PORTEN_RSA_MAX_BITS);
	porten_key_unref(k);
	k = NULL;
	n[0] = 0x01;
	assert_int_equal(jwk_import(jwk_nbytes(n, 1025, "AQAB"), &k), PORTEN_ERR_INVALID);
	assert_null(k);
}

static void
test_jwk_rejects(void **state)
{
	unsigned char n[256];
	porten_key *k = NULL;
	char *bad_n;
	size_t len, i;
	json_t *j;
	struct {
		const char *kty, *n, *e;
	} cases[] = {
		{ "EC", rfc7638_n, "AQAB" },
		{ "oct", rfc7638_n, "AQAB" },
		{ "rsa", rfc7638_n, "AQAB" },
		{ "RSA ", rfc7638_n, "AQAB" },
		{ "", rfc7638_n, "AQAB" },
		{ "RSA", rfc7638_n, "AQAA" },          /* e even (65536) */
		{ "RSA", rfc7638_n, "AQ" },            /* e = 1 */
		{ "RSA", rfc7638_n, "AA" },            /* e = 0 */
		{ "RSA", rfc7638_n, "" },
		{ "RSA", rfc7638_n, "AQAB=" },
		{ "RSA", rfc7638_n, "AQAAAAAAAAAB" },  /* e of 9 bytes */
		{ "RSA", "", "AQAB" },
		{ "RSA", "AQAB", "AQAB" },             /* tiny n */
	};

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = json_pack("{s:s, s:s, s:s}", "kty", cases[i].kty, "n", cases[i].n, "e", cases[i].e);
		assert_int_equal(jwk_import(j, &k), PORTEN_ERR_INVALID);
		assert_null(k);
	}

	/* n with invalid base64url: a '+', padding, stray trailing bits, 1 mod 4. */
	bad_n = strdup(rfc7638_n);
	assert_non_null(bad_n);
	bad_n[10] = '+';
	assert_int_equal(jwk_import(jwk_ne(bad_n, "AQAB"), &k), PORTEN_ERR_INVALID);
	bad_n[10] = '/';
	assert_int_equal(jwk_import(jwk_ne(bad_n, "AQAB"), &k), PORTEN_ERR_INVALID);
	bad_n[10] = rfc7638_n[10];
	assert_int_equal(jwk_import(jwk_ne(bad_n, "AQAB"), &k), 0);
	porten_key_unref(k);
	k = NULL;
	free(bad_n);
	bad_n = malloc(strlen(rfc7638_n) + 3);
	assert_non_null(bad_n);
	sprintf(bad_n, "%s==", rfc7638_n);
	assert_int_equal(jwk_import(jwk_ne(bad_n, "AQAB"), &k), PORTEN_ERR_INVALID);
	strcpy(bad_n, rfc7638_n);
	bad_n[341] = '\0';	/* 341 characters: 1 mod 4 */
	assert_int_equal(jwk_import(jwk_ne(bad_n, "AQAB"), &k), PORTEN_ERR_INVALID);
	strcpy(bad_n, rfc7638_n);
	/* 342 characters carry 2048 bits + 4 unused ones: set one of them. */
	assert_int_equal(bad_n[341], 'w');
	bad_n[341] = 'x';
	assert_int_equal(jwk_import(jwk_ne(bad_n, "AQAB"), &k), PORTEN_ERR_INVALID);
	free(bad_n);

	/* n even. */
	assert_int_equal(porten_b64url_decode(rfc7638_n, strlen(rfc7638_n), n, sizeof(n), &len), 0);
	n[255] &= 0xfe;
	assert_int_equal(jwk_import(jwk_nbytes(n, 256, "AQAB"), &k), PORTEN_ERR_INVALID);

	/* Wrong types and missing members. */
	j = json_pack("{s:s, s:i, s:s}", "kty", "RSA", "n", 5, "e", "AQAB");
	assert_int_equal(jwk_import(j, &k), PORTEN_ERR_INVALID);
	j = json_pack("{s:s, s:s}", "kty", "RSA", "e", "AQAB");
	assert_int_equal(jwk_import(j, &k), PORTEN_ERR_INVALID);
	j = json_pack("{s:s, s:s}", "kty", "RSA", "n", rfc7638_n);
	assert_int_equal(jwk_import(j, &k), PORTEN_ERR_INVALID);
	j = json_pack("{s:s, s:s}", "n", rfc7638_n, "e", "AQAB");
	assert_int_equal(jwk_import(j, &k), PORTEN_ERR_INVALID);
	j = json_pack("{s:i, s:s, s:s}", "kty", 1, "n", rfc7638_n, "e", "AQAB");
	assert_int_equal(jwk_import(j, &k), PORTEN_ERR_INVALID);
	j = json_pack("[s]", "RSA");
	assert_int_equal(jwk_import(j, &k), PORTEN_ERR_INVALID);
	assert_int_equal(porten_key_from_jwk(NULL, &k), PORTEN_ERR_INVALID);
	assert_null(k);
}

static void
test_generate(void **state)
{
	porten_key *k = NULL;

	assert_int_equal(porten_key_bits(genkey), 2048);
	assert_true(porten_key_is_rsa(genkey));
	assert_true(porten_key_has_private(genkey));
	assert_int_equal(porten_key_generate_rsa(1024, &k), PORTEN_ERR_INVALID);
	assert_null(k);
	assert_int_equal(porten_key_generate_rsa(2047, &k), PORTEN_ERR_INVALID);
	assert_int_equal(porten_key_generate_rsa(8193, &k), PORTEN_ERR_INVALID);
	assert_null(k);
}

static void
test_pem_roundtrip(void **state)
{
	porten_key *priv = NULL, *pub = NULL;
	char *pem = NULL, *pubpem = NULL, *exact;
	char tp0[44], tp1[44], tp2[44];
	size_t len;

	thumbprint_of(genkey, tp0);
	assert_int_equal(porten_key_private_pem(genkey, &pem), 0);
	assert_int_equal(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
	/* Not NUL-terminated: an exact-size heap copy. */
	len = strlen(pem);
	exact = malloc(len);
	assert_non_null(exact);
	memcpy(exact, pem, len);
	assert_int_equal(porten_key_from_pem(exact, len, &priv), 0);
	free(exact);
	assert_true(porten_key_has_private(priv));
	assert_int_equal(porten_key_bits(priv), 2048);
	thumbprint_of(priv, tp1);
	assert_string_equal(tp0, tp1);

	assert_int_equal(porten_key_public_pem(priv, &pubpem), 0);
	assert_int_equal(strncmp(pubpem, "-----BEGIN PUBLIC KEY-----\n", 27), 0);
	assert_int_equal(porten_key_from_pem(pubpem, strlen(pubpem), &pub), 0);
	assert_false(porten_key_has_private(pub));
	assert_true(porten_key_is_rsa(pub));
	thumbprint_of(pub, tp2);
	assert_string_equal(tp0, tp2);
	free(pem);
	pem = NULL;
	assert_int_equal(porten_key_private_pem(pub, &pem), PORTEN_ERR_INVALID);
	assert_null(pem);

	porten_key_unref(priv);
	porten_key_unref(pub);
	free(pubpem);
}

static char *
bio_string(BIO *bio)
{
	char *data, *s;
	long len = BIO_get_mem_data(bio, &data);

	s = malloc((size_t)len + 1);
	assert_non_null(s);
	memcpy(s, data, (size_t)len);
	s[len] = '\0';
	return s;
}

static void
test_pem_traditional(void **state)
{
	BIO *bio = BIO_new(BIO_s_mem());
	porten_key *k = NULL;
	char tp0[44], tp1[44], *pem;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, porten_key_evp(genkey), NULL,
	    NULL, 0, NULL, NULL), 1);
	pem = bio_string(bio);
	assert_int_equal(strncmp(pem, "-----BEGIN RSA PRIVATE KEY-----\n", 32), 0);
	assert_int_equal(porten_key_from_pem(pem, strlen(pem), &k), 0);
	assert_true(porten_key_has_private(k));
	thumbprint_of(genkey, tp0);
	thumbprint_of(k, tp1);
	assert_string_equal(tp0, tp1);
	porten_key_unref(k);
	free(pem);
	BIO_free(bio);
}

static X509 *
self_signed(EVP_PKEY *pk)
{
	X509 *x = X509_new();
	X509_NAME *name;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 42), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"porten test", -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_int_equal(X509_set_pubkey(x, pk), 1);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	return x;
}

static void
test_certificate(void **state)
{
	X509 *x = self_signed(porten_key_evp(genkey));
	BIO *bio = BIO_new(BIO_s_mem());
	porten_key *k = NULL;
	unsigned char *der = NULL, *longer;
	char tp0[44], tp1[44], *pem;
	int derlen;

	thumbprint_of(genkey, tp0);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	pem = bio_string(bio);
	assert_int_equal(porten_key_from_pem(pem, strlen(pem), &k), 0);
	assert_false(porten_key_has_private(k));
	thumbprint_of(k, tp1);
	assert_string_equal(tp0, tp1);
	porten_key_unref(k);
	free(pem);

	derlen = i2d_X509(x, &der);
	assert_true(derlen > 0);
	assert_int_equal(porten_key_from_cert_der(der, (size_t)derlen, &k), 0);
	assert_false(porten_key_has_private(k));
	thumbprint_of(k, tp1);
	assert_string_equal(tp0, tp1);
	porten_key_unref(k);
	k = NULL;
	/* Trailing garbage and truncation. */
	longer = malloc((size_t)derlen + 1);
	assert_non_null(longer);
	memcpy(longer, der, (size_t)derlen);
	longer[derlen] = 0;
	assert_int_equal(porten_key_from_cert_der(longer, (size_t)derlen + 1, &k), PORTEN_ERR_INVALID);
	assert_int_equal(porten_key_from_cert_der(der, (size_t)derlen - 1, &k), PORTEN_ERR_INVALID);
	assert_null(k);
	free(longer);
	OPENSSL_free(der);

	/* SubjectPublicKeyInfo DER. */
	der = NULL;
	derlen = i2d_PUBKEY(porten_key_evp(genkey), &der);
	assert_true(derlen > 0);
	assert_int_equal(porten_key_from_cert_der(der, (size_t)derlen, &k), 0);
	assert_false(porten_key_has_private(k));
	thumbprint_of(k, tp1);
	assert_string_equal(tp0, tp1);
	porten_key_unref(k);
	OPENSSL_free(der);

	assert_int_equal(porten_key_from_cert_der((const unsigned char *)"\x30\x03\x02\x01\x01", 5,
	    &k), PORTEN_ERR_INVALID);
	assert_int_equal(porten_key_from_cert_der(NULL, 0, &k), PORTEN_ERR_INVALID);
	BIO_free(bio);
	X509_free(x);
}

static void
test_pem_rejects(void **state)
{
	static const char *bad[] = {
		"",
		"hello",
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"-----BEGIN FOO-----\nMAMCAQE=\n-----END FOO-----\n",
		"-----BEGIN PRIVATE KEY-----\nMIIE\n",
	};
	BIO *bio = BIO_new(BIO_s_mem());
	porten_key *k = NULL;
	char *pem, *cut;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(porten_key_from_pem(bad[i], strlen(bad[i]), &k), PORTEN_ERR_INVALID);
		assert_null(k);
	}
	assert_int_equal(porten_key_from_pem(NULL, 0, &k), PORTEN_ERR_INVALID);

	/* An encrypted key is refused, without prompting for a pass phrase. */
	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, porten_key_evp(genkey),
	    EVP_aes_256_cbc(), "secret", 6, NULL, NULL), 1);
	pem = bio_string(bio);
	assert_int_equal(strncmp(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37), 0);
	assert_int_equal(porten_key_from_pem(pem, strlen(pem), &k), PORTEN_ERR_INVALID);
	free(pem);
	(void)BIO_reset(bio);
	assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, porten_key_evp(genkey),
	    EVP_aes_256_cbc(), (unsigned char *)"secret", 6, NULL, NULL), 1);
	pem = bio_string(bio);
	assert_non_null(strstr(pem, "Proc-Type: 4,ENCRYPTED"));
	assert_int_equal(porten_key_from_pem(pem, strlen(pem), &k), PORTEN_ERR_INVALID);
	free(pem);

	/* A good PEM, truncated in the middle of its base64 body. */
	assert_int_equal(porten_key_private_pem(genkey, &pem), 0);
	cut = strndup(pem, strlen(pem) / 2);
	assert_int_equal(porten_key_from_pem(cut, strlen(cut), &k), PORTEN_ERR_INVALID);
	assert_null(k);
	free(cut);
	free(pem);
	BIO_free(bio);
}

static void
test_refcount(void **state)
{
	porten_key *k = NULL, *k2;
	char tp[44];

	assert_int_equal(jwk_import(jwk_ne(rfc7638_n, "AQAB"), &k), 0);
	k2 = porten_key_ref(k);
	assert_ptr_equal(k, k2);
	porten_key_unref(k);
	/* Still alive through k2 (ASan would flag a use after free). */
	thumbprint_of(k2, tp);
	assert_string_equal(tp, rfc7638_tp);
	porten_key_unref(k2);
	assert_null(porten_key_ref(NULL));
	porten_key_unref(NULL);
	assert_null(porten_key_evp(NULL));
	assert_int_equal(porten_key_bits(NULL), 0);
	assert_false(porten_key_is_rsa(NULL));
	assert_false(porten_key_has_private(NULL));
}

/* A key built through the deprecated RSA API is converted to a provider key. */
static void
test_wrap_legacy(void **state)
{
	EVP_PKEY *leg = EVP_PKEY_new();
	RSA *rsa = EVP_PKEY_get1_RSA(porten_key_evp(genkey));
	porten_key *k = NULL;
	char tp0[44], tp1[44];

	assert_non_null(leg);
	assert_non_null(rsa);
	assert_int_equal(EVP_PKEY_set1_RSA(leg, rsa), 1);
	RSA_free(rsa);
	assert_null(EVP_PKEY_get0_provider(leg));
	assert_int_equal(porten_key_wrap(leg, &k), 0);
	assert_non_null(EVP_PKEY_get0_provider(porten_key_evp(k)));
	assert_true(porten_key_is_rsa(k));
	assert_true(porten_key_has_private(k));
	assert_int_equal(porten_key_bits(k), 2048);
	thumbprint_of(genkey, tp0);
	thumbprint_of(k, tp1);
	assert_string_equal(tp0, tp1);
	porten_key_unref(k);
	assert_int_equal(porten_key_wrap(NULL, &k), PORTEN_ERR_INVALID);
	assert_null(k);
}

static void
test_non_rsa(void **state)
{
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	porten_key *k = NULL, *pub = NULL;
	json_t *jwk = NULL;
	char tp[44], *pem = NULL;

	assert_non_null(ec);
	assert_int_equal(porten_key_wrap(ec, &k), 0);
	assert_false(porten_key_is_rsa(k));
	assert_true(porten_key_has_private(k));
	assert_int_equal(porten_key_bits(k), 256);
	assert_int_equal(porten_key_to_jwk(k, NULL, &jwk), PORTEN_ERR_INVALID);
	assert_null(jwk);
	assert_int_equal(porten_key_thumbprint(k, tp), PORTEN_ERR_INVALID);
	assert_int_equal(porten_key_public_pem(k, &pem), 0);
	assert_int_equal(porten_key_from_pem(pem, strlen(pem), &pub), 0);
	assert_false(porten_key_is_rsa(pub));
	assert_false(porten_key_has_private(pub));
	porten_key_unref(pub);
	free(pem);
	porten_key_unref(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thumbprint_rfc7638),
		cmocka_unit_test(test_jwk_import_export),
		cmocka_unit_test(test_jwk_leading_zeros),
		cmocka_unit_test(test_jwk_sizes),
		cmocka_unit_test(test_jwk_rejects),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_pem_roundtrip),
		cmocka_unit_test(test_pem_traditional),
		cmocka_unit_test(test_certificate),
		cmocka_unit_test(test_pem_rejects),
		cmocka_unit_test(test_refcount),
		cmocka_unit_test(test_wrap_legacy),
		cmocka_unit_test(test_non_rsa),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
