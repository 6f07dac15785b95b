#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "crypto/key_internal.h"
#include "porten/b64.h"
#include "porten/error.h"
#include "porten/jws.h"
#include "porten/key.h"
#include "porten/limits.h"

/* RFC 7515 appendix A.2: RS256 over a fixed header and payload. */
static const char a2_n[] =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1"
    "Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kp"
    "aSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9k"
    "G4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpo"
    "Q";
static const char a2_d[] =
    "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7Yw"
    "Vol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkq"
    "zjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYo"
    "FaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopz"
    "nQ";
static const char a2_jws[] =
    "eyJhbGciOiJSUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ij"
    "p0cnVlfQ"
    "."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O"
    "8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARN"
    "PvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1"
    "phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

static porten_key *genkey;	/* 2048-bit pair, generated once */
static porten_key *a2pub;	/* A.2 public key, from its JWK */
static porten_key *a2priv;	/* A.2 private key (n, e, d) */

static BIGNUM *
b64_bn(const char *s)
{
	unsigned char buf[512];
	size_t len;

	assert_int_equal(porten_b64url_decode(s, strlen(s), buf, sizeof(buf), &len), 0);
	return BN_bin2bn(buf, (int)len, NULL);
}

static int
setup(void **state)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n = b64_bn(a2_n), *e = b64_bn("AQAB"), *d = b64_bn(a2_d);
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;
	json_t *jwk;
	int r;

	if (porten_key_generate_rsa(2048, &genkey) != 0)
		return -1;
	jwk = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", a2_n, "e", "AQAB");
	r = porten_key_from_jwk(jwk, &a2pub);
	json_decref(jwk);
	if (r != 0)
		return -1;
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d);
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEYPAIR, params) != 1)
		return -1;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	return porten_key_wrap(pk, &a2priv) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	porten_key_unref(genkey);
	porten_key_unref(a2pub);
	porten_key_unref(a2priv);
	return 0;
}

/* RSASSA-PKCS1-v1_5 done by hand (RFC 8017 9.2): DigestInfo = fixed DER prefix + hash,
 * signed raw with PKCS#1 type 1 padding through EVP_PKEY_sign. A path independent of
 * EVP_DigestSign. Returns the signature length. */
static size_t
manual_sign(const porten_key *key, enum porten_jws_alg alg, const void *data, size_t len,
    unsigned char *sig, size_t cap)
{
	static const unsigned char p256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
	    0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	static const unsigned char p384[] = { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
	    0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30 };
	static const unsigned char p512[] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
	    0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 };
	const unsigned char *prefix = alg == PORTEN_JWS_RS256 ? p256 :
	    alg == PORTEN_JWS_RS384 ? p384 : p512;
	const EVP_MD *md = alg == PORTEN_JWS_RS256 ? EVP_sha256() :
	    alg == PORTEN_JWS_RS384 ? EVP_sha384() : EVP_sha512();
	unsigned char di[19 + 64];
	unsigned int mdlen;
	EVP_PKEY_CTX *ctx;
	size_t siglen = cap;

	memcpy(di, prefix, 19);
	assert_int_equal(EVP_Digest(data, len, di + 19, &mdlen, md, NULL), 1);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, porten_key_evp(key), NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, sig, &siglen, di, 19 + mdlen), 1);
	EVP_PKEY_CTX_free(ctx);
	return siglen;
}

/* A compact JWS from a signing input and raw signature bytes. */
static char *
make_jws(const char *input, size_t inlen, const unsigned char *sig, size_t siglen)
{
	size_t cap = inlen + 1 + porten_b64url_len(siglen) + 1;
	char *s = malloc(cap);

	assert_non_null(s);
	memcpy(s, input, inlen);
	s[inlen] = '.';
	assert_int_equal(porten_b64url_encode(sig, siglen, s + inlen + 1, cap - inlen - 1, NULL), 0);
	return s;
}

static int
verify_str(const char *jws, enum porten_jws_alg alg, const porten_key *key)
{
	struct porten_jws_view v;
	int r;

	if ((r = porten_jws_split(jws, strlen(jws), PORTEN_JWT_MAX, &v)) != 0)
		return r;
	return porten_jws_verify(&v, alg, key);
}

