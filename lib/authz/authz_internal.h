/* Private to lib/authz. */
#ifndef PORTEN_AUTHZ_INTERNAL_H
#define PORTEN_AUTHZ_INTERNAL_H

#include <pthread.h>
#include "porten/authz.h"
#include "porten/key.h"
#include "authz/keyring.h"

#define AZ_JWK_CACHE_SLOTS 1024
#define AZ_DOC_CACHE_SLOTS 4096

/* A stored document as of one store generation; doc NULL records "not found". */
struct az_doc_slot {
	uint64_t gen;
	int kind;              /* -1: empty */
	char *key;
	json_t *doc;
};

struct az_jwk_slot {
	unsigned char hash[32];     /* SHA-256 of kty|n|e */
	porten_key *key;
};

struct porten_authz {
	struct porten_authz_config cfg;
	char *issuer;
	char *issuer_noslash;       /* NULL when the issuer has no trailing slash */
	int64_t token_lifetime;
	az_keyring *keys;
	pthread_mutex_t jwk_lock;
	struct az_jwk_slot jwk_cache[AZ_JWK_CACHE_SLOTS];
	pthread_mutex_t doc_lock;
	uint64_t doc_seed;          /* random: slots cannot be chosen from outside */
	struct az_doc_slot doc_cache[AZ_DOC_CACHE_SLOTS];
};

/* porten_store_get through a cache valid for store generation gen (read once per request
 * with porten_store_generation). Same results and reference rules as porten_store_get. */
int az_doc_get(porten_authz *az, uint64_t gen, enum porten_doc_kind kind, const char *key, json_t **out);

/* A registered JWK as a key, parsed once and cached by its exact n and e. */
int az_jwk_cached(porten_authz *az, const json_t *jwk, porten_key **out);
/* SHA-256 over ("jti", iss, jti) or, without a jti, ("assertion", the whole grant). */
int az_replay_key(const char *iss, const char *jti, const char *assertion, size_t len,
                  unsigned char out[32]);

#endif
