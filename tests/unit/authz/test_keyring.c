/* The signing-key ring: generation, rotation timeline at its exact boundaries, removal of
 * old keys, several keyrings on one directory, legacy keys without <kid>.json. Every time
 * is passed explicitly, so nothing sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "porten/buf.h"
#include "porten/error.h"
#include "porten/jws.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/pki.h"
#include "authz/keyring.h"

#define T INT64_C(1767225600)                   /* 2026-01-01T00:00:00Z */
#define GRACE ((int64_t)PORTEN_TOKEN_LIFETIME_MAX + PORTEN_CLOCK_SKEW_S)

struct fx {
	char dir[64];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/porten-keyring-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[PATH_MAX];
	int r;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	r = system(cmd);
	free(f);
	return r == 0 ? 0 : -1;
}

static const char *
path(const struct fx *f, const char *kid, const char *suffix)
{
	static char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s%s", f->dir, kid, suffix);
	return p;
}

static int
exists(const struct fx *f, const char *kid, const char *suffix)
{
	struct stat st;

	return stat(path(f, kid, suffix), &st) == 0;
}

/* Number of *.key.pem files in the directory. */
static int
nkeyfiles(const struct fx *f)
{
	char cmd[PATH_MAX];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '[.]key[.]pem$'", f->dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void
signer_kid(az_keyring *kr, int64_t now, char kid[64])
{
	porten_key *k = NULL;

	assert_int_equal(az_keyring_signer(kr, now, &k, kid), 0);
	assert_non_null(k);
	porten_key_unref(k);
}

/* The kids of the JWKS at now, space-separated, in order. */
static const char *
jwks_kids(az_keyring *kr, int64_t now)
{
	static char out[1024];
	json_t *jwks = az_keyring_jwks(kr, now), *k;
	size_t i;

	assert_non_null(jwks);
	out[0] = '\0';
	json_array_foreach(json_object_get(jwks, "keys"), i, k) {
		const char *kid = json_string_value(json_object_get(k, "kid"));

		assert_non_null(kid);
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "", kid);
	}
	json_decref(jwks);
	return out;
}

static const char *
str2(const char *a, const char *b)
{
	static char out[256];

	snprintf(out, sizeof(out), "%s %s", a, b);
	return out;
}

static void
expect_member(const json_t *o, const char *name, const char *want)
{
	const json_t *v = json_object_get(o, name);

	if (want == NULL) {
		assert_true(json_is_null(v));
		return;
	}
	assert_true(json_is_string(v));
	assert_string_equal(json_string_value(v), want);
}

static void
expect_entry(const json_t *list, size_t i, const char *kid, const char *state, const char *created,
             const char *activates, const char *signs_until, const char *published_until)
{
	const json_t *o = json_array_get(list, i);

	assert_true(json_is_object(o));
	assert_int_equal(json_object_size(o), 6);
	expect_member(o, "kid", kid);
	expect_member(o, "state", state);
	expect_member(o, "created", created);
	expect_member(o, "activates", activates);
	expect_member(o, "signs_until", signs_until);
	expect_member(o, "published_until", published_until);
}

static void
expect_meta(const struct fx *f, const char *kid, int64_t created, int64_t activates)
{
	json_error_t e;
	json_t *m = json_load_file(path(f, kid, ".json"), JSON_REJECT_DUPLICATES, &e);

	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "kid")), kid);
	assert_int_equal(json_integer_value(json_object_get(m, "created")), created);
	assert_int_equal(json_integer_value(json_object_get(m, "activates")), activates);
	json_decref(m);
}

