/* spec/maskinporten.md 2.2-2.4 and checklist 11 "Grant claims and time". The server clock
 * is pinned to h_T, so every boundary is exact. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG_A "974761076"
#define ORG_K "123456785"
#define ORG_PROVIDER "991825827"
#define CLIENT "clm-client"
#define KID_CLIENT "clm-kid"
#define SCOPE "clm:api"

#define VALID_PID "01019010046"

#define TXT_MP100 "Invalid assertion. Client authentication failed."
#define TXT_MP110 "Invalid assertion. Client authentication failed. Invalid JWT claim aud"
#define TXT_MP011 "Invalid assertion. Invalid parameter value"
#define TXT_MP012 "Grant is used before"
#define TXT_MP130 "JWT is expired"
#define TXT_IAT "Issue time is after now"
#define TXT_INVALID_ASSERTION "Invalid assertion"

static struct h_server *srv;
static struct h_cert *cert_a;
static struct h_key *key_k;
static json_t *seed;

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };

	h_init();
	cert_a = h_issue("a", ORG_A, "valid");
	key_k = h_key_new("clm-k1");
	seed = h_seed_new();
	h_seed_scope(seed, SCOPE, ORG_PROVIDER, NULL);
	h_seed_scope(seed, "clm:other", ORG_PROVIDER, NULL);
	h_seed_access(seed, SCOPE, ORG_A, "APPROVED");
	h_seed_access(seed, "clm:other", ORG_A, "APPROVED");
	h_seed_access(seed, SCOPE, ORG_K, "APPROVED");
	h_seed_client(seed, CLIENT, ORG_A, SCOPE " clm:other", NULL);
	h_seed_client(seed, KID_CLIENT, ORG_K, SCOPE,
	              json_pack("{s:{s:[o]}}", "jwks", "keys", h_key_jwk(key_k, "RS256", h_T - 86400)));
	o.seed = seed;
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

static json_t *
claims(void)
{
	return h_claims(CLIENT, SCOPE);
}

static const char *
sign(const json_t *c)
{
	return h_sign_x5c(cert_a, "RS256", c);
}

static void
set_int(json_t *c, const char *name, int64_t v)
{
	json_object_set_new(c, name, json_integer((json_int_t)v));
}

/* ---- iss ---- */

/* Unknown iss -> MP-100, invalid_grant, 400 (certificate and registered-key paths). */
static void
unknown_iss_is_mp100(void **state)
{
	struct h_key *k = h_key_alias(key_k, key_k->kid);

	h_token_err(srv, sign(h_claims("no-such-client", SCOPE)), 400, "invalid_grant", "MP-100", TXT_MP100);
	h_token_err(srv, h_sign_kid(k, "RS256", h_claims("no-such-client", SCOPE)), 400, "invalid_grant", "MP-100",
	            TXT_MP100);
	/* client ids are case-sensitive */
	h_token_err(srv, sign(h_claims("CLM-CLIENT", SCOPE)), 400, "invalid_grant", "MP-100", TXT_MP100);
}

/* ---- aud ---- */

/* aud other than the issuer -> MP-110 (production issuer, other host, missing, wrong type). */
static void
aud_not_issuer_is_mp110(void **state)
{
	static const char *const auds[] = {
		"https://maskinporten.no/", "https://ver2.maskinporten.no/", "https://test.maskinporten.no/x",
		"http://test.maskinporten.no/", "https://TEST.maskinporten.no/", "",
	};
	json_t *c;

	for (size_t i = 0; i < sizeof(auds) / sizeof(auds[0]); i++) {
		c = claims();
		json_object_set_new(c, "aud", json_string(auds[i]));
		h_token_err(srv, sign(c), 400, "invalid_grant", "MP-110", TXT_MP110);
	}
	c = claims();
	json_object_del(c, "aud");
	h_token_err(srv, sign(c), 400, "invalid_grant", "MP-110", TXT_MP110);
	c = claims();
	json_object_set_new(c, "aud", json_integer(1));
	h_token_err(srv, sign(c), 400, "invalid_grant", "MP-110", TXT_MP110);
}

/* aud = the token endpoint URL -> MP-110 (no longer accepted). */
static void
aud_token_endpoint_is_mp110(void **state)
{
	json_t *c = claims();

	json_object_set_new(c, "aud", json_string(H_ISSUER "token"));
	h_token_err(srv, sign(c), 400, "invalid_grant", "MP-110", TXT_MP110);
}

