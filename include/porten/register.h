/* The population register behind porten freg (spec/folkeregisteret.md 2, 3.1-3.2, 9).
 *
 * Persons, their versioned person documents (persondokument), event documents
 * (hendelsesdokument), and one feed per rights package with dense, monotonic sequence
 * numbers. Everything an event changes is written by freg_register_ingest in ONE
 * transaction: the event document, the new person version, the identifier mapping and
 * one feed row in every package whose feed carries that event type (freg_pkg_feed_has).
 * A crash at any moment leaves either all of it or none of it; a committed event is
 * never lost; a package's sequence numbers are 1, 2, 3, ... without gaps or duplicates,
 * also with several writers (threads or processes on one database file).
 *
 * Backends: SQLite in WAL mode through the numbered migrations in sql/sqlite/ (the
 * register's tables come from migration 002; lib/store runs the migrations), URI
 * "sqlite:PATH"; or PostgreSQL through sql/postgresql/ (lib/freg/register_pg.c), URI
 * "postgresql://..." or "postgres://..." (libpq's syntax), where several instances may
 * share one database (docs/operations.md, "PostgreSQL for porten freg"). Thread-safe: one handle serves every
 * worker thread (a small connection pool; reads never wait for the writer).
 *
 * Document identifiers (hendelsesdokument, persondokument) are 32 lowercase hex
 * characters from the CSPRNG. Lookups by id also accept the UUID form of the same 128
 * bits (8-4-4-4-12 with hyphens), spec 2.1. */
#ifndef PORTEN_REGISTER_H
#define PORTEN_REGISTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "porten/buf.h"
#include "porten/freg.h"

typedef struct freg_register freg_register;

#define FREG_DOC_ID_LEN 32

/* Opens (creating and migrating if needed). PORTEN_ERR_INVALID for a URI other than
 * sqlite:PATH or postgresql://...; PORTEN_ERR_UNAVAILABLE when the file cannot be opened
 * or the database server cannot be reached. On PostgreSQL every call may also return
 * PORTEN_ERR_UNAVAILABLE when the database goes away (the caller answers 503). */
int freg_register_open(const char *uri, freg_register **out);
/* freg_register_open with a read replica: read_uri (postgresql://, a hot standby of the
 * postgresql:// uri) serves the lookups (feed, feed bounds, event documents, persons,
 * person documents, pick, consumer and call state, the searches); every write, the
 * audit trail and count stay on uri. The replica is not migrated: it must hold every
 * migration already (PORTEN_ERR_INVALID otherwise, as for a non-PostgreSQL uri). Its
 * answers lag the primary by the replication delay (docs/operations.md). read_uri NULL:
 * freg_register_open. */
int freg_register_open_replica(const char *uri, const char *read_uri, freg_register **out);
void freg_register_close(freg_register *r);

/* One event to append. */
struct freg_ingest {
	const char *pid;                 /* the event's folkeregisteridentifikator: 11 digits.
	                                  * An identifier never seen before creates a person. */
	const char *type;                /* hendelsetype, e.g. "personErOpprettet" */
	const json_t *egenskapshendelse; /* array of Registerdata (spec 2.3); NULL = [] */
	const json_t *person;            /* the whole person document after the event (it
	                                  * becomes the current version); NULL: the event makes
	                                  * no new version (personErOpphoertSomDublett) */
	const char *new_pid;             /* when the event gives the person a new identifier
	                                  * (endringIIdentifikasjonsnummer): that identifier,
	                                  * which from now on is the person's current one; the
	                                  * old one keeps resolving to the person. NULL: none */
	const char *merge_into;          /* personErOpphoertSomDublett: the surviving person's
	                                  * identifier; every identifier of this person then
	                                  * resolves to the survivor. NULL: none */
	int64_t ajourhold;               /* Unix seconds of the change; 0 = now */
};

/* What an ingest wrote. */
struct freg_ingested {
	char event_id[FREG_DOC_ID_LEN + 1];
	char persondoc_id[FREG_DOC_ID_LEN + 1];   /* "" when person was NULL */
	int64_t seq[FREG_PKG_COUNT];              /* 0 = not in that package's feed */
};

/* Appends n events (n >= 1) in one transaction, in order: all are committed or none.
 * out (may be NULL) receives n results. Durable when it returns 0 (synchronous=FULL for
 * this transaction). Errors: PORTEN_ERR_INVALID (bad pid, unknown merge target, an
 * egenskapshendelse that is not an array, a person that is not an object; the message
 * goes to the log), PORTEN_ERR_EXISTS (new_pid already belongs to another person),
 * PORTEN_ERR_UNAVAILABLE (database). */
int freg_register_ingest(freg_register *r, const struct freg_ingest *ev, size_t n,
                         struct freg_ingested *out);

/* One feed row as the register holds it, package independent; the server shapes it per
 * package (struct freg_pkg_info.feed). Strings valid during the callback only. */
struct freg_feed_row {
	int64_t seq;
	const char *pid;
	const char *type;
	const char *event_id;
	const char *persondoc_id;        /* "" when the event has none */
	const char *ajourhold;           /* FREG_TS_LEN characters, freg_ts_format */
	int64_t stored;                  /* Unix seconds the row was committed */
};
typedef int (*freg_feed_fn)(void *ctx, const struct freg_feed_row *row);

/* Rows of package p with seq >= from, ascending, at most limit. A non-zero return of fn
 * stops the scan and is returned. */
int freg_register_feed(freg_register *r, enum freg_pkg p, int64_t from, size_t limit,
                       freg_feed_fn fn, void *ctx);

/* Highest committed seq of p (0 when empty) and the lowest still retained (1 when
 * nothing was purged; last + 1 when everything was). */