/* Writes a key the way the previous version did: <kid>.key.pem and <kid>.crt.pem only. */
static void
write_legacy_key(const struct fx *f, char kid[64])
{
	porten_key *k = NULL;
	char tp[44], *pem = NULL, *b64 = NULL;
	struct porten_buf crt;

	porten_buf_init(&crt, 64 * 1024);
	assert_int_equal(porten_key_generate_rsa(2048, &k), 0);
	assert_int_equal(porten_key_thumbprint(k, tp), 0);
	assert_int_equal(porten_key_private_pem(k, &pem), 0);
	assert_int_equal(porten_pki_self_signed_b64(k, "legacy.example", 3650, &b64), 0);
	assert_int_equal(porten_buf_appends(&crt, "-----BEGIN CERTIFICATE-----\n"), 0);
	for (size_t i = 0, n = strlen(b64); i < n; i += 64)
		assert_int_equal(porten_buf_appendf(&crt, "%.*s\n", (int)(n - i < 64 ? n - i : 64), b64 + i), 0);
	assert_int_equal(porten_buf_appends(&crt, "-----END CERTIFICATE-----\n"), 0);
	snprintf(kid, 64, "%s", tp);
	assert_int_equal(porten_file_write_atomic(path(f, kid, ".key.pem"), pem, strlen(pem), 0600), 0);
	assert_int_equal(porten_file_write_atomic(path(f, kid, ".crt.pem"), crt.data, crt.len, 0644), 0);
	porten_wipe(pem, strlen(pem));
	free(pem);
	free(b64);
	porten_buf_release(&crt);
	porten_key_unref(k);
}

/* A fresh directory gets one key, private file 0600, signing from now; the signer is
 * stable and its kid is its thumbprint. */
