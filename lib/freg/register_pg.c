/* The population register on PostgreSQL (include/porten/register.h; tables in
 * sql/postgresql/002_register.sql and 003_search.sql; lib/freg/register_pg.h).
 *
 * The same semantics as the SQLite backend (lib/freg/register.c), statement for
 * statement: every query is a prepared statement of the table below, run through
 * lib/store/pg_util's pool (porten_pg_exec), which also applies the migrations and
 * reconnects with backoff.
 *
 * Dense sequence numbers across instances: an ingest transaction first takes the row
 * lock of every package's freg_feed_head row (SELECT ... ORDER BY package FOR UPDATE,
 * always in the same order, so two writers never deadlock). Whoever holds them assigns
 * numbers from last + 1 inside the transaction and writes last back before COMMIT;
 * the next writer, on this instance or another, waits for that COMMIT and then reads
 * the committed last (READ COMMITTED re-reads a locked row after the wait). A rollback
 * undoes the new last with everything else, so no number is ever skipped, and commit
 * order is sequence order: a reader never sees seq n + 1 before n. The same lock also
 * orders the person slots and the internal ids (BIGSERIAL, growing in commit order),
 * which retention and komplett rely on exactly as on SQLite's rowids.
 *
 * The database going away: a call returns PORTEN_ERR_UNAVAILABLE (the server answers
 * 503). A unit of work that failed because its connection died (a restart, a
 * terminated backend) before COMMIT was sent is run again on another connection, up to
 * the pool's size, so the stale connections left by a restart cost no caller an error
 * once the database is back; when COMMIT itself was cut off the outcome is unknown and
 * the caller gets PORTEN_ERR_UNAVAILABLE, never a guess. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "freg/register_pg.h"
#include "freg/search_int.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/freg.h"
#include "porten/freg_gen.h"
#include "porten/freg_view.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/register.h"
#include "store/pg_util.h"

#define PID_LEN 11
#define PARAMS_MAX 12
#define CONFLICT_RETRIES 5

struct freg_pgreg {
	porten_pg *pool;        /* the primary: every write, and the reads that decide one */
	porten_pg *rpool;       /* the lookups (read1r, search): a read replica, else pool */
	porten_pg *replica;     /* the replica's own pool when there is one (closed with g) */
	unsigned size;
};

enum {
	ST_HEADS_LOCK,
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
	ST_HEAD_SET_LAST,
	ST_FEED_INS,
	ST_FEED_READ,
	ST_HEAD_GET,
	ST_CALL_STATE,
	ST_EVENT_DOC,
	ST_PERSON_READ,
	ST_PDOC_READ,
	ST_PICK,
	ST_FEED_CUT,
	ST_FEED_DEL,
	ST_FEED_EVENT_AT,
	ST_HEAD_SET_FIRST,
	ST_DOC_CUT,
	ST_DOC_DEL,
	ST_EVENT_DEL,
	ST_PDOC_PURGE,
	ST_CONS_SET,
	ST_CONS_DEL,
	ST_CONS_GET,
	ST_CONS_LIST,
	ST_AUDIT_INS,
	ST_AUDIT_Q,
	ST_AUDIT_Q_CONS,
	ST_AUDIT_Q_PID,
	ST_AUDIT_Q_BOTH,
	ST_SEARCH_STATE,
	ST_FILL_STATE,
	ST_FILL_SET,
	ST_FILL_READ,
	ST_FILL_WRITE,
	ST_COUNT
};

#define AUDIT_COLS "SELECT at, consumer, supplier, package, resource, pid, status " \
	"FROM freg_audit "

