/* porten freg on PostgreSQL while the database restarts (issue 7): a cluster of the
 * test's own (scripts/pg-cluster.sh in the test's temp dir, so stopping it disturbs no
 * other test), `porten freg --db postgresql://...` with a generated population behind
 * porten authz, and a second register instance (a handle in this process) appending
 * events the whole time. The database is stopped (pg_ctl stop -m fast) while requests
 * flow: every register call must then be a 503 with a Folkeregisteret {kode, melding}
 * body, never a 500, a 404 or a stale answer. The database is started again: the server
 * must answer correctly again (its pooled connections were all cut), and the feed must
 * hold, densely and exactly once, every event whose ingest was acknowledged.
 *
 * Needs PORTEN_TEST_PG (only to know PostgreSQL is wanted; the cluster is its own);
 * exits 77 without it. */
#include "harness.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "porten/error.h"
#include "porten/freg.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/register.h"
#include "pg/pg_chain.h"
#include "pg/pg_testdb.h"

#define P_OMH "/folkeregisteret/offentlig-med-hjemmel/api/v1/"
#define PERSONS 200
#define ACKED_MAX 100000

static struct h_server *az, *fr;
static struct h_actor *omh;
static char pgdir[PATH_MAX], uri[PATH_MAX + 64];

/* scripts/pg-cluster.sh start|stop pgdir; start prints the URI. */
static void
cluster(const char *cmd)
{
	char line[PATH_MAX + 64] = "";
	FILE *p = popen(h_strf("bash %s/scripts/pg-cluster.sh %s %s", PORTEN_SOURCE_DIR, cmd, pgdir), "r");

	assert_non_null(p);
	if (fgets(line, sizeof(line), p) != NULL && strcmp(cmd, "start") == 0) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(uri, sizeof(uri), "%s", line);
	}
	if (pclose(p) != 0)
		h_fail("pg-cluster.sh %s failed", cmd);
}

static int
group_setup(void **state)
{
	const char *fseed;

	(void)state;
	h_init();
	/* Its own directory under /tmp: the server runs as another user when the test runs
	 * as root, and the harness's temp dir is private. */
	snprintf(pgdir, sizeof(pgdir), "/tmp/porten-pgr-XXXXXX");
	assert_non_null(mkdtemp(pgdir));
	cluster("start");
	az = pg_chain_authz(&omh, &fseed);
	fr = pg_chain_freg(az, fseed, PERSONS, (const char *[]){ "--db", uri, NULL });
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	h_server_stop(fr);
	h_server_stop(az);
	cluster("stop");
	if (system(h_strf("rm -rf '%s'", pgdir)) != 0)
		fprintf(stderr, "cannot remove %s\n", pgdir);
	h_cleanup();
	return 0;
}

static struct h_resp *
get(const char *path)
{
	const char *hdrs[3] = {
		h_strf("Authorization: Bearer %s", h_actor_token(az, omh, SC_OMH)),
		"Accept: application/json", NULL,
	};

	return h_http(fr, "GET", path, NULL, NULL, 0, hdrs);
}

/* 503 with exactly {kode: "FREG-001", melding}. */
#define expect_503(r) expect_503_at(H_LOC, (r))
static void
expect_503_at(const char *file, int line, const struct h_resp *r)
{
	const char *ct = h_header(r, "Content-Type");

	if (r->curl_rc != 0)
		h_fail_at(file, line, "no response: %s", r->curl_err);
	if (r->status != 503)
		h_fail_at(file, line, "expected 503, got %ld: %s", r->status, r->body);
	if (ct == NULL || strncmp(ct, "application/json", 16) != 0)
		h_fail_at(file, line, "expected application/json, got %s", ct ? ct : "(none)");
	if (r->json == NULL || json_object_size(r->json) != 2 ||
	    !json_is_string(json_object_get(r->json, "melding")) ||
	    json_string_length(json_object_get(r->json, "melding")) == 0 ||
	    strcmp(json_string_value(json_object_get(r->json, "kode")), "FREG-001") != 0)
		h_fail_at(file, line, "expected exactly {kode: FREG-001, melding}, got %s", r->body);
}

/* ---- the second instance: a writer appending all along ---- */

struct writer {
	freg_register *r;
	atomic_bool stop;
	atomic_size_t acked;
	size_t failed;
	char (*pids)[12];               /* identifiers of acknowledged events */
	atomic_int bad;                 /* an answer other than 0 or UNAVAILABLE */
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct timespec pause = { 0, 5 * 1000000L };

	for (unsigned i = 0; !atomic_load(&w->stop) && atomic_load(&w->acked) < ACKED_MAX; i++) {
		char pid[12];
		json_t *doc;
		struct freg_ingest ev;
		int rc;

		snprintf(pid, sizeof(pid), "77%09u", i % 1000000000u);
		doc = json_pack("{s:[{s:s}]}", "identifikasjonsnummer", "foedselsEllerDNummer", pid);
		ev = (struct freg_ingest){ .pid = pid, .type = "personErOpprettet", .person = doc };
		rc = freg_register_ingest(w->r, &ev, 1, NULL);
		json_decref(doc);
		if (rc == 0) {
			size_t k = atomic_load(&w->acked);

			memcpy(w->pids[k], pid, 12);
			atomic_store(&w->acked, k + 1);
		} else if (rc == PORTEN_ERR_UNAVAILABLE) {
			w->failed++;
			nanosleep(&pause, NULL);      /* pacing while the database is away */
		} else {
			atomic_store(&w->bad, rc);
			break;
		}
	}
	return NULL;
}

