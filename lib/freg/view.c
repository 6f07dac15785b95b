/* What a rights package sees of a person (include/porten/freg_view.h): parsing of the
 * `part` parameter and the derivation of one package's document from the stored whole
 * person document. docs/freg-visibility.md states the same rules as tables.
 *
 * Entity table (spec/folkeregisteret.md 4.1-4.3):
 *
 *   entity                         who sees it at all        history for   person-basis
 *   -----------------------------  ------------------------  ------------  ------------
 *   identifikasjonsnummer          all but PRIV-UF, PRESSE-UF all           yes (1)
 *   addresses (5), navn            all                       all           yes (2)
 *   sivilstand                     all                       OMH, FIN      yes
 *   familierelasjon, foreldreansvar OMH, FIN                 OMH
 *   falskIdentitet                 OMH, FIN, OUH             (object)
 *   legitimasjonsdokument,         OMH, EID                  OMH           EID only
 *   utenlandskPersonidentifikasjon
 *   DUF, opphold, bibehold,        OMH                       OMH
 *   brukAvSamiskSpraak
 *   every other (open) entity      all                       OMH           as spec 4.1
 *
 *   (1) PRIV and PRESSE only when named explicitly; never PRIV-UF and PRESSE-UF.
 *   (2) person-basis holds every address but foedselINorge is not in it.
 *
 * The stored document is never modified: documents share immutable leaves (generator,
 * event engine), so whatever goes out unchanged is shared with json_incref (jansson
 * counts references atomically, so concurrent views of one document are safe) and
 * whatever loses members is a copy. */
#include <stdio.h>
#include <string.h>

#include "porten/error.h"
#include "porten/freg_view.h"
#include "porten/limits.h"

#define PKG(p) (1u << (p))
#define ALL_PKGS (PKG(FREG_PKG_COUNT) - 1)
#define UF (PKG(FREG_PRIV_UF) | PKG(FREG_PRESSE_UF))
#define NO_ID_BY_DEFAULT (PKG(FREG_PRIV) | PKG(FREG_PRESSE) | UF)
/* Packages with hjemmel for fortrolig and klientadresse contents (spec 4.4; our reading:
 * the packages that have a legal basis for more than open data). */
#define HJEMMEL (PKG(FREG_OMH) | PKG(FREG_FIN) | PKG(FREG_EID))
/* Packages that see who a person's family is (spec 4.2: parents, spouse, children). */
#define FAMILY (PKG(FREG_OMH) | PKG(FREG_FIN))

#define ENT(e) ((uint64_t)1 << (e))

enum ent_flags {
	F_OBJECT  = 1 << 0,   /* a single object, not an array */
	F_ADDRESS = 1 << 1,   /* carries adressegradering: the protected-address rules */
	F_BASIS   = 1 << 2,   /* in person-basis for every package */
};

struct ent {
	const char *name;
	unsigned flags;
	unsigned sees;        /* packages that may see it at all */
	unsigned history;     /* packages that get its history with part=historikk */
};

#define OPEN ALL_PKGS
#define OMH PKG(FREG_OMH)
#define ADDR (F_ADDRESS | F_BASIS)