static const struct porten_pg_stmt stmts[ST_COUNT] = {
	[ST_HEADS_LOCK] = { "freg_heads_lock",
		"SELECT package, last FROM freg_feed_head ORDER BY package FOR UPDATE" },
	[ST_IDENT_GET] = { "freg_ident_get", "SELECT person FROM freg_ident WHERE pid = $1" },
	[ST_IDENT_INS] = { "freg_ident_ins",
		"INSERT INTO freg_ident (pid, person, kind) VALUES ($1, $2, $3)" },
	[ST_IDENT_KIND] = { "freg_ident_kind", "UPDATE freg_ident SET kind = $2 WHERE pid = $1" },
	[ST_IDENT_MOVE] = { "freg_ident_move",
		"UPDATE freg_ident SET person = $2, kind = 2 WHERE person = $1" },
	[ST_PERSON_GET] = { "freg_person_get", "SELECT pid, cur, slot FROM freg_person WHERE id = $1" },
	[ST_PERSON_INS] = { "freg_person_ins",
		"INSERT INTO freg_person (pid, cur, slot, merged_into, created) "
		"VALUES ($1, NULL, $2, NULL, $3) RETURNING id" },
	[ST_PERSON_SET_PID] = { "freg_person_set_pid", "UPDATE freg_person SET pid = $2 WHERE id = $1" },
	[ST_PERSON_SET_CUR] = { "freg_person_set_cur", "UPDATE freg_person SET cur = $2 WHERE id = $1" },
	[ST_PERSON_MERGE] = { "freg_person_merge",
		"UPDATE freg_person SET merged_into = $2, slot = NULL, cur = NULL WHERE id = $1" },
	[ST_SLOT_MAX] = { "freg_slot_max", "SELECT max(slot) FROM freg_person" },
	[ST_SLOT_MOVE] = { "freg_slot_move", "UPDATE freg_person SET slot = $2 WHERE slot = $1" },
	[ST_PDOC_INS] = { "freg_pdoc_ins",
		"INSERT INTO freg_persondoc (id, person, stored, superseded, doc, layout) "
		"VALUES ($1, $2, $3, 0, $4, $5) RETURNING rid" },
	[ST_PDOC_SUPERSEDE] = { "freg_pdoc_supersede",
		"UPDATE freg_persondoc SET superseded = $2 WHERE rid = $1" },
	[ST_EVENT_INS] = { "freg_event_ins",
		"INSERT INTO freg_event (id, pid, type, persondoc, ajourhold, stored) "
		"VALUES ($1, $2, $3, $4, $5, $6) RETURNING rid" },
	[ST_EVDOC_INS] = { "freg_evdoc_ins", "INSERT INTO freg_event_doc (event, doc) VALUES ($1, $2)" },
	[ST_HEAD_SET_LAST] = { "freg_head_set_last",
		"INSERT INTO freg_feed_head (package, last, first) VALUES ($1, $2, 1) "
		"ON CONFLICT (package) DO UPDATE SET last = excluded.last" },
	[ST_FEED_INS] = { "freg_feed_ins",
		"INSERT INTO freg_feed (package, seq, event, stored) VALUES ($1, $2, $3, $4)" },
	/* One range scan of freg_feed's primary key, one primary-key seek per row into
	 * freg_event. */
	[ST_FEED_READ] = { "freg_feed_read",
		"SELECT f.seq, e.pid, e.type, e.id, e.persondoc, e.ajourhold, f.stored "
		"FROM freg_feed AS f JOIN freg_event AS e ON e.rid = f.event "
		"WHERE f.package = $1 AND f.seq >= $2 ORDER BY f.seq LIMIT $3" },
	[ST_HEAD_GET] = { "freg_head_get", "SELECT last, first FROM freg_feed_head WHERE package = $1" },
	[ST_CALL_STATE] = { "freg_call_state",
		"SELECT (SELECT mask FROM freg_consumer WHERE orgno = $1), "
		"(SELECT last FROM freg_feed_head WHERE package = $2), "
		"(SELECT first FROM freg_feed_head WHERE package = $2)" },
	[ST_EVENT_DOC] = { "freg_event_doc",
		"SELECT d.doc, e.stored FROM freg_event AS e "
		"JOIN freg_event_doc AS d ON d.event = e.rid WHERE e.id = $1" },
	[ST_PERSON_READ] = { "freg_person_read",
		"SELECT p.pid, d.id, d.doc, d.layout FROM freg_ident AS i "
		"JOIN freg_person AS p ON p.id = i.person "
		"JOIN freg_persondoc AS d ON d.rid = p.cur WHERE i.pid = $1" },
	[ST_PDOC_READ] = { "freg_pdoc_read", "SELECT doc, superseded FROM freg_persondoc WHERE id = $1" },
	[ST_PICK] = { "freg_pick", "SELECT pid FROM freg_person WHERE slot = $1" },
	[ST_FEED_CUT] = { "freg_feed_cut",
		"SELECT seq FROM freg_feed WHERE package = $1 AND seq >= $2 "
		"AND stored >= $3 ORDER BY seq LIMIT 1" },
	[ST_FEED_DEL] = { "freg_feed_del",
		"DELETE FROM freg_feed WHERE package = $1 AND seq >= $2 AND seq < $3" },
	[ST_FEED_EVENT_AT] = { "freg_feed_event_at",
		"SELECT event FROM freg_feed WHERE package = $1 AND seq = $2" },
	[ST_HEAD_SET_FIRST] = { "freg_head_set_first",
		"INSERT INTO freg_feed_head (package, last, first) VALUES ($1, $2, $3) "
		"ON CONFLICT (package) DO UPDATE SET first = excluded.first" },
	[ST_DOC_CUT] = { "freg_doc_cut",
		"SELECT d.event FROM freg_event_doc AS d JOIN freg_event AS e ON e.rid = d.event "
		"WHERE e.stored >= $1 ORDER BY d.event LIMIT 1" },
	[ST_DOC_DEL] = { "freg_doc_del", "DELETE FROM freg_event_doc WHERE event < $1" },
	[ST_EVENT_DEL] = { "freg_event_del", "DELETE FROM freg_event WHERE rid < $1" },
	[ST_PDOC_PURGE] = { "freg_pdoc_purge",
		"DELETE FROM freg_persondoc WHERE superseded > 0 AND superseded < $1" },
	[ST_CONS_SET] = { "freg_cons_set",
		"INSERT INTO freg_consumer (orgno, mask) VALUES ($1, $2) "
		"ON CONFLICT (orgno) DO UPDATE SET mask = excluded.mask" },
	[ST_CONS_DEL] = { "freg_cons_del", "DELETE FROM freg_consumer WHERE orgno = $1" },
	[ST_CONS_GET] = { "freg_cons_get", "SELECT mask FROM freg_consumer WHERE orgno = $1" },
	[ST_CONS_LIST] = { "freg_cons_list", "SELECT orgno, mask FROM freg_consumer ORDER BY orgno" },
	[ST_AUDIT_INS] = { "freg_audit_ins",
		"INSERT INTO freg_audit (at, consumer, supplier, package, resource, pid, status) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7)" },
	[ST_AUDIT_Q] = { "freg_audit_q",
		AUDIT_COLS "WHERE at >= $1 AND at < $2 ORDER BY at, id LIMIT $3" },
	[ST_AUDIT_Q_CONS] = { "freg_audit_q_cons",
		AUDIT_COLS "WHERE consumer = $4 AND at >= $1 AND at < $2 ORDER BY at, id LIMIT $3" },
	[ST_AUDIT_Q_PID] = { "freg_audit_q_pid",
		AUDIT_COLS "WHERE pid = $4 AND at >= $1 AND at < $2 ORDER BY at, id LIMIT $3" },
	[ST_AUDIT_Q_BOTH] = { "freg_audit_q_both",
		AUDIT_COLS "WHERE pid = $5 AND consumer = $4 AND at >= $1 AND at < $2 "
		"ORDER BY at, id LIMIT $3" },
	[ST_SEARCH_STATE] = { "freg_search_state", "SELECT built FROM freg_s_state WHERE id = 1" },
	/* FOR UPDATE: two instances filling take turns rather than doing a batch twice */
	[ST_FILL_STATE] = { "freg_fill_state", "SELECT version, next FROM freg_layout_fill FOR UPDATE" },
	[ST_FILL_SET] = { "freg_fill_set", "UPDATE freg_layout_fill SET version = $1, next = $2" },
	[ST_FILL_READ] = { "freg_fill_read",
		"SELECT p.id, d.rid, d.doc, d.layout FROM freg_person AS p "
		"JOIN freg_persondoc AS d ON d.rid = p.cur WHERE p.id > $1 ORDER BY p.id LIMIT $2" },
	[ST_FILL_WRITE] = { "freg_fill_write", "UPDATE freg_persondoc SET layout = $2 WHERE rid = $1" },
};

/* freg_ident.kind */
enum { IDENT_CURRENT = 0, IDENT_OLD = 1, IDENT_MERGED = 2 };

/* ---- parameters and results ---- */

struct prm {
	int n;
	const char *v[PARAMS_MAX];
	char b[PARAMS_MAX][24];
};

/* Parameters by fmt: 'i' int64_t, 's' const char * (NULL = SQL NULL), 'o' an int "has"
 * and an int64_t (NULL unless has). */
