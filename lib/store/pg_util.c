/* PostgreSQL connections, migrations and errors shared by porten's PostgreSQL users
 * (pg_util.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/log.h"
#include "store/migrations.h"
#include "store/pg_util.h"

/* The advisory lock every instance takes while it migrates: "porten" in ASCII. */
#define MIGRATE_LOCK_KEY 0x706f7274656eLL

struct porten_pg {
	char *uri;
	char who[32];
	unsigned size;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool busy[PORTEN_PG_POOL_MAX];
	struct porten_pg_conn conns[PORTEN_PG_POOL_MAX];
};

bool
porten_pg_uri(const char *uri)
{
	return uri != NULL && (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0);
}

static long long
now_ms(void)
{
	return (long long)(porten_mono_ns() / 1000000);
}

/* The message of a libpq failure on one line, without the trailing newline. */
static void
one_line(const char *msg, char *out, size_t sz)
{
	size_t i, n = 0;

	for (i = 0; msg != NULL && msg[i] != '\0' && n + 1 < sz; i++)
		out[n++] = msg[i] == '\n' || msg[i] == '\r' ? ' ' : msg[i];
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

int
porten_pg_check(struct porten_pg_conn *c, PGresult *r, const char *what)
{
	ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char msg[512];
	int err;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return 0;
	one_line(r != NULL && PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) : PQerrorMessage(c->pg),
	         msg, sizeof(msg));
	PQclear(r);
	if (PQstatus(c->pg) == CONNECTION_BAD || (state != NULL && (strncmp(state, "08", 2) == 0 ||
	                                                           strncmp(state, "57P", 3) == 0))) {
		c->broken = true;
		log_warn("postgresql: %s: the database went away: %s", what, msg);
		return PORTEN_ERR_UNAVAILABLE;
	}
	if (state != NULL && strcmp(state, "23505") == 0)
		return PORTEN_ERR_EXISTS;
	if (state != NULL && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	                      strcmp(state, "55P03") == 0))
		return PORTEN_ERR_CONFLICT;
	err = PORTEN_ERR_INTERNAL;
	log_error("postgresql: %s: %s%s%s", what, msg, state ? " SQLSTATE " : "", state ? state : "");
	return err;
}

/* porten_pg_check for a result nobody reads: cleared on success too. */
static int
check_clear(struct porten_pg_conn *c, PGresult *r, const char *what)
{
	int rc = porten_pg_check(c, r, what);

	if (rc == 0)
		PQclear(r);
	return rc;
}

int
porten_pg_simple(struct porten_pg_conn *c, const char *sql)
{
	return check_clear(c, PQexec(c->pg, sql), sql);
}

/* Prepares stmt on this connection the first time it runs there. */
static int
prepare_once(struct porten_pg_conn *c, const struct porten_pg_stmt *stmt, int nparams)
{
	size_t i;
	int rc;

	for (i = 0; i < c->nprepared; i++)
		if (c->prepared[i] == stmt->name)
			return 0;
	if (c->nprepared == PORTEN_PG_STMTS_MAX) {
		log_error("postgresql: more than %d prepared statements on one connection", PORTEN_PG_STMTS_MAX);
		return PORTEN_ERR_INTERNAL;
	}
	if ((rc = check_clear(c, PQprepare(c->pg, stmt->name, stmt->sql, nparams, NULL), stmt->name)) != 0)
		return rc;
	c->prepared[c->nprepared++] = stmt->name;
	return 0;
}

int
porten_pg_exec(struct porten_pg_conn *c, const struct porten_pg_stmt *stmt, int nparams,
               const char *const *values, PGresult **out)
{
	PGresult *r;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (c->streaming != NULL) {
		log_error("postgresql: %s while %s streams", stmt->name, c->streaming);
		return PORTEN_ERR_INTERNAL;
	}
	if (stmt->custom) {
		r = PQexecParams(c->pg, stmt->sql, nparams, NULL, values, NULL, NULL, 0);
	} else {
		if ((rc = prepare_once(c, stmt, nparams)) != 0)
			return rc;
		r = PQexecPrepared(c->pg, stmt->name, nparams, values, NULL, NULL, 0);
	}
	if ((rc = porten_pg_check(c, r, stmt->name)) != 0)
		return rc;
	if (out != NULL)
		*out = r;
	else
		PQclear(r);
	return 0;
}

