/* A fresh PostgreSQL database per test, on the cluster named by PORTEN_TEST_PG (the URI
 * scripts/pg-cluster.sh prints). Tests that need one exit 77 (ctest's SKIP_RETURN_CODE)
 * when PORTEN_TEST_PG is unset, so plain runs skip them.
 *
 *   char uri[512], name[64];
 *   if (pg_testdb_create(uri, sizeof(uri), name) != 0) fail;   // CREATE DATABASE <random>
 *   ... freg_register_open(uri, ...) ...
 *   pg_testdb_drop(name);                                       // DROP DATABASE ... FORCE
 *
 * Header only: static functions, libpq from porten_core's link. */
#ifndef PORTEN_TESTS_PG_TESTDB_H
#define PORTEN_TESTS_PG_TESTDB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "porten/rand.h"

#define PG_TESTDB_SKIP 77

/* The cluster's URI, or NULL when the pg tests are not wanted. */
static inline const char *
pg_testdb_base(void)
{
	const char *u = getenv("PORTEN_TEST_PG");

	return u != NULL && u[0] != '\0' ? u : NULL;
}

/* base with its database name replaced by name: postgresql://AUTH/NAME?PARAMS. */
static inline int
pg_testdb_uri(const char *base, const char *name, char *out, size_t outsz)
{
	const char *auth = strstr(base, "://"), *slash, *query;
	int n;

	if (auth == NULL)
		return -1;
	auth += 3;
	query = strchr(auth, '?');
	slash = strchr(auth, '/');
	if (slash != NULL && query != NULL && slash > query)
		slash = NULL;
	if (slash == NULL)
		slash = query != NULL ? query : auth + strlen(auth);
	n = snprintf(out, outsz, "%.*s/%s%s", (int)(slash - base), base, name,
	             query != NULL ? query : "");
	return n > 0 && (size_t)n < outsz ? 0 : -1;
}

/* Runs one SQL command on the cluster's maintenance database. */
static inline int
pg_testdb_admin(const char *sql)
{
	const char *base = pg_testdb_base();
	PGconn *c;
	PGresult *r;
	int rc = -1;

	if (base == NULL)
		return -1;
	c = PQconnectdb(base);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pg_testdb: cannot connect to PORTEN_TEST_PG: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
		rc = 0;
	else
		fprintf(stderr, "pg_testdb: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* Creates a database with a random name (name: at least 40 bytes) and gives its URI. */
static inline int
pg_testdb_create(char *uri, size_t urisz, char name[static 40])
{
	char hex[17], sql[96];

	if (pg_testdb_base() == NULL || porten_random_hex(hex, 8) != 0)
		return -1;
	snprintf(name, 40, "porten_t_%s", hex);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	if (pg_testdb_admin(sql) != 0)
		return -1;
	return pg_testdb_uri(pg_testdb_base(), name, uri, urisz);
}

/* Drops it, ending any session still connected. */
static inline int
pg_testdb_drop(const char *name)
{
	char sql[96];

	if (name == NULL || name[0] == '\0')
		return 0;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	return pg_testdb_admin(sql);
}

/* Ends every session of database name except the caller's (pg_terminate_backend): what a
 * database restart does to porten's pooled connections. Returns how many, or -1. */
static inline int
pg_testdb_kill_sessions(const char *name)
{
	const char *base = pg_testdb_base();
	const char *vals[1] = { name };
	PGconn *c;
	PGresult *r;
	int n = -1;

	if (base == NULL)
		return -1;
	c = PQconnectdb(base);
	if (PQstatus(c) == CONNECTION_OK) {
		r = PQexecParams(c, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
		                 "WHERE datname = $1 AND pid <> pg_backend_pid()", 1, NULL, vals,
		                 NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			n = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	PQfinish(c);
	return n;
}

#endif
