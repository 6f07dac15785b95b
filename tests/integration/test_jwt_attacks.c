/* Hostile grants and requests against POST /token: every one is refused with a 4xx and a
 * well-formed error body, never a 5xx, and the server keeps serving. Exact errors:
 *   malformed JWT / forbidden header parameter / claim type  -> 400 invalid_request MP-011
 *   alg outside RS256/384/512                                  -> 400 invalid_grant
 *   HTTP/form problems                                         -> 400 invalid_request, 413 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "porten/jws.h"
#include "porten/key.h"

#define ORG_A "974761076"
#define ORG_B "910753614"
#define ORG_PROVIDER "991825827"
#define X5C_CLIENT "atk-x5c"
#define KID_CLIENT "atk-kid"
#define SCOPE "atk:api"

#define TXT_MP011 "Invalid assertion. Invalid parameter value"
#define TXT_ALG "Invalid assertion."

static struct h_server *srv;
static struct h_cert *cert_a, *cert_b;
static struct h_key *key_b, *attacker;
static json_t *attack_seed;

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };
	json_t *seed;

	h_init();
	cert_a = h_issue("a", ORG_A, "valid");
	cert_b = h_issue("b", ORG_B, "valid");
	key_b = h_key_new("atk-kid-1");
	attacker = h_key_new("attacker");
	seed = h_seed_new();
	h_seed_scope(seed, SCOPE, ORG_PROVIDER, json_pack("{s:b}", "accessible_for_all", 1));
	h_seed_client(seed, X5C_CLIENT, ORG_A, SCOPE, NULL);
	h_seed_client(seed, KID_CLIENT, ORG_B, SCOPE,
	              json_pack("{s:{s:[o]}}", "jwks", "keys", h_key_jwk(key_b, "RS256", h_T - 86400)));
	o.seed = seed;
	attack_seed = seed;
	srv = h_server_start(&o);
	return 0;
}

static int
group_teardown(void **state)
{
	h_server_stop(srv);
	h_cleanup();
	return 0;
}

static const char *
payload(void)
{
	return h_dump(h_claims(X5C_CLIENT, SCOPE));
}

static const char *
x5c_hdr(const char *alg)
{
	return h_dump(h_keep_json(json_pack("{s:s,s:O}", "alg", alg, "x5c", cert_a->x5c_leaf)));
}

static const char *
x5c_text(void)
{
	return h_dump(cert_a->x5c_leaf);
}

#define EXPECT_MP011(jwt) h_token_err(srv, (jwt), 400, "invalid_request", "MP-011", TXT_MP011)
#define EXPECT_ALG(jwt) h_token_err(srv, (jwt), 400, "invalid_grant", NULL, TXT_ALG)

/* ---- algorithm confusion ---- */

/* alg none, unsecured form and with a stolen signature: refused, never a token. */
static void
alg_none(void **state)
{
	const char *good = h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE));
	const char *sig = strrchr(good, '.') + 1;
	const char *hb = x5c_hdr("none"), *pb = payload();

	h_expect_refused(srv, h_post_token(srv, h_jws_raw("none", NULL, NULL, 0, hb, pb)));
	EXPECT_ALG(h_strf("%s.%s.%s", h_b64url(hb, strlen(hb)), h_b64url(pb, strlen(pb)), sig));
	EXPECT_ALG(h_jws_raw("RS256", cert_a->evp, NULL, 0, x5c_hdr("None"), payload()));
	EXPECT_ALG(h_jws_raw("RS256", cert_a->evp, NULL, 0, x5c_hdr("NONE"), payload()));
}

static const char *
pub_pem(const porten_key *k)
{
	char *pem = NULL;

	assert_int_equal(porten_key_public_pem(k, &pem), 0);
	return h_keep(pem);
}