static void
test_open_generates(void **state)
{
	struct fx *f = *state;
	az_keyring *kr = NULL;
	porten_key *k1 = NULL, *k2 = NULL;
	char kid[64], kid2[64], tp[44];
	struct stat st;
	json_t *jwks, *jwk, *list;

	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr), 0);
	assert_non_null(kr);
	assert_int_equal(nkeyfiles(f), 1);
	assert_int_equal(az_keyring_signer(kr, T, &k1, kid), 0);
	assert_int_equal(strlen(kid), 43);
	assert_int_equal(porten_key_thumbprint(k1, tp), 0);
	assert_string_equal(tp, kid);
	assert_true(porten_key_has_private(k1));
	assert_int_equal(porten_key_bits(k1), 2048);

	assert_int_equal(stat(path(f, kid, ".key.pem"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(exists(f, kid, ".crt.pem"));
	expect_meta(f, kid, T, T);

	/* Stable: the same key at any time and on every call. */
	assert_int_equal(az_keyring_signer(kr, T + 86400 * 365, &k2, kid2), 0);
	assert_ptr_equal(k1, k2);
	assert_string_equal(kid, kid2);
	porten_key_unref(k2);
	signer_kid(kr, 0, kid2);
	assert_string_equal(kid, kid2);

	jwks = az_keyring_jwks(kr, T);
	assert_non_null(jwks);
	assert_int_equal(json_object_size(jwks), 1);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 1);
	jwk = json_array_get(json_object_get(jwks, "keys"), 0);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "RSA");
	assert_string_equal(json_string_value(json_object_get(jwk, "kid")), kid);
	assert_string_equal(json_string_value(json_object_get(jwk, "use")), "sig");
	assert_string_equal(json_string_value(json_object_get(jwk, "alg")), "RS256");
	assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
	assert_int_equal(json_array_size(json_object_get(jwk, "x5c")), 1);
	assert_int_equal(json_object_size(jwk), 7);
	{
		/* Member order as Maskinporten publishes. */
		static const char *const names[] = { "kty", "kid", "use", "alg", "n", "e", "x5c" };
		void *it = json_object_iter(jwk);

		for (size_t i = 0; i < 7; i++, it = json_object_iter_next(jwk, it)) {
			assert_non_null(it);
			assert_string_equal(json_object_iter_key(it), names[i]);
		}
	}
	assert_int_equal(porten_key_from_jwk(jwk, &k2), 0);
	assert_int_equal(porten_key_thumbprint(k2, tp), 0);
	assert_string_equal(tp, kid);
	porten_key_unref(k2);
	json_decref(jwks);

	list = az_keyring_list(kr, T);
	assert_int_equal(json_array_size(list), 1);
	expect_entry(list, 0, kid, "active", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", NULL, NULL);
	json_decref(list);
	porten_key_unref(k1);
	az_keyring_free(kr);

	/* Opening again loads the same key, generates none. */
	assert_int_equal(az_keyring_open(f->dir, "test.example", T + 5, &kr), 0);
	signer_kid(kr, T + 5, kid2);
	assert_string_equal(kid, kid2);
	assert_int_equal(nkeyfiles(f), 1);
	az_keyring_free(kr);

	/* A missing directory is created, mode 0700. */
	{
		char sub[PATH_MAX];

		snprintf(sub, sizeof(sub), "%s/data/keys", f->dir);
		assert_int_equal(az_keyring_open(sub, "test.example", T, &kr), 0);
		assert_int_equal(stat(sub, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0700);
		signer_kid(kr, T, kid2);
		assert_string_not_equal(kid, kid2);
		az_keyring_free(kr);
	}
}

/* The whole timeline of one rotation, at its exact boundaries. */
static void
test_rotation_timeline(void **state)
{
	struct fx *f = *state;
	az_keyring *kr = NULL;
	porten_key *k = NULL;
	char old[64], nw[64], nw2[64], kid[64];
	struct stat st;
	json_t *list;
	const int64_t gone = T + 300 + GRACE + 1;   /* first second old is not published */

	assert_int_equal(GRACE, 86410);   /* the ISO strings below assume it */
	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr), 0);
	signer_kid(kr, T, old);
	assert_int_equal(az_keyring_rotate(kr, T, 300, nw), 0);
	assert_int_equal(strlen(nw), 43);
	assert_string_not_equal(nw, old);
	assert_int_equal(stat(path(f, nw, ".key.pem"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(exists(f, nw, ".crt.pem"));
	expect_meta(f, nw, T, T + 300);

	/* Published at once, in activation order; signs from T + 300. */
	assert_string_equal(jwks_kids(kr, T), str2(old, nw));
	signer_kid(kr, T, kid);
	assert_string_equal(kid, old);
	signer_kid(kr, T + 299, kid);
	assert_string_equal(kid, old);
	signer_kid(kr, T + 300, kid);
	assert_string_equal(kid, nw);
	signer_kid(kr, T + 301, kid);
	assert_string_equal(kid, nw);

	list = az_keyring_list(kr, T);
	assert_int_equal(json_array_size(list), 2);
	expect_entry(list, 0, old, "active", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
	             "2026-01-01T00:05:00Z", "2026-01-02T00:05:10Z");
	expect_entry(list, 1, nw, "next", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z", NULL, NULL);
	json_decref(list);
	list = az_keyring_list(kr, T + 299);
	expect_entry(list, 0, old, "active", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
	             "2026-01-01T00:05:00Z", "2026-01-02T00:05:10Z");
	expect_entry(list, 1, nw, "next", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z", NULL, NULL);
	json_decref(list);
	list = az_keyring_list(kr, T + 300);
	assert_int_equal(json_array_size(list), 2);
	expect_entry(list, 0, old, "previous", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
	             "2026-01-01T00:05:00Z", "2026-01-02T00:05:10Z");
	expect_entry(list, 1, nw, "active", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z", NULL, NULL);
	json_decref(list);

	/* The old key stays published until its last token (lifetime max + skew) expired. */
	assert_string_equal(jwks_kids(kr, gone - 1), str2(old, nw));
	list = az_keyring_list(kr, gone - 1);
	assert_int_equal(json_array_size(list), 2);
	expect_entry(list, 0, old, "previous", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
	             "2026-01-01T00:05:00Z", "2026-01-02T00:05:10Z");
	json_decref(list);
	assert_int_equal(az_keyring_find(kr, gone - 1, old, &k), 0);
	porten_key_unref(k);
	k = NULL;

	assert_string_equal(jwks_kids(kr, gone), nw);
	list = az_keyring_list(kr, gone);
	assert_int_equal(json_array_size(list), 1);
	expect_entry(list, 0, nw, "active", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z", NULL, NULL);
	json_decref(list);
	assert_int_equal(az_keyring_find(kr, gone, old, &k), PORTEN_ERR_NOT_FOUND);
	assert_null(k);
	assert_int_equal(az_keyring_find(kr, gone, nw, &k), 0);
	porten_key_unref(k);

	/* Not yet removed: files go at the next rotation. */
	assert_true(exists(f, old, ".key.pem"));
	assert_int_equal(az_keyring_rotate(kr, gone, 0, nw2), 0);
	assert_false(exists(f, old, ".key.pem"));
	assert_false(exists(f, old, ".crt.pem"));
	assert_false(exists(f, old, ".json"));
	assert_true(exists(f, nw, ".key.pem"));
	assert_true(exists(f, nw, ".json"));
	assert_true(exists(f, nw2, ".key.pem"));
	assert_int_equal(nkeyfiles(f), 2);
	assert_string_equal(jwks_kids(kr, gone), str2(nw, nw2));
	/* publish_ahead 0: signs at once. */
	signer_kid(kr, gone, kid);
	assert_string_equal(kid, nw2);
	signer_kid(kr, gone - 1, kid);
	assert_string_equal(kid, nw);
	/* Gone from memory too: even an earlier time does not bring it back. */
	assert_int_equal(az_keyring_find(kr, T, old, &k), PORTEN_ERR_NOT_FOUND);
	az_keyring_free(kr);
}

static int
cmp_kid(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Three rotations at the same instant: equal activates, ordered by kid, the largest kid
 * signs (the directory's own order does not matter). A clock set back before every
 * activation: the earliest key signs. */
static void
test_ties_and_clock_back(void **state)
{
	struct fx *f = *state;
	az_keyring *kr = NULL;
	char first[64], k[3][64], kid[64], want[256];
	json_t *list;

	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr), 0);
	signer_kid(kr, T, first);
	for (int i = 0; i < 3; i++)
		assert_int_equal(az_keyring_rotate(kr, T, 600, k[i]), 0);
	qsort(k, 3, sizeof(k[0]), cmp_kid);
	signer_kid(kr, T + 599, kid);
	assert_string_equal(kid, first);
	signer_kid(kr, T + 600, kid);
	assert_string_equal(kid, k[2]);
	snprintf(want, sizeof(want), "%s %s %s %s", first, k[0], k[1], k[2]);
	assert_string_equal(jwks_kids(kr, T), want);
	list = az_keyring_list(kr, T + 600);
	assert_int_equal(json_array_size(list), 4);
	expect_entry(list, 0, first, "previous", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
	             "2026-01-01T00:10:00Z", "2026-01-02T00:10:10Z");
	/* k[0] and k[1] never sign: their successors activate the same second. */
	for (size_t i = 1; i < 3; i++)
		expect_entry(list, i, k[i - 1], "previous", "2026-01-01T00:00:00Z", "2026-01-01T00:10:00Z",
		             "2026-01-01T00:10:00Z", "2026-01-02T00:10:10Z");
	expect_entry(list, 3, k[2], "active", "2026-01-01T00:00:00Z", "2026-01-01T00:10:00Z", NULL, NULL);
	json_decref(list);
	/* Before the first key's activation (T): the earliest key. */
	signer_kid(kr, T - 1, kid);
	assert_string_equal(kid, first);
	az_keyring_free(kr);

	/* A fresh read of the directory: the same order; with only future keys the earliest
	 * one signs, and the list calls it active. */
	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr), 0);
	assert_string_equal(jwks_kids(kr, T), want);
	signer_kid(kr, T - 3600, kid);
	assert_string_equal(kid, first);
	list = az_keyring_list(kr, T - 3600);
	assert_int_equal(json_array_size(list), 4);
	expect_entry(list, 0, first, "active", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
	             "2026-01-01T00:10:00Z", "2026-01-02T00:10:10Z");
	for (size_t i = 1; i < 3; i++)
		expect_entry(list, i, k[i - 1], "next", "2026-01-01T00:00:00Z", "2026-01-01T00:10:00Z",
		             "2026-01-01T00:10:00Z", "2026-01-02T00:10:10Z");
	expect_entry(list, 3, k[2], "next", "2026-01-01T00:00:00Z", "2026-01-01T00:10:00Z", NULL, NULL);
	json_decref(list);
	az_keyring_free(kr);
}

/* Two keyrings on one directory (two processes): one rotates, the other sees it after a
 * refresh; a key handed out before the reload stays usable after its files are gone. */
static void
test_second_keyring_refresh(void **state)
{
	struct fx *f = *state;
	az_keyring *kr1 = NULL, *kr2 = NULL;
	porten_key *held = NULL, *k = NULL;
	char old[64], nw[64], nw2[64], kid[64], *tok = NULL;
	json_t *hdr, *pl;
	struct porten_jws_view v;
	const int64_t later = T + 300 + GRACE + 1;

	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr1), 0);
	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr2), 0);
	assert_int_equal(nkeyfiles(f), 1);
	signer_kid(kr1, T, old);
	signer_kid(kr2, T, kid);
	assert_string_equal(kid, old);
	assert_int_equal(az_keyring_signer(kr2, T, &held, kid), 0);

	assert_int_equal(az_keyring_rotate(kr1, T, 300, nw), 0);
	assert_int_equal(az_keyring_refresh(kr2, 1), 0);
	assert_string_equal(jwks_kids(kr2, T), str2(old, nw));
	signer_kid(kr2, T + 300, kid);
	assert_string_equal(kid, nw);
	assert_int_equal(az_keyring_find(kr2, T, nw, &k), 0);
	porten_key_unref(k);
	k = NULL;

	/* kr1 removes old at the next rotation; kr2 drops it and generates nothing. */
	assert_int_equal(az_keyring_rotate(kr1, later, 0, nw2), 0);
	assert_false(exists(f, old, ".key.pem"));
	assert_int_equal(az_keyring_refresh(kr2, 1), 0);
	assert_string_equal(jwks_kids(kr2, later), str2(nw, nw2));
	assert_int_equal(az_keyring_find(kr2, T, old, &k), PORTEN_ERR_NOT_FOUND);
	assert_int_equal(nkeyfiles(f), 2);

	/* The reference taken before both reloads still signs. */
	hdr = json_pack("{s:s,s:s}", "alg", "RS256", "kid", old);
	pl = json_pack("{s:s}", "iss", "test");
	assert_int_equal(porten_jws_sign(PORTEN_JWS_RS256, held, hdr, pl, &tok), 0);
	assert_int_equal(porten_jws_split(tok, strlen(tok), PORTEN_JWT_MAX, &v), 0);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, held), 0);
	free(tok);
	json_decref(hdr);
	json_decref(pl);
	porten_key_unref(held);
	az_keyring_free(kr1);
	az_keyring_free(kr2);
}

