/* Deterministic synthetic population (include/porten/freg_gen.h).
 *
 * Households are planned first (persons, birth dates, names, relations, addresses, as
 * plain structs), then each member is rendered into a Folkeregisterperson document and
 * handed to the sink. Relations never leave a household, so every reference points at a
 * person that is emitted, and both sides are written from the same plan.
 *
 * Randomness is xoshiro256** seeded by splitmix64 from opts.seed; times derive from
 * opts.now only. Identifiers come from a per (birth date, fnr/dnr, sex) allocator that
 * walks the individnummer ranges of the century from the top down (as Freg allocates),
 * so they are unique without a set of issued numbers. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "porten/error.h"
#include "porten/freg_gen.h"
#include "porten/ident.h"
#include "porten/limits.h"

#include "gen_data.h"
#include "rng.h"

#define DAY_S 86400
#define KILDE "Synutopia"

static const char *
rpick(struct rng *r, const struct gen_namelist *l)
{
	return l->v[rbelow(r, (uint32_t)l->n)];
}

/* ---- calendar (days since 1970-01-01, proleptic Gregorian; Hinnant's algorithms) ---- */

/* Day of the last Sunday of month m in year y. */
static int32_t
last_sunday(int y, int m)
{
	int32_t last = days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
	int wd = (int)(((last + 4) % 7 + 7) % 7);   /* 0 = Sunday; 1970-01-01 was a Thursday */

	return last - wd;
}

/* Summer time in Europe/Oslo: since 1980, ending in September until 1995 and in October
 * since 1996 (the earlier episodes are ignored). Precomputed per year: the offset is
 * asked for twice per element, and the calendar arithmetic showed in profiles. */
#define TZ_FIRST_YEAR 1900
#define TZ_YEARS 142            /* 1900..2041 */

struct tz {
	int32_t year_start[TZ_YEARS + 1];   /* day of 1 January */
	int64_t dst_start[TZ_YEARS], dst_end[TZ_YEARS];
};

static void
tz_init(struct tz *t)
{
	for (int i = 0; i <= TZ_YEARS; i++)
		t->year_start[i] = days_from_civil(TZ_FIRST_YEAR + i, 1, 1);
	for (int i = 0; i < TZ_YEARS; i++) {
		int y = TZ_FIRST_YEAR + i;

		t->dst_start[i] = t->dst_end[i] = 0;
		if (y >= 1980) {
			t->dst_start[i] = (int64_t)last_sunday(y, 3) * DAY_S + 3600;
			t->dst_end[i] = (int64_t)last_sunday(y, y >= 1996 ? 10 : 9) * DAY_S + 3600;
		}
	}
}

/* Europe/Oslo offset in seconds at a UTC instant between 1900 and 2041. */
static int
oslo_offset(const struct tz *t, int64_t utc)
{
	int32_t day = (int32_t)(utc >= 0 ? utc / DAY_S : (utc - DAY_S + 1) / DAY_S);
	int i = (int)((day - t->year_start[0]) / 366);

	if (i < 0)
		i = 0;
	while (i + 1 < TZ_YEARS && t->year_start[i + 1] <= day)
		i++;
	return utc >= t->dst_start[i] && utc < t->dst_end[i] ? 7200 : 3600;
}

static char *
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

static char *
put_ymd(char *p, int y, int m, int d)
{
	p = put2(p, y / 100);
	p = put2(p, y % 100);
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	return put2(p, d);
}

#define DATE_LEN 10
#define TS_LEN 29   /* YYYY-MM-DDThh:mm:ss.mmm+hh:mm */

static void
fmt_date(char out[static DATE_LEN + 1], int32_t days)
{
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	put_ymd(out, y, m, d)[0] = '\0';
}

static void
fmt_ts(const struct tz *t, char out[static TS_LEN + 1], int64_t utc, unsigned ms)
{
	int off = oslo_offset(t, utc);
	int64_t local = utc + off;
	int32_t days = (int32_t)(local >= 0 ? local / DAY_S : (local - DAY_S + 1) / DAY_S);
	int sod = (int)(local - (int64_t)days * DAY_S), y, m, d;
	char *p;

	civil_from_days(days, &y, &m, &d);
	p = put_ymd(out, y, m, d);
	*p++ = 'T';
	p = put2(p, sod / 3600);
	*p++ = ':';
	p = put2(p, sod / 60 % 60);
	*p++ = ':';
	p = put2(p, sod % 60);
	*p++ = '.';
	*p++ = (char)('0' + ms / 100 % 10);
	p = put2(p, (int)(ms % 100));
	*p++ = '+';
	p = put2(p, off / 3600);
	*p++ = ':';
	p = put2(p, 0);
	*p = '\0';
}

/* ---- the plan ---- */

enum sex { KVINNE = 0, MANN = 1 };
enum sivil { S_UGIFT, S_GIFT, S_ENKE, S_SKILT, S_UOPPGITT };
enum protect { P_NONE, P_FORTROLIG, P_STRENGT };
enum hh_type { HH_SINGLE, HH_COUPLE, HH_SINGLE_PARENT, HH_DNR, HH_EMIGRANT, HH_WIDOW,
               HH_GUARDIAN, HH_DEAD_SINGLE };

struct addr {
	bool matrikkel;
	uint16_t ps;           /* index into the flattened poststed table */
	uint16_t street, husnr, gnr, bnr;
	char husbokstav;       /* 0 for none */
	uint16_t unit;         /* floor * 100 + unit, 0 for none (H0101 = 101) */
};

struct gp {
	char pid[12];
	char old_dnr[12];      /* an earlier d-number (immigrants), "" for none */
	bool dnr;
	enum sex sex;
	int32_t birth;
	const char *fornavn, *mellomnavn, *etternavn, *maiden;
	int32_t name_date;     /* when the current name took effect (maiden != NULL) */
	const struct gen_country *country;   /* NULL: Norwegian */
	bool naturalised;
	int32_t immigrated;    /* 0: born here or never moved in */
	enum sivil sivil;
	int32_t sivil_date;
	int spouse;            /* household index or -1 */
	int mother, father;    /* household indexes or -1 */
	int verge;             /* household index of this ward's guardian, or -1 */
	bool stadfestet;       /* fremtidsfullmakt rather than vergemål */
	int32_t verge_date;
	bool dead;
	int32_t death;
	int doedsbo_contact;   /* household index or -1: an advokat/organisation otherwise */
	bool emigrated;
	int32_t emig;
	const struct gen_abroad *to;
	bool inaktiv;          /* d-number set inactive */
	bool has_opphold;      /* d-number with an oppholdsadresse */
	struct addr home, prev;
	bool has_prev;
	int32_t moved, prev_moved;
};

struct hh {
	int n;
	enum protect protect;
	struct gp p[PORTEN_GEN_HOUSEHOLD_MAX];
};

/* Shared immutable leaves: one json_t each, referenced from many documents. */
enum shared_str { SS_KILDE, SS_GRUNN, SS_UTFLYTTING, SS_DOEDSFALL, SS_VERGEMAAL,
                  SS_UGRADERT, SS_FORTROLIG, SS_STRENGT, SS_BOLIG, SS_IBRUK, SS_NOR,
                  SS_COUNT };
static const char *const shared_text[SS_COUNT] = {
	KILDE, "Grunnbefolkning", "Utflytting", "Dødsfall", "Vergemål", "ugradert",
	"fortrolig", "strengtFortrolig", "bolig", "iBruk", "NOR",
};

struct psref { uint16_t k, ps; };

