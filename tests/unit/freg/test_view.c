/* lib/freg/view.c: what each rights package sees of a person.
 *
 * The expected visibility and history tables below are written out by hand from
 * spec/folkeregisteret.md 4.1-4.4 (and docs/freg-visibility.md), not derived from the
 * library: every package x entity is viewed on a synthetic document that has every
 * entity filled, with and without historikk. Then the part parser (person-basis per
 * package, the aliases, case, refusals with their exact text, history depth), the
 * protected-address rules on built strengtFortrolig, fortrolig and klientadresse
 * persons, the identifiers of other persons, and invariants over 1000 generated persons
 * in every package (at most one current element per single-valued entity, no null, no
 * empty array, no 11-digit string for the UF packages, the stored document unchanged,
 * OMH output valid against the OpenAPI 1.5 contract when ../shared is present). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>

#include "porten/error.h"
#include "porten/freg.h"
#include "porten/freg_gen.h"
#include "porten/freg_view.h"
#include "porten/limits.h"

#define NPKG FREG_PKG_COUNT
#define NENT FREG_ENT_COUNT

/* Column order of the tables: enum freg_pkg. */
static const enum freg_pkg pkgs[NPKG] = {
	FREG_OMH, FREG_OUH, FREG_PUH, FREG_PRIV, FREG_PRIV_UF, FREG_FIN, FREG_PRESSE,
	FREG_PRESSE_UF, FREG_EID,
};

/* Whether package (column) may see entity (row) when it names it, on a person without
 * address protection. Spec 4.2 (open vs confidential), 4.3 (per package), 4.1 (the
 * identifier only by name for PRIV/PRESSE, never for the UF packages). */
static const unsigned char visible[NENT][NPKG] = {
	/*                                   OMH OUH PUH PRV PUF FIN PRE PRF EID */
	[FREG_ENT_IDENTIFIKASJONSNUMMER]   = { 1,  1,  1,  1,  0,  1,  1,  0,  1 },
	[FREG_ENT_STATUS]                  = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_NAVN]                    = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_KJOENN]                  = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_FOEDSEL]                 = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_FOEDSEL_I_NORGE]         = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_DOEDSFALL]               = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_IDENTITETSGRUNNLAG]      = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_SIVILSTAND]              = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_STATSBORGERSKAP]         = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_BOSTEDSADRESSE]          = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_OPPHOLDSADRESSE]         = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_DELT_BOSTED]             = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_POSTADRESSE]             = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_POSTADRESSE_I_UTLANDET]  = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_ADRESSEBESKYTTELSE]      = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_KONTAKTINFORMASJON_FOR_DOEDSBO] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 },
	[FREG_ENT_FAMILIERELASJON]         = { 1,  0,  0,  0,  0,  1,  0,  0,  0 },
	[FREG_ENT_FORELDREANSVAR]          = { 1,  0,  0,  0,  0,  1,  0,  0,  0 },
	[FREG_ENT_VERGEMAAL]               = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_RETTSLIG_HANDLEEVNE]     = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_FRATATT_RETTSLIG_HANDLEEVNE] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 },
	[FREG_ENT_FALSK_IDENTITET]         = { 1,  1,  0,  0,  0,  1,  0,  0,  0 },
	[FREG_ENT_LEGITIMASJONSDOKUMENT]   = { 1,  0,  0,  0,  0,  0,  0,  0,  1 },
	[FREG_ENT_UTENLANDSK_PERSONIDENTIFIKASJON] = { 1, 0, 0, 0, 0, 0, 0, 0, 1 },
	[FREG_ENT_DUF]                     = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_INNFLYTTING]             = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_UTFLYTTING]              = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_OPPHOLD]                 = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_BIBEHOLD]                = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_BRUK_AV_SAMISK_SPRAAK]   = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_OPPHOLD_PAA_SVALBARD]    = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_PREFERERT_KONTAKTADRESSE] = { 1, 1,  1,  1,  1,  1,  1,  1,  1 },
};

/* Whether the package gets the historical element too with part=historikk (spec 4.1:
 * OMH everything; FIN identifier, addresses, navn, sivilstand; the others identifier,
 * addresses, navn). Rows of the two objects (doedsfall, falskIdentitet) are 0: they
 * have no history elements. */
static const unsigned char history[NENT][NPKG] = {
	/*                                   OMH OUH PUH PRV PUF FIN PRE PRF EID */
	[FREG_ENT_IDENTIFIKASJONSNUMMER]   = { 1,  1,  1,  1,  0,  1,  1,  0,  1 },
	[FREG_ENT_STATUS]                  = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_NAVN]                    = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_KJOENN]                  = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_FOEDSEL]                 = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_FOEDSEL_I_NORGE]         = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_DOEDSFALL]               = { 0,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_IDENTITETSGRUNNLAG]      = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_SIVILSTAND]              = { 1,  0,  0,  0,  0,  1,  0,  0,  0 },
	[FREG_ENT_STATSBORGERSKAP]         = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_BOSTEDSADRESSE]          = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_OPPHOLDSADRESSE]         = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_DELT_BOSTED]             = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_POSTADRESSE]             = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_POSTADRESSE_I_UTLANDET]  = { 1,  1,  1,  1,  1,  1,  1,  1,  1 },
	[FREG_ENT_ADRESSEBESKYTTELSE]      = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_KONTAKTINFORMASJON_FOR_DOEDSBO] = { 1, 0, 0, 0, 0, 0, 0, 0, 0 },
	[FREG_ENT_FAMILIERELASJON]         = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_FORELDREANSVAR]          = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_VERGEMAAL]               = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_RETTSLIG_HANDLEEVNE]     = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_FRATATT_RETTSLIG_HANDLEEVNE] = { 1, 0, 0, 0, 0, 0, 0, 0, 0 },
	[FREG_ENT_FALSK_IDENTITET]         = { 0,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_LEGITIMASJONSDOKUMENT]   = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_UTENLANDSK_PERSONIDENTIFIKASJON] = { 1, 0, 0, 0, 0, 0, 0, 0, 0 },
	[FREG_ENT_DUF]                     = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_INNFLYTTING]             = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_UTFLYTTING]              = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_OPPHOLD]                 = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_BIBEHOLD]                = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_BRUK_AV_SAMISK_SPRAAK]   = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_OPPHOLD_PAA_SVALBARD]    = { 1,  0,  0,  0,  0,  0,  0,  0,  0 },
	[FREG_ENT_PREFERERT_KONTAKTADRESSE] = { 1, 0,  0,  0,  0,  0,  0,  0,  0 },
};

/* The schema names, written out again (not taken from freg_ent_name). */
static const char *const names[NENT] = {
	[FREG_ENT_IDENTIFIKASJONSNUMMER] = "identifikasjonsnummer",
	[FREG_ENT_STATUS] = "status",
	[FREG_ENT_NAVN] = "navn",
	[FREG_ENT_KJOENN] = "kjoenn",
	[FREG_ENT_FOEDSEL] = "foedsel",
	[FREG_ENT_FOEDSEL_I_NORGE] = "foedselINorge",
	[FREG_ENT_DOEDSFALL] = "doedsfall",
	[FREG_ENT_IDENTITETSGRUNNLAG] = "identitetsgrunnlag",
	[FREG_ENT_SIVILSTAND] = "sivilstand",
	[FREG_ENT_STATSBORGERSKAP] = "statsborgerskap",
	[FREG_ENT_BOSTEDSADRESSE] = "bostedsadresse",
	[FREG_ENT_OPPHOLDSADRESSE] = "oppholdsadresse",
	[FREG_ENT_DELT_BOSTED] = "deltBosted",
	[FREG_ENT_POSTADRESSE] = "postadresse",
	[FREG_ENT_POSTADRESSE_I_UTLANDET] = "postadresseIUtlandet",
	[FREG_ENT_ADRESSEBESKYTTELSE] = "adressebeskyttelse",
	[FREG_ENT_KONTAKTINFORMASJON_FOR_DOEDSBO] = "kontaktinformasjonForDoedsbo",
	[FREG_ENT_FAMILIERELASJON] = "familierelasjon",
	[FREG_ENT_FORELDREANSVAR] = "foreldreansvar",
	[FREG_ENT_VERGEMAAL] = "vergemaalEllerFremtidsfullmakt",
	[FREG_ENT_RETTSLIG_HANDLEEVNE] = "rettsligHandleevne",
	[FREG_ENT_FRATATT_RETTSLIG_HANDLEEVNE] = "fratattRettsligHandleevne",
	[FREG_ENT_FALSK_IDENTITET] = "falskIdentitet",
	[FREG_ENT_LEGITIMASJONSDOKUMENT] = "legitimasjonsdokument",
	[FREG_ENT_UTENLANDSK_PERSONIDENTIFIKASJON] = "utenlandskPersonidentifikasjon",
	[FREG_ENT_DUF] = "utlendingsmyndighetenesIdentifikasjonsnummer",
	[FREG_ENT_INNFLYTTING] = "innflytting",
	[FREG_ENT_UTFLYTTING] = "utflytting",
	[FREG_ENT_OPPHOLD] = "opphold",
	[FREG_ENT_BIBEHOLD] = "bibehold",
	[FREG_ENT_BRUK_AV_SAMISK_SPRAAK] = "brukAvSamiskSpraak",
	[FREG_ENT_OPPHOLD_PAA_SVALBARD] = "oppholdPaaSvalbard",
	[FREG_ENT_PREFERERT_KONTAKTADRESSE] = "preferertKontaktadresse",
};

