/* spec/maskinporten.md 3, 4, 5 and checklist 11 "Access token", "Discovery", "Errors". */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "porten/b64.h"
#include "porten/jws.h"
#include "porten/key.h"
#include "porten/pki.h"

#define ORG_A "974761076"     /* certificate client */
#define ORG_B "910753614"     /* registered-key clients */
#define ORG_PROVIDER "991825827"

#define X5C_CLIENT "at-x5c"
#define KID_CLIENT "at-kid"
#define LIFE300 "at-life300"
#define LIFE30 "at-life30"

static struct h_server *srv;
static struct h_cert *cert_a;
static struct h_key *key_b;
static json_t *seed;

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };
	const char *all = "at:plain at:short60 at:short90 at:long600 at:open";

	h_init();
	cert_a = h_issue("a", ORG_A, "valid");
	key_b = h_key_new("at-kid-1");
	seed = h_seed_new();
	h_seed_scope(seed, "at:plain", ORG_PROVIDER, json_pack("{s:i}", "at_max_age", 0));
	h_seed_scope(seed, "at:short60", ORG_PROVIDER, json_pack("{s:i}", "at_max_age", 60));
	h_seed_scope(seed, "at:short90", ORG_PROVIDER, json_pack("{s:i}", "at_max_age", 90));
	h_seed_scope(seed, "at:long600", ORG_PROVIDER, json_pack("{s:i}", "at_max_age", 600));
	h_seed_scope(seed, "at:open", ORG_PROVIDER, json_pack("{s:b}", "accessible_for_all", 1));
	for (const char *p = all; *p;) {
		size_t n = strcspn(p, " ");
		char *sc = h_strf("%.*s", (int)n, p);

		if (strcmp(sc, "at:open") != 0) {
			h_seed_access(seed, sc, ORG_A, "APPROVED");
			h_seed_access(seed, sc, ORG_B, "APPROVED");
		}
		p += n;
		p += strspn(p, " ");
	}
	h_seed_client(seed, X5C_CLIENT, ORG_A, all, NULL);
	h_seed_client(seed, KID_CLIENT, ORG_B, all,
	              json_pack("{s:{s:[o]}}", "jwks", "keys", h_key_jwk(key_b, "RS256", h_T - 86400)));
	h_seed_client(seed, LIFE300, ORG_B, all,
	              json_pack("{s:i,s:{s:[o]}}", "access_token_lifetime", 300, "jwks", "keys",
	                        h_key_jwk(h_key_alias(key_b, "at-kid-300"), "RS256", h_T - 86400)));
	h_seed_client(seed, LIFE30, ORG_B, all,
	              json_pack("{s:i,s:{s:[o]}}", "access_token_lifetime", 30, "jwks", "keys",
	                        h_key_jwk(h_key_alias(key_b, "at-kid-30"), "RS256", h_T - 86400)));
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
x5c_token(const char *scope, struct h_resp **rout, json_t **hdr)
{
	struct h_resp *r = h_post_token(srv, h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, scope)));

	if (rout)
		*rout = r;
	return h_expect_token_at(H_LOC, srv, r, hdr);
}

static json_t *
kid_token(const char *client, const char *kid, const char *scope, struct h_resp **rout)
{
	struct h_resp *r = h_post_token(srv, h_sign_kid(h_key_alias(key_b, kid), "RS256", h_claims(client, scope)));

	if (rout)
		*rout = r;
	return h_expect_token(srv, r);
}

/* ---- Access token ---- */

/* The token header has alg RS256 and a kid that GET /jwk publishes. */
static void
header_kid_in_jwks_and_rs256(void **state)
{
	json_t *hdr = NULL, *k;
	struct h_resp *jwk;
	const char *kid;
	size_t i;
	int found = 0;

	x5c_token("at:plain", NULL, &hdr);
	H_ASSERT_STR(H_JSTR(hdr, "alg"), "RS256");
	kid = H_JSTR(hdr, "kid");
	jwk = h_get(srv, "/jwk");
	json_array_foreach(json_object_get(jwk->json, "keys"), i, k)
		if (json_is_string(json_object_get(k, "kid")) && strcmp(json_string_value(json_object_get(k, "kid")), kid) == 0)
			found = 1;
	if (!found)
		h_fail("token kid %s not in /jwk %s", kid, jwk->body);
}

