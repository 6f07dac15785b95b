#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "porten/error.h"
#include "porten/form.h"

static void
test_decode(void **state)
{
	struct porten_form f;
	const char body[] = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b+c&&x";
	size_t n;

	assert_int_equal(porten_form_parse(body, sizeof(body) - 1, &f), 0);
	assert_int_equal(f.n, 3);
	assert_string_equal(porten_form_get(&f, "grant_type", NULL), "urn:ietf:params:oauth:grant-type:jwt-bearer");
	assert_string_equal(porten_form_get(&f, "assertion", &n), "a.b c");
	assert_int_equal(n, 5);
	assert_string_equal(porten_form_get(&f, "x", &n), "");
	assert_int_equal(n, 0);
	assert_null(porten_form_get(&f, "missing", NULL));
	assert_int_equal(f.duplicate, 0);
	porten_form_clear(&f);
}

static void
test_not_terminated(void **state)
{
	struct porten_form f;
	char body[8];

	/* "a=%4" followed by bytes that must not be read as the second hex digit */
	memcpy(body, "a=%41b=%", 8);
	assert_int_equal(porten_form_parse(body, 5, &f), 0);
	assert_string_equal(porten_form_get(&f, "a", NULL), "A");
	porten_form_clear(&f);
	assert_int_equal(porten_form_parse(body, 4, &f), PORTEN_ERR_INVALID);
	assert_int_equal(porten_form_parse(body, 8, &f), PORTEN_ERR_INVALID);
}

static void
test_bad_and_bounds(void **state)
{
	struct porten_form f;
	char many[PORTEN_FORM_FIELDS_MAX * 8 + 16];
	size_t n = 0;
	const char nul[] = "a=%00b";

	assert_int_equal(porten_form_parse("a=%zz", 5, &f), PORTEN_ERR_INVALID);
	assert_int_equal(porten_form_parse("a=%", 3, &f), PORTEN_ERR_INVALID);
	assert_int_equal(porten_form_parse("a=1&a=2", 7, &f), 0);
	assert_int_equal(f.duplicate, 1);
	assert_string_equal(porten_form_get(&f, "a", NULL), "1");
	porten_form_clear(&f);
	for (int i = 0; i <= PORTEN_FORM_FIELDS_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "k%d=v&", i);
	assert_int_equal(porten_form_parse(many, n, &f), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(f.n, 0);
	/* an escaped NUL is kept with its length, so callers can refuse it */
	assert_int_equal(porten_form_parse(nul, sizeof(nul) - 1, &f), 0);
	assert_int_equal(strlen(porten_form_get(&f, "a", &n)), 0);
	assert_int_equal(n, 2);
	porten_form_clear(&f);
	/* names differing after an escaped NUL are different names, in either order */
	assert_int_equal(porten_form_parse("a=1&a%00x=2", 11, &f), 0);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.duplicate, 0);
	porten_form_clear(&f);
	assert_int_equal(porten_form_parse("a%00x=2&a=1", 11, &f), 0);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.duplicate, 0);
	assert_string_equal(porten_form_get(&f, "a", NULL), "1");
	porten_form_clear(&f);
	assert_int_equal(porten_form_parse("", 0, &f), 0);
	assert_int_equal(f.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_not_terminated),
		cmocka_unit_test(test_bad_and_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