static int
vparams(struct prm *p, const char *fmt, va_list ap)
{
	p->n = 0;
	for (const char *f = fmt; *f != '\0'; f++) {
		int64_t v;
		int has = 1;

		if (p->n == PARAMS_MAX)
			return PORTEN_ERR_INTERNAL;
		switch (*f) {
		case 's':
			p->v[p->n++] = va_arg(ap, const char *);
			continue;
		case 'o':
			has = va_arg(ap, int);
			/* fall through */
		case 'i':
			v = va_arg(ap, int64_t);
			break;
		default:
			return PORTEN_ERR_INTERNAL;
		}
		if (has) {
			snprintf(p->b[p->n], sizeof(p->b[p->n]), "%" PRId64, v);
			p->v[p->n] = p->b[p->n];
		} else {
			p->v[p->n] = NULL;
		}
		p->n++;
	}
	return 0;
}

static int
vexec(struct porten_pg_conn *c, const struct porten_pg_stmt *st, PGresult **out, const char *fmt,
	va_list ap)
{
	struct prm p;
	int r;

	if (out != NULL)
		*out = NULL;
	if ((r = vparams(&p, fmt, ap)) != 0) {
		log_error("freg: register: %s: bad parameter format", st->name);
		return r;
	}
	return porten_pg_exec(c, st, p.n, p.v, out);
}

/* Runs statement id; *out (may be NULL to discard) the result, PQclear it. */
static int
q(struct porten_pg_conn *c, int id, PGresult **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vexec(c, &stmts[id], out, fmt, ap);
	va_end(ap);
	return r;
}

/* Runs statement id that returns no rows; *changes (may be NULL) the rows it changed. */
static int
ex(struct porten_pg_conn *c, int id, size_t *changes, const char *fmt, ...)
{
	PGresult *res = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vexec(c, &stmts[id], &res, fmt, ap);
	va_end(ap);
	if (r == 0 && changes != NULL)
		*changes = (size_t)strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return r;
}

static int64_t
col_i(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Runs statement id whose first column of the first row is an integer: *found false
 * when there is no row or the value is NULL. */
static int
q_int(struct porten_pg_conn *c, int id, int64_t *out, bool *found, const char *fmt, ...)
{
	PGresult *res = NULL;
	va_list ap;
	int r;

	*found = false;
	va_start(ap, fmt);
	r = vexec(c, &stmts[id], &res, fmt, ap);
	va_end(ap);
	if (r == 0 && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
		*out = col_i(res, 0, 0);
		*found = true;
	}
	PQclear(res);
	return r;
}

/* Copies a text column of at most outsz - 1 bytes; longer (or NULL) is a corrupt row. */
static int
copy_col(const PGresult *res, int row, int col, char *out, size_t outsz)
{
	size_t n = (size_t)PQgetlength(res, row, col);

	if (PQgetisnull(res, row, col) || n >= outsz) {
		log_error("freg: register: column %d is %s", col,
		          PQgetisnull(res, row, col) ? "NULL" : "too long");
		return PORTEN_ERR_INTERNAL;
	}
	memcpy(out, PQgetvalue(res, row, col), n);
	out[n] = '\0';
	return 0;
}

static int
parse_doc(const PGresult *res, int row, int col, json_t **doc)
{
	json_error_t err;

	*doc = json_loadb(PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col), 0, &err);
	if (*doc == NULL) {
		log_error("freg: register: stored document does not parse: %s", err.text);
		return PORTEN_ERR_INTERNAL;
	}
	return 0;
}

/* ---- units of work ---- */

struct uow {
	struct porten_pg_conn *c;
	bool committing;        /* COMMIT was sent: its outcome decides, no retry */
};
typedef int (*work_fn)(struct uow *u, void *arg);

/* Runs fn on a pooled connection. When fn failed because its connection died before
 * COMMIT was sent (idle connections left over from a database restart, a terminated
 * backend), or on a serialisation conflict, fn runs again from the start on another
 * connection: nothing of the failed run was committed. */
static int
with_pool(struct freg_pgreg *g, porten_pg *pool, work_fn fn, void *arg)
{
	unsigned lost = 0, conflicts = 0;
	int r;

	for (;;) {
		struct uow u = { NULL, false };
		bool again;

		if ((r = porten_pg_acquire(pool, &u.c)) != 0)
			return r;
		r = fn(&u, arg);
		again = !u.committing &&
		        ((r == PORTEN_ERR_UNAVAILABLE && u.c->broken && lost++ < g->size) ||
		         (r == PORTEN_ERR_CONFLICT && conflicts++ < CONFLICT_RETRIES));
		porten_pg_release(pool, u.c);
		if (!again)
			return r;
		log_info("freg: register: %s, once more", r == PORTEN_ERR_CONFLICT ?
		         "serialisation conflict" : "connection lost before commit");
	}
}

/* with_pool on the primary. */
static int
with_conn(struct freg_pgreg *g, work_fn fn, void *arg)
{
	return with_pool(g, g->pool, fn, arg);
}

static int
tx_begin(struct uow *u)
{
	return porten_pg_simple(u->c, "BEGIN");
}

/* Commits when r is 0 (marking the unit as committing); the pool rolls back otherwise. */
static int
tx_end(struct uow *u, int r)
{
	if (r != 0)
		return r;
	u->committing = true;
	return porten_pg_simple(u->c, "COMMIT");
}

int
freg_pg_conn_get(struct freg_pgreg *g, struct porten_pg_conn **out)
{
	return porten_pg_acquire(g->rpool, out);
}

void
freg_pg_conn_put(struct freg_pgreg *g, struct porten_pg_conn *c)
{
	porten_pg_release(g->rpool, c);
}

int
freg_pg_run(struct porten_pg_conn *c, enum freg_sst id, int n, const char *const *values,
	PGresult **out)
{
	const struct porten_pg_stmt *st = freg_search_pg_stmt(id);

	if (st == NULL) {
		log_error("freg: search: statement %d has no PostgreSQL text", (int)id);
		return PORTEN_ERR_INTERNAL;
	}
	return porten_pg_exec(c, st, n, values, out);
}

