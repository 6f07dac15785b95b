/* The administration API, consumer side: docs/admin-api.md "Clients"; spec/maskinporten.md
 * 7.2-7.4, 8.3 and checklist 11 "Self-service: clients".
 *
 * One server for the group; each test registers its own clients through the API. The seed
 * holds the admin scopes and clients and the provider's scopes with their access records
 * (the provider side is test_admin_scopes.c). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#define ORG_PROV "974761076"
#define ORG_CONS "910753614"
#define ORG_OTHER "310000019"
#define ORG_SUP "310000027"     /* supplier with idporten:dcr.supplier */
#define ORG_CUST "310000035"    /* the supplier's customer */

#define GT_JWT "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define TXT_MP100 "Invalid assertion. Client authentication failed. Client not found"
#define TXT_MP121 "Invalid assertion. Client authentication failed. Expired key."
#define TXT_MP250 "Consumer has not been granted access to the scope"
#define TXT_UNKNOWN_KID "Invalid assertion. Client authentication failed. Unknown key identifier (kid) for client"

static struct h_server *srv;
static struct h_actor *op, *prov, *cons, *cons_r, *cons_m, *other, *sup, *cust;

static void
seed_world(json_t *seed)
{
	h_seed_admin_scopes(seed);
	h_seed_scope(seed, "prov:granted", ORG_PROV, NULL);
	h_seed_scope(seed, "prov:second", ORG_PROV, NULL);
	h_seed_scope(seed, "prov:noaccess", ORG_PROV, NULL);
	h_seed_scope(seed, "prov:requested", ORG_PROV, NULL);
	h_seed_scope(seed, "prov:denied", ORG_PROV, NULL);
	h_seed_scope(seed, "prov:revoked", ORG_PROV, NULL);
	h_seed_scope(seed, "prov:open", ORG_PROV, json_pack("{s:b}", "accessible_for_all", 1));
	h_seed_scope(seed, "prov:deleg", ORG_PROV, json_pack("{s:s}", "delegation_source", H_ALTINN_TT02));
	h_seed_scope(seed, "prov:inactive", ORG_PROV, json_pack("{s:b}", "active", 0));
	h_seed_scope(seed, "prov:idporten", ORG_PROV, json_pack("{s:[s]}", "allowed_integration_types", "idporten"));
	h_seed_scope(seed, "prov:anytype", ORG_PROV, json_pack("{s:[]}", "allowed_integration_types"));
	h_seed_access(seed, "prov:granted", ORG_CONS, "APPROVED");
	h_seed_access(seed, "prov:second", ORG_CONS, "APPROVED");
	h_seed_access(seed, "prov:requested", ORG_CONS, "REQUESTED");
	h_seed_access(seed, "prov:denied", ORG_CONS, "DENIED");
	h_seed_access(seed, "prov:revoked", ORG_CONS, "APPROVED");
	h_seed_access(seed, "prov:inactive", ORG_CONS, "APPROVED");
	h_seed_access(seed, "prov:idporten", ORG_CONS, "APPROVED");
	h_seed_access(seed, "prov:anytype", ORG_CONS, "APPROVED");
	h_seed_access(seed, "prov:granted", ORG_CUST, "APPROVED");
	h_seed_access(seed, "prov:granted", ORG_OTHER, "APPROVED");
}

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };
	json_t *seed;

	h_init();
	seed = h_seed_new();
	seed_world(seed);
	op = h_seed_actor(seed, "op-admin", H_ORG_DIGDIR, H_SC_ALL_ADMIN, NULL);
	prov = h_seed_actor(seed, "prov-admin", ORG_PROV, H_SC_SCOPES, NULL);
	cons = h_seed_actor(seed, "cons-admin", ORG_CONS,
	                    H_SC_DCR_READ " " H_SC_DCR_WRITE " " H_SC_DCR_MODIFY " " H_SC_SCOPES, NULL);
	cons_r = h_seed_actor(seed, "cons-read", ORG_CONS, H_SC_DCR_READ, NULL);
	cons_m = h_seed_actor(seed, "cons-modify", ORG_CONS, H_SC_DCR_READ " " H_SC_DCR_MODIFY, NULL);
	other = h_seed_actor(seed, "other-admin", ORG_OTHER, H_SC_DCR_READ " " H_SC_DCR_WRITE " " H_SC_DCR_MODIFY, NULL);
	sup = h_seed_actor(seed, "sup-admin", ORG_SUP,
	                   H_SC_DCR_SUPPLIER " " H_SC_DCR_READ " " H_SC_DCR_WRITE " " H_SC_DCR_MODIFY, NULL);
	cust = h_seed_actor(seed, "cust-admin", ORG_CUST, H_SC_DCR_READ, NULL);
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

#define W H_SC_DCR_WRITE
#define R H_SC_DCR_READ
#define M H_SC_DCR_MODIFY
#define ALL H_SC_DCR_READ " " H_SC_DCR_WRITE " " H_SC_DCR_MODIFY
#define SUPALL H_SC_DCR_SUPPLIER " " ALL

static const char *
tok(const struct h_actor *a, const char *scope)
{
	return h_actor_token(srv, a, scope);
}

/* The spec 7.2 minimal Maskinporten body, with scopes (JSON array text) and extra members
 * (JSON object members text, may be ""). */
static const char *
client_body(const char *name, const char *scopes_json, const char *extra)
{
	return h_strf("{\"integration_type\":\"maskinporten\",\"client_name\":\"%s\",\"description\":\"%s client\","
	              "\"token_endpoint_auth_method\":\"private_key_jwt\",\"grant_types\":[\"" GT_JWT "\"],"
	              "\"scopes\":%s,\"application_type\":\"web\"%s%s}",
	              name, name, scopes_json, extra && extra[0] ? "," : "", extra ? extra : "");
}

static json_t *
create_as(const struct h_actor *a, const char *scopes_tok, const char *name, const char *scopes_json,
          const char *extra)
{
	struct h_resp *r = h_api(srv, "POST", "/clients", tok(a, scopes_tok), client_body(name, scopes_json, extra));

	return h_expect_api(r, 201);
}

static json_t *
create(const char *name, const char *scopes_json)
{
	return create_as(cons, ALL, name, scopes_json, NULL);
}

static const char *
cid(const json_t *client)
{
	return H_JSTR(client, "client_id");
}

static json_t *
jwks_of(const struct h_key *const *keys, size_t n, const char *alg)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append(arr, h_key_pub(keys[i], alg));
	return h_keep_json(json_pack("{s:o}", "keys", arr));
}

static struct h_resp *
put_keys(const struct h_actor *a, const char *method, const char *client_id, const json_t *set)
{
	return h_apij(srv, method, h_strf("/clients/%s/jwks", client_id), tok(a, a == sup ? SUPALL : ALL), set);
}

static json_t *
put_key_ok(const char *client_id, const struct h_key *k)
{
	const struct h_key *ks[1] = { k };

	return h_expect_api(put_keys(cons, "POST", client_id, jwks_of(ks, 1, "RS256")), 200);
}

static struct h_resp *
grant(const char *client_id, const struct h_key *k, const char *alg, const char *scope)
{
	return h_post_token(srv, h_sign_kid(k, alg, h_claims_now(srv, client_id, scope)));
}

/* The members a client may have (docs/admin-api.md "Client fields", spec 7.2). */
static void
check_client_members(const json_t *c)
{
	static const char *const allowed[] = {
		"client_id", "client_name", "description", "integration_type", "application_type",
		"token_endpoint_auth_method", "grant_types", "scopes", "client_orgno", "supplier_orgno",
		"access_token_lifetime", "authorization_lifetime", "refresh_token_lifetime", "refresh_token_usage",
		"active", "created", "last_updated", NULL
	};
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)c, k, v) {
		bool ok = false;

		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(k, allowed[i]) == 0)
				ok = true;
		if (!ok)
			h_fail("unexpected member \"%s\" in client %s", k, h_dump(c));
	}
}