/* Default config: the issuer without its trailing slash is not the issuer. */
static void
aud_without_trailing_slash_is_mp110(void **state)
{
	json_t *c = claims();

	json_object_set_new(c, "aud", json_string("https://test.maskinporten.no"));
	h_token_err(srv, sign(c), 400, "invalid_grant", "MP-110", TXT_MP110);
}

/* A one-element array equal to the issuer is accepted; two elements are rejected. */
static void
aud_array_one_accepted_two_rejected(void **state)
{
	json_t *c = claims();

	json_object_set_new(c, "aud", json_pack("[s]", H_ISSUER));
	h_token_ok(srv, sign(c));

	c = claims();
	json_object_set_new(c, "aud", json_pack("[s,s]", H_ISSUER, H_ISSUER));
	h_token_err(srv, sign(c), 400, "invalid_grant", "MP-110", TXT_MP110);
	c = claims();
	json_object_set_new(c, "aud", json_pack("[s,s]", H_ISSUER, "https://example.com/"));
	h_token_err(srv, sign(c), 400, "invalid_grant", "MP-110", TXT_MP110);
	c = claims();
	json_object_set_new(c, "aud", json_pack("[]"));
	h_token_err(srv, sign(c), 400, "invalid_grant", "MP-110", TXT_MP110);
	c = claims();
	json_object_set_new(c, "aud", json_pack("[s]", "https://maskinporten.no/"));
	h_token_err(srv, sign(c), 400, "invalid_grant", "MP-110", TXT_MP110);
}

/* ---- time (2.3) ---- */

/* exp - iat = 120 accepted; 121 rejected. */
static void
grant_lifetime_120_accepted_121_rejected(void **state)
{
	json_t *c = claims();

	set_int(c, "iat", h_T - 60);
	set_int(c, "exp", h_T + 60);
	h_token_ok(srv, sign(c));

	c = claims();
	set_int(c, "iat", h_T);
	set_int(c, "exp", h_T + 120);
	h_token_ok(srv, sign(c));

	c = claims();
	set_int(c, "iat", h_T - 60);
	set_int(c, "exp", h_T + 61);
	h_token_err(srv, sign(c), 400, "invalid_grant", NULL, TXT_INVALID_ASSERTION);

	c = claims();
	set_int(c, "iat", h_T);
	set_int(c, "exp", h_T + 121);
	h_token_err(srv, sign(c), 400, "invalid_grant", NULL, TXT_INVALID_ASSERTION);
}

/* exp <= iat is rejected. */
static void
exp_not_after_iat_rejected(void **state)
{
	json_t *c = claims();

	set_int(c, "iat", h_T);
	set_int(c, "exp", h_T);
	h_token_err(srv, sign(c), 400, "invalid_grant", NULL, TXT_INVALID_ASSERTION);
	c = claims();
	set_int(c, "iat", h_T);
	set_int(c, "exp", h_T - 5);
	h_token_err(srv, sign(c), 400, "invalid_grant", NULL, TXT_INVALID_ASSERTION);
}

/* iat = now + 9 (and + 10) accepted; now + 11 rejected ("Issue time is after now"). */
static void
iat_future_skew(void **state)
{
	json_t *c = claims();

	set_int(c, "iat", h_T + 9);
	set_int(c, "exp", h_T + 9 + 60);
	h_token_ok(srv, sign(c));

	c = claims();
	set_int(c, "iat", h_T + 10);
	set_int(c, "exp", h_T + 10 + 60);
	h_token_ok(srv, sign(c));

	c = claims();
	set_int(c, "iat", h_T + 11);
	set_int(c, "exp", h_T + 11 + 60);
	h_token_err(srv, sign(c), 400, "invalid_grant", NULL, TXT_IAT);

	c = claims();
	set_int(c, "iat", h_T + 3600);
	set_int(c, "exp", h_T + 3600 + 60);
	h_token_err(srv, sign(c), 400, "invalid_grant", NULL, TXT_IAT);
}

