/* lib/freg/event.c: freg_event_apply for every entitetsendring on single-valued,
 * multi-valued and object entities, every refusal with its message, freg_event_created
 * (and its round trip through apply on generated persons), and freg_event_inject
 * through a real register in a temporary directory (an annulled death, a new
 * identifier, a duplicate merge and the refusals). */
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

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/freg.h"
#include "porten/freg_event.h"
#include "porten/freg_gen.h"
#include "porten/ident.h"
#include "porten/limits.h"
#include "porten/register.h"

#define NOW INT64_C(1735689600)              /* 2025-01-01T00:00:00Z */
#define NOW_TS "2025-01-01T01:00:00.000+01:00"

/* ---- helpers ---- */

static json_t *
J(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);

	if (j == NULL)
		fail_msg("bad test JSON %s: %s", text, err.text);
	return j;
}

static char *
dump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	assert_non_null(s);
	return s;
}

/* Applies eh (JSON text) to person and checks that person did not change. */
static json_t *
apply_ok(const json_t *person, const char *eh)
{
	json_t *e = J(eh), *out = NULL;
	char err[256] = "", *before = dump(person), *after;
	int r = freg_event_apply(person, e, NOW, &out, err, sizeof(err));

	if (r != 0)
		fail_msg("apply %s: %d %s", eh, r, err);
	after = dump(person);
	assert_string_equal(before, after);
	free(before);
	free(after);
	json_decref(e);
	assert_non_null(out);
	return out;
}

/* Applies and expects PORTEN_ERR_INVALID with exactly msg. */
static void
apply_err(const json_t *person, const char *eh, const char *msg)
{
	json_t *e = J(eh), *out = (json_t *)1;
	char err[256] = "";
	int r = freg_event_apply(person, e, NOW, &out, err, sizeof(err));

	if (r != PORTEN_ERR_INVALID)
		fail_msg("apply %s: %d, expected PORTEN_ERR_INVALID", eh, r);
	assert_null(out);
	assert_string_equal(err, msg);
	json_decref(e);
}

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const json_t *
at(const json_t *doc, const char *key, size_t i)
{
	return json_array_get(json_object_get(doc, key), i);
}

static bool
current(const json_t *e)
{
	return json_is_true(json_object_get(e, "erGjeldende"));
}

static size_t
ncurrent(const json_t *doc, const char *key)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(json_object_get(doc, key), i, e)
		n += current(e);
	return n;
}

static const char *PERSON =
	"{\"identifikasjonsnummer\": [{\"foedselsEllerDNummer\": \"01814099950\","
	"  \"identifikatortype\": \"foedselsnummer\", \"status\": \"iBruk\", \"erGjeldende\": true}],"
	" \"status\": [{\"status\": \"bosatt\", \"erGjeldende\": true,"
	"  \"gyldighetstidspunkt\": \"1940-01-01T00:00:00.000+01:00\"}],"
	" \"navn\": [{\"fornavn\": \"Kari\", \"etternavn\": \"Nordmann\", \"erGjeldende\": true,"
	"   \"kilde\": \"Synutopia\", \"aarsak\": \"Grunnbefolkning\","
	"   \"ajourholdstidspunkt\": \"2000-01-01T10:00:00.000+01:00\","
	"   \"gyldighetstidspunkt\": \"2000-01-01T00:00:00.000+01:00\"},"
	"  {\"fornavn\": \"Kari\", \"etternavn\": \"Hansen\", \"erGjeldende\": false,"
	"   \"gyldighetstidspunkt\": \"1940-01-01T00:00:00.000+01:00\"}],"
	" \"statsborgerskap\": [{\"statsborgerskap\": \"NOR\", \"erGjeldende\": true}],"
	" \"familierelasjon\": ["
	"  {\"relatertPerson\": \"01017012345\", \"relatertPersonsRolle\": \"barn\","
	"   \"minRolleForPerson\": \"mor\", \"erGjeldende\": true},"
	"  {\"relatertPerson\": \"02017012345\", \"relatertPersonsRolle\": \"barn\","
	"   \"minRolleForPerson\": \"mor\", \"erGjeldende\": true}],"
	" \"bostedsadresse\": [{\"adressegradering\": \"ugradert\", \"vegadresse\": "
	"   {\"adressenavn\": \"Storgata\", \"kommunenummer\": \"0301\"}, \"erGjeldende\": true,"
	"   \"gyldighetstidspunkt\": \"2010-01-01T00:00:00.000+01:00\"}]}";

/* ---- registrereNy ---- */

static void
test_registrere_ny_single(void **state)
{
	json_t *p = J(PERSON), *o;
	const json_t *e;

	o = apply_ok(p, "[{\"entitet\": \"navn\", \"entitetsendring\": \"registrereNy\","
	                "  \"navn\": {\"fornavn\": \"Kari\", \"etternavn\": \"Berg\"}}]");
	assert_int_equal(json_array_size(json_object_get(o, "navn")), 3);
	assert_int_equal(ncurrent(o, "navn"), 1);
	/* the new one first, current, metadata filled in from now */
	e = at(o, "navn", 0);
	assert_string_equal(str(e, "etternavn"), "Berg");
	assert_true(current(e));
	assert_string_equal(str(e, "ajourholdstidspunkt"), NOW_TS);
	assert_string_equal(str(e, "gyldighetstidspunkt"), NOW_TS);
	assert_string_equal(str(e, "kilde"), "Synutopia");
	assert_string_equal(str(e, "aarsak"), "Endring");
	assert_null(json_object_get(e, "opphoerstidspunkt"));
	/* the old current one is history, ended when the new one took effect */
	e = at(o, "navn", 1);
	assert_string_equal(str(e, "etternavn"), "Nordmann");
	assert_false(current(e));
	assert_string_equal(str(e, "opphoerstidspunkt"), NOW_TS);
	assert_string_equal(str(e, "aarsak"), "Grunnbefolkning");
	e = at(o, "navn", 2);
	assert_string_equal(str(e, "etternavn"), "Hansen");
	assert_null(json_object_get(e, "opphoerstidspunkt"));
	/* other entities untouched (the same values) */
	assert_ptr_equal(json_object_get(o, "status"), json_object_get(p, "status"));
	json_decref(o);

	/* metadata from the payload is kept */
	o = apply_ok(p, "[{\"entitet\": \"status\", \"entitetsendring\": \"registrereNy\","
	                "  \"status\": {\"status\": \"utflyttet\", \"kilde\": \"KILDE_DSF\","
	                "   \"aarsak\": \"Utflytting\", \"ajourholdstidspunkt\":"
	                " \"2024-01-02T03:04:05.6+01:00\","
	                "   \"gyldighetstidspunkt\": \"2024-01-01T00:00:00+01:00\"}}]");
	e = at(o, "status", 0);
	assert_string_equal(str(e, "kilde"), "KILDE_DSF");
	assert_string_equal(str(e, "aarsak"), "Utflytting");
	assert_string_equal(str(e, "ajourholdstidspunkt"), "2024-01-02T03:04:05.6+01:00");
	assert_string_equal(str(at(o, "status", 1), "opphoerstidspunkt"),
	                    "2024-01-01T00:00:00+01:00");
	json_decref(o);

	/* a new entity creates its array */
	o = apply_ok(p, "[{\"entitet\": \"kjoenn\", \"entitetsendring\": \"registrereNy\","
	                "  \"kjoenn\": {\"kjoenn\": \"kvinne\"}}]");
	assert_int_equal(json_array_size(json_object_get(o, "kjoenn")), 1);
	assert_true(current(at(o, "kjoenn", 0)));
	json_decref(o);
	json_decref(p);
}