/* ---- the synthetic person ---- */

#define VEG "{\"kommunenummer\":\"0301\",\"adressenavn\":\"Storgata\"," \
            "\"adressenummer\":{\"husnummer\":\"1\",\"husbokstav\":\"B\"}," \
            "\"poststed\":{\"poststedsnavn\":\"OSLO\",\"postnummer\":\"0155\"}}"
#define MATR "{\"matrikkelnummer\":{\"kommunenummer\":\"4601\",\"gaardsnummer\":1," \
             "\"bruksnummer\":2}}"
#define ADR "{\"adresselinje\":[\"Kongens gate 1\"],\"poststedsnavn\":\"OSLO\"," \
            "\"postnummer\":\"0153\"}"

/* Data members of the current and the historical element of every entity; objects
 * (doedsfall, falskIdentitet) have only the first. */
static const char *const data[NENT][2] = {
	[FREG_ENT_IDENTIFIKASJONSNUMMER] = {
		"{\"foedselsEllerDNummer\":\"01017012345\",\"identifikatortype\":\"foedselsnummer\","
		"\"status\":\"iBruk\"}",
		"{\"foedselsEllerDNummer\":\"41017012399\",\"identifikatortype\":\"dNummer\","
		"\"status\":\"opphoert\"}" },
	[FREG_ENT_STATUS] = { "{\"status\":\"bosatt\"}", "{\"status\":\"utflyttet\"}" },
	[FREG_ENT_NAVN] = { "{\"fornavn\":\"Kari\",\"etternavn\":\"Nordmann\"}",
	                    "{\"fornavn\":\"Kari\",\"etternavn\":\"Hansen\"}" },
	[FREG_ENT_KJOENN] = { "{\"kjoenn\":\"kvinne\"}", "{\"kjoenn\":\"mann\"}" },
	[FREG_ENT_FOEDSEL] = {
		"{\"foedselsdato\":\"1970-01-01\",\"foedselsaar\":\"1970\","
		"\"foedekommuneINorge\":\"0301\",\"foedeland\":\"NOR\"}",
		"{\"foedselsdato\":\"1970-01-02\",\"foedselsaar\":\"1970\"}" },
	[FREG_ENT_FOEDSEL_I_NORGE] = { "{\"foedselsinstitusjonsnavn\":\"Rikshospitalet\"}",
	                               "{\"foedselsinstitusjonsnavn\":\"Ullevaal\"}" },
	[FREG_ENT_DOEDSFALL] = { "{\"doedsdato\":\"2024-01-01\"}", NULL },
	[FREG_ENT_IDENTITETSGRUNNLAG] = { "{\"identitetsgrunnlagstatus\":\"kontrollert\"}",
	                                  "{\"identitetsgrunnlagstatus\":\"ikkeKontrollert\"}" },
	[FREG_ENT_SIVILSTAND] = {
		"{\"sivilstand\":\"gift\",\"sivilstandsdato\":\"2000-06-01\","
		"\"relatertVedSivilstand\":\"02027054321\"}",
		"{\"sivilstand\":\"ugift\"}" },
	[FREG_ENT_STATSBORGERSKAP] = { "{\"statsborgerskap\":\"NOR\"}",
	                               "{\"statsborgerskap\":\"SWE\"}" },
	[FREG_ENT_BOSTEDSADRESSE] = {
		"{\"adressegradering\":\"ugradert\",\"vegadresse\":" VEG ",\"flyttedato\":\"2010-01-01\"}",
		"{\"adressegradering\":\"ugradert\",\"matrikkeladresse\":" MATR ","
		"\"flyttedato\":\"2000-01-01\"}" },
	[FREG_ENT_OPPHOLDSADRESSE] = {
		"{\"adressegradering\":\"ugradert\",\"vegadresse\":" VEG ","
		"\"oppholdsadressedato\":\"2015-01-01\"}",
		"{\"adressegradering\":\"ugradert\",\"utenlandskAdresse\":{\"adressenavn\":\"Main St\","
		"\"byEllerStedsnavn\":\"London\",\"landkode\":\"GB\"}}" },
	[FREG_ENT_DELT_BOSTED] = {
		"{\"adressegradering\":\"ugradert\",\"startdatoForKontrakt\":\"2020-01-01\","
		"\"vegadresse\":" VEG "}",
		"{\"adressegradering\":\"ugradert\",\"startdatoForKontrakt\":\"2018-01-01\","
		"\"sluttdatoForKontrakt\":\"2019-12-31\",\"ukjentBosted\":{\"bostedskommune\":\"0301\"}}" },
	[FREG_ENT_POSTADRESSE] = {
		"{\"adressegradering\":\"ugradert\",\"postboksadresse\":{\"postbokseier\":\"SKATTEETATEN\","
		"\"postboks\":\"Postboks 9200\",\"poststed\":{\"poststedsnavn\":\"OSLO\","
		"\"postnummer\":\"0134\"}}}",
		"{\"adressegradering\":\"ugradert\",\"vegadresse\":" VEG "}" },
	[FREG_ENT_POSTADRESSE_I_UTLANDET] = {
		"{\"adressegradering\":\"ugradert\",\"utenlandskAdresseIFrittFormat\":{\"adresselinje\":"
		"[\"1 Rue de Rivoli\"],\"byEllerStedsnavn\":\"Paris\",\"landkode\":\"FR\"}}",
		"{\"adressegradering\":\"ugradert\",\"utenlandskAdresseIFrittFormat\":{\"adresselinje\":"
		"[\"2 Via Roma\"],\"byEllerStedsnavn\":\"Roma\",\"landkode\":\"IT\"}}" },
	[FREG_ENT_ADRESSEBESKYTTELSE] = { "{\"graderingsnivaa\":\"ugradert\"}",
	                                  "{\"graderingsnivaa\":\"ugradert\"}" },
	[FREG_ENT_KONTAKTINFORMASJON_FOR_DOEDSBO] = {
		"{\"skifteform\":\"annet\",\"attestutstedelsesdato\":\"2024-01-10\","
		"\"person\":{\"foedselsEllerDNummer\":\"03036512345\"},\"adresse\":" ADR "}",
		"{\"skifteform\":\"offentlig\",\"attestutstedelsesdato\":\"2024-01-05\","
		"\"advokat\":{\"personnavn\":{\"fornavn\":\"Ola\",\"etternavn\":\"Advokat\"}},"
		"\"adresse\":" ADR "}" },
	[FREG_ENT_FAMILIERELASJON] = {
		"{\"relatertPerson\":\"04040012345\",\"relatertPersonsRolle\":\"barn\","
		"\"minRolleForPerson\":\"mor\"}",
		"{\"relatertPerson\":\"05050012345\",\"relatertPersonsRolle\":\"ektefelleEllerPartner\","
		"\"minRolleForPerson\":\"ektefelleEllerPartner\"}" },
	[FREG_ENT_FORELDREANSVAR] = {
		"{\"ansvar\":\"felles\",\"ansvarssubjekt\":\"04040012345\"}",
		"{\"ansvar\":\"mor\",\"ansvarlig\":\"01017012345\",\"ansvarssubjekt\":\"04040012345\"}" },
	[FREG_ENT_VERGEMAAL] = {
		"{\"vergemaaltype\":\"voksen\",\"embete\":\"statsforvalterenIOsloOgViken\","
		"\"verge\":{\"foedselsEllerDNummer\":\"06066012345\",\"navnFoedselsdato\":"
		"{\"personnavn\":{\"fornavn\":\"Per\",\"etternavn\":\"Verge\"},"
		"\"foedselsdato\":\"1960-06-06\"}}}",
		"{\"vergemaaltype\":\"voksen\",\"verge\":{\"foedselsEllerDNummer\":\"06066012345\","
		"\"navn\":{\"fornavn\":\"Per\",\"etternavn\":\"Verge\"},"
		"\"omfang\":\"personligeOgOekonomiskeInteresser\"}}" },
	[FREG_ENT_RETTSLIG_HANDLEEVNE] = { "{\"rettsligHandleevneomfang\":\"delvis\"}",
	                                   "{\"rettsligHandleevneomfang\":\"full\"}" },
	[FREG_ENT_FRATATT_RETTSLIG_HANDLEEVNE] = { "{\"omfang\":\"x\"}", "{\"omfang\":\"y\"}" },
	[FREG_ENT_FALSK_IDENTITET] = {
		"{\"erFalsk\":true,\"rettIdentitetVedIdentifikasjonsnummer\":\"07077012345\"}", NULL },
	[FREG_ENT_LEGITIMASJONSDOKUMENT] = {
		"{\"identifikasjonsdokumenttype\":\"pass\",\"utstederland\":\"SWE\","
		"\"identifikasjonsdokumentnummer\":\"P1234567\"}",
		"{\"identifikasjonsdokumenttype\":\"pass\",\"utstederland\":\"SWE\","
		"\"identifikasjonsdokumentnummer\":\"P7654321\"}" },
	[FREG_ENT_UTENLANDSK_PERSONIDENTIFIKASJON] = {
		"{\"identifikasjonsnummer\":\"700101-1234\",\"identifikasjonsnummertype\":\"personnummer\","
		"\"utstederland\":\"SWE\"}",
		"{\"identifikasjonsnummer\":\"010170-4321\",\"identifikasjonsnummertype\":\"cpr\","
		"\"utstederland\":\"DNK\"}" },
	[FREG_ENT_DUF] = {
		"{\"identifikasjonsnummer\":\"123456789012\",\"identifikasjonsnummertype\":\"duf\","
		"\"utstederland\":\"NOR\"}",
		"{\"identifikasjonsnummer\":\"210987654321\",\"identifikasjonsnummertype\":\"duf\","
		"\"utstederland\":\"NOR\"}" },
	[FREG_ENT_INNFLYTTING] = { "{\"fraflyttingsland\":\"SWE\",\"fraflyttingsstedIUtlandet\":\"Lund\"}",
	                           "{\"fraflyttingsland\":\"DNK\"}" },
	[FREG_ENT_UTFLYTTING] = { "{\"tilflyttingsland\":\"ESP\",\"utflyttingsdato\":\"2012-01-01\"}",
	                          "{\"tilflyttingsland\":\"FRA\",\"utflyttingsdato\":\"2005-01-01\"}" },
	[FREG_ENT_OPPHOLD] = { "{\"oppholdstillatelse\":\"permanent\"}",
	                       "{\"oppholdstillatelse\":\"midlertidig\"}" },
	[FREG_ENT_BIBEHOLD] = { "{\"bibeholdstatus\":\"harBibehold\"}",
	                        "{\"bibeholdstatus\":\"harIkkeLengerBibehold\"}" },
	[FREG_ENT_BRUK_AV_SAMISK_SPRAAK] = { "{\"spraak\":[\"nordsamisk\"]}",
	                                     "{\"spraak\":[\"lulesamisk\"]}" },
	[FREG_ENT_OPPHOLD_PAA_SVALBARD] = {
		"{\"startdato\":\"2020-01-01\",\"antattOppholdsvarighet\":\"overTolvMaaneder\"}",
		"{\"startdato\":\"2010-01-01\",\"sluttdato\":\"2011-01-01\","
		"\"antattOppholdsvarighet\":\"underSeksMaaneder\"}" },
	[FREG_ENT_PREFERERT_KONTAKTADRESSE] = { "{\"postboks\":\"1\"}", "{\"postboks\":\"2\"}" },
};

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

