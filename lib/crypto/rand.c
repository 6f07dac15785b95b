/* Randomness and hashing through OpenSSL: the CSPRNG (RAND_bytes) and SHA-256. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "porten/b64.h"
#include "porten/error.h"
#include "porten/rand.h"

int
porten_random_bytes(void *out, size_t n)
{
	unsigned char *p = out;
	size_t chunk;

	while (n > 0) {
		chunk = n > INT_MAX ? INT_MAX : n;
		if (RAND_bytes(p, (int)chunk) != 1) {
			ERR_clear_error();
			return PORTEN_ERR_CRYPTO;
		}
		p += chunk;
		n -= chunk;
	}
	return 0;
}

int
porten_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[64];
	size_t chunk, i, o = 0;
	int r = PORTEN_ERR_INTERNAL;

	out[0] = '\0';
	while (n > 0) {
		chunk = n > sizeof(buf) ? sizeof(buf) : n;
		if ((r = porten_random_bytes(buf, chunk)) != 0)
			goto out;
		for (i = 0; i < chunk; i++) {
			out[o++] = hex[buf[i] >> 4];
			out[o++] = hex[buf[i] & 0x0f];
		}
		n -= chunk;
	}
	out[o] = '\0';
	r = 0;
out:
	if (r != 0)
		out[0] = '\0';
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

int
porten_random_id43(char out[44])
{
	unsigned char buf[32];
	int r = PORTEN_ERR_INTERNAL;

	out[0] = '\0';
	if ((r = porten_random_bytes(buf, sizeof(buf))) != 0)
		goto out;
	if ((r = porten_b64url_encode(buf, sizeof(buf), out, 44, NULL)) != 0)
		goto out;
	r = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

int
porten_random_uuid(char out[37])
{
	unsigned char b[16];
	int r = PORTEN_ERR_INTERNAL;

	out[0] = '\0';
	if ((r = porten_random_bytes(b, sizeof(b))) != 0)
		goto out;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);	/* variant 10xx (RFC 4122) */
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
	    b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	r = 0;
out:
	OPENSSL_cleanse(b, sizeof(b));
	return r;
}

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	ERR_clear_error();
}

int
porten_sha256(const void *data, size_t n, unsigned char out[32])
{
	unsigned int len = 0;

	if (pthread_once(&sha256_once, sha256_fetch) != 0 || sha256_md == NULL)
		return PORTEN_ERR_CRYPTO;
	if (EVP_Digest(data, n, out, &len, sha256_md, NULL) != 1 || len != 32) {
		ERR_clear_error();
		return PORTEN_ERR_CRYPTO;
	}
	return 0;
}
