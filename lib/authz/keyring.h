/* The authorization server's own signing keys, kept in a directory:
 *   <kid>.key.pem  private key, mode 0600
 *   <kid>.crt.pem  self-signed certificate of the key (published as x5c in /jwk)
 * kid is the key's RFC 7638 thumbprint. The newest key (by file mtime) signs; all are
 * published. A missing directory or an empty one gets a fresh RSA-2048 key. */
#ifndef PORTEN_AUTHZ_KEYRING_H
#define PORTEN_AUTHZ_KEYRING_H

#include <jansson.h>
#include "porten/key.h"

typedef struct az_keyring az_keyring;

int az_keyring_open(const char *dir, const char *cn, az_keyring **out);
void az_keyring_free(az_keyring *kr);
/* The signing key (borrowed; valid until az_keyring_free) and its kid. */
const porten_key *az_keyring_signer(const az_keyring *kr, const char **kid);
/* {"keys":[{kty,kid,use,alg,n,e,x5c}...]} (new reference). */
json_t *az_keyring_jwks(const az_keyring *kr);

#endif
