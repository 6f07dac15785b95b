/* Synthetic population generator (lib/freg/gen.c): determinism, identifiers, the shape
 * of the Folkeregisterperson documents, relations both ways, every kind of person.
 *
 * PORTEN_GEN_DUMP=FILE [PORTEN_GEN_DUMP_N=2000] writes the documents one per line to FILE
 * for tests/unit/freg/check_schema.py (the OpenAPI 1.5 conformance check). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "porten/error.h"
#include "porten/freg_gen.h"
#include "porten/ident.h"
#include "porten/limits.h"

#define NOW 1735689600   /* 2025-01-01T00:00:00Z */

struct collect {
	json_t *byid;        /* pid -> document */
	json_t *order;       /* pids in emission order */
	uint64_t hash;       /* FNV-1a over pid and compact document, in order */
	size_t n, stop_at;
};

static void
fnv(uint64_t *h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		*h ^= (unsigned char)s[i];
		*h *= 0x100000001b3ULL;
	}
}

static int
sink_collect(void *ctx, const char *pid, const json_t *person)
{
	struct collect *c = ctx;
	char *s = json_dumps(person, JSON_COMPACT);

	assert_non_null(s);
	fnv(&c->hash, pid, strlen(pid) + 1);
	fnv(&c->hash, s, strlen(s) + 1);
	free(s);
	c->n++;
	if (c->stop_at && c->n == c->stop_at)
		return 7;
	if (c->byid) {
		/* The same pid twice is a failure of uniqueness. */
		assert_null(json_object_get(c->byid, pid));
		assert_int_equal(json_object_set(c->byid, pid, (json_t *)person), 0);
		assert_int_equal(json_array_append_new(c->order, json_string(pid)), 0);
	}
	return 0;
}

static void
run(struct collect *c, uint64_t seed, size_t n, bool keep)
{
	struct freg_gen_opts o;

	memset(c, 0, sizeof(*c));
	c->hash = 0xcbf29ce484222325ULL;
	if (keep) {
		c->byid = json_object();
		c->order = json_array();
	}
	freg_gen_opts_init(&o);
	o.seed = seed;
	o.persons = n;
	o.now = NOW;
	assert_int_equal(freg_gen_population(&o, sink_collect, c), 0);
	assert_int_equal(c->n, n);
}

static void
release(struct collect *c)
{
	json_decref(c->byid);
	json_decref(c->order);
}

/* ---- small helpers over documents ---- */

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

/* The current element of doc[key], or NULL. */
static const json_t *
cur(const json_t *doc, const char *key)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(doc, key), i, e)
		if (current(e))
			return e;
	return NULL;
}

