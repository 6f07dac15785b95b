/* Signing-key rotation (docs/admin-api.md "Operator endpoints", lib/authz/keyring.h):
 * POST /admin/keys/rotate publishes a new key at once and lets it sign publish_ahead
 * seconds later; the previous key stays in /jwk until every token it signed has expired
 * (PORTEN_TOKEN_LIFETIME_MAX + 10 s after its last signature). The servers run with
 * --fake-now; time moves only through POST /admin/clock.
 *
 * The invariant checked at every moment: every unexpired token issued so far verifies
 * against the current GET /jwk. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "porten/limits.h"

#define ORG_APP "910753614"
#define SCOPE "prov:rot"
#define LIFE_MAX PORTEN_TOKEN_LIFETIME_MAX

struct world {
	struct h_server *s;
	struct h_actor *op, *app, *prov;
};

/* Tokens issued so far, with their expiry. */
struct issued {
	const char *token;
	int64_t exp;
	char kid[80];
};
static struct issued tokens[64];
static size_t ntokens;

static json_t *
world_seed(struct world *w)
{
	json_t *seed = h_seed_new();

	h_seed_admin_scopes(seed);
	h_seed_scope(seed, SCOPE, "974761076", json_pack("{s:b}", "accessible_for_all", 1));
	w->op = h_seed_actor(seed, "op-admin", H_ORG_DIGDIR, H_SC_ADMIN, NULL);
	w->prov = h_seed_actor(seed, "prov-admin", "974761076", H_SC_SCOPES, NULL);
	/* the longest token any setting can give */
	w->app = h_seed_actor(seed, "rot-app", ORG_APP, SCOPE, json_pack("{s:i}", "access_token_lifetime", LIFE_MAX));
	return seed;
}

static struct world *
world_start(const char *data_dir)
{
	struct world *w = h_keep(calloc(1, sizeof(*w)));
	struct h_server_opts o = { 0 };

	o.seed = world_seed(w);
	o.data_dir = data_dir;
	w->s = h_server_start(&o);
	return w;
}

static const char *
optok(struct world *w)
{
	return h_actor_token(w->s, w->op, H_SC_ADMIN);
}

static json_t *
admin_keys(struct world *w)
{
	struct h_resp *r = h_api(w->s, "GET", "/admin/keys", optok(w), NULL);
	json_t *k = json_object_get(h_expect_api(r, 200), "keys");

	if (!json_is_array(k))
		h_fail("GET /admin/keys: no keys array: %s", r->body);
	H_ASSERT_INT(json_object_size(r->json), 1);
	return k;
}

/* A token of the application at the server's current time, remembered. */
static struct issued *
issue(struct world *w)
{
	json_t *hdr, *claims;
	struct h_resp *r = h_post_token(w->s, h_sign_kid(w->app->key, "RS256", h_claims_now(w->s, w->app->client_id, SCOPE)));
	struct issued *t;

	claims = h_expect_token_at(__FILE__, __LINE__, w->s, r, &hdr);
	if (ntokens == sizeof(tokens) / sizeof(tokens[0]))
		h_fail("too many tokens");
	t = &tokens[ntokens++];
	t->token = h_strf("%s", H_JSTR(r->json, "access_token"));
	t->exp = H_JINT(claims, "exp");
	H_ASSERT_INT(t->exp - H_JINT(claims, "iat"), LIFE_MAX);
	H_ASSERT_INT(H_JINT(claims, "iat"), w->s->now);
	snprintf(t->kid, sizeof(t->kid), "%s", H_JSTR(hdr, "kid"));
	return t;
}

/* Every token not yet expired (spec 2.3: expired when exp <= now - 10) verifies against
 * GET /jwk now. */
static void
all_live_tokens_verify(struct world *w)
{
	for (size_t i = 0; i < ntokens; i++)
		if (tokens[i].exp > w->s->now - PORTEN_CLOCK_SKEW_S)
			h_verify_token(w->s, tokens[i].token, NULL);
}

