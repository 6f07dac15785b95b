/* spec/maskinporten.md 8.1-8.3 and checklist 11 "Scopes and consumers" and "Delegation"
 * (token-time part). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG_PROVIDER "991825827"
#define ORG_C "974761076"     /* consumer with its own client (certificate) */
#define ORG_S "910753614"     /* supplier (certificate) */
#define ORG_D "123456785"     /* consumer that delegated to S and has access */
#define ORG_D2 "310000019"    /* delegated to S, but no access */
#define ORG_D3 "310000027"    /* has access, but delegated nothing to S */
#define ORG_M "889640782"     /* customer of a supplier-managed client */

#define CLIENT "sc-client"
#define SUPPLIER "sc-supplier"
#define MANAGED "sc-managed"
#define SOURCE "https://tt02.altinn.no/"

#define TXT_MP200 "Token request contains invalid scopes for client"
#define TXT_MP201 "Token request contains scopes not allowed for maskinporten"
#define TXT_MP250 "Consumer has not been granted access to the scope"
#define TXT_MP011 "Invalid assertion. Invalid parameter value"
#define TXT_COMBINATION \
	"Validation of JWT claim failed: The combination consumer_org in claim and delegation scope on client is invalid"

static struct h_server *srv;
static struct h_cert *cert_c, *cert_s;
static struct h_key *key_m;

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };
	json_t *seed;

	h_init();
	assert_true(h_orgno_valid(ORG_D2) && h_orgno_valid(ORG_D3));
	cert_c = h_issue("c", ORG_C, "valid");
	cert_s = h_issue("s", ORG_S, "valid");
	key_m = h_key_new("sc-managed-k1");

	seed = h_seed_new();
	h_seed_scope(seed, "prov:ok", ORG_PROVIDER, NULL);
	h_seed_scope(seed, "prov:second", ORG_PROVIDER, NULL);
	h_seed_scope(seed, "prov:notonclient", ORG_PROVIDER, NULL);
	h_seed_scope(seed, "prov:inactive", ORG_PROVIDER, json_pack("{s:b}", "active", 0));
	h_seed_scope(seed, "prov:idporten", ORG_PROVIDER,
	             json_pack("{s:[s]}", "allowed_integration_types", "idporten"));
	h_seed_scope(seed, "prov:mixedtypes", ORG_PROVIDER,
	             json_pack("{s:[s,s]}", "allowed_integration_types", "idporten", "maskinporten"));
	h_seed_scope(seed, "prov:notypes", ORG_PROVIDER, json_pack("{s:[]}", "allowed_integration_types"));
	h_seed_scope(seed, "prov:noaccess", ORG_PROVIDER, NULL);
	h_seed_scope(seed, "prov:requested", ORG_PROVIDER, NULL);
	h_seed_scope(seed, "prov:denied", ORG_PROVIDER, NULL);
	h_seed_scope(seed, "prov:open", ORG_PROVIDER, json_pack("{s:b}", "accessible_for_all", 1));
	h_seed_scope(seed, "prov:deleg", ORG_PROVIDER, json_pack("{s:s}", "delegation_source", SOURCE));
	h_seed_scope(seed, "prov:delegopen", ORG_PROVIDER,
	             json_pack("{s:s,s:b}", "delegation_source", SOURCE, "accessible_for_all", 1));

	static const char *const approved_c[] = { "prov:ok", "prov:second", "prov:notonclient", "prov:inactive",
	                                          "prov:idporten", "prov:mixedtypes", "prov:notypes" };
	for (size_t i = 0; i < sizeof(approved_c) / sizeof(approved_c[0]); i++)
		h_seed_access(seed, approved_c[i], ORG_C, "APPROVED");
	h_seed_access(seed, "prov:requested", ORG_C, "REQUESTED");
	h_seed_access(seed, "prov:denied", ORG_C, "DENIED");
	h_seed_access(seed, "prov:ok", ORG_M, "APPROVED");
	/* delegation consumers */
	h_seed_access(seed, "prov:deleg", ORG_D, "APPROVED");
	h_seed_access(seed, "prov:deleg", ORG_D3, "APPROVED");
	h_seed_access(seed, "prov:ok", ORG_D, "APPROVED");
	/* The supplier's own access to the delegated scope is not what counts. */
	h_seed_access(seed, "prov:deleg", ORG_S, "APPROVED");

	h_seed_client(seed, CLIENT, ORG_C,
	              "prov:ok prov:second prov:inactive prov:idporten prov:mixedtypes prov:notypes prov:noaccess "
	              "prov:requested prov:denied prov:open prov:ghost prov:deleg",
	              NULL);
	h_seed_client(seed, SUPPLIER, ORG_S, "prov:deleg prov:delegopen prov:ok", NULL);
	h_seed_client(seed, MANAGED, ORG_M, "prov:ok",
	              json_pack("{s:s,s:{s:[o]}}", "supplier_orgno", ORG_S, "jwks", "keys",
	                        h_key_jwk(key_m, "RS256", h_T - 86400)));

	h_seed_delegation(seed, ORG_D, ORG_S, "prov:deleg");
	h_seed_delegation(seed, ORG_D2, ORG_S, "prov:deleg");
	h_seed_delegation(seed, ORG_D, ORG_S, "prov:delegopen");
	h_seed_delegation(seed, ORG_D, ORG_S, "prov:ok");
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