static void
expect_no_supplier(const json_t *c)
{
	json_t *s = json_object_get(c, "supplier_orgno");

	if (s != NULL && !json_is_null(s))
		h_fail("client has supplier_orgno: %s", h_dump(c));
}

/* 400 whose description names the scope. */
static void
expect_attach_refused(struct h_resp *r, const char *scope)
{
	h_expect_api_error(r, 400, "invalid_request");
	h_api_field_error(r, "scopes");
	if (strstr(H_JSTR(r->json, "error_description"), scope) == NULL)
		h_fail("the refusal does not name %s: %s", scope, r->body);
}

/* ---- registration ---- */

/* Checklist: POST /clients (maskinporten) returns a UUID client_id and client_orgno = the
 * caller, with every Maskinporten field. */
static void
create_returns_uuid_and_caller_orgno(void **state)
{
	const char *now = h_iso8601(srv->now);
	json_t *c = create("reg-minimal", "[\"prov:granted\"]"), *c2, *got, *list;

	check_client_members(c);
	assert_true(h_is_uuid(cid(c)));
	H_ASSERT_STR(H_JSTR(c, "client_orgno"), ORG_CONS);
	expect_no_supplier(c);
	H_ASSERT_STR(H_JSTR(c, "client_name"), "reg-minimal");
	H_ASSERT_STR(H_JSTR(c, "description"), "reg-minimal client");
	H_ASSERT_STR(H_JSTR(c, "integration_type"), "maskinporten");
	H_ASSERT_STR(H_JSTR(c, "application_type"), "web");
	H_ASSERT_STR(H_JSTR(c, "token_endpoint_auth_method"), "private_key_jwt");
	H_ASSERT_STR(h_dump(json_object_get(c, "grant_types")), "[\"" GT_JWT "\"]");
	H_ASSERT_STR(h_dump(json_object_get(c, "scopes")), "[\"prov:granted\"]");
	assert_true(json_is_true(json_object_get(c, "active")));
	H_JINT(c, "access_token_lifetime");
	H_JINT(c, "authorization_lifetime");
	H_ASSERT_STR(H_JSTR(c, "created"), now);
	H_ASSERT_STR(H_JSTR(c, "last_updated"), now);
	got = h_expect_api(h_api(srv, "GET", h_strf("/clients/%s", cid(c)), tok(cons_r, R), NULL), 200);
	if (!json_equal(got, c))
		h_fail("GET /clients/{id} %s differs from the POST response %s", h_dump(got), h_dump(c));
	list = h_expect_api(h_api(srv, "GET", "/clients", tok(cons_r, R), NULL), 200);
	if (!json_equal(h_find(list, "client_id", cid(c)), c))
		h_fail("GET /clients does not list the client as created: %s", h_dump(list));
	/* a second registration gets another UUID; /api/v1 works the same */
	c2 = h_expect_api(h_api(srv, "POST", "/api/v1/clients", tok(cons, W), client_body("reg-two", "[]", "")), 201);
	assert_true(h_is_uuid(cid(c2)));
	assert_true(strcmp(cid(c), cid(c2)) != 0);
	H_ASSERT_STR(H_JSTR(c2, "client_orgno"), ORG_CONS);
	got = h_expect_api(h_api(srv, "GET", h_strf("/api/v1/clients/%s", cid(c2)), tok(cons_r, R), NULL), 200);
	if (!json_equal(got, c2))
		h_fail("GET /api/v1/clients/{id} differs from the POST response");
	/* the smallest body: every Maskinporten default filled in */
	c = h_expect_api(h_api(srv, "POST", "/clients", tok(cons, W), "{\"client_name\":\"reg-tiny\"}"), 201);
	H_ASSERT_STR(H_JSTR(c, "integration_type"), "maskinporten");
	H_ASSERT_STR(H_JSTR(c, "application_type"), "web");
	H_ASSERT_STR(H_JSTR(c, "token_endpoint_auth_method"), "private_key_jwt");
	H_ASSERT_STR(h_dump(json_object_get(c, "grant_types")), "[\"" GT_JWT "\"]");
	H_ASSERT_STR(h_dump(json_object_get(c, "scopes")), "[]");
	H_ASSERT_STR(H_JSTR(c, "client_orgno"), ORG_CONS);
	/* client_orgno = the caller given explicitly is the same thing; created in a body is ignored */
	c = create_as(cons, W, "reg-explicit", "[]", "\"client_orgno\":\"" ORG_CONS "\",\"created\":\"2001-01-01T00:00:00Z\"");
	H_ASSERT_STR(H_JSTR(c, "client_orgno"), ORG_CONS);
	H_ASSERT_STR(H_JSTR(c, "created"), now);
	/* the alias of the grant type */
	c = h_expect_api(h_api(srv, "POST", "/clients", tok(cons, W),
	                       "{\"client_name\":\"reg-alias\",\"grant_types\":[\"jwt_bearer_token\"]}"), 201);
	assert_true(h_is_uuid(cid(c)));
}

/* Checklist: a client_secret_* auth method or a non-jwt-bearer grant type is rejected. */
static void
secret_auth_and_other_grant_types_rejected(void **state)
{
	static const char *const methods[] = { "client_secret_basic", "client_secret_post", "client_secret_jwt", "none" };
	static const char *const grants[] = { "[\"authorization_code\"]", "[\"client_credentials\"]",
	                                      "[\"" GT_JWT "\",\"refresh_token\"]", "[\"password\"]", "\"" GT_JWT "\"" };
	const char *t = tok(cons, ALL);
	struct h_resp *r;
	json_t *c;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		r = h_api(srv, "POST", "/clients", t,
		          h_strf("{\"client_name\":\"sec\",\"token_endpoint_auth_method\":\"%s\"}", methods[i]));
		h_expect_invalid(r, "Client", "token_endpoint_auth_method");
	}
	for (size_t i = 0; i < sizeof(grants) / sizeof(grants[0]); i++) {
		r = h_api(srv, "POST", "/clients", t, h_strf("{\"client_name\":\"gt\",\"grant_types\":%s}", grants[i]));
		h_expect_invalid(r, "Client", "grant_types");
	}
	r = h_api(srv, "POST", "/clients", t,
	          "{\"client_name\":\"both\",\"token_endpoint_auth_method\":\"client_secret_post\","
	          "\"grant_types\":[\"authorization_code\"]}");
	h_expect_invalid(r, "Client", "token_endpoint_auth_method,grant_types");
	/* nor by a change */
	c = create("sec-put", "[]");
	r = h_api(srv, "PUT", h_strf("/clients/%s", cid(c)), t, "{\"token_endpoint_auth_method\":\"client_secret_basic\"}");
	h_expect_invalid(r, "Client", "token_endpoint_auth_method");
	r = h_api(srv, "PUT", h_strf("/clients/%s", cid(c)), t, "{\"grant_types\":[\"authorization_code\"]}");
	h_expect_invalid(r, "Client", "grant_types");
	r = h_api(srv, "GET", h_strf("/clients/%s", cid(c)), t, NULL);
	if (!json_equal(h_expect_api(r, 200), c))
		h_fail("a refused PUT changed the client: %s", r->body);
}

/* client_id and supplier_orgno are the server's: a POST giving them -> 400. */
static void
server_set_fields_in_post_rejected(void **state)
{
	const char *t = tok(cons, ALL);
	struct h_resp *r;

	r = h_api(srv, "POST", "/clients", t, "{\"client_name\":\"x\",\"client_id\":\"my-own-id\"}");
	h_expect_invalid(r, "Client", "client_id");
	r = h_api(srv, "POST", "/clients", t, "{\"client_name\":\"x\",\"supplier_orgno\":\"" ORG_SUP "\"}");
	h_expect_invalid(r, "Client", "supplier_orgno");
	r = h_api(srv, "POST", "/clients", t,
	          "{\"client_name\":\"x\",\"client_id\":\"my-own-id\",\"supplier_orgno\":\"" ORG_SUP "\"}");
	h_expect_invalid(r, "Client", "client_id,supplier_orgno");
	r = h_api(srv, "GET", "/clients/my-own-id", tok(cons_r, R), NULL);
	h_expect_api_error(r, 404, "not_found");
}