static json_t *
key_state(const json_t *keys, const char *kid)
{
	json_t *k = h_find(keys, "kid", kid);

	if (k == NULL)
		h_fail("kid %s is not in GET /admin/keys: %s", kid, h_dump(keys));
	return k;
}

static void
expect_key(const json_t *keys, const char *kid, const char *state, int64_t activates, int64_t signs_until,
           int64_t published_until)
{
	json_t *k = key_state(keys, kid);

	H_ASSERT_INT(json_object_size(k), 6);
	H_ASSERT_STR(H_JSTR(k, "state"), state);
	assert_true(h_is_iso8601(H_JSTR(k, "created")));
	if (activates >= 0)
		H_ASSERT_STR(H_JSTR(k, "activates"), h_iso8601(activates));
	else
		assert_true(h_is_iso8601(H_JSTR(k, "activates")));
	if (signs_until < 0)
		assert_true(json_is_null(json_object_get(k, "signs_until")));
	else
		H_ASSERT_STR(H_JSTR(k, "signs_until"), h_iso8601(signs_until));
	if (published_until < 0)
		assert_true(json_is_null(json_object_get(k, "published_until")));
	else
		H_ASSERT_STR(H_JSTR(k, "published_until"), h_iso8601(published_until));
}

static void
expect_private_file(struct world *w, const char *kid)
{
	struct stat st;
	const char *p = h_strf("%s/keys/%s.key.pem", w->s->data_dir, kid);

	if (h_db_uri(w->s->data_dir) != NULL) {
		/* PostgreSQL: the key is in the database, sealed, and never in DATA/keys. */
		if (h_db_signing_key_pem(H_LOC, w->s, kid) == NULL)
			h_fail("no sealed private key %s in the database (or it does not open)", kid);
		if (stat(p, &st) == 0)
			h_fail("%s exists: with a database the keys live there", p);
		return;
	}
	if (stat(p, &st) != 0)
		h_fail("no private key file %s", p);
	if ((st.st_mode & 0777) != 0600)
		h_fail("%s has mode %o, not 0600", p, (unsigned)(st.st_mode & 0777));
}

static bool
file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static json_t *
rotate(struct world *w, const char *body)
{
	struct h_resp *r = h_api(w->s, "POST", "/admin/keys/rotate", optok(w), body);
	json_t *j = h_expect_api(r, 200);

	H_JSTR(j, "kid");
	H_JSTR(j, "activates");
	if (!json_is_array(json_object_get(j, "keys")))
		h_fail("rotate response without keys: %s", r->body);
	return j;
}

/* ---- tests ---- */

