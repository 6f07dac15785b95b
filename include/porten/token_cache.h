/* The consumer's token cache: one file per (authorization server, client, signing key,
 * scope, consumer_org, resource) in a private directory, so that repeated commands reuse
 * an access token instead of making a grant each time.
 *
 * A file is named by the hex SHA-256 of its key (never by the token), holds the token
 * response {access_token, token_type, expires_in, scope} plus "expires_at" (unix seconds),
 * and is written atomically with mode 0600 in a directory created 0700. The files hold
 * bearer tokens, as the caches of other OAuth command-line tools do. A file that cannot be
 * read or parsed is a miss, never an error; the next store replaces it. */
#ifndef PORTEN_TOKEN_CACHE_H
#define PORTEN_TOKEN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porten/client.h"

#define PORTEN_TOKEN_CACHE_KEY_LEN 64   /* hex characters of a key */

/* The directory: dir when given, else $XDG_CACHE_HOME/porten (an absolute path), else
 * $HOME/.cache/porten. 0, PORTEN_ERR_NOT_FOUND (no HOME either) or PORTEN_ERR_TOO_LARGE. */
int porten_token_cache_dir(const char *dir, char *out, size_t outsz);

/* The key of a token: SHA-256 over authz_url, client_id, the signer (the registered kid,
 * or the SHA-256 of the leaf certificate), scope, consumer_org and resource, each length-
 * prefixed so that no two different tuples (nor absent and empty values) collide.
 * out receives 64 lowercase hex digits and a NUL. */
int porten_token_cache_key(const char *authz_url, const struct porten_client_credentials *cr,
                           const struct porten_grant_params *gp,
                           char out[PORTEN_TOKEN_CACHE_KEY_LEN + 1]);

/* True while a token of lifetime seconds that expires at expires_at may still be used at
 * now: more than max(PORTEN_TOKEN_CACHE_MIN_LEFT_S, lifetime / PORTEN_TOKEN_CACHE_LEFT_DIV)
 * seconds remain. */
bool porten_token_cache_fresh(int64_t now, int64_t expires_at, int64_t lifetime);

/* Whether dir may hold the cache: 0 when it is a directory (not a symlink) of the
 * effective user that neither group nor others can write to; PORTEN_ERR_NOT_FOUND when it
 * does not exist (yet); else PORTEN_ERR_CONFLICT (or PORTEN_ERR_IO) with why, when not
 * NULL, saying what is wrong. A cache in any other directory is not used. */
int porten_token_cache_dir_check(const char *dir, char *why, size_t whysz);

/* A fresh cached token for key: 0 with tok filled (expires_in as stored: the lifetime)
 * and *expires_at; PORTEN_ERR_NOT_FOUND when there is none, it is stale, or it has no
 * more than min_left seconds left; PORTEN_ERR_INVALID when the file is unreadable,
 * corrupt, not a regular file of ours (a symlink, a FIFO: never followed nor waited on);
 * PORTEN_ERR_CONFLICT when dir fails porten_token_cache_dir_check(). */
int porten_token_cache_get(const char *dir, const char *key, int64_t now, int64_t min_left,
                           struct porten_client_token *tok, int64_t *expires_at);
/* Stores tok (obtained at now) under key, creating dir (PORTEN_ERR_CONFLICT, nothing
 * written, when dir fails porten_token_cache_dir_check()). An entry that is a symlink is
 * replaced, never followed. Tokens without a positive expires_in are not stored
 * (PORTEN_ERR_INVALID). */
int porten_token_cache_put(const char *dir, const char *key, const struct porten_client_token *tok,
                           int64_t now);
/* Removes key's file; 0 also when there was none. */
int porten_token_cache_drop(const char *dir, const char *key);

#endif
