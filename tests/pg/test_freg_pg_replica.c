/* porten freg with a read replica (issue 7): a primary cluster and a streaming hot
 * standby of it, both the test's own (scripts/pg-cluster.sh start / replica in the test's
 * temp dirs), `porten freg --db PRIMARY --read-db REPLICA --persons N` behind porten
 * authz. An event injected on the primary (`porten freg inject --db PRIMARY`) shows in
 * the feed and the person lookup once the replica has replayed it; the audit record of
 * the lookup is written on the primary. With the primary stopped, the lookups still
 * answer 200 from the replica while an ingest fails as unavailable: the reads really go
 * to the replica. A replica without porten's migrations is refused at open.
 *
 * Needs PORTEN_TEST_PG (only to know PostgreSQL is wanted; the clusters are its own);
 * exits 77 without it. */
#include "harness.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "porten/error.h"
#include "porten/log.h"
#include "porten/register.h"
#include "pg/pg_chain.h"
#include "pg/pg_testdb.h"

#define P_OMH "/folkeregisteret/offentlig-med-hjemmel/api/v1/"
#define PERSONS 300
#define EXIT_UNAVAILABLE 4      /* src/commands.h PORTEN_EXIT_UNAVAILABLE */
/* A new name for a person: its identifier, then the fornavn. */
#define NAME_EVENT "{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"endringINavn\"," \
	"\"egenskapshendelse\":[{\"entitet\":\"navn\",\"entitetsendring\":\"registrereNy\"," \
	"\"navn\":{\"fornavn\":\"%s\",\"etternavn\":\"Testesen\"}}]}"

static struct h_server *az, *fr;
static struct h_actor *omh;
static char pdir[PATH_MAX], rdir[PATH_MAX], puri[PATH_MAX + 64], ruri[PATH_MAX + 64];
static bool primary_up;

/* scripts/pg-cluster.sh cmd dir [arg]; start and replica print the URI into uri. */
static void
cluster(const char *cmd, const char *dir, const char *arg, char *uri)
{
	char line[PATH_MAX + 64] = "";
	FILE *p = popen(h_strf("bash %s/scripts/pg-cluster.sh %s %s %s", PORTEN_SOURCE_DIR, cmd, dir,
	                       arg ? arg : ""), "r");

	assert_non_null(p);
	if (fgets(line, sizeof(line), p) != NULL && uri != NULL) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(uri, PATH_MAX + 64, "%s", line);
	}
	if (pclose(p) != 0)
		h_fail("pg-cluster.sh %s %s failed", cmd, dir);
}

/* One value of a query without parameters (static buffer), or NULL on an error. */
static const char *
sql1(const char *uri, const char *sql)
{
	static char out[256];
	PGconn *c = PQconnectdb(uri);
	PGresult *r;
	const char *v = NULL;

	if (PQstatus(c) == CONNECTION_OK) {
		r = PQexec(c, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
			snprintf(out, sizeof(out), "%s", PQgetvalue(r, 0, 0));
			v = out;
		} else
			fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
	} else
		fprintf(stderr, "connect %s: %s", uri, PQerrorMessage(c));
	PQfinish(c);
	return v;
}

/* Waits until the replica has replayed everything the primary has written so far:
 * pg_last_wal_replay_lsn() >= the primary's pg_current_wal_lsn() read now. */
static void
wait_replayed(void)
{
	const char *v = sql1(puri, "SELECT pg_current_wal_lsn()");
	char lsn[64];
	struct timespec pause = { 0, 20 * 1000000L };

	if (v == NULL)
		h_fail("cannot read the primary's WAL position");
	snprintf(lsn, sizeof(lsn), "%s", v);
	for (int i = 0;; i++) {
		v = sql1(ruri, h_strf("SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn", lsn));
		if (v != NULL && strcmp(v, "t") == 0)
			return;
		if (i == 3000)
			h_fail("the replica has not replayed %s within 60 s", lsn);
		nanosleep(&pause, NULL);
	}
}

