/* lib/freg/register.c on a fresh SQLite file per test: ingest, the per-package feeds,
 * documents and versions, identifier changes and merges, retention, the consumer
 * registry, the audit trail, pick/count, several threads and several processes on one
 * file, and persistence. The clock is pinned (porten_clock_pin) so stored times are
 * exact. The feed read time is printed, never asserted.
 *
 * With --pg the same tests run on the PostgreSQL backend (lib/freg/register_pg.c), on a
 * fresh database per test in the cluster PORTEN_TEST_PG names (tests/pg/pg_testdb.h);
 * without PORTEN_TEST_PG that run exits 77 (skipped). Only what is SQLite's own (the
 * query plan, files that are not databases) differs. */
#include <errno.h>
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
#include <sqlite3.h>

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/freg.h"
#include "porten/freg_gen.h"
#include "porten/freg_view.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/register.h"
#include "pg/pg_testdb.h"
#include "reg_fixture.h"

#define NTHREADS 4
#define PER_WORKER 500

static bool on_pg;              /* --pg */

static int
setup(void **state)
{
	return reg_fixture_setup(state, "/tmp/porten-reg-XXXXXX", on_pg);
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	static const char *names[] = {
		"reg.db", "reg.db-wal", "reg.db-shm", "reg.db-journal",
		"fork.db", "fork.db-wal", "fork.db-shm", "notadb",
	};
	char p[256];

	freg_register_close(f->r);
	porten_clock_pin(0);
	if (on_pg && pg_testdb_drop(f->pgname) != 0)
		fprintf(stderr, "cannot drop database %s\n", f->pgname);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, names[i]);
		unlink(p);
	}
	if (rmdir(f->dir) != 0)
		fprintf(stderr, "rmdir %s: %s\n", f->dir, strerror(errno));
	free(f);
	return 0;
}

/* ---- helpers ---- */

static json_t *
J(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);

	if (j == NULL)
		fail_msg("bad test JSON %s: %s", text, err.text);
	return j;
}

static json_t *
person_doc(const char *pid, const char *name)
{
	json_t *j = json_pack("{s:[{s:s}], s:[{s:s}]}", "identifikasjonsnummer",
	                      "foedselsEllerDNummer", pid, "navn", "fornavn", name);

	assert_non_null(j);
	return j;
}

/* A pid from two numbers: 11 digits. */
static void
mkpid(char out[12], int a, int b)
{
	snprintf(out, 12, "%02u%09u", (unsigned)a % 100u, (unsigned)b % 1000000000u);
}

/* One event; person built from pid and name when name is non-NULL. */
static int
ingest1(freg_register *r, const char *pid, const char *type, const char *name,
	const char *new_pid, const char *merge_into, int64_t ajourhold,
	struct freg_ingested *out)
{
	json_t *p = name != NULL ? person_doc(new_pid != NULL ? new_pid : pid, name) : NULL;
	struct freg_ingest ev = {
		.pid = pid, .type = type, .person = p, .new_pid = new_pid,
		.merge_into = merge_into, .ajourhold = ajourhold,
	};
	int rc = freg_register_ingest(r, &ev, 1, out);

	json_decref(p);
	return rc;
}

struct row {
	int64_t seq, stored;
	char pid[12], type[PORTEN_FREG_TYPE_MAX + 1], ev[33], pd[33], aj[FREG_TS_LEN + 1];
};

struct rows {
	size_t n, cap;
	struct row *r;
	size_t stop_after;         /* non-zero: return 7 after this many */
};

static int
collect(void *ctx, const struct freg_feed_row *fr)
{
	struct rows *rs = ctx;
	struct row *w;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		assert_non_null(rs->r);
	}
	w = &rs->r[rs->n++];
	w->seq = fr->seq;
	w->stored = fr->stored;
	assert_int_equal(strlen(fr->pid), 11);
	assert_int_equal(strlen(fr->ajourhold), FREG_TS_LEN);
	snprintf(w->pid, sizeof(w->pid), "%s", fr->pid);
	snprintf(w->type, sizeof(w->type), "%s", fr->type);
	snprintf(w->ev, sizeof(w->ev), "%s", fr->event_id);
	snprintf(w->pd, sizeof(w->pd), "%s", fr->persondoc_id);
	snprintf(w->aj, sizeof(w->aj), "%s", fr->ajourhold);
	if (rs->stop_after != 0 && rs->n == rs->stop_after)
		return 7;
	return 0;
}

/* The whole feed of p from seq 0, page by page. */
static void
read_feed(freg_register *r, enum freg_pkg p, struct rows *rs)
{
	int64_t from = 0;
	size_t before;

	memset(rs, 0, sizeof(*rs));
	do {
		before = rs->n;
		assert_int_equal(freg_register_feed(r, p, from, PORTEN_FREG_FEED_PAGE, collect, rs), 0);
		if (rs->n > 0)
			from = rs->r[rs->n - 1].seq + 1;
	} while (rs->n - before == PORTEN_FREG_FEED_PAGE);
}

static void
assert_dense(freg_register *r, enum freg_pkg p, int64_t first, int64_t last)
{
	struct rows rs;
	int64_t bf = -1, bl = -1;

	read_feed(r, p, &rs);
	assert_int_equal(rs.n, (size_t)(last - first + 1));
	for (size_t i = 0; i < rs.n; i++)
		assert_int_equal(rs.r[i].seq, first + (int64_t)i);
	assert_int_equal(freg_register_feed_bounds(r, p, &bf, &bl), 0);
	assert_int_equal(bf, first);
	assert_int_equal(bl, last);
	free(rs.r);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* ---- tests ---- */

static void
test_ingest_new_person(void **state)
{
	struct fx *f = *state;
	struct freg_ingested out;
	struct rows rs;
	json_t *doc = NULL, *want = person_doc("01017012345", "Kari");
	char cur[12], pd[33], aj[FREG_TS_LEN + 1];
	size_t count = 0;

	assert_int_equal(ingest1(f->r, "01017012345", "personErOpprettet", "Kari", NULL, NULL,
	                         T0 - 3600, &out), 0);
	assert_int_equal(strlen(out.event_id), 32);
	assert_int_equal(strlen(out.persondoc_id), 32);
	assert_int_equal(strspn(out.event_id, "0123456789abcdef"), 32);
	assert_string_not_equal(out.event_id, out.persondoc_id);
	freg_ts_format(T0 - 3600, 0, aj);
	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		assert_int_equal(out.seq[p], 1);
		read_feed(f->r, (enum freg_pkg)p, &rs);
		assert_int_equal(rs.n, 1);
		assert_int_equal(rs.r[0].seq, 1);
		assert_int_equal(rs.r[0].stored, T0);
		assert_string_equal(rs.r[0].pid, "01017012345");
		assert_string_equal(rs.r[0].type, "personErOpprettet");
		assert_string_equal(rs.r[0].ev, out.event_id);
		assert_string_equal(rs.r[0].pd, out.persondoc_id);
		assert_string_equal(rs.r[0].aj, aj);
		free(rs.r);
	}
	assert_int_equal(freg_register_person(f->r, "01017012345", &doc, cur, pd), 0);
	assert_true(json_equal(doc, want));
	assert_string_equal(cur, "01017012345");
	assert_string_equal(pd, out.persondoc_id);
	assert_int_equal(freg_register_count(f->r, &count), 0);
	assert_int_equal(count, 1);
	/* seq past the end: no rows; limit 0: no rows. */
	memset(&rs, 0, sizeof(rs));
	assert_int_equal(freg_register_feed(f->r, FREG_OMH, 2, 1000, collect, &rs), 0);
	assert_int_equal(freg_register_feed(f->r, FREG_OMH, 0, 0, collect, &rs), 0);
	assert_int_equal(rs.n, 0);
	assert_int_equal(freg_register_feed(f->r, FREG_PKG_COUNT, 0, 10, collect, &rs),
	                 PORTEN_ERR_INVALID);
	json_decref(doc);
	json_decref(want);
}

static void
test_package_filter(void **state)
{
	struct fx *f = *state;
	struct freg_ingested out;
	int64_t first, last;

	assert_int_equal(ingest1(f->r, "01017012345", "personErOpprettet", "Kari", NULL, NULL,
	                         0, NULL), 0);
	assert_int_equal(ingest1(f->r, "01017012345", "endringIFamilierelasjon", "Kari", NULL,
	                         NULL, 0, &out), 0);
	/* Confidential-only type: OMH and FIN (by law) carry it, PRIV and the rest not. */
	assert_int_equal(out.seq[FREG_OMH], 2);
	assert_int_equal(out.seq[FREG_FIN], 2);
	assert_int_equal(out.seq[FREG_PRIV], 0);
	assert_int_equal(out.seq[FREG_PRESSE], 0);
	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		bool has = freg_pkg_feed_has((enum freg_pkg)p, "endringIFamilierelasjon");

		assert_int_equal(out.seq[p], has ? 2 : 0);
		assert_int_equal(freg_register_feed_bounds(f->r, (enum freg_pkg)p, &first, &last), 0);
		assert_int_equal(first, 1);
		assert_int_equal(last, has ? 2 : 1);
		assert_dense(f->r, (enum freg_pkg)p, 1, has ? 2 : 1);
	}
	/* The next open event follows each package's own numbering. */
	assert_int_equal(ingest1(f->r, "01017012345", "endringINavn", "Kari", NULL, NULL, 0, &out), 0);
	assert_int_equal(out.seq[FREG_OMH], 3);
	assert_int_equal(out.seq[FREG_PRIV], 2);
}

static const char *const mix[] = {
	"endringINavn", "endringIFamilierelasjon", "endringIBostedsadresse",
	"endringIUtenlandskPersonidentifikasjon", "endringIOpphold", "endringIFalskIdentitet",
};

