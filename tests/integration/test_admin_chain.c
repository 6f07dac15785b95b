/* The whole chain of docs/seed.md's example built through the administration API, as one
 * test, from a seed that holds nothing but the initial admin grants:
 *
 *   Digdir (operator)  assigns the prefix folkeregister to Skatteetaten;
 *   Skatteetaten       creates folkeregister:deling/offentligmedhjemmel (POST /scopes) and
 *                      grants the kommune access with the legacy POST /scopes/access/;
 *   the kommune        registers a client (POST /clients), uploads its key
 *                      (POST /clients/{id}/jwks), adds the scope (PUT /clients/{id}) and gets
 *                      a token whose claims are right.
 *
 * Then the audit trail (GET /admin/audit) shows each step: actor orgno and client_id,
 * action, before and after. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG_SKATT "974761076"
#define ORG_KOMMUNE "910753614"
#define FREG "folkeregister:deling/offentligmedhjemmel"

static const char *
js(const json_t *o, const char *name)
{
	const char *v = json_string_value(json_object_get(o, name));

	return v ? v : "";
}

/* The audit entry has exactly the documented members, at the pinned time. */
static void
check_entry(const json_t *e, const char *action, const char *orgno, const char *client_id, int64_t now)
{
	static const char *const members[] = { "id", "time", "actor_orgno", "actor_client_id", "action", "object",
	                                       "key", "before", "after", "correlation_id" };
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)e, k, v) {
		bool ok = false;

		for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
			if (strcmp(k, members[i]) == 0)
				ok = true;
		if (!ok)
			h_fail("unexpected member \"%s\" in audit entry %s", k, h_dump(e));
	}
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (json_object_get(e, members[i]) == NULL)
			h_fail("audit entry lacks \"%s\": %s", members[i], h_dump(e));
	assert_true(json_is_integer(json_object_get(e, "id")) || json_is_string(json_object_get(e, "id")));
	H_ASSERT_STR(H_JSTR(e, "action"), action);
	H_ASSERT_STR(H_JSTR(e, "actor_orgno"), orgno);
	H_ASSERT_STR(H_JSTR(e, "actor_client_id"), client_id);
	H_ASSERT_STR(H_JSTR(e, "time"), h_iso8601(now));
	H_JSTR(e, "object");
	H_JSTR(e, "key");
	H_JSTR(e, "correlation_id");
}

static bool
json_has_key_deep(const json_t *j, const char *key)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
			if (strcmp(k, key) == 0 || json_has_key_deep(v, key))
				return true;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (json_has_key_deep(v, key))
				return true;
	}
	return false;
}

