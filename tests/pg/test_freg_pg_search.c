/* The four searches end to end on PostgreSQL against SQLite: two `porten freg` servers
 * with the same generated population (--persons 2000, the same --rng-seed, the harness's
 * pinned clock) behind one porten authz, one on a fresh SQLite file, one on a fresh
 * PostgreSQL database (--db postgresql://...). The same entydigsoek and soek queries go
 * to both, built from the population generated again in-process: every answer must be
 * the same status, and for a hit the same identifier(s) in the same order; for an error
 * the same kode. Some queries must actually hit (the comparison is not of two 404s).
 *
 * Needs PORTEN_TEST_PG (a database of its own is created there and dropped); exits 77
 * without it. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porten/freg_gen.h"
#include "porten/log.h"
#include "pg/pg_chain.h"
#include "pg/pg_testdb.h"

#define P_OMH "/folkeregisteret/offentlig-med-hjemmel/api/v1/"
#define PERSONS 2000
#define RNG_SEED 7
#define PICKS 12

static struct h_server *az, *fr_sq, *fr_pg;
static struct h_actor *omh;
static char pgname[40], pguri[512];
static json_t *pop;             /* the population, in generation order */

static int
keep_person(void *ctx, const char *pid, const json_t *person)
{
	(void)pid;
	return json_array_append_new(ctx, json_deep_copy(person));
}

/* A freg server generating the test's population, on SQLite (db NULL) or db. */
static struct h_server *
start_freg(const char *seedpath, const char *db)
{
	const char *rng = h_strf("%d", RNG_SEED);

	return pg_chain_freg(az, seedpath, PERSONS, db != NULL ?
	                     (const char *[]){ "--rng-seed", rng, "--db", db, NULL } :
	                     (const char *[]){ "--rng-seed", rng, NULL });
}

static int
group_setup(void **state)
{
	struct freg_gen_opts go;
	const char *seedpath;

	(void)state;
	h_init();
	if (pg_testdb_create(pguri, sizeof(pguri), pgname) != 0)
		h_fail("cannot create a database in PORTEN_TEST_PG");
	az = pg_chain_authz(&omh, &seedpath);
	fr_sq = start_freg(seedpath, NULL);
	fr_pg = start_freg(seedpath, pguri);

	pop = json_array();
	freg_gen_opts_init(&go);
	go.seed = RNG_SEED;
	go.persons = PERSONS;
	go.now = h_T;
	go.synthetic_ids = true;
	assert_int_equal(freg_gen_population(&go, keep_person, pop), 0);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	h_server_stop(fr_pg);
	h_server_stop(fr_sq);
	h_server_stop(az);
	json_decref(pop);
	if (pg_testdb_drop(pgname) != 0)
		fprintf(stderr, "cannot drop database %s\n", pgname);
	h_cleanup();
	return 0;
}

static struct h_resp *
get(struct h_server *fr, const char *path)
{
	const char *hdrs[3] = {
		h_strf("Authorization: Bearer %s", h_actor_token(az, omh, SC_OMH)),
		"Accept: application/json", NULL,
	};

	return h_http(fr, "GET", h_strf("%s%s", P_OMH, path), NULL, NULL, 0, hdrs);
}

/* What an answer says: the status, and the identifier(s) of a hit or the kode of an
 * error. */
static const char *
gist(const struct h_resp *r, bool entydig)
{
	json_t *ids;
	const char *out;

	if (r->curl_rc != 0)
		h_fail("no response: %s", r->curl_err);
	if (r->json == NULL)
		return h_strf("%ld (no JSON)", r->status);
	if (r->status != 200)
		return h_strf("%ld %s", r->status,
		              json_string_value(json_object_get(r->json, "kode")) ?
		              json_string_value(json_object_get(r->json, "kode")) : "?");
	if (entydig) {
		ids = json_array();
		json_array_append(ids, json_object_get(json_array_get(json_object_get(r->json,
		                  "identifikasjonsnummer"), 0), "foedselsEllerDNummer"));
	} else {
		ids = json_incref(json_object_get(r->json, "foedselsEllerDNummer"));
	}
	out = h_strf("200 %s", (char *)h_keep(json_dumps(ids, JSON_COMPACT | JSON_ENCODE_ANY)));
	json_decref(ids);
	return out;
}

static size_t hits, asked;

/* The same query to both: the same gist. */
static void
same(const char *path)
{
	bool entydig = strncmp(path, "personer/entydigsoek", 20) == 0;
	const char *a = gist(get(fr_sq, path), entydig);
	const char *b = gist(get(fr_pg, path), entydig);

	if (strcmp(a, b) != 0)
		h_fail("%s\n  sqlite:     %.300s\n  postgresql: %.300s", path, a, b);
	asked++;
	if (strncmp(a, "200 ", 4) == 0 && strcmp(a, "200 []") != 0)
		hits++;
}

static const char *
s_at(const json_t *doc, const char *entity, const char *key)
{
	const char *v = json_string_value(json_object_get(json_array_get(json_object_get(doc,
	                entity), 0), key));

	return v != NULL ? v : "";
}