/* The whole life of a rotation. */
static void
rotation_life_cycle(void **state)
{
	struct world *w = world_start(NULL);
	int64_t t0 = h_T, act;
	json_t *keys, *rot, *audit, *e;
	const char *k1, *k2, *k3;
	struct issued *t;
	size_t i;
	bool audited = false;

	ntokens = 0;
	/* one key, signing */
	keys = admin_keys(w);
	H_ASSERT_INT(json_array_size(keys), 1);
	k1 = h_strf("%s", H_JSTR(json_array_get(keys, 0), "kid"));
	expect_key(keys, k1, "active", -1, -1, -1);
	H_ASSERT_STR(h_jwk_kids(w->s), k1);
	expect_private_file(w, k1);
	t = issue(w);
	H_ASSERT_STR(t->kid, k1);

	/* rotate at t0+50: published at once, signs at t0+350 */
	h_set_clock(w->s, w->op, t0 + 50);
	issue(w);
	rot = rotate(w, "{\"publish_ahead\":300}");
	k2 = h_strf("%s", H_JSTR(rot, "kid"));
	act = t0 + 350;
	assert_true(strcmp(k1, k2) != 0);
	H_ASSERT_STR(H_JSTR(rot, "activates"), h_iso8601(act));
	keys = admin_keys(w);
	if (!json_equal(json_object_get(rot, "keys"), keys))
		h_fail("the rotate response's keys %s differ from GET /admin/keys %s", h_dump(json_object_get(rot, "keys")),
		       h_dump(keys));
	H_ASSERT_INT(json_array_size(keys), 2);
	expect_key(keys, k1, "active", -1, act, act + LIFE_MAX + PORTEN_CLOCK_SKEW_S);
	expect_key(keys, k2, "next", act, -1, -1);
	H_ASSERT_STR(H_JSTR(key_state(keys, k2), "created"), h_iso8601(t0 + 50));
	H_ASSERT_STR(h_jwk_kids(w->s), h_strf("%s %s", k1, k2));
	expect_private_file(w, k2);
	{
		const char *jp = h_strf("%s/keys/%s.json", w->s->data_dir, k2);
		json_t *meta = h_db_uri(w->s->data_dir) != NULL ? h_db_signing_key_doc(w->s->data_dir, k2)
		                                                : h_keep_json(json_load_file(jp, 0, NULL));

		if (meta == NULL)
			h_fail("cannot read %s", jp);
		H_ASSERT_INT(H_JINT(meta, "activates"), act);
	}
	/* during publish-ahead: the old key still signs */
	t = issue(w);
	H_ASSERT_STR(t->kid, k1);
	all_live_tokens_verify(w);
	h_set_clock(w->s, w->op, act - 1);
	t = issue(w);
	H_ASSERT_STR(t->kid, k1);
	all_live_tokens_verify(w);

	/* activation: the new key signs; the old one stays published */
	h_set_clock(w->s, w->op, act);
	t = issue(w);
	H_ASSERT_STR(t->kid, k2);
	keys = admin_keys(w);
	expect_key(keys, k1, "previous", -1, act, act + LIFE_MAX + PORTEN_CLOCK_SKEW_S);
	expect_key(keys, k2, "active", act, -1, -1);
	H_ASSERT_STR(h_jwk_kids(w->s), h_strf("%s %s", k1, k2));
	all_live_tokens_verify(w);

	/* the last token the old key signed (at act-1) is alive until act-1+LIFE_MAX */
	h_set_clock(w->s, w->op, act - 1 + LIFE_MAX);
	all_live_tokens_verify(w);
	H_ASSERT_STR(h_jwk_kids(w->s), h_strf("%s %s", k1, k2));
	h_set_clock(w->s, w->op, act + LIFE_MAX + PORTEN_CLOCK_SKEW_S - 1);
	all_live_tokens_verify(w);
	H_ASSERT_STR(h_jwk_kids(w->s), h_strf("%s %s", k1, k2));
	t = issue(w);
	H_ASSERT_STR(t->kid, k2);

	/* after LIFE_MAX + 10 s: gone from /jwk and from the list */
	h_set_clock(w->s, w->op, act + LIFE_MAX + PORTEN_CLOCK_SKEW_S + 1);
	H_ASSERT_STR(h_jwk_kids(w->s), k2);
	keys = admin_keys(w);
	H_ASSERT_INT(json_array_size(keys), 1);
	expect_key(keys, k2, "active", act, -1, -1);
	all_live_tokens_verify(w);

	/* the next rotation removes its files */
	rot = rotate(w, "{\"publish_ahead\":0}");
	k3 = h_strf("%s", H_JSTR(rot, "kid"));
	H_ASSERT_STR(H_JSTR(rot, "activates"), h_iso8601(w->s->now));
	if (file_exists(h_strf("%s/keys/%s.key.pem", w->s->data_dir, k1)) ||
	    file_exists(h_strf("%s/keys/%s.json", w->s->data_dir, k1)))
		h_fail("the retired key %s still has files in %s/keys", k1, w->s->data_dir);
	if (h_db_uri(w->s->data_dir) != NULL && h_db_signing_key_doc(w->s->data_dir, k1) != NULL)
		h_fail("the retired key %s is still in the database", k1);
	expect_private_file(w, k2);
	expect_private_file(w, k3);
	/* publish_ahead 0: signs at once */
	t = issue(w);
	H_ASSERT_STR(t->kid, k3);
	H_ASSERT_STR(h_jwk_kids(w->s), h_strf("%s %s", k2, k3));
	all_live_tokens_verify(w);

	/* the trail */
	audit = h_audit(w->s, w->op, NULL);
	json_array_foreach(audit, i, e)
		if (strcmp(H_JSTR(e, "action"), "keys.rotate") == 0 && strstr(h_dump(e), k2) != NULL)
			audited = true;
	if (!audited)
		h_fail("no keys.rotate audit entry naming %s", k2);
	h_server_stop(w->s);
}

