/* lib/freg/tokencheck.c against an issuer served in this process with lib/http (plain
 * HTTP on a free port): discovery and a JWKS this test controls, fetches counted on the
 * server side. The verifier's clock is a variable, so rate limits and expiry boundaries
 * are exact and nothing sleeps for them. The issuer string (https://test.maskinporten.no/)
 * differs from where it is reached, as in the sandbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "porten/authz.h"
#include "porten/b64.h"
#include "porten/client.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/http.h"
#include "porten/jws.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/store.h"
#include "porten/tokencheck.h"

#define ISSUER "https://test.maskinporten.no/"
#define T0 INT64_C(1767225600)           /* 2026-01-01T00:00:00Z */
#define SCOPE "folkeregister:deling/offentligmedhjemmel"
#define NTHREADS 8

static porten_http *srv;
static char base[64];                    /* "http://127.0.0.1:PORT/" */
static porten_key *k1, *k2, *k3;         /* k3 is never published */

/* Server state. */
static pthread_mutex_t srv_mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *published;                /* the JWKS served at /jwk */
static _Atomic int jwk_fetches, md_fetches;
static _Atomic int down;                 /* answer 503 to everything */
static _Atomic int jwk_delay_ms;
static _Atomic int wrong_issuer;         /* metadata names another issuer */

/* The verifier's clock. */
static _Atomic int64_t fake_now = T0;

static int64_t
clock_fn(void)
{
	return atomic_load(&fake_now);
}

static void
h_metadata(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	json_t *m;

	atomic_fetch_add(&md_fetches, 1);
	if (atomic_load(&down)) {
		porten_resp_text(resp, 503, "text/plain", "down", 4);
		return;
	}
	m = json_pack("{s:s,s:s,s:s}", "issuer", atomic_load(&wrong_issuer) ? "https://evil.example/" : ISSUER,
	              "token_endpoint", ISSUER "token", "jwks_uri", ISSUER "jwk");
	porten_resp_json(resp, 200, m);
	json_decref(m);
}

static void
h_jwk(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	json_t *doc;

	atomic_fetch_add(&jwk_fetches, 1);
	if (atomic_load(&jwk_delay_ms) > 0)
		usleep((useconds_t)atomic_load(&jwk_delay_ms) * 1000);
	if (atomic_load(&down)) {
		porten_resp_text(resp, 503, "text/plain", "down", 4);
		return;
	}
	pthread_mutex_lock(&srv_mu);
	doc = json_deep_copy(published);
	pthread_mutex_unlock(&srv_mu);
	porten_resp_json(resp, 200, doc);
	json_decref(doc);
}

static void
on_error(struct porten_req *req, struct porten_resp *resp, int status, void *ctx)
{
	porten_resp_text(resp, status, "text/plain", "error", 5);
}

static const struct porten_route routes[] = {
	{ "GET", "/.well-known/oauth-authorization-server", h_metadata, 0, 0 },
	{ "GET", "/jwk", h_jwk, 0, 0 },
};

/* Publishes the given keys (NULL-terminated pairs kid, key). */
static void
publish(const char *kid, porten_key *key, ...)
{
	json_t *keys = json_array(), *doc;
	va_list ap;

	va_start(ap, key);
	while (kid != NULL) {
		json_t *jwk = NULL;

		assert_int_equal(porten_key_to_jwk(key, kid, &jwk), 0);
		json_object_set_new(jwk, "use", json_string("sig"));
		json_object_set_new(jwk, "alg", json_string("RS256"));
		json_array_append_new(keys, jwk);
		kid = va_arg(ap, const char *);
		if (kid != NULL)
			key = va_arg(ap, porten_key *);
	}
	va_end(ap);
	doc = json_pack("{s:o}", "keys", keys);
	pthread_mutex_lock(&srv_mu);
	json_decref(published);
	published = doc;
	pthread_mutex_unlock(&srv_mu);
}

static void
publish_json(json_t *doc)
{
	pthread_mutex_lock(&srv_mu);
	json_decref(published);
	published = doc;
	pthread_mutex_unlock(&srv_mu);
}

static int
setup(void **state)
{
	struct porten_http_config cfg = { 0 };

	porten_log_set_level(PORTEN_LOG_ERROR);
	if (porten_key_generate_rsa(2048, &k1) != 0 || porten_key_generate_rsa(2048, &k2) != 0 ||
	    porten_key_generate_rsa(2048, &k3) != 0)
		return -1;
	cfg.host = "127.0.0.1";
	cfg.port = 0;
	cfg.threads = 4;
	cfg.server_name = "test";
	if (porten_http_start(&cfg, routes, sizeof(routes) / sizeof(routes[0]), on_error, NULL, &srv) != 0)
		return -1;
	snprintf(base, sizeof(base), "http://127.0.0.1:%u/", porten_http_port(srv));
	return 0;
}

