/* The local delegation register through the administration API (docs/admin-api.md
 * "Delegations"), and spec/maskinporten.md 8.2 with checklist 11 "Delegation" proven with
 * delegations created through POST /delegations, never the seed.
 *
 * The seed holds only the admin scopes, the admin clients and one scope that makes the
 * provider the owner of its prefix. The group set-up builds the rest through the API: the
 * provider's scopes and grants, the supplier's client and key. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG_PROV "974761076"
#define ORG_S "910753614"      /* supplier */
#define ORG_D "123456785"      /* consumer: access, delegates to S */
#define ORG_D2 "310000019"     /* delegates to S, no access */
#define ORG_D3 "310000027"     /* access, delegates nothing */
#define ORG_X "310000035"      /* a third party with an admin scope, but not delegations.write */

#define DELEG "prov:deleg"          /* delegation_source */
#define DELEGOPEN "prov:delegopen"  /* delegation_source + accessible_for_all */
#define PLAIN "prov:plain"          /* no delegation_source */

#define TXT_MP250 "Consumer has not been granted access to the scope"
#define TXT_MP011 "Invalid assertion. Invalid parameter value"
#define TXT_COMBINATION \
	"Validation of JWT claim failed: The combination consumer_org in claim and delegation scope on client is invalid"

static struct h_server *srv;
static struct h_actor *op, *prov, *sup, *d, *d2, *d3, *x;
static struct h_key *sup_key;
static const char *sup_client;

static const char *
tok(const struct h_actor *a, const char *scope)
{
	return h_actor_token(srv, a, scope);
}

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };
	json_t *seed, *c;
	const char *t;

	h_init();
	seed = h_seed_new();
	h_seed_admin_scopes(seed);
	h_seed_scope(seed, "prov:seeded", ORG_PROV, NULL);
	op = h_seed_actor(seed, "op-admin", H_ORG_DIGDIR, H_SC_ALL_ADMIN, NULL);
	prov = h_seed_actor(seed, "prov-admin", ORG_PROV, H_SC_SCOPES, NULL);
	sup = h_seed_actor(seed, "sup-admin", ORG_S, H_SC_DCR_READ " " H_SC_DCR_WRITE " " H_SC_DELEG, NULL);
	d = h_seed_actor(seed, "d-admin", ORG_D, H_SC_DELEG " " H_SC_DCR_READ, NULL);
	d2 = h_seed_actor(seed, "d2-admin", ORG_D2, H_SC_DELEG, NULL);
	d3 = h_seed_actor(seed, "d3-admin", ORG_D3, H_SC_DELEG, NULL);
	x = h_seed_actor(seed, "x-admin", ORG_X, H_SC_DCR_READ, NULL);
	o.seed = seed;
	srv = h_server_start(&o);

	/* the provider's side */
	t = tok(prov, H_SC_SCOPES);
	h_expect_api(h_api(srv, "POST", "/scopes", t,
	                   "{\"prefix\":\"prov\",\"subscope\":\"deleg\",\"description\":\"delegable\","
	                   "\"delegation_source\":\"" H_ALTINN_TT02 "\"}"), 201);
	h_expect_api(h_api(srv, "POST", "/scopes", t,
	                   "{\"prefix\":\"prov\",\"subscope\":\"delegopen\",\"description\":\"delegable, open\","
	                   "\"delegation_source\":\"" H_ALTINN_TT02 "\",\"accessible_for_all\":true}"), 201);
	h_expect_api(h_api(srv, "POST", "/scopes", t,
	                   "{\"prefix\":\"prov\",\"subscope\":\"plain\",\"description\":\"not delegable\"}"), 201);
	h_expect_api(h_api(srv, "PUT", "/scopes/access/" ORG_D "?scope=prov%3Adeleg", t, NULL), 200);
	h_expect_api(h_api(srv, "PUT", "/scopes/access/" ORG_D3 "?scope=prov%3Adeleg", t, NULL), 200);
	h_expect_api(h_api(srv, "PUT", "/scopes/access/" ORG_D "?scope=prov%3Aplain", t, NULL), 200);
	h_expect_api(h_api(srv, "PUT", "/scopes/access/" ORG_S "?scope=prov%3Aplain", t, NULL), 200);
	/* The supplier's own access to the delegated scope is not what counts. */
	h_expect_api(h_api(srv, "PUT", "/scopes/access/" ORG_S "?scope=prov%3Adeleg", t, NULL), 200);

	/* the supplier's client, on its own orgno, with the delegable scopes (7.4: allowed
	 * through their delegation_source) and its key */
	t = h_actor_token(srv, sup, H_SC_DCR_WRITE);
	c = h_expect_api(h_api(srv, "POST", "/clients", t,
	                       "{\"client_name\":\"supplier\",\"scopes\":[\"prov:deleg\",\"prov:delegopen\",\"prov:plain\"]}"),
	                 201);
	sup_client = h_strf("%s", H_JSTR(c, "client_id"));
	H_ASSERT_STR(H_JSTR(c, "client_orgno"), ORG_S);
	sup_key = h_key_new("sup-client-k1");
	h_expect_api(h_apij(srv, "POST", h_strf("/clients/%s/jwks", sup_client), t,
	                    h_keep_json(json_pack("{s:[O]}", "keys", h_key_pub(sup_key, "RS256")))),
	             200);
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

