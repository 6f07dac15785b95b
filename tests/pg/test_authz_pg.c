/* Two porten authz instances on one PostgreSQL database (separate data directories), as
 * behind a load balancer:
 *   - the same grant sent to both at the same moment yields exactly one token and one
 *     MP-012 replay refusal, 200 times over with fresh grants;
 *   - access revoked through one instance's admin API is refused by the other on the very
 *     next grant (MP-250), and granted again through that one, works at the first;
 *   - a signing-key rotation through one instance shows in the other's JWKS at once, and
 *     tokens of either verify against the other's JWKS;
 *   - the database refusing connections: both the token endpoint and the admin API answer
 *     503 with their error bodies, never 200 or 500, and recover by themselves. */
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgtest.h"
#include <sys/stat.h>

#define ORG_PROV "974761076"
#define ORG_CONS "910753614"
#define SC_RACE "prov:pg/race"
#define SC_REVOKE "prov:pg/revoke"
#define SC_DOWN "prov:pg/down"
#define RACE_ROUNDS 200
/* Exit codes documented in docs/cli.md. */
#define EXIT_USAGE 2
#define EXIT_CONFIG 3
#define TXT_MP012 "Grant is used before"
#define TXT_MP250 "Consumer has not been granted access to the scope"
#define TXT_503 "The service is temporarily unavailable, try again later"

static const char *server;
static char db_uri[PGT_URI_MAX];
static struct h_server *a, *b;
static struct h_actor *op, *prov, *app;

static char secret_path[PATH_MAX];

static int
group_setup(void **state)
{
	static const char *extra[] = { "--db", db_uri, "--keys-secret", secret_path, NULL };
	struct h_server_opts o = { 0 };
	unsigned char secret[32];
	json_t *seed;

	h_init();
	if (pgt_db_create(server, db_uri, sizeof(db_uri)) != 0)
		return -1;
	/* One sealing secret, shared by both instances as an operator would copy it. */
	snprintf(secret_path, sizeof(secret_path), "%s/keys.secret", h_tmpdir());
	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (unsigned char)(rand() ^ (int)i);
	if (h_write_file(secret_path, secret, sizeof(secret)) != 0 || chmod(secret_path, 0600) != 0)
		return -1;
	seed = h_seed_new();
	h_seed_admin_scopes(seed);
	h_seed_scope(seed, SC_RACE, ORG_PROV, NULL);
	h_seed_scope(seed, SC_REVOKE, ORG_PROV, NULL);
	h_seed_scope(seed, SC_DOWN, ORG_PROV, NULL);
	op = h_seed_actor(seed, "op-admin", H_ORG_DIGDIR, H_SC_ADMIN, NULL);
	prov = h_seed_actor(seed, "prov-admin", ORG_PROV, H_SC_SCOPES, NULL);
	app = h_seed_actor(seed, "cons-app", ORG_CONS, SC_RACE " " SC_REVOKE " " SC_DOWN, NULL);
	o.seed = seed;
	o.extra = extra;
	/* Both load the same seed: the second load changes nothing. */
	a = h_server_start(&o);
	b = h_server_start(&o);
	return 0;
}

static int
group_teardown(void **state)
{
	h_server_stop(a);
	h_server_stop(b);
	h_cleanup();
	pgt_db_drop(server, db_uri);
	return 0;
}

static const char *
grant_form(struct h_server *s, const char *scope)
{
	const char *jwt = h_sign_kid(app->key, "RS256", h_claims_now(s, app->client_id, scope));

	return h_strf("grant_type=%s&assertion=%s", h_urlenc(H_GRANT_TYPE), h_urlenc(jwt));
}

/* ---- the same grant at both instances at once ---- */

struct racer {
	unsigned port;
	const char *form;
	pthread_barrier_t *bar;
	int fd;
	int status;
	char *body;
	int rc;
};

static void *
race(void *arg)
{
	struct racer *r = arg;

	/* Connected before the barrier: after it, only the request itself. */
	pthread_barrier_wait(r->bar);
	r->rc = pgt_http_send(r->fd, "POST", "/token", "application/x-www-form-urlencoded", r->form);
	if (r->rc == 0)
		r->rc = pgt_http_recv(r->fd, &r->status, &r->body);
	return NULL;
}

static void
expect_replay_refusal(const char *body)
{
	json_t *j = h_keep_json(json_loads(body, 0, NULL));
	const char *desc;

	if (!json_is_object(j))
		h_fail("refusal is not JSON: %s", body);
	H_ASSERT_STR(H_JSTR(j, "error"), "invalid_grant");
	H_ASSERT_STR(H_JSTR(j, "error_uri"), H_ISSUER "errors/MP-012");
	desc = H_JSTR(j, "error_description");
	if (strncmp(desc, TXT_MP012, strlen(TXT_MP012)) != 0)
		h_fail("error_description: %s", desc);
	H_ASSERT_INT(json_object_size(j), 3);
}

