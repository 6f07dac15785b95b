#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "porten/b64.h"
#include "porten/error.h"
#include "porten/rand.h"

static void
test_random_bytes(void **state)
{
	unsigned char a[32], b[32], zero[32] = { 0 };

	assert_int_equal(porten_random_bytes(a, sizeof(a)), 0);
	assert_int_equal(porten_random_bytes(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_int_equal(porten_random_bytes(NULL, 0), 0);
}

static void
test_random_hex(void **state)
{
	char a[2 * 100 + 1], b[2 * 100 + 1];
	size_t i;

	memset(a, 'X', sizeof(a));
	assert_int_equal(porten_random_hex(a, 100), 0);
	assert_int_equal(strlen(a), 200);
	for (i = 0; i < 200; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_int_equal(porten_random_hex(b, 100), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(porten_random_hex(a, 0), 0);
	assert_string_equal(a, "");
	assert_int_equal(porten_random_hex(a, 1), 0);
	assert_int_equal(strlen(a), 2);
}

static void
test_random_id43(void **state)
{
	char a[44], b[44];
	unsigned char raw[32];
	size_t len;

	memset(a, 'X', sizeof(a));
	assert_int_equal(porten_random_id43(a), 0);
	assert_int_equal(strlen(a), 43);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
	    43);
	assert_int_equal(porten_b64url_decode(a, 43, raw, sizeof(raw), &len), 0);
	assert_int_equal(len, 32);
	assert_int_equal(porten_random_id43(b), 0);
	assert_string_not_equal(a, b);
}

static void
test_random_uuid(void **state)
{
	char u[37], prev[37] = "";
	int i, j, variants[4] = { 0 };

	for (i = 0; i < 1000; i++) {
		memset(u, 'X', sizeof(u));
		assert_int_equal(porten_random_uuid(u), 0);
		assert_int_equal(strlen(u), 36);
		for (j = 0; j < 36; j++) {
			if (j == 8 || j == 13 || j == 18 || j == 23)
				assert_int_equal(u[j], '-');
			else
				assert_non_null(strchr("0123456789abcdef", u[j]));
		}
		assert_int_equal(u[14], '4');
		assert_non_null(strchr("89ab", u[19]));
		variants[strchr("89ab", u[19]) - "89ab"]++;
		assert_string_not_equal(u, prev);
		memcpy(prev, u, sizeof(u));
	}
	/* The two free variant bits are random: all four values turn up in 1000 draws. */
	for (j = 0; j < 4; j++)
		assert_true(variants[j] > 0);
}

static void
hex(const unsigned char *md, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* FIPS 180-2 / NIST examples. */
static void
test_sha256(void **state)
{
	unsigned char md[32];
	char h[65];
	char *million;

	assert_int_equal(porten_sha256("abc", 3, md), 0);
	hex(md, 32, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(porten_sha256("", 0, md), 0);
	hex(md, 32, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(porten_sha256(
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, md), 0);
	hex(md, 32, h);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	assert_int_equal(porten_sha256(million, 1000000, md), 0);
	hex(md, 32, h);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_random_hex),
		cmocka_unit_test(test_random_id43),
		cmocka_unit_test(test_random_uuid),
		cmocka_unit_test(test_sha256),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