/* A string member of o (which may be no object), or "". */
static const char *
js(const json_t *o, const char *name)
{
	const char *v = json_string_value(json_object_get(o, name));

	return v ? v : "";
}

static const char *
deleg_body(const char *consumer, const char *supplier, const char *scope)
{
	return h_strf("{\"consumer_orgno\":\"%s\",\"supplier_orgno\":\"%s\",\"scope\":\"%s\"}", consumer, supplier, scope);
}

static struct h_resp *
post_deleg(const struct h_actor *a, const char *scope_tok, const char *consumer, const char *supplier,
           const char *scope)
{
	return h_api(srv, "POST", "/delegations", tok(a, scope_tok), deleg_body(consumer, supplier, scope));
}

static const char *
deleg_query(const char *consumer, const char *supplier, const char *scope)
{
	return h_strf("consumer_orgno=%s&supplier_orgno=%s&scope=%s", consumer, supplier, h_urlenc(scope));
}

static struct h_resp *
delete_deleg(const struct h_actor *a, const char *scope_tok, const char *consumer, const char *supplier,
             const char *scope)
{
	return h_api(srv, "DELETE", h_strf("/delegations?%s", deleg_query(consumer, supplier, scope)), tok(a, scope_tok),
	             NULL);
}

/* The record has exactly {consumer_orgno, supplier_orgno, scope, delegation_source, active,
 * created}. */
static void
check_record(const json_t *rec, const char *consumer, const char *supplier, const char *scope)
{
	H_ASSERT_INT(json_object_size(rec), 6);
	H_ASSERT_STR(H_JSTR(rec, "consumer_orgno"), consumer);
	H_ASSERT_STR(H_JSTR(rec, "supplier_orgno"), supplier);
	H_ASSERT_STR(H_JSTR(rec, "scope"), scope);
	H_ASSERT_STR(H_JSTR(rec, "delegation_source"), H_ALTINN_TT02);
	assert_true(json_is_true(json_object_get(rec, "active")));
	assert_true(h_is_iso8601(H_JSTR(rec, "created")));
}

static json_t *
find_record(const json_t *list, const char *consumer, const char *supplier, const char *scope)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e) {
		const char *c = json_string_value(json_object_get(e, "consumer_orgno"));
		const char *s = json_string_value(json_object_get(e, "supplier_orgno"));
		const char *sc = json_string_value(json_object_get(e, "scope"));

		if (c && s && sc && !strcmp(c, consumer) && !strcmp(s, supplier) && !strcmp(sc, scope))
			return e;
	}
	return NULL;
}

static const char *
grant_s(const char *scope, const char *consumer_org)
{
	json_t *c = h_claims_now(srv, sup_client, scope);

	if (consumer_org)
		json_object_set_new(c, "consumer_org", json_string(consumer_org));
	return h_sign_kid(sup_key, "RS256", c);
}

