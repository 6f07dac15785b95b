/* A crash of one register instance loses nothing another instance committed (issue 7):
 * two processes append to one PostgreSQL database; one is killed with SIGKILL while it
 * writes (after it has reported some committed batches), the other goes on to its end.
 * Afterwards the offentlig-med-hjemmel feed is 1..N without a gap; every batch either
 * instance reported as committed is in it, at the sequence numbers reported; every
 * event of the surviving instance is there; and each person of a committed event can be
 * looked up. The killed instance may have committed a batch it had no time to report:
 * such a batch is there whole (a transaction is all or nothing), never in part.
 *
 * Synchronisation is by pipe: the parent kills after reading the victim's reports.
 * Needs PORTEN_TEST_PG (tests/pg/pg_testdb.h); exits 77 without it. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "porten/error.h"
#include "porten/freg.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/register.h"
#include "pg/pg_testdb.h"

#define BATCH 4
#define SURVIVOR_BATCHES 150
#define KILL_AFTER 40            /* victim batches reported before the kill */
#define MAX_EVENTS 20000

static char uri[512], dbname[40];

/* The identifier of instance who's event i of batch b: 11 digits. */
static void
mkpid(char out[12], int who, int b, int i)
{
	snprintf(out, 12, "%01u%06u%04u", (unsigned)who % 10u, (unsigned)b % 1000000u, (unsigned)i % 10000u);
}

/* One report: the batch number and the OMH numbers of its events. */
struct report {
	int32_t batch;
	int64_t seq[BATCH];
};

/* Instance `who` (1 victim, 2 survivor): appends batches of new persons, reporting each
 * after its commit; batches = 0 means until killed. */
static int
instance_main(int who, int batches, int fd)
{
	freg_register *r = NULL;

	if (freg_register_open(uri, &r) != 0)
		return 10;
	for (int b = 0; batches == 0 || b < batches; b++) {
		struct freg_ingest ev[BATCH];
		struct freg_ingested out[BATCH];
		struct report rep = { .batch = b };
		json_t *docs[BATCH];
		char pids[BATCH][12];
		int rc;

		for (int i = 0; i < BATCH; i++) {
			mkpid(pids[i], who, b, i);
			docs[i] = json_pack("{s:[{s:s}]}", "identifikasjonsnummer", "foedselsEllerDNummer", pids[i]);
			ev[i] = (struct freg_ingest){ .pid = pids[i], .type = "personErOpprettet", .person = docs[i] };
		}
		rc = freg_register_ingest(r, ev, BATCH, out);
		for (int i = 0; i < BATCH; i++)
			json_decref(docs[i]);
		if (rc != 0)
			return 20;
		for (int i = 0; i < BATCH; i++)
			rep.seq[i] = out[i].seq[FREG_OMH];
		if (write(fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
			return 21;
	}
	freg_register_close(r);
	return 0;
}

static pid_t
spawn(int who, int batches, int *rfd)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(instance_main(who, batches, p[1]));
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/* Reads whole reports until n are in (n < 0: until EOF). */
static size_t
read_reports(int fd, struct report *reps, size_t have, long n)
{
	while (n < 0 || (long)have < n) {
		ssize_t got = read(fd, &reps[have], sizeof(reps[have]));

		if (got == 0)
			break;
		assert_int_equal(got, (ssize_t)sizeof(reps[have]));   /* writes of one report are atomic */
		have++;
	}
	return have;
}

struct feed {
	size_t n;
	int64_t seq[MAX_EVENTS];
	char pid[MAX_EVENTS][12];
};

static int
collect(void *ctx, const struct freg_feed_row *fr)
{
	struct feed *f = ctx;

	if (f->n == MAX_EVENTS)
		return -1;
	f->seq[f->n] = fr->seq;
	snprintf(f->pid[f->n], 12, "%s", fr->pid);
	f->n++;
	return 0;
}

static void
test_kill_one_instance(void **state)
{
	static struct report vrep[MAX_EVENTS / BATCH], srep[SURVIVOR_BATCHES];
	static struct feed f;
	freg_register *r = NULL;
	size_t nv, ns, i;
	int vfd, sfd, st;
	pid_t victim, survivor;

	(void)state;
	assert_int_equal(freg_register_open(uri, &r), 0);     /* migrated before the writers */
	victim = spawn(1, 0, &vfd);
	survivor = spawn(2, SURVIVOR_BATCHES, &sfd);
	nv = read_reports(vfd, vrep, 0, KILL_AFTER);
	assert_int_equal(nv, KILL_AFTER);
	assert_int_equal(kill(victim, SIGKILL), 0);
	assert_int_equal(waitpid(victim, &st, 0), victim);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	nv = read_reports(vfd, vrep, nv, -1);                  /* what it reported before dying */
	ns = read_reports(sfd, srep, 0, -1);
	assert_int_equal(waitpid(survivor, &st, 0), survivor);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(ns, SURVIVOR_BATCHES);

	/* The feed as any instance reads it now. */
	memset(&f, 0, sizeof(f));
	for (int64_t from = 1;;) {
		size_t before = f.n;

		assert_int_equal(freg_register_feed(r, FREG_OMH, from, PORTEN_FREG_FEED_PAGE, collect, &f), 0);
		if (f.n - before < PORTEN_FREG_FEED_PAGE)
			break;
		from = f.seq[f.n - 1] + 1;
	}
	for (i = 0; i < f.n; i++)
		assert_int_equal(f.seq[i], (int64_t)i + 1);        /* dense from 1 */
	/* Every reported batch at its numbers, with its persons. */
	for (int who = 1; who <= 2; who++) {
		const struct report *reps = who == 1 ? vrep : srep;
		size_t n = who == 1 ? nv : ns;

		for (size_t k = 0; k < n; k++)
			for (int e = 0; e < BATCH; e++) {
				char pid[12];
				int64_t s = reps[k].seq[e];
				json_t *doc = NULL;

				mkpid(pid, who, reps[k].batch, e);
				assert_true(s >= 1 && (size_t)s <= f.n);
				assert_string_equal(f.pid[s - 1], pid);
				assert_int_equal(freg_register_person(r, pid, &doc, NULL, NULL), 0);
				json_decref(doc);
			}
	}
	/* Nothing else but whole batches of the victim it had no time to report. */
	{
		size_t reported = (nv + ns) * BATCH, extra = f.n - reported;

		assert_true(f.n >= reported);
		assert_int_equal(extra % BATCH, 0);
		for (i = 0; i < f.n; i++)
			assert_true(f.pid[i][0] == '1' || f.pid[i][0] == '2');
	}
	freg_register_close(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_one_instance),
	};
	int rc;

	if (pg_testdb_base() == NULL) {
		fprintf(stderr, "PORTEN_TEST_PG is not set: skipped\n");
		return PG_TESTDB_SKIP;
	}
	if (getenv("PORTEN_TEST_VERBOSE") == NULL)
		porten_log_threshold = -1;
	if (pg_testdb_create(uri, sizeof(uri), dbname) != 0)
		return 1;
	rc = cmocka_run_group_tests_name("freg register: one instance killed", tests, NULL, NULL);
	if (pg_testdb_drop(dbname) != 0)
		rc = rc ? rc : 1;
	return rc;
}