/* The search index's rows through this connection (search_int.h). */
static int
ix_put(void *sink, enum freg_sst id, const char *fmt, ...)
{
	const struct porten_pg_stmt *st = freg_search_pg_stmt(id);
	va_list ap;
	int r;

	if (st == NULL) {
		log_error("freg: search: statement %d has no PostgreSQL text", (int)id);
		return PORTEN_ERR_INTERNAL;
	}
	va_start(ap, fmt);
	r = vexec(sink, st, NULL, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- open, close ---- */

int
freg_pg_open(const char *uri, const char *read_uri, struct freg_pgreg **out)
{
	struct freg_pgreg *g = NULL;
	struct porten_pg_conn *c = NULL;
	int64_t built = 0;
	bool found;
	int r;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return PORTEN_ERR_NOMEM;
	g->size = PORTEN_FREG_POOL_MAX;
	/* Connects once and applies sql/postgresql's migrations (002, 003 are ours). */
	if ((r = porten_pg_open(uri, "freg: register", g->size, &g->pool)) != 0)
		goto fail;
	g->rpool = g->pool;
	/* A read replica: no migrations (a hot standby cannot write), only the check that
	 * it has replayed every one this binary needs. */
	if (read_uri != NULL) {
		if ((r = porten_pg_open_opts(read_uri, "freg: register (read replica)", g->size,
		                             PORTEN_PG_OPEN_REPLICA, &g->replica)) != 0)
			goto fail;
		g->rpool = g->replica;
	}
	/* The schema answers, and the search index covers every person: both migrations
	 * come together on PostgreSQL, so a register is never older than its index. */
	if ((r = porten_pg_acquire(g->pool, &c)) != 0)
		goto fail;
	r = q_int(c, ST_SEARCH_STATE, &built, &found, "");
	porten_pg_release(g->pool, c);
	if (r != 0)
		goto fail;
	if (!found || built != 1)
		log_warn("freg: register: the search index does not cover every person");
	*out = g;
	return 0;
fail:
	freg_pg_close(g);
	return r == PORTEN_ERR_INVALID || r == PORTEN_ERR_NOMEM ? r : PORTEN_ERR_UNAVAILABLE;
}

void
freg_pg_close(struct freg_pgreg *g)
{
	if (g == NULL)
		return;
	porten_pg_close(g->replica);
	porten_pg_close(g->pool);
	free(g);
}

/* ---- ingest ---- */

/* b as bytea text input: \\x and two hex digits a byte. */
static int
bytea_hex(const struct porten_buf *b, struct porten_buf *hex)
{
	static const char digits[] = "0123456789abcdef";
	int r;

	porten_buf_reset(hex);
	if ((r = porten_buf_append(hex, "\\x", 2)) != 0)
		return r;
	for (size_t i = 0; i < b->len && r == 0; i++) {
		unsigned char c = (unsigned char)b->data[i];
		char two[2] = { digits[c >> 4], digits[c & 15] };

		r = porten_buf_append(hex, two, 2);
	}
	return r;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* bytea text output (hex form) into b. */
static int
bytea_unhex(const char *s, struct porten_buf *b)
{
	int r = 0;

	if (s == NULL || s[0] == '\0')
		return 0;
	if (s[0] != '\\' || s[1] != 'x')
		return PORTEN_ERR_INVALID;
	for (s += 2; s[0] != '\0' && r == 0; s += 2) {
		int hi = hexval(s[0]), lo = s[1] != '\0' ? hexval(s[1]) : -1;
		unsigned char c;

		if (hi < 0 || lo < 0)
			return PORTEN_ERR_INVALID;
		c = (unsigned char)(hi << 4 | lo);
		r = porten_buf_append(b, &c, 1);
	}
	return r;
}

struct ingest {
	const struct freg_ingest *ev;
	size_t n;
	struct freg_ingested *out;
	int64_t now;
	int64_t last[FREG_PKG_COUNT];
	bool dirty[FREG_PKG_COUNT];
	struct freg_dbuf buf;
	struct porten_buf layout, layout_hex;   /* bytea in PostgreSQL's hex input form */
};

/* Fills the slot a merged person left: the person in the last slot moves into it. */
static int
slot_free(struct porten_pg_conn *c, int64_t slot)
{
	int64_t maxslot = 0;
	bool found;
	int r;

	if ((r = q_int(c, ST_SLOT_MAX, &maxslot, &found, "")) != 0)
		return r;
	if (found && maxslot > slot)
		r = ex(c, ST_SLOT_MOVE, NULL, "ii", maxslot, slot);
	return r;
}

static int
ingest_one(struct porten_pg_conn *c, struct ingest *x, const struct freg_ingest *e, size_t i,
	struct freg_ingested *res)
{
	PGresult *pr = NULL;
	char curpid[PID_LEN + 1], ajourhold[FREG_TS_LEN + 1];
	int64_t person = 0, cur = 0, slot = -1, survivor = 0, owner = 0, v = 0, evrow = 0;
	bool found, has_cur, has_slot;
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = q_int(c, ST_IDENT_GET, &person, &found, "s", e->pid)) != 0)
		goto out;
	if (!found) {
		if (e->person == NULL) {
			log_warn("freg: register: ingest: event %zu refused: unknown identifier "
			         "and no person document", i);
			r = PORTEN_ERR_INVALID;
			goto out;
		}
		if ((r = q_int(c, ST_SLOT_MAX, &slot, &found, "")) != 0)
			goto out;
		slot = found ? slot + 1 : 0;
		if ((r = q_int(c, ST_PERSON_INS, &person, &found, "sii", e->pid, slot, x->now)) != 0)
			goto out;
		if ((r = ex(c, ST_IDENT_INS, NULL, "sii", e->pid, person, (int64_t)IDENT_CURRENT)) != 0)
			goto out;
	}
	if ((r = q(c, ST_PERSON_GET, &pr, "i", person)) != 0)
		goto out;
	if (PQntuples(pr) != 1) {
		log_error("freg: register: identifier points at missing person %" PRId64, person);
		r = PORTEN_ERR_INTERNAL;
		goto out;
	}
	if ((r = copy_col(pr, 0, 0, curpid, sizeof(curpid))) != 0)
		goto out;
	has_cur = !PQgetisnull(pr, 0, 1);
	cur = has_cur ? col_i(pr, 0, 1) : 0;
	has_slot = !PQgetisnull(pr, 0, 2);
	slot = has_slot ? col_i(pr, 0, 2) : 0;
	PQclear(pr);
	pr = NULL;

	if (e->merge_into != NULL) {
		if ((r = q_int(c, ST_IDENT_GET, &survivor, &found, "s", e->merge_into)) != 0)
			goto out;
		if (!found || survivor == person) {
			log_warn("freg: register: ingest: event %zu refused: merge target %s", i,
			         found ? "is the same person" : "unknown");
			r = PORTEN_ERR_INVALID;
			goto out;
		}
	}
	if (e->new_pid != NULL && strcmp(e->new_pid, curpid) != 0) {
		if ((r = q_int(c, ST_IDENT_GET, &owner, &found, "s", e->new_pid)) != 0)
			goto out;
		if (found && owner != person) {
			log_warn("freg: register: ingest: event %zu refused: the new identifier "
			         "belongs to another person", i);
			r = PORTEN_ERR_EXISTS;
			goto out;
		}
		if ((r = ex(c, ST_IDENT_KIND, NULL, "si", curpid, (int64_t)IDENT_OLD)) != 0)
			goto out;
		r = found ? ex(c, ST_IDENT_KIND, NULL, "si", e->new_pid, (int64_t)IDENT_CURRENT) :
		    ex(c, ST_IDENT_INS, NULL, "sii", e->new_pid, person, (int64_t)IDENT_CURRENT);
		if (r != 0)
			goto out;
		if ((r = ex(c, ST_PERSON_SET_PID, NULL, "is", person, e->new_pid)) != 0)
			goto out;
	}
	if (e->person != NULL) {
		if ((r = freg_reg_dump(e->person, PORTEN_FREG_PERSON_DOC_MAX, &x->buf)) != 0) {
			if (r == PORTEN_ERR_INVALID)
				log_warn("freg: register: ingest: event %zu refused: person document "
				         "over PORTEN_FREG_PERSON_DOC_MAX bytes", i);
			goto out;
		}
		if ((r = freg_reg_new_id(res->persondoc_id)) != 0 ||
		    (r = freg_reg_layout(e->person, &x->buf, &x->layout)) != 0 ||
		    (r = bytea_hex(&x->layout, &x->layout_hex)) != 0)
			goto out;
		if ((r = q_int(c, ST_PDOC_INS, &v, &found, "siiss", res->persondoc_id, person, x->now,
		               x->buf.p, x->layout.len > 0 ? x->layout_hex.data : NULL)) != 0)
			goto out;
		if (has_cur && (r = ex(c, ST_PDOC_SUPERSEDE, NULL, "ii", cur, x->now)) != 0)
			goto out;
		if ((r = ex(c, ST_PERSON_SET_CUR, NULL, "ii", person, v)) != 0)
			goto out;
	}
	if (e->merge_into != NULL) {
		if (has_cur && (r = ex(c, ST_PDOC_SUPERSEDE, NULL, "ii", cur, x->now)) != 0)
			goto out;
		if ((r = ex(c, ST_PERSON_MERGE, NULL, "ii", person, survivor)) != 0)
			goto out;
		if (has_slot && (r = slot_free(c, slot)) != 0)
			goto out;
		if ((r = ex(c, ST_IDENT_MOVE, NULL, "ii", person, survivor)) != 0)
			goto out;
	}

	if ((r = freg_reg_new_id(res->event_id)) != 0)
		goto out;
	freg_ts_format(e->ajourhold != 0 ? e->ajourhold : x->now, 0, ajourhold);
	if ((r = freg_reg_event_doc(res->event_id, e, ajourhold, &x->buf)) != 0) {
		if (r == PORTEN_ERR_INVALID)
			log_warn("freg: register: ingest: event %zu refused: event document over "
			         "PORTEN_FREG_PERSON_DOC_MAX bytes", i);
		goto out;
	}
	if ((r = q_int(c, ST_EVENT_INS, &evrow, &found, "sssssi", res->event_id, e->pid, e->type,
	               res->persondoc_id, ajourhold, x->now)) != 0)
		goto out;
	if ((r = ex(c, ST_EVDOC_INS, NULL, "is", evrow, x->buf.p)) != 0)
		goto out;

	if (e->person != NULL)
		r = freg_search_index_to(ix_put, c, person, e->new_pid != NULL ? e->new_pid : curpid,
		                         e->person, has_cur);
	else if (e->merge_into != NULL)
		r = freg_search_merged_to(ix_put, c, person, evrow);
	else if (e->new_pid != NULL)
		r = ix_put(c, SST_SET_PID, "is", person, e->new_pid);
	if (r != 0)
		goto out;

	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		if (!freg_pkg_feed_has((enum freg_pkg)p, e->type))
			continue;
		res->seq[p] = ++x->last[p];
		x->dirty[p] = true;
		if ((r = ex(c, ST_FEED_INS, NULL, "iiii", (int64_t)p, res->seq[p], evrow, x->now)) != 0)
			goto out;
	}
	r = 0;
out:
	PQclear(pr);
	return r;
}

