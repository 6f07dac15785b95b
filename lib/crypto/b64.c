/* Strict base64 (RFC 4648 section 4) and base64url (section 5, unpadded as in RFC 7515
 * section 2). Decoding is canonical: exactly one byte string decodes from one text, so
 * no padding where none belongs, no whitespace, no stray bits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "porten/b64.h"
#include "porten/error.h"

static const char b64url_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b64std_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for a character of the alphabet, -1 otherwise (including '=' and NUL). */
static int
b64_val(int url, unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Largest n whose padded encoding length, plus NUL, fits a size_t. */
#define B64_IN_MAX	((SIZE_MAX / 4 - 1) * 3)

size_t
porten_b64url_len(size_t n)
{
	static const size_t tail[3] = { 0, 2, 3 };

	if (n > B64_IN_MAX)
		return SIZE_MAX;
	return n / 3 * 4 + tail[n % 3];
}

size_t
porten_b64std_len(size_t n)
{
	if (n > B64_IN_MAX)
		return SIZE_MAX;
	return (n / 3 + (n % 3 != 0)) * 4;
}

size_t
porten_b64_decoded_max(size_t n)
{
	size_t rem = n % 4;

	/* 2 characters carry 1 byte, 3 carry 2; a lone character carries none. */
	return n / 4 * 3 + (rem > 1 ? rem - 1 : 0);
}

static int
b64_encode(const char *alpha, int pad, const unsigned char *in, size_t n, char *out,
    size_t outcap, size_t *outlen)
{
	size_t len, i, o = 0;
	uint32_t v;

	len = pad ? porten_b64std_len(n) : porten_b64url_len(n);
	if (len == SIZE_MAX || outcap <= len)
		return PORTEN_ERR_TOO_LARGE;
	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

int
porten_b64url_encode(const void *in, size_t n, char *out, size_t outcap, size_t *outlen)
{
	return b64_encode(b64url_alpha, 0, in, n, out, outcap, outlen);
}

int
porten_b64std_encode(const void *in, size_t n, char *out, size_t outcap, size_t *outlen)
{
	return b64_encode(b64std_alpha, 1, in, n, out, outcap, outlen);
}

int
porten_b64url_encode_alloc(const void *in, size_t n, char **out, size_t *outlen)
{
	size_t len;
	char *p;
	int r;

	*out = NULL;
	if ((len = porten_b64url_len(n)) == SIZE_MAX)
		return PORTEN_ERR_TOO_LARGE;
	if ((p = malloc(len + 1)) == NULL)
		return PORTEN_ERR_NOMEM;
	if ((r = porten_b64url_encode(in, n, p, len + 1, outlen)) != 0) {
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

/* Decodes n unpadded characters (n % 4 != 1, already checked). */
static int
b64_decode_bits(int url, const char *in, size_t n, unsigned char *out, size_t outcap,
    size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t need, i, o = 0;
	uint32_t v;
	int a, b, c, d;

	need = porten_b64_decoded_max(n);
	if (need > outcap)
		return PORTEN_ERR_TOO_LARGE;
	for (i = 0; i + 4 <= n; i += 4) {
		a = b64_val(url, s[i]);
		b = b64_val(url, s[i + 1]);
		c = b64_val(url, s[i + 2]);
		d = b64_val(url, s[i + 3]);
		if ((a | b | c | d) < 0)
			return PORTEN_ERR_INVALID;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
		out[o++] = (unsigned char)v;
	}
	if (n - i == 2) {
		a = b64_val(url, s[i]);
		b = b64_val(url, s[i + 1]);
		/* The low 4 bits of the last character are not part of any byte. */
		if ((a | b) < 0 || (b & 0x0f) != 0)
			return PORTEN_ERR_INVALID;
		out[o++] = (unsigned char)(a << 2 | b >> 4);
	} else if (n - i == 3) {
		a = b64_val(url, s[i]);
		b = b64_val(url, s[i + 1]);
		c = b64_val(url, s[i + 2]);
		/* The low 2 bits of the last character are not part of any byte. */
		if ((a | b | c) < 0 || (c & 0x03) != 0)
			return PORTEN_ERR_INVALID;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
	}
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

int
porten_b64url_decode(const char *in, size_t n, unsigned char *out, size_t outcap, size_t *outlen)
{
	if (n % 4 == 1)
		return PORTEN_ERR_INVALID;
	return b64_decode_bits(1, in, n, out, outcap, outlen);
}

int
porten_b64std_decode(const char *in, size_t n, unsigned char *out, size_t outcap, size_t *outlen)
{
	size_t npad = 0;

	if (n % 4 != 0)
		return PORTEN_ERR_INVALID;
	if (n > 0 && in[n - 1] == '=') {
		npad = 1;
		if (in[n - 2] == '=')
			npad = 2;
	}
	/* What precedes the padding must be plain alphabet: b64_decode_bits rejects '='. */
	return b64_decode_bits(0, in, n - npad, out, outcap, outlen);
}