/* HS256 keyed with the client's certificate public key (PEM, certificate PEM, DER). */
static void
hs256_with_client_public_key(void **state)
{
	const char *pk = pub_pem(cert_a->key);
	size_t clen;
	const char *certpem = h_read_file(cert_a->pem, &clen);
	const char *leaf = json_string_value(json_array_get(cert_a->x5c_leaf, 0));

	EXPECT_ALG(h_jws_raw("HS256", NULL, pk, strlen(pk), x5c_hdr("HS256"), payload()));
	EXPECT_ALG(h_jws_raw("HS256", NULL, certpem, clen, x5c_hdr("HS256"), payload()));
	EXPECT_ALG(h_jws_raw("HS256", NULL, leaf, strlen(leaf), x5c_hdr("HS256"), payload()));
	/* registered-key client: HMAC keyed with its registered public key */
	pk = pub_pem(key_b->key);
	EXPECT_ALG(h_jws_raw("HS256", NULL, pk, strlen(pk), h_strf("{\"alg\":\"HS256\",\"kid\":\"%s\"}", key_b->kid),
	                     h_dump(h_claims(KID_CLIENT, SCOPE))));
	{
		json_t *jwk = h_keep_json(h_key_jwk(key_b, "RS256", h_T));
		const char *jt = h_dump(jwk);

		EXPECT_ALG(h_jws_raw("HS256", NULL, jt, strlen(jt), h_strf("{\"alg\":\"HS256\",\"kid\":\"%s\"}", key_b->kid),
		                     h_dump(h_claims(KID_CLIENT, SCOPE))));
	}
}

/* HS256 keyed with the server's own published key, kid = the server's kid. */
static void
hs256_with_server_public_key(void **state)
{
	json_t *k = json_array_get(json_object_get(h_get(srv, "/jwk")->json, "keys"), 0);
	const char *kid = H_JSTR(k, "kid"), *pem, *n = H_JSTR(k, "n");
	porten_key *sk = NULL;

	assert_int_equal(porten_key_from_jwk(k, &sk), 0);
	pem = h_strf("%s", pub_pem(sk));
	porten_key_unref(sk);
	EXPECT_ALG(h_jws_raw("HS256", NULL, pem, strlen(pem), h_strf("{\"alg\":\"HS256\",\"kid\":\"%s\"}", kid),
	                     h_dump(h_claims(KID_CLIENT, SCOPE))));
	EXPECT_ALG(h_jws_raw("HS256", NULL, n, strlen(n), h_strf("{\"alg\":\"HS256\",\"kid\":\"%s\"}", kid),
	                     h_dump(h_claims(KID_CLIENT, SCOPE))));
	EXPECT_ALG(h_jws_raw("HS256", NULL, pem, strlen(pem), x5c_hdr("HS256"), payload()));
}

/* ---- key injection through the header ---- */

/* jwk in the header: the attacker's key must never be used. */
static void
injected_jwk(void **state)
{
	json_t *ajwk = NULL, *h;

	assert_int_equal(porten_key_to_jwk(attacker->key, NULL, &ajwk), 0);
	h_keep_json(ajwk);
	/* attacker key only, claiming to be a real client */
	h = h_keep_json(json_pack("{s:s,s:O}", "alg", "RS256", "jwk", ajwk));
	EXPECT_MP011(h_sign_hdr(attacker->key, "RS256", h, h_claims(X5C_CLIENT, SCOPE)));
	/* with a real client's kid */
	h = h_keep_json(json_pack("{s:s,s:s,s:O}", "alg", "RS256", "kid", key_b->kid, "jwk", ajwk));
	EXPECT_MP011(h_sign_hdr(attacker->key, "RS256", h, h_claims(KID_CLIENT, SCOPE)));
	/* with a valid x5c, signed by the certificate: still refused */
	h = h_keep_json(json_pack("{s:s,s:O,s:O}", "alg", "RS256", "x5c", cert_a->x5c_leaf, "jwk", ajwk));
	EXPECT_MP011(h_sign_hdr(cert_a->key, "RS256", h, h_claims(X5C_CLIENT, SCOPE)));
}

