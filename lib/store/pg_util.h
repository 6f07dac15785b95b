/* Private to lib/: what every PostgreSQL user in porten does the same way (the document
 * store lib/store/pg.c and the register): a small pool of connections to one database,
 * the numbered migrations of sql/postgresql applied once (under an advisory lock, so
 * instances starting together apply each exactly once), reconnection with backoff when
 * the server went away, prepared statements made once per connection, and libpq results
 * mapped to porten errors with one log line.
 *
 * Thread-safe: a connection belongs to one thread between acquire and release. */
#ifndef PORTEN_PG_UTIL_H
#define PORTEN_PG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#define PORTEN_PG_POOL_DEFAULT 8     /* connections per pool */
#define PORTEN_PG_POOL_MAX 64
#define PORTEN_PG_ACQUIRE_MS 5000    /* longest wait for a free connection */
#define PORTEN_PG_CONNECT_TIMEOUT_S 5
#define PORTEN_PG_BACKOFF_MAX_MS 2000 /* reconnect attempts of one connection, spaced up to this */
#define PORTEN_PG_STMTS_MAX 96       /* prepared statements per connection */

typedef struct porten_pg porten_pg;

/* One pooled connection. */
struct porten_pg_conn {
	PGconn *pg;
	bool broken;                     /* set by porten_pg_check on a connection error */
	/* private */
	const char *prepared[PORTEN_PG_STMTS_MAX];
	size_t nprepared;
	long long next_try_ms;           /* reconnect backoff */
	unsigned failures;
	const char *streaming;           /* the statement porten_pg_send sent, until its end */
};

/* A statement: a stable name (unique in the process) and its SQL with $1.. parameters.
 * custom: planned for each execution's values (the unnamed statement of the extended
 * protocol, parameters still apart from the text), for statements that carry optional
 * criteria as "$n IS NULL OR col = $n" or ranges whose width decides the plan: a
 * generic plan, PostgreSQL's choice after five executions of a named prepared
 * statement, cannot see which criteria are there. The others are prepared once per
 * connection and keep a generic plan when PostgreSQL finds it as good: planning costs
 * more than executing the simple ones (measured: a person read 0.18 ms planning against
 * 0.06 ms executing). */
struct porten_pg_stmt {
	const char *name;
	const char *sql;
	bool custom;
};

/* uri: "postgresql://..." or "postgres://..." (libpq's URI syntax). size: connections
 * (0: PORTEN_PG_POOL_DEFAULT). Connects one connection at once (PORTEN_ERR_UNAVAILABLE
 * when the server cannot be reached, PORTEN_ERR_INVALID for a bad URI) and applies the
 * migrations. who names the user in log lines ("store", "freg"). */
int porten_pg_open(const char *uri, const char *who, unsigned size, porten_pg **out);

/* porten_pg_open's options. */
enum {
	/* A read replica (a hot standby, read-only): no migrations; instead the database's
	 * schema_migrations must hold every PostgreSQL migration this binary knows, else
	 * PORTEN_ERR_INVALID with a log line saying which one is missing. */
	PORTEN_PG_OPEN_REPLICA = 1u << 0,
};
/* porten_pg_open with options (PORTEN_PG_OPEN_*; 0 is porten_pg_open). */
int porten_pg_open_opts(const char *uri, const char *who, unsigned size, unsigned flags,
                        porten_pg **out);
void porten_pg_close(porten_pg *p);

/* A connection for one unit of work, waiting up to PORTEN_PG_ACQUIRE_MS for a free one.
 * A connection that broke earlier is re-made first (with backoff between attempts);
 * PORTEN_ERR_UNAVAILABLE when the server cannot be reached. */
int porten_pg_acquire(porten_pg *p, struct porten_pg_conn **out);
/* Gives it back; a connection marked broken is closed and re-made on a later acquire.
 * A connection left inside a transaction is rolled back first. */
void porten_pg_release(porten_pg *p, struct porten_pg_conn *c);

/* Runs stmt (prepared on this connection the first time unless custom) with text parameters (values
 * may hold NULL for SQL NULL). *out (may be NULL to discard) receives the result on
 * success. Returns porten_pg_check's mapping. */
int porten_pg_exec(struct porten_pg_conn *c, const struct porten_pg_stmt *stmt, int nparams,
                   const char *const *values, PGresult **out);
/* Sends stmt like porten_pg_exec, for its rows one at a time (libpq's single-row mode):
 * a result of any size is never held in memory whole. Then porten_pg_row until it
 * returns 0 or an error, or porten_pg_abandon; the connection runs nothing else until
 * then (porten_pg_release abandons a query left streaming). */
int porten_pg_send(struct porten_pg_conn *c, const struct porten_pg_stmt *stmt, int nparams,
                   const char *const *values);
/* The next row of the query porten_pg_send sent: 1 and *row (a result of one row, the
 * caller clears it), 0 after the last row, or porten_pg_check's mapping of a failure
 * (the query is over then too). */
int porten_pg_row(struct porten_pg_conn *c, PGresult **row);
/* Ends a query porten_pg_send sent before its last row: asks the server to cancel it
 * and discards what still arrives. Nothing when no query is streaming. */
void porten_pg_abandon(struct porten_pg_conn *c);
/* Runs SQL text without parameters (BEGIN, COMMIT, ROLLBACK, SET ...). */
int porten_pg_simple(struct porten_pg_conn *c, const char *sql);

/* Maps a result (r may be NULL) and consumes it unless it is a success (then the caller
 * keeps it): COMMAND_OK/TUPLES_OK -> 0; the connection lost -> PORTEN_ERR_UNAVAILABLE
 * and c->broken; unique_violation (23505) -> PORTEN_ERR_EXISTS; serialization_failure
 * (40001), deadlock_detected (40P01), lock_not_available (55P03) -> PORTEN_ERR_CONFLICT
 * (retry the transaction); admin shutdown / cannot connect now (57P0x, 08xxx) ->
 * PORTEN_ERR_UNAVAILABLE and broken; anything else -> PORTEN_ERR_INTERNAL. Logs one
 * line "<who>: <what>: <message>" for everything but EXISTS and CONFLICT. */
int porten_pg_check(struct porten_pg_conn *c, PGresult *r, const char *what);

/* True for "postgresql://" and "postgres://" URIs. */
bool porten_pg_uri(const char *uri);

#endif
