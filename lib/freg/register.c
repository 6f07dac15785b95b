/* The population register on SQLite (include/porten/register.h; tables in
 * sql/sqlite/002_register.sql).
 *
 * Connections: a pool of up to PORTEN_FREG_POOL_MAX connections to one file, opened
 * lazily, each used by one thread at a time (SQLITE_OPEN_NOMUTEX) and caching its
 * prepared statements, as lib/store/sqlite.c does. WAL mode, so readers never wait for
 * the writer; synchronous=FULL, so a transaction is on disk when COMMIT returns (the
 * register promises that a committed event is never lost, also on power loss).
 *
 * Writes: every write is one BEGIN IMMEDIATE transaction, taken under a per-handle
 * mutex first so the threads of one process queue in microseconds instead of meeting
 * SQLite's busy handler; other processes' writers meet the busy handler (ours sleeps
 * in small steps up to BUSY_TIMEOUT_MS). Sequence numbers are assigned inside the
 * write transaction from freg_feed_head, so they are dense and unique across threads
 * and processes: the write lock orders the transactions.
 *
 * Retention cuts each feed at a sequence number (the first row stored at or after the
 * limit), so what remains of a feed is always a dense range first..last.
 *
 * The search index (lib/freg/search.c, migration 003) is written by ingest_one in the
 * same transaction as the person version it is derived from; search.c borrows the
 * pool, the write transaction and the connection's statement cache
 * (lib/freg/register_int.h). */
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/freg_gen.h"
#include "porten/freg_view.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/rand.h"
#include "porten/register.h"
#include "porten/store.h"
#include "freg/register_int.h"
#include "freg/register_pg.h"
#include "freg/search_int.h"
#include "store/pg_util.h"
#include "store/sqlite_util.h"

#define BUSY_TIMEOUT_MS 10000
#define PID_LEN 11
#define ORGNO_LEN 9
#define SQLITE_PREFIX "sqlite:"
/* ajourhold values freg_ts_format writes with a four-digit year: 1970..9999. */
#define AJOURHOLD_MAX INT64_C(253402300799)

enum {
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	/* ingest */
	ST_IDENT_GET,
	ST_IDENT_INS,
	ST_IDENT_KIND,
	ST_IDENT_MOVE,
	ST_PERSON_GET,
	ST_PERSON_INS,
	ST_PERSON_SET_PID,
	ST_PERSON_SET_CUR,
	ST_PERSON_MERGE,
	ST_SLOT_MAX,
	ST_SLOT_MOVE,
	ST_PDOC_INS,
	ST_PDOC_SUPERSEDE,
	ST_EVENT_INS,
	ST_EVDOC_INS,
	ST_HEADS,
	ST_HEAD_SET_LAST,
	ST_FEED_INS,
	/* reads */
	ST_FEED_READ,
	ST_HEAD_GET,
	ST_CALL_STATE,
	ST_EVENT_DOC,
	ST_PERSON_READ,
	ST_PERSON_READ_RAW,
	ST_PDOC_READ,
	ST_PICK,
	/* retention */
	ST_FEED_CUT,
	ST_FEED_DEL,
	ST_FEED_EVENT_AT,
	ST_HEAD_SET_FIRST,
	ST_DOC_CUT,
	ST_DOC_DEL,
	ST_EVENT_DEL,
	ST_PDOC_PURGE,
	/* consumers */
	ST_CONS_SET,
	ST_CONS_DEL,
	ST_CONS_GET,
	ST_CONS_LIST,
	/* audit */
	ST_AUDIT_INS,
	ST_AUDIT_Q,
	ST_AUDIT_Q_CONS,
	ST_AUDIT_Q_PID,
	ST_AUDIT_Q_BOTH,
	ST_AUDIT_TAIL,
	ST_AUDIT_MERGE,
	ST_AUDIT_MERGE_SET,
	/* layout fill */
	ST_FILL_STATE,
	ST_FILL_SET,
	ST_FILL_READ,
	ST_FILL_WRITE,
	ST_COUNT
};

/* A row holds one record, or (pids, a JSON array) several that differ only in the person:
 * each is one record, in array order (sql/sqlite/006_audit_pid.sql). */
#define AUDIT_ROW "SELECT a.at, a.consumer, a.supplier, a.package, a.resource, " \
	"coalesce(j.value, a.pid) AS pid, a.status, a.id, coalesce(j.key, 0) AS k "
#define AUDIT_EACH "LEFT JOIN json_each(a.pids) AS j "
/* By time or consumer: in the order of the index (at, id), and a row's persons in array
 * order as json_each gives them (the inner loop), so no sort and LIMIT stops early. */
#define AUDIT_COLS "SELECT a.at, a.consumer, a.supplier, a.package, a.resource, " \
	"coalesce(j.value, a.pid), a.status FROM freg_audit AS a " AUDIT_EACH