/* exp in the past beyond the skew -> MP-130. */
static void
exp_past_is_mp130(void **state)
{
	json_t *c = claims();

	set_int(c, "iat", h_T - 60);
	set_int(c, "exp", h_T - 11);
	h_token_err(srv, sign(c), 400, "invalid_grant", "MP-130", TXT_MP130);

	/* exp <= now - skew: exactly now - 10 is expired too ... */
	c = claims();
	set_int(c, "iat", h_T - 60);
	set_int(c, "exp", h_T - 10);
	h_token_err(srv, sign(c), 400, "invalid_grant", "MP-130", TXT_MP130);

	/* ... now - 9 is still within the skew. */
	c = claims();
	set_int(c, "iat", h_T - 100);
	set_int(c, "exp", h_T - 9);
	h_token_ok(srv, sign(c));

	c = claims();
	set_int(c, "iat", h_T - 86400 - 60);
	set_int(c, "exp", h_T - 86400);
	h_token_err(srv, sign(c), 400, "invalid_grant", "MP-130", TXT_MP130);
}

/* Missing or mistyped iat / exp -> MP-011. */
static void
iat_exp_missing_or_mistyped(void **state)
{
	json_t *c = claims();

	json_object_del(c, "iat");
	h_token_err(srv, sign(c), 400, "invalid_request", "MP-011", TXT_MP011);
	c = claims();
	json_object_del(c, "exp");
	h_token_err(srv, sign(c), 400, "invalid_request", "MP-011", TXT_MP011);
	c = claims();
	json_object_set_new(c, "iat", json_string(h_strf("%lld", (long long)h_T)));
	h_token_err(srv, sign(c), 400, "invalid_request", "MP-011", TXT_MP011);
	c = claims();
	json_object_set_new(c, "exp", json_true());
	h_token_err(srv, sign(c), 400, "invalid_request", "MP-011", TXT_MP011);
}

/* ---- replay (2.4) ---- */

/* Reusing (iss, jti) -> MP-012 "Grant is used before", even in a freshly signed grant. */
static void
jti_reuse_is_mp012(void **state)
{
	json_t *c = claims();
	const char *jwt = sign(c);

	h_token_ok(srv, jwt);
	h_token_err(srv, jwt, 400, "invalid_grant", "MP-012", TXT_MP012);
	/* Same iss and jti, different grant (other iat/exp, other scope). */
	set_int(c, "iat", h_T - 5);
	set_int(c, "exp", h_T + 100);
	json_object_set_new(c, "scope", json_string("clm:other"));
	h_token_err(srv, sign(c), 400, "invalid_grant", "MP-012", TXT_MP012);
}

/* The replay key is (iss, jti): another client may use the same jti. */
static void
same_jti_other_client_accepted(void **state)
{
	json_t *c = claims(), *c2 = h_claims(KID_CLIENT, SCOPE);

	json_object_set_new(c, "jti", json_string("shared-jti-value"));
	json_object_set_new(c2, "jti", json_string("shared-jti-value"));
	h_token_ok(srv, sign(c));
	h_token_ok(srv, h_sign_kid(key_k, "RS256", c2));
	h_token_err(srv, h_sign_kid(key_k, "RS256", c2), 400, "invalid_grant", "MP-012", TXT_MP012);
}

/* Replaying an identical assertion without jti is rejected; a different one is not. */
static void
replay_without_jti_rejected(void **state)
{
	json_t *c = claims(), *c2;
	const char *jwt;

	json_object_del(c, "jti");
	jwt = sign(c);
	h_token_ok(srv, jwt);
	h_token_err(srv, jwt, 400, "invalid_grant", "MP-012", TXT_MP012);
	c2 = json_deep_copy(c);
	h_keep_json(c2);
	set_int(c2, "exp", h_T + 119);
	h_token_ok(srv, sign(c2));
	/* jti: null is treated as absent: same rule. */
	c2 = json_deep_copy(c);
	h_keep_json(c2);
	json_object_set_new(c2, "jti", json_null());
	set_int(c2, "exp", h_T + 118);
	jwt = sign(c2);
	h_token_ok(srv, jwt);
	h_token_err(srv, jwt, 400, "invalid_grant", "MP-012", TXT_MP012);
}

