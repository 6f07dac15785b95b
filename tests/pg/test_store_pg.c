/* The document store on PostgreSQL: the common suite of tests/unit/store/test_store.c on a
 * fresh database per test, then what only a shared database has: several handles
 * (standing for several porten instances) on one database, migrations applied once by
 * instances starting together, and the database going away and coming back. */
#define STORE_SUITE_NO_MAIN
/* The SQLite-only tests of the included file are not run here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "unit/store/test_store.c"

#include <time.h>
#include <libpq-fe.h>

#include "pgtest.h"

static const char *server;

static int
pg_fresh(char *uri, size_t n)
{
	return pgt_db_create(server, uri, n);
}

static void
pg_drop(const char *uri)
{
	if (pgt_db_drop(server, uri) != 0)
		fprintf(stderr, "could not drop the database of this test\n");
}

static int
group_pg(void **state)
{
	backend = "postgresql";
	return 0;
}

/* One value of a one-row query on uri. */
static long long
pg_value(const char *uri, const char *sql)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *r;
	long long v = -1;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(c);
	return v;
}

/* Another handle on the same database stands for another instance. */
static void
test_pg_shared(void **state)
{
	struct fx *f = *state;
	porten_store *o = NULL;
	unsigned char k[32];
	uint64_t g;

	assert_int_equal(porten_store_open(f->uri, &o), 0);
	g = gen(o);
	put_text(f->s, PORTEN_DOC_SCOPE, "p:s", "{}");
	assert_true(gen(o) != g);
	assert_doc(o, PORTEN_DOC_SCOPE, "p:s", "{}");
	g = gen(f->s);
	assert_int_equal(porten_store_delete(o, PORTEN_DOC_SCOPE, "p:s"), 0);
	assert_true(gen(f->s) != g);
	assert_missing(f->s, PORTEN_DOC_SCOPE, "p:s");
	replay_key(k, 3);
	assert_int_equal(porten_store_replay_claim(o, k, 2000, 1000), 0);
	assert_int_equal(porten_store_replay_claim(f->s, k, 2000, 1000), PORTEN_ERR_EXISTS);
	assert_int_equal(porten_store_replay_claim(f->s, k, 3000, 2000), 0);
	assert_int_equal(porten_store_replay_claim(o, k, 3000, 2999), PORTEN_ERR_EXISTS);
	porten_store_close(o);
	/* Closing a handle loses nothing the other committed. */
	assert_int_equal(porten_store_replay_claim(f->s, k, 3000, 2500), PORTEN_ERR_EXISTS);
}

/* The same keys claimed by threads spread over four handles: each key exactly once. */
static void
test_pg_replay_instances(void **state)
{
	struct fx *f = *state;
	enum { NH = 4 };
	porten_store *h[NH] = { f->s };
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	pthread_barrier_t bar;
	int ok = 0, exists = 0, other = 0;

	for (int i = 1; i < NH; i++)
		assert_int_equal(porten_store_open(f->uri, &h[i]), 0);
	pthread_barrier_init(&bar, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ h[i % NH], &bar, i, 0, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, replay_worker, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
		exists += w[i].exists;
		other += w[i].other;
	}
	pthread_barrier_destroy(&bar);
	for (int i = 1; i < NH; i++)
		porten_store_close(h[i]);
	assert_int_equal(other, 0);
	assert_int_equal(ok, NKEYS);
	assert_int_equal(exists, (NTHREADS - 1) * NKEYS);
}

struct opener {
	const char *uri;
	pthread_barrier_t *bar;
	int r;
};

static void *
open_worker(void *arg)
{
	struct opener *o = arg;
	porten_store *s = NULL;
	json_t *d = json_object();

	pthread_barrier_wait(o->bar);
	o->r = porten_store_open(o->uri, &s);
	if (o->r == 0)
		o->r = porten_store_put(s, PORTEN_DOC_CLIENT, "same", d);
	porten_store_close(s);
	json_decref(d);
	return NULL;
}

