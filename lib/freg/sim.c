/* The life-event simulator (freg_sim_*, include/porten/freg_event.h).
 *
 * Each step draws an event kind by weight and a person with freg_register_pick, reads
 * the person's current document, and, when the person can take the event, builds the
 * egenskapshendelse (Registerdata payloads with ajourholdstidspunkt, kilde "Synutopia",
 * aarsak and gyldighetstidspunkt), applies it with freg_event_apply and appends it with
 * ONE freg_register_ingest call, together with the linked events of other persons.
 * When the person cannot take it (the dead do not move, only the living marry, ...),
 * another person is drawn for the same kind (up to SIM_PERSONS), so the kinds keep
 * their weights; then another kind (up to SIM_KINDS).
 *
 *   kind          weight  main hendelsetype           linked events
 *   move            330   endringIBostedsadresse      spouse and minor children at the
 *                                                     same address move along
 *   birth           110   personErOpprettet (child)   endringIFamilierelasjon on each
 *                                                     parent (familierelasjon +
 *                                                     foreldreansvar)
 *   correction      120   endringIBostedsadresse /    -
 *                         endringINavn / endringIDoedsfall (korrigere)
 *   annulment       100   endringIBostedsadresse /    annulled death: the widowed
 *                         endringINavn / endringIDoedsfall (annullere)
 *                                                     spouse's endringISivilstand
 *   death            80   personErDoed                the spouse's endringISivilstand
 *                                                     (enkeEllerEnkemann)
 *   marriage         70   endringISivilstand          the other spouse's
 *   name change      60   endringINavn                -
 *   emigration       50   personErUtflyttet           -
 *   divorce          40   endringISivilstand          the other spouse's
 *   guardianship     40   endringIVergemaal           -
 *
 * Corrections and annulments mostly concern the simulator's own recent changes (a ring
 * of the last SIM_RECENT moves, name changes, deaths and births); otherwise a random
 * person's address (correction) or an earlier death (annulment). An annulled death
 * removes doedsfall and kontaktinformasjonForDoedsbo and restores the status before it.
 *
 * Deterministic for (seed, register state, sequence of now): xoshiro256** seeded with
 * splitmix64, and nothing else random. */
#include <stdlib.h>
#include <string.h>

#include "porten/error.h"
#include "porten/freg_event.h"
#include "porten/freg_gen.h"
#include "porten/ident.h"
#include "porten/limits.h"
#include "porten/log.h"

#include "gen_data.h"
#include "rng.h"

#define KILDE "Synutopia"
#define DAY_S 86400
#define SIM_KINDS 16           /* kinds drawn per step before giving up */
#define SIM_PERSONS 16         /* persons tried for one kind */
#define SIM_EVENTS_MAX 12      /* events of one step (a move of a whole household) */
#define SIM_HELD_MAX 24        /* documents read in one attempt */
#define SIM_RECENT 64          /* own changes remembered for corrections and annulments */
#define SIM_PARTNER_TRIES 8    /* draws for a spouse or a guardian */

/* ---- calendar ---- */

static void
fmt_date(char out[11], int32_t day)
{
	int y, m, d;

	civil_from_days(day, &y, &m, &d);
	out[0] = (char)('0' + y / 1000 % 10);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

/* "YYYY-MM-DD" -> day number; false when malformed. */
static bool
parse_date(const char *s, int *y, int *m, int *d)
{
	if (s == NULL || strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	return *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

/* The register timestamp of local (Europe/Oslo) midnight of a day. */
static void
midnight_ts(int32_t day, char out[FREG_TS_LEN + 1])
{
	int64_t t = (int64_t)day * DAY_S - 3600;

	freg_ts_format(t, 0, out);
	if (memcmp(out + 11, "00:00", 5) != 0)
		freg_ts_format(t - 3600, 0, out);
}

/* ---- the simulator ---- */

enum recent_kind { R_MOVE, R_NAME, R_DEATH, R_NEWBORN };

struct recent {
	char pid[12];
	enum recent_kind kind;
};

struct freg_sim {
	freg_register *r;
	struct rng rng;
	bool synthetic;
	struct recent recent[SIM_RECENT];
	size_t n_recent;
};

enum kind { K_MOVE, K_BIRTH, K_CORRECT, K_ANNUL, K_DEATH, K_MARRY, K_NAME, K_EMIGRATE,
            K_DIVORCE, K_GUARDIAN, K_COUNT };

static const unsigned kind_weight[K_COUNT] = {
	[K_MOVE] = 330, [K_BIRTH] = 110, [K_CORRECT] = 120, [K_ANNUL] = 100, [K_DEATH] = 80,
	[K_MARRY] = 70, [K_NAME] = 60, [K_EMIGRATE] = 50, [K_DIVORCE] = 40, [K_GUARDIAN] = 40,
};

struct pev {
	char pid[12];
	const char *type;
	json_t *eh;
	json_t *doc;
};

struct step {
	freg_sim *s;
	int64_t now;
	size_t persons;
	int y, m, d;                         /* today, Oslo */
	int32_t today;
	char date[11];                       /* today, YYYY-MM-DD */
	char ts[FREG_TS_LEN + 1];            /* ajourholdstidspunkt */
	char mid[FREG_TS_LEN + 1];           /* gyldighetstidspunkt: local midnight today */
	bool oom;
	size_t n;
	struct pev ev[SIM_EVENTS_MAX];
	json_t *held[SIM_HELD_MAX];
	size_t n_held;
	const char *type;                    /* the main event's hendelsetype */
	/* bookkeeping of the own changes, done when the ingest succeeded */
	bool push;
	struct recent pushed;
	size_t drop;                         /* index into recent, or SIZE_MAX */
};

struct person {
	char pid[12];
	const json_t *doc;
};

static void
step_reset(struct step *st)
{
	for (size_t i = 0; i < st->n; i++) {
		json_decref(st->ev[i].eh);
		json_decref(st->ev[i].doc);
	}
	for (size_t i = 0; i < st->n_held; i++)
		json_decref(st->held[i]);
	st->n = st->n_held = 0;
	st->oom = false;
	st->type = NULL;
	st->push = false;
	st->drop = SIZE_MAX;
}

/* Reads the current document of pid into p. 1 found, 0 not found, < 0 error. */
static int
load(struct step *st, const char *pid, struct person *p)
{
	json_t *doc = NULL;
	char cur[12];
	int r;

	if (st->n_held == SIM_HELD_MAX)
		return 0;
	r = freg_register_person(st->s->r, pid, &doc, cur, NULL);
	if (r == PORTEN_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	st->held[st->n_held++] = doc;
	memcpy(p->pid, cur, sizeof(p->pid));
	p->doc = doc;
	return 1;
}

/* A random person. 1, 0 (none), < 0 error. */
static int
pick(struct step *st, struct person *p)
{
	char pid[12];
	int r;

	if (st->persons == 0)
		return 0;
	r = freg_register_pick(st->s->r, rbelow(&st->s->rng, (uint32_t)st->persons), pid);
	if (r == PORTEN_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	return load(st, pid, p);
}

/* ---- reading documents ---- */

static bool
is_current(const json_t *e)
{
	return json_is_true(json_object_get(e, "erGjeldende"));
}

static const json_t *
cur(const json_t *doc, const char *key)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(doc, key), i, e)
		if (is_current(e))
			return e;
	return NULL;
}

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool
eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static const char *
cur_s(const json_t *doc, const char *key, const char *field)
{
	return str(cur(doc, key), field);
}

static bool
has_hist(const json_t *doc, const char *key)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(doc, key), i, e)
		if (!is_current(e))
			return true;
	return false;
}

static bool
is_dead(const json_t *doc)
{
	const json_t *d = json_object_get(doc, "doedsfall");

	return (d && !json_is_false(json_object_get(d, "erGjeldende"))) ||
	       eq(cur_s(doc, "status", "status"), "doed");
}

static bool
alive(const json_t *doc)
{
	const char *s = cur_s(doc, "status", "status");

	return !is_dead(doc) && !eq(s, "opphoert") && !eq(s, "forsvunnet");
}

static bool
bosatt(const json_t *doc)
{
	return !is_dead(doc) && eq(cur_s(doc, "status", "status"), "bosatt");
}

/* Whole years at today; -1 when unknown. */
static int
age(const struct step *st, const json_t *doc)
{
	int y, m, d;

	if (!parse_date(cur_s(doc, "foedsel", "foedselsdato"), &y, &m, &d))
		return -1;
	return st->y - y - (st->m < m || (st->m == m && st->d < d));
}

static bool
female(const json_t *doc)
{
	return eq(cur_s(doc, "kjoenn", "kjoenn"), "kvinne");
}

/* The spouse by the current sivilstand gift, or NULL. */
static const char *
spouse(const json_t *doc)
{
	const json_t *s = cur(doc, "sivilstand");

	return eq(str(s, "sivilstand"), "gift") ? str(s, "relatertVedSivilstand") : NULL;
}

static bool
related(const json_t *doc, const char *pid)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(doc, "familierelasjon"), i, e)
		if (eq(str(e, "relatertPerson"), pid))
			return true;
	return false;
}

