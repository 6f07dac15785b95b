/* porten_authz_verify_own_token (the admin API's bearer check) and the key wrappers:
 * each error class at its exact boundary, and a rotation as seen through them. The clock
 * is pinned, so nothing sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "porten/authz.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/jws.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/store.h"
#include "authz/authz_internal.h"

#define T INT64_C(1767225600)                   /* 2026-01-01T00:00:00Z */
#define ISSUER "https://test.example/"
#define GRACE ((int64_t)PORTEN_TOKEN_LIFETIME_MAX + PORTEN_CLOCK_SKEW_S)

struct fx {
	char dir[64];
	porten_store *store;
	porten_authz *az;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct porten_authz_config cfg;
	char keys[PATH_MAX];

	if (f == NULL)
		return -1;
	*state = f;
	porten_clock_pin(T);
	snprintf(f->dir, sizeof(f->dir), "/tmp/porten-verify-XXXXXX");
	if (mkdtemp(f->dir) == NULL || porten_store_open("memory:", &f->store) != 0)
		return -1;
	snprintf(keys, sizeof(keys), "%s/keys", f->dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.issuer = ISSUER;
	cfg.key_dir = keys;
	cfg.store = f->store;
	return porten_authz_new(&cfg, &f->az) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[PATH_MAX];
	int r;

	porten_clock_pin(0);
	porten_authz_free(f->az);
	porten_store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	r = system(cmd);
	free(f);
	return r == 0 ? 0 : -1;
}

/* Claims as the token endpoint makes them, expiring at exp. */
static json_t *
claims(const char *iss, int64_t exp)
{
	return json_pack("{s:s,s:s,s:s,s:{s:s,s:s},s:I,s:I,s:s}", "iss", iss, "client_id", "c1",
	                 "scope", "porten:admin", "consumer", "authority", "iso6523-actorid-upis",
	                 "ID", "0192:974761076", "iat", (json_int_t)(exp - 120), "exp", (json_int_t)exp,
	                 "jti", "j1");
}

/* A compact JWS over cl (stolen) with header {kid, alg}, signed by key (or the server's
 * current signer when key is NULL; kid NULL: its kid). */
static char *
sign(struct fx *f, porten_key *key, const char *kid, const char *alg, json_t *cl)
{
	porten_key *signer = NULL;
	char skid[64], *tok = NULL;
	json_t *hdr;

	assert_int_equal(az_keyring_signer(f->az->keys, porten_now(), &signer, skid), 0);
	if (kid == NULL)
		kid = skid;
	hdr = json_pack("{s:s,s:s}", "kid", kid, "alg", alg);
	assert_int_equal(porten_jws_sign(porten_jws_alg_from_name(alg), key ? key : signer, hdr, cl, &tok), 0);
	json_decref(hdr);
	json_decref(cl);
	porten_key_unref(signer);
	return tok;
}

static int
verify(struct fx *f, const char *tok, json_t **out)
{
	json_t *c = NULL;
	int r = porten_authz_verify_own_token(f->az, tok, tok ? strlen(tok) : 0, &c);

	if (r != 0)
		assert_null(c);
	if (out != NULL)
		*out = c;
	else
		json_decref(c);
	return r;
}

static void
test_valid(void **state)
{
	struct fx *f = *state;
	char *tok = sign(f, NULL, NULL, "RS256", claims(ISSUER, T + 120));
	json_t *c = NULL;

	assert_int_equal(verify(f, tok, &c), 0);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "iss")), ISSUER);
	assert_string_equal(json_string_value(json_object_get(c, "client_id")), "c1");
	assert_int_equal(json_integer_value(json_object_get(c, "exp")), T + 120);
	json_decref(c);
	free(tok);
}

/* exp > now - skew: T - 9 passes, T - 10 does not. A wrong issuer is CONFLICT too. */
static void
test_expiry_and_issuer(void **state)
{
	struct fx *f = *state;
	char *tok;

	tok = sign(f, NULL, NULL, "RS256", claims(ISSUER, T - PORTEN_CLOCK_SKEW_S + 1));
	assert_int_equal(verify(f, tok, NULL), 0);
	free(tok);
	tok = sign(f, NULL, NULL, "RS256", claims(ISSUER, T - PORTEN_CLOCK_SKEW_S));
	assert_int_equal(verify(f, tok, NULL), PORTEN_ERR_CONFLICT);
	free(tok);
	tok = sign(f, NULL, NULL, "RS256", claims("https://test.example", T + 120));
	assert_int_equal(verify(f, tok, NULL), PORTEN_ERR_CONFLICT);
	free(tok);
	tok = sign(f, NULL, NULL, "RS256", claims("https://maskinporten.no/", T + 120));
	assert_int_equal(verify(f, tok, NULL), PORTEN_ERR_CONFLICT);
	free(tok);
}

