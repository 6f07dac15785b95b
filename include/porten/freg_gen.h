/* Deterministic synthetic population for the register (spec/folkeregisteret.md 3.8, 7, 8).
 *
 * freg_gen_population() produces opts->persons persons, household by household, and hands
 * each one exactly once to a sink as (current folkeregisteridentifikator, person document).
 * The document is a Folkeregisterperson of the offentlig-med-hjemmel OpenAPI 1.5 contract:
 * every element an array except doedsfall and falskIdentitet, register metadata on every
 * element (kilde "Synutopia", aarsak "Grunnbefolkning" or the event's cause), absent
 * fields omitted, at most one current element per single-valued entity, some history
 * (earlier address, maiden name, earlier status and sivilstand).
 *
 * The same opts give byte-identical documents (json_dumps with JSON_SORT_KEYS or not:
 * members are inserted in a fixed order); the output depends on nothing but opts.
 * Every relation (sivilstand, familierelasjon, foreldreansvar, verge) points at a person
 * of the same population, and both sides are consistent; identifiers are unique.
 *
 * Any population of FREG_GEN_ALL_KINDS_MIN persons or more contains every kind in
 * enum freg_gen_kind: the first households follow a fixed schedule that covers them all,
 * the rest are drawn at random with the same kinds at realistic rates. */
#ifndef PORTEN_FREG_GEN_H
#define PORTEN_FREG_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The kinds of person the visibility rules talk about (PRODUCT.md). */
enum freg_gen_kind {
	FREG_GEN_STRENGT_FORTROLIG,   /* adressebeskyttelse strengtFortrolig */
	FREG_GEN_FORTROLIG,           /* adressebeskyttelse fortrolig */
	FREG_GEN_DNUMMER,             /* d-number holder: no bostedsadresse */
	FREG_GEN_DOED,                /* doedsfall, status doed, kontaktinformasjonForDoedsbo */
	FREG_GEN_VERGEMAAL,           /* vergemaalEllerFremtidsfullmakt (post-2023 format) */
	FREG_GEN_UTENLANDSK_ID,       /* utenlandskPersonidentifikasjon */
	FREG_GEN_FAMILIE,             /* married couple with children, foreldreansvar */
	FREG_GEN_UTFLYTTET,           /* utflytting, status utflyttet, postadresseIUtlandet */
	FREG_GEN_HUSBOKSTAV,          /* a current vegadresse with a house letter */
	FREG_GEN_MATRIKKELADRESSE,    /* a current matrikkeladresse */
	FREG_GEN_HISTORIKK,           /* an earlier (erGjeldende false) address and name */
	FREG_GEN_KIND_COUNT
};

#define FREG_GEN_ALL_KINDS_MIN 1000

struct freg_gen_opts {
	uint64_t seed;          /* different seeds give different populations */
	size_t persons;         /* exact count handed to the sink, <= PORTEN_GEN_PERSONS_MAX */
	int64_t now;            /* Unix seconds; every date and time lies at or before it;
	                         * years 1950..2099 */
	bool synthetic_ids;     /* month + 80 (the sandbox default; spec 7.4) */
};

/* Fills o with the sandbox defaults: seed 1, 1000 persons, synthetic ids, and now =
 * 2025-01-01T00:00:00Z (callers that want today's date set o->now themselves). */
void freg_gen_opts_init(struct freg_gen_opts *o);

/* Receives one person. pid is the current identifier (11 digits, NUL-terminated); person
 * is owned by the generator and freed after the call: json_incref it (or copy) to keep
 * it. Documents share some immutable string leaves (kilde, aarsak, gradering): never
 * modify a document in place; json_deep_copy it first. A non-zero return stops the generation and is returned by freg_gen_population. */
typedef int (*freg_gen_sink)(void *ctx, const char *pid, const json_t *person);

/* Generates the population. Returns 0, PORTEN_ERR_INVALID for bad opts (count above
 * PORTEN_GEN_PERSONS_MAX, now outside the supported years), PORTEN_ERR_NOMEM, or the
 * sink's non-zero return. One thread; memory does not grow with the count beyond a few
 * bytes per birth date (the identifier allocator). */
int freg_gen_population(const struct freg_gen_opts *o, freg_gen_sink sink, void *ctx);

/* A register timestamp as the register writes them: Europe/Oslo local time with its
 * offset and milliseconds, "2024-05-01T12:00:00.123+02:00" (FREG_TS_LEN characters + NUL).
 * Summer time as in Norway since 1980; thread-safe. */
#define FREG_TS_LEN 29
void freg_ts_format(int64_t utc, unsigned ms, char out[static FREG_TS_LEN + 1]);

/* Reference tables (lib/freg/gen_data.c), for validation of the output. */
struct freg_gen_poststed { const char *postnummer, *poststedsnavn; };
struct freg_gen_kommune {
	const char *kommunenummer, *navn;
	const struct freg_gen_poststed *poststeder;
	size_t n_poststeder;
};
extern const struct freg_gen_kommune freg_gen_kommuner[];
extern const size_t freg_gen_n_kommuner;

#endif