/* jku / x5u pointing elsewhere: refused without fetching anything. */
static void
injected_jku_x5u(void **state)
{
	json_t *h;

	h = h_keep_json(json_pack("{s:s,s:s,s:s}", "alg", "RS256", "jku", "http://127.0.0.1:9/jwks.json", "kid",
	                          "attacker"));
	EXPECT_MP011(h_sign_hdr(attacker->key, "RS256", h, h_claims(KID_CLIENT, SCOPE)));
	h = h_keep_json(json_pack("{s:s,s:s,s:s}", "alg", "RS256", "jku", "http://127.0.0.1:9/jwks.json", "kid",
	                          key_b->kid));
	EXPECT_MP011(h_sign_hdr(key_b->key, "RS256", h, h_claims(KID_CLIENT, SCOPE)));
	h = h_keep_json(json_pack("{s:s,s:s}", "alg", "RS256", "x5u", "http://127.0.0.1:9/cert.pem"));
	EXPECT_MP011(h_sign_hdr(attacker->key, "RS256", h, h_claims(X5C_CLIENT, SCOPE)));
	h = h_keep_json(json_pack("{s:s,s:s,s:O}", "alg", "RS256", "x5u", "http://127.0.0.1:9/c.pem", "x5c",
	                          cert_a->x5c_leaf));
	EXPECT_MP011(h_sign_hdr(cert_a->key, "RS256", h, h_claims(X5C_CLIENT, SCOPE)));
}

/* crit: we understand no extensions, so any crit is refused (RFC 7515 4.1.11). */
static void
crit_header(void **state)
{
	json_t *h;

	h = h_keep_json(json_pack("{s:s,s:O,s:[s]}", "alg", "RS256", "x5c", cert_a->x5c_leaf, "crit", "exp"));
	EXPECT_MP011(h_sign_hdr(cert_a->key, "RS256", h, h_claims(X5C_CLIENT, SCOPE)));
	h = h_keep_json(json_pack("{s:s,s:O,s:[s],s:b}", "alg", "RS256", "x5c", cert_a->x5c_leaf, "crit", "b64",
	                          "b64", 0));
	EXPECT_MP011(h_sign_hdr(cert_a->key, "RS256", h, h_claims(X5C_CLIENT, SCOPE)));
	h = h_keep_json(json_pack("{s:s,s:O,s:[]}", "alg", "RS256", "x5c", cert_a->x5c_leaf, "crit"));
	EXPECT_MP011(h_sign_hdr(cert_a->key, "RS256", h, h_claims(X5C_CLIENT, SCOPE)));
}

/* ---- JSON and encoding ---- */

/* Duplicate member names in the header. */
static void
duplicate_keys_in_header(void **state)
{
	const char *x = x5c_text();

	EXPECT_MP011(h_jws_raw("RS256", cert_a->evp, NULL, 0, h_strf("{\"alg\":\"none\",\"alg\":\"RS256\",\"x5c\":%s}", x),
	                       payload()));
	EXPECT_MP011(h_jws_raw("RS256", cert_a->evp, NULL, 0, h_strf("{\"alg\":\"RS256\",\"x5c\":%s,\"alg\":\"RS256\"}", x),
	                       payload()));
	EXPECT_MP011(h_jws_raw("RS256", cert_a->evp, NULL, 0,
	                       h_strf("{\"alg\":\"RS256\",\"x5c\":%s,\"x5c\":[\"AAAA\"]}", x), payload()));
	EXPECT_MP011(h_jws_raw("RS256", key_b->evp, NULL, 0,
	                       h_strf("{\"alg\":\"RS256\",\"kid\":\"nope\",\"kid\":\"%s\"}", key_b->kid),
	                       h_dump(h_claims(KID_CLIENT, SCOPE))));
}

/* Duplicate member names in the payload, properly signed. */
static void
duplicate_keys_in_payload(void **state)
{
	const char *p = payload();
	const char *dup_iss = h_strf("{\"iss\":\"someone-else\",%s", p + 1);
	const char *dup_aud = h_strf("{\"aud\":\"https://maskinporten.no/\",%s", p + 1);
	const char *dup_scope = h_strf("{\"scope\":\"atk:other\",%s", p + 1);

	EXPECT_MP011(h_jws_raw("RS256", cert_a->evp, NULL, 0, x5c_hdr("RS256"), dup_iss));
	EXPECT_MP011(h_jws_raw("RS256", cert_a->evp, NULL, 0, x5c_hdr("RS256"), dup_aud));
	EXPECT_MP011(h_jws_raw("RS256", cert_a->evp, NULL, 0, x5c_hdr("RS256"), dup_scope));
}

