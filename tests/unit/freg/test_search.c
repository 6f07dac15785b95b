/* lib/freg/search.c: the phonetic key and folding, entydigsoek, soek, tilpasset and
 * komplett uttrekk on a fresh SQLite register per test, the index following ingests
 * (new versions, identifier changes, merges), indexing an older register at open, and
 * the query plans of the search statements (a regression to a table scan fails). The
 * query times on a generated population are printed, never asserted.
 *
 * With --pg the same tests run on the PostgreSQL backend (lib/freg/search_pg.c), on a
 * fresh database per test in the cluster PORTEN_TEST_PG names (tests/pg/pg_testdb.h);
 * without PORTEN_TEST_PG that run exits 77 (skipped). Every search assertion is the
 * same; only what is SQLite's own is left out there: the query plans, and indexing a
 * register written before migration 003 (on PostgreSQL the index comes with the
 * register's tables). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "freg/search_int.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/freg.h"
#include "porten/freg_event.h"
#include "porten/freg_gen.h"
#include "porten/freg_search.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/register.h"
#include "pg/pg_testdb.h"
#include "reg_fixture.h"

#define GEN_PERSONS 12000

static bool on_pg;              /* --pg */

static int
setup(void **state)
{
	return reg_fixture_setup(state, "/tmp/porten-search-XXXXXX", on_pg);
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	static const char *names[] = { "reg.db", "reg.db-wal", "reg.db-shm", "reg.db-journal" };
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

/* ---- hand-made persons ---- */

struct addr {
	const char *street, *nr, *letter, *postnr, *komm;
	const char *grad;                 /* adressegradering; NULL ugradert */
	bool hist;                        /* erGjeldende false */
	bool opphold;                     /* oppholdsadresse, else bostedsadresse */
	bool matrikkel;                   /* a matrikkeladresse (no street) */
};

struct spec {
	const char *pid;
	const char *fornavn, *mellomnavn, *etternavn;
	const char *old_fornavn, *old_etternavn;   /* a historical navn element */
	const char *fdato;                         /* YYYY-MM-DD */
	const char *kjoenn, *status, *sivilstand;
	const char *sb[3];
	const char *beskyttelse;                   /* adressebeskyttelse */
	const char *doedsdato;
	struct addr a[4];
	const char *utl_land, *utl_nr, *leg_land, *leg_nr, *duf;
};

static json_t *
meta(json_t *o, bool current)
{
	json_object_set_new(o, "erGjeldende", json_boolean(current));
	return o;
}

static json_t *
one(json_t *el)
{
	json_t *a = json_array();

	json_array_append_new(a, el);
	return a;
}

static json_t *
mkperson(const struct spec *s)
{
	json_t *d = json_object(), *navn = json_array(), *bo = json_array(), *op = json_array();
	json_t *n, *sb = json_array();

	json_object_set_new(d, "identifikasjonsnummer", one(meta(json_pack("{s:s, s:s, s:s}",
	                    "foedselsEllerDNummer", s->pid, "identifikatortype", "foedselsnummer",
	                    "status", "iBruk"), true)));
	json_object_set_new(d, "status", one(meta(json_pack("{s:s}", "status",
	                    s->status ? s->status : s->doedsdato ? "doed" : "bosatt"), true)));
	n = meta(json_pack("{s:s, s:s}", "fornavn", s->fornavn, "etternavn", s->etternavn), true);
	if (s->mellomnavn != NULL)
		json_object_set_new(n, "mellomnavn", json_string(s->mellomnavn));
	json_array_append_new(navn, n);
	if (s->old_etternavn != NULL)
		json_array_append_new(navn, meta(json_pack("{s:s, s:s}", "fornavn",
		                      s->old_fornavn ? s->old_fornavn : s->fornavn, "etternavn",
		                      s->old_etternavn), false));
	json_object_set_new(d, "navn", navn);
	json_object_set_new(d, "kjoenn", one(meta(json_pack("{s:s}", "kjoenn",
	                    s->kjoenn ? s->kjoenn : "mann"), true)));
	if (s->fdato != NULL) {
		char y[5];

		memcpy(y, s->fdato, 4);
		y[4] = '\0';
		json_object_set_new(d, "foedsel", one(meta(json_pack("{s:s, s:s}", "foedselsdato",
		                    s->fdato, "foedselsaar", y), true)));
	}
	if (s->doedsdato != NULL)
		json_object_set_new(d, "doedsfall", json_pack("{s:s}", "doedsdato", s->doedsdato));
	json_object_set_new(d, "sivilstand", one(meta(json_pack("{s:s}", "sivilstand",
	                    s->sivilstand ? s->sivilstand : "ugift"), true)));
	for (int i = 0; i < 3; i++)
		if (s->sb[i] != NULL)
			json_array_append_new(sb, meta(json_pack("{s:s}", "statsborgerskap", s->sb[i]),
			                      true));
	if (json_array_size(sb) == 0)
		json_array_append_new(sb, meta(json_pack("{s:s}", "statsborgerskap", "NOR"), true));
	json_object_set_new(d, "statsborgerskap", sb);
	for (int i = 0; i < 4 && (s->a[i].street != NULL || s->a[i].matrikkel); i++) {
		const struct addr *a = &s->a[i];
		json_t *el = json_pack("{s:s}", "adressegradering", a->grad ? a->grad :
		                       s->beskyttelse ? s->beskyttelse : "ugradert");
		json_t *v = json_object();

		if (a->matrikkel) {
			json_object_set_new(v, "matrikkelnummer", json_pack("{s:s, s:i, s:i}",
			                    "kommunenummer", a->komm, "gaardsnummer", 1, "bruksnummer", 2));
		} else {
			json_object_set_new(v, "kommunenummer", json_string(a->komm));
			json_object_set_new(v, "adressenavn", json_string(a->street));
			if (a->nr != NULL) {
				json_t *nr = json_pack("{s:s}", "husnummer", a->nr);

				if (a->letter != NULL)
					json_object_set_new(nr, "husbokstav", json_string(a->letter));
				json_object_set_new(v, "adressenummer", nr);
			}
		}
		json_object_set_new(v, "poststed", json_pack("{s:s, s:s}", "poststedsnavn", "STED",
		                    "postnummer", a->postnr));
		json_object_set_new(el, a->matrikkel ? "matrikkeladresse" : "vegadresse", v);
		json_array_append_new(a->opphold ? op : bo, meta(el, !a->hist));
	}
	json_object_set_new(d, "bostedsadresse", bo);
	json_object_set_new(d, "oppholdsadresse", op);
	if (s->beskyttelse != NULL)
		json_object_set_new(d, "adressebeskyttelse", one(meta(json_pack("{s:s}",
		                    "graderingsnivaa", s->beskyttelse), true)));
	if (s->utl_nr != NULL)
		json_object_set_new(d, "utenlandskPersonidentifikasjon", one(meta(json_pack(
		                    "{s:s, s:s, s:s}", "identifikasjonsnummer", s->utl_nr,
		                    "identifikasjonsnummertype", "pass", "utstederland", s->utl_land),
		                    true)));
	if (s->leg_nr != NULL)
		json_object_set_new(d, "legitimasjonsdokument", one(meta(json_pack(
		                    "{s:s, s:s, s:s}", "identifikasjonsdokumenttype", "pass",
		                    "utstederland", s->leg_land, "identifikasjonsdokumentnummer",
		                    s->leg_nr), true)));
	if (s->duf != NULL)
		json_object_set_new(d, "utlendingsmyndighetenesIdentifikasjonsnummer", one(meta(
		                    json_pack("{s:s, s:s, s:s}", "identifikasjonsnummer", s->duf,
		                    "identifikasjonsnummertype", "duf", "utstederland", "NOR"), true)));
	return d;
}

/* One event for the person of s->pid carrying its document built from s. */
static void
put(struct fx *f, const char *type, const struct spec *s, struct freg_ingested *out)
{
	json_t *doc = mkperson(s);
	struct freg_ingest ev = { .pid = s->pid, .type = type, .person = doc };

	assert_int_equal(freg_register_ingest(f->r, &ev, 1, out), 0);
	json_decref(doc);
}

#define PID_OLA   "01018012345"
#define PID_KARI  "05057512345"
#define PID_PER1  "02029012345"
#define PID_PER2  "02029054321"
#define PID_ANNE  "03037012345"
#define PID_SIRI  "04046012345"
#define PID_TOR   "06066012345"
#define PID_LIV   "07077012345"
#define PID_ANDR  "08088812345"
#define PID_LISE  "09099012345"
#define PID_DAG   "10104012345"
#define PID_KRIS  "11118512345"

static const struct spec people[] = {
	{ .pid = PID_OLA, .fornavn = "Ola Johan", .etternavn = "Hansen", .fdato = "1980-01-01",
	  .sivilstand = "gift", .sb = { "NOR", "SWE" },
	  .a = { { "Storgata", "10", NULL, "0150", "0301" },
	         { "Sjøgata", "3", NULL, "8006", "1804", .opphold = true } } },
	{ .pid = PID_KARI, .fornavn = "Kari", .etternavn = "Nordmann", .fdato = "1975-05-05",
	  .kjoenn = "kvinne", .a = { { "Storgata", "10", "B", "0150", "0301" } } },
	{ .pid = PID_PER1, .fornavn = "Per", .etternavn = "Olsen", .fdato = "1990-02-02",
	  .a = { { "Åsveien", "1", NULL, "5003", "4601" } } },
	{ .pid = PID_PER2, .fornavn = "Per", .etternavn = "Olsen", .fdato = "1990-02-02",
	  .a = { { "Åsveien", "2", NULL, "5003", "4601" } } },
	{ .pid = PID_ANNE, .fornavn = "Anne", .etternavn = "Lund", .old_etternavn = "Berg",
	  .fdato = "1970-03-03", .kjoenn = "kvinne", .sivilstand = "skilt",
	  .a = { { "Nyveien", "7", NULL, "7010", "5001" },
	         { "Gamleveien", "5", NULL, "7011", "5001", .hist = true } } },
	{ .pid = PID_SIRI, .fornavn = "Siri", .etternavn = "Skjult", .fdato = "1960-04-04",
	  .kjoenn = "kvinne", .beskyttelse = "fortrolig",
	  .a = { { "Hemmeligveien", "1", NULL, "0151", "0301" } } },
	{ .pid = PID_TOR, .fornavn = "Tor", .etternavn = "Borte", .fdato = "1966-06-06",
	  .beskyttelse = "strengtFortrolig",
	  .a = { { "Ukjentveien", "9", NULL, "0152", "0301" } } },
	{ .pid = PID_LIV, .fornavn = "Liv", .etternavn = "Klient", .fdato = "1977-07-07",
	  .kjoenn = "kvinne",
	  .a = { { "Institusjonsveien", "2", NULL, "0153", "0301", .grad = "klientadresse" } } },
	{ .pid = PID_ANDR, .fornavn = "Andrius", .etternavn = "Vasiliauskas",
	  .fdato = "1988-08-08", .status = "midlertidig", .sb = { "LTU" },
	  .utl_land = "LTU", .utl_nr = "53318090500", .leg_land = "LTU", .leg_nr = "LP1364324",
	  .duf = "201212345678",
	  .a = { { "Strandgata", "4", NULL, "9008", "5501", .opphold = true } } },
	{ .pid = PID_LISE, .fornavn = "Lise", .etternavn = "Berg", .fdato = "1990-09-09",
	  .kjoenn = "kvinne",
	  .a = { { "Bygdevegen", NULL, NULL, "2390", "3401" },
	         { NULL, .postnr = "2391", .komm = "3401", .matrikkel = true, .hist = true } } },
	{ .pid = PID_DAG, .fornavn = "Dag", .etternavn = "Hansen", .fdato = "1940-10-10",
	  .doedsdato = "2020-12-24", .sivilstand = "gift",
	  .a = { { "Storgata", "12", NULL, "0150", "0301" } } },
	{ .pid = PID_KRIS, .fornavn = "Kristian", .etternavn = "Nilsen", .fdato = "1985-11-11",
	  .a = { { "Kirkeveien", "20", "A", "1607", "3107" } } },
};
#define NPEOPLE (sizeof(people) / sizeof(people[0]))

static void
put_people(struct fx *f)
{
	for (size_t i = 0; i < NPEOPLE; i++)
		put(f, "personErOpprettet", &people[i], NULL);
}

/* entydigsoek: 0 and the pid, or the error with pid "". */
static int
E(struct fx *f, enum freg_pkg p, struct freg_entydig q, char pid[12])
{
	int r = freg_register_entydig(f->r, p, &q, pid);

	if (r != 0)
		assert_string_equal(pid, "");
	return r;
}

#define FOUND(f, p, want, ...) do { \
		char got_[12] = "x"; \
		assert_int_equal(E((f), (p), (struct freg_entydig){ __VA_ARGS__ }, got_), 0); \
		assert_string_equal(got_, (want)); \
	} while (0)