/* Every problem at once; unknown fields, wrong types, malformed JSON, limits. */
static void
client_validation_reports_every_problem(void **state)
{
	const char *t = tok(cons, ALL);
	struct h_resp *r;
	char *big;

	r = h_api(srv, "POST", "/clients", t,
	          "{\"client_name\":5,\"token_endpoint_auth_method\":\"client_secret_basic\",\"grant_types\":[\"password\"],"
	          "\"access_token_lifetime\":-1,\"colour\":\"x\",\"scopes\":\"prov:granted\",\"active\":\"yes\"}");
	h_expect_invalid(r, "Client",
	                 "client_name,token_endpoint_auth_method,grant_types,access_token_lifetime,colour,scopes,active");
	r = h_api(srv, "POST", "/clients", t, "{\"client_name\":\"x\",\"access_token_lifetime\":86401}");
	h_expect_invalid(r, "Client", "access_token_lifetime");
	r = h_api(srv, "POST", "/clients", t, "{\"client_name\":\"x\",\"access_token_lifetime\":\"300\"}");
	h_expect_invalid(r, "Client", "access_token_lifetime");
	r = h_api(srv, "POST", "/clients", t, "{\"client_name\":\"x\",\"description\":\"a\\u0001b\"}");
	h_expect_invalid(r, "Client", "description");
	r = h_api(srv, "POST", "/clients", t, "{\"client_name\":\"x\",\"client_orgno\":\"12345678\"}");
	h_expect_invalid(r, "Client", "client_orgno");
	r = h_api(srv, "POST", "/clients", t, "{\"client_name\":\"x\",\"integration_type\":\"idporten\"}");
	h_expect_invalid(r, "Client", "integration_type");
	r = h_api(srv, "POST", "/clients", t, "{\"client_name\":\"x\"");
	h_expect_api_error(r, 400, "invalid_request");
	r = h_api(srv, "POST", "/clients", t, "[]");
	h_expect_api_error(r, 400, "invalid_request");
	big = h_keep(malloc(64 * 1024 + 2));
	memset(big, ' ', 64 * 1024 + 1);
	memcpy(big, "{\"client_name\":\"big\"}", 21);
	big[64 * 1024 + 1] = '\0';
	r = h_api(srv, "POST", "/clients", t, big);
	h_expect_api_error(r, 413, "invalid_request");
	r = h_api(srv, "GET", "/clients", tok(cons_r, R), NULL);
	assert_null(h_find(h_expect_api(r, 200), "client_name", "big"));
	assert_null(h_find(r->json, "client_name", "x"));
}

/* Checklist: changing integration_type via PUT -> 400; client_orgno cannot change either;
 * PUT changes the fields given and keeps the rest. */
static void
put_changes_fields_not_type_or_owner(void **state)
{
	json_t *c = create("put-client", "[\"prov:granted\"]"), *c2;
	const char *path = h_strf("/clients/%s", cid(c));
	const char *created = h_strf("%s", H_JSTR(c, "created"));
	struct h_resp *r;

	r = h_api(srv, "PUT", path, tok(cons, ALL), "{\"integration_type\":\"idporten\"}");
	h_expect_invalid(r, "Client", "integration_type");
	r = h_api(srv, "PUT", path, tok(cons, ALL), "{\"integration_type\":\"api_klient\",\"client_orgno\":\"" ORG_OTHER "\"}");
	h_expect_invalid(r, "Client", "integration_type,client_orgno");
	r = h_api(srv, "PUT", path, tok(cons, ALL), "{\"client_orgno\":\"" ORG_OTHER "\"}");
	h_expect_invalid(r, "Client", "client_orgno");
	r = h_api(srv, "PUT", path, tok(cons, ALL), "{\"colour\":\"red\"}");
	h_expect_invalid(r, "Client", "colour");
	r = h_api(srv, "GET", path, tok(cons_r, R), NULL);
	if (!json_equal(h_expect_api(r, 200), c))
		h_fail("a refused PUT changed the client: %s", r->body);

	/* the same type and owner, a new name: accepted by dcr.modify alone */
	r = h_api(srv, "PUT", path, tok(cons_m, M),
	          "{\"integration_type\":\"maskinporten\",\"client_orgno\":\"" ORG_CONS "\",\"client_name\":\"renamed\","
	          "\"access_token_lifetime\":600}");
	c2 = h_expect_api(r, 200);
	check_client_members(c2);
	H_ASSERT_STR(H_JSTR(c2, "client_id"), cid(c));
	H_ASSERT_STR(H_JSTR(c2, "client_name"), "renamed");
	H_ASSERT_INT(H_JINT(c2, "access_token_lifetime"), 600);
	H_ASSERT_STR(H_JSTR(c2, "description"), "put-client client");
	H_ASSERT_STR(h_dump(json_object_get(c2, "scopes")), "[\"prov:granted\"]");
	H_ASSERT_STR(H_JSTR(c2, "integration_type"), "maskinporten");
	H_ASSERT_STR(H_JSTR(c2, "created"), created);
	/* dcr.write may change, too */
	r = h_api(srv, "PUT", path, tok(cons, W), "{\"description\":\"by write\"}");
	H_ASSERT_STR(H_JSTR(h_expect_api(r, 200), "description"), "by write");
	H_ASSERT_STR(H_JSTR(r->json, "client_name"), "renamed");
	r = h_api(srv, "GET", path, tok(cons_r, R), NULL);
	H_ASSERT_STR(H_JSTR(h_expect_api(r, 200), "description"), "by write");
	H_ASSERT_STR(H_JSTR(r->json, "client_name"), "renamed");
	/* the access-token lifetime set here is the token's */
	{
		struct h_key *k = h_key_new("put-client-k1");
		json_t *claims;

		put_key_ok(cid(c), k);
		claims = h_expect_token(srv, grant(cid(c), k, "RS256", "prov:granted"));
		H_ASSERT_INT(H_JINT(claims, "exp") - H_JINT(claims, "iat"), 600);
	}
	/* a change later moves last_updated, never created */
	h_set_clock(srv, op, srv->now + 45);
	r = h_api(srv, "PUT", path, tok(cons, W), "{\"description\":\"later\"}");
	c2 = h_expect_api(r, 200);
	H_ASSERT_STR(H_JSTR(c2, "created"), created);
	H_ASSERT_STR(H_JSTR(c2, "last_updated"), h_iso8601(srv->now));
}