static char *
b64json(const char *raw, size_t len)
{
	char *s = NULL;

	assert_int_equal(porten_b64url_encode_alloc(raw, len, &s, NULL), 0);
	return s;
}

static void
test_alg_names(void **state)
{
	static const char *bad[] = { "none", "None", "HS256", "HS512", "rs256", "Rs256", "PS256",
	    "PS512", "ES256", "EdDSA", "RS1", "RS", "RS2566", "RS256 ", " RS256", "", "RSA" };
	size_t i;

	assert_int_equal(porten_jws_alg_from_name("RS256"), PORTEN_JWS_RS256);
	assert_int_equal(porten_jws_alg_from_name("RS384"), PORTEN_JWS_RS384);
	assert_int_equal(porten_jws_alg_from_name("RS512"), PORTEN_JWS_RS512);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(porten_jws_alg_from_name(bad[i]), PORTEN_JWS_INVALID);
	assert_int_equal(porten_jws_alg_from_name(NULL), PORTEN_JWS_INVALID);
	assert_string_equal(porten_jws_alg_name(PORTEN_JWS_RS256), "RS256");
	assert_string_equal(porten_jws_alg_name(PORTEN_JWS_RS384), "RS384");
	assert_string_equal(porten_jws_alg_name(PORTEN_JWS_RS512), "RS512");
	assert_null(porten_jws_alg_name(PORTEN_JWS_INVALID));
	assert_null(porten_jws_alg_name((enum porten_jws_alg)42));
}