static int
ingest_work(struct uow *u, void *arg)
{
	struct ingest *x = arg;
	struct freg_ingested scratch;
	PGresult *res = NULL;
	int r;

	memset(x->last, 0, sizeof(x->last));
	memset(x->dirty, 0, sizeof(x->dirty));
	if ((r = tx_begin(u)) != 0)
		return r;
	/* The feed heads, locked: until COMMIT nobody else assigns numbers. */
	if ((r = q(u->c, ST_HEADS_LOCK, &res, "")) != 0)
		goto out;
	for (int i = 0; i < PQntuples(res); i++) {
		int64_t p = col_i(res, i, 0);

		if (p >= 0 && p < FREG_PKG_COUNT)
			x->last[p] = col_i(res, i, 1);
	}
	PQclear(res);
	res = NULL;
	for (size_t i = 0; i < x->n; i++)
		if ((r = ingest_one(u->c, x, &x->ev[i], i, x->out != NULL ? &x->out[i] : &scratch)) != 0)
			goto out;
	for (int p = 0; p < FREG_PKG_COUNT; p++)
		if (x->dirty[p] && (r = ex(u->c, ST_HEAD_SET_LAST, NULL, "ii", (int64_t)p, x->last[p])) != 0)
			goto out;
out:
	PQclear(res);
	return tx_end(u, r);
}

int
freg_pg_ingest(struct freg_pgreg *g, const struct freg_ingest *ev, size_t n,
	struct freg_ingested *out)
{
	struct ingest x;
	int r;

