/* The administration API, provider side: docs/admin-api.md "Authentication", "Errors",
 * "Scopes", "Consumer access"; spec/maskinporten.md 6 and checklist 11 "Self-service: scopes".
 *
 * One server for the group. Scopes are created through the API by each test under its own
 * names; the seed holds only the admin scopes, the admin clients, one scope per provider
 * (which makes it the owner of its prefix) and a consumer application client that lists the
 * scopes the tests create, so token-time effects (MP-200, MP-250) are observed at /token. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG_PROV "974761076"    /* Skatteetaten: prefixes prov, folkeregister */
#define ORG_OTHER "310000019"   /* another provider: prefix other */
#define ORG_CONS "910753614"    /* consumer */
#define ORG_CONS2 "310000027"   /* second consumer */
#define FREG "folkeregister:deling/offentligmedhjemmel"

#define TXT_MP200 "Token request contains invalid scopes for client"
#define TXT_MP250 "Consumer has not been granted access to the scope"

/* Scopes the consumer application lists (created by the tests through the API). */
#define APP_SCOPES "prov:seeded prov:tok/idem prov:tok/legacy prov:tok/states prov:tok/revoke " \
	"prov:tok/deact prov:tok/prefixed"

static struct h_server *srv;
static struct h_actor *op, *prov, *prov_ro, *other, *cons, *app;

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };
	json_t *seed;

	h_init();
	seed = h_seed_new();
	h_seed_admin_scopes(seed);
	h_seed_scope(seed, "prov:seeded", ORG_PROV, NULL);
	h_seed_scope(seed, FREG, ORG_PROV, json_pack("{s:s}", "delegation_source", H_ALTINN_TT02));
	h_seed_scope(seed, "other:seeded", ORG_OTHER, NULL);
	op = h_seed_actor(seed, "op-admin", H_ORG_DIGDIR, H_SC_ALL_ADMIN, NULL);
	prov = h_seed_actor(seed, "prov-admin", ORG_PROV, H_SC_SCOPES " " H_SC_DCR_READ " " H_SC_DCR_WRITE, NULL);
	prov_ro = h_seed_actor(seed, "prov-ro", ORG_PROV, H_SC_DCR_READ, NULL);
	other = h_seed_actor(seed, "other-admin", ORG_OTHER, H_SC_SCOPES, NULL);
	cons = h_seed_actor(seed, "cons-admin", ORG_CONS, H_SC_DCR_READ " " H_SC_DCR_WRITE " " H_SC_DELEG, NULL);
	app = h_seed_actor(seed, "cons-app", ORG_CONS, APP_SCOPES, NULL);
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

/* ---- helpers ---- */

static const char *
tok(const struct h_actor *a, const char *scope)
{
	return h_actor_token(srv, a, scope);
}

static const char *
q(const char *scope)
{
	return h_urlenc(scope);
}

/* POST /scopes as PROV: prefix:subscope from name, description, extra merged (stolen). */
static json_t *
create_as(const struct h_actor *a, const char *name, json_t *extra)
{
	const char *colon = strchr(name, ':');
	json_t *b = h_keep_json(json_pack("{s:s%,s:s,s:s}", "prefix", name, (size_t)(colon - name), "subscope",
	                                  colon + 1, "description", h_strf("scope %s", name)));
	struct h_resp *r;

	if (extra) {
		json_object_update(b, extra);
		json_decref(extra);
	}
	r = h_apij(srv, "POST", "/scopes", tok(a, H_SC_SCOPES), b);
	return h_expect_api(r, 201);
}

static json_t *
create(const char *name, json_t *extra)
{
	return create_as(prov, name, extra);
}

static json_t *
grant(const char *scope, const char *orgno, const char *body)
{
	struct h_resp *r = h_api(srv, "PUT", h_strf("/scopes/access/%s?scope=%s", orgno, q(scope)),
	                         tok(prov, H_SC_SCOPES), body);
	return h_expect_api(r, 200);
}

static struct h_resp *
app_grant(const char *scope)
{
	return h_post_token(srv, h_sign_kid(app->key, "RS256", h_claims_now(srv, app->client_id, scope)));
}

static json_t *
app_token_ok(const char *scope)
{
	return h_expect_token(srv, app_grant(scope));
}

static void
app_mp250(const char *scope)
{
	struct h_resp *r = app_grant(scope);

	h_expect_error(srv, r, 403, "forbidden", "MP-250", TXT_MP250);
	H_ASSERT_STR(h_error_text(r), h_strf("%s %s.", TXT_MP250, scope));
}

static void
app_mp200(const char *scope)
{
	struct h_resp *r = app_grant(scope);

	h_expect_error(srv, r, 400, "invalid_scope", "MP-200", TXT_MP200);
	H_ASSERT_STR(h_error_text(r), h_strf("%s, %s", TXT_MP200, scope));
}

/* A string member, or "" when absent. */
static const char *
js(const json_t *o, const char *name)
{
	const char *v = json_string_value(json_object_get(o, name));

	return v ? v : "";
}

static bool
listed(const json_t *arr, const char *name)
{
	return h_find(arr, "name", name) != NULL;
}

/* The members a scope object may have (docs/admin-api.md "The scope object"). */
static void
check_scope_members(const json_t *sc)
{
	static const char *const allowed[] = {
		"name", "prefix", "subscope", "description", "long_description", "active", "visibility",
		"allowed_integration_types", "at_max_age", "authorization_max_lifetime", "delegation_source",
		"accessible_for_all", "token_type", "requires_user_consent", "requires_user_authentication",
		"requires_pseudonymous_tokens", "owner_orgno", "created", "last_updated", NULL
	};
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)sc, k, v) {
		bool ok = strncmp(k, "description#", 12) == 0 || strncmp(k, "long_description#", 17) == 0;

		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(k, allowed[i]) == 0)
				ok = true;
		if (!ok)
			h_fail("unexpected member \"%s\" in scope %s", k, h_dump(sc));
	}
}

/* An access record has exactly {scope, state, prefix: null, created, last_updated,
 * consumer_orgno, owner_orgno}. */
static void
check_access(const json_t *rec, const char *scope, const char *state, const char *consumer, const char *owner)
{
	H_ASSERT_INT(json_object_size(rec), 7);
	H_ASSERT_STR(H_JSTR(rec, "scope"), scope);
	H_ASSERT_STR(H_JSTR(rec, "state"), state);
	if (!json_is_null(json_object_get(rec, "prefix")))
		h_fail("access record prefix is not null: %s", h_dump(rec));
	assert_true(h_is_iso8601(H_JSTR(rec, "created")));
	assert_true(h_is_iso8601(H_JSTR(rec, "last_updated")));
	H_ASSERT_STR(H_JSTR(rec, "consumer_orgno"), consumer);
	H_ASSERT_STR(H_JSTR(rec, "owner_orgno"), owner);
}

/* ---- authentication (401) and authorisation (403) ---- */

/* Checklist: admin endpoints require a Bearer token (401 without one), for every kind of
 * bad token: none, garbage, malformed JWT, other Authorization scheme, unsigned, signed by a
 * key not in /jwk, issued by another server, foreign issuer, expired beyond the 10 s skew. */
static void
unauthenticated_is_401(void **state)
{
	static const char *const paths[][2] = {
		{ "GET", "/scopes" }, { "POST", "/scopes" }, { "GET", "/scopes?scope=prov:seeded" },
		{ "GET", "/scopes/scope?scope=prov:seeded" }, { "PUT", "/scopes?scope=prov:seeded" },
		{ "DELETE", "/scopes?scope=prov:seeded" }, { "PUT", "/scopes/access/" ORG_CONS "?scope=prov:seeded" },
		{ "POST", "/scopes/access/" }, { "DELETE", "/scopes/access/" ORG_CONS "?scope=prov:seeded" },
		{ "GET", "/scopes/access?scope=prov:seeded" }, { "GET", "/scopes/access/?consumer_orgno=" ORG_CONS },
		{ "GET", "/scopes/access/all" }, { "GET", "/prefix" }, { "GET", "/clients" }, { "POST", "/clients" },
		{ "GET", "/delegations" }, { "GET", "/admin/keys" }, { "GET", "/admin/audit" },
		{ "POST", "/admin/clock" },
	};
	const char *good = tok(prov, H_SC_SCOPES), *forged;
	json_t *claims, *hdr;
	struct h_key *stranger = h_key_new("stranger");
	struct h_resp *r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const char *body = strcmp(paths[i][0], "GET") && strcmp(paths[i][0], "DELETE") ? "{}" : NULL;

		h_expect_api_error(h_api(srv, paths[i][0], paths[i][1], NULL, body), 401, "invalid_token");
		h_expect_api_error(h_api(srv, paths[i][0], h_strf("/api/v1%s", paths[i][1]), NULL, body), 401,
		                   "invalid_token");
	}
	/* garbage, malformed, other schemes */
	h_expect_api_error(h_api(srv, "GET", "/scopes", "garbage", NULL), 401, "invalid_token");
	h_expect_api_error(h_api(srv, "GET", "/scopes", "a.b.c", NULL), 401, "invalid_token");
	h_expect_api_error(h_api(srv, "GET", "/scopes", "", NULL), 401, "invalid_token");
	{
		const char *hd[] = { "Accept: application/json", h_strf("Authorization: Basic %s", good), NULL };
		h_expect_api_error(h_http(srv, "GET", "/scopes", NULL, NULL, 0, hd), 401, "invalid_token");
		hd[1] = h_strf("Authorization: %s", good);   /* no scheme */
		h_expect_api_error(h_http(srv, "GET", "/scopes", NULL, NULL, 0, hd), 401, "invalid_token");
	}
	/* a good token with one signature byte changed */
	{
		char *bad = h_strf("%s", good);
		size_t n = strlen(bad);

		bad[n - 5] = bad[n - 5] == 'A' ? 'B' : 'A';
		h_expect_api_error(h_api(srv, "GET", "/scopes", bad, NULL), 401, "invalid_token");
	}
	/* the token's own claims, re-signed: unsigned, by a stranger's key under the server's kid,
	 * by the server's key with another issuer */
	claims = h_jws_claims(good, &hdr);
	h_expect_api_error(h_api(srv, "GET", "/scopes",
	                         h_jws_raw("none", NULL, NULL, 0, h_dump(h_keep_json(json_pack("{s:s,s:O}", "alg", "none",
	                                                                                     "kid", json_object_get(hdr, "kid")))),
	                                   h_dump(claims)),
	                         NULL),
	                   401, "invalid_token");
	forged = h_sign_hdr(stranger->key, "RS256", hdr, claims);
	h_expect_api_error(h_api(srv, "GET", "/scopes", forged, NULL), 401, "invalid_token");
	{
		json_t *c2 = h_keep_json(json_deep_copy(claims));
		porten_key *sk = h_server_key(srv, H_JSTR(hdr, "kid"));

		/* control: the same re-signing with the real issuer is accepted */
		h_expect_api(h_api(srv, "GET", "/scopes", h_sign_hdr(sk, "RS256", hdr, c2), NULL), 200);
		json_object_set_new(c2, "iss", json_string("https://other.maskinporten.example/"));
		h_expect_api_error(h_api(srv, "GET", "/scopes", h_sign_hdr(sk, "RS256", hdr, c2), NULL), 401,
		                   "invalid_token");
		json_object_set_new(c2, "iss", json_string("https://test.maskinporten.no"));   /* no slash */
		h_expect_api_error(h_api(srv, "GET", "/scopes", h_sign_hdr(sk, "RS256", hdr, c2), NULL), 401,
		                   "invalid_token");
	}
	/* a real token of another porten server (same issuer string, other keys) */
	{
		struct h_server_opts o2 = { 0 };
		json_t *seed2 = h_seed_new();
		struct h_actor *twin;
		struct h_server *s2;

		h_seed_admin_scopes(seed2);
		twin = h_seed_actor(seed2, "prov-admin2", ORG_PROV, H_SC_SCOPES, NULL);
		o2.seed = seed2;
		s2 = h_server_start(&o2);
		r = h_api(srv, "GET", "/scopes", h_actor_token(s2, twin, H_SC_SCOPES), NULL);
		h_expect_api_error(r, 401, "invalid_token");
		h_server_stop(s2);
	}
	r = h_api(srv, "GET", "/scopes", good, NULL);
	h_expect_api(r, 200);
}