static const struct ent ents[FREG_ENT_COUNT] = {
	[FREG_ENT_IDENTIFIKASJONSNUMMER] = { "identifikasjonsnummer", F_BASIS, OPEN & ~UF, OPEN },
	[FREG_ENT_STATUS] = { "status", F_BASIS, OPEN, OMH },
	[FREG_ENT_NAVN] = { "navn", F_BASIS, OPEN, OPEN },
	[FREG_ENT_KJOENN] = { "kjoenn", F_BASIS, OPEN, OMH },
	[FREG_ENT_FOEDSEL] = { "foedsel", F_BASIS, OPEN, OMH },
	[FREG_ENT_FOEDSEL_I_NORGE] = { "foedselINorge", 0, OPEN, OMH },
	[FREG_ENT_DOEDSFALL] = { "doedsfall", F_OBJECT | F_BASIS, OPEN, OMH },
	[FREG_ENT_IDENTITETSGRUNNLAG] = { "identitetsgrunnlag", F_BASIS, OPEN, OMH },
	[FREG_ENT_SIVILSTAND] = { "sivilstand", F_BASIS, OPEN, OMH | PKG(FREG_FIN) },
	[FREG_ENT_STATSBORGERSKAP] = { "statsborgerskap", F_BASIS, OPEN, OMH },
	[FREG_ENT_BOSTEDSADRESSE] = { "bostedsadresse", ADDR, OPEN, OPEN },
	[FREG_ENT_OPPHOLDSADRESSE] = { "oppholdsadresse", ADDR, OPEN, OPEN },
	[FREG_ENT_DELT_BOSTED] = { "deltBosted", ADDR, OPEN, OPEN },
	[FREG_ENT_POSTADRESSE] = { "postadresse", ADDR, OPEN, OPEN },
	[FREG_ENT_POSTADRESSE_I_UTLANDET] = { "postadresseIUtlandet", ADDR, OPEN, OPEN },
	[FREG_ENT_ADRESSEBESKYTTELSE] = { "adressebeskyttelse", F_BASIS, OPEN, OMH },
	[FREG_ENT_KONTAKTINFORMASJON_FOR_DOEDSBO] = { "kontaktinformasjonForDoedsbo", F_BASIS,
	                                              OPEN, OMH },
	[FREG_ENT_FAMILIERELASJON] = { "familierelasjon", 0, FAMILY, OMH },
	[FREG_ENT_FORELDREANSVAR] = { "foreldreansvar", 0, FAMILY, OMH },
	[FREG_ENT_VERGEMAAL] = { "vergemaalEllerFremtidsfullmakt", 0, OPEN, OMH },
	[FREG_ENT_RETTSLIG_HANDLEEVNE] = { "rettsligHandleevne", 0, OPEN, OMH },
	[FREG_ENT_FRATATT_RETTSLIG_HANDLEEVNE] = { "fratattRettsligHandleevne", 0, OPEN, OMH },
	[FREG_ENT_FALSK_IDENTITET] = { "falskIdentitet", F_OBJECT,
	                               OMH | PKG(FREG_FIN) | PKG(FREG_OUH), OMH },
	[FREG_ENT_LEGITIMASJONSDOKUMENT] = { "legitimasjonsdokument", 0,
	                                     OMH | PKG(FREG_EID), OMH },
	[FREG_ENT_UTENLANDSK_PERSONIDENTIFIKASJON] = { "utenlandskPersonidentifikasjon", 0,
	                                               OMH | PKG(FREG_EID), OMH },
	/* DUF: the spec gives only OMH the DUF search (3.5); the number goes no further */
	[FREG_ENT_DUF] = { "utlendingsmyndighetenesIdentifikasjonsnummer", 0, OMH, OMH },
	[FREG_ENT_INNFLYTTING] = { "innflytting", 0, OPEN, OMH },
	[FREG_ENT_UTFLYTTING] = { "utflytting", 0, OPEN, OMH },
	[FREG_ENT_OPPHOLD] = { "opphold", 0, OMH, OMH },
	[FREG_ENT_BIBEHOLD] = { "bibehold", 0, OMH, OMH },
	[FREG_ENT_BRUK_AV_SAMISK_SPRAAK] = { "brukAvSamiskSpraak", 0, OMH, OMH },
	/* BRSV data; the spec lists it neither open nor confidential: treated as open */
	[FREG_ENT_OPPHOLD_PAA_SVALBARD] = { "oppholdPaaSvalbard", 0, OPEN, OMH },
	[FREG_ENT_PREFERERT_KONTAKTADRESSE] = { "preferertKontaktadresse", 0, OPEN, OMH },
};

/* Members of an element that name another person (or, for kontaktinformasjonForDoedsbo,
 * the estate's contact person), and the packages that lose them. "a.b" = nested; a
 * parent object left empty goes too. */
struct strip {
	enum freg_ent ent;
	const char *path;
	unsigned from;
};

static const struct strip strips[] = {
	/* the spouse is a confidential fact (spec 4.2); FIN sees the family */
	{ FREG_ENT_SIVILSTAND, "relatertVedSivilstand", ALL_PKGS & ~FAMILY },
	{ FREG_ENT_VERGEMAAL, "verge.foedselsEllerDNummer", UF },
	{ FREG_ENT_FAMILIERELASJON, "relatertPerson", UF },
	{ FREG_ENT_FORELDREANSVAR, "ansvarlig", UF },
	{ FREG_ENT_FORELDREANSVAR, "ansvarssubjekt", UF },
	{ FREG_ENT_FALSK_IDENTITET, "rettIdentitetVedIdentifikasjonsnummer", UF },
	/* PRIV and PRESSE get foedselsdato + personnavn only, since 2022-01 (spec 4.3) */
	{ FREG_ENT_KONTAKTINFORMASJON_FOR_DOEDSBO, "person.foedselsEllerDNummer",
	  NO_ID_BY_DEFAULT },
};
#define N_STRIPS (sizeof(strips) / sizeof(strips[0]))

/* What a protected address element keeps (spec 3.8 register metadata). */
static const char *const keep_protected[] = {
	"adressegradering", "ajourholdstidspunkt", "erGjeldende", "kilde", "aarsak",
	"gyldighetstidspunkt", "opphoerstidspunkt",
};