	memset(&x, 0, sizeof(x));
	porten_buf_init(&x.layout, PORTEN_FREG_PERSON_DOC_MAX);
	porten_buf_init(&x.layout_hex, 2 * PORTEN_FREG_PERSON_DOC_MAX + 3);
	x.ev = ev;
	x.n = n;
	x.out = out;
	x.now = porten_now();
	r = with_conn(g, ingest_work, &x);
	free(x.buf.p);
	porten_buf_release(&x.layout);
	porten_buf_release(&x.layout_hex);
	if (r == 0)
		log_debug("freg: register: ingested %zu events", n);
	return r;
}

/* ---- reads ---- */

/* One statement whose result a callback reads after the connection went back. */
struct read1 {
	int id;
	struct prm p;
	PGresult *res;
};

static int
read1_work(struct uow *u, void *arg)
{
	struct read1 *rd = arg;

	return porten_pg_exec(u->c, &stmts[rd->id], rd->p.n, rd->p.v, &rd->res);
}

static int
vread1(struct freg_pgreg *g, porten_pg *pool, int id, PGresult **res, const char *fmt, va_list ap)
{
	struct read1 rd = { .id = id };
	int r;

	*res = NULL;
	if ((r = vparams(&rd.p, fmt, ap)) != 0)
		return r;
	if ((r = with_pool(g, pool, read1_work, &rd)) == 0)
		*res = rd.res;
	return r;
}

/* Runs statement id with the parameters by fmt on a pooled connection of the primary
 * (with with_pool's retries); *res the result. */
static int
read1(struct freg_pgreg *g, int id, PGresult **res, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vread1(g, g->pool, id, res, fmt, ap);
	va_end(ap);
	return r;
}

/* read1 for a lookup: on the read replica when there is one. What it answers may be up
 * to the replication lag old, a consistent prefix of the primary's (docs/operations.md). */
static int
read1r(struct freg_pgreg *g, int id, PGresult **res, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vread1(g, g->rpool, id, res, fmt, ap);
	va_end(ap);
	return r;
}

int
freg_pg_feed(struct freg_pgreg *g, enum freg_pkg p, int64_t from, size_t limit,
	freg_feed_fn fn, void *ctx)
{
	PGresult *res = NULL;
	struct freg_feed_row row;
	int r;

	if ((r = read1r(g, ST_FEED_READ, &res, "iii", (int64_t)p, from,
	               limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit)) != 0)
		return r;
	for (int i = 0; i < PQntuples(res) && r == 0; i++) {
		row.seq = col_i(res, i, 0);
		row.pid = PQgetvalue(res, i, 1);
		row.type = PQgetvalue(res, i, 2);
		row.event_id = PQgetvalue(res, i, 3);
		row.persondoc_id = PQgetvalue(res, i, 4);
		row.ajourhold = PQgetvalue(res, i, 5);
		row.stored = col_i(res, i, 6);
		r = fn(ctx, &row);
	}
	PQclear(res);
	return r;
}

int
freg_pg_feed_bounds(struct freg_pgreg *g, enum freg_pkg p, int64_t *first, int64_t *last)
{
	PGresult *res = NULL;
	int r;

	if ((r = read1r(g, ST_HEAD_GET, &res, "i", (int64_t)p)) != 0)
		return r;
	if (PQntuples(res) > 0) {
		*last = col_i(res, 0, 0);
		*first = col_i(res, 0, 1);
	} else {
		*last = 0;
		*first = 1;
	}
	PQclear(res);
	return 0;
}

int
freg_pg_event_doc(struct freg_pgreg *g, const char *key, char **json, size_t *len,
	int64_t *stored)
{
	PGresult *res = NULL;
	size_t n;
	int r;

	if ((r = read1r(g, ST_EVENT_DOC, &res, "s", key)) != 0)
		return r;
	if (PQntuples(res) == 0) {
		r = PORTEN_ERR_NOT_FOUND;
		goto out;
	}
	n = (size_t)PQgetlength(res, 0, 0);
	if ((*json = malloc(n + 1)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	memcpy(*json, PQgetvalue(res, 0, 0), n);
	(*json)[n] = '\0';
	if (len != NULL)
		*len = n;
	if (stored != NULL)
		*stored = col_i(res, 0, 1);
out:
	PQclear(res);
	return r;
}

int
freg_pg_person(struct freg_pgreg *g, const char *pid, json_t **doc, char *current_pid,
	char *persondoc_id)
{
	PGresult *res = NULL;
	char cp[PID_LEN + 1], pd[FREG_DOC_ID_LEN + 1];
	json_t *d = NULL;
	int r;

	if ((r = read1r(g, ST_PERSON_READ, &res, "s", pid)) != 0)
		return r;
	if (PQntuples(res) == 0) {
		r = PORTEN_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = copy_col(res, 0, 0, cp, sizeof(cp))) != 0 ||
	    (r = copy_col(res, 0, 1, pd, sizeof(pd))) != 0)
		goto out;
	if (doc != NULL && (r = parse_doc(res, 0, 2, &d)) != 0)
		goto out;
	if (current_pid != NULL)
		memcpy(current_pid, cp, sizeof(cp));
	if (persondoc_id != NULL)
		memcpy(persondoc_id, pd, sizeof(pd));
	if (doc != NULL) {
		*doc = d;
		d = NULL;
	}
out:
	json_decref(d);
	PQclear(res);
	return r;
}

int
freg_pg_person_raw(struct freg_pgreg *g, const char *pid, struct porten_buf *text,
	struct porten_buf *layout, char *current_pid)
{
	PGresult *res = NULL;
	int r;

	if ((r = read1r(g, ST_PERSON_READ, &res, "s", pid)) != 0)
		return r;
	if (PQntuples(res) == 0) {
		r = PORTEN_ERR_NOT_FOUND;
		goto out;
	}
	if (current_pid != NULL && (r = copy_col(res, 0, 0, current_pid, PID_LEN + 1)) != 0)
		goto out;
	if ((r = porten_buf_append(text, PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2))) != 0)
		goto out;
	if (bytea_unhex(PQgetisnull(res, 0, 3) ? NULL : PQgetvalue(res, 0, 3), layout) != 0) {
		/* not the form this file asks for: the lookup parses the document instead */
		porten_buf_reset(layout);
	}
out:
	PQclear(res);
	return r;
}

struct fill {
	size_t max;
	struct freg_layout_fill *out;
	struct porten_buf old, layout, hex;
};