static void
same_grant_at_both_yields_one_token(void **state)
{
	int wins_a = 0, wins_b = 0;

	for (int round = 0; round < RACE_ROUNDS; round++) {
		const char *form = grant_form(a, SC_RACE);
		struct racer r[2] = { { a->port, form }, { b->port, form } };
		pthread_t t[2];
		pthread_barrier_t bar;
		int ok = -1;

		pthread_barrier_init(&bar, NULL, 2);
		for (int i = 0; i < 2; i++) {
			r[i].bar = &bar;
			if ((r[i].fd = pgt_http_connect(r[i].port)) < 0)
				h_fail("cannot connect to port %u", r[i].port);
		}
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&bar);
		for (int i = 0; i < 2; i++) {
			h_keep(r[i].body);
			if (r[i].rc != 0)
				h_fail("round %d: no response from instance %c", round, "AB"[i]);
		}
		if (r[0].status == 200 && r[1].status == 400)
			ok = 0;
		else if (r[0].status == 400 && r[1].status == 200)
			ok = 1;
		else
			h_fail("round %d: statuses %d and %d, want one 200 and one 400:\n%s\n%s", round,
			       r[0].status, r[1].status, r[0].body, r[1].body);
		expect_replay_refusal(r[1 - ok].body);
		{
			json_t *j = h_keep_json(json_loads(r[ok].body, 0, NULL));
			struct h_server *s = ok == 0 ? a : b;
			json_t *claims = h_verify_token(s, H_JSTR(j, "access_token"), NULL);

			H_ASSERT_STR(H_JSTR(claims, "scope"), SC_RACE);
			H_ASSERT_STR(H_JSTR(json_object_get(claims, "consumer"), "ID"), "0192:" ORG_CONS);
		}
		if (ok == 0)
			wins_a++;
		else
			wins_b++;
	}
	H_ASSERT_INT(wins_a + wins_b, RACE_ROUNDS);
	print_message("instance A won %d rounds, instance B %d\n", wins_a, wins_b);
}

/* ---- admin changes reach the other instance at once ---- */

static void
revoked_at_one_refused_at_other(void **state)
{
	const char *path = h_strf("/scopes/access/%s?scope=%s", ORG_CONS, h_urlenc(SC_REVOKE));
	struct h_resp *r;

	/* B has read (and cached) the access record. */
	h_expect_token(b, h_post_form(b, grant_form(b, SC_REVOKE)));
	h_expect_token(a, h_post_form(a, grant_form(a, SC_REVOKE)));
	r = h_api(a, "DELETE", path, h_actor_token(a, prov, H_SC_SCOPES), NULL);
	h_expect_api(r, 204);
	r = h_post_form(b, grant_form(b, SC_REVOKE));
	h_expect_error(b, r, 403, "forbidden", "MP-250", TXT_MP250);
	H_ASSERT_STR(h_error_text(r), h_strf("%s %s.", TXT_MP250, SC_REVOKE));
	r = h_post_form(a, grant_form(a, SC_REVOKE));
	h_expect_error(a, r, 403, "forbidden", "MP-250", TXT_MP250);
	/* Granted again through B: A gives tokens at once. */
	r = h_api(b, "PUT", path, h_actor_token(b, prov, H_SC_SCOPES), NULL);
	H_ASSERT_STR(H_JSTR(h_expect_api(r, 200), "state"), "APPROVED");
	h_expect_token(a, h_post_form(a, grant_form(a, SC_REVOKE)));
	/* And the revocation through B's API shows in A's list. */
	r = h_api(b, "DELETE", path, h_actor_token(b, prov, H_SC_SCOPES), NULL);
	h_expect_api(r, 204);
	r = h_api(a, "GET", h_strf("/scopes/access?scope=%s", h_urlenc(SC_REVOKE)),
	          h_actor_token(a, prov, H_SC_SCOPES), NULL);
	H_ASSERT_INT(json_array_size(h_expect_api(r, 200)), 0);
}

/* ---- signing keys are shared ---- */

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The kids of a space-separated list, sorted: the JWKS orders keys by activation time
 * and then kid, and on the tests' pinned clock both keys activate in the same second. */