static bool
digits(const char *s, size_t n)
{
	if (s == NULL || strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool
is_date(const char *s)
{
	return s && strlen(s) == 10 && digits((char[5]){ s[0], s[1], s[2], s[3], 0 }, 4) &&
	       s[4] == '-' && s[7] == '-' && digits((char[3]){ s[5], s[6], 0 }, 2) &&
	       digits((char[3]){ s[8], s[9], 0 }, 2) && atoi(s + 5) >= 1 && atoi(s + 5) <= 12 &&
	       atoi(s + 8) >= 1 && atoi(s + 8) <= 31;
}

/* YYYY-MM-DDThh:mm:ss[.f+](+|-)hh:mm */
static bool
is_datetime(const char *s)
{
	const char *p;

	if (s == NULL || strlen(s) < 25 || !is_date((char[11]){ s[0], s[1], s[2], s[3], s[4], s[5],
	    s[6], s[7], s[8], s[9], 0 }) || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return false;
	p = s + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	return (*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':';
}

static const char *const date_keys[] = {
	"foedselsdato", "flyttedato", "sivilstandsdato", "doedsdato", "utflyttingsdato",
	"ervervsdato", "attestutstedelsesdato", "oppholdsadressedato", "oppholdFra", "oppholdTil",
	"gyldigFra", "gyldigTil", "startdatoForKontrakt", "sluttdatoForKontrakt", "datoForBibehold",
};
static const char *const ts_keys[] = {
	"ajourholdstidspunkt", "gyldighetstidspunkt", "opphoerstidspunkt",
	"dokumentkontrolltidspunkt",
};

static bool
in_list(const char *k, const char *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(k, l[i]) == 0)
			return true;
	return false;
}

#define IN(k, l) in_list(k, l, sizeof(l) / sizeof(l[0]))

static const struct freg_gen_kommune *
kommune(const char *nr)
{
	for (size_t i = 0; i < freg_gen_n_kommuner; i++)
		if (nr && strcmp(freg_gen_kommuner[i].kommunenummer, nr) == 0)
			return &freg_gen_kommuner[i];
	return NULL;
}

static bool
poststed_in(const struct freg_gen_kommune *k, const json_t *ps)
{
	const char *nr = str(ps, "postnummer"), *name = str(ps, "poststedsnavn");

	for (size_t k0 = 0; k0 < freg_gen_n_kommuner; k0++) {
		const struct freg_gen_kommune *kk = &freg_gen_kommuner[k0];

		if (k && kk != k)
			continue;
		for (size_t i = 0; i < kk->n_poststeder; i++)
			if (nr && name && strcmp(kk->poststeder[i].postnummer, nr) == 0 &&
			    strcmp(kk->poststeder[i].poststedsnavn, name) == 0)
				return true;
	}
	return false;
}

/* No nulls, dates and times well formed, kommunenummer/postnummer from the table. */
static void
walk(const json_t *v, const char *key)
{
	const char *k;
	json_t *x;
	size_t i;

	assert_false(json_is_null(v));
	if (json_is_object(v)) {
		assert_true(json_object_size(v) > 0 || strcmp(key, "ukjentBosted") == 0);
		json_object_foreach((json_t *)v, k, x)
			walk(x, k);
		if (json_object_get(v, "poststed")) {
			const json_t *ps = json_object_get(v, "poststed");

			assert_true(digits(str(ps, "postnummer"), 4));
			if (strcmp(key, "vegadresse") == 0 || strcmp(key, "matrikkeladresse") == 0) {
				const char *knr = json_object_get(v, "matrikkelnummer")
				    ? str(json_object_get(v, "matrikkelnummer"), "kommunenummer")
				    : str(v, "kommunenummer");

				assert_non_null(kommune(knr));
				assert_true(poststed_in(kommune(knr), ps));
			}
		}
	} else if (json_is_array(v)) {
		assert_true(json_array_size(v) > 0);
		json_array_foreach((json_t *)v, i, x)
			walk(x, key);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);

		assert_true(strlen(s) > 0);
		if (IN(key, date_keys))
			assert_true(is_date(s));
		if (IN(key, ts_keys)) {
			assert_true(is_datetime(s));
			assert_true(strncmp(s, "2025-01-01T01", 13) < 0);   /* not after NOW (local) */
		}
		if (strcmp(key, "kommunenummer") == 0 || strcmp(key, "foedekommuneINorge") == 0) {
			assert_true(digits(s, 4));
			assert_non_null(kommune(s));
		}
		if (strcmp(key, "postnummer") == 0)
			assert_true(digits(s, 4));
	}
}

static void
check_meta(const json_t *e)
{
	assert_true(json_is_object(e));
	assert_true(is_datetime(str(e, "ajourholdstidspunkt")));
	assert_true(is_datetime(str(e, "gyldighetstidspunkt")));
	assert_true(json_is_boolean(json_object_get(e, "erGjeldende")));
	assert_string_equal(str(e, "kilde"), "Synutopia");
	assert_non_null(str(e, "aarsak"));
	/* a fact is written no earlier than it takes effect (same offset format) */
	assert_true(strcmp(str(e, "ajourholdstidspunkt"), str(e, "gyldighetstidspunkt")) >= 0 ||
	            strncmp(str(e, "ajourholdstidspunkt"), str(e, "gyldighetstidspunkt"), 10) == 0);
}

static const char *const single_valued[] = {
	"identifikasjonsnummer", "status", "navn", "kjoenn", "foedsel", "foedselINorge",
	"sivilstand", "bostedsadresse", "oppholdsadresse", "postadresse", "postadresseIUtlandet",
	"adressebeskyttelse", "identitetsgrunnlag", "deltBosted",
};
static const char *const required_one[] = {
	"identifikasjonsnummer", "status", "navn", "kjoenn", "foedsel", "sivilstand",
	"statsborgerskap",
};
static const char *const address_keys[] = {
	"bostedsadresse", "oppholdsadresse", "deltBosted", "postadresse", "postadresseIUtlandet",
};

/* Has doc[key] an element with member m equal to v (and, if m2, member m2 equal to v2)? */
static bool
has(const json_t *doc, const char *key, const char *m, const char *v, const char *m2,
    const char *v2)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(doc, key), i, e) {
		const char *a = str(e, m), *b = m2 ? str(e, m2) : NULL;

		if (a && strcmp(a, v) == 0 && (!m2 || (b && strcmp(b, v2) == 0)))
			return true;
	}
	return false;
}

