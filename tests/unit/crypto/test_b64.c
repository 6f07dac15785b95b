#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "porten/b64.h"
#include "porten/error.h"

/* RFC 4648 section 10. */
static const struct {
	const char *plain, *std, *url;
} rfc4648[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};
#define NVEC	(sizeof(rfc4648) / sizeof(rfc4648[0]))

static void
test_rfc4648_encode(void **state)
{
	char out[32];
	size_t i, len;

	for (i = 0; i < NVEC; i++) {
		size_t n = strlen(rfc4648[i].plain);

		assert_int_equal(porten_b64std_len(n), strlen(rfc4648[i].std));
		assert_int_equal(porten_b64url_len(n), strlen(rfc4648[i].url));
		memset(out, 'X', sizeof(out));
		assert_int_equal(porten_b64std_encode(rfc4648[i].plain, n, out, sizeof(out), &len), 0);
		assert_string_equal(out, rfc4648[i].std);
		assert_int_equal(len, strlen(rfc4648[i].std));
		memset(out, 'X', sizeof(out));
		assert_int_equal(porten_b64url_encode(rfc4648[i].plain, n, out, sizeof(out), &len), 0);
		assert_string_equal(out, rfc4648[i].url);
		assert_int_equal(len, strlen(rfc4648[i].url));
	}
}