#define AUDIT_END " ORDER BY a.at, a.id LIMIT ?3"
#define AUDIT_BY_PID(and) \
	"SELECT at, consumer, supplier, package, resource, pid, status FROM (" \
	AUDIT_ROW "FROM freg_audit_run AS r CROSS JOIN freg_audit_pid AS x " \
	"CROSS JOIN freg_audit AS a " AUDIT_EACH \
	"WHERE x.run = r.upto AND x.pid = ?5 AND x.at >= ?1 AND x.at < ?2 AND a.id = x.id " \
	"AND coalesce(j.value, a.pid) = ?5 " and \
	"UNION ALL " \
	AUDIT_ROW "FROM freg_audit AS a NOT INDEXED " AUDIT_EACH \
	"WHERE a.id > (SELECT coalesce(max(upto), 0) FROM freg_audit_run) " \
	"AND coalesce(j.value, a.pid) = ?5 AND a.at >= ?1 AND a.at < ?2 " and \
	") ORDER BY at, id, k LIMIT ?3"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_BEGIN_READ] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_IDENT_GET] = "SELECT person FROM freg_ident WHERE pid = ?1",
	[ST_IDENT_INS] = "INSERT INTO freg_ident (pid, person, kind) VALUES (?1, ?2, ?3)",
	[ST_IDENT_KIND] = "UPDATE freg_ident SET kind = ?2 WHERE pid = ?1",
	[ST_IDENT_MOVE] = "UPDATE freg_ident SET person = ?2, kind = 2 WHERE person = ?1",
	[ST_PERSON_GET] = "SELECT pid, cur, slot FROM freg_person WHERE id = ?1",
	[ST_PERSON_INS] = "INSERT INTO freg_person (pid, cur, slot, merged_into, created) "
	                  "VALUES (?1, NULL, ?2, NULL, ?3)",
	[ST_PERSON_SET_PID] = "UPDATE freg_person SET pid = ?2 WHERE id = ?1",
	[ST_PERSON_SET_CUR] = "UPDATE freg_person SET cur = ?2 WHERE id = ?1",
	[ST_PERSON_MERGE] = "UPDATE freg_person SET merged_into = ?2, slot = NULL, cur = NULL "
	                    "WHERE id = ?1",
	[ST_SLOT_MAX] = "SELECT max(slot) FROM freg_person",
	[ST_SLOT_MOVE] = "UPDATE freg_person SET slot = ?2 WHERE slot = ?1",
	[ST_PDOC_INS] = "INSERT INTO freg_persondoc (id, person, stored, superseded, doc, layout) "
	                "VALUES (?1, ?2, ?3, 0, ?4, ?5)",
	[ST_PDOC_SUPERSEDE] = "UPDATE freg_persondoc SET superseded = ?2 WHERE rowid = ?1",
	[ST_EVENT_INS] = "INSERT INTO freg_event (id, pid, type, persondoc, ajourhold, stored) "
	                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_EVDOC_INS] = "INSERT INTO freg_event_doc (event, doc) VALUES (?1, ?2)",
	[ST_HEADS] = "SELECT package, last FROM freg_feed_head",
	[ST_HEAD_SET_LAST] = "INSERT INTO freg_feed_head (package, last, first) VALUES (?1, ?2, 1) "
	                     "ON CONFLICT (package) DO UPDATE SET last = excluded.last",
	[ST_FEED_INS] = "INSERT INTO freg_feed (package, seq, event, stored) "
	                "VALUES (?1, ?2, ?3, ?4)",
	/* One range scan of freg_feed's primary key, one rowid seek per row into freg_event
	 * (tests/unit/freg/test_register.c checks the plan). */
	[ST_FEED_READ] = "SELECT f.seq, e.pid, e.type, e.id, e.persondoc, e.ajourhold, f.stored "
	                 "FROM freg_feed AS f JOIN freg_event AS e ON e.rowid = f.event "
	                 "WHERE f.package = ?1 AND f.seq >= ?2 ORDER BY f.seq LIMIT ?3",
	[ST_HEAD_GET] = "SELECT last, first FROM freg_feed_head WHERE package = ?1",
	[ST_CALL_STATE] = "SELECT (SELECT mask FROM freg_consumer WHERE orgno = ?1), "
	                  "(SELECT last FROM freg_feed_head WHERE package = ?2), "
	                  "(SELECT first FROM freg_feed_head WHERE package = ?2)",
	[ST_EVENT_DOC] = "SELECT d.doc, e.stored FROM freg_event AS e "
	                 "JOIN freg_event_doc AS d ON d.event = e.rowid WHERE e.id = ?1",
	[ST_PERSON_READ] = "SELECT p.pid, d.id, d.doc FROM freg_ident AS i "
	                   "JOIN freg_person AS p ON p.id = i.person "
	                   "JOIN freg_persondoc AS d ON d.rowid = p.cur WHERE i.pid = ?1",
	[ST_PERSON_READ_RAW] = "SELECT p.pid, d.doc, d.layout FROM freg_ident AS i "
	                       "JOIN freg_person AS p ON p.id = i.person "
	                       "JOIN freg_persondoc AS d ON d.rowid = p.cur WHERE i.pid = ?1",
	[ST_PDOC_READ] = "SELECT doc, superseded FROM freg_persondoc WHERE id = ?1",
	[ST_PICK] = "SELECT pid FROM freg_person WHERE slot = ?1",
	/* From the first retained row upwards: the first one to keep. */
	[ST_FEED_CUT] = "SELECT seq FROM freg_feed WHERE package = ?1 AND seq >= ?2 "
	                "AND stored >= ?3 ORDER BY seq LIMIT 1",
	[ST_FEED_DEL] = "DELETE FROM freg_feed WHERE package = ?1 AND seq >= ?2 AND seq < ?3",
	[ST_FEED_EVENT_AT] = "SELECT event FROM freg_feed WHERE package = ?1 AND seq = ?2",
	[ST_HEAD_SET_FIRST] = "INSERT INTO freg_feed_head (package, last, first) VALUES (?1, ?2, ?3) "
	                      "ON CONFLICT (package) DO UPDATE SET first = excluded.first",
	[ST_DOC_CUT] = "SELECT d.event FROM freg_event_doc AS d "
	               "JOIN freg_event AS e ON e.rowid = d.event "
	               "WHERE e.stored >= ?1 ORDER BY d.event LIMIT 1",
	[ST_DOC_DEL] = "DELETE FROM freg_event_doc WHERE event < ?1",
	[ST_EVENT_DEL] = "DELETE FROM freg_event WHERE rowid < ?1",
	[ST_PDOC_PURGE] = "DELETE FROM freg_persondoc WHERE superseded > 0 AND superseded < ?1",
	[ST_CONS_SET] = "INSERT INTO freg_consumer (orgno, mask) VALUES (?1, ?2) "
	                "ON CONFLICT (orgno) DO UPDATE SET mask = excluded.mask",
	[ST_CONS_DEL] = "DELETE FROM freg_consumer WHERE orgno = ?1",
	[ST_CONS_GET] = "SELECT mask FROM freg_consumer WHERE orgno = ?1",
	[ST_CONS_LIST] = "SELECT orgno, mask FROM freg_consumer ORDER BY orgno",
	[ST_AUDIT_INS] = "INSERT INTO freg_audit (at, consumer, supplier, package, resource, pid, "
	                 "status, pids) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_AUDIT_Q] = AUDIT_COLS "WHERE a.at >= ?1 AND a.at < ?2" AUDIT_END,
	[ST_AUDIT_Q_CONS] = AUDIT_COLS "WHERE a.consumer = ?4 AND a.at >= ?1 AND a.at < ?2" AUDIT_END,
	/* By person (sql/sqlite/006_audit_pid.sql): a seek in each run of the index (CROSS
	 * JOIN: runs outermost), and the records after the last run from the table; one
	 * statement, so one snapshot. NOT INDEXED: those records by rowid, not all of the
	 * time range by freg_audit_at (which the planner otherwise takes: 2.8 s against 6.6
	 * million records). */
	[ST_AUDIT_Q_PID] = AUDIT_BY_PID(""),
	[ST_AUDIT_Q_BOTH] = AUDIT_BY_PID("AND a.consumer = ?4 "),
	/* the last run, the last row, and the records after the run */
	[ST_AUDIT_TAIL] = "SELECT u, (SELECT coalesce(max(id), 0) FROM freg_audit), "
	                  "(SELECT coalesce(sum(coalesce(json_array_length(pids), 1)), 0) "
	                  "FROM freg_audit WHERE id > u) "
	                  "FROM (SELECT coalesce(max(upto), 0) AS u FROM freg_audit_run)",
	/* a new run: appended after the last one, so the index grows at its end; a person
	 * twice in one row is one entry (the queries expand the row) */
	[ST_AUDIT_MERGE] = "INSERT OR IGNORE INTO freg_audit_pid (run, pid, at, id) "
	                   "SELECT ?2, coalesce(j.value, a.pid), a.at, a.id "
	                   "FROM freg_audit AS a " AUDIT_EACH
	                   "WHERE a.id > ?1 AND a.id <= ?2 AND coalesce(j.value, a.pid) <> '' "
	                   "ORDER BY 2, 3, 4",
	[ST_AUDIT_MERGE_SET] = "INSERT INTO freg_audit_run (upto) VALUES (?1)",
	[ST_FILL_STATE] = "SELECT version, next FROM freg_layout_fill",
	[ST_FILL_SET] = "UPDATE freg_layout_fill SET version = ?1, next = ?2",
	[ST_FILL_READ] = "SELECT p.id, d.rowid, d.doc, d.layout FROM freg_person AS p "
	                 "JOIN freg_persondoc AS d ON d.rowid = p.cur WHERE p.id > ?1 "
	                 "ORDER BY p.id LIMIT ?2",
	[ST_FILL_WRITE] = "UPDATE freg_persondoc SET layout = ?2 WHERE rowid = ?1",
};

/* freg_ident.kind */
enum { IDENT_CURRENT = 0, IDENT_OLD = 1, IDENT_MERGED = 2 };

struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	sqlite3_stmt *sst[SST_COUNT];   /* lib/freg/search.c's */
	int64_t busy_since;     /* monotonic ns of the first busy callback of a wait */
};

struct freg_register {
	struct freg_pgreg *pg;      /* the PostgreSQL backend (register_pg.c); NULL: SQLite */
	char *path;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_mutex_t write_mu;   /* this process's writers, one at a time */
	struct conn *idle[PORTEN_FREG_POOL_MAX];
	size_t nidle;
	size_t nconn;               /* open, or being opened */
	struct conn *audit;         /* the audit writer's own connection, under write_mu; its
	                             * page cache keeps the audit indexes between commits */
	int64_t audit_tail;         /* records since the index by person was written; -1:
	                             * not read yet (under write_mu) */
};

/* ---- small helpers ---- */