/* Discards the results a streaming query still has coming. */
static void
drain(struct porten_pg_conn *c)
{
	PGresult *r;

	while ((r = PQgetResult(c->pg)) != NULL)
		PQclear(r);
	c->streaming = NULL;
}

int
porten_pg_send(struct porten_pg_conn *c, const struct porten_pg_stmt *stmt, int nparams,
               const char *const *values)
{
	char msg[512];
	int rc;

	if (c->streaming != NULL) {
		log_error("postgresql: %s while %s streams", stmt->name, c->streaming);
		return PORTEN_ERR_INTERNAL;
	}
	if (!stmt->custom && (rc = prepare_once(c, stmt, nparams)) != 0)
		return rc;
	if (!(stmt->custom ?
	      PQsendQueryParams(c->pg, stmt->sql, nparams, NULL, values, NULL, NULL, 0) :
	      PQsendQueryPrepared(c->pg, stmt->name, nparams, values, NULL, NULL, 0))) {
		one_line(PQerrorMessage(c->pg), msg, sizeof(msg));
		if (PQstatus(c->pg) == CONNECTION_BAD) {
			c->broken = true;
			log_warn("postgresql: %s: the database went away: %s", stmt->name, msg);
			return PORTEN_ERR_UNAVAILABLE;
		}
		log_error("postgresql: %s: cannot send: %s", stmt->name, msg);
		return PORTEN_ERR_INTERNAL;
	}
	c->streaming = stmt->name;
	if (!PQsetSingleRowMode(c->pg)) {
		log_error("postgresql: %s: single-row mode refused", stmt->name);
		porten_pg_abandon(c);
		return PORTEN_ERR_INTERNAL;
	}
	return 0;
}

int
porten_pg_row(struct porten_pg_conn *c, PGresult **row)
{
	PGresult *r;
	const char *what = c->streaming;
	int rc;

	*row = NULL;
	if (what == NULL)
		return 0;
	r = PQgetResult(c->pg);
	if (r != NULL && PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
		*row = r;
		return 1;
	}
	/* The end: TUPLES_OK (no more rows) or a failure, then libpq's NULL. */
	rc = r == NULL ? 0 : porten_pg_check(c, r, what);
	if (rc == 0)
		PQclear(r);
	drain(c);
	return rc;
}

void
porten_pg_abandon(struct porten_pg_conn *c)
{
	PGcancel *k;
	char err[256];

	if (c->streaming == NULL)
		return;
	if (PQstatus(c->pg) == CONNECTION_OK && (k = PQgetCancel(c->pg)) != NULL) {
		if (!PQcancel(k, err, (int)sizeof(err)))
			log_debug("postgresql: %s: cancel: %s", c->streaming, err);
		PQfreeCancel(k);
	}
	drain(c);
}

/* Server notices (NOTICE, WARNING, and the FATAL an idle connection gets when the server
 * shuts down) go to porten's log instead of libpq's default, stderr. */
static void
notice(void *arg, const char *message)
{
	char msg[512];

	one_line(message, msg, sizeof(msg));
	log_debug("%s: postgresql: %s", (const char *)arg, msg);
}

static int
connect_one(struct porten_pg *p, struct porten_pg_conn *c)
{
	/* Text goes in and out as UTF-8 whatever the server's encoding (porten's JSON is). */
	const char *keys[] = { "dbname", "connect_timeout", "application_name", "client_encoding", NULL };
	const char *vals[] = { p->uri, "5", "porten", "UTF8", NULL };
	char msg[512];

	if (c->pg != NULL)
		PQfinish(c->pg);
	c->nprepared = 0;
	c->broken = false;
	c->streaming = NULL;
	/* dbname carries the whole URI (expand_dbname = 1); the other keys add to it. */
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (c->pg == NULL)
		return PORTEN_ERR_NOMEM;
	if (PQstatus(c->pg) != CONNECTION_OK) {
		one_line(PQerrorMessage(c->pg), msg, sizeof(msg));
		log_warn("%s: postgresql: cannot connect: %s", p->who, msg);
		PQfinish(c->pg);
		c->pg = NULL;
		c->broken = true;
		return PORTEN_ERR_UNAVAILABLE;
	}
	PQsetNoticeProcessor(c->pg, notice, p->who);
	/* Times are Unix seconds everywhere; UTC keeps any timestamp text the same. */
	if (porten_pg_simple(c, "SET TIME ZONE 'UTC'") != 0) {
		PQfinish(c->pg);
		c->pg = NULL;
		c->broken = true;
		return PORTEN_ERR_UNAVAILABLE;
	}
	return 0;
}