static void
expect_mp251(const char *consumer, const char *scope)
{
	struct h_resp *r = h_post_token(srv, grant_s(scope, consumer));
	const char *want = h_strf("Consumer %s has not delegated access to the scope %s to supplier %s", consumer, scope,
	                          ORG_S);

	h_expect_error(srv, r, 403, "forbidden", "MP-251", want);
	H_ASSERT_STR(h_error_text(r), want);
}

/* ---- the register ---- */

/* POST /delegations by the consumer: 201 with the record, 200 when it exists; a grant with
 * consumer_org is checked against the register at once. */
static void
consumer_creates_delegation(void **state)
{
	struct h_resp *r;
	json_t *rec, *again, *tokc;

	r = post_deleg(d, H_SC_DELEG, ORG_D, ORG_S, DELEG);
	rec = h_expect_api(r, 201);
	check_record(rec, ORG_D, ORG_S, DELEG);
	H_ASSERT_STR(H_JSTR(rec, "created"), h_iso8601(srv->now));
	/* usable at once */
	tokc = h_token_ok(srv, grant_s(DELEG, ORG_D));
	H_ASSERT_STR(H_JSTR(json_object_get(tokc, "consumer"), "ID"), "0192:" ORG_D);
	/* again: 200 with the same record */
	r = post_deleg(d, H_SC_DELEG, ORG_D, ORG_S, DELEG);
	again = h_expect_api(r, 200);
	if (!json_equal(again, rec))
		h_fail("re-creating the delegation changed it: %s, was %s", h_dump(again), h_dump(rec));
	/* seen by the consumer and by the supplier (any admin scope), under both paths */
	r = h_api(srv, "GET", "/delegations", tok(d, H_SC_DCR_READ), NULL);
	if (!json_equal(find_record(h_expect_api(r, 200), ORG_D, ORG_S, DELEG), rec))
		h_fail("the consumer's GET /delegations lacks the record: %s", r->body);
	r = h_api(srv, "GET", "/api/v1/delegations", tok(sup, H_SC_DCR_READ), NULL);
	if (!json_equal(find_record(h_expect_api(r, 200), ORG_D, ORG_S, DELEG), rec))
		h_fail("the supplier's GET /delegations lacks the record: %s", r->body);
	/* not by a third party */
	r = h_api(srv, "GET", "/delegations", tok(x, H_SC_DCR_READ), NULL);
	H_ASSERT_STR(h_dump(h_expect_api(r, 200)), "[]");
	r = h_api(srv, "GET", "/delegations", tok(d3, H_SC_DELEG), NULL);
	assert_null(find_record(h_expect_api(r, 200), ORG_D, ORG_S, DELEG));
}

/* Who may create a delegation: the consumer itself (porten:delegations.write) or an operator
 * (porten:admin); nobody else. */
