/* spec/maskinporten.md 1 and checklist 11 "Token endpoint": the HTTP surface of POST /token,
 * plus the TLS listener. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG_A "974761076"
#define ORG_PROVIDER "991825827"
#define CLIENT "tok-client"
#define SCOPE "porten:read"

static struct h_server *srv;
static struct h_cert *cert_a;

static json_t *
seed_json(void)
{
	json_t *seed = h_seed_new();

	h_seed_scope(seed, SCOPE, ORG_PROVIDER, NULL);
	h_seed_scope(seed, "porten:write", ORG_PROVIDER, NULL);
	h_seed_access(seed, SCOPE, ORG_A, "APPROVED");
	h_seed_access(seed, "porten:write", ORG_A, "APPROVED");
	h_seed_client(seed, CLIENT, ORG_A, SCOPE " porten:write", NULL);
	return seed;
}

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };

	h_init();
	assert_true(h_orgno_valid(ORG_A));
	cert_a = h_issue("a", ORG_A, "valid");
	o.seed = seed_json();
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
grant(void)
{
	return h_sign_x5c(cert_a, "RS256", h_claims(CLIENT, SCOPE));
}

/* POST /token with grant_type + assertion returns 200 JSON with a verifiable token. */
static void
post_token_returns_200_json(void **state)
{
	struct h_resp *r = h_post_token(srv, grant());
	json_t *claims = h_expect_token(srv, r);

	H_ASSERT_STR(H_JSTR(claims, "iss"), H_ISSUER);
	H_ASSERT_STR(H_JSTR(claims, "client_id"), CLIENT);
	H_ASSERT_STR(H_JSTR(r->json, "scope"), SCOPE);
}

/* The success body has exactly access_token, token_type "Bearer", expires_in, scope. */
static void
success_body_has_exactly_four_members(void **state)
{
	struct h_resp *r = h_post_token(srv, grant());
	const char *k;
	json_t *v;
	int seen = 0;

	h_expect_token(srv, r);
	H_ASSERT_INT(json_object_size(r->json), 4);
	json_object_foreach(r->json, k, v) {
		if (strcmp(k, "access_token") == 0) {
			seen |= 1;
			assert_true(json_is_string(v));
		} else if (strcmp(k, "token_type") == 0) {
			seen |= 2;
			H_ASSERT_STR(json_string_value(v), "Bearer");
		} else if (strcmp(k, "expires_in") == 0) {
			seen |= 4;
			assert_true(json_is_integer(v));
		} else if (strcmp(k, "scope") == 0) {
			seen |= 8;
			assert_true(json_is_string(v));
		} else {
			h_fail("unexpected member %s", k);
		}
	}
	H_ASSERT_INT(seen, 15);
	assert_null(json_object_get(r->json, "refresh_token"));
	assert_null(json_object_get(r->json, "id_token"));
}

/* expires_in equals the token's exp - now; with the pinned clock, exactly. */
static void
expires_in_equals_exp_minus_now(void **state)
{
	struct h_resp *r = h_post_token(srv, grant());
	json_t *claims = h_expect_token(srv, r);
	long long exp = H_JINT(claims, "exp"), iat = H_JINT(claims, "iat");
	long long expires_in = H_JINT(r->json, "expires_in");

	H_ASSERT_INT(iat, h_T);
	H_ASSERT_INT(expires_in, exp - h_T);
	H_ASSERT_INT(expires_in, exp - iat);
	H_ASSERT_INT(expires_in, 120);   /* system default lifetime, no caps */
}