struct reader {
	az_keyring *kr;
	atomic_int *stop;
	long rounds;
	int bad;
};

/* Signs with the signer of the moment and verifies with the published key of its kid,
 * while the main thread rotates and reloads underneath. */
static void *
reader_main(void *arg)
{
	struct reader *rd = arg;
	json_t *hdr = json_pack("{s:s}", "alg", "RS256"), *pl = json_pack("{s:s}", "iss", "x");
	struct porten_jws_view v;

	while (!atomic_load(rd->stop) || rd->rounds < 20) {
		porten_key *k = NULL, *pub = NULL;
		char kid[64], *tok = NULL;
		json_t *jwks;

		if (az_keyring_refresh(rd->kr, 0) != 0 || az_keyring_signer(rd->kr, T, &k, kid) != 0)
			rd->bad++;
		if (porten_jws_sign(PORTEN_JWS_RS256, k, hdr, pl, &tok) != 0 ||
		    porten_jws_split(tok, strlen(tok), PORTEN_JWT_MAX, &v) != 0)
			rd->bad++;
		/* The kid may have been reloaded away only if it stopped being published at T:
		 * never, in this test. */
		if (az_keyring_find(rd->kr, T, kid, &pub) != 0 ||
		    porten_jws_verify(&v, PORTEN_JWS_RS256, pub) != 0)
			rd->bad++;
		jwks = az_keyring_jwks(rd->kr, T);
		if (json_array_size(json_object_get(jwks, "keys")) < 1)
			rd->bad++;
		json_decref(jwks);
		free(tok);
		porten_key_unref(k);
		porten_key_unref(pub);
		rd->rounds++;
	}
	json_decref(hdr);
	json_decref(pl);
	return NULL;
}

