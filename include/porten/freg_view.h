/* What a rights package sees of a person (spec/folkeregisteret.md 3.8, 4): the `part`
 * parameter (dataminimering) and the per-package visibility rules (confidential facts,
 * history depth, protected addresses, inn/utflytting, identifiers).
 *
 * The register stores one whole person document per version (every entity, with
 * history, as the generator and the event engine write it). freg_view() derives from it
 * the document one package may receive for one set of parts. Pure functions: no I/O, no
 * global state; thread-safe. docs/freg-visibility.md ("Lookups") states every rule as a
 * table. */
#ifndef PORTEN_FREG_VIEW_H
#define PORTEN_FREG_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "porten/buf.h"
#include "porten/freg.h"

/* Every top-level property of Folkeregisterperson a part may name (OpenAPI 1.5 plus the
 * later rettsligHandleevne / fratattRettsligHandleevne). forholdTilSametingetsValgmanntall
 * was withdrawn as a part on 2023-04-03 and is not an entity here: asking for it is a
 * 400, and it is never delivered. */
enum freg_ent {
	FREG_ENT_IDENTIFIKASJONSNUMMER = 0,
	FREG_ENT_STATUS,
	FREG_ENT_NAVN,
	FREG_ENT_KJOENN,
	FREG_ENT_FOEDSEL,
	FREG_ENT_FOEDSEL_I_NORGE,
	FREG_ENT_DOEDSFALL,                 /* an object, not an array */
	FREG_ENT_IDENTITETSGRUNNLAG,
	FREG_ENT_SIVILSTAND,
	FREG_ENT_STATSBORGERSKAP,
	FREG_ENT_BOSTEDSADRESSE,
	FREG_ENT_OPPHOLDSADRESSE,
	FREG_ENT_DELT_BOSTED,
	FREG_ENT_POSTADRESSE,
	FREG_ENT_POSTADRESSE_I_UTLANDET,
	FREG_ENT_ADRESSEBESKYTTELSE,
	FREG_ENT_KONTAKTINFORMASJON_FOR_DOEDSBO,
	FREG_ENT_FAMILIERELASJON,
	FREG_ENT_FORELDREANSVAR,
	FREG_ENT_VERGEMAAL,                 /* vergemaalEllerFremtidsfullmakt */
	FREG_ENT_RETTSLIG_HANDLEEVNE,
	FREG_ENT_FRATATT_RETTSLIG_HANDLEEVNE,
	FREG_ENT_FALSK_IDENTITET,           /* an object, not an array */
	FREG_ENT_LEGITIMASJONSDOKUMENT,
	FREG_ENT_UTENLANDSK_PERSONIDENTIFIKASJON,
	FREG_ENT_DUF,                       /* utlendingsmyndighetenesIdentifikasjonsnummer */
	FREG_ENT_INNFLYTTING,
	FREG_ENT_UTFLYTTING,
	FREG_ENT_OPPHOLD,
	FREG_ENT_BIBEHOLD,
	FREG_ENT_BRUK_AV_SAMISK_SPRAAK,
	FREG_ENT_OPPHOLD_PAA_SVALBARD,
	FREG_ENT_PREFERERT_KONTAKTADRESSE,
	FREG_ENT_COUNT
};

/* The property name as in the schema ("vergemaalEllerFremtidsfullmakt"). */
const char *freg_ent_name(enum freg_ent e);
/* By property name, case-insensitive; -1 when none. */
int freg_ent_by_name(const char *name);

/* A parsed set of parts. */
struct freg_parts {
	uint64_t ents;            /* bit (1 << enum freg_ent) per requested entity */
	bool historikk;           /* part=historikk: history of the returned entities */
	bool explicit_id;         /* identifikasjonsnummer was named explicitly (not only
	                           * implied by an alias), which PRIV/PRESSE need */
};

/* Maximum number of part values one request may carry: PORTEN_FREG_PARTS_MAX (limits.h).
 * More is PORTEN_ERR_INVALID with "for mange part-verdier: <n> (høyst <max>)". */

/* Parses the values of the repeatable `part` parameter (spec 4.1) for package p:
 *  - matching is case-insensitive;
 *  - aliases: person-basis, historikk (a modifier), identitetsgrunnlag-utvidet,
 *    relasjon-utvidet; every entity name above;
 *  - identitetsgrunnlag-utvidet expands for OMH and EID only; elsewhere it is accepted
 *    and empty (also on OUH and FIN, which see falskIdentitet by its own name);
 *  - the legacy form "<Entitet>-historikk" is NOT supported (400);
 *  - no values (n == 0) means person-basis;
 *  - only "historikk" given (with nothing else) means person-basis with history;
 *  - an unknown or withdrawn value (forholdTilSametingetsValgmanntall) is refused:
 *    returns PORTEN_ERR_INVALID and a Norwegian one-line reason naming the value
 *    ("ugyldig part: <value>") in why_buf (why_sz bytes; may be NULL): at most 64 bytes
 *    of the value, cut on a character boundary and followed by "..." when cut, control
 *    characters and malformed UTF-8 shown as '?';
 *  - a known part the package may not see is accepted and delivers nothing (the
 *    entities are simply absent from the answer).
 * Returns 0 and fills out (zeroed on any error). */
