/* AES-256-GCM sealing of small secrets (seal.h). */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "porten/b64.h"
#include "porten/buf.h"
#include "porten/error.h"
#include "porten/rand.h"
#include "porten/seal.h"

#define NONCE 12
#define TAG 16
#define PLAIN_MAX (1024 * 1024)
#define LABEL "porten seal v1"

int
porten_seal_key(const void *secret, size_t n, unsigned char key[PORTEN_SEAL_KEY_SIZE])
{
	unsigned char buf[sizeof(LABEL) + PORTEN_SEAL_SECRET_MAX];
	int r;

	if (secret == NULL || n < PORTEN_SEAL_SECRET_MIN || n > PORTEN_SEAL_SECRET_MAX)
		return PORTEN_ERR_INVALID;
	memcpy(buf, LABEL, sizeof(LABEL));
	memcpy(buf + sizeof(LABEL), secret, n);
	r = porten_sha256(buf, sizeof(LABEL) + n, key) != 0 ? PORTEN_ERR_CRYPTO : 0;
	porten_wipe(buf, sizeof(buf));
	return r;
}

/* enc: 1 to seal, 0 to open. in/out of n bytes; tag is written (seal) or checked (open). */
static int
gcm(int enc, const unsigned char *key, const unsigned char *nonce, const char *aad,
    const unsigned char *in, size_t n, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len, r = PORTEN_ERR_CRYPTO;

	if (c == NULL)
		return PORTEN_ERR_NOMEM;
	if (n > PLAIN_MAX || strlen(aad) > PLAIN_MAX)
		goto out;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
	    (n > 0 && EVP_CipherUpdate(c, out, &len, in, (int)n) != 1))
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + n, &len) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, tag) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

int
porten_seal(const unsigned char key[PORTEN_SEAL_KEY_SIZE], const void *plain, size_t n,
            const char *aad, char **out)
{
	unsigned char *raw = NULL;
	char *b64 = NULL, *s = NULL;
	size_t blen;
	int r;

	*out = NULL;
	if (n > PLAIN_MAX || aad == NULL)
		return PORTEN_ERR_INVALID;
	if ((raw = malloc(NONCE + n + TAG)) == NULL)
		return PORTEN_ERR_NOMEM;
	if ((r = porten_random_bytes(raw, NONCE)) != 0 ||
	    (r = gcm(1, key, raw, aad, plain, n, raw + NONCE, raw + NONCE + n)) != 0 ||
	    (r = porten_b64url_encode_alloc(raw, NONCE + n + TAG, &b64, &blen)) != 0)
		goto out;
	if ((s = malloc(blen + 4)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	memcpy(s, "v1.", 3);
	memcpy(s + 3, b64, blen + 1);
	*out = s;
	r = 0;
out:
	free(b64);
	free(raw);
	return r;
}

int
porten_unseal(const unsigned char key[PORTEN_SEAL_KEY_SIZE], const char *sealed, const char *aad,
              char **out, size_t *n)
{
	unsigned char *raw = NULL;
	char *plain = NULL;
	size_t slen, rlen = 0, pn;
	int r = PORTEN_ERR_CRYPTO;

	*out = NULL;
	*n = 0;
	if (sealed == NULL || aad == NULL || strncmp(sealed, "v1.", 3) != 0)
		return PORTEN_ERR_CRYPTO;
	slen = strlen(sealed + 3);
	if (slen > PLAIN_MAX * 2)
		return PORTEN_ERR_TOO_LARGE;
	if ((raw = malloc(porten_b64_decoded_max(slen) + 1)) == NULL)
		return PORTEN_ERR_NOMEM;
	if (porten_b64url_decode(sealed + 3, slen, raw, porten_b64_decoded_max(slen) + 1, &rlen) != 0 ||
	    rlen < NONCE + TAG)
		goto out;
	pn = rlen - NONCE - TAG;
	if ((plain = malloc(pn + 1)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	if ((r = gcm(0, key, raw, aad, raw + NONCE, pn, (unsigned char *)plain,
	             raw + NONCE + pn)) != 0) {
		porten_wipe(plain, pn + 1);
		free(plain);
		plain = NULL;
		r = PORTEN_ERR_CRYPTO;
		goto out;
	}
	plain[pn] = '\0';
	*out = plain;
	*n = pn;
	r = 0;
out:
	free(raw);
	return r;
}
