/* Private to lib/: what every SQLite user in porten does the same way (the document store
 * lib/store/sqlite.c and the register lib/freg/register.c): open a connection in WAL mode,
 * and map SQLite result codes to porten errors with one log line. */
#ifndef PORTEN_SQLITE_UTIL_H
#define PORTEN_SQLITE_UTIL_H

#include <sqlite3.h>

/* rc as a porten error, logged as "<who>: <what>: <message>": busy or locked ->
 * PORTEN_ERR_UNAVAILABLE (warn); out of memory -> PORTEN_ERR_NOMEM; the file unusable
 * (cannot open, I/O, full, read-only, not a database, corrupt, ...) -> io_err (error);
 * anything else -> PORTEN_ERR_INTERNAL (error). */
int porten_sqlite_err(sqlite3 *db, int rc, const char *who, const char *what, int io_err);

/* Opens path with flags (| SQLITE_OPEN_NOMUTEX), installs busy (with busy_ctx) or, when
 * busy is NULL, SQLite's own busy timeout of busy_ms, switches to WAL (retrying within
 * busy_ms while another process switches a fresh file, which SQLite answers with BUSY
 * without calling the busy handler), and runs pragmas (may be NULL). 0 or a porten
 * error (mapped as above with io_err). */
int porten_sqlite_open_wal(const char *path, int flags, const char *who, int io_err,
                           int (*busy)(void *, int), void *busy_ctx, int busy_ms,
                           const char *pragmas, sqlite3 **out);

#endif