static void
test_dense_batches(void **state)
{
	struct fx *f = *state;
	enum { N = 60 };
	struct freg_ingest ev[N];
	struct freg_ingested out[N];
	int64_t want[FREG_PKG_COUNT] = { 0 };
	json_t *docs[N];
	char pids[N][12];
	size_t sizes[] = { 1, 7, 22, 30 }, at = 0;

	for (int i = 0; i < N; i++) {
		mkpid(pids[i], 1, i % 10);
		docs[i] = person_doc(pids[i], "X");
		ev[i] = (struct freg_ingest){
			.pid = pids[i], .type = i < 10 ? "personErOpprettet" : mix[i % 6],
			.person = docs[i],
		};
	}
	for (size_t b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
		assert_int_equal(freg_register_ingest(f->r, ev + at, sizes[b], out + at), 0);
		at += sizes[b];
	}
	assert_int_equal(at, N);
	for (int i = 0; i < N; i++) {
		for (int p = 0; p < FREG_PKG_COUNT; p++) {
			if (freg_pkg_feed_has((enum freg_pkg)p, ev[i].type))
				assert_int_equal(out[i].seq[p], ++want[p]);
			else
				assert_int_equal(out[i].seq[p], 0);
		}
		json_decref(docs[i]);
	}
	for (int p = 0; p < FREG_PKG_COUNT; p++)
		assert_dense(f->r, (enum freg_pkg)p, 1, want[p]);
	assert_int_equal(want[FREG_OMH], N);
	assert_true(want[FREG_PRIV] < N);
}

static void
assert_unchanged(freg_register *r, int64_t last, size_t persons)
{
	size_t count = 0;

	for (int p = 0; p < FREG_PKG_COUNT; p++)
		assert_dense(r, (enum freg_pkg)p, 1, last);
	assert_int_equal(freg_register_count(r, &count), 0);
	assert_int_equal(count, persons);
}

static void
test_atomic(void **state)
{
	struct fx *f = *state;
	json_t *a = person_doc("02027012345", "A"), *b = person_doc("03037012345", "B");
	json_t *notarr = J("{\"x\":1}"), *notobj = J("[1]"), *big = NULL, *many = json_array();
	char *huge = malloc(PORTEN_FREG_PERSON_DOC_MAX + 1);
	struct freg_ingest ev[3];
	json_t *doc = NULL;

	assert_int_equal(ingest1(f->r, "01017012345", "personErOpprettet", "Kari", NULL, NULL,
	                         0, NULL), 0);
	assert_int_equal(ingest1(f->r, "09097012345", "personErOpprettet", "Ola", NULL, NULL,
	                         0, NULL), 0);
	/* Found before the transaction: the third event's egenskapshendelse. */
	ev[0] = (struct freg_ingest){ .pid = "02027012345", .type = "personErOpprettet", .person = a };
	ev[1] = (struct freg_ingest){ .pid = "03037012345", .type = "personErOpprettet", .person = b };
	ev[2] = (struct freg_ingest){ .pid = "01017012345", .type = "endringINavn",
	                              .egenskapshendelse = notarr, .person = a };
	assert_int_equal(freg_register_ingest(f->r, ev, 3, NULL), PORTEN_ERR_INVALID);
	assert_unchanged(f->r, 2, 2);
	/* Found inside the transaction, after two events were written: unknown merge
	 * target; then a new identifier that is another person's. */
	ev[2] = (struct freg_ingest){ .pid = "01017012345", .type = "personErOpphoertSomDublett",
	                              .merge_into = "55555555555" };
	assert_int_equal(freg_register_ingest(f->r, ev, 3, NULL), PORTEN_ERR_INVALID);
	assert_unchanged(f->r, 2, 2);
	ev[2] = (struct freg_ingest){ .pid = "01017012345", .type = "endringIIdentifikasjonsnummer",
	                              .person = a, .new_pid = "09097012345" };
	assert_int_equal(freg_register_ingest(f->r, ev, 3, NULL), PORTEN_ERR_EXISTS);
	assert_unchanged(f->r, 2, 2);
	/* Unknown identifier without a document. */
	ev[2] = (struct freg_ingest){ .pid = "04047012345", .type = "endringINavn" };
	assert_int_equal(freg_register_ingest(f->r, ev, 3, NULL), PORTEN_ERR_INVALID);
	assert_unchanged(f->r, 2, 2);
	assert_int_equal(freg_register_person(f->r, "02027012345", &doc, NULL, NULL),
	                 PORTEN_ERR_NOT_FOUND);
	assert_null(doc);
	assert_int_equal(freg_register_person(f->r, "03037012345", NULL, NULL, NULL),
	                 PORTEN_ERR_NOT_FOUND);

	/* Each malformed field alone. */
	assert_int_equal(ingest1(f->r, "0101701234", "endringINavn", "K", NULL, NULL, 0, NULL),
	                 PORTEN_ERR_INVALID);
	assert_int_equal(ingest1(f->r, "0101701234x", "endringINavn", "K", NULL, NULL, 0, NULL),
	                 PORTEN_ERR_INVALID);
	assert_int_equal(ingest1(f->r, "010170123456", "endringINavn", "K", NULL, NULL, 0, NULL),
	                 PORTEN_ERR_INVALID);
	assert_int_equal(ingest1(f->r, "01017012345", "", "K", NULL, NULL, 0, NULL),
	                 PORTEN_ERR_INVALID);
	assert_int_equal(ingest1(f->r, "01017012345", "endring I", "K", NULL, NULL, 0, NULL),
	                 PORTEN_ERR_INVALID);
	assert_int_equal(ingest1(f->r, "01017012345", "endringINavn", "K", "123", NULL, 0, NULL),
	                 PORTEN_ERR_INVALID);
	assert_int_equal(ingest1(f->r, "01017012345", "endringINavn", NULL, NULL, "1", 0, NULL),
	                 PORTEN_ERR_INVALID);
	assert_int_equal(ingest1(f->r, "01017012345", "endringINavn", "K", NULL, NULL, -1, NULL),
	                 PORTEN_ERR_INVALID);
	/* A merge that also brings a document; new id and merge together. */
	assert_int_equal(ingest1(f->r, "01017012345", "personErOpphoertSomDublett", "K", NULL,
	                         "09097012345", 0, NULL), PORTEN_ERR_INVALID);
	assert_int_equal(ingest1(f->r, "01017012345", "personErOpphoertSomDublett", NULL,
	                         "08087012345", "09097012345", 0, NULL), PORTEN_ERR_INVALID);
	ev[0] = (struct freg_ingest){ .pid = "01017012345", .type = "endringINavn", .person = notobj };
	assert_int_equal(freg_register_ingest(f->r, ev, 1, NULL), PORTEN_ERR_INVALID);
	/* Bounds: document size, entries, batch size. */
	assert_non_null(huge);
	memset(huge, 'a', PORTEN_FREG_PERSON_DOC_MAX);
	huge[PORTEN_FREG_PERSON_DOC_MAX] = '\0';
	big = json_pack("{s:s}", "navn", huge);
	ev[0] = (struct freg_ingest){ .pid = "01017012345", .type = "endringINavn", .person = big };
	assert_int_equal(freg_register_ingest(f->r, ev, 1, NULL), PORTEN_ERR_INVALID);
	for (int i = 0; i <= PORTEN_FREG_EVENT_ENTRIES_MAX; i++)
		json_array_append_new(many, json_object());
	ev[0] = (struct freg_ingest){ .pid = "01017012345", .type = "endringINavn", .person = a,
	                              .egenskapshendelse = many };
	assert_int_equal(freg_register_ingest(f->r, ev, 1, NULL), PORTEN_ERR_INVALID);
	assert_int_equal(freg_register_ingest(f->r, ev, 0, NULL), PORTEN_ERR_INVALID);
	assert_int_equal(freg_register_ingest(f->r, ev, PORTEN_FREG_INGEST_BATCH_MAX + 1, NULL),
	                 PORTEN_ERR_INVALID);
	assert_unchanged(f->r, 2, 2);
	/* And the register still takes a good batch. */
	assert_int_equal(freg_register_ingest(f->r, ev, 2, NULL), PORTEN_ERR_INVALID);
	json_array_clear(many);
	assert_int_equal(freg_register_ingest(f->r, ev, 1, NULL), 0);
	assert_unchanged(f->r, 3, 2);
	free(huge);
	json_decref(big);
	json_decref(many);
	json_decref(a);
	json_decref(b);
	json_decref(notarr);
	json_decref(notobj);
}