static bool
is_digits(const char *s, size_t n)
{
	if (s == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[n] == '\0';
}

static bool
is_pid(const char *s)
{
	return is_digits(s, PID_LEN);
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A document id in the 32-hex or the UUID form (8-4-4-4-12), any case, to 32 lowercase
 * hex. false for anything else. */
static bool
norm_id(const char *in, char out[static FREG_DOC_ID_LEN + 1])
{
	size_t len, k = 0;

	if (in == NULL)
		return false;
	len = strnlen(in, 37);
	if (len != 32 && len != 36)
		return false;
	for (size_t i = 0; i < len; i++) {
		int v;

		if (len == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (in[i] != '-')
				return false;
			continue;
		}
		if ((v = hexval(in[i])) < 0)
			return false;
		out[k++] = "0123456789abcdef"[v];
	}
	out[k] = '\0';
	return k == FREG_DOC_ID_LEN;
}

static bool
is_type(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < PORTEN_FREG_TYPE_MAX && s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return i > 0 && s[i] == '\0';
}

/* Copies a column of at most outsz - 1 bytes; longer is a corrupt row. */
static int
copy_col(sqlite3_stmt *st, int col, char *out, size_t outsz)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	if (t == NULL || n >= outsz) {
		log_error("freg: register: column %d of \"%.40s\" is %s", col,
		          sqlite3_sql(st), t == NULL ? "NULL" : "too long");
		return PORTEN_ERR_INTERNAL;
	}
	memcpy(out, t, n);
	out[n] = '\0';
	return 0;
}

/* JSON text with a ceiling (struct freg_dbuf, register_pg.h): json_dump_callback stops
 * as soon as max is passed. */
#define dbuf freg_dbuf

static int
dbuf_put(const char *s, size_t n, void *arg)
{
	struct dbuf *b = arg;
	char *np;
	size_t ncap;

	if (n > b->max - b->len) {
		b->over = true;
		return -1;
	}
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap == 0 ? 4096 : b->cap;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if (ncap > b->max + 1)
			ncap = b->max + 1;
		if ((np = realloc(b->p, ncap)) == NULL)
			return -1;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* Compact JSON of j (members in their order) into b, at most max bytes:
 * PORTEN_ERR_INVALID past it. */
static int
dump_bounded(const json_t *j, size_t max, struct dbuf *b)
{
	b->len = 0;
	b->max = max;
	b->over = false;
	if (json_dump_callback(j, dbuf_put, b, JSON_COMPACT) != 0)
		return b->over ? PORTEN_ERR_INVALID : PORTEN_ERR_NOMEM;
	if (b->p == NULL)
		return PORTEN_ERR_INTERNAL;
	return 0;
}

int
freg_reg_dump(const json_t *j, size_t max, struct freg_dbuf *b)
{
	return dump_bounded(j, max, b);
}

int
freg_reg_layout(const json_t *doc, const struct freg_dbuf *text, struct porten_buf *layout)
{
	int r;

	porten_buf_reset(layout);
	r = freg_layout_build(doc, text->p, text->len, layout);
	if (r == PORTEN_ERR_INVALID) {
		/* stored without: its lookups parse the document (the answer is the same) */
		log_warn("freg: register: a person document's layout does not fit its text");
		porten_buf_reset(layout);
		return 0;
	}
	return r;
}

bool
freg_reg_layout_stale(const void *old, size_t olen)
{
	return old == NULL || olen == 0 || *(const unsigned char *)old != FREG_LAYOUT_VERSION;
}

int
freg_reg_layout_of_text(const char *text, size_t tlen, struct porten_buf *layout)
{
	json_error_t err;
	json_t *doc = json_loadb(text, tlen, 0, &err);
	struct freg_dbuf t = { (char *)text, tlen, tlen, tlen, false };
	int r;

	porten_buf_reset(layout);
	if (doc == NULL) {
		log_error("freg: register: stored person document does not parse: %s", err.text);
		return 0;   /* its lookups answer as they did; no layout helps it */
	}
	r = freg_reg_layout(doc, &t, layout);
	json_decref(doc);
	return r;
}

/* ---- SQLite plumbing ---- */

/* Maps an SQLite result code to a porten error, logging it. */
static int
db_err(sqlite3 *db, int rc, const char *what)
{
	return porten_sqlite_err(db, rc, "freg: register", what, PORTEN_ERR_UNAVAILABLE);
}

/* Sleeps in small steps (SQLite's own handler sleeps whole milliseconds and more) until
 * BUSY_TIMEOUT_MS has passed since the first call of this wait. */
static int
busy_wait(void *arg, int count)
{
	struct conn *c = arg;
	int64_t now = porten_mono_ns();
	struct timespec pause = { 0, 0 };

	if (count == 0)
		c->busy_since = now;
	if (now - c->busy_since > (int64_t)BUSY_TIMEOUT_MS * 1000000)
		return 0;
	pause.tv_nsec = count < 5 ? 50000L << count : 2000000L;
	nanosleep(&pause, NULL);
	return 1;
}

static void
stmt_done(sqlite3_stmt *st)
{
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/* Binds by a format: 'i' int64_t, 's' const char * (NULL binds NULL), 'b' a blob as
 * const void * and size_t (NULL binds NULL), '-' skips one parameter number. */
static int
bindv(struct conn *c, sqlite3_stmt *st, const char *fmt, va_list ap)
{
	int rc = SQLITE_OK;

	for (int i = 1; rc == SQLITE_OK && fmt[i - 1] != '\0'; i++) {
		switch (fmt[i - 1]) {
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			rc = s == NULL ? sqlite3_bind_null(st, i) :
			     sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
			break;
		}
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);

			rc = p == NULL ? sqlite3_bind_null(st, i) :
			     sqlite3_bind_blob64(st, i, p, n, SQLITE_STATIC);
			break;
		}
		case '-':
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc == SQLITE_OK ? 0 : db_err(c->db, rc, "bind");
}

static int
stmt(struct conn *c, int id, sqlite3_stmt **out)
{
	int rc;

	if (c->st[id] == NULL) {
		rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
		                        &c->st[id], NULL);
		if (rc != SQLITE_OK)
			return db_err(c->db, rc, "prepare");
	}
	*out = c->st[id];
	return 0;
}

/* The statement, bound; the caller steps it and calls stmt_done. */
static int
query(struct conn *c, int id, sqlite3_stmt **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	*out = NULL;
	if ((r = stmt(c, id, out)) != 0)
		return r;
	va_start(ap, fmt);
	r = bindv(c, *out, fmt, ap);
	va_end(ap);
	if (r != 0) {
		stmt_done(*out);
		*out = NULL;
	}
	return r;
}

/* Runs a statement that returns no rows. */
static int
exec(struct conn *c, int id, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc, r;

	if ((r = stmt(c, id, &st)) != 0)
		return r;
	va_start(ap, fmt);
	r = bindv(c, st, fmt, ap);
	va_end(ap);
	if (r == 0 && (rc = sqlite3_step(st)) != SQLITE_DONE)
		r = db_err(c->db, rc, stmt_sql[id]);
	stmt_done(st);
	return r;
}

/* Runs a statement whose first column of the first row is an integer: *found false
 * when there is no row or the value is NULL. */
static int
query_int(struct conn *c, int id, int64_t *out, bool *found, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc, r;

	*found = false;
	if ((r = stmt(c, id, &st)) != 0)
		return r;
	va_start(ap, fmt);
	r = bindv(c, st, fmt, ap);
	va_end(ap);
	if (r == 0) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
				*out = sqlite3_column_int64(st, 0);
				*found = true;
			}
		} else if (rc != SQLITE_DONE) {
			r = db_err(c->db, rc, stmt_sql[id]);
		}
	}
	stmt_done(st);
	return r;
}

static void
rollback(struct conn *c)
{
	if (!sqlite3_get_autocommit(c->db))
		(void)exec(c, ST_ROLLBACK, "");
}

static void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	for (int i = 0; i < SST_COUNT; i++)
		sqlite3_finalize(c->sst[i]);
	sqlite3_close(c->db);
	free(c);
}

