/* Events on person documents (include/porten/freg_event.h): applying egenskapshendelse,
 * the creation event of a generated person, and chosen (injected) events.
 *
 * Entities (spec/folkeregisteret.md 2.3, 3.8; OpenAPI 1.5 Registerdata). "single":
 * at most one element with erGjeldende true; registrereNy demotes the current one.
 * "multi": registrereNy adds beside the current ones. "object": doedsfall and
 * falskIdentitet are one object in the person document, not an array.
 *
 *   entitet (Registerdata)             document key / payload     kind    korrigere key
 *   ---------------------------------  -------------------------  ------  -------------------
 *   identifikasjonsnummer              identifikasjonsnummer      single  (demoted: status
 *                                                                         opphoert; restored:
 *                                                                         iBruk)
 *   status, navn, kjoenn, foedsel,     same                       single
 *   foedselINorge, sivilstand,
 *   bostedsadresse, oppholdsadresse,
 *   adressebeskyttelse, identitetsgrunnlag,
 *   innflytting, utflytting, opphold,
 *   bibehold, brukAvSamiskSpraak,
 *   forholdTilSametingetsValgmanntall,
 *   kontaktinformasjonForDoedsbo
 *   kontaktadresse                     postadresse                single
 *   kontaktadresseIUtlandet            postadresseIUtlandet       single
 *   oppholdPaaSvalbard (1)             oppholdPaaSvalbard         single
 *   rettsligHandleevne (1)             rettsligHandleevne         single
 *   doedsfall, falskIdentitet          same                       object
 *   statsborgerskap                    statsborgerskap            multi   statsborgerskap
 *   familierelasjon                    familierelasjon            multi   relatertPerson
 *   foreldreansvar                     foreldreansvar             multi   ansvarlig and
 *                                                                         ansvarssubjekt
 *   vergemaalEllerFremtidsfullmakt     same                       multi   verge.
 *                                                                         foedselsEllerDNummer
 *   utenlandskPersonidentifikasjon,    same                       multi   identifikasjonsnummer
 *   utlendingsmyndighetenesIdentifikasjonsnummer
 *   legitimasjonsdokument              legitimasjonsdokument      multi   identifikasjons-
 *                                                                         dokumentnummer
 *   deltBosted                         deltBosted                 multi   startdatoForKontrakt
 *
 * (1) not in the entitet enum of OpenAPI 1.5 (a payload property there, respectively a
 *     later addition, spec 2.7 and 10.15); accepted so the BRSV and post-2023 events can
 *     be expressed.
 *
 * Rules beyond freg_event.h:
 *  - identitetsgrunnlag: the hendelse field legitimasjonskontroll is the person
 *    document's identitetsgrunnlagstatus (spec 10.5); converted both ways.
 *  - A payload that carries opphoerstidspunkt records a fact that has ended (opphør):
 *    its element is stored with erGjeldende false and takes the place of the current
 *    element it ends (single: the current one; multi: the current one with the same key).
 *  - registrereNy of a single-valued entity stamps the demoted element's
 *    opphoerstidspunkt with the new element's gyldighetstidspunkt (unless it has one).
 *  - korrigere of a multi-valued entity replaces the current element with the same key
 *    (the members in the table above); without a key match, the only current element.
 *  - annullere of a multi-valued entity removes the last current element (the latest
 *    registered one): Registerdata for annullere has no payload to say which.
 *  - An array left empty is removed from the document (absent, not []).
 *  - Elements are inserted current first: registrereNy of a single-valued entity at the
 *    front, so the first historical element is the latest one.
 *  - Metadata filled in when absent: ajourholdstidspunkt and gyldighetstidspunkt from now,
 *    kilde "Synutopia", aarsak "Endring" (registrereNy) or "Korrigering" (korrigere). An
 *    erGjeldende in a payload is ignored: the register decides it.
 *  - Payloads are checked for the members the hendelse schema requires (table above),
 *    the metadata members for being strings; other members pass unchecked.
 *
 * freg_event_inject, beyond freg_event.h:
 *  - The stored egenskapshendelse carries the filled-in metadata, so the event and the
 *    person document agree.
 *  - personErOpprettet and endringIIdentifikasjonsnummer get a registrereNy of the
 *    identifikasjonsnummer (fnr or d-number by the identifier) when the request has none,
 *    and the current identifier of the result must be the event's identifier; other
 *    events that touch identifikasjonsnummer must leave the person's identifier current.
 *  - personErOppdatert applies its egenskapshendelse to the document but stores the
 *    event without payload (spec 2.7: "hent siste persondokument").
 *  - personErOpphoertSomDublett takes no egenskapshendelse and makes no person version.
 *  - An existing person for personErOpprettet, or a taken nyttFolkeregisteridentifikator,
 *    is PORTEN_ERR_EXISTS; members other than the documented ones are refused. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porten/error.h"
#include "porten/freg_event.h"
#include "porten/freg_gen.h"
#include "porten/ident.h"
#include "porten/limits.h"
#include "porten/log.h"

#define KILDE "Synutopia"

enum ent_kind { E_SINGLE, E_MULTI, E_OBJECT };

struct entity {
	const char *entitet;     /* Registerdata entitet */
	const char *prop;        /* payload property and person document key */
	enum ent_kind kind;
	const char *req[3];      /* required payload members (hendelse schema) */
	const char *key[2];      /* identity of a multi-valued element; "a.b" = nested */
};