static int
teardown(void **state)
{
	porten_http_stop(srv);
	porten_key_unref(k1);
	porten_key_unref(k2);
	porten_key_unref(k3);
	json_decref(published);
	return 0;
}

/* Per test: k1 published, the server up, counters at zero, the clock at T0. */
static int
reset(void **state)
{
	publish("k1", k1, NULL);
	atomic_store(&jwk_fetches, 0);
	atomic_store(&md_fetches, 0);
	atomic_store(&down, 0);
	atomic_store(&jwk_delay_ms, 0);
	atomic_store(&wrong_issuer, 0);
	atomic_store(&fake_now, T0);
	return 0;
}

static porten_tokencheck *
new_tc(size_t cache_max)
{
	struct porten_tokencheck_config cfg = { 0 };
	porten_tokencheck *tc = NULL;

	cfg.issuer = ISSUER;
	cfg.base_url = base;
	cfg.now = clock_fn;
	cfg.cache_max = cache_max;
	cfg.timeout_ms = 5000;
	assert_int_equal(porten_tokencheck_new(&cfg, &tc), 0);
	return tc;
}

/* Access-token claims as lib/authz/token.c makes them. */
static json_t *
claims(const char *iss, int64_t iat, int64_t exp, const char *consumer, const char *supplier)
{
	json_t *c = json_object();
	char id[32];

	json_object_set_new(c, "iss", json_string(iss));
	json_object_set_new(c, "client_amr", json_string("private_key_jwt"));
	json_object_set_new(c, "token_type", json_string("Bearer"));
	json_object_set_new(c, "client_id", json_string("client-1"));
	json_object_set_new(c, "aud", json_string("unspecified"));
	json_object_set_new(c, "scope", json_string("difitest:test2 " SCOPE));
	if (supplier != NULL) {
		snprintf(id, sizeof(id), "0192:%s", supplier);
		json_object_set_new(c, "supplier", json_pack("{s:s,s:s}", "authority", "iso6523-actorid-upis", "ID", id));
	}
	snprintf(id, sizeof(id), "0192:%s", consumer);
	json_object_set_new(c, "consumer", json_pack("{s:s,s:s}", "authority", "iso6523-actorid-upis", "ID", id));
	if (supplier != NULL)
		json_object_set_new(c, "delegation_source", json_string("https://tt02.altinn.no/"));
	json_object_set_new(c, "iat", json_integer(iat));
	json_object_set_new(c, "exp", json_integer(exp));
	json_object_set_new(c, "jti", json_string("jti-0123456789"));
	return c;
}

/* Signs cl (stolen) with {"kid","alg"}. */
static char *
sign_alg(porten_key *key, const char *kid, enum porten_jws_alg alg, json_t *cl)
{
	json_t *hdr = json_pack("{s:s,s:s}", "kid", kid, "alg", porten_jws_alg_name(alg));
	char *tok = NULL;

	assert_int_equal(porten_jws_sign(alg, key, hdr, cl, &tok), 0);
	json_decref(hdr);
	json_decref(cl);
	return tok;
}

static char *
sign(porten_key *key, const char *kid, json_t *cl)
{
	return sign_alg(key, kid, PORTEN_JWS_RS256, cl);
}

static char *
good_token(porten_key *key, const char *kid)
{
	int64_t now = atomic_load(&fake_now);

	return sign(key, kid, claims(ISSUER, now, now + 120, "910753614", NULL));
}

/* A token with an arbitrary header object (stolen) over good claims and a fake signature. */
static char *
raw_token(json_t *hdr)
{
	json_t *cl = claims(ISSUER, T0, T0 + 120, "910753614", NULL);
	char *h = json_dumps(hdr, JSON_COMPACT), *p = json_dumps(cl, JSON_COMPACT);
	char *hb = NULL, *pb = NULL, *out;
	size_t n;

	assert_int_equal(porten_b64url_encode_alloc(h, strlen(h), &hb, &n), 0);
	assert_int_equal(porten_b64url_encode_alloc(p, strlen(p), &pb, &n), 0);
	out = malloc(strlen(hb) + strlen(pb) + 16);
	sprintf(out, "%s.%s.c2lnbmF0dXJl", hb, pb);
	free(h);
	free(p);
	free(hb);
	free(pb);
	json_decref(hdr);
	json_decref(cl);
	return out;
}

static enum porten_tokencheck_status
verify(porten_tokencheck *tc, const char *tok, struct porten_bearer *b)
{
	struct porten_bearer tmp;

	return porten_tokencheck_verify(tc, tok, strlen(tok), b ? b : &tmp);
}