static int
conn_open(const char *path, struct conn **out)
{
	struct conn *c = calloc(1, sizeof(*c));
	int r;

	if (c == NULL)
		return PORTEN_ERR_NOMEM;
	r = porten_sqlite_open_wal(path, SQLITE_OPEN_READWRITE, "freg: register", PORTEN_ERR_UNAVAILABLE,
	                           busy_wait, c, BUSY_TIMEOUT_MS, "PRAGMA synchronous = FULL", &c->db);
	if (r != 0) {
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

static int
conn_get(freg_register *reg, struct conn **out)
{
	struct conn *c = NULL;
	int r;

	*out = NULL;
	pthread_mutex_lock(&reg->mu);
	while (reg->nidle == 0 && reg->nconn >= PORTEN_FREG_POOL_MAX)
		pthread_cond_wait(&reg->cv, &reg->mu);
	if (reg->nidle > 0) {
		*out = reg->idle[--reg->nidle];
		pthread_mutex_unlock(&reg->mu);
		return 0;
	}
	reg->nconn++;
	pthread_mutex_unlock(&reg->mu);

	if ((r = conn_open(reg->path, &c)) != 0) {
		pthread_mutex_lock(&reg->mu);
		reg->nconn--;
		pthread_cond_signal(&reg->cv);
		pthread_mutex_unlock(&reg->mu);
		return r;
	}
	*out = c;
	return 0;
}

static void
conn_put(freg_register *reg, struct conn *c)
{
	if (c == NULL)
		return;
	/* Never hand out a connection that is still inside a transaction. */
	rollback(c);
	pthread_mutex_lock(&reg->mu);
	if (!sqlite3_get_autocommit(c->db)) {
		reg->nconn--;
		pthread_cond_signal(&reg->cv);
		pthread_mutex_unlock(&reg->mu);
		conn_close(c);
		return;
	}
	reg->idle[reg->nidle++] = c;
	pthread_cond_signal(&reg->cv);
	pthread_mutex_unlock(&reg->mu);
}

/* A write transaction: the process's write mutex, then BEGIN IMMEDIATE. */
static int
write_begin(freg_register *reg, struct conn **out)
{
	int r;

	if ((r = conn_get(reg, out)) != 0)
		return r;
	pthread_mutex_lock(&reg->write_mu);
	if ((r = exec(*out, ST_BEGIN, "")) != 0) {
		pthread_mutex_unlock(&reg->write_mu);
		conn_put(reg, *out);
		*out = NULL;
	}
	return r;
}

/* Commits when r is 0, rolls back otherwise; releases everything write_begin took. */
static int
write_end(freg_register *reg, struct conn *c, int r)
{
	if (r == 0)
		r = exec(c, ST_COMMIT, "");
	rollback(c);
	pthread_mutex_unlock(&reg->write_mu);
	conn_put(reg, c);
	return r;
}

/* ---- lent to lib/freg/search.c (register_int.h) ---- */

int
freg_reg_conn_get(freg_register *reg, struct conn **out)
{
	return conn_get(reg, out);
}

void
freg_reg_conn_put(freg_register *reg, struct conn *c)
{
	conn_put(reg, c);
}

int
freg_reg_write_begin(freg_register *reg, struct conn **out)
{
	return write_begin(reg, out);
}

int
freg_reg_write_end(freg_register *reg, struct conn *c, int r)
{
	return write_end(reg, c, r);
}

int
freg_reg_stmt(struct conn *c, enum freg_sst id, const char *sql, sqlite3_stmt **out)
{
	int rc;

	*out = NULL;
	if ((unsigned)id >= SST_COUNT)
		return PORTEN_ERR_INTERNAL;
	if (c->sst[id] == NULL) {
		rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->sst[id],
		                        NULL);
		if (rc != SQLITE_OK)
			return db_err(c->db, rc, "prepare");
	}
	*out = c->sst[id];
	return 0;
}

void
freg_reg_stmt_done(sqlite3_stmt *st)
{
	stmt_done(st);
}

int
freg_reg_err(struct conn *c, int rc, const char *what)
{
	return db_err(c->db, rc, what);
}

/* ---- open, close ---- */

int
freg_register_open(const char *uri, freg_register **out)
{
	return freg_register_open_replica(uri, NULL, out);
}

int
freg_register_open_replica(const char *uri, const char *read_uri, freg_register **out)
{
	freg_register *reg = NULL;
	porten_store *s = NULL;
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	int inited = 0;
	int r = PORTEN_ERR_INTERNAL;

	if (out == NULL)
		return PORTEN_ERR_INVALID;
	*out = NULL;
	if (read_uri != NULL && (!porten_pg_uri(uri) || !porten_pg_uri(read_uri))) {
		log_error("freg: register: a read replica needs a postgresql:// database and a "
		          "postgresql:// replica URI");
		return PORTEN_ERR_INVALID;
	}
	if (porten_pg_uri(uri)) {
		struct freg_pgreg *g = NULL;

		if ((r = freg_pg_open(uri, read_uri, &g)) != 0)
			return r;
		if ((reg = calloc(1, sizeof(*reg))) == NULL) {
			freg_pg_close(g);
			return PORTEN_ERR_NOMEM;
		}
		reg->pg = g;
		*out = reg;
		return 0;
	}
	if (uri == NULL || strncmp(uri, SQLITE_PREFIX, strlen(SQLITE_PREFIX)) != 0) {
		log_error("freg: register: want a sqlite:PATH or postgresql:// database URI");
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	/* lib/store creates the file, makes it WAL and runs the migrations (002 holds the
	 * register's tables); its own handle is not needed after that. */
	if ((r = porten_store_open(uri, &s)) != 0) {
		if (r != PORTEN_ERR_INVALID && r != PORTEN_ERR_NOMEM)
			r = PORTEN_ERR_UNAVAILABLE;
		goto out;
	}
	porten_store_close(s);
	if (!sqlite3_threadsafe()) {
		log_error("freg: register: sqlite built without thread support");
		goto out;
	}
	if ((reg = calloc(1, sizeof(*reg))) == NULL ||
	    (reg->path = strdup(uri + strlen(SQLITE_PREFIX))) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	reg->audit_tail = -1;
	if (pthread_mutex_init(&reg->write_mu, NULL) != 0)
		goto out;
	if (pthread_mutex_init(&reg->mu, NULL) != 0) {
		pthread_mutex_destroy(&reg->write_mu);
		goto out;
	}
	if (pthread_cond_init(&reg->cv, NULL) != 0) {
		pthread_mutex_destroy(&reg->mu);
		pthread_mutex_destroy(&reg->write_mu);
		goto out;
	}
	inited = 1;
	/* The first connection now, and one statement on the register's tables, so a
	 * broken file or schema fails here. */
	if ((r = conn_open(reg->path, &c)) != 0) {
		r = r == PORTEN_ERR_NOMEM ? r : PORTEN_ERR_UNAVAILABLE;
		goto out;
	}
	if ((r = stmt(c, ST_HEADS, &st)) != 0)
		goto out;
	reg->idle[0] = c;
	reg->nidle = reg->nconn = 1;
	c = NULL;
	/* A register written before the search index existed gets it now. */
	if ((r = freg_search_ensure(reg)) != 0) {
		freg_register_close(reg);
		reg = NULL;
		goto out;
	}
	*out = reg;
	reg = NULL;
	r = 0;
out:
	conn_close(c);
	if (reg != NULL) {
		if (inited) {
			pthread_cond_destroy(&reg->cv);
			pthread_mutex_destroy(&reg->mu);
			pthread_mutex_destroy(&reg->write_mu);
		}
		free(reg->path);
		free(reg);
	}
	return r;
}

void
freg_register_close(freg_register *reg)
{
	if (reg == NULL)
		return;
	if (reg->pg != NULL) {
		freg_pg_close(reg->pg);
		free(reg);
		return;
	}
	if (reg->nidle != reg->nconn)
		log_error("freg: register: closed with %zu connections in use",
		          reg->nconn - reg->nidle);
	for (size_t i = 0; i < reg->nidle; i++)
		conn_close(reg->idle[i]);
	conn_close(reg->audit);
	pthread_cond_destroy(&reg->cv);
	pthread_mutex_destroy(&reg->mu);
	pthread_mutex_destroy(&reg->write_mu);
	free(reg->path);
	free(reg);
}

/* ---- ingest ---- */

/* Everything about one event that needs no database. */
static int
check_event(const struct freg_ingest *e, size_t i)
{
	const char *why = NULL;

	if (!is_pid(e->pid))
		why = "folkeregisteridentifikator is not 11 digits";
	else if (!is_type(e->type))
		why = "hendelsetype is not 1 to PORTEN_FREG_TYPE_MAX letters";
	else if (e->egenskapshendelse != NULL && !json_is_array(e->egenskapshendelse))
		why = "egenskapshendelse is not an array";
	else if (e->egenskapshendelse != NULL &&
	         json_array_size(e->egenskapshendelse) > PORTEN_FREG_EVENT_ENTRIES_MAX)
		why = "more than PORTEN_FREG_EVENT_ENTRIES_MAX egenskapshendelse";
	else if (e->person != NULL && !json_is_object(e->person))
		why = "person document is not an object";
	else if (e->new_pid != NULL && !is_pid(e->new_pid))
		why = "new identifier is not 11 digits";
	else if (e->merge_into != NULL && !is_pid(e->merge_into))
		why = "merge target is not 11 digits";
	else if (e->new_pid != NULL && e->merge_into != NULL)
		why = "both a new identifier and a merge target";
	else if (e->merge_into != NULL && e->person != NULL)
		why = "a merged duplicate gets no new person document";
	else if (e->ajourhold < 0 || e->ajourhold > AJOURHOLD_MAX)
		why = "ajourholdstidspunkt out of range";
	if (why == NULL)
		return 0;
	log_warn("freg: register: ingest: event %zu refused: %s", i, why);
	return PORTEN_ERR_INVALID;
}

/* The DokumentForHendelse (spec 2.3), members in the specification's order. */
static int
event_doc(const char *id, const struct freg_ingest *e, const char *ajourhold, struct dbuf *b)
{
	json_t *doc = NULL, *h = NULL, *eh = NULL;
	int r = PORTEN_ERR_NOMEM;

	eh = e->egenskapshendelse != NULL ? json_deep_copy(e->egenskapshendelse) : json_array();
	if (eh == NULL || (doc = json_object()) == NULL || (h = json_object()) == NULL)
		goto out;
	if (json_object_set_new(doc, "dokumentidentifikator", json_string(id)) != 0 ||
	    json_object_set_new(doc, "skjemaversjon", json_string("1.0")) != 0 ||
	    json_object_set_new(h, "folkeregisteridentifikator", json_string(e->pid)) != 0 ||
	    json_object_set_new(h, "hendelsestype", json_string(e->type)) != 0 ||
	    json_object_set_new(h, "ajourholdstidspunkt", json_string(ajourhold)) != 0)
		goto out;
	r = json_object_set_new(h, "egenskapshendelse", eh);
	eh = NULL;
	if (r != 0) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	r = json_object_set_new(doc, "hendelse", h);
	h = NULL;
	if (r != 0) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	/* An event says less than a person document. */
	r = dump_bounded(doc, PORTEN_FREG_PERSON_DOC_MAX, b);
out:
	json_decref(eh);
	json_decref(h);
	json_decref(doc);
	return r;
}

struct ingest_ctx {
	struct conn *c;
	int64_t now;
	int64_t last[FREG_PKG_COUNT];
	bool dirty[FREG_PKG_COUNT];
	struct dbuf buf;
	struct porten_buf layout;
};

static int
new_id(char out[static FREG_DOC_ID_LEN + 1])
{
	return porten_random_hex(out, FREG_DOC_ID_LEN / 2) == 0 ? 0 : PORTEN_ERR_INTERNAL;
}

int
freg_reg_new_id(char out[static FREG_DOC_ID_LEN + 1])
{
	return new_id(out);
}

int
freg_reg_event_doc(const char *id, const struct freg_ingest *e, const char *ajourhold,
	struct freg_dbuf *b)
{
	return event_doc(id, e, ajourhold, b);
}

struct freg_pgreg *
freg_reg_pg(const freg_register *reg)
{
	return reg != NULL ? reg->pg : NULL;
}

/* Fills the slot a merged person left (already NULL in its row): the person in the
 * last slot moves into it, unless the freed slot was the last. */
static int
slot_free(struct conn *c, int64_t slot)
{
	int64_t maxslot = 0;
	bool found;
	int r;

	if ((r = query_int(c, ST_SLOT_MAX, &maxslot, &found, "")) != 0)
		return r;
	if (found && maxslot > slot)
		r = exec(c, ST_SLOT_MOVE, "ii", maxslot, slot);
	return r;
}

static int
ingest_one(struct ingest_ctx *x, const struct freg_ingest *e, size_t i,
	struct freg_ingested *res)
{
	struct conn *c = x->c;
	sqlite3_stmt *st = NULL;
	char curpid[PID_LEN + 1], ajourhold[FREG_TS_LEN + 1];
	int64_t person = 0, cur = 0, slot = -1, survivor = 0, owner = 0, v = 0, evrow;
	bool found, has_cur, has_slot;
	int rc, r = PORTEN_ERR_INTERNAL;

	memset(res, 0, sizeof(*res));
	/* Who: the identifier's person, or a new one. */
	if ((r = query_int(c, ST_IDENT_GET, &person, &found, "s", e->pid)) != 0)
		goto out;
	if (!found) {
		if (e->person == NULL) {
			log_warn("freg: register: ingest: event %zu refused: unknown identifier "
			         "and no person document", i);
			r = PORTEN_ERR_INVALID;
			goto out;
		}
		if ((r = query_int(c, ST_SLOT_MAX, &slot, &found, "")) != 0)
			goto out;
		slot = found ? slot + 1 : 0;
		if ((r = exec(c, ST_PERSON_INS, "sii", e->pid, slot, x->now)) != 0)
			goto out;
		person = sqlite3_last_insert_rowid(c->db);
		if ((r = exec(c, ST_IDENT_INS, "sii", e->pid, person, (int64_t)IDENT_CURRENT)) != 0)
			goto out;
		log_debug("freg: register: new person %lld for %s", (long long)person, e->pid);
	}
	if ((r = query(c, ST_PERSON_GET, &st, "i", person)) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? PORTEN_ERR_INTERNAL : db_err(c->db, rc, "person");
		if (rc == SQLITE_DONE)
			log_error("freg: register: identifier points at missing person %lld",
			          (long long)person);
		goto out;
	}
	if ((r = copy_col(st, 0, curpid, sizeof(curpid))) != 0)
		goto out;
	has_cur = sqlite3_column_type(st, 1) != SQLITE_NULL;
	cur = sqlite3_column_int64(st, 1);
	has_slot = sqlite3_column_type(st, 2) != SQLITE_NULL;
	slot = sqlite3_column_int64(st, 2);
	stmt_done(st);
	st = NULL;

	if (e->merge_into != NULL) {
		if ((r = query_int(c, ST_IDENT_GET, &survivor, &found, "s", e->merge_into)) != 0)
			goto out;
		if (!found || survivor == person) {
			log_warn("freg: register: ingest: event %zu refused: merge target %s", i,
			         found ? "is the same person" : "unknown");
			r = PORTEN_ERR_INVALID;
			goto out;
		}
	}

	if (e->new_pid != NULL && strcmp(e->new_pid, curpid) != 0) {
		if ((r = query_int(c, ST_IDENT_GET, &owner, &found, "s", e->new_pid)) != 0)
			goto out;
		if (found && owner != person) {
			log_warn("freg: register: ingest: event %zu refused: the new identifier "
			         "belongs to another person", i);
			r = PORTEN_ERR_EXISTS;
			goto out;
		}
		if ((r = exec(c, ST_IDENT_KIND, "si", curpid, (int64_t)IDENT_OLD)) != 0)
			goto out;
		r = found ? exec(c, ST_IDENT_KIND, "si", e->new_pid, (int64_t)IDENT_CURRENT) :
		    exec(c, ST_IDENT_INS, "sii", e->new_pid, person, (int64_t)IDENT_CURRENT);
		if (r != 0)
			goto out;
		if ((r = exec(c, ST_PERSON_SET_PID, "is", person, e->new_pid)) != 0)
			goto out;
	}

	if (e->person != NULL) {
		if ((r = dump_bounded(e->person, PORTEN_FREG_PERSON_DOC_MAX, &x->buf)) != 0) {
			if (r == PORTEN_ERR_INVALID)
				log_warn("freg: register: ingest: event %zu refused: person document "
				         "over PORTEN_FREG_PERSON_DOC_MAX bytes", i);
			goto out;
		}
		if ((r = new_id(res->persondoc_id)) != 0 ||
		    (r = freg_reg_layout(e->person, &x->buf, &x->layout)) != 0)
			goto out;
		if ((r = exec(c, ST_PDOC_INS, "siisb", res->persondoc_id, person, x->now,
		              x->buf.p, (const void *)(x->layout.len > 0 ? x->layout.data : NULL),
		              x->layout.len)) != 0)
			goto out;
		v = sqlite3_last_insert_rowid(c->db);
		if (has_cur && (r = exec(c, ST_PDOC_SUPERSEDE, "ii", cur, x->now)) != 0)
			goto out;
		if ((r = exec(c, ST_PERSON_SET_CUR, "ii", person, v)) != 0)
			goto out;
	}

	if (e->merge_into != NULL) {
		/* The duplicate's version stops being current; its identifiers now name the
		 * survivor; its slot goes to the last person. */
		if (has_cur && (r = exec(c, ST_PDOC_SUPERSEDE, "ii", cur, x->now)) != 0)
			goto out;
		if ((r = exec(c, ST_PERSON_MERGE, "ii", person, survivor)) != 0)
			goto out;
		if (has_slot && (r = slot_free(c, slot)) != 0)
			goto out;
		if ((r = exec(c, ST_IDENT_MOVE, "ii", person, survivor)) != 0)
			goto out;
	}

	/* The event and its document. */
	if ((r = new_id(res->event_id)) != 0)
		goto out;
	freg_ts_format(e->ajourhold != 0 ? e->ajourhold : x->now, 0, ajourhold);
	if ((r = event_doc(res->event_id, e, ajourhold, &x->buf)) != 0) {
		if (r == PORTEN_ERR_INVALID)
			log_warn("freg: register: ingest: event %zu refused: event document over "
			         "PORTEN_FREG_PERSON_DOC_MAX bytes", i);
		goto out;
	}
	if ((r = exec(c, ST_EVENT_INS, "sssssi", res->event_id, e->pid, e->type,
	              res->persondoc_id, ajourhold, x->now)) != 0)
		goto out;
	evrow = sqlite3_last_insert_rowid(c->db);
	if ((r = exec(c, ST_EVDOC_INS, "is", evrow, x->buf.p)) != 0)
		goto out;

	/* The search index follows the person's current version (lib/freg/search.c). */
	if (e->person != NULL)
		r = freg_search_index(c, person, e->new_pid != NULL ? e->new_pid : curpid,
		                      e->person, has_cur);
	else if (e->merge_into != NULL)
		r = freg_search_merged(c, person, evrow);
	else if (e->new_pid != NULL)
		r = freg_search_set_pid(c, person, e->new_pid);
	if (r != 0)
		goto out;

	/* One row in every feed that carries the type. */
	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		if (!freg_pkg_feed_has((enum freg_pkg)p, e->type))
			continue;
		res->seq[p] = ++x->last[p];
		x->dirty[p] = true;
		if ((r = exec(c, ST_FEED_INS, "iiii", (int64_t)p, res->seq[p], evrow, x->now)) != 0)
			goto out;
	}
	r = 0;
out:
	stmt_done(st);
	return r;
}

int
freg_register_ingest(freg_register *reg, const struct freg_ingest *ev, size_t n,
	struct freg_ingested *out)
{
	struct ingest_ctx x;
	struct freg_ingested scratch;
	sqlite3_stmt *st = NULL;
	int rc, r = PORTEN_ERR_INTERNAL;

	memset(&x, 0, sizeof(x));
	porten_buf_init(&x.layout, PORTEN_FREG_PERSON_DOC_MAX);
	if (reg == NULL || ev == NULL || n == 0 || n > PORTEN_FREG_INGEST_BATCH_MAX) {
		log_warn("freg: register: ingest: %zu events (want 1 to "
		         "PORTEN_FREG_INGEST_BATCH_MAX)", n);
		return PORTEN_ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++)
		if ((r = check_event(&ev[i], i)) != 0)
			return r;
	if (reg->pg != NULL)
		return freg_pg_ingest(reg->pg, ev, n, out);
	if ((r = write_begin(reg, &x.c)) != 0)
		return r;
	x.now = porten_now();
	/* The feed heads, under the write lock: nobody else assigns numbers now. */
	if ((r = query(x.c, ST_HEADS, &st, "")) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t p = sqlite3_column_int64(st, 0);

		if (p >= 0 && p < FREG_PKG_COUNT)
			x.last[p] = sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE) {
		r = db_err(x.c->db, rc, "feed heads");
		goto out;
	}
	stmt_done(st);
	st = NULL;
	for (size_t i = 0; i < n; i++)
		if ((r = ingest_one(&x, &ev[i], i, out != NULL ? &out[i] : &scratch)) != 0)
			goto out;
	for (int p = 0; p < FREG_PKG_COUNT; p++)
		if (x.dirty[p] && (r = exec(x.c, ST_HEAD_SET_LAST, "ii", (int64_t)p, x.last[p])) != 0)
			goto out;
	r = 0;
out:
	stmt_done(st);
	r = write_end(reg, x.c, r);
	free(x.buf.p);
	porten_buf_release(&x.layout);
	if (r == 0)
		log_debug("freg: register: ingested %zu events", n);
	return r;
}

/* ---- reads ---- */

int
freg_register_feed(freg_register *reg, enum freg_pkg p, int64_t from, size_t limit,
	freg_feed_fn fn, void *ctx)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	struct freg_feed_row row;
	int rc, r = PORTEN_ERR_INTERNAL;

	if (reg == NULL || (unsigned)p >= FREG_PKG_COUNT || fn == NULL)
		return PORTEN_ERR_INVALID;
	if (limit == 0)
		return 0;
	if (reg->pg != NULL)
		return freg_pg_feed(reg->pg, p, from, limit, fn, ctx);
	if ((r = conn_get(reg, &c)) != 0)
		goto out;
	if ((r = query(c, ST_FEED_READ, &st, "iii", (int64_t)p, from,
	               limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit)) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row.seq = sqlite3_column_int64(st, 0);
		row.pid = (const char *)sqlite3_column_text(st, 1);
		row.type = (const char *)sqlite3_column_text(st, 2);
		row.event_id = (const char *)sqlite3_column_text(st, 3);
		row.persondoc_id = (const char *)sqlite3_column_text(st, 4);
		row.ajourhold = (const char *)sqlite3_column_text(st, 5);
		row.stored = sqlite3_column_int64(st, 6);
		if (row.pid == NULL || row.type == NULL || row.event_id == NULL ||
		    row.persondoc_id == NULL || row.ajourhold == NULL) {
			r = PORTEN_ERR_NOMEM;
			goto out;
		}
		if ((r = fn(ctx, &row)) != 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : db_err(c->db, rc, "feed");
out:
	stmt_done(st);
	conn_put(reg, c);
	return r;
}

int
freg_register_feed_bounds(freg_register *reg, enum freg_pkg p, int64_t *first, int64_t *last)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	int rc, r = PORTEN_ERR_INTERNAL;

	if (reg == NULL || (unsigned)p >= FREG_PKG_COUNT || first == NULL || last == NULL)
		return PORTEN_ERR_INVALID;
	if (reg->pg != NULL)
		return freg_pg_feed_bounds(reg->pg, p, first, last);
	if ((r = conn_get(reg, &c)) != 0)
		goto out;
	if ((r = query(c, ST_HEAD_GET, &st, "i", (int64_t)p)) != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*last = sqlite3_column_int64(st, 0);
		*first = sqlite3_column_int64(st, 1);
	} else if (rc == SQLITE_DONE) {
		*last = 0;
		*first = 1;
	} else {
		r = db_err(c->db, rc, "feed bounds");
		goto out;
	}
	r = 0;
out:
	stmt_done(st);
	conn_put(reg, c);
	return r;
}

int
freg_register_event_doc(freg_register *reg, const char *id, char **json, size_t *len,
	int64_t *stored)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	char key[FREG_DOC_ID_LEN + 1];
	const unsigned char *t;
	size_t n;
	int rc, r = PORTEN_ERR_INTERNAL;

	if (reg == NULL || json == NULL)
		return PORTEN_ERR_INVALID;
	*json = NULL;
	if (!norm_id(id, key))
		return PORTEN_ERR_NOT_FOUND;
	if (reg->pg != NULL)
		return freg_pg_event_doc(reg->pg, key, json, len, stored);
	if ((r = conn_get(reg, &c)) != 0)
		goto out;
	if ((r = query(c, ST_EVENT_DOC, &st, "s", key)) != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? PORTEN_ERR_NOT_FOUND : db_err(c->db, rc, "event document");
		goto out;
	}
	t = sqlite3_column_text(st, 0);
	n = (size_t)sqlite3_column_bytes(st, 0);
	if (t == NULL || (*json = malloc(n + 1)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	memcpy(*json, t, n);
	(*json)[n] = '\0';
	if (len != NULL)
		*len = n;
	if (stored != NULL)
		*stored = sqlite3_column_int64(st, 1);
	r = 0;
out:
	stmt_done(st);
	conn_put(reg, c);
	return r;
}

/* Parses a stored document (our own compact JSON text). */
static int
parse_doc(sqlite3_stmt *st, int col, json_t **doc)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	json_error_t err;

	if (t == NULL)
		return PORTEN_ERR_NOMEM;
	*doc = json_loadb(t, (size_t)sqlite3_column_bytes(st, col), 0, &err);
	if (*doc == NULL) {
		log_error("freg: register: stored document does not parse: %s", err.text);
		return PORTEN_ERR_INTERNAL;
	}
	return 0;
}

int
freg_register_person(freg_register *reg, const char *pid, json_t **doc, char *current_pid,
	char *persondoc_id)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	char cp[PID_LEN + 1], pd[FREG_DOC_ID_LEN + 1];
	json_t *d = NULL;
	int rc, r = PORTEN_ERR_INTERNAL;

	if (reg == NULL)
		return PORTEN_ERR_INVALID;
	if (doc != NULL)
		*doc = NULL;
	if (!is_pid(pid))
		return PORTEN_ERR_NOT_FOUND;
	if (reg->pg != NULL)
		return freg_pg_person(reg->pg, pid, doc, current_pid, persondoc_id);
	if ((r = conn_get(reg, &c)) != 0)
		goto out;
	if ((r = query(c, ST_PERSON_READ, &st, "s", pid)) != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? PORTEN_ERR_NOT_FOUND : db_err(c->db, rc, "person");
		goto out;
	}
	if ((r = copy_col(st, 0, cp, sizeof(cp))) != 0 ||
	    (r = copy_col(st, 1, pd, sizeof(pd))) != 0)
		goto out;
	if (doc != NULL && (r = parse_doc(st, 2, &d)) != 0)
		goto out;
	if (current_pid != NULL)
		memcpy(current_pid, cp, sizeof(cp));
	if (persondoc_id != NULL)
		memcpy(persondoc_id, pd, sizeof(pd));
	if (doc != NULL) {
		*doc = d;
		d = NULL;
	}
	r = 0;
out:
	json_decref(d);
	stmt_done(st);
	conn_put(reg, c);
	return r;
}

/* Appends column col (text or blob) to b. */
static int
col_to_buf(sqlite3_stmt *st, int col, struct porten_buf *b)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);

	return p == NULL || n <= 0 ? 0 : porten_buf_append(b, p, (size_t)n);
}

