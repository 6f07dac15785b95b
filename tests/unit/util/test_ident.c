/* Identifier checks: the official test vectors of spec/folkeregisteret.md 7.3
 * (foedselsnummer-testvectors.csv), also read from ../shared when it is present. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "porten/ident.h"

static const struct { const char *id; int synthetic, valid; } vectors[] = {
	{ "30108299939", 0, 1 }, { "30908299902", 1, 1 }, { "20036914700", 0, 1 },
	{ "03851598730", 1, 1 }, { "20036914712", 0, 0 }, { "29020073150", 0, 1 },
	{ "29020105729", 0, 0 }, { "55102499947", 0, 1 }, { "41819077906", 1, 1 },
	{ "41819077302", 1, 1 },
};

static void
test_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct porten_pid_info pi;
		bool ok = porten_pid_valid(vectors[i].id, 11, PORTEN_PID_ALLOW_SYNTHETIC, &pi);

		assert_int_equal(ok, vectors[i].valid);
		if (ok)
			assert_int_equal(pi.synthetic, vectors[i].synthetic);
		/* Without the test profile, synthetic numbers (month + 80) are refused. */
		if (vectors[i].synthetic)
			assert_false(porten_pid_valid(vectors[i].id, 11, 0, NULL));
	}
}

static void
test_shared_csv(void **state)
{
	char line[256];
	FILE *f = fopen(PORTEN_SOURCE_DIR "/../shared/spec/freg-contracts/foedselsnummer-testvectors.csv", "r");
	int n = 0;

	if (f == NULL)
		skip();
	while (fgets(line, sizeof(line), f)) {
		char id[16], syn[8], valid[8];

		if (sscanf(line, "%11[0-9],%7[a-z],%7[a-z]", id, syn, valid) != 3)
			continue;
		assert_int_equal(porten_pid_valid(id, strlen(id), PORTEN_PID_ALLOW_SYNTHETIC, NULL),
		                 strcmp(valid, "true") == 0);
		n++;
	}
	fclose(f);
	assert_true(n >= 10);
}

static void
test_rules(void **state)
{
	struct porten_pid_info pi;

	/* 2032 rule: worked examples of nyttfnr2032 */
	assert_true(porten_pid_valid("02013299997", 11, 0, &pi));   /* remainder 0: old rule */
	assert_false(pi.rule_2032);
	assert_true(porten_pid_valid("02013299903", 11, 0, &pi));   /* remainder 2 */
	assert_true(pi.rule_2032);
	assert_true(porten_pid_valid("02013299911", 11, 0, &pi));   /* remainder 3 */
	assert_true(pi.rule_2032);
	assert_true(porten_pid_valid("30108299920", 11, 0, &pi));
	assert_false(pi.rule_2032);
	/* d-number */
	assert_true(porten_pid_valid("55102499947", 11, 0, &pi));
	assert_int_equal(pi.kind, PORTEN_PID_DNR);
	assert_int_equal(pi.day, 15);
	/* shape */
	assert_false(porten_pid_valid("3010829993", 10, 0, NULL));
	assert_false(porten_pid_valid("3010829993a", 11, 0, NULL));
	assert_false(porten_pid_valid(NULL, 11, 0, NULL));
	/* a changed digit breaks a check digit */
	assert_false(porten_pid_valid("30108299938", 11, 0, NULL));
	/* impossible dates: 31 April, month 13, H-number (month + 40) */
	assert_false(porten_pid_valid("31048012345", 11, 0, NULL));
	assert_false(porten_pid_valid("01138012345", 11, 0, NULL));
	assert_false(porten_pid_valid("01458012345", 11, PORTEN_PID_ALLOW_SYNTHETIC, NULL));
}

static void
test_orgno(void **state)
{
	assert_true(porten_orgno_valid("123456785", 9));   /* spec 7.5 example */
	assert_true(porten_orgno_valid("974761076", 9));   /* Skatteetaten */
	assert_true(porten_orgno_valid("991825827", 9));   /* Digdir */
	assert_false(porten_orgno_valid("999888999", 9));  /* the placeholder on Skatteetaten's page */
	assert_false(porten_orgno_valid("123456784", 9));
	assert_false(porten_orgno_valid("12345678", 8));
	assert_false(porten_orgno_valid("12345678a", 9));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_shared_csv),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_orgno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