static const struct entity entities[] = {
	{ "identifikasjonsnummer", "identifikasjonsnummer", E_SINGLE,
	  { "foedselsEllerDNummer", "identifikatortype", "status" }, { NULL, NULL } },
	{ "status", "status", E_SINGLE, { "status" }, { NULL, NULL } },
	{ "navn", "navn", E_SINGLE, { "fornavn", "etternavn" }, { NULL, NULL } },
	{ "kjoenn", "kjoenn", E_SINGLE, { "kjoenn" }, { NULL, NULL } },
	{ "foedsel", "foedsel", E_SINGLE, { "foedselsaar" }, { NULL, NULL } },
	{ "foedselINorge", "foedselINorge", E_SINGLE, { NULL }, { NULL, NULL } },
	{ "doedsfall", "doedsfall", E_OBJECT, { NULL }, { NULL, NULL } },
	{ "falskIdentitet", "falskIdentitet", E_OBJECT, { NULL }, { NULL, NULL } },
	{ "sivilstand", "sivilstand", E_SINGLE, { "sivilstand" }, { NULL, NULL } },
	{ "statsborgerskap", "statsborgerskap", E_MULTI, { "statsborgerskap" },
	  { "statsborgerskap", NULL } },
	{ "bostedsadresse", "bostedsadresse", E_SINGLE, { "adressegradering" }, { NULL, NULL } },
	{ "oppholdsadresse", "oppholdsadresse", E_SINGLE, { "adressegradering" }, { NULL, NULL } },
	{ "deltBosted", "deltBosted", E_MULTI, { "adressegradering", "startdatoForKontrakt" },
	  { "startdatoForKontrakt", NULL } },
	{ "kontaktadresse", "postadresse", E_SINGLE, { "adressegradering" }, { NULL, NULL } },
	{ "kontaktadresseIUtlandet", "postadresseIUtlandet", E_SINGLE, { "adressegradering" },
	  { NULL, NULL } },
	{ "adressebeskyttelse", "adressebeskyttelse", E_SINGLE, { "graderingsnivaa" },
	  { NULL, NULL } },
	{ "familierelasjon", "familierelasjon", E_MULTI, { "relatertPersonsRolle" },
	  { "relatertPerson", NULL } },
	{ "foreldreansvar", "foreldreansvar", E_MULTI, { "ansvar" },
	  { "ansvarlig", "ansvarssubjekt" } },
	{ "vergemaalEllerFremtidsfullmakt", "vergemaalEllerFremtidsfullmakt", E_MULTI,
	  { "verge" }, { "verge.foedselsEllerDNummer", NULL } },
	{ "identitetsgrunnlag", "identitetsgrunnlag", E_SINGLE, { NULL }, { NULL, NULL } },
	{ "legitimasjonsdokument", "legitimasjonsdokument", E_MULTI,
	  { "identifikasjonsdokumenttype", "utstederland" },
	  { "identifikasjonsdokumentnummer", NULL } },
	{ "utenlandskPersonidentifikasjon", "utenlandskPersonidentifikasjon", E_MULTI,
	  { "identifikasjonsnummer", "identifikasjonsnummertype", "utstederland" },
	  { "identifikasjonsnummer", NULL } },
	{ "utlendingsmyndighetenesIdentifikasjonsnummer",
	  "utlendingsmyndighetenesIdentifikasjonsnummer", E_MULTI,
	  { "identifikasjonsnummer", "identifikasjonsnummertype", "utstederland" },
	  { "identifikasjonsnummer", NULL } },
	{ "kontaktinformasjonForDoedsbo", "kontaktinformasjonForDoedsbo", E_SINGLE,
	  { "skifteform", "attestutstedelsesdato", "adresse" }, { NULL, NULL } },
	{ "innflytting", "innflytting", E_SINGLE, { NULL }, { NULL, NULL } },
	{ "utflytting", "utflytting", E_SINGLE, { NULL }, { NULL, NULL } },
	{ "opphold", "opphold", E_SINGLE, { "oppholdstillatelse" }, { NULL, NULL } },
	{ "bibehold", "bibehold", E_SINGLE, { "bibeholdstatus" }, { NULL, NULL } },
	{ "brukAvSamiskSpraak", "brukAvSamiskSpraak", E_SINGLE, { "spraak" }, { NULL, NULL } },
	{ "forholdTilSametingetsValgmanntall", "forholdTilSametingetsValgmanntall", E_SINGLE,
	  { "forhold", "vedtaksdato" }, { NULL, NULL } },
	{ "oppholdPaaSvalbard", "oppholdPaaSvalbard", E_SINGLE, { "antattOppholdsvarighet" },
	  { NULL, NULL } },
	{ "rettsligHandleevne", "rettsligHandleevne", E_SINGLE, { NULL }, { NULL, NULL } },
};
#define N_ENTITIES (sizeof(entities) / sizeof(entities[0]))

static const char *const metadata[] = {
	"ajourholdstidspunkt", "kilde", "aarsak", "gyldighetstidspunkt", "opphoerstidspunkt",
};