/* The first word of s (at most 60 bytes). */
static const char *
word1(const char *s)
{
	size_t n = strcspn(s, " -");

	return h_strf("%.*s", (int)(n < 60 ? n : 60), s);
}

static const char *
lastword(const char *s)
{
	const char *p = strrchr(s, ' ');

	return p != NULL ? p + 1 : s;
}

static void
test_same_answers(void **state)
{
	(void)state;
	for (size_t k = 0; k < PICKS; k++) {
		const json_t *d = json_array_get(pop, k * (PERSONS / PICKS) + 3);
		const char *fornavn = s_at(d, "navn", "fornavn"), *etternavn = s_at(d, "navn", "etternavn");
		const char *fdato = s_at(d, "foedsel", "foedselsdato");
		const json_t *vei = json_object_get(json_array_get(json_object_get(d, "bostedsadresse"), 0),
		                                   "vegadresse");
		const char *gate = json_string_value(json_object_get(vei, "adressenavn"));
		const char *post = json_string_value(json_object_get(json_object_get(vei, "poststed"),
		                                     "postnummer"));
		const char *komm = json_string_value(json_object_get(vei, "kommunenummer"));
		const char *navn = h_urlenc(h_strf("%s %s", word1(fornavn), lastword(etternavn)));
		char dato[9] = "";

		if (strlen(fdato) == 10)
			snprintf(dato, sizeof(dato), "%.4s%.2s%.2s", fdato, fdato + 5, fdato + 8);
		if (dato[0] != '\0') {
			same(h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s", navn, dato));
			same(h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s&soekFonetisk=true",
			            navn, dato));
			same(h_strf("personer/soek?foedselsdato=%s&inkluderDoede=true", dato));
		}
		if (post != NULL)
			same(h_strf("personer/entydigsoek?navn=%s&postnummer=%s", navn, post));
		if (gate != NULL && strlen(gate) >= 4) {
			same(h_strf("personer/entydigsoek?navn=%s&adressenavn=%s", navn,
			            h_urlenc(gate)));
			same(h_strf("personer/soek?adressenavn=%s&inkluderDoede=true",
			            h_urlenc(h_strf("%.4s", gate))));
		}
		same(h_strf("personer/soek?navn=%s&inkluderDoede=true", h_urlenc(lastword(etternavn))));
		/* Two and more name words (the two-word driver), with and without a place. */
		same(h_strf("personer/soek?navn=%s&inkluderDoede=true", navn));
		same(h_strf("personer/soek?navn=%s&soekFonetisk=true",
		            h_urlenc(h_strf("%s %s", fornavn, etternavn))));
		if (post != NULL)
			same(h_strf("personer/soek?navn=%s&postnummer=%s", navn, post));
		same(h_strf("personer/soek?navn=%s&soekFonetisk=true", h_urlenc(word1(fornavn))));
		if (komm != NULL)
			same(h_strf("personer/soek?kommunenummer=%s&kjoenn=kvinne&maksTreff=50", komm));
	}
	/* Broad ones: everyone (2000 < 10 000, so the full list), ranges, fylke, maksTreff. */
	same("personer/soek?inkluderDoede=true");
	same("personer/soek");
	same("personer/soek?foedselsaarFraOgMed=1960&foedselsaarTilOgMed=1979&kjoenn=mann");
	same("personer/soek?fylkesnummer=03&inkluderDoede=true");
	same("personer/soek?navn=Hansen&maksTreff=3");
	same("personer/soek?navn=Qwxzyq");
	same("personer/entydigsoek?navn=Ola&foedselsdato=19800101");
#define U4 "%F4%8F%BF%BF%F4%8F%BF%BF%F4%8F%BF%BF%F4%8F%BF%BF"
	/* A street prefix of U+10FFFF only: its range's upper bound is no UTF-8 text,
	 * which PostgreSQL refuses as a parameter (it goes as "no bound" there). */
	for (int i = 0; i < 3; i++) {
		const char *p = i == 0 ? "personer/soek?adressenavn=" U4 :
		                i == 1 ? "personer/soek?adressenavn=" U4 "&navn=Hansen" :
		                "personer/entydigsoek?navn=Ola%20Hansen&adressenavn=" U4;
		const char *a = gist(get(fr_pg, p), strncmp(p, "personer/entydigsoek", 20) == 0);

		if (strncmp(a, i < 2 ? "200 " : "404 ", 4) != 0)
			h_fail("%s on PostgreSQL: %.200s", p, a);
		same(p);
	}
	fprintf(stderr, "%zu queries, %zu with hits, the same on both\n", asked, hits);
	if (asked < 60 || hits < 30)
		h_fail("too few queries (%zu) or hits (%zu) to compare", asked, hits);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_answers),
	};

	if (pg_testdb_base() == NULL) {
		fprintf(stderr, "PORTEN_TEST_PG is not set: skipped\n");
		return PG_TESTDB_SKIP;
	}
	if (getenv("PORTEN_TEST_VERBOSE") == NULL)
		porten_log_threshold = -1;
	return cmocka_run_group_tests_name("freg on postgresql: search as on sqlite", tests,
	                                   group_setup, group_teardown);
}
