/* Compact JWS (RFC 7515 section 7.1) with RSASSA-PKCS1-v1_5 (RFC 7518 section 3.3).
 * Everything here is reentrant: digests are fetched once per process, keys are shared
 * read-only, and each call has its own EVP_MD_CTX. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/key_internal.h"
#include "porten/b64.h"
#include "porten/error.h"
#include "porten/jws.h"
#include "porten/limits.h"

/* Largest signature we handle: OpenSSL's own ceiling on RSA moduli (16384 bits). */
#define JWS_SIG_MAX	2048

static const struct {
	const char *name;
	const char *digest;
} jws_algs[] = {
	[PORTEN_JWS_RS256] = { "RS256", "SHA256" },
	[PORTEN_JWS_RS384] = { "RS384", "SHA384" },
	[PORTEN_JWS_RS512] = { "RS512", "SHA512" },
};
#define JWS_NALGS	(sizeof(jws_algs) / sizeof(jws_algs[0]))

static EVP_MD *jws_mds[JWS_NALGS];
static pthread_once_t jws_mds_once = PTHREAD_ONCE_INIT;

static void
jws_mds_fetch(void)
{
	size_t i;

	for (i = 0; i < JWS_NALGS; i++)
		if (jws_algs[i].digest != NULL)
			jws_mds[i] = EVP_MD_fetch(NULL, jws_algs[i].digest, NULL);
	ERR_clear_error();
}

/* The digest of a valid alg, fetched at first use and kept for the process; NULL for an
 * invalid alg (or if the default provider lacks the digest). */
static const EVP_MD *
jws_md(enum porten_jws_alg alg)
{
	if ((size_t)alg >= JWS_NALGS || alg == PORTEN_JWS_INVALID)
		return NULL;
	if (pthread_once(&jws_mds_once, jws_mds_fetch) != 0)
		return NULL;
	return jws_mds[alg];
}

enum porten_jws_alg
porten_jws_alg_from_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return PORTEN_JWS_INVALID;
	for (i = 0; i < JWS_NALGS; i++)
		if (jws_algs[i].name != NULL && strcmp(name, jws_algs[i].name) == 0)
			return (enum porten_jws_alg)i;
	return PORTEN_JWS_INVALID;
}

const char *
porten_jws_alg_name(enum porten_jws_alg alg)
{
	if ((size_t)alg >= JWS_NALGS || alg == PORTEN_JWS_INVALID)
		return NULL;
	return jws_algs[alg].name;
}

static int
is_b64url_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_';
}

int
porten_jws_split(const char *jws, size_t len, size_t max, struct porten_jws_view *v)
{
	size_t i, dot[2], ndots = 0;

	memset(v, 0, sizeof(*v));
	if (jws == NULL)
		return PORTEN_ERR_INVALID;
	if (len > max)
		return PORTEN_ERR_TOO_LARGE;
	for (i = 0; i < len; i++) {
		if (jws[i] == '.') {
			if (ndots == 2)
				return PORTEN_ERR_INVALID;
			dot[ndots++] = i;
		} else if (!is_b64url_char((unsigned char)jws[i])) {
			return PORTEN_ERR_INVALID;
		}
	}
	if (ndots != 2 || dot[0] == 0 || dot[1] == dot[0] + 1 || dot[1] + 1 == len)
		return PORTEN_ERR_INVALID;
	v->header = jws;
	v->header_len = dot[0];
	v->payload = jws + dot[0] + 1;
	v->payload_len = dot[1] - dot[0] - 1;
	v->sig = jws + dot[1] + 1;
	v->sig_len = len - dot[1] - 1;
	v->signing_input_len = dot[1];
	return 0;
}

/* Containers nest at most PORTEN_JSON_DEPTH_MAX deep; the outermost one is depth 1. */
static int
json_depth_ok(json_t *v, int depth)
{
	const char *key;
	json_t *child;
	size_t i;

	if (!json_is_object(v) && !json_is_array(v))
		return 1;
	if (depth > PORTEN_JSON_DEPTH_MAX)
		return 0;
	if (json_is_object(v)) {
		json_object_foreach(v, key, child)
			if (!json_depth_ok(child, depth + 1))
				return 0;
	} else {
		json_array_foreach(v, i, child)
			if (!json_depth_ok(child, depth + 1))
				return 0;
	}
	return 1;
}