static void
test_registrere_ny_multi(void **state)
{
	json_t *p = J(PERSON), *o;

	o = apply_ok(p, "[{\"entitet\": \"statsborgerskap\", \"entitetsendring\": \"registrereNy\","
	                "  \"statsborgerskap\": {\"statsborgerskap\": \"SWE\"}}]");
	assert_int_equal(json_array_size(json_object_get(o, "statsborgerskap")), 2);
	assert_int_equal(ncurrent(o, "statsborgerskap"), 2);
	assert_string_equal(str(at(o, "statsborgerskap", 0), "statsborgerskap"), "NOR");
	assert_string_equal(str(at(o, "statsborgerskap", 1), "statsborgerskap"), "SWE");
	assert_null(json_object_get(at(o, "statsborgerskap", 0), "opphoerstidspunkt"));
	json_decref(o);

	o = apply_ok(p, "[{\"entitet\": \"familierelasjon\", \"entitetsendring\": \"registrereNy\","
	                "  \"familierelasjon\": {\"relatertPerson\": \"03017012345\","
	                "   \"relatertPersonsRolle\": \"barn\", \"minRolleForPerson\": \"mor\"}}]");
	assert_int_equal(ncurrent(o, "familierelasjon"), 3);
	assert_string_equal(str(at(o, "familierelasjon", 2), "relatertPerson"), "03017012345");
	json_decref(o);

	/* the other multi-valued entities add too */
	o = apply_ok(p, "[{\"entitet\": \"vergemaalEllerFremtidsfullmakt\","
	                "  \"entitetsendring\": \"registrereNy\", \"vergemaalEllerFremtidsfullmakt\":"
	                "  {\"vergemaaltype\": \"voksen\", \"verge\": {\"foedselsEllerDNummer\":"
	                " \"01017012345\"}}},"
	                " {\"entitet\": \"vergemaalEllerFremtidsfullmakt\","
	                "  \"entitetsendring\": \"registrereNy\", \"vergemaalEllerFremtidsfullmakt\":"
	                "  {\"vergemaaltype\": \"voksen\", \"verge\": {\"foedselsEllerDNummer\":"
	                " \"02017012345\"}}},"
	                " {\"entitet\": \"foreldreansvar\", \"entitetsendring\": \"registrereNy\","
	                "  \"foreldreansvar\": {\"ansvar\": \"mor\", \"ansvarssubjekt\":"
	                " \"01017012345\"}},"
	                " {\"entitet\": \"foreldreansvar\", \"entitetsendring\": \"registrereNy\","
	                "  \"foreldreansvar\": {\"ansvar\": \"mor\", \"ansvarssubjekt\":"
	                " \"02017012345\"}},"
	                " {\"entitet\": \"deltBosted\", \"entitetsendring\": \"registrereNy\","
	                "  \"deltBosted\": {\"adressegradering\": \"ugradert\","
	                " \"startdatoForKontrakt\": \"2024-01-01\"}},"
	                " {\"entitet\": \"deltBosted\", \"entitetsendring\": \"registrereNy\","
	                "  \"deltBosted\": {\"adressegradering\": \"ugradert\","
	                " \"startdatoForKontrakt\": \"2024-06-01\"}},"
	                " {\"entitet\": \"legitimasjonsdokument\", \"entitetsendring\": \"registrereNy\","
	                "  \"legitimasjonsdokument\": {\"identifikasjonsdokumenttype\": \"pass\","
	                "   \"utstederland\": \"SWE\", \"identifikasjonsdokumentnummer\": \"AB1\"}},"
	                " {\"entitet\": \"legitimasjonsdokument\", \"entitetsendring\": \"registrereNy\","
	                "  \"legitimasjonsdokument\": {\"identifikasjonsdokumenttype\": \"pass\","
	                "   \"utstederland\": \"SWE\", \"identifikasjonsdokumentnummer\": \"AB2\"}},"
	                " {\"entitet\": \"utenlandskPersonidentifikasjon\", \"entitetsendring\":"
	                " \"registrereNy\","
	                "  \"utenlandskPersonidentifikasjon\": {\"identifikasjonsnummer\": \"1\","
	                "   \"identifikasjonsnummertype\": \"x\", \"utstederland\": \"SWE\"}},"
	                " {\"entitet\": \"utenlandskPersonidentifikasjon\", \"entitetsendring\":"
	                " \"registrereNy\","
	                "  \"utenlandskPersonidentifikasjon\": {\"identifikasjonsnummer\": \"2\","
	                "   \"identifikasjonsnummertype\": \"x\", \"utstederland\": \"DNK\"}}]");
	assert_int_equal(ncurrent(o, "vergemaalEllerFremtidsfullmakt"), 2);
	assert_int_equal(ncurrent(o, "foreldreansvar"), 2);
	assert_int_equal(ncurrent(o, "deltBosted"), 2);
	assert_int_equal(ncurrent(o, "legitimasjonsdokument"), 2);
	assert_int_equal(ncurrent(o, "utenlandskPersonidentifikasjon"), 2);
	json_decref(o);
	json_decref(p);
}