/* An element: data members, then the register metadata. */
static json_t *
element(const char *text, bool current)
{
	json_t *e = J(text);

	assert_int_equal(json_object_set_new(e, "ajourholdstidspunkt",
	                 json_string(current ? "2020-01-02T10:00:00.000+01:00"
	                                     : "2000-01-02T10:00:00.000+01:00")), 0);
	assert_int_equal(json_object_set_new(e, "erGjeldende", json_boolean(current)), 0);
	assert_int_equal(json_object_set_new(e, "kilde", json_string("Synutopia")), 0);
	assert_int_equal(json_object_set_new(e, "aarsak", json_string("Grunnbefolkning")), 0);
	assert_int_equal(json_object_set_new(e, "gyldighetstidspunkt",
	                 json_string(current ? "2020-01-01T00:00:00.000+01:00"
	                                     : "2000-01-01T00:00:00.000+01:00")), 0);
	if (!current)
		assert_int_equal(json_object_set_new(e, "opphoerstidspunkt",
		                 json_string("2020-01-01T00:00:00.000+01:00")), 0);
	return e;
}

static bool
is_object_ent(int e)
{
	return e == FREG_ENT_DOEDSFALL || e == FREG_ENT_FALSK_IDENTITET;
}

static bool
is_address(int e)
{
	return e == FREG_ENT_BOSTEDSADRESSE || e == FREG_ENT_OPPHOLDSADRESSE ||
	       e == FREG_ENT_DELT_BOSTED || e == FREG_ENT_POSTADRESSE ||
	       e == FREG_ENT_POSTADRESSE_I_UTLANDET;
}

/* Every entity filled: a current and a historical element per array (the historical
 * one second), the two objects; plus the withdrawn forholdTilSametingetsValgmanntall,
 * which must never come out. */
static json_t *
full_doc(void)
{
	json_t *doc = json_object();

	for (int e = 0; e < NENT; e++) {
		json_t *v;

		if (is_object_ent(e)) {
			v = element(data[e][0], true);
		} else {
			v = json_array();
			assert_int_equal(json_array_append_new(v, element(data[e][0], true)), 0);
			assert_int_equal(json_array_append_new(v, element(data[e][1], false)), 0);
		}
		assert_int_equal(json_object_set_new(doc, names[e], v), 0);
	}
	assert_int_equal(json_object_set_new(doc, "forholdTilSametingetsValgmanntall",
	                 json_pack("[o]", element("{\"forhold\":\"innmeldt\","
	                                          "\"vedtaksdato\":\"2001-01-01\"}", true))), 0);
	return doc;
}

/* full_doc with the person's current protection `prot` and the current address
 * elements (all: also the historical ones) of bostedsadresse, oppholdsadresse and
 * deltBosted graded `g`. */
static json_t *
protected_doc(const char *prot, const char *g, bool all)
{
	json_t *doc = full_doc(), *el;
	static const int graded[] = { FREG_ENT_BOSTEDSADRESSE, FREG_ENT_OPPHOLDSADRESSE,
	                              FREG_ENT_DELT_BOSTED };
	size_t i;

	el = json_array_get(json_object_get(doc, "adressebeskyttelse"), 0);
	assert_int_equal(json_object_set_new(el, "graderingsnivaa", json_string(prot)), 0);
	for (size_t k = 0; k < 3; k++)
		json_array_foreach(json_object_get(doc, names[graded[k]]), i, el)
			if (all || i == 0)
				assert_int_equal(json_object_set_new(el, "adressegradering",
				                                     json_string(g)), 0);
	return doc;
}

/* ---- checks ---- */

/* No null and no empty array anywhere. */
static void
check_clean(const json_t *j, const char *where)
{
	const char *k;
	const json_t *v;
	size_t i;

	if (json_is_null(j))
		fail_msg("%s: null", where);
	if (json_is_array(j)) {
		if (json_array_size(j) == 0)
			fail_msg("%s: empty array", where);
		json_array_foreach(j, i, v)
			check_clean(v, where);
	} else if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
			check_clean(v, k);
	}
}

/* A run of 11 or more digits in any string value. */
static bool
has_id11(const json_t *j)
{
	const char *k;
	const json_t *v;
	size_t i;

	if (json_is_string(j)) {
		int run = 0;

		for (const char *s = json_string_value(j); *s; s++) {
			run = (*s >= '0' && *s <= '9') ? run + 1 : 0;
			if (run >= 11)
				return true;
		}
		return false;
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (has_id11(v))
				return true;
	} else if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
			if (has_id11(v))
				return true;
	}
	return false;
}

/* Any member named key at any depth. */
static bool
has_key(const json_t *j, const char *key)
{
	const char *k;
	const json_t *v;
	size_t i;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (has_key(v, key))
				return true;
	} else if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
			if (strcmp(k, key) == 0 || has_key(v, key))
				return true;
	}
	return false;
}

/* freg_parts_parse of a NULL-terminated list; must succeed. */
static struct freg_parts
parts_of(enum freg_pkg p, ...)
{
	const char *vals[PORTEN_FREG_PARTS_MAX + 2];
	struct freg_parts parts;
	char why[128] = "x";
	size_t n = 0;
	va_list ap;

	va_start(ap, p);
	for (const char *v; (v = va_arg(ap, const char *)) != NULL; )
		vals[n++] = v;
	va_end(ap);
	if (freg_parts_parse(p, vals, n, &parts, why, sizeof(why)) != 0)
		fail_msg("parse failed: %s", why);
	assert_string_equal(why, "");
	return parts;
}

/* freg_view_json, from the stored compact text and its layout, writes exactly the
 * compact dump of v = freg_view(p, parts, stored). */
static void
check_layout(enum freg_pkg p, const struct freg_parts *parts, const json_t *stored,
             const json_t *v)
{
	char *text = json_dumps(stored, JSON_COMPACT), *want = json_dumps(v, JSON_COMPACT);
	struct porten_buf lay, out;

	assert_non_null(text);
	assert_non_null(want);
	porten_buf_init(&lay, 1 << 20);
	porten_buf_init(&out, 1 << 22);
	assert_int_equal(freg_layout_build(stored, text, strlen(text), &lay), 0);
	assert_true(lay.len >= 2);
	assert_int_equal(freg_view_json(p, parts, text, strlen(text),
	                                (const unsigned char *)lay.data, lay.len, &out), 0);
	if (out.len != strlen(want) || memcmp(out.data, want, out.len) != 0)
		fail_msg("%s: layout view differs:\n  got  %.*s\n  want %s", freg_pkg(p)->abbrev,
		         (int)out.len, out.data, want);
	porten_buf_release(&lay);
	porten_buf_release(&out);
	free(text);
	free(want);
}