#define NOTFOUND(f, p, ...) do { \
		char got_[12] = "x"; \
		assert_int_equal(E((f), (p), (struct freg_entydig){ __VA_ARGS__ }, got_), \
		                 PORTEN_ERR_NOT_FOUND); \
	} while (0)

struct list {
	size_t n;
	char pid[64][12];
	size_t stop_after;           /* non-zero: return 9 after this many */
};

static int
collect(void *ctx, const char *pid)
{
	struct list *l = ctx;

	assert_true(strlen(pid) < 33);
	if (l->n < 64)
		snprintf(l->pid[l->n], 12, "%.11s", pid);
	l->n++;
	return l->stop_after != 0 && l->n >= l->stop_after ? 9 : 0;
}

/* soek as a "|"-joined string of pids ("" for none); asserts success. */
static const char *
S(struct fx *f, enum freg_pkg p, struct freg_soek q)
{
	static char buf[64 * 12];
	struct list l = { 0 };

	assert_int_equal(freg_soek_check(&q, NULL, 0), 0);
	assert_int_equal(freg_register_soek(f->r, p, &q, collect, &l), 0);
	buf[0] = '\0';
	for (size_t i = 0; i < l.n && i < 64; i++) {
		if (i > 0)
			strcat(buf, "|");
		strcat(buf, l.pid[i]);
		if (i > 0)
			assert_true(strcmp(l.pid[i - 1], l.pid[i]) < 0);
	}
	return buf;
}

static const char *
T(struct fx *f, struct freg_tilpasset q)
{
	static char buf[64 * 12];
	struct list l = { 0 };

	assert_int_equal(freg_register_tilpasset(f->r, &q, collect, &l), 0);
	buf[0] = '\0';
	for (size_t i = 0; i < l.n && i < 64; i++) {
		if (i > 0)
			strcat(buf, "|");
		strcat(buf, l.pid[i]);
	}
	return buf;
}

/* ---- phonetic key and folding (docs/freg-phonetic.md) ---- */

static void
assert_same_key(const char *a, const char *b, bool same)
{
	char ka[FREG_PHONETIC_MAX], kb[FREG_PHONETIC_MAX];

	freg_phonetic(a, ka);
	freg_phonetic(b, kb);
	if ((strcmp(ka, kb) == 0) != same)
		fail_msg("%s (%s) and %s (%s) should %smatch", a, ka, b, kb, same ? "" : "not ");
}

static void
test_phonetic(void **state)
{
	/* The examples of docs/freg-phonetic.md, group by group: every name of a group has
	 * the same key. */
	static const char *const groups[][5] = {
		{ "Kristiansen", "Christiansen", "Kristiansenn", "Cristiansen" },
		{ "Nilsen", "Nielsen", "Nilssen", "Nilson" },
		{ "Haugen", "Hougen" },
		{ "Aase", "Åse" },
		{ "Bjørnstad", "Bjoernstad" },
		{ "Sørensen", "Soerensen", "Sorensen", "SØRENSEN" },
		{ "Meyer", "Meier", "Maier", "Mayer" },
		{ "Olav", "Olaf" },
		{ "Thomas", "Tomas", "Tommas" },
		{ "Wenche", "Venke" },
		{ "Ragnhild", "Ragnild" },
		{ "Hjalmar", "Jalmar" },
		{ "Gjertrud", "Jertrud" },
		{ "Philip", "Filip", "Phillip" },
		{ "Cecilie", "Sesilie" },
		{ "Kathrine", "Katrine", "Cathrine" },
		{ "Erichsen", "Eriksen", "Ericsen" },
		{ "Jacobsen", "Jakobsen" },
		{ "Zakarias", "Sakarias" },
		{ "Larsson", "Larsen", "Larson" },
		{ "Johansen", "Johanssen", "Johansson" },
		{ "Pettersen", "Petersen" },
		{ "Hvalstad", "Valstad" },
		{ "Djupvik", "Jupvik" },
		{ "Quist", "Kvist" },
		{ "Ødegård", "Odegaard", "Ødegaard" },
		{ "Karlsen", "Carlsen" },
		{ "Sylvia", "Silvia" },
		{ "Mathias", "Matias", "Matthias" },
		{ "Brandt", "Brant" },
	};
	/* Known false positives: different names with one key. */
	static const char *const fp[][2] = {
		{ "Marie", "Mari" }, { "Lie", "Li" }, { "Mikkel", "Michael" },
		{ "Åsen", "Osen" }, { "Anne", "Ane" }, { "Sif", "Siv" }, { "Moe", "Mo" },
	};
	/* Names that stay apart. */
	static const char *const apart[][2] = {
		{ "Hansen", "Jensen" }, { "Ola", "Ole" }, { "Pettersen", "Pedersen" },
		{ "Kjell", "Kjeld" }, { "Johansen", "Johnsen" }, { "Berg", "Borg" },
		{ "Müller", "Mueller" },
	};
	char k[FREG_PHONETIC_MAX], big[400];

	(void)state;
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (size_t i = 1; i < 5 && groups[g][i] != NULL; i++)
			assert_same_key(groups[g][0], groups[g][i], true);
	for (size_t i = 0; i < sizeof(fp) / sizeof(fp[0]); i++)
		assert_same_key(fp[i][0], fp[i][1], true);
	for (size_t i = 0; i < sizeof(apart) / sizeof(apart[0]); i++)
		assert_same_key(apart[i][0], apart[i][1], false);
	/* Some keys exactly. */
	freg_phonetic("Kristiansen", k);
	assert_string_equal(k, "kristiansen");
	freg_phonetic("Åse", k);
	assert_string_equal(k, "ose");
	freg_phonetic("Schiøtz", k);
	assert_string_equal(k, "sjiots");
	freg_phonetic("Čáhppes", k);
	assert_string_equal(k, "tsjahpes");
	freg_phonetic("O'Brien", k);
	assert_string_equal(k, "obrin");
	/* No letters: an empty key; NULL; a long word is cut at FREG_PHONETIC_MAX - 1. */
	freg_phonetic("'-.1", k);
	assert_string_equal(k, "");
	freg_phonetic(NULL, k);
	assert_string_equal(k, "");
	memset(big, 'a', sizeof(big) - 1);
	for (size_t i = 1; i < sizeof(big) - 1; i += 2)
		big[i] = 'b';
	big[sizeof(big) - 1] = '\0';
	freg_phonetic(big, k);
	assert_int_equal(strlen(k), FREG_PHONETIC_MAX - 1);
	/* Bytes that are not UTF-8 are dropped. */
	freg_phonetic("Ol\xff\xc3" "a", k);
	assert_string_equal(k, "ola");
}