/* Every single-valued entity keeps exactly one current element after two registrereNy. */
static void
test_single_valued_all(void **state)
{
	static const struct { const char *entitet, *prop, *payload; } t[] = {
		{ "identifikasjonsnummer", "identifikasjonsnummer",
		  "{\"foedselsEllerDNummer\": \"01017012345\", \"identifikatortype\": \"foedselsnummer\","
		  " \"status\": \"iBruk\"}" },
		{ "status", "status", "{\"status\": \"bosatt\"}" },
		{ "navn", "navn", "{\"fornavn\": \"A\", \"etternavn\": \"B\"}" },
		{ "kjoenn", "kjoenn", "{\"kjoenn\": \"mann\"}" },
		{ "foedsel", "foedsel", "{\"foedselsaar\": \"1970\"}" },
		{ "foedselINorge", "foedselINorge", "{\"rekkefoelgenummer\": 21}" },
		{ "sivilstand", "sivilstand", "{\"sivilstand\": \"gift\"}" },
		{ "bostedsadresse", "bostedsadresse", "{\"adressegradering\": \"ugradert\"}" },
		{ "oppholdsadresse", "oppholdsadresse", "{\"adressegradering\": \"ugradert\"}" },
		{ "kontaktadresse", "postadresse", "{\"adressegradering\": \"ugradert\"}" },
		{ "kontaktadresseIUtlandet", "postadresseIUtlandet", "{\"adressegradering\": \"ugradert\"}" },
		{ "adressebeskyttelse", "adressebeskyttelse", "{\"graderingsnivaa\": \"fortrolig\"}" },
		{ "identitetsgrunnlag", "identitetsgrunnlag", "{\"legitimasjonskontroll\": \"kontrollert\"}" },
		{ "kontaktinformasjonForDoedsbo", "kontaktinformasjonForDoedsbo",
		  "{\"skifteform\": \"offentlig\", \"attestutstedelsesdato\": \"2024-01-01\","
		  " \"adresse\": {\"adresselinje\": [\"X 1\"], \"poststedsnavn\": \"OSLO\", \"postnummer\":"
		  " \"0150\"}}" },
		{ "innflytting", "innflytting", "{\"fraflyttingsland\": \"SWE\"}" },
		{ "utflytting", "utflytting", "{\"tilflyttingsland\": \"SWE\"}" },
		{ "opphold", "opphold", "{\"oppholdstillatelse\": \"permanent\"}" },
		{ "bibehold", "bibehold", "{\"bibeholdstatus\": \"harBibehold\"}" },
		{ "brukAvSamiskSpraak", "brukAvSamiskSpraak", "{\"spraak\": [\"nordsamisk\"]}" },
		{ "forholdTilSametingetsValgmanntall", "forholdTilSametingetsValgmanntall",
		  "{\"forhold\": \"innmeldt\", \"vedtaksdato\": \"2020-01-01\"}" },
		{ "oppholdPaaSvalbard", "oppholdPaaSvalbard", "{\"antattOppholdsvarighet\": \"ukjent\"}" },
		{ "rettsligHandleevne", "rettsligHandleevne", "{\"rettsligHandleevneomfang\": \"x\"}" },
	};
	json_t *p = json_object(), *o1, *o2;
	char eh[1024];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(eh, sizeof(eh), "[{\"entitet\": \"%s\", \"entitetsendring\": \"registrereNy\","
		         " \"%s\": %s}]", t[i].entitet, t[i].prop, t[i].payload);
		o1 = apply_ok(p, eh);
		o2 = apply_ok(o1, eh);
		assert_int_equal(json_array_size(json_object_get(o2, t[i].prop)), 2);
		if (ncurrent(o2, t[i].prop) != 1)
			fail_msg("%s: %zu current", t[i].entitet, ncurrent(o2, t[i].prop));
		assert_false(current(at(o2, t[i].prop, 1)));
		json_decref(o1);
		json_decref(o2);
	}
	json_decref(p);
}

/* kontaktadresse/kontaktadresseIUtlandet are postadresse/postadresseIUtlandet;
 * identitetsgrunnlag.legitimasjonskontroll is identitetsgrunnlagstatus. */
static void
test_names(void **state)
{
	json_t *p = json_object(), *o, *eh = NULL;
	const json_t *e;

	o = apply_ok(p, "[{\"entitet\": \"kontaktadresse\", \"entitetsendring\": \"registrereNy\","
	                "  \"postadresse\": {\"adressegradering\": \"ugradert\","
	                "   \"postboksadresse\": {\"postboks\": \"Postboks 1\"}}},"
	                " {\"entitet\": \"kontaktadresseIUtlandet\", \"entitetsendring\":"
	                " \"registrereNy\","
	                "  \"postadresseIUtlandet\": {\"adressegradering\": \"ugradert\","
	                "   \"utenlandskAdresse\": {\"landkode\": \"SE\"}}},"
	                " {\"entitet\": \"identitetsgrunnlag\", \"entitetsendring\": \"registrereNy\","
	                "  \"identitetsgrunnlag\": {\"legitimasjonskontroll\": \"kontrollert\"}}]");
	assert_true(current(at(o, "postadresse", 0)));
	assert_true(current(at(o, "postadresseIUtlandet", 0)));
	assert_null(json_object_get(o, "kontaktadresse"));
	e = at(o, "identitetsgrunnlag", 0);
	assert_string_equal(str(e, "identitetsgrunnlagstatus"), "kontrollert");
	assert_null(json_object_get(e, "legitimasjonskontroll"));
	/* and back in the creation event */
	assert_int_equal(freg_event_created(o, &eh), 0);
	assert_int_equal(json_array_size(eh), 3);
	for (size_t i = 0; i < 3; i++) {
		const json_t *it = json_array_get(eh, i);
		const char *ent = str(it, "entitet");

		assert_string_equal(str(it, "entitetsendring"), "registrereNy");
		if (strcmp(ent, "identitetsgrunnlag") == 0) {
			e = json_object_get(it, "identitetsgrunnlag");
			assert_string_equal(str(e, "legitimasjonskontroll"), "kontrollert");
			assert_null(json_object_get(e, "identitetsgrunnlagstatus"));
			assert_null(json_object_get(e, "erGjeldende"));
		} else if (strcmp(ent, "kontaktadresse") == 0) {
			assert_non_null(json_object_get(it, "postadresse"));
		} else {
			assert_string_equal(ent, "kontaktadresseIUtlandet");
			assert_non_null(json_object_get(it, "postadresseIUtlandet"));
		}
	}
	json_decref(eh);
	json_decref(o);
	json_decref(p);
}

/* ---- korrigere ---- */

static void
test_korrigere(void **state)
{
	json_t *p = J(PERSON), *o;
	const json_t *e;

	/* single: the current element is replaced in place, no history */
	o = apply_ok(p, "[{\"entitet\": \"navn\", \"entitetsendring\": \"korrigere\","
	                "  \"navn\": {\"fornavn\": \"Karin\", \"etternavn\": \"Nordmann\"}}]");
	assert_int_equal(json_array_size(json_object_get(o, "navn")), 2);
	e = at(o, "navn", 0);
	assert_string_equal(str(e, "fornavn"), "Karin");
	assert_true(current(e));
	assert_string_equal(str(e, "aarsak"), "Korrigering");
	assert_string_equal(str(at(o, "navn", 1), "etternavn"), "Hansen");
	assert_null(json_object_get(at(o, "navn", 1), "opphoerstidspunkt"));
	json_decref(o);

	/* multi: the element with the same key */
	o = apply_ok(p, "[{\"entitet\": \"familierelasjon\", \"entitetsendring\": \"korrigere\","
	                "  \"familierelasjon\": {\"relatertPerson\": \"02017012345\","
	                "   \"relatertPersonsRolle\": \"barn\", \"minRolleForPerson\": \"far\"}}]");
	assert_int_equal(json_array_size(json_object_get(o, "familierelasjon")), 2);
	assert_string_equal(str(at(o, "familierelasjon", 0), "minRolleForPerson"), "mor");
	assert_string_equal(str(at(o, "familierelasjon", 1), "minRolleForPerson"), "far");
	assert_int_equal(ncurrent(o, "familierelasjon"), 2);
	json_decref(o);
	/* no key match among two current elements */
	apply_err(p, "[{\"entitet\": \"familierelasjon\", \"entitetsendring\": \"korrigere\","
	             "  \"familierelasjon\": {\"relatertPerson\": \"09017012345\","
	             "   \"relatertPersonsRolle\": \"barn\"}}]",
	          "egenskapshendelse[0]: korrigere of familierelasjon: no current element with the "
	          "same key");
	/* the only current element when the key does not match */
	o = apply_ok(p, "[{\"entitet\": \"statsborgerskap\", \"entitetsendring\": \"korrigere\","
	                "  \"statsborgerskap\": {\"statsborgerskap\": \"DNK\"}}]");
	assert_int_equal(json_array_size(json_object_get(o, "statsborgerskap")), 1);
	assert_string_equal(str(at(o, "statsborgerskap", 0), "statsborgerskap"), "DNK");
	json_decref(o);
	/* nothing to correct */
	apply_err(p, "[{\"entitet\": \"sivilstand\", \"entitetsendring\": \"korrigere\","
	             "  \"sivilstand\": {\"sivilstand\": \"gift\"}}]",
	          "egenskapshendelse[0]: korrigere of sivilstand: no current element");
	json_decref(p);
}