static void
test_concurrent_reload(void **state)
{
	struct fx *f = *state;
	az_keyring *kr = NULL;
	struct reader rd[4];
	pthread_t th[4];
	atomic_int stop = 0;
	porten_key *k = NULL;
	char kid[64];

	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr), 0);
	for (int i = 0; i < 4; i++) {
		rd[i] = (struct reader){ .kr = kr, .stop = &stop };
		assert_int_equal(pthread_create(&th[i], NULL, reader_main, &rd[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(az_keyring_rotate(kr, T, 0, kid), 0);
		assert_int_equal(az_keyring_refresh(kr, 1), 0);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(rd[i].bad, 0);
		assert_true(rd[i].rounds >= 20);
	}
	assert_int_equal(az_keyring_find(kr, T, kid, &k), 0);
	porten_key_unref(k);
	assert_int_equal(strlen(jwks_kids(kr, T)), 4 * 43 + 3);
	assert_int_equal(nkeyfiles(f), 4);
	az_keyring_free(kr);
}

/* What the signer signs verifies with the key az_keyring_find returns for its kid, and
 * not with another published key. */
static void
test_sign_verify_find(void **state)
{
	struct fx *f = *state;
	az_keyring *kr = NULL;
	porten_key *signer = NULL, *pub = NULL, *other = NULL, *none = NULL;
	char kid[64], nw[64], *tok = NULL;
	json_t *hdr, *pl;
	struct porten_jws_view v;

	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr), 0);
	assert_int_equal(az_keyring_rotate(kr, T, 300, nw), 0);
	assert_int_equal(az_keyring_signer(kr, T + 300, &signer, kid), 0);
	assert_string_equal(kid, nw);
	hdr = json_pack("{s:s,s:s}", "kid", kid, "alg", "RS256");
	pl = json_pack("{s:s,s:I}", "iss", "https://test.example/", "exp", (json_int_t)(T + 420));
	assert_int_equal(porten_jws_sign(PORTEN_JWS_RS256, signer, hdr, pl, &tok), 0);
	assert_int_equal(porten_jws_split(tok, strlen(tok), PORTEN_JWT_MAX, &v), 0);

	assert_int_equal(az_keyring_find(kr, T + 300, kid, &pub), 0);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, pub), 0);
	signer_kid(kr, T, kid);   /* the previous key: published, does not verify */
	assert_int_equal(az_keyring_find(kr, T + 300, kid, &other), 0);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, other), PORTEN_ERR_SIGNATURE);
	assert_int_equal(az_keyring_find(kr, T, "no-such-kid", &none), PORTEN_ERR_NOT_FOUND);
	assert_null(none);
	free(tok);
	json_decref(hdr);
	json_decref(pl);
	porten_key_unref(signer);
	porten_key_unref(pub);
	porten_key_unref(other);
	az_keyring_free(kr);
}

