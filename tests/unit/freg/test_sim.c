/* lib/freg/populate.c and lib/freg/sim.c on fresh SQLite files: a populated register has
 * at least one event per person in every package feed; 500 simulator steps keep every
 * document at most one current element per single-valued entity, every relation
 * pointing at an existing person and every feed dense; the same seed gives the same
 * events and documents; person and event documents pass the OpenAPI 1.5 check
 * (check_schema.py, when ../shared and python3-yaml are present). Throughput of populate
 * is printed, never asserted. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>

#include "porten/error.h"
#include "porten/freg.h"
#include "porten/freg_event.h"
#include "porten/freg_gen.h"
#include "porten/limits.h"
#include "porten/register.h"

#define NOW INT64_C(1735689600)   /* 2025-01-01T00:00:00Z */
#define STEPS 500

struct fx {
	char dir[64];
	freg_register *r, *r2;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char uri[160];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/porten-sim-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(uri, sizeof(uri), "sqlite:%s/a.db", f->dir);
	if (freg_register_open(uri, &f->r) != 0)
		return -1;
	snprintf(uri, sizeof(uri), "sqlite:%s/b.db", f->dir);
	if (freg_register_open(uri, &f->r2) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	static const char *names[] = { "a.db", "a.db-wal", "a.db-shm", "a.db-journal", "b.db",
	                               "b.db-wal", "b.db-shm", "b.db-journal", "persons.jsonl",
	                               "events.jsonl" };
	char p[256];

	freg_register_close(f->r);
	freg_register_close(f->r2);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, names[i]);
		unlink(p);
	}
	if (rmdir(f->dir) != 0)
		fprintf(stderr, "rmdir %s: %s\n", f->dir, strerror(errno));
	free(f);
	return 0;
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct progress { size_t calls, last, total; };

static void
on_progress(void *ctx, size_t done, size_t total)
{
	struct progress *p = ctx;

	assert_true(done > p->last);
	p->calls++;
	p->last = done;
	p->total = total;
}

static void
populate(freg_register *r, uint64_t seed, size_t n)
{
	struct freg_gen_opts o;

	freg_gen_opts_init(&o);
	o.seed = seed;
	o.persons = n;
	o.now = NOW;
	assert_int_equal(freg_populate(r, &o, NULL, NULL), 0);
}

/* ---- the feeds ---- */

struct dense { int64_t next; };

static int
feed_row(void *ctx, const struct freg_feed_row *row)
{
	struct dense *d = ctx;

	if (row->seq != d->next)
		fail_msg("feed: seq %lld after %lld", (long long)row->seq, (long long)d->next - 1);
	d->next++;
	assert_int_equal(strlen(row->pid), 11);
	assert_int_equal(strlen(row->ajourhold), FREG_TS_LEN);
	return 0;
}

/* Every package feed is 1..last without gaps; returns OMH's last. */
static int64_t
check_feeds(freg_register *r, int64_t at_least)
{
	int64_t omh = 0;

	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		int64_t first, last;
		struct dense d = { 1 };

		assert_int_equal(freg_register_feed_bounds(r, (enum freg_pkg)p, &first, &last), 0);
		assert_int_equal(first, 1);
		if (last < at_least)
			fail_msg("package %s: %lld events, expected at least %lld", freg_pkg(p)->abbrev,
			         (long long)last, (long long)at_least);
		while (d.next <= last)
			assert_int_equal(freg_register_feed(r, (enum freg_pkg)p, d.next,
			                                    PORTEN_FREG_FEED_PAGE, feed_row, &d), 0);
		assert_int_equal(d.next, last + 1);
		if (p == FREG_OMH)
			omh = last;
	}
	return omh;
}