static void
check_always_claims(const json_t *tok, const char *client, const char *orgno, const char *amr)
{
	const json_t *consumer = json_object_get(tok, "consumer");

	H_ASSERT_STR(H_JSTR(tok, "iss"), H_ISSUER);
	H_ASSERT_STR(H_JSTR(tok, "client_id"), client);
	H_ASSERT_STR(H_JSTR(tok, "client_amr"), amr);
	H_ASSERT_STR(H_JSTR(tok, "token_type"), "Bearer");
	H_JSTR(tok, "scope");
	H_JSTR(tok, "jti");
	H_ASSERT_INT(H_JINT(tok, "iat"), h_T);
	if (H_JINT(tok, "exp") <= h_T)
		h_fail("exp %lld not after iat", H_JINT(tok, "exp"));
	if (!json_is_object(consumer) || json_object_size(consumer) != 2)
		h_fail("consumer is not {authority, ID}: %s", h_dump(tok));
	H_ASSERT_STR(H_JSTR(consumer, "authority"), "iso6523-actorid-upis");
	H_ASSERT_STR(H_JSTR(consumer, "ID"), h_strf("0192:%s", orgno));
}

/* iss, client_id, client_amr, token_type, scope, consumer, iat, exp, jti always present,
 * and nothing else on a plain token (besides aud). */
static void
claims_always_present(void **state)
{
	static const char *const allowed[] = { "iss", "client_id", "client_amr", "token_type", "scope", "consumer",
	                                       "iat", "exp", "jti", "aud" };
	json_t *tok = x5c_token("at:plain", NULL, NULL), *v;
	const char *k;

	check_always_claims(tok, X5C_CLIENT, ORG_A, "virksomhetssertifikat");
	json_object_foreach(tok, k, v) {
		size_t i;

		for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (i == sizeof(allowed) / sizeof(allowed[0]))
			h_fail("unexpected claim \"%s\" in a plain token: %s", k, h_dump(tok));
	}
	H_ASSERT_INT(json_object_size(tok), 10);
	tok = kid_token(KID_CLIENT, "at-kid-1", "at:plain", NULL);
	check_always_claims(tok, KID_CLIENT, ORG_B, "private_key_jwt");
}

/* consumer.ID is "0192:<orgno>", authority "iso6523-actorid-upis". */
static void
consumer_format(void **state)
{
	json_t *tok = x5c_token("at:open", NULL, NULL);
	json_t *c = json_object_get(tok, "consumer");

	H_ASSERT_STR(H_JSTR(c, "ID"), "0192:" ORG_A);
	H_ASSERT_STR(H_JSTR(c, "authority"), "iso6523-actorid-upis");
	assert_null(json_object_get(c, "Identifier"));
}

/* client_amr: virksomhetssertifikat for x5c, private_key_jwt for kid. */
static void
client_amr_by_auth_method(void **state)
{
	H_ASSERT_STR(H_JSTR(x5c_token("at:plain", NULL, NULL), "client_amr"), "virksomhetssertifikat");
	H_ASSERT_STR(H_JSTR(kid_token(KID_CLIENT, "at-kid-1", "at:plain", NULL), "client_amr"), "private_key_jwt");
}

/* No client_orgno claim (removed in 20-06), nor supplier / delegation_source on plain tokens. */
static void
no_client_orgno(void **state)
{
	json_t *tok = x5c_token("at:plain", NULL, NULL);

	assert_null(json_object_get(tok, "client_orgno"));
	assert_null(json_object_get(tok, "supplier"));
	assert_null(json_object_get(tok, "delegation_source"));
	tok = kid_token(KID_CLIENT, "at-kid-1", "at:plain", NULL);
	assert_null(json_object_get(tok, "client_orgno"));
}

/* No resource -> aud "unspecified" (default config); with resource -> aud = that value. */
static void
aud_unspecified_or_resource(void **state)
{
	json_t *c, *tok = x5c_token("at:plain", NULL, NULL);

	H_ASSERT_STR(H_JSTR(tok, "aud"), "unspecified");
	c = h_claims(X5C_CLIENT, "at:plain");
	json_object_set_new(c, "resource", json_string("https://api.example.no/folk"));
	tok = h_token_ok(srv, h_sign_x5c(cert_a, "RS256", c));
	H_ASSERT_STR(H_JSTR(tok, "aud"), "https://api.example.no/folk");
}