/* publish_ahead outside 0..PORTEN_KEY_PUBLISH_AHEAD_MAX is refused before anything is
 * written; the bounds themselves are accepted. */
static void
test_publish_ahead_bounds(void **state)
{
	struct fx *f = *state;
	az_keyring *kr = NULL;
	char kid[64], a[64], b[64];

	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr), 0);
	assert_int_equal(az_keyring_rotate(kr, T, -1, kid), PORTEN_ERR_INVALID);
	assert_int_equal(az_keyring_rotate(kr, T, PORTEN_KEY_PUBLISH_AHEAD_MAX + 1, kid), PORTEN_ERR_INVALID);
	assert_int_equal(az_keyring_rotate(kr, T, INT64_MAX, kid), PORTEN_ERR_INVALID);
	assert_int_equal(nkeyfiles(f), 1);
	assert_int_equal(az_keyring_rotate(kr, T, PORTEN_KEY_PUBLISH_AHEAD_MAX, a), 0);
	expect_meta(f, a, T, T + PORTEN_KEY_PUBLISH_AHEAD_MAX);
	assert_int_equal(az_keyring_rotate(kr, T, 0, b), 0);
	expect_meta(f, b, T, T);
	assert_int_equal(nkeyfiles(f), 3);
	az_keyring_free(kr);
}

/* No more than PORTEN_KEYRING_MAX keys are published; the refusal writes nothing. */
static void
test_keyring_max(void **state)
{
	struct fx *f = *state;
	az_keyring *kr = NULL;
	porten_key *k = NULL;
	char kid[64], legacy[64], before[1024];
	json_t *jwks;

	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr), 0);
	for (int i = 1; i < PORTEN_KEYRING_MAX; i++)
		assert_int_equal(az_keyring_rotate(kr, T + i, 300, kid), 0);
	assert_int_equal(nkeyfiles(f), PORTEN_KEYRING_MAX);
	assert_int_equal(az_keyring_rotate(kr, T + 100, 300, kid), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(nkeyfiles(f), PORTEN_KEYRING_MAX);
	jwks = az_keyring_jwks(kr, T + 100);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), PORTEN_KEYRING_MAX);
	json_decref(jwks);
	snprintf(before, sizeof(before), "%s", jwks_kids(kr, T + 100));
	/* A ninth key file set, earlier than all (a legacy key signs from 0): a read keeps the
	 * PORTEN_KEYRING_MAX latest. */
	write_legacy_key(f, legacy);
	assert_int_equal(nkeyfiles(f), PORTEN_KEYRING_MAX + 1);
	assert_int_equal(az_keyring_refresh(kr, 1), 0);
	assert_string_equal(jwks_kids(kr, T + 100), before);
	assert_int_equal(az_keyring_find(kr, T + 100, legacy, &k), PORTEN_ERR_NOT_FOUND);
	/* Once the early ones are no longer published, rotation removes them and goes on:
	 * key i activates at T + i + 300 (the first at T), so at this time only the last
	 * (activates T + 7 + 300) is published. */
	assert_int_equal(az_keyring_rotate(kr, T + PORTEN_KEYRING_MAX - 1 + 300 + GRACE + 1, 0, kid), 0);
	assert_int_equal(nkeyfiles(f), 2);
	assert_false(exists(f, legacy, ".key.pem"));
	assert_false(exists(f, legacy, ".crt.pem"));
	az_keyring_free(kr);
}