/* The scope each admin operation needs: 403 insufficient_scope naming it otherwise. */
static void
dcr_scopes_are_enforced(void **state)
{
	json_t *c = create("scopes-matrix", "[]");
	const char *id = cid(c), *rt = tok(cons_r, R), *mt = tok(cons_m, M), *st = tok(cons, H_SC_SCOPES);
	const char *keyset = h_dump(jwks_of((const struct h_key *const[]){ h_key_new("matrix-k1") }, 1, "RS256"));
	struct h_resp *r;

	/* read-only */
	h_expect_api(h_api(srv, "GET", "/clients", rt, NULL), 200);
	h_expect_api(h_api(srv, "GET", h_strf("/clients/%s", id), rt, NULL), 200);
	h_expect_api(h_api(srv, "GET", h_strf("/clients/%s/jwks", id), rt, NULL), 200);
	r = h_api(srv, "POST", "/clients", rt, "{\"client_name\":\"nope\"}");
	h_expect_api_error(r, 403, "insufficient_scope");
	if (strstr(H_JSTR(r->json, "error_description"), H_SC_DCR_WRITE) == NULL)
		h_fail("the description does not name %s: %s", H_SC_DCR_WRITE, r->body);
	h_expect_api_error(h_api(srv, "PUT", h_strf("/clients/%s", id), rt, "{\"client_name\":\"nope\"}"), 403,
	                   "insufficient_scope");
	h_expect_api_error(h_api(srv, "DELETE", h_strf("/clients/%s", id), rt, NULL), 403, "insufficient_scope");
	h_expect_api_error(h_api(srv, "POST", h_strf("/clients/%s/jwks", id), rt, keyset), 403, "insufficient_scope");
	h_expect_api_error(h_api(srv, "PUT", h_strf("/clients/%s/jwks", id), rt, keyset), 403, "insufficient_scope");
	h_expect_api_error(h_api(srv, "DELETE", h_strf("/clients/%s/jwks", id), rt, NULL), 403, "insufficient_scope");
	h_expect_api_error(h_api(srv, "DELETE", h_strf("/clients/%s/jwks/matrix-k1", id), rt, NULL), 403,
	                   "insufficient_scope");
	/* modify: changes, nothing else */
	h_expect_api(h_api(srv, "PUT", h_strf("/clients/%s", id), mt, "{\"client_name\":\"modified\"}"), 200);
	h_expect_api_error(h_api(srv, "POST", "/clients", mt, "{\"client_name\":\"nope\"}"), 403, "insufficient_scope");
	h_expect_api_error(h_api(srv, "DELETE", h_strf("/clients/%s", id), mt, NULL), 403, "insufficient_scope");
	h_expect_api_error(h_api(srv, "POST", h_strf("/clients/%s/jwks", id), mt, keyset), 403, "insufficient_scope");
	h_expect_api_error(h_api(srv, "DELETE", h_strf("/clients/%s/jwks", id), mt, NULL), 403, "insufficient_scope");
	/* another admin scope is no dcr scope */
	r = h_api(srv, "GET", "/clients", st, NULL);
	h_expect_api_error(r, 403, "insufficient_scope");
	if (strstr(H_JSTR(r->json, "error_description"), H_SC_DCR_READ) == NULL)
		h_fail("the description does not name %s: %s", H_SC_DCR_READ, r->body);
	h_expect_api_error(h_api(srv, "POST", "/clients", st, "{\"client_name\":\"nope\"}"), 403, "insufficient_scope");
	/* unauthenticated */
	h_expect_api_error(h_api(srv, "GET", h_strf("/clients/%s", id), NULL, NULL), 401, "invalid_token");
	h_expect_api_error(h_api(srv, "POST", h_strf("/api/v1/clients/%s/jwks", id), NULL, keyset), 401, "invalid_token");
	/* none of the refused writes happened */
	r = h_api(srv, "GET", h_strf("/clients/%s/jwks", id), rt, NULL);
	H_ASSERT_STR(h_dump(h_expect_api(r, 200)), "{\"keys\":[]}");
	r = h_api(srv, "GET", h_strf("/clients/%s", id), rt, NULL);
	assert_true(json_is_true(json_object_get(h_expect_api(r, 200), "active")));
	H_ASSERT_STR(H_JSTR(r->json, "client_name"), "modified");
	r = h_api(srv, "GET", "/clients", rt, NULL);
	assert_null(h_find(h_expect_api(r, 200), "client_name", "nope"));
	h_expect_api_error(h_api(srv, "PATCH", h_strf("/clients/%s", id), tok(cons, ALL), "{}"), 405, "method_not_allowed");
}

/* Another organisation's client -> 403 access_denied; an unknown one -> 404. */
static void
other_org_client_is_403_access_denied(void **state)
{
	json_t *c = create("private-client", "[\"prov:granted\"]");
	const char *id = cid(c), *t = tok(other, ALL);
	const char *keyset = h_dump(jwks_of((const struct h_key *const[]){ h_key_new("intruder-k1") }, 1, "RS256"));
	struct h_key *k = h_key_new("private-client-k1");
	struct h_resp *r;

	put_key_ok(id, k);
	h_expect_api_error(h_api(srv, "GET", h_strf("/clients/%s", id), t, NULL), 403, "access_denied");
	h_expect_api_error(h_api(srv, "PUT", h_strf("/clients/%s", id), t, "{\"client_name\":\"mine\"}"), 403,
	                   "access_denied");
	h_expect_api_error(h_api(srv, "DELETE", h_strf("/clients/%s", id), t, NULL), 403, "access_denied");
	h_expect_api_error(h_api(srv, "GET", h_strf("/clients/%s/jwks", id), t, NULL), 403, "access_denied");
	h_expect_api_error(h_api(srv, "POST", h_strf("/clients/%s/jwks", id), t, keyset), 403, "access_denied");
	h_expect_api_error(h_api(srv, "PUT", h_strf("/clients/%s/jwks", id), t, keyset), 403, "access_denied");
	h_expect_api_error(h_api(srv, "DELETE", h_strf("/clients/%s/jwks", id), t, NULL), 403, "access_denied");
	h_expect_api_error(h_api(srv, "DELETE", h_strf("/clients/%s/jwks/private-client-k1", id), t, NULL), 403,
	                   "access_denied");
	/* a supplier is no owner of a client it does not supply */
	h_expect_api_error(h_api(srv, "GET", h_strf("/clients/%s", id), tok(sup, ALL), NULL), 403, "access_denied");
	r = h_api(srv, "GET", "/clients", t, NULL);
	assert_null(h_find(h_expect_api(r, 200), "client_id", id));
	/* nothing changed: the client still gets tokens with its key */
	h_expect_token(srv, grant(id, k, "RS256", "prov:granted"));
	r = h_api(srv, "GET", h_strf("/clients/%s", id), tok(cons_r, R), NULL);
	H_ASSERT_STR(H_JSTR(h_expect_api(r, 200), "client_name"), "private-client");
	/* unknown clients */
	for (const char *const *u = (const char *const[]){ "00000000-0000-4000-8000-000000000000", "no-such-client", NULL };
	     *u; u++) {
		h_expect_api_error(h_api(srv, "GET", h_strf("/clients/%s", *u), tok(cons, ALL), NULL), 404, "not_found");
		h_expect_api_error(h_api(srv, "PUT", h_strf("/clients/%s", *u), tok(cons, ALL), "{\"client_name\":\"x\"}"), 404,
		                   "not_found");
		h_expect_api_error(h_api(srv, "DELETE", h_strf("/clients/%s", *u), tok(cons, ALL), NULL), 404, "not_found");
		h_expect_api_error(h_api(srv, "GET", h_strf("/clients/%s/jwks", *u), tok(cons, ALL), NULL), 404, "not_found");
		h_expect_api_error(h_api(srv, "POST", h_strf("/clients/%s/jwks", *u), tok(cons, ALL), keyset), 404,
		                   "not_found");
	}
}

/* Checklist: adding a scope the organisation has no access to (and not accessible_for_all
 * nor with a delegation_source) is rejected naming the scope; the allowed cases pass;
 * scopes already on the client are not re-checked. */