/* The view, checked for nulls and empty arrays, stored checked unchanged, and the same
 * from the layout. */
static json_t *
view(enum freg_pkg p, const struct freg_parts *parts, const json_t *stored)
{
	char *before = dump(stored), *after;
	json_t *v = freg_view(p, parts, stored);

	assert_non_null(v);
	after = dump(stored);
	assert_string_equal(before, after);
	free(before);
	free(after);
	check_clean(v, "view");
	if (json_is_object(stored))
		check_layout(p, parts, stored, v);
	return v;
}

/* The keys of v are exactly the listed ones (NULL-terminated). */
static void
keys_are(const json_t *v, const char *const *want, const char *what)
{
	size_t n = 0;

	for (; want[n]; n++)
		if (json_object_get(v, want[n]) == NULL)
			fail_msg("%s: %s missing", what, want[n]);
	if (json_object_size(v) != n) {
		char *s = json_dumps(v, JSON_COMPACT);

		fail_msg("%s: %zu keys, expected %zu: %.400s", what, json_object_size(v), n, s);
	}
}

/* Every element of every array entity current (or, with history, the element count). */
static void
all_current(const json_t *v)
{
	const char *k;
	const json_t *arr, *el;
	size_t i;

	json_object_foreach((json_t *)v, k, arr) {
		if (!json_is_array(arr))
			continue;
		json_array_foreach(arr, i, el)
			if (!json_is_true(json_object_get(el, "erGjeldende")))
				fail_msg("%s[%zu] not current", k, i);
	}
}

/* ---- 1. the visibility walk ---- */

static void
test_visibility_walk(void **state)
{
	json_t *doc = full_doc();
	static const char *const ids_hist[NPKG] = { "1", "1", "1", "", "", "1", "", "", "1" };

	(void)state;
	for (int e = 0; e < NENT; e++) {
		/* the table names agree with the library's names, both ways, any case */
		assert_string_equal(freg_ent_name(e), names[e]);
		assert_int_equal(freg_ent_by_name(names[e]), e);
	}
	for (size_t pi = 0; pi < NPKG; pi++) {
		enum freg_pkg p = pkgs[pi];

		for (int e = 0; e < NENT; e++) {
			const char *why = freg_pkg(p)->abbrev;
			struct freg_parts a = parts_of(p, names[e], NULL);
			struct freg_parts h = parts_of(p, "historikk", names[e], NULL);
			json_t *va = view(p, &a, doc), *vh = view(p, &h, doc), *x;
			bool with_id = ids_hist[pi][0] != '\0';

			if ((visible[e][pi] != 0) != freg_view_may_see(p, e))
				fail_msg("%s %s: freg_view_may_see disagrees with the table", why, names[e]);
			/* without historikk: exactly the entity, current elements only */
			x = json_object_get(va, names[e]);
			if ((x != NULL) != visible[e][pi])
				fail_msg("%s %s: %s", why, names[e], x ? "visible" : "hidden");
			assert_int_equal(json_object_size(va), visible[e][pi] ? 1 : 0);
			if (x && !is_object_ent(e)) {
				assert_int_equal(json_array_size(x), 1);
				all_current(va);
			}
			if (x && is_object_ent(e))
				assert_true(json_is_object(x));
			/* with historikk: the entity with its history where the package gets it,
			 * plus the identifier where historikk brings it */
			x = json_object_get(vh, names[e]);
			if ((x != NULL) != visible[e][pi])
				fail_msg("%s %s historikk: %s", why, names[e], x ? "visible" : "hidden");
			if (x && !is_object_ent(e) &&
			    json_array_size(x) != (history[e][pi] ? 2u : 1u))
				fail_msg("%s %s historikk: %zu elements", why, names[e], json_array_size(x));
			if (x && !is_object_ent(e) && history[e][pi]) {
				assert_true(json_is_true(json_object_get(json_array_get(x, 0), "erGjeldende")));
				assert_true(json_is_false(json_object_get(json_array_get(x, 1), "erGjeldende")));
			}
			assert_int_equal(json_object_size(vh),
			                 (visible[e][pi] ? 1 : 0) +
			                 (with_id && e != FREG_ENT_IDENTIFIKASJONSNUMMER ? 1 : 0));
			if (with_id) {
				x = json_object_get(vh, "identifikasjonsnummer");
				assert_non_null(x);
				assert_int_equal(json_array_size(x), 2);
			}
			assert_null(json_object_get(vh, "forholdTilSametingetsValgmanntall"));
			json_decref(va);
			json_decref(vh);
		}
	}
	assert_false(freg_view_may_see(FREG_PKG_COUNT, FREG_ENT_NAVN));
	assert_false(freg_view_may_see(FREG_OMH, FREG_ENT_COUNT));
	assert_null(freg_ent_name(FREG_ENT_COUNT));
	json_decref(doc);
}

/* ---- 2. parts ---- */

/* person-basis per package on the full document: what comes with no part at all. */
static void
test_person_basis(void **state)
{
	json_t *doc = full_doc();
	static const char *const basis_id[] = {
		"identifikasjonsnummer", "identitetsgrunnlag", "status", "doedsfall", "sivilstand",
		"foedsel", "statsborgerskap", "kjoenn", "navn", "bostedsadresse", "oppholdsadresse",
		"deltBosted", "postadresse", "postadresseIUtlandet", "adressebeskyttelse",
		"kontaktinformasjonForDoedsbo", NULL };
	static const char *const basis_noid[] = {
		"identitetsgrunnlag", "status", "doedsfall", "sivilstand",
		"foedsel", "statsborgerskap", "kjoenn", "navn", "bostedsadresse", "oppholdsadresse",
		"deltBosted", "postadresse", "postadresseIUtlandet", "adressebeskyttelse",
		"kontaktinformasjonForDoedsbo", NULL };
	static const char *const basis_eid[] = {
		"identifikasjonsnummer", "identitetsgrunnlag", "status", "doedsfall", "sivilstand",
		"foedsel", "statsborgerskap", "kjoenn", "navn", "bostedsadresse", "oppholdsadresse",
		"deltBosted", "postadresse", "postadresseIUtlandet", "adressebeskyttelse",
		"kontaktinformasjonForDoedsbo", "utenlandskPersonidentifikasjon",
		"legitimasjonsdokument", NULL };
	static const char *const *const want[NPKG] = {
		[FREG_OMH] = basis_id, [FREG_OUH] = basis_id, [FREG_PUH] = basis_id,
		[FREG_PRIV] = basis_noid, [FREG_PRIV_UF] = basis_noid, [FREG_FIN] = basis_id,
		[FREG_PRESSE] = basis_noid, [FREG_PRESSE_UF] = basis_noid, [FREG_EID] = basis_eid,
	};

	(void)state;
	for (size_t pi = 0; pi < NPKG; pi++) {
		enum freg_pkg p = pkgs[pi];
		struct freg_parts none, pb, up, pbid, hist;
		json_t *v;

		assert_int_equal(freg_parts_parse(p, NULL, 0, &none, NULL, 0), 0);
		assert_false(none.historikk);
		assert_false(none.explicit_id);
		pb = parts_of(p, "person-basis", NULL);
		up = parts_of(p, "PERSON-BASIS", NULL);
		assert_true(none.ents == pb.ents && pb.ents == up.ents);

		v = view(p, &none, doc);
		keys_are(v, want[p], freg_pkg(p)->abbrev);
		all_current(v);
		json_decref(v);

		/* PRIV and PRESSE get the identifier by naming it; the UF packages never */
		pbid = parts_of(p, "person-basis", "identifikasjonsnummer", NULL);
		assert_true(pbid.explicit_id);
		v = view(p, &pbid, doc);
		assert_int_equal(json_object_get(v, "identifikasjonsnummer") != NULL,
		                 p != FREG_PRIV_UF && p != FREG_PRESSE_UF);
		json_decref(v);

		/* historikk alone: person-basis with history where the package has it */
		hist = parts_of(p, "historikk", NULL);
		assert_true(hist.historikk);
		v = view(p, &hist, doc);
		keys_are(v, want[p], freg_pkg(p)->abbrev);
		assert_int_equal(json_array_size(json_object_get(v, "navn")), 2);
		assert_int_equal(json_array_size(json_object_get(v, "bostedsadresse")), 2);
		assert_int_equal(json_array_size(json_object_get(v, "sivilstand")),
		                 p == FREG_OMH || p == FREG_FIN ? 2 : 1);
		assert_int_equal(json_array_size(json_object_get(v, "status")),
		                 p == FREG_OMH ? 2 : 1);
		json_decref(v);
	}
	json_decref(doc);
}