static void
who_may_create_delegations(void **state)
{
	struct h_resp *r;
	const char *notes = NULL;

	/* another organisation with delegations.write, naming D as consumer */
	r = post_deleg(d3, H_SC_DELEG, ORG_D, ORG_S, DELEG);
	h_note(&notes, "third org for D", h_api_error_problem(r, 403, "access_denied"));
	r = post_deleg(d3, H_SC_DELEG, ORG_D2, ORG_D3, DELEG);
	h_note(&notes, "third org for D2 to itself", h_api_error_problem(r, 403, "access_denied"));
	/* the supplier cannot delegate to itself on the consumer's behalf */
	r = post_deleg(sup, H_SC_DELEG, ORG_D3, ORG_S, DELEG);
	h_note(&notes, "supplier for itself", h_api_error_problem(r, 403, "access_denied"));
	/* an admin token without delegations.write */
	r = post_deleg(x, H_SC_DCR_READ, ORG_X, ORG_S, DELEG);
	h_note(&notes, "without delegations.write", h_api_error_problem(r, 403, "insufficient_scope"));
	if (r->json && json_is_string(json_object_get(r->json, "error_description")) &&
	    strstr(json_string_value(json_object_get(r->json, "error_description")), H_SC_DELEG) == NULL)
		h_note(&notes, "insufficient_scope description", h_strf("does not name %s: %s", H_SC_DELEG, r->body));
	r = post_deleg(d, H_SC_DCR_READ, ORG_D, ORG_S, DELEGOPEN);
	h_note(&notes, "consumer with dcr.read only", h_api_error_problem(r, 403, "insufficient_scope"));
	/* no token */
	r = h_api(srv, "POST", "/delegations", NULL, deleg_body(ORG_D3, ORG_S, DELEG));
	h_note(&notes, "no token", h_api_error_problem(r, 401, "invalid_token"));
	r = h_api(srv, "GET", "/delegations", NULL, NULL);
	h_note(&notes, "GET no token", h_api_error_problem(r, 401, "invalid_token"));
	/* nothing was written */
	r = h_api(srv, "GET", "/delegations", tok(op, H_SC_ADMIN), NULL);
	h_expect_api(r, 200);
	if (find_record(r->json, ORG_D3, ORG_S, DELEG) || find_record(r->json, ORG_D2, ORG_D3, DELEG) ||
	    find_record(r->json, ORG_X, ORG_S, DELEG) || find_record(r->json, ORG_D, ORG_S, DELEGOPEN))
		h_note(&notes, "refused writes", h_strf("a refused delegation was stored: %s", r->body));
	expect_mp251(ORG_D3, DELEG);
	/* the operator may create any */
	r = post_deleg(op, H_SC_ADMIN, ORG_D, ORG_S, DELEGOPEN);
	if (r->status != 201)
		h_note(&notes, "operator", h_strf("expected 201, got %ld: %s", r->status, r->body));
	h_expect_no_notes(notes);
	check_record(h_expect_api(r, 201), ORG_D, ORG_S, DELEGOPEN);
}

/* The body: every problem at once; the scope must exist and have a delegation_source. */
static void
delegation_body_validation(void **state)
{
	const char *t = tok(d, H_SC_DELEG), *notes = NULL;
	struct h_resp *r;

	r = h_api(srv, "POST", "/delegations", t, "{}");
	h_note(&notes, "{}", h_invalid_problem(r, "Delegation", "consumer_orgno,supplier_orgno,scope"));
	r = h_api(srv, "POST", "/delegations", t,
	          "{\"consumer_orgno\":\"" ORG_D "\",\"supplier_orgno\":\"12345678\",\"scope\":\"" DELEG "\"}");
	h_note(&notes, "supplier 8 digits", h_invalid_problem(r, "Delegation", "supplier_orgno"));
	r = h_api(srv, "POST", "/delegations", t,
	          "{\"consumer_orgno\":" ORG_D ",\"supplier_orgno\":\"" ORG_S "\",\"scope\":\"" DELEG "\",\"colour\":1}");
	h_note(&notes, "number and unknown field", h_invalid_problem(r, "Delegation", "consumer_orgno,colour"));
	r = h_api(srv, "POST", "/delegations", t, "{\"consumer_orgno\":");
	h_note(&notes, "malformed", h_api_error_problem(r, 400, "invalid_request"));
	/* a scope without delegation_source cannot be delegated */
	r = h_api(srv, "POST", "/delegations", t, deleg_body(ORG_D, ORG_S, PLAIN));
	h_note(&notes, "scope without source", h_invalid_problem(r, "Delegation", "scope"));
	r = h_api(srv, "POST", "/delegations", tok(op, H_SC_ADMIN), deleg_body(ORG_D, ORG_S, PLAIN));
	h_note(&notes, "scope without source (operator)", h_invalid_problem(r, "Delegation", "scope"));
	/* the TAB again */
	r = h_api(srv, "POST", "/delegations", t, deleg_body(ORG_D, ORG_S, "prov:deleg\\t"));
	if (r->status != 404)
		h_note(&notes, "scope with TAB", h_invalid_problem(r, "Delegation", "scope"));
	h_expect_no_notes(notes);
	r = h_api(srv, "GET", "/delegations", tok(op, H_SC_ADMIN), NULL);
	assert_null(find_record(h_expect_api(r, 200), ORG_D, ORG_S, PLAIN));
}