#define TS_CACHE 64   /* direct-mapped cache of gyldighetstidspunkt strings */

struct gen {
	struct freg_gen_opts o;
	struct rng r;
	int32_t today, min_day;
	uint16_t *alloc;       /* next position per (day, dnr, sex) */
	size_t n_alloc;
	struct psref *ps;      /* flattened (kommune, poststed) pairs */
	size_t n_ps;
	json_t *ss[SS_COUNT];
	struct tz tz;
	struct { int32_t day; json_t *v; } mcache[TS_CACHE];   /* midnight strings by day */
	bool oom;
	char buf[PORTEN_GEN_TEXT_MAX];
};

/* ---- identifiers ---- */

struct irange { int lo, hi; };

static size_t
ranges_for(int year, struct irange out[2])
{
	if (year < 1940) {
		out[0] = (struct irange){ 0, 499 };
		return 1;
	}
	if (year < 2000) {
		out[0] = (struct irange){ 0, 499 };
		out[1] = (struct irange){ 900, 999 };
		return 2;
	}
	out[0] = (struct irange){ 500, 999 };
	return 1;
}

/* The individnummer at position q (top down, parity of the sex) or -1 when used up. */
static int
individ_at(const struct irange *rg, size_t nr, int sex, unsigned q)
{
	for (size_t i = 0; i < nr; i++) {
		int top = rg[i].hi - ((rg[i].hi & 1) != sex);
		unsigned cnt = top < rg[i].lo ? 0 : (unsigned)((top - rg[i].lo) / 2 + 1);

		if (q < cnt)
			return top - 2 * (int)q;
		q -= cnt;
	}
	return -1;
}

/* Allocates the next free identifier for a birth day; false when the day is used up. */
static bool
alloc_on(struct gen *g, int32_t day, bool dnr, int sex, char out[12])
{
	struct irange rg[2];
	size_t nr, slot;
	int y, m, d;
	unsigned flags = (g->o.synthetic_ids ? PORTEN_PID_ALLOW_SYNTHETIC : 0) |
	                 (dnr ? PORTEN_PID_MAKE_DNR : 0);

	if (day < g->min_day || day > g->today)
		return false;
	slot = ((size_t)(day - g->min_day) * 2 + dnr) * 2 + (size_t)sex;
	civil_from_days(day, &y, &m, &d);
	nr = ranges_for(y, rg);
	for (;;) {
		unsigned pos = g->alloc[slot];
		/* Numbers issued from 2032-01-01 use the 2032 rule: four k1 remainders each. */
		bool r2032 = y >= 2032;
		int ind = individ_at(rg, nr, sex, r2032 ? pos / 4 : pos);

		if (ind < 0 || pos == UINT16_MAX)
			return false;
		g->alloc[slot] = (uint16_t)(pos + 1);
		if (porten_pid_make(out, 12, y, m, d, ind, r2032 ? (int)(pos % 4) : 0, flags))
			return true;
	}
}

/* Allocates for p->birth, moving the birth date a day back (forward near the start)
 * until a free number is found. */
static bool
alloc_pid(struct gen *g, struct gp *p, bool dnr, char out[12])
{
	for (int i = 0; i < 3660; i++) {
		if (alloc_on(g, p->birth, dnr, p->sex, out))
			return true;
		if (p->birth - 1 > g->min_day)
			p->birth--;
		else
			p->birth += 366;
	}
	return false;
}

/* ---- planning ---- */

static int32_t
birth_at_age(struct gen *g, int age_lo, int age_hi)
{
	int32_t lo = g->today - (int32_t)((age_hi + 1) * 36525LL / 100) + 1;
	int32_t hi = g->today - (int32_t)(age_lo * 36525LL / 100);

	if (lo < g->min_day + 1)
		lo = g->min_day + 1;
	if (hi < lo)
		hi = lo;
	return lo + (int32_t)rbelow(&g->r, (uint32_t)(hi - lo + 1));
}

static int32_t
between(struct gen *g, int32_t lo, int32_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int32_t)rbelow(&g->r, (uint32_t)(hi - lo + 1));
}

static const struct gen_country *
pick_country(struct gen *g)
{
	unsigned x = rbelow(&g->r, 100), acc = 0;

	for (size_t i = 0; i < gen_n_countries; i++) {
		acc += gen_countries[i].weight;
		if (x < acc)
			return &gen_countries[i];
	}
	return &gen_countries[0];
}

static void
pick_addr(struct gen *g, struct addr *a, bool husbokstav, bool matrikkel)
{
	memset(a, 0, sizeof(*a));
	a->ps = (uint16_t)rbelow(&g->r, (uint32_t)g->n_ps);
	a->matrikkel = matrikkel;
	if (matrikkel) {
		a->gnr = (uint16_t)rrange(&g->r, 1, 250);
		a->bnr = (uint16_t)rrange(&g->r, 1, 400);
		return;
	}
	a->street = (uint16_t)rbelow(&g->r, (uint32_t)gen_street.n);
	a->husnr = (uint16_t)rrange(&g->r, 1, rchance(&g->r, 800) ? 60 : 250);
	if (husbokstav)
		a->husbokstav = (char)('A' + rbelow(&g->r, 4));
	if (rchance(&g->r, 350))
		a->unit = (uint16_t)(rrange(&g->r, 1, 6) * 100 + rrange(&g->r, 1, 4));
}

static void
random_addr(struct gen *g, struct addr *a)
{
	bool matr = rchance(&g->r, 40);

	pick_addr(g, a, !matr && rchance(&g->r, 80), matr);
}

static void
name_person(struct gen *g, struct gp *p)
{
	if (p->country) {
		p->fornavn = rpick(&g->r, p->sex == KVINNE ? &p->country->female : &p->country->male);
		p->etternavn = rpick(&g->r, &p->country->surname);
		return;
	}
	p->fornavn = rpick(&g->r, p->sex == KVINNE ? &gen_female : &gen_male);
	p->etternavn = rpick(&g->r, &gen_surname);
	if (rchance(&g->r, 150))
		p->mellomnavn = rpick(&g->r, &gen_surname);
}

static void
init_person(struct gen *g, struct gp *p, enum sex sex, int32_t birth,
            const struct gen_country *c)
{
	memset(p, 0, sizeof(*p));
	p->sex = sex;
	p->birth = birth;
	p->country = c;
	p->spouse = p->mother = p->father = p->verge = p->doedsbo_contact = -1;
	p->sivil = S_UGIFT;
	name_person(g, p);
	if (c) {
		int32_t lo = birth + 18 * 365;

		p->immigrated = between(g, lo < g->today - 30 * 365 ? g->today - 30 * 365 : lo,
		                        g->today - 30);
		if (p->immigrated < birth)
			p->immigrated = birth;
		p->naturalised = p->immigrated < g->today - 9 * 365 && rchance(&g->r, 400);
	}
}

/* An adult moves in at `moved`; some have an earlier address. */
static void
settle(struct gen *g, struct gp *p, const struct addr *home, int32_t moved, bool force_prev)
{
	p->home = *home;
	p->moved = moved;
	if (moved - p->birth > 400 &&
	    (force_prev || (moved - p->birth > 20 * 365 && rchance(&g->r, 450)))) {
		int32_t lo = p->birth + 18 * 365, hi = moved - 30;

		if (lo > hi)
			lo = p->birth + (hi - p->birth) / 2;
		p->has_prev = true;
		random_addr(g, &p->prev);
		p->prev_moved = between(g, lo, hi);
	}
}