/* Protected persons keep no address data (spec 4.4): they do not move or emigrate here. */
static bool
strengt(const json_t *doc)
{
	return eq(cur_s(doc, "adressebeskyttelse", "graderingsnivaa"), "strengtFortrolig");
}

static bool
same_address(const json_t *a, const json_t *b)
{
	static const char *const keys[] = { "vegadresse", "matrikkeladresse" };

	if (a == NULL || b == NULL)
		return false;
	for (size_t i = 0; i < 2; i++) {
		const json_t *x = json_object_get(a, keys[i]), *y = json_object_get(b, keys[i]);

		if ((x == NULL) != (y == NULL) || (x && !json_equal((json_t *)x, (json_t *)y)))
			return false;
	}
	return true;
}

/* ---- building ---- */

/* o[key] = v, taking v (also on failure, as jansson's _new functions do). */
static void
set(struct step *st, json_t *o, const char *key, json_t *v)
{
	if (o == NULL) {
		json_decref(v);
		st->oom = true;
	} else if (v == NULL || json_object_set_new(o, key, v) != 0) {
		st->oom = true;
	}
}

static void
set_s(struct step *st, json_t *o, const char *key, const char *s)
{
	set(st, o, key, json_string(s));
}

static json_t *
obj(struct step *st)
{
	json_t *o = json_object();

	if (o == NULL)
		st->oom = true;
	return o;
}

static void
push(struct step *st, json_t *arr, json_t *v)
{
	if (arr == NULL) {
		json_decref(v);
		st->oom = true;
	} else if (v == NULL || json_array_append_new(arr, v) != 0) {
		st->oom = true;
	}
}

/* Register metadata of a payload. */
static void
meta(struct step *st, json_t *p, const char *aarsak, const char *gyldig)
{
	set_s(st, p, "ajourholdstidspunkt", st->ts);
	set_s(st, p, "kilde", KILDE);
	set_s(st, p, "aarsak", aarsak);
	set_s(st, p, "gyldighetstidspunkt", gyldig ? gyldig : st->mid);
}

