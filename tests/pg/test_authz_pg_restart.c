/* The database restarted under load. A throwaway cluster of this test's own
 * (scripts/pg-cluster.sh in a temporary directory, so other tests on PORTEN_TEST_PG are
 * not disturbed), two porten authz instances on it, and threads posting fresh grants to
 * both without pause. The cluster is stopped (pg_ctl -m fast) and started again:
 *   - every answer is a token or a 503 with the temporarily_unavailable body; never a
 *     500, never a refused grant, never a lost connection to porten;
 *   - during the outage there are 503s, after it tokens from both instances again;
 *   - a grant that got a token before the restart is still refused as a replay after it
 *     (nothing committed was lost). */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pgtest.h"

#define ORG_PROV "974761076"
#define ORG_CONS "910753614"
#define SCOPE "prov:pg/restart"
#define NGRANTS 6000
#define NLOADERS 4
#define TXT_503 "The service is temporarily unavailable, try again later"

static char cluster[64];
static const char *script = PORTEN_CLUSTER_SCRIPT;

struct load {
	unsigned port[2];
	const char **forms;
	_Atomic size_t next;
	_Atomic int stop;
	_Atomic int ok, unavailable;
	_Atomic int ok_a, ok_b;
	_Atomic int bad;
	char bad_text[1024];
	pthread_mutex_t mu;
};

static void *
loader(void *arg)
{
	struct load *l = arg;

	while (!atomic_load(&l->stop)) {
		size_t i = atomic_fetch_add(&l->next, 1);
		int fd, status = 0;
		char *body = NULL;
		json_t *j = NULL;

		if (i >= NGRANTS)
			break;
		if ((fd = pgt_http_connect(l->port[i % 2])) < 0 ||
		    pgt_http_send(fd, "POST", "/token", "application/x-www-form-urlencoded", l->forms[i]) != 0 ||
		    pgt_http_recv(fd, &status, &body) != 0) {
			pthread_mutex_lock(&l->mu);
			snprintf(l->bad_text, sizeof(l->bad_text), "grant %zu: no answer from instance %c", i, "AB"[i % 2]);
			pthread_mutex_unlock(&l->mu);
			atomic_fetch_add(&l->bad, 1);
			free(body);
			continue;
		}
		j = json_loads(body, 0, NULL);
		if (status == 200 && json_is_string(json_object_get(j, "access_token"))) {
			atomic_fetch_add(&l->ok, 1);
			atomic_fetch_add(i % 2 ? &l->ok_b : &l->ok_a, 1);
		} else if (status == 503 && json_is_string(json_object_get(j, "error")) &&
		           strcmp(json_string_value(json_object_get(j, "error")), "temporarily_unavailable") == 0 &&
		           json_is_string(json_object_get(j, "error_description")) &&
		           strncmp(json_string_value(json_object_get(j, "error_description")), TXT_503,
		                   strlen(TXT_503)) == 0 && json_object_size(j) == 2) {
			atomic_fetch_add(&l->unavailable, 1);
			{
				/* Pacing while the database is down, so the grants last. */
				struct timespec ts = { 0, 20 * 1000 * 1000 };

				nanosleep(&ts, NULL);
			}
		} else {
			pthread_mutex_lock(&l->mu);
			snprintf(l->bad_text, sizeof(l->bad_text), "grant %zu: %d %s", i, status, body);
			pthread_mutex_unlock(&l->mu);
			atomic_fetch_add(&l->bad, 1);
		}
		json_decref(j);
		free(body);
	}
	return NULL;
}

static struct load *cur;

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits (polling, with a deadline) until *counter reaches want. */
static void
wait_for(_Atomic int *counter, int want, const char *what)
{
	int64_t deadline = mono_ms() + 60000;

	while (atomic_load(counter) < want) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		if (mono_ms() > deadline)
			h_fail("timed out waiting for %s (%d of %d; %zu grants of %d sent)", what,
			       atomic_load(counter), want, atomic_load(&cur->next), NGRANTS);
		nanosleep(&ts, NULL);
	}
}

static void
cluster_ctl(const char *cmd)
{
	char *argv[] = { (char *)"/bin/bash", (char *)script, (char *)cmd, cluster, NULL };

	H_ASSERT_INT(h_run(argv), 0);
}