/* Person statuses that are open (spec 4.2); every other value is confidential. */
static const char *const open_status[] = {
	"bosatt", "utflyttet", "doed", "opphoert", "inaktiv",
};

enum prot { PROT_NONE, PROT_FORTROLIG, PROT_STRENGT };
enum grading { G_UGRADERT, G_KLIENT, G_FORTROLIG, G_STRENGT };

/* ASCII-only, so the result never depends on the process locale. */
static int
casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y || x == '\0')
			return x - y;
	}
}

const char *
freg_ent_name(enum freg_ent e)
{
	return (unsigned)e < FREG_ENT_COUNT ? ents[e].name : NULL;
}

int
freg_ent_by_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < FREG_ENT_COUNT; i++)
		if (casecmp(ents[i].name, name) == 0)
			return i;
	return -1;
}

bool
freg_view_may_see(enum freg_pkg p, enum freg_ent e)
{
	if ((unsigned)p >= FREG_PKG_COUNT || (unsigned)e >= FREG_ENT_COUNT)
		return false;
	return (ents[e].sees & PKG(p)) != 0;
}

/* ---- parts ---- */

/* person-basis for p (spec 4.1). identifikasjonsnummer is left to the caller: it depends
 * on whether it was named. */
static uint64_t
basis(enum freg_pkg p)
{
	uint64_t m = 0;

	for (int i = 0; i < FREG_ENT_COUNT; i++)
		if (ents[i].flags & F_BASIS)
			m |= ENT(i);
	if (p == FREG_EID)
		m |= ENT(FREG_ENT_UTENLANDSK_PERSONIDENTIFIKASJON) | ENT(FREG_ENT_LEGITIMASJONSDOKUMENT);
	m &= ~ENT(FREG_ENT_IDENTIFIKASJONSNUMMER);
	if (!(NO_ID_BY_DEFAULT & PKG(p)))
		m |= ENT(FREG_ENT_IDENTIFIKASJONSNUMMER);
	return m;
}

/* Longest piece of a refused value quoted back, bytes. */
#define WHY_VALUE_MAX 64

/* Length of the well-formed UTF-8 character at s (at most n bytes), 0 when malformed:
 * the value goes into a JSON error body, which must be valid UTF-8. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates, past U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return len;
}

/* "ugyldig part: <value>": at most WHY_VALUE_MAX bytes of the value, cut on a character
 * boundary, control characters and malformed bytes shown as '?', "..." when cut. */
static int
refuse(const char *v, char *why, size_t why_sz)
{
	char q[WHY_VALUE_MAX + 4];
	const unsigned char *s = (const unsigned char *)(v ? v : "");
	size_t n = strlen((const char *)s), i = 0, o = 0;

	while (i < n) {
		size_t len = utf8_len(s + i, n - i);

		if (o + (len ? len : 1) > WHY_VALUE_MAX) {
			memcpy(q + o, "...", 3);
			o += 3;
			break;
		}
		if (len == 0 || s[i] < 0x20 || s[i] == 0x7f) {
			q[o++] = '?';
			i++;
		} else {
			memcpy(q + o, s + i, len);
			o += len;
			i += len;
		}
	}
	q[o] = '\0';
	if (why != NULL && why_sz > 0)
		snprintf(why, why_sz, "ugyldig part: %s", q);
	return PORTEN_ERR_INVALID;
}

int
freg_parts_parse(enum freg_pkg p, const char *const *vals, size_t n,
                 struct freg_parts *out, char *why_buf, size_t why_sz)
{
	struct freg_parts r = { 0 };
	bool named = false;   /* a value other than historikk */
	int e;