enum { K_STRENGT, K_FORTROLIG, K_DNR, K_DOED, K_VERGE, K_UTLID, K_FAMILIE, K_UTFLYTTET,
       K_HUSBOKSTAV, K_MATRIKKEL, K_HISTORIKK, K_COUNT };

static unsigned
kinds(const json_t *doc)
{
	unsigned k = 0;
	const json_t *ab = cur(doc, "adressebeskyttelse"), *id = cur(doc, "identifikasjonsnummer");
	const json_t *st = cur(doc, "status"), *bo = cur(doc, "bostedsadresse");
	size_t i;
	json_t *e;
	bool old_addr = false, old_name = false;

	if (ab && strcmp(str(ab, "graderingsnivaa"), "strengtFortrolig") == 0)
		k |= 1u << K_STRENGT;
	if (ab && strcmp(str(ab, "graderingsnivaa"), "fortrolig") == 0)
		k |= 1u << K_FORTROLIG;
	if (strcmp(str(id, "identifikatortype"), "dNummer") == 0)
		k |= 1u << K_DNR;
	if (json_object_get(doc, "doedsfall") && json_object_get(doc, "kontaktinformasjonForDoedsbo") &&
	    strcmp(str(st, "status"), "doed") == 0)
		k |= 1u << K_DOED;
	json_array_foreach(json_object_get(doc, "vergemaalEllerFremtidsfullmakt"), i, e)
		if (current(e) && json_object_get(json_object_get(e, "verge"), "tjenesteomraade"))
			k |= 1u << K_VERGE;
	if (json_object_get(doc, "utenlandskPersonidentifikasjon"))
		k |= 1u << K_UTLID;
	if (json_object_get(doc, "familierelasjon") && json_object_get(doc, "foreldreansvar") &&
	    (has(doc, "familierelasjon", "relatertPersonsRolle", "barn", NULL, NULL) ||
	     has(doc, "familierelasjon", "minRolleForPerson", "barn", NULL, NULL)))
		k |= 1u << K_FAMILIE;
	if (strcmp(str(st, "status"), "utflyttet") == 0 && json_object_get(doc, "utflytting") &&
	    json_object_get(doc, "postadresseIUtlandet"))
		k |= 1u << K_UTFLYTTET;
	if (bo && json_object_get(json_object_get(json_object_get(bo, "vegadresse"), "adressenummer"),
	                          "husbokstav"))
		k |= 1u << K_HUSBOKSTAV;
	if (bo && json_object_get(bo, "matrikkeladresse"))
		k |= 1u << K_MATRIKKEL;
	json_array_foreach(json_object_get(doc, "bostedsadresse"), i, e)
		old_addr |= !current(e);
	json_array_foreach(json_object_get(doc, "navn"), i, e)
		old_name |= !current(e);
	if (old_addr && old_name)
		k |= 1u << K_HISTORIKK;
	return k;
}