static const struct entity *
entity_by_name(const char *name)
{
	for (size_t i = 0; i < N_ENTITIES; i++)
		if (strcmp(entities[i].entitet, name) == 0)
			return &entities[i];
	return NULL;
}

__attribute__((format(printf, 3, 4))) static int
fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errsz > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return PORTEN_ERR_INVALID;
}

/* An untrusted string, escaped and bounded, for a message. */
static const char *
esc(char *buf, size_t sz, const char *s)
{
	return porten_log_escape(buf, sz, s, s ? strlen(s) : 0);
}

static bool
is_current(const json_t *e)
{
	return json_is_true(json_object_get(e, "erGjeldende"));
}

/* e[path] where path is "a" or "a.b". */
static const json_t *
get_path(const json_t *e, const char *path)
{
	const char *dot = strchr(path, '.');
	char head[64];
	size_t n;

	if (dot == NULL)
		return json_object_get(e, path);
	n = (size_t)(dot - path);
	if (n >= sizeof(head))
		return NULL;
	memcpy(head, path, n);
	head[n] = '\0';
	return json_object_get(json_object_get(e, head), dot + 1);
}

/* True when payload names a key member and element has the same values in all of them
 * (absent equals absent). False when the payload names none. */
static bool
same_key(const struct entity *en, const json_t *payload, const json_t *element)
{
	bool named = false;

	for (size_t k = 0; k < 2 && en->key[k]; k++) {
		const json_t *a = get_path(payload, en->key[k]), *b = get_path(element, en->key[k]);

		if (a)
			named = true;
		if ((a == NULL) != (b == NULL) || (a && !json_equal((json_t *)a, (json_t *)b)))
			return false;
	}
	return named;
}

/* The register metadata a payload lacks: 0 or non-zero on ENOMEM. */
static int
fill_metadata(json_t *p, const char *endring, const char *ts)
{
	int rc = 0;

	if (!json_object_get(p, "ajourholdstidspunkt"))
		rc |= json_object_set_new(p, "ajourholdstidspunkt", json_string(ts));
	if (!json_object_get(p, "kilde"))
		rc |= json_object_set_new(p, "kilde", json_string(KILDE));
	if (!json_object_get(p, "aarsak"))
		rc |= json_object_set_new(p, "aarsak", json_string(strcmp(endring, "korrigere") == 0
		                                                   ? "Korrigering" : "Endring"));
	if (!json_object_get(p, "gyldighetstidspunkt"))
		rc |= json_object_set_new(p, "gyldighetstidspunkt", json_string(ts));
	return rc;
}

/* A fresh element for the person document from a payload: a shallow copy (leaves are
 * shared, never modified), metadata filled in, erGjeldende set. NULL on ENOMEM. */
static json_t *
make_element(const struct entity *en, const json_t *payload, const char *endring,
             const char *ts)
{
	json_t *e = json_copy((json_t *)payload);
	bool ended;
	int rc = 0;

	if (e == NULL)
		return NULL;
	rc |= fill_metadata(e, endring, ts);
	if (strcmp(en->prop, "identitetsgrunnlag") == 0) {
		json_t *v = json_object_get(e, "legitimasjonskontroll");

		if (v) {
			rc |= json_object_set(e, "identitetsgrunnlagstatus", v);
			rc |= json_object_del(e, "legitimasjonskontroll");
		}
	}
	ended = json_object_get(e, "opphoerstidspunkt") != NULL;
	/* erGjeldende after the data members and metadata, like the generator's order */
	json_object_del(e, "erGjeldende");
	rc |= json_object_set_new(e, "erGjeldende", json_boolean(!ended));
	if (rc != 0) {
		json_decref(e);
		return NULL;
	}
	return e;
}

/* Replaces arr[i] by a shallow copy with erGjeldende (and opphoerstidspunkt / status)
 * changed: demote (current = false) or restore (current = true). */
static int
set_current(const struct entity *en, json_t *arr, size_t i, bool current, const json_t *until)
{
	json_t *e = json_copy(json_array_get(arr, i));
	int rc = 0;

	if (e == NULL)
		return PORTEN_ERR_NOMEM;
	rc |= json_object_set_new(e, "erGjeldende", json_boolean(current));
	if (current)
		json_object_del(e, "opphoerstidspunkt");
	else if (until && !json_object_get(e, "opphoerstidspunkt"))
		rc |= json_object_set(e, "opphoerstidspunkt", (json_t *)until);
	if (strcmp(en->prop, "identifikasjonsnummer") == 0)
		rc |= json_object_set_new(e, "status", json_string(current ? "iBruk" : "opphoert"));
	rc |= json_array_set_new(arr, i, e);
	return rc ? PORTEN_ERR_NOMEM : 0;
}

static int
apply_object(json_t *doc, const struct entity *en, const char *endring, const json_t *payload,
             const char *ts, size_t idx, char *err, size_t errsz)
{
	json_t *e;

	if (strcmp(endring, "registrereNy") != 0 && json_object_get(doc, en->prop) == NULL)
		return fail(err, errsz, "egenskapshendelse[%zu]: %s of %s: the person has none",
		            idx, endring, en->entitet);
	if (strcmp(endring, "annullere") == 0)
		return json_object_del(doc, en->prop) == 0 ? 0 : PORTEN_ERR_INTERNAL;
	if ((e = make_element(en, payload, endring, ts)) == NULL)
		return PORTEN_ERR_NOMEM;
	return json_object_set_new(doc, en->prop, e) == 0 ? 0 : PORTEN_ERR_NOMEM;
}