static void
test_parts(void **state)
{
	json_t *doc = full_doc(), *v, *navn;
	struct freg_parts a, b;
	static const char *const navn_id[] = { "navn", "identifikasjonsnummer", NULL };
	static const char *const navn_only[] = { "navn", NULL };
	static const char *const none[] = { NULL };
	static const char *const rel3[] = { "familierelasjon", "foreldreansvar",
	                                    "vergemaalEllerFremtidsfullmakt", NULL };
	static const char *const rel1[] = { "vergemaalEllerFremtidsfullmakt", NULL };
	static const char *const idg_eid[] = { "legitimasjonsdokument",
	                                       "utenlandskPersonidentifikasjon", NULL };
	static const char *const idg_omh[] = { "falskIdentitet", "legitimasjonsdokument",
	                                       "utenlandskPersonidentifikasjon", NULL };

	(void)state;
	/* historikk + navn: current and historical navn, plus the identifier (OMH, OUH),
	 * and nothing else; PRIV gets no identifier */
	for (int k = 0; k < 3; k++) {
		enum freg_pkg p = k == 0 ? FREG_OMH : k == 1 ? FREG_OUH : FREG_PRIV;

		a = parts_of(p, "historikk", "navn", NULL);
		v = view(p, &a, doc);
		keys_are(v, p == FREG_PRIV ? navn_only : navn_id, freg_pkg(p)->abbrev);
		navn = json_object_get(v, "navn");
		assert_int_equal(json_array_size(navn), 2);
		assert_true(json_is_true(json_object_get(json_array_get(navn, 0), "erGjeldende")));
		assert_true(json_is_false(json_object_get(json_array_get(navn, 1), "erGjeldende")));
		assert_string_equal(json_string_value(json_object_get(json_array_get(navn, 1),
		                                                      "etternavn")), "Hansen");
		json_decref(v);
	}

	/* case: RettsligHandleevne, NAVN, HISTORIKK */
	a = parts_of(FREG_OUH, "RettsligHandleevne", NULL);
	assert_true(a.ents == (UINT64_C(1) << FREG_ENT_RETTSLIG_HANDLEEVNE));
	assert_false(a.historikk);
	v = view(FREG_OUH, &a, doc);
	assert_int_equal(json_object_size(v), 1);
	assert_non_null(json_object_get(v, "rettsligHandleevne"));
	json_decref(v);
	a = parts_of(FREG_OMH, "HISTORIKK", "NAVN", NULL);
	b = parts_of(FREG_OMH, "historikk", "navn", NULL);
	assert_true(a.historikk && a.ents == b.ents);
	assert_int_equal(freg_ent_by_name("VERGEMAALELLERFREMTIDSFULLMAKT"), FREG_ENT_VERGEMAAL);
	assert_int_equal(freg_ent_by_name("forholdTilSametingetsValgmanntall"), -1);
	assert_int_equal(freg_ent_by_name(NULL), -1);

	/* relasjon-utvidet: OMH and FIN all three, others only vergemaal */
	for (size_t pi = 0; pi < NPKG; pi++) {
		enum freg_pkg p = pkgs[pi];

		a = parts_of(p, "relasjon-utvidet", NULL);
		v = view(p, &a, doc);
		keys_are(v, p == FREG_OMH || p == FREG_FIN ? rel3 : rel1, freg_pkg(p)->abbrev);
		json_decref(v);
		/* identitetsgrunnlag-utvidet: OMH and EID; nothing (and no error) elsewhere */
		a = parts_of(p, "Identitetsgrunnlag-Utvidet", NULL);
		v = view(p, &a, doc);
		keys_are(v, p == FREG_OMH ? idg_omh : p == FREG_EID ? idg_eid : none,
		         freg_pkg(p)->abbrev);
		json_decref(v);
	}

	/* the aliases expand per package */
	a = parts_of(FREG_OUH, "relasjon-utvidet", NULL);
	assert_true(a.ents == (UINT64_C(1) << FREG_ENT_VERGEMAAL));
	a = parts_of(FREG_FIN, "relasjon-utvidet", NULL);
	assert_true(a.ents == ((UINT64_C(1) << FREG_ENT_VERGEMAAL) |
	                       (UINT64_C(1) << FREG_ENT_FAMILIERELASJON) |
	                       (UINT64_C(1) << FREG_ENT_FORELDREANSVAR)));
	a = parts_of(FREG_FIN, "identitetsgrunnlag-utvidet", NULL);
	assert_true(a.ents == 0);
	a = parts_of(FREG_EID, "identitetsgrunnlag-utvidet", NULL);
	assert_true(a.ents == ((UINT64_C(1) << FREG_ENT_FALSK_IDENTITET) |
	                       (UINT64_C(1) << FREG_ENT_LEGITIMASJONSDOKUMENT) |
	                       (UINT64_C(1) << FREG_ENT_UTENLANDSK_PERSONIDENTIFIKASJON)));
	a = parts_of(FREG_PRIV, "historikk", NULL);
	assert_true(a.historikk && !a.explicit_id);
	assert_true(!(a.ents & (UINT64_C(1) << FREG_ENT_IDENTIFIKASJONSNUMMER)));
	a = parts_of(FREG_PUH, "historikk", "navn", NULL);
	assert_true(a.ents == ((UINT64_C(1) << FREG_ENT_NAVN) |
	                       (UINT64_C(1) << FREG_ENT_IDENTIFIKASJONSNUMMER)));
	assert_false(a.explicit_id);
	a = parts_of(FREG_PRESSE, "Identifikasjonsnummer", NULL);
	assert_true(a.explicit_id);

	/* history depth: sivilstand on FIN yes, on OUH no; statsborgerskap on OMH only */
	a = parts_of(FREG_FIN, "historikk", "sivilstand", NULL);
	v = view(FREG_FIN, &a, doc);
	assert_int_equal(json_array_size(json_object_get(v, "sivilstand")), 2);
	json_decref(v);
	a = parts_of(FREG_OUH, "historikk", "sivilstand", NULL);
	v = view(FREG_OUH, &a, doc);
	assert_int_equal(json_array_size(json_object_get(v, "sivilstand")), 1);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(json_object_get(v, "sivilstand"), 0), "sivilstand")), "gift");
	json_decref(v);
	a = parts_of(FREG_OMH, "historikk", "statsborgerskap", NULL);
	v = view(FREG_OMH, &a, doc);
	assert_int_equal(json_array_size(json_object_get(v, "statsborgerskap")), 2);
	json_decref(v);
	a = parts_of(FREG_FIN, "historikk", "statsborgerskap", NULL);
	v = view(FREG_FIN, &a, doc);
	assert_int_equal(json_array_size(json_object_get(v, "statsborgerskap")), 1);
	json_decref(v);

	/* a hand-made parts asking PRIV for the identifier without naming it: refused */
	a = parts_of(FREG_PRIV, "navn", NULL);
	a.ents |= UINT64_C(1) << FREG_ENT_IDENTIFIKASJONSNUMMER;
	v = view(FREG_PRIV, &a, doc);
	keys_are(v, navn_only, "PRIV");
	json_decref(v);
	/* an element not marked current counts as history */
	json_object_del(json_array_get(json_object_get(doc, "navn"), 0), "erGjeldende");
	a = parts_of(FREG_OUH, "navn", NULL);
	v = view(FREG_OUH, &a, doc);
	assert_int_equal(json_object_size(v), 0);
	json_decref(v);
	a = parts_of(FREG_OUH, "historikk", "navn", NULL);
	v = view(FREG_OUH, &a, doc);
	assert_int_equal(json_array_size(json_object_get(v, "navn")), 2);
	json_decref(v);
	/* nothing requested: an empty object */
	memset(&a, 0, sizeof(a));
	v = view(FREG_OMH, &a, doc);
	assert_int_equal(json_object_size(v), 0);
	json_decref(v);
	json_decref(doc);
}

static void
refused(const char *val, const char *want)
{
	const char *vals[] = { "navn", val };
	struct freg_parts parts;
	char why[160] = "x";

	parts.ents = 42;
	assert_int_equal(freg_parts_parse(FREG_OMH, vals, 2, &parts, why, sizeof(why)),
	                 PORTEN_ERR_INVALID);
	assert_string_equal(why, want);
	assert_true(parts.ents == 0 && !parts.historikk);
}

