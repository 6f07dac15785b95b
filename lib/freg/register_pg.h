/* Private to lib/freg: the register's PostgreSQL backend (lib/freg/register_pg.c, search
 * in lib/freg/search_pg.c) and what lib/freg/register.c shares with it.
 *
 * include/porten/register.h is the interface; lib/freg/register.c checks the arguments
 * of every call (the same checks for both backends) and hands a call on a PostgreSQL
 * register to the freg_pg_* function of the same name, with ids already normalised
 * (32 lowercase hex) and identifiers already checked. Results and errors are those
 * register.h documents; PORTEN_ERR_UNAVAILABLE whenever the database cannot be reached
 * or went away before the answer was known. */
#ifndef PORTEN_FREG_REGISTER_PG_H
#define PORTEN_FREG_REGISTER_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "freg/search_int.h"
#include "porten/freg_search.h"
#include "porten/register.h"
#include "store/pg_util.h"

struct freg_pgreg;

/* ---- shared with lib/freg/register.c ---- */

/* JSON text with a ceiling (register.c's dump_bounded). */
struct freg_dbuf {
	char *p;
	size_t len, cap, max;
	bool over;              /* max was passed */
};
/* Compact JSON of j into b, at most max bytes: PORTEN_ERR_INVALID past it. */
int freg_reg_dump(const json_t *j, size_t max, struct freg_dbuf *b);
/* The layout (freg_view.h) of doc, whose compact dump is text, into layout; left empty
 * when it cannot be made (the document is then stored without one). */
int freg_reg_layout(const json_t *doc, const struct freg_dbuf *text, struct porten_buf *layout);
/* For freg_register_layout_fill: whether a stored layout (old, olen bytes; NULL or 0 for
 * none) is missing or of another version, and then the layout of the stored text into
 * layout (left empty when it cannot be made). */
bool freg_reg_layout_stale(const void *old, size_t olen);
int freg_reg_layout_of_text(const char *text, size_t tlen, struct porten_buf *layout);
/* The DokumentForHendelse of event e with document id id (spec 2.3) into b. */
int freg_reg_event_doc(const char *id, const struct freg_ingest *e, const char *ajourhold,
                       struct freg_dbuf *b);
/* A new document id: 32 lowercase hex from the CSPRNG. */
int freg_reg_new_id(char out[static FREG_DOC_ID_LEN + 1]);
/* The PostgreSQL backend of r, NULL for an SQLite register. */
struct freg_pgreg *freg_reg_pg(const freg_register *r);

/* ---- the backend ---- */

/* read_uri: a read replica of uri (a hot standby) for the lookups, or NULL. */
int freg_pg_open(const char *uri, const char *read_uri, struct freg_pgreg **out);
void freg_pg_close(struct freg_pgreg *g);

/* ev already checked (check_event in register.c). */
int freg_pg_ingest(struct freg_pgreg *g, const struct freg_ingest *ev, size_t n,
                   struct freg_ingested *out);
int freg_pg_feed(struct freg_pgreg *g, enum freg_pkg p, int64_t from, size_t limit,
                 freg_feed_fn fn, void *ctx);
int freg_pg_feed_bounds(struct freg_pgreg *g, enum freg_pkg p, int64_t *first, int64_t *last);
int freg_pg_event_doc(struct freg_pgreg *g, const char *key, char **json, size_t *len,
                      int64_t *stored);
int freg_pg_layout_fill(struct freg_pgreg *g, size_t max, struct freg_layout_fill *out);
int freg_pg_person_raw(struct freg_pgreg *g, const char *pid, struct porten_buf *text,
                       struct porten_buf *layout, char *current_pid);
int freg_pg_person(struct freg_pgreg *g, const char *pid, json_t **doc, char *current_pid,
                   char *persondoc_id);
int freg_pg_persondoc(struct freg_pgreg *g, const char *key, json_t **doc, int64_t *superseded);
int freg_pg_count(struct freg_pgreg *g, size_t *persons);
int freg_pg_pick(struct freg_pgreg *g, size_t index, char current_pid[12]);
int freg_pg_purge(struct freg_pgreg *g, int64_t feed_before, int64_t doc_before, size_t *deleted);
int freg_pg_consumer_set(struct freg_pgreg *g, const char *orgno, unsigned mask);
int freg_pg_consumer_get(struct freg_pgreg *g, const char *orgno, unsigned *mask);
/* orgno "" for none. */
int freg_pg_call_state(struct freg_pgreg *g, const char *orgno, enum freg_pkg p, unsigned *mask,
                       int64_t *first, int64_t *last);
int freg_pg_consumer_list(struct freg_pgreg *g, freg_consumer_fn fn, void *ctx);
int freg_pg_audit_append(struct freg_pgreg *g, const struct freg_audit *a, size_t n);
int freg_pg_audit_query(struct freg_pgreg *g, int64_t from, int64_t to, const char *consumer,
                        const char *pid, size_t limit, freg_audit_fn fn, void *ctx);

/* ---- search on PostgreSQL (lib/freg/search_pg.c) ---- */

/* The PostgreSQL text of search.c's statement id (index maintenance and queries), or NULL
 * for one that has none. */
const struct porten_pg_stmt *freg_search_pg_stmt(enum freg_sst id);
/* How many parameters it takes: its highest $n (every one up to it appears), -1 for one
 * that has no PostgreSQL text. */
int freg_search_pg_nparams(enum freg_sst id);

/* A connection for one search (reads only): of the read replica's pool when there is
 * one, else of the primary's; freg_pg_conn_put gives it back. */
int freg_pg_conn_get(struct freg_pgreg *g, struct porten_pg_conn **out);
void freg_pg_conn_put(struct freg_pgreg *g, struct porten_pg_conn *c);
/* Runs statement id on c with the parameters (values[i] for $i+1, NULL = SQL NULL);
 * *out the result (PQclear it). */
int freg_pg_run(struct porten_pg_conn *c, enum freg_sst id, int n, const char *const *values,
                PGresult **out);

#endif
