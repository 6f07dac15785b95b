/* Randomness from OpenSSL's CSPRNG. */
#ifndef PORTEN_RAND_H
#define PORTEN_RAND_H

#include <stddef.h>

int porten_random_bytes(void *out, size_t n);
/* n random bytes as lowercase hex (2n chars + NUL). */
int porten_random_hex(char *out, size_t n);
/* 32 random bytes as base64url (43 chars + NUL): token ids. */
int porten_random_id43(char out[44]);
/* RFC 4122 version 4 UUID, lowercase (36 chars + NUL). */
int porten_random_uuid(char out[37]);
/* SHA-256 of data. */
int porten_sha256(const void *data, size_t n, unsigned char out[32]);

#endif