/* A payload from a document element: a shallow copy without erGjeldende and metadata. */
static json_t *
strip(struct step *st, const json_t *e)
{
	static const char *const drop[] = { "erGjeldende", "ajourholdstidspunkt", "kilde", "aarsak",
	                                    "gyldighetstidspunkt", "opphoerstidspunkt" };
	json_t *c = json_copy((json_t *)e);

	if (c == NULL) {
		st->oom = true;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		json_object_del(c, drop[i]);
	return c;
}

/* Appends {"entitet", "entitetsendring", prop: payload} to eh (payload is taken). */
static void
entry(struct step *st, json_t *eh, const char *entitet, const char *endring, const char *prop,
      json_t *payload)
{
	json_t *e = obj(st);

	set_s(st, e, "entitet", entitet);
	set_s(st, e, "entitetsendring", endring);
	if (payload)
		set(st, e, prop, payload);
	push(st, eh, e);
}

static json_t *
list(struct step *st)
{
	json_t *a = json_array();

	if (a == NULL)
		st->oom = true;
	return a;
}

/* Adds an event on person p: applies eh (taken) to p's document. */
static int
add(struct step *st, const char *pid, const json_t *doc, const char *type, json_t *eh)
{
	char err[256];
	json_t *out = NULL;
	int r;

	if (st->oom || eh == NULL || st->n == SIM_EVENTS_MAX) {
		json_decref(eh);
		return st->n == SIM_EVENTS_MAX ? PORTEN_ERR_INTERNAL : PORTEN_ERR_NOMEM;
	}
	if ((r = freg_event_apply(doc, eh, st->now, &out, err, sizeof(err))) != 0) {
		if (r == PORTEN_ERR_INVALID)
			log_error("freg sim: %s on %s: %s", type, pid, err);
		json_decref(eh);
		return r == PORTEN_ERR_INVALID ? PORTEN_ERR_INTERNAL : r;
	}
	memcpy(st->ev[st->n].pid, pid, 12);
	st->ev[st->n].type = type;
	st->ev[st->n].eh = eh;
	st->ev[st->n].doc = out;
	st->n++;
	return 0;
}

/* 1 (built) unless r is an error. */
static int
built(int r)
{
	return r ? r : 1;
}

static void
remember(struct step *st, const char *pid, enum recent_kind k)
{
	st->push = true;
	memcpy(st->pushed.pid, pid, 12);
	st->pushed.kind = k;
}

/* "ETTERNAVN FORNAVN MELLOMNAVN" uppercased (ASCII and Latin-1 letters in UTF-8), or
 * false when it is longer than 40 characters (then forkortetNavn is omitted). */
static bool
forkortet(char *out, size_t outsz, const char *etter, const char *for_, const char *mellom)
{
	const char *parts[3] = { etter, for_, mellom };
	size_t off = 0, chars = 0;

	for (int i = 0; i < 3; i++) {
		if (parts[i] == NULL)
			continue;
		if (off > 0 && off + 1 < outsz) {
			out[off++] = ' ';
			chars++;
		}
		for (const char *s = parts[i]; *s && off + 1 < outsz; s++) {
			unsigned char c = (unsigned char)*s;

			if (c >= 'a' && c <= 'z')
				c = (unsigned char)(c - 32);
			else if (off > 0 && (unsigned char)out[off - 1] == 0xC3 && c >= 0xA0 && c <= 0xBE &&
			         c != 0xB7)
				c = (unsigned char)(c - 0x20);
			chars += (c & 0xC0) != 0x80;
			out[off++] = (char)c;
		}
	}
	out[off] = '\0';
	return chars <= 40;
}

static json_t *
navn_payload(struct step *st, const char *fornavn, const char *mellomnavn, const char *etternavn)
{
	json_t *n = obj(st);
	char b[PORTEN_GEN_TEXT_MAX];

	set_s(st, n, "fornavn", fornavn);
	if (mellomnavn)
		set_s(st, n, "mellomnavn", mellomnavn);
	set_s(st, n, "etternavn", etternavn);
	if (forkortet(b, sizeof(b), etternavn, fornavn, mellomnavn))
		set_s(st, n, "forkortetNavn", b);
	return n;
}

static json_t *
poststed(struct step *st, const struct freg_gen_poststed *ps)
{
	json_t *o = obj(st);

	set_s(st, o, "poststedsnavn", ps->poststedsnavn);
	set_s(st, o, "postnummer", ps->postnummer);
	return o;
}

/* A random vegadresse, shaped like the generator's. */
static json_t *
vegadresse(struct step *st)
{
	struct rng *g = &st->s->rng;
	const struct freg_gen_kommune *k = &freg_gen_kommuner[rbelow(g, (uint32_t)freg_gen_n_kommuner)];
	const struct freg_gen_poststed *ps = &k->poststeder[rbelow(g, (uint32_t)k->n_poststeder)];
	json_t *v = obj(st), *an = obj(st);
	char b[16];
	int husnr = rrange(g, 1, rchance(g, 800) ? 60 : 250);

	set_s(st, v, "kommunenummer", k->kommunenummer);
	if (rchance(g, 350)) {
		int unit = rrange(g, 1, 6) * 100 + rrange(g, 1, 4);

		b[0] = 'H';
		b[1] = (char)('0' + unit / 1000);
		b[2] = (char)('0' + unit / 100 % 10);
		b[3] = (char)('0' + unit / 10 % 10);
		b[4] = (char)('0' + unit % 10);
		b[5] = '\0';
		set_s(st, v, "bruksenhetsnummer", b);
	}
	set_s(st, v, "bruksenhetstype", "bolig");
	set_s(st, v, "adressenavn", gen_street.v[rbelow(g, (uint32_t)gen_street.n)]);
	set(st, an, "husnummer", json_sprintf("%d", husnr));
	if (rchance(g, 80)) {
		b[0] = (char)('A' + rbelow(g, 4));
		b[1] = '\0';
		set_s(st, an, "husbokstav", b);
	}
	set(st, v, "adressenummer", an);
	set(st, v, "poststed", poststed(st, ps));
	return v;
}

/* ---- event kinds: each returns 1 (built), 0 (this person cannot take it), < 0 ---- */

/* Moves p and, at the same address, the spouse and minor children. */
static int
k_move(struct step *st, const struct person *p)
{
	const json_t *home = cur(p->doc, "bostedsadresse"), *e;
	struct person mem[SIM_EVENTS_MAX];
	json_t *addr;
	size_t n = 0, i;
	int r;

	if (!bosatt(p->doc) || strengt(p->doc) || home == NULL ||
	    json_object_get(home, "ukjentBosted"))
		return 0;
	mem[n++] = *p;
	if (spouse(p->doc)) {
		r = load(st, spouse(p->doc), &mem[n]);
		if (r < 0)
			return r;
		if (r && bosatt(mem[n].doc) && !strengt(mem[n].doc) &&
		    same_address(cur(mem[n].doc, "bostedsadresse"), home))
			n++;
	}
	json_array_foreach(json_object_get(p->doc, "familierelasjon"), i, e) {
		int a;

		if (n == SIM_EVENTS_MAX)
			break;
		if (!is_current(e) || !eq(str(e, "relatertPersonsRolle"), "barn") ||
		    !str(e, "relatertPerson"))
			continue;
		if ((r = load(st, str(e, "relatertPerson"), &mem[n])) < 0)
			return r;
		a = r ? age(st, mem[n].doc) : -1;
		if (r && a >= 0 && a < 18 && bosatt(mem[n].doc) && !strengt(mem[n].doc) &&
		    same_address(cur(mem[n].doc, "bostedsadresse"), home))
			n++;
	}
	if ((addr = vegadresse(st)) == NULL)
		return PORTEN_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		json_t *eh = list(st), *b = obj(st);
		const char *grad = cur_s(mem[i].doc, "bostedsadresse", "adressegradering");

		set_s(st, b, "adressegradering", grad ? grad : "ugradert");
		set(st, b, "vegadresse", json_incref(addr));
		set_s(st, b, "flyttedato", st->date);
		meta(st, b, "Flytting", NULL);
		entry(st, eh, "bostedsadresse", "registrereNy", "bostedsadresse", b);
		if ((r = add(st, mem[i].pid, mem[i].doc, "endringIBostedsadresse", eh)) != 0) {
			json_decref(addr);
			return r;
		}
	}
	json_decref(addr);
	st->type = "endringIBostedsadresse";
	remember(st, p->pid, R_MOVE);
	return 1;
}

/* A fresh identifier for a child born today: 1, 0 (none free), < 0. */
static int
child_pid(struct step *st, bool male, char out[12])
{
	int lo, hi, top, cnt, q0;
	unsigned flags = st->s->synthetic ? PORTEN_PID_ALLOW_SYNTHETIC : 0;

	if (st->y >= 2000)
		lo = 500, hi = 999;
	else
		lo = 0, hi = 499;   /* 1900-1999 births in 500..749 belong to 1854-1899 */
	top = hi - ((hi & 1) != (int)male);
	cnt = (top - lo) / 2 + 1;
	q0 = (int)rbelow(&st->s->rng, (uint32_t)cnt);
	for (int i = 0; i < cnt; i++) {
		int ind = top - 2 * ((q0 + i) % cnt);

		for (int r1 = 0; r1 <= (st->y >= 2032 ? 3 : 0); r1++) {
			json_t *doc = NULL;
			int r;

			if (!porten_pid_make(out, 12, st->y, st->m, st->d, ind, r1, flags))
				continue;
			r = freg_register_person(st->s->r, out, &doc, NULL, NULL);
			json_decref(doc);
			if (r == PORTEN_ERR_NOT_FOUND)
				return 1;
			if (r != 0)
				return r;
		}
	}
	return 0;
}