static void
test_event_doc_bytes(void **state)
{
	struct fx *f = *state;
	json_t *eh = J("[{\"entitet\":\"navn\",\"entitetsendring\":\"registrereNy\","
	               "\"navn\":{\"fornavn\":\"Åse\",\"etternavn\":\"Ås\"}}]");
	json_t *p = person_doc("01017012345", "Åse");
	struct freg_ingest ev = { .pid = "01017012345", .type = "personErOpprettet",
	                          .egenskapshendelse = eh, .person = p, .ajourhold = T0 - 60 };
	struct freg_ingested out;
	char want[1024], aj[FREG_TS_LEN + 1], *doc = NULL;
	size_t len = 0;
	int64_t stored = 0;

	assert_int_equal(freg_register_ingest(f->r, &ev, 1, &out), 0);
	freg_ts_format(T0 - 60, 0, aj);
	assert_string_equal(aj, "2026-01-01T00:59:00.000+01:00");
	snprintf(want, sizeof(want),
	         "{\"dokumentidentifikator\":\"%s\",\"skjemaversjon\":\"1.0\",\"hendelse\":"
	         "{\"folkeregisteridentifikator\":\"01017012345\",\"hendelsestype\":"
	         "\"personErOpprettet\",\"ajourholdstidspunkt\":\"%s\",\"egenskapshendelse\":"
	         "[{\"entitet\":\"navn\",\"entitetsendring\":\"registrereNy\",\"navn\":"
	         "{\"fornavn\":\"Åse\",\"etternavn\":\"Ås\"}}]}}", out.event_id, aj);
	assert_int_equal(freg_register_event_doc(f->r, out.event_id, &doc, &len, &stored), 0);
	assert_string_equal(doc, want);
	assert_int_equal(len, strlen(want));
	assert_int_equal(stored, T0);
	free(doc);

	/* No egenskapshendelse, ajourhold 0: [] and the store time. */
	porten_clock_pin(T0 + 7200);
	assert_int_equal(ingest1(f->r, "01017012345", "personErOppdatert", "Åse", NULL, NULL, 0,
	                         &out), 0);
	freg_ts_format(T0 + 7200, 0, aj);
	snprintf(want, sizeof(want),
	         "{\"dokumentidentifikator\":\"%s\",\"skjemaversjon\":\"1.0\",\"hendelse\":"
	         "{\"folkeregisteridentifikator\":\"01017012345\",\"hendelsestype\":"
	         "\"personErOppdatert\",\"ajourholdstidspunkt\":\"%s\",\"egenskapshendelse\":[]}}",
	         out.event_id, aj);
	assert_int_equal(freg_register_event_doc(f->r, out.event_id, &doc, NULL, NULL), 0);
	assert_string_equal(doc, want);
	free(doc);
	json_decref(eh);
	json_decref(p);
}

static void
test_versions(void **state)
{
	struct fx *f = *state;
	struct freg_ingested v1, v2, v3;
	json_t *doc = NULL;
	int64_t sup = -1;
	char pd[33];

	assert_int_equal(ingest1(f->r, "01017012345", "personErOpprettet", "One", NULL, NULL, 0,
	                         &v1), 0);
	porten_clock_pin(T0 + 10);
	assert_int_equal(ingest1(f->r, "01017012345", "endringINavn", "Two", NULL, NULL, 0,
	                         &v2), 0);
	porten_clock_pin(T0 + 20);
	assert_int_equal(ingest1(f->r, "01017012345", "endringINavn", "Three", NULL, NULL, 0,
	                         &v3), 0);
	/* An event without a new version leaves the current one. */
	porten_clock_pin(T0 + 30);
	assert_int_equal(ingest1(f->r, "01017012345", "personErOppdatert", NULL, NULL, NULL, 0,
	                         NULL), 0);

	assert_int_equal(freg_register_persondoc(f->r, v1.persondoc_id, &doc, &sup), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(doc, "navn"), 0), "fornavn")), "One");
	assert_int_equal(sup, T0 + 10);
	json_decref(doc);
	assert_int_equal(freg_register_persondoc(f->r, v2.persondoc_id, &doc, &sup), 0);
	assert_int_equal(sup, T0 + 20);
	json_decref(doc);
	assert_int_equal(freg_register_persondoc(f->r, v3.persondoc_id, &doc, &sup), 0);
	assert_int_equal(sup, 0);
	json_decref(doc);
	assert_int_equal(freg_register_person(f->r, "01017012345", &doc, NULL, pd), 0);
	assert_string_equal(pd, v3.persondoc_id);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(doc, "navn"), 0), "fornavn")), "Three");
	json_decref(doc);
	/* doc NULL: only the id. */
	assert_int_equal(freg_register_persondoc(f->r, v2.persondoc_id, NULL, &sup), 0);
	assert_int_equal(sup, T0 + 20);
}

