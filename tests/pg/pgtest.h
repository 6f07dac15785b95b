/* Helpers of the PostgreSQL tests (tests/pg/test_*.c, ctest label "pg").
 *
 * The tests need a PostgreSQL server: env PORTEN_TEST_PG holds a libpq URI of a database
 * on it through which a test may CREATE DATABASE (scripts/pg-cluster.sh start DIR prints
 * one). Without it every test exits 77, which ctest reports as skipped. Each test works
 * in databases of its own (random names, dropped at the end), so tests run in parallel
 * on one server. */
#ifndef PORTEN_PGTEST_H
#define PORTEN_PGTEST_H

#include <stddef.h>
#include <libpq-fe.h>

#define PGT_SKIP 77
#define PGT_URI_MAX 1024

/* PORTEN_TEST_PG, or exit(PGT_SKIP) with a message when it is unset or empty. */
const char *pgt_server(void);
/* Creates a fresh database on the server of admin_uri and writes a "postgresql://" URI
 * of it into uri (the same host, port, user and other parameters). 0 or -1. */
int pgt_db_create(const char *admin_uri, char *uri, size_t n);
/* Drops the database of uri (terminating its connections), through admin_uri. */
int pgt_db_drop(const char *admin_uri, const char *uri);
/* Runs sql (no parameters; may hold several statements) on uri. 0 or -1 (logged). */
int pgt_exec(const char *uri, const char *sql);
/* The database name of uri (static buffer). */
const char *pgt_db_name(const char *uri);

#endif

/* Raw HTTP/1.1 over a fresh TCP connection to 127.0.0.1:port (thread-safe; no harness
 * state). pgt_http_connect connects; pgt_http_send writes one request with
 * "Connection: close"; pgt_http_recv reads the whole response: the status, and the body
 * (malloc'd, NUL-terminated) in *body. Each returns 0 or -1 (the socket is then closed). */
int pgt_http_connect(unsigned port);
int pgt_http_send(int fd, const char *method, const char *path, const char *ctype,
                  const char *body);
int pgt_http_recv(int fd, int *status, char **body);
