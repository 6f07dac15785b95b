/* SQLite backend ("sqlite:PATH").
 *
 * A pool of up to PORTEN_STORE_POOL_MAX connections to one file, opened lazily and
 * checked out under a mutex, so threads do not queue behind one connection; each
 * connection is used by one thread at a time (SQLITE_OPEN_NOMUTEX) and caches its
 * prepared statements. Every write runs in BEGIN IMMEDIATE, so the write lock is taken
 * up front (with busy_timeout waiting for it) rather than on a read-to-write upgrade,
 * which in WAL mode fails at once with SQLITE_BUSY_SNAPSHOT.
 *
 * Durability: WAL with synchronous=NORMAL. A committed transaction survives a crash of
 * this or any other process (it is in the WAL file, which the OS holds); only a power
 * loss or kernel crash may lose the last transactions before a checkpoint. That is the
 * guarantee porten needs for documents and replay entries: a replayed grant after a
 * machine crash would be inside its (at most 120 s) lifetime only if the crash came
 * right after the claim. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "store/migrations.h"
#include "store/sqlite_util.h"
#include "store/store_impl.h"

#define BUSY_TIMEOUT_MS 5000
#define REPLAY_PURGE_EVERY 1024

enum {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_GET,
	ST_PUT,
	ST_INSERT,
	ST_DELETE,
	ST_LIST_RANGE,
	ST_LIST_FROM,
	ST_GEN_READ,
	ST_GEN_BUMP,
	ST_REPLAY,
	ST_REPLAY_PURGE,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_GET] = "SELECT key, doc FROM docs WHERE kind = ?1 AND key = ?2",
	[ST_PUT] = "INSERT INTO docs (kind, key, doc, updated_at) VALUES (?1, ?2, ?3, ?4) "
	           "ON CONFLICT (kind, key) DO UPDATE SET doc = excluded.doc, "
	           "updated_at = excluded.updated_at",
	[ST_INSERT] = "INSERT INTO docs (kind, key, doc, updated_at) VALUES (?1, ?2, ?3, ?4) "
	              "ON CONFLICT (kind, key) DO NOTHING",
	[ST_DELETE] = "DELETE FROM docs WHERE kind = ?1 AND key = ?2",
	/* Prefix scan as a key range: [prefix, upper) where upper is the prefix with its
	 * trailing 0xff bytes dropped and the last byte incremented; without an upper
	 * bound when there is none (empty prefix, all 0xff). */
	[ST_LIST_RANGE] = "SELECT key, doc FROM docs WHERE kind = ?1 AND key >= ?2 AND key < ?3 "
	                  "ORDER BY key LIMIT ?4",
	[ST_LIST_FROM] = "SELECT key, doc FROM docs WHERE kind = ?1 AND key >= ?2 "
	                 "ORDER BY key LIMIT ?3",
	[ST_GEN_READ] = "SELECT value FROM meta WHERE name = 'generation'",
	[ST_GEN_BUMP] = "UPDATE meta SET value = value + 1 WHERE name = 'generation'",
	[ST_REPLAY] = "INSERT INTO replay (key, expires) VALUES (?1, ?2) "
	              "ON CONFLICT (key) DO UPDATE SET expires = excluded.expires "
	              "WHERE replay.expires <= ?3",
	[ST_REPLAY_PURGE] = "DELETE FROM replay WHERE expires <= ?1",
};

struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
};

struct sstore {
	struct porten_store base;
	char *path;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Writers of this process queue here (microseconds) instead of meeting SQLite's busy
	 * handler, which sleeps in whole milliseconds; only other processes' writers do. */
	pthread_mutex_t write_mu;
	struct conn *idle[PORTEN_STORE_POOL_MAX];
	size_t nidle;
	size_t nconn;           /* open, or being opened */
	atomic_uint claims;
};