static void
test_new_pid(void **state)
{
	struct fx *f = *state;
	struct freg_ingested out;
	struct rows rs;
	json_t *doc = NULL;
	char cur[12], pd[33], cur2[12];
	size_t count = 0;

	assert_int_equal(ingest1(f->r, "01017012345", "personErOpprettet", "Kari", NULL, NULL, 0,
	                         NULL), 0);
	assert_int_equal(ingest1(f->r, "09097012345", "personErOpprettet", "Ola", NULL, NULL, 0,
	                         NULL), 0);
	assert_int_equal(ingest1(f->r, "01017012345", "endringIIdentifikasjonsnummer", "Kari",
	                         "01417012345", NULL, 0, &out), 0);
	assert_int_equal(freg_register_person(f->r, "01017012345", &doc, cur, pd), 0);
	assert_string_equal(cur, "01417012345");
	assert_string_equal(pd, out.persondoc_id);
	json_decref(doc);
	assert_int_equal(freg_register_person(f->r, "01417012345", NULL, cur2, NULL), 0);
	assert_string_equal(cur2, "01417012345");
	/* The event is on the identifier it was given (the old one). */
	read_feed(f->r, FREG_OMH, &rs);
	assert_int_equal(rs.n, 3);
	assert_string_equal(rs.r[2].pid, "01017012345");
	assert_string_equal(rs.r[2].type, "endringIIdentifikasjonsnummer");
	free(rs.r);
	/* Events on the new one reach the same person; count and pick see one person. */
	assert_int_equal(ingest1(f->r, "01417012345", "personErBosatt", "Kari", NULL, NULL, 0,
	                         &out), 0);
	assert_int_equal(freg_register_person(f->r, "01017012345", NULL, NULL, pd), 0);
	assert_string_equal(pd, out.persondoc_id);
	assert_int_equal(freg_register_count(f->r, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(freg_register_pick(f->r, 0, cur), 0);
	assert_string_equal(cur, "01417012345");
	/* Another person's identifier: EXISTS; the person's own old one: allowed, current again. */
	assert_int_equal(ingest1(f->r, "01417012345", "endringIIdentifikasjonsnummer", "Kari",
	                         "09097012345", NULL, 0, NULL), PORTEN_ERR_EXISTS);
	assert_int_equal(ingest1(f->r, "01417012345", "endringIIdentifikasjonsnummer", "Kari",
	                         "01017012345", NULL, 0, NULL), 0);
	assert_int_equal(freg_register_person(f->r, "01417012345", NULL, cur, NULL), 0);
	assert_string_equal(cur, "01017012345");
}

static void
test_merge(void **state)
{
	struct fx *f = *state;
	struct freg_ingested a, b, b2, m;
	struct rows rs;
	json_t *doc = NULL, *want = person_doc("01017012345", "Survivor");
	char cur[12], pd[33];
	int64_t sup = -1;
	size_t count = 0;

	assert_int_equal(ingest1(f->r, "01017012345", "personErOpprettet", "Survivor", NULL, NULL,
	                         0, &a), 0);
	assert_int_equal(ingest1(f->r, "02027012345", "personErOpprettet", "Dup", NULL, NULL, 0,
	                         &b), 0);
	assert_int_equal(ingest1(f->r, "02027012345", "endringIIdentifikasjonsnummer", "Dup",
	                         "02427012345", NULL, 0, &b2), 0);
	assert_int_equal(freg_register_count(f->r, &count), 0);
	assert_int_equal(count, 2);
	/* Merging into oneself or into nobody. */
	assert_int_equal(ingest1(f->r, "02027012345", "personErOpphoertSomDublett", NULL, NULL,
	                         "02427012345", 0, NULL), PORTEN_ERR_INVALID);
	assert_int_equal(ingest1(f->r, "02027012345", "personErOpphoertSomDublett", NULL, NULL,
	                         "07077012345", 0, NULL), PORTEN_ERR_INVALID);

	porten_clock_pin(T0 + 5);
	assert_int_equal(ingest1(f->r, "02427012345", "personErOpphoertSomDublett", NULL, NULL,
	                         "01017012345", 0, &m), 0);
	assert_string_equal(m.persondoc_id, "");
	for (int p = 0; p < FREG_PKG_COUNT; p++)
		assert_int_equal(m.seq[p], 4);
	read_feed(f->r, FREG_OMH, &rs);
	assert_int_equal(rs.n, 4);
	assert_string_equal(rs.r[3].pd, "");
	assert_string_equal(rs.r[3].ev, m.event_id);
	assert_string_equal(rs.r[3].pid, "02427012345");
	free(rs.r);
	/* Every identifier of the duplicate resolves to the survivor. */
	static const char *const ids[] = { "02027012345", "02427012345", "01017012345" };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(freg_register_person(f->r, ids[i], &doc, cur, pd), 0);
		assert_true(json_equal(doc, want));
		assert_string_equal(cur, "01017012345");
		assert_string_equal(pd, a.persondoc_id);
		json_decref(doc);
	}
	/* The duplicate's last version stopped being current at the merge. */
	assert_int_equal(freg_register_persondoc(f->r, b2.persondoc_id, NULL, &sup), 0);
	assert_int_equal(sup, T0 + 5);
	assert_int_equal(freg_register_persondoc(f->r, b.persondoc_id, NULL, &sup), 0);
	assert_int_equal(sup, T0);    /* superseded by the identifier change's version */
	assert_int_equal(freg_register_count(f->r, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(freg_register_pick(f->r, 0, cur), 0);
	assert_string_equal(cur, "01017012345");
	assert_int_equal(freg_register_pick(f->r, 1, cur), PORTEN_ERR_NOT_FOUND);
	/* Events on a duplicate's identifier now change the survivor. */
	assert_int_equal(ingest1(f->r, "02027012345", "endringINavn", "Survivor", NULL, NULL, 0,
	                         &m), 0);
	assert_int_equal(freg_register_person(f->r, "01017012345", NULL, NULL, pd), 0);
	assert_string_equal(pd, m.persondoc_id);
	assert_int_equal(freg_register_persondoc(f->r, a.persondoc_id, NULL, &sup), 0);
	assert_int_equal(sup, T0 + 5);
	json_decref(want);
}

static void
to_uuid(const char *hex, char out[37], int upper)
{
	size_t k = 0;

	for (size_t i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[k++] = '-';
		out[k++] = upper && hex[i] >= 'a' ? (char)(hex[i] - 'a' + 'A') : hex[i];
	}
	out[k] = '\0';
}

static void
test_uuid_and_unknown_ids(void **state)
{
	struct fx *f = *state;
	struct freg_ingested out;
	char uuid[37], up[33], *doc = NULL, *doc2 = NULL, bad[40];
	json_t *pdoc = NULL;
	int64_t sup = -1;

	assert_int_equal(ingest1(f->r, "01017012345", "personErOpprettet", "Kari", NULL, NULL, 0,
	                         &out), 0);
	assert_int_equal(freg_register_event_doc(f->r, out.event_id, &doc, NULL, NULL), 0);
	to_uuid(out.event_id, uuid, 0);
	assert_int_equal(freg_register_event_doc(f->r, uuid, &doc2, NULL, NULL), 0);
	assert_string_equal(doc, doc2);
	free(doc2);
	to_uuid(out.event_id, uuid, 1);
	assert_int_equal(freg_register_event_doc(f->r, uuid, &doc2, NULL, NULL), 0);
	assert_string_equal(doc, doc2);
	free(doc2);
	for (size_t i = 0; i < 33; i++)
		up[i] = out.event_id[i] >= 'a' ? (char)(out.event_id[i] - 'a' + 'A') : out.event_id[i];
	assert_int_equal(freg_register_event_doc(f->r, up, &doc2, NULL, NULL), 0);
	free(doc2);
	to_uuid(out.persondoc_id, uuid, 1);
	assert_int_equal(freg_register_persondoc(f->r, uuid, &pdoc, &sup), 0);
	assert_int_equal(sup, 0);
	json_decref(pdoc);
	/* An event id is not a persondokument id, and the other way round. */
	assert_int_equal(freg_register_persondoc(f->r, out.event_id, NULL, NULL),
	                 PORTEN_ERR_NOT_FOUND);
	assert_int_equal(freg_register_event_doc(f->r, out.persondoc_id, &doc2, NULL, NULL),
	                 PORTEN_ERR_NOT_FOUND);
	assert_null(doc2);

	/* Unknown or malformed. */
	static const char *const unknown[] = {
		"00000000000000000000000000000000",
		"00000000-0000-0000-0000-000000000000",
		"", "abc",
	};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_int_equal(freg_register_event_doc(f->r, unknown[i], &doc2, NULL, NULL),
		                 PORTEN_ERR_NOT_FOUND);
		assert_int_equal(freg_register_persondoc(f->r, unknown[i], NULL, NULL),
		                 PORTEN_ERR_NOT_FOUND);
	}
	assert_int_equal(freg_register_event_doc(f->r, NULL, &doc2, NULL, NULL), PORTEN_ERR_NOT_FOUND);
	/* One character short, long, off, or a hyphen misplaced. */
	snprintf(bad, sizeof(bad), "%.31s", out.event_id);
	assert_int_equal(freg_register_event_doc(f->r, bad, &doc2, NULL, NULL), PORTEN_ERR_NOT_FOUND);
	snprintf(bad, sizeof(bad), "%s0", out.event_id);
	assert_int_equal(freg_register_event_doc(f->r, bad, &doc2, NULL, NULL), PORTEN_ERR_NOT_FOUND);
	snprintf(bad, sizeof(bad), "%sg", out.event_id);
	bad[31] = 'g';
	bad[32] = '\0';
	assert_int_equal(freg_register_event_doc(f->r, bad, &doc2, NULL, NULL), PORTEN_ERR_NOT_FOUND);
	to_uuid(out.event_id, uuid, 0);
	uuid[8] = uuid[9];
	uuid[9] = '-';
	assert_int_equal(freg_register_event_doc(f->r, uuid, &doc2, NULL, NULL), PORTEN_ERR_NOT_FOUND);
	to_uuid(out.event_id, uuid, 0);
	snprintf(bad, sizeof(bad), "{%s}", uuid);
	assert_int_equal(freg_register_event_doc(f->r, bad, &doc2, NULL, NULL), PORTEN_ERR_NOT_FOUND);
	assert_null(doc2);
	/* Persons. */
	assert_int_equal(freg_register_person(f->r, "01017012346", &pdoc, NULL, NULL),
	                 PORTEN_ERR_NOT_FOUND);
	assert_int_equal(freg_register_person(f->r, "0101701234", &pdoc, NULL, NULL),
	                 PORTEN_ERR_NOT_FOUND);
	assert_int_equal(freg_register_person(f->r, "010170123456", &pdoc, NULL, NULL),
	                 PORTEN_ERR_NOT_FOUND);
	assert_int_equal(freg_register_person(f->r, NULL, &pdoc, NULL, NULL), PORTEN_ERR_NOT_FOUND);
	assert_null(pdoc);
	free(doc);
}

static void
test_purge(void **state)
{
	struct fx *f = *state;
	struct freg_ingested c[5], u[5], n;
	struct rows rs;
	char pid[12], *doc = NULL;
	size_t deleted = 99;
	int64_t sup;

	for (int i = 0; i < 5; i++) {
		mkpid(pid, 1, i);
		assert_int_equal(ingest1(f->r, pid, "personErOpprettet", "A", NULL, NULL, 0, &c[i]), 0);
	}
	porten_clock_pin(T0 + 100);
	for (int i = 0; i < 5; i++) {
		mkpid(pid, 1, i);
		assert_int_equal(ingest1(f->r, pid, "endringINavn", "B", NULL, NULL, 0, &u[i]), 0);
	}
	/* Nothing older than T0: nothing goes. */
	assert_int_equal(freg_register_purge(f->r, T0, T0, &deleted), 0);
	assert_int_equal(deleted, 0);
	/* Feed rows and event documents of the first five. */
	assert_int_equal(freg_register_purge(f->r, T0 + 50, T0 + 50, &deleted), 0);
	assert_int_equal(deleted, FREG_PKG_COUNT * 5 + 5);
	for (int p = 0; p < FREG_PKG_COUNT; p++)
		assert_dense(f->r, (enum freg_pkg)p, 6, 10);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(freg_register_event_doc(f->r, c[i].event_id, &doc, NULL, NULL),
		                 PORTEN_ERR_NOT_FOUND);
		assert_int_equal(freg_register_event_doc(f->r, u[i].event_id, &doc, NULL, NULL), 0);
		free(doc);
		/* Superseded at T0 + 100: kept. */
		assert_int_equal(freg_register_persondoc(f->r, c[i].persondoc_id, NULL, &sup), 0);
		assert_int_equal(sup, T0 + 100);
	}
	/* Documents only: the feed keeps its rows, with everything a row shows. */
	assert_int_equal(freg_register_purge(f->r, T0 + 50, T0 + 150, &deleted), 0);
	assert_int_equal(deleted, 5 + 5);
	read_feed(f->r, FREG_PRIV, &rs);
	assert_int_equal(rs.n, 5);
	for (int i = 0; i < 5; i++) {
		mkpid(pid, 1, i);
		assert_int_equal(rs.r[i].seq, 6 + i);
		assert_string_equal(rs.r[i].ev, u[i].event_id);
		assert_string_equal(rs.r[i].pd, u[i].persondoc_id);
		assert_string_equal(rs.r[i].pid, pid);
		assert_int_equal(freg_register_event_doc(f->r, u[i].event_id, &doc, NULL, NULL),
		                 PORTEN_ERR_NOT_FOUND);
		assert_int_equal(freg_register_persondoc(f->r, c[i].persondoc_id, NULL, NULL),
		                 PORTEN_ERR_NOT_FOUND);
		/* The current version is never purged. */
		assert_int_equal(freg_register_persondoc(f->r, u[i].persondoc_id, NULL, &sup), 0);
		assert_int_equal(sup, 0);
		assert_int_equal(freg_register_person(f->r, pid, NULL, NULL, NULL), 0);
	}
	free(rs.r);
	/* Everything: first moves to last + 1, and numbering goes on from there. */
	assert_int_equal(freg_register_purge(f->r, T0 + 1000, T0 + 1000, &deleted), 0);
	assert_int_equal(deleted, FREG_PKG_COUNT * 5);
	for (int p = 0; p < FREG_PKG_COUNT; p++)
		assert_dense(f->r, (enum freg_pkg)p, 11, 10);
	assert_int_equal(freg_register_purge(f->r, T0 + 1000, T0 + 1000, NULL), 0);
	porten_clock_pin(T0 + 2000);
	assert_int_equal(ingest1(f->r, "01000000000", "endringINavn", "C", NULL, NULL, 0, &n), 0);
	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		assert_int_equal(n.seq[p], 11);
		assert_dense(f->r, (enum freg_pkg)p, 11, 11);
	}
}

struct cons {
	size_t n;
	char org[8][10];
	unsigned mask[8];
};

static int
cons_cb(void *ctx, const char *orgno, unsigned mask)
{
	struct cons *c = ctx;

	assert_true(c->n < 8);
	snprintf(c->org[c->n], 10, "%s", orgno);
	c->mask[c->n++] = mask;
	return 0;
}