/* Unknown kid, a foreign key under our kid, a changed payload: SIGNATURE. */
static void
test_signature(void **state)
{
	struct fx *f = *state;
	porten_key *other = NULL;
	char *tok, *dot;

	tok = sign(f, NULL, "not-a-kid-of-ours", "RS256", claims(ISSUER, T + 120));
	assert_int_equal(verify(f, tok, NULL), PORTEN_ERR_SIGNATURE);
	free(tok);
	assert_int_equal(porten_key_generate_rsa(2048, &other), 0);
	tok = sign(f, other, NULL, "RS256", claims(ISSUER, T + 120));
	assert_int_equal(verify(f, tok, NULL), PORTEN_ERR_SIGNATURE);
	free(tok);
	porten_key_unref(other);
	tok = sign(f, NULL, NULL, "RS256", claims(ISSUER, T + 120));
	dot = strrchr(tok, '.');
	assert_non_null(dot);
	dot[1] = dot[1] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(f, tok, NULL), PORTEN_ERR_SIGNATURE);
	free(tok);
}

/* Malformed: not a JWS, another alg, no kid, no exp, a string exp, NULL. */
static void
test_malformed(void **state)
{
	struct fx *f = *state;
	porten_key *signer = NULL;
	char kid[64], *tok;
	json_t *c, *hdr;

	assert_int_equal(verify(f, "not.a.jws!", NULL), PORTEN_ERR_INVALID);
	assert_int_equal(verify(f, "abc", NULL), PORTEN_ERR_INVALID);
	assert_int_equal(verify(f, NULL, NULL), PORTEN_ERR_INVALID);
	tok = sign(f, NULL, NULL, "RS384", claims(ISSUER, T + 120));
	assert_int_equal(verify(f, tok, NULL), PORTEN_ERR_INVALID);
	free(tok);
	c = claims(ISSUER, T + 120);
	json_object_del(c, "exp");
	tok = sign(f, NULL, NULL, "RS256", c);
	assert_int_equal(verify(f, tok, NULL), PORTEN_ERR_INVALID);
	free(tok);
	c = claims(ISSUER, T + 120);
	json_object_set_new(c, "exp", json_string("1767225720"));
	tok = sign(f, NULL, NULL, "RS256", c);
	assert_int_equal(verify(f, tok, NULL), PORTEN_ERR_INVALID);
	free(tok);

	assert_int_equal(az_keyring_signer(f->az->keys, T, &signer, kid), 0);
	hdr = json_pack("{s:s}", "alg", "RS256");
	c = claims(ISSUER, T + 120);
	assert_int_equal(porten_jws_sign(PORTEN_JWS_RS256, signer, hdr, c, &tok), 0);
	assert_int_equal(verify(f, tok, NULL), PORTEN_ERR_INVALID);
	free(tok);
	json_decref(hdr);
	json_decref(c);
	porten_key_unref(signer);
}

/* Through the wrappers: rotate at T, tokens of the old key verify while it is published
 * and stop at the first second it is not; the list shows the states. */
static void
test_rotation(void **state)
{
	struct fx *f = *state;
	char old[64], nw[64], *tok_old, *tok_new;
	porten_key *k = NULL;
	json_t *list, *jwks;

	assert_int_equal(porten_authz_keys_rotate(f->az, -1, nw), PORTEN_ERR_INVALID);
	assert_int_equal(az_keyring_signer(f->az->keys, T, &k, old), 0);
	porten_key_unref(k);
	assert_int_equal(porten_authz_keys_rotate(f->az, 300, nw), 0);
	list = porten_authz_keys_list(f->az);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "kid")), old);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "state")), "active");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "kid")), nw);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "state")), "next");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "activates")),
	                    "2026-01-01T00:05:00Z");
	json_decref(list);
	jwks = porten_authz_jwks(f->az);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 2);
	json_decref(jwks);

	/* A token of the old key that lives as long as any can. */
	tok_old = sign(f, NULL, NULL, "RS256", claims(ISSUER, T + 299 + PORTEN_TOKEN_LIFETIME_MAX));
	assert_non_null(strstr(tok_old, "."));
	porten_clock_pin(T + 300);
	tok_new = sign(f, NULL, NULL, "RS256", claims(ISSUER, T + 420));
	assert_int_equal(verify(f, tok_new, NULL), 0);
	assert_int_equal(verify(f, tok_old, NULL), 0);
	/* Its last accepted second (exp > now - skew), then expired while still published. */
	porten_clock_pin(T + 299 + PORTEN_TOKEN_LIFETIME_MAX + PORTEN_CLOCK_SKEW_S - 1);
	assert_int_equal(verify(f, tok_old, NULL), 0);
	porten_clock_pin(T + 299 + PORTEN_TOKEN_LIFETIME_MAX + PORTEN_CLOCK_SKEW_S);
	assert_int_equal(verify(f, tok_old, NULL), PORTEN_ERR_CONFLICT);
	porten_clock_pin(T + 300 + GRACE);
	list = porten_authz_keys_list(f->az);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "state")), "previous");
	json_decref(list);
	/* The first second the old key is not published: unknown kid. */
	porten_clock_pin(T + 300 + GRACE + 1);
	assert_int_equal(verify(f, tok_old, NULL), PORTEN_ERR_SIGNATURE);
	list = porten_authz_keys_list(f->az);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "kid")), nw);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "state")), "active");
	json_decref(list);
	free(tok_old);
	free(tok_new);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_and_issuer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
	};

	porten_log_set_level(PORTEN_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