/* Identifier of one person: valid, synthetic, consistent with foedsel and kjoenn. */
static void
check_pid(const char *pid, const json_t *doc, json_t *seen)
{
	struct porten_pid_info pi;
	const json_t *id = cur(doc, "identifikasjonsnummer"), *f = cur(doc, "foedsel");
	const char *fd = str(f, "foedselsdato"), *sex = str(cur(doc, "kjoenn"), "kjoenn");
	int y = atoi(fd), ind = (pid[6] - '0') * 100 + (pid[7] - '0') * 10 + (pid[8] - '0');
	size_t i;
	json_t *e;

	assert_true(porten_pid_valid(pid, strlen(pid), PORTEN_PID_ALLOW_SYNTHETIC, &pi));
	assert_true(pi.synthetic);
	assert_false(porten_pid_valid(pid, strlen(pid), 0, NULL));
	assert_string_equal(str(id, "foedselsEllerDNummer"), pid);
	assert_string_equal(str(id, "identifikatortype"),
	                    pi.kind == PORTEN_PID_DNR ? "dNummer" : "foedselsnummer");
	assert_true(strncmp(str(f, "foedselsaar"), fd, 4) == 0 && strlen(str(f, "foedselsaar")) == 4);
	/* the number's date is the birth date; old-rule numbers before 2032 */
	assert_int_equal(pi.day, atoi(fd + 8));
	assert_int_equal(pi.month, atoi(fd + 5));
	assert_int_equal(pi.yy, y % 100);
	if (y < 2032) {
		assert_false(pi.rule_2032);
		assert_int_equal(ind % 2, strcmp(sex, "mann") == 0);
	}
	if (y < 1940)
		assert_true(ind <= 499);
	else if (y < 2000)
		assert_true(ind <= 499 || ind >= 900);
	else
		assert_true(ind >= 500);
	/* every identifier ever held is valid and unique in the population */
	json_array_foreach(json_object_get(doc, "identifikasjonsnummer"), i, e) {
		const char *x = str(e, "foedselsEllerDNummer");

		assert_true(porten_pid_valid(x, strlen(x), PORTEN_PID_ALLOW_SYNTHETIC, NULL));
		assert_null(json_object_get(seen, x));
		json_object_set_new(seen, x, json_true());
	}
}

static void
check_relations(const char *pid, const json_t *doc, const json_t *all)
{
	const json_t *sv = cur(doc, "sivilstand");
	size_t i;
	json_t *e;

	if (str(sv, "relatertVedSivilstand")) {
		const json_t *o = json_object_get(all, str(sv, "relatertVedSivilstand"));

		assert_non_null(o);
		assert_string_equal(str(cur(o, "sivilstand"), "relatertVedSivilstand"), pid);
		if (strcmp(str(sv, "sivilstand"), "gift") == 0 &&
		    strcmp(str(cur(o, "sivilstand"), "sivilstand"), "gift") == 0)
			assert_string_equal(str(sv, "sivilstandsdato"),
			                    str(cur(o, "sivilstand"), "sivilstandsdato"));
	}
	json_array_foreach(json_object_get(doc, "familierelasjon"), i, e) {
		const json_t *o = json_object_get(all, str(e, "relatertPerson"));

		assert_non_null(o);
		assert_true(has(o, "familierelasjon", "relatertPerson", pid, "relatertPersonsRolle",
		                str(e, "minRolleForPerson")));
		assert_true(has(o, "familierelasjon", "relatertPerson", pid, "minRolleForPerson",
		                str(e, "relatertPersonsRolle")));
	}
	json_array_foreach(json_object_get(doc, "foreldreansvar"), i, e) {
		if (str(e, "ansvarlig")) {
			const json_t *o = json_object_get(all, str(e, "ansvarlig"));

			assert_non_null(o);
			assert_true(has(o, "foreldreansvar", "ansvarssubjekt", pid, "ansvar",
			                str(e, "ansvar")));
			assert_true(has(doc, "familierelasjon", "relatertPerson", str(e, "ansvarlig"),
			                NULL, NULL));
		} else {
			const json_t *o = json_object_get(all, str(e, "ansvarssubjekt"));

			assert_non_null(o);
			assert_true(has(o, "foreldreansvar", "ansvarlig", pid, "ansvar", str(e, "ansvar")));
		}
	}
	json_array_foreach(json_object_get(doc, "vergemaalEllerFremtidsfullmakt"), i, e) {
		const char *v = str(json_object_get(e, "verge"), "foedselsEllerDNummer");

		assert_non_null(json_object_get(all, v));
		assert_string_not_equal(v, pid);
	}
	json_array_foreach(json_object_get(doc, "kontaktinformasjonForDoedsbo"), i, e) {
		const char *v = str(json_object_get(e, "person"), "foedselsEllerDNummer");

		if (v)
			assert_non_null(json_object_get(all, v));
	}
}