static int
apply_array(json_t *doc, const struct entity *en, const char *endring, const json_t *payload,
            const char *ts, size_t idx, char *err, size_t errsz)
{
	json_t *old = json_object_get(doc, en->prop), *arr = NULL, *e = NULL, *x;
	bool multi = en->kind == E_MULTI;
	size_t i, n, cur = (size_t)-1, ncur = 0, keyed = (size_t)-1;
	int r = PORTEN_ERR_NOMEM;

	if (old && !json_is_array(old))
		return fail(err, errsz, "person document: %s is not an array", en->prop);
	arr = old ? json_copy(old) : json_array();
	if (arr == NULL)
		return PORTEN_ERR_NOMEM;
	n = json_array_size(arr);
	json_array_foreach(arr, i, x) {
		if (!is_current(x))
			continue;
		ncur++;
		if (cur == (size_t)-1 || (multi && strcmp(endring, "annullere") == 0))
			cur = i;   /* the first current one; for multi annullere the last */
		if (multi && payload && keyed == (size_t)-1 && same_key(en, payload, x))
			keyed = i;
	}
	if (multi && strcmp(endring, "annullere") != 0)
		cur = keyed != (size_t)-1 ? keyed : ncur == 1 && strcmp(endring, "korrigere") == 0
		      ? cur : (size_t)-1;

	if (strcmp(endring, "annullere") == 0) {
		if (cur == (size_t)-1) {
			r = fail(err, errsz, "egenskapshendelse[%zu]: annullere of %s: no current element",
			         idx, en->entitet);
			goto out;
		}
		if (json_array_remove(arr, cur) != 0)
			goto out;
		n--;
		if (!multi) {
			/* the latest historical element becomes current again */
			json_array_foreach(arr, i, x)
				if (!is_current(x))
					break;
			if (i < n && (r = set_current(en, arr, i, true, NULL)) != 0)
				goto out;
		}
	} else {
		bool ended;

		if ((e = make_element(en, payload, endring, ts)) == NULL)
			goto out;
		ended = !is_current(e);
		if (strcmp(endring, "korrigere") == 0) {
			if (cur == (size_t)-1) {
				r = fail(err, errsz, "egenskapshendelse[%zu]: korrigere of %s: %s", idx,
				         en->entitet, ncur ? "no current element with the same key"
				                           : "no current element");
				goto out;
			}
			if (json_array_set(arr, cur, e) != 0)
				goto out;
		} else if (ended && cur != (size_t)-1) {
			/* a cessation: the ended fact takes the place of the current one */
			if (json_array_set(arr, cur, e) != 0)
				goto out;
		} else if (multi) {
			if (json_array_append(arr, e) != 0)
				goto out;
		} else {
			/* single-valued: every current element becomes historical */
			const json_t *from = json_object_get(e, "gyldighetstidspunkt");

			json_array_foreach(arr, i, x)
				if (is_current(x) && (r = set_current(en, arr, i, false, from)) != 0)
					goto out;
			if (json_array_insert(arr, 0, e) != 0)
				goto out;
		}
	}
	if (json_array_size(arr) == 0)
		r = json_object_del(doc, en->prop) == 0 || old == NULL ? 0 : PORTEN_ERR_INTERNAL;
	else
		r = json_object_set(doc, en->prop, arr) == 0 ? 0 : PORTEN_ERR_NOMEM;
out:
	json_decref(e);
	json_decref(arr);
	return r;
}

/* Checks one Registerdata item; on success *en, *endring and *payload (NULL for
 * annullere) describe it. */