/* Instances starting together on an empty database: every migration applied once. */
static void
test_pg_migrations(void **state)
{
	struct fx *f = *state;
	enum { NO = 6 };
	char uri[1024];
	struct opener o[NO];
	pthread_t t[NO];
	pthread_barrier_t bar;
	long long want = 0;

	for (const struct porten_migration *m = porten_migrations; m->backend != NULL; m++)
		if (strcmp(m->backend, "postgresql") == 0)
			want++;
	assert_true(want >= 1);
	assert_int_equal(pgt_db_create(server, uri, sizeof(uri)), 0);
	pthread_barrier_init(&bar, NULL, NO);
	for (int i = 0; i < NO; i++) {
		o[i] = (struct opener){ uri, &bar, -1 };
		assert_int_equal(pthread_create(&t[i], NULL, open_worker, &o[i]), 0);
	}
	for (int i = 0; i < NO; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(o[i].r, 0);
	}
	pthread_barrier_destroy(&bar);
	assert_int_equal(pg_value(uri, "SELECT count(*) FROM schema_migrations"), want);
	assert_int_equal(pg_value(uri, "SELECT count(DISTINCT version) FROM schema_migrations"), want);
	assert_int_equal(pg_value(uri, "SELECT count(*) FROM meta"), 1);
	/* Six writes, six generations. */
	assert_int_equal(pg_value(uri, "SELECT value FROM meta WHERE name = 'generation'"), NO);
	assert_int_equal(pg_value(uri, "SELECT count(*) FROM docs"), 1);
	/* Keys are stored as their bytes. */
	assert_int_equal(pg_value(uri, "SELECT count(*) FROM docs WHERE key = convert_to('same', 'UTF8')"), 1);
	pg_drop(uri);
	(void)f;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The database refuses connections and cuts the ones it has: every call says
 * unavailable (never a wrong answer); when it takes connections again, the same handle
 * works again by itself (the pool reconnects; its backoff is at most 2 s). */
static void
test_pg_outage(void **state)
{
	struct fx *f = *state;
	const char *db = pgt_db_name(f->uri);
	char sql[512];
	json_t *out = NULL, *d = J("{\"v\":1}");
	unsigned char k[32];
	uint64_t g = 0;
	int64_t deadline;
	int r;

	put_text(f->s, PORTEN_DOC_CLIENT, "c", "{\"v\":0}");
	replay_key(k, 9);
	snprintf(sql, sizeof(sql),
	         "ALTER DATABASE %s ALLOW_CONNECTIONS false; "
	         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' "
	         "AND pid <> pg_backend_pid()", db, db);
	assert_int_equal(pgt_exec(server, sql), 0);

	assert_int_equal(porten_store_get(f->s, PORTEN_DOC_CLIENT, "c", &out), PORTEN_ERR_UNAVAILABLE);
	assert_null(out);
	assert_int_equal(porten_store_generation(f->s, &g), PORTEN_ERR_UNAVAILABLE);
	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_CLIENT, "c", d), PORTEN_ERR_UNAVAILABLE);
	assert_int_equal(porten_store_list(f->s, PORTEN_DOC_CLIENT, "", &out), PORTEN_ERR_UNAVAILABLE);
	assert_null(out);
	assert_int_equal(porten_store_replay_claim(f->s, k, 2000, 1000), PORTEN_ERR_UNAVAILABLE);

	snprintf(sql, sizeof(sql), "ALTER DATABASE %s ALLOW_CONNECTIONS true", db);
	assert_int_equal(pgt_exec(server, sql), 0);
	deadline = mono_ms() + 10000;
	while ((r = porten_store_get(f->s, PORTEN_DOC_CLIENT, "c", &out)) == PORTEN_ERR_UNAVAILABLE &&
	       mono_ms() < deadline) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);       /* polling for the backoff to pass, not a guess */
	}
	assert_int_equal(r, 0);
	json_decref(out);
	/* The refused put did not happen. */
	assert_doc(f->s, PORTEN_DOC_CLIENT, "c", "{\"v\":0}");
	/* Every connection of the pool recovers: enough calls to use each of them. */
	for (int i = 0; i < 64; i++) {
		deadline = mono_ms() + 10000;
		while ((r = porten_store_generation(f->s, &g)) == PORTEN_ERR_UNAVAILABLE && mono_ms() < deadline) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		assert_int_equal(r, 0);
	}
	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_CLIENT, "c", d), 0);
	assert_doc(f->s, PORTEN_DOC_CLIENT, "c", "{\"v\":1}");
	/* The claim refused during the outage was not recorded. */
	assert_int_equal(porten_store_replay_claim(f->s, k, 2000, 1000), 0);
	json_decref(d);
}

/* Connections cut while the database stays up (a restart that was quick, a failover):
 * the next calls get fresh connections and succeed at once. */
static void
test_pg_cut_connections(void **state)
{
	struct fx *f = *state;
	const char *db = pgt_db_name(f->uri);
	char sql[256];
	uint64_t g = 0;

	put_text(f->s, PORTEN_DOC_CLIENT, "c", "{\"v\":0}");
	/* Fill the pool with idle connections. */
	for (int i = 0; i < 32; i++)
		assert_int_equal(porten_store_generation(f->s, &g), 0);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
	         "WHERE datname = '%s' AND pid <> pg_backend_pid()", db);
	assert_int_equal(pgt_exec(server, sql), 0);
	/* pg_terminate_backend only signals: wait until those backends are gone. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE datname = '%s'", db);
	for (int64_t deadline = mono_ms() + 10000; pg_value(server, sql) > 0;) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		assert_true(mono_ms() < deadline);
		nanosleep(&ts, NULL);
	}
	/* Their sockets are closed; each acquire notices and connects afresh. */
	for (int i = 0; i < 32; i++)
		assert_int_equal(porten_store_generation(f->s, &g), 0);
	assert_doc(f->s, PORTEN_DOC_CLIENT, "c", "{\"v\":0}");
}

int
main(void)
{
	const struct CMUnitTest common[] = {
		STORE_COMMON_TESTS,
	};
	const struct CMUnitTest pg_only[] = {
		T(test_pg_shared),
		T(test_pg_replay_instances),
		T(test_pg_migrations),
		T(test_pg_outage),
		T(test_pg_cut_connections),
	};
	int failed = 0;

	server = pgt_server();
	fresh_db = pg_fresh;
	drop_db = pg_drop;
	if (getenv("PORTEN_TEST_VERBOSE") == NULL)
		porten_log_threshold = -1;
	failed += cmocka_run_group_tests_name("store postgresql", common, group_pg, NULL);
	failed += cmocka_run_group_tests_name("store postgresql only", pg_only, group_pg, NULL);
	return failed != 0;
}
