/* Authenticated encryption of small secrets at rest (signing keys kept in a shared
 * database): AES-256-GCM under a key derived from a secret file, a fresh random 96-bit
 * nonce per seal, and associated data that binds the ciphertext to what it belongs to
 * (a kid), so a sealed value moved to another row does not open.
 *
 * Sealed text: "v1." base64url(nonce || ciphertext || tag). */
#ifndef PORTEN_SEAL_H
#define PORTEN_SEAL_H

#include <stddef.h>

#define PORTEN_SEAL_KEY_SIZE 32
#define PORTEN_SEAL_SECRET_MIN 32       /* bytes of secret file, at least */
#define PORTEN_SEAL_SECRET_MAX 4096

/* The sealing key of a secret (>= PORTEN_SEAL_SECRET_MIN bytes): SHA-256 over a fixed
 * label and the secret. */
int porten_seal_key(const void *secret, size_t n, unsigned char key[PORTEN_SEAL_KEY_SIZE]);
/* *out: malloc'd NUL-terminated sealed text. */
int porten_seal(const unsigned char key[PORTEN_SEAL_KEY_SIZE], const void *plain, size_t n,
                const char *aad, char **out);
/* *out: malloc'd plaintext of *n bytes plus a NUL (wipe it with porten_wipe before free).
 * PORTEN_ERR_CRYPTO when the key or aad is not the one it was sealed with, or the text
 * was altered. */
int porten_unseal(const unsigned char key[PORTEN_SEAL_KEY_SIZE], const char *sealed, const char *aad,
                  char **out, size_t *n);

#endif