/* POST /admin/keys/rotate without a body: publish_ahead 300 (the /jwk cache lifetime). */
static void
rotation_default_publish_ahead(void **state)
{
	struct world *w = world_start(NULL);
	struct h_resp *r;
	json_t *rot;

	r = h_api(w->s, "POST", "/admin/keys/rotate", optok(w), NULL);
	rot = h_expect_api(r, 200);
	H_ASSERT_STR(H_JSTR(rot, "activates"), h_iso8601(h_T + PORTEN_KEY_PUBLISH_AHEAD_DEFAULT));
	H_ASSERT_STR(H_JSTR(key_state(admin_keys(w), H_JSTR(rot, "kid")), "state"), "next");
	r = h_api(w->s, "POST", "/api/v1/admin/keys/rotate", optok(w), "{}");
	rot = h_expect_api(r, 200);
	H_ASSERT_STR(H_JSTR(rot, "activates"), h_iso8601(h_T + PORTEN_KEY_PUBLISH_AHEAD_DEFAULT));
	h_server_stop(w->s);
}

/* Bad bodies and missing rights change nothing. */
static void
rotation_refusals(void **state)
{
	static const char *const bad[] = { "{\"publish_ahead\":-1}", "{\"publish_ahead\":86401}",
	                                   "{\"publish_ahead\":\"300\"}", "{\"publish_ahead\":1.5}",
	                                   "{\"publish_ahead\":300,\"colour\":1}", "{\"publish_ahead\":", "[300]" };
	struct world *w = world_start(NULL);
	const char *before = h_jwk_kids(w->s), *notes = NULL;
	json_t *keys = admin_keys(w);
	struct h_resp *r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = h_api(w->s, "POST", "/admin/keys/rotate", optok(w), bad[i]);
		h_note(&notes, bad[i], h_api_error_problem(r, 400, "invalid_request"));
	}
	r = h_api(w->s, "POST", "/admin/keys/rotate", NULL, "{}");
	h_note(&notes, "no token", h_api_error_problem(r, 401, "invalid_token"));
	r = h_api(w->s, "POST", "/admin/keys/rotate", h_actor_token(w->s, w->prov, H_SC_SCOPES), "{}");
	h_note(&notes, "scopes.write", h_api_error_problem(r, 403, "insufficient_scope"));
	r = h_api(w->s, "GET", "/admin/keys", h_actor_token(w->s, w->prov, H_SC_SCOPES), NULL);
	h_note(&notes, "GET scopes.write", h_api_error_problem(r, 403, "insufficient_scope"));
	r = h_api(w->s, "GET", "/admin/keys", NULL, NULL);
	h_note(&notes, "GET no token", h_api_error_problem(r, 401, "invalid_token"));
	r = h_api(w->s, "GET", "/admin/keys/rotate", optok(w), NULL);
	h_note(&notes, "GET rotate", h_api_error_problem(r, 405, "method_not_allowed"));
	r = h_api(w->s, "DELETE", "/admin/keys", optok(w), NULL);
	h_note(&notes, "DELETE keys", h_api_error_problem(r, 405, "method_not_allowed"));
	h_expect_no_notes(notes);
	H_ASSERT_STR(h_jwk_kids(w->s), before);
	if (!json_equal(admin_keys(w), keys))
		h_fail("a refused rotation changed the keys");
	/* the largest publish_ahead is fine */
	r = h_api(w->s, "POST", "/admin/keys/rotate", optok(w), "{\"publish_ahead\":86400}");
	H_ASSERT_STR(H_JSTR(h_expect_api(r, 200), "activates"), h_iso8601(h_T + 86400));
	h_server_stop(w->s);
}