static void
test_split(void **state)
{
	static const char *bad[] = {
		"", "abc", "a.b", "a.b.c.d", "a.b.c.", ".b.c", "a..c", "a.b.", "..", "...",
		"a.b.c=", "a=.b.c", "a.b c.d", "a.b+.c", "a/.b.c", "a.b.c\n", "a.\xc3\xa9.c",
	};
	struct porten_jws_view v;
	char *buf;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(porten_jws_split(bad[i], strlen(bad[i]), 100, &v), PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_split("a.b\0.c", 6, 100, &v), PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_split(NULL, 0, 100, &v), PORTEN_ERR_INVALID);

	/* Pointer and length, no terminator: a heap buffer of exactly the length, followed in
	 * the caller's mind by ".d" that must not be seen. */
	buf = malloc(10);
	assert_non_null(buf);
	memcpy(buf, "hh.ppp.sss", 10);
	assert_int_equal(porten_jws_split(buf, 10, 10, &v), 0);
	assert_ptr_equal(v.header, buf);
	assert_int_equal(v.header_len, 2);
	assert_ptr_equal(v.payload, buf + 3);
	assert_int_equal(v.payload_len, 3);
	assert_ptr_equal(v.sig, buf + 7);
	assert_int_equal(v.sig_len, 3);
	assert_int_equal(v.signing_input_len, 6);
	assert_int_equal(porten_jws_split(buf, 10, 9, &v), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(porten_jws_split(buf, 7, 10, &v), PORTEN_ERR_INVALID);  /* "hh.ppp." */
	free(buf);

	assert_int_equal(porten_jws_split("a-_.b.c", 7, 7, &v), 0);
	assert_int_equal(porten_jws_split(a2_jws, strlen(a2_jws), PORTEN_JWT_MAX, &v), 0);
	assert_int_equal(v.header_len, 20);
	assert_int_equal(v.sig_len, 342);
}

static void
test_split_oversized(void **state)
{
	struct porten_jws_view v;
	size_t len = PORTEN_JWT_MAX + 1;
	char *big = malloc(len);

	assert_non_null(big);
	memset(big, 'A', len);
	big[100] = '.';
	big[200] = '.';
	assert_int_equal(porten_jws_split(big, len, PORTEN_JWT_MAX, &v), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(porten_jws_split(big, len - 1, PORTEN_JWT_MAX, &v), 0);
	free(big);
}

static int
decode_raw(const char *raw, size_t len, size_t max, json_t **out)
{
	char *b = b64json(raw, len);
	int r = porten_jws_decode_json(b, strlen(b), max, out);

	free(b);
	return r;
}

static void
test_decode_json(void **state)
{
	static const char *bad[] = {
		"{\"a\":1,\"a\":2}",            /* duplicate */
		"{\"a\":{\"b\":1,\"b\":1}}",    /* duplicate, nested */
		"[1]",
		"\"x\"",
		"1",
		"null",
		"{} ",                          /* trailing whitespace is fine in JSON... */
		"{}{}",
		"{} x",
		"{\"a\":\"\\u0000\"}",
		"{\"a\":\"\xff\"}",             /* invalid UTF-8 */
		"{\"a\":1,}",
		"{'a':1}",
		"",
	};
	json_t *j = NULL;
	size_t i;
	char *b;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = decode_raw(bad[i], strlen(bad[i]), 1000, &j);

		if (i == 6) {
			/* ...jansson accepts trailing whitespace; it is not data. */
			assert_int_equal(r, 0);
			json_decref(j);
			j = NULL;
			continue;
		}
		assert_int_equal(r, PORTEN_ERR_INVALID);
		assert_null(j);
	}

	/* Raw NUL bytes: after the object, or inside a string. */
	assert_int_equal(decode_raw("{\"a\":\"b\"}\0", 10, 1000, &j), PORTEN_ERR_INVALID);
	assert_int_equal(decode_raw("{\"a\":\"b\0c\"}", 11, 1000, &j), PORTEN_ERR_INVALID);

	assert_int_equal(decode_raw("{\"iss\":\"joe\",\"n\":[1,{\"x\":true}]}", 32, 1000, &j), 0);
	assert_string_equal(json_string_value(json_object_get(j, "iss")), "joe");
	json_decref(j);

	/* Bad base64url in the segment. */
	assert_int_equal(porten_jws_decode_json("e30=", 4, 1000, &j), PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_decode_json("e31", 3, 1000, &j), PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_decode_json("e", 1, 1000, &j), PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_decode_json("", 0, 1000, &j), PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_decode_json("e30", 3, 1000, &j), 0);   /* {} */
	json_decref(j);
	/* Input is pointer + length. */
	b = malloc(3);
	assert_non_null(b);
	memcpy(b, "e30", 3);
	assert_int_equal(porten_jws_decode_json(b, 3, 1000, &j), 0);
	json_decref(j);
	free(b);
}

static void
test_decode_json_size(void **state)
{
	char raw[100];
	json_t *j = NULL;
	char *big;
	size_t n = PORTEN_JWT_PAYLOAD_MAX + 1;

	/* {"a":"xxxxxxxxxxxxxxxx"} is 24 bytes: 24 is fine, 23 is too small. */
	snprintf(raw, sizeof(raw), "{\"a\":\"%s\"}", "xxxxxxxxxxxxxxxx");
	assert_int_equal(strlen(raw), 24);
	assert_int_equal(decode_raw(raw, 24, 24, &j), 0);
	json_decref(j);
	j = NULL;
	assert_int_equal(decode_raw(raw, 24, 23, &j), PORTEN_ERR_TOO_LARGE);
	assert_null(j);

	big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	assert_int_equal(decode_raw(big, n, PORTEN_JWT_PAYLOAD_MAX, &j), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(decode_raw(big, n - 1, PORTEN_JWT_PAYLOAD_MAX, &j), PORTEN_ERR_INVALID);
	big[n - 2] = '}';
	assert_int_equal(decode_raw(big, n - 1, PORTEN_JWT_PAYLOAD_MAX, &j), 0);
	json_decref(j);
	free(big);
}

/* depth containers: alternate objects and arrays, innermost holding a scalar. */
static char *
nested(int depth, int arrays)
{
	char *s = malloc((size_t)depth * 8 + 16), *p = s;
	int i;

	assert_non_null(s);
	for (i = 0; i < depth; i++) {
		if (i > 0 && arrays && i % 2 == 1) {
			*p++ = '[';
		} else {
			memcpy(p, "{\"a\":", 5);
			p += 5;
		}
	}
	*p++ = '1';
	for (i = depth - 1; i >= 0; i--)
		*p++ = (i > 0 && arrays && i % 2 == 1) ? ']' : '}';
	*p = '\0';
	return s;
}

static void
test_decode_json_depth(void **state)
{
	json_t *j = NULL;
	char *s;
	int arrays;

	for (arrays = 0; arrays < 2; arrays++) {
		s = nested(PORTEN_JSON_DEPTH_MAX, arrays);
		assert_int_equal(decode_raw(s, strlen(s), 10000, &j), 0);
		json_decref(j);
		j = NULL;
		free(s);
		s = nested(PORTEN_JSON_DEPTH_MAX + 1, arrays);
		assert_int_equal(decode_raw(s, strlen(s), 10000, &j), PORTEN_ERR_INVALID);
		assert_null(j);
		free(s);
	}
	/* Far past jansson's own limit. */
	s = nested(5000, 1);
	assert_int_equal(decode_raw(s, strlen(s), 100000, &j), PORTEN_ERR_INVALID);
	free(s);
	/* Deep on one branch only, after a shallow one. */
	s = nested(PORTEN_JSON_DEPTH_MAX, 0);
	{
		size_t len = strlen(s) + 32;
		char *t = malloc(len);

		assert_non_null(t);
		snprintf(t, len, "{\"x\":1,\"y\":%s}", s);
		assert_int_equal(decode_raw(t, strlen(t), 10000, &j), PORTEN_ERR_INVALID);
		free(t);
	}
	free(s);
}

/* The RFC 7515 A.2 example verifies, with the key taken from its JWK. */
static void
test_rfc7515_a2_verify(void **state)
{
	struct porten_jws_view v;
	json_t *h = NULL, *p = NULL;

	assert_int_equal(porten_jws_split(a2_jws, strlen(a2_jws), PORTEN_JWT_MAX, &v), 0);
	assert_int_equal(porten_jws_decode_json(v.header, v.header_len, 1000, &h), 0);
	assert_string_equal(json_string_value(json_object_get(h, "alg")), "RS256");
	assert_int_equal(porten_jws_decode_json(v.payload, v.payload_len, 1000, &p), 0);
	assert_string_equal(json_string_value(json_object_get(p, "iss")), "joe");
	assert_int_equal(json_integer_value(json_object_get(p, "exp")), 1300819380);
	json_decref(h);
	json_decref(p);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, a2pub), 0);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, a2priv), 0);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS384, a2pub), PORTEN_ERR_SIGNATURE);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS512, a2pub), PORTEN_ERR_SIGNATURE);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, genkey), PORTEN_ERR_SIGNATURE);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_INVALID, a2pub), PORTEN_ERR_INVALID);
}