static void
test_populate(void **state)
{
	struct fx *f = *state;
	struct freg_gen_opts o;
	struct progress pr = { 0 };
	size_t n = 0;
	int64_t first, last;

	freg_gen_opts_init(&o);
	o.persons = 1000;
	o.now = NOW;
	assert_int_equal(freg_populate(f->r, &o, on_progress, &pr), 0);
	assert_int_equal(pr.calls, 1);
	assert_int_equal(pr.last, 1000);
	assert_int_equal(pr.total, 1000);
	assert_int_equal(freg_register_count(f->r, &n), 0);
	assert_int_equal(n, 1000);
	assert_int_equal(check_feeds(f->r, 1000), 1000);
	assert_int_equal(freg_register_feed_bounds(f->r, FREG_OMH, &first, &last), 0);
	assert_int_equal(first, 1);
	assert_int_equal(last, 1000);
	/* only into an empty register */
	assert_int_equal(freg_populate(f->r, &o, NULL, NULL), PORTEN_ERR_EXISTS);
	assert_int_equal(freg_register_count(f->r, &n), 0);
	assert_int_equal(n, 1000);
	/* bad options reach the generator */
	o.now = 0;
	assert_int_equal(freg_populate(f->r2, &o, NULL, NULL), PORTEN_ERR_INVALID);
	assert_int_equal(freg_register_count(f->r2, &n), 0);
	assert_int_equal(n, 0);
}

/* The generator alone and the generator into the register, for the sandbox's start-up. */
static int
sink_null(void *ctx, const char *pid, const json_t *person)
{
	(*(size_t *)ctx)++;
	return 0;
}

static void
test_populate_throughput(void **state)
{
	struct fx *f = *state;
	struct freg_gen_opts o;
	struct progress pr = { 0 };
	size_t n = 0;
	double t0, t1, t2;

	freg_gen_opts_init(&o);
	o.persons = 10000;
	o.now = NOW;
	t0 = seconds();
	assert_int_equal(freg_gen_population(&o, sink_null, &n), 0);
	t1 = seconds();
	assert_int_equal(freg_populate(f->r, &o, on_progress, &pr), 0);
	t2 = seconds();
	assert_int_equal(pr.calls, 5);
	assert_int_equal(pr.last, 10000);
	assert_int_equal(check_feeds(f->r, 10000), 10000);
	print_message("populate: 10000 persons in %.3f s (%.0f persons/s; the generator alone "
	              "%.3f s, %.0f persons/s)\n", t2 - t1, 10000 / (t2 - t1), t1 - t0,
	              10000 / (t1 - t0));
}

/* ---- invariants of every document ---- */

static const char *const single_valued[] = {
	"identifikasjonsnummer", "status", "navn", "kjoenn", "foedsel", "foedselINorge",
	"sivilstand", "bostedsadresse", "oppholdsadresse", "postadresse", "postadresseIUtlandet",
	"adressebeskyttelse", "identitetsgrunnlag", "kontaktinformasjonForDoedsbo", "innflytting",
	"utflytting", "opphold", "bibehold",
};

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool
current(const json_t *e)
{
	return json_is_true(json_object_get(e, "erGjeldende"));
}

static void
check_exists(freg_register *r, const char *who, const char *what, const char *pid)
{
	json_t *doc = NULL;
	int rc;

	if (pid == NULL)
		return;
	rc = freg_register_person(r, pid, &doc, NULL, NULL);
	if (rc != 0)
		fail_msg("%s: %s points at %s, which is not a person (%d)", who, what, pid, rc);
	json_decref(doc);
}

static void
check_doc(freg_register *r, const char *pid, const json_t *doc)
{
	static const struct { const char *key, *field, *sub; } rel[] = {
		{ "familierelasjon", "relatertPerson", NULL },
		{ "sivilstand", "relatertVedSivilstand", NULL },
		{ "foreldreansvar", "ansvarlig", NULL },
		{ "foreldreansvar", "ansvarssubjekt", NULL },
		{ "vergemaalEllerFremtidsfullmakt", "verge", "foedselsEllerDNummer" },
		{ "kontaktinformasjonForDoedsbo", "person", "foedselsEllerDNummer" },
	};
	const json_t *e, *d;
	const char *status = NULL;
	size_t i;

	for (size_t k = 0; k < sizeof(single_valued) / sizeof(single_valued[0]); k++) {
		size_t n = 0;

		json_array_foreach(json_object_get(doc, single_valued[k]), i, e)
			n += current(e);
		if (n > 1)
			fail_msg("%s: %zu current %s", pid, n, single_valued[k]);
	}
	for (size_t k = 0; k < sizeof(rel) / sizeof(rel[0]); k++)
		json_array_foreach(json_object_get(doc, rel[k].key), i, e) {
			const json_t *v = json_object_get(e, rel[k].field);

			if (rel[k].sub)
				v = json_object_get(v, rel[k].sub);
			check_exists(r, pid, rel[k].key, json_string_value(v));
		}
	/* the dead have doedsfall and status doed, the others neither */
	json_array_foreach(json_object_get(doc, "status"), i, e)
		if (current(e))
			status = str(e, "status");
	d = json_object_get(doc, "doedsfall");
	if ((d != NULL) != (status && strcmp(status, "doed") == 0))
		fail_msg("%s: doedsfall %s, status %s", pid, d ? "present" : "absent",
		         status ? status : "(none)");
	/* the current identifier is the register's */
	json_array_foreach(json_object_get(doc, "identifikasjonsnummer"), i, e)
		if (current(e))
			assert_string_equal(str(e, "foedselsEllerDNummer"), pid);
}

