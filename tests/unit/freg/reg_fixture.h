/* The fixture the register's and the search's unit tests share: a register in a fresh
 * temporary directory (SQLite) or, with --pg, in a fresh database on PORTEN_TEST_PG,
 * opened with the clock pinned at T0. */
#ifndef PORTEN_TEST_REG_FIXTURE_H
#define PORTEN_TEST_REG_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "porten/clock.h"
#include "porten/register.h"
#include "pg/pg_testdb.h"

#define T0 INT64_C(1767225600)           /* 2026-01-01T00:00:00Z */

struct fx {
	char dir[64];
	char db[128];
	char uri[512];
	char pgname[40];        /* the test's PostgreSQL database ("" on SQLite) */
	freg_register *r;
};

/* mkdtemp template such as "/tmp/porten-reg-XXXXXX". 0 or -1 (cmocka setup result). */
static inline int
reg_fixture_setup(void **state, const char *tmpl, bool on_pg)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s", tmpl);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/reg.db", f->dir);
	snprintf(f->uri, sizeof(f->uri), "sqlite:%s", f->db);
	if (on_pg && pg_testdb_create(f->uri, sizeof(f->uri), f->pgname) != 0)
		return -1;
	porten_clock_pin(T0);
	if (freg_register_open(f->uri, &f->r) != 0)
		return -1;
	*state = f;
	return 0;
}

#endif