/* Every migration of sql/postgresql not yet applied, in one transaction under the
 * advisory lock (PostgreSQL's DDL is transactional): all of them or none. */
static int
migrate(struct porten_pg *p, struct porten_pg_conn *c)
{
	PGresult *r = NULL;
	char lock[96];
	int rc;

	if ((rc = porten_pg_simple(c, "BEGIN")) != 0)
		return rc;
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%lld)", MIGRATE_LOCK_KEY);
	if ((rc = check_clear(c, PQexec(c->pg, lock), "migration lock")) != 0)
		goto fail;
	if ((rc = porten_pg_simple(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                              "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	                              "applied_at BIGINT NOT NULL)")) != 0)
		goto fail;
	for (const struct porten_migration *m = porten_migrations; m->backend != NULL; m++) {
		char v[16], when[24], what[96];
		const char *params[3];

		if (strcmp(m->backend, "postgresql") != 0)
			continue;
		snprintf(v, sizeof(v), "%d", m->version);
		snprintf(what, sizeof(what), "migration %03d %s", m->version, m->name);
		params[0] = v;
		r = PQexecParams(c->pg, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL, params,
		                 NULL, NULL, 0);
		if ((rc = porten_pg_check(c, r, what)) != 0)
			goto fail;
		if (PQntuples(r) > 0) {
			PQclear(r);
			continue;
		}
		PQclear(r);
		if ((rc = check_clear(c, PQexec(c->pg, m->sql), what)) != 0) {
			if (rc == PORTEN_ERR_EXISTS || rc == PORTEN_ERR_CONFLICT)
				rc = PORTEN_ERR_INTERNAL;
			goto fail;
		}
		snprintf(when, sizeof(when), "%lld", (long long)porten_now());
		params[1] = m->name;
		params[2] = when;
		r = PQexecParams(c->pg, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
		                 3, NULL, params, NULL, NULL, 0);
		if ((rc = check_clear(c, r, what)) != 0)
			goto fail;
		log_info("%s: postgresql: applied %s", p->who, what);
	}
	return porten_pg_simple(c, "COMMIT");
fail:
	if (!c->broken)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	return rc;
}

/* A replica is opened without migrating: it must already hold every migration this
 * binary knows (replayed from its primary), else it is not (yet) a replica of a database
 * this version of porten can read. */
static int
check_replica(struct porten_pg *p, struct porten_pg_conn *c)
{
	PGresult *r = PQexec(c->pg, "SELECT version FROM schema_migrations");
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	int rc;

	if (state != NULL && strcmp(state, "42P01") == 0) {
		PQclear(r);
		log_error("%s: postgresql: the read replica has no schema_migrations table: not a "
		          "replica of a porten database (or its primary was never opened by porten)", p->who);
		return PORTEN_ERR_INVALID;
	}
	if ((rc = porten_pg_check(c, r, "read replica: schema_migrations")) != 0)
		return rc;
	for (const struct porten_migration *m = porten_migrations; m->backend != NULL; m++) {
		bool have = false;

		if (strcmp(m->backend, "postgresql") != 0)
			continue;
		for (int i = 0; i < PQntuples(r) && !have; i++)
			have = atoi(PQgetvalue(r, i, 0)) == m->version;
		if (!have) {
			log_error("%s: postgresql: the read replica lacks migration %03d %s: its primary "
			          "has not been migrated by this version of porten (start porten on the "
			          "primary first) or the replica has not replayed it yet", p->who,
			          m->version, m->name);
			PQclear(r);
			return PORTEN_ERR_INVALID;
		}
	}
	PQclear(r);
	return 0;
}

int
porten_pg_open(const char *uri, const char *who, unsigned size, porten_pg **out)
{
	return porten_pg_open_opts(uri, who, size, 0, out);
}

int
porten_pg_open_opts(const char *uri, const char *who, unsigned size, unsigned flags,
                    porten_pg **out)
{
	struct porten_pg *p;
	PQconninfoOption *opts;
	char *err = NULL;
	int rc;

	*out = NULL;
	if (!porten_pg_uri(uri))
		return PORTEN_ERR_INVALID;
	if ((opts = PQconninfoParse(uri, &err)) == NULL) {
		char msg[256];

		one_line(err, msg, sizeof(msg));
		log_error("%s: postgresql: bad URI: %s", who, msg);
		PQfreemem(err);
		return PORTEN_ERR_INVALID;
	}
	PQconninfoFree(opts);
	if (size == 0)
		size = PORTEN_PG_POOL_DEFAULT;
	if (size > PORTEN_PG_POOL_MAX)
		size = PORTEN_PG_POOL_MAX;
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->uri = strdup(uri)) == NULL) {
		free(p);
		return PORTEN_ERR_NOMEM;
	}
	snprintf(p->who, sizeof(p->who), "%s", who);
	p->size = size;
	pthread_mutex_init(&p->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&p->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	if ((rc = connect_one(p, &p->conns[0])) != 0 ||
	    (rc = (flags & PORTEN_PG_OPEN_REPLICA) ? check_replica(p, &p->conns[0]) :
	          migrate(p, &p->conns[0])) != 0) {
		porten_pg_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

void
porten_pg_close(porten_pg *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->size; i++)
		if (p->conns[i].pg != NULL)
			PQfinish(p->conns[i].pg);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->uri);
	free(p);
}