static int
fill_work(struct uow *u, void *arg)
{
	struct fill *f = arg;
	PGresult *st = NULL, *res = NULL;
	int64_t version, next, last = 0;
	int r;

	memset(f->out, 0, sizeof(*f->out));
	if ((r = tx_begin(u)) != 0 || (r = q(u->c, ST_FILL_STATE, &st, "")) != 0)
		goto out;
	if (PQntuples(st) == 0) {   /* no row: nothing to go on from */
		f->out->finished = true;
		goto out;
	}
	version = col_i(st, 0, 0);
	next = col_i(st, 0, 1);
	if (version != FREG_LAYOUT_VERSION) {
		version = FREG_LAYOUT_VERSION;
		next = 0;
	}
	if (next < 0) {
		f->out->finished = true;
		goto out;
	}
	if ((r = q(u->c, ST_FILL_READ, &res, "ii", next, (int64_t)f->max)) != 0)
		goto out;
	for (int i = 0; i < PQntuples(res) && r == 0; i++) {
		last = col_i(res, i, 0);
		f->out->checked++;
		porten_buf_reset(&f->old);
		if (bytea_unhex(PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3), &f->old) != 0)
			porten_buf_reset(&f->old);   /* unreadable: made again */
		if (!freg_reg_layout_stale(f->old.data, f->old.len))
			continue;
		if ((r = freg_reg_layout_of_text(PQgetvalue(res, i, 2), (size_t)PQgetlength(res, i, 2),
		                                 &f->layout)) != 0 || f->layout.len == 0)
			continue;
		if ((r = bytea_hex(&f->layout, &f->hex)) == 0 &&
		    (r = ex(u->c, ST_FILL_WRITE, NULL, "is", col_i(res, i, 1), f->hex.data)) == 0)
			f->out->built++;
	}
	if (r == 0) {
		f->out->finished = f->out->checked < f->max;
		r = ex(u->c, ST_FILL_SET, NULL, "ii", version, f->out->finished ? (int64_t)-1 : last);
	}
out:
	PQclear(st);
	PQclear(res);
	return tx_end(u, r);
}

int
freg_pg_layout_fill(struct freg_pgreg *g, size_t max, struct freg_layout_fill *out)
{
	struct fill f = { max, out, { 0 }, { 0 }, { 0 } };
	int r;

	porten_buf_init(&f.old, PORTEN_FREG_PERSON_DOC_MAX);
	porten_buf_init(&f.layout, PORTEN_FREG_PERSON_DOC_MAX);
	porten_buf_init(&f.hex, 2 * PORTEN_FREG_PERSON_DOC_MAX + 3);
	r = with_conn(g, fill_work, &f);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	porten_buf_release(&f.old);
	porten_buf_release(&f.layout);
	porten_buf_release(&f.hex);
	return r;
}

int
freg_pg_persondoc(struct freg_pgreg *g, const char *key, json_t **doc, int64_t *superseded)
{
	PGresult *res = NULL;
	int r;

	if ((r = read1r(g, ST_PDOC_READ, &res, "s", key)) != 0)
		return r;
	if (PQntuples(res) == 0) {
		r = PORTEN_ERR_NOT_FOUND;
		goto out;
	}
	if (superseded != NULL)
		*superseded = col_i(res, 0, 1);
	if (doc != NULL)
		r = parse_doc(res, 0, 0, doc);
out:
	PQclear(res);
	return r;
}

int
freg_pg_count(struct freg_pgreg *g, size_t *persons)
{
	PGresult *res = NULL;
	int r;

	/* On the primary: it decides whether --persons fills the register, and a replica
	 * behind by the population would let a restarted instance fill it twice. */
	if ((r = read1(g, ST_SLOT_MAX, &res, "")) != 0)
		return r;
	*persons = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) ? (size_t)col_i(res, 0, 0) + 1 : 0;
	PQclear(res);
	return 0;
}

int
freg_pg_pick(struct freg_pgreg *g, size_t index, char current_pid[12])
{
	PGresult *res = NULL;
	int r;

	if ((r = read1r(g, ST_PICK, &res, "i", (int64_t)index)) != 0)
		return r;
	r = PQntuples(res) == 0 ? PORTEN_ERR_NOT_FOUND : copy_col(res, 0, 0, current_pid, PID_LEN + 1);
	PQclear(res);
	return r;
}

/* ---- retention ---- */

struct purge {
	int64_t feed_before, doc_before;
	size_t total;
};

static int
purge_work(struct uow *u, void *arg)
{
	struct purge *pu = arg;
	struct porten_pg_conn *c = u->c;
	PGresult *res = NULL;
	int64_t minref = INT64_MAX, doccut = INT64_MAX, v, heads[FREG_PKG_COUNT][2];
	size_t k;
	bool found;
	int r;

	pu->total = 0;
	if ((r = tx_begin(u)) != 0)
		return r;
	/* The same lock as ingest: the heads do not move under us. */
	if ((r = q(c, ST_HEADS_LOCK, &res, "")) != 0)
		goto out;
	PQclear(res);
	res = NULL;
	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		if ((r = q(c, ST_HEAD_GET, &res, "i", (int64_t)p)) != 0)
			goto out;
		heads[p][0] = PQntuples(res) > 0 ? col_i(res, 0, 0) : 0;
		heads[p][1] = PQntuples(res) > 0 ? col_i(res, 0, 1) : 1;
		PQclear(res);
		res = NULL;
	}
	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		int64_t last = heads[p][0], first = heads[p][1], cut;

		if ((r = q_int(c, ST_FEED_CUT, &cut, &found, "iii", (int64_t)p, first,
		               pu->feed_before)) != 0)
			goto out;
		if (!found)
			cut = last + 1;
		if (cut > first) {
			if ((r = ex(c, ST_FEED_DEL, &k, "iii", (int64_t)p, first, cut)) != 0)
				goto out;
			pu->total += k;
			if ((r = ex(c, ST_HEAD_SET_FIRST, NULL, "iii", (int64_t)p, last, cut)) != 0)
				goto out;
		}
		if (cut <= last) {
			if ((r = q_int(c, ST_FEED_EVENT_AT, &v, &found, "ii", (int64_t)p, cut)) != 0)
				goto out;
			if (found && v < minref)
				minref = v;
		}
	}
	if ((r = q_int(c, ST_DOC_CUT, &v, &found, "i", pu->doc_before)) != 0)
		goto out;
	if (found)
		doccut = v;
	if ((r = ex(c, ST_DOC_DEL, &k, "i", doccut)) != 0)
		goto out;
	pu->total += k;
	if ((r = ex(c, ST_EVENT_DEL, NULL, "i", doccut < minref ? doccut : minref)) != 0)
		goto out;
	if ((r = ex(c, ST_PDOC_PURGE, &k, "i", pu->doc_before)) != 0)
		goto out;
	pu->total += k;