/* freg_register_person_raw on connection c (arguments checked, buffers reset). */
static int
person_raw_on(struct conn *c, const char *pid, struct porten_buf *text,
	struct porten_buf *layout, char *current_pid)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = query(c, ST_PERSON_READ_RAW, &st, "s", pid)) != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? PORTEN_ERR_NOT_FOUND : db_err(c->db, rc, "person");
		goto out;
	}
	if (current_pid != NULL && (r = copy_col(st, 0, current_pid, PID_LEN + 1)) != 0)
		goto out;
	if ((r = col_to_buf(st, 1, text)) != 0 || (r = col_to_buf(st, 2, layout)) != 0)
		goto out;
	r = 0;
out:
	stmt_done(st);
	return r;
}

int
freg_register_person_raw(freg_register *reg, const char *pid, struct porten_buf *text,
	struct porten_buf *layout, char *current_pid)
{
	struct conn *c = NULL;
	int r;

	if (reg == NULL || text == NULL || layout == NULL)
		return PORTEN_ERR_INVALID;
	porten_buf_reset(text);
	porten_buf_reset(layout);
	if (!is_pid(pid))
		return PORTEN_ERR_NOT_FOUND;
	if (reg->pg != NULL)
		return freg_pg_person_raw(reg->pg, pid, text, layout, current_pid);
	if ((r = conn_get(reg, &c)) != 0)
		return r;
	r = person_raw_on(c, pid, text, layout, current_pid);
	conn_put(reg, c);
	return r;
}