static void
test_fold(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(freg_search_fold("ÆØÅ Storgata É", out, sizeof(out)), "æøå storgata é");
	assert_string_equal(freg_search_fold("ČUĐE ŊÁ Ÿ", out, sizeof(out)), "čuđe ŋá ÿ");
	/* Only case changes: no transliteration, punctuation and digits kept. */
	assert_string_equal(freg_search_fold("Aa-Bb 10'", out, sizeof(out)), "aa-bb 10'");
	/* Malformed UTF-8 is copied as it is. */
	assert_string_equal(freg_search_fold("A\xff\xc3", out, sizeof(out)), "a\xff\xc3");
	/* In place, and exactly strlen + 1 bytes. */
	strcpy(out, "ÅSE");
	assert_ptr_equal(freg_search_fold(out, out, 5), out);
	assert_string_equal(out, "åse");
	strcpy(out, "Gamle Kongevei 4");
	assert_ptr_equal(freg_search_fold(out, out, sizeof(out)), out);
	assert_string_equal(out, "gamle kongevei 4");
	assert_null(freg_search_fold("ÅSE", out, 4));
	assert_null(freg_search_fold(NULL, out, sizeof(out)));
}

/* ---- entydigsoek ---- */

static void
test_entydig_navn(void **state)
{
	struct fx *f = *state;

	put_people(f);
	/* First word of fornavn, last of etternavn, any case; the other fornavn word too. */
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Hansen", .foedselsdato = "19800101");
	FOUND(f, FREG_PUH, PID_OLA, .navn = "ola HANSEN", .foedselsdato = "19800101");
	FOUND(f, FREG_PRIV, PID_OLA, .navn = "Johan Hansen", .foedselsdato = "19800101");
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Johan Hansen", .foedselsdato = "19800101");
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola-Johan Hansen", .foedselsdato = "19800101");
	FOUND(f, FREG_OMH, PID_OLA, .navn = "  Ola   Hansen ", .foedselsdato = "19800101");
	/* A middle word that is no word of the name; the order of first and last. */
	NOTFOUND(f, FREG_OMH, .navn = "Ola Peter Hansen", .foedselsdato = "19800101");
	NOTFOUND(f, FREG_OMH, .navn = "Hansen Ola", .foedselsdato = "19800101");
	NOTFOUND(f, FREG_OMH, .navn = "Ola Hans", .foedselsdato = "19800101");
	NOTFOUND(f, FREG_OMH, .navn = "Ola Hansen", .foedselsdato = "19800102");
	/* Two persons with the same name and birth date: no hit; the address tells them apart. */
	NOTFOUND(f, FREG_OMH, .navn = "Per Olsen", .foedselsdato = "19900202");
	FOUND(f, FREG_OMH, PID_PER2, .navn = "Per Olsen", .adressenavn = "Åsveien",
	      .husnummer = "2");
	/* identifikasjonsnummer and postnummer. */
	FOUND(f, FREG_OMH, PID_PER1, .navn = "Per Olsen", .identifikasjonsnummer = PID_PER1);
	NOTFOUND(f, FREG_OMH, .navn = "Per Olsen", .identifikasjonsnummer = PID_OLA);
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Hansen", .postnummer = "0150");
	NOTFOUND(f, FREG_OMH, .navn = "Ola Hansen", .postnummer = "0151");
	/* Dead persons are found (entydigsoek has no inkluderDoede). */
	FOUND(f, FREG_OMH, PID_DAG, .navn = "Dag Hansen", .foedselsdato = "19401010");
	/* soekFonetisk: only with it do spelling variants match. */
	NOTFOUND(f, FREG_OMH, .navn = "Ola Hanssen", .foedselsdato = "19800101");
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Hanssen", .foedselsdato = "19800101",
	      .fonetisk = true);
	FOUND(f, FREG_OMH, PID_KRIS, .navn = "Christian Nielsen", .foedselsdato = "19851111",
	      .fonetisk = true);
	FOUND(f, FREG_OMH, PID_KRIS, .navn = "Kristian Nilsen", .foedselsdato = "19851111",
	      .fonetisk = true);
	NOTFOUND(f, FREG_OMH, .navn = "Christian Nielsen", .foedselsdato = "19851111");
}

static void
test_entydig_address(void **state)
{
	struct fx *f = *state;

	put_people(f);
	/* 10 is not 10B, and the other way round; the letter in any case. */
	NOTFOUND(f, FREG_OMH, .navn = "Kari Nordmann", .adressenavn = "Storgata", .husnummer = "10");
	FOUND(f, FREG_OMH, PID_KARI, .navn = "Kari Nordmann", .adressenavn = "Storgata",
	      .husnummer = "10B");
	FOUND(f, FREG_OMH, PID_KARI, .navn = "Kari Nordmann", .adressenavn = "storgata",
	      .husnummer = "10b");
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Hansen", .adressenavn = "Storgata", .husnummer = "10");
	NOTFOUND(f, FREG_OMH, .navn = "Ola Hansen", .adressenavn = "Storgata", .husnummer = "10B");
	/* An address with a number needs husnummer; one without does not. */
	NOTFOUND(f, FREG_OMH, .navn = "Ola Hansen", .adressenavn = "Storgata");
	FOUND(f, FREG_OMH, PID_LISE, .navn = "Lise Berg", .adressenavn = "Bygdevegen");
	NOTFOUND(f, FREG_OMH, .navn = "Lise Berg", .adressenavn = "Bygdevegen", .husnummer = "1");
	/* A prefix of at least three characters, any case, also of a ÆØÅ name. */
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Hansen", .adressenavn = "STO", .husnummer = "10");
	FOUND(f, FREG_OMH, PID_PER1, .navn = "Per Olsen", .adressenavn = "åsv", .husnummer = "1");
	NOTFOUND(f, FREG_OMH, .navn = "Ola Hansen", .adressenavn = "gata", .husnummer = "10");
	/* postnummer with adressenavn: the same address. */
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Hansen", .adressenavn = "Storgata",
	      .husnummer = "10", .postnummer = "0150");
	NOTFOUND(f, FREG_OMH, .navn = "Ola Hansen", .adressenavn = "Storgata", .husnummer = "10",
	         .postnummer = "8006");
	/* The oppholdsadresse counts too; a matrikkeladresse by postnummer (historical). */
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Hansen", .adressenavn = "Sjøgata", .husnummer = "3");
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Hansen", .postnummer = "8006");
	NOTFOUND(f, FREG_OMH, .navn = "Lise Berg", .postnummer = "2391");
	FOUND(f, FREG_OMH, PID_LISE, .navn = "Lise Berg", .postnummer = "2391", .historisk = true);
}