static void
expect_lifetime(json_t *tok, struct h_resp *r, long long want)
{
	long long exp = H_JINT(tok, "exp"), iat = H_JINT(tok, "iat");

	H_ASSERT_INT(iat, h_T);
	H_ASSERT_INT(exp - iat, want);
	H_ASSERT_INT(H_JINT(r->json, "expires_in"), want);
}

/* Lifetime capped by the lowest non-zero at_max_age among the scopes. */
static void
lifetime_capped_by_at_max_age(void **state)
{
	struct h_resp *r;
	json_t *tok;

	tok = x5c_token("at:short90 at:short60 at:plain", &r, NULL);
	expect_lifetime(tok, r, 60);
	tok = x5c_token("at:short90", &r, NULL);
	expect_lifetime(tok, r, 90);
	tok = x5c_token("at:plain at:short90 at:long600", &r, NULL);
	expect_lifetime(tok, r, 90);
	tok = kid_token(LIFE300, "at-kid-300", "at:short90 at:plain", &r);
	expect_lifetime(tok, r, 90);
	/* A cap above the lifetime does not extend it. */
	tok = x5c_token("at:long600", &r, NULL);
	expect_lifetime(tok, r, 120);
	tok = kid_token(LIFE30, "at-kid-30", "at:short60", &r);
	expect_lifetime(tok, r, 30);
}

/* Without caps: the client's access_token_lifetime, else the system default of 120 s. */
static void
lifetime_client_then_default(void **state)
{
	struct h_resp *r;
	json_t *tok;

	tok = x5c_token("at:plain", &r, NULL);
	expect_lifetime(tok, r, 120);
	tok = kid_token(KID_CLIENT, "at-kid-1", "at:plain at:open", &r);
	expect_lifetime(tok, r, 120);
	tok = kid_token(LIFE300, "at-kid-300", "at:plain", &r);
	expect_lifetime(tok, r, 300);
	tok = kid_token(LIFE30, "at-kid-30", "at:plain", &r);
	expect_lifetime(tok, r, 30);
}

/* The system default is configurable (--token-lifetime); client lifetime still wins. */
static void
lifetime_default_configurable(void **state)
{
	static const char *const extra[] = { "--token-lifetime", "45", NULL };
	struct h_server_opts o = { 0 };
	struct h_server *s2;
	struct h_resp *r;
	json_t *tok;

	o.seed = seed;
	o.extra = extra;
	s2 = h_server_start(&o);
	r = h_post_token(s2, h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, "at:plain")));
	tok = h_expect_token(s2, r);
	expect_lifetime(tok, r, 45);
	r = h_post_token(s2, h_sign_kid(h_key_alias(key_b, "at-kid-300"), "RS256", h_claims(LIFE300, "at:plain")));
	tok = h_expect_token(s2, r);
	expect_lifetime(tok, r, 300);
	h_server_stop(s2);
}

static bool
is_b64url(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(s);
}

/* jti unique over 50 tokens; each a 43-character base64url string. */
static void
jti_unique(void **state)
{
	enum { N = 50 };
	const char *jtis[N];

	for (int i = 0; i < N; i++) {
		json_t *tok = i % 2 ? x5c_token("at:plain", NULL, NULL) : kid_token(KID_CLIENT, "at-kid-1", "at:plain", NULL);

		jtis[i] = H_JSTR(tok, "jti");
		if (strlen(jtis[i]) != 43 || !is_b64url(jtis[i]))
			h_fail("jti \"%s\" is not 43 base64url characters", jtis[i]);
		for (int j = 0; j < i; j++)
			if (strcmp(jtis[i], jtis[j]) == 0)
				h_fail("jti %s issued twice (tokens %d and %d)", jtis[i], j, i);
	}
}