static void
scope_attach_rules(void **state)
{
	static const char *const refused[] = { "prov:noaccess", "prov:requested", "prov:denied", "prov:inactive",
	                                       "prov:idporten", "prov:nosuch", "nosuchprefix:abc" };
	const char *t = tok(cons, ALL);
	struct h_resp *r;
	json_t *c;
	const char *path;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		r = h_api(srv, "POST", "/clients", t, client_body("attach", h_strf("[\"%s\"]", refused[i]), ""));
		expect_attach_refused(r, refused[i]);
	}
	/* several at once: each is named */
	r = h_api(srv, "POST", "/clients", t, client_body("attach", "[\"prov:granted\",\"prov:noaccess\",\"prov:nosuch\"]", ""));
	expect_attach_refused(r, "prov:noaccess");
	expect_attach_refused(r, "prov:nosuch");
	if (strstr(H_JSTR(r->json, "error_description"), "prov:granted") != NULL)
		h_fail("the refusal names the granted scope too: %s", r->body);
	/* allowed: APPROVED access, accessible_for_all, delegation_source, empty type list */
	c = create("attach-ok", "[\"prov:granted\",\"prov:open\",\"prov:deleg\",\"prov:anytype\"]");
	H_ASSERT_STR(h_dump(json_object_get(c, "scopes")), "[\"prov:granted\",\"prov:open\",\"prov:deleg\",\"prov:anytype\"]");
	path = h_strf("/clients/%s", cid(c));
	/* PUT adding a refused scope */
	r = h_api(srv, "PUT", path, t, "{\"scopes\":[\"prov:granted\",\"prov:noaccess\"]}");
	expect_attach_refused(r, "prov:noaccess");
	r = h_api(srv, "GET", path, t, NULL);
	H_ASSERT_STR(h_dump(json_object_get(h_expect_api(r, 200), "scopes")),
	             "[\"prov:granted\",\"prov:open\",\"prov:deleg\",\"prov:anytype\"]");
	/* PUT adding an allowed one */
	r = h_api(srv, "PUT", path, t, "{\"scopes\":[\"prov:granted\",\"prov:second\"]}");
	H_ASSERT_STR(h_dump(json_object_get(h_expect_api(r, 200), "scopes")), "[\"prov:granted\",\"prov:second\"]");

	/* already on the client: not re-checked after the access is revoked */
	c = create("attach-kept", "[\"prov:revoked\"]");
	path = h_strf("/clients/%s", cid(c));
	{
		struct h_key *k = h_key_new("attach-kept-k1");

		put_key_ok(cid(c), k);
		h_expect_token(srv, grant(cid(c), k, "RS256", "prov:revoked"));
		h_expect_api(h_api(srv, "DELETE", "/scopes/access/" ORG_CONS "?scope=prov%3Arevoked", tok(prov, H_SC_SCOPES),
		                   NULL), 204);
		r = h_api(srv, "PUT", path, t, "{\"client_name\":\"kept\",\"scopes\":[\"prov:revoked\"]}");
		H_ASSERT_STR(h_dump(json_object_get(h_expect_api(r, 200), "scopes")), "[\"prov:revoked\"]");
		r = h_api(srv, "PUT", path, t, "{\"scopes\":[\"prov:revoked\",\"prov:open\"]}");
		H_ASSERT_STR(h_dump(json_object_get(h_expect_api(r, 200), "scopes")), "[\"prov:revoked\",\"prov:open\"]");
		/* token time stays authoritative */
		r = grant(cid(c), k, "RS256", "prov:revoked");
		h_expect_error(srv, r, 403, "forbidden", "MP-250", TXT_MP250);
		h_expect_token(srv, grant(cid(c), k, "RS256", "prov:open"));
	}
}

/* Checklist: a caller holding idporten:dcr.supplier may set client_orgno; supplier_orgno is
 * set to the caller; the supplier manages the client and its tokens name both. */
static void
supplier_managed_client(void **state)
{
	const char *t = tok(sup, SUPALL);
	json_t *c, *claims, *list;
	struct h_key *k = h_key_new("managed-k1");
	struct h_resp *r;
	const char *id;

	c = create_as(sup, SUPALL, "managed", "[\"prov:granted\"]", "\"client_orgno\":\"" ORG_CUST "\"");
	check_client_members(c);
	id = cid(c);
	assert_true(h_is_uuid(id));
	H_ASSERT_STR(H_JSTR(c, "client_orgno"), ORG_CUST);
	H_ASSERT_STR(H_JSTR(c, "supplier_orgno"), ORG_SUP);
	/* the attach rule looks at the customer's access */
	r = h_api(srv, "POST", "/clients", t, client_body("managed-bad", "[\"prov:second\"]", "\"client_orgno\":\"" ORG_CUST "\""));
	expect_attach_refused(r, "prov:second");
	/* the supplier manages it */
	r = put_keys(sup, "POST", id, jwks_of((const struct h_key *const[]){ k }, 1, "RS256"));
	H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(h_expect_api(r, 200), "keys"), 0), "kid"), "managed-k1");
	r = h_api(srv, "PUT", h_strf("/clients/%s", id), t, "{\"client_name\":\"managed-renamed\"}");
	H_ASSERT_STR(H_JSTR(h_expect_api(r, 200), "client_name"), "managed-renamed");
	H_ASSERT_STR(H_JSTR(r->json, "supplier_orgno"), ORG_SUP);
	H_ASSERT_STR(H_JSTR(r->json, "client_orgno"), ORG_CUST);
	/* the supplier may not move it to another customer either */
	r = h_api(srv, "PUT", h_strf("/clients/%s", id), t, "{\"client_orgno\":\"" ORG_CONS "\"}");
	h_expect_invalid(r, "Client", "client_orgno");
	/* listed for the supplier and for the owner */
	list = h_expect_api(h_api(srv, "GET", "/clients", t, NULL), 200);
	assert_non_null(h_find(list, "client_id", id));
	list = h_expect_api(h_api(srv, "GET", "/clients", tok(cust, R), NULL), 200);
	assert_non_null(h_find(list, "client_id", id));
	H_ASSERT_STR(H_JSTR(h_expect_api(h_api(srv, "GET", h_strf("/clients/%s", id), tok(cust, R), NULL), 200),
	                    "supplier_orgno"), ORG_SUP);
	/* a third organisation sees nothing */
	h_expect_api_error(h_api(srv, "GET", h_strf("/clients/%s", id), tok(other, ALL), NULL), 403, "access_denied");
	/* the token: consumer = the customer, supplier = the supplier, no delegation_source */
	claims = h_expect_token(srv, grant(id, k, "RS256", "prov:granted"));
	H_ASSERT_STR(H_JSTR(json_object_get(claims, "consumer"), "ID"), "0192:" ORG_CUST);
	H_ASSERT_STR(H_JSTR(json_object_get(claims, "consumer"), "authority"), "iso6523-actorid-upis");
	H_ASSERT_STR(H_JSTR(json_object_get(claims, "supplier"), "ID"), "0192:" ORG_SUP);
	H_ASSERT_STR(H_JSTR(json_object_get(claims, "supplier"), "authority"), "iso6523-actorid-upis");
	assert_null(json_object_get(claims, "delegation_source"));
	H_ASSERT_STR(H_JSTR(claims, "client_id"), id);
	/* the supplier deactivates it */
	r = h_api(srv, "DELETE", h_strf("/clients/%s", id), t, NULL);
	assert_true(json_is_false(json_object_get(h_expect_api(r, 200), "active")));
	h_expect_error(srv, grant(id, k, "RS256", "prov:granted"), 400, "invalid_grant", "MP-100", TXT_MP100);
}

/* Setting another client_orgno without idporten:dcr.supplier -> 403. */
static void
foreign_client_orgno_without_supplier_scope_is_403(void **state)
{
	struct h_resp *r = h_api(srv, "POST", "/clients", tok(cons, ALL),
	                         client_body("not-mine", "[]", "\"client_orgno\":\"" ORG_OTHER "\""));

	H_ASSERT_INT(r->status, 403);
	if (json_is_string(json_object_get(r->json, "error")) &&
	    strcmp(json_string_value(json_object_get(r->json, "error")), "access_denied") == 0)
		h_expect_api_error(r, 403, "access_denied");
	else
		h_expect_api_error(r, 403, "insufficient_scope");
	r = h_api(srv, "GET", "/clients", tok(other, ALL), NULL);
	assert_null(h_find(h_expect_api(r, 200), "client_name", "not-mine"));
}