/* The replay cache survives a restart on the same data directory. */
static void
replay_detected_across_restart(void **state)
{
	struct h_server_opts o = { 0 };
	char data[PATH_MAX];
	json_t *c = claims(), *c2 = claims();
	const char *jwt = sign(c), *jwt_nojti;

	json_object_del(c2, "jti");
	set_int(c2, "exp", h_T + 117);
	jwt_nojti = sign(c2);
	h_token_ok(srv, jwt);
	h_token_ok(srv, jwt_nojti);
	snprintf(data, sizeof(data), "%s", srv->data_dir);
	h_server_stop(srv);
	srv = NULL;
	/* The store keeps the seeded clients; no --seed this time (seed reloading has its own
	 * test below). */
	o.data_dir = data;
	srv = h_server_start(&o);
	h_token_err(srv, jwt, 400, "invalid_grant", "MP-012", TXT_MP012);
	h_token_err(srv, jwt_nojti, 400, "invalid_grant", "MP-012", TXT_MP012);
	/* and the restarted server still issues tokens */
	h_token_ok(srv, sign(claims()));
}

/* Seeds are idempotent: restarting on the same data directory with the same --seed works
 * (PRODUCT.md; porten_authz_seed_load), including clients with registered keys, and the
 * restarted server issues tokens for both kinds of client. */
static void
restart_with_same_seed(void **state)
{
	struct h_server_opts o = { 0 };
	struct h_server *s1, *s2;

	o.seed = seed;
	s1 = h_server_start(&o);
	h_token_ok(s1, sign(claims()));
	o.data_dir = h_strf("%s", s1->data_dir);
	h_server_stop(s1);
	s2 = h_server_start(&o);
	h_token_ok(s2, sign(claims()));
	h_token_ok(s2, h_sign_kid(key_k, "RS256", h_claims(KID_CLIENT, SCOPE)));
	h_server_stop(s2);
}

/* ---- unknown claims, nbf, null ---- */

/* An undocumented claim -> 400 with "Invalid assertion" (MP-011). */
static void
unknown_claim_rejected(void **state)
{
	static const char *const names[] = { "foo", "client_id", "client_orgno", "Scope", "typ" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *c = claims();
		struct h_resp *r;

		json_object_set_new(c, names[i], json_string("x"));
		r = h_post_token(srv, sign(c));
		h_expect_error(srv, r, 400, "invalid_request", "MP-011", TXT_MP011);
		assert_non_null(strstr(h_error_text(r), "Invalid assertion"));
	}
}

/* nbf <= now (+ skew) is tolerated; nbf beyond now + 10 is rejected. */
static void
nbf_tolerated(void **state)
{
	json_t *c = claims();

	set_int(c, "nbf", h_T);
	h_token_ok(srv, sign(c));
	c = claims();
	set_int(c, "nbf", h_T - 600);
	h_token_ok(srv, sign(c));
	c = claims();
	set_int(c, "nbf", h_T + 10);
	h_token_ok(srv, sign(c));
	c = claims();
	set_int(c, "nbf", h_T + 11);
	h_token_err(srv, sign(c), 400, "invalid_grant", NULL, TXT_INVALID_ASSERTION);
}

/* A JSON null claim is treated as absent. */
static void
null_claims_are_absent(void **state)
{
	static const char *const names[] = { "resource", "pid", "consumer_org", "nbf", "sub", "iss_onbehalfof",
	                                     "authorization_details" };
	json_t *c = claims(), *tok;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		json_object_set_new(c, names[i], json_null());
	tok = h_token_ok(srv, sign(c));
	H_ASSERT_STR(H_JSTR(tok, "aud"), "unspecified");
	assert_null(json_object_get(tok, "pid"));
	assert_null(json_object_get(tok, "supplier"));
	H_ASSERT_STR(H_JSTR(json_object_get(tok, "consumer"), "ID"), "0192:" ORG_A);
}

/* ---- scope ---- */

/* Missing scope, empty scope and whitespace-only scope are errors (invalid_scope). */
static void
missing_or_empty_scope_rejected(void **state)
{
	static const char *const empties[] = { "", " ", "   \t " };
	json_t *c = h_claims(CLIENT, NULL);

	h_token_err(srv, sign(c), 400, "invalid_scope", NULL, NULL);
	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		c = h_claims(CLIENT, empties[i]);
		h_token_err(srv, sign(c), 400, "invalid_scope", NULL, NULL);
	}
	c = h_claims(CLIENT, NULL);
	json_object_set_new(c, "scope", json_null());
	h_token_err(srv, sign(c), 400, "invalid_scope", NULL, NULL);
}