/* Content-Type application/json and Cache-Control no-store, on success and on errors. */
static void
content_type_and_cache_control(void **state)
{
	struct h_resp *r = h_post_token(srv, grant());
	const char *ct, *cc;

	h_expect_token(srv, r);
	ct = h_header(r, "Content-Type");
	assert_non_null(ct);
	assert_true(strncmp(ct, "application/json", 16) == 0);
	cc = h_header(r, "Cache-Control");
	H_ASSERT_STR(cc, "no-store");

	r = h_post_form(srv, "grant_type=" H_GRANT_TYPE);
	h_expect_error(srv, r, 400, "invalid_request", NULL, NULL);
	H_ASSERT_STR(h_header(r, "Cache-Control"), "no-store");
	assert_true(strncmp(h_header(r, "Content-Type"), "application/json", 16) == 0);
}

/* Non-POST methods on /token: 405 with an error body. */
static void
non_post_is_405(void **state)
{
	static const char *const methods[] = { "GET", "PUT", "DELETE", "PATCH" };

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		struct h_resp *r = h_http(srv, methods[i], "/token", NULL, NULL, 0, NULL);
		const char *allow;

		if (r->curl_rc != 0 || r->status != 405)
			h_fail("%s /token: expected 405, got %ld (%s)", methods[i], r->status, r->body);
		h_expect_error(srv, r, 405, "invalid_request", NULL, NULL);
		allow = h_header(r, "Allow");
		if (allow == NULL || strstr(allow, "POST") == NULL)
			h_fail("%s /token: Allow header %s does not name POST", methods[i], allow ? allow : "(none)");
	}
}

/* Missing grant_type -> 400 invalid_request (RFC 6749 5.2: a required parameter is missing). */
static void
missing_grant_type(void **state)
{
	struct h_resp *r = h_post_form(srv, h_strf("assertion=%s", h_urlenc(grant())));

	h_expect_error(srv, r, 400, "invalid_request", NULL, NULL);
}

/* Wrong grant_type -> 400 unsupported_grant_type. */
static void
wrong_grant_type(void **state)
{
	static const char *const gts[] = {
		"client_credentials", "authorization_code", "urn:ietf:params:oauth:grant-type:saml2-bearer",
		"urn:ietf:params:oauth:grant-type:jwt-bearer ", "URN:IETF:PARAMS:OAUTH:GRANT-TYPE:JWT-BEARER",
		"jwt_bearer_token",
	};

	for (size_t i = 0; i < sizeof(gts) / sizeof(gts[0]); i++) {
		struct h_resp *r = h_post_form(srv, h_strf("grant_type=%s&assertion=%s", h_urlenc(gts[i]),
		                                           h_urlenc(grant())));
		h_expect_error(srv, r, 400, "unsupported_grant_type", NULL, NULL);
	}
}

/* Missing (or empty) assertion -> 400 invalid_request. */
static void
missing_assertion(void **state)
{
	h_expect_error(srv, h_post_form(srv, "grant_type=" H_GRANT_TYPE), 400, "invalid_request", NULL, NULL);
	h_expect_error(srv, h_post_form(srv, "grant_type=" H_GRANT_TYPE "&assertion="), 400,
	               "invalid_request", NULL, NULL);
	h_expect_error(srv, h_post_form(srv, "grant_type=" H_GRANT_TYPE "&assertion"), 400,
	               "invalid_request", NULL, NULL);
	h_expect_error(srv, h_post_form(srv, ""), 400, "invalid_request", NULL, NULL);
}

/* Real clients send the fields in either order, and the grant type URL-encoded or not. */
static void
fields_in_either_order_and_encoding(void **state)
{
	h_expect_token(srv, h_post_form(srv, h_strf("assertion=%s&grant_type=%s", h_urlenc(grant()),
	                                            h_urlenc(H_GRANT_TYPE))));
	h_expect_token(srv, h_post_form(srv, h_strf("grant_type=%s&assertion=%s", H_GRANT_TYPE,
	                                            h_urlenc(grant()))));
	h_expect_token(srv, h_post_form(srv, h_strf("grant_type=%s&assertion=%s",
	                                            "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",
	                                            grant())));
}