/* base64url violations: padding, standard alphabet, impossible lengths, stray bits, spaces. */
static void
bad_base64url(void **state)
{
	const char *good = h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE));
	const char *d1 = strchr(good, '.'), *d2 = strrchr(good, '.');
	const char *hb = h_strf("%.*s", (int)(d1 - good), good);
	const char *pb = h_strf("%.*s", (int)(d2 - d1 - 1), d1 + 1);
	const char *sb = d2 + 1;
	const char *p = payload();

	EXPECT_MP011(h_strf("%s=.%s.%s", hb, pb, sb));                          /* padding */
	EXPECT_MP011(h_strf("%s.%s==.%s", hb, pb, sb));
	EXPECT_MP011(h_strf("%s.%s.%s=", hb, pb, sb));
	EXPECT_MP011(h_strf("%s.%s+.%s", hb, pb, sb));                          /* std alphabet */
	EXPECT_MP011(h_strf("%s.%s/x.%s", hb, pb, sb));
	{
		/* a header segment whose length is 1 mod 4 (no byte string encodes to that) */
		char *h1 = h_strf("%s", hb);

		while (strlen(h1) % 4 != 1)
			h1 = h_strf("%sA", h1);
		EXPECT_MP011(h_strf("%s.%s.%s", h1, pb, sb));
	}
	/* A signature segment that is not valid base64url is malformed (MP-011); refusing it as
	 * a failed signature (MP-124) is acceptable too. */
	{
		struct h_resp *r = h_post_token(srv, h_strf("%s.%s.%s", hb, pb, "A"));
		const char *uri = json_string_value(json_object_get(r->json, "error_uri"));

		if (uri && strstr(uri, "MP-124"))
			h_expect_error(srv, r, 400, "invalid_grant", "MP-124", "Invalid JWT signature");
		else
			h_expect_error(srv, r, 400, "invalid_request", "MP-011", TXT_MP011);
	}
	EXPECT_MP011(h_strf("%s.%s.%s", hb, pb, "AB*D"));
	EXPECT_MP011(h_strf("%s.%s .%s", hb, pb, sb));                          /* whitespace */
	EXPECT_MP011(h_strf("%s.%s\n.%s", hb, pb, sb));
	EXPECT_MP011(h_strf(" %s", good));
	EXPECT_MP011(h_strf("%s ", good));
	/* "e30" is "{}"; "e31" decodes to the same bytes only if the non-zero unused bits are
	 * ignored (strict base64url refuses it) */
	EXPECT_MP011(h_jws_raw_b64("RS256", cert_a->evp, NULL, 0, "e31", h_b64url(p, strlen(p))));
	EXPECT_MP011(h_jws_raw_b64("RS256", cert_a->evp, NULL, 0, "eyJ9", h_b64url(p, strlen(p))));   /* {"} */
}

/* Wrong number of segments, empty segments, JWE shape, JWS JSON serialisation. */
static void
segments(void **state)
{
	const char *good = h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE));
	const char *d1 = strchr(good, '.'), *d2 = strrchr(good, '.');
	const char *two = h_strf("%.*s", (int)(d2 - good), good);

	EXPECT_MP011(h_strf("%s.%s", good, "AAAA"));                           /* 4 segments */
	EXPECT_MP011(h_strf("%s.AAAA.AAAA", good));                            /* 5: JWE shape */
	EXPECT_MP011(two);                                                     /* 2 segments */
	EXPECT_MP011(h_strf("%s.", two));                                      /* empty signature */
	EXPECT_MP011(h_strf("%.*s..%s", (int)(d1 - good), good, d2 + 1));     /* empty payload */
	EXPECT_MP011(h_strf(".%s", d1 + 1));                                   /* empty header */
	EXPECT_MP011("..");
	EXPECT_MP011(".");
	EXPECT_MP011("not-a-jwt");
	EXPECT_MP011(h_strf("{\"protected\":\"%.*s\",\"payload\":\"x\",\"signature\":\"%s\"}", (int)(d1 - good), good,
	                    d2 + 1));
}