/* The hand-made PKCS#1 v1.5 signer reproduces the RFC's signature byte for byte, which
 * makes it a trustworthy reference for what follows. */
static void
test_manual_signer_matches_rfc(void **state)
{
	unsigned char sig[256], want[256];
	const char *dot2 = strrchr(a2_jws, '.');
	size_t siglen, len;

	assert_int_equal(porten_b64url_decode(dot2 + 1, strlen(dot2 + 1), want, sizeof(want), &len),
	    0);
	assert_int_equal(len, 256);
	siglen = manual_sign(a2priv, PORTEN_JWS_RS256, a2_jws, (size_t)(dot2 - a2_jws), sig,
	    sizeof(sig));
	assert_int_equal(siglen, 256);
	assert_memory_equal(sig, want, 256);
}

/* porten_jws_sign equals the independent signer (PKCS#1 v1.5 is deterministic), for each
 * alg, and the other's signature verifies with porten_jws_verify. */
static void
test_sign_interop_manual(void **state)
{
	enum porten_jws_alg algs[] = { PORTEN_JWS_RS256, PORTEN_JWS_RS384, PORTEN_JWS_RS512 };
	unsigned char sig[512], ours[512];
	struct porten_jws_view v;
	json_t *h, *p;
	char *jws = NULL, *other;
	size_t i, siglen, len;

	for (i = 0; i < 3; i++) {
		h = json_pack("{s:s, s:s}", "alg", porten_jws_alg_name(algs[i]), "kid", "k1");
		p = json_pack("{s:s, s:s, s:i}", "iss", "client", "aud", "https://porten/",
		    "exp", 1700000000);
		assert_int_equal(porten_jws_sign(algs[i], genkey, h, p, &jws), 0);
		assert_int_equal(porten_jws_split(jws, strlen(jws), PORTEN_JWT_MAX, &v), 0);
		assert_int_equal(porten_jws_verify(&v, algs[i], genkey), 0);
		assert_int_equal(porten_b64url_decode(v.sig, v.sig_len, ours, sizeof(ours), &len), 0);
		assert_int_equal(len, 256);
		siglen = manual_sign(genkey, algs[i], jws, v.signing_input_len, sig, sizeof(sig));
		assert_int_equal(siglen, 256);
		assert_memory_equal(ours, sig, 256);
		/* A signature made by the other path over a different input verifies too. */
		siglen = manual_sign(genkey, algs[i], "e30.e30", 7, sig, sizeof(sig));
		other = make_jws("e30.e30", 7, sig, siglen);
		assert_int_equal(verify_str(other, algs[i], genkey), 0);
		assert_int_equal(verify_str(other, algs[(i + 1) % 3], genkey), PORTEN_ERR_SIGNATURE);
		free(other);
		free(jws);
		jws = NULL;
		json_decref(h);
		json_decref(p);
	}
}

