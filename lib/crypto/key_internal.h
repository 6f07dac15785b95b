/* For lib/crypto only: the EVP_PKEY behind a porten_key. */
#ifndef PORTEN_CRYPTO_KEY_INTERNAL_H
#define PORTEN_CRYPTO_KEY_INTERNAL_H

#include <openssl/evp.h>

#include "porten/key.h"

/* The key's EVP_PKEY, borrowed: valid while k is referenced. Treat as read-only; it is
 * shared by every thread holding k. NULL when k is NULL. */
EVP_PKEY *porten_key_evp(const porten_key *k);

/* Wraps pk in a new porten_key with one reference. Takes ownership of pk in every case:
 * on failure pk has been freed and *out is NULL. A legacy (non-provider) key is converted
 * to a provider key so that later operations do not re-export it. 0, PORTEN_ERR_INVALID
 * (pk NULL), PORTEN_ERR_NOMEM or PORTEN_ERR_CRYPTO. */
int porten_key_wrap(EVP_PKEY *pk, porten_key **out);

#endif