static void
test_entydig_historisk(void **state)
{
	struct fx *f = *state;

	put_people(f);
	NOTFOUND(f, FREG_OMH, .navn = "Anne Berg", .foedselsdato = "19700303");
	FOUND(f, FREG_OMH, PID_ANNE, .navn = "Anne Berg", .foedselsdato = "19700303",
	      .historisk = true);
	FOUND(f, FREG_OMH, PID_ANNE, .navn = "Anne Lund", .foedselsdato = "19700303",
	      .historisk = true);
	NOTFOUND(f, FREG_OMH, .navn = "Anne Lund", .adressenavn = "Gamleveien", .husnummer = "5");
	FOUND(f, FREG_PUH, PID_ANNE, .navn = "Anne Lund", .adressenavn = "Gamleveien",
	      .husnummer = "5", .historisk = true);
	FOUND(f, FREG_OMH, PID_ANNE, .navn = "Anne Berg", .adressenavn = "Gamleveien",
	      .husnummer = "5", .historisk = true, .fonetisk = true);
}

static void
test_entydig_gradering(void **state)
{
	struct fx *f = *state;
	static const enum freg_pkg hjemmel[] = { FREG_OMH, FREG_FIN, FREG_EID };
	static const enum freg_pkg uten[] = {
		FREG_OUH, FREG_PUH, FREG_PRIV, FREG_PRIV_UF, FREG_PRESSE, FREG_PRESSE_UF,
	};

	put_people(f);
	/* fortrolig and klientadresse: by packages with hjemmel only. */
	for (size_t i = 0; i < 3; i++) {
		FOUND(f, hjemmel[i], PID_SIRI, .navn = "Siri Skjult", .adressenavn = "Hemmeligveien",
		      .husnummer = "1");
		FOUND(f, hjemmel[i], PID_SIRI, .navn = "Siri Skjult", .postnummer = "0151");
		FOUND(f, hjemmel[i], PID_LIV, .navn = "Liv Klient", .adressenavn = "Institusjonsv",
		      .husnummer = "2");
	}
	for (size_t i = 0; i < 6; i++) {
		NOTFOUND(f, uten[i], .navn = "Siri Skjult", .adressenavn = "Hemmeligveien",
		         .husnummer = "1");
		NOTFOUND(f, uten[i], .navn = "Siri Skjult", .postnummer = "0151");
		NOTFOUND(f, uten[i], .navn = "Liv Klient", .adressenavn = "Institusjonsv",
		         .husnummer = "2");
		/* The person herself is found by what is not an address. */
		FOUND(f, uten[i], PID_SIRI, .navn = "Siri Skjult", .foedselsdato = "19600404");
	}
	/* strengtFortrolig: never by an address, not even OMH. */
	NOTFOUND(f, FREG_OMH, .navn = "Tor Borte", .adressenavn = "Ukjentveien", .husnummer = "9");
	NOTFOUND(f, FREG_OMH, .navn = "Tor Borte", .postnummer = "0152");
	FOUND(f, FREG_OMH, PID_TOR, .navn = "Tor Borte", .foedselsdato = "19660606");
}

static void
test_entydig_foreign(void **state)
{
	struct fx *f = *state;
	char why[128], pid[12];
	struct freg_entydig q = { .navn = "Andrius Vasiliauskas", .utenlandsk = "LTU-53318090500" };

	put_people(f);
	FOUND(f, FREG_OMH, PID_ANDR, .navn = "Andrius Vasiliauskas", .utenlandsk = "LTU-53318090500");
	FOUND(f, FREG_EID, PID_ANDR, .navn = "Andrius Vasiliauskas", .utenlandsk = "ltu-53318090500");
	FOUND(f, FREG_OMH, PID_ANDR, .foedselsdato = "19880808", .utenlandsk = "LTU-53318090500");
	FOUND(f, FREG_EID, PID_ANDR, .foedselsdato = "19880808", .legitimasjonsdokument = "LTU-LP1364324");
	FOUND(f, FREG_OMH, PID_ANDR, .navn = "Andrius Vasiliauskas",
	      .legitimasjonsdokument = "LTU-lp1364324");
	NOTFOUND(f, FREG_OMH, .navn = "Andrius Vasiliauskas", .utenlandsk = "LVA-53318090500");
	NOTFOUND(f, FREG_OMH, .foedselsdato = "19880809", .utenlandsk = "LTU-53318090500");
	FOUND(f, FREG_OMH, PID_ANDR, .navn = "Andrius Vasiliauskas", .duf = "201212345678");
	NOTFOUND(f, FREG_OMH, .navn = "Andrius Vasiliauskas", .duf = "201212345679");
	/* Refused for the other packages, by the check and by the search itself. */
	assert_int_equal(freg_entydig_check(FREG_OMH, &q, why, sizeof(why)), 0);
	assert_int_equal(freg_entydig_check(FREG_EID, &q, why, sizeof(why)), 0);
	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		if (p == FREG_OMH || p == FREG_EID)
			continue;
		why[0] = '\0';
		assert_int_equal(freg_entydig_check((enum freg_pkg)p, &q, why, sizeof(why)),
		                 PORTEN_ERR_INVALID);
		assert_true(strlen(why) > 0);
		assert_int_equal(freg_register_entydig(f->r, (enum freg_pkg)p, &q, pid),
		                 PORTEN_ERR_INVALID);
	}
	q = (struct freg_entydig){ .navn = "Andrius Vasiliauskas", .duf = "201212345678" };
	assert_int_equal(freg_entydig_check(FREG_OMH, &q, why, sizeof(why)), 0);
	for (int p = 1; p < FREG_PKG_COUNT; p++)
		assert_int_equal(freg_entydig_check((enum freg_pkg)p, &q, why, sizeof(why)),
		                 PORTEN_ERR_INVALID);
	/* foedselsdato + DUF is no combination (DUF needs navn). */
	q = (struct freg_entydig){ .foedselsdato = "19880808", .duf = "201212345678" };
	assert_int_equal(freg_entydig_check(FREG_OMH, &q, why, sizeof(why)), PORTEN_ERR_INVALID);
}

static void
test_entydig_check(void **state)
{
	struct fx *f = *state;
	static const struct {
		enum freg_pkg p;
		struct freg_entydig q;
	} bad[] = {
		{ FREG_OMH, { .navn = "Ola", .foedselsdato = "19800101" } },     /* one word */
		{ FREG_OMH, { .navn = "  -  ", .foedselsdato = "19800101" } },
		{ FREG_OMH, { .navn = "Ola Hansen" } },                          /* no second criterion */
		{ FREG_OMH, { .foedselsdato = "19800101" } },
		{ FREG_OMH, { .foedselsdato = "19800101", .postnummer = "0150" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .husnummer = "10" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .identifikasjonsnummer = "0101801234" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .identifikasjonsnummer = "0101801234x" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .foedselsdato = "19801301" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .foedselsdato = "19810229" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .foedselsdato = "1980-01-01" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .adressenavn = "St" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .adressenavn = "Åø" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .adressenavn = "Storgata", .husnummer = "10BB" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .adressenavn = "Storgata", .husnummer = "B" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .adressenavn = "Storgata", .husnummer = "12345" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .postnummer = "015" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .utenlandsk = "LT-123" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .utenlandsk = "LTU123" } },
		{ FREG_OMH, { .navn = "Ola Hansen", .utenlandsk = "LTU-12 3" } },
		{ FREG_OMH, { .navn = "Ola Hans\xff", .foedselsdato = "19800101" } },
		{ FREG_OMH, { .navn = "Ola\nHansen", .foedselsdato = "19800101" } },
		{ FREG_OMH, { .navn = "a b c d e f g h i j k l m n o p q", .foedselsdato = "19800101" } },
		{ FREG_PKG_COUNT, { .navn = "Ola Hansen", .foedselsdato = "19800101" } },
	};
	char why[160], pid[12];
	struct freg_entydig ok = { .navn = "Ola Hansen", .foedselsdato = "20000229" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (freg_entydig_check(bad[i].p, &bad[i].q, why, sizeof(why)) != PORTEN_ERR_INVALID)
			fail_msg("case %zu passed the check", i);
		assert_true(strlen(why) > 0);
		assert_int_equal(freg_register_entydig(f->r, bad[i].p, &bad[i].q, pid),
		                 PORTEN_ERR_INVALID);
	}
	assert_int_equal(freg_entydig_check(FREG_OMH, &ok, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	/* why may be NULL; a tiny one is cut. */
	assert_int_equal(freg_entydig_check(FREG_OMH, &bad[0].q, NULL, 0), PORTEN_ERR_INVALID);
	assert_int_equal(freg_entydig_check(FREG_OMH, &bad[0].q, why, 4), PORTEN_ERR_INVALID);
	assert_int_equal(strlen(why), 3);
	assert_int_equal(freg_entydig_check(FREG_OMH, NULL, why, sizeof(why)), PORTEN_ERR_INVALID);
}

/* SQL in a criterion is text like any other: it matches nothing and breaks nothing. */
static void
test_injection(void **state)
{
	struct fx *f = *state;
	static const char *const evil[] = {
		"' OR 1=1 --", "%", "_", "%%%", "___", "\" OR \"\"=\"", "'); DROP TABLE freg_s_word; --",
		"Ola%", "Hans_n", "*",
	};
	char navn[128];

	put_people(f);
	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		snprintf(navn, sizeof(navn), "Ola %s", evil[i]);
		NOTFOUND(f, FREG_OMH, .navn = navn, .foedselsdato = "19800101");
		NOTFOUND(f, FREG_OMH, .navn = navn, .foedselsdato = "19800101", .fonetisk = true);
		snprintf(navn, sizeof(navn), "%s Hansen", evil[i]);
		NOTFOUND(f, FREG_OMH, .navn = navn, .postnummer = "0150");
		if (strlen(evil[i]) >= 3)
			NOTFOUND(f, FREG_OMH, .navn = "Ola Hansen", .adressenavn = evil[i],
			         .husnummer = "10");
		assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = evil[i] }), "");
		if (strpbrk(evil[i], "OlaHansn") == NULL)
			assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = evil[i],
			                      .fonetisk = true }), "");
		if (strlen(evil[i]) >= 3)
			assert_string_equal(S(f, FREG_OMH, (struct freg_soek){
			                      .adressenavn = evil[i] }), "");
	}
	/* A phonetic key has letters only: punctuation is dropped, never a wildcard. */
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Ola%", .fonetisk = true }),
	                    PID_OLA);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Hans_n", .fonetisk = true }),
	                    "");
	/* Still all there. */
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Hansen", .foedselsdato = "19800101");
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Hansen" }), PID_OLA);
}