/* ---- keys ---- */

/* GET /clients/{id}/jwks: {"keys": []} when none; {"keys", "created", "last_updated"} with
 * every key's members and its upload time otherwise. */
static void
jwks_get_shape(void **state)
{
	json_t *c = create("jwks-shape", "[]"), *set, *got, *k0;
	struct h_key *k = h_key_new("jwks-shape-k1");
	const char *path = h_strf("/clients/%s/jwks", cid(c));
	const char *now = h_iso8601(srv->now);
	struct h_resp *r;

	r = h_api(srv, "GET", path, tok(cons_r, R), NULL);
	if (!json_equal(h_expect_api(r, 200), h_keep_json(json_pack("{s:[]}", "keys"))))
		h_fail("GET jwks of a client without keys: %s", r->body);
	set = put_key_ok(cid(c), k);
	H_ASSERT_INT(json_object_size(set), 3);
	H_ASSERT_STR(H_JSTR(set, "created"), now);
	H_ASSERT_STR(H_JSTR(set, "last_updated"), now);
	H_ASSERT_INT(json_array_size(json_object_get(set, "keys")), 1);
	k0 = json_array_get(json_object_get(set, "keys"), 0);
	H_ASSERT_STR(H_JSTR(k0, "kid"), "jwks-shape-k1");
	H_ASSERT_STR(H_JSTR(k0, "kty"), "RSA");
	H_ASSERT_STR(H_JSTR(k0, "use"), "sig");
	H_ASSERT_STR(H_JSTR(k0, "alg"), "RS256");
	H_ASSERT_STR(H_JSTR(k0, "e"), H_JSTR(h_key_pub(k, "RS256"), "e"));
	H_ASSERT_STR(H_JSTR(k0, "n"), H_JSTR(h_key_pub(k, "RS256"), "n"));
	H_ASSERT_STR(H_JSTR(k0, "created"), now);
	got = h_expect_api(h_api(srv, "GET", path, tok(cons_r, R), NULL), 200);
	if (!json_equal(got, set))
		h_fail("GET jwks %s differs from the POST response %s", h_dump(got), h_dump(set));
	got = h_expect_api(h_api(srv, "GET", h_strf("/api/v1%s", path), tok(cons_r, R), NULL), 200);
	if (!json_equal(got, set))
		h_fail("GET /api/v1 jwks differs");
}

/* Checklist: POST /clients/{id}/jwks replaces the set (PUT too); a 6th key is rejected; an
 * empty set is refused (DELETE removes keys). */
static void
jwks_replace_and_sixth_key(void **state)
{
	json_t *c = create("jwks-replace", "[\"prov:granted\"]"), *set;
	const char *id = cid(c), *path = h_strf("/clients/%s/jwks", id);
	struct h_key *k[6];
	struct h_resp *r;

	for (int i = 0; i < 6; i++)
		k[i] = h_key_new(h_strf("jwks-replace-k%d", i));
	set = h_expect_api(put_keys(cons, "POST", id, jwks_of((const struct h_key *const *)k, 2, "RS256")), 200);
	H_ASSERT_INT(json_array_size(json_object_get(set, "keys")), 2);
	set = h_expect_api(put_keys(cons, "POST", id, jwks_of((const struct h_key *const *)k + 2, 1, "RS256")), 200);
	H_ASSERT_INT(json_array_size(json_object_get(set, "keys")), 1);
	H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(set, "keys"), 0), "kid"), "jwks-replace-k2");
	h_expect_error(srv, grant(id, k[0], "RS256", "prov:granted"), 400, "invalid_grant", NULL, TXT_UNKNOWN_KID);
	h_expect_token(srv, grant(id, k[2], "RS256", "prov:granted"));
	set = h_expect_api(put_keys(cons, "PUT", id, jwks_of((const struct h_key *const *)k, 5, "RS256")), 200);
	H_ASSERT_INT(json_array_size(json_object_get(set, "keys")), 5);
	for (int i = 0; i < 5; i++)
		h_expect_token(srv, grant(id, k[i], "RS256", "prov:granted"));
	/* six: refused, the five stay */
	r = put_keys(cons, "POST", id, jwks_of((const struct h_key *const *)k, 6, "RS256"));
	h_expect_api_error(r, 400, "invalid_request");
	H_ASSERT_INT(json_array_size(json_object_get(r->json, "errors")), 1);
	H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(r->json, "errors"), 0), "objectName"), "Jwks");
	r = put_keys(cons, "PUT", id, jwks_of((const struct h_key *const *)k, 6, "RS256"));
	h_expect_api_error(r, 400, "invalid_request");
	r = h_api(srv, "GET", path, tok(cons_r, R), NULL);
	H_ASSERT_INT(json_array_size(json_object_get(h_expect_api(r, 200), "keys")), 5);
	h_expect_error(srv, grant(id, k[5], "RS256", "prov:granted"), 400, "invalid_grant", NULL, TXT_UNKNOWN_KID);
	/* empty and malformed sets */
	r = h_api(srv, "POST", path, tok(cons, ALL), "{\"keys\":[]}");
	h_expect_api_error(r, 400, "invalid_request");
	r = h_api(srv, "POST", path, tok(cons, ALL), "{}");
	h_expect_api_error(r, 400, "invalid_request");
	r = h_api(srv, "POST", path, tok(cons, ALL), "{\"keys\":{}}");
	h_expect_api_error(r, 400, "invalid_request");
	r = h_api(srv, "POST", path, tok(cons, ALL), "{\"keys\":[");
	h_expect_api_error(r, 400, "invalid_request");
	r = h_api(srv, "GET", path, tok(cons_r, R), NULL);
	H_ASSERT_INT(json_array_size(json_object_get(h_expect_api(r, 200), "keys")), 5);
}

/* A public RSA JWK of the given size, made with OpenSSL (new reference). */
static json_t *
rsa_jwk(int bits, const char *kid)
{
	EVP_PKEY *pk = EVP_RSA_gen((unsigned)bits);
	BIGNUM *n = NULL, *e = NULL;
	unsigned char nb[1024], eb[16];
	int nl, el;
	json_t *j;

	if (pk == NULL || !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e))
		h_fail("RSA-%d generation failed", bits);
	nl = BN_bn2bin(n, nb);
	el = BN_bn2bin(e, eb);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kty", "RSA", "kid", kid, "use", "sig", "alg", "RS256", "n",
	              h_b64url(nb, (size_t)nl), "e", h_b64url(eb, (size_t)el));
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(pk);
	return j;
}

/* Checklist: a JWK without use (or kty, alg, e, n; or kid) is rejected naming the member;
 * bad values too. */