/* ---- annullere ---- */

static void
test_annullere(void **state)
{
	json_t *p = J(PERSON), *o, *o2;
	const json_t *e;

	/* single: the current one goes, the latest historical one is current again */
	o = apply_ok(p, "[{\"entitet\": \"navn\", \"entitetsendring\": \"registrereNy\","
	                "  \"navn\": {\"fornavn\": \"Kari\", \"etternavn\": \"Berg\"}}]");
	o2 = apply_ok(o, "[{\"entitet\": \"navn\", \"entitetsendring\": \"annullere\"}]");
	assert_int_equal(json_array_size(json_object_get(o2, "navn")), 2);
	e = at(o2, "navn", 0);
	assert_string_equal(str(e, "etternavn"), "Nordmann");
	assert_true(current(e));
	assert_null(json_object_get(e, "opphoerstidspunkt"));
	assert_false(current(at(o2, "navn", 1)));
	/* registrereNy then annullere gives the document back */
	assert_true(json_equal(o2, p));
	json_decref(o2);
	json_decref(o);

	/* the last element: the entity disappears */
	o = apply_ok(p, "[{\"entitet\": \"bostedsadresse\", \"entitetsendring\": \"annullere\"}]");
	assert_null(json_object_get(o, "bostedsadresse"));
	json_decref(o);

	/* multi: the last current element */
	o = apply_ok(p, "[{\"entitet\": \"familierelasjon\", \"entitetsendring\": \"annullere\"}]");
	assert_int_equal(json_array_size(json_object_get(o, "familierelasjon")), 1);
	assert_string_equal(str(at(o, "familierelasjon", 0), "relatertPerson"), "01017012345");
	assert_true(current(at(o, "familierelasjon", 0)));
	json_decref(o);

	apply_err(p, "[{\"entitet\": \"sivilstand\", \"entitetsendring\": \"annullere\"}]",
	          "egenskapshendelse[0]: annullere of sivilstand: no current element");
	json_decref(p);
}

/* identifikasjonsnummer: the replaced identifier is opphoert, an annulment restores it */
static void
test_identifier(void **state)
{
	json_t *p = J(PERSON), *o, *o2;

	o = apply_ok(p, "[{\"entitet\": \"identifikasjonsnummer\", \"entitetsendring\": \"registrereNy\","
	                "  \"identifikasjonsnummer\": {\"foedselsEllerDNummer\": \"01017012345\","
	                "   \"identifikatortype\": \"foedselsnummer\", \"status\": \"iBruk\"}}]");
	assert_string_equal(str(at(o, "identifikasjonsnummer", 0), "foedselsEllerDNummer"),
	                    "01017012345");
	assert_string_equal(str(at(o, "identifikasjonsnummer", 1), "status"), "opphoert");
	assert_false(current(at(o, "identifikasjonsnummer", 1)));
	o2 = apply_ok(o, "[{\"entitet\": \"identifikasjonsnummer\", \"entitetsendring\": \"annullere\"}]");
	assert_true(json_equal(o2, p));
	json_decref(o2);
	json_decref(o);
	json_decref(p);
}

/* A payload with opphoerstidspunkt ends the current fact. */
static void
test_cessation(void **state)
{
	json_t *p = J(PERSON), *o;
	const json_t *e;

	o = apply_ok(p, "[{\"entitet\": \"bostedsadresse\", \"entitetsendring\": \"registrereNy\","
	                "  \"bostedsadresse\": {\"adressegradering\": \"ugradert\", \"vegadresse\":"
	                "   {\"adressenavn\": \"Storgata\", \"kommunenummer\": \"0301\"},"
	                "   \"gyldighetstidspunkt\": \"2010-01-01T00:00:00.000+01:00\","
	                "   \"opphoerstidspunkt\": \"2024-12-31T00:00:00.000+01:00\"}}]");
	assert_int_equal(json_array_size(json_object_get(o, "bostedsadresse")), 1);
	e = at(o, "bostedsadresse", 0);
	assert_false(current(e));
	assert_string_equal(str(e, "opphoerstidspunkt"), "2024-12-31T00:00:00.000+01:00");
	json_decref(o);

	/* multi-valued: the current element with the same key ends */
	o = apply_ok(p, "[{\"entitet\": \"familierelasjon\", \"entitetsendring\": \"registrereNy\","
	                "  \"familierelasjon\": {\"relatertPerson\": \"01017012345\","
	                "   \"relatertPersonsRolle\": \"barn\", \"minRolleForPerson\": \"mor\","
	                "   \"opphoerstidspunkt\": \"2024-12-31T00:00:00.000+01:00\"}}]");
	assert_int_equal(json_array_size(json_object_get(o, "familierelasjon")), 2);
	assert_false(current(at(o, "familierelasjon", 0)));
	assert_true(current(at(o, "familierelasjon", 1)));
	json_decref(o);
	json_decref(p);
}

/* doedsfall and falskIdentitet are objects. */
static void
test_objects(void **state)
{
	json_t *p = J(PERSON), *o, *o2, *o3;
	const json_t *d;

	o = apply_ok(p, "[{\"entitet\": \"doedsfall\", \"entitetsendring\": \"registrereNy\","
	                "  \"doedsfall\": {\"doedsdato\": \"2024-12-30\"}},"
	                " {\"entitet\": \"falskIdentitet\", \"entitetsendring\": \"registrereNy\","
	                "  \"falskIdentitet\": {\"erFalsk\": true}}]");
	d = json_object_get(o, "doedsfall");
	assert_true(json_is_object(d));
	assert_string_equal(str(d, "doedsdato"), "2024-12-30");
	assert_true(current(d));
	assert_string_equal(str(d, "kilde"), "Synutopia");
	assert_true(json_is_object(json_object_get(o, "falskIdentitet")));
	o2 = apply_ok(o, "[{\"entitet\": \"doedsfall\", \"entitetsendring\": \"korrigere\","
	                 "  \"doedsfall\": {\"doedsdato\": \"2024-12-29\"}}]");
	assert_string_equal(str(json_object_get(o2, "doedsfall"), "doedsdato"), "2024-12-29");
	o3 = apply_ok(o2, "[{\"entitet\": \"doedsfall\", \"entitetsendring\": \"annullere\"},"
	                  " {\"entitet\": \"falskIdentitet\", \"entitetsendring\": \"annullere\"}]");
	assert_null(json_object_get(o3, "doedsfall"));
	assert_null(json_object_get(o3, "falskIdentitet"));
	assert_true(json_equal(o3, p));
	apply_err(p, "[{\"entitet\": \"doedsfall\", \"entitetsendring\": \"korrigere\","
	             "  \"doedsfall\": {\"doedsdato\": \"2024-12-29\"}}]",
	          "egenskapshendelse[0]: korrigere of doedsfall: the person has none");
	apply_err(p, "[{\"entitet\": \"falskIdentitet\", \"entitetsendring\": \"annullere\"}]",
	          "egenskapshendelse[0]: annullere of falskIdentitet: the person has none");
	json_decref(o3);
	json_decref(o2);
	json_decref(o);
	json_decref(p);
}