static void
test_parts_refused(void **state)
{
	const char *vals[PORTEN_FREG_PARTS_MAX + 1];
	struct freg_parts parts;
	char why[160], small[10], long_val[200], cut[100];

	(void)state;
	refused("foo", "ugyldig part: foo");
	refused("forholdTilSametingetsValgmanntall",
	        "ugyldig part: forholdTilSametingetsValgmanntall");
	refused("ForholdTilSametingetsValgmanntall",
	        "ugyldig part: ForholdTilSametingetsValgmanntall");
	refused("Folkeregisteridentifikator-historikk",
	        "ugyldig part: Folkeregisteridentifikator-historikk");
	refused("navn-historikk", "ugyldig part: navn-historikk");
	refused("", "ugyldig part: ");
	refused(NULL, "ugyldig part: ");
	refused("fødsel", "ugyldig part: fødsel");
	refused("na\nvn\x7f", "ugyldig part: na?vn?");
	refused("a\xff\xc3zb", "ugyldig part: a??zb");
	refused("\xed\xa0\x80x", "ugyldig part: ???x");
	/* a long value: 64 bytes of it and "..." */
	memset(long_val, 'a', 150);
	long_val[150] = '\0';
	snprintf(cut, sizeof(cut), "ugyldig part: %.64s...", long_val);
	refused(long_val, cut);
	/* a character that would cross the 64-byte mark is left out whole */
	memset(long_val, 'b', 63);
	memcpy(long_val + 63, "øx", 4);
	snprintf(cut, sizeof(cut), "ugyldig part: %.63s...", long_val);
	refused(long_val, cut);
	/* a small buffer: cut, still terminated */
	vals[0] = "bogus";
	assert_int_equal(freg_parts_parse(FREG_OMH, vals, 1, &parts, small, sizeof(small)),
	                 PORTEN_ERR_INVALID);
	assert_string_equal(small, "ugyldig p");
	assert_int_equal(freg_parts_parse(FREG_OMH, vals, 1, &parts, NULL, 0), PORTEN_ERR_INVALID);

	/* PORTEN_FREG_PARTS_MAX values pass, one more does not */
	for (size_t i = 0; i <= PORTEN_FREG_PARTS_MAX; i++)
		vals[i] = "navn";
	assert_int_equal(freg_parts_parse(FREG_OMH, vals, PORTEN_FREG_PARTS_MAX, &parts, why,
	                                  sizeof(why)), 0);
	assert_true(parts.ents == (UINT64_C(1) << FREG_ENT_NAVN));
	assert_int_equal(freg_parts_parse(FREG_OMH, vals, PORTEN_FREG_PARTS_MAX + 1, &parts,
	                                  why, sizeof(why)), PORTEN_ERR_INVALID);
	assert_string_equal(why, "for mange part-verdier: 65 (høyst 64)");
	/* bad arguments */
	assert_int_equal(freg_parts_parse(FREG_PKG_COUNT, vals, 1, &parts, why, sizeof(why)),
	                 PORTEN_ERR_INVALID);
	assert_int_equal(freg_parts_parse(FREG_OMH, NULL, 1, &parts, why, sizeof(why)),
	                 PORTEN_ERR_INVALID);
	assert_int_equal(freg_parts_parse(FREG_OMH, vals, 1, NULL, why, sizeof(why)),
	                 PORTEN_ERR_INVALID);
}

/* ---- 3. protected addresses ---- */

static const char *const content_keys[] = {
	"vegadresse", "matrikkeladresse", "ukjentBosted", "bostedskommune", "kommunenummer",
	"utenlandskAdresse", "postboksadresse", "postadresseIFrittFormat",
	"utenlandskAdresseIFrittFormat",
};

/* Only the grading and register metadata, and the grading is g. */
static void
reduced(const json_t *el, const char *g, const char *what)
{
	static const char *const keep[] = { "adressegradering", "ajourholdstidspunkt",
	                                    "erGjeldende", "kilde", "aarsak",
	                                    "gyldighetstidspunkt", "opphoerstidspunkt" };
	const char *k;
	const json_t *x;

	assert_string_equal(json_string_value(json_object_get(el, "adressegradering")), g);
	json_object_foreach((json_t *)el, k, x) {
		size_t i;

		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (strcmp(keep[i], k) == 0)
				break;
		if (i == sizeof(keep) / sizeof(keep[0]))
			fail_msg("%s: %s kept", what, k);
	}
	assert_true(json_is_true(json_object_get(el, "erGjeldende")));
}

static bool
hjemmel(enum freg_pkg p)
{
	return p == FREG_OMH || p == FREG_FIN || p == FREG_EID;
}

/* Every entity name and historikk: the most a package can ask for. */
static struct freg_parts
everything(enum freg_pkg p)
{
	const char *vals[NENT + 1];
	struct freg_parts parts;

	for (int e = 0; e < NENT; e++)
		vals[e] = names[e];
	vals[NENT] = "historikk";
	assert_int_equal(freg_parts_parse(p, vals, NENT + 1, &parts, NULL, 0), 0);
	return parts;
}

static void
test_strengt_fortrolig(void **state)
{
	/* current addresses graded strengtFortrolig with contents (which the register never
	 * holds, so the view must cope), the earlier bostedsadresse ugradert */
	json_t *doc = protected_doc("strengtFortrolig", "strengtFortrolig", false);

	(void)state;
	for (size_t pi = 0; pi < NPKG; pi++) {
		enum freg_pkg p = pkgs[pi];

		for (int k = 0; k < 2; k++) {
			struct freg_parts parts = k ? everything(p) : parts_of(p, NULL);
			json_t *v = view(p, &parts, doc), *x;
			const char *what = freg_pkg(p)->abbrev;

			for (int e = 0; e < NENT; e++) {
				if (!is_address(e) || (x = json_object_get(v, names[e])) == NULL)
					continue;
				for (size_t c = 0; c < 5; c++)
					if (has_key(x, content_keys[c]))
						fail_msg("%s %s: %s delivered", what, names[e], content_keys[c]);
			}
			assert_null(json_object_get(v, "oppholdsadresse"));
			assert_null(json_object_get(v, "deltBosted"));
			x = json_object_get(v, "bostedsadresse");
			assert_int_equal(json_array_size(x), 1);
			reduced(json_array_get(x, 0), "strengtFortrolig", what);
			/* the open forwarding address comes to everyone, without history */
			x = json_object_get(v, "postadresse");
			assert_int_equal(json_array_size(x), 1);
			assert_non_null(json_object_get(json_array_get(x, 0), "postboksadresse"));
			x = json_object_get(v, "adressebeskyttelse");
			assert_string_equal(json_string_value(json_object_get(json_array_get(x, 0),
			                    "graderingsnivaa")), "strengtFortrolig");
			assert_int_equal(json_object_get(v, "innflytting") != NULL, k && p == FREG_OMH);
			assert_int_equal(json_object_get(v, "utflytting") != NULL, k && p == FREG_OMH);
			json_decref(v);
		}
	}
	json_decref(doc);
	/* a strengtFortrolig person whose current bostedsadresse is (wrongly) ugradert: the
	 * person's protection wins, no contents either */
	doc = protected_doc("strengtFortrolig", "ugradert", true);
	for (size_t pi = 0; pi < NPKG; pi++) {
		enum freg_pkg p = pkgs[pi];
		struct freg_parts parts = everything(p);
		json_t *v = view(p, &parts, doc), *x = json_object_get(v, "bostedsadresse");

		assert_int_equal(json_array_size(x), 1);
		reduced(json_array_get(x, 0), "ugradert", freg_pkg(p)->abbrev);
		assert_null(json_object_get(v, "oppholdsadresse"));
		assert_null(json_object_get(v, "deltBosted"));
		json_decref(v);
	}
	json_decref(doc);
}

static void
test_fortrolig(void **state)
{
	json_t *doc = protected_doc("fortrolig", "fortrolig", true);
	static const int graded[] = { FREG_ENT_BOSTEDSADRESSE, FREG_ENT_OPPHOLDSADRESSE,
	                              FREG_ENT_DELT_BOSTED };

	(void)state;
	for (size_t pi = 0; pi < NPKG; pi++) {
		enum freg_pkg p = pkgs[pi];
		struct freg_parts basis = parts_of(p, NULL), all = everything(p);
		json_t *v = view(p, &basis, doc), *va = view(p, &all, doc), *x;
		const char *what = freg_pkg(p)->abbrev;

		for (size_t k = 0; k < 3; k++) {
			x = json_object_get(v, names[graded[k]]);
			assert_int_equal(json_array_size(x), 1);
			if (hjemmel(p)) {
				assert_string_equal(json_string_value(json_object_get(json_array_get(x, 0),
				                    "adressegradering")), "fortrolig");
				assert_non_null(json_object_get(json_array_get(x, 0), "vegadresse"));
			} else {
				reduced(json_array_get(x, 0), "fortrolig", what);
			}
			/* history: the packages with hjemmel see the earlier (fortrolig) address,
			 * the others nothing of it */
			x = json_object_get(va, names[graded[k]]);
			assert_int_equal(json_array_size(x), hjemmel(p) ? 2 : 1);
			if (!hjemmel(p))
				for (size_t c = 0; c < sizeof(content_keys) / sizeof(content_keys[0]); c++)
					assert_false(has_key(x, content_keys[c]));
		}
		/* an ugradert address of the same person stays whole */
		x = json_object_get(v, "postadresse");
		assert_non_null(json_object_get(json_array_get(x, 0), "postboksadresse"));
		assert_string_equal(json_string_value(json_object_get(json_array_get(
			json_object_get(v, "adressebeskyttelse"), 0), "graderingsnivaa")), "fortrolig");
		/* inn/utflytting of a protected person: OMH and OUH only */
		assert_int_equal(json_object_get(va, "innflytting") != NULL,
		                 p == FREG_OMH || p == FREG_OUH);
		assert_int_equal(json_object_get(va, "utflytting") != NULL,
		                 p == FREG_OMH || p == FREG_OUH);
		if (p == FREG_OUH)
			assert_int_equal(json_array_size(json_object_get(va, "utflytting")), 1);
		json_decref(v);
		json_decref(va);
	}
	json_decref(doc);
}