/* A token expired beyond the 10 s skew is refused; within it, accepted (the canonical rule
 * of spec 2.3: exp <= now - 10 is expired). First with tokens re-signed by the server's own
 * key (exp in the past), then by moving the clock. */
static void
expired_token_is_401(void **state)
{
	const char *t = tok(prov, H_SC_SCOPES);
	json_t *hdr, *c = h_jws_claims(t, &hdr), *c2;
	porten_key *sk = h_server_key(srv, H_JSTR(hdr, "kid"));
	int64_t exp;

	c2 = h_keep_json(json_deep_copy(c));
	json_object_set_new(c2, "iat", json_integer((json_int_t)(srv->now - 129)));
	json_object_set_new(c2, "exp", json_integer((json_int_t)(srv->now - 9)));
	h_expect_api(h_api(srv, "GET", "/scopes", h_sign_hdr(sk, "RS256", hdr, c2), NULL), 200);
	json_object_set_new(c2, "iat", json_integer((json_int_t)(srv->now - 130)));
	json_object_set_new(c2, "exp", json_integer((json_int_t)(srv->now - 10)));
	h_expect_api_error(h_api(srv, "GET", "/scopes", h_sign_hdr(sk, "RS256", hdr, c2), NULL), 401, "invalid_token");
	h_expect_api_error(h_api(srv, "GET", "/api/v1/scopes", h_sign_hdr(sk, "RS256", hdr, c2), NULL), 401,
	                   "invalid_token");
	json_object_del(c2, "exp");
	h_expect_api_error(h_api(srv, "GET", "/scopes", h_sign_hdr(sk, "RS256", hdr, c2), NULL), 401, "invalid_token");

	/* the same with a real token and the clock */
	exp = H_JINT(c, "exp");
	h_set_clock(srv, op, exp + 9);
	h_expect_api(h_api(srv, "GET", "/scopes", t, NULL), 200);
	h_set_clock(srv, op, exp + 10);
	h_expect_api_error(h_api(srv, "GET", "/scopes", t, NULL), 401, "invalid_token");
	h_expect_api_error(h_api(srv, "GET", "/api/v1/scopes", t, NULL), 401, "invalid_token");
	/* A fresh token at the new time works. */
	h_expect_api(h_api(srv, "GET", "/scopes", tok(prov, H_SC_SCOPES), NULL), 200);
}

/* The token lacks the needed scope -> 403 insufficient_scope naming the scope. */
static void
wrong_scope_is_403_insufficient_scope(void **state)
{
	static const char *const calls[][2] = {
		{ "GET", "/scopes" }, { "GET", "/scopes?scope=prov:seeded" }, { "GET", "/scopes/scope?scope=prov:seeded" },
		{ "PUT", "/scopes?scope=prov:seeded" }, { "DELETE", "/scopes?scope=prov:seeded" },
		{ "PUT", "/scopes/access/" ORG_CONS "?scope=prov:seeded" },
		{ "DELETE", "/scopes/access/" ORG_CONS "?scope=prov:seeded" }, { "GET", "/scopes/access?scope=prov:seeded" },
		{ "GET", "/scopes/access/?consumer_orgno=" ORG_CONS }, { "GET", "/prefix" },
	};
	const char *ro = tok(prov_ro, H_SC_DCR_READ);
	struct h_resp *r;

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		const char *body = strcmp(calls[i][0], "PUT") == 0 ? "{\"description\":\"x\"}" : NULL;

		r = h_api(srv, calls[i][0], calls[i][1], ro, body);
		h_expect_api_error(r, 403, "insufficient_scope");
		if (strstr(H_JSTR(r->json, "error_description"), H_SC_SCOPES) == NULL)
			h_fail("%s %s: the description does not name %s: %s", calls[i][0], calls[i][1], H_SC_SCOPES, r->body);
	}
	r = h_api(srv, "POST", "/scopes", ro, "{\"prefix\":\"prov\",\"subscope\":\"nope/ro\",\"description\":\"d\"}");
	h_expect_api_error(r, 403, "insufficient_scope");
	if (strstr(H_JSTR(r->json, "error_description"), H_SC_SCOPES) == NULL)
		h_fail("description does not name %s: %s", H_SC_SCOPES, r->body);
	r = h_api(srv, "POST", "/scopes/access/", ro, "{\"scope\":\"prov:seeded\",\"consumer_orgno\":\"" ORG_CONS "\"}");
	h_expect_api_error(r, 403, "insufficient_scope");
	/* an ordinary (non-admin) scope is no admin scope at all */
	r = h_api(srv, "GET", "/scopes/access/all", tok(app, "prov:seeded"), NULL);
	h_expect_api_error(r, 403, "insufficient_scope");
	r = h_api(srv, "GET", "/scopes", tok(app, "prov:seeded"), NULL);
	h_expect_api_error(r, 403, "insufficient_scope");
	/* nothing was written: prov:seeded is unchanged and still active */
	r = h_api(srv, "GET", "/scopes?scope=prov:seeded", tok(prov, H_SC_SCOPES), NULL);
	assert_true(json_is_true(json_object_get(h_expect_api(r, 200), "active")));
	H_ASSERT_STR(H_JSTR(r->json, "description"), "integration test scope");
}

/* Another organisation's scope -> 403 access_denied (the token has the right scope). */
static void
other_org_scope_is_403_access_denied(void **state)
{
	const char *t = tok(other, H_SC_SCOPES);
	struct h_resp *r;

	h_expect_api_error(h_api(srv, "GET", "/scopes?scope=prov:seeded", t, NULL), 403, "access_denied");
	h_expect_api_error(h_api(srv, "GET", "/scopes/scope?scope=prov:seeded", t, NULL), 403, "access_denied");
	h_expect_api_error(h_api(srv, "PUT", "/scopes?scope=prov:seeded", t, "{\"description\":\"hijacked\"}"), 403,
	                   "access_denied");
	h_expect_api_error(h_api(srv, "DELETE", "/scopes?scope=prov:seeded", t, NULL), 403, "access_denied");
	h_expect_api_error(h_api(srv, "PUT", "/scopes/access/" ORG_OTHER "?scope=prov:seeded", t, NULL), 403,
	                   "access_denied");
	h_expect_api_error(h_api(srv, "POST", "/scopes/access/", t,
	                         "{\"scope\":\"prov:seeded\",\"consumer_orgno\":\"" ORG_OTHER "\"}"),
	                   403, "access_denied");
	h_expect_api_error(h_api(srv, "DELETE", "/scopes/access/" ORG_CONS "?scope=prov:seeded", t, NULL), 403,
	                   "access_denied");
	h_expect_api_error(h_api(srv, "GET", "/scopes/access?scope=prov:seeded", t, NULL), 403, "access_denied");
	/* nothing changed */
	r = h_api(srv, "GET", "/scopes?scope=prov:seeded", tok(prov, H_SC_SCOPES), NULL);
	H_ASSERT_STR(H_JSTR(h_expect_api(r, 200), "description"), "integration test scope");
	assert_true(json_is_true(json_object_get(r->json, "active")));
	r = h_api(srv, "GET", "/scopes/access?scope=prov:seeded", tok(prov, H_SC_SCOPES), NULL);
	assert_null(h_find(h_expect_api(r, 200), "consumer_orgno", ORG_OTHER));
}