static void
marry(struct gen *g, struct gp *a, int ia, struct gp *b, int ib, int32_t when)
{
	a->spouse = ib;
	b->spouse = ia;
	a->sivil = b->sivil = S_GIFT;
	a->sivil_date = b->sivil_date = when;
	/* The wife (or, in same-sex couples, b) often takes the spouse's surname. */
	if (!b->country && rchance(&g->r, 500)) {
		b->maiden = b->etternavn;
		b->etternavn = a->etternavn;
		b->name_date = when;
		if (rchance(&g->r, 300))
			b->mellomnavn = b->maiden;
	}
}

static void
add_children(struct gen *g, struct hh *h, int mother, int father, int n, const struct addr *home)
{
	struct gp *mo = &h->p[mother];
	int32_t last = mo->birth + 20 * 365 - 400;

	for (int i = 0; i < n && h->n < PORTEN_GEN_HOUSEHOLD_MAX; i++) {
		struct gp *c = &h->p[h->n];
		/* siblings at least ~13 months apart, the first leaving room for the rest */
		int32_t lo = last + 400, hi = mo->birth + 42 * 365 - (n - 1 - i) * 400;
		int32_t b;

		if (hi > g->today - 1)
			hi = g->today - 1;
		if (lo > hi)
			break;
		b = between(g, lo, lo + (hi - lo) / (n - i));
		last = b;
		init_person(g, c, (enum sex)rbelow(&g->r, 2), b, NULL);
		c->country = mo->country;
		if (c->country) {
			name_person(g, c);
			c->immigrated = b < mo->immigrated ? mo->immigrated : 0;
		}
		c->etternavn = father >= 0 && rchance(&g->r, 800) ? h->p[father].etternavn
		                                                   : mo->etternavn;
		if (!c->country && father >= 0 && rchance(&g->r, 250) &&
		    strcmp(mo->etternavn, c->etternavn) != 0)
			c->mellomnavn = mo->etternavn;
		c->mother = mother;
		c->father = father;
		c->home = *home;
		c->moved = mo->moved > b ? mo->moved : b;
		h->n++;
	}
}

static void
plan(struct gen *g, struct hh *h, enum hh_type t, size_t room, bool husbokstav, bool matr,
     bool history)
{
	struct addr home;
	struct gp *a = &h->p[0], *b = &h->p[1];

	h->n = 1;
	if (husbokstav || matr)
		pick_addr(g, &home, husbokstav, matr);
	else
		random_addr(g, &home);
	if (room < 2 && t != HH_DNR && t != HH_EMIGRANT && t != HH_DEAD_SINGLE)
		t = HH_SINGLE;

	switch (t) {
	case HH_SINGLE:
	case HH_DEAD_SINGLE: {
		const struct gen_country *c = rchance(&g->r, 120) ? pick_country(g) : NULL;

		init_person(g, a, (enum sex)rbelow(&g->r, 2),
		            t == HH_DEAD_SINGLE ? birth_at_age(g, 70, 99) : birth_at_age(g, 18, 95), c);
		settle(g, a, &home, between(g, a->immigrated ? a->immigrated : a->birth + 18 * 365,
		                            g->today - 1), history);
		if (history && !a->maiden) {
			a->maiden = rpick(&g->r, &gen_surname);
			a->name_date = between(g, a->birth + 18 * 365, g->today - 1);
		}
		if (g->today - a->birth > 35 * 365 && rchance(&g->r, 350)) {
			a->sivil = S_SKILT;
			a->sivil_date = between(g, a->birth + 25 * 365, g->today - 1);
		}
		if (t == HH_DEAD_SINGLE) {
			a->dead = true;
			a->death = between(g, g->today - 4 * 365, g->today - 20);
		}
		break;
	}
	case HH_COUPLE:
	case HH_SINGLE_PARENT: {
		const struct gen_country *c = rchance(&g->r, 120) ? pick_country(g) : NULL;
		int32_t ab = birth_at_age(g, 22, 85), wed;
		int kids = rrange(&g->r, t == HH_SINGLE_PARENT ? 1 : 0, 3), mother = 0, father = -1;

		if (t == HH_COUPLE) {
			/* a: the man (or a woman in 3 % of couples), b: the woman */
			int32_t bb = between(g, ab - 5 * 365, ab + 5 * 365);

			if (bb > g->today - 19 * 365)
				bb = g->today - 19 * 365;
			init_person(g, a, rchance(&g->r, 30) ? KVINNE : MANN, ab, c);
			init_person(g, b, KVINNE, bb, c);
			wed = between(g, (a->birth > b->birth ? a->birth : b->birth) + 19 * 365,
			              g->today - 1);
			if (c && wed < a->immigrated)
				wed = a->immigrated;
			settle(g, a, &home, wed, history);
			settle(g, b, &home, wed, false);
			marry(g, a, 0, b, 1, wed);
			h->n = 2;
			mother = 1;
			father = a->sex == MANN ? 0 : -1;
		} else {
			init_person(g, a, KVINNE, birth_at_age(g, 20, 60), c);
			settle(g, a, &home, between(g, a->birth + 18 * 365, g->today - 1), history);
		}
		if ((size_t)kids > room - (size_t)h->n)
			kids = (int)(room - (size_t)h->n);
		add_children(g, h, mother, father, kids, &home);
		break;
	}
	case HH_DNR: {
		init_person(g, a, (enum sex)rbelow(&g->r, 2), birth_at_age(g, 20, 60), pick_country(g));
		a->dnr = true;
		a->immigrated = 0;
		a->naturalised = false;
		a->sivil = S_UOPPGITT;
		a->moved = between(g, a->birth + 18 * 365, g->today - 1);
		a->has_opphold = rchance(&g->r, 700);
		a->home = home;
		a->inaktiv = a->moved < g->today - 5 * 365;
		break;
	}
	case HH_EMIGRANT:
		init_person(g, a, (enum sex)rbelow(&g->r, 2), birth_at_age(g, 20, 75), NULL);
		settle(g, a, &home, between(g, a->birth + 18 * 365, g->today - 400), history);
		a->emigrated = true;
		a->emig = between(g, a->moved + 30, g->today - 1);
		a->to = &gen_abroad[rbelow(&g->r, (uint32_t)gen_n_abroad)];
		break;
	case HH_WIDOW: {
		int32_t ab = birth_at_age(g, 65, 95), bb = between(g, ab - 3 * 365, ab + 5 * 365), wed;

		if (bb > g->today - 60 * 365)
			bb = g->today - 60 * 365;
		init_person(g, a, MANN, ab, NULL);
		init_person(g, b, KVINNE, bb, NULL);
		wed = between(g, (a->birth > b->birth ? a->birth : b->birth) + 20 * 365,
		              (a->birth > b->birth ? a->birth : b->birth) + 40 * 365);
		settle(g, a, &home, wed, false);
		settle(g, b, &home, wed, false);
		marry(g, a, 0, b, 1, wed);
		if (rchance(&g->r, 500)) {   /* she died, he is the widower */
			struct gp tmp = *a;

			*a = *b;
			*b = tmp;
			a->spouse = 1;
			b->spouse = 0;
		}
		a->dead = true;
		a->death = between(g, g->today - 3 * 365, g->today - 20);
		a->doedsbo_contact = 1;
		b->sivil = S_ENKE;
		b->sivil_date = a->death;
		h->n = 2;
		break;
	}
	case HH_GUARDIAN: {
		/* a: the ward (an old parent), b: the adult child who is the guardian */
		init_person(g, a, (enum sex)rbelow(&g->r, 2), birth_at_age(g, 75, 98), NULL);
		settle(g, a, &home, between(g, a->birth + 30 * 365, g->today - 1), false);
		a->sivil = S_ENKE;
		a->sivil_date = between(g, a->birth + 60 * 365, g->today - 1);
		int32_t bb = between(g, a->birth + 20 * 365, a->birth + 40 * 365);

		if (bb > g->today - 18 * 365)
			bb = g->today - 18 * 365;
		init_person(g, b, (enum sex)rbelow(&g->r, 2), bb, NULL);
		b->etternavn = a->etternavn;
		random_addr(g, &home);
		settle(g, b, &home, between(g, b->birth + 18 * 365, g->today - 1), false);
		if (a->sex == KVINNE)
			b->mother = 0;
		else
			b->father = 0;
		a->verge = 1;
		a->stadfestet = rchance(&g->r, 300);
		a->verge_date = between(g, g->today - 6 * 365, g->today - 30);
		h->n = 2;
		break;
	}
	}
}