static void
restart_under_load(void **state)
{
	char uri[PGT_URI_MAX], secret_path[PATH_MAX];
	const char *extra[] = { "--db", uri, "--keys-secret", secret_path, NULL };
	struct h_server_opts o = { 0 };
	struct h_server *a, *b;
	struct h_actor *app;
	struct load l;
	pthread_t t[NLOADERS];
	const char *first_form;
	json_t *seed;
	int ok_before, ok_a, ok_b;

	h_init();
	snprintf(cluster, sizeof(cluster), "/tmp/porten-pgr-XXXXXX");
	assert_non_null(mkdtemp(cluster));
	{
		/* start prints the URI on stdout: read it through a file. */
		char *cmd = h_strf("bash '%s' start '%s' > '%s/uri'", script, cluster, cluster);
		char *argv[] = { (char *)"/bin/sh", (char *)"-c", cmd, NULL };
		char *text;

		H_ASSERT_INT(h_run(argv), 0);
		text = h_read_file(h_strf("%s/uri", cluster), NULL);
		assert_non_null(text);
		text[strcspn(text, "\n")] = '\0';
		snprintf(uri, sizeof(uri), "%s", text);
	}
	snprintf(secret_path, sizeof(secret_path), "%s/keys.secret", h_tmpdir());
	assert_int_equal(h_write_file(secret_path, "restart-test-secret-0123456789abcdef", 36), 0);
	assert_int_equal(chmod(secret_path, 0600), 0);

	seed = h_seed_new();
	h_seed_scope(seed, SCOPE, ORG_PROV, NULL);
	app = h_seed_actor(seed, "cons-app", ORG_CONS, SCOPE, NULL);
	o.seed = seed;
	o.extra = extra;
	a = h_server_start(&o);
	b = h_server_start(&o);

	memset(&l, 0, sizeof(l));
	cur = &l;
	pthread_mutex_init(&l.mu, NULL);
	l.port[0] = a->port;
	l.port[1] = b->port;
	l.forms = h_keep(calloc(NGRANTS, sizeof(*l.forms)));
	for (size_t i = 0; i < NGRANTS; i++) {
		struct h_server *s = i % 2 ? b : a;
		const char *jwt = h_sign_kid(app->key, "RS256", h_claims_now(s, app->client_id, SCOPE));

		l.forms[i] = h_strf("grant_type=%s&assertion=%s", h_urlenc(H_GRANT_TYPE), h_urlenc(jwt));
	}
	first_form = l.forms[0];
	for (int i = 0; i < NLOADERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, loader, &l), 0);

	wait_for(&l.ok, 50, "tokens before the restart");
	cluster_ctl("stop");
	ok_before = atomic_load(&l.ok);
	wait_for(&l.unavailable, 20, "503s while the database is down");
	cluster_ctl("start");
	ok_a = atomic_load(&l.ok_a);
	ok_b = atomic_load(&l.ok_b);
	/* Both instances give tokens again by themselves. */
	wait_for(&l.ok_a, ok_a + 50, "tokens from instance A after the restart");
	wait_for(&l.ok_b, ok_b + 50, "tokens from instance B after the restart");
	atomic_store(&l.stop, 1);
	for (int i = 0; i < NLOADERS; i++)
		pthread_join(t[i], NULL);
	if (atomic_load(&l.bad) != 0)
		h_fail("%d answers were neither a token nor the 503; the last: %s", atomic_load(&l.bad), l.bad_text);
	print_message("tokens %d (before the stop %d), 503s %d\n", atomic_load(&l.ok), ok_before,
	              atomic_load(&l.unavailable));
	assert_true(atomic_load(&l.ok) > ok_before);
	/* Grant 0 got a token before the restart (the first 50 came first): still a replay. */
	{
		struct h_resp *r = h_post_form(a, first_form);

		if (r->status == 200)
			h_fail("a grant used before the restart got a second token");
		h_expect_error(a, r, 400, "invalid_grant", "MP-012", "Grant is used before");
	}
	h_server_stop(a);
	h_server_stop(b);
	pthread_mutex_destroy(&l.mu);
	cluster_ctl("stop");
	{
		char *argv[] = { (char *)"/bin/rm", (char *)"-rf", cluster, NULL };

		h_run(argv);
	}
	h_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(restart_under_load),
	};

	/* Needs PostgreSQL installed, as the other pg tests; the cluster is its own. */
	(void)pgt_server();
	return cmocka_run_group_tests_name("authz, database restarted", tests, NULL, NULL);
}