/* Header / payload that are not JSON objects, or absurdly nested. */
static void
not_json_objects(void **state)
{
	static const char *const bad[] = { "not json", "[]", "null", "\"RS256\"", "42", "{\"alg\":\"RS256\"",
	                                   "{\"alg\":\"RS256\"} trailing" };
	char deep[512];
	size_t i, n = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_MP011(h_jws_raw("RS256", cert_a->evp, NULL, 0, bad[i], payload()));
		EXPECT_MP011(h_jws_raw("RS256", cert_a->evp, NULL, 0, x5c_hdr("RS256"), bad[i]));
	}
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"iss\":\"%s\",\"sub\":", X5C_CLIENT);
	for (i = 0; i < 100; i++)
		deep[n++] = '[';
	for (i = 0; i < 100; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = '\0';
	EXPECT_MP011(h_jws_raw("RS256", cert_a->evp, NULL, 0, x5c_hdr("RS256"), deep));
}

/* Claim values of the wrong type or out of range. */
static void
hostile_claim_values(void **state)
{
	json_t *c;

	/* iss with an embedded NUL (\u0000) */
	h_expect_refused(srv, h_post_token(srv, h_jws_raw("RS256", cert_a->evp, NULL, 0, x5c_hdr("RS256"),
	                                                  h_strf("{\"iss\":\"%s\\u0000x\",\"aud\":\"%s\",\"scope\":\"%s\","
	                                                         "\"iat\":%lld,\"exp\":%lld}",
	                                                         X5C_CLIENT, H_ISSUER, SCOPE, (long long)h_T,
	                                                         (long long)h_T + 60))));
	/* scope not a string */
	c = h_claims(X5C_CLIENT, NULL);
	json_object_set_new(c, "scope", json_pack("[s]", SCOPE));
	EXPECT_MP011(h_sign_x5c(cert_a, "RS256", c));
	/* iat far beyond any date */
	c = h_claims(X5C_CLIENT, SCOPE);
	json_object_set_new(c, "iat", json_real(1e300));
	EXPECT_MP011(h_sign_x5c(cert_a, "RS256", c));
	/* 40 scopes */
	{
		char *many = h_strf("%s", SCOPE);

		for (int i = 0; i < 40; i++)
			many = h_strf("%s atk:s%d", many, i);
		EXPECT_MP011(h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, many)));
	}
	/* overlong jti */
	c = h_claims(X5C_CLIENT, SCOPE);
	{
		char big[400];

		memset(big, 'j', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		json_object_set_new(c, "jti", json_string(big));
	}
	EXPECT_MP011(h_sign_x5c(cert_a, "RS256", c));
	/* kid of the wrong type / absurd length / path-like */
	EXPECT_MP011(h_jws_raw("RS256", key_b->evp, NULL, 0, "{\"alg\":\"RS256\",\"kid\":42}",
	                       h_dump(h_claims(KID_CLIENT, SCOPE))));
	{
		char kid[300];

		memset(kid, 'k', sizeof(kid) - 1);
		kid[sizeof(kid) - 1] = '\0';
		EXPECT_MP011(h_jws_raw("RS256", key_b->evp, NULL, 0, h_strf("{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid),
		                       h_dump(h_claims(KID_CLIENT, SCOPE))));
	}
	h_token_err(srv, h_jws_raw("RS256", key_b->evp, NULL, 0, "{\"alg\":\"RS256\",\"kid\":\"../../keys/atk-kid-1\"}",
	                           h_dump(h_claims(KID_CLIENT, SCOPE))),
	            400, "invalid_grant", NULL,
	            "Invalid assertion. Client authentication failed. Unknown key identifier (kid) for client");
	/* iss that looks like SQL */
	h_token_err(srv, h_sign_x5c(cert_a, "RS256", h_claims("' OR '1'='1", SCOPE)), 400, "invalid_grant", "MP-100",
	            "Invalid assertion. Client authentication failed.");
	/* x5c with more certificates than any real chain */
	{
		json_t *six = h_keep_json(json_array());

		for (int i = 0; i < 6; i++)
			json_array_append(six, json_array_get(cert_a->x5c_chain, i % 2));
		h_token_err(srv, h_sign_hdr(cert_a->key, "RS256", h_keep_json(json_pack("{s:s,s:O}", "alg", "RS256", "x5c", six)),
		                            h_claims(X5C_CLIENT, SCOPE)),
		            400, "invalid_grant", "MP-123", "Invalid JWT header x5c");
	}
}

/* NumericDates at the ends of the integer range must not wrap around (a naive exp - iat
 * overflows). porten bounds NumericDates to 0 .. 253402300799 (year 9999) before any
 * arithmetic, so such values are malformed claims: 400 invalid_request MP-011 naming the
 * claim, never a token and never a crash. Runs on its own server so that a crash cannot
 * take the other tests down. */
static void
extreme_numeric_dates(void **state)
{
	struct h_server_opts o = { 0 };
	struct h_server *s;
	json_t *c;

	o.seed = attack_seed;
	s = h_server_start(&o);

	c = h_claims(X5C_CLIENT, SCOPE);
	json_object_set_new(c, "iat", json_integer(INT64_MIN));
	json_object_set_new(c, "exp", json_integer(INT64_MIN + 60));
	h_token_err(s, h_sign_x5c(cert_a, "RS256", c), 400, "invalid_request", "MP-011",
	            "Invalid assertion. Invalid parameter value. Invalid JWT claim iat");

	c = h_claims(X5C_CLIENT, SCOPE);
	json_object_set_new(c, "nbf", json_integer(INT64_MAX));
	h_token_err(s, h_sign_x5c(cert_a, "RS256", c), 400, "invalid_request", "MP-011",
	            "Invalid assertion. Invalid parameter value. Invalid JWT claim nbf");

	c = h_claims(X5C_CLIENT, SCOPE);
	json_object_set_new(c, "exp", json_integer(INT64_MAX));
	h_token_err(s, h_sign_x5c(cert_a, "RS256", c), 400, "invalid_request", "MP-011",
	            "Invalid assertion. Invalid parameter value. Invalid JWT claim exp");

	c = h_claims(X5C_CLIENT, SCOPE);
	json_object_set_new(c, "iat", json_integer(INT64_MIN));
	json_object_set_new(c, "exp", json_integer(INT64_MAX));
	h_token_err(s, h_sign_x5c(cert_a, "RS256", c), 400, "invalid_request", "MP-011",
	            "Invalid assertion. Invalid parameter value. Invalid JWT claim iat");

	c = h_claims(X5C_CLIENT, SCOPE);
	json_object_set_new(c, "iat", json_integer(-1000));
	json_object_set_new(c, "exp", json_integer(INT64_MAX - 500));
	h_token_err(s, h_sign_x5c(cert_a, "RS256", c), 400, "invalid_request", "MP-011",
	            "Invalid assertion. Invalid parameter value. Invalid JWT claim iat");

	/* In range but far apart: the lifetime rule, not arithmetic, refuses it. */
	c = h_claims(X5C_CLIENT, SCOPE);
	json_object_set_new(c, "exp", json_integer(253402300799LL));
	h_token_err(s, h_sign_x5c(cert_a, "RS256", c), 400, "invalid_grant", NULL,
	            "Invalid assertion. The JWT lifetime (exp - iat)");

	h_token_ok(s, h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE)));
	h_server_stop(s);
}