static void
test_rfc4648_decode(void **state)
{
	unsigned char out[32];
	size_t i, len;

	for (i = 0; i < NVEC; i++) {
		size_t n = strlen(rfc4648[i].plain);

		len = 999;
		assert_int_equal(porten_b64std_decode(rfc4648[i].std, strlen(rfc4648[i].std), out,
		    sizeof(out), &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, rfc4648[i].plain, n);
		len = 999;
		assert_int_equal(porten_b64url_decode(rfc4648[i].url, strlen(rfc4648[i].url), out,
		    sizeof(out), &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, rfc4648[i].plain, n);
	}
}

static void
test_alphabets(void **state)
{
	static const unsigned char bin[] = { 0xfb, 0xff, 0xbf, 0xfe };
	unsigned char out[8];
	char enc[16];
	size_t len;

	assert_int_equal(porten_b64std_encode(bin, 2, enc, sizeof(enc), &len), 0);
	assert_string_equal(enc, "+/8=");
	assert_int_equal(porten_b64url_encode(bin, 2, enc, sizeof(enc), &len), 0);
	assert_string_equal(enc, "-_8");
	assert_int_equal(porten_b64url_encode(bin, 4, enc, sizeof(enc), &len), 0);
	assert_string_equal(enc, "-_-__g");
	assert_int_equal(porten_b64url_decode("-_-__g", 6, out, sizeof(out), &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(out, bin, 4);
	assert_int_equal(porten_b64std_decode("+/8=", 4, out, sizeof(out), &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(out, bin, 2);
	/* Each decoder refuses the other's alphabet. */
	assert_int_equal(porten_b64url_decode("+/8", 3, out, sizeof(out), &len), PORTEN_ERR_INVALID);
	assert_int_equal(porten_b64std_decode("-_8=", 4, out, sizeof(out), &len), PORTEN_ERR_INVALID);
}

static void
test_url_rejects(void **state)
{
	static const char *bad[] = {
		"Zg==",        /* padding */
		"Zm8=",        /* padding */
		"Zm9vYg=",     /* padding */
		"Z",           /* 1 mod 4 */
		"Zm9vY",       /* 1 mod 4 */
		"Zh",          /* non-zero trailing bits (4 unused) */
		"Zm9",         /* non-zero trailing bits (2 unused) */
		"Zm9vYh",
		"Zm+v",
		"Zm/v",
		"Zm v",
		"Zm9v\n",
		" Zm9v",
		"Zm.v",
		"Zm\xc3\xa9v",
	};
	unsigned char out[32];
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(porten_b64url_decode(bad[i], strlen(bad[i]), out, sizeof(out),
		    &len), PORTEN_ERR_INVALID);
	/* An embedded NUL is just another byte outside the alphabet. */
	assert_int_equal(porten_b64url_decode("Zm\0v", 4, out, sizeof(out), &len), PORTEN_ERR_INVALID);
}

static void
test_std_rejects(void **state)
{
	static const char *bad[] = {
		"Zg",          /* missing padding */
		"Zm8",
		"Zg=",
		"Zg=x",
		"Z===",
		"====",
		"Zm9v\n",
		" Zm9v",
		"Zm9v ",
		"Zm9vYg==\n",
		"Zh==",        /* non-zero trailing bits */
		"Zm9=",
		"Zm8=Zm8=",    /* padding in the middle */
		"Zg==Zm9v",
		"Zm9v====",
		"Z\r\nm9v",
	};
	unsigned char out[32];
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(porten_b64std_decode(bad[i], strlen(bad[i]), out, sizeof(out),
		    &len), PORTEN_ERR_INVALID);
}

static void
test_not_nul_terminated(void **state)
{
	unsigned char out[16];
	char *in;
	size_t len;

	/* Exactly 8 bytes on the heap, no terminator: ASan catches any over-read. */
	in = malloc(8);
	assert_non_null(in);
	memcpy(in, "Zm9vYmFy", 8);
	assert_int_equal(porten_b64url_decode(in, 8, out, sizeof(out), &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(porten_b64std_decode(in, 8, out, sizeof(out), &len), 0);
	assert_int_equal(len, 6);
	/* A prefix of a longer string decodes on its own ("Zm9vYm" has stray bits). */
	assert_int_equal(porten_b64url_decode(in, 4, out, sizeof(out), &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(out, "foo", 3);
	assert_int_equal(porten_b64url_decode(in, 6, out, sizeof(out), &len), PORTEN_ERR_INVALID);
	free(in);
}

static void
test_capacity(void **state)
{
	unsigned char out[8];
	char enc[8];
	size_t len;

	/* Encoders need room for the NUL too. */
	assert_int_equal(porten_b64url_encode("foobar", 6, enc, 8, &len), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(porten_b64url_encode("foobar", 6, enc, 9 - 1, &len), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(porten_b64std_encode("f", 1, enc, 4, &len), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(porten_b64std_encode("f", 1, enc, 5, &len), 0);
	assert_string_equal(enc, "Zg==");
	assert_int_equal(porten_b64url_encode("f", 1, enc, 3, &len), 0);
	assert_string_equal(enc, "Zg");
	/* Decoders: exact capacity is enough, one less is not. */
	assert_int_equal(porten_b64url_decode("Zm9vYmFy", 8, out, 5, &len), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(porten_b64url_decode("Zm9vYmFy", 8, out, 6, &len), 0);
	assert_int_equal(porten_b64url_decode("Zm9vYmE", 7, out, 4, &len), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(porten_b64url_decode("Zm9vYmE", 7, out, 5, &len), 0);
	assert_int_equal(porten_b64std_decode("Zm9vYmE=", 8, out, 4, &len), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(porten_b64std_decode("Zm9vYmE=", 8, out, 5, &len), 0);
	assert_int_equal(len, 5);
	assert_int_equal(porten_b64url_decode("", 0, NULL, 0, &len), 0);
	assert_int_equal(len, 0);
}

static void
test_lengths(void **state)
{
	assert_int_equal(porten_b64url_len(0), 0);
	assert_int_equal(porten_b64url_len(32), 43);
	assert_int_equal(porten_b64url_len(256), 342);
	assert_int_equal(porten_b64std_len(32), 44);
	assert_int_equal(porten_b64std_len(256), 344);
	assert_int_equal(porten_b64_decoded_max(0), 0);
	assert_int_equal(porten_b64_decoded_max(1), 0);
	assert_int_equal(porten_b64_decoded_max(2), 1);
	assert_int_equal(porten_b64_decoded_max(3), 2);
	assert_int_equal(porten_b64_decoded_max(4), 3);
	assert_int_equal(porten_b64_decoded_max(43), 32);
	assert_int_equal(porten_b64_decoded_max(342), 256);
	assert_int_equal(porten_b64_decoded_max(344), 258);
	assert_int_equal(porten_b64url_len(SIZE_MAX), SIZE_MAX);
}

static void
test_encode_alloc(void **state)
{
	char *s = NULL;
	size_t len = 0;

	assert_int_equal(porten_b64url_encode_alloc("fooba", 5, &s, &len), 0);
	assert_non_null(s);
	assert_string_equal(s, "Zm9vYmE");
	assert_int_equal(len, 7);
	free(s);
	assert_int_equal(porten_b64url_encode_alloc("", 0, &s, &len), 0);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
}

/* Every length 0..300 and every byte value round-trips through both codecs. */
static void
test_roundtrip(void **state)
{
	unsigned char in[300], out[300];
	char enc[512];
	size_t n, i, len, dlen;
	uint32_t x = 12345;

	for (n = 0; n < sizeof(in); n++) {
		for (i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			in[i] = (unsigned char)(x >> 16);
		}
		if (n >= 256)
			for (i = 0; i < 256; i++)
				in[i] = (unsigned char)i;
		assert_int_equal(porten_b64url_encode(in, n, enc, sizeof(enc), &len), 0);
		assert_int_equal(len, porten_b64url_len(n));
		assert_int_equal(strlen(enc), len);
		assert_null(memchr(enc, '=', len));
		assert_int_equal(porten_b64url_decode(enc, len, out, sizeof(out), &dlen), 0);
		assert_int_equal(dlen, n);
		assert_memory_equal(in, out, n);
		assert_int_equal(porten_b64std_encode(in, n, enc, sizeof(enc), &len), 0);
		assert_int_equal(len, porten_b64std_len(n));
		assert_int_equal(len % 4, 0);
		assert_int_equal(porten_b64std_decode(enc, len, out, sizeof(out), &dlen), 0);
		assert_int_equal(dlen, n);
		assert_memory_equal(in, out, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_encode),
		cmocka_unit_test(test_rfc4648_decode),
		cmocka_unit_test(test_alphabets),
		cmocka_unit_test(test_url_rejects),
		cmocka_unit_test(test_std_rejects),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_encode_alloc),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