static int
check_entry(const json_t *item, size_t idx, const struct entity **en, const char **endring,
            const json_t **payload, char *err, size_t errsz)
{
	const char *ent, *chg, *k;
	const json_t *v;
	char b1[80], b2[80];

	if (!json_is_object(item))
		return fail(err, errsz, "egenskapshendelse[%zu]: not an object", idx);
	ent = json_string_value(json_object_get(item, "entitet"));
	chg = json_string_value(json_object_get(item, "entitetsendring"));
	if (ent == NULL)
		return fail(err, errsz, "egenskapshendelse[%zu]: entitet missing or not a string", idx);
	if (chg == NULL)
		return fail(err, errsz, "egenskapshendelse[%zu]: entitetsendring missing or not a string",
		            idx);
	if ((*en = entity_by_name(ent)) == NULL)
		return fail(err, errsz, "egenskapshendelse[%zu]: unknown entitet \"%s\"%s", idx,
		            esc(b1, sizeof(b1), ent),
		            strcmp(ent, "postadresse") == 0 ? " (the entitet is kontaktadresse)"
		            : strcmp(ent, "postadresseIUtlandet") == 0
		              ? " (the entitet is kontaktadresseIUtlandet)" : "");
	if (strcmp(chg, "korrigereHistorisk") == 0)
		return fail(err, errsz, "egenskapshendelse[%zu]: entitetsendring korrigereHistorisk is "
		            "not used", idx);
	if (strcmp(chg, "registrereNy") != 0 && strcmp(chg, "korrigere") != 0 &&
	    strcmp(chg, "annullere") != 0)
		return fail(err, errsz, "egenskapshendelse[%zu]: unknown entitetsendring \"%s\"", idx,
		            esc(b1, sizeof(b1), chg));
	*endring = chg;
	*payload = NULL;
	json_object_foreach((json_t *)item, k, v) {
		if (strcmp(k, "entitet") == 0 || strcmp(k, "entitetsendring") == 0)
			continue;
		if (strcmp(k, (*en)->prop) != 0)
			return fail(err, errsz, "egenskapshendelse[%zu]: payload property \"%s\" does not "
			            "match entitet %s (expected %s)", idx, esc(b2, sizeof(b2), k),
			            (*en)->entitet, (*en)->prop);
		*payload = v;
	}
	if (strcmp(chg, "annullere") == 0) {
		if (*payload)
			return fail(err, errsz, "egenskapshendelse[%zu]: annullere carries no payload (%s)",
			            idx, (*en)->prop);
		return 0;
	}
	if (*payload == NULL)
		return fail(err, errsz, "egenskapshendelse[%zu]: %s of %s without the %s payload", idx,
		            chg, (*en)->entitet, (*en)->prop);
	if (!json_is_object(*payload))
		return fail(err, errsz, "egenskapshendelse[%zu]: %s is not an object", idx,
		            (*en)->prop);
	for (size_t m = 0; m < sizeof(metadata) / sizeof(metadata[0]); m++)
		if ((v = json_object_get(*payload, metadata[m])) && !json_is_string(v))
			return fail(err, errsz, "egenskapshendelse[%zu]: %s.%s is not a string", idx,
			            (*en)->prop, metadata[m]);
	for (size_t m = 0; m < 3 && (*en)->req[m]; m++)
		if (!json_object_get(*payload, (*en)->req[m]))
			return fail(err, errsz, "egenskapshendelse[%zu]: %s.%s is required", idx,
			            (*en)->prop, (*en)->req[m]);
	if (strcmp((*en)->prop, "identitetsgrunnlag") == 0 &&
	    !json_object_get(*payload, "legitimasjonskontroll") &&
	    !json_object_get(*payload, "identitetsgrunnlagstatus"))
		return fail(err, errsz, "egenskapshendelse[%zu]: identitetsgrunnlag."
		            "legitimasjonskontroll is required", idx);
	return 0;
}

int
freg_event_apply(const json_t *person, const json_t *egenskapshendelse, int64_t now,
                 json_t **out, char *err, size_t errsz)
{
	int r = PORTEN_ERR_INTERNAL;
	json_t *doc = NULL, *item;
	char ts[FREG_TS_LEN + 1];
	size_t i;

	if (out == NULL)
		return PORTEN_ERR_INVALID;
	*out = NULL;
	if (err && errsz)
		err[0] = '\0';
	if (!json_is_object(person))
		return fail(err, errsz, "the person document is not an object");
	if (egenskapshendelse != NULL && !json_is_array(egenskapshendelse))
		return fail(err, errsz, "egenskapshendelse is not an array");
	if (json_array_size(egenskapshendelse) > PORTEN_FREG_EVENT_ENTRIES_MAX)
		return fail(err, errsz, "egenskapshendelse has %zu items (at most %d)",
		            json_array_size(egenskapshendelse), PORTEN_FREG_EVENT_ENTRIES_MAX);
	freg_ts_format(now, 0, ts);
	if ((doc = json_copy((json_t *)person)) == NULL)
		return PORTEN_ERR_NOMEM;
	json_array_foreach(egenskapshendelse, i, item) {
		const struct entity *en = NULL;
		const char *endring = NULL;
		const json_t *payload = NULL;

		if ((r = check_entry(item, i, &en, &endring, &payload, err, errsz)) != 0)
			goto out;
		r = en->kind == E_OBJECT
		    ? apply_object(doc, en, endring, payload, ts, i, err, errsz)
		    : apply_array(doc, en, endring, payload, ts, i, err, errsz);
		if (r != 0)
			goto out;
	}
	*out = doc;
	doc = NULL;
	r = 0;
out:
	json_decref(doc);
	return r;
}

/* {"entitet": ..., "entitetsendring": "registrereNy", prop: element without erGjeldende} */
static int
append_created(json_t *list, const struct entity *en, const json_t *element)
{
	json_t *item = json_object(), *p = json_copy((json_t *)element);
	int rc = item == NULL || p == NULL;

	if (!rc) {
		json_object_del(p, "erGjeldende");
		if (strcmp(en->prop, "identitetsgrunnlag") == 0) {
			json_t *v = json_object_get(p, "identitetsgrunnlagstatus");

			if (v) {
				rc |= json_object_set(p, "legitimasjonskontroll", v);
				json_object_del(p, "identitetsgrunnlagstatus");
			}
		}
		rc |= json_object_set_new(item, "entitet", json_string(en->entitet));
		rc |= json_object_set_new(item, "entitetsendring", json_string("registrereNy"));
		rc |= json_object_set(item, en->prop, p);
		rc |= json_array_append(list, item);
	}
	json_decref(p);
	json_decref(item);
	return rc ? PORTEN_ERR_NOMEM : 0;
}