/* A copy of a current element with fresh metadata, appended as doc[key]. */
static void
copy_current(struct step *st, json_t *doc, const char *key, const json_t *from,
             const char *aarsak)
{
	json_t *arr, *e;

	if (from == NULL)
		return;
	arr = list(st);
	e = strip(st, from);
	if (e && json_object_get(e, "flyttedato"))
		set_s(st, e, "flyttedato", st->date);
	meta(st, e, aarsak, NULL);
	set(st, e, "erGjeldende", json_true());
	push(st, arr, e);
	set(st, doc, key, arr);
}

/* A new element of doc[key] (a new array: every entity of a newborn has one). */
static json_t *
element(struct step *st, json_t *doc, const char *key)
{
	json_t *a = list(st), *e = obj(st);

	push(st, a, e);
	set(st, doc, key, a);
	return e;
}

/* The metadata of a newborn's element. */
static void
born(struct step *st, json_t *e)
{
	meta(st, e, "Fødsel", NULL);
	set(st, e, "erGjeldende", json_true());
}

/* The child's document, shaped like the generator's. */
static json_t *
child_doc(struct step *st, const char *pid, bool male, const struct person *mo,
          const struct person *fa)
{
	struct rng *g = &st->s->rng;
	json_t *doc = obj(st), *a, *e, *x;
	const char *fornavn = male ? gen_male.v[rbelow(g, (uint32_t)gen_male.n)]
	                           : gen_female.v[rbelow(g, (uint32_t)gen_female.n)];
	const char *etternavn = cur_s((fa && rchance(g, 800) ? fa : mo)->doc, "navn", "etternavn");
	const char *kommune = NULL, *borger = "NOR";
	const json_t *home = cur(mo->doc, "bostedsadresse");
	size_t i;
	char year[5];

	e = element(st, doc, "identifikasjonsnummer");
	set_s(st, e, "foedselsEllerDNummer", pid);
	set_s(st, e, "identifikatortype", "foedselsnummer");
	set_s(st, e, "status", "iBruk");
	born(st, e);
	e = element(st, doc, "status");
	set_s(st, e, "status", "bosatt");
	born(st, e);
	a = list(st);
	e = navn_payload(st, fornavn, NULL, etternavn ? etternavn : "Nordmann");
	push(st, a, e);
	set(st, doc, "navn", a);
	born(st, e);
	e = element(st, doc, "kjoenn");
	set_s(st, e, "kjoenn", male ? "mann" : "kvinne");
	born(st, e);
	e = element(st, doc, "foedsel");
	set_s(st, e, "foedselsdato", st->date);
	memcpy(year, st->date, 4);
	year[4] = '\0';
	set_s(st, e, "foedselsaar", year);
	if (home)
		kommune = str(json_object_get(home, "vegadresse"), "kommunenummer");
	if (home && kommune == NULL)
		kommune = str(json_object_get(json_object_get(home, "matrikkeladresse"),
		                              "matrikkelnummer"), "kommunenummer");
	if (kommune == NULL)
		kommune = freg_gen_kommuner[rbelow(g, (uint32_t)freg_gen_n_kommuner)].kommunenummer;
	set_s(st, e, "foedekommuneINorge", kommune);
	set_s(st, e, "foedeland", "NOR");
	born(st, e);
	e = element(st, doc, "sivilstand");
	set_s(st, e, "sivilstand", "ugift");
	born(st, e);
	/* Norwegian when a parent is; the mother's citizenship otherwise */
	{
		bool nor = false;

		for (int k = 0; k < 2; k++) {
			const struct person *par = k ? fa : mo;

			if (par == NULL)
				continue;
			json_array_foreach(json_object_get(par->doc, "statsborgerskap"), i, x)
				if (is_current(x) && eq(str(x, "statsborgerskap"), "NOR"))
					nor = true;
		}
		if (!nor && cur_s(mo->doc, "statsborgerskap", "statsborgerskap"))
			borger = cur_s(mo->doc, "statsborgerskap", "statsborgerskap");
	}
	e = element(st, doc, "statsborgerskap");
	set_s(st, e, "statsborgerskap", borger);
	born(st, e);
	copy_current(st, doc, "bostedsadresse", home, "Fødsel");
	copy_current(st, doc, "adressebeskyttelse", cur(mo->doc, "adressebeskyttelse"), "Fødsel");
	copy_current(st, doc, "postadresse", cur(mo->doc, "postadresse"), "Fødsel");

	a = list(st);
	set(st, doc, "familierelasjon", a);
	for (int k = 0; k < 2; k++) {
		const struct person *par = k ? fa : mo;

		if (par == NULL)
			continue;
		e = obj(st);
		set_s(st, e, "relatertPerson", par->pid);
		set_s(st, e, "relatertPersonsRolle", k ? "far" : "mor");
		set_s(st, e, "minRolleForPerson", "barn");
		born(st, e);
		push(st, a, e);
	}
	a = list(st);
	set(st, doc, "foreldreansvar", a);
	for (int k = 0; k < 2; k++) {
		const struct person *par = k ? fa : mo;

		if (par == NULL)
			continue;
		e = obj(st);
		set_s(st, e, "ansvar", fa ? "felles" : "mor");
		set_s(st, e, "ansvarlig", par->pid);
		born(st, e);
		push(st, a, e);
	}
	if (st->oom) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static int
k_birth(struct step *st, const struct person *p)
{
	struct person fa_, *fa = NULL;
	const struct person *mo = p;
	char pid[12];
	json_t *doc = NULL, *eh = NULL;
	bool male = rchance(&st->s->rng, 512);
	int a = age(st, p->doc), r;

	if (!bosatt(p->doc) || !female(p->doc) || a < 18 || a > 45 ||
	    !eq(cur_s(p->doc, "identifikasjonsnummer", "identifikatortype"), "foedselsnummer") ||
	    cur(p->doc, "bostedsadresse") == NULL)
		return 0;
	if (spouse(p->doc)) {
		if ((r = load(st, spouse(p->doc), &fa_)) < 0)
			return r;
		if (r && alive(fa_.doc) && !female(fa_.doc) && eq(spouse(fa_.doc), p->pid))
			fa = &fa_;
	}
	if ((r = child_pid(st, male, pid)) <= 0)
		return r;
	if ((doc = child_doc(st, pid, male, mo, fa)) == NULL)
		return PORTEN_ERR_NOMEM;
	if ((r = freg_event_created(doc, &eh)) != 0) {
		json_decref(doc);
		return r;
	}
	/* the child's event first: the parents' relations then point at a known person */
	if (st->n == SIM_EVENTS_MAX) {
		json_decref(doc);
		json_decref(eh);
		return PORTEN_ERR_INTERNAL;
	}
	memcpy(st->ev[st->n].pid, pid, 12);
	st->ev[st->n].type = "personErOpprettet";
	st->ev[st->n].eh = eh;
	st->ev[st->n].doc = doc;
	st->n++;
	for (int k = 0; k < 2; k++) {
		const struct person *par = k ? fa : mo;
		json_t *l, *e;

		if (par == NULL)
			continue;
		l = list(st);
		e = obj(st);
		set_s(st, e, "relatertPerson", pid);
		set_s(st, e, "relatertPersonsRolle", "barn");
		set_s(st, e, "minRolleForPerson", k ? "far" : "mor");
		meta(st, e, "Fødsel", NULL);
		entry(st, l, "familierelasjon", "registrereNy", "familierelasjon", e);
		e = obj(st);
		set_s(st, e, "ansvar", fa ? "felles" : "mor");
		set_s(st, e, "ansvarssubjekt", pid);
		meta(st, e, "Fødsel", NULL);
		entry(st, l, "foreldreansvar", "registrereNy", "foreldreansvar", e);
		if ((r = add(st, par->pid, par->doc, "endringIFamilierelasjon", l)) != 0)
			return r;
	}
	st->type = "personErOpprettet";
	remember(st, pid, R_NEWBORN);
	return 1;
}

/* "Storgata 12B" of a vegadresse into b. */
static bool
address_line(const json_t *v, char *b, size_t bsz)
{
	const char *navn = str(v, "adressenavn");
	const json_t *an = json_object_get(v, "adressenummer");
	const char *nr = str(an, "husnummer"), *bokstav = str(an, "husbokstav");
	size_t n;

	if (navn == NULL)
		return false;
	n = strlen(navn);
	if (n + 16 > bsz)
		return false;
	memcpy(b, navn, n);
	b[n] = '\0';
	if (nr && strlen(nr) <= 4) {
		b[n++] = ' ';
		memcpy(b + n, nr, strlen(nr) + 1);
		n += strlen(nr);
		if (bokstav && strlen(bokstav) == 1) {
			b[n++] = bokstav[0];
			b[n] = '\0';
		}
	}
	return true;
}

/* kontaktinformasjonForDoedsbo: the spouse as contact (skifteform annet) at the home
 * address, or a lawyer's office (offentlig skifte). */
static json_t *
doedsbo(struct step *st, const struct person *p, const char *contact)
{
	struct rng *g = &st->s->rng;
	const json_t *v = json_object_get(cur(p->doc, "bostedsadresse"), "vegadresse");
	json_t *k = obj(st), *a = obj(st), *lines = list(st), *c = obj(st), *office = NULL;
	char line[PORTEN_GEN_TEXT_MAX];

	set_s(st, k, "skifteform", contact ? "annet" : "offentlig");
	set_s(st, k, "attestutstedelsesdato", st->date);
	if (contact) {
		set_s(st, c, "foedselsEllerDNummer", contact);
		set(st, k, "person", c);
	} else {
		json_t *pn = obj(st);
		size_t f = rbelow(g, (uint32_t)gen_n_firms);
		const struct gen_namelist *l = rchance(g, 500) ? &gen_female : &gen_male;
		char orgno[10];

		set_s(st, pn, "fornavn", l->v[rbelow(g, (uint32_t)l->n)]);
		set_s(st, pn, "etternavn", gen_surname.v[rbelow(g, (uint32_t)gen_surname.n)]);
		set(st, c, "personnavn", pn);
		set_s(st, c, "organisasjonsnavn", gen_firms[f]);
		/* synthetic 9xx xxx xxx organisation numbers, as the generator's */
		for (unsigned long base = 91000000UL + (unsigned long)f * 1000003UL % 8000000UL;
		     !porten_orgno_make(orgno, sizeof(orgno), base); base++)
			;
		set_s(st, c, "organisasjonsnummer", orgno);
		set(st, k, "advokat", c);
	}
	if (contact == NULL || v == NULL || !json_object_get(v, "poststed") ||
	    !address_line(v, line, sizeof(line))) {
		v = office = vegadresse(st);
		if (office == NULL || !address_line(office, line, sizeof(line)))
			st->oom = true;
	}
	if (!st->oom) {
		push(st, lines, json_string(line));
		set_s(st, a, "poststedsnavn", str(json_object_get(v, "poststed"), "poststedsnavn"));
		set_s(st, a, "postnummer", str(json_object_get(v, "poststed"), "postnummer"));
	}
	json_decref(office);
	set(st, a, "adresselinje", lines);
	set(st, k, "adresse", a);
	meta(st, k, "Dødsfall", NULL);
	return k;
}

static int
k_death(struct step *st, const struct person *p)
{
	struct rng *g = &st->s->rng;
	struct person sp;
	const char *contact = NULL;
	int a = age(st, p->doc), r;
	int32_t day = st->today - 1 - (int32_t)rbelow(g, 7);
	char date[11], gyld[FREG_TS_LEN + 1];
	json_t *eh, *e;
	bool widow = false;

	if (!bosatt(p->doc) || a < 0 || (a < 60 && !rchance(g, 50)) || (a < 80 && !rchance(g, 400)))
		return 0;
	fmt_date(date, day);
	midnight_ts(day, gyld);
	if (spouse(p->doc)) {
		if ((r = load(st, spouse(p->doc), &sp)) < 0)
			return r;
		widow = r && alive(sp.doc) && eq(spouse(sp.doc), p->pid);
		if (widow)
			contact = sp.pid;
	}
	eh = list(st);
	e = obj(st);
	set_s(st, e, "doedsdato", date);
	meta(st, e, "Dødsfall", gyld);
	entry(st, eh, "doedsfall", "registrereNy", "doedsfall", e);
	e = obj(st);
	set_s(st, e, "status", "doed");
	meta(st, e, "Dødsfall", gyld);
	entry(st, eh, "status", "registrereNy", "status", e);
	entry(st, eh, "kontaktinformasjonForDoedsbo", "registrereNy", "kontaktinformasjonForDoedsbo",
	      doedsbo(st, p, contact));
	if ((r = add(st, p->pid, p->doc, "personErDoed", eh)) != 0)
		return r;
	if (widow) {
		eh = list(st);
		e = obj(st);
		set_s(st, e, "sivilstand", "enkeEllerEnkemann");
		set_s(st, e, "sivilstandsdato", date);
		set_s(st, e, "relatertVedSivilstand", p->pid);
		meta(st, e, "Dødsfall", gyld);
		entry(st, eh, "sivilstand", "registrereNy", "sivilstand", e);
		if ((r = add(st, sp.pid, sp.doc, "endringISivilstand", eh)) != 0)
			return r;
	}
	st->type = "personErDoed";
	remember(st, p->pid, R_DEATH);
	return 1;
}

static bool
can_marry(const struct step *st, const json_t *doc)
{
	const char *s = cur_s(doc, "sivilstand", "sivilstand");

	return bosatt(doc) && age(st, doc) >= 18 &&
	       (eq(s, "ugift") || eq(s, "skilt") || eq(s, "enkeEllerEnkemann"));
}

static int
sivilstand_event(struct step *st, const struct person *p, const char *type, const char *rel,
                 const char *aarsak)
{
	json_t *eh = list(st), *e = obj(st);

	set_s(st, e, "sivilstand", type);
	set_s(st, e, "sivilstandsdato", st->date);
	if (rel)
		set_s(st, e, "relatertVedSivilstand", rel);
	meta(st, e, aarsak, NULL);
	entry(st, eh, "sivilstand", "registrereNy", "sivilstand", e);
	return add(st, p->pid, p->doc, "endringISivilstand", eh);
}

static int
k_marry(struct step *st, const struct person *p)
{
	struct person q = { .doc = NULL };
	int r, pa = age(st, p->doc);

	if (!can_marry(st, p->doc))
		return 0;
	for (int i = 0; i < SIM_PARTNER_TRIES; i++) {
		int qa;

		if ((r = pick(st, &q)) < 0)
			return r;
		if (r == 0 || strcmp(q.pid, p->pid) == 0 || !can_marry(st, q.doc) ||
		    related(p->doc, q.pid) || related(q.doc, p->pid))
			continue;
		qa = age(st, q.doc);
		if (qa - pa > 15 || pa - qa > 15)
			continue;
		if ((r = sivilstand_event(st, p, "gift", q.pid, "Inngått ekteskap")) != 0 ||
		    (r = sivilstand_event(st, &q, "gift", p->pid, "Inngått ekteskap")) != 0)
			return r;
		st->type = "endringISivilstand";
		return 1;
	}
	return 0;
}

static int
k_divorce(struct step *st, const struct person *p)
{
	struct person q = { .doc = NULL };
	int r;

	if (!alive(p->doc) || spouse(p->doc) == NULL)
		return 0;
	if ((r = load(st, spouse(p->doc), &q)) <= 0)
		return r;
	if (!alive(q.doc) || !eq(spouse(q.doc), p->pid))
		return 0;
	if ((r = sivilstand_event(st, p, "skilt", NULL, "Skilsmisse")) != 0 ||
	    (r = sivilstand_event(st, &q, "skilt", NULL, "Skilsmisse")) != 0)
		return r;
	st->type = "endringISivilstand";
	return 1;
}

static int
k_name(struct step *st, const struct person *p)
{
	struct rng *g = &st->s->rng;
	const json_t *n = cur(p->doc, "navn");
	const char *etter = str(n, "etternavn"), *ny = NULL;
	struct person q = { .doc = NULL };
	json_t *eh;
	int r;

	if (!alive(p->doc) || n == NULL || str(n, "fornavn") == NULL || age(st, p->doc) < 18)
		return 0;
	if (spouse(p->doc) && rchance(g, 600)) {
		if ((r = load(st, spouse(p->doc), &q)) < 0)
			return r;
		if (r)
			ny = cur_s(q.doc, "navn", "etternavn");
	}
	for (int i = 0; i < 4 && (ny == NULL || eq(ny, etter)); i++)
		ny = gen_surname.v[rbelow(g, (uint32_t)gen_surname.n)];
	if (ny == NULL || eq(ny, etter))
		return 0;
	eh = list(st);
	{
		json_t *e = navn_payload(st, str(n, "fornavn"), str(n, "mellomnavn"), ny);

		meta(st, e, "Navneendring", NULL);
		entry(st, eh, "navn", "registrereNy", "navn", e);
	}
	if ((r = add(st, p->pid, p->doc, "endringINavn", eh)) != 0)
		return r;
	st->type = "endringINavn";
	remember(st, p->pid, R_NAME);
	return 1;
}

static int
k_emigrate(struct step *st, const struct person *p)
{
	struct rng *g = &st->s->rng;
	const struct gen_abroad *to = &gen_abroad[rbelow(g, (uint32_t)gen_n_abroad)];
	const json_t *home = cur(p->doc, "bostedsadresse");
	const char *grad = str(home, "adressegradering");
	json_t *eh, *e, *ua;
	int r;

	if (!bosatt(p->doc) || strengt(p->doc) || home == NULL || age(st, p->doc) < 18)
		return 0;
	eh = list(st);
	e = obj(st);
	set_s(st, e, "tilflyttingsland", to->alpha3);
	set_s(st, e, "tilflyttingsstedIUtlandet", to->city);
	set_s(st, e, "utflyttingsdato", st->date);
	meta(st, e, "Utflytting", NULL);
	entry(st, eh, "utflytting", "registrereNy", "utflytting", e);
	e = obj(st);
	set_s(st, e, "status", "utflyttet");
	meta(st, e, "Utflytting", NULL);
	entry(st, eh, "status", "registrereNy", "status", e);
	/* the Norwegian address ends (opphør): the same element with opphoerstidspunkt */
	e = strip(st, home);
	meta(st, e, "Utflytting", str(home, "gyldighetstidspunkt"));
	set_s(st, e, "opphoerstidspunkt", st->mid);
	entry(st, eh, "bostedsadresse", "registrereNy", "bostedsadresse", e);
	e = obj(st);
	ua = obj(st);
	set_s(st, e, "adressegradering", grad ? grad : "ugradert");
	set(st, ua, "adressenavn", json_sprintf("%s %d", to->street, rrange(g, 1, 120)));
	if (to->postcode)
		set_s(st, ua, "postkode", to->postcode);
	set_s(st, ua, "byEllerStedsnavn", to->city);
	set_s(st, ua, "landkode", to->alpha2);
	set(st, e, "utenlandskAdresse", ua);
	meta(st, e, "Utflytting", NULL);
	entry(st, eh, "kontaktadresseIUtlandet", "registrereNy", "postadresseIUtlandet", e);
	if ((r = add(st, p->pid, p->doc, "personErUtflyttet", eh)) != 0)
		return r;
	st->type = "personErUtflyttet";
	return 1;
}

static int
k_guardian(struct step *st, const struct person *p)
{
	struct rng *g = &st->s->rng;
	struct person q = { .doc = NULL };
	int a = age(st, p->doc), r;

	if (!alive(p->doc) || a < 18 || (a < 70 && !rchance(g, 200)) ||
	    cur(p->doc, "vergemaalEllerFremtidsfullmakt"))
		return 0;
	for (int i = 0; i < SIM_PARTNER_TRIES; i++) {
		const json_t *n;
		json_t *eh, *e, *v, *nf, *pn, *tj;
		unsigned first, cnt;

		if ((r = pick(st, &q)) < 0)
			return r;
		if (r == 0 || strcmp(q.pid, p->pid) == 0 || !bosatt(q.doc) || age(st, q.doc) < 18 ||
		    (n = cur(q.doc, "navn")) == NULL || !cur_s(q.doc, "foedsel", "foedselsdato"))
			continue;
		eh = list(st);
		e = obj(st);
		set_s(st, e, "vergemaaltype", rchance(g, 300) ? "stadfestetFremtidsfullmakt" : "voksen");
		set_s(st, e, "embete", gen_embeter[rbelow(g, (uint32_t)gen_n_embeter)]);
		v = obj(st);
		set_s(st, v, "foedselsEllerDNummer", q.pid);
		nf = obj(st);
		pn = obj(st);
		set_s(st, pn, "fornavn", str(n, "fornavn"));
		if (str(n, "mellomnavn"))
			set_s(st, pn, "mellomnavn", str(n, "mellomnavn"));
		set_s(st, pn, "etternavn", str(n, "etternavn"));
		set(st, nf, "personnavn", pn);
		set_s(st, nf, "foedselsdato", cur_s(q.doc, "foedsel", "foedselsdato"));
		set(st, v, "navnFoedselsdato", nf);
		tj = list(st);
		first = rbelow(g, (uint32_t)gen_n_tjenester);
		cnt = 1 + rbelow(g, 3);
		for (unsigned k = 0; k < cnt; k++) {
			const struct gen_tjeneste *t = &gen_tjenester[(first + k) % gen_n_tjenester];
			json_t *o = obj(st);

			set_s(st, o, "vergeTjenestevirksomhet", t->virksomhet);
			set_s(st, o, "vergeTjenesteoppgave", t->oppgave);
			push(st, tj, o);
		}
		set(st, v, "tjenesteomraade", tj);
		set(st, e, "verge", v);
		meta(st, e, "Vergemål", NULL);
		entry(st, eh, "vergemaalEllerFremtidsfullmakt", "registrereNy",
		      "vergemaalEllerFremtidsfullmakt", e);
		if ((r = add(st, p->pid, p->doc, "endringIVergemaal", eh)) != 0)
			return r;
		st->type = "endringIVergemaal";
		return 1;
	}
	return 0;
}

/* ---- corrections and annulments ---- */

/* A remembered change (and its index), or a random person (idx SIZE_MAX). */
static int
target(struct step *st, unsigned permille_recent, struct person *p, enum recent_kind *k,
       size_t *idx)
{
	int r;

	*idx = SIZE_MAX;
	if (st->s->n_recent > 0 && rchance(&st->s->rng, permille_recent)) {
		*idx = rbelow(&st->s->rng, (uint32_t)st->s->n_recent);
		*k = st->s->recent[*idx].kind;
		return load(st, st->s->recent[*idx].pid, p);
	}
	if ((r = pick(st, p)) <= 0)
		return r;
	*k = is_dead(p->doc) ? R_DEATH : R_MOVE;
	return 1;
}

static int
correct_address(struct step *st, const struct person *p)
{
	const json_t *home = cur(p->doc, "bostedsadresse");
	const json_t *v = json_object_get(home, "vegadresse");
	const char *nr = str(json_object_get(v, "adressenummer"), "husnummer");
	json_t *e, *nv, *an, *eh;
	int husnr;

	if (!bosatt(p->doc) || v == NULL || nr == NULL || (husnr = atoi(nr)) <= 0)
		return 0;
	husnr += husnr > 1 && rchance(&st->s->rng, 500) ? -1 : 1;
	e = strip(st, home);
	nv = json_copy((json_t *)v);
	an = json_copy(json_object_get(v, "adressenummer"));
	if (nv == NULL || an == NULL)
		st->oom = true;
	set(st, an, "husnummer", json_sprintf("%d", husnr));
	set(st, nv, "adressenummer", an);
	set(st, e, "vegadresse", nv);
	meta(st, e, "Korrigering", str(home, "gyldighetstidspunkt"));
	eh = list(st);
	entry(st, eh, "bostedsadresse", "korrigere", "bostedsadresse", e);
	st->type = "endringIBostedsadresse";
	return built(add(st, p->pid, p->doc, st->type, eh));
}

static int
correct_name(struct step *st, const struct person *p)
{
	struct rng *g = &st->s->rng;
	const json_t *n = cur(p->doc, "navn");
	const struct gen_namelist *l = female(p->doc) ? &gen_female : &gen_male;
	const char *fornavn = NULL;
	json_t *e, *eh;

	if (!alive(p->doc) || n == NULL || !str(n, "etternavn"))
		return 0;
	for (int i = 0; i < 4 && (fornavn == NULL || eq(fornavn, str(n, "fornavn"))); i++)
		fornavn = l->v[rbelow(g, (uint32_t)l->n)];
	if (eq(fornavn, str(n, "fornavn")))
		return 0;
	e = navn_payload(st, fornavn, str(n, "mellomnavn"), str(n, "etternavn"));
	meta(st, e, "Korrigering", str(n, "gyldighetstidspunkt"));
	eh = list(st);
	entry(st, eh, "navn", "korrigere", "navn", e);
	st->type = "endringINavn";
	return built(add(st, p->pid, p->doc, st->type, eh));
}

static int
correct_death(struct step *st, const struct person *p)
{
	const json_t *d = json_object_get(p->doc, "doedsfall");
	int y, m, dd;
	int32_t day;
	char date[11], gyld[FREG_TS_LEN + 1];
	json_t *e, *eh;

	if (d == NULL || !parse_date(str(d, "doedsdato"), &y, &m, &dd))
		return 0;
	day = days_from_civil(y, m, dd) - 1;
	fmt_date(date, day);
	midnight_ts(day, gyld);
	e = obj(st);
	set_s(st, e, "doedsdato", date);
	meta(st, e, "Korrigering", gyld);
	eh = list(st);
	entry(st, eh, "doedsfall", "korrigere", "doedsfall", e);
	st->type = "endringIDoedsfall";
	return built(add(st, p->pid, p->doc, st->type, eh));
}

static int
k_correct(struct step *st)
{
	struct person p;
	enum recent_kind k;
	size_t idx;
	int r;

	if ((r = target(st, 700, &p, &k, &idx)) <= 0)
		return r;
	switch (k) {
	case R_MOVE: r = correct_address(st, &p); break;
	case R_NAME:
	case R_NEWBORN: r = correct_name(st, &p); break;
	case R_DEATH: r = correct_death(st, &p); break;
	}
	if (r == 1)
		st->drop = idx;
	return r;
}

static int
annul_death(struct step *st, const struct person *p)
{
	struct person q = { .doc = NULL };
	const char *rel = cur_s(p->doc, "sivilstand", "relatertVedSivilstand");
	json_t *eh;
	int r;

	if (json_object_get(p->doc, "doedsfall") == NULL ||
	    !eq(cur_s(p->doc, "status", "status"), "doed") || !has_hist(p->doc, "status"))
		return 0;
	eh = list(st);
	entry(st, eh, "doedsfall", "annullere", NULL, NULL);
	entry(st, eh, "status", "annullere", NULL, NULL);
	if (cur(p->doc, "kontaktinformasjonForDoedsbo"))
		entry(st, eh, "kontaktinformasjonForDoedsbo", "annullere", NULL, NULL);
	if ((r = add(st, p->pid, p->doc, "endringIDoedsfall", eh)) != 0)
		return r;
	/* the widowed spouse is married again */
	if (rel && (r = load(st, rel, &q)) != 0) {
		const json_t *s;

		if (r < 0)
			return r;
		s = cur(q.doc, "sivilstand");
		if (alive(q.doc) && eq(str(s, "sivilstand"), "enkeEllerEnkemann") &&
		    eq(str(s, "relatertVedSivilstand"), p->pid) && has_hist(q.doc, "sivilstand")) {
			eh = list(st);
			entry(st, eh, "sivilstand", "annullere", NULL, NULL);
			if ((r = add(st, q.pid, q.doc, "endringISivilstand", eh)) != 0)
				return r;
		}
	}
	st->type = "endringIDoedsfall";
	return 1;
}

static int
annul_simple(struct step *st, const struct person *p, const char *key, const char *type)
{
	json_t *eh;

	if (!bosatt(p->doc) || cur(p->doc, key) == NULL || !has_hist(p->doc, key))
		return 0;
	eh = list(st);
	entry(st, eh, key, "annullere", NULL, NULL);
	st->type = type;
	return built(add(st, p->pid, p->doc, type, eh));
}

static int
k_annul(struct step *st)
{
	struct person p;
	enum recent_kind k;
	size_t idx;
	int r;

	if ((r = target(st, 800, &p, &k, &idx)) <= 0)
		return r;
	switch (k) {
	case R_MOVE:
		/* a random person's address history is the generator's, not a change to undo */
		r = idx == SIZE_MAX ? 0 : annul_simple(st, &p, "bostedsadresse", "endringIBostedsadresse");
		break;
	case R_NAME: r = annul_simple(st, &p, "navn", "endringINavn"); break;
	case R_DEATH: r = annul_death(st, &p); break;
	case R_NEWBORN: r = 0; break;
	}
	if (r == 1)
		st->drop = idx;
	return r;
}

/* ---- driver ---- */

int
freg_sim_new(freg_register *r, uint64_t seed, bool synthetic_ids, freg_sim **out)
{
	freg_sim *s;
	uint64_t x = seed;

	if (r == NULL || out == NULL)
		return PORTEN_ERR_INVALID;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return PORTEN_ERR_NOMEM;
	s->r = r;
	s->synthetic = synthetic_ids;
	for (int i = 0; i < 4; i++)
		s->rng.s[i] = splitmix64(&x);
	*out = s;
	return 0;
}

void
freg_sim_free(freg_sim *s)
{
	free(s);
}

static enum kind
draw_kind(struct rng *g)
{
	unsigned x = rbelow(g, 1000), acc = 0;

	for (int k = 0; k < K_COUNT; k++) {
		acc += kind_weight[k];
		if (x < acc)
			return (enum kind)k;
	}
	return K_MOVE;
}

static int
attempt(struct step *st, enum kind k)
{
	struct person p;
	int r;

	if (k == K_CORRECT)
		return k_correct(st);
	if (k == K_ANNUL)
		return k_annul(st);
	if ((r = pick(st, &p)) <= 0)
		return r;
	switch (k) {
	case K_MOVE: return k_move(st, &p);
	case K_BIRTH: return k_birth(st, &p);
	case K_DEATH: return k_death(st, &p);
	case K_MARRY: return k_marry(st, &p);
	case K_NAME: return k_name(st, &p);
	case K_EMIGRATE: return k_emigrate(st, &p);
	case K_DIVORCE: return k_divorce(st, &p);
	case K_GUARDIAN: return k_guardian(st, &p);
	default: return 0;
	}
}

static void
bookkeep(freg_sim *s, const struct step *st)
{
	if (st->drop != SIZE_MAX && st->drop < s->n_recent) {
		memmove(&s->recent[st->drop], &s->recent[st->drop + 1],
		        (s->n_recent - st->drop - 1) * sizeof(s->recent[0]));
		s->n_recent--;
	}
	if (st->push) {
		if (s->n_recent == SIM_RECENT) {
			memmove(&s->recent[0], &s->recent[1], (SIM_RECENT - 1) * sizeof(s->recent[0]));
			s->n_recent--;
		}
		s->recent[s->n_recent++] = st->pushed;
	}
}

int
freg_sim_step(freg_sim *s, int64_t now, const char **type)
{
	int r = PORTEN_ERR_INTERNAL;
	struct step *st = NULL;
	struct freg_ingest ev[SIM_EVENTS_MAX];

	if (s == NULL)
		return PORTEN_ERR_INVALID;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return PORTEN_ERR_NOMEM;
	st->s = s;
	st->now = now;
	st->drop = SIZE_MAX;
	freg_ts_format(now, (unsigned)rbelow(&s->rng, 1000), st->ts);
	if (!parse_date(st->ts, &st->y, &st->m, &st->d)) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	st->today = days_from_civil(st->y, st->m, st->d);
	fmt_date(st->date, st->today);
	midnight_ts(st->today, st->mid);
	if ((r = freg_register_count(s->r, &st->persons)) != 0)
		goto out;
	r = 0;
	for (int i = 0; i < SIM_KINDS && r != 1; i++) {
		enum kind k = draw_kind(&s->rng);

		for (int j = 0; j < SIM_PERSONS; j++) {
			r = attempt(st, k);
			if (r == 1 && st->oom)
				r = PORTEN_ERR_NOMEM;
			if (r < 0)
				goto out;
			if (r == 1)
				break;
			step_reset(st);
		}
	}
	if (r != 1) {
		r = PORTEN_ERR_CONFLICT;   /* nobody could take an event (an empty register) */
		goto out;
	}
	memset(ev, 0, sizeof(ev));
	for (size_t i = 0; i < st->n; i++) {
		ev[i].pid = st->ev[i].pid;
		ev[i].type = st->ev[i].type;
		ev[i].egenskapshendelse = st->ev[i].eh;
		ev[i].person = st->ev[i].doc;
		ev[i].ajourhold = now;
	}
	if ((r = freg_register_ingest(s->r, ev, st->n, NULL)) != 0)
		goto out;
	bookkeep(s, st);
	if (type)
		*type = st->type;
	r = 0;
out:
	if (st)
		step_reset(st);
	free(st);
	return r;
}