static int
have_openssl_cli(void)
{
	return system("openssl version >/dev/null 2>&1") == 0;
}

static char *
write_temp(const void *data, size_t len)
{
	char *path = strdup("/tmp/porten-test-jws-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Interoperability with the openssl command-line tool, both ways. */
static void
test_openssl_cli(void **state)
{
	unsigned char sig[512], ours[512];
	struct porten_jws_view v;
	char cmd[512], *pem = NULL, *pubpem = NULL, *jws = NULL, *theirs;
	char *keypath, *pubpath, *inpath, *sigpath;
	json_t *h, *p;
	size_t siglen, len;
	FILE *f;

	if (!have_openssl_cli())
		skip();
	h = json_pack("{s:s}", "alg", "RS256");
	p = json_pack("{s:s}", "scope", "porten:test");
	assert_int_equal(porten_jws_sign(PORTEN_JWS_RS256, genkey, h, p, &jws), 0);
	assert_int_equal(porten_jws_split(jws, strlen(jws), PORTEN_JWT_MAX, &v), 0);
	assert_int_equal(porten_key_private_pem(genkey, &pem), 0);
	assert_int_equal(porten_key_public_pem(genkey, &pubpem), 0);
	keypath = write_temp(pem, strlen(pem));
	pubpath = write_temp(pubpem, strlen(pubpem));
	inpath = write_temp(jws, v.signing_input_len);

	/* openssl signs the signing input; porten verifies and gets the same bytes. */
	snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -binary -sign %s %s", keypath, inpath);
	f = popen(cmd, "r");
	assert_non_null(f);
	siglen = fread(sig, 1, sizeof(sig), f);
	assert_int_equal(pclose(f), 0);
	assert_int_equal(siglen, 256);
	theirs = make_jws(jws, v.signing_input_len, sig, siglen);
	assert_string_equal(theirs, jws);
	assert_int_equal(verify_str(theirs, PORTEN_JWS_RS256, genkey), 0);
	free(theirs);

	/* openssl verifies porten's signature. */
	assert_int_equal(porten_b64url_decode(v.sig, v.sig_len, ours, sizeof(ours), &len), 0);
	sigpath = write_temp(ours, len);
	snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -verify %s -signature %s %s >/dev/null 2>&1",
	    pubpath, sigpath, inpath);
	assert_int_equal(system(cmd), 0);
	/* ...and refuses it under SHA-512, so the check above can fail. */
	snprintf(cmd, sizeof(cmd), "openssl dgst -sha512 -verify %s -signature %s %s >/dev/null 2>&1",
	    pubpath, sigpath, inpath);
	assert_int_not_equal(system(cmd), 0);

	unlink(keypath);
	unlink(pubpath);
	unlink(inpath);
	unlink(sigpath);
	free(keypath);
	free(pubpath);
	free(inpath);
	free(sigpath);
	free(pem);
	free(pubpem);
	free(jws);
	json_decref(h);
	json_decref(p);
}

static void
test_sign_layout(void **state)
{
	struct porten_jws_view v;
	unsigned char raw[128];
	json_t *h, *p;
	char *jws = NULL;
	size_t len;

	/* Members in insertion order, compact. */
	h = json_pack("{s:s, s:s}", "kid", "k1", "alg", "RS512");
	p = json_pack("{s:s, s:[i, i]}", "z", "last?", "a", 1, 2);
	assert_int_equal(porten_jws_sign(PORTEN_JWS_RS512, genkey, h, p, &jws), 0);
	assert_int_equal(porten_jws_split(jws, strlen(jws), PORTEN_JWT_MAX, &v), 0);
	assert_int_equal(porten_b64url_decode(v.header, v.header_len, raw, sizeof(raw), &len), 0);
	assert_int_equal(len, strlen("{\"kid\":\"k1\",\"alg\":\"RS512\"}"));
	assert_memory_equal(raw, "{\"kid\":\"k1\",\"alg\":\"RS512\"}", len);
	assert_int_equal(porten_b64url_decode(v.payload, v.payload_len, raw, sizeof(raw), &len), 0);
	assert_memory_equal(raw, "{\"z\":\"last?\",\"a\":[1,2]}", len);
	assert_int_equal(v.sig_len, 342);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS512, genkey), 0);
	free(jws);
	json_decref(h);
	json_decref(p);
}