/* Checklist: POST /scopes with a prefix not owned by the caller -> rejected. */
static void
create_with_foreign_prefix_is_refused(void **state)
{
	struct h_resp *r;

	r = h_api(srv, "POST", "/scopes", tok(other, H_SC_SCOPES),
	          "{\"prefix\":\"prov\",\"subscope\":\"stolen\",\"description\":\"d\"}");
	h_expect_api_error(r, 403, "access_denied");
	r = h_api(srv, "POST", "/scopes", tok(other, H_SC_SCOPES),
	          "{\"prefix\":\"folkeregister\",\"subscope\":\"deling/stolen\",\"description\":\"d\"}");
	h_expect_api_error(r, 403, "access_denied");
	/* a prefix nobody owns is not the actor's either */
	r = h_api(srv, "POST", "/scopes", tok(prov, H_SC_SCOPES),
	          "{\"prefix\":\"unassigned\",\"subscope\":\"x1\",\"description\":\"d\"}");
	if (r->status == 400)
		h_expect_api_error(r, 400, "invalid_request");
	else
		h_expect_api_error(r, 403, "access_denied");
	r = h_api(srv, "GET", "/scopes?scope=prov:stolen", tok(prov, H_SC_SCOPES), NULL);
	h_expect_api_error(r, 404, "not_found");
	r = h_api(srv, "GET", "/scopes/all?inactive=true", NULL, NULL);
	assert_false(listed(h_expect_api(r, 200), "prov:stolen"));
	assert_false(listed(r->json, "unassigned:x1"));
}

/* ---- scope life cycle ---- */

/* Checklist: POST /scopes returns the scope object with name = prefix:subscope and the
 * defaults filled; server-set fields in the body are ignored. */
static void
create_returns_scope_with_defaults(void **state)
{
	struct h_resp *r;
	json_t *sc, *got;
	const char *now = h_iso8601(srv->now);

	r = h_api(srv, "POST", "/scopes", tok(prov, H_SC_SCOPES),
	          "{\"prefix\":\"prov\",\"subscope\":\"life/defaults\",\"description\":\"Defaults\","
	          "\"owner_orgno\":\"" ORG_OTHER "\",\"created\":\"2001-01-01T00:00:00Z\","
	          "\"last_updated\":\"2001-01-01T00:00:00Z\"}");
	sc = h_expect_api(r, 201);
	check_scope_members(sc);
	H_ASSERT_STR(H_JSTR(sc, "name"), "prov:life/defaults");
	H_ASSERT_STR(H_JSTR(sc, "prefix"), "prov");
	H_ASSERT_STR(H_JSTR(sc, "subscope"), "life/defaults");
	H_ASSERT_STR(H_JSTR(sc, "description"), "Defaults");
	assert_true(json_is_true(json_object_get(sc, "active")));
	H_ASSERT_STR(H_JSTR(sc, "visibility"), "PUBLIC");
	H_ASSERT_STR(h_dump(json_object_get(sc, "allowed_integration_types")), "[\"maskinporten\"]");
	H_ASSERT_INT(H_JINT(sc, "at_max_age"), 0);
	H_ASSERT_INT(H_JINT(sc, "authorization_max_lifetime"), 0);
	assert_true(json_is_false(json_object_get(sc, "accessible_for_all")));
	H_ASSERT_STR(H_JSTR(sc, "token_type"), "SELF_CONTAINED");
	assert_true(json_is_false(json_object_get(sc, "requires_user_consent")));
	assert_true(json_is_false(json_object_get(sc, "requires_user_authentication")));
	assert_true(json_is_false(json_object_get(sc, "requires_pseudonymous_tokens")));
	assert_true(json_object_get(sc, "delegation_source") == NULL ||
	            json_is_null(json_object_get(sc, "delegation_source")));
	H_ASSERT_STR(H_JSTR(sc, "owner_orgno"), ORG_PROV);
	H_ASSERT_STR(H_JSTR(sc, "created"), now);
	H_ASSERT_STR(H_JSTR(sc, "last_updated"), now);
	/* the stored scope is the returned one, by both read paths */
	got = h_expect_api(h_api(srv, "GET", "/scopes?scope=prov:life/defaults", tok(prov, H_SC_SCOPES), NULL), 200);
	if (!json_equal(got, sc))
		h_fail("GET /scopes?scope= %s differs from the POST response %s", h_dump(got), h_dump(sc));
	got = h_expect_api(h_api(srv, "GET", "/scopes/scope?scope=prov%3Alife%2Fdefaults", tok(prov, H_SC_SCOPES), NULL),
	                   200);
	if (!json_equal(got, sc))
		h_fail("GET /scopes/scope?scope= %s differs from the POST response %s", h_dump(got), h_dump(sc));
	got = h_expect_api(h_api(srv, "GET", "/scopes", tok(prov, H_SC_SCOPES), NULL), 200);
	if (!json_is_array(got) || !json_equal(h_find(got, "name", "prov:life/defaults"), sc))
		h_fail("GET /scopes does not list the scope as created: %s", h_dump(got));
	/* every given field is kept */
	r = h_api(srv, "POST", "/scopes", tok(prov, H_SC_SCOPES),
	          "{\"prefix\":\"prov\",\"subscope\":\"life/full\",\"description\":\"Full\",\"description#en\":\"Full (en)\","
	          "\"long_description\":\"# Heading\\n\\nSome *markdown*.\",\"visibility\":\"PRIVATE\","
	          "\"allowed_integration_types\":[],\"at_max_age\":600,\"authorization_max_lifetime\":600,"
	          "\"delegation_source\":\"" H_ALTINN_TT02 "\",\"accessible_for_all\":true,\"token_type\":\"OPAQUE\"}");
	sc = h_expect_api(r, 201);
	check_scope_members(sc);
	H_ASSERT_STR(H_JSTR(sc, "description#en"), "Full (en)");
	H_ASSERT_STR(H_JSTR(sc, "long_description"), "# Heading\n\nSome *markdown*.");
	H_ASSERT_STR(H_JSTR(sc, "visibility"), "PRIVATE");
	H_ASSERT_STR(h_dump(json_object_get(sc, "allowed_integration_types")), "[]");
	H_ASSERT_INT(H_JINT(sc, "at_max_age"), 600);
	H_ASSERT_INT(H_JINT(sc, "authorization_max_lifetime"), 600);
	H_ASSERT_STR(H_JSTR(sc, "delegation_source"), H_ALTINN_TT02);
	assert_true(json_is_true(json_object_get(sc, "accessible_for_all")));
	H_ASSERT_STR(H_JSTR(sc, "token_type"), "OPAQUE");
}

/* Checklist: a subscope with whitespace, uppercase or illegal characters is rejected, and
 * the error names the subscope (one entry); the pattern's valid forms are accepted. */
static void
subscope_rules(void **state)
{
	static const char *const bad[] = {
		"Upper", "upPer", "with space", " lead", "trail ", "tab\\t", "deling/offentligmedhjemmel\\t",
		"new\\nline", "nb\\u00a0sp", "a-b", "a_b", "a+b", "a%b", "a*b", "/lead", "trail/", "a//b", "a..b",
		"dot.", ".dot", ":ab", "ab:", "ab::cd", "\\u00e41", "\\u00c6\\u00f8\\u00e5", "",
		"a",   /* one character: the pattern needs two */
	};
	static const char *const good[] = {
		"valid/\\u00e6\\u00f8\\u00e5", "valid/dcr/onbehalfof:write", "valid/ab.cd.ef", "v1",
		"valid/deling/offentligmedhjemmel.segmentansvarlig", "valid/x:y:zz",
	};
	const char *t = tok(prov, H_SC_SCOPES);

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct h_resp *r = h_api(srv, "POST", "/scopes", t,
		                         h_strf("{\"prefix\":\"prov\",\"subscope\":\"%s\",\"description\":\"d\"}", good[i]));
		json_t *sc = h_expect_api(r, 201);
		json_t *want = h_keep_json(json_loads(h_strf("\"%s\"", good[i]), JSON_DECODE_ANY, NULL));

		H_ASSERT_STR(H_JSTR(sc, "subscope"), json_string_value(want));
		H_ASSERT_STR(H_JSTR(sc, "name"), h_strf("prov:%s", json_string_value(want)));
	}
	const char *notes = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct h_resp *r = h_api(srv, "POST", "/scopes", t,
		                         h_strf("{\"prefix\":\"prov\",\"subscope\":\"%s\",\"description\":\"d\"}", bad[i]));
		h_note(&notes, h_strf("subscope \"%s\"", bad[i]), h_invalid_problem(r, "Scope", "subscope"));
	}
	h_expect_no_notes(notes);
}

/* Several bad fields in one body: errors[] names every one of them, once. */
static void
every_problem_is_reported_at_once(void **state)
{
	const char *t = tok(prov, H_SC_SCOPES);
	struct h_resp *r;

	r = h_api(srv, "POST", "/scopes", t,
	          "{\"prefix\":\"prov\",\"subscope\":\"Bad Sub\",\"description\":5,\"visibility\":\"SECRET\","
	          "\"at_max_age\":-1,\"accessible_for_all\":\"yes\",\"colour\":\"red\"}");
	h_expect_invalid(r, "Scope", "subscope,description,visibility,at_max_age,accessible_for_all,colour");
	r = h_api(srv, "POST", "/scopes", t,
	          "{\"prefix\":\"prov\",\"subscope\":\"multi/ok\",\"description\":\"d\",\"token_type\":\"JWT\","
	          "\"allowed_integration_types\":\"maskinporten\"}");
	h_expect_invalid(r, "Scope", "token_type,allowed_integration_types");
	/* nothing was created */
	r = h_api(srv, "GET", "/scopes?scope=prov:multi/ok", t, NULL);
	h_expect_api_error(r, 404, "not_found");
	/* missing required fields: one entry each */
	{
		const char *notes = NULL;

		r = h_api(srv, "POST", "/scopes", t, "{\"prefix\":\"prov\",\"subscope\":\"multi/ok\"}");
		h_note(&notes, "no description", h_invalid_problem(r, "Scope", "description"));
		r = h_api(srv, "POST", "/scopes", t, "{\"prefix\":\"prov\"}");
		h_note(&notes, "prefix only", h_invalid_problem(r, "Scope", "subscope,description"));
		r = h_api(srv, "POST", "/scopes", t, "{}");
		h_note(&notes, "{}", h_invalid_problem(r, "Scope", "prefix,subscope,description"));
		h_expect_no_notes(notes);
	}
}