int freg_register_feed_bounds(freg_register *r, enum freg_pkg p, int64_t *first, int64_t *last);

/* The DokumentForHendelse of an event (spec 2.3) as compact JSON text (malloc'd, *len
 * bytes, NUL-terminated) and its Unix store time. PORTEN_ERR_NOT_FOUND. */
int freg_register_event_doc(freg_register *r, const char *id, char **json, size_t *len,
                            int64_t *stored);

/* The current person document of the person an identifier resolves to (current,
 * historical, opphørt or merged identifier). current_pid (12 bytes, may be NULL) gets
 * the person's current identifier; persondoc_id (33 bytes, may be NULL) its version id.
 * PORTEN_ERR_NOT_FOUND. */
int freg_register_person(freg_register *r, const char *pid, json_t **doc, char *current_pid,
                         char *persondoc_id);

/* The same person's current document as stored: its compact JSON text into text and its
 * layout (freg_view.h) into layout, both reset first; layout stays empty for a document
 * stored without one. PORTEN_ERR_NOT_FOUND. */
int freg_register_person_raw(freg_register *r, const char *pid, struct porten_buf *text,
                             struct porten_buf *layout, char *current_pid);

/* Many reads on one connection in one read transaction, so one snapshot, without a
 * pool round trip and a new transaction per read (bulkoppslag). PostgreSQL: each read
 * as freg_register_person_raw. The reader is used by one thread at a time. */
typedef struct freg_reader freg_reader;
int freg_register_reader_begin(freg_register *r, freg_reader **out);
int freg_reader_person_raw(freg_reader *rd, const char *pid, struct porten_buf *text,
                           struct porten_buf *layout, char *current_pid);
void freg_register_reader_end(freg_reader *rd);

/* Stored layouts for the current person documents that have none or one of another
 * FREG_LAYOUT_VERSION (a register written before migration 004, or by another porten):
 * looks at up to max persons after where the last call stopped, in one transaction,
 * and stores the layouts it could make. The position is kept in the register
 * (freg_layout_fill), so work survives a restart; the pass starts again from the first
 * person when FREG_LAYOUT_VERSION is not the one it was filling towards. */
struct freg_layout_fill {
	size_t checked;        /* persons looked at by this call */
	size_t built;          /* layouts stored by this call */
	bool finished;         /* every current document has been seen */
};
int freg_register_layout_fill(freg_register *r, size_t max, struct freg_layout_fill *out);

/* A person document version by its persondokument id, with the Unix time it stopped
 * being current (0 while current). PORTEN_ERR_NOT_FOUND. */
int freg_register_persondoc(freg_register *r, const char *id, json_t **doc,
                            int64_t *superseded);

/* Number of persons (surviving identities), and a person's current identifier by an
 * index 0..count-1 in a stable order (the simulator picks persons at random with it). */
int freg_register_count(freg_register *r, size_t *persons);
int freg_register_pick(freg_register *r, size_t index, char current_pid[12]);

/* Retention (spec 2.1, 9): deletes feed rows stored before feed_before, and event
 * documents and non-current person versions stored / superseded before doc_before.
 * A package's first retained seq moves up accordingly. *deleted (may be NULL) counts
 * the rows removed. */
int freg_register_purge(freg_register *r, int64_t feed_before, int64_t doc_before,
                        size_t *deleted);

/* The register's own registry of which organisation holds which packages (seed step 2;
 * `porten freg --seed` and `porten freg consumers`). mask has bit (1u << enum freg_pkg)
 * per package; 0 removes the organisation. */
int freg_register_consumer_set(freg_register *r, const char *orgno, unsigned mask);
/* PORTEN_ERR_NOT_FOUND for an organisation the register does not know. */
int freg_register_consumer_get(freg_register *r, const char *orgno, unsigned *mask);
/* What one register call needs, in one read: the packages of orgno (0 when unknown) and
 * the bounds of package p as freg_register_feed_bounds gives them. */
int freg_register_call_state(freg_register *r, const char *orgno, enum freg_pkg p, unsigned *mask,
                             int64_t *first, int64_t *last);
typedef int (*freg_consumer_fn)(void *ctx, const char *orgno, unsigned mask);
int freg_register_consumer_list(freg_register *r, freg_consumer_fn fn, void *ctx);

/* Audit trail of calls (spec 1 "Audit"): who (the consumer, and the supplier acting for
 * it), which package and resource, which person (the identifier asked for; "" when the
 * call concerns none), the answer's status, when. */
struct freg_audit {
	int64_t at;                      /* Unix seconds */
	char consumer[10];
	char supplier[10];               /* "" when none */
	enum freg_pkg pkg;
	char resource[48];               /* "hendelser/feed", "personer/{id}", ... */
	char pid[12];                    /* "" when none */
	int status;
};
/* Appends records in one transaction. */
int freg_register_audit_append(freg_register *r, const struct freg_audit *a, size_t n);
/* SQLite: files the records appended since the last run into the index by person as a
 * new run, which the writer otherwise does every PORTEN_FREG_AUDIT_MERGE_ROWS records
 * (queries by person see every record either way). PostgreSQL: nothing to do. */
int freg_register_audit_index(freg_register *r);
/* Records with at in [from, to) (to 0 = no end), optionally only one consumer ("" or NULL
 * = all) and one person (likewise), oldest first, at most limit. */
typedef int (*freg_audit_fn)(void *ctx, const struct freg_audit *a);
int freg_register_audit_query(freg_register *r, int64_t from, int64_t to,
                              const char *consumer, const char *pid, size_t limit,
                              freg_audit_fn fn, void *ctx);

#endif