int
freg_event_created(const json_t *person, json_t **egenskapshendelse)
{
	int r = PORTEN_ERR_INTERNAL;
	json_t *list = NULL, *x;
	size_t i;

	if (egenskapshendelse == NULL)
		return PORTEN_ERR_INVALID;
	*egenskapshendelse = NULL;
	if (!json_is_object(person))
		return PORTEN_ERR_INVALID;
	if ((list = json_array()) == NULL)
		return PORTEN_ERR_NOMEM;
	/* In the table's order, so the result does not depend on member order. */
	for (size_t k = 0; k < N_ENTITIES; k++) {
		const struct entity *en = &entities[k];
		const json_t *v = json_object_get(person, en->prop);

		if (v == NULL)
			continue;
		if (en->kind == E_OBJECT) {
			if (json_is_object(v) && (is_current(v) || !json_object_get(v, "erGjeldende")) &&
			    (r = append_created(list, en, v)) != 0)
				goto out;
			continue;
		}
		json_array_foreach(v, i, x)
			if (json_is_object(x) && is_current(x) && (r = append_created(list, en, x)) != 0)
				goto out;
	}
	*egenskapshendelse = list;
	list = NULL;
	r = 0;
out:
	json_decref(list);
	return r;
}

/* ---- chosen events ---- */

static const char *const known_types[] = {
	"personErOpprettet", "endringIIdentifikasjonsnummer", "personErOppdatert",
	"personErDoed", "personErUtflyttet", "personErBosatt", "endringIStatus",
	"personErOpphoert", "personErReaktivert", "personErViderefoertSomGjeldendeVedSammenslaaing",
	"personErOpphoertSomDublett", "personErEndretVedSplitting",
	"personErGjenopprettetVedSplitting", "endringIIdentitetsgrunnlag",
	"endringIUtenlandskPersonidentifikasjon",
	"endringIUtlendingsmyndighetenesIdentifikasjonsnummer", "endringILegitimasjonsdokument",
	"endringIFalskIdentitet", "endringIKontaktopplysningerForDoedsbo", "endringIDoedsfall",
	"endringIFamilierelasjon", "endringISivilstand", "endringIKontaktinformasjon",
	"endringIBostedsadresse", "endringIBostedsadresseUtenFlytting",
	"endringIBostedsadresseVedKommuneregulering", "endringIDeltBosted",
	"endringIOppholdsadresse", "endringIAdressebeskyttelse", "endringIInnflytting",
	"endringIUtflytting", "endringIKjoenn", "endringIFoedsel", "endringIFoedselINorge",
	"endringINavn", "endringIStatsborgerskap", "endringIForeldreansvar", "endringIOpphold",
	"endringIBrukAvSamiskSpraak", "endringISametingetsValgmanntall", "endringIVergemaal",
	"endringIRettsligHandleevne", "endringIOppholdPaaSvalbard", "endringIPerson",
};

/* Names a server never emits (spec 2.7 and 10.6), with the reason. */
static const struct { const char *type, *why; } refused_types[] = {
	{ "personErViderefoertVedDublett", "an old name, now personErOpphoertSomDublett and "
	  "personErViderefoertSomGjeldendeVedSammenslaaing" },
	{ "personErEndretEtterSplitt", "an old name, now personErEndretVedSplitting" },
	{ "personErGjenopprettetEtterSplitt", "an old name, now personErGjenopprettetVedSplitting" },
	{ "endringIUtenlandskPersonidentifikasjonsnummer",
	  "an old name, now endringIUtenlandskPersonidentifikasjon" },
	{ "endringIKontaktinformasjonForDoedsbo",
	  "an old name, now endringIKontaktopplysningerForDoedsbo" },
	{ "personErInaktiv", "not emitted (d-number inactivation is endringIStatus)" },
	{ "endringIFratattRettsligHandleevne", "defined but never used (endringIRettsligHandleevne)" },
};

static const char *
known_type(const char *t)
{
	for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
		if (strcmp(known_types[i], t) == 0)
			return known_types[i];
	return NULL;
}

static int
check_pid(const json_t *v, const char *member, const char **out, char *err, size_t errsz)
{
	const char *s = json_string_value(v);

	if (s == NULL)
		return fail(err, errsz, "%s missing or not a string", member);
	if (!porten_pid_valid(s, strlen(s), PORTEN_PID_ALLOW_SYNTHETIC, NULL))
		return fail(err, errsz, "%s is not a valid identifier (11 digits, a real date, "
		            "check digits)", member);
	*out = s;
	return 0;
}

/* True when list has an identifikasjonsnummer item. */
static bool
has_entity(const json_t *list, const char *entitet)
{
	size_t i;
	json_t *x;

	json_array_foreach(list, i, x) {
		const char *e = json_string_value(json_object_get(x, "entitet"));

		if (e && strcmp(e, entitet) == 0)
			return true;
	}
	return false;
}

/* The egenskapshendelse as stored: every payload with its metadata filled in (the same
 * values freg_event_apply puts into the document), a registrereNy of the identifier
 * prepended when `pid` is given and the list has none. */
