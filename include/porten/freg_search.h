/* Person search in the register (spec/folkeregisteret.md 3.5, 3.6, 5.2): entydigsoek,
 * soek and the selection of a tilpasset uttrekk, plus the Norwegian phonetic key used by
 * soekFonetisk (docs/freg-phonetic.md).
 *
 * The register keeps a search index next to the person documents (migration
 * 003_search.sql): name words and their phonetic keys, birth date and year, sex, status,
 * addresses (street, number, letter, postnummer, kommune, gradering), and the foreign /
 * document / DUF identifiers. freg_register_ingest rewrites a person's index rows in the
 * same transaction as the new version, so the index never disagrees with the current
 * documents. Every query is a prepared statement with bound parameters; no criterion is
 * ever pasted into SQL text. */
#ifndef PORTEN_FREG_SEARCH_H
#define PORTEN_FREG_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porten/freg.h"
#include "porten/register.h"

/* ---- Phonetic key ---- */

#define FREG_PHONETIC_MAX 64   /* bytes of a key, with the NUL */

/* The phonetic key of ONE name word (UTF-8; Norwegian letters æ ø å and common accented
 * letters folded): e.g. "Kristiansen", "Christiansen" and "Kristiansenn" share a key.
 * Writes a NUL-terminated ASCII key (possibly empty) of at most FREG_PHONETIC_MAX - 1
 * bytes: lowercase letters only, so punctuation ("Ola%", "O'Brien") is dropped, never a
 * wildcard. A word whose key is empty (no letters) matches nothing phonetically. */
void freg_phonetic(const char *word, char out[static FREG_PHONETIC_MAX]);

/* The normal form of one name word or street name used for exact matching: UTF-8
 * lowercased (ASCII, Latin-1 and Latin Extended-A capitals: ÆØÅ, É, Sami Č Đ Ŋ Š Ŧ Ž),
 * with no other change; the length in bytes is kept, bytes that are not UTF-8 are
 * copied. out must hold at least strlen(in) + 1 bytes (it may be in); returns out, or
 * NULL when in or out is NULL or outsz is too small. */
char *freg_search_fold(const char *in, char *out, size_t outsz);

/* ---- entydigsoek (spec 3.5) ---- */

/* A navn is split into words at spaces and hyphens ("Anne-Marie Hansen" is three words),
 * at most PORTEN_FREG_SEARCH_WORDS_MAX words of at most PORTEN_FREG_SEARCH_WORD_MAX bytes,
 * PORTEN_FREG_SEARCH_TEXT_MAX bytes in all; navn and adressenavn must be UTF-8 without
 * control characters. */

struct freg_entydig {
	/* NULL = not given. Values as they came in the query (already URL-decoded). */
	const char *navn;                  /* >= 2 words */
	const char *identifikasjonsnummer; /* 11 digits */
	const char *foedselsdato;          /* YYYYMMDD */
	const char *adressenavn;           /* >= 3 characters: a prefix of the street name */
	const char *husnummer;             /* "10" or "10B" */
	const char *postnummer;            /* 4 digits */
	const char *utenlandsk;            /* utenlandskpersonidentifikasjon, "AFG-1458-4555" */
	const char *legitimasjonsdokument; /* "IRL-195509132386" */
	const char *duf;                   /* utlendingsmyndighetenesidentifikasjonsnummer */
	bool fonetisk;                     /* soekFonetisk: navn matches by phonetic key */
	bool historisk;                    /* opplysningsgrunnlag=historisk */
};

/* Checks formats and the minimum combinations package p has a right to a hit with
 * (spec 3.5): navn + one of identifikasjonsnummer / foedselsdato / adressenavn /
 * postnummer for all packages; navn or foedselsdato + utenlandsk or
 * legitimasjonsdokument for OMH and EID; navn + duf for OMH. A navn of fewer than two
 * words, a bad format, or no qualifying combination → PORTEN_ERR_INVALID with a
 * Norwegian one-line reason in why (why_sz bytes; why may be NULL). Also refused: utenlandsk
 * or legitimasjonsdokument given by a package other than OMH and EID, duf by any but
 * OMH (even next to a qualifying combination), and husnummer without adressenavn or
 * postnummer. */
int freg_entydig_check(enum freg_pkg p, const struct freg_entydig *q, char *why, size_t why_sz);

/* Runs an entydigsoek for package p (checked again: PORTEN_ERR_INVALID as
 * freg_entydig_check). Matching (spec 3.5):
 *  - navn: the first word equals a whole word of fornavn, the last a whole word of
 *    etternavn, every middle word a whole word of any name part (fornavn, mellomnavn,
 *    etternavn); case-insensitive; with fonetisk, by phonetic key instead.
 *    Current names only, unless historisk (then current or historical).
 *  - identifikasjonsnummer: any identifier the person has or had.
 *  - adressenavn: a prefix (>= 3 characters, case-insensitive) of the street name of a
 *    bostedsadresse or oppholdsadresse (current, or also historical with historisk);
 *    husnummer then must match that same address: the number, and the letter or its
 *    absence ("10" does not match 10B). An address with a house number needs husnummer.
 *    postnummer must match the same address when given with adressenavn, or any address
 *    (a matrikkeladresse too) when given alone; husnummer with postnummer alone: that
 *    address's number and letter.
 *  - Addresses the package may not see (strengtFortrolig for everyone; fortrolig and
 *    klientadresse for the packages without hjemmel) never match.
 *  - The foreign identifiers as "<alpha-3>-<number>" of the person's current elements,
 *    case-insensitive (utstederland + identifikasjonsnummer, utstederland +
 *    identifikasjonsdokumentnummer); duf the identifikasjonsnummer of a current
 *    utlendingsmyndighetenesIdentifikasjonsnummer.
 *  - Dead persons match like the living (entydigsoek has no inkluderDoede).
 * Exactly one person matching → 0 and pid (its current identifier); none or more than
 * one → PORTEN_ERR_NOT_FOUND (pid ""); PORTEN_ERR_UNAVAILABLE on a database failure. */