int
porten_jws_decode_json(const char *b64, size_t len, size_t max, json_t **out)
{
	unsigned char *buf = NULL;
	json_t *root = NULL;
	json_error_t jerr;
	size_t n;
	int r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if (b64 == NULL || len == 0 || len % 4 == 1) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if ((n = porten_b64_decoded_max(len)) > max) {
		r = PORTEN_ERR_TOO_LARGE;
		goto out;
	}
	if ((buf = malloc(n)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	if (porten_b64url_decode(b64, len, buf, n, &n) != 0 || memchr(buf, '\0', n) != NULL) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	/* Without JSON_DECODE_ANY or JSON_DISABLE_EOF_CHECK: an object or array, nothing after
	 * it. jansson also refuses invalid UTF-8 and \u0000. */
	root = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root) || !json_depth_ok(root, 1)) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	*out = root;
	root = NULL;
	r = 0;
out:
	json_decref(root);
	free(buf);
	return r;
}

/* A fresh digest-sign/verify context for key and alg, PKCS#1 v1.5 padding. */
static int
jws_ctx(enum porten_jws_alg alg, EVP_PKEY *pk, int sign, EVP_MD_CTX **out)
{
	const EVP_MD *md;
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if ((md = jws_md(alg)) == NULL) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	if ((sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, pk) :
	    EVP_DigestVerifyInit(ctx, &pctx, md, NULL, pk)) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
		r = PORTEN_ERR_CRYPTO;
		goto out;
	}
	*out = ctx;
	ctx = NULL;
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

int
porten_jws_verify(const struct porten_jws_view *v, enum porten_jws_alg alg, const porten_key *key)
{
	unsigned char sig[JWS_SIG_MAX];
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *pk;
	size_t k, siglen;
	int size, r = PORTEN_ERR_INTERNAL;

	if (v == NULL || v->header == NULL || v->sig == NULL || !porten_key_is_rsa(key) ||
	    jws_md(alg) == NULL) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	/* The view must be what porten_jws_split made: header '.' payload, contiguous. */
	if (v->payload != v->header + v->header_len + 1 ||
	    v->signing_input_len != v->header_len + 1 + v->payload_len) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	pk = porten_key_evp(key);
	if ((size = EVP_PKEY_get_size(pk)) <= 0 || (size_t)size > sizeof(sig)) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	k = (size_t)size;
	/* RFC 7518 3.3 / RFC 8017 8.2.2: the signature is exactly k octets. A malformed
	 * encoding of it is a bad signature too. */
	if (v->sig_len % 4 == 1 || porten_b64_decoded_max(v->sig_len) != k ||
	    porten_b64url_decode(v->sig, v->sig_len, sig, sizeof(sig), &siglen) != 0 ||
	    siglen != k) {
		r = PORTEN_ERR_SIGNATURE;
		goto out;
	}
	if ((r = jws_ctx(alg, pk, 0, &ctx)) != 0)
		goto out;
	if (EVP_DigestVerify(ctx, sig, k, (const unsigned char *)v->header,
	    v->signing_input_len) != 1) {
		r = PORTEN_ERR_SIGNATURE;
		goto out;
	}
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

int
porten_jws_sign(enum porten_jws_alg alg, const porten_key *key, const json_t *header,
                const json_t *payload, char **out)
{
	unsigned char sig[JWS_SIG_MAX];
	char *h = NULL, *p = NULL, *buf = NULL;
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *pk;
	size_t hl, pl, sl, total, off, siglen, k;
	int size, r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if (!porten_key_is_rsa(key) || !porten_key_has_private(key) || jws_md(alg) == NULL ||
	    !json_is_object(header) || !json_is_object(payload)) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	pk = porten_key_evp(key);
	if ((size = EVP_PKEY_get_size(pk)) <= 0 || (size_t)size > sizeof(sig)) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	k = (size_t)size;
	/* Compact, members in insertion order (jansson keeps it since 2.8). */
	if ((h = json_dumps(header, JSON_COMPACT)) == NULL ||
	    (p = json_dumps(payload, JSON_COMPACT)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	hl = porten_b64url_len(strlen(h));
	pl = porten_b64url_len(strlen(p));
	sl = porten_b64url_len(k);
	total = hl + 1 + pl + 1 + sl + 1;
	if ((buf = malloc(total)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	off = 0;
	if ((r = porten_b64url_encode(h, strlen(h), buf, total, NULL)) != 0)
		goto out;
	off += hl;
	buf[off++] = '.';
	if ((r = porten_b64url_encode(p, strlen(p), buf + off, total - off, NULL)) != 0)
		goto out;
	off += pl;
	if ((r = jws_ctx(alg, pk, 1, &ctx)) != 0)
		goto out;
	siglen = sizeof(sig);
	if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)buf, off) != 1 ||
	    siglen != k) {
		r = PORTEN_ERR_CRYPTO;
		goto out;
	}
	buf[off++] = '.';
	if ((r = porten_b64url_encode(sig, siglen, buf + off, total - off, NULL)) != 0)
		goto out;
	*out = buf;
	buf = NULL;
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	free(h);
	free(p);
	ERR_clear_error();
	return r;
}