/* Unknown fields, wrong types and malformed JSON -> 400 invalid_request. */
static void
unknown_fields_wrong_types_malformed_json(void **state)
{
	static const char *const malformed[] = { "{", "not json", "{\"prefix\":\"prov\",}", "[1,2]", "\"str\"", "null",
	                                         "{\"prefix\":\"prov\"} trailing", "" };
	static const struct { const char *body, *field; } typed[] = {
		{ "\"prefix\":5", "prefix" },
		{ "\"prefix\":\"prov\",\"subscope\":[\"x\"]", "subscope" },
		{ "\"active\":\"true\"", "active" },
		{ "\"at_max_age\":\"600\"", "at_max_age" },
		{ "\"at_max_age\":1.5", "at_max_age" },
		{ "\"accessible_for_all\":1", "accessible_for_all" },
		{ "\"allowed_integration_types\":[1]", "allowed_integration_types" },
		{ "\"delegation_source\":true", "delegation_source" },
		{ "\"long_description\":{}", "long_description" },
		{ "\"colour\":\"red\"", "colour" },
		{ "\"protected_by_magic\":true", "protected_by_magic" },
	};
	const char *t = tok(prov, H_SC_SCOPES);
	struct h_resp *r;

	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		r = h_api(srv, "POST", "/scopes", t, malformed[i]);
		h_expect_api_error(r, 400, "invalid_request");
		if (json_array_size(json_object_get(r->json, "errors")) < 1)
			h_fail("malformed body \"%s\": errors[] is empty: %s", malformed[i], r->body);
	}
	for (size_t i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		/* The other required fields are valid; only the named one is wrong. */
		json_t *b = h_keep_json(json_loads(h_strf("{%s}", typed[i].body), 0, NULL));

		assert_non_null(b);
		if (json_object_get(b, "prefix") == NULL)
			json_object_set_new(b, "prefix", json_string("prov"));
		if (json_object_get(b, "subscope") == NULL)
			json_object_set_new(b, "subscope", json_string(h_strf("types/t%zu", i)));
		json_object_set_new(b, "description", json_string("d"));
		r = h_apij(srv, "POST", "/scopes", t, b);
		h_expect_invalid(r, "Scope", typed[i].field);
	}
	/* unknown fields also on PUT */
	r = h_api(srv, "PUT", "/scopes?scope=prov:seeded", t, "{\"colour\":\"red\"}");
	h_expect_invalid(r, "Scope", "colour");
	r = h_api(srv, "PUT", "/scopes?scope=prov:seeded", t, "{");
	h_expect_api_error(r, 400, "invalid_request");
}

/* Control characters in a description -> 400 naming description; Markdown newlines in
 * long_description are fine. */
static void
control_characters_in_description(void **state)
{
	static const char *const bad[] = { "bell\\u0007", "a\\u0001b", "esc\\u001b[31mred", "nul\\u0000" };
	const char *t = tok(prov, H_SC_SCOPES);
	struct h_resp *r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = h_api(srv, "POST", "/scopes", t,
		          h_strf("{\"prefix\":\"prov\",\"subscope\":\"ctl/c%zu\",\"description\":\"%s\"}", i, bad[i]));
		if (strstr(bad[i], "u0000"))
			h_expect_api_error(r, 400, "invalid_request");   /* may be refused as JSON already */
		else
			h_expect_invalid(r, "Scope", "description");
	}
	r = h_api(srv, "PUT", "/scopes?scope=prov:seeded", t, "{\"description\":\"x\\u0002y\"}");
	h_expect_invalid(r, "Scope", "description");
	r = h_api(srv, "POST", "/scopes", t,
	          "{\"prefix\":\"prov\",\"subscope\":\"ctl/ok\",\"description\":\"ok\",\"long_description\":\"a\\n\\nb\"}");
	H_ASSERT_STR(H_JSTR(h_expect_api(r, 201), "long_description"), "a\n\nb");
}

/* A body larger than 64 KiB -> 413 in the self-service shape; exactly 64 KiB is read. */
static void
oversized_body_is_413(void **state)
{
	const char *t = tok(prov, H_SC_SCOPES);
	const char *head = "{\"prefix\":\"prov\",\"subscope\":\"size/limit\",\"description\":\"d\"}";
	size_t hl = strlen(head);
	char *body = h_keep(malloc(64 * 1024 + 2));
	struct h_resp *r;

	/* 64 KiB + 1: refused */
	memcpy(body, head, hl);
	memset(body + hl, ' ', 64 * 1024 + 1 - hl);
	body[64 * 1024 + 1] = '\0';
	r = h_api(srv, "POST", "/scopes", t, body);
	h_expect_api_error(r, 413, "invalid_request");
	r = h_api(srv, "POST", "/api/v1/scopes/access/", t, body);
	h_expect_api_error(r, 413, "invalid_request");
	r = h_api(srv, "GET", "/scopes?scope=prov:size/limit", t, NULL);
	h_expect_api_error(r, 404, "not_found");
	/* exactly 64 KiB (trailing whitespace is valid JSON): created */
	body[64 * 1024] = '\0';
	assert_int_equal(strlen(body), 64 * 1024);
	r = h_api(srv, "POST", "/scopes", t, body);
	H_ASSERT_STR(H_JSTR(h_expect_api(r, 201), "name"), "prov:size/limit");
}

/* Checklist: PUT /scopes?scope= cannot change the name; it changes only the fields given. */
static void
put_changes_given_fields_not_the_name(void **state)
{
	const char *t;
	const char *path = "/scopes?scope=prov%3Aput%2Fscope";
	json_t *sc = create("prov:put/scope", json_pack("{s:i,s:b,s:s}", "at_max_age", 600, "accessible_for_all", 1,
	                                                  "long_description", "long"));
	const char *created = h_strf("%s", H_JSTR(sc, "created"));
	struct h_resp *r;

	/* the same immutable values plus a change: accepted; absent fields keep their value */
	t = tok(prov, H_SC_SCOPES);
	r = h_api(srv, "PUT", path, t,
	          "{\"name\":\"prov:put/scope\",\"prefix\":\"prov\",\"subscope\":\"put/scope\",\"description\":\"changed\","
	          "\"owner_orgno\":\"" ORG_OTHER "\",\"created\":\"2001-01-01T00:00:00Z\"}");
	sc = h_expect_api(r, 200);
	H_ASSERT_STR(H_JSTR(sc, "name"), "prov:put/scope");
	H_ASSERT_STR(H_JSTR(sc, "description"), "changed");
	H_ASSERT_INT(H_JINT(sc, "at_max_age"), 600);
	assert_true(json_is_true(json_object_get(sc, "accessible_for_all")));
	H_ASSERT_STR(H_JSTR(sc, "long_description"), "long");
	H_ASSERT_STR(H_JSTR(sc, "owner_orgno"), ORG_PROV);
	H_ASSERT_STR(H_JSTR(sc, "created"), created);
	H_ASSERT_STR(H_JSTR(sc, "last_updated"), h_iso8601(srv->now));
	r = h_api(srv, "PUT", path, t, "{\"at_max_age\":0,\"accessible_for_all\":false}");
	sc = h_expect_api(r, 200);
	H_ASSERT_INT(H_JINT(sc, "at_max_age"), 0);
	assert_true(json_is_false(json_object_get(sc, "accessible_for_all")));
	H_ASSERT_STR(H_JSTR(sc, "description"), "changed");
	r = h_api(srv, "GET", path, t, NULL);
	if (!json_equal(h_expect_api(r, 200), sc))
		h_fail("GET after PUT %s differs from the PUT response %s", r->body, h_dump(sc));
	r = h_api(srv, "PUT", "/scopes?scope=prov:put/nosuch", t, "{\"description\":\"x\"}");
	h_expect_api_error(r, 404, "not_found");

	/* the name cannot change: one error per immutable field given another value */
	r = h_api(srv, "PUT", path, t, "{\"visibility\":\"HIDDEN\",\"at_max_age\":\"1\"}");
	h_expect_invalid(r, "Scope", "visibility,at_max_age");
	r = h_api(srv, "PUT", path, t, "{\"subscope\":\"put/renamed\"}");
	h_expect_api_error(r, 400, "invalid_request");
	h_api_field_error(r, "subscope");
	r = h_api(srv, "PUT", path, t, "{\"prefix\":\"other\"}");
	h_expect_api_error(r, 400, "invalid_request");
	h_api_field_error(r, "prefix");
	r = h_api(srv, "PUT", path, t, "{\"name\":\"prov:put/renamed\"}");
	h_expect_api_error(r, 400, "invalid_request");
	h_api_field_error(r, "name");
	r = h_api(srv, "GET", "/scopes?scope=prov:put/renamed", t, NULL);
	h_expect_api_error(r, 404, "not_found");
	r = h_api(srv, "GET", path, t, NULL);
	if (!json_equal(h_expect_api(r, 200), sc))
		h_fail("a refused PUT changed the scope: %s, was %s", r->body, h_dump(sc));
	/* a change later moves last_updated, never created */
	h_set_clock(srv, op, srv->now + 60);
	t = tok(prov, H_SC_SCOPES);
	r = h_api(srv, "PUT", path, t, "{\"description\":\"later\"}");
	sc = h_expect_api(r, 200);
	H_ASSERT_STR(H_JSTR(sc, "created"), created);
	H_ASSERT_STR(H_JSTR(sc, "last_updated"), h_iso8601(srv->now));

	/* exactly one entry per field given another value */
	{
		const char *notes = NULL;

		r = h_api(srv, "PUT", path, t, "{\"subscope\":\"put/renamed\"}");
		h_note(&notes, "subscope", h_invalid_problem(r, "Scope", "subscope"));
		r = h_api(srv, "PUT", path, t, "{\"prefix\":\"other\"}");
		h_note(&notes, "prefix", h_invalid_problem(r, "Scope", "prefix"));
		r = h_api(srv, "PUT", path, t, "{\"name\":\"prov:put/renamed\"}");
		h_note(&notes, "name", h_invalid_problem(r, "Scope", "name"));
		r = h_api(srv, "PUT", path, t, "{\"name\":\"other:x1\",\"prefix\":\"other\",\"subscope\":\"x1\"}");
		h_note(&notes, "all three", h_invalid_problem(r, "Scope", "name,prefix,subscope"));
		h_expect_no_notes(notes);
	}
}