/* The token verifies against /jwk (and a tampered one does not). */
static void
token_verifies_against_jwks(void **state)
{
	struct h_resp *r = h_post_token(srv, h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, "at:plain")));
	const char *tok, *d1, *d2;
	struct porten_jws_view v;
	json_t *jwk, *k, *forged;
	porten_key *key = NULL;
	int rc;

	h_expect_token(srv, r);   /* verifies */
	tok = H_JSTR(r->json, "access_token");
	d1 = strchr(tok, '.');
	d2 = strrchr(tok, '.');
	/* Same signature over a changed payload must not verify with the published key. */
	forged = h_keep_json(json_pack("{s:s,s:s}", "iss", H_ISSUER, "scope", "at:everything"));
	tok = h_strf("%.*s.%s%s", (int)(d1 - tok), tok, h_b64url(h_dump(forged), strlen(h_dump(forged))), d2);
	jwk = h_get(srv, "/jwk")->json;
	k = json_array_get(json_object_get(jwk, "keys"), 0);
	assert_int_equal(porten_key_from_jwk(k, &key), 0);
	assert_int_equal(porten_jws_split(tok, strlen(tok), 1 << 20, &v), 0);
	rc = porten_jws_verify(&v, PORTEN_JWS_RS256, key);
	porten_key_unref(key);
	assert_int_not_equal(rc, 0);
}

/* ---- Discovery ---- */

/* GET /.well-known/oauth-authorization-server: exactly the 7 members of 4.1. */
static void
metadata_document(void **state)
{
	struct h_resp *r = h_get(srv, "/.well-known/oauth-authorization-server");
	json_t *m = r->json, *want;

	if (r->status != 200 || !json_is_object(m))
		h_fail("metadata: %ld %s", r->status, r->body);
	assert_true(strncmp(h_header(r, "Content-Type"), "application/json", 16) == 0);
	want = h_keep_json(json_pack(
		"{s:s,s:s,s:s,s:[s],s:[s],s:[s,s,s],s:[s,s]}",
		"issuer", H_ISSUER,
		"token_endpoint", H_ISSUER "token",
		"jwks_uri", H_ISSUER "jwk",
		"token_endpoint_auth_methods_supported", "private_key_jwt",
		"grant_types_supported", H_GRANT_TYPE,
		"token_endpoint_auth_signing_alg_values_supported", "RS256", "RS384", "RS512",
		"authorization_details_types_supported", "urn:altinn:systemuser", "urn:altinn:consent"));
	if (!json_equal(m, want))
		h_fail("metadata is\n  %s\nexpected\n  %s", r->body, h_dump(want));
	H_ASSERT_INT(json_object_size(m), 7);
}

/* issuer has a trailing slash; token_endpoint and jwks_uri derive from it. */
static void
metadata_derived_from_issuer(void **state)
{
	json_t *m = h_get(srv, "/.well-known/oauth-authorization-server")->json;
	const char *iss = H_JSTR(m, "issuer");

	assert_true(iss[strlen(iss) - 1] == '/');
	H_ASSERT_STR(iss, srv->issuer);
	H_ASSERT_STR(H_JSTR(m, "token_endpoint"), h_strf("%stoken", iss));
	H_ASSERT_STR(H_JSTR(m, "jwks_uri"), h_strf("%sjwk", iss));
	assert_null(json_object_get(m, "authorization_endpoint"));
	assert_null(json_object_get(m, "scopes_supported"));
	assert_null(json_object_get(m, "introspection_endpoint"));
}

/* GET /jwk: a JWK Set whose keys carry exactly kty, kid, use, alg, n, e, x5c, and whose
 * x5c certificate holds the same public key. */