/* ---- refusals ---- */

static void
test_refusals(void **state)
{
	json_t *p = J(PERSON), *big, *out = NULL, *notobj = json_array();
	char err[256];

	apply_err(p, "[{\"entitet\": \"skonummer\", \"entitetsendring\": \"registrereNy\","
	             "  \"skonummer\": {}}]",
	          "egenskapshendelse[0]: unknown entitet \"skonummer\"");
	apply_err(p, "[{\"entitet\": \"postadresse\", \"entitetsendring\": \"registrereNy\","
	             "  \"postadresse\": {\"adressegradering\": \"ugradert\"}}]",
	          "egenskapshendelse[0]: unknown entitet \"postadresse\" (the entitet is "
	          "kontaktadresse)");
	apply_err(p, "[{\"entitet\": \"navn\", \"entitetsendring\": \"slette\"}]",
	          "egenskapshendelse[0]: unknown entitetsendring \"slette\"");
	apply_err(p, "[{\"entitet\": \"navn\", \"entitetsendring\": \"korrigereHistorisk\","
	             "  \"navn\": {\"fornavn\": \"A\", \"etternavn\": \"B\"}}]",
	          "egenskapshendelse[0]: entitetsendring korrigereHistorisk is not used");
	apply_err(p, "[{\"entitet\": \"navn\", \"entitetsendring\": \"annullere\","
	             "  \"navn\": {\"fornavn\": \"A\", \"etternavn\": \"B\"}}]",
	          "egenskapshendelse[0]: annullere carries no payload (navn)");
	apply_err(p, "[{\"entitet\": \"navn\", \"entitetsendring\": \"registrereNy\","
	             "  \"sivilstand\": {\"sivilstand\": \"gift\"}}]",
	          "egenskapshendelse[0]: payload property \"sivilstand\" does not match entitet navn "
	          "(expected navn)");
	apply_err(p, "[{\"entitet\": \"kontaktadresse\", \"entitetsendring\": \"registrereNy\","
	             "  \"kontaktadresse\": {\"adressegradering\": \"ugradert\"}}]",
	          "egenskapshendelse[0]: payload property \"kontaktadresse\" does not match entitet "
	          "kontaktadresse (expected postadresse)");
	apply_err(p, "[{\"entitet\": \"navn\", \"entitetsendring\": \"registrereNy\"}]",
	          "egenskapshendelse[0]: registrereNy of navn without the navn payload");
	apply_err(p, "[{\"entitet\": \"navn\", \"entitetsendring\": \"korrigere\", \"navn\": []}]",
	          "egenskapshendelse[0]: navn is not an object");
	apply_err(p, "[{\"entitet\": \"navn\", \"entitetsendring\": \"registrereNy\","
	             "  \"navn\": {\"fornavn\": \"A\"}}]",
	          "egenskapshendelse[0]: navn.etternavn is required");
	apply_err(p, "[{\"entitet\": \"identitetsgrunnlag\", \"entitetsendring\": \"registrereNy\","
	             "  \"identitetsgrunnlag\": {}}]",
	          "egenskapshendelse[0]: identitetsgrunnlag.legitimasjonskontroll is required");
	apply_err(p, "[{\"entitet\": \"navn\", \"entitetsendring\": \"registrereNy\","
	             "  \"navn\": {\"fornavn\": \"A\", \"etternavn\": \"B\", \"kilde\": 7}}]",
	          "egenskapshendelse[0]: navn.kilde is not a string");
	apply_err(p, "[{\"entitetsendring\": \"registrereNy\"}]",
	          "egenskapshendelse[0]: entitet missing or not a string");
	apply_err(p, "[{\"entitet\": \"navn\"}]",
	          "egenskapshendelse[0]: entitetsendring missing or not a string");
	apply_err(p, "[{\"entitet\": \"kjoenn\", \"entitetsendring\": \"registrereNy\","
	             "  \"kjoenn\": {\"kjoenn\": \"mann\"}}, 7]",
	          "egenskapshendelse[1]: not an object");
	apply_err(p, "{}", "egenskapshendelse is not an array");
	/* an untrusted name is escaped in the message */
	apply_err(p, "[{\"entitet\": \"a\\\"b\\n\", \"entitetsendring\": \"registrereNy\"}]",
	          "egenskapshendelse[0]: unknown entitet \"a\\x22b\\x0a\"");

	/* the number of items is bounded */
	big = json_array();
	for (int i = 0; i <= PORTEN_FREG_EVENT_ENTRIES_MAX; i++)
		json_array_append_new(big, json_pack("{s:s, s:s, s:{s:s}}", "entitet", "kjoenn",
		                                     "entitetsendring", "registrereNy", "kjoenn",
		                                     "kjoenn", "mann"));
	assert_int_equal(freg_event_apply(p, big, NOW, &out, err, sizeof(err)), PORTEN_ERR_INVALID);
	assert_string_equal(err, "egenskapshendelse has 65 items (at most 64)");
	json_array_remove(big, 0);
	assert_int_equal(freg_event_apply(p, big, NOW, &out, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(out, "kjoenn")), 64);
	assert_int_equal(ncurrent(out, "kjoenn"), 1);
	json_decref(out);
	json_decref(big);

	/* a person document that is not an object; an entity that is not an array */
	assert_int_equal(freg_event_apply(notobj, NULL, NOW, &out, err, sizeof(err)),
	                 PORTEN_ERR_INVALID);
	assert_string_equal(err, "the person document is not an object");
	{
		json_t *bad = J("{\"navn\": {\"fornavn\": \"A\"}}");

		apply_err(bad, "[{\"entitet\": \"navn\", \"entitetsendring\": \"annullere\"}]",
		          "person document: navn is not an array");
		json_decref(bad);
	}
	/* NULL and [] change nothing */
	assert_int_equal(freg_event_apply(p, NULL, NOW, &out, err, sizeof(err)), 0);
	assert_true(json_equal(out, p));
	json_decref(out);
	json_decref(notobj);
	json_decref(p);
}

/* ---- freg_event_created ---- */

static bool
has_current(const json_t *v)
{
	size_t i;
	json_t *e;

	json_array_foreach(v, i, e)
		if (current(e))
			return true;
	return false;
}