/* Checklist: DELETE sets active=false; listings hide it unless inactive=true; reactivation
 * with PUT {"active": true}. */
static void
delete_deactivates_and_listing_hides(void **state)
{
	const char *t = tok(prov, H_SC_SCOPES);
	const char *path = "/scopes?scope=prov%3Alife%2Fdeleted";
	struct h_resp *r;
	json_t *sc;

	create("prov:life/deleted", NULL);
	r = h_api(srv, "DELETE", path, t, NULL);
	sc = h_expect_api(r, 200);
	H_ASSERT_STR(H_JSTR(sc, "name"), "prov:life/deleted");
	assert_true(json_is_false(json_object_get(sc, "active")));
	r = h_api(srv, "GET", "/scopes", t, NULL);
	assert_false(listed(h_expect_api(r, 200), "prov:life/deleted"));
	assert_true(listed(r->json, "prov:seeded"));
	r = h_api(srv, "GET", "/scopes?inactive=true", t, NULL);
	assert_true(listed(h_expect_api(r, 200), "prov:life/deleted"));
	assert_true(json_is_false(json_object_get(h_find(r->json, "name", "prov:life/deleted"), "active")));
	r = h_api(srv, "GET", path, t, NULL);
	assert_true(json_is_false(json_object_get(h_expect_api(r, 200), "active")));
	r = h_api(srv, "GET", "/scopes/all", NULL, NULL);
	assert_false(listed(h_expect_api(r, 200), "prov:life/deleted"));
	r = h_api(srv, "GET", "/scopes/all?inactive=true", NULL, NULL);
	assert_true(listed(h_expect_api(r, 200), "prov:life/deleted"));
	/* deleting again keeps it deactivated */
	r = h_api(srv, "DELETE", path, t, NULL);
	assert_true(json_is_false(json_object_get(h_expect_api(r, 200), "active")));
	/* reactivate */
	r = h_api(srv, "PUT", path, t, "{\"active\":true}");
	assert_true(json_is_true(json_object_get(h_expect_api(r, 200), "active")));
	r = h_api(srv, "GET", "/scopes", t, NULL);
	assert_true(listed(h_expect_api(r, 200), "prov:life/deleted"));
	r = h_api(srv, "DELETE", "/scopes?scope=prov:life/nosuch", t, NULL);
	h_expect_api_error(r, 404, "not_found");
}

/* Checklist: re-POSTing a scope -> 409, also when it is deactivated. */
static void
recreate_is_409_also_when_deactivated(void **state)
{
	const char *t = tok(prov, H_SC_SCOPES);
	const char *body = "{\"prefix\":\"prov\",\"subscope\":\"life/again\",\"description\":\"again\"}";
	struct h_resp *r;

	h_expect_api(h_api(srv, "POST", "/scopes", t, body), 201);
	h_expect_api_error(h_api(srv, "POST", "/scopes", t, body), 409, "conflict");
	h_expect_api(h_api(srv, "DELETE", "/scopes?scope=prov:life/again", t, NULL), 200);
	h_expect_api_error(h_api(srv, "POST", "/scopes", t, body), 409, "conflict");
	h_expect_api_error(h_api(srv, "POST", "/api/v1/scopes", t, body), 409, "conflict");
	/* the 409 did not reactivate or change it */
	r = h_api(srv, "GET", "/scopes?scope=prov:life/again", t, NULL);
	assert_true(json_is_false(json_object_get(h_expect_api(r, 200), "active")));
	/* the seeded scope, too */
	h_expect_api_error(h_api(srv, "POST", "/scopes", t,
	                         "{\"prefix\":\"prov\",\"subscope\":\"seeded\",\"description\":\"dup\"}"),
	                   409, "conflict");
}

/* GET /scopes lists the actor's scopes only. */
static void
get_scopes_lists_own_scopes_only(void **state)
{
	json_t *mine = h_expect_api(h_api(srv, "GET", "/scopes", tok(prov, H_SC_SCOPES), NULL), 200), *sc;
	json_t *theirs = h_expect_api(h_api(srv, "GET", "/scopes", tok(other, H_SC_SCOPES), NULL), 200);
	size_t i;

	assert_true(json_is_array(mine) && json_is_array(theirs));
	assert_true(listed(mine, "prov:seeded"));
	assert_true(listed(mine, FREG));
	assert_true(listed(theirs, "other:seeded"));
	json_array_foreach(mine, i, sc) {
		H_ASSERT_STR(H_JSTR(sc, "owner_orgno"), ORG_PROV);
		check_scope_members(sc);
	}
	json_array_foreach(theirs, i, sc)
		H_ASSERT_STR(H_JSTR(sc, "owner_orgno"), ORG_OTHER);
	assert_false(listed(mine, H_SC_SCOPES));
}

/* Checklist: GET /scopes/all works without auth and omits PRIVATE (and INTERNAL and
 * deactivated) scopes; its filters. */
static void
scopes_all_public_and_filters(void **state)
{
	const char *t = tok(prov, H_SC_SCOPES);
	struct h_resp *r;
	json_t *all, *sc;
	size_t i;

	create("prov:all/plain", NULL);
	create("prov:all/open", json_pack("{s:b}", "accessible_for_all", 1));
	create("prov:all/deleg", json_pack("{s:s}", "delegation_source", H_ALTINN_TT02));
	create("prov:all/idporten", json_pack("{s:[s]}", "allowed_integration_types", "idporten"));
	create("prov:all/anytype", json_pack("{s:[]}", "allowed_integration_types"));
	create("prov:all/mixed", json_pack("{s:[s,s]}", "allowed_integration_types", "idporten", "maskinporten"));
	create("prov:all/private", json_pack("{s:s}", "visibility", "PRIVATE"));
	create("prov:all/internal", json_pack("{s:s}", "visibility", "INTERNAL"));
	create("prov:all/gone", NULL);
	h_expect_api(h_api(srv, "DELETE", "/scopes?scope=prov:all/gone", t, NULL), 200);

	all = h_expect_api(h_api(srv, "GET", "/scopes/all", NULL, NULL), 200);
	assert_true(json_is_array(all));
	for (const char *const *n = (const char *const[]){ "prov:all/plain", "prov:all/open", "prov:all/deleg",
	                                                   "prov:all/idporten", "prov:all/anytype", "prov:all/mixed",
	                                                   "prov:seeded", NULL }; *n; n++)
		if (!listed(all, *n))
			h_fail("GET /scopes/all does not list %s", *n);
	assert_false(listed(all, "prov:all/private"));
	assert_false(listed(all, "prov:all/internal"));
	assert_false(listed(all, "prov:all/gone"));
	assert_false(listed(all, H_SC_SCOPES));   /* the admin scopes are PRIVATE */
	json_array_foreach(all, i, sc) {
		H_ASSERT_STR(H_JSTR(sc, "visibility"), "PUBLIC");
		assert_true(json_is_true(json_object_get(sc, "active")));
		check_scope_members(sc);
	}
	/* the same with a bearer token, and with the prefix */
	r = h_api(srv, "GET", "/scopes/all", t, NULL);
	if (!json_equal(h_expect_api(r, 200), all))
		h_fail("GET /scopes/all with a token differs");
	r = h_api(srv, "GET", "/api/v1/scopes/all", NULL, NULL);
	if (!json_equal(h_expect_api(r, 200), all))
		h_fail("GET /api/v1/scopes/all differs from GET /scopes/all");

	r = h_api(srv, "GET", "/scopes/all?accessible_for_all=true", NULL, NULL);
	assert_true(listed(h_expect_api(r, 200), "prov:all/open"));
	assert_false(listed(r->json, "prov:all/plain"));
	json_array_foreach(r->json, i, sc)
		assert_true(json_is_true(json_object_get(sc, "accessible_for_all")));

	r = h_api(srv, "GET", "/scopes/all?delegated_sources=true", NULL, NULL);
	assert_true(listed(h_expect_api(r, 200), "prov:all/deleg"));
	assert_true(listed(r->json, FREG));
	assert_false(listed(r->json, "prov:all/plain"));
	json_array_foreach(r->json, i, sc)
		assert_true(json_is_string(json_object_get(sc, "delegation_source")));

	for (const char *const *v = (const char *const[]){ "maskinporten", "MASKINPORTEN", "Maskinporten", NULL }; *v; v++) {
		r = h_api(srv, "GET", h_strf("/scopes/all?integration_type=%s", *v), NULL, NULL);
		h_expect_api(r, 200);
		if (!listed(r->json, "prov:all/plain") || !listed(r->json, "prov:all/anytype") ||
		    !listed(r->json, "prov:all/mixed") || listed(r->json, "prov:all/idporten"))
			h_fail("integration_type=%s: wrong selection: %s", *v, r->body);
	}
	r = h_api(srv, "GET", "/scopes/all?inactive=true", NULL, NULL);
	assert_true(listed(h_expect_api(r, 200), "prov:all/gone"));
	assert_true(listed(r->json, "prov:all/plain"));
	assert_false(listed(r->json, "prov:all/private"));
	assert_false(listed(r->json, "prov:all/internal"));

	r = h_api(srv, "GET", "/scopes/all?accessible_for_all=true&integration_type=maskinporten", NULL, NULL);
	assert_true(listed(h_expect_api(r, 200), "prov:all/open"));
	assert_false(listed(r->json, "prov:all/deleg"));
}