static void
test_klientadresse(void **state)
{
	json_t *doc = full_doc(), *el;

	(void)state;
	el = json_array_get(json_object_get(doc, "oppholdsadresse"), 0);
	assert_int_equal(json_object_set_new(el, "adressegradering",
	                                     json_string("klientadresse")), 0);
	for (size_t pi = 0; pi < NPKG; pi++) {
		enum freg_pkg p = pkgs[pi];
		struct freg_parts all = everything(p);
		json_t *v = view(p, &all, doc), *x;

		x = json_object_get(v, "oppholdsadresse");
		if (hjemmel(p)) {
			assert_int_equal(json_array_size(x), 2);
			assert_non_null(json_object_get(json_array_get(x, 0), "vegadresse"));
		} else {
			/* the klientadresse element loses its contents; the earlier one (ugradert)
			 * stays whole */
			assert_int_equal(json_array_size(x), 2);
			reduced(json_array_get(x, 0), "klientadresse", freg_pkg(p)->abbrev);
			assert_non_null(json_object_get(json_array_get(x, 1), "utenlandskAdresse"));
		}
		/* only that element: bostedsadresse and deltBosted are whole, inn/utflytting there */
		x = json_object_get(v, "bostedsadresse");
		assert_non_null(json_object_get(json_array_get(x, 0), "vegadresse"));
		x = json_object_get(v, "deltBosted");
		assert_non_null(json_object_get(json_array_get(x, 0), "vegadresse"));
		assert_non_null(json_object_get(v, "innflytting"));
		assert_non_null(json_object_get(v, "utflytting"));
		json_decref(v);
	}
	json_decref(doc);
}

/* Person status: bosatt, utflyttet, doed, opphoert and inaktiv are open; any other value
 * (here midlertidig, a d-number holder's) is confidential: OMH only. */
static void
test_status(void **state)
{
	json_t *doc = full_doc(), *el;

	(void)state;
	el = json_array_get(json_object_get(doc, "status"), 0);
	assert_int_equal(json_object_set_new(el, "status", json_string("midlertidig")), 0);
	el = json_array_get(json_object_get(doc, "status"), 1);
	assert_int_equal(json_object_set_new(el, "status", json_string("inaktiv")), 0);
	for (size_t pi = 0; pi < NPKG; pi++) {
		enum freg_pkg p = pkgs[pi];
		struct freg_parts cur = parts_of(p, "status", NULL), all = everything(p);
		json_t *v = view(p, &cur, doc), *va = view(p, &all, doc), *x;

		x = json_object_get(v, "status");
		if (p == FREG_OMH) {
			assert_string_equal(json_string_value(json_object_get(json_array_get(x, 0),
			                    "status")), "midlertidig");
			assert_int_equal(json_array_size(json_object_get(va, "status")), 2);
		} else {
			assert_null(x);
			assert_null(json_object_get(va, "status"));
		}
		json_decref(v);
		json_decref(va);
	}
	json_decref(doc);
}

/* ---- 4. identifiers of other persons ---- */

static void
test_identifiers(void **state)
{
	json_t *doc = full_doc(), *doc2 = full_doc(), *el;

	(void)state;
	/* doc2: the estate contact person also has birth date and name */
	el = json_array_get(json_object_get(doc2, "kontaktinformasjonForDoedsbo"), 0);
	assert_int_equal(json_object_set_new(el, "person",
		J("{\"foedselsEllerDNummer\":\"03036512345\",\"foedselsdato\":\"1965-03-03\","
		  "\"personnavn\":{\"fornavn\":\"Liv\",\"etternavn\":\"Arving\"}}")), 0);
	for (size_t pi = 0; pi < NPKG; pi++) {
		enum freg_pkg p = pkgs[pi];
		bool priv = p == FREG_PRIV || p == FREG_PRESSE || p == FREG_PRIV_UF ||
		            p == FREG_PRESSE_UF;
		bool uf = p == FREG_PRIV_UF || p == FREG_PRESSE_UF;
		struct freg_parts all = everything(p), basis = parts_of(p, NULL);
		json_t *v = view(p, &all, doc), *v2 = view(p, &all, doc2), *vb = view(p, &basis, doc);
		const json_t *k, *verge, *siv;

		k = json_array_get(json_object_get(v, "kontaktinformasjonForDoedsbo"), 0);
		assert_non_null(k);
		if (priv) {
			/* nothing left of person: it goes */
			assert_null(json_object_get(k, "person"));
			k = json_object_get(json_array_get(json_object_get(v2,
			                    "kontaktinformasjonForDoedsbo"), 0), "person");
			assert_null(json_object_get(k, "foedselsEllerDNummer"));
			assert_string_equal(json_string_value(json_object_get(k, "foedselsdato")),
			                    "1965-03-03");
			assert_non_null(json_object_get(k, "personnavn"));
		} else {
			assert_string_equal(json_string_value(json_object_get(json_object_get(k, "person"),
			                    "foedselsEllerDNummer")), "03036512345");
		}
		verge = json_object_get(json_array_get(json_object_get(v,
		                        "vergemaalEllerFremtidsfullmakt"), 0), "verge");
		assert_non_null(json_object_get(verge, "navnFoedselsdato"));
		if (uf)
			assert_null(json_object_get(verge, "foedselsEllerDNummer"));
		else
			assert_string_equal(json_string_value(json_object_get(verge,
			                    "foedselsEllerDNummer")), "06066012345");
		/* the spouse is confidential: OMH and FIN only */
		siv = json_array_get(json_object_get(v, "sivilstand"), 0);
		assert_string_equal(json_string_value(json_object_get(siv, "sivilstand")), "gift");
		assert_int_equal(json_object_get(siv, "relatertVedSivilstand") != NULL,
		                 p == FREG_OMH || p == FREG_FIN);
		if (p == FREG_FIN) {
			assert_string_equal(json_string_value(json_object_get(json_array_get(
				json_object_get(v, "familierelasjon"), 0), "relatertPerson")), "04040012345");
			assert_string_equal(json_string_value(json_object_get(json_array_get(
				json_object_get(v, "foreldreansvar"), 0), "ansvarssubjekt")), "04040012345");
			assert_string_equal(json_string_value(json_object_get(
				json_object_get(v, "falskIdentitet"), "rettIdentitetVedIdentifikasjonsnummer")),
				"07077012345");
		}
		/* no 11-digit identifier anywhere for the UF packages */
		if (uf) {
			assert_false(has_id11(v));
			assert_false(has_id11(v2));
			assert_false(has_id11(vb));
		} else {
			assert_true(has_id11(v));
		}
		json_decref(v);
		json_decref(v2);
		json_decref(vb);
	}
	json_decref(doc);
	json_decref(doc2);
}

/* ---- 5. generated persons ---- */

struct pop {
	json_t *persons;
};

static int
collect(void *ctx, const char *pid, const json_t *person)
{
	struct pop *p = ctx;

	(void)pid;
	return json_array_append(p->persons, (json_t *)person);
}

static const int single_valued[] = {
	FREG_ENT_IDENTIFIKASJONSNUMMER, FREG_ENT_STATUS, FREG_ENT_NAVN, FREG_ENT_KJOENN,
	FREG_ENT_FOEDSEL, FREG_ENT_FOEDSEL_I_NORGE, FREG_ENT_IDENTITETSGRUNNLAG,
	FREG_ENT_SIVILSTAND, FREG_ENT_BOSTEDSADRESSE, FREG_ENT_OPPHOLDSADRESSE,
	FREG_ENT_POSTADRESSE, FREG_ENT_POSTADRESSE_I_UTLANDET, FREG_ENT_ADRESSEBESKYTTELSE,
	FREG_ENT_KONTAKTINFORMASJON_FOR_DOEDSBO, FREG_ENT_INNFLYTTING, FREG_ENT_UTFLYTTING,
	FREG_ENT_OPPHOLD, FREG_ENT_BIBEHOLD, FREG_ENT_BRUK_AV_SAMISK_SPRAAK,
	FREG_ENT_OPPHOLD_PAA_SVALBARD, FREG_ENT_RETTSLIG_HANDLEEVNE,
};

static const char *
protection_of(const json_t *person)
{
	const json_t *el;
	size_t i;

	json_array_foreach(json_object_get(person, "adressebeskyttelse"), i, el)
		if (json_is_true(json_object_get(el, "erGjeldende")))
			return json_string_value(json_object_get(el, "graderingsnivaa"));
	return "ugradert";
}

/* check_schema.py over a file of documents: 0 ok, 1 skipped. */
static int
schema_check(const char *path)
{
	char cmd[1024];
	int st;

	if (system("python3 -c 'import yaml' >/dev/null 2>&1") != 0) {
		print_message("schema check skipped: no python3 with yaml\n");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "python3 %s/tests/unit/freg/check_schema.py %s > %s.out 2>&1",
	         PORTEN_SOURCE_DIR, path, path);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 2) {
		print_message("schema check skipped: no contract (../shared)\n");
		snprintf(cmd, sizeof(cmd), "rm -f %s.out", path);
		assert_int_equal(system(cmd), 0);
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "%s %s.out; rm -f %s.out",
	         WEXITSTATUS(st) != 0 ? "cat" : "tail -n 2", path, path);
	assert_int_equal(system(cmd), 0);
	if (WEXITSTATUS(st) != 0)
		fail_msg("check_schema.py failed on %s", path);
	return 0;
}