int freg_register_entydig(freg_register *r, enum freg_pkg p, const struct freg_entydig *q,
                          char pid[12]);

/* ---- soek (spec 3.6) ---- */

#define FREG_SOEK_MAX 10000     /* more matches than this: narrow the search */

struct freg_soek {
	const char *navn;          /* one or more whole words, each a word of any name part */
	const char *kjoenn;        /* "mann" | "kvinne" */
	const char *foedselsdato;  /* YYYYMMDD */
	int aar_fom, aar_tom;      /* foedselsaarFraOgMed / TilOgMed; 0 = not given */
	const char *adressenavn;   /* prefix, >= 3 characters */
	const char *husnummer;     /* "10" or "10B": number and letter (or its absence) */
	const char *postnummer;    /* 4 digits */
	const char *kommunenummer; /* 4 digits */
	const char *fylkesnummer;  /* 2 digits: the first two of the kommunenummer */
	bool inkluder_opphold;     /* addresses: also oppholdsadresse (else bostedsadresse) */
	bool fonetisk;
	bool inkluder_doede;       /* else persons with a doedsfall are left out */
	bool historisk;
	size_t maks;               /* maksTreff, 1..FREG_SOEK_MAX; 0 = FREG_SOEK_MAX */
};

/* Formats (no combination is mandatory). PORTEN_ERR_INVALID with a reason (why may be
 * NULL). */
int freg_soek_check(const struct freg_soek *q, char *why, size_t why_sz);

/* Runs a soek (checked again: PORTEN_ERR_INVALID): calls fn with each matching person's
 * current identifier, in ascending identifier order, at most q->maks times. When more
 * than FREG_SOEK_MAX persons match and q->maks is 0 → PORTEN_ERR_TOO_LARGE and fn is not
 * called at all; with q->maks set, fn gets q->maks of the matches (of the first
 * FREG_SOEK_MAX + 1 found, in identifier order).
 * fn's non-zero return stops and is returned. Matching as entydigsoek where the
 * criteria are the same (navn words, case, fonetisk, historisk, visibility of
 * addresses), except: every navn word may be a word of any name part; the address
 * criteria (adressenavn, husnummer, postnummer, kommunenummer, fylkesnummer) must all
 * match one address, and an address with a number matches without husnummer. */
typedef int (*freg_pid_fn)(void *ctx, const char *pid);
int freg_register_soek(freg_register *r, enum freg_pkg p, const struct freg_soek *q,
                       freg_pid_fn fn, void *ctx);

/* ---- tilpasset uttrekk (spec 5.2) ---- */

struct freg_tilpasset {
	enum freg_pkg pkg;         /* who orders: a kommune criterion never selects a person
	                            * by an address graded beyond what the package sees */
	unsigned statuses;         /* bits (1 << enum freg_uttrekk_status) */
	const char *bostedskommune;   /* NULL or 4 digits */
	const char *oppholdskommune;  /* NULL or 4 digits (not both) */
	int foedt_fom, foedt_tom;     /* 0 = open */
	int doed_fom, doed_tom;
	const char *kjoenn;
	const char *statsborgerskap;  /* alpha-3 */
	const char *sivilstand;
};
enum freg_uttrekk_status {
	FREG_UT_AKTIV = 0,    /* midlertidig, ikkeBosatt, forsvunnet, foedselsregistrert, aktiv */
	FREG_UT_BOSATT,
	FREG_UT_UTFLYTTET,
	FREG_UT_DOED,
	FREG_UT_INAKTIV,      /* inaktiv, opphoert */
};

/* Every person matching (current values), in ascending identifier order. No upper limit:
 * the caller batches. fn's non-zero return stops and is returned. PORTEN_ERR_INVALID
 * for no status, an unknown status bit, both kommuner, a malformed value or a range
 * whose from is after its to. A kommune is the one of the current address; persons
 * with a strengtFortrolig address have none. doed_fom/doed_tom select persons with a
 * doedsfall whose doedsdato year is in the range. */
int freg_register_tilpasset(freg_register *r, const struct freg_tilpasset *q, freg_pid_fn fn,
                            void *ctx);

/* komplett uttrekk (spec 5.1): the persondokument id of every person as of OMH feed
 * sequence number seq (the last version written by an event with seq <= seq), persons
 * merged away by then excluded (a person merged after seq is in, with its version as of
 * seq). In ascending person order (the register's internal person id, i.e. order of
 * creation), from one snapshot. fn gets the 32-hex id. seq < 1: nothing; seq at or above
 * the last seq: the current versions; seq below what retention kept of the OMH feed:
 * PORTEN_ERR_NOT_FOUND. */
int freg_register_komplett(freg_register *r, int64_t seq, freg_pid_fn fn, void *ctx);

#endif
