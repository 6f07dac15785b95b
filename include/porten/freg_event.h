/* Events on person documents (spec/folkeregisteret.md 2.3, 2.7): applying an event's
 * egenskapshendelse to a person document, the creation event of a generated person,
 * chosen events from JSON (porten freg inject), and the life-event simulator.
 * Everything that changes the register goes through freg_register_ingest. */
#ifndef PORTEN_FREG_EVENT_H
#define PORTEN_FREG_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "porten/register.h"

/* Applies egenskapshendelse (an array of Registerdata: entitet, entitetsendring and, except
 * for annullere, one payload property named like the entity; kontaktadresse and
 * kontaktadresseIUtlandet are the person document's postadresse and postadresseIUtlandet)
 * to person and returns the new document in *out (person itself is not modified):
 *   registrereNy  a new current element; for a single-valued entity the current element
 *                 becomes historical (erGjeldende false, opphoerstidspunkt set);
 *                 multi-valued entities (statsborgerskap, familierelasjon, ...) just add;
 *   korrigere     replaces the current element; no history;
 *   annullere     removes the current element; no history; the latest historical element
 *                 of a single-valued entity becomes current again.
 * doedsfall and falskIdentitet are objects in the person document, every other entity an
 * array. Register metadata (ajourholdstidspunkt, kilde, aarsak, gyldighetstidspunkt) is
 * taken from the payload, or filled in from now when absent. PORTEN_ERR_INVALID with a
 * one-line reason in err for anything malformed (unknown entitet or entitetsendring, a
 * payload on annullere, korrigere/annullere with nothing to change). */
int freg_event_apply(const json_t *person, const json_t *egenskapshendelse, int64_t now,
                     json_t **out, char *err, size_t errsz);

/* The egenskapshendelse of a personErOpprettet event for a generated person: registrereNy
 * of each current element of the document. */
int freg_event_created(const json_t *person, json_t **egenskapshendelse);

/* A chosen event (porten freg inject, POST /admin/hendelser), as JSON:
 *   {"folkeregisteridentifikator": "<11 digits>",
 *    "hendelsetype": "<type>"            (or "hendelsestype"),
 *    "egenskapshendelse": [Registerdata, ...]   (optional, default []),
 *    "nyttFolkeregisteridentifikator": "<11 digits>"  (optional, endringIIdentifikasjonsnummer),
 *    "opphoertSomDublettAv": "<11 digits>"             (optional, personErOpphoertSomDublett)}
 * The person must exist unless the type is personErOpprettet (then the payload builds
 * the new person). The new person version is the current one with the egenskapshendelse
 * applied. PORTEN_ERR_INVALID / PORTEN_ERR_NOT_FOUND with a one-line reason in err. */
int freg_event_inject(freg_register *r, const json_t *req, int64_t now,
                      struct freg_ingested *out, char *err, size_t errsz);

/* Fills an empty register with a generated population (lib/freg/gen.c): one
 * personErOpprettet event per person (freg_event_created), ingested in batches, so every
 * package feed holds at least o->persons events. progress (may be NULL) is called after
 * each batch with the persons done so far. PORTEN_ERR_EXISTS when the register is not
 * empty. */
#include "porten/freg_gen.h"
int freg_populate(freg_register *r, const struct freg_gen_opts *o,
                  void (*progress)(void *ctx, size_t done, size_t total), void *ctx);

/* The life-event simulator: births (a new person plus the parents' familierelasjon),
 * deaths (with dødsbo contact), moves, name changes, marriages and divorces (both
 * spouses), emigration, guardianship, and corrections and annulments of earlier changes.
 * Deterministic for a seed and a register state. Synthetic identifiers (month + 80)
 * when synthetic_ids. */
typedef struct freg_sim freg_sim;

int freg_sim_new(freg_register *r, uint64_t seed, bool synthetic_ids, freg_sim **out);
void freg_sim_free(freg_sim *s);
/* Appends one life event (one freg_register_ingest call, which may hold a few linked
 * events: a birth also changes both parents). *type (may be NULL) gets the main event's
 * hendelsetype (a static string). */
int freg_sim_step(freg_sim *s, int64_t now, const char **type);

#endif