/* ---- the index follows the register ---- */

static void
test_reindex(void **state)
{
	struct fx *f = *state;
	struct spec s = { .pid = "12127012345", .fornavn = "Nina", .etternavn = "Dahl",
	                  .fdato = "1970-12-12", .kjoenn = "kvinne",
	                  .a = { { "Elvegata", "1", NULL, "3015", "3301" } } };
	struct freg_ingest ev;
	json_t *doc;

	put(f, "personErOpprettet", &s, NULL);
	FOUND(f, FREG_OMH, s.pid, .navn = "Nina Dahl", .foedselsdato = "19701212");
	/* A new name that keeps the old one as history. */
	s.etternavn = "Holm";
	s.old_etternavn = "Dahl";
	s.a[0] = (struct addr){ "Fjellveien", "2", NULL, "3016", "3301" };
	s.a[1] = (struct addr){ "Elvegata", "1", NULL, "3015", "3301", .hist = true };
	put(f, "endringINavn", &s, NULL);
	FOUND(f, FREG_OMH, s.pid, .navn = "Nina Holm", .foedselsdato = "19701212");
	NOTFOUND(f, FREG_OMH, .navn = "Nina Dahl", .foedselsdato = "19701212");
	FOUND(f, FREG_OMH, s.pid, .navn = "Nina Dahl", .foedselsdato = "19701212", .historisk = true);
	NOTFOUND(f, FREG_OMH, .navn = "Nina Holm", .adressenavn = "Elvegata", .husnummer = "1");
	FOUND(f, FREG_OMH, s.pid, .navn = "Nina Holm", .adressenavn = "Elvegata", .husnummer = "1",
	      .historisk = true);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Dahl" }), "");
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Dahl", .historisk = true }),
	                    s.pid);
	/* A version without the old name: gone for historisk too. */
	s.old_etternavn = NULL;
	memset(&s.a[1], 0, sizeof(s.a[1]));
	put(f, "korrigering", &s, NULL);
	NOTFOUND(f, FREG_OMH, .navn = "Nina Dahl", .foedselsdato = "19701212", .historisk = true);
	NOTFOUND(f, FREG_OMH, .navn = "Nina Holm", .adressenavn = "Elvegata", .husnummer = "1",
	         .historisk = true);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Dahl", .historisk = true }),
	                    "");
	/* A new identifier with a version: found under it, and by the old one. */
	s.pid = "12127054321";
	doc = mkperson(&s);
	ev = (struct freg_ingest){ .pid = "12127012345", .type = "endringIIdentifikasjonsnummer",
	                           .person = doc, .new_pid = "12127054321" };
	assert_int_equal(freg_register_ingest(f->r, &ev, 1, NULL), 0);
	json_decref(doc);
	FOUND(f, FREG_OMH, "12127054321", .navn = "Nina Holm", .foedselsdato = "19701212");
	FOUND(f, FREG_OMH, "12127054321", .navn = "Nina Holm", .identifikasjonsnummer = "12127012345");
	/* ... and without a version. */
	ev = (struct freg_ingest){ .pid = "12127054321", .type = "endringIIdentifikasjonsnummer",
	                           .new_pid = "12127099999" };
	assert_int_equal(freg_register_ingest(f->r, &ev, 1, NULL), 0);
	FOUND(f, FREG_OMH, "12127099999", .navn = "Nina Holm", .foedselsdato = "19701212");
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Nina Holm" }), "12127099999");
}

static void
test_merge(void **state)
{
	struct fx *f = *state;
	struct spec dup = { .pid = "13137012345", .fornavn = "Ola", .etternavn = "Hansen",
	                    .fdato = "1980-01-01",
	                    .a = { { "Dublettveien", "1", NULL, "0160", "0301" } } };
	struct freg_ingest ev = { .pid = dup.pid, .type = "personErOpphoertSomDublett",
	                          .merge_into = PID_OLA };

	put_people(f);
	put(f, "personErOpprettet", &dup, NULL);
	NOTFOUND(f, FREG_OMH, .navn = "Ola Hansen", .foedselsdato = "19800101");
	FOUND(f, FREG_OMH, dup.pid, .navn = "Ola Hansen", .adressenavn = "Dublettveien",
	      .husnummer = "1");
	assert_int_equal(freg_register_ingest(f->r, &ev, 1, NULL), 0);
	/* The duplicate is gone from every index; its identifier names the survivor. */
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Hansen", .foedselsdato = "19800101");
	NOTFOUND(f, FREG_OMH, .navn = "Ola Hansen", .adressenavn = "Dublettveien", .husnummer = "1");
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Hansen", .identifikasjonsnummer = dup.pid);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .adressenavn = "Dublettveien" }), "");
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Ola Hansen" }), PID_OLA);
}

/* A register written before migration 003: its persons are indexed at the next open. */
static void
test_rebuild(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = NULL;

	if (on_pg)
		skip();         /* no register on PostgreSQL predates its index */
	put_people(f);
	freg_register_close(f->r);
	f->r = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM freg_s_person; DELETE FROM freg_s_pair; "
	                              "DELETE FROM freg_s_word; DELETE FROM freg_s_addr; "
	                              "DELETE FROM freg_s_fid; "
	                              "UPDATE freg_s_state SET next = 0, built = 0",
	                              NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(freg_register_open(f->uri, &f->r), 0);
	FOUND(f, FREG_OMH, PID_OLA, .navn = "Ola Hansen", .foedselsdato = "19800101");
	FOUND(f, FREG_OMH, PID_ANDR, .navn = "Andrius Vasiliauskas", .utenlandsk = "LTU-53318090500");
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Hansen",
	                      .inkluder_doede = true }), PID_OLA "|" PID_DAG);
}

/* ---- soek ---- */