/* ---- rendering helpers ---- */

static void
put(struct gen *g, json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new_nocheck(obj, key, v) != 0) {
		g->oom = true;
		json_decref(v);
	}
}

static void
put_s(struct gen *g, json_t *obj, const char *key, const char *s)
{
	put(g, obj, key, json_string_nocheck(s));
}

static void
put_ss(struct gen *g, json_t *obj, const char *key, enum shared_str s)
{
	put(g, obj, key, json_incref(g->ss[s]));
}

static void
put_date(struct gen *g, json_t *obj, const char *key, int32_t day)
{
	char b[DATE_LEN + 1];

	fmt_date(b, day);
	put(g, obj, key, json_stringn_nocheck(b, DATE_LEN));
}

static void
put_ts(struct gen *g, json_t *obj, const char *key, int64_t utc, unsigned ms)
{
	char b[TS_LEN + 1];

	fmt_ts(&g->tz, b, utc, ms);
	put(g, obj, key, json_stringn_nocheck(b, TS_LEN));
}

static json_t *
obj(struct gen *g)
{
	json_t *o = json_object();

	if (o == NULL)
		g->oom = true;
	return o;
}

static void
append(struct gen *g, json_t *arr, json_t *v)
{
	if (v == NULL || json_array_append_new(arr, v) != 0)
		g->oom = true;
}

/* Local midnight of a day, as UTC seconds. */
static int64_t
midnight(const struct gen *g, int32_t day)
{
	int64_t t = (int64_t)day * DAY_S;

	return t - oslo_offset(&g->tz, t - 3600);
}

/* The gyldighetstidspunkt string of local midnight of a day, shared while cached. */
static json_t *
midnight_ts(struct gen *g, int32_t day)
{
	unsigned slot = (unsigned)day % TS_CACHE;
	char b[TS_LEN + 1];

	if (g->mcache[slot].v == NULL || g->mcache[slot].day != day) {
		json_decref(g->mcache[slot].v);
		fmt_ts(&g->tz, b, midnight(g, day), 0);
		g->mcache[slot].v = json_stringn_nocheck(b, TS_LEN);
		g->mcache[slot].day = day;
		if (g->mcache[slot].v == NULL)
			return NULL;
	}
	return json_incref(g->mcache[slot].v);
}

/* Register metadata: in force from local midnight of `from`, written to the register a
 * little later (never after now), ended at local midnight of `until` when until >= 0. */
static void
meta(struct gen *g, json_t *o, int32_t from, bool current, enum shared_str aarsak,
     int32_t until)
{
	int64_t valid = midnight(g, from);
	int64_t written = valid + 6 * 3600 + (int64_t)rbelow(&g->r, 3 * DAY_S);

	if (written > g->o.now - 60)
		written = g->o.now - 60 - (int64_t)rbelow(&g->r, 3600);
	if (written < valid)
		written = valid;
	put_ts(g, o, "ajourholdstidspunkt", written, rbelow(&g->r, 1000));
	put(g, o, "erGjeldende", json_boolean(current));
	put_ss(g, o, "kilde", SS_KILDE);
	put_ss(g, o, "aarsak", aarsak);
	put(g, o, "gyldighetstidspunkt", midnight_ts(g, from));
	if (until >= 0)
		put(g, o, "opphoerstidspunkt", midnight_ts(g, until));
}

static json_t *
arr_at(struct gen *g, json_t *doc, const char *key)
{
	json_t *a = json_object_get(doc, key);

	if (a == NULL) {
		a = json_array();
		put(g, doc, key, a);
	}
	return a;
}

/* Appends a new element to doc[key] and returns it. */
static json_t *
element(struct gen *g, json_t *doc, const char *key)
{
	json_t *a = arr_at(g, doc, key), *o = obj(g);

	append(g, a, o);
	return o;
}

static const struct freg_gen_kommune *
kommune_of(struct gen *g, const struct addr *a)
{
	return &freg_gen_kommuner[g->ps[a->ps].k];
}

static const struct freg_gen_poststed *
poststed_of(struct gen *g, const struct addr *a)
{
	return &kommune_of(g, a)->poststeder[g->ps[a->ps].ps];
}

static json_t *
poststed_json(struct gen *g, const struct freg_gen_poststed *ps)
{
	json_t *o = obj(g);

	put_s(g, o, "poststedsnavn", ps->poststedsnavn);
	put_s(g, o, "postnummer", ps->postnummer);
	return o;
}

static char *
fmt_uint(char *p, unsigned v)
{
	char tmp[12];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(tmp));
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Puts vegadresse or matrikkeladresse of a into o. */
static void
put_address(struct gen *g, json_t *o, const struct addr *a)
{
	const struct freg_gen_kommune *k = kommune_of(g, a);
	json_t *v = obj(g);

	if (a->matrikkel) {
		json_t *mn = obj(g);

		put_s(g, mn, "kommunenummer", k->kommunenummer);
		put(g, mn, "gaardsnummer", json_integer(a->gnr));
		put(g, mn, "bruksnummer", json_integer(a->bnr));
		put(g, v, "matrikkelnummer", mn);
		put_ss(g, v, "bruksenhetstype", SS_BOLIG);
		put(g, v, "poststed", poststed_json(g, poststed_of(g, a)));
		put(g, o, "matrikkeladresse", v);
		return;
	}
	put_s(g, v, "kommunenummer", k->kommunenummer);
	if (a->unit) {
		char b[8] = "H";
		char *p = b + 1;

		p = put2(p, a->unit / 100);
		p = put2(p, a->unit % 100);
		*p = '\0';
		put(g, v, "bruksenhetsnummer", json_stringn_nocheck(b, 5));
	}
	put_ss(g, v, "bruksenhetstype", SS_BOLIG);
	put_s(g, v, "adressenavn", gen_street.v[a->street]);
	{
		json_t *an = obj(g);
		char b[8];

		*fmt_uint(b, a->husnr) = '\0';
		put_s(g, an, "husnummer", b);
		if (a->husbokstav) {
			b[0] = a->husbokstav;
			put(g, an, "husbokstav", json_stringn_nocheck(b, 1));
		}
		put(g, v, "adressenummer", an);
	}
	put(g, v, "poststed", poststed_json(g, poststed_of(g, a)));
	put(g, o, "vegadresse", v);
}