static void
test_valid(void **state)
{
	porten_tokencheck *tc = new_tc(0);
	struct porten_tokencheck_stats st;
	struct porten_bearer b;
	char *tok = good_token(k1, "k1");

	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_OK);
	assert_string_equal(b.consumer_orgno, "910753614");
	assert_string_equal(b.supplier_orgno, "");
	assert_string_equal(b.client_id, "client-1");
	assert_string_equal(b.jti, "jti-0123456789");
	assert_string_equal(b.scope, "difitest:test2 " SCOPE);
	assert_int_equal(b.exp, T0 + 120);
	assert_int_equal(b.iat, T0);
	assert_false(b.from_cache);
	assert_string_equal(b.reason, "");
	assert_true(porten_bearer_has_scope(&b, SCOPE));
	assert_true(porten_bearer_has_scope(&b, "difitest:test2"));
	assert_false(porten_bearer_has_scope(&b, "folkeregister:deling/offentlig"));
	assert_false(porten_bearer_has_scope(&b, "difitest:test"));
	assert_false(porten_bearer_has_scope(&b, ""));
	porten_tokencheck_stats(tc, &st);
	assert_int_equal(st.verified, 1);
	assert_int_equal(st.jwks_fetches, 1);
	assert_int_equal(st.keys, 1);
	/* Discovery went to the base URL, and the jwks_uri under the issuer was rebased. */
	assert_int_equal(atomic_load(&md_fetches), 1);
	assert_int_equal(atomic_load(&jwk_fetches), 1);
	assert_int_equal(porten_tokencheck_http_status(PORTEN_TOKENCHECK_OK), 200);
	free(tok);
	porten_tokencheck_free(tc);
}

static void
test_delegated(void **state)
{
	porten_tokencheck *tc = new_tc(0);
	struct porten_bearer b;
	char *tok = sign(k1, "k1", claims(ISSUER, T0, T0 + 120, "910753614", "991825827"));

	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_OK);
	assert_string_equal(b.consumer_orgno, "910753614");
	assert_string_equal(b.supplier_orgno, "991825827");
	free(tok);
	porten_tokencheck_free(tc);
}

static void
test_expiry_boundary(void **state)
{
	porten_tokencheck *tc = new_tc(0);
	struct porten_bearer b;
	char *tok;

	/* exp <= now - 10 is expired (the authz side's rule); now - 9 still passes. */
	tok = sign(k1, "k1", claims(ISSUER, T0 - 130, T0 - 10, "910753614", NULL));
	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_EXPIRED);
	assert_string_equal(b.reason, "expired");
	assert_int_equal(porten_tokencheck_http_status(PORTEN_TOKENCHECK_EXPIRED), 401);
	free(tok);
	tok = sign(k1, "k1", claims(ISSUER, T0 - 129, T0 - 9, "910753614", NULL));
	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_OK);
	free(tok);
	/* iat: up to PORTEN_BEARER_IAT_AHEAD_S ahead is tolerated, one more is not. */
	tok = sign(k1, "k1", claims(ISSUER, T0 + PORTEN_BEARER_IAT_AHEAD_S, T0 + 180, "910753614", NULL));
	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_OK);
	free(tok);
	tok = sign(k1, "k1", claims(ISSUER, T0 + PORTEN_BEARER_IAT_AHEAD_S + 1, T0 + 181, "910753614", NULL));
	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	porten_tokencheck_free(tc);
}

static void
test_wrong_issuer(void **state)
{
	porten_tokencheck *tc = new_tc(0);
	static const char *bad[] = { "https://maskinporten.no/", "https://test.maskinporten.no",
	                             "https://test.maskinporten.no//", "HTTPS://test.maskinporten.no/" };
	char *tok;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tok = sign(k1, "k1", claims(bad[i], T0, T0 + 120, "910753614", NULL));
		assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_ISSUER);
		free(tok);
	}
	porten_tokencheck_free(tc);
}