/* The current part of a document: historical elements dropped. */
static json_t *
current_part(const json_t *doc)
{
	json_t *o = json_object(), *v, *e;
	const char *k;
	size_t i;

	json_object_foreach((json_t *)doc, k, v) {
		if (json_is_object(v)) {
			json_object_set(o, k, v);
			continue;
		}
		if (!has_current(v))
			continue;
		json_t *a = json_array();

		json_array_foreach(v, i, e)
			if (current(e))
				json_array_append(a, e);
		json_object_set_new(o, k, a);
	}
	return o;
}

static int
sink_created(void *ctx, const char *pid, const json_t *person)
{
	size_t *n = ctx;
	json_t *eh = NULL, *empty = json_object(), *out = NULL, *want;
	char err[256];
	size_t i;
	json_t *it;

	assert_int_equal(freg_event_created(person, &eh), 0);
	assert_true(json_array_size(eh) <= PORTEN_FREG_EVENT_ENTRIES_MAX);
	json_array_foreach(eh, i, it) {
		assert_string_equal(str(it, "entitetsendring"), "registrereNy");
		assert_int_equal(json_object_size(it), 3);
	}
	if (freg_event_apply(empty, eh, NOW, &out, err, sizeof(err)) != 0)
		fail_msg("%s: %s", pid, err);
	want = current_part(person);
	if (!json_equal(out, want)) {
		char *a = dump(out), *b = dump(want);

		fail_msg("%s: created+apply differs:\n%s\n%s", pid, a, b);
	}
	json_decref(want);
	json_decref(out);
	json_decref(empty);
	json_decref(eh);
	(*n)++;
	return 0;
}

/* apply(created(p), {}) is the current part of p, for generated persons of every kind. */
static void
test_created_roundtrip(void **state)
{
	struct freg_gen_opts o;
	size_t n = 0;
	json_t *eh = NULL;

	freg_gen_opts_init(&o);
	o.persons = 1200;
	o.now = NOW;
	assert_int_equal(freg_gen_population(&o, sink_created, &n), 0);
	assert_int_equal(n, 1200);
	assert_int_equal(freg_event_created(NULL, &eh), PORTEN_ERR_INVALID);
}

/* ---- freg_event_inject through a register ---- */

struct fx {
	char dir[64];
	char uri[160];
	freg_register *r;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/porten-event-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->uri, sizeof(f->uri), "sqlite:%s/reg.db", f->dir);
	porten_clock_pin(NOW + 3600);
	if (freg_register_open(f->uri, &f->r) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	static const char *names[] = { "reg.db", "reg.db-wal", "reg.db-shm", "reg.db-journal" };
	char p[256];

	freg_register_close(f->r);
	porten_clock_pin(0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, names[i]);
		unlink(p);
	}
	if (rmdir(f->dir) != 0)
		fprintf(stderr, "rmdir %s: %s\n", f->dir, strerror(errno));
	free(f);
	return 0;
}

static int
inject(struct fx *f, const char *req, struct freg_ingested *out, char *err, size_t errsz)
{
	json_t *j = J(req);
	int r = freg_event_inject(f->r, j, NOW, out, err, errsz);

	json_decref(j);
	return r;
}

static void
inject_ok(struct fx *f, const char *req, struct freg_ingested *out)
{
	char err[256] = "";
	int r = inject(f, req, out, err, sizeof(err));

	if (r != 0)
		fail_msg("inject %s: %d %s", req, r, err);
}

static void
inject_err(struct fx *f, const char *req, int want, const char *msg)
{
	char err[256] = "";
	int r = inject(f, req, NULL, err, sizeof(err));

	if (r != want)
		fail_msg("inject %s: %d (%s), expected %d", req, r, err, want);
	assert_string_equal(err, msg);
}

static json_t *
person(struct fx *f, const char *pid, char cur[12])
{
	json_t *doc = NULL;

	assert_int_equal(freg_register_person(f->r, pid, &doc, cur, NULL), 0);
	return doc;
}

/* Two persons in a register: a synthetic fnr and a synthetic d-number. */
static char pid_a[12], pid_b[12], pid_c[12], pid_d[12];

/* The first valid identifier from individnummer ind upwards. */
static void
mkpid(char out[12], int y, int m, int d, int ind, unsigned flags)
{
	while (!porten_pid_make(out, 12, y, m, d, ind, 0, flags | PORTEN_PID_ALLOW_SYNTHETIC))
		ind++;
}

static void
make_pids(void)
{
	mkpid(pid_a, 1950, 3, 4, 123, 0);
	mkpid(pid_b, 1952, 5, 6, 222, 0);
	mkpid(pid_c, 1980, 7, 8, 301, PORTEN_PID_MAKE_DNR);
	mkpid(pid_d, 1990, 9, 10, 402, 0);
}

static void
create(struct fx *f, const char *pid, const char *fornavn)
{
	char req[2048];

	snprintf(req, sizeof(req),
	         "{\"folkeregisteridentifikator\": \"%s\", \"hendelsetype\": \"personErOpprettet\","
	         " \"egenskapshendelse\": ["
	         "  {\"entitet\": \"status\", \"entitetsendring\": \"registrereNy\","
	         "   \"status\": {\"status\": \"bosatt\", \"gyldighetstidspunkt\":"
	         " \"1960-01-01T00:00:00.000+01:00\"}},"
	         "  {\"entitet\": \"navn\", \"entitetsendring\": \"registrereNy\","
	         "   \"navn\": {\"fornavn\": \"%s\", \"etternavn\": \"Nordmann\"}}]}", pid, fornavn);
	inject_ok(f, req, NULL);
}