	if (why_buf != NULL && why_sz > 0)
		why_buf[0] = '\0';
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if ((unsigned)p >= FREG_PKG_COUNT || out == NULL || (n > 0 && vals == NULL))
		return PORTEN_ERR_INVALID;
	if (n > PORTEN_FREG_PARTS_MAX) {
		if (why_buf != NULL && why_sz > 0)
			snprintf(why_buf, why_sz, "for mange part-verdier: %zu (høyst %d)", n,
			         PORTEN_FREG_PARTS_MAX);
		return PORTEN_ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		const char *v = vals[i];

		if (v == NULL)
			return refuse(v, why_buf, why_sz);
		if (casecmp(v, "historikk") == 0) {
			r.historikk = true;
			continue;
		}
		named = true;
		if (casecmp(v, "person-basis") == 0) {
			r.ents |= basis(p);
		} else if (casecmp(v, "identitetsgrunnlag-utvidet") == 0) {
			/* spec 4.1: for OMH and EID only; elsewhere accepted and empty, even where
			 * the package sees falskIdentitet by its own name (OUH, FIN) */
			if (p == FREG_OMH || p == FREG_EID)
				r.ents |= ENT(FREG_ENT_FALSK_IDENTITET) |
				          ENT(FREG_ENT_LEGITIMASJONSDOKUMENT) |
				          ENT(FREG_ENT_UTENLANDSK_PERSONIDENTIFIKASJON);
		} else if (casecmp(v, "relasjon-utvidet") == 0) {
			r.ents |= ENT(FREG_ENT_VERGEMAAL);
			if (p == FREG_OMH || p == FREG_FIN)
				r.ents |= ENT(FREG_ENT_FAMILIERELASJON) | ENT(FREG_ENT_FORELDREANSVAR);
		} else if ((e = freg_ent_by_name(v)) >= 0) {
			r.ents |= ENT(e);
			if (e == FREG_ENT_IDENTIFIKASJONSNUMMER)
				r.explicit_id = true;
		} else {
			return refuse(v, why_buf, why_sz);
		}
	}
	if (!named)
		r.ents |= basis(p);
	/* historikk brings the identifier along (spec 4.1), except where it must be named */
	if (r.historikk && !(NO_ID_BY_DEFAULT & PKG(p)))
		r.ents |= ENT(FREG_ENT_IDENTIFIKASJONSNUMMER);
	*out = r;
	return 0;
}

/* ---- view ---- */

struct ctx {
	enum freg_pkg p;
	enum prot prot;       /* the person's current adressebeskyttelse */
	bool history;         /* part=historikk and p gets this entity's history */
};

static json_t *
ref(const json_t *v)
{
	return json_incref((json_t *)v);
}

static bool
is_current(const json_t *el)
{
	/* strict: an element not marked current is history, which fewer packages see */
	return json_is_true(json_object_get(el, "erGjeldende"));
}

static enum prot
protection(const json_t *stored)
{
	const json_t *arr = json_object_get(stored, "adressebeskyttelse"), *el;
	size_t i;

	json_array_foreach(arr, i, el) {
		const char *g = json_string_value(json_object_get(el, "graderingsnivaa"));

		if (!is_current(el) || g == NULL)
			continue;
		if (strcmp(g, "strengtFortrolig") == 0)
			return PROT_STRENGT;
		if (strcmp(g, "fortrolig") == 0)
			return PROT_FORTROLIG;
	}
	return PROT_NONE;
}

/* An address element's grading. A missing or unknown value is treated as the strictest:
 * the register cannot tell what it protects. */
static enum grading
grading(const json_t *el)
{
	const char *g = json_string_value(json_object_get(el, "adressegradering"));

	if (g == NULL)
		return G_STRENGT;
	if (strcmp(g, "ugradert") == 0)
		return G_UGRADERT;
	if (strcmp(g, "klientadresse") == 0)
		return G_KLIENT;
	if (strcmp(g, "fortrolig") == 0)
		return G_FORTROLIG;
	return G_STRENGT;
}

static bool
status_open(const json_t *el)
{
	const char *s = json_string_value(json_object_get(el, "status"));

	if (s == NULL)
		return false;
	for (size_t i = 0; i < sizeof(open_status) / sizeof(open_status[0]); i++)
		if (strcmp(open_status[i], s) == 0)
			return true;
	return false;
}

/* A protected address element as delivered: its grading and register metadata. */
static json_t *
reduce_address(const json_t *el)
{
	json_t *r = json_object();

	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(keep_protected) / sizeof(keep_protected[0]); i++) {
		json_t *v = json_object_get(el, keep_protected[i]);

		if (v != NULL && json_object_set(r, keep_protected[i], v) != 0) {
			json_decref(r);
			return NULL;
		}
	}
	return r;
}

/* Removes path ("a" or "a.b") from the copy c; a parent left empty goes too. */
static void
del_path(json_t *c, const char *path)
{
	const char *dot = strchr(path, '.');
	char head[64];
	size_t n;
	json_t *parent;

	if (dot == NULL) {
		json_object_del(c, path);
		return;
	}
	n = (size_t)(dot - path);
	if (n >= sizeof(head))
		return;
	memcpy(head, path, n);
	head[n] = '\0';
	if ((parent = json_object_get(c, head)) == NULL || !json_is_object(parent))
		return;
	json_object_del(parent, dot + 1);
	if (json_object_size(parent) == 0)
		json_object_del(c, head);
}

static bool
has_path(const json_t *el, const char *path)
{
	const char *dot = strchr(path, '.');
	char head[64];
	size_t n;

	if (dot == NULL)
		return json_object_get(el, path) != NULL;
	n = (size_t)(dot - path);
	if (n >= sizeof(head))
		return false;
	memcpy(head, path, n);
	head[n] = '\0';
	return json_object_get(json_object_get(el, head), dot + 1) != NULL;
}