/* Checks every person; writes the documents as JSON lines to out (may be NULL). */
static size_t
check_all(freg_register *r, FILE *out)
{
	size_t n = 0;

	assert_int_equal(freg_register_count(r, &n), 0);
	for (size_t i = 0; i < n; i++) {
		char pid[12];
		json_t *doc = NULL;

		assert_int_equal(freg_register_pick(r, i, pid), 0);
		assert_int_equal(freg_register_person(r, pid, &doc, NULL, NULL), 0);
		check_doc(r, pid, doc);
		if (out) {
			assert_int_equal(json_dumpf(doc, out, JSON_COMPACT), 0);
			fputc('\n', out);
		}
		json_decref(doc);
	}
	return n;
}

/* check_schema.py over a file of documents (schema NULL: Folkeregisterperson):
 * 0 ok, 1 skipped. */
static int
schema_check(const char *path, const char *schema)
{
	char cmd[1024];
	int st;

	if (system("python3 -c 'import yaml' >/dev/null 2>&1") != 0) {
		print_message("schema check skipped: no python3 with yaml\n");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "python3 %s/tests/unit/freg/check_schema.py %s%s %s > %s.out 2>&1",
	         PORTEN_SOURCE_DIR, schema ? "--schema " : "", schema ? schema : "", path, path);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	snprintf(cmd, sizeof(cmd), "tail -n 3 %s.out; rm -f %s.out", path, path);
	if (WEXITSTATUS(st) == 2) {
		print_message("schema check skipped: no contract (../shared)\n");
		assert_int_equal(system(cmd), 0);
		return 1;
	}
	if (WEXITSTATUS(st) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s.out; rm -f %s.out", path, path);
		assert_int_equal(system(cmd), 0);
		fail_msg("check_schema.py failed on %s", path);
	}
	assert_int_equal(system(cmd), 0);
	return 0;
}

struct tally { const char *type; unsigned n; };

static void
count_type(struct tally *t, size_t cap, const char *type)
{
	size_t i;

	for (i = 0; i < cap && t[i].type; i++)
		if (strcmp(t[i].type, type) == 0)
			break;
	assert_true(i < cap);
	t[i].type = type;
	t[i].n++;
}

static unsigned
tally_of(const struct tally *t, size_t cap, const char *type)
{
	for (size_t i = 0; i < cap && t[i].type; i++)
		if (strcmp(t[i].type, type) == 0)
			return t[i].n;
	return 0;
}

/* The events of the OMH feed from a sequence number on: every payload shaped as a
 * hendelse Registerdata (metadata, no erGjeldende), entitetsendring counted. */
struct evscan {
	freg_register *r;
	FILE *out;           /* the documents as JSON lines, or NULL */
	unsigned ny, korrigere, annullere, events;
};

