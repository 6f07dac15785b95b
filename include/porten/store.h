/* Storage. One opaque handle over a backend chosen by URI:
 *   "sqlite:/path/to/file.db"  SQLite in WAL mode (the embedded default)
 *   "memory:"                  in-process, for tests and throwaway sandboxes
 *   "postgresql://..."         PostgreSQL, libpq's URI syntax ("postgres://" too), with an
 *                              optional pool=N parameter (connections; default 8); any
 *                              number of processes may share one database
 * Thread-safe: any number of threads may call any function concurrently.
 *
 * The administrative model of Maskinporten (scopes, access, clients, client keys,
 * delegations) is kept as JSON documents, each under a kind and a key. Documents are
 * small and few (thousands); the token endpoint reads them, the admin API writes them.
 * Replay protection has its own atomic operation. */
#ifndef PORTEN_STORE_H
#define PORTEN_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

typedef struct porten_store porten_store;

enum porten_doc_kind {
	PORTEN_DOC_SCOPE = 0,      /* key: scope name "prefix:subscope" */
	PORTEN_DOC_ACCESS,         /* key: "<scope>\n<consumer_orgno>" */
	PORTEN_DOC_CLIENT,         /* key: client_id */
	PORTEN_DOC_CLIENT_JWKS,    /* key: client_id; {"keys":[...]} each with "created" */
	PORTEN_DOC_KID,            /* key: kid; {"client_id": ...} (global kid uniqueness) */
	PORTEN_DOC_DELEGATION,     /* key: "<consumer>\n<supplier>\n<scope>" */
	PORTEN_DOC_PREFIX,         /* key: scope prefix; {"owner_orgno": ...} */
	PORTEN_DOC_AUDIT,          /* key: time-ordered id (lib/authz/admin.c); one admin change */
	PORTEN_DOC_SIGNING_KEY,    /* key: 10-digit sequence number; the authorization server's
	                            * own signing keys when they live in a shared database
	                            * (lib/authz/keyring.c), private key sealed */
	PORTEN_DOC_KIND_COUNT
};

/* Opens (creating if needed) and migrates to the newest schema. */
int porten_store_open(const char *uri, porten_store **out);
void porten_store_close(porten_store *s);
/* "sqlite", "memory", "postgresql". */
const char *porten_store_backend(const porten_store *s);

/* *out is a new reference (json_decref it); the store keeps nothing of it. */
int porten_store_get(porten_store *s, enum porten_doc_kind kind, const char *key, json_t **out);
/* Insert or replace. */
int porten_store_put(porten_store *s, enum porten_doc_kind kind, const char *key, const json_t *doc);
/* Insert only; PORTEN_ERR_EXISTS if the key is taken. */
int porten_store_insert(porten_store *s, enum porten_doc_kind kind, const char *key, const json_t *doc);
int porten_store_delete(porten_store *s, enum porten_doc_kind kind, const char *key); /* NOT_FOUND */
/* All docs of kind whose key starts with prefix (NULL or "" = all), ordered by key, as a
 * JSON array of {"key": ..., "doc": ...}; at most PORTEN_STORE_LIST_MAX. */
int porten_store_list(porten_store *s, enum porten_doc_kind kind, const char *prefix, json_t **out);

/* Page through a kind in key order: docs whose key is > after (NULL or "": from the
 * first), at most limit (1..PORTEN_STORE_LIST_MAX), same shape as porten_store_list. */
int porten_store_list_after(porten_store *s, enum porten_doc_kind kind, const char *after,
                            size_t limit, json_t **out);

/* Several writes as one transaction: all or nothing. */
struct porten_store_op {
	enum { PORTEN_OP_PUT, PORTEN_OP_INSERT, PORTEN_OP_DELETE } op;
	enum porten_doc_kind kind;
	const char *key;
	const json_t *doc;          /* NULL for DELETE */
};
int porten_store_apply(porten_store *s, const struct porten_store_op *ops, size_t n);

/* A counter that changes whenever any document changes (in this process or, for shared
 * backends, any process). Caches key on it. */
int porten_store_generation(porten_store *s, uint64_t *gen);

/* Replay protection. Records key (e.g. SHA-256 of iss and jti) until expires.
 * 0 if it was not seen (now recorded), PORTEN_ERR_EXISTS if it was seen and has not
 * expired. Atomic across threads and, for shared backends, processes. Durable once it
 * returns 0. Expired entries are purged opportunistically. */
int porten_store_replay_claim(porten_store *s, const unsigned char key[32], int64_t expires, int64_t now);

#endif