/* A restart on the same data directory keeps the keys, their schedule and the trail. */
static void
restart_keeps_state(void **state)
{
	struct world *w = world_start(NULL);
	const char *dir = h_strf("%s", w->s->data_dir), *kids, *k2;
	json_t *keys, *rot, *keys2, *audit;
	struct issued *t;
	size_t naudit;

	ntokens = 0;
	t = issue(w);
	rot = rotate(w, "{\"publish_ahead\":600}");
	k2 = h_strf("%s", H_JSTR(rot, "kid"));
	keys = h_keep_json(json_deep_copy(admin_keys(w)));
	kids = h_jwk_kids(w->s);
	naudit = json_array_size(h_audit(w->s, w->op, NULL));
	h_server_stop(w->s);

	w = world_start(dir);   /* the same seed again, the same --fake-now */
	H_ASSERT_STR(w->s->data_dir, dir);
	keys2 = admin_keys(w);
	if (!json_equal(keys2, keys))
		h_fail("GET /admin/keys after a restart %s differs from before %s", h_dump(keys2), h_dump(keys));
	H_ASSERT_STR(h_jwk_kids(w->s), kids);
	h_verify_token(w->s, t->token, NULL);
	H_ASSERT_STR(issue(w)->kid, t->kid);   /* the old key still signs until activation */
	expect_private_file(w, t->kid);
	expect_private_file(w, k2);
	audit = h_audit(w->s, w->op, NULL);
	if (json_array_size(audit) < naudit)
		h_fail("the audit trail lost entries over a restart: %zu, was %zu", json_array_size(audit), naudit);
	h_set_clock(w->s, w->op, h_T + 600);
	H_ASSERT_STR(issue(w)->kid, k2);
	all_live_tokens_verify(w);
	h_server_stop(w->s);
}

/* POST /admin/clock exists only on a --fake-now server. */
static void
clock_needs_fake_now(void **state)
{
	struct h_server_opts o = { 0 };
	struct world *w = h_keep(calloc(1, sizeof(*w)));
	struct h_resp *r;

	o.seed = world_seed(w);
	o.real_clock = true;
	w->s = h_server_start(&o);
	r = h_api(w->s, "POST", "/admin/clock", optok(w), h_strf("{\"now\":%lld}", (long long)h_T + 1000));
	h_expect_api_error(r, 404, "not_found");
	h_server_stop(w->s);
	/* and on one, it needs the operator and a positive unix time */
	w = world_start(NULL);
	r = h_api(w->s, "POST", "/admin/clock", h_actor_token(w->s, w->prov, H_SC_SCOPES), "{\"now\":1}");
	h_expect_api_error(r, 403, "insufficient_scope");
	r = h_api(w->s, "POST", "/admin/clock", optok(w), "{\"now\":\"soon\"}");
	h_expect_invalid(r, "Request", "now");
	r = h_api(w->s, "POST", "/admin/clock", optok(w), "{}");
	h_expect_invalid(r, "Request", "now");
	h_set_clock(w->s, w->op, h_T + 3600);
	H_ASSERT_INT(H_JINT(h_jws_claims(optok(w), NULL), "iat"), h_T + 3600);
	h_server_stop(w->s);
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
		cmocka_unit_test(rotation_life_cycle),
		cmocka_unit_test(rotation_default_publish_ahead),
		cmocka_unit_test(rotation_refusals),
		cmocka_unit_test(restart_keeps_state),
		cmocka_unit_test(clock_needs_fake_now),
	};

	return cmocka_run_group_tests_name("integration: signing-key rotation", tests, NULL, teardown);
}