static void
test_inject_death_annulled(void **state)
{
	struct fx *f = *state;
	struct freg_ingested out;
	json_t *doc, *ev;
	char cur[12], req[2048], *text = NULL;
	size_t len;
	int64_t stored, first, last;

	make_pids();
	create(f, pid_a, "Kari");
	doc = person(f, pid_a, cur);
	assert_string_equal(cur, pid_a);
	/* the identifier was added to the created person */
	assert_string_equal(str(at(doc, "identifikasjonsnummer", 0), "foedselsEllerDNummer"), pid_a);
	assert_string_equal(str(at(doc, "identifikasjonsnummer", 0), "identifikatortype"),
	                    "foedselsnummer");
	assert_string_equal(str(at(doc, "status", 0), "status"), "bosatt");
	json_decref(doc);

	snprintf(req, sizeof(req),
	         "{\"folkeregisteridentifikator\": \"%s\", \"hendelsetype\": \"personErDoed\","
	         " \"egenskapshendelse\": ["
	         "  {\"entitet\": \"doedsfall\", \"entitetsendring\": \"registrereNy\","
	         "   \"doedsfall\": {\"doedsdato\": \"2024-12-30\"}},"
	         "  {\"entitet\": \"status\", \"entitetsendring\": \"registrereNy\","
	         "   \"status\": {\"status\": \"doed\", \"aarsak\": \"Dødsfall\"}}]}", pid_a);
	inject_ok(f, req, &out);
	assert_int_equal(strlen(out.event_id), FREG_DOC_ID_LEN);
	assert_int_equal(strlen(out.persondoc_id), FREG_DOC_ID_LEN);
	assert_int_equal(out.seq[FREG_OMH], 2);
	doc = person(f, pid_a, NULL);
	assert_string_equal(str(json_object_get(doc, "doedsfall"), "doedsdato"), "2024-12-30");
	assert_string_equal(str(at(doc, "status", 0), "status"), "doed");
	assert_int_equal(ncurrent(doc, "status"), 1);
	json_decref(doc);
	/* the stored event carries the payloads with their metadata filled in */
	assert_int_equal(freg_register_event_doc(f->r, out.event_id, &text, &len, &stored), 0);
	ev = J(text);
	free(text);
	{
		const json_t *h = json_object_get(ev, "hendelse"), *eh = json_object_get(h, "egenskapshendelse");
		const json_t *st = json_object_get(json_array_get(eh, 1), "status");

		assert_string_equal(str(h, "hendelsestype"), "personErDoed");
		assert_string_equal(str(h, "folkeregisteridentifikator"), pid_a);
		assert_int_equal(json_array_size(eh), 2);
		assert_string_equal(str(st, "aarsak"), "Dødsfall");
		assert_string_equal(str(st, "kilde"), "Synutopia");
		assert_string_equal(str(st, "ajourholdstidspunkt"), NOW_TS);
		assert_null(json_object_get(st, "erGjeldende"));
	}
	json_decref(ev);

	/* the death is annulled: doedsfall gone, status bosatt again, no history of it */
	snprintf(req, sizeof(req),
	         "{\"folkeregisteridentifikator\": \"%s\", \"hendelsestype\": \"endringIDoedsfall\","
	         " \"egenskapshendelse\": ["
	         "  {\"entitet\": \"doedsfall\", \"entitetsendring\": \"annullere\"},"
	         "  {\"entitet\": \"status\", \"entitetsendring\": \"annullere\"}]}", pid_a);
	inject_ok(f, req, &out);
	doc = person(f, pid_a, NULL);
	assert_null(json_object_get(doc, "doedsfall"));
	assert_int_equal(json_array_size(json_object_get(doc, "status")), 1);
	assert_string_equal(str(at(doc, "status", 0), "status"), "bosatt");
	assert_true(current(at(doc, "status", 0)));
	assert_null(json_object_get(at(doc, "status", 0), "opphoerstidspunkt"));
	json_decref(doc);
	assert_int_equal(freg_register_feed_bounds(f->r, FREG_OMH, &first, &last), 0);
	assert_int_equal(first, 1);
	assert_int_equal(last, 3);

	/* annulling again has nothing to annul */
	inject_err(f, req, PORTEN_ERR_INVALID,
	           "egenskapshendelse[0]: annullere of doedsfall: the person has none");
	assert_int_equal(freg_register_feed_bounds(f->r, FREG_OMH, &first, &last), 0);
	assert_int_equal(last, 3);
}

static void
test_inject_identity(void **state)
{
	struct fx *f = *state;
	char cur[12], req[1024];
	json_t *doc;
	struct freg_ingested out;

	make_pids();
	create(f, pid_a, "Kari");
	create(f, pid_b, "Ola");
	create(f, pid_c, "Sven");
	doc = person(f, pid_c, NULL);
	assert_string_equal(str(at(doc, "identifikasjonsnummer", 0), "identifikatortype"), "dNummer");
	json_decref(doc);

	/* the d-number holder gets a fødselsnummer */
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"endringIIdentifikasjonsnummer\","
	         " \"nyttFolkeregisteridentifikator\": \"%s\"}", pid_c, pid_d);
	inject_ok(f, req, &out);
	doc = person(f, pid_c, cur);
	assert_string_equal(cur, pid_d);
	assert_string_equal(str(at(doc, "identifikasjonsnummer", 0), "foedselsEllerDNummer"), pid_d);
	assert_true(current(at(doc, "identifikasjonsnummer", 0)));
	assert_string_equal(str(at(doc, "identifikasjonsnummer", 1), "foedselsEllerDNummer"), pid_c);
	assert_string_equal(str(at(doc, "identifikasjonsnummer", 1), "status"), "opphoert");
	json_decref(doc);
	/* the new identifier is taken now */
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"endringIIdentifikasjonsnummer\","
	         " \"nyttFolkeregisteridentifikator\": \"%s\"}", pid_a, pid_d);
	{
		char msg[128];

		snprintf(msg, sizeof(msg), "identifier %s already belongs to a person", pid_d);
		inject_err(f, req, PORTEN_ERR_EXISTS, msg);
		snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
		         " \"hendelsetype\": \"personErOpprettet\", \"egenskapshendelse\": ["
		         "  {\"entitet\": \"kjoenn\", \"entitetsendring\": \"registrereNy\","
		         "   \"kjoenn\": {\"kjoenn\": \"mann\"}}]}", pid_b);
		snprintf(msg, sizeof(msg), "person %s already exists", pid_b);
		inject_err(f, req, PORTEN_ERR_EXISTS, msg);
	}

	/* b is a duplicate of a: no new version, b resolves to a */
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"personErOpphoertSomDublett\","
	         " \"opphoertSomDublettAv\": \"%s\"}", pid_b, pid_a);
	inject_ok(f, req, &out);
	assert_string_equal(out.persondoc_id, "");
	doc = person(f, pid_b, cur);
	assert_string_equal(cur, pid_a);
	assert_string_equal(str(at(doc, "navn", 0), "fornavn"), "Kari");
	json_decref(doc);

	/* personErOppdatert: a new version, an event without payload */
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"personErOppdatert\", \"egenskapshendelse\": ["
	         "  {\"entitet\": \"kjoenn\", \"entitetsendring\": \"registrereNy\","
	         "   \"kjoenn\": {\"kjoenn\": \"kvinne\"}}]}", pid_a);
	inject_ok(f, req, &out);
	{
		char *text = NULL;
		size_t len;
		int64_t stored;
		json_t *ev;

		assert_int_equal(freg_register_event_doc(f->r, out.event_id, &text, &len, &stored), 0);
		ev = J(text);
		free(text);
		assert_int_equal(json_array_size(json_object_get(json_object_get(ev, "hendelse"),
		                                                 "egenskapshendelse")), 0);
		json_decref(ev);
	}
	doc = person(f, pid_a, NULL);
	assert_string_equal(str(at(doc, "kjoenn", 0), "kjoenn"), "kvinne");
	json_decref(doc);
}