int freg_parts_parse(enum freg_pkg p, const char *const *vals, size_t n,
                     struct freg_parts *out, char *why_buf, size_t why_sz);

/* The document package p may receive for these parts, from the stored whole document
 * `stored` (never modified). A new object; NULL only when out of memory.
 *
 * Rules (spec 3.8, 4.1-4.4; docs/freg-visibility.md "Lookups"):
 *  - Only the requested entities the package may see (freg_view_may_see). Entities with
 *    nothing left are omitted (no empty arrays, no nulls).
 *  - Without historikk only elements with erGjeldende true (an element without it counts
 *    as history); with it, history only for the entities the package gets history of
 *    (OMH: all; FIN: identifikasjonsnummer, addresses, navn, sivilstand; others:
 *    identifikasjonsnummer, addresses, navn).
 *    doedsfall and falskIdentitet are single objects: kept as they are.
 *  - historikk adds identifikasjonsnummer (except PRIV/PRESSE, and never for the UF
 *    packages).
 *  - identifikasjonsnummer: PRIV and PRESSE only when parts->explicit_id; PRIV-UF and
 *    PRESSE-UF never.
 *  - Addresses (bostedsadresse, oppholdsadresse, deltBosted, postadresse,
 *    postadresseIUtlandet): an element graded strengtFortrolig keeps only its
 *    adressegradering and register metadata, for every package, and only when current
 *    (no history of it). An element graded fortrolig or klientadresse likewise for the
 *    packages without hjemmel (OUH, PUH, PRIV, PRIV-UF, PRESSE, PRESSE-UF), again only
 *    when current. A missing or unknown grading counts as strengtFortrolig.
 *  - A person whose current adressebeskyttelse is strengtFortrolig: no oppholdsadresse
 *    and no deltBosted at all for any package; no history of any address; the current
 *    bostedsadresse reduced whatever its own grading; inn/utflytting removed for every
 *    package but OMH.
 *  - A person with any protection (fortrolig or strengtFortrolig): innflytting and
 *    utflytting only for OMH and OUH.
 *  - kontaktinformasjonForDoedsbo.person: PRIV, PRIV-UF, PRESSE, PRESSE-UF never get its
 *    foedselsEllerDNummer (a person object left empty goes too).
 *  - Identifiers of other persons inside elements (verge.foedselsEllerDNummer,
 *    familierelasjon.relatertPerson, foreldreansvar ansvarlig/ansvarssubjekt,
 *    falskIdentitet.rettIdentitetVedIdentifikasjonsnummer): removed for the UF packages.
 *    relatertVedSivilstand names the spouse, a confidential fact (spec 4.2): only OMH and
 *    FIN (which see familierelasjon) get it.
 *  - status values other than bosatt, utflyttet, doed, opphoert and inaktiv are
 *    confidential: only OMH sees such an element (FIN's limited access is to the facts
 *    spec 4.3 lists, which do not include the status). */
json_t *freg_view(enum freg_pkg p, const struct freg_parts *parts, const json_t *stored);

/* ---- the stored layout (lib/freg/view.c) ----
 * Where each element of each entity sits in the stored compact JSON text of a person
 * document, with the facts the view decides by (current, grading, open status, members
 * that some packages lose). Built at ingest; freg_view_json writes the same bytes as
 * dumping freg_view() compactly would, copying unchanged elements from the text. */
#define FREG_LAYOUT_VERSION 1

/* Appends to out the layout of doc, whose compact dump (JSON_COMPACT, members in their
 * order) is text. PORTEN_ERR_INVALID when text is not that dump (store no layout then),
 * PORTEN_ERR_NOMEM. */
int freg_layout_build(const json_t *doc, const char *text, size_t tlen, struct porten_buf *out);

/* Appends to out the compact JSON of freg_view(p, parts, doc), where doc is the document
 * stored as text with its layout. PORTEN_ERR_INVALID when the layout is of another
 * version or does not fit the text (then nothing usable is in out: the caller truncates
 * and parses the text instead); PORTEN_ERR_NOMEM or the buffer's limit error. */
int freg_view_json(enum freg_pkg p, const struct freg_parts *parts, const char *text,
                   size_t tlen, const unsigned char *layout, size_t llen,
                   struct porten_buf *out);

/* Whether package p may ever see entity e (spec 4.2, 4.3). The identifier is "may" for
 * PRIV and PRESSE (when named). DUF is OMH only; oppholdPaaSvalbard counts as open. */
bool freg_view_may_see(enum freg_pkg p, enum freg_ent e);

#endif