/* ---- sizes ---- */

/* A grant over 48 KiB (inside a body under 64 KiB) -> 400 MP-011. */
static void
oversized_grant(void **state)
{
	json_t *c = h_claims(X5C_CLIENT, SCOPE);
	char *big = h_keep(malloc(37001));
	const char *jwt, *body;

	memset(big, 'x', 37000);
	big[37000] = '\0';
	json_object_set_new(c, "jti", json_string(big));
	jwt = h_sign_x5c(cert_a, "RS256", c);
	assert_true(strlen(jwt) > 48 * 1024);
	body = h_strf("grant_type=%s&assertion=%s", h_urlenc(H_GRANT_TYPE), jwt);
	assert_true(strlen(body) < 64 * 1024);
	h_expect_error(srv, h_post_form(srv, body), 400, "invalid_request", "MP-011", TXT_MP011);
}

/* A body over 64 KiB -> 413 with an error body (with and without Expect: 100-continue). */
static void
oversized_body(void **state)
{
	static const char *const expect[] = { "Expect: 100-continue", NULL };
	size_t n = 70 * 1024;
	char *body = h_keep(malloc(n + 1));
	struct h_resp *r;

	memcpy(body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=", 76);
	memset(body + 76, 'A', n - 76);
	body[n] = '\0';
	/* Without Expect the server answers 413 before reading the body and closes; the client
	 * may see the 413 or only the reset while still sending. Never anything else. */
	r = h_http(srv, "POST", "/token", "application/x-www-form-urlencoded", body, n, NULL);
	if (r->curl_rc == 0)
		h_expect_error(srv, r, 413, "invalid_request", NULL, NULL);
	else
		print_message("note: 70 KiB POST without Expect: %s (no 413 seen by the client)\n", r->curl_err);
	r = h_http(srv, "POST", "/token", "application/x-www-form-urlencoded", body, n, expect);
	h_expect_error(srv, r, 413, "invalid_request", NULL, NULL);
	/* 1 MiB */
	body = h_keep(malloc(1 << 20));
	memset(body, 'A', 1 << 20);
	r = h_http(srv, "POST", "/token", "application/x-www-form-urlencoded", body, 1 << 20, expect);
	h_expect_error(srv, r, 413, "invalid_request", NULL, NULL);
}

/* ---- form and HTTP ---- */

/* Content-Type other than application/x-www-form-urlencoded -> 400 invalid_request. */
static void
wrong_content_type(void **state)
{
	static const char *const types[] = {
		"application/json", "text/plain", "multipart/form-data; boundary=x",
		"application/x-www-form-urlencodedx", "application/jwt", NULL,
	};
	const char *form = h_strf("grant_type=%s&assertion=%s", h_urlenc(H_GRANT_TYPE),
	                          h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE)));
	const char *json = h_dump(h_keep_json(json_pack("{s:s,s:s}", "grant_type", H_GRANT_TYPE, "assertion",
	                                                h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE)))));

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const char *b = i == 0 ? json : form;

		h_expect_error(srv, h_http(srv, "POST", "/token", types[i], b, strlen(b), NULL), 400, "invalid_request",
		               NULL, NULL);
	}
}