static int
cmp_pid(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_restart_under_load(void **state)
{
	static struct writer w;
	pthread_t th;
	struct h_resp *r;
	int64_t siste0, siste1, first = 0, last = 0;
	const char *pid0;
	json_t *person0;
	size_t n503 = 0, seen = 0;
	char (*feed_pids)[12];

	(void)state;
	/* Before: the answers the rest of the test compares with. */
	r = get(P_OMH "hendelser/siste/sekvensnummer");
	H_ASSERT_INT(r->status, 200);
	siste0 = (int64_t)json_integer_value(r->json);
	if (siste0 < PERSONS)
		h_fail("siste/sekvensnummer %" PRId64 " below the %d generated persons", siste0, PERSONS);
	r = get(P_OMH "hendelser/feed?seq=1");
	H_ASSERT_INT(r->status, 200);
	pid0 = H_JSTR(json_object_get(json_array_get(r->json, 0), "hendelse"),
	              "folkeregisteridentifikator");
	r = get(h_strf(P_OMH "personer/%s", pid0));
	H_ASSERT_INT(r->status, 200);
	person0 = h_keep_json(json_incref(r->json));

	w.pids = h_keep(calloc(ACKED_MAX, 12));
	assert_int_equal(freg_register_open(uri, &w.r), 0);
	assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
	/* Requests flow while events are appended; then the database goes away. */
	for (int i = 0; i < 20; i++)
		H_ASSERT_INT(get(P_OMH "hendelser/siste/sekvensnummer")->status, 200);
	cluster("stop");
	for (int i = 0; i < 10; i++) {
		expect_503(get(P_OMH "hendelser/siste/sekvensnummer"));
		expect_503(get(P_OMH "hendelser/feed?seq=1"));
		expect_503(get(h_strf(P_OMH "personer/%s", pid0)));
		n503 += 3;
	}
	cluster("start");
	/* Back: the first answers may still be 503 while the pool reconnects (backoff at
	 * most PORTEN_PG_BACKOFF_MAX_MS); never anything else, and 200 soon. */
	for (int i = 0;; i++) {
		r = get(h_strf(P_OMH "personer/%s", pid0));
		if (r->status == 200)
			break;
		expect_503(r);
		n503++;
		if (i == 2000)
			h_fail("no 200 within 2000 requests after the database came back");
	}
	if (!json_equal(r->json, person0))
		h_fail("person after the restart differs: %s", r->body);
	/* Some more appends after the restart, then the writer stops. */
	for (size_t k = atomic_load(&w.acked) + 20; atomic_load(&w.acked) < k && atomic_load(&w.bad) == 0;) {
		r = get(P_OMH "hendelser/siste/sekvensnummer");
		H_ASSERT_INT(r->status, 200);
	}
	atomic_store(&w.stop, true);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(atomic_load(&w.bad), 0);
	printf("restart: %zu events acknowledged, %zu refused as unavailable, %zu answers 503\n",
	       atomic_load(&w.acked), w.failed, n503);
	assert_true(w.failed > 0);

	/* Every acknowledged event exactly once, the feed dense, siste its end. */
	r = get(P_OMH "hendelser/siste/sekvensnummer");
	H_ASSERT_INT(r->status, 200);
	siste1 = (int64_t)json_integer_value(r->json);
	assert_int_equal(freg_register_feed_bounds(w.r, FREG_OMH, &first, &last), 0);
	H_ASSERT_INT(siste1, last);
	H_ASSERT_INT(first, 1);
	feed_pids = h_keep(calloc((size_t)last + 1, 12));
	for (int64_t seq = 1; seq <= last; seq += PORTEN_FREG_FEED_PAGE) {
		size_t i;
		json_t *it;

		r = get(h_strf(P_OMH "hendelser/feed?seq=%" PRId64, seq));
		H_ASSERT_INT(r->status, 200);
		json_array_foreach(r->json, i, it) {
			H_ASSERT_INT(H_JINT(it, "sekvensnummer"), seq + (int64_t)i);
			snprintf(feed_pids[seen++], 12, "%s",
			         H_JSTR(json_object_get(it, "hendelse"), "folkeregisteridentifikator"));
		}
	}
	H_ASSERT_INT(seen, last);
	H_ASSERT_INT(last, siste0 + (int64_t)atomic_load(&w.acked));
	qsort(feed_pids, seen, 12, cmp_pid);
	qsort(w.pids, atomic_load(&w.acked), 12, cmp_pid);
	for (size_t k = 0; k < atomic_load(&w.acked); k++) {
		char(*hit)[12] = bsearch(w.pids[k], feed_pids, seen, 12, cmp_pid);

		if (hit == NULL)
			h_fail("acknowledged event for %s is not in the feed", w.pids[k]);
		if ((hit > feed_pids && strcmp(hit[-1], hit[0]) == 0) ||
		    (hit + 1 < feed_pids + seen && strcmp(hit[1], hit[0]) == 0))
			h_fail("event for %s is in the feed twice", w.pids[k]);
	}
	freg_register_close(w.r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_under_load),
	};

	if (pg_testdb_base() == NULL) {
		fprintf(stderr, "PORTEN_TEST_PG is not set: skipped\n");
		return PG_TESTDB_SKIP;
	}
	if (getenv("PORTEN_TEST_VERBOSE") == NULL)
		porten_log_threshold = -1;
	return cmocka_run_group_tests_name("freg on postgresql: database restart", tests,
	                                   group_setup, group_teardown);
}
