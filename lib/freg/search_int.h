/* Private to lib/freg: the search index's side of the register (lib/freg/search.c).
 * freg_register_ingest calls these inside its write transaction, on its connection;
 * the public queries are in include/porten/freg_search.h. The statement ids and texts
 * are here so that tests/unit/freg/test_search.c can check their query plans. */
#ifndef PORTEN_FREG_SEARCH_INT_H
#define PORTEN_FREG_SEARCH_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "porten/register.h"

struct conn;

/* search.c's statements, prepared lazily per connection (struct conn). */
enum freg_sst {
	/* index maintenance */
	SST_DEL_PERSON,
	SST_DEL_PAIR,
	SST_DEL_WORD,
	SST_DEL_ADDR,
	SST_DEL_FID,
	SST_INS_PERSON,
	SST_INS_PAIR,
	SST_INS_WORD,
	SST_INS_ADDR,
	SST_INS_FID,
	SST_SET_PID,
	SST_MERGED,
	SST_STATE_GET,
	SST_STATE_SET,
	SST_REBUILD_BATCH,
	/* entydigsoek: one statement per driving index */
	SST_ENTYDIG_NAME,
	SST_ENTYDIG_NAME_FDATO,
	SST_ENTYDIG_IDENT,
	SST_ENTYDIG_FID,
	/* soek: one statement per driving index, and the estimates that choose it */
	SST_SOEK_ALL,
	SST_SOEK_FDATO,
	SST_SOEK_WORD,
	SST_SOEK_WORD2,
	SST_SOEK_STREET,
	SST_SOEK_POST,
	SST_SOEK_KOMM,
	SST_CNT_FDATO,
	SST_CNT_WORD,
	SST_CNT_STREET,
	SST_CNT_POST,
	SST_CNT_KOMM,
	/* uttrekk */
	SST_TILPASSET,
	SST_READ_BEGIN,
	SST_READ_END,
	SST_KOMPLETT_HEAD,
	SST_KOMPLETT_EVENT,
	SST_KOMPLETT_DOC,
	SST_KOMPLETT_CUR,
	SST_KOMPLETT_ASOF,
	SST_COUNT
};

/* The SQL text of a statement (for EXPLAIN QUERY PLAN in tests). */
const char *freg_search_sql(enum freg_sst id);

/* Rewrites the index rows of person (current identifier pid) from doc, its new current
 * version. replace: the person may have rows already (false only for a person created
 * in this transaction). */
int freg_search_index(struct conn *c, int64_t person, const char *pid, const json_t *doc,
                      bool replace);

/* A person's identifier changed without a new version. */
int freg_search_set_pid(struct conn *c, int64_t person, const char *pid);

/* person was merged into another by the event with rowid event: its rows go. */
int freg_search_merged(struct conn *c, int64_t person, int64_t event);

/* The same for another backend (lib/freg/register_pg.c): rows go through put, which
 * runs statement id of that backend with parameters by fmt: 'i' int64_t, 's' const char *
 * (NULL = SQL NULL), 'o' an int "has" then an int64_t (SQL NULL unless has). The SQLite
 * functions above are these with the connection as the sink. */
typedef int (*freg_ix_put)(void *sink, enum freg_sst id, const char *fmt, ...);
int freg_search_index_to(freg_ix_put put, void *sink, int64_t person, const char *pid,
                         const json_t *doc, bool replace);
int freg_search_merged_to(freg_ix_put put, void *sink, int64_t person, int64_t event);

/* At open: indexes the persons of a register written before the index existed
 * (freg_s_state.built 0), in batches of one write transaction each. */
int freg_search_ensure(freg_register *r);

#endif