static int
normalize(const json_t *in, const char *pid, const char *ts, json_t **out)
{
	json_t *list = json_array(), *item;
	size_t i;
	int rc = list == NULL;

	if (!rc && pid && !has_entity(in, "identifikasjonsnummer")) {
		struct porten_pid_info info;
		json_t *it = json_object(), *p = json_object();

		porten_pid_valid(pid, strlen(pid), PORTEN_PID_ALLOW_SYNTHETIC, &info);
		rc |= it == NULL || p == NULL;
		if (!rc) {
			rc |= json_object_set_new(p, "foedselsEllerDNummer", json_string(pid));
			rc |= json_object_set_new(p, "identifikatortype", json_string(
			      info.kind == PORTEN_PID_DNR ? "dNummer" : "foedselsnummer"));
			rc |= json_object_set_new(p, "status", json_string("iBruk"));
			rc |= json_object_set_new(it, "entitet", json_string("identifikasjonsnummer"));
			rc |= json_object_set_new(it, "entitetsendring", json_string("registrereNy"));
			rc |= json_object_set(it, "identifikasjonsnummer", p);
			rc |= json_array_append(list, it);
		}
		json_decref(p);
		json_decref(it);
	}
	json_array_foreach(in, i, item) {
		const char *ent = json_string_value(json_object_get(item, "entitet"));
		const struct entity *en = ent ? entity_by_name(ent) : NULL;
		const char *chg = json_string_value(json_object_get(item, "entitetsendring"));
		json_t *p = en ? json_object_get(item, en->prop) : NULL, *c = NULL, *cp = NULL;

		if (rc)
			break;
		if (json_is_object(p) && chg) {
			c = json_copy(item);
			cp = json_copy(p);
			rc |= c == NULL || cp == NULL;
			if (!rc) {
				rc |= fill_metadata(cp, chg, ts);
				json_object_del(cp, "erGjeldende");
				rc |= json_object_set(c, en->prop, cp);
				rc |= json_array_append(list, c);
			}
			json_decref(cp);
			json_decref(c);
		} else {
			rc |= json_array_append(list, item);
		}
	}
	if (rc) {
		json_decref(list);
		return PORTEN_ERR_NOMEM;
	}
	*out = list;
	return 0;
}

int
freg_event_inject(freg_register *r, const json_t *req, int64_t now,
                  struct freg_ingested *out, char *err, size_t errsz)
{
	static const char *const members[] = {
		"folkeregisteridentifikator", "hendelsetype", "hendelsestype", "egenskapshendelse",
		"nyttFolkeregisteridentifikator", "opphoertSomDublettAv",
	};
	int rc = PORTEN_ERR_INTERNAL;
	const char *pid = NULL, *type = NULL, *t1, *t2, *new_pid = NULL, *merge = NULL, *k;
	const json_t *eh, *v;
	json_t *cur = NULL, *list = NULL, *doc = NULL, *empty = NULL;
	char cur_pid[12] = "", other[12] = "", ts[FREG_TS_LEN + 1], b[80];
	struct freg_ingest ev;
	bool create, dublett;

	if (err && errsz)
		err[0] = '\0';
	if (r == NULL)
		return PORTEN_ERR_INVALID;
	if (!json_is_object(req))
		return fail(err, errsz, "the event is not a JSON object");
	json_object_foreach((json_t *)req, k, v) {
		size_t m;

		for (m = 0; m < sizeof(members) / sizeof(members[0]); m++)
			if (strcmp(k, members[m]) == 0)
				break;
		if (m == sizeof(members) / sizeof(members[0]))
			return fail(err, errsz, "unknown member \"%s\"", esc(b, sizeof(b), k));
	}
	if ((rc = check_pid(json_object_get(req, "folkeregisteridentifikator"),
	                    "folkeregisteridentifikator", &pid, err, errsz)) != 0)
		return rc;
	t1 = json_string_value(json_object_get(req, "hendelsetype"));
	t2 = json_string_value(json_object_get(req, "hendelsestype"));
	if ((json_object_get(req, "hendelsetype") && !t1) ||
	    (json_object_get(req, "hendelsestype") && !t2))
		return fail(err, errsz, "hendelsetype is not a string");
	if (t1 && t2 && strcmp(t1, t2) != 0)
		return fail(err, errsz, "hendelsetype and hendelsestype differ");
	if (!t1 && !t2)
		return fail(err, errsz, "hendelsetype missing");
	if ((type = known_type(t1 ? t1 : t2)) == NULL) {
		const char *t = t1 ? t1 : t2;

		for (size_t i = 0; i < sizeof(refused_types) / sizeof(refused_types[0]); i++)
			if (strcmp(refused_types[i].type, t) == 0)
				return fail(err, errsz, "hendelsetype %s: %s", t, refused_types[i].why);
		return fail(err, errsz, "unknown hendelsetype \"%s\"", esc(b, sizeof(b), t));
	}
	create = strcmp(type, "personErOpprettet") == 0;
	dublett = strcmp(type, "personErOpphoertSomDublett") == 0;
	eh = json_object_get(req, "egenskapshendelse");
	if (eh && !json_is_array(eh))
		return fail(err, errsz, "egenskapshendelse is not an array");