struct freg_reader {
	freg_register *reg;
	struct conn *c;             /* NULL on PostgreSQL */
};

int
freg_register_reader_begin(freg_register *reg, freg_reader **out)
{
	freg_reader *rd;
	int r;

	if (reg == NULL || out == NULL)
		return PORTEN_ERR_INVALID;
	*out = NULL;
	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return PORTEN_ERR_NOMEM;
	rd->reg = reg;
	if (reg->pg == NULL) {
		if ((r = conn_get(reg, &rd->c)) != 0 || (r = exec(rd->c, ST_BEGIN_READ, "")) != 0) {
			conn_put(reg, rd->c);
			free(rd);
			return r;
		}
	}
	*out = rd;
	return 0;
}

int
freg_reader_person_raw(freg_reader *rd, const char *pid, struct porten_buf *text,
	struct porten_buf *layout, char *current_pid)
{
	if (rd == NULL || text == NULL || layout == NULL)
		return PORTEN_ERR_INVALID;
	if (rd->c == NULL)
		return freg_register_person_raw(rd->reg, pid, text, layout, current_pid);
	porten_buf_reset(text);
	porten_buf_reset(layout);
	if (!is_pid(pid))
		return PORTEN_ERR_NOT_FOUND;
	return person_raw_on(rd->c, pid, text, layout, current_pid);
}

void
freg_register_reader_end(freg_reader *rd)
{
	if (rd == NULL)
		return;
	conn_put(rd->reg, rd->c);   /* rolls the read transaction back */
	free(rd);
}

int
freg_register_layout_fill(freg_register *reg, size_t max, struct freg_layout_fill *out)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	struct porten_buf layouts, layout;   /* the batch's new layouts, end to end; one */
	int64_t *rid = NULL, version = 0, next = -1, last = 0;
	size_t *end = NULL, n = 0;
	bool found = false;
	int rc, r;

	if (reg == NULL || out == NULL || max == 0)
		return PORTEN_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	if (max > PORTEN_FREG_LAYOUT_FILL_MAX)
		max = PORTEN_FREG_LAYOUT_FILL_MAX;
	if (reg->pg != NULL)
		return freg_pg_layout_fill(reg->pg, max, out);
	porten_buf_init(&layouts, max * PORTEN_FREG_PERSON_DOC_MAX);
	porten_buf_init(&layout, PORTEN_FREG_PERSON_DOC_MAX);
	rid = malloc(max * sizeof(*rid));
	end = malloc(max * sizeof(*end));
	if (rid == NULL || end == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	if ((r = write_begin(reg, &c)) != 0)
		goto out;
	if ((r = query(c, ST_FILL_STATE, &st, "")) != 0)
		goto done;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		version = sqlite3_column_int64(st, 0);
		next = sqlite3_column_int64(st, 1);
		found = true;
	} else if (rc != SQLITE_DONE) {
		r = db_err(c->db, rc, "layout fill");
	}
	stmt_done(st);
	st = NULL;
	if (r != 0)
		goto done;
	if (!found) {   /* no row: nothing to go on from */
		out->finished = true;
		goto done;
	}
	if (version != FREG_LAYOUT_VERSION) {
		version = FREG_LAYOUT_VERSION;
		next = 0;
	}
	if (next < 0) {
		out->finished = true;
		goto done;
	}
	if ((r = query(c, ST_FILL_READ, &st, "ii", next, (int64_t)max)) != 0)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *old = sqlite3_column_blob(st, 3);
		size_t olen = (size_t)sqlite3_column_bytes(st, 3);

		last = sqlite3_column_int64(st, 0);
		out->checked++;
		if (!freg_reg_layout_stale(old, olen))
			continue;
		if ((r = freg_reg_layout_of_text((const char *)sqlite3_column_text(st, 2),
		                                 (size_t)sqlite3_column_bytes(st, 2), &layout)) != 0 ||
		    (r = porten_buf_append(&layouts, layout.data, layout.len)) != 0)
			break;
		if (layout.len > 0) {
			rid[n] = sqlite3_column_int64(st, 1);
			end[n++] = layouts.len;
		}
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_err(c->db, rc, "layout fill");
	stmt_done(st);
	st = NULL;
	for (size_t i = 0; i < n && r == 0; i++) {
		size_t start = i == 0 ? 0 : end[i - 1];

		r = exec(c, ST_FILL_WRITE, "ib", rid[i], (const void *)(layouts.data + start),
		         end[i] - start);
	}
	if (r == 0) {
		out->built = n;
		out->finished = out->checked < max;
		r = exec(c, ST_FILL_SET, "ii", version, out->finished ? (int64_t)-1 : last);
	}