static void
jwks_document(void **state)
{
	static const char *const members[] = { "kty", "kid", "use", "alg", "n", "e", "x5c" };
	struct h_resp *r = h_get(srv, "/jwk");
	json_t *keys = json_object_get(r->json, "keys"), *k;
	size_t i;

	if (r->status != 200 || !json_is_array(keys) || json_array_size(keys) < 1)
		h_fail("/jwk: %ld %s", r->status, r->body);
	assert_true(strncmp(h_header(r, "Content-Type"), "application/json", 16) == 0);
	json_array_foreach(keys, i, k) {
		porten_key *pk = NULL, *ck = NULL;
		char tp1[44], tp2[44];
		unsigned char der[8192];
		size_t dlen;
		const char *x;

		for (size_t m = 0; m < sizeof(members) / sizeof(members[0]); m++)
			if (json_object_get(k, members[m]) == NULL)
				h_fail("JWK lacks %s: %s", members[m], h_dump(k));
		H_ASSERT_INT(json_object_size(k), 7);
		H_ASSERT_STR(H_JSTR(k, "kty"), "RSA");
		H_ASSERT_STR(H_JSTR(k, "use"), "sig");
		H_ASSERT_STR(H_JSTR(k, "alg"), "RS256");
		H_JSTR(k, "kid");
		if (!json_is_array(json_object_get(k, "x5c")) || json_array_size(json_object_get(k, "x5c")) < 1)
			h_fail("x5c is not a non-empty array: %s", h_dump(k));
		x = json_string_value(json_array_get(json_object_get(k, "x5c"), 0));
		assert_non_null(x);
		if (porten_b64std_decode(x, strlen(x), der, sizeof(der), &dlen) != 0)
			h_fail("x5c[0] is not standard base64");
		assert_int_equal(porten_key_from_jwk(k, &pk), 0);
		assert_int_equal(porten_key_from_cert_der(der, dlen, &ck), 0);
		assert_true(porten_key_bits(pk) >= 2048);
		porten_key_thumbprint(pk, tp1);
		porten_key_thumbprint(ck, tp2);
		porten_key_unref(pk);
		porten_key_unref(ck);
		H_ASSERT_STR(tp1, tp2);
	}
}

/* Writes a second signing key into DATA/keys (on PostgreSQL: the database) the way the keyring stores keys
 * (<kid>.key.pem + <kid>.crt.pem, kid = RFC 7638 thumbprint), newer than the first. */
static const char *
add_signing_key(const char *data_dir)
{
	porten_key *k = NULL;
	char kid[44], *pem = NULL, *b64 = NULL;
	char *crt;
	const char *kp, *cp;
	struct timeval tv[2];

	assert_int_equal(porten_key_generate_rsa(2048, &k), 0);
	assert_int_equal(porten_key_thumbprint(k, kid), 0);
	assert_int_equal(porten_key_private_pem(k, &pem), 0);
	assert_int_equal(porten_pki_self_signed_b64(k, "test.maskinporten.no", 3650, &b64), 0);
	h_keep(pem);
	h_keep(b64);
	porten_key_unref(k);
	crt = h_strf("-----BEGIN CERTIFICATE-----\n");
	for (size_t i = 0, n = strlen(b64); i < n; i += 64)
		crt = h_strf("%s%.*s\n", crt, (int)(n - i < 64 ? n - i : 64), b64 + i);
	crt = h_strf("%s-----END CERTIFICATE-----\n", crt);
	if (h_db_uri(data_dir) != NULL) {
		/* PostgreSQL: the keys live in the database, sealed (newest signs). */
		h_db_add_signing_key(data_dir, kid, pem, crt, h_T);
		return h_strf("%s", kid);
	}
	kp = h_strf("%s/keys/%s.key.pem", data_dir, kid);
	cp = h_strf("%s/keys/%s.crt.pem", data_dir, kid);
	assert_int_equal(h_write_file(cp, crt, strlen(crt)), 0);
	assert_int_equal(h_write_file(kp, pem, strlen(pem)), 0);
	chmod(kp, 0600);
	/* newer than the existing key */
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec += 3600;
	tv[1] = tv[0];
	utimes(kp, tv);
	utimes(cp, tv);
	return h_strf("%s", kid);
}

static int
jwks_has(struct h_server *s, const char *kid)
{
	json_t *k;
	size_t i;

	json_array_foreach(json_object_get(h_get(s, "/jwk")->json, "keys"), i, k)
		if (strcmp(json_string_value(json_object_get(k, "kid")), kid) == 0)
			return 1;
	return 0;
}

/* During key rotation both the old and the new key are published, and tokens signed with
 * the old key still verify against /jwk. */