int
porten_pg_acquire(porten_pg *p, struct porten_pg_conn **out)
{
	struct timespec ts;
	struct porten_pg_conn *c = NULL;
	unsigned i;
	int rc;

	*out = NULL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += PORTEN_PG_ACQUIRE_MS / 1000;
	ts.tv_nsec += (PORTEN_PG_ACQUIRE_MS % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		/* A connected one first, then an empty slot. */
		for (i = 0; i < p->size && c == NULL; i++)
			if (!p->busy[i] && p->conns[i].pg != NULL && !p->conns[i].broken)
				c = &p->conns[i];
		for (i = 0; i < p->size && c == NULL; i++)
			if (!p->busy[i])
				c = &p->conns[i];
		if (c != NULL)
			break;
		if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT) {
			pthread_mutex_unlock(&p->mu);
			log_warn("%s: postgresql: no free connection in %d ms", p->who, PORTEN_PG_ACQUIRE_MS);
			return PORTEN_ERR_UNAVAILABLE;
		}
	}
	p->busy[c - p->conns] = true;
	pthread_mutex_unlock(&p->mu);
	/* An idle connection the server has closed since (a restart, pg_terminate_backend)
	 * has its end of file waiting: reading it without blocking tells, so the caller gets
	 * a fresh connection instead of an error on its first statement. */
	if (c->pg != NULL && !c->broken && (PQconsumeInput(c->pg) == 0 || PQstatus(c->pg) != CONNECTION_OK)) {
		log_info("%s: postgresql: the server closed an idle connection; connecting again", p->who);
		c->broken = true;
	}
	if (c->pg == NULL || c->broken || PQstatus(c->pg) != CONNECTION_OK) {
		long long now = now_ms();

		if (c->failures > 0 && now < c->next_try_ms)
			rc = PORTEN_ERR_UNAVAILABLE;        /* still backing off: answer at once */
		else if ((rc = connect_one(p, c)) != 0) {
			long long wait = 100LL << (c->failures < 5 ? c->failures : 5);

			c->failures++;
			c->next_try_ms = now + (wait < PORTEN_PG_BACKOFF_MAX_MS ? wait : PORTEN_PG_BACKOFF_MAX_MS);
		} else {
			if (c->failures > 0)
				log_info("%s: postgresql: connected again", p->who);
			c->failures = 0;
		}
		if (rc != 0) {
			pthread_mutex_lock(&p->mu);
			p->busy[c - p->conns] = false;
			pthread_cond_signal(&p->cv);
			pthread_mutex_unlock(&p->mu);
			return rc;
		}
	}
	*out = c;
	return 0;
}

void
porten_pg_release(porten_pg *p, struct porten_pg_conn *c)
{
	if (c == NULL)
		return;
	if (c->pg != NULL)
		porten_pg_abandon(c);
	if (!c->broken && c->pg != NULL && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		PGresult *r = PQexec(c->pg, "ROLLBACK");

		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			c->broken = true;
		PQclear(r);
	}
	if (c->broken && c->pg != NULL) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	pthread_mutex_lock(&p->mu);
	p->busy[c - p->conns] = false;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}