/* "Storgata 12B" into g->buf. */
static const char *
address_line(struct gen *g, const struct addr *a)
{
	const char *s = gen_street.v[a->street];
	size_t n = strlen(s);
	char *p;

	if (a->matrikkel)
		s = "Gårdsveien", n = strlen(s);
	if (n > sizeof(g->buf) - 16)
		n = sizeof(g->buf) - 16;
	memcpy(g->buf, s, n);
	p = g->buf + n;
	*p++ = ' ';
	p = fmt_uint(p, a->matrikkel ? a->gnr : a->husnr);
	if (a->husbokstav)
		*p++ = a->husbokstav;
	*p = '\0';
	return g->buf;
}

static enum shared_str
gradering(enum protect pr)
{
	return pr == P_STRENGT ? SS_STRENGT : pr == P_FORTROLIG ? SS_FORTROLIG : SS_UGRADERT;
}

/* Appends s to g->buf at *off, uppercased (ASCII and Latin-1 letters in UTF-8). */
static void
upper_append(struct gen *g, size_t *off, const char *s)
{
	for (; *s && *off < sizeof(g->buf) - 1; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 32);
		else if (*off > 0 && (unsigned char)g->buf[*off - 1] == 0xC3 && c >= 0xA0 &&
		         c <= 0xBE && c != 0xB7)
			c = (unsigned char)(c - 0x20);
		g->buf[(*off)++] = (char)c;
	}
	g->buf[*off] = '\0';
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void
render_name(struct gen *g, json_t *doc, const struct gp *p, const char *etternavn,
            const char *mellomnavn, int32_t from, bool current)
{
	json_t *n = element(g, doc, "navn");
	size_t off = 0;

	put_s(g, n, "fornavn", p->fornavn);
	if (mellomnavn)
		put_s(g, n, "mellomnavn", mellomnavn);
	put_s(g, n, "etternavn", etternavn);
	/* forkortetNavn: ETTERNAVN FORNAVN MELLOMNAVN, omitted past 40 characters */
	upper_append(g, &off, etternavn);
	upper_append(g, &off, " ");
	upper_append(g, &off, p->fornavn);
	if (mellomnavn) {
		upper_append(g, &off, " ");
		upper_append(g, &off, mellomnavn);
	}
	if (utf8_chars(g->buf) <= 40)
		put(g, n, "forkortetNavn", json_stringn_nocheck(g->buf, off));
	meta(g, n, from, current, SS_GRUNN, -1);
}

static void
render_sivil(struct gen *g, json_t *doc, const char *type, int32_t date, const char *rel,
             bool current, int32_t from)
{
	json_t *s = element(g, doc, "sivilstand");

	put_s(g, s, "sivilstand", type);
	if (date)
		put_date(g, s, "sivilstandsdato", date);
	if (rel)
		put_s(g, s, "relatertVedSivilstand", rel);
	meta(g, s, date ? date : from, current, SS_GRUNN, -1);
}

static void
render_famrel(struct gen *g, json_t *doc, const char *pid, const char *their, const char *mine,
              int32_t from)
{
	json_t *f = element(g, doc, "familierelasjon");

	put_s(g, f, "relatertPerson", pid);
	put_s(g, f, "relatertPersonsRolle", their);
	put_s(g, f, "minRolleForPerson", mine);
	meta(g, f, from, true, SS_GRUNN, -1);
}

static void
render_ansvar(struct gen *g, json_t *doc, const char *ansvar, const char *key, const char *pid,
              int32_t from)
{
	json_t *f = element(g, doc, "foreldreansvar");

	put_s(g, f, "ansvar", ansvar);
	put_s(g, f, key, pid);
	meta(g, f, from, true, SS_GRUNN, -1);
}

static bool
is_minor(const struct gen *g, const struct gp *p)
{
	int y, m, d, ny, nm, nd;

	civil_from_days(p->birth, &y, &m, &d);
	civil_from_days(g->today, &ny, &nm, &nd);
	return ny - y < 18 || (ny - y == 18 && (nm < m || (nm == m && nd < d)));
}

static void
render_ident(struct gen *g, json_t *doc, const struct gp *p)
{
	json_t *e = element(g, doc, "identifikasjonsnummer");

	put_s(g, e, "foedselsEllerDNummer", p->pid);
	put_s(g, e, "identifikatortype", p->dnr ? "dNummer" : "foedselsnummer");
	put_ss(g, e, "status", SS_IBRUK);
	meta(g, e, p->dnr ? p->moved : p->immigrated ? p->immigrated : p->birth, true, SS_GRUNN,
	     -1);
	if (p->old_dnr[0]) {
		e = element(g, doc, "identifikasjonsnummer");
		put_s(g, e, "foedselsEllerDNummer", p->old_dnr);
		put_s(g, e, "identifikatortype", "dNummer");
		put_s(g, e, "status", "opphoert");
		meta(g, e, p->immigrated - 400, false, SS_GRUNN, p->immigrated);
	}
}

static void
render_status(struct gen *g, json_t *doc, const struct gp *p)
{
	json_t *s = element(g, doc, "status");
	int32_t start = p->immigrated ? p->immigrated : p->birth;

	if (p->dnr) {
		put_s(g, s, "status", p->inaktiv ? "inaktiv" : "midlertidig");
		meta(g, s, p->inaktiv ? p->moved + 5 * 365 : p->moved, true, SS_GRUNN, -1);
		if (p->inaktiv) {
			s = element(g, doc, "status");
			put_s(g, s, "status", "midlertidig");
			meta(g, s, p->moved, false, SS_GRUNN, -1);
		}
		return;
	}
	if (p->dead || p->emigrated) {
		put_s(g, s, "status", p->dead ? "doed" : "utflyttet");
		meta(g, s, p->dead ? p->death : p->emig, true, p->dead ? SS_DOEDSFALL : SS_UTFLYTTING,
		     -1);
		s = element(g, doc, "status");
	}
	put_s(g, s, "status", "bosatt");
	meta(g, s, start, !(p->dead || p->emigrated), SS_GRUNN, -1);
}

static void
render_bosted(struct gen *g, json_t *doc, const struct gp *p, enum protect pr)
{
	json_t *b;

	if (p->dnr)
		return;
	if (pr == P_STRENGT) {
		/* No residential address data is kept for strengt fortrolig persons (4.4). */
		b = element(g, doc, "bostedsadresse");
		put_ss(g, b, "adressegradering", SS_STRENGT);
		put(g, b, "ukjentBosted", obj(g));
		meta(g, b, p->moved, !p->emigrated, SS_GRUNN, p->emigrated ? p->emig : -1);
		return;
	}
	b = element(g, doc, "bostedsadresse");
	put_ss(g, b, "adressegradering", gradering(pr));
	put_address(g, b, &p->home);
	put_date(g, b, "flyttedato", p->moved);
	meta(g, b, p->moved, !p->emigrated, SS_GRUNN, p->emigrated ? p->emig : -1);
	if (p->has_prev) {
		b = element(g, doc, "bostedsadresse");
		put_ss(g, b, "adressegradering", gradering(pr));
		put_address(g, b, &p->prev);
		put_date(g, b, "flyttedato", p->prev_moved);
		meta(g, b, p->prev_moved, false, SS_GRUNN, -1);
	}
}