out:
	PQclear(res);
	return tx_end(u, r);
}

int
freg_pg_purge(struct freg_pgreg *g, int64_t feed_before, int64_t doc_before, size_t *deleted)
{
	struct purge pu = { feed_before, doc_before, 0 };
	int r;

	if ((r = with_conn(g, purge_work, &pu)) != 0)
		return r;
	if (deleted != NULL)
		*deleted = pu.total;
	log_info("freg: register: retention removed %zu rows", pu.total);
	return 0;
}

/* ---- consumers ---- */

#define PKG_MASK_ALL ((1u << FREG_PKG_COUNT) - 1)

struct cons_set {
	const char *orgno;
	unsigned mask;
};

static int
cons_set_work(struct uow *u, void *arg)
{
	struct cons_set *cs = arg;
	int r;

	/* A transaction of one statement, so that a stale connection fails at BEGIN and
	 * the change is tried again instead of being of unknown outcome. */
	if ((r = tx_begin(u)) != 0)
		return r;
	r = cs->mask == 0 ? ex(u->c, ST_CONS_DEL, NULL, "s", cs->orgno) :
	    ex(u->c, ST_CONS_SET, NULL, "si", cs->orgno, (int64_t)cs->mask);
	return tx_end(u, r);
}

int
freg_pg_consumer_set(struct freg_pgreg *g, const char *orgno, unsigned mask)
{
	struct cons_set cs = { orgno, mask };

	return with_conn(g, cons_set_work, &cs);
}

int
freg_pg_consumer_get(struct freg_pgreg *g, const char *orgno, unsigned *mask)
{
	PGresult *res = NULL;
	int r;

	if ((r = read1r(g, ST_CONS_GET, &res, "s", orgno)) != 0)
		return r;
	if (PQntuples(res) == 0)
		r = PORTEN_ERR_NOT_FOUND;
	else
		*mask = (unsigned)col_i(res, 0, 0) & PKG_MASK_ALL;
	PQclear(res);
	return r;
}

int
freg_pg_call_state(struct freg_pgreg *g, const char *orgno, enum freg_pkg p, unsigned *mask,
	int64_t *first, int64_t *last)
{
	PGresult *res = NULL;
	int r;

	if ((r = read1r(g, ST_CALL_STATE, &res, "si", orgno, (int64_t)p)) != 0)
		return r;
	if (PQntuples(res) != 1) {
		r = PORTEN_ERR_INTERNAL;
		goto out;
	}
	if (!PQgetisnull(res, 0, 0))
		*mask = (unsigned)col_i(res, 0, 0) & PKG_MASK_ALL;
	if (!PQgetisnull(res, 0, 1))
		*last = col_i(res, 0, 1);
	if (!PQgetisnull(res, 0, 2))
		*first = col_i(res, 0, 2);
out:
	PQclear(res);
	return r;
}

int
freg_pg_consumer_list(struct freg_pgreg *g, freg_consumer_fn fn, void *ctx)
{
	PGresult *res = NULL;
	char orgno[16];
	int r;

	if ((r = read1(g, ST_CONS_LIST, &res, "")) != 0)
		return r;
	for (int i = 0; i < PQntuples(res) && r == 0; i++) {
		if ((r = copy_col(res, i, 0, orgno, 10)) != 0)
			break;
		r = fn(ctx, orgno, (unsigned)col_i(res, i, 1) & PKG_MASK_ALL);
	}
	PQclear(res);
	return r;
}

/* ---- audit ---- */

struct audit_app {
	const struct freg_audit *a;
	size_t n;
};

static int
audit_work(struct uow *u, void *arg)
{
	struct audit_app *aa = arg;
	int r;

	if ((r = tx_begin(u)) != 0)
		return r;
	for (size_t i = 0; i < aa->n && r == 0; i++)
		r = ex(u->c, ST_AUDIT_INS, NULL, "ississi", aa->a[i].at, aa->a[i].consumer,
		       aa->a[i].supplier, (int64_t)aa->a[i].pkg, aa->a[i].resource, aa->a[i].pid,
		       (int64_t)aa->a[i].status);
	return tx_end(u, r);
}

int
freg_pg_audit_append(struct freg_pgreg *g, const struct freg_audit *a, size_t n)
{
	struct audit_app aa = { a, n };

	return with_conn(g, audit_work, &aa);
}

int
freg_pg_audit_query(struct freg_pgreg *g, int64_t from, int64_t to, const char *consumer,
	const char *pid, size_t limit, freg_audit_fn fn, void *ctx)
{
	PGresult *res = NULL;
	struct freg_audit a;
	bool by_cons = consumer != NULL && consumer[0] != '\0';
	bool by_pid = pid != NULL && pid[0] != '\0';
	int64_t lim = limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit;
	int r;

	r = by_cons && by_pid ? read1(g, ST_AUDIT_Q_BOTH, &res, "iiiss", from, to, lim, consumer, pid) :
	    by_cons ? read1(g, ST_AUDIT_Q_CONS, &res, "iiis", from, to, lim, consumer) :
	    by_pid ? read1(g, ST_AUDIT_Q_PID, &res, "iiis", from, to, lim, pid) :
	    read1(g, ST_AUDIT_Q, &res, "iii", from, to, lim);
	if (r != 0)
		return r;
	for (int i = 0; i < PQntuples(res) && r == 0; i++) {
		int64_t pkg = col_i(res, i, 3);

		memset(&a, 0, sizeof(a));
		a.at = col_i(res, i, 0);
		if ((r = copy_col(res, i, 1, a.consumer, sizeof(a.consumer))) != 0 ||
		    (r = copy_col(res, i, 2, a.supplier, sizeof(a.supplier))) != 0 ||
		    (r = copy_col(res, i, 4, a.resource, sizeof(a.resource))) != 0 ||
		    (r = copy_col(res, i, 5, a.pid, sizeof(a.pid))) != 0)
			break;
		a.pkg = pkg >= 0 && pkg < FREG_PKG_COUNT ? (enum freg_pkg)pkg : FREG_OMH;
		a.status = (int)col_i(res, i, 6);
		r = fn(ctx, &a);
	}
	PQclear(res);
	return r;
}
