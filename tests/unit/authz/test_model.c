/* Scope-name rules and whole-object validation that reports every problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <regex.h>
#include <string.h>
#include <cmocka.h>

#include "authz/model.h"

static void
test_subscope(void **state)
{
	assert_true(az_subscope_valid("deling/offentligmedhjemmel"));
	assert_true(az_subscope_valid("deling/offentligmedhjemmel.segmentansvarlig"));
	assert_true(az_subscope_valid("dcr/onbehalfof:write"));
	assert_true(az_subscope_valid("scopes.write"));
	assert_true(az_subscope_valid("s\xc3\xb8knad"));          /* søknad */
	assert_false(az_subscope_valid("deling/offentligmedhjemmel\t"));  /* Folkeregisteret's stray TAB */
	assert_false(az_subscope_valid("deling offentlig"));
	assert_false(az_subscope_valid("Deling"));
	assert_false(az_subscope_valid("deling//x"));
	assert_false(az_subscope_valid("/deling"));
	assert_false(az_subscope_valid("deling/"));
	assert_false(az_subscope_valid("a.b/c"));              /* '/' after '.' */
	assert_false(az_subscope_valid("a:b/c"));              /* '/' after ':' */
	assert_false(az_subscope_valid("a-b"));
	assert_false(az_subscope_valid(""));
	assert_false(az_subscope_valid("a"));                  /* the pattern needs two characters */
	assert_true(az_subscope_valid("ab"));
	assert_false(az_subscope_valid("ab:c"));               /* the last ':' run needs two */
	assert_true(az_subscope_valid("ab:cd"));
	assert_true(az_subscope_valid("a/:bc"));               /* odd, but the pattern allows it */
	assert_true(az_subscope_valid("\xc3\xa6\xc3\xb8"));     /* æø: characters, not bytes */
	assert_false(az_subscope_valid("\xc3\xa6"));
}

/* Every string over {a, b, /, :, .} up to 8 characters: az_subscope_valid agrees with the
 * NAIS pattern itself (POSIX ERE, ASCII letters standing in for [a-zæøå0-9]). */
static void
test_subscope_equals_pattern(void **state)
{
	static const char alpha[] = "ab/:.";
	regex_t re;
	char s[9];
	size_t checked = 0, valid = 0;

	assert_int_equal(regcomp(&re, "^([a-z0-9]+/?)+(:[a-z0-9]+)*[a-z0-9]+([.][a-z0-9]+)*$",
	                         REG_EXTENDED | REG_NOSUB), 0);
	for (size_t len = 1; len <= 8; len++) {
		size_t total = 1;
		for (size_t i = 0; i < len; i++)
			total *= 5;
		for (size_t k = 0; k < total; k++) {
			size_t v = k;
			int want, got;

			for (size_t i = 0; i < len; i++, v /= 5)
				s[i] = alpha[v % 5];
			s[len] = '\0';
			want = regexec(&re, s, 0, NULL, 0) == 0;
			got = az_subscope_valid(s);
			if (want != got)
				fail_msg("\"%s\": pattern says %d, az_subscope_valid says %d", s, want, got);
			checked++;
			valid += (size_t)want;
		}
	}
	regfree(&re);
	assert_int_equal(checked, 488280);
	assert_true(valid > 1000);
}

static void
test_scope_all_problems(void **state)
{
	struct az_problems p;
	json_t *in = json_pack("{s:s,s:s,s:s,s:i,s:s}", "prefix", "Folk", "subscope", "a b",
	                       "owner_orgno", "12", "at_max_age", -1, "colour", "red");
	json_t *out;

	memset(&p, 0, sizeof(p));
	out = az_scope_normalize(in, "scopes[0]", 0, &p);
	assert_null(out);
	assert_int_equal(p.count, 5);
	assert_non_null(strstr(p.buf.data, "scopes[0].colour: unknown field"));
	assert_non_null(strstr(p.buf.data, "scopes[0].prefix:"));
	assert_non_null(strstr(p.buf.data, "scopes[0].subscope:"));
	assert_non_null(strstr(p.buf.data, "scopes[0].owner_orgno: must be a string of 9 digits"));
	assert_non_null(strstr(p.buf.data, "scopes[0].at_max_age: must be 0 to 86400 seconds"));
	/* The same problems as a list, field by field, for the admin API's error body. */
	assert_int_equal(json_array_size(p.list), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p.list, 0), "field")),
	                    "scopes[0].colour");
	assert_string_equal(json_string_value(json_object_get(json_array_get(p.list, 0), "message")),
	                    "unknown field");
	assert_string_equal(json_string_value(json_object_get(json_array_get(p.list, 4), "field")),
	                    "scopes[0].at_max_age");
	az_problems_release(&p);
	assert_null(p.list);
	json_decref(in);
}