static void
render_doedsbo(struct gen *g, json_t *doc, const struct gp *p, const struct hh *h)
{
	json_t *k = element(g, doc, "kontaktinformasjonForDoedsbo"), *a = obj(g), *lines;
	const struct addr *home = &p->home;
	int32_t attest = p->death + rrange(&g->r, 7, 19);

	put_s(g, k, "skifteform", p->doedsbo_contact >= 0 ? "annet" : "offentlig");
	put_date(g, k, "attestutstedelsesdato", attest);
	if (p->doedsbo_contact >= 0) {
		json_t *c = obj(g);

		put_s(g, c, "foedselsEllerDNummer", h->p[p->doedsbo_contact].pid);
		put(g, k, "person", c);
	} else {
		json_t *c = obj(g), *pn = obj(g);
		char orgno[10];
		size_t f = rbelow(&g->r, (uint32_t)gen_n_firms);

		put_s(g, pn, "fornavn", rpick(&g->r, rchance(&g->r, 500) ? &gen_female : &gen_male));
		put_s(g, pn, "etternavn", rpick(&g->r, &gen_surname));
		put(g, c, "personnavn", pn);
		put_s(g, c, "organisasjonsnavn", gen_firms[f]);
		/* Synthetic 9xx xxx xxx organisation numbers with a valid check digit. */
		for (unsigned long base = 91000000UL + (unsigned long)f * 1000003UL % 8000000UL;
		     !porten_orgno_make(orgno, sizeof(orgno), base); base++)
			;
		put_s(g, c, "organisasjonsnummer", orgno);
		put(g, k, "advokat", c);
		home = NULL;
	}
	lines = json_array();
	put(g, a, "adresselinje", lines);
	if (home) {
		append(g, lines, json_string_nocheck(address_line(g, home)));
		put_s(g, a, "poststedsnavn", poststed_of(g, home)->poststedsnavn);
		put_s(g, a, "postnummer", poststed_of(g, home)->postnummer);
	} else {
		struct addr office;

		pick_addr(g, &office, false, false);
		office.unit = 0;
		append(g, lines, json_string_nocheck(address_line(g, &office)));
		put_s(g, a, "poststedsnavn", poststed_of(g, &office)->poststedsnavn);
		put_s(g, a, "postnummer", poststed_of(g, &office)->postnummer);
	}
	put(g, k, "adresse", a);
	meta(g, k, attest, true, SS_DOEDSFALL, -1);
}

static void
render_verge(struct gen *g, json_t *doc, const struct gp *p, const struct hh *h)
{
	const struct gp *v = &h->p[p->verge];
	json_t *e = element(g, doc, "vergemaalEllerFremtidsfullmakt"), *vj = obj(g), *tj, *nf, *pn;
	const char *embete = gen_embeter[rbelow(&g->r, (uint32_t)gen_n_embeter)];
	unsigned first = rbelow(&g->r, (uint32_t)gen_n_tjenester), cnt = 1 + rbelow(&g->r, 3);
	int32_t new_format;
	bool old;

	put_s(g, e, "vergemaaltype", p->stadfestet ? "stadfestetFremtidsfullmakt" : "voksen");
	put_s(g, e, "embete", embete);
	put_s(g, vj, "foedselsEllerDNummer", v->pid);
	/* Since 2023-11-01: navnFoedselsdato and tjenesteomraade instead of navn and omfang
	 * (not yet in the OpenAPI 1.5 schema, which does not forbid extra members). */
	nf = obj(g);
	pn = obj(g);
	put_s(g, pn, "fornavn", v->fornavn);
	if (v->mellomnavn)
		put_s(g, pn, "mellomnavn", v->mellomnavn);
	put_s(g, pn, "etternavn", v->etternavn);
	put(g, nf, "personnavn", pn);
	put_date(g, nf, "foedselsdato", v->birth);
	put(g, vj, "navnFoedselsdato", nf);
	tj = json_array();
	put(g, vj, "tjenesteomraade", tj);
	for (unsigned i = 0; i < cnt; i++) {
		const struct gen_tjeneste *t = &gen_tjenester[(first + i) % gen_n_tjenester];
		json_t *o = obj(g);

		put_s(g, o, "vergeTjenestevirksomhet", t->virksomhet);
		put_s(g, o, "vergeTjenesteoppgave", t->oppgave);
		append(g, tj, o);
	}
	put(g, e, "verge", vj);
	/* A guardianship older than the 2023 format keeps its old-format row as history;
	 * the current row is in force from the change of format. */
	new_format = days_from_civil(2023, 11, 1);
	old = p->verge_date < new_format && !p->stadfestet && g->today > new_format;
	meta(g, e, old ? new_format : p->verge_date, true, SS_VERGEMAAL, -1);
	if (old) {
		e = element(g, doc, "vergemaalEllerFremtidsfullmakt");
		vj = obj(g);
		pn = obj(g);
		put_s(g, e, "vergemaaltype", "voksen");
		put_s(g, e, "embete", embete);
		put_s(g, vj, "foedselsEllerDNummer", v->pid);
		put_s(g, pn, "fornavn", v->fornavn);
		put_s(g, pn, "etternavn", v->etternavn);
		put(g, vj, "navn", pn);
		put_s(g, vj, "omfang", "personligeOgOekonomiskeInteresser");
		put(g, vj, "omfangetErInnenPersonligOmraade", json_true());
		put(g, e, "verge", vj);
		meta(g, e, p->verge_date, false, SS_VERGEMAAL, -1);
	}
}

static void
render_foreign_id(struct gen *g, json_t *doc, const struct gp *p)
{
	json_t *e = element(g, doc, "utenlandskPersonidentifikasjon");
	char b[16];
	uint64_t x = rnext(&g->r);

	for (int i = 0; i < 11; i++, x /= 10)
		b[i] = (char)('0' + x % 10);
	b[11] = '\0';
	put_s(g, e, "identifikasjonsnummer", b);
	put_s(g, e, "identifikasjonsnummertype", p->country->idtype);
	put_s(g, e, "utstederland", p->country->alpha3);
	meta(g, e, p->dnr ? p->moved : p->immigrated, true, SS_GRUNN, -1);
}