static void
test_consumers(void **state)
{
	struct fx *f = *state;
	struct cons c = { 0 };
	unsigned m = 0;

	assert_int_equal(freg_register_consumer_get(f->r, "910000001", &m), PORTEN_ERR_NOT_FOUND);
	assert_int_equal(freg_register_consumer_set(f->r, "910000003", 1u << FREG_OMH), 0);
	assert_int_equal(freg_register_consumer_set(f->r, "910000001",
	                 (1u << FREG_PRIV) | (1u << FREG_FIN)), 0);
	assert_int_equal(freg_register_consumer_set(f->r, "910000002", (1u << FREG_PKG_COUNT) - 1), 0);
	assert_int_equal(freg_register_consumer_get(f->r, "910000001", &m), 0);
	assert_int_equal(m, (1u << FREG_PRIV) | (1u << FREG_FIN));
	assert_int_equal(freg_register_consumer_set(f->r, "910000001", 1u << FREG_EID), 0);
	assert_int_equal(freg_register_consumer_get(f->r, "910000001", &m), 0);
	assert_int_equal(m, 1u << FREG_EID);
	assert_int_equal(freg_register_consumer_list(f->r, cons_cb, &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.org[0], "910000001");
	assert_string_equal(c.org[1], "910000002");
	assert_string_equal(c.org[2], "910000003");
	assert_int_equal(c.mask[0], 1u << FREG_EID);
	assert_int_equal(c.mask[1], (1u << FREG_PKG_COUNT) - 1);
	assert_int_equal(c.mask[2], 1u << FREG_OMH);
	/* The one-read call state: mask and bounds (an empty feed: first 1, last 0). */
	{
		int64_t first = -1, last = -1;

		assert_int_equal(freg_register_call_state(f->r, "910000001", FREG_EID, &m, &first, &last), 0);
		assert_int_equal(m, 1u << FREG_EID);
		assert_int_equal(first, 1);
		assert_int_equal(last, 0);
		assert_int_equal(freg_register_call_state(f->r, "999999999", FREG_OMH, &m, &first, &last), 0);
		assert_int_equal(m, 0);
		assert_int_equal(freg_register_call_state(f->r, "not-orgno", FREG_OMH, &m, &first, &last), 0);
		assert_int_equal(m, 0);
	}
	/* 0 removes. */
	assert_int_equal(freg_register_consumer_set(f->r, "910000002", 0), 0);
	assert_int_equal(freg_register_consumer_get(f->r, "910000002", &m), PORTEN_ERR_NOT_FOUND);
	memset(&c, 0, sizeof(c));
	assert_int_equal(freg_register_consumer_list(f->r, cons_cb, &c), 0);
	assert_int_equal(c.n, 2);
	/* Malformed. */
	assert_int_equal(freg_register_consumer_set(f->r, "91000000", 1), PORTEN_ERR_INVALID);
	assert_int_equal(freg_register_consumer_set(f->r, "9100000011", 1), PORTEN_ERR_INVALID);
	assert_int_equal(freg_register_consumer_set(f->r, "91000000x", 1), PORTEN_ERR_INVALID);
	assert_int_equal(freg_register_consumer_set(f->r, NULL, 1), PORTEN_ERR_INVALID);
	assert_int_equal(freg_register_consumer_set(f->r, "910000001", 1u << FREG_PKG_COUNT),
	                 PORTEN_ERR_INVALID);
	assert_int_equal(freg_register_consumer_get(f->r, "x", &m), PORTEN_ERR_NOT_FOUND);
}

struct aud {
	size_t n;
	struct freg_audit a[16];
	int stop;
};

static int
aud_cb(void *ctx, const struct freg_audit *a)
{
	struct aud *x = ctx;

	assert_true(x->n < 16);
	x->a[x->n++] = *a;
	return x->stop != 0 && (int)x->n == x->stop ? 9 : 0;
}

static struct freg_audit
mkaud(int64_t at, const char *cons, const char *sup, enum freg_pkg p, const char *res,
	const char *pid, int status)
{
	struct freg_audit a;

	memset(&a, 0, sizeof(a));
	a.at = at;
	snprintf(a.consumer, sizeof(a.consumer), "%s", cons);
	snprintf(a.supplier, sizeof(a.supplier), "%s", sup);
	a.pkg = p;
	snprintf(a.resource, sizeof(a.resource), "%s", res);
	snprintf(a.pid, sizeof(a.pid), "%s", pid);
	a.status = status;
	return a;
}

static void
test_audit(void **state)
{
	struct fx *f = *state;
	struct freg_audit recs[6] = {
		mkaud(T0 + 5, "910000001", "", FREG_OMH, "hendelser/feed", "", 200),
		mkaud(T0 + 1, "910000002", "920000001", FREG_PRIV, "personer/{id}", "01017012345", 200),
		mkaud(T0 + 3, "910000001", "", FREG_OMH, "personer/{id}", "01017012345", 404),
		mkaud(T0 + 3, "910000002", "", FREG_FIN, "personer/{id}", "02027012345", 200),
		mkaud(T0 + 9, "910000001", "", FREG_EID, "personer/{id}", "01017012345", 200),
		mkaud(T0 + 1, "910000001", "", FREG_OMH, "hendelser/{id}", "", 410),
	};
	struct freg_audit bad = recs[0];
	struct aud x = { 0 };

	assert_int_equal(freg_register_audit_append(f->r, recs, 3), 0);
	assert_int_equal(freg_register_audit_append(f->r, recs + 3, 3), 0);
	/* All, oldest first; equal times in insertion order. */
	assert_int_equal(freg_register_audit_query(f->r, 0, 0, NULL, NULL, 100, aud_cb, &x), 0);
	assert_int_equal(x.n, 6);
	static const int order[6] = { 1, 5, 2, 3, 0, 4 };
	for (int i = 0; i < 6; i++) {
		const struct freg_audit *g = &x.a[i], *w = &recs[order[i]];

		assert_int_equal(g->at, w->at);
		assert_string_equal(g->consumer, w->consumer);
		assert_string_equal(g->supplier, w->supplier);
		assert_int_equal(g->pkg, w->pkg);
		assert_string_equal(g->resource, w->resource);
		assert_string_equal(g->pid, w->pid);
		assert_int_equal(g->status, w->status);
	}
	/* [from, to). */
	memset(&x, 0, sizeof(x));
	assert_int_equal(freg_register_audit_query(f->r, T0 + 1, T0 + 5, "", "", 100, aud_cb, &x), 0);
	assert_int_equal(x.n, 4);
	assert_int_equal(x.a[3].at, T0 + 3);
	/* One consumer. */
	memset(&x, 0, sizeof(x));
	assert_int_equal(freg_register_audit_query(f->r, 0, 0, "910000001", NULL, 100, aud_cb, &x), 0);
	assert_int_equal(x.n, 4);
	assert_int_equal(x.a[0].status, 410);
	assert_int_equal(x.a[3].at, T0 + 9);
	/* One person. */
	memset(&x, 0, sizeof(x));
	assert_int_equal(freg_register_audit_query(f->r, 0, 0, NULL, "01017012345", 100, aud_cb, &x), 0);
	assert_int_equal(x.n, 3);
	assert_string_equal(x.a[0].supplier, "920000001");
	/* Both, and a range. */
	memset(&x, 0, sizeof(x));
	assert_int_equal(freg_register_audit_query(f->r, T0 + 2, T0 + 10, "910000001",
	                                           "01017012345", 100, aud_cb, &x), 0);
	assert_int_equal(x.n, 2);
	assert_int_equal(x.a[0].status, 404);
	assert_int_equal(x.a[1].pkg, FREG_EID);
	/* Limit, and a callback that stops. */
	memset(&x, 0, sizeof(x));
	assert_int_equal(freg_register_audit_query(f->r, 0, 0, NULL, NULL, 2, aud_cb, &x), 0);
	assert_int_equal(x.n, 2);
	memset(&x, 0, sizeof(x));
	x.stop = 3;
	assert_int_equal(freg_register_audit_query(f->r, 0, 0, NULL, NULL, 100, aud_cb, &x), 9);
	assert_int_equal(x.n, 3);
	memset(&x, 0, sizeof(x));
	assert_int_equal(freg_register_audit_query(f->r, 0, 0, "999999999", NULL, 100, aud_cb, &x), 0);
	assert_int_equal(x.n, 0);
	/* Malformed records: nothing of the batch is written. */
	bad.pkg = FREG_PKG_COUNT;
	struct freg_audit two[2] = { recs[0], bad };
	assert_int_equal(freg_register_audit_append(f->r, two, 2), PORTEN_ERR_INVALID);
	memset(two[1].resource, 'x', sizeof(two[1].resource));
	two[1].pkg = FREG_OMH;
	assert_int_equal(freg_register_audit_append(f->r, two, 2), PORTEN_ERR_INVALID);
	memset(&x, 0, sizeof(x));
	assert_int_equal(freg_register_audit_query(f->r, 0, 0, NULL, NULL, 100, aud_cb, &x), 0);
	assert_int_equal(x.n, 6);
}

/* Every record of a query, in order, whatever the count (aud_cb holds 16). */
struct audall {
	size_t n;
	struct freg_audit a[400];
};

static int
audall_cb(void *ctx, const struct freg_audit *a)
{
	struct audall *x = ctx;

	assert_true(x->n < 400);
	x->a[x->n++] = *a;
	return 0;
}

/* Queries by person see every record, whether the SQLite writer has put it into the
 * index by person yet (freg_register_audit_index, sql/sqlite/006_audit_pid.sql) or not:
 * random records, batches and merges, each query against the records filtered and
 * ordered here (at, then append order). */
static void
test_audit_index(void **state)
{
	struct fx *f = *state;
	static const char *const pids[4] = { "01017012345", "02027012345", "03037012345", "" };
	static const char *const cons[2] = { "910000001", "910000002" };
	struct freg_audit all[400], batch[16];
	struct audall got, want;
	size_t n = 0;

	srand(7);
	while (n + 16 <= 400) {
		size_t k = 1 + (size_t)rand() % 16;

		bool bulk = rand() % 2 == 0;   /* a bulk answer's records: one row on SQLite */
		int64_t bat = T0 + rand() % 50;
		const char *bcon = cons[rand() % 2];

		for (size_t i = 0; i < k; i++) {
			/* at: not in append order, so a record from the tail can sort before an
			 * indexed one; a bulk answer has the same person twice now and then, and
			 * one without a person breaks its row */
			batch[i] = mkaud(bulk ? bat : T0 + rand() % 50, bulk ? bcon : cons[rand() % 2], "",
			                 FREG_OMH, "personer/{id}", pids[rand() % 4], bulk ? 200 : 200 + (int)n);
			all[n++] = batch[i];
		}
		assert_int_equal(freg_register_audit_append(f->r, batch, k), 0);
		if (rand() % 3 == 0)
			assert_int_equal(freg_register_audit_index(f->r), 0);
		for (int q = 0; q < 6; q++) {
			const char *pid = rand() % 4 ? pids[rand() % 3] : NULL;   /* NULL: everyone */
			const char *con = rand() % 2 ? cons[rand() % 2] : NULL;
			int64_t from = T0 + rand() % 30, to = from + 1 + rand() % 30;
			size_t limit = rand() % 2 ? 400 : 1 + (size_t)rand() % 10;

			memset(&want, 0, sizeof(want));
			for (int64_t at = from; at < to; at++)   /* (at, append order) */
				for (size_t i = 0; i < n && want.n < limit; i++)
					if (all[i].at == at && (pid == NULL || strcmp(all[i].pid, pid) == 0) &&
					    (con == NULL || strcmp(all[i].consumer, con) == 0))
						want.a[want.n++] = all[i];
			memset(&got, 0, sizeof(got));
			assert_int_equal(freg_register_audit_query(f->r, from, to, con, pid, limit,
			                                           audall_cb, &got), 0);
			assert_int_equal(got.n, want.n);
			for (size_t i = 0; i < got.n; i++) {
				assert_int_equal(got.a[i].at, want.a[i].at);
				assert_int_equal(got.a[i].status, want.a[i].status);   /* which record (or bulk) */
				assert_string_equal(got.a[i].pid, want.a[i].pid);
				assert_string_equal(got.a[i].consumer, want.a[i].consumer);
			}
		}
	}
	/* Everything indexed, and an index run with nothing new. */
	assert_int_equal(freg_register_audit_index(f->r), 0);
	assert_int_equal(freg_register_audit_index(f->r), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(freg_register_audit_query(f->r, 0, 0, NULL, pids[1], 400, audall_cb, &got), 0);
	memset(&want, 0, sizeof(want));
	for (int64_t at = T0; at < T0 + 50; at++)
		for (size_t i = 0; i < n; i++)
			if (all[i].at == at && strcmp(all[i].pid, pids[1]) == 0)
				want.a[want.n++] = all[i];
	assert_true(want.n > 20);
	assert_int_equal(got.n, want.n);
	for (size_t i = 0; i < got.n; i++)
		assert_int_equal(got.a[i].status, want.a[i].status);
	assert_int_equal(freg_register_audit_index(NULL), PORTEN_ERR_INVALID);
	/* A person that is not UTF-8 (no JSON string) breaks a row into single records; the
	 * records and their order stay (SQLite only: PostgreSQL refuses such text). */
	if (!on_pg) {
		struct freg_audit odd[4] = {
			mkaud(T0 + 60, "910000009", "", FREG_OMH, "personer/bulkoppslag", "111", 200),
			mkaud(T0 + 60, "910000009", "", FREG_OMH, "personer/bulkoppslag", "\xff\xfe", 200),
			mkaud(T0 + 60, "910000009", "", FREG_OMH, "personer/bulkoppslag", "222", 200),
			mkaud(T0 + 60, "910000009", "", FREG_OMH, "personer/bulkoppslag", "333", 200),
		};

		assert_int_equal(freg_register_audit_append(f->r, odd, 4), 0);
		memset(&got, 0, sizeof(got));
		assert_int_equal(freg_register_audit_query(f->r, 0, 0, "910000009", NULL, 400, audall_cb,
		                                           &got), 0);
		assert_int_equal(got.n, 4);
		for (size_t i = 0; i < 4; i++)
			assert_string_equal(got.a[i].pid, odd[i].pid);
		memset(&got, 0, sizeof(got));
		assert_int_equal(freg_register_audit_query(f->r, 0, 0, NULL, "222", 400, audall_cb, &got), 0);
		assert_int_equal(got.n, 1);
	}
}

static void
test_pick_count(void **state)
{
	struct fx *f = *state;
	enum { N = 10 };
	char pids[N][12], got[N][12], cur[12];
	size_t count = 99;

	assert_int_equal(freg_register_count(f->r, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(freg_register_pick(f->r, 0, cur), PORTEN_ERR_NOT_FOUND);
	for (int i = 0; i < N; i++) {
		mkpid(pids[i], 5, i);
		assert_int_equal(ingest1(f->r, pids[i], "personErOpprettet", "P", NULL, NULL, 0, NULL), 0);
	}
	assert_int_equal(freg_register_count(f->r, &count), 0);
	assert_int_equal(count, N);
	/* Creation order. */
	for (int i = 0; i < N; i++) {
		assert_int_equal(freg_register_pick(f->r, (size_t)i, cur), 0);
		assert_string_equal(cur, pids[i]);
	}
	assert_int_equal(freg_register_pick(f->r, N, cur), PORTEN_ERR_NOT_FOUND);
	assert_int_equal(freg_register_pick(f->r, SIZE_MAX, cur), PORTEN_ERR_NOT_FOUND);
	/* A merge frees slot 3; the last person moves into it; the order is otherwise kept. */
	assert_int_equal(ingest1(f->r, pids[3], "personErOpphoertSomDublett", NULL, NULL, pids[0],
	                         0, NULL), 0);
	assert_int_equal(freg_register_count(f->r, &count), 0);
	assert_int_equal(count, N - 1);
	for (int i = 0; i < N - 1; i++)
		assert_int_equal(freg_register_pick(f->r, (size_t)i, got[i]), 0);
	assert_string_equal(got[3], pids[N - 1]);
	for (int i = 0; i < N - 1; i++)
		if (i != 3)
			assert_string_equal(got[i], pids[i]);
	/* Merging the last person: no move needed. */
	assert_int_equal(ingest1(f->r, pids[8], "personErOpphoertSomDublett", NULL, NULL, pids[1],
	                         0, NULL), 0);
	assert_int_equal(freg_register_count(f->r, &count), 0);
	assert_int_equal(count, N - 2);
	assert_int_equal(freg_register_pick(f->r, N - 2, cur), PORTEN_ERR_NOT_FOUND);
	qsort(got, N - 2, sizeof(got[0]), cmp_str);
	for (int i = 0; i + 1 < N - 2; i++)
		assert_true(strcmp(got[i], got[i + 1]) < 0);
}

static int
count_rows(void *ctx, const struct freg_feed_row *row)
{
	(*(size_t *)ctx)++;
	return 0;
}

/* The plan of the feed query as lib/freg/register.c writes it. */
#define FEED_SQL "SELECT f.seq, e.pid, e.type, e.id, e.persondoc, e.ajourhold, f.stored " \
	"FROM freg_feed AS f JOIN freg_event AS e ON e.rowid = f.event " \
	"WHERE f.package = ?1 AND f.seq >= ?2 ORDER BY f.seq LIMIT ?3"

static void
test_feed_plan_and_speed(void **state)
{
	struct fx *f = *state;
	enum { N = 5000, BATCH = 1000, RUNS = 20 };
	struct freg_ingest *ev = calloc(BATCH, sizeof(*ev));
	json_t **docs = calloc(BATCH, sizeof(*docs));
	char (*pids)[12] = calloc(BATCH, 12);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char plan[1024] = "";
	struct rows rs;
	int64_t best = INT64_MAX, t;
	size_t n;

	assert_non_null(ev);
	assert_non_null(docs);
	assert_non_null(pids);
	for (int b = 0; b < N / BATCH; b++) {
		for (int i = 0; i < BATCH; i++) {
			mkpid(pids[i], 7, b * BATCH + i);
			docs[i] = person_doc(pids[i], "Speed");
			ev[i] = (struct freg_ingest){ .pid = pids[i], .type = "personErOpprettet",
			                              .person = docs[i] };
		}
		assert_int_equal(freg_register_ingest(f->r, ev, BATCH, NULL), 0);
		for (int i = 0; i < BATCH; i++)
			json_decref(docs[i]);
	}
	/* A range scan of the primary key and rowid seeks: no table scan, no sort (SQLite's
	 * plan; PostgreSQL chooses by its statistics). */
	if (on_pg)
		goto timing;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN " FEED_SQL, -1, &st, NULL),
	                 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		strncat(plan, (const char *)sqlite3_column_text(st, 3), sizeof(plan) - strlen(plan) - 2);
		strcat(plan, ";");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("feed plan: %s\n", plan);
	assert_non_null(strstr(plan, "SEARCH f USING PRIMARY KEY (package=? AND seq>?)"));
	assert_non_null(strstr(plan, "SEARCH e USING INTEGER PRIMARY KEY (rowid=?)"));
	assert_null(strstr(plan, "SCAN"));
	assert_null(strstr(plan, "TEMP B-TREE"));
timing:
	/* 1000 rows from the middle, warm. */
	for (int i = 0; i < RUNS + 1; i++) {
		n = 0;
		t = porten_mono_ns();
		assert_int_equal(freg_register_feed(f->r, FREG_PRIV, 2001, 1000, count_rows, &n), 0);
		t = porten_mono_ns() - t;
		assert_int_equal(n, 1000);
		if (i > 0 && t < best)
			best = t;
	}
	printf("feed read: 1000 rows in %.3f ms (best of %d, warm)\n", (double)best / 1e6, RUNS);
	/* A callback's non-zero return stops the scan and is returned. */
	memset(&rs, 0, sizeof(rs));
	rs.stop_after = 3;
	assert_int_equal(freg_register_feed(f->r, FREG_OMH, 10, 1000, collect, &rs), 7);
	assert_int_equal(rs.n, 3);
	assert_int_equal(rs.r[2].seq, 12);
	free(rs.r);
	assert_dense(f->r, FREG_OMH, 1, N);
	free(ev);
	free(docs);
	free(pids);
}

/* ---- several writers ---- */

struct worker {
	freg_register *r;
	int id;
	int64_t seq[PER_WORKER];      /* the OMH seq each ingest got */
	int rc;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct freg_ingested out;
	char pid[12];

	for (int i = 0; i < PER_WORKER && w->rc == 0; i++) {
		mkpid(pid, 10 + w->id, i);
		w->rc = ingest1(w->r, pid, "personErOpprettet", "W", NULL, NULL, 0, &out);
		w->seq[i] = out.seq[FREG_OMH];
	}
	return NULL;
}

/* Every package dense 1..n, every event once, every identifier once. */
static void
assert_feeds_dense(freg_register *r, int64_t n)
{
	struct rows rs;
	char (*ids)[33];

	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		assert_dense(r, (enum freg_pkg)p, 1, n);
		read_feed(r, (enum freg_pkg)p, &rs);
		assert_non_null(ids = calloc(rs.n, 33));
		for (size_t i = 0; i < rs.n; i++)
			memcpy(ids[i], rs.r[i].ev, 33);
		qsort(ids, rs.n, 33, cmp_str);
		for (size_t i = 0; i + 1 < rs.n; i++)
			assert_true(strcmp(ids[i], ids[i + 1]) < 0);
		for (size_t i = 0; i < rs.n; i++)
			memcpy(ids[i], rs.r[i].pid, 12);
		qsort(ids, rs.n, 33, cmp_str);
		for (size_t i = 0; i + 1 < rs.n; i++)
			assert_true(strcmp(ids[i], ids[i + 1]) < 0);
		free(ids);
		free(rs.r);
	}
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
test_threads(void **state)
{
	struct fx *f = *state;
	static struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	int64_t *all = calloc(NTHREADS * PER_WORKER, sizeof(*all));
	size_t count = 0;
	int64_t t = porten_mono_ns();

	assert_non_null(all);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .r = f->r, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].rc, 0);
		memcpy(all + i * PER_WORKER, w[i].seq, sizeof(w[i].seq));
	}
	printf("threads: %d single-event ingests in %.0f ms\n", NTHREADS * PER_WORKER,
	       (double)(porten_mono_ns() - t) / 1e6);
	/* What the callers were told is 1..n too. */
	qsort(all, NTHREADS * PER_WORKER, sizeof(*all), cmp_i64);
	for (int i = 0; i < NTHREADS * PER_WORKER; i++)
		assert_int_equal(all[i], i + 1);
	free(all);
	assert_feeds_dense(f->r, NTHREADS * PER_WORKER);
	assert_int_equal(freg_register_count(f->r, &count), 0);
	assert_int_equal(count, NTHREADS * PER_WORKER);
}

static void
test_fork(void **state)
{
	struct fx *f = *state;
	enum { NPROC = 2 };
	char uri[512];
	pid_t pid[NPROC];
	int fds[2];
	freg_register *r = NULL;
	size_t count = 0;

	/* A file of its own: the fixture's handle is open in this process. On PostgreSQL the
	 * test's database: several processes on one database is what instances are. */
	if (on_pg)
		snprintf(uri, sizeof(uri), "%s", f->uri);
	else
		snprintf(uri, sizeof(uri), "sqlite:%s/fork.db", f->dir);
	assert_int_equal(pipe(fds), 0);
	for (int i = 0; i < NPROC; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			struct worker w = { .id = 20 + i };
			char c;
			int rc;

			close(fds[1]);
			/* Both start when the parent closes the pipe. */
			while (read(fds[0], &c, 1) > 0)
				;
			if ((rc = freg_register_open(uri, &w.r)) != 0)
				_exit(10 - rc);
			worker_main(&w);
			freg_register_close(w.r);
			_exit(w.rc == 0 ? 0 : 40 - w.rc);
		}
	}
	close(fds[0]);
	close(fds[1]);
	for (int i = 0; i < NPROC; i++) {
		int st = 0;

		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_int_equal(freg_register_open(uri, &r), 0);
	assert_feeds_dense(r, NPROC * PER_WORKER);
	assert_int_equal(freg_register_count(r, &count), 0);
	assert_int_equal(count, NPROC * PER_WORKER);
	freg_register_close(r);
}

static void
test_reopen(void **state)
{
	struct fx *f = *state;
	struct freg_ingested a, b;
	struct freg_audit rec = mkaud(T0, "910000001", "", FREG_OMH, "hendelser/feed", "", 200);
	struct aud x = { 0 };
	char *doc = NULL, cur[12], pd[33];
	unsigned m = 0;
	size_t count = 0;

	assert_int_equal(ingest1(f->r, "01017012345", "personErOpprettet", "Kari", NULL, NULL, 0,
	                         &a), 0);
	assert_int_equal(ingest1(f->r, "01017012345", "endringIIdentifikasjonsnummer", "Kari",
	                         "01417012345", NULL, 0, &b), 0);
	assert_int_equal(freg_register_consumer_set(f->r, "910000001", 5), 0);
	assert_int_equal(freg_register_audit_append(f->r, &rec, 1), 0);
	freg_register_close(f->r);
	f->r = NULL;
	assert_int_equal(freg_register_open(f->uri, &f->r), 0);
	for (int p = 0; p < FREG_PKG_COUNT; p++)
		assert_dense(f->r, (enum freg_pkg)p, 1, 2);
	assert_int_equal(freg_register_event_doc(f->r, a.event_id, &doc, NULL, NULL), 0);
	free(doc);
	assert_int_equal(freg_register_person(f->r, "01017012345", NULL, cur, pd), 0);
	assert_string_equal(cur, "01417012345");
	assert_string_equal(pd, b.persondoc_id);
	assert_int_equal(freg_register_consumer_get(f->r, "910000001", &m), 0);
	assert_int_equal(m, 5);
	assert_int_equal(freg_register_audit_query(f->r, 0, 0, NULL, NULL, 10, aud_cb, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(freg_register_count(f->r, &count), 0);
	assert_int_equal(count, 1);
	/* Numbering goes on. */
	assert_int_equal(ingest1(f->r, "01417012345", "endringINavn", "Kari", NULL, NULL, 0, &a), 0);
	assert_int_equal(a.seq[FREG_OMH], 3);
}

static void
test_open_errors(void **state)
{
	struct fx *f = *state;
	freg_register *r = (freg_register *)f;
	char path[160], uri[200];
	FILE *fp;

	assert_int_equal(freg_register_open("memory:", &r), PORTEN_ERR_INVALID);
	assert_null(r);
	/* A PostgreSQL URI libpq refuses; a server that is not there. */
	assert_int_equal(freg_register_open("postgresql://localhost/x?nosuchoption=1", &r),
	                 PORTEN_ERR_INVALID);
	assert_null(r);
	assert_int_equal(freg_register_open("postgresql://127.0.0.1:1/x", &r),
	                 PORTEN_ERR_UNAVAILABLE);
	assert_null(r);
	assert_int_equal(freg_register_open("sqlite:", &r), PORTEN_ERR_INVALID);
	assert_int_equal(freg_register_open(NULL, &r), PORTEN_ERR_INVALID);
	assert_int_equal(freg_register_open("sqlite:/nonexistent-dir/x/reg.db", &r),
	                 PORTEN_ERR_UNAVAILABLE);
	assert_null(r);
	snprintf(path, sizeof(path), "%s/notadb", f->dir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	assert_non_null(fp = fopen(path, "w"));
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database. ", fp);
	fclose(fp);
	assert_int_equal(freg_register_open(uri, &r), PORTEN_ERR_UNAVAILABLE);
	assert_null(r);
	freg_register_close(NULL);
}

/* A reader answers as freg_register_person_raw does, and (SQLite) from one snapshot:
 * a version stored after its first read is not seen until the next reader. */
static void
test_reader(void **state)
{
	struct fx *f = *state;
	struct porten_buf t1, l1, t2, l2;
	freg_reader *rd = NULL;
	char cur[12], cur2[12];

	porten_buf_init(&t1, PORTEN_FREG_PERSON_DOC_MAX);
	porten_buf_init(&l1, PORTEN_FREG_PERSON_DOC_MAX);
	porten_buf_init(&t2, PORTEN_FREG_PERSON_DOC_MAX);
	porten_buf_init(&l2, PORTEN_FREG_PERSON_DOC_MAX);
	assert_int_equal(ingest1(f->r, "01017012345", "personErOpprettet", "Kari", NULL, NULL, 0, NULL), 0);
	assert_int_equal(ingest1(f->r, "02027012345", "personErOpprettet", "Ola", NULL, NULL, 0, NULL), 0);
	assert_int_equal(freg_register_reader_begin(f->r, &rd), 0);
	for (int i = 0; i < 2; i++) {
		const char *pid = i ? "02027012345" : "01017012345";

		assert_int_equal(freg_reader_person_raw(rd, pid, &t1, &l1, cur), 0);
		assert_int_equal(freg_register_person_raw(f->r, pid, &t2, &l2, cur2), 0);
		assert_string_equal(cur, cur2);
		assert_int_equal(t1.len, t2.len);
		assert_memory_equal(t1.data, t2.data, t1.len);
		assert_int_equal(l1.len, l2.len);
		assert_true(l1.len > 0);
		assert_memory_equal(l1.data, l2.data, l1.len);
	}
	assert_int_equal(freg_reader_person_raw(rd, "03037012345", &t1, &l1, cur), PORTEN_ERR_NOT_FOUND);
	assert_int_equal(freg_reader_person_raw(rd, "0101701234x", &t1, &l1, cur), PORTEN_ERR_NOT_FOUND);
	/* a new version while the reader is open */
	assert_int_equal(ingest1(f->r, "01017012345", "endringINavn", "Karianne", NULL, NULL, 0, NULL), 0);
	assert_int_equal(freg_reader_person_raw(rd, "01017012345", &t1, &l1, cur), 0);
	assert_int_equal(freg_register_person_raw(f->r, "01017012345", &t2, &l2, cur2), 0);
	assert_non_null(strstr(t2.data, "Karianne"));
	if (!on_pg)
		assert_null(strstr(t1.data, "Karianne"));   /* the reader's snapshot */
	freg_register_reader_end(rd);
	assert_int_equal(freg_register_reader_begin(f->r, &rd), 0);
	assert_int_equal(freg_reader_person_raw(rd, "01017012345", &t1, &l1, cur), 0);
	assert_non_null(strstr(t1.data, "Karianne"));
	freg_register_reader_end(rd);
	freg_register_reader_end(NULL);
	assert_int_equal(freg_register_reader_begin(NULL, &rd), PORTEN_ERR_INVALID);
	porten_buf_release(&t1);
	porten_buf_release(&l1);
	porten_buf_release(&t2);
	porten_buf_release(&l2);
}

/* SQL straight on the test's database, past the register: what an older porten left. */
static void
raw_sql(struct fx *f, const char *sql)
{
	if (on_pg) {
		PGconn *c = PQconnectdb(f->uri);
		PGresult *r;

		assert_int_equal(PQstatus(c), CONNECTION_OK);
		r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db = NULL;
		char *err = NULL;

		assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
		sqlite3_busy_timeout(db, 5000);
		if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
			fail_msg("%s: %s", sql, err);
		sqlite3_close(db);
	}
}

/* Fills with batches of max until finished; the totals, and the calls it took. */
static struct freg_layout_fill
fill_all(freg_register *r, size_t max, int *calls)
{
	struct freg_layout_fill all = { 0 }, one;

	*calls = 0;
	do {
		assert_true(*calls < 1000);
		assert_int_equal(freg_register_layout_fill(r, max, &one), 0);
		(*calls)++;
		all.checked += one.checked;
		all.built += one.built;
		assert_true(one.checked <= max);
		assert_true(one.built <= one.checked);
	} while (!one.finished);
	all.finished = true;
	return all;
}

static void
test_layout_fill(void **state)
{
	struct fx *f = *state;
	enum { N = 25, LIVE = N - 1 };
	char pids[N][12], cur[12];
	struct porten_buf text, layout, want[N];
	struct freg_layout_fill got;
	int calls = 0;
	const char *back_to_4 = on_pg ?
		"DROP TABLE freg_layout_fill; DELETE FROM schema_migrations WHERE version = 5" :
		"DROP TABLE freg_layout_fill; DROP TABLE freg_audit_pid; DROP TABLE freg_audit_run; "
		"ALTER TABLE freg_audit DROP COLUMN pids; "
		"CREATE INDEX freg_audit_pid ON freg_audit (pid, at); "
		"DELETE FROM schema_migrations WHERE version >= 5";

	porten_buf_init(&text, PORTEN_FREG_PERSON_DOC_MAX);
	porten_buf_init(&layout, PORTEN_FREG_PERSON_DOC_MAX);
	for (int i = 0; i < N; i++) {
		char name[16];

		mkpid(pids[i], 7, i);
		snprintf(name, sizeof(name), "Navn%d", i);
		assert_int_equal(ingest1(f->r, pids[i], "personErOpprettet", name, NULL, NULL, 0, NULL), 0);
	}
	/* a second version (the first stays, superseded) and a duplicate merged away (no
	 * current document of its own) */
	assert_int_equal(ingest1(f->r, pids[5], "endringINavn", "Nytt", NULL, NULL, 0, NULL), 0);
	assert_int_equal(ingest1(f->r, pids[3], "personErOpphoertSomDublett", NULL, NULL, pids[0],
	                         0, NULL), 0);
	for (int i = 0; i < N; i++) {
		porten_buf_init(&want[i], PORTEN_FREG_PERSON_DOC_MAX);
		assert_int_equal(freg_register_person_raw(f->r, pids[i], &text, &want[i], cur), 0);
		assert_true(want[i].len > 0);   /* made at ingest */
		assert_int_equal((unsigned char)want[i].data[0], FREG_LAYOUT_VERSION);
	}

	/* A register made with layouts has nothing to fill. */
	got = fill_all(f->r, 7, &calls);
	assert_int_equal(calls, 1);
	assert_int_equal(got.checked, 0);

	/* One from before migration 004: no layouts. The fill reaches every person with a
	 * current document, in batches, and makes the same layouts ingest made. */
	raw_sql(f, "UPDATE freg_persondoc SET layout = NULL; UPDATE freg_layout_fill SET next = 0");
	assert_int_equal(freg_register_person_raw(f->r, pids[9], &text, &layout, cur), 0);
	assert_int_equal(layout.len, 0);
	got = fill_all(f->r, 7, &calls);
	assert_int_equal(got.checked, LIVE);
	assert_int_equal(got.built, LIVE);
	assert_int_equal(calls, (LIVE + 6) / 7);   /* 24 = 7 + 7 + 7 + 3: the short batch ends it */
	for (int i = 0; i < N; i++) {
		assert_int_equal(freg_register_person_raw(f->r, pids[i], &text, &layout, cur), 0);
		assert_int_equal(layout.len, want[i].len);
		assert_memory_equal(layout.data, want[i].data, layout.len);
	}
	got = fill_all(f->r, 7, &calls);   /* finished stays finished */
	assert_int_equal(calls, 1);
	assert_int_equal(got.checked, 0);

	/* Another FREG_LAYOUT_VERSION was filled towards: every person is looked at again;
	 * only the layouts of another version are made again. */
	raw_sql(f, on_pg ? "UPDATE freg_persondoc SET layout = '\\x00'::bytea WHERE rid = "
	                   "(SELECT cur FROM freg_person WHERE pid = '07000000011'); "
	                   "UPDATE freg_layout_fill SET version = 0, next = -1"
	                 : "UPDATE freg_persondoc SET layout = X'00' WHERE rowid = "
	                   "(SELECT cur FROM freg_person WHERE pid = '07000000011'); "
	                   "UPDATE freg_layout_fill SET version = 0, next = -1");
	got = fill_all(f->r, 1000, &calls);
	assert_int_equal(calls, 1);
	assert_int_equal(got.checked, LIVE);
	assert_int_equal(got.built, 1);
	assert_int_equal(freg_register_person_raw(f->r, pids[11], &text, &layout, cur), 0);
	assert_int_equal(layout.len, want[11].len);
	assert_memory_equal(layout.data, want[11].data, layout.len);

	/* Migration 005 on a register older than 004: its oldest document has no layout, so
	 * the fill starts. The register is taken back to schema 4 for it (SQLite applies
	 * only migrations above the newest applied, so its 006 goes back too). */
	raw_sql(f, "UPDATE freg_persondoc SET layout = NULL");
	raw_sql(f, back_to_4);
	freg_register_close(f->r);
	f->r = NULL;
	assert_int_equal(freg_register_open(f->uri, &f->r), 0);
	got = fill_all(f->r, 1000, &calls);
	assert_int_equal(got.checked, LIVE);
	assert_int_equal(got.built, LIVE);
	/* and on one written with layouts, it does not */
	raw_sql(f, back_to_4);
	freg_register_close(f->r);
	f->r = NULL;
	assert_int_equal(freg_register_open(f->uri, &f->r), 0);
	got = fill_all(f->r, 1000, &calls);
	assert_int_equal(calls, 1);
	assert_int_equal(got.checked, 0);

	assert_int_equal(freg_register_layout_fill(f->r, 0, &got), PORTEN_ERR_INVALID);
	assert_int_equal(freg_register_layout_fill(NULL, 1, &got), PORTEN_ERR_INVALID);
	for (int i = 0; i < N; i++)
		porten_buf_release(&want[i]);
	porten_buf_release(&text);
	porten_buf_release(&layout);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_ingest_new_person),
		T(test_package_filter),
		T(test_dense_batches),
		T(test_atomic),
		T(test_event_doc_bytes),
		T(test_versions),
		T(test_new_pid),
		T(test_merge),
		T(test_uuid_and_unknown_ids),
		T(test_purge),
		T(test_consumers),
		T(test_audit),
		T(test_audit_index),
		T(test_pick_count),
		T(test_feed_plan_and_speed),
		T(test_threads),
		T(test_fork),
		T(test_reopen),
		T(test_layout_fill),
		T(test_reader),
		T(test_open_errors),
	};

	/* The error paths log; keep the test output to the results. */
	if (getenv("PORTEN_TEST_VERBOSE") == NULL)
		porten_log_threshold = -1;
	if (argc > 1 && strcmp(argv[1], "--pg") == 0) {
		if (pg_testdb_base() == NULL) {
			fprintf(stderr, "PORTEN_TEST_PG is not set: skipped\n");
			return PG_TESTDB_SKIP;
		}
		on_pg = true;
		return cmocka_run_group_tests_name("freg register on postgresql", tests, NULL, NULL);
	}
	return cmocka_run_group_tests_name("freg register", tests, NULL, NULL);
}