done:
	r = write_end(reg, c, r);
	if (r != 0)
		memset(out, 0, sizeof(*out));
out:
	free(rid);
	free(end);
	porten_buf_release(&layouts);
	porten_buf_release(&layout);
	return r;
}

int
freg_register_persondoc(freg_register *reg, const char *id, json_t **doc, int64_t *superseded)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	char key[FREG_DOC_ID_LEN + 1];
	int rc, r = PORTEN_ERR_INTERNAL;

	if (reg == NULL)
		return PORTEN_ERR_INVALID;
	if (doc != NULL)
		*doc = NULL;
	if (!norm_id(id, key))
		return PORTEN_ERR_NOT_FOUND;
	if (reg->pg != NULL)
		return freg_pg_persondoc(reg->pg, key, doc, superseded);
	if ((r = conn_get(reg, &c)) != 0)
		goto out;
	if ((r = query(c, ST_PDOC_READ, &st, "s", key)) != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? PORTEN_ERR_NOT_FOUND : db_err(c->db, rc, "persondoc");
		goto out;
	}
	if (superseded != NULL)
		*superseded = sqlite3_column_int64(st, 1);
	if (doc != NULL && (r = parse_doc(st, 0, doc)) != 0)
		goto out;
	r = 0;
out:
	stmt_done(st);
	conn_put(reg, c);
	return r;
}

int
freg_register_count(freg_register *reg, size_t *persons)
{
	struct conn *c = NULL;
	int64_t maxslot = 0;
	bool found;
	int r;

	if (reg == NULL || persons == NULL)
		return PORTEN_ERR_INVALID;
	if (reg->pg != NULL)
		return freg_pg_count(reg->pg, persons);
	if ((r = conn_get(reg, &c)) != 0)
		return r;
	if ((r = query_int(c, ST_SLOT_MAX, &maxslot, &found, "")) == 0)
		*persons = found ? (size_t)maxslot + 1 : 0;
	conn_put(reg, c);
	return r;
}

int
freg_register_pick(freg_register *reg, size_t index, char current_pid[12])
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	int rc, r = PORTEN_ERR_INTERNAL;

	if (reg == NULL || current_pid == NULL)
		return PORTEN_ERR_INVALID;
	if (index > (size_t)INT64_MAX)
		return PORTEN_ERR_NOT_FOUND;
	if (reg->pg != NULL)
		return freg_pg_pick(reg->pg, index, current_pid);
	if ((r = conn_get(reg, &c)) != 0)
		goto out;
	if ((r = query(c, ST_PICK, &st, "i", (int64_t)index)) != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? PORTEN_ERR_NOT_FOUND : db_err(c->db, rc, "pick");
		goto out;
	}
	r = copy_col(st, 0, current_pid, PID_LEN + 1);
out:
	stmt_done(st);
	conn_put(reg, c);
	return r;
}

/* ---- retention ---- */

int
freg_register_purge(freg_register *reg, int64_t feed_before, int64_t doc_before,
	size_t *deleted)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	int64_t minref = INT64_MAX, doccut = INT64_MAX, v;
	size_t total = 0;
	bool found;
	int rc, r = PORTEN_ERR_INTERNAL;

	if (reg == NULL)
		return PORTEN_ERR_INVALID;
	if (reg->pg != NULL)
		return freg_pg_purge(reg->pg, feed_before, doc_before, deleted);
	if ((r = write_begin(reg, &c)) != 0)
		return r;
	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		int64_t first = 1, last = 0, cut;

		if ((r = query(c, ST_HEAD_GET, &st, "i", (int64_t)p)) != 0)
			goto out;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			last = sqlite3_column_int64(st, 0);
			first = sqlite3_column_int64(st, 1);
		} else if (rc != SQLITE_DONE) {
			r = db_err(c->db, rc, "purge");
			goto out;
		}
		stmt_done(st);
		st = NULL;
		/* The first row to keep; every row before it goes, so the feed stays dense. */
		if ((r = query_int(c, ST_FEED_CUT, &cut, &found, "iii", (int64_t)p, first,
		                   feed_before)) != 0)
			goto out;
		if (!found)
			cut = last + 1;
		if (cut > first) {
			if ((r = exec(c, ST_FEED_DEL, "iii", (int64_t)p, first, cut)) != 0)
				goto out;
			total += (size_t)sqlite3_changes(c->db);
			if ((r = exec(c, ST_HEAD_SET_FIRST, "iii", (int64_t)p, last, cut)) != 0)
				goto out;
		}
		/* Event rowids grow with seq: the first kept row names this feed's oldest. */
		if (cut <= last) {
			if ((r = query_int(c, ST_FEED_EVENT_AT, &v, &found, "ii", (int64_t)p,
			                   cut)) != 0)
				goto out;
			if (found && v < minref)
				minref = v;
		}
	}
	/* Event documents up to the first one stored at or after doc_before; an event's
	 * feed-row facts go once no feed names it and its document is gone. */
	if ((r = query_int(c, ST_DOC_CUT, &v, &found, "i", doc_before)) != 0)
		goto out;
	if (found)
		doccut = v;
	if ((r = exec(c, ST_DOC_DEL, "i", doccut)) != 0)
		goto out;
	total += (size_t)sqlite3_changes(c->db);
	if ((r = exec(c, ST_EVENT_DEL, "i", doccut < minref ? doccut : minref)) != 0)
		goto out;
	if ((r = exec(c, ST_PDOC_PURGE, "i", doc_before)) != 0)
		goto out;
	total += (size_t)sqlite3_changes(c->db);
	r = 0;
out:
	stmt_done(st);
	r = write_end(reg, c, r);
	if (r == 0) {
		if (deleted != NULL)
			*deleted = total;
		log_info("freg: register: retention removed %zu rows", total);
	}
	return r;
}

/* ---- consumers ---- */

#define PKG_MASK_ALL ((1u << FREG_PKG_COUNT) - 1)

int
freg_register_consumer_set(freg_register *reg, const char *orgno, unsigned mask)
{
	struct conn *c = NULL;
	int r;

	if (reg == NULL || !is_digits(orgno, ORGNO_LEN) || (mask & ~PKG_MASK_ALL) != 0)
		return PORTEN_ERR_INVALID;
	if (reg->pg != NULL)
		return freg_pg_consumer_set(reg->pg, orgno, mask);
	if ((r = write_begin(reg, &c)) != 0)
		return r;
	r = mask == 0 ? exec(c, ST_CONS_DEL, "s", orgno) :
	    exec(c, ST_CONS_SET, "si", orgno, (int64_t)mask);
	return write_end(reg, c, r);
}

int
freg_register_consumer_get(freg_register *reg, const char *orgno, unsigned *mask)
{
	struct conn *c = NULL;
	int64_t v = 0;
	bool found;
	int r;

	if (reg == NULL || mask == NULL)
		return PORTEN_ERR_INVALID;
	if (!is_digits(orgno, ORGNO_LEN))
		return PORTEN_ERR_NOT_FOUND;
	if (reg->pg != NULL)
		return freg_pg_consumer_get(reg->pg, orgno, mask);
	if ((r = conn_get(reg, &c)) != 0)
		return r;
	r = query_int(c, ST_CONS_GET, &v, &found, "s", orgno);
	if (r == 0 && !found)
		r = PORTEN_ERR_NOT_FOUND;
	if (r == 0)
		*mask = (unsigned)v & PKG_MASK_ALL;
	conn_put(reg, c);
	return r;
}

int
freg_register_call_state(freg_register *reg, const char *orgno, enum freg_pkg p, unsigned *mask,
	int64_t *first, int64_t *last)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	int rc, r;

	if (reg == NULL || mask == NULL || first == NULL || last == NULL || (unsigned)p >= FREG_PKG_COUNT)
		return PORTEN_ERR_INVALID;
	*mask = 0;
	*first = 1;
	*last = 0;
	if (reg->pg != NULL)
		return freg_pg_call_state(reg->pg, is_digits(orgno, ORGNO_LEN) ? orgno : "", p, mask,
		                          first, last);
	if ((r = conn_get(reg, &c)) != 0)
		return r;
	if ((r = query(c, ST_CALL_STATE, &st, "si", is_digits(orgno, ORGNO_LEN) ? orgno : "", (int64_t)p)) != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = db_err(c->db, rc, "call state");
		goto out;
	}
	if (sqlite3_column_type(st, 0) != SQLITE_NULL)
		*mask = (unsigned)sqlite3_column_int64(st, 0) & PKG_MASK_ALL;
	if (sqlite3_column_type(st, 1) != SQLITE_NULL)
		*last = sqlite3_column_int64(st, 1);
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		*first = sqlite3_column_int64(st, 2);
out:
	stmt_done(st);
	conn_put(reg, c);
	return r;
}