/* GET /prefix: the actor's prefixes; GET /delegationsources: public, the sources in use. */
static void
prefix_and_delegation_sources(void **state)
{
	struct h_resp *r = h_api(srv, "GET", "/prefix", tok(prov, H_SC_SCOPES), NULL);
	json_t *p, *e;
	size_t i;

	p = h_expect_api(r, 200);
	assert_true(json_is_array(p));
	assert_non_null(h_find(p, "prefix", "prov"));
	assert_non_null(h_find(p, "prefix", "folkeregister"));
	assert_null(h_find(p, "prefix", "other"));
	assert_null(h_find(p, "prefix", "idporten"));
	json_array_foreach(p, i, e) {
		H_ASSERT_INT(json_object_size(e), 2);
		H_ASSERT_STR(H_JSTR(e, "owner_orgno"), ORG_PROV);
	}
	r = h_api(srv, "GET", "/api/v1/prefix", tok(other, H_SC_SCOPES), NULL);
	if (!json_equal(h_expect_api(r, 200), h_keep_json(json_pack("[{s:s,s:s}]", "prefix", "other", "owner_orgno",
	                                                            ORG_OTHER))))
		h_fail("GET /api/v1/prefix as %s: %s", ORG_OTHER, r->body);

	r = h_api(srv, "GET", "/delegationsources", NULL, NULL);
	p = h_expect_api(r, 200);
	if (json_array_size(p) != 1 || !json_equal(json_array_get(p, 0), h_keep_json(json_pack("{s:s,s:s}", "name",
	                                                                                        "altinn", "issuer",
	                                                                                        H_ALTINN_TT02))))
		h_fail("GET /delegationsources: %s", r->body);
	r = h_api(srv, "GET", "/api/v1/delegationsources", NULL, NULL);
	if (!json_equal(h_expect_api(r, 200), p))
		h_fail("GET /api/v1/delegationsources differs: %s", r->body);
}

/* Unknown methods on known paths -> 405 method_not_allowed with Allow. */
static void
method_not_allowed(void **state)
{
	const char *t = tok(prov, H_SC_SCOPES);

	h_expect_api_error(h_api(srv, "PATCH", "/scopes?scope=prov:seeded", t, "{}"), 405, "method_not_allowed");
	h_expect_api_error(h_api(srv, "DELETE", "/scopes/all", t, NULL), 405, "method_not_allowed");
	h_expect_api_error(h_api(srv, "POST", "/scopes/all", NULL, "{}"), 405, "method_not_allowed");
	h_expect_api_error(h_api(srv, "POST", "/prefix", t, "{}"), 405, "method_not_allowed");
	h_expect_api_error(h_api(srv, "PUT", "/delegationsources", NULL, "{}"), 405, "method_not_allowed");
	h_expect_api_error(h_api(srv, "POST", "/api/v1/scopes/access/all", t, "{}"), 405, "method_not_allowed");
}

/* ---- consumer access ---- */

/* Checklist: PUT /scopes/access/{orgno}?scope= creates an APPROVED record; repeating it
 * changes nothing (not even last_updated, and no second audit entry). */
static void
grant_is_approved_and_idempotent(void **state)
{
	const char *sc = "prov:tok/idem";
	json_t *first, *again, *list, *audit, *e;
	size_t i, n = 0;
	const char *t;

	create(sc, NULL);
	app_mp250(sc);
	first = grant(sc, ORG_CONS, NULL);
	check_access(first, sc, "APPROVED", ORG_CONS, ORG_PROV);
	H_ASSERT_STR(H_JSTR(first, "created"), h_iso8601(srv->now));
	H_ASSERT_STR(H_JSTR(first, "last_updated"), h_iso8601(srv->now));
	H_ASSERT_STR(H_JSTR(app_token_ok(sc), "scope"), sc);

	again = grant(sc, ORG_CONS, NULL);
	if (!json_equal(first, again))
		h_fail("a repeated grant changed the record: %s, was %s", h_dump(again), h_dump(first));
	again = grant(sc, ORG_CONS, "{\"state\":\"APPROVED\"}");
	if (!json_equal(first, again))
		h_fail("a repeated grant with the same state changed the record: %s", h_dump(again));
	t = tok(prov, H_SC_SCOPES);
	list = h_expect_api(h_api(srv, "GET", h_strf("/scopes/access?scope=%s", q(sc)), t, NULL), 200);
	H_ASSERT_INT(json_array_size(list), 1);
	if (!json_equal(json_array_get(list, 0), first))
		h_fail("GET /scopes/access lists %s, not %s", h_dump(list), h_dump(first));
	audit = h_audit(srv, op, NULL);
	json_array_foreach(audit, i, e) {
		json_t *after = json_object_get(e, "after");

		if (strcmp(H_JSTR(e, "action"), "access.grant") == 0 && json_is_object(after) &&
		    strcmp(js(after, "scope"), sc) == 0)
			n++;
	}
	if (n != 1)
		h_fail("expected exactly one access.grant audit entry for %s, found %zu", sc, n);
	/* later, too: not even last_updated moves */
	h_set_clock(srv, op, srv->now + 30);
	again = grant(sc, ORG_CONS, NULL);
	if (!json_equal(first, again))
		h_fail("a repeated grant 30 s later changed the record: %s, was %s", h_dump(again), h_dump(first));
}

/* Checklist: the legacy POST /scopes/access/ (also without the slash) behaves like PUT;
 * Folkeregisteret's example scope with its stray TAB is refused naming `scope`. */
static void
legacy_post_access(void **state)
{
	const char *sc = "prov:tok/legacy";
	const char *t;
	json_t *rec, *rec2, *list;
	struct h_resp *r;

	create(sc, NULL);
	app_mp250(sc);
	t = tok(prov, H_SC_SCOPES);
	r = h_api(srv, "POST", "/scopes/access/", t, "{\"scope\":\"prov:tok/legacy\",\"consumer_orgno\":\"" ORG_CONS "\"}");
	rec = h_expect_api(r, 200);
	check_access(rec, sc, "APPROVED", ORG_CONS, ORG_PROV);
	H_ASSERT_STR(H_JSTR(app_token_ok(sc), "scope"), sc);
	r = h_api(srv, "POST", "/scopes/access", t, "{\"scope\":\"prov:tok/legacy\",\"consumer_orgno\":\"" ORG_CONS "\"}");
	rec2 = h_expect_api(r, 200);
	if (!json_equal(rec, rec2))
		h_fail("POST /scopes/access (no slash) changed the record: %s", h_dump(rec2));
	r = h_api(srv, "POST", "/api/v1/scopes/access/", t, "{\"scope\":\"prov:tok/legacy\",\"consumer_orgno\":\"" ORG_CONS2 "\"}");
	check_access(h_expect_api(r, 200), sc, "APPROVED", ORG_CONS2, ORG_PROV);
	list = h_expect_api(h_api(srv, "GET", "/scopes/access?scope=prov:tok/legacy", t, NULL), 200);
	H_ASSERT_INT(json_array_size(list), 2);

	/* Folkeregisteret's example as pasted, with a raw TAB after the scope name: a raw control
	 * character inside a JSON string is malformed JSON, refused as such. */
	r = h_api(srv, "POST", "/scopes/access/", t,
	          "{\"scope\":\"folkeregister:deling/offentligmedhjemmel\t\",\"consumer_orgno\":\"" ORG_CONS "\"}");
	h_expect_api_error(r, 400, "invalid_request");
	/* The TAB as a JSON escape: well-formed JSON, a bad scope name -> 400 naming scope. */
	r = h_api(srv, "POST", "/scopes/access/", t,
	          "{\"scope\":\"folkeregister:deling/offentligmedhjemmel\\t\",\"consumer_orgno\":\"" ORG_CONS "\"}");
	h_expect_invalid(r, "ScopeAccess", "scope");
	r = h_api(srv, "POST", "/api/v1/scopes/access/", t,
	          "{\"scope\":\"folkeregister:deling/offentligmedhjemmel\\t\",\"consumer_orgno\":\"" ORG_CONS "\"}");
	h_expect_invalid(r, "ScopeAccess", "scope");
	r = h_api(srv, "GET", "/scopes/access?scope=" FREG, t, NULL);
	assert_null(h_find(h_expect_api(r, 200), "consumer_orgno", ORG_CONS));
	/* the same without the TAB is granted */
	r = h_api(srv, "POST", "/scopes/access/", t,
	          "{\"scope\":\"folkeregister:deling/offentligmedhjemmel\",\"consumer_orgno\":\"" ORG_CONS "\"}");
	check_access(h_expect_api(r, 200), FREG, "APPROVED", ORG_CONS, ORG_PROV);

	/* every problem at once */
	r = h_api(srv, "POST", "/scopes/access/", t, "{}");
	h_expect_invalid(r, "ScopeAccess", "scope,consumer_orgno");
	r = h_api(srv, "POST", "/scopes/access/", t, "{\"scope\":\"prov:tok/legacy\",\"consumer_orgno\":\"12345678\"}");
	h_expect_invalid(r, "ScopeAccess", "consumer_orgno");
	r = h_api(srv, "POST", "/scopes/access/", t,
	          "{\"scope\":\"prov:tok/legacy\",\"consumer_orgno\":" ORG_CONS ",\"colour\":\"red\"}");
	h_expect_invalid(r, "ScopeAccess", "consumer_orgno,colour");
	r = h_api(srv, "POST", "/scopes/access/", t, "{\"scope\":\"prov:tok/legacy\",");
	h_expect_api_error(r, 400, "invalid_request");
}