static void
test_soek(void **state)
{
	struct fx *f = *state;
	struct freg_soek q;
	struct list l = { 0 };
	char why[128];

	put_people(f);
	/* navn: each word a whole word of any name part; dead persons only when asked. */
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Hansen" }), PID_OLA);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "hansen",
	                      .inkluder_doede = true }), PID_OLA "|" PID_DAG);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Johan" }), PID_OLA);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Hansen Johan Ola" }), PID_OLA);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Hansen Per" }), "");
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Per Olsen" }),
	                    PID_PER1 "|" PID_PER2);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Hanssen" }), "");
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Hanssen", .fonetisk = true,
	                      .inkluder_doede = true }), PID_OLA "|" PID_DAG);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Berg" }), PID_LISE);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Berg", .historisk = true }),
	                    PID_ANNE "|" PID_LISE);
	/* Person facts. */
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .foedselsdato = "19900202" }),
	                    PID_PER1 "|" PID_PER2);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .aar_fom = 1985, .aar_tom = 1990,
	                      .kjoenn = "mann" }), PID_PER1 "|" PID_PER2 "|" PID_ANDR "|" PID_KRIS);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .aar_fom = 1985, .aar_tom = 1990,
	                      .kjoenn = "kvinne" }), PID_LISE);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .aar_tom = 1960,
	                      .inkluder_doede = true }), PID_SIRI "|" PID_DAG);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .aar_fom = 1990, .aar_tom = 1990,
	                      .foedselsdato = "19900909" }), PID_LISE);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .aar_fom = 1991,
	                      .foedselsdato = "19900909" }), "");
	/* Addresses: the bostedsadresse unless inkluderOppholdsadresse; number and letter. */
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .adressenavn = "Storgata" }),
	                    PID_OLA "|" PID_KARI);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .adressenavn = "Storgata",
	                      .husnummer = "10" }), PID_OLA);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .adressenavn = "Storgata",
	                      .husnummer = "10B" }), PID_KARI);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .adressenavn = "Sjøgata" }), "");
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .adressenavn = "SJØGATA",
	                      .inkluder_opphold = true }), PID_OLA);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .postnummer = "0150",
	                      .inkluder_doede = true }), PID_OLA "|" PID_KARI "|" PID_DAG);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .kommunenummer = "0301" }),
	                    PID_OLA "|" PID_SIRI "|" PID_KARI "|" PID_LIV);
	assert_string_equal(S(f, FREG_PUH, (struct freg_soek){ .kommunenummer = "0301" }),
	                    PID_OLA "|" PID_KARI);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .fylkesnummer = "46" }),
	                    PID_PER1 "|" PID_PER2);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .fylkesnummer = "46",
	                      .kommunenummer = "4601" }), PID_PER1 "|" PID_PER2);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .fylkesnummer = "03",
	                      .kommunenummer = "4601" }), "");
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .navn = "Hansen",
	                      .kommunenummer = "0301", .husnummer = "12",
	                      .inkluder_doede = true }), PID_DAG);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .adressenavn = "Gamleveien" }), "");
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .adressenavn = "Gamleveien",
	                      .historisk = true }), PID_ANNE);
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .postnummer = "0152" }), "");
	/* maksTreff, and a callback that stops. */
	assert_string_equal(S(f, FREG_OMH, (struct freg_soek){ .kommunenummer = "0301",
	                      .maks = 2 }), PID_OLA "|" PID_SIRI);
	q = (struct freg_soek){ .kommunenummer = "0301" };
	l.stop_after = 1;
	assert_int_equal(freg_register_soek(f->r, FREG_OMH, &q, collect, &l), 9);
	assert_int_equal(l.n, 1);
	/* Everyone (12 persons, one dead). */
	l = (struct list){ 0 };
	q = (struct freg_soek){ 0 };
	assert_int_equal(freg_register_soek(f->r, FREG_OMH, &q, collect, &l), 0);
	assert_int_equal(l.n, NPEOPLE - 1);
	/* Bad criteria. */
	static const struct freg_soek bad[] = {
		{ .navn = "" }, { .navn = " - " }, { .kjoenn = "x" }, { .foedselsdato = "19800132" },
		{ .aar_fom = 999 }, { .aar_tom = 10000 }, { .aar_fom = 1990, .aar_tom = 1980 },
		{ .adressenavn = "ab" }, { .husnummer = "1a1" }, { .postnummer = "12345" },
		{ .kommunenummer = "301" }, { .fylkesnummer = "3" }, { .maks = FREG_SOEK_MAX + 1 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (freg_soek_check(&bad[i], why, sizeof(why)) != PORTEN_ERR_INVALID)
			fail_msg("soek case %zu passed the check", i);
		assert_true(strlen(why) > 0);
		assert_int_equal(freg_register_soek(f->r, FREG_OMH, &bad[i], collect, &l),
		                 PORTEN_ERR_INVALID);
	}
}

/* ---- tilpasset and komplett ---- */

static void
test_tilpasset(void **state)
{
	struct fx *f = *state;
	struct freg_tilpasset q;
	struct list l = { 0 };
	const unsigned all = (1u << (FREG_UT_INAKTIV + 1)) - 1;

	put_people(f);
	assert_string_equal(T(f, (struct freg_tilpasset){ .statuses = 1u << FREG_UT_DOED }), PID_DAG);
	assert_string_equal(T(f, (struct freg_tilpasset){ .statuses = 1u << FREG_UT_AKTIV }),
	                    PID_ANDR);
	assert_string_equal(T(f, (struct freg_tilpasset){ .statuses = all,
	                      .bostedskommune = "4601" }), PID_PER1 "|" PID_PER2);
	assert_string_equal(T(f, (struct freg_tilpasset){ .statuses = all,
	                      .oppholdskommune = "5501" }), PID_ANDR);
	assert_string_equal(T(f, (struct freg_tilpasset){ .statuses = all,
	                      .oppholdskommune = "1804" }), PID_OLA);
	/* Identifier order, not insertion order. */
	assert_string_equal(T(f, (struct freg_tilpasset){ .statuses = 1u << FREG_UT_BOSATT,
	                      .foedt_fom = 1975, .foedt_tom = 1980 }),
	                    PID_OLA "|" PID_KARI "|" PID_LIV);
	assert_string_equal(T(f, (struct freg_tilpasset){ .statuses = all, .doed_fom = 2020,
	                      .doed_tom = 2020 }), PID_DAG);
	assert_string_equal(T(f, (struct freg_tilpasset){ .statuses = all, .doed_tom = 2019 }), "");
	assert_string_equal(T(f, (struct freg_tilpasset){ .statuses = all, .kjoenn = "kvinne",
	                      .sivilstand = "skilt" }), PID_ANNE);
	assert_string_equal(T(f, (struct freg_tilpasset){ .statuses = all,
	                      .statsborgerskap = "swe" }), PID_OLA);
	assert_string_equal(T(f, (struct freg_tilpasset){ .statuses = all,
	                      .statsborgerskap = "NOR", .sivilstand = "gift" }), PID_OLA "|" PID_DAG);
	/* The strengtFortrolig person has no kommune to select by. */
	assert_string_equal(T(f, (struct freg_tilpasset){ .statuses = all,
	                      .bostedskommune = "0301" }),
	                    PID_OLA "|" PID_SIRI "|" PID_KARI "|" PID_LIV "|" PID_DAG);
	/* A callback that stops; the connection it stopped on answers the next query whole
	 * (on PostgreSQL the rows stream, and the rest is cancelled and discarded).
	 * More rounds than the pool has connections, so every one of them is met. */
	q = (struct freg_tilpasset){ .statuses = all };
	char whole[sizeof(((struct list *)0)->pid)];
	snprintf(whole, sizeof(whole), "%s", T(f, q));
	assert_true(strlen(whole) > 4 * 12);     /* more than the callback takes */
	for (int round = 0; round < PORTEN_FREG_POOL_MAX + 1; round++) {
		memset(&l, 0, sizeof(l));
		l.stop_after = 3;
		assert_int_equal(freg_register_tilpasset(f->r, &q, collect, &l), 9);
		assert_int_equal(l.n, 3);
		assert_string_equal(T(f, q), whole);
	}
	/* Bad orders. */
	static const struct freg_tilpasset bad[] = {
		{ .statuses = 0 }, { .statuses = 1u << 7 },
		{ .statuses = 1, .bostedskommune = "0301", .oppholdskommune = "0301" },
		{ .statuses = 1, .bostedskommune = "301" }, { .statuses = 1, .foedt_fom = 99 },
		{ .statuses = 1, .foedt_fom = 2000, .foedt_tom = 1999 }, { .statuses = 1, .kjoenn = "" },
		{ .statsborgerskap = "NO", .statuses = 1 }, { .statuses = 1, .sivilstand = "" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(freg_register_tilpasset(f->r, &bad[i], collect, &l),
		                 PORTEN_ERR_INVALID);
}

struct docs {
	size_t n;
	char id[16][33];
};

static int
collect_doc(void *ctx, const char *id)
{
	struct docs *d = ctx;

	assert_int_equal(strlen(id), 32);
	assert_true(d->n < 16);
	memcpy(d->id[d->n++], id, 33);
	return 0;
}

/* The komplett uttrekk as of seq is exactly the versions given (NULL-terminated). */
static void
komplett_is(struct fx *f, int64_t seq, ...)
{
	struct docs d = { 0 };
	const char *want;
	size_t n = 0;
	va_list ap;

	assert_int_equal(freg_register_komplett(f->r, seq, collect_doc, &d), 0);
	va_start(ap, seq);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (n >= d.n || strcmp(d.id[n], want) != 0)
			fail_msg("komplett %lld: document %zu is %s, want %s", (long long)seq, n,
			         n < d.n ? d.id[n] : "(none)", want);
		n++;
	}
	va_end(ap);
	if (n != d.n)
		fail_msg("komplett %lld: %zu documents, want %zu", (long long)seq, d.n, n);
}

static void
test_komplett(void **state)
{
	struct fx *f = *state;
	struct spec a = { .pid = "14147012345", .fornavn = "Alfa", .etternavn = "En" };
	struct spec b = { .pid = "15157012345", .fornavn = "Beta", .etternavn = "En" };
	struct spec c = { .pid = "16167012345", .fornavn = "Gamma", .etternavn = "En" };
	struct freg_ingested a1, b1, a2, c1, m, c2;
	struct freg_ingest ev = { .pid = b.pid, .type = "personErOpphoertSomDublett",
	                          .merge_into = c.pid };
	struct docs d = { 0 };
	size_t deleted = 0;

	komplett_is(f, 1, NULL);
	put(f, "personErOpprettet", &a, &a1);
	put(f, "personErOpprettet", &b, &b1);
	a.etternavn = "To";
	put(f, "endringINavn", &a, &a2);
	put(f, "personErOpprettet", &c, &c1);
	assert_int_equal(freg_register_ingest(f->r, &ev, 1, &m), 0);
	c.etternavn = "Tre";
	put(f, "endringINavn", &c, &c2);
	assert_int_equal(c2.seq[FREG_OMH], 6);
	komplett_is(f, 0, NULL);
	komplett_is(f, -5, NULL);
	komplett_is(f, 1, a1.persondoc_id, NULL);
	komplett_is(f, 2, a1.persondoc_id, b1.persondoc_id, NULL);
	/* A person changed after seq: the version it had then. */
	komplett_is(f, 3, a2.persondoc_id, b1.persondoc_id, NULL);
	komplett_is(f, 4, a2.persondoc_id, b1.persondoc_id, c1.persondoc_id, NULL);
	/* Merged at 5: gone from then on. */
	komplett_is(f, 5, a2.persondoc_id, c1.persondoc_id, NULL);
	komplett_is(f, 6, a2.persondoc_id, c2.persondoc_id, NULL);
	komplett_is(f, 1000, a2.persondoc_id, c2.persondoc_id, NULL);
	/* Several events in one transaction keep the order. */
	{
		json_t *d1, *d2;
		struct freg_ingest two[2];
		struct freg_ingested out[2];

		a.etternavn = "Fire";
		d1 = mkperson(&a);
		a.etternavn = "Fem";
		d2 = mkperson(&a);
		two[0] = (struct freg_ingest){ .pid = a.pid, .type = "endringINavn", .person = d1 };
		two[1] = (struct freg_ingest){ .pid = a.pid, .type = "endringINavn", .person = d2 };
		assert_int_equal(freg_register_ingest(f->r, two, 2, out), 0);
		json_decref(d1);
		json_decref(d2);
		komplett_is(f, 6, a2.persondoc_id, c2.persondoc_id, NULL);
		komplett_is(f, 7, out[0].persondoc_id, c2.persondoc_id, NULL);
		komplett_is(f, 8, out[1].persondoc_id, c2.persondoc_id, NULL);
	}
	/* Retention took the feed up to 8: an older seq is gone, the newest still works. */
	assert_int_equal(freg_register_purge(f->r, T0 + 1, 0, &deleted), 0);
	assert_int_equal(freg_register_komplett(f->r, 3, collect_doc, &d), PORTEN_ERR_NOT_FOUND);
	assert_int_equal(freg_register_komplett(f->r, 8, collect_doc, &d), 0);
	assert_int_equal(d.n, 2);
}

/* ---- a generated population: limits, plans, times ---- */

struct gen {
	size_t n;
	struct gp {
		char pid[12];
		char fornavn[2 * PORTEN_GEN_TEXT_MAX], etternavn[2 * PORTEN_GEN_TEXT_MAX];
		char first[64], last[64];
		int64_t fdato;
	} *p;
};

static void
first_last(const char *s, char *first, char *last, size_t sz, bool want_last)
{
	const char *w = s, *end;

	if (want_last) {
		end = s + strlen(s);
		while (end > s && (end[-1] == ' ' || end[-1] == '-'))
			end--;
		w = end;
		while (w > s && w[-1] != ' ' && w[-1] != '-')
			w--;
		snprintf(last, sz, "%.*s", (int)(end - w), w);
	} else {
		end = w;
		while (*end != '\0' && *end != ' ' && *end != '-')
			end++;
		snprintf(first, sz, "%.*s", (int)(end - w), w);
	}
}

/* A whole word of s (separated by spaces and hyphens), after folding. */
static bool
has_word(const char *s, const char *word)
{
	char fs[2 * PORTEN_GEN_TEXT_MAX], fw[64];
	size_t n;
	char *p;

	assert_non_null(freg_search_fold(s, fs, sizeof(fs)));
	assert_non_null(freg_search_fold(word, fw, sizeof(fw)));
	n = strlen(fw);
	for (p = fs; (p = strstr(p, fw)) != NULL; p++)
		if ((p == fs || p[-1] == ' ' || p[-1] == '-') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '-'))
			return true;
	return false;
}