static void
test_tampering(void **state)
{
	unsigned char sig[300];
	json_t *h, *p;
	char *jws = NULL, *t, *bad;
	size_t len, siglen, dot2;

	h = json_pack("{s:s}", "alg", "RS256");
	p = json_pack("{s:s, s:i}", "sub", "someone", "exp", 1700000000);
	assert_int_equal(porten_jws_sign(PORTEN_JWS_RS256, genkey, h, p, &jws), 0);
	len = strlen(jws);
	dot2 = (size_t)(strrchr(jws, '.') - jws);
	assert_int_equal(verify_str(jws, PORTEN_JWS_RS256, genkey), 0);
	t = strdup(jws);
	assert_non_null(t);

	/* One character changed in the header, the payload, the signature. */
	t[3] = t[3] == 'A' ? 'B' : 'A';
	assert_int_equal(verify_str(t, PORTEN_JWS_RS256, genkey), PORTEN_ERR_SIGNATURE);
	strcpy(t, jws);
	t[dot2 - 3] = t[dot2 - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(verify_str(t, PORTEN_JWS_RS256, genkey), PORTEN_ERR_SIGNATURE);
	strcpy(t, jws);
	t[dot2 + 50] = t[dot2 + 50] == 'A' ? 'B' : 'A';
	assert_int_equal(verify_str(t, PORTEN_JWS_RS256, genkey), PORTEN_ERR_SIGNATURE);
	/* The last signature character carries 4 unused bits: setting one is refused even
	 * though the signature bytes are unchanged. */
	strcpy(t, jws);
	assert_int_equal(len - dot2 - 1, 342);
	t[len - 1] = (char)(t[len - 1] + 1);
	assert_int_equal(verify_str(t, PORTEN_JWS_RS256, genkey), PORTEN_ERR_SIGNATURE);
	/* A different key, a different alg. */
	assert_int_equal(verify_str(jws, PORTEN_JWS_RS256, a2pub), PORTEN_ERR_SIGNATURE);
	assert_int_equal(verify_str(jws, PORTEN_JWS_RS384, genkey), PORTEN_ERR_SIGNATURE);
	free(t);

	/* Wrong signature lengths: truncated by 3 bytes, one leading zero byte added, one byte
	 * dropped, empty-ish. */
	assert_int_equal(porten_b64url_decode(jws + dot2 + 1, len - dot2 - 1, sig + 1,
	    sizeof(sig) - 1, &siglen), 0);
	assert_int_equal(siglen, 256);
	bad = make_jws(jws, dot2, sig + 1, 253);
	assert_int_equal(verify_str(bad, PORTEN_JWS_RS256, genkey), PORTEN_ERR_SIGNATURE);
	free(bad);
	sig[0] = 0;
	bad = make_jws(jws, dot2, sig, 257);
	assert_int_equal(verify_str(bad, PORTEN_JWS_RS256, genkey), PORTEN_ERR_SIGNATURE);
	free(bad);
	bad = make_jws(jws, dot2, sig + 1, 255);
	assert_int_equal(verify_str(bad, PORTEN_JWS_RS256, genkey), PORTEN_ERR_SIGNATURE);
	free(bad);
	bad = make_jws(jws, dot2, sig + 1, 1);
	assert_int_equal(verify_str(bad, PORTEN_JWS_RS256, genkey), PORTEN_ERR_SIGNATURE);
	free(bad);
	/* Right length, but all zeros / all ones (>= n). */
	memset(sig, 0, 256);
	bad = make_jws(jws, dot2, sig, 256);
	assert_int_equal(verify_str(bad, PORTEN_JWS_RS256, genkey), PORTEN_ERR_SIGNATURE);
	free(bad);
	memset(sig, 0xff, 256);
	bad = make_jws(jws, dot2, sig, 256);
	assert_int_equal(verify_str(bad, PORTEN_JWS_RS256, genkey), PORTEN_ERR_SIGNATURE);
	free(bad);

	free(jws);
	json_decref(h);
	json_decref(p);
}

static void
test_bad_arguments(void **state)
{
	EVP_PKEY *ecpk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	porten_key *ec = NULL;
	struct porten_jws_view v;
	json_t *h = json_pack("{s:s}", "alg", "RS256"), *p = json_object(), *arr = json_array();
	char *jws = NULL;

	assert_int_equal(porten_key_wrap(ecpk, &ec), 0);
	/* Sign: public-only key, non-RSA key, bad alg, non-object members. */
	assert_int_equal(porten_jws_sign(PORTEN_JWS_RS256, a2pub, h, p, &jws), PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_sign(PORTEN_JWS_RS256, ec, h, p, &jws), PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_sign(PORTEN_JWS_INVALID, genkey, h, p, &jws),
	    PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_sign((enum porten_jws_alg)7, genkey, h, p, &jws),
	    PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_sign(PORTEN_JWS_RS256, genkey, arr, p, &jws), PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_sign(PORTEN_JWS_RS256, genkey, h, NULL, &jws), PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_sign(PORTEN_JWS_RS256, NULL, h, p, &jws), PORTEN_ERR_INVALID);
	assert_null(jws);

	/* Verify: non-RSA key, bad alg, a view that is not contiguous. */
	assert_int_equal(porten_jws_split(a2_jws, strlen(a2_jws), PORTEN_JWT_MAX, &v), 0);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, ec), PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_verify(&v, (enum porten_jws_alg)7, a2pub), PORTEN_ERR_INVALID);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, NULL), PORTEN_ERR_INVALID);
	v.signing_input_len--;
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, a2pub), PORTEN_ERR_INVALID);
	v.signing_input_len++;
	v.payload_len--;
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, a2pub), PORTEN_ERR_INVALID);
	v.payload_len++;
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, a2pub), 0);

	porten_key_unref(ec);
	json_decref(h);
	json_decref(p);
	json_decref(arr);
}