static void
test_header_refused_without_network(void **state)
{
	porten_tokencheck *tc = new_tc(0);
	struct porten_tokencheck_stats st;
	struct porten_bearer b;
	char longkid[PORTEN_KID_MAX + 2];
	char *tok;

	tok = raw_token(json_pack("{s:s,s:s}", "alg", "none", "kid", "k1"));
	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_MALFORMED);
	assert_string_equal(b.reason, "alg not RS256");
	free(tok);
	tok = raw_token(json_pack("{s:s,s:s}", "alg", "HS256", "kid", "k1"));
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	tok = raw_token(json_pack("{s:s}", "alg", "RS256"));
	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_MALFORMED);
	assert_string_equal(b.reason, "kid missing or too long");
	free(tok);
	memset(longkid, 'k', sizeof(longkid) - 1);
	longkid[sizeof(longkid) - 1] = '\0';
	tok = raw_token(json_pack("{s:s,s:s}", "alg", "RS256", "kid", longkid));
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	tok = raw_token(json_pack("{s:s,s:s,s:[s]}", "alg", "RS256", "kid", "k1", "crit", "exp"));
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	tok = raw_token(json_pack("{s:i,s:s}", "alg", 256, "kid", "k1"));
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	/* RS384 with a published key and a valid signature: still refused, before any fetch. */
	tok = sign_alg(k1, "k1", PORTEN_JWS_RS384, claims(ISSUER, T0, T0 + 120, "910753614", NULL));
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	/* Shape. */
	assert_int_equal(verify(tc, "", NULL), PORTEN_TOKENCHECK_MALFORMED);
	assert_int_equal(verify(tc, "a.b", NULL), PORTEN_TOKENCHECK_MALFORMED);
	assert_int_equal(verify(tc, "a..c", NULL), PORTEN_TOKENCHECK_MALFORMED);
	assert_int_equal(verify(tc, "a.b.c.d", NULL), PORTEN_TOKENCHECK_MALFORMED);
	assert_int_equal(verify(tc, "e30.e30.e30", NULL), PORTEN_TOKENCHECK_MALFORMED);
	assert_int_equal(verify(tc, "a b.c.d", NULL), PORTEN_TOKENCHECK_MALFORMED);
	assert_int_equal(porten_tokencheck_verify(tc, NULL, 0, &b), PORTEN_TOKENCHECK_MALFORMED);

	porten_tokencheck_stats(tc, &st);
	assert_int_equal(st.jwks_fetches, 0);
	assert_int_equal(st.verified, 0);
	assert_int_equal(atomic_load(&md_fetches) + atomic_load(&jwk_fetches), 0);
	porten_tokencheck_free(tc);
}

static void
test_oversized(void **state)
{
	porten_tokencheck *tc = new_tc(0);
	struct porten_bearer b;
	char *tok = good_token(k1, "k1");
	char *big = malloc(PORTEN_BEARER_MAX + 2);
	size_t n = strlen(tok);

	/* A real token padded past the limit (the padding sits in the signature segment). */
	memset(big, 'A', PORTEN_BEARER_MAX + 1);
	memcpy(big, tok, n);
	big[PORTEN_BEARER_MAX + 1] = '\0';
	assert_int_equal(porten_tokencheck_verify(tc, big, PORTEN_BEARER_MAX + 1, &b), PORTEN_TOKENCHECK_MALFORMED);
	assert_string_equal(b.reason, "token too long");
	assert_int_equal(atomic_load(&md_fetches) + atomic_load(&jwk_fetches), 0);
	/* Not NUL-terminated: only len bytes are read. */
	memcpy(big, tok, n);
	big[n] = 'x';
	assert_int_equal(porten_tokencheck_verify(tc, big, n, &b), PORTEN_TOKENCHECK_OK);
	free(big);
	free(tok);
	porten_tokencheck_free(tc);
}

/* Replaces the payload segment of tok with the base64url of payload. */
static char *
swap_payload(const char *tok, const char *payload)
{
	const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
	char *pb = NULL, *out;
	size_t n;

	assert_int_equal(porten_b64url_encode_alloc(payload, strlen(payload), &pb, &n), 0);
	out = malloc(strlen(tok) + n + 4);
	sprintf(out, "%.*s.%s%s", (int)(d1 - tok), tok, pb, d2);
	free(pb);
	return out;
}

static void
test_tampered(void **state)
{
	porten_tokencheck *tc = new_tc(0);
	struct porten_bearer b;
	char *tok = good_token(k1, "k1"), *bad;
	json_t *cl = claims(ISSUER, T0, T0 + 120, "974761076", NULL);
	char *p = json_dumps(cl, JSON_COMPACT);
	size_t n = strlen(tok);

	bad = swap_payload(tok, p);
	assert_int_equal(verify(tc, bad, &b), PORTEN_TOKENCHECK_SIGNATURE);
	assert_string_equal(b.reason, "bad signature");
	assert_string_equal(b.consumer_orgno, "");
	free(bad);
	/* A flipped bit in the signature. */
	tok[n - 5] = tok[n - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_SIGNATURE);
	/* The right kid, another key. */
	free(tok);
	tok = good_token(k2, "k1");
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_SIGNATURE);
	free(tok);
	free(p);
	json_decref(cl);
	porten_tokencheck_free(tc);
}

