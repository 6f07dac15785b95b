/* Several register instances appending to one PostgreSQL database at once (issue 7):
 * two processes (two instances, each with its own freg_register handle and pool) with
 * two writer threads each, plus a second handle in one process, every writer appending
 * batches of events of a mix of types, every fifth batch refused after it has written
 * rows (an unknown merge target as its last event), so it rolls back after taking
 * sequence numbers. Afterwards every package feed must be 1..N without a gap, hold each
 * committed event exactly once and no event of a refused batch, agree with the sequence
 * numbers each ingest reported, keep each writer's events in the order it committed
 * them, and read the same through either handle.
 *
 * Needs PORTEN_TEST_PG (tests/pg/pg_testdb.h); exits 77 without it. */
#include <pthread.h>
#include <setjmp.h>
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

#define NPROC 2                 /* instances */
#define NTHREAD 2               /* writers per instance */
#define BATCHES 100
#define BATCH 5
#define NWRITERS (NPROC * NTHREAD + 1)   /* + one on a second handle in the parent */

static const char *const types[] = {
	"personErOpprettet", "endringINavn", "endringIFamilierelasjon", "endringIBostedsadresse",
	"endringIOpphold", "endringIFalskIdentitet",
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static char uri[512], dbname[40];

/* Writer w's event i of batch b: a new person each (so the identifier names the event). */
static void
mkpid(char out[12], int w, int b, int i)
{
	snprintf(out, 12, "%02u%04u%05u", (unsigned)(10 + w) % 100u, (unsigned)b % 10000u,
	         (unsigned)i % 100000u);
}

static bool
refused_batch(int b)
{
	return b % 5 == 3;
}

static const char *
type_of(int w, int b, int i)
{
	return types[(size_t)(w + b + i) % NTYPES];
}

struct writer {
	freg_register *r;
	int w;
	int rc;                          /* first unexpected result */
	int64_t omh[BATCHES * BATCH];    /* OMH seq of each committed event, in commit order */
	size_t n;
};

static void *
writer_main(void *arg)
{
	struct writer *wr = arg;
	struct freg_ingest ev[BATCH + 1];
	struct freg_ingested out[BATCH + 1];
	json_t *docs[BATCH];
	char pids[BATCH][12];

	for (int b = 0; b < BATCHES && wr->rc == 0; b++) {
		size_t n = BATCH;
		int rc;

		for (int i = 0; i < BATCH; i++) {
			mkpid(pids[i], wr->w, b, i);
			docs[i] = json_pack("{s:[{s:s}]}", "identifikasjonsnummer",
			                    "foedselsEllerDNummer", pids[i]);
			/* The first event of a new person creates it; the type only decides the
			 * packages, which is what this test is about. */
			ev[i] = (struct freg_ingest){ .pid = pids[i], .type = type_of(wr->w, b, i),
			                              .person = docs[i] };
		}
		if (refused_batch(b)) {
			/* Written after BATCH events took their numbers; refused inside the
			 * transaction. */
			ev[BATCH] = (struct freg_ingest){ .pid = pids[0],
				.type = "personErOpphoertSomDublett", .merge_into = "99999999999" };
			n = BATCH + 1;
		}
		rc = freg_register_ingest(wr->r, ev, n, out);
		if (refused_batch(b) ? rc != PORTEN_ERR_INVALID : rc != 0)
			wr->rc = rc == 0 ? -1000 : rc;
		if (rc == 0)
			for (int i = 0; i < BATCH; i++)
				wr->omh[wr->n++] = out[i].seq[FREG_OMH];
		for (int i = 0; i < BATCH; i++)
			json_decref(docs[i]);
	}
	return NULL;
}

/* One instance: its own handle, NTHREAD writers. Exit status 0 when all went as meant;
 * the OMH numbers each writer got go to fd as int64_t, writer by writer. */
static int
instance_main(int proc, int fd)
{
	static struct writer wr[NTHREAD];
	pthread_t th[NTHREAD];
	freg_register *r = NULL;
	int rc;

	if ((rc = freg_register_open(uri, &r)) != 0)
		return 10;
	for (int t = 0; t < NTHREAD; t++) {
		wr[t] = (struct writer){ .r = r, .w = proc * NTHREAD + t };
		if (pthread_create(&th[t], NULL, writer_main, &wr[t]) != 0)
			return 11;
	}
	for (int t = 0; t < NTHREAD; t++)
		pthread_join(th[t], NULL);
	freg_register_close(r);
	for (int t = 0; t < NTHREAD; t++) {
		if (wr[t].rc != 0) {
			fprintf(stderr, "writer %d: unexpected result %d\n", wr[t].w, wr[t].rc);
			return 20;
		}
		if (write(fd, &wr[t].n, sizeof(wr[t].n)) != (ssize_t)sizeof(wr[t].n) ||
		    write(fd, wr[t].omh, wr[t].n * sizeof(int64_t)) != (ssize_t)(wr[t].n * sizeof(int64_t)))
			return 21;
	}
	return 0;
}

/* ---- reading the feeds ---- */

struct row {
	int64_t seq;
	char pid[12], type[PORTEN_FREG_TYPE_MAX + 1], ev[33];
};
struct rows {
	size_t n, cap;
	struct row *r;
};

static int
collect(void *ctx, const struct freg_feed_row *fr)
{
	struct rows *rs = ctx;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 256;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		assert_non_null(rs->r);
	}
	rs->r[rs->n].seq = fr->seq;
	snprintf(rs->r[rs->n].pid, 12, "%s", fr->pid);
	snprintf(rs->r[rs->n].type, sizeof(rs->r[rs->n].type), "%s", fr->type);
	snprintf(rs->r[rs->n].ev, 33, "%s", fr->event_id);
	rs->n++;
	return 0;
}