/* An empty prefix (found by fuzz_admin: it reached the store as an empty key). */
static void
test_empty_prefix_refused(void **state)
{
	struct az_problems p;
	json_t *a = json_pack("{s:s,s:s,s:s}", "prefix", "", "subscope", "abc", "owner_orgno", "974761076");
	json_t *b = json_pack("{s:s,s:s}", "name", ":abc", "owner_orgno", "974761076");
	json_t *c = json_pack("{s:s,s:s,s:s}", "consumer_orgno", "974761076", "supplier_orgno", "991825827",
	                      "scope", ":abc");

	memset(&p, 0, sizeof(p));
	assert_null(az_scope_normalize(a, "", 0, &p));
	assert_null(az_scope_normalize(b, "", 0, &p));
	assert_null(az_delegation_normalize(c, "", 0, &p));
	assert_int_equal(p.count, 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p.list, 0), "field")), "prefix");
	assert_string_equal(json_string_value(json_object_get(json_array_get(p.list, 2), "field")), "scope");
	az_problems_release(&p);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

/* At the admin API's top level (path ""), fields are named bare. */
static void
test_problem_paths_top_level(void **state)
{
	struct az_problems p;
	json_t *in = json_pack("{s:s,s:s,s:s}", "prefix", "folk", "subscope", "deling/x\t", "owner_orgno", "974761076");

	memset(&p, 0, sizeof(p));
	assert_null(az_scope_normalize(in, "", 0, &p));
	assert_int_equal(p.count, 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p.list, 0), "field")), "subscope");
	assert_non_null(strstr(p.buf.data, "subscope: must match"));
	az_problems_release(&p);
	json_decref(in);
}

static void
test_scope_defaults(void **state)
{
	struct az_problems p;
	json_t *in = json_pack("{s:s,s:s}", "name", "folkeregister:deling/finans", "owner_orgno", "974761076");
	json_t *out;

	memset(&p, 0, sizeof(p));
	out = az_scope_normalize(in, "s", 0, &p);
	assert_non_null(out);
	assert_string_equal(json_string_value(json_object_get(out, "prefix")), "folkeregister");
	assert_string_equal(json_string_value(json_object_get(out, "subscope")), "deling/finans");
	assert_true(json_is_true(json_object_get(out, "active")));
	assert_string_equal(json_string_value(json_object_get(out, "visibility")), "PUBLIC");
	assert_int_equal(json_integer_value(json_object_get(out, "at_max_age")), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(out, "allowed_integration_types"), 0)), "maskinporten");
	assert_string_equal(json_string_value(json_object_get(out, "created")), "1970-01-01T00:00:00Z");
	json_decref(out);
	json_decref(in);
}

static void
test_client_secret_refused(void **state)
{
	struct az_problems p;
	json_t *in = json_pack("{s:s,s:s,s:s,s:[s]}", "client_id", "c1", "client_orgno", "974761076",
	                       "token_endpoint_auth_method", "client_secret_basic",
	                       "grant_types", "client_credentials");

	memset(&p, 0, sizeof(p));
	assert_null(az_client_normalize(in, "c", 0, &p));
	assert_int_equal(p.count, 2);
	assert_non_null(strstr(p.buf.data, "c.token_endpoint_auth_method:"));
	assert_non_null(strstr(p.buf.data, "c.grant_types:"));
	az_problems_release(&p);
	json_decref(in);
}

static void
test_jwks_limits(void **state)
{
	struct az_problems p;
	json_t *keys = json_array(), *in;

	for (int i = 0; i < 6; i++)
		json_array_append_new(keys, json_pack("{s:s}", "kty", "RSA"));
	in = json_pack("{s:o}", "keys", keys);
	memset(&p, 0, sizeof(p));
	assert_null(az_jwks_normalize(in, "jwks", 0, &p));
	assert_non_null(strstr(p.buf.data, "at most 5 keys"));
	az_problems_release(&p);
	json_decref(in);
	/* a key without use */
	in = json_pack("{s:[{s:s,s:s,s:s,s:s,s:s}]}", "keys", "kty", "RSA", "kid", "k1", "alg", "RS256",
	               "e", "AQAB", "n", "AQAB");
	memset(&p, 0, sizeof(p));
	assert_null(az_jwks_normalize(in, "jwks", 0, &p));
	assert_non_null(strstr(p.buf.data, "jwks.keys[0].use: required"));
	az_problems_release(&p);
	json_decref(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subscope),
		cmocka_unit_test(test_subscope_equals_pattern),
		cmocka_unit_test(test_scope_all_problems),
		cmocka_unit_test(test_problem_paths_top_level),
		cmocka_unit_test(test_empty_prefix_refused),
		cmocka_unit_test(test_scope_defaults),
		cmocka_unit_test(test_client_secret_refused),
		cmocka_unit_test(test_jwks_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
