/* Private to lib/freg: what lib/freg/register.c lends the search index (lib/freg/search.c).
 * The connection stays opaque; search.c keeps its own statements in it (enum freg_sst)
 * and uses the register's pool, write transaction and error mapping. */
#ifndef PORTEN_FREG_REGISTER_INT_H
#define PORTEN_FREG_REGISTER_INT_H

#include <sqlite3.h>

#include "freg/search_int.h"
#include "porten/register.h"

/* A pooled connection; freg_reg_conn_put hands it back (rolling back an open
 * transaction). */
int freg_reg_conn_get(freg_register *r, struct conn **out);
void freg_reg_conn_put(freg_register *r, struct conn *c);

/* One write transaction: the process's write mutex, a connection, BEGIN IMMEDIATE.
 * freg_reg_write_end commits when rc is 0, rolls back otherwise, releases both and
 * returns the result. */
int freg_reg_write_begin(freg_register *r, struct conn **out);
int freg_reg_write_end(freg_register *r, struct conn *c, int rc);

/* search.c's statement id, prepared from sql on first use and cached in c. Reset it
 * with freg_reg_stmt_done after use. */
int freg_reg_stmt(struct conn *c, enum freg_sst id, const char *sql, sqlite3_stmt **out);
void freg_reg_stmt_done(sqlite3_stmt *st);

/* An SQLite result code as a porten error, logged with what. */
int freg_reg_err(struct conn *c, int rc, const char *what);

#endif