static void
test_generated(void **state)
{
	struct freg_gen_opts o;
	struct pop pop = { json_array() };
	char path[] = "/tmp/porten-view-XXXXXX";
	int fd = mkstemp(path);
	FILE *omh;
	size_t i, n_strengt = 0, n_uf_checked = 0, n_sampled = 0;
	const json_t *person;

	(void)state;
	assert_true(fd >= 0);
	omh = fdopen(fd, "w");
	assert_non_null(omh);
	freg_gen_opts_init(&o);
	o.persons = 1000;
	assert_int_equal(freg_gen_population(&o, collect, &pop), 0);
	assert_int_equal(json_array_size(pop.persons), 1000);

	json_array_foreach(pop.persons, i, person) {
		char *before = dump(person), *after;
		bool strengt = strcmp(protection_of(person), "strengtFortrolig") == 0;

		n_strengt += strengt;
		for (size_t pi = 0; pi < NPKG; pi++) {
			enum freg_pkg p = pkgs[pi];

			for (int k = 0; k < 2; k++) {
				struct freg_parts parts = k ? everything(p) : parts_of(p, NULL);
				json_t *v = freg_view(p, &parts, person), *x;
				const char *what = freg_pkg(p)->abbrev;

				assert_non_null(v);
				check_clean(v, what);
				check_layout(p, &parts, person, v);
				for (size_t s = 0; s < sizeof(single_valued) / sizeof(single_valued[0]); s++) {
					const json_t *el;
					size_t j, cur = 0;

					json_array_foreach(json_object_get(v, names[single_valued[s]]), j, el)
						cur += json_is_true(json_object_get(el, "erGjeldende"));
					if (cur > 1)
						fail_msg("%s person %zu: %zu current %s", what, i, cur,
						         names[single_valued[s]]);
				}
				if (!k)
					all_current(v);
				if (!k && !strengt && strcmp(protection_of(person), "fortrolig") != 0 &&
				    json_object_get(person, "bostedsadresse"))
					/* an unprotected person's current bostedsadresse reaches everyone */
					assert_int_equal(json_object_get(v, "bostedsadresse") != NULL,
					                 json_is_true(json_object_get(json_array_get(
					                 json_object_get(person, "bostedsadresse"), 0),
					                 "erGjeldende")));
				if (p == FREG_PRIV_UF || p == FREG_PRESSE_UF) {
					if (has_id11(v))
						fail_msg("%s person %zu: an 11-digit string", what, i);
					n_uf_checked++;
				}
				if (strengt) {
					for (size_t c = 0; c < 5; c++)
						for (int e = 0; e < NENT; e++)
							if (is_address(e) && (x = json_object_get(v, names[e])) &&
							    has_key(x, content_keys[c]))
								fail_msg("%s person %zu: %s in %s", what, i,
								         content_keys[c], names[e]);
					assert_null(json_object_get(v, "oppholdsadresse"));
				}
				if (p == FREG_OMH && (k || i % 4 == 0)) {
					char *s = json_dumps(v, JSON_COMPACT);

					assert_non_null(s);
					fprintf(omh, "%s\n", s);
					free(s);
					n_sampled++;
				}
				json_decref(v);
			}
		}
		after = dump(person);
		assert_string_equal(before, after);
		free(before);
		free(after);
	}
	assert_true(n_strengt > 0);
	assert_int_equal(n_uf_checked, 1000 * 2 * 2);
	assert_int_equal(fclose(omh), 0);
	print_message("view: %zu OMH documents to check_schema.py\n", n_sampled);
	schema_check(path);
	unlink(path);
	json_decref(pop.persons);
}

/* Shapes the view steps over or leaves out (elements that are no objects, an entity of
 * the wrong type, unknown members, escapes in keys and values, empty arrays, a missing
 * erGjeldende, an unknown grading), under more part combinations; text that is not the
 * document's compact dump gets no layout; a damaged layout is refused or read within
 * the text, never past it (ASan). */
static void
test_layout(void **state)
{
	static const char *const docs[] = {
		"{}",
		"{\"navn\":[]}",
		"{\"x\\\"y\":1,\"navn\":[1,\"a\",null,{\"fornavn\":\"\\u00e6\\\"\",\"erGjeldende\":true}],"
		"\"kjoenn\":{\"kjoenn\":\"mann\"},\"doedsfall\":[{\"doedsdato\":\"2001-01-01\"}],"
		"\"falskIdentitet\":{\"erFalsk\":true,"
		"\"rettIdentitetVedIdentifikasjonsnummer\":\"01010112345\"},\"tall\":1.5e300}",
		"{\"bostedsadresse\":[{\"adressegradering\":\"ukjent\",\"erGjeldende\":true,"
		"\"vegadresse\":{\"adressenavn\":\"Gate\"}},{\"adressegradering\":\"ugradert\","
		"\"erGjeldende\":false,\"vegadresse\":{\"adressenavn\":\"Vei\"}}],"
		"\"oppholdsadresse\":[{\"erGjeldende\":true,\"utenlandskAdresse\":{}}],"
		"\"adressebeskyttelse\":[{\"graderingsnivaa\":\"fortrolig\",\"erGjeldende\":true}],"
		"\"innflytting\":[{\"erGjeldende\":true}],\"status\":[{\"status\":\"midlertidig\","
		"\"erGjeldende\":true},{\"status\":\"bosatt\",\"erGjeldende\":false}],"
		"\"sivilstand\":[{\"sivilstand\":\"gift\",\"relatertVedSivilstand\":\"01010112345\","
		"\"erGjeldende\":true}],\"kontaktinformasjonForDoedsbo\":[{\"person\":"
		"{\"foedselsEllerDNummer\":\"01010112345\"},\"erGjeldende\":true}],"
		"\"vergemaalEllerFremtidsfullmakt\":[{\"verge\":{\"foedselsEllerDNummer\":\"1\","
		"\"navn\":{\"fornavn\":\"A\"}},\"erGjeldende\":true}]}",
	};
	static const char *const partsets[][4] = {
		{ NULL }, { "historikk", NULL }, { "identifikasjonsnummer", NULL },
		{ "relasjon-utvidet", "historikk", NULL }, { "identitetsgrunnlag-utvidet", NULL },
		{ "doedsfall", "falskIdentitet", "kjoenn", NULL }, { "person-basis", "innflytting", NULL },
	};

	(void)state;
	for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
		json_t *doc = json_loads(docs[d], 0, NULL);
		char *text;
		struct porten_buf lay, out;

		if (doc == NULL)
			fail_msg("doc %zu does not parse", d);
		for (size_t pi = 0; pi < NPKG; pi++) {
			for (size_t k = 0; k < sizeof(partsets) / sizeof(partsets[0]); k++) {
				struct freg_parts parts;
				size_t n = 0;
				json_t *v;

				while (partsets[k][n] != NULL)
					n++;
				assert_int_equal(freg_parts_parse(pkgs[pi], partsets[k], n, &parts, NULL, 0), 0);
				v = freg_view(pkgs[pi], &parts, doc);
				assert_non_null(v);
				check_layout(pkgs[pi], &parts, doc, v);
				json_decref(v);
			}
		}
		/* a text that is not the compact dump: no layout */
		text = json_dumps(doc, JSON_INDENT(1));
		porten_buf_init(&lay, 1 << 20);
		porten_buf_init(&out, 1 << 22);
		if (json_object_size(doc) > 0)
			assert_int_equal(freg_layout_build(doc, text, strlen(text), &lay),
			                 PORTEN_ERR_INVALID);
		free(text);
		/* damage: every truncation, every byte changed three ways, another version */
		text = json_dumps(doc, JSON_COMPACT);
		porten_buf_reset(&lay);
		assert_int_equal(freg_layout_build(doc, text, strlen(text), &lay), 0);
		for (size_t i = 0; i <= lay.len; i++) {
			for (int how = 0; how < 4; how++) {
				unsigned char *l = malloc(lay.len + 1);
				struct freg_parts parts = everything(FREG_OMH);
				int r;

				assert_non_null(l);
				memcpy(l, lay.data, lay.len);
				if (how > 0 && i < lay.len)
					l[i] = how == 1 ? (unsigned char)(l[i] ^ 0xff) : how == 2 ? 0x80 :
					       (unsigned char)(l[i] + 1);
				porten_buf_reset(&out);
				r = freg_view_json(FREG_OMH, &parts, text, strlen(text), l,
				                   how == 0 ? i : lay.len, &out);
				if (r != 0 && r != PORTEN_ERR_INVALID)
					fail_msg("doc %zu: damaged layout at %zu: %d", d, i, r);
				if (how == 0 && i < 2)
					assert_int_equal(r, PORTEN_ERR_INVALID);
				free(l);
			}
		}
		lay.data[0] = FREG_LAYOUT_VERSION + 1;
		{
			struct freg_parts parts = everything(FREG_OMH);

			assert_int_equal(freg_view_json(FREG_OMH, &parts, text, strlen(text),
			                                (const unsigned char *)lay.data, lay.len, &out),
			                 PORTEN_ERR_INVALID);
		}
		free(text);
		porten_buf_release(&lay);
		porten_buf_release(&out);
		json_decref(doc);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_visibility_walk),
		cmocka_unit_test(test_person_basis),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_parts_refused),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_strengt_fortrolig),
		cmocka_unit_test(test_fortrolig),
		cmocka_unit_test(test_klientadresse),
		cmocka_unit_test(test_identifiers),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
