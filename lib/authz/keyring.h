/* The authorization server's own signing keys, kept in a directory:
 *   <kid>.key.pem  private key, mode 0600
 *   <kid>.crt.pem  self-signed certificate of the key (published as x5c in /jwk)
 *   <kid>.json     {"kid", "created", "activates"} (unix seconds): when the key was made
 *                  and from when it signs. A key without this file signs from time 0.
 * kid is the key's RFC 7638 thumbprint.
 *
 * Rotation (docs/admin-api.md): a new key is published at once and signs from
 * activates = now + publish_ahead. At any time the signer is the key with the largest
 * activates <= now (ties: the larger kid); if none has activated yet (the clock was set
 * back), the earliest one. A key stops signing when its successor activates; it stays
 * published until successor.activates + PORTEN_TOKEN_LIFETIME_MAX + PORTEN_CLOCK_SKEW_S,
 * after which it is no longer published and its files are removed at the next rotation.
 *
 * Thread-safe: every function may be called from any thread. Several processes may share
 * one directory: rotation takes an flock on DIR/.lock, and az_keyring_refresh re-reads the
 * directory when it changed, so a rotation by one process reaches the others. */
#ifndef PORTEN_AUTHZ_KEYRING_H
#define PORTEN_AUTHZ_KEYRING_H

#include <stdint.h>
#include <jansson.h>
#include "porten/key.h"
#include "porten/store.h"

typedef struct az_keyring az_keyring;

/* The same ring kept in a store instead of a directory (porten authz on PostgreSQL, where
 * several instances share one database): one PORTEN_DOC_SIGNING_KEY document per key,
 * keyed by a 10-digit sequence number, {"kid", "created", "activates", "crt" (PEM),
 * "key" (the private key PEM sealed with seal_key, porten/seal.h, bound to its kid)}.
 * Rotation inserts the next sequence number, so two instances rotating at once both
 * succeed one after the other and two instances opening an empty store at once end up
 * with one key; az_keyring_refresh re-reads when the store generation moved (every
 * call: a rotation by one instance is used by all at their next request). Open fails
 * with PORTEN_ERR_CRYPTO when a stored key does not open with seal_key. */
int az_keyring_open_store(porten_store *store, const unsigned char seal_key[32], const char *cn,
                          int64_t now, az_keyring **out);

/* Opens DIR (created 0700); a missing or empty directory gets a fresh RSA-2048 key that
 * signs from now. cn names the self-signed certificates. */
int az_keyring_open(const char *dir, const char *cn, int64_t now, az_keyring **out);
void az_keyring_free(az_keyring *kr);

/* The signing key at time now: a new reference (porten_key_unref it) and its kid. */
int az_keyring_signer(az_keyring *kr, int64_t now, porten_key **key, char kid[64]);

/* A published key by kid, for verifying tokens this server issued: a new reference, or
 * PORTEN_ERR_NOT_FOUND when kid is not published at time now. */
int az_keyring_find(az_keyring *kr, int64_t now, const char *kid, porten_key **key);

/* {"keys":[{kty,kid,use,alg,n,e,x5c}...]} of the keys published at now (new reference),
 * in activation order. */
json_t *az_keyring_jwks(az_keyring *kr, int64_t now);

/* Generates a key that is published at once and signs from now + publish_ahead
 * (0 <= publish_ahead <= PORTEN_KEY_PUBLISH_AHEAD_MAX), writes its three files
 * atomically (key 0600, the .json last), removes the files of keys no longer published,
 * and reloads. kid_out gets the new kid. PORTEN_ERR_INVALID for a bad publish_ahead,
 * PORTEN_ERR_TOO_LARGE when more than PORTEN_KEYRING_MAX keys would be published. */
int az_keyring_rotate(az_keyring *kr, int64_t now, int64_t publish_ahead, char kid_out[64]);

/* [{"kid", "state": "next"|"active"|"previous", "created", "activates",
 *   "signs_until" (null while open-ended), "published_until" (null while open-ended)}]
 * with ISO 8601 times, for the keys published at now, in activation order (new ref). */
json_t *az_keyring_list(az_keyring *kr, int64_t now);

/* Re-reads the directory if it changed since the last read (one stat; at most once per
 * second of monotonic time unless force). 0, or an error that leaves the current keys. */
int az_keyring_refresh(az_keyring *kr, int force);

#endif