static void
test_bad_claims(void **state)
{
	porten_tokencheck *tc = new_tc(0);
	struct porten_bearer b;
	json_t *cl;
	char *tok;

	cl = claims(ISSUER, T0, T0 + 120, "91075361", NULL);           /* 8 digits */
	tok = sign(k1, "k1", cl);
	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_MALFORMED);
	assert_string_equal(b.reason, "consumer.ID is not 0192:<orgno>");
	free(tok);
	cl = claims(ISSUER, T0, T0 + 120, "91075361x", NULL);
	tok = sign(k1, "k1", cl);
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	cl = claims(ISSUER, T0, T0 + 120, "910753614", "99182582");
	tok = sign(k1, "k1", cl);
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	cl = claims(ISSUER, T0, T0 + 120, "910753614", NULL);
	json_object_set_new(cl, "consumer", json_pack("{s:s,s:s}", "authority", "x", "ID", "9908:910753614"));
	tok = sign(k1, "k1", cl);
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	cl = claims(ISSUER, T0, T0 + 120, "910753614", NULL);
	json_object_del(cl, "consumer");
	tok = sign(k1, "k1", cl);
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	cl = claims(ISSUER, T0, T0 + 120, "910753614", NULL);
	json_object_set_new(cl, "scope", json_pack("[s]", SCOPE));
	tok = sign(k1, "k1", cl);
	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_MALFORMED);
	assert_string_equal(b.reason, "scope missing, not a string or too long");
	free(tok);
	cl = claims(ISSUER, T0, T0 + 120, "910753614", NULL);
	json_object_set_new(cl, "exp", json_string("1767225720"));
	tok = sign(k1, "k1", cl);
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	cl = claims(ISSUER, T0, T0 + 120, "910753614", NULL);
	json_object_set_new(cl, "token_type", json_string("DPoP"));
	tok = sign(k1, "k1", cl);
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	cl = claims(ISSUER, T0, T0 + 120, "910753614", NULL);
	json_object_set_new(cl, "nbf", json_integer(T0 + 60));
	tok = sign(k1, "k1", cl);
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_MALFORMED);
	free(tok);
	/* No aud, an array aud, a foreign aud: all accepted (Freg does not require one). */
	cl = claims(ISSUER, T0, T0 + 120, "910753614", NULL);
	json_object_del(cl, "aud");
	tok = sign(k1, "k1", cl);
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_OK);
	free(tok);
	cl = claims(ISSUER, T0, T0 + 120, "910753614", NULL);
	json_object_set_new(cl, "aud", json_pack("[s,s]", "https://a.example/", "https://b.example/"));
	tok = sign(k1, "k1", cl);
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_OK);
	free(tok);
	porten_tokencheck_free(tc);
}

static void
test_rotation_and_rate_limit(void **state)
{
	porten_tokencheck *tc = new_tc(0);
	struct porten_bearer b;
	char *t1 = good_token(k1, "k1"), *t2 = good_token(k2, "k2"), *t3 = good_token(k3, "k3");

	assert_int_equal(verify(tc, t1, NULL), PORTEN_TOKENCHECK_OK);
	assert_int_equal(atomic_load(&jwk_fetches), 1);

	/* k2 signs before it is published (past the rate-limit window): one refresh, refused. */
	atomic_store(&fake_now, T0 + PORTEN_JWKS_REFRESH_MIN_S);
	assert_int_equal(verify(tc, t2, &b), PORTEN_TOKENCHECK_SIGNATURE);
	assert_string_equal(b.reason, "kid unknown");
	assert_int_equal(atomic_load(&jwk_fetches), 2);

	/* Now published, but within the window: no fetch, still unknown. */
	publish("k1", k1, "k2", k2, NULL);
	atomic_store(&fake_now, T0 + PORTEN_JWKS_REFRESH_MIN_S + 5);
	assert_int_equal(verify(tc, t2, NULL), PORTEN_TOKENCHECK_SIGNATURE);
	assert_int_equal(verify(tc, t3, NULL), PORTEN_TOKENCHECK_SIGNATURE);
	assert_int_equal(atomic_load(&jwk_fetches), 2);

	/* After the window: one refresh, accepted. */
	atomic_store(&fake_now, T0 + 2 * PORTEN_JWKS_REFRESH_MIN_S);
	assert_int_equal(verify(tc, t2, NULL), PORTEN_TOKENCHECK_OK);
	assert_int_equal(atomic_load(&jwk_fetches), 3);
	/* Another unknown kid in the same window: no refetch. */
	atomic_store(&fake_now, T0 + 2 * PORTEN_JWKS_REFRESH_MIN_S + 1);
	assert_int_equal(verify(tc, t3, NULL), PORTEN_TOKENCHECK_SIGNATURE);
	assert_int_equal(atomic_load(&jwk_fetches), 3);
	/* Known kids keep working without fetches; k1 retired from the JWKS still verifies
	 * until the set is refreshed. */
	publish("k2", k2, NULL);
	assert_int_equal(verify(tc, t1, NULL), PORTEN_TOKENCHECK_OK);
	assert_int_equal(atomic_load(&jwk_fetches), 3);
	free(t1);
	free(t2);
	free(t3);
	porten_tokencheck_free(tc);
}