	if ((v = json_object_get(req, "nyttFolkeregisteridentifikator")) != NULL) {
		if (strcmp(type, "endringIIdentifikasjonsnummer") != 0)
			return fail(err, errsz, "nyttFolkeregisteridentifikator belongs to "
			            "endringIIdentifikasjonsnummer only");
		if ((rc = check_pid(v, "nyttFolkeregisteridentifikator", &new_pid, err, errsz)) != 0)
			return rc;
	} else if (strcmp(type, "endringIIdentifikasjonsnummer") == 0) {
		return fail(err, errsz, "endringIIdentifikasjonsnummer needs "
		            "nyttFolkeregisteridentifikator");
	}
	if ((v = json_object_get(req, "opphoertSomDublettAv")) != NULL) {
		if (!dublett)
			return fail(err, errsz, "opphoertSomDublettAv belongs to personErOpphoertSomDublett "
			            "only");
		if ((rc = check_pid(v, "opphoertSomDublettAv", &merge, err, errsz)) != 0)
			return rc;
	} else if (dublett) {
		return fail(err, errsz, "personErOpphoertSomDublett needs opphoertSomDublettAv");
	}
	if (dublett && json_array_size(eh) > 0)
		return fail(err, errsz, "personErOpphoertSomDublett carries no egenskapshendelse "
		            "(the event has no person document)");
	if (create && json_array_size(eh) == 0)
		return fail(err, errsz, "personErOpprettet needs an egenskapshendelse that builds the "
		            "person");

	rc = freg_register_person(r, pid, &cur, cur_pid, NULL);
	if (create) {
		json_decref(cur);
		cur = NULL;
		if (rc == 0) {
			fail(err, errsz, "person %s already exists", pid);
			rc = PORTEN_ERR_EXISTS;
			goto out;
		}
		if (rc != PORTEN_ERR_NOT_FOUND)
			goto out;
		snprintf(cur_pid, sizeof(cur_pid), "%s", pid);
		if ((cur = json_object()) == NULL) {
			rc = PORTEN_ERR_NOMEM;
			goto out;
		}
	} else if (rc == PORTEN_ERR_NOT_FOUND) {
		fail(err, errsz, "no person with identifier %s", pid);
		goto out;
	} else if (rc != 0) {
		goto out;
	}
	if (merge) {
		json_t *d = NULL;

		rc = freg_register_person(r, merge, &d, other, NULL);
		json_decref(d);
		if (rc == PORTEN_ERR_NOT_FOUND) {
			fail(err, errsz, "no person with identifier %s (opphoertSomDublettAv)", merge);
			goto out;
		}
		if (rc != 0)
			goto out;
		if (strcmp(other, cur_pid) == 0) {
			rc = fail(err, errsz, "a person cannot be a duplicate of itself");
			goto out;
		}
	}
	if (new_pid) {
		json_t *d = NULL;

		rc = freg_register_person(r, new_pid, &d, other, NULL);
		json_decref(d);
		if (rc == 0) {
			fail(err, errsz, "identifier %s already belongs to a person", new_pid);
			rc = PORTEN_ERR_EXISTS;
			goto out;
		}
		if (rc != PORTEN_ERR_NOT_FOUND)
			goto out;
	}

	freg_ts_format(now, 0, ts);
	if ((rc = normalize(eh, create ? pid : new_pid, ts, &list)) != 0)
		goto out;
	if (!dublett && (rc = freg_event_apply(cur, list, now, &doc, err, errsz)) != 0)
		goto out;
	if (!dublett && (create || new_pid || has_entity(list, "identifikasjonsnummer"))) {
		/* the current identifier of the document must be the register's */
		const json_t *x, *idl = json_object_get(doc, "identifikasjonsnummer");
		const char *want = create ? pid : new_pid ? new_pid : cur_pid, *got = NULL;
		size_t i;

		json_array_foreach(idl, i, x)
			if (is_current(x))
				got = json_string_value(json_object_get(x, "foedselsEllerDNummer"));
		if (got == NULL || strcmp(got, want) != 0) {
			rc = fail(err, errsz, "the current identifikasjonsnummer of the person would not be "
			          "%s", want);
			goto out;
		}
	}
	if (strcmp(type, "personErOppdatert") == 0 && (empty = json_array()) == NULL) {
		rc = PORTEN_ERR_NOMEM;
		goto out;
	}

	memset(&ev, 0, sizeof(ev));
	ev.pid = cur_pid;
	ev.type = type;
	/* personErOppdatert has no payload: "fetch the latest person document" */
	ev.egenskapshendelse = empty ? empty : list;
	ev.person = dublett ? NULL : doc;
	ev.new_pid = new_pid;
	ev.merge_into = merge;
	ev.ajourhold = now;
	rc = freg_register_ingest(r, &ev, 1, out);
	if (rc == PORTEN_ERR_EXISTS)
		fail(err, errsz, "identifier %s already belongs to another person",
		     new_pid ? new_pid : pid);
	else if (rc == PORTEN_ERR_INVALID)
		fail(err, errsz, "the register refused the event");
out:
	if (rc != 0 && err && errsz && err[0] == '\0')
		snprintf(err, errsz, "%s", porten_strerror(rc));
	json_decref(cur);
	json_decref(list);
	json_decref(doc);
	json_decref(empty);
	return rc;
}