/* Access states: REQUESTED and DENIED issue nothing; only APPROVED does. */
static void
access_states(void **state)
{
	const char *sc = "prov:tok/states";
	json_t *rec;
	struct h_resp *r;

	create(sc, NULL);
	rec = grant(sc, ORG_CONS, "{\"state\":\"REQUESTED\"}");
	check_access(rec, sc, "REQUESTED", ORG_CONS, ORG_PROV);
	app_mp250(sc);
	rec = grant(sc, ORG_CONS, "{\"state\":\"DENIED\"}");
	check_access(rec, sc, "DENIED", ORG_CONS, ORG_PROV);
	app_mp250(sc);
	rec = grant(sc, ORG_CONS, NULL);
	check_access(rec, sc, "APPROVED", ORG_CONS, ORG_PROV);
	H_ASSERT_STR(H_JSTR(app_token_ok(sc), "scope"), sc);
	rec = grant(sc, ORG_CONS, "{\"state\":\"DENIED\"}");
	H_ASSERT_STR(H_JSTR(rec, "state"), "DENIED");
	app_mp250(sc);
	r = h_api(srv, "PUT", h_strf("/scopes/access/%s?scope=%s", ORG_CONS, q(sc)), tok(prov, H_SC_SCOPES),
	          "{\"state\":\"MAYBE\"}");
	h_expect_invalid(r, "ScopeAccess", "state");
	r = h_api(srv, "PUT", h_strf("/scopes/access/%s?scope=%s", ORG_CONS, q(sc)), tok(prov, H_SC_SCOPES),
	          "{\"state\":\"approved\"}");
	h_expect_invalid(r, "ScopeAccess", "state");
	app_mp250(sc);   /* still DENIED */
	grant(sc, ORG_CONS, "{\"state\":\"APPROVED\"}");
	app_token_ok(sc);
}

/* Checklist: DELETE /scopes/access/{orgno}?scope= revokes; the next token request gets
 * MP-250 at once (no restart); the record leaves the list; its last state is audited. */
static void
revoke_then_next_grant_is_mp250(void **state)
{
	const char *sc = "prov:tok/revoke";
	const char *t;
	struct h_resp *r;
	json_t *rec, *list, *audit, *e, *hit = NULL;
	size_t i;

	create(sc, NULL);
	rec = grant(sc, ORG_CONS, NULL);
	grant(sc, ORG_CONS2, NULL);
	app_token_ok(sc);
	t = tok(prov, H_SC_SCOPES);
	r = h_api(srv, "DELETE", h_strf("/scopes/access/%s?scope=%s", ORG_CONS, q(sc)), t, NULL);
	h_expect_api(r, 204);
	app_mp250(sc);
	list = h_expect_api(h_api(srv, "GET", h_strf("/scopes/access?scope=%s", q(sc)), t, NULL), 200);
	assert_null(h_find(list, "consumer_orgno", ORG_CONS));
	assert_non_null(h_find(list, "consumer_orgno", ORG_CONS2));
	r = h_api(srv, "DELETE", h_strf("/scopes/access/%s?scope=%s", ORG_CONS, q(sc)), t, NULL);
	h_expect_api_error(r, 404, "not_found");
	r = h_api(srv, "DELETE", h_strf("/scopes/access/%s?scope=%s", ORG_CONS, q("prov:tok/nosuch")), t, NULL);
	h_expect_api_error(r, 404, "not_found");
	audit = h_audit(srv, op, NULL);
	json_array_foreach(audit, i, e)
		if (strcmp(H_JSTR(e, "action"), "access.revoke") == 0 && json_is_object(json_object_get(e, "before")) &&
		    strcmp(js(json_object_get(e, "before"), "scope"), sc) == 0)
			hit = e;
	if (hit == NULL)
		h_fail("no access.revoke audit entry for %s", sc);
	if (!json_equal(json_object_get(hit, "before"), rec))
		h_fail("access.revoke before is %s, expected the record %s", h_dump(json_object_get(hit, "before")), h_dump(rec));
	assert_true(json_is_null(json_object_get(hit, "after")));
	H_ASSERT_STR(H_JSTR(hit, "actor_orgno"), ORG_PROV);
	H_ASSERT_STR(H_JSTR(hit, "actor_client_id"), "prov-admin");
	/* grant again: tokens again */
	grant(sc, ORG_CONS, NULL);
	app_token_ok(sc);
}

/* Checklist: GET /scopes/access?scope= lists records with consumer_orgno, owner_orgno and
 * state; GET /scopes/access/?consumer_orgno=[&scope=]; organisation-number rules. */
static void
access_lists_and_orgno_rules(void **state)
{
	const char *sc = "prov:acc/list", *sc2 = "prov:acc/list2";
	const char *t = tok(prov, H_SC_SCOPES);
	struct h_resp *r;
	json_t *list, *e;
	size_t i;

	create(sc, NULL);
	create(sc2, NULL);
	grant(sc, ORG_CONS, NULL);
	grant(sc, ORG_CONS2, "{\"state\":\"REQUESTED\"}");
	grant(sc, "999888999", NULL);   /* fails mod-11: accepted (with a warning in the log) */
	grant(sc2, ORG_CONS, NULL);
	list = h_expect_api(h_api(srv, "GET", h_strf("/scopes/access?scope=%s", q(sc)), t, NULL), 200);
	H_ASSERT_INT(json_array_size(list), 3);
	check_access(h_find(list, "consumer_orgno", ORG_CONS), sc, "APPROVED", ORG_CONS, ORG_PROV);
	check_access(h_find(list, "consumer_orgno", ORG_CONS2), sc, "REQUESTED", ORG_CONS2, ORG_PROV);
	check_access(h_find(list, "consumer_orgno", "999888999"), sc, "APPROVED", "999888999", ORG_PROV);
	r = h_api(srv, "GET", "/scopes/access?scope=prov:acc/nosuch", t, NULL);
	h_expect_api_error(r, 404, "not_found");

	r = h_api(srv, "GET", "/scopes/access/?consumer_orgno=" ORG_CONS, t, NULL);
	list = h_expect_api(r, 200);
	assert_non_null(h_find(list, "scope", sc));
	assert_non_null(h_find(list, "scope", sc2));
	json_array_foreach(list, i, e) {
		H_ASSERT_STR(H_JSTR(e, "consumer_orgno"), ORG_CONS);
		H_ASSERT_STR(H_JSTR(e, "owner_orgno"), ORG_PROV);
	}
	r = h_api(srv, "GET", h_strf("/scopes/access/?consumer_orgno=%s&scope=%s", ORG_CONS, q(sc2)), t, NULL);
	list = h_expect_api(r, 200);
	H_ASSERT_INT(json_array_size(list), 1);
	check_access(json_array_get(list, 0), sc2, "APPROVED", ORG_CONS, ORG_PROV);
	/* OTHER sees none of PROV's records for the consumer */
	r = h_api(srv, "GET", "/scopes/access/?consumer_orgno=" ORG_CONS, tok(other, H_SC_SCOPES), NULL);
	json_array_foreach(h_expect_api(r, 200), i, e)
		H_ASSERT_STR(H_JSTR(e, "owner_orgno"), ORG_OTHER);
	/* an empty list is 200 [] */
	r = h_api(srv, "GET", "/scopes/access/?consumer_orgno=310000035", t, NULL);
	H_ASSERT_STR(h_dump(h_expect_api(r, 200)), "[]");

	/* organisation numbers must be 9 digits */
	for (const char *const *o = (const char *const[]){ "12345678", "1234567890", "abcdefghi", "0192:910753614",
	                                                   NULL }; *o; o++) {
		r = h_api(srv, "PUT", h_strf("/scopes/access/%s?scope=%s", h_urlenc(*o), q(sc)), t, NULL);
		h_expect_invalid(r, "ScopeAccess", "consumer_orgno");
	}
}

/* Granting on a deactivated scope -> 400. */
static void
grant_on_deactivated_scope_is_400(void **state)
{
	const char *sc = "prov:acc/deactivated";
	const char *t = tok(prov, H_SC_SCOPES);
	struct h_resp *r;

	create(sc, NULL);
	h_expect_api(h_api(srv, "DELETE", h_strf("/scopes?scope=%s", q(sc)), t, NULL), 200);
	r = h_api(srv, "PUT", h_strf("/scopes/access/%s?scope=%s", ORG_CONS, q(sc)), t, NULL);
	h_expect_api_error(r, 400, "invalid_request");
	r = h_api(srv, "POST", "/scopes/access/", t,
	          h_strf("{\"scope\":\"%s\",\"consumer_orgno\":\"%s\"}", sc, ORG_CONS));
	h_expect_api_error(r, 400, "invalid_request");
	r = h_api(srv, "GET", h_strf("/scopes/access?scope=%s", q(sc)), t, NULL);
	H_ASSERT_STR(h_dump(h_expect_api(r, 200)), "[]");
	/* unknown scope -> 404 */
	r = h_api(srv, "PUT", h_strf("/scopes/access/%s?scope=%s", ORG_CONS, q("prov:acc/nosuch")), t, NULL);
	h_expect_api_error(r, 404, "not_found");
}

/* Checklist: GET /scopes/access/all lists what the caller has been granted (any admin
 * scope). */