static void
test_max_age_refresh(void **state)
{
	porten_tokencheck *tc = new_tc(0);
	char *t1 = good_token(k1, "k1"), *t1b;

	assert_int_equal(verify(tc, t1, NULL), PORTEN_TOKENCHECK_OK);
	assert_int_equal(atomic_load(&jwk_fetches), 1);
	/* k1 withdrawn; once the set is older than the max age, the next token refreshes it. */
	publish("k2", k2, NULL);
	atomic_store(&fake_now, T0 + PORTEN_JWKS_MAX_AGE_S);
	t1b = good_token(k1, "k1");
	assert_int_equal(verify(tc, t1b, NULL), PORTEN_TOKENCHECK_SIGNATURE);
	assert_int_equal(atomic_load(&jwk_fetches), 2);
	free(t1);
	free(t1b);
	porten_tokencheck_free(tc);
}

static void
test_cache(void **state)
{
	porten_tokencheck *tc = new_tc(4);
	struct porten_tokencheck_stats st;
	struct porten_bearer b;
	char *tok = good_token(k1, "k1");

	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_OK);
	assert_false(b.from_cache);
	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_OK);
	assert_true(b.from_cache);
	assert_string_equal(b.consumer_orgno, "910753614");
	assert_string_equal(b.scope, "difitest:test2 " SCOPE);
	porten_tokencheck_stats(tc, &st);
	assert_int_equal(st.verified, 1);
	assert_int_equal(st.cache_hits, 1);
	assert_int_equal(st.cached, 1);
	/* Expiry applies to cached tokens at the same boundary. */
	atomic_store(&fake_now, T0 + 120 + PORTEN_CLOCK_SKEW_S - 1);
	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_OK);
	assert_true(b.from_cache);
	atomic_store(&fake_now, T0 + 120 + PORTEN_CLOCK_SKEW_S);
	assert_int_equal(verify(tc, tok, &b), PORTEN_TOKENCHECK_EXPIRED);
	porten_tokencheck_stats(tc, &st);
	assert_int_equal(st.verified, 1);
	assert_int_equal(st.cached, 0);
	free(tok);

	/* Bounded: ten distinct tokens in a cache of four. */
	atomic_store(&fake_now, T0);
	for (int i = 0; i < 10; i++) {
		json_t *cl = claims(ISSUER, T0, T0 + 120 + i, "910753614", NULL);

		tok = sign(k1, "k1", cl);
		assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_OK);
		free(tok);
	}
	porten_tokencheck_stats(tc, &st);
	assert_int_equal(st.cached, 4);
	/* A refused token is never cached. */
	tok = sign(k1, "k1", claims("https://evil.example/", T0, T0 + 120, "910753614", NULL));
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_ISSUER);
	assert_int_equal(verify(tc, tok, NULL), PORTEN_TOKENCHECK_ISSUER);
	porten_tokencheck_stats(tc, &st);
	assert_int_equal(st.verified, 13);
	free(tok);
	porten_tokencheck_free(tc);
}

static void
test_jwks_down(void **state)
{
	porten_tokencheck *tc = new_tc(0);
	struct porten_tokencheck_config cfg = { 0 };
	porten_tokencheck *dead = NULL;
	struct porten_bearer b;
	char *t1 = good_token(k1, "k1"), *t2 = good_token(k2, "k2");

	atomic_store(&down, 1);
	assert_int_equal(verify(tc, t1, &b), PORTEN_TOKENCHECK_UNAVAILABLE);
	assert_string_equal(b.reason, "issuer keys unavailable");
	assert_int_equal(porten_tokencheck_http_status(PORTEN_TOKENCHECK_UNAVAILABLE), 503);
	/* Within the window nothing is fetched, and the answer stays the same. */
	atomic_store(&down, 0);
	assert_int_equal(verify(tc, t1, NULL), PORTEN_TOKENCHECK_UNAVAILABLE);
	assert_int_equal(atomic_load(&md_fetches), 1);
	/* Back up after the window. */
	atomic_store(&fake_now, T0 + PORTEN_JWKS_REFRESH_MIN_S);
	assert_int_equal(verify(tc, t1, NULL), PORTEN_TOKENCHECK_OK);
	/* Down again: known kids keep verifying; an unknown one is "unavailable", not
	 * "bad signature", because we could not ask. */
	atomic_store(&down, 1);
	atomic_store(&fake_now, T0 + 2 * PORTEN_JWKS_REFRESH_MIN_S);
	assert_int_equal(verify(tc, t2, NULL), PORTEN_TOKENCHECK_UNAVAILABLE);
	free(t1);
	t1 = sign(k1, "k1", claims(ISSUER, T0 + 20, T0 + 140, "910753614", NULL));
	assert_int_equal(verify(tc, t1, NULL), PORTEN_TOKENCHECK_OK);
	porten_tokencheck_free(tc);

	/* Metadata naming another issuer: the keys are not trusted. */
	atomic_store(&down, 0);
	atomic_store(&wrong_issuer, 1);
	tc = new_tc(0);
	assert_int_equal(verify(tc, t1, NULL), PORTEN_TOKENCHECK_UNAVAILABLE);
	porten_tokencheck_free(tc);
	atomic_store(&wrong_issuer, 0);

	/* A JWKS with nothing usable (an RS384 key, a key without kid). */
	publish_json(json_pack("{s:[{s:s,s:s,s:s},{s:s}]}", "keys", "kty", "RSA", "kid", "x", "alg", "RS384",
	                       "kty", "RSA"));
	tc = new_tc(0);
	assert_int_equal(verify(tc, t1, NULL), PORTEN_TOKENCHECK_UNAVAILABLE);
	porten_tokencheck_free(tc);

	/* Nobody listening at all. */
	cfg.issuer = ISSUER;
	cfg.base_url = "http://127.0.0.1:1/";
	cfg.now = clock_fn;
	assert_int_equal(porten_tokencheck_new(&cfg, &dead), 0);
	assert_int_equal(verify(dead, t1, NULL), PORTEN_TOKENCHECK_UNAVAILABLE);
	porten_tokencheck_free(dead);
	free(t1);
	free(t2);
}