/* GET /delegations filters; the operator sees all. */
static void
list_filters(void **state)
{
	struct h_resp *r;
	json_t *l, *e;
	size_t i;
	const char *t = tok(op, H_SC_ADMIN);

	h_expect_api(post_deleg(d2, H_SC_DELEG, ORG_D2, ORG_S, DELEG), 201);
	r = h_api(srv, "GET", "/delegations", t, NULL);
	l = h_expect_api(r, 200);
	assert_non_null(find_record(l, ORG_D2, ORG_S, DELEG));
	r = h_api(srv, "GET", "/delegations?consumer_orgno=" ORG_D2, t, NULL);
	l = h_expect_api(r, 200);
	assert_non_null(find_record(l, ORG_D2, ORG_S, DELEG));
	json_array_foreach(l, i, e)
		H_ASSERT_STR(H_JSTR(e, "consumer_orgno"), ORG_D2);
	r = h_api(srv, "GET", "/delegations?supplier_orgno=" ORG_S "&scope=prov%3Adeleg", t, NULL);
	l = h_expect_api(r, 200);
	assert_non_null(find_record(l, ORG_D2, ORG_S, DELEG));
	json_array_foreach(l, i, e) {
		H_ASSERT_STR(H_JSTR(e, "supplier_orgno"), ORG_S);
		H_ASSERT_STR(H_JSTR(e, "scope"), DELEG);
		check_record(e, H_JSTR(e, "consumer_orgno"), ORG_S, DELEG);
	}
	r = h_api(srv, "GET", "/delegations?supplier_orgno=" ORG_X, t, NULL);
	H_ASSERT_STR(h_dump(h_expect_api(r, 200)), "[]");
	/* D2 sees its own only */
	r = h_api(srv, "GET", "/delegations", tok(d2, H_SC_DELEG), NULL);
	json_array_foreach(h_expect_api(r, 200), i, e)
		assert_true(strcmp(H_JSTR(e, "consumer_orgno"), ORG_D2) == 0 || strcmp(H_JSTR(e, "supplier_orgno"), ORG_D2) == 0);
}

/* DELETE: the next grant gets MP-251 at once; a third party may not remove it; the
 * operator may; removals and creations are audited. */
static void
removal_then_next_grant_is_mp251(void **state)
{
	struct h_resp *r;
	json_t *audit, *e, *created = NULL, *deleted = NULL;
	size_t i;

	h_expect_api(post_deleg(d, H_SC_DELEG, ORG_D, ORG_S, DELEG), 200);   /* exists from the first test */
	h_token_ok(srv, grant_s(DELEG, ORG_D));
	r = delete_deleg(d3, H_SC_DELEG, ORG_D, ORG_S, DELEG);
	h_expect_api_error(r, 403, "access_denied");
	h_token_ok(srv, grant_s(DELEG, ORG_D));
	r = delete_deleg(x, H_SC_DCR_READ, ORG_D, ORG_S, DELEG);
	h_expect_api_error(r, 403, "insufficient_scope");
	r = delete_deleg(d, H_SC_DELEG, ORG_D, ORG_S, DELEG);
	h_expect_api(r, 204);
	expect_mp251(ORG_D, DELEG);
	r = h_api(srv, "GET", "/delegations", tok(d, H_SC_DELEG), NULL);
	assert_null(find_record(h_expect_api(r, 200), ORG_D, ORG_S, DELEG));
	r = delete_deleg(d, H_SC_DELEG, ORG_D, ORG_S, DELEG);
	h_expect_api_error(r, 404, "not_found");
	r = h_api(srv, "DELETE", h_strf("/api/v1/delegations?%s", deleg_query(ORG_D, ORG_S, DELEG)), tok(d, H_SC_DELEG), NULL);
	h_expect_api_error(r, 404, "not_found");
	/* again, and removed by the operator under /api/v1 */
	h_expect_api(post_deleg(d, H_SC_DELEG, ORG_D, ORG_S, DELEG), 201);
	h_token_ok(srv, grant_s(DELEG, ORG_D));
	r = h_api(srv, "DELETE", h_strf("/api/v1/delegations?%s", deleg_query(ORG_D, ORG_S, DELEG)), tok(op, H_SC_ADMIN),
	          NULL);
	h_expect_api(r, 204);
	expect_mp251(ORG_D, DELEG);
	/* the trail */
	audit = h_audit(srv, op, NULL);
	json_array_foreach(audit, i, e) {
		json_t *a = json_object_get(e, "after"), *b = json_object_get(e, "before");

		if (!strcmp(H_JSTR(e, "action"), "delegation.create") && !strcmp(js(a, "consumer_orgno"), ORG_D) &&
		    !strcmp(js(a, "scope"), DELEG) && created == NULL)
			created = e;
		if (!strcmp(H_JSTR(e, "action"), "delegation.delete") && !strcmp(js(b, "consumer_orgno"), ORG_D) &&
		    !strcmp(js(b, "scope"), DELEG) && deleted == NULL)
			deleted = e;
	}
	if (created == NULL || deleted == NULL)
		h_fail("the audit trail lacks delegation.create/delete for %s: %s", ORG_D, h_dump(audit));
	H_ASSERT_STR(H_JSTR(created, "actor_orgno"), ORG_D);
	H_ASSERT_STR(H_JSTR(created, "actor_client_id"), "d-admin");
	assert_true(json_is_null(json_object_get(created, "before")));
	H_ASSERT_STR(H_JSTR(deleted, "actor_orgno"), ORG_D);
	assert_true(json_is_null(json_object_get(deleted, "after")));
	/* leave it in place for the token tests */
	h_expect_api(post_deleg(d, H_SC_DELEG, ORG_D, ORG_S, DELEG), 201);
}