/* el as package p receives it: shared when nothing goes, else a deep copy (the nested
 * objects we strip from are shared with the stored document too). NULL on ENOMEM. */
static json_t *
strip_element(enum freg_pkg p, enum freg_ent e, const json_t *el)
{
	json_t *c = NULL;

	for (size_t i = 0; i < N_STRIPS; i++) {
		if (strips[i].ent != e || !(strips[i].from & PKG(p)) || !has_path(el, strips[i].path))
			continue;
		if (c == NULL && (c = json_deep_copy(el)) == NULL)
			return NULL;
		del_path(c, strips[i].path);
	}
	return c != NULL ? c : ref(el);
}

enum decision { D_SKIP, D_KEEP, D_REDUCE };

/* What happens to one array element, from its facts: left out, delivered (less what
 * strip_element takes for the package), or reduced to its grading and metadata. The one
 * place of these rules, for the parsed document (view_element) and for the stored
 * layout (emit_element). status_open matters for status elements, g for addresses. */
static enum decision
decide(const struct ctx *c, enum freg_ent e, bool object, bool cur, bool status_open,
       enum grading g)
{
	bool reduce = false;

	if (!object || (!cur && !c->history))
		return D_SKIP;
	if (e == FREG_ENT_STATUS && c->p != FREG_OMH && !status_open)
		return D_SKIP;
	if (ents[e].flags & F_ADDRESS) {
		/* spec 4.4: no address data at all for a strengtFortrolig person, so none of
		 * the addresses they had before either */
		if (c->prot == PROT_STRENGT && !cur)
			return D_SKIP;
		if (g == G_STRENGT ||
		    ((g == G_FORTROLIG || g == G_KLIENT) && !(HJEMMEL & PKG(c->p))) ||
		    (c->prot == PROT_STRENGT && e == FREG_ENT_BOSTEDSADRESSE))
			reduce = true;
		/* a protected address has no history: the dates alone would trace it */
		if (reduce && !cur)
			return D_SKIP;
	}
	return reduce ? D_REDUCE : D_KEEP;
}

/* One array element: *res is the element to deliver, or NULL when it is left out.
 * Returns 0 or PORTEN_ERR_NOMEM. */
static int
view_element(const struct ctx *c, enum freg_ent e, const json_t *el, json_t **res)
{
	bool object = json_is_object(el);
	enum decision d = decide(c, e, object, object && is_current(el),
	                         e == FREG_ENT_STATUS && object && status_open(el),
	                         (ents[e].flags & F_ADDRESS) && object ? grading(el) : G_UGRADERT);

	*res = NULL;
	if (d == D_SKIP)
		return 0;
	*res = d == D_REDUCE ? reduce_address(el) : strip_element(c->p, e, el);
	return *res != NULL ? 0 : PORTEN_ERR_NOMEM;
}

/* One entity: *res is what goes into the answer, NULL when nothing is left. */
static int
view_entity(const struct ctx *c, enum freg_ent e, const json_t *v, json_t **res)
{
	json_t *arr = NULL, *el, *x;
	size_t i;
	int r;

	*res = NULL;
	if (ents[e].flags & F_OBJECT) {
		if (!json_is_object(v))
			return 0;
		*res = strip_element(c->p, e, v);
		return *res != NULL ? 0 : PORTEN_ERR_NOMEM;
	}
	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, el) {
		if ((r = view_element(c, e, el, &x)) != 0)
			goto fail;
		if (x == NULL)
			continue;
		if ((arr == NULL && (arr = json_array()) == NULL) ||
		    json_array_append_new(arr, x) != 0) {
			json_decref(x);
			r = PORTEN_ERR_NOMEM;
			goto fail;
		}
	}
	*res = arr;
	return 0;
fail:
	json_decref(arr);
	return r;
}

/* The entities package p gets for these parts of a person with protection prot. */
static uint64_t
want_of(enum freg_pkg p, const struct freg_parts *parts, enum prot prot)
{
	uint64_t want = parts->ents;

	for (int e = 0; e < FREG_ENT_COUNT; e++)
		if (!freg_view_may_see(p, e))
			want &= ~ENT(e);
	if ((NO_ID_BY_DEFAULT & ~UF & PKG(p)) && !parts->explicit_id)
		want &= ~ENT(FREG_ENT_IDENTIFIKASJONSNUMMER);
	if (prot == PROT_STRENGT) {
		want &= ~(ENT(FREG_ENT_OPPHOLDSADRESSE) | ENT(FREG_ENT_DELT_BOSTED));
		if (p != FREG_OMH)
			want &= ~(ENT(FREG_ENT_INNFLYTTING) | ENT(FREG_ENT_UTFLYTTING));
	} else if (prot == PROT_FORTROLIG && p != FREG_OMH && p != FREG_OUH) {
		want &= ~(ENT(FREG_ENT_INNFLYTTING) | ENT(FREG_ENT_UTFLYTTING));
	}
	return want;
}