static int
gen_sink(void *ctx, const char *pid, const json_t *person)
{
	struct gen *g = ctx;
	struct gp *p = &g->p[g->n++];
	const json_t *navn = json_object_get(person, "navn"), *el, *fo;
	const char *d;
	size_t i;

	memset(p, 0, sizeof(*p));
	memcpy(p->pid, pid, 12);
	json_array_foreach(navn, i, el) {
		if (json_is_false(json_object_get(el, "erGjeldende")))
			continue;
		snprintf(p->fornavn, sizeof(p->fornavn), "%s",
		         json_string_value(json_object_get(el, "fornavn")));
		snprintf(p->etternavn, sizeof(p->etternavn), "%s",
		         json_string_value(json_object_get(el, "etternavn")));
	}
	first_last(p->fornavn, p->first, NULL, sizeof(p->first), false);
	first_last(p->etternavn, NULL, p->last, sizeof(p->last), true);
	json_array_foreach(json_object_get(person, "foedsel"), i, fo) {
		d = json_string_value(json_object_get(fo, "foedselsdato"));
		if (d != NULL && strlen(d) == 10 && !json_is_false(json_object_get(fo, "erGjeldende")))
			p->fdato = strtol(d, NULL, 10) * 10000 + strtol(d + 5, NULL, 10) * 100 +
			           strtol(d + 8, NULL, 10);
	}
	return 0;
}

static int
count_cb(void *ctx, const char *pid)
{
	(void)pid;
	(*(size_t *)ctx)++;
	return 0;
}

struct ordered {
	size_t n;
	char last[12];
};

static int
ordered_cb(void *ctx, const char *pid)
{
	struct ordered *o = ctx;

	assert_int_equal(strlen(pid), 11);
	assert_true(o->n == 0 || strcmp(o->last, pid) < 0);
	memcpy(o->last, pid, 12);
	o->n++;
	return 0;
}

/* The plan of a statement: its lines joined by ";". */
static void
plan_of(sqlite3 *db, enum freg_sst id, char *plan, size_t sz)
{
	sqlite3_stmt *st = NULL;
	char sql[8192];

	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", freg_search_sql(id));
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	plan[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		strncat(plan, (const char *)sqlite3_column_text(st, 3), sz - strlen(plan) - 2);
		strcat(plan, ";");
	}
	sqlite3_finalize(st);
}

/* Every line either names the driver expected or is a seek: no other table scan, no
 * sort. allowed_scan is the one SCAN the statement is meant to do ("" for none). */
static void
assert_plan(sqlite3 *db, enum freg_sst id, const char *driver, const char *allowed_scan)
{
	char plan[4096], *line, *save = NULL;

	plan_of(db, id, plan, sizeof(plan));
	printf("plan %d: %s\n", (int)id, plan);
	if (strstr(plan, driver) == NULL)
		fail_msg("plan of %d lacks \"%s\": %s", (int)id, driver, plan);
	for (line = strtok_r(plan, ";", &save); line != NULL; line = strtok_r(NULL, ";", &save)) {
		if (strncmp(line, "SCAN ", 5) == 0 && strstr(line, "VIRTUAL TABLE") == NULL &&
		    strcmp(line, allowed_scan) != 0 && strncmp(line, "SCAN (subquery", 14) != 0)
			fail_msg("plan of %d scans: %s", (int)id, line);
		if (strstr(line, "TEMP B-TREE") != NULL && strstr(line, "FOR DISTINCT") == NULL)
			fail_msg("plan of %d sorts: %s", (int)id, line);
	}
}