/* ---- checklist 11 "Delegation", with API-made delegations ---- */

/* consumer_org equal to the client's own orgno -> the "combination" error. */
static void
consumer_org_equal_to_own_orgno(void **state)
{
	h_token_err(srv, grant_s(DELEG, ORG_S), 400, "invalid_request", NULL, TXT_COMBINATION);
}

/* consumer_org on a scope without delegation_source -> rejected (the delegation cannot even
 * be made: POST /delegations refuses it). */
static void
consumer_org_on_scope_without_source(void **state)
{
	h_expect_api_error(post_deleg(d, H_SC_DELEG, ORG_D, ORG_S, PLAIN), 400, "invalid_request");
	h_token_err(srv, grant_s(PLAIN, ORG_D), 400, "invalid_request", NULL, TXT_COMBINATION);
	/* without consumer_org the supplier uses the scope on its own access */
	h_token_ok(srv, grant_s(PLAIN, NULL));
}

/* No delegation in the register -> MP-251, 403; the text names consumer, scope, supplier. */
static void
missing_delegation_is_mp251(void **state)
{
	expect_mp251(ORG_D3, DELEG);
	expect_mp251("921605900", DELEG);
	/* D's delegation of one scope is not a delegation of another */
	expect_mp251(ORG_D2, DELEGOPEN);
}

/* Delegation present, consumer without access -> MP-250. */
static void
delegation_without_consumer_access_is_mp250(void **state)
{
	struct h_resp *r;

	if (find_record(h_expect_api(h_api(srv, "GET", "/delegations", tok(d2, H_SC_DELEG), NULL), 200), ORG_D2, ORG_S,
	                DELEG) == NULL)
		h_expect_api(post_deleg(d2, H_SC_DELEG, ORG_D2, ORG_S, DELEG), 201);
	r = h_post_token(srv, grant_s(DELEG, ORG_D2));
	h_expect_error(srv, r, 403, "forbidden", "MP-250", TXT_MP250);
	H_ASSERT_STR(h_error_text(r), TXT_MP250 " " DELEG ".");
	/* granting D2 access through the API makes it work at once; revoking undoes it */
	h_expect_api(h_api(srv, "PUT", "/scopes/access/" ORG_D2 "?scope=prov%3Adeleg", tok(prov, H_SC_SCOPES), NULL), 200);
	h_token_ok(srv, grant_s(DELEG, ORG_D2));
	h_expect_api(h_api(srv, "DELETE", "/scopes/access/" ORG_D2 "?scope=prov%3Adeleg", tok(prov, H_SC_SCOPES), NULL), 204);
	h_expect_error(srv, h_post_token(srv, grant_s(DELEG, ORG_D2)), 403, "forbidden", "MP-250", TXT_MP250);
}