static void
check_document(const char *pid, const json_t *doc, const json_t *all, json_t *seen)
{
	const char *k;
	json_t *v;
	const json_t *st = cur(doc, "status"), *ab = cur(doc, "adressebeskyttelse");
	const char *grad = ab ? str(ab, "graderingsnivaa") : "ugradert";
	bool dnr;

	walk(doc, "");
	/* arrays everywhere except doedsfall and falskIdentitet; metadata on every element */
	json_object_foreach((json_t *)doc, k, v) {
		size_t i;
		json_t *e;

		if (strcmp(k, "doedsfall") == 0 || strcmp(k, "falskIdentitet") == 0) {
			check_meta(v);
			continue;
		}
		assert_true(json_is_array(v));
		json_array_foreach(v, i, e)
			check_meta(e);
		/* history carries erGjeldende false, the current element comes first */
		if (IN(k, single_valued)) {
			size_t n = 0;

			json_array_foreach(v, i, e)
				n += current(e);
			assert_true(n <= 1);
			if (n == 1)
				assert_true(current(json_array_get(v, 0)));
		}
	}
	for (size_t i = 0; i < sizeof(required_one) / sizeof(required_one[0]); i++)
		assert_non_null(cur(doc, required_one[i]));
	check_pid(pid, doc, seen);
	dnr = strcmp(str(cur(doc, "identifikasjonsnummer"), "identifikatortype"), "dNummer") == 0;
	if (dnr)
		assert_null(json_object_get(doc, "bostedsadresse"));
	if (strcmp(str(st, "status"), "bosatt") == 0)
		assert_non_null(cur(doc, "bostedsadresse"));
	if (strcmp(str(st, "status"), "doed") == 0) {
		assert_non_null(json_object_get(doc, "doedsfall"));
		assert_non_null(json_object_get(doc, "kontaktinformasjonForDoedsbo"));
	}
	if (strcmp(str(st, "status"), "utflyttet") == 0) {
		assert_non_null(json_object_get(doc, "utflytting"));
		assert_null(cur(doc, "bostedsadresse"));
	}
	/* graded persons: every address graded, and strengt fortrolig shows no place at all */
	for (size_t a = 0; a < sizeof(address_keys) / sizeof(address_keys[0]); a++) {
		size_t i;
		json_t *e;

		json_array_foreach(json_object_get(doc, address_keys[a]), i, e) {
			const char *g = str(e, "adressegradering");

			assert_non_null(g);
			if (strcmp(address_keys[a], "postadresse") == 0 && strcmp(grad, "strengtFortrolig") == 0)
				continue;   /* the open forwarding address (spec 4.4) */
			assert_string_equal(g, grad);
			if (strcmp(grad, "strengtFortrolig") == 0) {
				assert_null(json_object_get(e, "vegadresse"));
				assert_null(json_object_get(e, "matrikkeladresse"));
				assert_null(json_object_get(e, "utenlandskAdresse"));
				assert_null(json_object_get(json_object_get(e, "ukjentBosted"), "bostedskommune"));
			}
		}
	}
	check_relations(pid, doc, all);
}

static void
check_population(size_t n, uint64_t seed, bool need_all_kinds)
{
	struct collect c;
	json_t *seen = json_object();
	unsigned all = 0;
	size_t i;
	json_t *p;

	run(&c, seed, n, true);
	assert_int_equal(json_object_size(c.byid), n);
	json_array_foreach(c.order, i, p) {
		const char *pid = json_string_value(p);
		const json_t *doc = json_object_get(c.byid, pid);

		check_document(pid, doc, c.byid, seen);
		all |= kinds(doc);
	}
	if (need_all_kinds)
		assert_int_equal(all, (1u << K_COUNT) - 1);
	json_decref(seen);
	release(&c);
}

static void
test_determinism(void **state)
{
	struct collect a, b, d;

	run(&a, 42, 1000, false);
	run(&b, 42, 1000, false);
	run(&d, 43, 1000, false);
	assert_true(a.hash == b.hash);
	assert_true(a.hash != d.hash);
}

static void
test_population_1000(void **state)
{
	check_population(1000, 1, true);
}

static void
test_population_1500(void **state)
{
	check_population(1500, 20250101, true);
}

/* Small counts: exact count, no relation to a person cut off by the count. */
static void
test_small_counts(void **state)
{
	for (size_t n = 0; n <= 40; n++)
		check_population(n, 7 + n, false);
	check_population(FREG_GEN_ALL_KINDS_MIN, 99, true);
}