static void
test_population(void **state)
{
	struct fx *f = *state;
	struct freg_gen_opts o;
	struct gen g = { 0 };
	struct freg_soek q;
	struct ordered ord;
	size_t n = 0, tested = 0, unique = 0;
	int64_t t, worst = 0, total = 0;
	sqlite3 *db = NULL;

	freg_gen_opts_init(&o);
	o.persons = GEN_PERSONS;
	assert_int_equal(freg_populate(f->r, &o, NULL, NULL), 0);
	g.p = calloc(GEN_PERSONS, sizeof(*g.p));
	assert_non_null(g.p);
	assert_int_equal(freg_gen_population(&o, gen_sink, &g), 0);
	assert_int_equal(g.n, GEN_PERSONS);

	/* entydigsoek "First Last" + foedselsdato on generated persons: the person exactly
	 * when no other has that birth date and those words in fornavn and etternavn. */
	for (size_t i = 0; i < 400; i++) {
		struct gp *p = &g.p[i * (GEN_PERSONS / 400)];
		char navn[160], date[16], pid[12];
		size_t same = 0;
		int r;

		if (p->fdato == 0 || p->first[0] == '\0' || p->last[0] == '\0')
			continue;
		for (size_t j = 0; j < GEN_PERSONS; j++)
			if (g.p[j].fdato == p->fdato && has_word(g.p[j].fornavn, p->first) &&
			    has_word(g.p[j].etternavn, p->last))
				same++;
		assert_true(same >= 1);
		snprintf(navn, sizeof(navn), "%s %s", p->first, p->last);
		snprintf(date, sizeof(date), "%08lld", (long long)p->fdato);
		t = porten_mono_ns();
		r = freg_register_entydig(f->r, FREG_OMH, &(struct freg_entydig){ .navn = navn,
		                          .foedselsdato = date }, pid);
		t = porten_mono_ns() - t;
		total += t;
		worst = t > worst ? t : worst;
		tested++;
		if (same == 1) {
			unique++;
			if (r != 0 || strcmp(pid, p->pid) != 0)
				fail_msg("entydigsoek %s %s: %d %s, want %s", navn, date, r, pid, p->pid);
		} else {
			assert_int_equal(r, PORTEN_ERR_NOT_FOUND);
		}
	}
	assert_true(unique > 300);
	printf("entydigsoek on %d persons: %zu queries (%zu unique), mean %.3f ms, max %.3f ms\n",
	       GEN_PERSONS, tested, unique, (double)total / (double)tested / 1e6, (double)worst / 1e6);

	/* More than FREG_SOEK_MAX: refused, and nothing was handed out. */
	q = (struct freg_soek){ 0 };
	t = porten_mono_ns();
	assert_int_equal(freg_register_soek(f->r, FREG_OMH, &q, count_cb, &n), PORTEN_ERR_TOO_LARGE);
	printf("soek without criteria: %.3f ms\n", (double)(porten_mono_ns() - t) / 1e6);
	assert_int_equal(n, 0);
	q = (struct freg_soek){ .aar_fom = 1900, .aar_tom = 2099, .inkluder_doede = true };
	assert_int_equal(freg_register_soek(f->r, FREG_PUH, &q, count_cb, &n), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(n, 0);
	/* ... unless maksTreff asks for some of them: then exactly that many. */
	q.maks = 7;
	assert_int_equal(freg_register_soek(f->r, FREG_PUH, &q, count_cb, &n), 0);
	assert_int_equal(n, 7);
	n = 0;
	/* A common surname: ascending, complete, capped by maksTreff. */
	memset(&ord, 0, sizeof(ord));
	q = (struct freg_soek){ .navn = "Hansen", .inkluder_doede = true };
	t = porten_mono_ns();
	assert_int_equal(freg_register_soek(f->r, FREG_OMH, &q, ordered_cb, &ord), 0);
	printf("soek navn=Hansen: %zu persons in %.3f ms\n", ord.n,
	       (double)(porten_mono_ns() - t) / 1e6);
	assert_true(ord.n > 5);
	n = 0;
	for (size_t j = 0; j < GEN_PERSONS; j++)
		if (has_word(g.p[j].fornavn, "Hansen") || has_word(g.p[j].etternavn, "Hansen"))
			n++;
	assert_true(ord.n >= n);            /* mellomnavn and historical names may add some */
	q.maks = 5;
	memset(&ord, 0, sizeof(ord));
	assert_int_equal(freg_register_soek(f->r, FREG_OMH, &q, ordered_cb, &ord), 0);
	assert_int_equal(ord.n, 5);
	/* Just under the ceiling is answered in full. */
	memset(&ord, 0, sizeof(ord));
	q = (struct freg_soek){ .kjoenn = "kvinne" };
	t = porten_mono_ns();
	assert_int_equal(freg_register_soek(f->r, FREG_OMH, &q, ordered_cb, &ord), 0);
	printf("soek kjoenn=kvinne: %zu persons in %.3f ms\n", ord.n,
	       (double)(porten_mono_ns() - t) / 1e6);
	assert_true(ord.n > 4000 && ord.n <= FREG_SOEK_MAX);

	/* The plans: each statement starts from its index and seeks the rest (SQLite's). */
	if (on_pg) {
		free(g.p);
		return;
	}
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_plan(db, SST_ENTYDIG_NAME, "SEARCH d USING PRIMARY KEY (fw=? AND lw=?)", "");
	assert_plan(db, SST_ENTYDIG_NAME_FDATO,
	            "SEARCH d USING PRIMARY KEY (fw=? AND lw=? AND fdato=?)", "");
	assert_plan(db, SST_ENTYDIG_IDENT, "SEARCH d USING PRIMARY KEY (pid=?)", "");
	assert_plan(db, SST_ENTYDIG_FID, "SEARCH d USING PRIMARY KEY (kind=? AND value=?)", "");
	assert_plan(db, SST_SOEK_WORD, "SEARCH d USING PRIMARY KEY (word=?)", "");
	assert_plan(db, SST_SOEK_WORD2, "SEARCH d USING PRIMARY KEY (word=?)", "");
	assert_plan(db, SST_SOEK_WORD2, "SEARCH e USING PRIMARY KEY (word=? AND person=?)", "");
	assert_plan(db, SST_SOEK_FDATO, "SEARCH p USING INDEX freg_s_person_fdato (fdato>? AND fdato<?)",
	            "");
	assert_plan(db, SST_SOEK_STREET,
	            "SEARCH a USING INDEX freg_s_addr_street (street>? AND street<?)", "");
	assert_plan(db, SST_SOEK_POST, "SEARCH a USING INDEX freg_s_addr_postnr (postnr=?)", "");
	assert_plan(db, SST_SOEK_KOMM, "SEARCH a USING INDEX freg_s_addr_komm (komm>? AND komm<?)",
	            "");
	assert_plan(db, SST_SOEK_ALL, "SCAN p", "SCAN p");
	assert_plan(db, SST_CNT_WORD, "SEARCH freg_s_word USING PRIMARY KEY (word=?)", "");
	assert_plan(db, SST_CNT_STREET, "COVERING INDEX freg_s_addr_street", "");
	assert_plan(db, SST_TILPASSET, "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)", "SCAN i");
	assert_plan(db, SST_KOMPLETT_ASOF, "SEARCH d USING INDEX freg_persondoc_person "
	            "(person=? AND rowid<?)", "SCAN p");
	assert_plan(db, SST_KOMPLETT_EVENT, "SEARCH freg_feed USING PRIMARY KEY (package=? AND seq<?)",
	            "");
	/* Index maintenance deletes by person. */
	assert_plan(db, SST_DEL_PAIR, "SEARCH freg_s_pair USING COVERING INDEX freg_s_pair_person "
	            "(person=?)", "");
	assert_plan(db, SST_DEL_WORD, "SEARCH freg_s_word USING COVERING INDEX freg_s_word_person "
	            "(person=?)", "");
	assert_plan(db, SST_DEL_ADDR, "SEARCH freg_s_addr USING PRIMARY KEY (person=?)", "");
	assert_plan(db, SST_DEL_FID, "SEARCH freg_s_fid USING COVERING INDEX freg_s_fid_person "
	            "(person=?)", "");
	sqlite3_close(db);
	free(g.p);
}

#define TT(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phonetic),
		cmocka_unit_test(test_fold),
		TT(test_entydig_navn),
		TT(test_entydig_address),
		TT(test_entydig_historisk),
		TT(test_entydig_gradering),
		TT(test_entydig_foreign),
		TT(test_entydig_check),
		TT(test_injection),
		TT(test_reindex),
		TT(test_merge),
		TT(test_rebuild),
		TT(test_soek),
		TT(test_tilpasset),
		TT(test_komplett),
		TT(test_population),
	};

	if (getenv("PORTEN_TEST_VERBOSE") == NULL)
		porten_log_threshold = -1;
	if (argc > 1 && strcmp(argv[1], "--pg") == 0) {
		if (pg_testdb_base() == NULL) {
			fprintf(stderr, "PORTEN_TEST_PG is not set: skipped\n");
			return PG_TESTDB_SKIP;
		}
		on_pg = true;
		return cmocka_run_group_tests_name("freg search on postgresql", tests, NULL, NULL);
	}
	return cmocka_run_group_tests_name("freg search", tests, NULL, NULL);
}