/* Undocumented extra form parameters (e.g. client_id) are ignored. */
static void
extra_form_parameters_ignored(void **state)
{
	h_expect_token(srv, h_post_form(srv, h_strf("client_id=%s&grant_type=%s&assertion=%s&scope=x", CLIENT,
	                                            h_urlenc(H_GRANT_TYPE), h_urlenc(grant()))));
}

/* application/x-www-form-urlencoded with a charset parameter is a form. */
static void
form_content_type_with_charset(void **state)
{
	const char *body = h_strf("grant_type=%s&assertion=%s", h_urlenc(H_GRANT_TYPE), h_urlenc(grant()));
	struct h_resp *r = h_http(srv, "POST", "/token", "application/x-www-form-urlencoded; charset=UTF-8",
	                          body, strlen(body), NULL);

	h_expect_token(srv, r);
}

/* The granted scope in the response is the requested scope string (two scopes). */
static void
response_scope_lists_granted_scopes(void **state)
{
	struct h_resp *r = h_post_token(srv, h_sign_x5c(cert_a, "RS256", h_claims(CLIENT, SCOPE " porten:write")));
	json_t *claims = h_expect_token(srv, r);

	H_ASSERT_STR(H_JSTR(r->json, "scope"), SCOPE " porten:write");
	H_ASSERT_STR(H_JSTR(claims, "scope"), SCOPE " porten:write");
}

/* Without --plain-http the server speaks TLS with a certificate from DATA/tls/ca.pem; a
 * plain-HTTP request to the same port gets no HTTP response. */
static void
tls_listener(void **state)
{
	struct h_server_opts o = { 0 };
	struct h_server *t;
	struct h_resp *r;
	const char *plain;

	o.seed = seed_json();
	o.tls = true;
	t = h_server_start(&o);
	assert_true(strncmp(t->url, "https://127.0.0.1:", 18) == 0);

	r = h_get(t, "/.well-known/oauth-authorization-server");
	if (r->curl_rc != 0 || r->status != 200)
		h_fail("HTTPS with the generated CA failed: curl %d %s, status %ld", r->curl_rc, r->curl_err,
		       r->status);
	H_ASSERT_STR(H_JSTR(r->json, "issuer"), H_ISSUER);
	/* The token endpoint over TLS. */
	h_expect_token(t, h_post_token(t, grant()));

	/* Without the CA the certificate is not trusted. */
	r = h_http_url(h_strf("https://127.0.0.1:%u/jwk", t->port), "/dev/null", "GET", NULL, NULL, 0, NULL);
	if (r->curl_rc == 0)
		h_fail("HTTPS succeeded without trusting DATA/tls/ca.pem (status %ld)", r->status);

	/* Plain HTTP to the TLS port: no HTTP response. */
	plain = h_strf("http://127.0.0.1:%u/jwk", t->port);
	r = h_http_url(plain, NULL, "GET", NULL, NULL, 0, NULL);
	if (r->curl_rc == 0 || r->status != 0)
		h_fail("plain HTTP to the TLS port got an HTTP response: status %ld body %.200s", r->status, r->body);
	h_server_stop(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(post_token_returns_200_json),
		cmocka_unit_test(success_body_has_exactly_four_members),
		cmocka_unit_test(expires_in_equals_exp_minus_now),
		cmocka_unit_test(content_type_and_cache_control),
		cmocka_unit_test(non_post_is_405),
		cmocka_unit_test(missing_grant_type),
		cmocka_unit_test(wrong_grant_type),
		cmocka_unit_test(missing_assertion),
		cmocka_unit_test(fields_in_either_order_and_encoding),
		cmocka_unit_test(extra_form_parameters_ignored),
		cmocka_unit_test(form_content_type_with_charset),
		cmocka_unit_test(response_scope_lists_granted_scopes),
		cmocka_unit_test(tls_listener),
	};

	return cmocka_run_group_tests_name("integration: token endpoint", tests, group_setup, group_teardown);
}