static void
key_rotation_publishes_both(void **state)
{
	struct h_server_opts o = { 0 };
	struct h_server *s;
	struct h_resp *r;
	json_t *hdr = NULL;
	const char *old_kid, *new_kid, *old_token, *data;

	o.seed = seed;
	s = h_server_start(&o);
	data = h_strf("%s", s->data_dir);
	r = h_post_token(s, h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, "at:plain")));
	h_expect_token_at(H_LOC, s, r, &hdr);
	old_kid = H_JSTR(hdr, "kid");
	old_token = H_JSTR(r->json, "access_token");
	H_ASSERT_INT(json_array_size(json_object_get(h_get(s, "/jwk")->json, "keys")), 1);
	h_server_stop(s);

	new_kid = add_signing_key(data);
	o.seed = NULL;
	o.data_dir = data;
	s = h_server_start(&o);
	if (!jwks_has(s, old_kid) || !jwks_has(s, new_kid))
		h_fail("after rotation /jwk must publish %s and %s: %s", old_kid, new_kid, h_get(s, "/jwk")->body);
	h_verify_token(s, old_token, NULL);
	r = h_post_token(s, h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, "at:plain")));
	h_expect_token_at(H_LOC, s, r, &hdr);
	h_server_stop(s);
}

/* ---- Errors ---- */

/* Error bodies: JSON with error, error_description, error_uri for MP-coded errors only. */
static void
error_body_format(void **state)
{
	json_t *c = h_claims(X5C_CLIENT, "at:plain");
	struct h_resp *r;

	json_object_set_new(c, "aud", json_string("https://maskinporten.no/"));
	r = h_post_token(srv, h_sign_x5c(cert_a, "RS256", c));
	h_expect_error(srv, r, 400, "invalid_grant", "MP-110", NULL);
	H_ASSERT_INT(json_object_size(r->json), 3);
	H_ASSERT_STR(H_JSTR(r->json, "error_uri"), "https://test.maskinporten.no/errors/MP-110");
	H_ASSERT_STR(h_header(r, "Cache-Control"), "no-store");

	/* An error without an MP code has no error_uri. */
	r = h_post_form(srv, "grant_type=password&assertion=x");
	h_expect_error(srv, r, 400, "unsupported_grant_type", NULL, NULL);
	H_ASSERT_INT(json_object_size(r->json), 2);
}

/* error_description ends with " (trace_id: <32 lowercase hex>)", a fresh id per error. */
static void
trace_id_suffix(void **state)
{
	struct h_resp *r1 = h_post_form(srv, "grant_type=password&assertion=x");
	struct h_resp *r2 = h_post_form(srv, "grant_type=password&assertion=x");
	const char *d1, *d2;
	size_t n;

	h_expect_error(srv, r1, 400, "unsupported_grant_type", NULL, NULL);   /* checks the suffix */
	h_expect_error(srv, r2, 400, "unsupported_grant_type", NULL, NULL);
	d1 = H_JSTR(r1->json, "error_description");
	d2 = H_JSTR(r2->json, "error_description");
	n = strlen(d1);
	assert_true(n > 45);
	assert_true(strncmp(d1 + n - 45, " (trace_id: ", 12) == 0);
	assert_true(strcmp(d1 + n - 33, d2 + strlen(d2) - 33) != 0);
	/* The same holds for the 405 of a wrong method. */
	h_expect_error(srv, h_get(srv, "/token"), 405, "invalid_request", NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_kid_in_jwks_and_rs256),
		cmocka_unit_test(claims_always_present),
		cmocka_unit_test(consumer_format),
		cmocka_unit_test(client_amr_by_auth_method),
		cmocka_unit_test(no_client_orgno),
		cmocka_unit_test(aud_unspecified_or_resource),
		cmocka_unit_test(lifetime_capped_by_at_max_age),
		cmocka_unit_test(lifetime_client_then_default),
		cmocka_unit_test(lifetime_default_configurable),
		cmocka_unit_test(jti_unique),
		cmocka_unit_test(token_verifies_against_jwks),
		cmocka_unit_test(metadata_document),
		cmocka_unit_test(metadata_derived_from_issuer),
		cmocka_unit_test(jwks_document),
		cmocka_unit_test(key_rotation_publishes_both),
		cmocka_unit_test(error_body_format),
		cmocka_unit_test(trace_id_suffix),
	};

	return cmocka_run_group_tests_name("integration: access token, discovery, errors", tests, group_setup,
	                                   group_teardown);
}