/* Maps an SQLite result code to a porten error, logging it. */
static int
db_err(sqlite3 *db, int rc, const char *what)
{
	return porten_sqlite_err(db, rc, "store: sqlite", what, PORTEN_ERR_IO);
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

static void
stmt_done(sqlite3_stmt *st)
{
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/* Runs a statement that has no parameters and returns no rows. */
static int
run(struct conn *c, int id, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc, r = PORTEN_ERR_INTERNAL;

	if ((r = stmt(c, id, &st)) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = db_err(c->db, rc, what);
		goto out;
	}
	r = 0;
out:
	stmt_done(st);
	return r;
}

static void
rollback(struct conn *c)
{
	if (!sqlite3_get_autocommit(c->db))
		(void)run(c, ST_ROLLBACK, "rollback");
}

static void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(c->st[i]);
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
	r = porten_sqlite_open_wal(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "store: sqlite",
	                           PORTEN_ERR_IO, NULL, NULL, BUSY_TIMEOUT_MS,
	                           "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", &c->db);
	if (r != 0) {
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

static int
conn_get(struct sstore *ss, struct conn **out)
{
	struct conn *c = NULL;
	int r;

	pthread_mutex_lock(&ss->mu);
	while (ss->nidle == 0 && ss->nconn >= PORTEN_STORE_POOL_MAX)
		pthread_cond_wait(&ss->cv, &ss->mu);
	if (ss->nidle > 0) {
		*out = ss->idle[--ss->nidle];
		pthread_mutex_unlock(&ss->mu);
		return 0;
	}
	ss->nconn++;
	pthread_mutex_unlock(&ss->mu);

	if ((r = conn_open(ss->path, &c)) != 0) {
		pthread_mutex_lock(&ss->mu);
		ss->nconn--;
		pthread_cond_signal(&ss->cv);
		pthread_mutex_unlock(&ss->mu);
		return r;
	}
	*out = c;
	return 0;
}

static void
conn_put(struct sstore *ss, struct conn *c)
{
	/* Never hand out a connection that is still inside a transaction. */
	rollback(c);
	pthread_mutex_lock(&ss->mu);
	if (!sqlite3_get_autocommit(c->db)) {
		ss->nconn--;
		pthread_cond_signal(&ss->cv);
		pthread_mutex_unlock(&ss->mu);
		conn_close(c);
		return;
	}
	ss->idle[ss->nidle++] = c;
	pthread_cond_signal(&ss->cv);
	pthread_mutex_unlock(&ss->mu);
}

/* Applies one migration unless another process got there first. Its own transaction:
 * BEGIN IMMEDIATE takes the write lock, so the check and the change are one step. */
static int
migrate_one(struct conn *c, const struct porten_migration *m)
{
	sqlite3_stmt *st = NULL;
	int rc, r = PORTEN_ERR_INTERNAL;
	char what[96];

	snprintf(what, sizeof(what), "migration %03d %s", m->version, m->name);
	if ((r = run(c, ST_BEGIN, what)) != 0)
		goto out;
	rc = sqlite3_exec(c->db,
	                  "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                  "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	                  "applied_at INTEGER NOT NULL)", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = db_err(c->db, rc, what);
		goto out;
	}
	rc = sqlite3_prepare_v2(c->db, "SELECT 1 FROM schema_migrations WHERE version = ?1",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK || (rc = sqlite3_bind_int(st, 1, m->version)) != SQLITE_OK) {
		r = db_err(c->db, rc, what);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = db_err(c->db, rc, what);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_DONE) {
		if ((rc = sqlite3_exec(c->db, m->sql, NULL, NULL, NULL)) != SQLITE_OK) {
			r = db_err(c->db, rc, what);
			goto out;
		}
		rc = sqlite3_prepare_v2(c->db, "INSERT INTO schema_migrations "
		                        "(version, name, applied_at) VALUES (?1, ?2, ?3)",
		                        -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int(st, 1, m->version);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 3, porten_now());
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
			rc = SQLITE_OK;
		if (rc != SQLITE_OK) {
			r = db_err(c->db, rc, what);
			goto out;
		}
		log_info("store: sqlite: applied %s", what);
	}
	if ((r = run(c, ST_COMMIT, what)) != 0)
		goto out;
	r = 0;
out:
	sqlite3_finalize(st);
	rollback(c);
	return r;
}

static int
migrate(struct conn *c)
{
	sqlite3_stmt *st = NULL;
	int64_t have = 0;
	int newest = 0, exists;
	int rc, r = PORTEN_ERR_INTERNAL;

	/* Without a lock first: the common case is a database that is up to date. */
	rc = sqlite3_prepare_v2(c->db, "SELECT count(*) FROM sqlite_master "
	                        "WHERE type = 'table' AND name = 'schema_migrations'",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = db_err(c->db, rc, "schema");
		goto out;
	}
	exists = sqlite3_column_int(st, 0) > 0;
	/* Finalize at once: a statement left open holds a read snapshot, and the write
	 * transactions below would then fail with SQLITE_BUSY_SNAPSHOT. */
	sqlite3_finalize(st);
	st = NULL;
	if (exists) {
		rc = sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) "
		                        "FROM schema_migrations", -1, &st, NULL);
		if (rc != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW) {
			r = db_err(c->db, rc, "schema");
			goto out;
		}
		have = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	for (const struct porten_migration *m = porten_migrations; m->backend != NULL; m++) {
		if (strcmp(m->backend, "sqlite") != 0)
			continue;
		if (m->version > newest)
			newest = m->version;
		if (m->version <= have)
			continue;
		if ((r = migrate_one(c, m)) != 0)
			goto out;
	}
	if (have > newest)
		log_warn("store: sqlite: database schema version %lld is newer than this "
		         "program's %d", (long long)have, newest);
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

static int
sql_get(porten_store *s, enum porten_doc_kind kind, const char *key, size_t keylen,
	porten_store_row_fn fn, void *ctx)
{
	struct sstore *ss = (struct sstore *)s;
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	int rc, r = PORTEN_ERR_INTERNAL;

	if ((r = conn_get(ss, &c)) != 0)
		goto out;
	if ((r = stmt(c, ST_GET, &st)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int(st, 1, (int)kind)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text64(st, 2, key, keylen, SQLITE_STATIC, SQLITE_UTF8)) != SQLITE_OK) {
		r = db_err(c->db, rc, "get");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = PORTEN_ERR_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = db_err(c->db, rc, "get");
		goto out;
	}
	r = fn(ctx, (const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0),
	       (const char *)sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
out:
	stmt_done(st);
	if (c != NULL)
		conn_put(ss, c);
	return r;
}

/* Rows of kind with lower <= key (< upper when ulen > 0), in key order, at most limit. */
static int
list_range(struct sstore *ss, enum porten_doc_kind kind, const char *lower, size_t lowerlen,
	const char *upper, size_t ulen, size_t limit, porten_store_row_fn fn, void *ctx)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = conn_get(ss, &c)) != 0)
		goto out;
	if ((r = stmt(c, ulen > 0 ? ST_LIST_RANGE : ST_LIST_FROM, &st)) != 0)
		goto out;
	rc = sqlite3_bind_int(st, 1, (int)kind);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text64(st, 2, lower, lowerlen, SQLITE_STATIC, SQLITE_UTF8);
	if (rc == SQLITE_OK && ulen > 0)
		rc = sqlite3_bind_text64(st, 3, upper, ulen, SQLITE_STATIC, SQLITE_UTF8);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, ulen > 0 ? 4 : 3,
		                        limit > (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
	if (rc != SQLITE_OK) {
		r = db_err(c->db, rc, "list");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = fn(ctx, (const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0),
		       (const char *)sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		if (r != 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : db_err(c->db, rc, "list");
out:
	stmt_done(st);
	if (c != NULL)
		conn_put(ss, c);
	return r;
}

static int
sql_list_from(porten_store *s, enum porten_doc_kind kind, const char *from, size_t fromlen,
	size_t limit, porten_store_row_fn fn, void *ctx)
{
	return list_range((struct sstore *)s, kind, from, fromlen, NULL, 0, limit, fn, ctx);
}

static int
sql_list(porten_store *s, enum porten_doc_kind kind, const char *prefix, size_t prefixlen,
	size_t limit, porten_store_row_fn fn, void *ctx)
{
	char upper[PORTEN_STORE_KEY_MAX];
	size_t ulen = prefixlen;

	if (prefixlen > sizeof(upper))
		return PORTEN_ERR_TOO_LARGE;
	/* A prefix scan is the key range [prefix, upper): see ST_LIST_RANGE. */
	memcpy(upper, prefix, prefixlen);
	while (ulen > 0 && (unsigned char)upper[ulen - 1] == 0xff)
		ulen--;
	if (ulen > 0)
		upper[ulen - 1] = (char)((unsigned char)upper[ulen - 1] + 1);
	return list_range((struct sstore *)s, kind, prefix, prefixlen, upper, ulen, limit, fn, ctx);
}

/* One op inside an open transaction. */
static int
apply_one(struct conn *c, const struct porten_store_wop *op, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int id;
	int rc, r = PORTEN_ERR_INTERNAL;

	switch (op->op) {
	case PORTEN_OP_PUT: id = ST_PUT; break;
	case PORTEN_OP_INSERT: id = ST_INSERT; break;
	case PORTEN_OP_DELETE: id = ST_DELETE; break;
	default: goto out;
	}
	if ((r = stmt(c, id, &st)) != 0)
		goto out;
	rc = sqlite3_bind_int(st, 1, (int)op->kind);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text64(st, 2, op->key, op->keylen, SQLITE_STATIC, SQLITE_UTF8);
	if (rc == SQLITE_OK && id != ST_DELETE)
		rc = sqlite3_bind_text64(st, 3, op->doc, op->doclen, SQLITE_STATIC, SQLITE_UTF8);
	if (rc == SQLITE_OK && id != ST_DELETE)
		rc = sqlite3_bind_int64(st, 4, now);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc != SQLITE_OK) {
		r = db_err(c->db, rc, "write");
		goto out;
	}
	if (sqlite3_changes(c->db) != 1) {
		r = id == ST_DELETE ? PORTEN_ERR_NOT_FOUND :
		    id == ST_INSERT ? PORTEN_ERR_EXISTS : PORTEN_ERR_INTERNAL;
		goto out;
	}
	r = 0;
out:
	stmt_done(st);
	return r;
}

static int
sql_apply(porten_store *s, const struct porten_store_wop *ops, size_t n)
{
	struct sstore *ss = (struct sstore *)s;
	struct conn *c = NULL;
	int64_t now = porten_now();
	int r = PORTEN_ERR_INTERNAL, locked = 0;

	if ((r = conn_get(ss, &c)) != 0)
		goto out;
	pthread_mutex_lock(&ss->write_mu);
	locked = 1;
	if ((r = run(c, ST_BEGIN, "begin")) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((r = apply_one(c, &ops[i], now)) != 0)
			goto out;
	if ((r = run(c, ST_GEN_BUMP, "generation")) != 0)
		goto out;
	if (sqlite3_changes(c->db) != 1) {
		log_error("store: sqlite: generation counter missing");
		r = PORTEN_ERR_INTERNAL;
		goto out;
	}
	if ((r = run(c, ST_COMMIT, "commit")) != 0)
		goto out;
	r = 0;
out:
	if (c != NULL) {
		rollback(c);
		if (locked)
			pthread_mutex_unlock(&ss->write_mu);
		conn_put(ss, c);
	}
	return r;
}

static int
sql_generation(porten_store *s, uint64_t *gen)
{
	struct sstore *ss = (struct sstore *)s;
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	int rc, r = PORTEN_ERR_INTERNAL;

	if ((r = conn_get(ss, &c)) != 0)
		goto out;
	if ((r = stmt(c, ST_GEN_READ, &st)) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? PORTEN_ERR_INTERNAL : db_err(c->db, rc, "generation");
		goto out;
	}
	*gen = (uint64_t)sqlite3_column_int64(st, 0);
	r = 0;
out:
	stmt_done(st);
	if (c != NULL)
		conn_put(ss, c);
	return r;
}

static void
replay_purge(struct conn *c, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (stmt(c, ST_REPLAY_PURGE, &st) != 0)
		return;
	if ((rc = sqlite3_bind_int64(st, 1, now)) == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		(void)db_err(c->db, rc, "replay purge");
	else
		log_debug("store: sqlite: purged %d expired replay entries",
		          sqlite3_changes(c->db));
	stmt_done(st);
}

static int
sql_replay_claim(porten_store *s, const unsigned char key[32], int64_t expires, int64_t now)
{
	struct sstore *ss = (struct sstore *)s;
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	int rc, r = PORTEN_ERR_INTERNAL, locked = 0;

	if ((r = conn_get(ss, &c)) != 0)
		goto out;
	if ((r = stmt(c, ST_REPLAY, &st)) != 0)
		goto out;
	rc = sqlite3_bind_blob(st, 1, key, 32, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, expires);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, now);
	if (rc == SQLITE_OK) {
		pthread_mutex_lock(&ss->write_mu);
		locked = 1;
		if ((rc = sqlite3_step(st)) == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK) {
		r = db_err(c->db, rc, "replay");
		goto out;
	}
	/* 1: inserted, or an expired entry taken over; 0: the WHERE kept a live one. */
	r = sqlite3_changes(c->db) == 1 ? 0 : PORTEN_ERR_EXISTS;
	stmt_done(st);
	st = NULL;
	if (atomic_fetch_add(&ss->claims, 1) % REPLAY_PURGE_EVERY == REPLAY_PURGE_EVERY - 1)
		replay_purge(c, now);
out:
	if (locked)
		pthread_mutex_unlock(&ss->write_mu);
	stmt_done(st);
	if (c != NULL)
		conn_put(ss, c);
	return r;
}

static void
sql_close(porten_store *s)
{
	struct sstore *ss = (struct sstore *)s;

	/* Connections still checked out would be a caller bug: closing while in use. */
	if (ss->nidle != ss->nconn)
		log_error("store: sqlite: closed with %zu connections in use",
		          ss->nconn - ss->nidle);
	for (size_t i = 0; i < ss->nidle; i++)
		conn_close(ss->idle[i]);
	pthread_cond_destroy(&ss->cv);
	pthread_mutex_destroy(&ss->mu);
	pthread_mutex_destroy(&ss->write_mu);
	free(ss->path);
	free(ss);
}

static const struct porten_store_ops sqlite_ops = {
	.name = "sqlite",
	.get = sql_get,
	.list = sql_list,
	.list_from = sql_list_from,
	.apply = sql_apply,
	.generation = sql_generation,
	.replay_claim = sql_replay_claim,
	.close = sql_close,
};

int
porten_store_sqlite_open(const char *path, porten_store **out)
{
	struct sstore *ss = NULL;
	struct conn *c = NULL;
	char esc[PORTEN_LOG_FIELD_MAX * 4 + 8];
	int inited = 0;
	int r = PORTEN_ERR_INTERNAL;

	if (path[0] == '\0' || strcmp(path, ":memory:") == 0) {
		log_error("store: sqlite: want sqlite:PATH with a file path");
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if (!sqlite3_threadsafe()) {
		log_error("store: sqlite: library built without thread support");
		goto out;
	}
	if ((ss = calloc(1, sizeof(*ss))) == NULL || (ss->path = strdup(path)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	if (pthread_mutex_init(&ss->write_mu, NULL) != 0)
		goto out;
	if (pthread_mutex_init(&ss->mu, NULL) != 0) {
		pthread_mutex_destroy(&ss->write_mu);
		goto out;
	}
	if (pthread_cond_init(&ss->cv, NULL) != 0) {
		pthread_mutex_destroy(&ss->mu);
		pthread_mutex_destroy(&ss->write_mu);
		goto out;
	}
	inited = 1;
	atomic_init(&ss->claims, 0);
	ss->base.ops = &sqlite_ops;

	/* The first connection now, so a bad path or schema fails here, not later. */
	if ((r = conn_open(path, &c)) != 0 || (r = migrate(c)) != 0) {
		log_error("store: sqlite: cannot open \"%s\"",
		          porten_log_escape(esc, sizeof(esc), path, strlen(path)));
		goto out;
	}
	ss->idle[0] = c;
	ss->nidle = ss->nconn = 1;
	c = NULL;
	*out = &ss->base;
	ss = NULL;
	r = 0;
out:
	conn_close(c);
	if (ss != NULL) {
		if (inited) {
			pthread_cond_destroy(&ss->cv);
			pthread_mutex_destroy(&ss->mu);
			pthread_mutex_destroy(&ss->write_mu);
		}
		free(ss->path);
	}
	free(ss);
	return r;
}