static void
read_feed(freg_register *r, enum freg_pkg p, struct rows *rs)
{
	int64_t from = 1;
	size_t before;

	memset(rs, 0, sizeof(*rs));
	do {
		before = rs->n;
		assert_int_equal(freg_register_feed(r, p, from, PORTEN_FREG_FEED_PAGE, collect, rs), 0);
		if (rs->n > 0)
			from = rs->r[rs->n - 1].seq + 1;
	} while (rs->n - before == PORTEN_FREG_FEED_PAGE);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_concurrent_instances(void **state)
{
	static struct writer local;
	freg_register *h1 = NULL, *h2 = NULL;
	pid_t kids[NPROC];
	int fds[NPROC][2];
	pthread_t lt;
	int64_t *got[NWRITERS];
	size_t ngot[NWRITERS], want_total[FREG_PKG_COUNT] = { 0 };

	(void)state;
	/* Two handles in this process: the reader's and a fifth writer's. */
	assert_int_equal(freg_register_open(uri, &h1), 0);
	assert_int_equal(freg_register_open(uri, &h2), 0);
	for (int p = 0; p < NPROC; p++) {
		assert_int_equal(pipe(fds[p]), 0);
		kids[p] = fork();
		assert_true(kids[p] >= 0);
		if (kids[p] == 0) {
			close(fds[p][0]);
			_exit(instance_main(p, fds[p][1]));
		}
		close(fds[p][1]);
	}
	local = (struct writer){ .r = h2, .w = NPROC * NTHREAD };
	assert_int_equal(pthread_create(&lt, NULL, writer_main, &local), 0);
	assert_int_equal(pthread_join(lt, NULL), 0);
	assert_int_equal(local.rc, 0);
	for (int p = 0; p < NPROC; p++) {
		int st = 0;

		for (int t = 0; t < NTHREAD; t++) {
			int w = p * NTHREAD + t;

			assert_int_equal(read(fds[p][0], &ngot[w], sizeof(ngot[w])), sizeof(ngot[w]));
			assert_non_null(got[w] = calloc(ngot[w] + 1, sizeof(int64_t)));
			assert_int_equal(read(fds[p][0], got[w], ngot[w] * sizeof(int64_t)),
			                 (ssize_t)(ngot[w] * sizeof(int64_t)));
		}
		close(fds[p][0]);
		assert_int_equal(waitpid(kids[p], &st, 0), kids[p]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	got[NWRITERS - 1] = local.omh;
	ngot[NWRITERS - 1] = local.n;

	/* What should be there: every event of every batch that was not refused. */
	for (int w = 0; w < NWRITERS; w++) {
		assert_int_equal(ngot[w], (size_t)(BATCHES - BATCHES / 5) * BATCH);
		for (int b = 0; b < BATCHES; b++)
			for (int i = 0; i < BATCH && !refused_batch(b); i++)
				for (int p = 0; p < FREG_PKG_COUNT; p++)
					want_total[p] += freg_pkg_feed_has((enum freg_pkg)p, type_of(w, b, i));
		/* One writer's commits come one after the other: its numbers grow. */
		for (size_t k = 1; k < ngot[w]; k++)
			assert_true(got[w][k] > got[w][k - 1]);
	}
	assert_int_equal(want_total[FREG_OMH], NWRITERS * (BATCHES - BATCHES / 5) * BATCH);

	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		struct rows a, b;
		char (*pids)[12];
		int64_t first = 0, last = 0;

		read_feed(h1, (enum freg_pkg)p, &a);
		read_feed(h2, (enum freg_pkg)p, &b);
		/* Dense 1..N, N as the bounds say and as many as were committed. */
		assert_int_equal(a.n, want_total[p]);
		for (size_t i = 0; i < a.n; i++)
			assert_int_equal(a.r[i].seq, (int64_t)i + 1);
		assert_int_equal(freg_register_feed_bounds(h2, (enum freg_pkg)p, &first, &last), 0);
		assert_int_equal(first, 1);
		assert_int_equal(last, (int64_t)want_total[p]);
		/* Identical through either handle. */
		assert_int_equal(b.n, a.n);
		for (size_t i = 0; i < a.n; i++) {
			assert_int_equal(b.r[i].seq, a.r[i].seq);
			assert_string_equal(b.r[i].ev, a.r[i].ev);
			assert_string_equal(b.r[i].pid, a.r[i].pid);
		}
		/* Each committed event once, none of a refused batch, each of the right type. */
		assert_non_null(pids = calloc(a.n + 1, 12));
		for (size_t i = 0; i < a.n; i++) {
			int w = (a.r[i].pid[0] - '0') * 10 + (a.r[i].pid[1] - '0') - 10;
			int bt = atoi((char[5]){ a.r[i].pid[2], a.r[i].pid[3], a.r[i].pid[4], a.r[i].pid[5], 0 });
			int ix = atoi(a.r[i].pid + 6);

			assert_true(w >= 0 && w < NWRITERS);
			assert_false(refused_batch(bt));
			assert_string_equal(a.r[i].type, type_of(w, bt, ix));
			assert_true(freg_pkg_feed_has((enum freg_pkg)p, a.r[i].type));
			memcpy(pids[i], a.r[i].pid, 12);
		}
		qsort(pids, a.n, 12, cmp_str);
		for (size_t i = 0; i + 1 < a.n; i++)
			assert_true(strcmp(pids[i], pids[i + 1]) < 0);
		/* OMH carries every type: each writer's reported numbers name its events. */
		if (p == FREG_OMH) {
			for (int w = 0; w < NWRITERS; w++) {
				for (size_t k = 0; k < ngot[w]; k++) {
					const struct row *rw = &a.r[got[w][k] - 1];

					assert_int_equal((rw->pid[0] - '0') * 10 + (rw->pid[1] - '0') - 10, w);
				}
			}
		}
		free(pids);
		free(a.r);
		free(b.r);
	}
	for (int w = 0; w < NWRITERS - 1; w++)
		free(got[w]);
	freg_register_close(h1);
	freg_register_close(h2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_instances),
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
	rc = cmocka_run_group_tests_name("freg register: instances on postgresql", tests, NULL, NULL);
	if (pg_testdb_drop(dbname) != 0)
		rc = rc ? rc : 1;
	return rc;
}