/* A repeated form field -> 400 invalid_request (even with identical values). */
static void
duplicated_form_field(void **state)
{
	const char *jwt = h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE));
	const char *other = h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE));

	h_expect_error(srv, h_post_form(srv, h_strf("grant_type=%s&assertion=%s&assertion=%s", H_GRANT_TYPE, jwt, jwt)),
	               400, "invalid_request", NULL, NULL);
	h_expect_error(srv, h_post_form(srv, h_strf("grant_type=%s&assertion=%s&assertion=%s", H_GRANT_TYPE, jwt, other)),
	               400, "invalid_request", NULL, NULL);
	h_expect_error(srv, h_post_form(srv, h_strf("grant_type=%s&grant_type=%s&assertion=%s", H_GRANT_TYPE,
	                                            H_GRANT_TYPE, jwt)),
	               400, "invalid_request", NULL, NULL);
	h_expect_error(srv, h_post_form(srv, h_strf("grant_type=client_credentials&grant_type=%s&assertion=%s",
	                                            H_GRANT_TYPE, jwt)),
	               400, "invalid_request", NULL, NULL);
	/* the grant was never consumed */
	h_token_ok(srv, jwt);
}

/* NUL bytes in the assertion (%00 or raw) -> refused with invalid_request. */
static void
nul_in_assertion(void **state)
{
	const char *jwt = h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE));
	const char *d2 = strrchr(jwt, '.');
	const char *bodies[] = {
		h_strf("grant_type=%s&assertion=%s%%00", H_GRANT_TYPE, jwt),
		h_strf("grant_type=%s&assertion=%%00%s", H_GRANT_TYPE, jwt),
		h_strf("grant_type=%s&assertion=%.*s%%00%s", H_GRANT_TYPE, (int)(d2 - jwt), jwt, d2),
	};
	char raw[8192];
	int n;
	struct h_resp *r;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		r = h_post_form(srv, bodies[i]);
		h_expect_refused(srv, r);
		H_ASSERT_STR(H_JSTR(r->json, "error"), "invalid_request");
	}
	n = snprintf(raw, sizeof(raw), "grant_type=%s&assertion=%s", H_GRANT_TYPE, jwt);
	assert_true(n > 0 && (size_t)n + 2 < sizeof(raw));
	raw[n] = '\0';
	raw[n + 1] = 'x';
	r = h_http(srv, "POST", "/token", "application/x-www-form-urlencoded", raw, (size_t)n + 2, NULL);
	h_expect_refused(srv, r);
	H_ASSERT_STR(H_JSTR(r->json, "error"), "invalid_request");
	/* untouched, the grant still works: none of the above consumed it */
	h_token_ok(srv, jwt);
}