struct worker {
	porten_tokencheck *tc;
	pthread_barrier_t *start;
	char *tok[4];
	int ok;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct porten_bearer b;

	pthread_barrier_wait(w->start);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 4; i++)
			if (porten_tokencheck_verify(w->tc, w->tok[i], strlen(w->tok[i]), &b) == PORTEN_TOKENCHECK_OK &&
			    strcmp(b.consumer_orgno, "910753614") == 0)
				w->ok++;
	return NULL;
}

static void
test_threads_during_rotation(void **state)
{
	porten_tokencheck *tc = new_tc(0);
	struct porten_tokencheck_stats st;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	pthread_barrier_t start;
	char *t1 = good_token(k1, "k1");

	assert_int_equal(verify(tc, t1, NULL), PORTEN_TOKENCHECK_OK);   /* k1 loaded */
	free(t1);
	assert_int_equal(atomic_load(&jwk_fetches), 1);
	/* The issuer rotates to k2; the refresh is slow, so every thread arrives during it. */
	publish("k1", k1, "k2", k2, NULL);
	atomic_store(&jwk_delay_ms, 300);
	atomic_store(&fake_now, T0 + PORTEN_JWKS_REFRESH_MIN_S);
	pthread_barrier_init(&start, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].tc = tc;
		w[i].start = &start;
		for (int j = 0; j < 4; j++) {
			json_t *cl = claims(ISSUER, T0, T0 + 100 + i * 4 + j, "910753614", NULL);

			w[i].tok[j] = j % 2 ? sign(k1, "k1", cl) : sign(k2, "k2", cl);
		}
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].ok, 12);
		for (int j = 0; j < 4; j++)
			free(w[i].tok[j]);
	}
	pthread_barrier_destroy(&start);
	/* One refresh for everyone, each token verified once, the rest from the cache. */
	assert_int_equal(atomic_load(&jwk_fetches), 2);
	porten_tokencheck_stats(tc, &st);
	assert_int_equal(st.jwks_fetches, 2);
	assert_int_equal(st.keys, 2);
	assert_true(st.verified >= 1 + NTHREADS * 4);
	assert_true(st.verified + st.cache_hits == 1 + NTHREADS * 12);
	assert_true(st.cache_hits >= NTHREADS * 8);
	porten_tokencheck_free(tc);
}

/* End to end with porten's own issuance: a memory: store seeded with a scope, access and
 * a client holding a registered key; a grant signed with that key; porten_authz_token();
 * the server's JWKS published here. The token it issues must verify. */