static void
jwk_members_required(void **state)
{
	static const char *const members[] = { "use", "kty", "alg", "e", "n", "kid" };
	json_t *c = create("jwk-members", "[]"), *jwk, *set;
	const char *id = cid(c);
	struct h_key *k = h_key_new("jwk-members-k1");
	struct h_resp *r;

	const char *notes = NULL;

	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		jwk = h_keep_json(json_deep_copy(h_key_pub(k, "RS256")));
		json_object_del(jwk, members[i]);
		r = put_keys(cons, "POST", id, h_keep_json(json_pack("{s:[O]}", "keys", jwk)));
		h_note(&notes, h_strf("without %s", members[i]), h_invalid_problem(r, "Jwks", members[i]));
	}
	r = h_api(srv, "POST", h_strf("/clients/%s/jwks", id), tok(cons, ALL), "{\"keys\":[{}]}");
	h_note(&notes, "{}", h_invalid_problem(r, "Jwks", "kty,alg,use,e,n,kid"));
	{
		static const struct { const char *member, *value; } bad[] = {
			{ "use", "enc" }, { "alg", "ES256" }, { "alg", "PS256" }, { "alg", "HS256" }, { "alg", "none" },
			{ "alg", "rs256" }, { "kty", "EC" }, { "kid", "bad kid!" }, { "kid", "" }, { "kid", "a/b" },
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			jwk = h_keep_json(json_deep_copy(h_key_pub(k, "RS256")));
			json_object_set_new(jwk, bad[i].member, json_string(bad[i].value));
			r = put_keys(cons, "POST", id, h_keep_json(json_pack("{s:[O]}", "keys", jwk)));
			/* a kty other than RSA may be reported against the key itself */
			h_note(&notes, h_strf("%s \"%s\"", bad[i].member, bad[i].value),
			       strcmp(bad[i].member, "kty") == 0 && h_invalid_problem(r, "Jwks", "keys[0]") == NULL
			               ? NULL : h_invalid_problem(r, "Jwks", bad[i].member));
		}
	}
	/* a 1024-bit RSA key (below the 2048-bit minimum) */
	r = put_keys(cons, "POST", id, h_keep_json(json_pack("{s:[o]}", "keys", rsa_jwk(1024, "jwk-members-small"))));
	h_note(&notes, "RSA-1024", h_api_error_problem(r, 400, "invalid_request"));
	/* every problem of two keys at once */
	{
		json_t *a = h_keep_json(json_deep_copy(h_key_pub(k, "RS256")));
		json_t *b = h_keep_json(json_deep_copy(h_key_pub(h_key_new("jwk-members-k2"), "RS256")));

		json_object_del(a, "use");
		json_object_set_new(b, "alg", json_string("ES256"));
		r = put_keys(cons, "POST", id, h_keep_json(json_pack("{s:[O,O]}", "keys", a, b)));
		h_note(&notes, "two bad keys", h_invalid_problem(r, "Jwks", "use,alg"));
	}
	r = h_api(srv, "GET", h_strf("/clients/%s/jwks", id), tok(cons_r, R), NULL);
	H_ASSERT_STR(h_dump(h_expect_api(r, 200)), "{\"keys\":[]}");
	h_expect_no_notes(notes);
	/* RS384 and RS512 are fine, and usable at once */
	set = h_expect_api(put_keys(cons, "POST", id,
	                            h_keep_json(json_pack("{s:[O,O]}", "keys", h_key_pub(k, "RS384"),
	                                                  h_key_pub(h_key_alias(k, "jwk-members-k512"), "RS512")))),
	                   200);
	H_ASSERT_INT(json_array_size(json_object_get(set, "keys")), 2);
	h_expect_api(h_api(srv, "PUT", h_strf("/clients/%s", id), tok(cons, ALL), "{\"scopes\":[\"prov:granted\"]}"), 200);
	h_expect_token(srv, grant(id, k, "RS384", "prov:granted"));
	h_expect_token(srv, grant(id, h_key_alias(k, "jwk-members-k512"), "RS512", "prov:granted"));
}

/* Checklist: a duplicate kid is rejected, within a set and across clients; the same kid on
 * the same client is a renewal. */
static void
duplicate_kid_rejected(void **state)
{
	json_t *a = create("dup-a", "[]"), *b = create("dup-b", "[]"), *oc;
	struct h_key *k = h_key_new("dup-kid"), *k2 = h_key_new("dup-kid-2");
	struct h_resp *r;

	r = put_keys(cons, "POST", cid(a),
	             h_keep_json(json_pack("{s:[O,O]}", "keys", h_key_pub(k, "RS256"),
	                                   h_key_pub(h_key_alias(k2, "dup-kid"), "RS256"))));
	h_expect_invalid(r, "Jwks", "kid");
	put_key_ok(cid(a), k);
	r = put_keys(cons, "POST", cid(b), jwks_of((const struct h_key *const[]){ h_key_alias(k2, "dup-kid") }, 1, "RS256"));
	h_expect_invalid(r, "Jwks", "kid");
	/* across organisations, and against a seeded client's kid */
	oc = create_as(other, ALL, "dup-other", "[]", NULL);
	r = put_keys(other, "POST", cid(oc), jwks_of((const struct h_key *const[]){ h_key_alias(k2, "dup-kid") }, 1, "RS256"));
	h_expect_invalid(r, "Jwks", "kid");
	r = put_keys(cons, "POST", cid(b), jwks_of((const struct h_key *const[]){ h_key_alias(k2, "op-admin-k") }, 1, "RS256"));
	h_expect_invalid(r, "Jwks", "kid");
	/* the same kid again on the same client: fine */
	put_key_ok(cid(a), k);
	r = h_api(srv, "GET", h_strf("/clients/%s/jwks", cid(b)), tok(cons_r, R), NULL);
	H_ASSERT_STR(h_dump(h_expect_api(r, 200)), "{\"keys\":[]}");
}

/* Checklist: a new key is usable at /token at once; DELETE one kid, DELETE all. */
static void
new_key_usable_at_once_and_key_deletion(void **state)
{
	json_t *c = create("keys-live", "[\"prov:granted\"]"), *set;
	const char *id = cid(c), *path = h_strf("/clients/%s/jwks", id);
	struct h_key *a = h_key_new("keys-live-a"), *b = h_key_new("keys-live-b");
	struct h_resp *r;

	h_expect_error(srv, grant(id, a, "RS256", "prov:granted"), 400, "invalid_grant", NULL, TXT_UNKNOWN_KID);
	put_key_ok(id, a);
	h_expect_token(srv, grant(id, a, "RS256", "prov:granted"));
	set = h_expect_api(put_keys(cons, "POST", id, jwks_of((const struct h_key *const[]){ a, b }, 2, "RS256")), 200);
	H_ASSERT_INT(json_array_size(json_object_get(set, "keys")), 2);
	h_expect_token(srv, grant(id, b, "RS256", "prov:granted"));
	/* one kid */
	h_expect_api(h_api(srv, "DELETE", h_strf("%s/keys-live-a", path), tok(cons, W), NULL), 204);
	h_expect_error(srv, grant(id, a, "RS256", "prov:granted"), 400, "invalid_grant", NULL, TXT_UNKNOWN_KID);
	h_expect_token(srv, grant(id, b, "RS256", "prov:granted"));
	r = h_api(srv, "GET", path, tok(cons_r, R), NULL);
	H_ASSERT_INT(json_array_size(json_object_get(h_expect_api(r, 200), "keys")), 1);
	H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(r->json, "keys"), 0), "kid"), "keys-live-b");
	h_expect_api_error(h_api(srv, "DELETE", h_strf("%s/keys-live-a", path), tok(cons, W), NULL), 404, "not_found");
	h_expect_api_error(h_api(srv, "DELETE", h_strf("%s/op-admin-k", path), tok(cons, W), NULL), 404, "not_found");
	/* all */
	h_expect_api(h_api(srv, "DELETE", path, tok(cons, W), NULL), 204);
	r = h_api(srv, "GET", path, tok(cons_r, R), NULL);
	if (!json_equal(h_expect_api(r, 200), h_keep_json(json_pack("{s:[]}", "keys"))))
		h_fail("GET jwks after DELETE: %s", r->body);
	h_expect_error(srv, grant(id, b, "RS256", "prov:granted"), 400, "invalid_grant", NULL, TXT_UNKNOWN_KID);
	/* under /api/v1 */
	put_key_ok(id, a);
	h_expect_api(h_api(srv, "DELETE", h_strf("/api/v1%s/keys-live-a", path), tok(cons, W), NULL), 204);
	h_expect_error(srv, grant(id, a, "RS256", "prov:granted"), 400, "invalid_grant", NULL, TXT_UNKNOWN_KID);
}

/* Re-uploading a key renews it: its created moves to the new (pinned) time; a created given
 * in the body is not taken. */