json_t *
freg_view(enum freg_pkg p, const struct freg_parts *parts, const json_t *stored)
{
	json_t *out = json_object(), *v;
	struct ctx c = { .p = p };
	uint64_t want;

	if (out == NULL)
		return NULL;
	if ((unsigned)p >= FREG_PKG_COUNT || parts == NULL || !json_is_object(stored))
		return out;
	c.prot = protection(stored);
	want = want_of(p, parts, c.prot);
	for (int e = 0; e < FREG_ENT_COUNT; e++) {
		const json_t *sv;

		if (!(want & ENT(e)) || (sv = json_object_get(stored, ents[e].name)) == NULL)
			continue;
		c.history = parts->historikk && (ents[e].history & PKG(p));
		if (view_entity(&c, e, sv, &v) != 0)
			goto fail;
		if (v != NULL && json_object_set_new(out, ents[e].name, v) != 0)
			goto fail;
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* ---- the layout: the view written from the stored text without parsing it ----
 *
 * jansson's parser is the largest cost of a lookup (bench/lookup.sh: about 37 % of the
 * server's CPU for personer/{id}). The stored text is jansson's compact dump of the
 * document, so every element an answer passes on unchanged is already there, byte for
 * byte, as the answer's own dump would write it. The layout, built at ingest from the
 * parsed document, says where each element of each entity is and the facts the view
 * decides by; freg_view_json then copies the elements that go out whole and parses only
 * the few that lose members.
 *
 * Format (FREG_LAYOUT_VERSION; n = unsigned LEB128):
 *   byte version, byte prot (enum prot)
 *   per entity present: byte entity, byte kind (0 array, 1 object), n count,
 *     per element: n offset, n length, byte flags (L_*), byte strips (bit i: the
 *     element has strips[i].path)
 * A change to the rules the flags record (ents[] flags, strips[], grading, the open
 * statuses) must bump FREG_LAYOUT_VERSION: layouts of another version are not used. */
#define L_OBJECT      0x01
#define L_CURRENT     0x02
#define L_STATUS_OPEN 0x04
#define L_GRADING_SHIFT 3     /* two bits: enum grading */
#define LK_ARRAY  0
#define LK_OBJECT 1

_Static_assert(N_STRIPS <= 8, "strip bits must fit one byte");
_Static_assert(FREG_ENT_COUNT <= 64, "entity mask is 64 bits");

static int
put_byte(struct porten_buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;

	return porten_buf_append(b, &c, 1);
}

static int
put_uleb(struct porten_buf *b, uint64_t v)
{
	unsigned char t[10];
	size_t n = 0;

	do {
		t[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			t[n] |= 0x80;
		n++;
	} while (v != 0);
	return porten_buf_append(b, t, n);
}

/* Length of v's compact dump, 0 when jansson cannot dump it. */
static size_t
dumped_len(const json_t *v)
{
	return json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
}

static size_t
key_len(const char *k)
{
	json_t *s = json_string(k);
	size_t n = s != NULL ? dumped_len(s) : 0;

	json_decref(s);
	return n;
}

static unsigned
element_flags(enum freg_ent e, const json_t *el, unsigned *strip_bits)
{
	unsigned f = 0;

	*strip_bits = 0;
	if (!json_is_object(el))
		return 0;
	f |= L_OBJECT;
	if (is_current(el))
		f |= L_CURRENT;
	if (e == FREG_ENT_STATUS && status_open(el))
		f |= L_STATUS_OPEN;
	if (ents[e].flags & F_ADDRESS)
		f |= (unsigned)grading(el) << L_GRADING_SHIFT;
	for (size_t i = 0; i < N_STRIPS; i++)
		if (strips[i].ent == e && has_path(el, strips[i].path))
			*strip_bits |= 1u << i;
	return f;
}

/* One element at *pos of text: checked to be where the dump puts it. */
static int
layout_element(enum freg_ent e, const json_t *el, const char *text, size_t tlen, size_t *pos,
               struct porten_buf *out)
{
	unsigned strip_bits, f = element_flags(e, el, &strip_bits);
	size_t n = dumped_len(el);
	int r;

	if (n == 0 || n > tlen - *pos)
		return PORTEN_ERR_INVALID;
	if ((f & L_OBJECT) && (text[*pos] != '{' || text[*pos + n - 1] != '}'))
		return PORTEN_ERR_INVALID;
	if ((r = put_uleb(out, *pos)) != 0 || (r = put_uleb(out, n)) != 0 ||
	    (r = put_byte(out, f)) != 0 || (r = put_byte(out, strip_bits)) != 0)
		return r;
	*pos += n;
	return 0;
}

int
freg_layout_build(const json_t *doc, const char *text, size_t tlen, struct porten_buf *out)
{
	const char *k;
	json_t *v;
	size_t pos = 1, i, nmem = 0;
	int r;

	if (!json_is_object(doc) || text == NULL || tlen < 2 || text[0] != '{')
		return PORTEN_ERR_INVALID;
	if ((r = put_byte(out, FREG_LAYOUT_VERSION)) != 0 ||
	    (r = put_byte(out, (unsigned)protection(doc))) != 0)
		return r;
	json_object_foreach((json_t *)doc, k, v) {
		int e = -1;
		size_t kl = key_len(k);

		if (nmem++ > 0) {
			if (pos >= tlen || text[pos] != ',')
				return PORTEN_ERR_INVALID;
			pos++;
		}
		if (kl == 0 || kl + 1 > tlen - pos || text[pos + kl] != ':')
			return PORTEN_ERR_INVALID;
		pos += kl + 1;
		for (int x = 0; x < FREG_ENT_COUNT; x++)
			if (strcmp(ents[x].name, k) == 0)
				e = x;
		if (e >= 0 && (ents[e].flags & F_OBJECT) && json_is_object(v)) {
			if ((r = put_byte(out, (unsigned)e)) != 0 || (r = put_byte(out, LK_OBJECT)) != 0 ||
			    (r = put_uleb(out, 1)) != 0 ||
			    (r = layout_element(e, v, text, tlen, &pos, out)) != 0)
				return r;
			continue;
		}
		if (e >= 0 && !(ents[e].flags & F_OBJECT) && json_is_array(v)) {
			if ((r = put_byte(out, (unsigned)e)) != 0 || (r = put_byte(out, LK_ARRAY)) != 0 ||
			    (r = put_uleb(out, json_array_size(v))) != 0)
				return r;
			if (pos >= tlen || text[pos] != '[')
				return PORTEN_ERR_INVALID;
			pos++;
			for (i = 0; i < json_array_size(v); i++) {
				if (i > 0) {
					if (pos >= tlen || text[pos] != ',')
						return PORTEN_ERR_INVALID;
					pos++;
				}
				if ((r = layout_element(e, json_array_get(v, i), text, tlen, &pos, out)) != 0)
					return r;
			}
			if (pos >= tlen || text[pos] != ']')
				return PORTEN_ERR_INVALID;
			pos++;
			continue;
		}
		/* neither entity of the view nor of its shape: only stepped over */
		i = dumped_len(v);
		if (i == 0 || i > tlen - pos)
			return PORTEN_ERR_INVALID;
		pos += i;
	}
	return pos == tlen - 1 && text[pos] == '}' ? 0 : PORTEN_ERR_INVALID;
}

struct lreader {
	const unsigned char *p, *end;
};

static bool
get_byte(struct lreader *l, unsigned *v)
{
	if (l->p >= l->end)
		return false;
	*v = *l->p++;
	return true;
}

static bool
get_uleb(struct lreader *l, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		unsigned b;

		if (!get_byte(l, &b))
			return false;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

struct lelem {
	uint64_t off, len;
	unsigned flags, strips;
};

static bool
get_elem(struct lreader *l, size_t tlen, struct lelem *x)
{
	return get_uleb(l, &x->off) && get_uleb(l, &x->len) && get_byte(l, &x->flags) &&
	       get_byte(l, &x->strips) && x->len > 0 && x->off <= tlen && x->len <= tlen - x->off;
}

static int
buf_sink(const char *s, size_t n, void *arg)
{
	return porten_buf_append(arg, s, n) == 0 ? 0 : -1;
}

/* Parses the element, applies reduce or strip as view_element would, dumps it. */
static int
emit_changed(const struct ctx *c, enum freg_ent e, const char *text, const struct lelem *x,
             bool reduce, struct porten_buf *out)
{
	json_t *el = json_loadb(text + x->off, (size_t)x->len, 0, NULL), *res;
	int r;

	if (!json_is_object(el)) {
		json_decref(el);
		return PORTEN_ERR_INVALID;
	}
	res = reduce ? reduce_address(el) : strip_element(c->p, e, el);
	json_decref(el);
	if (res == NULL)
		return PORTEN_ERR_NOMEM;
	r = json_dump_callback(res, buf_sink, out, JSON_COMPACT) == 0 ? 0 : PORTEN_ERR_NOMEM;
	json_decref(res);
	return r;
}

/* One element as view_element decides it, from the layout's facts: left out, copied, or
 * parsed and changed. *opened: whether the entity's "name":[ is written yet. */
static int
emit_element(const struct ctx *c, enum freg_ent e, const char *text, const struct lelem *x,
             bool *opened, struct porten_buf *out)
{
	enum decision d = decide(c, e, x->flags & L_OBJECT, x->flags & L_CURRENT,
	                         x->flags & L_STATUS_OPEN,
	                         (enum grading)((x->flags >> L_GRADING_SHIFT) & 3));
	bool reduce = d == D_REDUCE, change = false;
	int r;

	if (d == D_SKIP)
		return 0;
	for (size_t i = 0; i < N_STRIPS && !reduce; i++)
		if (strips[i].ent == e && (strips[i].from & PKG(c->p)) && (x->strips & (1u << i)))
			change = true;
	r = *opened ? porten_buf_append(out, ",", 1) :
	    porten_buf_appendf(out, "\"%s\":[", ents[e].name);
	if (r != 0)
		return r;
	*opened = true;
	if (reduce || change)
		return emit_changed(c, e, text, x, reduce, out);
	return porten_buf_append(out, text + x->off, (size_t)x->len);
}

int
freg_view_json(enum freg_pkg p, const struct freg_parts *parts, const char *text, size_t tlen,
               const unsigned char *layout, size_t llen, struct porten_buf *out)
{
	struct lreader l = { layout, layout + llen };
	const unsigned char *at[FREG_ENT_COUNT] = { 0 };
	uint64_t count[FREG_ENT_COUNT] = { 0 }, want;
	unsigned kind[FREG_ENT_COUNT] = { 0 }, version, prot, e, k;
	struct ctx c = { .p = p };
	struct lelem x;
	bool first = true;
	int r;

	if ((unsigned)p >= FREG_PKG_COUNT || parts == NULL || text == NULL || layout == NULL)
		return PORTEN_ERR_INVALID;
	/* the whole layout is checked before anything is written */
	if (!get_byte(&l, &version) || version != FREG_LAYOUT_VERSION || !get_byte(&l, &prot) ||
	    prot > PROT_STRENGT)
		return PORTEN_ERR_INVALID;
	while (l.p < l.end) {
		uint64_t n;

		if (!get_byte(&l, &e) || e >= FREG_ENT_COUNT || at[e] != NULL || !get_byte(&l, &k) ||
		    k != ((ents[e].flags & F_OBJECT) ? LK_OBJECT : LK_ARRAY) || !get_uleb(&l, &n) ||
		    (k == LK_OBJECT && n != 1) || n > (uint64_t)(l.end - l.p) / 4)
			return PORTEN_ERR_INVALID;
		at[e] = l.p;
		count[e] = n;
		kind[e] = k;
		for (uint64_t i = 0; i < n; i++)
			if (!get_elem(&l, tlen, &x))
				return PORTEN_ERR_INVALID;
	}
	c.prot = (enum prot)prot;
	want = want_of(p, parts, c.prot);
	if ((r = porten_buf_append(out, "{", 1)) != 0)
		return r;
	for (e = 0; e < FREG_ENT_COUNT; e++) {
		size_t mark = out->len;
		bool opened = false;

		if (!(want & ENT(e)) || at[e] == NULL)
			continue;
		c.history = parts->historikk && (ents[e].history & PKG(p));
		l.p = at[e];
		if (!first && (r = porten_buf_append(out, ",", 1)) != 0)
			return r;
		if (kind[e] == LK_OBJECT) {
			(void)get_elem(&l, tlen, &x);
			if ((r = porten_buf_appendf(out, "\"%s\":", ents[e].name)) != 0)
				return r;
			r = x.strips != 0 && (x.flags & L_OBJECT) ?
			    emit_changed(&c, e, text, &x, false, out) :
			    porten_buf_append(out, text + x.off, (size_t)x.len);
			if (r != 0)
				return r;
			first = false;
			continue;
		}
		for (uint64_t i = 0; i < count[e]; i++) {
			(void)get_elem(&l, tlen, &x);
			if ((r = emit_element(&c, e, text, &x, &opened, out)) != 0)
				return r;
		}
		if (!opened) {
			/* nothing of the entity goes out: not even its comma */
			out->len = mark;
			out->data[mark] = '\0';
			continue;
		}
		if ((r = porten_buf_append(out, "]", 1)) != 0)
			return r;
		first = false;
	}
	return porten_buf_append(out, "}", 1);
}