static const char *
sorted_kids(const char *kids)
{
	char *copy = h_keep(strdup(kids)), *save = NULL, *w;
	const char *v[16], *out = "";
	size_t n = 0;

	for (w = strtok_r(copy, " ", &save); w != NULL && n < 16; w = strtok_r(NULL, " ", &save))
		v[n++] = w;
	qsort(v, n, sizeof(v[0]), cmp_str);
	for (size_t i = 0; i < n; i++)
		out = h_strf("%s%s%s", out, i ? " " : "", v[i]);
	return out;
}

static void
rotation_at_one_shows_at_other(void **state)
{
	const char *kids_a = h_jwk_kids(a), *kids_b = h_jwk_kids(b), *kid;
	struct h_resp *r;
	json_t *body;

	/* One key ring: the same JWKS from both. */
	H_ASSERT_STR(kids_b, kids_a);
	H_ASSERT_STR(h_dump(h_get(a, "/jwk")->json), h_dump(h_get(b, "/jwk")->json));
	/* A token from either verifies against the other's JWKS, admin API included. */
	r = h_post_form(a, grant_form(a, SC_RACE));
	h_expect_token(a, r);
	h_verify_token(b, H_JSTR(r->json, "access_token"), NULL);
	r = h_api(b, "GET", "/admin/keys", h_actor_token(a, op, H_SC_ADMIN), NULL);
	H_ASSERT_INT(json_array_size(json_object_get(h_expect_api(r, 200), "keys")), 1);

	/* Published at once, signing a second later: on the pinned clock a key activating in
	 * the same second as the first would rank by kid (keyring.c), not by age. */
	r = h_api(a, "POST", "/admin/keys/rotate", h_actor_token(a, op, H_SC_ADMIN), "{\"publish_ahead\":1}");
	body = h_expect_api(r, 200);
	kid = H_JSTR(body, "kid");
	h_set_clock(a, op, a->now + 1);
	h_set_clock(b, op, b->now + 1);
	/* B publishes it on the very next request, and lists it as active. */
	H_ASSERT_STR(sorted_kids(h_jwk_kids(b)), sorted_kids(h_strf("%s %s", kids_a, kid)));
	H_ASSERT_STR(sorted_kids(h_jwk_kids(a)), sorted_kids(h_strf("%s %s", kids_a, kid)));
	r = h_api(b, "GET", "/admin/keys", h_actor_token(b, op, H_SC_ADMIN), NULL);
	body = h_expect_api(r, 200);
	H_ASSERT_STR(H_JSTR(h_find(json_object_get(body, "keys"), "kid", kid), "state"), "active");
	/* Both sign with it now. */
	{
		json_t *hdr = NULL;

		h_expect_token_at(H_LOC, b, h_post_form(b, grant_form(b, SC_RACE)), &hdr);
		H_ASSERT_STR(H_JSTR(hdr, "kid"), kid);
		h_expect_token_at(H_LOC, a, h_post_form(a, grant_form(a, SC_RACE)), &hdr);
		H_ASSERT_STR(H_JSTR(hdr, "kid"), kid);
	}
	/* In the database: both keys, private parts sealed, no PEM private key in clear. */
	assert_int_equal(pgt_exec(db_uri,
		"DO $$ BEGIN "
		"IF (SELECT count(*) FROM docs WHERE kind = 8 AND doc LIKE '%\"key\":\"v1.%') <> 2 "
		"THEN RAISE EXCEPTION 'want 2 sealed signing keys'; END IF; "
		"IF EXISTS (SELECT 1 FROM docs WHERE doc LIKE '%PRIVATE KEY%') "
		"THEN RAISE EXCEPTION 'a private key in clear'; END IF; END $$"), 0);
	/* No private key in either data directory. */
	if (h_read_file(h_strf("%s/keys/%s.key.pem", a->data_dir, kid), NULL) != NULL ||
	    h_read_file(h_strf("%s/keys/%s.key.pem", b->data_dir, kid), NULL) != NULL)
		h_fail("a signing key was written to a data directory");
}

/* The sealing secret: required with PostgreSQL, private to its owner, and the same on
 * every instance (a different one cannot open the stored keys). */