/* ---- resource ---- */

/* resource as a string and as an array are both accepted and become the token aud. */
static void
resource_string_and_array_accepted(void **state)
{
	json_t *c = claims(), *tok, *aud;

	json_object_set_new(c, "resource", json_string("https://api.example.no/v1"));
	tok = h_token_ok(srv, sign(c));
	H_ASSERT_STR(H_JSTR(tok, "aud"), "https://api.example.no/v1");

	c = claims();
	json_object_set_new(c, "resource", json_pack("[s]", "https://api.example.no/v2"));
	tok = h_token_ok(srv, sign(c));
	H_ASSERT_STR(H_JSTR(tok, "aud"), "https://api.example.no/v2");

	c = claims();
	json_object_set_new(c, "resource", json_pack("[s,s]", "https://a.example.no/", "urn:example:api"));
	tok = h_token_ok(srv, sign(c));
	aud = json_object_get(tok, "aud");
	if (!json_is_array(aud) || json_array_size(aud) != 2 ||
	    strcmp(json_string_value(json_array_get(aud, 0)), "https://a.example.no/") != 0 ||
	    strcmp(json_string_value(json_array_get(aud, 1)), "urn:example:api") != 0)
		h_fail("aud for two resources: %s", h_dump(aud));

	/* URIs that are not URLs are accepted (20-09). */
	c = claims();
	json_object_set_new(c, "resource", json_string("urn:altinn:resource:x"));
	tok = h_token_ok(srv, sign(c));
	H_ASSERT_STR(H_JSTR(tok, "aud"), "urn:altinn:resource:x");
}

/* ---- pid ---- */

/* Invalid pid rejected (MP-011); a valid pid is copied to the token. */
static void
pid_validated_and_copied(void **state)
{
	static const char *const bad[] = {
		"0101901004",     /* 10 digits */
		"010190100466",   /* 12 digits */
		"01019010047",    /* bad second check digit */
		"01019010089",    /* bad first check digit (k2 consistent with it) */
		"0101901004a",    /* not digits */
		"32019010046",    /* not a date (check digits aside) */
	};
	json_t *c, *tok;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = claims();
		json_object_set_new(c, "pid", json_string(bad[i]));
		h_token_err(srv, sign(c), 400, "invalid_request", "MP-011", TXT_MP011);
	}
	c = claims();
	json_object_set_new(c, "pid", json_integer(1019010046));
	h_token_err(srv, sign(c), 400, "invalid_request", "MP-011", TXT_MP011);

	c = claims();
	json_object_set_new(c, "pid", json_string(VALID_PID));
	tok = h_token_ok(srv, sign(c));
	H_ASSERT_STR(H_JSTR(tok, "pid"), VALID_PID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_iss_is_mp100),
		cmocka_unit_test(aud_not_issuer_is_mp110),
		cmocka_unit_test(aud_token_endpoint_is_mp110),
		cmocka_unit_test(aud_without_trailing_slash_is_mp110),
		cmocka_unit_test(aud_array_one_accepted_two_rejected),
		cmocka_unit_test(grant_lifetime_120_accepted_121_rejected),
		cmocka_unit_test(exp_not_after_iat_rejected),
		cmocka_unit_test(iat_future_skew),
		cmocka_unit_test(exp_past_is_mp130),
		cmocka_unit_test(iat_exp_missing_or_mistyped),
		cmocka_unit_test(jti_reuse_is_mp012),
		cmocka_unit_test(same_jti_other_client_accepted),
		cmocka_unit_test(replay_without_jti_rejected),
		cmocka_unit_test(replay_detected_across_restart),
		cmocka_unit_test(restart_with_same_seed),
		cmocka_unit_test(unknown_claim_rejected),
		cmocka_unit_test(nbf_tolerated),
		cmocka_unit_test(null_claims_are_absent),
		cmocka_unit_test(missing_or_empty_scope_rejected),
		cmocka_unit_test(resource_string_and_array_accepted),
		cmocka_unit_test(pid_validated_and_copied),
	};

	return cmocka_run_group_tests_name("integration: grant claims and time", tests, group_setup, group_teardown);
}