static int
scan_row(void *ctx, const struct freg_feed_row *row)
{
	struct evscan *x = ctx;
	char *text = NULL;
	size_t len, i;
	int64_t stored;
	json_t *doc, *it;
	json_error_t jerr;

	assert_int_equal(freg_register_event_doc(x->r, row->event_id, &text, &len, &stored), 0);
	doc = json_loadb(text, len, 0, &jerr);
	if (x->out)
		assert_true(fwrite(text, 1, len, x->out) == len && fputc('\n', x->out) != EOF);
	free(text);
	assert_non_null(doc);
	x->events++;
	json_array_foreach(json_object_get(json_object_get(doc, "hendelse"), "egenskapshendelse"),
	                   i, it) {
		const char *chg = str(it, "entitetsendring"), *ent = str(it, "entitet"), *k;
		json_t *v;
		size_t members = 0;

		assert_non_null(ent);
		assert_non_null(chg);
		json_object_foreach(it, k, v) {
			if (strcmp(k, "entitet") == 0 || strcmp(k, "entitetsendring") == 0)
				continue;
			members++;
			assert_true(json_is_object(v));
			assert_null(json_object_get(v, "erGjeldende"));
			assert_non_null(str(v, "ajourholdstidspunkt"));
			assert_non_null(str(v, "gyldighetstidspunkt"));
			assert_string_equal(str(v, "kilde"), "Synutopia");
			assert_non_null(str(v, "aarsak"));
		}
		if (strcmp(chg, "annullere") == 0) {
			assert_int_equal(members, 0);
			x->annullere++;
		} else {
			assert_int_equal(members, 1);
			if (strcmp(chg, "korrigere") == 0)
				x->korrigere++;
			else
				x->ny++;
		}
	}
	json_decref(doc);
	return 0;
}

static void
test_sim(void **state)
{
	struct fx *f = *state;
	freg_sim *s = NULL;
	struct tally t[32] = { { NULL, 0 } };
	size_t n0 = 0, n1;
	int64_t omh0, omh1;
	char path[128];
	FILE *out;
	double t0;

	populate(f->r, 1, 1000);
	assert_int_equal(freg_register_count(f->r, &n0), 0);
	omh0 = check_feeds(f->r, 1000);
	assert_int_equal(freg_sim_new(f->r, 42, true, &s), 0);
	t0 = seconds();
	for (int i = 0; i < STEPS; i++) {
		const char *type = NULL;
		int r = freg_sim_step(s, NOW + 60 * i, &type);

		if (r != 0)
			fail_msg("step %d: %d", i, r);
		assert_non_null(type);
		count_type(t, 32, type);
	}
	print_message("sim: %d steps in %.3f s\n", STEPS, seconds() - t0);
	for (size_t i = 0; i < 32 && t[i].type; i++)
		print_message("  %-28s %u\n", t[i].type, t[i].n);
	freg_sim_free(s);

	/* the common kinds all happened */
	assert_true(tally_of(t, 32, "endringIBostedsadresse") > 50);
	assert_true(tally_of(t, 32, "personErOpprettet") > 5);
	assert_true(tally_of(t, 32, "personErDoed") > 5);
	assert_true(tally_of(t, 32, "endringISivilstand") > 5);
	assert_true(tally_of(t, 32, "endringINavn") > 5);
	assert_true(tally_of(t, 32, "personErUtflyttet") > 0);
	assert_true(tally_of(t, 32, "endringIVergemaal") > 0);
	assert_true(tally_of(t, 32, "endringIDoedsfall") > 0);

	/* births added persons; every event is in the OMH feed, with linked events */
	assert_int_equal(freg_register_count(f->r, &n1), 0);
	assert_int_equal(n1 - n0, tally_of(t, 32, "personErOpprettet"));
	omh1 = check_feeds(f->r, 1000);
	assert_true(omh1 - omh0 >= STEPS);
	print_message("sim: %lld events in the OMH feed for %d steps\n",
	              (long long)(omh1 - omh0), STEPS);
	snprintf(path, sizeof(path), "%s/events.jsonl", f->dir);
	{
		struct evscan x = { .r = f->r, .out = fopen(path, "w") };

		/* the population's events and the simulator's */
		assert_non_null(x.out);
		for (int64_t from = 1; from <= omh1; from += PORTEN_FREG_FEED_PAGE)
			assert_int_equal(freg_register_feed(f->r, FREG_OMH, from, PORTEN_FREG_FEED_PAGE,
			                                    scan_row, &x), 0);
		assert_int_equal(fclose(x.out), 0);
		assert_int_equal(x.events, omh1);
		print_message("sim: entitetsendring registrereNy %u, korrigere %u, annullere %u\n",
		              x.ny, x.korrigere, x.annullere);
		assert_true(x.korrigere > 0);
		assert_true(x.annullere > 0);
	}

	snprintf(path, sizeof(path), "%s/persons.jsonl", f->dir);
	out = fopen(path, "w");
	assert_non_null(out);
	assert_int_equal(check_all(f->r, out), n1);
	assert_int_equal(fclose(out), 0);
	schema_check(path, NULL);
	snprintf(path, sizeof(path), "%s/events.jsonl", f->dir);
	schema_check(path, "folkeregisteret.tilgjengeliggjoering.hendelse.v1.DokumentForHendelse");
}