static void
keys_secret_checked(void **state)
{
	const char *other = h_strf("%s/other.secret", h_tmpdir());
	const char *lax = h_strf("%s/lax.secret", h_tmpdir());
	char *no_secret[] = { (char *)PORTEN_BIN, (char *)"authz", (char *)"--listen", (char *)"127.0.0.1:0",
		(char *)"--issuer", (char *)H_ISSUER, (char *)"--plain-http", (char *)"--data",
		h_strf("%s/d-nosecret", h_tmpdir()), (char *)"--db", db_uri, NULL };
	char *with[] = { (char *)PORTEN_BIN, (char *)"authz", (char *)"--listen", (char *)"127.0.0.1:0",
		(char *)"--issuer", (char *)H_ISSUER, (char *)"--plain-http", (char *)"--data",
		h_strf("%s/d-other", h_tmpdir()), (char *)"--db", db_uri, (char *)"--keys-secret", NULL, NULL };

	H_ASSERT_INT(h_run(no_secret), EXIT_USAGE);
	assert_int_equal(h_write_file(lax, "0123456789abcdef0123456789abcdef", 32), 0);
	assert_int_equal(chmod(lax, 0640), 0);
	with[12] = (char *)lax;
	H_ASSERT_INT(h_run(with), EXIT_CONFIG);
	assert_int_equal(h_write_file(other, "0123456789abcdef0123456789abcdeX", 32), 0);
	assert_int_equal(chmod(other, 0600), 0);
	with[12] = (char *)other;
	H_ASSERT_INT(h_run(with), EXIT_CONFIG);
	/* Too short. */
	assert_int_equal(h_write_file(other, "short", 5), 0);
	H_ASSERT_INT(h_run(with), EXIT_CONFIG);
}

/* ---- the database going away ---- */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
set_allow(bool allow)
{
	const char *db = pgt_db_name(db_uri);

	if (allow)
		assert_int_equal(pgt_exec(server, h_strf("ALTER DATABASE %s ALLOW_CONNECTIONS true", db)), 0);
	else
		assert_int_equal(pgt_exec(server, h_strf(
			"ALTER DATABASE %s ALLOW_CONNECTIONS false; "
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' "
			"AND pid <> pg_backend_pid()", db, db)), 0);
}

static void
database_down_is_503_then_recovers(void **state)
{
	/* Tokens for the admin API made while the database is up (they verify without it). */
	const char *tok_a = h_actor_token(a, prov, H_SC_SCOPES), *tok_b = h_actor_token(b, prov, H_SC_SCOPES);
	const char *path = h_strf("/scopes/access?scope=%s", h_urlenc(SC_DOWN));
	struct h_server *both[2] = { a, b };
	const char *toks[2] = { tok_a, tok_b };

	h_expect_token(a, h_post_form(a, grant_form(a, SC_DOWN)));
	set_allow(false);
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 2; i++) {
			struct h_server *s = both[i];
			struct h_resp *r = h_post_form(s, grant_form(s, SC_DOWN));

			h_expect_error(s, r, 503, "temporarily_unavailable", NULL, TXT_503);
			H_ASSERT_STR(h_header(r, "Cache-Control"), "no-store");
			r = h_api(s, "GET", path, toks[i], NULL);
			h_expect_api_error(r, 503, "temporarily_unavailable");
			r = h_api(s, "PUT", h_strf("/scopes/access/%s?scope=%s", "310000027", h_urlenc(SC_DOWN)),
			          toks[i], NULL);
			h_expect_api_error(r, 503, "temporarily_unavailable");
			/* What needs no database still works. */
			H_ASSERT_INT(h_get(s, "/jwk")->status, 200);
		}
	}
	set_allow(true);
	for (int i = 0; i < 2; i++) {
		struct h_server *s = both[i];
		int64_t deadline = mono_ms() + 15000;
		struct h_resp *r;

		/* Poll until the pool's backoff (at most 2 s) has passed: the only answers
		 * allowed meanwhile are a token or the 503. */
		for (;;) {
			r = h_post_form(s, grant_form(s, SC_DOWN));
			if (r->status == 200)
				break;
			h_expect_error(s, r, 503, "temporarily_unavailable", NULL, TXT_503);
			if (mono_ms() > deadline)
				h_fail("instance %c did not recover within 15 s", "AB"[i]);
			{
				struct timespec ts = { 0, 50 * 1000 * 1000 };

				nanosleep(&ts, NULL);
			}
		}
		h_expect_token(s, r);
		/* Then every request: a pool's worth of them. */
		for (int k = 0; k < 20; k++)
			h_expect_token(s, h_post_form(s, grant_form(s, SC_DOWN)));
		H_ASSERT_INT(json_array_size(h_expect_api(h_api(s, "GET", path, toks[i], NULL), 200)), 1);
	}
	/* The PUT refused during the outage did not happen. */
	H_ASSERT_INT(json_array_size(h_expect_api(h_api(a, "GET", path, tok_a, NULL), 200)), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_grant_at_both_yields_one_token),
		cmocka_unit_test(revoked_at_one_refused_at_other),
		cmocka_unit_test(rotation_at_one_shows_at_other),
		cmocka_unit_test(keys_secret_checked),
		cmocka_unit_test(database_down_is_503_then_recovers),
	};

	server = pgt_server();
	return cmocka_run_group_tests_name("authz on postgresql", tests, group_setup, group_teardown);
}