static void
test_authz_issued_token(void **state)
{
	struct porten_authz_config acfg;
	struct porten_client_credentials cr;
	struct porten_grant_params gp;
	struct porten_token_result res;
	porten_store *store = NULL;
	porten_authz *az = NULL;
	porten_key *ck = NULL;
	porten_tokencheck *tc;
	struct porten_bearer b;
	json_t *seed, *jwk = NULL;
	char dir[] = "/tmp/porten-tokencheck-XXXXXX", keys[sizeof(dir) + 8], err[1024];
	char cmd[sizeof(dir) + 16], *grant = NULL;
	const char *at;

	porten_clock_pin(T0);
	assert_non_null(mkdtemp(dir));
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	assert_int_equal(porten_store_open("memory:", &store), 0);
	assert_int_equal(porten_key_generate_rsa(2048, &ck), 0);
	assert_int_equal(porten_key_to_jwk(ck, "client-key-1", &jwk), 0);
	json_object_set_new(jwk, "use", json_string("sig"));
	json_object_set_new(jwk, "alg", json_string("RS256"));
	seed = json_pack("{s:[{s:s,s:s,s:s,s:s}], s:[{s:s,s:s}], s:[{s:s,s:s,s:[s],s:{s:[o]}}]}",
	                 "scopes", "prefix", "folkeregister", "subscope", "deling/offentligmedhjemmel",
	                 "description", "OMH", "owner_orgno", "974761076",
	                 "access", "scope", SCOPE, "consumer_orgno", "991825827",
	                 "clients", "client_id", "freg-consumer", "client_orgno", "991825827",
	                 "scopes", SCOPE, "jwks", "keys", jwk);
	assert_non_null(seed);
	if (porten_authz_seed_load(store, seed, T0, err, sizeof(err), NULL) != 0)
		fail_msg("seed: %s", err);
	json_decref(seed);
	memset(&acfg, 0, sizeof(acfg));
	acfg.issuer = ISSUER;
	acfg.key_dir = keys;
	acfg.store = store;
	assert_int_equal(porten_authz_new(&acfg, &az), 0);
	publish_json(porten_authz_jwks(az));

	memset(&cr, 0, sizeof(cr));
	cr.client_id = "freg-consumer";
	cr.key = ck;
	cr.kid = "client-key-1";
	memset(&gp, 0, sizeof(gp));
	gp.audience = ISSUER;
	gp.scope = SCOPE;
	gp.now = T0;
	assert_int_equal(porten_grant_build(&cr, &gp, &grant), 0);
	memset(&res, 0, sizeof(res));
	porten_authz_token(az, grant, strlen(grant), &res);
	if (res.error != AZ_OK)
		fail_msg("token: %s %s", res.detail, res.reason);
	at = json_string_value(json_object_get(res.response, "access_token"));
	assert_non_null(at);

	tc = new_tc(0);
	assert_int_equal(verify(tc, at, &b), PORTEN_TOKENCHECK_OK);
	assert_string_equal(b.consumer_orgno, "991825827");
	assert_string_equal(b.supplier_orgno, "");
	assert_string_equal(b.client_id, "freg-consumer");
	assert_true(porten_bearer_has_scope(&b, SCOPE));
	assert_int_equal(b.exp, T0 + PORTEN_TOKEN_LIFETIME_DEFAULT);
	assert_int_equal(strlen(b.jti), 43);
	porten_tokencheck_free(tc);

	porten_token_result_clear(&res);
	free(grant);
	porten_key_unref(ck);
	porten_authz_free(az);
	porten_store_close(store);
	porten_clock_pin(0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_header_helper(void **state)
{
	const char *t;
	size_t n;

	assert_int_equal(porten_bearer_from_header("Bearer abc.def.ghi", &t, &n), 0);
	assert_int_equal(n, 11);
	assert_memory_equal(t, "abc.def.ghi", 11);
	assert_int_equal(porten_bearer_from_header("bearer   a-b_c.d~e+f/g==", &t, &n), 0);
	assert_int_equal(n, 15);
	assert_int_not_equal(porten_bearer_from_header(NULL, &t, &n), 0);
	assert_int_not_equal(porten_bearer_from_header("Bearer", &t, &n), 0);
	assert_int_not_equal(porten_bearer_from_header("Bearer ", &t, &n), 0);
	assert_int_not_equal(porten_bearer_from_header("Basic abc", &t, &n), 0);
	assert_int_not_equal(porten_bearer_from_header("Bearerabc", &t, &n), 0);
	assert_int_not_equal(porten_bearer_from_header("Bearer a b", &t, &n), 0);
	assert_int_not_equal(porten_bearer_from_header("Bearer a=b", &t, &n), 0);
	assert_int_not_equal(porten_bearer_from_header("Bearer a\tb", &t, &n), 0);
	assert_null(t);
	assert_string_equal(porten_tokencheck_status_name(PORTEN_TOKENCHECK_SIGNATURE), "bad signature");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_valid, reset),
		cmocka_unit_test_setup(test_delegated, reset),
		cmocka_unit_test_setup(test_expiry_boundary, reset),
		cmocka_unit_test_setup(test_wrong_issuer, reset),
		cmocka_unit_test_setup(test_header_refused_without_network, reset),
		cmocka_unit_test_setup(test_oversized, reset),
		cmocka_unit_test_setup(test_tampered, reset),
		cmocka_unit_test_setup(test_bad_claims, reset),
		cmocka_unit_test_setup(test_rotation_and_rate_limit, reset),
		cmocka_unit_test_setup(test_max_age_refresh, reset),
		cmocka_unit_test_setup(test_cache, reset),
		cmocka_unit_test_setup(test_jwks_down, reset),
		cmocka_unit_test_setup(test_threads_during_rotation, reset),
		cmocka_unit_test_setup(test_authz_issued_token, reset),
		cmocka_unit_test(test_header_helper),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
