/* Strict base64 codecs for JOSE.
 * base64url (RFC 7515 2): no padding accepted or produced; a length of 1 mod 4, any
 * character outside the alphabet, or non-zero unused trailing bits is an error.
 * standard base64 (RFC 4648 4, used by x5c): padding required, no whitespace. */
#ifndef PORTEN_B64_H
#define PORTEN_B64_H

#include <stddef.h>

/* Encoded length, without the terminating NUL. */
size_t porten_b64url_len(size_t n);
size_t porten_b64std_len(size_t n);
/* Upper bound of the decoded length of n input bytes. */
size_t porten_b64_decoded_max(size_t n);

/* Encoders write a NUL-terminated string; outcap must hold len + 1.
 * Return 0 or PORTEN_ERR_TOO_LARGE. */
int porten_b64url_encode(const void *in, size_t n, char *out, size_t outcap, size_t *outlen);
int porten_b64std_encode(const void *in, size_t n, char *out, size_t outcap, size_t *outlen);
/* Allocating variants: *out is malloc'd and NUL-terminated. */
int porten_b64url_encode_alloc(const void *in, size_t n, char **out, size_t *outlen);

/* Decoders: 0, PORTEN_ERR_INVALID (bad input) or PORTEN_ERR_TOO_LARGE (outcap too small).
 * The input is (in, n): it need not be NUL-terminated. */
int porten_b64url_decode(const char *in, size_t n, unsigned char *out, size_t outcap, size_t *outlen);
int porten_b64std_decode(const char *in, size_t n, unsigned char *out, size_t outcap, size_t *outlen);

#endif