/* Keys made by the previous version (no <kid>.json) sign from time 0. */
static void
test_legacy_key(void **state)
{
	struct fx *f = *state;
	az_keyring *kr = NULL;
	char legacy[64], kid[64], nw[64];
	json_t *list;

	write_legacy_key(f, legacy);
	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr), 0);
	assert_int_equal(nkeyfiles(f), 1);
	assert_false(exists(f, legacy, ".json"));
	signer_kid(kr, T, kid);
	assert_string_equal(kid, legacy);
	assert_string_equal(jwks_kids(kr, T), legacy);
	list = az_keyring_list(kr, T);
	assert_int_equal(json_array_size(list), 1);
	expect_entry(list, 0, legacy, "active", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", NULL, NULL);
	json_decref(list);

	/* Rotation away from it works like from any other key. */
	assert_int_equal(az_keyring_rotate(kr, T, 0, nw), 0);
	signer_kid(kr, T, kid);
	assert_string_equal(kid, nw);
	signer_kid(kr, T - 1, kid);
	assert_string_equal(kid, legacy);
	list = az_keyring_list(kr, T);
	expect_entry(list, 0, legacy, "previous", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
	             "2026-01-01T00:00:00Z", "2026-01-02T00:00:10Z");
	expect_entry(list, 1, nw, "active", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", NULL, NULL);
	json_decref(list);
	assert_false(exists(f, legacy, ".json"));
	az_keyring_free(kr);
}

/* Broken files: a key under another key's name or a malformed .json refuse the open; a
 * refresh that meets them fails and keeps the keys it had. */
static void
test_broken_files(void **state)
{
	struct fx *f = *state;
	az_keyring *kr = NULL, *kr2 = NULL;
	char kid[64], legacy[64], from[PATH_MAX];
	const char *bad = "{\"kid\":\"x\",\"created\":0,\"activates\":0}";

	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr), 0);
	signer_kid(kr, T, kid);
	write_legacy_key(f, legacy);
	assert_int_equal(porten_file_write_atomic(path(f, legacy, ".json"), bad, strlen(bad), 0644), 0);
	assert_int_equal(az_keyring_refresh(kr, 1), PORTEN_ERR_INVALID);
	assert_string_equal(jwks_kids(kr, T), kid);
	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr2), PORTEN_ERR_INVALID);
	assert_null(kr2);
	unlink(path(f, legacy, ".json"));
	assert_int_equal(az_keyring_refresh(kr, 1), 0);
	assert_string_equal(jwks_kids(kr, T), str2(legacy, kid));

	/* The key file of one kid renamed to another kid. */
	snprintf(from, sizeof(from), "%s", path(f, legacy, ".key.pem"));
	assert_int_equal(rename(from, path(f, "AAAA", ".key.pem")), 0);
	assert_true(exists(f, "AAAA", ".key.pem"));
	assert_false(exists(f, legacy, ".key.pem"));
	assert_int_equal(az_keyring_open(f->dir, "test.example", T, &kr2), PORTEN_ERR_INVALID);
	assert_null(kr2);
	az_keyring_free(kr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_generates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_timeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ties_and_clock_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_keyring_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_verify_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_ahead_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyring_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_files, setup, teardown),
	};

	porten_log_set_level(PORTEN_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