/* A NUL in grant_type: "urn:...:jwt-bearer\0" is not the jwt-bearer grant type. */
static void
nul_in_grant_type(void **state)
{
	const char *jwt = h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE));
	struct h_resp *r;

	r = h_post_form(srv, h_strf("grant_type=%s%%00&assertion=%s", H_GRANT_TYPE, jwt));
	h_expect_error(srv, r, 400, "unsupported_grant_type", NULL, NULL);
	r = h_post_form(srv, h_strf("grant_type=%s%%00junk&assertion=%s", H_GRANT_TYPE, jwt));
	h_expect_error(srv, r, 400, "unsupported_grant_type", NULL, NULL);
}

/* Malformed percent-encoding and too many fields -> 400 invalid_request. */
static void
malformed_form(void **state)
{
	const char *jwt = h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE));
	char *many = h_strf("grant_type=%s&assertion=%s", H_GRANT_TYPE, jwt);

	h_expect_error(srv, h_post_form(srv, h_strf("grant_type=%s&assertion=%s%%zz", H_GRANT_TYPE, jwt)), 400,
	               "invalid_request", NULL, NULL);
	h_expect_error(srv, h_post_form(srv, h_strf("grant_type=%s&assertion=%s%%4", H_GRANT_TYPE, jwt)), 400,
	               "invalid_request", NULL, NULL);
	h_expect_error(srv, h_post_form(srv, h_strf("grant_type=%s&assertion=%s%%", H_GRANT_TYPE, jwt)), 400,
	               "invalid_request", NULL, NULL);
	for (int i = 0; i < 30; i++)
		many = h_strf("%s&f%d=v", many, i);
	h_expect_error(srv, h_post_form(srv, many), 400, "invalid_request", NULL, NULL);
}

/* After all of the above the server is alive and issuing tokens. */
static void
server_still_healthy(void **state)
{
	struct h_resp *r = h_get(srv, "/health");

	H_ASSERT_INT(r->status, 200);
	h_token_ok(srv, h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE)));
	h_token_ok(srv, h_sign_kid(key_b, "RS256", h_claims(KID_CLIENT, SCOPE)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alg_none),
		cmocka_unit_test(hs256_with_client_public_key),
		cmocka_unit_test(hs256_with_server_public_key),
		cmocka_unit_test(injected_jwk),
		cmocka_unit_test(injected_jku_x5u),
		cmocka_unit_test(crit_header),
		cmocka_unit_test(duplicate_keys_in_header),
		cmocka_unit_test(duplicate_keys_in_payload),
		cmocka_unit_test(bad_base64url),
		cmocka_unit_test(segments),
		cmocka_unit_test(not_json_objects),
		cmocka_unit_test(hostile_claim_values),
		cmocka_unit_test(extreme_numeric_dates),
		cmocka_unit_test(oversized_grant),
		cmocka_unit_test(oversized_body),
		cmocka_unit_test(wrong_content_type),
		cmocka_unit_test(duplicated_form_field),
		cmocka_unit_test(nul_in_assertion),
		cmocka_unit_test(nul_in_grant_type),
		cmocka_unit_test(malformed_form),
		cmocka_unit_test(server_still_healthy),
	};

	return cmocka_run_group_tests_name("integration: JWT and request attacks", tests, group_setup, group_teardown);
}