static void
test_opts(void **state)
{
	struct freg_gen_opts o;
	struct collect c;

	freg_gen_opts_init(&o);
	assert_true(o.synthetic_ids);
	memset(&c, 0, sizeof(c));
	c.stop_at = 3;
	assert_int_equal(freg_gen_population(&o, sink_collect, &c), 7);
	assert_int_equal(c.n, 3);
	o.persons = PORTEN_GEN_PERSONS_MAX + 1;
	assert_int_equal(freg_gen_population(&o, sink_collect, &c), PORTEN_ERR_INVALID);
	o.persons = 1;
	o.now = 0;
	assert_int_equal(freg_gen_population(&o, sink_collect, &c), PORTEN_ERR_INVALID);
	assert_int_equal(freg_gen_population(NULL, sink_collect, &c), PORTEN_ERR_INVALID);
}

static int
sink_real(void *ctx, const char *pid, const json_t *person)
{
	size_t *n = ctx;

	/* Without the test profile, the same generator gives production-shaped numbers. */
	assert_true(porten_pid_valid(pid, strlen(pid), 0, NULL));
	(*n)++;
	return 0;
}

static void
test_real_ids(void **state)
{
	struct freg_gen_opts o;
	size_t n = 0;

	freg_gen_opts_init(&o);
	o.synthetic_ids = false;
	o.persons = 300;
	assert_int_equal(freg_gen_population(&o, sink_real, &n), 0);
	assert_int_equal(n, 300);
}

static void
test_pid_make(void **state)
{
	char b[12], o[10];

	/* spec 7.3 worked examples */
	assert_true(porten_pid_make(b, sizeof(b), 2032, 1, 2, 999, 0, 0));
	assert_string_equal(b, "02013299997");
	assert_false(porten_pid_make(b, sizeof(b), 2032, 1, 2, 999, 1, 0));
	assert_true(porten_pid_make(b, sizeof(b), 2032, 1, 2, 999, 2, 0));
	assert_string_equal(b, "02013299903");
	assert_true(porten_pid_make(b, sizeof(b), 2032, 1, 2, 999, 3, 0));
	assert_string_equal(b, "02013299911");
	assert_true(porten_pid_make(b, sizeof(b), 1982, 10, 30, 999, 0, 0));
	assert_string_equal(b, "30108299920");
	assert_true(porten_pid_make(b, sizeof(b), 1982, 10, 30, 999, 1, 0));
	assert_string_equal(b, "30108299939");
	/* synthetic d-number 41814061033: day 01 + 40, month 01 + 80, 1940, individnummer 610 */
	assert_true(porten_pid_make(b, sizeof(b), 1940, 1, 1, 610, 0,
	                            PORTEN_PID_MAKE_DNR | PORTEN_PID_ALLOW_SYNTHETIC));
	assert_string_equal(b, "41814061033");
	/* bad input */
	assert_false(porten_pid_make(b, sizeof(b), 2001, 2, 29, 500, 0, 0));
	assert_false(porten_pid_make(b, 11, 1982, 10, 30, 999, 0, 0));
	assert_false(porten_pid_make(b, sizeof(b), 1982, 13, 1, 1, 0, 0));
	assert_false(porten_pid_make(b, sizeof(b), 1982, 1, 1, 1000, 0, 0));
	/* organisation number, spec 7.5 */
	assert_true(porten_orgno_make(o, sizeof(o), 12345678));
	assert_string_equal(o, "123456785");
	assert_true(porten_orgno_valid(o, 9));
	assert_false(porten_orgno_make(o, sizeof(o), 100000000));
}

static int
sink_dump(void *ctx, const char *pid, const json_t *person)
{
	return json_dumpf(person, ctx, JSON_COMPACT) != 0 || fputc('\n', ctx) == EOF;
}

static void
test_dump(void **state)
{
	const char *path = getenv("PORTEN_GEN_DUMP"), *ns = getenv("PORTEN_GEN_DUMP_N");
	struct freg_gen_opts o;
	FILE *f;

	if (path == NULL)
		skip();
	f = fopen(path, "w");
	assert_non_null(f);
	freg_gen_opts_init(&o);
	o.persons = ns ? strtoul(ns, NULL, 10) : 2000;
	assert_int_equal(freg_gen_population(&o, sink_dump, f), 0);
	assert_int_equal(fclose(f), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_make),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_population_1000),
		cmocka_unit_test(test_population_1500),
		cmocka_unit_test(test_small_counts),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_real_ids),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