static const char *
grant_c(const char *scope)
{
	return h_sign_x5c(cert_c, "RS256", h_claims(CLIENT, scope));
}

static const char *
grant_s(const char *scope, const char *consumer_org)
{
	json_t *c = h_claims(SUPPLIER, scope);

	if (consumer_org)
		json_object_set_new(c, "consumer_org", json_string(consumer_org));
	return h_sign_x5c(cert_s, "RS256", c);
}

/* The description names the offending scope: "<text>, <scope>". */
static void
expect_mp200(const char *scope, const char *bad)
{
	struct h_resp *r = h_post_token(srv, grant_c(scope));

	h_expect_error(srv, r, 400, "invalid_scope", "MP-200", TXT_MP200);
	H_ASSERT_STR(h_error_text(r), h_strf("%s, %s", TXT_MP200, bad));
}

static void
expect_mp250(const char *grant, const char *bad)
{
	struct h_resp *r = h_post_token(srv, grant);

	h_expect_error(srv, r, 403, "forbidden", "MP-250", TXT_MP250);
	if (strstr(h_error_text(r), bad) == NULL)
		h_fail("MP-250 description does not name %s: %s", bad, h_error_text(r));
	H_ASSERT_STR(h_error_text(r), h_strf("%s %s.", TXT_MP250, bad));
}

/* ---- 8.1 ---- */

/* A scope not registered on the client -> invalid_scope, MP-200, 400, naming the scope. */
static void
scope_not_on_client_is_mp200(void **state)
{
	expect_mp200("prov:notonclient", "prov:notonclient");
}

/* Unknown scopes -> MP-200, whether or not the client lists them. */
static void
unknown_scope_is_mp200(void **state)
{
	expect_mp200("prov:doesnotexist", "prov:doesnotexist");
	expect_mp200("prov:ghost", "prov:ghost");   /* on the client, but no such scope */
}

/* An inactive scope -> MP-200. */
static void
inactive_scope_is_mp200(void **state)
{
	expect_mp200("prov:inactive", "prov:inactive");
}

/* allowed_integration_types without maskinporten -> MP-201; with it, or empty, fine. */
static void
integration_types(void **state)
{
	struct h_resp *r = h_post_token(srv, grant_c("prov:idporten"));

	h_expect_error(srv, r, 400, "invalid_scope", "MP-201", TXT_MP201);
	h_token_ok(srv, grant_c("prov:mixedtypes"));
	h_token_ok(srv, grant_c("prov:notypes"));
}

/* No access record at all -> forbidden, MP-250, 403. */
static void
no_access_is_mp250(void **state)
{
	expect_mp250(grant_c("prov:noaccess"), "prov:noaccess");
}

/* Access REQUESTED or DENIED is no access. */
static void
requested_or_denied_is_mp250(void **state)
{
	expect_mp250(grant_c("prov:requested"), "prov:requested");
	expect_mp250(grant_c("prov:denied"), "prov:denied");
}

/* accessible_for_all: issued without any access record. */
static void
accessible_for_all_without_access(void **state)
{
	json_t *tok = h_token_ok(srv, grant_c("prov:open"));

	H_ASSERT_STR(H_JSTR(tok, "scope"), "prov:open");
}

/* One failing scope among several fails the whole request. */
static void
one_failing_scope_fails_all(void **state)
{
	expect_mp250(grant_c("prov:ok prov:noaccess"), "prov:noaccess");
	expect_mp250(grant_c("prov:noaccess prov:ok"), "prov:noaccess");
	expect_mp200("prov:ok prov:notonclient prov:second", "prov:notonclient");
	h_token_err(srv, grant_c("prov:open prov:idporten"), 400, "invalid_scope", "MP-201", TXT_MP201);
}