static void
render_person(struct gen *g, json_t *doc, const struct hh *h, int i)
{
	const struct gp *p = &h->p[i];
	enum protect pr = h->protect;
	json_t *e;

	render_ident(g, doc, p);
	render_status(g, doc, p);

	/* navn: current, and the earlier one */
	render_name(g, doc, p, p->etternavn, p->mellomnavn, p->maiden ? p->name_date : p->birth,
	            true);
	if (p->maiden)
		render_name(g, doc, p, p->maiden, NULL, p->birth, false);

	e = element(g, doc, "kjoenn");
	put_s(g, e, "kjoenn", p->sex == KVINNE ? "kvinne" : "mann");
	meta(g, e, p->birth, true, SS_GRUNN, -1);

	e = element(g, doc, "foedsel");
	{
		int y, m, d;
		char yb[5];

		civil_from_days(p->birth, &y, &m, &d);
		put_date(g, e, "foedselsdato", p->birth);
		put2(put2(yb, y / 100), y % 100)[0] = '\0';
		put(g, e, "foedselsaar", json_stringn_nocheck(yb, 4));
		if (p->country && (p->immigrated || p->dnr)) {
			put_s(g, e, "foedested", p->country->city);
			put_s(g, e, "foedeland", p->country->alpha3);
		} else {
			/* drawn apart from the address, which it must not reveal */
			put_s(g, e, "foedekommuneINorge", freg_gen_kommuner[g->ps[rbelow(&g->r,
			      (uint32_t)g->n_ps)].k].kommunenummer);
			put_ss(g, e, "foedeland", SS_NOR);
		}
		meta(g, e, p->birth, true, SS_GRUNN, -1);
	}

	if (p->dead) {
		e = obj(g);
		put_date(g, e, "doedsdato", p->death);
		meta(g, e, p->death, true, SS_DOEDSFALL, -1);
		put(g, doc, "doedsfall", e);
	}

	/* sivilstand, current first */
	switch (p->sivil) {
	case S_UOPPGITT:
		render_sivil(g, doc, "uoppgitt", 0, NULL, true, p->birth);
		break;
	case S_UGIFT:
		render_sivil(g, doc, "ugift", 0, NULL, true, p->birth);
		break;
	case S_GIFT:
		render_sivil(g, doc, "gift", p->sivil_date, h->p[p->spouse].pid, true, p->birth);
		render_sivil(g, doc, "ugift", 0, NULL, false, p->birth);
		break;
	case S_ENKE:
		render_sivil(g, doc, "enkeEllerEnkemann", p->sivil_date,
		             p->spouse >= 0 ? h->p[p->spouse].pid : NULL, true, p->birth);
		if (p->spouse >= 0)
			render_sivil(g, doc, "gift", h->p[p->spouse].sivil_date, h->p[p->spouse].pid,
			             false, p->birth);
		render_sivil(g, doc, "ugift", 0, NULL, false, p->birth);
		break;
	case S_SKILT:
		render_sivil(g, doc, "skilt", p->sivil_date, NULL, true, p->birth);
		render_sivil(g, doc, "ugift", 0, NULL, false, p->birth);
		break;
	}

	/* statsborgerskap */
	e = element(g, doc, "statsborgerskap");
	if (p->country) {
		put_s(g, e, "statsborgerskap", p->country->alpha3);
		meta(g, e, p->birth, true, SS_GRUNN, -1);
		if (p->naturalised) {
			int32_t when = p->immigrated + 8 * 365;

			e = element(g, doc, "statsborgerskap");
			put_ss(g, e, "statsborgerskap", SS_NOR);
			put_date(g, e, "ervervsdato", when);
			meta(g, e, when, true, SS_GRUNN, -1);
		}
	} else {
		put_ss(g, e, "statsborgerskap", SS_NOR);
		meta(g, e, p->birth, true, SS_GRUNN, -1);
	}

	render_bosted(g, doc, p, pr);

	if (pr != P_NONE) {
		e = element(g, doc, "adressebeskyttelse");
		put_ss(g, e, "graderingsnivaa", gradering(pr));
		meta(g, e, p->moved, true, SS_GRUNN, -1);
	}
	if (pr == P_STRENGT) {
		/* The open postadresse that forwards the post (4.4). */
		json_t *pb = obj(g);

		e = element(g, doc, "postadresse");
		put_ss(g, e, "adressegradering", SS_UGRADERT);
		put_s(g, pb, "postbokseier", "SKATTEETATEN");
		put_s(g, pb, "postboks", "Postboks 9200 Grønland");
		put(g, pb, "poststed", poststed_json(g, &(struct freg_gen_poststed){ "0134", "OSLO" }));
		put(g, e, "postboksadresse", pb);
		meta(g, e, p->moved, true, SS_GRUNN, -1);
	}

	if (p->dnr) {
		json_t *l;

		if (p->has_opphold) {
			e = element(g, doc, "oppholdsadresse");
			put_ss(g, e, "adressegradering", gradering(pr));
			put_address(g, e, &p->home);
			put_date(g, e, "oppholdsadressedato", p->moved);
			meta(g, e, p->moved, true, SS_GRUNN, -1);
		}
		e = element(g, doc, "identitetsgrunnlag");
		put_s(g, e, "identitetsgrunnlagstatus", p->inaktiv ? "ikkeKontrollert" : "kontrollert");
		meta(g, e, p->moved, true, SS_GRUNN, -1);
		e = element(g, doc, "legitimasjonsdokument");
		put_s(g, e, "identifikasjonsdokumenttype", "pass");
		put_s(g, e, "utstederland", p->country->alpha3);
		{
			char b[12];
			uint64_t x = rnext(&g->r);

			b[0] = (char)('A' + x % 26);
			b[1] = (char)('A' + x / 26 % 26);
			x /= 676;
			for (int k = 2; k < 9; k++, x /= 10)
				b[k] = (char)('0' + x % 10);
			b[9] = '\0';
			put_s(g, e, "identifikasjonsdokumentnummer", b);
		}
		put_date(g, e, "gyldigFra", p->moved - 400);
		put_date(g, e, "gyldigTil", p->moved - 400 + 3652);
		l = obj(g);
		put_s(g, l, "dokumentkontrollstatus", "kontrollert");
		put_ts(g, l, "dokumentkontrolltidspunkt", midnight(g, p->moved) + 36000, 0);
		put(g, e, "dokumentkontroll", l);
		meta(g, e, p->moved, true, SS_GRUNN, -1);
		render_foreign_id(g, doc, p);
	} else if (p->country && p->immigrated) {
		e = element(g, doc, "innflytting");
		put_s(g, e, "fraflyttingsland", p->country->alpha3);
		put_s(g, e, "fraflyttingsstedIUtlandet", p->country->city);
		meta(g, e, p->immigrated, true, SS_GRUNN, -1);
		if (strcmp(p->country->alpha3, "SWE") != 0 && !p->naturalised) {
			e = element(g, doc, "opphold");
			put_s(g, e, "oppholdstillatelse", "permanent");
			put_date(g, e, "oppholdFra", p->immigrated);
			meta(g, e, p->immigrated, true, SS_GRUNN, -1);
		}
		if (p->old_dnr[0] || i == 0)
			render_foreign_id(g, doc, p);
	}

	if (p->emigrated) {
		json_t *ua = obj(g);

		e = element(g, doc, "utflytting");
		put_s(g, e, "tilflyttingsland", p->to->alpha3);
		put_s(g, e, "tilflyttingsstedIUtlandet", p->to->city);
		put_date(g, e, "utflyttingsdato", p->emig);
		meta(g, e, p->emig, true, SS_UTFLYTTING, -1);
		e = element(g, doc, "postadresseIUtlandet");
		put_ss(g, e, "adressegradering", gradering(pr));
		{
			size_t n = strlen(p->to->street);

			if (n > sizeof(g->buf) - 16)
				n = sizeof(g->buf) - 16;
			memcpy(g->buf, p->to->street, n);
			g->buf[n] = ' ';
			*fmt_uint(g->buf + n + 1, (unsigned)rrange(&g->r, 1, 120)) = '\0';
		}
		put_s(g, ua, "adressenavn", g->buf);
		put_s(g, ua, "postkode", p->to->postcode);
		put_s(g, ua, "byEllerStedsnavn", p->to->city);
		put_s(g, ua, "landkode", p->to->alpha2);
		put(g, e, "utenlandskAdresse", ua);
		meta(g, e, p->emig, true, SS_UTFLYTTING, -1);
	}

	/* familierelasjon and foreldreansvar, both directions within the household */
	if (p->mother >= 0)
		render_famrel(g, doc, h->p[p->mother].pid, "mor", "barn", p->birth);
	if (p->father >= 0)
		render_famrel(g, doc, h->p[p->father].pid, "far", "barn", p->birth);
	for (int c = 0; c < h->n; c++) {
		const struct gp *ch = &h->p[c];

		if (ch->mother == i || ch->father == i)
			render_famrel(g, doc, ch->pid, "barn", p->sex == KVINNE ? "mor" : "far",
			              ch->birth);
	}
	if (is_minor(g, p) && (p->mother >= 0 || p->father >= 0)) {
		bool both = p->mother >= 0 && p->father >= 0;

		if (p->mother >= 0)
			render_ansvar(g, doc, both ? "felles" : "mor", "ansvarlig", h->p[p->mother].pid,
			              p->birth);
		if (p->father >= 0)
			render_ansvar(g, doc, both ? "felles" : "far", "ansvarlig", h->p[p->father].pid,
			              p->birth);
	}
	for (int c = 0; c < h->n; c++) {
		const struct gp *ch = &h->p[c];

		if ((ch->mother == i || ch->father == i) && is_minor(g, ch))
			render_ansvar(g, doc, ch->mother >= 0 && ch->father >= 0 ? "felles"
			              : p->sex == KVINNE ? "mor" : "far", "ansvarssubjekt", ch->pid,
			              ch->birth);
	}

	if (p->verge >= 0)
		render_verge(g, doc, p, h);
	if (p->dead)
		render_doedsbo(g, doc, p, h);
}