static void
reupload_renews_key(void **state)
{
	json_t *c = create("renew", "[]"), *set, *jwk;
	const char *id = cid(c);
	struct h_key *k = h_key_new("renew-k1");
	int64_t t0 = srv->now;

	set = put_key_ok(id, k);
	H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(set, "keys"), 0), "created"), h_iso8601(t0));
	h_set_clock(srv, op, t0 + 100);
	set = put_key_ok(id, k);
	H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(set, "keys"), 0), "created"), h_iso8601(t0 + 100));
	H_ASSERT_STR(H_JSTR(set, "last_updated"), h_iso8601(t0 + 100));
	set = h_expect_api(h_api(srv, "GET", h_strf("/clients/%s/jwks", id), tok(cons_r, R), NULL), 200);
	H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(set, "keys"), 0), "created"), h_iso8601(t0 + 100));
	/* a created in the body (past or future) is not taken: every key is stamped now */
	for (const char *const *when = (const char *const[]){ "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z", NULL }; *when;
	     when++) {
		jwk = h_keep_json(json_deep_copy(h_key_pub(k, "RS256")));
		json_object_set_new(jwk, "created", json_string(*when));
		set = h_expect_api(put_keys(cons, "POST", id, h_keep_json(json_pack("{s:[O]}", "keys", jwk))), 200);
		H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(set, "keys"), 0), "created"), h_iso8601(t0 + 100));
	}
}

/* The renewal matters: a key expires one year after its upload (MP-121); re-uploading it
 * before that gives it another year. Own server: the clock moves a year. */
static void
reupload_extends_key_life_past_a_year(void **state)
{
	struct h_server_opts o = { 0 };
	json_t *seed = h_seed_new(), *c1, *c2;
	struct h_actor *op2, *c;
	struct h_server *s;
	struct h_key *renewed = h_key_new("year-renewed"), *stale = h_key_new("year-stale");
	const int64_t year = 365 * 24 * 3600;
	const char *optok;
	struct h_resp *r;

	seed_world(seed);
	/* the operator's token lives an hour, so it outlives the admin keys' own year */
	op2 = h_seed_actor(seed, "op-admin", H_ORG_DIGDIR, H_SC_ALL_ADMIN, json_pack("{s:i}", "access_token_lifetime", 3600));
	c = h_seed_actor(seed, "cons-admin", ORG_CONS, ALL, NULL);
	o.seed = seed;
	s = h_server_start(&o);
	c1 = h_expect_api(h_api(s, "POST", "/clients", h_actor_token(s, c, ALL), client_body("year-1", "[\"prov:granted\"]", "")),
	                  201);
	c2 = h_expect_api(h_api(s, "POST", "/clients", h_actor_token(s, c, ALL), client_body("year-2", "[\"prov:granted\"]", "")),
	                  201);
	h_expect_api(h_apij(s, "POST", h_strf("/clients/%s/jwks", cid(c1)), h_actor_token(s, c, ALL),
	                    jwks_of((const struct h_key *const[]){ renewed }, 1, "RS256")), 200);
	h_expect_api(h_apij(s, "POST", h_strf("/clients/%s/jwks", cid(c2)), h_actor_token(s, c, ALL),
	                    jwks_of((const struct h_key *const[]){ stale }, 1, "RS256")), 200);
	/* a minute before the year is out: renew one key */
	h_set_clock(s, op2, h_T + year - 60);
	r = h_apij(s, "POST", h_strf("/clients/%s/jwks", cid(c1)), h_actor_token(s, c, ALL),
	           jwks_of((const struct h_key *const[]){ renewed }, 1, "RS256"));
	H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(h_expect_api(r, 200), "keys"), 0), "created"),
	             h_iso8601(h_T + year - 60));
	optok = h_actor_token(s, op2, H_SC_ADMIN);
	/* a minute after */
	r = h_api(s, "POST", "/admin/clock", optok, h_strf("{\"now\":%lld}", (long long)(h_T + year + 60)));
	h_expect_api(r, 200);
	s->now = h_T + year + 60;
	h_expect_token(s, h_post_token(s, h_sign_kid(renewed, "RS256", h_claims_now(s, cid(c1), "prov:granted"))));
	r = h_post_token(s, h_sign_kid(stale, "RS256", h_claims_now(s, cid(c2), "prov:granted")));
	h_expect_error(s, r, 400, "invalid_grant", "MP-121", TXT_MP121);
	h_server_stop(s);
}

/* Checklist: DELETE /clients/{id} deactivates; token requests for it -> MP-100; listings
 * hide it unless inactive=true. */
static void
client_deactivation_is_mp100(void **state)
{
	json_t *c = create("deactivate-me", "[\"prov:granted\"]"), *d, *list;
	const char *id = cid(c);
	struct h_key *k = h_key_new("deactivate-me-k1");
	struct h_resp *r;

	put_key_ok(id, k);
	h_expect_token(srv, grant(id, k, "RS256", "prov:granted"));
	r = h_api(srv, "DELETE", h_strf("/clients/%s", id), tok(cons, W), NULL);
	d = h_expect_api(r, 200);
	H_ASSERT_STR(H_JSTR(d, "client_id"), id);
	assert_true(json_is_false(json_object_get(d, "active")));
	H_ASSERT_STR(H_JSTR(d, "last_updated"), h_iso8601(srv->now));
	h_expect_error(srv, grant(id, k, "RS256", "prov:granted"), 400, "invalid_grant", "MP-100", TXT_MP100);
	list = h_expect_api(h_api(srv, "GET", "/clients", tok(cons_r, R), NULL), 200);
	assert_null(h_find(list, "client_id", id));
	list = h_expect_api(h_api(srv, "GET", "/clients?inactive=true", tok(cons_r, R), NULL), 200);
	assert_true(json_is_false(json_object_get(h_find(list, "client_id", id), "active")));
	r = h_api(srv, "GET", h_strf("/clients/%s", id), tok(cons_r, R), NULL);
	assert_true(json_is_false(json_object_get(h_expect_api(r, 200), "active")));
	h_expect_api_error(h_api(srv, "DELETE", "/clients/no-such-client", tok(cons, W), NULL), 404, "not_found");
	/* under /api/v1 */
	c = create("deactivate-me-2", "[\"prov:granted\"]");
	k = h_key_new("deactivate-me-k2");
	put_key_ok(cid(c), k);
	h_expect_token(srv, grant(cid(c), k, "RS256", "prov:granted"));
	r = h_api(srv, "DELETE", h_strf("/api/v1/clients/%s", cid(c)), tok(cons, W), NULL);
	assert_true(json_is_false(json_object_get(h_expect_api(r, 200), "active")));
	h_expect_error(srv, grant(cid(c), k, "RS256", "prov:granted"), 400, "invalid_grant", "MP-100", TXT_MP100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_returns_uuid_and_caller_orgno),
		cmocka_unit_test(secret_auth_and_other_grant_types_rejected),
		cmocka_unit_test(server_set_fields_in_post_rejected),
		cmocka_unit_test(client_validation_reports_every_problem),
		cmocka_unit_test(put_changes_fields_not_type_or_owner),
		cmocka_unit_test(dcr_scopes_are_enforced),
		cmocka_unit_test(other_org_client_is_403_access_denied),
		cmocka_unit_test(scope_attach_rules),
		cmocka_unit_test(supplier_managed_client),
		cmocka_unit_test(foreign_client_orgno_without_supplier_scope_is_403),
		cmocka_unit_test(jwks_get_shape),
		cmocka_unit_test(jwks_replace_and_sixth_key),
		cmocka_unit_test(jwk_members_required),
		cmocka_unit_test(duplicate_kid_rejected),
		cmocka_unit_test(new_key_usable_at_once_and_key_deletion),
		cmocka_unit_test(reupload_renews_key),
		cmocka_unit_test(reupload_extends_key_life_past_a_year),
		cmocka_unit_test(client_deactivation_is_mp100),
	};

	return cmocka_run_group_tests_name("integration: admin API, clients and keys", tests, group_setup, group_teardown);
}