int
freg_register_consumer_list(freg_register *reg, freg_consumer_fn fn, void *ctx)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	char orgno[ORGNO_LEN + 1];
	int rc, r = PORTEN_ERR_INTERNAL;

	if (reg == NULL || fn == NULL)
		return PORTEN_ERR_INVALID;
	if (reg->pg != NULL)
		return freg_pg_consumer_list(reg->pg, fn, ctx);
	if ((r = conn_get(reg, &c)) != 0)
		goto out;
	if ((r = query(c, ST_CONS_LIST, &st, "")) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = copy_col(st, 0, orgno, sizeof(orgno))) != 0)
			goto out;
		if ((r = fn(ctx, orgno, (unsigned)sqlite3_column_int64(st, 1) & PKG_MASK_ALL)) != 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : db_err(c->db, rc, "consumers");
out:
	stmt_done(st);
	conn_put(reg, c);
	return r;
}

/* ---- audit ---- */

/* The audit writer's connection (reg->audit), opened on first use; under write_mu. Not a
 * pool connection: the pool's page caches are emptied by every commit of another
 * connection, this one's only by the register's other writes. */
static int
audit_conn(freg_register *reg, struct conn **out)
{
	int r;

	if (reg->audit == NULL) {
		char pragma[96];

		if ((r = conn_open(reg->path, &reg->audit)) != 0)
			return r;
		/* the batches' sort in memory too, not in a temporary file */
		snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%d; PRAGMA temp_store = MEMORY",
		         PORTEN_FREG_AUDIT_CACHE_KB);
		if (sqlite3_exec(reg->audit->db, pragma, NULL, NULL, NULL) != SQLITE_OK)
			log_warn("freg: register: audit page cache: %s", sqlite3_errmsg(reg->audit->db));
	}
	*out = reg->audit;
	return 0;
}

/* After a unit of work on it: rolled back if still open, and never reused then (as
 * conn_put). */
static void
audit_conn_done(freg_register *reg, struct conn *c)
{
	rollback(c);
	if (!sqlite3_get_autocommit(c->db)) {
		conn_close(c);
		reg->audit = NULL;
	}
}

/* Files the records since the last run into the index by person as a new run, sorted
 * by person (sql/sqlite/006_audit_pid.sql); under write_mu. Only learns how many wait
 * unless always or PORTEN_FREG_AUDIT_MERGE_ROWS do. */
static int
audit_merge(freg_register *reg, bool always)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	int64_t upto = 0, top = 0, records = 0;
	struct timespec t0, t1;
	bool go;
	int rc, r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((r = audit_conn(reg, &c)) != 0)
		return r;
	if ((r = exec(c, ST_BEGIN, "")) != 0 || (r = query(c, ST_AUDIT_TAIL, &st, "")) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		upto = sqlite3_column_int64(st, 0);
		top = sqlite3_column_int64(st, 1);
		records = sqlite3_column_int64(st, 2);
	} else {
		r = rc == SQLITE_DONE ? PORTEN_ERR_INTERNAL : db_err(c->db, rc, "audit");
	}
	stmt_done(st);
	if (r != 0)
		goto out;
	reg->audit_tail = records;
	go = top > upto && (always || records >= PORTEN_FREG_AUDIT_MERGE_ROWS);
	if (go && ((r = exec(c, ST_AUDIT_MERGE, "ii", upto, top)) != 0 ||
	           (r = exec(c, ST_AUDIT_MERGE_SET, "i", top)) != 0))
		goto out;
	if ((r = exec(c, ST_COMMIT, "")) == 0 && go) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		log_info("freg: audit: %" PRId64 " records into the index by person in %.2f s",
		         records, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		reg->audit_tail = 0;
	}
out:
	audit_conn_done(reg, c);
	return r;
}

/* A fixed-size string field that holds its NUL. */
#define TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

static bool
same_but_person(const struct freg_audit *a, const struct freg_audit *b)
{
	return a->at == b->at && a->pkg == b->pkg && a->status == b->status &&
	       strcmp(a->consumer, b->consumer) == 0 && strcmp(a->supplier, b->supplier) == 0 &&
	       strcmp(a->resource, b->resource) == 0;
}

/* The persons of records a[0..k) as a compact JSON array (malloc'd); NULL when one is not
 * UTF-8 (jansson refuses it) or without memory. */
static char *
pids_json(const struct freg_audit *a, size_t k)
{
	json_t *arr = json_array();
	char *out = NULL;
	size_t i;

	for (i = 0; arr != NULL && i < k; i++)
		if (json_array_append_new(arr, json_string(a[i].pid)) != 0)
			break;
	if (arr != NULL && i == k)
		out = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return out;
}

int
freg_register_audit_append(freg_register *reg, const struct freg_audit *a, size_t n)
{
	struct conn *c = NULL;
	int r = PORTEN_ERR_INTERNAL;

	if (reg == NULL || (a == NULL && n > 0))
		return PORTEN_ERR_INVALID;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!TERMINATED(a[i].consumer) || a[i].consumer[0] == '\0' ||
		    !TERMINATED(a[i].supplier) || !TERMINATED(a[i].resource) ||
		    !TERMINATED(a[i].pid) || (unsigned)a[i].pkg >= FREG_PKG_COUNT) {
			log_warn("freg: register: audit record %zu refused: malformed", i);
			return PORTEN_ERR_INVALID;
		}
	}
	if (reg->pg != NULL)
		return freg_pg_audit_append(reg->pg, a, n);
	pthread_mutex_lock(&reg->write_mu);
	if ((r = audit_conn(reg, &c)) == 0) {
		r = exec(c, ST_BEGIN, "");
		for (size_t i = 0, k; i < n && r == 0; i += k) {
			char *pids = NULL;

			/* consecutive records about a person that differ only in the person (a bulk
			 * answer's): one row, the persons as a JSON array */
			for (k = 1; a[i].pid[0] != '\0' && i + k < n && k < PORTEN_FREG_AUDIT_PACK_MAX &&
			            a[i + k].pid[0] != '\0' && same_but_person(&a[i], &a[i + k]); k++)
				;
			if (k > 1 && (pids = pids_json(a + i, k)) == NULL)
				k = 1;   /* a person not UTF-8, or no memory: this record on its own */
			r = exec(c, ST_AUDIT_INS, "ississis", a[i].at, a[i].consumer, a[i].supplier,
			         (int64_t)a[i].pkg, a[i].resource, pids ? "" : a[i].pid,
			         (int64_t)a[i].status, pids);
			free(pids);
		}
		if (r == 0)
			r = exec(c, ST_COMMIT, "");
		audit_conn_done(reg, c);
	}
	if (r == 0 && reg->audit_tail >= 0)
		reg->audit_tail += (int64_t)n;
	if (r == 0 && (reg->audit_tail < 0 || reg->audit_tail >= PORTEN_FREG_AUDIT_MERGE_ROWS) &&
	    audit_merge(reg, false) != 0)
		log_warn("freg: register: the audit trail's index by person waits for the next batch");
	pthread_mutex_unlock(&reg->write_mu);
	return r;
}

int
freg_register_audit_index(freg_register *reg)
{
	int r;

	if (reg == NULL)
		return PORTEN_ERR_INVALID;
	if (reg->pg != NULL)
		return 0;   /* PostgreSQL indexes each record as it comes */
	pthread_mutex_lock(&reg->write_mu);
	r = audit_merge(reg, true);
	pthread_mutex_unlock(&reg->write_mu);
	return r;
}

int
freg_register_audit_query(freg_register *reg, int64_t from, int64_t to,
	const char *consumer, const char *pid, size_t limit, freg_audit_fn fn, void *ctx)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	struct freg_audit a;
	bool by_cons = consumer != NULL && consumer[0] != '\0';
	bool by_pid = pid != NULL && pid[0] != '\0';
	int id = by_cons ? (by_pid ? ST_AUDIT_Q_BOTH : ST_AUDIT_Q_CONS) :
	         (by_pid ? ST_AUDIT_Q_PID : ST_AUDIT_Q);
	int64_t lim = limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit;
	int rc, r = PORTEN_ERR_INTERNAL;

	if (reg == NULL || fn == NULL)
		return PORTEN_ERR_INVALID;
	if (limit == 0)
		return 0;
	if (to == 0)
		to = INT64_MAX;
	if (reg->pg != NULL)
		return freg_pg_audit_query(reg->pg, from, to, consumer, pid, limit, fn, ctx);
	if ((r = conn_get(reg, &c)) != 0)
		goto out;
	r = by_cons && by_pid ? query(c, id, &st, "iiiss", from, to, lim, consumer, pid) :
	    by_cons ? query(c, id, &st, "iiis", from, to, lim, consumer) :
	    by_pid ? query(c, id, &st, "iii-s", from, to, lim, pid) :
	    query(c, id, &st, "iii", from, to, lim);
	if (r != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t pkg = sqlite3_column_int64(st, 3);

		memset(&a, 0, sizeof(a));
		a.at = sqlite3_column_int64(st, 0);
		if ((r = copy_col(st, 1, a.consumer, sizeof(a.consumer))) != 0 ||
		    (r = copy_col(st, 2, a.supplier, sizeof(a.supplier))) != 0 ||
		    (r = copy_col(st, 4, a.resource, sizeof(a.resource))) != 0 ||
		    (r = copy_col(st, 5, a.pid, sizeof(a.pid))) != 0)
			goto out;
		a.pkg = pkg >= 0 && pkg < FREG_PKG_COUNT ? (enum freg_pkg)pkg : FREG_OMH;
		a.status = (int)sqlite3_column_int64(st, 6);
		if ((r = fn(ctx, &a)) != 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : db_err(c->db, rc, "audit");
out:
	stmt_done(st);
	conn_put(reg, c);
	return r;
}