/* The delegated token: consumer = consumer_org, supplier = the supplier, delegation_source =
 * the scope's source, client_id = the supplier's client. */
static void
delegated_token_claims(void **state)
{
	json_t *tk, *o;

	tk = h_token_ok(srv, grant_s(DELEG, ORG_D));
	H_ASSERT_STR(H_JSTR(tk, "client_id"), sup_client);
	o = json_object_get(tk, "consumer");
	H_ASSERT_STR(H_JSTR(o, "authority"), "iso6523-actorid-upis");
	H_ASSERT_STR(H_JSTR(o, "ID"), "0192:" ORG_D);
	o = json_object_get(tk, "supplier");
	H_ASSERT_STR(H_JSTR(o, "authority"), "iso6523-actorid-upis");
	H_ASSERT_STR(H_JSTR(o, "ID"), "0192:" ORG_S);
	H_ASSERT_STR(H_JSTR(tk, "delegation_source"), H_ALTINN_TT02);
	H_ASSERT_STR(H_JSTR(tk, "scope"), DELEG);
	H_ASSERT_STR(H_JSTR(tk, "client_amr"), "private_key_jwt");
	assert_null(json_object_get(tk, "client_orgno"));
	/* without consumer_org the same client gets an ordinary token of its own */
	tk = h_token_ok(srv, grant_s(DELEG, NULL));
	H_ASSERT_STR(H_JSTR(json_object_get(tk, "consumer"), "ID"), "0192:" ORG_S);
	assert_null(json_object_get(tk, "supplier"));
	assert_null(json_object_get(tk, "delegation_source"));
}

/* Delegation works for accessible_for_all scopes (D has no access record for it). */
static void
delegation_for_accessible_for_all(void **state)
{
	json_t *tk;

	if (find_record(h_expect_api(h_api(srv, "GET", "/delegations", tok(d, H_SC_DELEG), NULL), 200), ORG_D, ORG_S,
	                DELEGOPEN) == NULL)
		h_expect_api(post_deleg(d, H_SC_DELEG, ORG_D, ORG_S, DELEGOPEN), 201);
	tk = h_token_ok(srv, grant_s(DELEGOPEN, ORG_D));
	H_ASSERT_STR(H_JSTR(json_object_get(tk, "consumer"), "ID"), "0192:" ORG_D);
	H_ASSERT_STR(H_JSTR(json_object_get(tk, "supplier"), "ID"), "0192:" ORG_S);
	H_ASSERT_STR(H_JSTR(tk, "delegation_source"), H_ALTINN_TT02);
	/* ... but it still needs the delegation */
	expect_mp251(ORG_D3, DELEGOPEN);
	h_expect_api(delete_deleg(d, H_SC_DELEG, ORG_D, ORG_S, DELEGOPEN), 204);
	expect_mp251(ORG_D, DELEGOPEN);
}

/* consumer_org together with iss_onbehalfof -> rejected. */
static void
consumer_org_with_iss_onbehalfof(void **state)
{
	json_t *c = h_claims_now(srv, sup_client, DELEG);

	json_object_set_new(c, "consumer_org", json_string(ORG_D));
	json_object_set_new(c, "iss_onbehalfof", json_string("some-onbehalfof"));
	h_token_err(srv, h_sign_kid(sup_key, "RS256", c), 400, "invalid_request", "MP-011", TXT_MP011);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(consumer_creates_delegation),
		cmocka_unit_test(who_may_create_delegations),
		cmocka_unit_test(delegation_body_validation),
		cmocka_unit_test(list_filters),
		cmocka_unit_test(removal_then_next_grant_is_mp251),
		cmocka_unit_test(consumer_org_equal_to_own_orgno),
		cmocka_unit_test(consumer_org_on_scope_without_source),
		cmocka_unit_test(missing_delegation_is_mp251),
		cmocka_unit_test(delegation_without_consumer_access_is_mp250),
		cmocka_unit_test(delegated_token_claims),
		cmocka_unit_test(delegation_for_accessible_for_all),
		cmocka_unit_test(consumer_org_with_iss_onbehalfof),
	};

	return cmocka_run_group_tests_name("integration: admin API, delegations", tests, group_setup, group_teardown);
}
