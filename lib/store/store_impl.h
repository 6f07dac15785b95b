/* Private interface between lib/store/store.c and the storage backends.
 *
 * store.c validates every argument once (kind, key, prefix, doc) and turns documents
 * into their canonical text (json_dumps JSON_COMPACT|JSON_SORT_KEYS) before a backend
 * sees them; on the way back it parses text with JSON_REJECT_DUPLICATES. A backend
 * therefore stores and returns bytes only. Keys are valid UTF-8 without NUL, 1 to
 * PORTEN_STORE_KEY_MAX bytes, and compare bytewise (memcmp order) in every backend.
 *
 * A backend embeds struct porten_store as its first member and provides an open
 * function, listed in store.c's table of URI schemes. */
#ifndef PORTEN_STORE_IMPL_H
#define PORTEN_STORE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "porten/limits.h"
#include "porten/store.h"

/* Longest key (and list prefix) in bytes. */


/* One write of a batch, document already serialised. */
struct porten_store_wop {
	int op;                     /* PORTEN_OP_PUT, PORTEN_OP_INSERT, PORTEN_OP_DELETE */
	enum porten_doc_kind kind;
	const char *key;            /* NUL-terminated, keylen bytes */
	size_t keylen;
	const char *doc;            /* NUL-terminated, doclen bytes; NULL for DELETE */
	size_t doclen;
};

/* Called once per row (in key order for list). The strings are only valid during the
 * call. A non-zero return stops the scan and is returned by the backend as is. */
typedef int (*porten_store_row_fn)(void *ctx, const char *key, size_t keylen,
	const char *doc, size_t doclen);

struct porten_store_ops {
	const char *name;           /* porten_store_backend() */
	/* fn is called once if found; PORTEN_ERR_NOT_FOUND otherwise. */
	int (*get)(porten_store *s, enum porten_doc_kind kind, const char *key,
		size_t keylen, porten_store_row_fn fn, void *ctx);
	/* Optional: NULL means store.c sends a batch of one through apply. */
	int (*put)(porten_store *s, const struct porten_store_wop *op);
	int (*insert)(porten_store *s, const struct porten_store_wop *op);
	int (*delete)(porten_store *s, const struct porten_store_wop *op);
	/* Rows of kind whose key starts with the prefix bytes (prefixlen may be 0), in key
	 * order. At most limit rows are passed to fn; the backend may stop there. */
	int (*list)(porten_store *s, enum porten_doc_kind kind, const char *prefix,
		size_t prefixlen, size_t limit, porten_store_row_fn fn, void *ctx);
	/* Rows of kind whose key is >= from (fromlen may be 0), in key order, at most limit. */
	int (*list_from)(porten_store *s, enum porten_doc_kind kind, const char *from,
		size_t fromlen, size_t limit, porten_store_row_fn fn, void *ctx);
	/* All or nothing; n >= 1. INSERT on a taken key: PORTEN_ERR_EXISTS. DELETE of a
	 * missing key: PORTEN_ERR_NOT_FOUND. Ops apply in order, each seeing the ones
	 * before it. A successful batch changes the generation (once or more). */
	int (*apply)(porten_store *s, const struct porten_store_wop *ops, size_t n);
	int (*generation)(porten_store *s, uint64_t *gen);
	/* Entry expired iff expires <= now. */
	int (*replay_claim)(porten_store *s, const unsigned char key[32], int64_t expires,
		int64_t now);
	void (*close)(porten_store *s);
};

struct porten_store {
	const struct porten_store_ops *ops;
};

/* arg is what follows "sqlite:" in the URI. */
int porten_store_sqlite_open(const char *arg, porten_store **out);
/* arg is what follows "memory:"; must be empty. */
int porten_store_memory_open(const char *arg, porten_store **out);
/* uri is the whole "postgresql://..." or "postgres://..." URI (lib/store/pg.c). */
int porten_store_pg_open(const char *uri, porten_store **out);

#endif