/* An empty register has nobody to simulate. */
static void
test_sim_empty(void **state)
{
	struct fx *f = *state;
	freg_sim *s = NULL;
	const char *type = "x";

	assert_int_equal(freg_sim_new(f->r, 1, true, &s), 0);
	assert_int_equal(freg_sim_step(s, NOW, &type), PORTEN_ERR_CONFLICT);
	assert_string_equal(type, "x");
	freg_sim_free(s);
	assert_int_equal(freg_sim_new(NULL, 1, true, &s), PORTEN_ERR_INVALID);
}

/* The same seed on the same register state: the same events and documents. */
static void
test_determinism(void **state)
{
	struct fx *f = *state;
	freg_sim *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;

	populate(f->r, 7, 400);
	populate(f->r2, 7, 400);
	assert_int_equal(freg_sim_new(f->r, 99, true, &a), 0);
	assert_int_equal(freg_sim_new(f->r2, 99, true, &b), 0);
	for (int i = 0; i < 300; i++) {
		const char *ta = NULL, *tb = NULL;

		assert_int_equal(freg_sim_step(a, NOW + 3600 * i, &ta), 0);
		assert_int_equal(freg_sim_step(b, NOW + 3600 * i, &tb), 0);
		if (strcmp(ta, tb) != 0)
			fail_msg("step %d: %s and %s", i, ta, tb);
	}
	freg_sim_free(a);
	freg_sim_free(b);
	assert_int_equal(freg_register_count(f->r, &na), 0);
	assert_int_equal(freg_register_count(f->r2, &nb), 0);
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		char pa[12], pb[12];
		json_t *da = NULL, *db = NULL;

		assert_int_equal(freg_register_pick(f->r, i, pa), 0);
		assert_int_equal(freg_register_pick(f->r2, i, pb), 0);
		assert_string_equal(pa, pb);
		assert_int_equal(freg_register_person(f->r, pa, &da, NULL, NULL), 0);
		assert_int_equal(freg_register_person(f->r2, pb, &db, NULL, NULL), 0);
		if (!json_equal(da, db))
			fail_msg("person %s differs", pa);
		json_decref(da);
		json_decref(db);
	}
	{
		int64_t fa, la, fb, lb;

		for (int p = 0; p < FREG_PKG_COUNT; p++) {
			assert_int_equal(freg_register_feed_bounds(f->r, (enum freg_pkg)p, &fa, &la), 0);
			assert_int_equal(freg_register_feed_bounds(f->r2, (enum freg_pkg)p, &fb, &lb), 0);
			assert_int_equal(la, lb);
		}
	}
	/* a different seed takes another course */
	{
		freg_sim *c = NULL;
		const char *types[2][40];

		assert_int_equal(freg_sim_new(f->r, 1, true, &a), 0);
		assert_int_equal(freg_sim_new(f->r2, 2, true, &c), 0);
		for (int i = 0; i < 40; i++) {
			assert_int_equal(freg_sim_step(a, NOW + 400 * 3600 + i, &types[0][i]), 0);
			assert_int_equal(freg_sim_step(c, NOW + 400 * 3600 + i, &types[1][i]), 0);
		}
		freg_sim_free(a);
		freg_sim_free(c);
		{
			int differ = 0;

			for (int i = 0; i < 40; i++)
				differ += strcmp(types[0][i], types[1][i]) != 0;
			assert_true(differ > 0);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_populate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_populate_throughput, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sim_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_determinism, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