static void
full_chain_through_the_api(void **state)
{
	struct h_server_opts o = { 0 };
	json_t *seed, *scope, *access, *client, *client2, *jwks, *tk, *audit, *fresh, *e, *hdr, *mine;
	struct h_actor *digdir, *skatt, *kommune;
	struct h_server *s;
	struct h_key *key = h_key_new("kommune-2026");
	struct h_resp *r;
	size_t base, i;
	const char *id, *t;
	static const char *const want[] = { "prefix.assign", "scope.create", "access.grant", "client.create",
	                                    "jwks.replace", "client.update" };
	json_t *got[6] = { NULL };

	h_init();
	/* only the initial admin grants */
	seed = h_seed_new();
	h_seed_admin_scopes(seed);
	digdir = h_seed_actor(seed, "digdir-admin", H_ORG_DIGDIR, H_SC_ADMIN, NULL);
	skatt = h_seed_actor(seed, "skatt-admin", ORG_SKATT, H_SC_SCOPES, NULL);
	kommune = h_seed_actor(seed, "kommune-admin", ORG_KOMMUNE,
	                       H_SC_DCR_READ " " H_SC_DCR_WRITE " " H_SC_DCR_MODIFY, NULL);
	o.seed = seed;
	s = h_server_start(&o);

	audit = h_audit(s, digdir, NULL);
	base = json_array_size(audit);
	{
		size_t loads = 0;

		json_array_foreach(audit, i, e)
			if (strcmp(js(e, "action"), "seed.load") == 0)
				loads++;
		H_ASSERT_INT(loads, 1);
	}

	/* Skatteetaten does not own the prefix yet */
	r = h_api(s, "POST", "/scopes", h_actor_token(s, skatt, H_SC_SCOPES),
	          "{\"prefix\":\"folkeregister\",\"subscope\":\"deling/offentligmedhjemmel\",\"description\":\"early\"}");
	h_expect_api_error(r, 403, "access_denied");
	/* 1. Digdir assigns it */
	t = h_actor_token(s, digdir, H_SC_ADMIN);
	r = h_api(s, "PUT", "/admin/prefixes/folkeregister", t, "{\"owner_orgno\":\"" ORG_SKATT "\"}");
	h_expect_api(r, 200);
	r = h_api(s, "GET", "/admin/prefixes", t, NULL);
	if (!json_equal(h_find(h_expect_api(r, 200), "prefix", "folkeregister"),
	                h_keep_json(json_pack("{s:s,s:s}", "prefix", "folkeregister", "owner_orgno", ORG_SKATT))))
		h_fail("GET /admin/prefixes: %s", r->body);
	r = h_api(s, "GET", "/prefix", h_actor_token(s, skatt, H_SC_SCOPES), NULL);
	mine = h_expect_api(r, 200);
	if (!json_equal(mine, h_keep_json(json_pack("[{s:s,s:s}]", "prefix", "folkeregister", "owner_orgno", ORG_SKATT))))
		h_fail("GET /prefix for Skatteetaten: %s", r->body);

	/* 2. Skatteetaten creates the scope */
	r = h_api(s, "POST", "/scopes", h_actor_token(s, skatt, H_SC_SCOPES),
	          "{\"prefix\":\"folkeregister\",\"subscope\":\"deling/offentligmedhjemmel\","
	          "\"description\":\"Folkeregisteret offentlig med hjemmel\",\"allowed_integration_types\":[\"maskinporten\"],"
	          "\"delegation_source\":\"" H_ALTINN_TT02 "\"}");
	scope = h_expect_api(r, 201);
	H_ASSERT_STR(H_JSTR(scope, "name"), FREG);
	H_ASSERT_STR(H_JSTR(scope, "owner_orgno"), ORG_SKATT);

	/* 3. and grants the kommune access, the old way Folkeregisteret documents */
	r = h_api(s, "POST", "/scopes/access/", h_actor_token(s, skatt, H_SC_SCOPES),
	          "{\"scope\":\"" FREG "\",\"consumer_orgno\":\"" ORG_KOMMUNE "\"}");
	access = h_expect_api(r, 200);
	H_ASSERT_STR(H_JSTR(access, "state"), "APPROVED");
	H_ASSERT_STR(H_JSTR(access, "consumer_orgno"), ORG_KOMMUNE);
	H_ASSERT_STR(H_JSTR(access, "owner_orgno"), ORG_SKATT);
	r = h_api(s, "GET", "/scopes/access/all", h_actor_token(s, kommune, H_SC_DCR_READ), NULL);
	if (!json_equal(h_find(h_expect_api(r, 200), "scope", FREG), access))
		h_fail("the kommune's GET /scopes/access/all: %s", r->body);

	/* 4. the kommune registers a client */
	r = h_api(s, "POST", "/clients", h_actor_token(s, kommune, H_SC_DCR_WRITE),
	          "{\"integration_type\":\"maskinporten\",\"client_name\":\"Kommune\",\"description\":\"Folkeregister-oppslag\","
	          "\"token_endpoint_auth_method\":\"private_key_jwt\",\"grant_types\":[\"" H_GRANT_TYPE "\"],"
	          "\"scopes\":[],\"application_type\":\"web\"}");
	client = h_expect_api(r, 201);
	id = h_strf("%s", H_JSTR(client, "client_id"));
	assert_true(h_is_uuid(id));
	H_ASSERT_STR(H_JSTR(client, "client_orgno"), ORG_KOMMUNE);

	/* 5. uploads its key */
	r = h_apij(s, "POST", h_strf("/clients/%s/jwks", id), h_actor_token(s, kommune, H_SC_DCR_WRITE),
	           h_keep_json(json_pack("{s:[O]}", "keys", h_key_pub(key, "RS256"))));
	jwks = h_expect_api(r, 200);
	H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(jwks, "keys"), 0), "kid"), "kommune-2026");

	/* 6. adds the scope */
	r = h_api(s, "PUT", h_strf("/clients/%s", id), h_actor_token(s, kommune, H_SC_DCR_MODIFY),
	          "{\"scopes\":[\"" FREG "\"]}");
	client2 = h_expect_api(r, 200);
	H_ASSERT_STR(h_dump(json_object_get(client2, "scopes")), "[\"" FREG "\"]");

	/* 7. and gets a token */
	r = h_post_token(s, h_sign_kid(key, "RS256", h_claims_now(s, id, FREG)));
	tk = h_expect_token_at(__FILE__, __LINE__, s, r, &hdr);
	H_ASSERT_INT(H_JINT(r->json, "expires_in"), 120);
	H_ASSERT_STR(H_JSTR(r->json, "scope"), FREG);
	H_ASSERT_STR(H_JSTR(hdr, "alg"), "RS256");
	H_ASSERT_STR(H_JSTR(tk, "iss"), H_ISSUER);
	H_ASSERT_STR(H_JSTR(tk, "client_id"), id);
	H_ASSERT_STR(H_JSTR(tk, "client_amr"), "private_key_jwt");
	H_ASSERT_STR(H_JSTR(tk, "token_type"), "Bearer");
	H_ASSERT_STR(H_JSTR(tk, "scope"), FREG);
	H_ASSERT_STR(H_JSTR(tk, "aud"), "unspecified");
	H_ASSERT_STR(H_JSTR(json_object_get(tk, "consumer"), "authority"), "iso6523-actorid-upis");
	H_ASSERT_STR(H_JSTR(json_object_get(tk, "consumer"), "ID"), "0192:" ORG_KOMMUNE);
	H_ASSERT_INT(H_JINT(tk, "iat"), s->now);
	H_ASSERT_INT(H_JINT(tk, "exp"), s->now + 120);
	H_JSTR(tk, "jti");
	assert_null(json_object_get(tk, "supplier"));
	assert_null(json_object_get(tk, "delegation_source"));
	assert_null(json_object_get(tk, "client_orgno"));

	/* 8. the trail: one entry per step, in order, by whom, with the documents */
	audit = h_audit(s, digdir, NULL);
	fresh = h_keep_json(json_array());
	for (i = base; i < json_array_size(audit); i++)
		json_array_append(fresh, json_array_get(audit, i));
	if (json_array_size(fresh) != 6)
		h_fail("expected exactly 6 new audit entries (%s ...), got %zu: %s", want[0], json_array_size(fresh),
		       h_dump(fresh));
	for (i = 0; i < 6; i++)
		got[i] = json_array_get(fresh, i);
	for (i = 0; i < 6; i++)
		if (strcmp(js(got[i], "action"), want[i]) != 0)
			h_fail("audit entry %zu is %s, expected %s: %s", i, js(got[i], "action"), want[i], h_dump(fresh));
	check_entry(got[0], "prefix.assign", H_ORG_DIGDIR, "digdir-admin", s->now);
	H_ASSERT_STR(js(json_object_get(got[0], "after"), "owner_orgno"), ORG_SKATT);
	check_entry(got[1], "scope.create", ORG_SKATT, "skatt-admin", s->now);
	assert_true(json_is_null(json_object_get(got[1], "before")));
	if (!json_equal(json_object_get(got[1], "after"), scope))
		h_fail("scope.create after %s is not the created scope %s", h_dump(json_object_get(got[1], "after")), h_dump(scope));
	check_entry(got[2], "access.grant", ORG_SKATT, "skatt-admin", s->now);
	assert_true(json_is_null(json_object_get(got[2], "before")));
	if (!json_equal(json_object_get(got[2], "after"), access))
		h_fail("access.grant after %s is not the record %s", h_dump(json_object_get(got[2], "after")), h_dump(access));
	check_entry(got[3], "client.create", ORG_KOMMUNE, "kommune-admin", s->now);
	assert_true(json_is_null(json_object_get(got[3], "before")));
	if (!json_equal(json_object_get(got[3], "after"), client))
		h_fail("client.create after %s is not the client %s", h_dump(json_object_get(got[3], "after")), h_dump(client));
	check_entry(got[4], "jwks.replace", ORG_KOMMUNE, "kommune-admin", s->now);
	{
		json_t *after = json_object_get(got[4], "after");
		json_t *k0 = json_array_get(json_object_get(after, "keys"), 0);

		H_ASSERT_STR(js(k0, "kid"), "kommune-2026");
		if (json_has_key_deep(got[4], "n"))
			h_fail("a key in the trail carries its modulus: %s", h_dump(got[4]));
		if (strstr(h_dump(got[4]), H_JSTR(h_key_pub(key, "RS256"), "n")) != NULL)
			h_fail("the modulus appears in the trail: %s", h_dump(got[4]));
	}
	check_entry(got[5], "client.update", ORG_KOMMUNE, "kommune-admin", s->now);
	if (!json_equal(json_object_get(got[5], "before"), client))
		h_fail("client.update before %s is not the client as it was %s", h_dump(json_object_get(got[5], "before")),
		       h_dump(client));
	if (!json_equal(json_object_get(got[5], "after"), client2))
		h_fail("client.update after %s is not the client as it is %s", h_dump(json_object_get(got[5], "after")),
		       h_dump(client2));
	/* ids increase; correlation ids are distinct */
	for (i = 1; i < 6; i++) {
		json_t *a = json_object_get(got[i - 1], "id"), *b = json_object_get(got[i], "id");

		if (json_is_integer(a) ? json_integer_value(a) >= json_integer_value(b)
		                       : strcmp(json_string_value(a), json_string_value(b)) >= 0)
			h_fail("audit ids do not increase: %s then %s", h_dump(a), h_dump(b));
		if (strcmp(js(got[i - 1], "correlation_id"), js(got[i], "correlation_id")) == 0)
			h_fail("two changes share a correlation_id: %s", h_dump(fresh));
	}
	/* the filter by actor */
	{
		json_t *only = h_audit(s, digdir, "actor=" ORG_SKATT);

		H_ASSERT_INT(json_array_size(only), 2);
		if (!json_equal(json_array_get(only, 0), got[1]) || !json_equal(json_array_get(only, 1), got[2]))
			h_fail("GET /admin/audit?actor=%s: %s", ORG_SKATT, h_dump(only));
	}
	/* paging: limit=1 and after= walk the same entries */
	{
		json_t *prev = json_array_get(audit, base - 1);
		const char *after = json_is_integer(json_object_get(prev, "id"))
		                            ? h_strf("%lld", (long long)json_integer_value(json_object_get(prev, "id")))
		                            : h_urlenc(json_string_value(json_object_get(prev, "id")));

		for (i = 0; i < 6; i++) {
			json_t *page;

			r = h_api(s, "GET", h_strf("/admin/audit?limit=1&after=%s", after), h_actor_token(s, digdir, H_SC_ADMIN),
			          NULL);
			page = json_object_get(h_expect_api(r, 200), "entries");
			if (json_array_size(page) != 1 || !json_equal(json_array_get(page, 0), got[i]))
				h_fail("page %zu after %s: %s (expected %s)", i, after, r->body, h_dump(got[i]));
			after = json_is_integer(json_object_get(got[i], "id"))
			                ? h_strf("%lld", (long long)json_integer_value(json_object_get(got[i], "id")))
			                : h_urlenc(json_string_value(json_object_get(got[i], "id")));
		}
		r = h_api(s, "GET", h_strf("/admin/audit?limit=1&after=%s", after), h_actor_token(s, digdir, H_SC_ADMIN), NULL);
		H_ASSERT_INT(json_array_size(json_object_get(h_expect_api(r, 200), "entries")), 0);
	}
	/* the trail is the operator's */
	r = h_api(s, "GET", "/admin/audit", h_actor_token(s, skatt, H_SC_SCOPES), NULL);
	h_expect_api_error(r, 403, "insufficient_scope");
	r = h_api(s, "GET", "/admin/audit?limit=1001", h_actor_token(s, digdir, H_SC_ADMIN), NULL);
	if (r->status == 200)
		assert_true(json_array_size(json_object_get(r->json, "entries")) <= 1000);
	else
		h_expect_api_error(r, 400, "invalid_request");

	/* a reads-only pass changed nothing: no entries for GETs */
	H_ASSERT_INT(json_array_size(h_audit(s, digdir, NULL)), base + 6);
	h_server_stop(s);
}

static int
teardown(void **state)
{
	h_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_chain_through_the_api),
	};

	return cmocka_run_group_tests_name("integration: admin API, the seed's chain through the API", tests, NULL, teardown);
}