static void
test_inject_refusals(void **state)
{
	struct fx *f = *state;
	char req[1024], msg[256], unknown[12];

	make_pids();
	create(f, pid_a, "Kari");
	mkpid(unknown, 1970, 1, 1, 100, 0);

	inject_err(f, "[]", PORTEN_ERR_INVALID, "the event is not a JSON object");
	inject_err(f, "{\"hendelsetype\": \"endringINavn\"}", PORTEN_ERR_INVALID,
	           "folkeregisteridentifikator missing or not a string");
	inject_err(f, "{\"folkeregisteridentifikator\": \"12345678901\","
	           " \"hendelsetype\": \"endringINavn\"}",
	           PORTEN_ERR_INVALID, "folkeregisteridentifikator is not a valid identifier (11 "
	           "digits, a real date, check digits)");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\", \"hendelsetype\": \"x\","
	         " \"extra\": 1}", pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, "unknown member \"extra\"");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\"}", pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, "hendelsetype missing");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\", \"hendelsetype\": 5}",
	         pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, "hendelsetype is not a string");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"endringINavn\", \"hendelsestype\": \"endringIKjoenn\"}", pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, "hendelsetype and hendelsestype differ");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"endringISkonummer\"}", pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, "unknown hendelsetype \"endringISkonummer\"");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"endringIKontaktinformasjonForDoedsbo\"}", pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, "hendelsetype endringIKontaktinformasjonForDoedsbo: "
	           "an old name, now endringIKontaktopplysningerForDoedsbo");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"personErInaktiv\"}", pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, "hendelsetype personErInaktiv: not emitted "
	           "(d-number inactivation is endringIStatus)");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"personErViderefoertVedDublett\"}", pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, "hendelsetype personErViderefoertVedDublett: an old "
	           "name, now personErOpphoertSomDublett and "
	           "personErViderefoertSomGjeldendeVedSammenslaaing");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"endringINavn\", \"egenskapshendelse\": {}}", pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, "egenskapshendelse is not an array");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"endringINavn\", \"nyttFolkeregisteridentifikator\": \"%s\"}",
	         pid_a, unknown);
	inject_err(f, req, PORTEN_ERR_INVALID, "nyttFolkeregisteridentifikator belongs to "
	           "endringIIdentifikasjonsnummer only");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"endringIIdentifikasjonsnummer\"}", pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, "endringIIdentifikasjonsnummer needs "
	           "nyttFolkeregisteridentifikator");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"personErOpphoertSomDublett\"}", pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, "personErOpphoertSomDublett needs opphoertSomDublettAv");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"personErOpphoertSomDublett\", \"opphoertSomDublettAv\": \"%s\"}",
	         pid_a, pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, "a person cannot be a duplicate of itself");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"personErOpphoertSomDublett\", \"opphoertSomDublettAv\": \"%s\"}",
	         pid_a, unknown);
	snprintf(msg, sizeof(msg), "no person with identifier %s (opphoertSomDublettAv)", unknown);
	inject_err(f, req, PORTEN_ERR_NOT_FOUND, msg);
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"endringINavn\", \"opphoertSomDublettAv\": \"%s\"}", pid_a, unknown);
	inject_err(f, req, PORTEN_ERR_INVALID, "opphoertSomDublettAv belongs to "
	           "personErOpphoertSomDublett only");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"endringINavn\"}", unknown);
	snprintf(msg, sizeof(msg), "no person with identifier %s", unknown);
	inject_err(f, req, PORTEN_ERR_NOT_FOUND, msg);
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"personErOpprettet\"}", unknown);
	inject_err(f, req, PORTEN_ERR_INVALID, "personErOpprettet needs an egenskapshendelse that "
	           "builds the person");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"personErOpprettet\", \"egenskapshendelse\": ["
	         "  {\"entitet\": \"identifikasjonsnummer\", \"entitetsendring\": \"registrereNy\","
	         "   \"identifikasjonsnummer\": {\"foedselsEllerDNummer\": \"%s\","
	         "    \"identifikatortype\": \"foedselsnummer\", \"status\":"
	         " \"iBruk\"}}]}", unknown, pid_a);
	snprintf(msg, sizeof(msg), "the current identifikasjonsnummer of the person would not be %s",
	         unknown);
	inject_err(f, req, PORTEN_ERR_INVALID, msg);
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"endringINavn\", \"egenskapshendelse\": ["
	         "  {\"entitet\": \"navn\", \"entitetsendring\": \"korrigereHistorisk\","
	         "   \"navn\": {\"fornavn\": \"A\", \"etternavn\": \"B\"}}]}", pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID,
	           "egenskapshendelse[0]: entitetsendring korrigereHistorisk is not used");
	snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
	         " \"hendelsetype\": \"endringINavn\", \"egenskapshendelse\": ["
	         "  {\"entitet\": \"identifikasjonsnummer\", \"entitetsendring\": \"registrereNy\","
	         "   \"identifikasjonsnummer\": {\"foedselsEllerDNummer\": \"%s\","
	         "    \"identifikatortype\": \"foedselsnummer\", \"status\": \"iBruk\"}}]}",
	         pid_a, unknown);
	snprintf(msg, sizeof(msg), "the current identifikasjonsnummer of the person would not be %s",
	         pid_a);
	inject_err(f, req, PORTEN_ERR_INVALID, msg);
	/* nothing of the refused events reached the feed */
	{
		int64_t first, last;

		assert_int_equal(freg_register_feed_bounds(f->r, FREG_OMH, &first, &last), 0);
		assert_int_equal(last, 1);
	}
	/* every spec 2.7 type is accepted */
	{
		static const char *const types[] = {
			"endringIStatus", "personErBosatt", "personErOpphoert", "personErReaktivert",
			"personErViderefoertSomGjeldendeVedSammenslaaing", "personErEndretVedSplitting",
			"personErGjenopprettetVedSplitting", "endringIIdentitetsgrunnlag",
			"endringIUtenlandskPersonidentifikasjon",
			"endringIUtlendingsmyndighetenesIdentifikasjonsnummer",
			"endringILegitimasjonsdokument", "endringIFalskIdentitet",
			"endringIKontaktopplysningerForDoedsbo", "endringIFamilierelasjon",
			"endringIKontaktinformasjon", "endringIBostedsadresseUtenFlytting",
			"endringIBostedsadresseVedKommuneregulering", "endringIDeltBosted",
			"endringIOppholdsadresse", "endringIAdressebeskyttelse", "endringIInnflytting",
			"endringIUtflytting", "endringIFoedsel", "endringIFoedselINorge",
			"endringIStatsborgerskap", "endringIForeldreansvar", "endringIOpphold",
			"endringIBrukAvSamiskSpraak", "endringISametingetsValgmanntall",
			"endringIRettsligHandleevne", "endringIOppholdPaaSvalbard", "endringIPerson",
			"personErUtflyttet", "endringIVergemaal", "endringISivilstand", "endringINavn",
			"endringIKjoenn", "endringIBostedsadresse", "endringIDoedsfall", "personErDoed",
		};

		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			snprintf(req, sizeof(req), "{\"folkeregisteridentifikator\": \"%s\","
			         " \"hendelsetype\": \"%s\"}", pid_a, types[i]);
			inject_ok(f, req, NULL);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registrere_ny_single),
		cmocka_unit_test(test_registrere_ny_multi),
		cmocka_unit_test(test_single_valued_all),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_korrigere),
		cmocka_unit_test(test_annullere),
		cmocka_unit_test(test_identifier),
		cmocka_unit_test(test_cessation),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_created_roundtrip),
		cmocka_unit_test_setup_teardown(test_inject_death_annulled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
