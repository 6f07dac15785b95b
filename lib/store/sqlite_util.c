/* See sqlite_util.h. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/log.h"
#include "store/sqlite_util.h"

int
porten_sqlite_err(sqlite3 *db, int rc, const char *who, const char *what, int io_err)
{
	const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warn("%s: %s: database busy: %s", who, what, msg);
		return PORTEN_ERR_UNAVAILABLE;
	case SQLITE_NOMEM:
		return PORTEN_ERR_NOMEM;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_PROTOCOL:
	case SQLITE_NOLFS:
		log_error("%s: %s: %s", who, what, msg);
		return io_err;
	default:
		log_error("%s: %s: %s", who, what, msg);
		return PORTEN_ERR_INTERNAL;
	}
}

/* Before SQLite initialises: no memory statistics, which every sqlite3_malloc of every
 * connection would otherwise count under one process-wide mutex (porten reads none). */
static void
sqlite_config_once(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);   /* MISUSE once initialised: harmless */
}

int
porten_sqlite_open_wal(const char *path, int flags, const char *who, int io_err,
                       int (*busy)(void *, int), void *busy_ctx, int busy_ms,
                       const char *pragmas, sqlite3 **out)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *mode;
	int64_t deadline;
	int rc, r;

	static pthread_once_t once = PTHREAD_ONCE_INIT;

	*out = NULL;
	pthread_once(&once, sqlite_config_once);
	rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = db == NULL ? PORTEN_ERR_NOMEM : porten_sqlite_err(db, rc, who, "open", io_err);
		goto out;
	}
	rc = busy ? sqlite3_busy_handler(db, busy, busy_ctx) : sqlite3_busy_timeout(db, busy_ms);
	if (rc != SQLITE_OK) {
		r = porten_sqlite_err(db, rc, who, "busy handler", io_err);
		goto out;
	}
	/* The first statement reads the file: "not a database" shows here. Switching a new
	 * file to WAL needs it to itself, and SQLite answers SQLITE_BUSY at once (without
	 * the busy handler) while another process holds it: retry here, within the same
	 * budget. Once switched, the mode is persistent and this is a no-op. */
	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		r = porten_sqlite_err(db, rc, who, "journal_mode", io_err);
		goto out;
	}
	deadline = porten_mono_ns() + (int64_t)busy_ms * 1000000;
	while ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		const struct timespec pause = { 0, 2 * 1000000 };

		if ((rc & 0xff) != SQLITE_BUSY || porten_mono_ns() > deadline) {
			r = porten_sqlite_err(db, rc, who, "journal_mode", io_err);
			goto out;
		}
		sqlite3_reset(st);
		nanosleep(&pause, NULL);
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0)
		log_warn("%s: WAL mode refused (journal_mode %s); continuing", who, mode != NULL ? mode : "unknown");
	if (pragmas && (rc = sqlite3_exec(db, pragmas, NULL, NULL, NULL)) != SQLITE_OK) {
		r = porten_sqlite_err(db, rc, who, "pragma", io_err);
		goto out;
	}
	*out = db;
	db = NULL;
	r = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}