static void
access_all_is_the_consumer_view(void **state)
{
	const char *sc = "prov:acc/mine", *sc2 = "prov:acc/mine2";
	struct h_resp *r;
	json_t *list, *e;
	size_t i;

	create(sc, NULL);
	create(sc2, NULL);
	create_as(other, "other:acc/mine", NULL);
	grant(sc, ORG_CONS, NULL);
	grant(sc2, ORG_CONS, "{\"state\":\"REQUESTED\"}");
	grant(sc, ORG_CONS2, NULL);
	h_expect_api(h_api(srv, "PUT", "/scopes/access/" ORG_CONS "?scope=other:acc/mine", tok(other, H_SC_SCOPES), NULL),
	             200);
	for (const char *const *s = (const char *const[]){ H_SC_DCR_READ, H_SC_DCR_WRITE, H_SC_DELEG, NULL }; *s; s++) {
		r = h_api(srv, "GET", "/scopes/access/all", tok(cons, *s), NULL);
		list = h_expect_api(r, 200);
		check_access(h_find(list, "scope", sc), sc, "APPROVED", ORG_CONS, ORG_PROV);
		check_access(h_find(list, "scope", sc2), sc2, "REQUESTED", ORG_CONS, ORG_PROV);
		check_access(h_find(list, "scope", "other:acc/mine"), "other:acc/mine", "APPROVED", ORG_CONS, ORG_OTHER);
		json_array_foreach(list, i, e)
			H_ASSERT_STR(H_JSTR(e, "consumer_orgno"), ORG_CONS);
	}
	r = h_api(srv, "GET", "/api/v1/scopes/access/all", tok(cons, H_SC_DCR_READ), NULL);
	if (!json_equal(h_expect_api(r, 200), list))
		h_fail("GET /api/v1/scopes/access/all differs: %s", r->body);
	/* the provider's own view holds none of the consumer's records */
	r = h_api(srv, "GET", "/scopes/access/all", tok(prov, H_SC_SCOPES), NULL);
	json_array_foreach(h_expect_api(r, 200), i, e)
		H_ASSERT_STR(H_JSTR(e, "consumer_orgno"), ORG_PROV);
}

/* Deactivating a scope: the next token request gets MP-200; access records and clients keep
 * it; reactivating restores tokens. */
static void
deactivate_then_next_grant_is_mp200(void **state)
{
	const char *sc = "prov:tok/deact";
	const char *t;
	struct h_resp *r;
	json_t *cl;

	create(sc, NULL);
	grant(sc, ORG_CONS, NULL);
	app_token_ok(sc);
	t = tok(prov, H_SC_SCOPES);
	h_expect_api(h_api(srv, "DELETE", h_strf("/scopes?scope=%s", q(sc)), t, NULL), 200);
	app_mp200(sc);
	r = h_api(srv, "GET", h_strf("/scopes/access?scope=%s", q(sc)), t, NULL);
	check_access(h_find(h_expect_api(r, 200), "consumer_orgno", ORG_CONS), sc, "APPROVED", ORG_CONS, ORG_PROV);
	r = h_api(srv, "GET", "/clients/cons-app", tok(cons, H_SC_DCR_READ), NULL);
	cl = h_expect_api(r, 200);
	{
		size_t i;
		json_t *e;
		bool found = false;

		json_array_foreach(json_object_get(cl, "scopes"), i, e)
			if (json_is_string(e) && strcmp(json_string_value(e), sc) == 0)
				found = true;
		if (!found)
			h_fail("the client lost the deactivated scope: %s", r->body);
	}
	h_expect_api(h_api(srv, "PUT", h_strf("/scopes?scope=%s", q(sc)), t, "{\"active\":true}"), 200);
	app_token_ok(sc);
}

/* Checklist: paths work with and without /api/v1, for every endpoint family. The reads
 * return the same documents; the writes work under either. */
static void
paths_with_and_without_api_v1(void **state)
{
	static const char *const reads[][2] = {
		{ NULL, "/scopes/all" }, { NULL, "/delegationsources" }, { H_SC_SCOPES, "/scopes" },
		{ H_SC_SCOPES, "/scopes?inactive=true" }, { H_SC_SCOPES, "/scopes?scope=prov%3Aseeded" },
		{ H_SC_SCOPES, "/scopes/scope?scope=prov%3Aseeded" }, { H_SC_SCOPES, "/scopes/access?scope=prov%3Aseeded" },
		{ H_SC_SCOPES, "/scopes/access/?consumer_orgno=" ORG_CONS }, { H_SC_SCOPES, "/scopes/access/all" },
		{ H_SC_SCOPES, "/prefix" }, { H_SC_DCR_READ, "/clients" }, { H_SC_DCR_READ, "/clients/prov-admin" },
		{ H_SC_DCR_READ, "/clients/prov-admin/jwks" }, { H_SC_SCOPES, "/delegations" },
	};
	static const char *const op_reads[] = { "/admin/keys", "/admin/prefixes", "/admin/audit?limit=5",
	                                        "/delegations" };
	const char *sc = "prov:tok/prefixed";
	struct h_resp *a, *b;
	const char *t;

	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		t = reads[i][0] ? tok(prov, reads[i][0]) : NULL;
		a = h_api(srv, "GET", reads[i][1], t, NULL);
		b = h_api(srv, "GET", h_strf("/api/v1%s", reads[i][1]), t, NULL);
		h_expect_api(a, 200);
		h_expect_api(b, 200);
		if (!json_equal(a->json, b->json))
			h_fail("GET %s and /api/v1%s differ: %s vs %s", reads[i][1], reads[i][1], a->body, b->body);
	}
	for (size_t i = 0; i < sizeof(op_reads) / sizeof(op_reads[0]); i++) {
		t = tok(op, H_SC_ADMIN);
		a = h_api(srv, "GET", op_reads[i], t, NULL);
		b = h_api(srv, "GET", h_strf("/api/v1%s", op_reads[i]), t, NULL);
		h_expect_api(a, 200);
		h_expect_api(b, 200);
		if (!json_equal(a->json, b->json))
			h_fail("GET %s and /api/v1%s differ: %s vs %s", op_reads[i], op_reads[i], a->body, b->body);
	}
	/* writes under /api/v1 */
	t = tok(prov, H_SC_SCOPES);
	a = h_api(srv, "POST", "/api/v1/scopes", t, "{\"prefix\":\"prov\",\"subscope\":\"tok/prefixed\",\"description\":\"p\"}");
	H_ASSERT_STR(H_JSTR(h_expect_api(a, 201), "name"), sc);
	a = h_api(srv, "PUT", "/api/v1/scopes?scope=prov%3Atok%2Fprefixed", t, "{\"description\":\"p2\"}");
	H_ASSERT_STR(H_JSTR(h_expect_api(a, 200), "description"), "p2");
	a = h_api(srv, "PUT", "/api/v1/scopes/access/" ORG_CONS "?scope=prov%3Atok%2Fprefixed", t, NULL);
	check_access(h_expect_api(a, 200), sc, "APPROVED", ORG_CONS, ORG_PROV);
	app_token_ok(sc);
	a = h_api(srv, "DELETE", "/api/v1/scopes/access/" ORG_CONS "?scope=prov%3Atok%2Fprefixed", t, NULL);
	h_expect_api(a, 204);
	app_mp250(sc);
	a = h_api(srv, "DELETE", "/api/v1/scopes?scope=prov%3Atok%2Fprefixed", t, NULL);
	assert_true(json_is_false(json_object_get(h_expect_api(a, 200), "active")));
	app_mp200(sc);
	/* errors in the same shape under the prefix */
	h_expect_api_error(h_api(srv, "GET", "/api/v1/scopes", NULL, NULL), 401, "invalid_token");
	h_expect_api_error(h_api(srv, "GET", "/api/v1/scopes", tok(prov_ro, H_SC_DCR_READ), NULL), 403,
	                   "insufficient_scope");
	h_expect_api_error(h_api(srv, "GET", "/api/v1/scopes?scope=other%3Aseeded", t, NULL), 403, "access_denied");
	h_expect_api_error(h_api(srv, "GET", "/api/v1/scopes?scope=prov%3Anosuch", t, NULL), 404, "not_found");
	/* the prefix is /api/v1, not any /api/vN */
	a = h_api(srv, "GET", "/api/v2/scopes/all", NULL, NULL);
	H_ASSERT_INT(a->status, 404);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unauthenticated_is_401),
		cmocka_unit_test(expired_token_is_401),
		cmocka_unit_test(wrong_scope_is_403_insufficient_scope),
		cmocka_unit_test(other_org_scope_is_403_access_denied),
		cmocka_unit_test(create_with_foreign_prefix_is_refused),
		cmocka_unit_test(create_returns_scope_with_defaults),
		cmocka_unit_test(subscope_rules),
		cmocka_unit_test(every_problem_is_reported_at_once),
		cmocka_unit_test(unknown_fields_wrong_types_malformed_json),
		cmocka_unit_test(control_characters_in_description),
		cmocka_unit_test(oversized_body_is_413),
		cmocka_unit_test(put_changes_given_fields_not_the_name),
		cmocka_unit_test(delete_deactivates_and_listing_hides),
		cmocka_unit_test(recreate_is_409_also_when_deactivated),
		cmocka_unit_test(get_scopes_lists_own_scopes_only),
		cmocka_unit_test(scopes_all_public_and_filters),
		cmocka_unit_test(prefix_and_delegation_sources),
		cmocka_unit_test(method_not_allowed),
		cmocka_unit_test(grant_is_approved_and_idempotent),
		cmocka_unit_test(legacy_post_access),
		cmocka_unit_test(access_states),
		cmocka_unit_test(revoke_then_next_grant_is_mp250),
		cmocka_unit_test(access_lists_and_orgno_rules),
		cmocka_unit_test(grant_on_deactivated_scope_is_400),
		cmocka_unit_test(access_all_is_the_consumer_view),
		cmocka_unit_test(deactivate_then_next_grant_is_mp200),
		cmocka_unit_test(paths_with_and_without_api_v1),
	};

	return cmocka_run_group_tests_name("integration: admin API, scopes and consumer access", tests, group_setup,
	                                   group_teardown);
}