#define NTHREADS	8
#define NROUNDS		25

struct worker {
	const char *expect;
	int failures;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	json_t *h = json_pack("{s:s}", "alg", "RS256");
	json_t *p = json_pack("{s:s}", "iss", "thread");
	char *jws;
	int i;

	for (i = 0; i < NROUNDS; i++) {
		jws = NULL;
		if (porten_jws_sign(PORTEN_JWS_RS256, genkey, h, p, &jws) != 0 ||
		    strcmp(jws, w->expect) != 0 || verify_str(jws, PORTEN_JWS_RS256, genkey) != 0 ||
		    verify_str(a2_jws, PORTEN_JWS_RS256, a2pub) != 0)
			w->failures++;
		free(jws);
	}
	json_decref(h);
	json_decref(p);
	return NULL;
}

/* Many threads sign and verify with the same keys at once. */
static void
test_concurrent(void **state)
{
	pthread_t th[NTHREADS];
	struct worker w[NTHREADS];
	json_t *h = json_pack("{s:s}", "alg", "RS256");
	json_t *p = json_pack("{s:s}", "iss", "thread");
	char *expect = NULL;
	int i;

	assert_int_equal(porten_jws_sign(PORTEN_JWS_RS256, genkey, h, p, &expect), 0);
	for (i = 0; i < NTHREADS; i++) {
		w[i].expect = expect;
		w[i].failures = 0;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	free(expect);
	json_decref(h);
	json_decref(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alg_names),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_oversized),
		cmocka_unit_test(test_decode_json),
		cmocka_unit_test(test_decode_json_size),
		cmocka_unit_test(test_decode_json_depth),
		cmocka_unit_test(test_rfc7515_a2_verify),
		cmocka_unit_test(test_manual_signer_matches_rfc),
		cmocka_unit_test(test_sign_interop_manual),
		cmocka_unit_test(test_openssl_cli),
		cmocka_unit_test(test_sign_layout),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