static int
scope_set_equal(const char *a, const char *b)
{
	char *x = h_strf("%s", a), *y = h_strf("%s", b), *save = NULL, *t;
	int na = 0, nb = 0;

	for (t = strtok_r(x, " ", &save); t; t = strtok_r(NULL, " ", &save), na++) {
		const char *p = strstr(b, t);
		size_t n = strlen(t);
		int found = 0;

		while (p) {
			if ((p == b || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
				found = 1;
			p = strstr(p + 1, t);
		}
		if (!found)
			return 0;
	}
	for (t = strtok_r(y, " ", &save); t; t = strtok_r(NULL, " ", &save))
		nb++;
	return na == nb;
}

/* The token's scope is the requested set. */
static void
granted_scope_equals_requested_set(void **state)
{
	static const char req[] = "prov:ok prov:second prov:open";
	struct h_resp *r = h_post_token(srv, grant_c(req));
	json_t *tok = h_expect_token(srv, r);

	if (!scope_set_equal(H_JSTR(tok, "scope"), req))
		h_fail("token scope \"%s\" is not the requested set \"%s\"", H_JSTR(tok, "scope"), req);
	if (!scope_set_equal(H_JSTR(r->json, "scope"), req))
		h_fail("response scope \"%s\" is not the requested set \"%s\"", H_JSTR(r->json, "scope"), req);
	/* Whitespace variations and repeats do not change the set. */
	tok = h_token_ok(srv, grant_c(" prov:second\tprov:ok  prov:ok "));
	if (!scope_set_equal(H_JSTR(tok, "scope"), "prov:ok prov:second"))
		h_fail("token scope \"%s\" is not {prov:ok, prov:second}", H_JSTR(tok, "scope"));
}

/* ---- 8.2 delegation ---- */

/* consumer_org equal to the client's own orgno -> the "combination" error. */
static void
consumer_org_equal_to_own_orgno(void **state)
{
	h_token_err(srv, grant_s("prov:deleg", ORG_S), 400, "invalid_request", NULL, TXT_COMBINATION);
	{
		json_t *c = h_claims(CLIENT, "prov:ok");

		json_object_set_new(c, "consumer_org", json_string(ORG_C));
		h_token_err(srv, h_sign_x5c(cert_c, "RS256", c), 400, "invalid_request", NULL, TXT_COMBINATION);
	}
}

/* consumer_org on a scope without delegation_source is rejected. */
static void
consumer_org_on_scope_without_source(void **state)
{
	/* D delegated prov:ok to S in the store, and D has access: only the missing source is wrong. */
	h_token_err(srv, grant_s("prov:ok", ORG_D), 400, "invalid_request", NULL, TXT_COMBINATION);
}

/* No Altinn delegation -> MP-251, 403; the text names consumer, scope and supplier. */
static void
missing_delegation_is_mp251(void **state)
{
	struct h_resp *r = h_post_token(srv, grant_s("prov:deleg", ORG_D3));

	h_expect_error(srv, r, 403, "forbidden", "MP-251", "Consumer " ORG_D3 " has not delegated access to the scope");
	H_ASSERT_STR(h_error_text(r),
	             "Consumer " ORG_D3 " has not delegated access to the scope prov:deleg to supplier " ORG_S);
	/* A delegation of another scope does not count. */
	r = h_post_token(srv, grant_s("prov:deleg", "921605900"));
	h_expect_error(srv, r, 403, "forbidden", "MP-251",
	               "Consumer 921605900 has not delegated access to the scope prov:deleg to supplier " ORG_S);
}

/* Delegation present, but the consumer lacks access -> MP-250. */
static void
delegation_without_consumer_access_is_mp250(void **state)
{
	expect_mp250(grant_s("prov:deleg", ORG_D2), "prov:deleg");
}

/* The delegated token names consumer, supplier and the delegation source. */
static void
delegated_token_claims(void **state)
{
	json_t *tok = h_token_ok(srv, grant_s("prov:deleg", ORG_D)), *o;

	H_ASSERT_STR(H_JSTR(tok, "client_id"), SUPPLIER);
	o = json_object_get(tok, "consumer");
	H_ASSERT_STR(H_JSTR(o, "authority"), "iso6523-actorid-upis");
	H_ASSERT_STR(H_JSTR(o, "ID"), "0192:" ORG_D);
	o = json_object_get(tok, "supplier");
	H_ASSERT_STR(H_JSTR(o, "authority"), "iso6523-actorid-upis");
	H_ASSERT_STR(H_JSTR(o, "ID"), "0192:" ORG_S);
	H_ASSERT_STR(H_JSTR(tok, "delegation_source"), SOURCE);
	H_ASSERT_STR(H_JSTR(tok, "scope"), "prov:deleg");
	assert_null(json_object_get(tok, "client_orgno"));
}

/* Delegation works for accessible_for_all scopes (D has no access record for it). */
static void
delegation_for_accessible_for_all(void **state)
{
	json_t *tok = h_token_ok(srv, grant_s("prov:delegopen", ORG_D));

	H_ASSERT_STR(H_JSTR(json_object_get(tok, "consumer"), "ID"), "0192:" ORG_D);
	H_ASSERT_STR(H_JSTR(json_object_get(tok, "supplier"), "ID"), "0192:" ORG_S);
	H_ASSERT_STR(H_JSTR(tok, "delegation_source"), SOURCE);
	/* ... but it still needs the delegation itself. */
	h_token_err(srv, grant_s("prov:delegopen", ORG_D3), 403, "forbidden", "MP-251",
	            "Consumer " ORG_D3 " has not delegated access to the scope prov:delegopen to supplier " ORG_S);
}

/* consumer_org together with iss_onbehalfof is rejected. */
static void
consumer_org_with_iss_onbehalfof(void **state)
{
	json_t *c = h_claims(SUPPLIER, "prov:deleg");

	json_object_set_new(c, "consumer_org", json_string(ORG_D));
	json_object_set_new(c, "iss_onbehalfof", json_string("some-onbehalfof"));
	h_token_err(srv, h_sign_x5c(cert_s, "RS256", c), 400, "invalid_request", "MP-011", TXT_MP011);
}

/* consumer_org must be an organisation number string. */
static void
consumer_org_malformed(void **state)
{
	static const char *const bad[] = { "12345678", "1234567890", "123456784", "0192:123456785" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		h_token_err(srv, grant_s("prov:deleg", bad[i]), 400, "invalid_request", "MP-011", TXT_MP011);
	{
		json_t *c = h_claims(SUPPLIER, "prov:deleg");

		json_object_set_new(c, "consumer_org", json_integer(123456785));
		h_token_err(srv, h_sign_x5c(cert_s, "RS256", c), 400, "invalid_request", "MP-011", TXT_MP011);
	}
}

/* 8.3 supplier-managed client: consumer = client_orgno, supplier = supplier_orgno, no source. */
static void
supplier_managed_client(void **state)
{
	json_t *tok = h_token_ok(srv, h_sign_kid(key_m, "RS256", h_claims(MANAGED, "prov:ok")));

	H_ASSERT_STR(H_JSTR(json_object_get(tok, "consumer"), "ID"), "0192:" ORG_M);
	H_ASSERT_STR(H_JSTR(json_object_get(tok, "supplier"), "ID"), "0192:" ORG_S);
	H_ASSERT_STR(H_JSTR(json_object_get(tok, "supplier"), "authority"), "iso6523-actorid-upis");
	assert_null(json_object_get(tok, "delegation_source"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scope_not_on_client_is_mp200),
		cmocka_unit_test(unknown_scope_is_mp200),
		cmocka_unit_test(inactive_scope_is_mp200),
		cmocka_unit_test(integration_types),
		cmocka_unit_test(no_access_is_mp250),
		cmocka_unit_test(requested_or_denied_is_mp250),
		cmocka_unit_test(accessible_for_all_without_access),
		cmocka_unit_test(one_failing_scope_fails_all),
		cmocka_unit_test(granted_scope_equals_requested_set),
		cmocka_unit_test(consumer_org_equal_to_own_orgno),
		cmocka_unit_test(consumer_org_on_scope_without_source),
		cmocka_unit_test(missing_delegation_is_mp251),
		cmocka_unit_test(delegation_without_consumer_access_is_mp250),
		cmocka_unit_test(delegated_token_claims),
		cmocka_unit_test(delegation_for_accessible_for_all),
		cmocka_unit_test(consumer_org_with_iss_onbehalfof),
		cmocka_unit_test(consumer_org_malformed),
		cmocka_unit_test(supplier_managed_client),
	};

	return cmocka_run_group_tests_name("integration: scopes, consumers and delegation", tests, group_setup,
	                                   group_teardown);
}