static int
group_setup(void **state)
{
	const char *fseed;
	freg_register *reg = NULL;

	(void)state;
	h_init();
	snprintf(pdir, sizeof(pdir), "/tmp/porten-pgp-XXXXXX");
	snprintf(rdir, sizeof(rdir), "/tmp/porten-pgs-XXXXXX");
	assert_non_null(mkdtemp(pdir));
	assert_non_null(mkdtemp(rdir));
	cluster("start", pdir, NULL, puri);
	primary_up = true;
	/* The primary migrated first, so that the standby copied from it has the schema. */
	assert_int_equal(freg_register_open(puri, &reg), 0);
	freg_register_close(reg);
	cluster("replica", rdir, pdir, ruri);
	if (strcmp(sql1(ruri, "SELECT pg_is_in_recovery()"), "t") != 0)
		h_fail("%s is not a standby", ruri);

	az = pg_chain_authz(&omh, &fseed);
	fr = pg_chain_freg(az, fseed, PERSONS, (const char *[]){ "--db", puri, "--read-db", ruri, NULL });
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	h_server_stop(fr);
	h_server_stop(az);
	cluster("stop", rdir, NULL, NULL);
	if (primary_up)
		cluster("stop", pdir, NULL, NULL);
	if (system(h_strf("rm -rf '%s' '%s'", pdir, rdir)) != 0)
		fprintf(stderr, "cannot remove %s, %s\n", pdir, rdir);
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

/* porten freg inject --db PRIMARY with json; the exit status. */
static int
inject(const char *json)
{
	const char *file = h_strf("%s/inject-%d.json", h_tmpdir(), rand());
	int st;

	h_write_file(file, json, strlen(json));
	st = system(h_strf("%s freg inject --db '%s' %s >/dev/null 2>&1", PORTEN_BIN, puri, file));
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_replica_refused_without_schema(void **state)
{
	freg_register *reg = NULL;
	char empty[PATH_MAX + 128];

	(void)state;
	/* A database without porten's migrations (a fresh one on the primary) as the read
	 * replica: refused, and nothing written to it. */
	assert_non_null(sql1(puri, "SELECT 1"));
	assert_int_equal(pg_testdb_uri(puri, "porten_norep", empty, sizeof(empty)), 0);
	{
		PGconn *c = PQconnectdb(puri);

		PQclear(PQexec(c, "CREATE DATABASE porten_norep"));
		PQfinish(c);
	}
	assert_int_equal(freg_register_open_replica(puri, empty, &reg), PORTEN_ERR_INVALID);
	assert_null(reg);
	H_ASSERT_STR(sql1(empty, "SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migrations'"),
	             "0");
	/* Nor with an SQLite register. */
	assert_int_equal(freg_register_open_replica(h_strf("sqlite:%s/x.db", h_tmpdir()), ruri, &reg),
	                 PORTEN_ERR_INVALID);
}

static void
test_reads_from_replica(void **state)
{
	struct h_resp *r;
	int64_t siste0;
	const char *pid, *v;
	json_t *before, *ev;
	char pidbuf[12];

	(void)state;
	wait_replayed();
	r = get(P_OMH "hendelser/siste/sekvensnummer");
	H_ASSERT_INT(r->status, 200);
	siste0 = (int64_t)json_integer_value(r->json);
	if (siste0 < PERSONS)
		h_fail("siste/sekvensnummer %" PRId64 " below the %d generated persons", siste0, PERSONS);
	r = get(P_OMH "hendelser/feed?seq=1");
	H_ASSERT_INT(r->status, 200);
	pid = H_JSTR(json_object_get(json_array_get(r->json, 0), "hendelse"), "folkeregisteridentifikator");
	snprintf(pidbuf, sizeof(pidbuf), "%s", pid);
	r = get(h_strf(P_OMH "personer/%s", pidbuf));
	H_ASSERT_INT(r->status, 200);
	before = h_keep_json(json_incref(r->json));

	/* An event on the primary; once replayed, freg shows it (from the replica). */
	H_ASSERT_INT(inject(h_strf(NAME_EVENT, pidbuf, "Replika")), 0);
	wait_replayed();
	r = get(P_OMH "hendelser/siste/sekvensnummer");
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_INT((int64_t)json_integer_value(r->json), siste0 + 1);
	r = get(h_strf(P_OMH "hendelser/feed?seq=%" PRId64, siste0 + 1));
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_INT(json_array_size(r->json), 1);
	ev = json_object_get(json_array_get(r->json, 0), "hendelse");
	H_ASSERT_STR(H_JSTR(ev, "folkeregisteridentifikator"), pidbuf);
	H_ASSERT_STR(H_JSTR(ev, "hendelsetype"), "endringINavn");
	r = get(h_strf(P_OMH "personer/%s", pidbuf));
	H_ASSERT_INT(r->status, 200);
	if (json_equal(r->json, before))
		h_fail("the person is unchanged after the replayed event: %s", r->body);
	if (strstr(r->body, "\"Replika\"") == NULL)
		h_fail("the person has not the new name after the event: %s", r->body);

	/* The lookup's audit record is on the primary (written there, asynchronously). */
	for (int i = 0;; i++) {
		v = sql1(puri, h_strf("SELECT count(*) FROM freg_audit WHERE pid = '%s'", pidbuf));
		if (v != NULL && atoi(v) >= 2)
			break;
		if (i == 500)
			h_fail("no audit record of the lookups of %s on the primary (%s)", pidbuf, v ? v : "?");
		nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	}

	/* The primary stops: lookups still answer from the replica, an ingest cannot. */
	cluster("stop", pdir, NULL, NULL);
	primary_up = false;
	for (int i = 0; i < 5; i++) {
		r = get(P_OMH "hendelser/siste/sekvensnummer");
		H_ASSERT_INT(r->status, 200);
		H_ASSERT_INT((int64_t)json_integer_value(r->json), siste0 + 1);
		r = get(h_strf(P_OMH "hendelser/feed?seq=%" PRId64, siste0));
		H_ASSERT_INT(r->status, 200);
		H_ASSERT_INT(json_array_size(r->json), 2);
		r = get(h_strf(P_OMH "personer/%s", pidbuf));
		H_ASSERT_INT(r->status, 200);
		assert_non_null(strstr(r->body, "\"Replika\""));
	}
	H_ASSERT_INT(inject(h_strf(NAME_EVENT, pidbuf, "Primaer")), EXIT_UNAVAILABLE);
	/* The primary back: the audit records queued meanwhile reach it. */
	cluster("start", pdir, NULL, NULL);
	primary_up = true;
	r = get(h_strf(P_OMH "personer/%s", pidbuf));
	H_ASSERT_INT(r->status, 200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replica_refused_without_schema),
		cmocka_unit_test(test_reads_from_replica),
	};

	if (pg_testdb_base() == NULL) {
		fprintf(stderr, "PORTEN_TEST_PG is not set: skipped\n");
		return PG_TESTDB_SKIP;
	}
	if (getenv("PORTEN_TEST_VERBOSE") == NULL)
		porten_log_threshold = -1;
	return cmocka_run_group_tests_name("freg on postgresql: read replica", tests,
	                                   group_setup, group_teardown);
}