/* ---- driver ---- */

static enum hh_type
random_type(struct gen *g)
{
	unsigned x = rbelow(&g->r, 1000);

	if (x < 330) return HH_SINGLE;
	if (x < 700) return HH_COUPLE;
	if (x < 790) return HH_SINGLE_PARENT;
	if (x < 880) return HH_DNR;
	if (x < 925) return HH_EMIGRANT;
	if (x < 960) return HH_WIDOW;
	if (x < 980) return HH_GUARDIAN;
	return HH_DEAD_SINGLE;
}

/* The first households: every kind of freg_gen_kind at least once (with room >= 15). */
static const struct {
	enum hh_type t;
	enum protect pr;
	bool husbokstav, matr, history;
} schedule[] = {
	{ HH_COUPLE, P_STRENGT, false, false, false },
	{ HH_SINGLE, P_FORTROLIG, true, false, false },
	{ HH_DNR, P_NONE, false, false, false },
	{ HH_WIDOW, P_NONE, false, false, false },
	{ HH_GUARDIAN, P_NONE, false, false, false },
	{ HH_EMIGRANT, P_NONE, false, false, false },
	{ HH_SINGLE, P_NONE, false, true, true },
	{ HH_COUPLE, P_NONE, true, false, true },
	{ HH_DEAD_SINGLE, P_NONE, false, false, false },
};

void
freg_gen_opts_init(struct freg_gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->persons = 1000;
	o->now = 1735689600;   /* 2025-01-01T00:00:00Z */
	o->synthetic_ids = true;
}

static int
gen_setup(struct gen *g, const struct freg_gen_opts *o)
{
	uint64_t x = o->seed;
	size_t n = 0;

	g->o = *o;
	for (int i = 0; i < 4; i++)
		g->r.s[i] = splitmix64(&x);
	g->today = (int32_t)(o->now / DAY_S) - 1;   /* the last full day before now */
	g->min_day = days_from_civil(1900, 1, 1);
	tz_init(&g->tz);
	g->n_alloc = ((size_t)(g->today - g->min_day) + 1) * 4;
	g->alloc = calloc(g->n_alloc, sizeof(*g->alloc));
	for (size_t k = 0; k < freg_gen_n_kommuner; k++)
		n += freg_gen_kommuner[k].n_poststeder;
	g->ps = calloc(n, sizeof(*g->ps));
	if (g->alloc == NULL || g->ps == NULL)
		return PORTEN_ERR_NOMEM;
	for (size_t k = 0; k < freg_gen_n_kommuner; k++)
		for (size_t j = 0; j < freg_gen_kommuner[k].n_poststeder; j++)
			g->ps[g->n_ps++] = (struct psref){ (uint16_t)k, (uint16_t)j };
	for (int i = 0; i < SS_COUNT; i++)
		if ((g->ss[i] = json_string_nocheck(shared_text[i])) == NULL)
			return PORTEN_ERR_NOMEM;
	return 0;
}

static void
gen_release(struct gen *g)
{
	free(g->alloc);
	free(g->ps);
	for (int i = 0; i < SS_COUNT; i++)
		json_decref(g->ss[i]);
	for (int i = 0; i < TS_CACHE; i++)
		json_decref(g->mcache[i].v);
}

int
freg_gen_population(const struct freg_gen_opts *o, freg_gen_sink sink, void *ctx)
{
	int r = PORTEN_ERR_INTERNAL;
	struct gen *g = NULL;
	struct hh *h = NULL;
	size_t done = 0, hno = 0;

	if (o == NULL || sink == NULL || o->persons > PORTEN_GEN_PERSONS_MAX ||
	    o->now < 631152000 /* 1990 */ || o->now >= 2208988800 /* 2040 */)
		return PORTEN_ERR_INVALID;
	g = calloc(1, sizeof(*g));
	h = calloc(1, sizeof(*h));
	if (g == NULL || h == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	if ((r = gen_setup(g, o)) != 0)
		goto out;

	while (done < o->persons) {
		size_t room = o->persons - done;
		enum hh_type t;
		bool hb = false, matr = false, hist = false;

		if (room > PORTEN_GEN_HOUSEHOLD_MAX)
			room = PORTEN_GEN_HOUSEHOLD_MAX;
		if (hno < sizeof(schedule) / sizeof(schedule[0])) {
			t = schedule[hno].t;
			h->protect = schedule[hno].pr;
			hb = schedule[hno].husbokstav;
			matr = schedule[hno].matr;
			hist = schedule[hno].history;
		} else {
			unsigned x = rbelow(&g->r, 1000);

			t = random_type(g);
			h->protect = x < 2 ? P_STRENGT : x < 10 ? P_FORTROLIG : P_NONE;
		}
		if (t == HH_DNR || t == HH_EMIGRANT)
			h->protect = h->protect == P_STRENGT ? P_NONE : h->protect;
		hno++;
		plan(g, h, t, room, hb, matr, hist);
		for (int i = 0; i < h->n; i++) {
			struct gp *p = &h->p[i];

			if (!alloc_pid(g, p, p->dnr, p->pid)) {
				r = PORTEN_ERR_TOO_LARGE;   /* a birth date ran out of numbers */
				goto out;
			}
			/* Some immigrants first had a d-number. */
			if (p->country && p->immigrated && i == 0 && rchance(&g->r, 300)) {
				struct gp tmp = *p;

				if (!alloc_pid(g, &tmp, true, p->old_dnr))
					p->old_dnr[0] = '\0';
			}
		}
		for (int i = 0; i < h->n; i++) {
			json_t *doc = json_object();

			if (doc == NULL) {
				r = PORTEN_ERR_NOMEM;
				goto out;
			}
			g->oom = false;
			render_person(g, doc, h, i);
			if (g->oom) {
				json_decref(doc);
				r = PORTEN_ERR_NOMEM;
				goto out;
			}
			r = sink(ctx, h->p[i].pid, doc);
			json_decref(doc);
			if (r != 0)
				goto out;
			done++;
		}
	}
	r = 0;
out:
	if (g)
		gen_release(g);
	free(g);
	free(h);
	return r;
}

/* ---- Shared timestamp formatting ---- */

static struct tz shared_tz;
static pthread_once_t shared_tz_once = PTHREAD_ONCE_INIT;

static void
shared_tz_init(void)
{
	tz_init(&shared_tz);
}

void
freg_ts_format(int64_t utc, unsigned ms, char out[static FREG_TS_LEN + 1])
{
	pthread_once(&shared_tz_once, shared_tz_init);
	fmt_ts(&shared_tz, out, utc, ms % 1000);
}
