/* One suite for every storage backend: the same tests run against memory: and a fresh
 * sqlite: file per test, plus SQLite-only tests of persistence, migrations and several
 * processes on one file. tests/pg/test_store_pg.c includes this file (with
 * STORE_SUITE_NO_MAIN) and runs the common tests on a fresh PostgreSQL database each,
 * through the two hooks below. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "porten/error.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/store.h"
#include "store/migrations.h"

#define NTHREADS 8
#define NKEYS 200

struct fx {
	char dir[64];
	char db[128];
	char uri[1024];
	porten_store *s;
};

/* Set by the group setup: which backend the common tests run against. */
static const char *backend;
/* Set by tests/pg: a fresh database's URI for each test, and its removal. */
static int (*fresh_db)(char *uri, size_t n);
static void (*drop_db)(const char *uri);

static int
group_memory(void **state)
{
	backend = "memory";
	return 0;
}

static int
group_sqlite(void **state)
{
	backend = "sqlite";
	return 0;
}

static int
is_sqlite(void)
{
	return strcmp(backend, "sqlite") == 0;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (is_sqlite()) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/porten-store-XXXXXX");
		if (mkdtemp(f->dir) == NULL)
			return -1;
		snprintf(f->db, sizeof(f->db), "%s/store.db", f->dir);
		snprintf(f->uri, sizeof(f->uri), "sqlite:%s", f->db);
	} else if (strcmp(backend, "postgresql") == 0) {
		if (fresh_db == NULL || fresh_db(f->uri, sizeof(f->uri)) != 0)
			return -1;
	} else {
		snprintf(f->uri, sizeof(f->uri), "memory:");
	}
	if (porten_store_open(f->uri, &f->s) != 0)
		return -1;
	*state = f;
	return 0;
}

static void
rm_in_dir(const char *dir, const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	porten_store_close(f->s);
	if (strcmp(backend, "postgresql") == 0 && drop_db != NULL)
		drop_db(f->uri);
	if (f->dir[0] != '\0') {
		static const char *names[] = {
			"store.db", "store.db-wal", "store.db-shm", "store.db-journal",
			"notadb", "fork.db", "fork.db-wal", "fork.db-shm",
		};
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			rm_in_dir(f->dir, names[i]);
		if (rmdir(f->dir) != 0)
			fprintf(stderr, "rmdir %s: %s\n", f->dir, strerror(errno));
	}
	free(f);
	return 0;
}

static json_t *
J(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);

	if (j == NULL)
		fail_msg("bad test JSON %s: %s", text, err.text);
	return j;
}

static void
put_text(porten_store *s, enum porten_doc_kind kind, const char *key, const char *text)
{
	json_t *d = J(text);

	assert_int_equal(porten_store_put(s, kind, key, d), 0);
	json_decref(d);
}

static void
assert_doc(porten_store *s, enum porten_doc_kind kind, const char *key, const char *text)
{
	json_t *want = J(text), *got = NULL;

	assert_int_equal(porten_store_get(s, kind, key, &got), 0);
	assert_non_null(got);
	assert_true(json_equal(want, got));
	json_decref(want);
	json_decref(got);
}

static void
assert_missing(porten_store *s, enum porten_doc_kind kind, const char *key)
{
	json_t *got = (json_t *)1;

	assert_int_equal(porten_store_get(s, kind, key, &got), PORTEN_ERR_NOT_FOUND);
	assert_null(got);
}

static uint64_t
gen(porten_store *s)
{
	uint64_t g = 0;

	assert_int_equal(porten_store_generation(s, &g), 0);
	return g;
}

/* The keys of a list result, joined with '|'. */
static void
assert_list_keys(porten_store *s, enum porten_doc_kind kind, const char *prefix,
	const char *const *want, size_t nwant)
{
	json_t *arr = NULL, *row;
	size_t i;

	assert_int_equal(porten_store_list(s, kind, prefix, &arr), 0);
	assert_true(json_is_array(arr));
	if (json_array_size(arr) != nwant) {
		char *dump = json_dumps(arr, JSON_COMPACT);
		fail_msg("list %s: %zu rows, want %zu: %s", prefix ? prefix : "(null)",
		         json_array_size(arr), nwant, dump);
	}
	json_array_foreach(arr, i, row) {
		json_t *k = json_object_get(row, "key");

		assert_true(json_is_string(k));
		assert_int_equal(json_string_length(k), strlen(want[i]));
		assert_memory_equal(json_string_value(k), want[i], strlen(want[i]));
		assert_true(json_is_object(json_object_get(row, "doc")));
	}
	json_decref(arr);
}

static void
replay_key(unsigned char key[32], unsigned n)
{
	memset(key, 0xa5, 32);
	key[0] = (unsigned char)(n >> 24);
	key[1] = (unsigned char)(n >> 16);
	key[2] = (unsigned char)(n >> 8);
	key[3] = (unsigned char)n;
}

/* ---- common tests ---- */

static void
test_roundtrip(void **state)
{
	struct fx *f = *state;
	const char *doc = "{\"b\":[1,2.5,true,null,{\"x\":\"\\u00e6\\u00f8\\u00e5 \\n\"}],"
	                  "\"a\":\"scope:read\",\"n\":-9007199254740991,\"e\":{}}";

	assert_string_equal(porten_store_backend(f->s), backend);
	put_text(f->s, PORTEN_DOC_SCOPE, "prefix:read", doc);
	assert_doc(f->s, PORTEN_DOC_SCOPE, "prefix:read", doc);
	/* Replace. */
	put_text(f->s, PORTEN_DOC_SCOPE, "prefix:read", "{\"v\":2}");
	assert_doc(f->s, PORTEN_DOC_SCOPE, "prefix:read", "{\"v\":2}");
	/* Same key, other kind: separate. */
	put_text(f->s, PORTEN_DOC_CLIENT, "prefix:read", "{\"v\":3}");
	assert_doc(f->s, PORTEN_DOC_SCOPE, "prefix:read", "{\"v\":2}");
	assert_doc(f->s, PORTEN_DOC_CLIENT, "prefix:read", "{\"v\":3}");
	/* Non-ASCII keys. */
	put_text(f->s, PORTEN_DOC_ACCESS, "sk\xc3\xa6tt:x\n991825827", "{\"k\":\"\xc3\xb8\"}");
	assert_doc(f->s, PORTEN_DOC_ACCESS, "sk\xc3\xa6tt:x\n991825827", "{\"k\":\"\xc3\xb8\"}");
}

static void
test_get_missing(void **state)
{
	struct fx *f = *state;

	assert_missing(f->s, PORTEN_DOC_CLIENT, "nope");
	put_text(f->s, PORTEN_DOC_CLIENT, "yes", "{}");
	assert_missing(f->s, PORTEN_DOC_CLIENT, "ye");
	assert_missing(f->s, PORTEN_DOC_CLIENT, "yes2");
	assert_missing(f->s, PORTEN_DOC_KID, "yes");
}

static void
test_insert_exists(void **state)
{
	struct fx *f = *state;
	json_t *a = J("{\"v\":1}"), *b = J("{\"v\":2}");

	assert_int_equal(porten_store_insert(f->s, PORTEN_DOC_KID, "kid1", a), 0);
	assert_int_equal(porten_store_insert(f->s, PORTEN_DOC_KID, "kid1", b), PORTEN_ERR_EXISTS);
	assert_doc(f->s, PORTEN_DOC_KID, "kid1", "{\"v\":1}");
	assert_int_equal(porten_store_insert(f->s, PORTEN_DOC_CLIENT, "kid1", b), 0);
	json_decref(a);
	json_decref(b);
}

static void
test_delete(void **state)
{
	struct fx *f = *state;

	assert_int_equal(porten_store_delete(f->s, PORTEN_DOC_CLIENT, "c1"), PORTEN_ERR_NOT_FOUND);
	put_text(f->s, PORTEN_DOC_CLIENT, "c1", "{}");
	put_text(f->s, PORTEN_DOC_CLIENT_JWKS, "c1", "{\"keys\":[]}");
	assert_int_equal(porten_store_delete(f->s, PORTEN_DOC_CLIENT, "c1"), 0);
	assert_missing(f->s, PORTEN_DOC_CLIENT, "c1");
	assert_doc(f->s, PORTEN_DOC_CLIENT_JWKS, "c1", "{\"keys\":[]}");
	assert_int_equal(porten_store_delete(f->s, PORTEN_DOC_CLIENT, "c1"), PORTEN_ERR_NOT_FOUND);
}

static void
test_list_prefix(void **state)
{
	struct fx *f = *state;
	/* Inserted out of order; bytewise order is what list must give. */
	static const char *keys[] = {
		"b", "a\nc", "ab", "a", "a\nb", "a\n", "\xc3\xa6", "a\x7f", "a\xc2\x80",
		"\xf0\x9f\x98\x80", "a\n\n",
	};
	static const char *all[] = {
		"a", "a\n", "a\n\n", "a\nb", "a\nc", "ab", "a\x7f", "a\xc2\x80", "b", "\xc3\xa6",
		"\xf0\x9f\x98\x80",
	};
	static const char *a_nl[] = { "a\n", "a\n\n", "a\nb", "a\nc" };
	static const char *a_nl_nl[] = { "a\n\n" };
	static const char *a[] = { "a", "a\n", "a\n\n", "a\nb", "a\nc", "ab", "a\x7f", "a\xc2\x80" };
	static const char *a_c2[] = { "a\xc2\x80" };
	static const char *c3[] = { "\xc3\xa6" };
	static const char *f0[] = { "\xf0\x9f\x98\x80" };
	static const char *other[] = { "a\nz" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put_text(f->s, PORTEN_DOC_ACCESS, keys[i], "{\"x\":1}");
	put_text(f->s, PORTEN_DOC_DELEGATION, "a\nz", "{}");
	put_text(f->s, PORTEN_DOC_SCOPE, "a", "{}");

	assert_list_keys(f->s, PORTEN_DOC_ACCESS, NULL, all, 11);
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "", all, 11);
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "a\n", a_nl, 4);
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "a\n\n", a_nl_nl, 1);
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "a", a, 8);
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "ab", a + 5, 1);
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "abc", NULL, 0);
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "c", NULL, 0);
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "0", NULL, 0);
	/* Byte prefixes that end inside a UTF-8 sequence, and bytes that never occur. */
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "a\xc2", a_c2, 1);
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "\xc3", c3, 1);
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "\xf0\x9f\x98", f0, 1);
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "\xff", NULL, 0);
	assert_list_keys(f->s, PORTEN_DOC_ACCESS, "\xc3\xff", NULL, 0);
	/* Kinds do not mix. */
	assert_list_keys(f->s, PORTEN_DOC_DELEGATION, "", other, 1);
	assert_list_keys(f->s, PORTEN_DOC_DELEGATION, "a\n", other, 1);
	assert_list_keys(f->s, PORTEN_DOC_SCOPE, "a", all, 1);
	assert_list_keys(f->s, PORTEN_DOC_KID, "", NULL, 0);
}

/* Keys of porten_store_list_after, joined with '|'. */
static void
assert_after_keys(porten_store *s, const char *after, size_t limit, const char *want)
{
	json_t *arr = NULL, *row;
	char got[512] = "";
	size_t i;

	assert_int_equal(porten_store_list_after(s, PORTEN_DOC_AUDIT, after, limit, &arr), 0);
	json_array_foreach(arr, i, row) {
		size_t n = strlen(got);
		snprintf(got + n, sizeof(got) - n, "%s%s", i ? "|" : "", json_string_value(json_object_get(row, "key")));
		assert_true(json_is_object(json_object_get(row, "doc")));
	}
	json_decref(arr);
	assert_string_equal(got, want);
}

static void
test_list_after(void **state)
{
	struct fx *f = *state;
	json_t *arr = (json_t *)1;
	static const char *keys[] = { "003", "001", "010", "002", "0020" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put_text(f->s, PORTEN_DOC_AUDIT, keys[i], "{\"x\":1}");
	put_text(f->s, PORTEN_DOC_SCOPE, "0015", "{}");
	assert_after_keys(f->s, NULL, 10, "001|002|0020|003|010");
	assert_after_keys(f->s, "", 2, "001|002");
	assert_after_keys(f->s, "002", 2, "0020|003");
	assert_after_keys(f->s, "0015", 10, "002|0020|003|010");
	assert_after_keys(f->s, "003", 1, "010");
	assert_after_keys(f->s, "010", 5, "");
	assert_after_keys(f->s, "zzz", 5, "");
	assert_int_equal(porten_store_list_after(f->s, PORTEN_DOC_AUDIT, NULL, 0, &arr), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_list_after(f->s, PORTEN_DOC_AUDIT, NULL,
	                                         (size_t)PORTEN_STORE_LIST_MAX + 1, &arr), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_list_after(f->s, PORTEN_DOC_KIND_COUNT, NULL, 1, &arr), PORTEN_ERR_INVALID);
}

static void
test_list_docs(void **state)
{
	struct fx *f = *state;
	json_t *arr = NULL, *want;

	put_text(f->s, PORTEN_DOC_PREFIX, "p2", "{\"owner_orgno\":\"2\"}");
	put_text(f->s, PORTEN_DOC_PREFIX, "p1", "{\"owner_orgno\":\"1\"}");
	assert_int_equal(porten_store_list(f->s, PORTEN_DOC_PREFIX, "p", &arr), 0);
	want = J("[{\"key\":\"p1\",\"doc\":{\"owner_orgno\":\"1\"}},"
	         "{\"key\":\"p2\",\"doc\":{\"owner_orgno\":\"2\"}}]");
	assert_true(json_equal(arr, want));
	json_decref(arr);
	json_decref(want);
}

/* PORTEN_STORE_LIST_MAX rows list; one more is refused, not truncated. */
static void
test_list_limit(void **state)
{
	struct fx *f = *state;
	const size_t n = PORTEN_STORE_LIST_MAX;
	struct porten_store_op *ops = calloc(n, sizeof(*ops));
	char (*keys)[16] = calloc(n, sizeof(*keys));
	json_t *doc = J("{}"), *arr = NULL;

	assert_non_null(ops);
	assert_non_null(keys);
	for (size_t i = 0; i < n; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%07zu", i);
		ops[i] = (struct porten_store_op){ PORTEN_OP_INSERT, PORTEN_DOC_KID, keys[i], doc };
	}
	assert_int_equal(porten_store_apply(f->s, ops, n), 0);
	assert_int_equal(porten_store_list(f->s, PORTEN_DOC_KID, "k", &arr), 0);
	assert_int_equal(json_array_size(arr), n);
	json_decref(arr);
	arr = NULL;
	assert_int_equal(porten_store_list(f->s, PORTEN_DOC_KID, "k001", &arr), 0);
	assert_int_equal(json_array_size(arr), 10000);
	json_decref(arr);
	arr = NULL;
	put_text(f->s, PORTEN_DOC_KID, "kz", "{}");
	assert_int_equal(porten_store_list(f->s, PORTEN_DOC_KID, "k", &arr), PORTEN_ERR_TOO_LARGE);
	assert_null(arr);
	assert_int_equal(porten_store_list(f->s, PORTEN_DOC_KID, "kz", &arr), 0);
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
	json_decref(doc);
	free(keys);
	free(ops);
}

static void
test_apply_atomic(void **state)
{
	struct fx *f = *state;
	json_t *d = J("{\"new\":true}");
	uint64_t g;

	put_text(f->s, PORTEN_DOC_CLIENT, "old", "{\"old\":true}");
	put_text(f->s, PORTEN_DOC_KID, "taken", "{\"client_id\":\"old\"}");
	g = gen(f->s);
	{
		struct porten_store_op ops[] = {
			{ PORTEN_OP_PUT, PORTEN_DOC_CLIENT, "n1", d },
			{ PORTEN_OP_DELETE, PORTEN_DOC_CLIENT, "old", NULL },
			{ PORTEN_OP_INSERT, PORTEN_DOC_KID, "taken", d },
			{ PORTEN_OP_PUT, PORTEN_DOC_CLIENT, "n2", d },
		};
		assert_int_equal(porten_store_apply(f->s, ops, 4), PORTEN_ERR_EXISTS);
	}
	assert_missing(f->s, PORTEN_DOC_CLIENT, "n1");
	assert_missing(f->s, PORTEN_DOC_CLIENT, "n2");
	assert_doc(f->s, PORTEN_DOC_CLIENT, "old", "{\"old\":true}");
	assert_doc(f->s, PORTEN_DOC_KID, "taken", "{\"client_id\":\"old\"}");
	assert_int_equal(gen(f->s), g);

	/* A replace and an insert undone by a later missing delete. */
	{
		struct porten_store_op ops[] = {
			{ PORTEN_OP_PUT, PORTEN_DOC_CLIENT, "old", d },
			{ PORTEN_OP_INSERT, PORTEN_DOC_KID, "k2", d },
			{ PORTEN_OP_DELETE, PORTEN_DOC_KID, "taken", NULL },
			{ PORTEN_OP_DELETE, PORTEN_DOC_KID, "absent", NULL },
		};
		assert_int_equal(porten_store_apply(f->s, ops, 4), PORTEN_ERR_NOT_FOUND);
	}
	assert_doc(f->s, PORTEN_DOC_CLIENT, "old", "{\"old\":true}");
	assert_missing(f->s, PORTEN_DOC_KID, "k2");
	assert_doc(f->s, PORTEN_DOC_KID, "taken", "{\"client_id\":\"old\"}");
	assert_int_equal(gen(f->s), g);

	/* Ops see the ones before them. */
	{
		struct porten_store_op dup[] = {
			{ PORTEN_OP_INSERT, PORTEN_DOC_SCOPE, "s", d },
			{ PORTEN_OP_INSERT, PORTEN_DOC_SCOPE, "s", d },
		};
		assert_int_equal(porten_store_apply(f->s, dup, 2), PORTEN_ERR_EXISTS);
		assert_missing(f->s, PORTEN_DOC_SCOPE, "s");
	}
	{
		struct porten_store_op ops[] = {
			{ PORTEN_OP_DELETE, PORTEN_DOC_KID, "taken", NULL },
			{ PORTEN_OP_INSERT, PORTEN_DOC_KID, "taken", d },
			{ PORTEN_OP_PUT, PORTEN_DOC_CLIENT, "n1", d },
			{ PORTEN_OP_DELETE, PORTEN_DOC_CLIENT, "n1", NULL },
			{ PORTEN_OP_INSERT, PORTEN_DOC_CLIENT, "n1", d },
			{ PORTEN_OP_DELETE, PORTEN_DOC_CLIENT, "old", NULL },
		};
		assert_int_equal(porten_store_apply(f->s, ops, 6), 0);
	}
	assert_doc(f->s, PORTEN_DOC_KID, "taken", "{\"new\":true}");
	assert_doc(f->s, PORTEN_DOC_CLIENT, "n1", "{\"new\":true}");
	assert_missing(f->s, PORTEN_DOC_CLIENT, "old");
	assert_true(gen(f->s) != g);

	/* An empty batch is nothing. */
	g = gen(f->s);
	assert_int_equal(porten_store_apply(f->s, NULL, 0), 0);
	assert_int_equal(gen(f->s), g);
	json_decref(d);
}

static void
test_generation(void **state)
{
	struct fx *f = *state;
	json_t *d = J("{}"), *out = NULL;
	unsigned char rk[32];
	uint64_t g0, g;

	g0 = gen(f->s);
	assert_int_equal(gen(f->s), g0);
	assert_missing(f->s, PORTEN_DOC_CLIENT, "a");
	assert_int_equal(gen(f->s), g0);

	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_CLIENT, "a", d), 0);
	g = gen(f->s);
	assert_true(g != g0);
	/* Reads do not change it. */
	assert_int_equal(porten_store_get(f->s, PORTEN_DOC_CLIENT, "a", &out), 0);
	json_decref(out);
	assert_int_equal(porten_store_list(f->s, PORTEN_DOC_CLIENT, "", &out), 0);
	json_decref(out);
	assert_int_equal(gen(f->s), g);
	/* Neither does replay, nor a refused write. */
	replay_key(rk, 1);
	assert_int_equal(porten_store_replay_claim(f->s, rk, 100, 50), 0);
	assert_int_equal(gen(f->s), g);
	assert_int_equal(porten_store_insert(f->s, PORTEN_DOC_CLIENT, "a", d), PORTEN_ERR_EXISTS);
	assert_int_equal(porten_store_delete(f->s, PORTEN_DOC_CLIENT, "zz"), PORTEN_ERR_NOT_FOUND);
	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_KIND_COUNT, "a", d), PORTEN_ERR_INVALID);
	assert_int_equal(gen(f->s), g);

	/* Every successful write does, even one that writes the same bytes. */
	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_CLIENT, "a", d), 0);
	assert_true(gen(f->s) != g);
	g = gen(f->s);
	assert_int_equal(porten_store_insert(f->s, PORTEN_DOC_CLIENT, "b", d), 0);
	assert_true(gen(f->s) != g);
	g = gen(f->s);
	assert_int_equal(porten_store_delete(f->s, PORTEN_DOC_CLIENT, "b"), 0);
	assert_true(gen(f->s) != g);
	g = gen(f->s);
	{
		struct porten_store_op ops[] = { { PORTEN_OP_PUT, PORTEN_DOC_KID, "k", d } };
		assert_int_equal(porten_store_apply(f->s, ops, 1), 0);
	}
	assert_true(gen(f->s) != g);
	json_decref(d);
}

static void
test_replay(void **state)
{
	struct fx *f = *state;
	unsigned char k1[32], k2[32];

	replay_key(k1, 1);
	replay_key(k2, 2);
	assert_int_equal(porten_store_replay_claim(f->s, k1, 1000, 900), 0);
	assert_int_equal(porten_store_replay_claim(f->s, k1, 1000, 900), PORTEN_ERR_EXISTS);
	assert_int_equal(porten_store_replay_claim(f->s, k1, 5000, 999), PORTEN_ERR_EXISTS);
	assert_int_equal(porten_store_replay_claim(f->s, k2, 1000, 900), 0);
	/* Expired at expires == now: claimable again, with the new expiry. */
	assert_int_equal(porten_store_replay_claim(f->s, k1, 2000, 1000), 0);
	assert_int_equal(porten_store_replay_claim(f->s, k1, 2000, 1500), PORTEN_ERR_EXISTS);
	assert_int_equal(porten_store_replay_claim(f->s, k1, 2000, 1999), PORTEN_ERR_EXISTS);
	assert_int_equal(porten_store_replay_claim(f->s, k1, 3000, 2500), 0);
	assert_int_equal(porten_store_replay_claim(f->s, k2, 3000, 1001), 0);
}

/* Enough claims to pass several purges: live entries survive them, expired ones go. */
static void
test_replay_many(void **state)
{
	struct fx *f = *state;
	unsigned char k[32];

	for (unsigned i = 0; i < 5000; i++) {
		replay_key(k, i);
		assert_int_equal(porten_store_replay_claim(f->s, k, i % 2 ? 100 : 10000, 50), 0);
	}
	for (unsigned i = 0; i < 5000; i++) {
		replay_key(k, i);
		assert_int_equal(porten_store_replay_claim(f->s, k, 20000, 200),
		                 i % 2 ? 0 : PORTEN_ERR_EXISTS);
	}
}

static void
test_invalid(void **state)
{
	struct fx *f = *state;
	json_t *d = J("{}"), *arr = J("[1]"), *out = NULL;
	char key[600];
	unsigned char rk[32] = { 0 };

	assert_int_equal(porten_store_get(f->s, PORTEN_DOC_KIND_COUNT, "a", &out), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_get(f->s, (enum porten_doc_kind)-1, "a", &out),
	                 PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_get(f->s, PORTEN_DOC_CLIENT, NULL, &out), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_get(f->s, PORTEN_DOC_CLIENT, "", &out), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_CLIENT, "\xff", d), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_CLIENT, "a\xc3", d), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_CLIENT, "\xed\xa0\x80", d),
	                 PORTEN_ERR_INVALID);   /* a surrogate */
	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_CLIENT, "\xc0\xaf", d),
	                 PORTEN_ERR_INVALID);   /* overlong */
	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_CLIENT, "a", NULL), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_CLIENT, "a", arr), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_insert(f->s, PORTEN_DOC_CLIENT, "a", arr), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_delete(f->s, PORTEN_DOC_KIND_COUNT, "a"), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_list(f->s, PORTEN_DOC_KIND_COUNT, "", &out), PORTEN_ERR_INVALID);
	assert_null(out);

	/* 512 bytes is the longest key; 513 is refused as too large. */
	memset(key, 'k', sizeof(key));
	key[512] = '\0';
	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_CLIENT, key, d), 0);
	assert_int_equal(porten_store_get(f->s, PORTEN_DOC_CLIENT, key, &out), 0);
	json_decref(out);
	out = NULL;
	assert_int_equal(porten_store_list(f->s, PORTEN_DOC_CLIENT, key, &out), 0);
	assert_int_equal(json_array_size(out), 1);
	json_decref(out);
	out = NULL;
	key[512] = 'k';
	key[513] = '\0';
	assert_int_equal(porten_store_put(f->s, PORTEN_DOC_CLIENT, key, d), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(porten_store_get(f->s, PORTEN_DOC_CLIENT, key, &out), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(porten_store_list(f->s, PORTEN_DOC_CLIENT, key, &out), PORTEN_ERR_TOO_LARGE);

	/* A bad op anywhere in a batch refuses all of it before anything is written. */
	{
		struct porten_store_op ops[] = {
			{ PORTEN_OP_PUT, PORTEN_DOC_CLIENT, "ok", d },
			{ PORTEN_OP_PUT, PORTEN_DOC_CLIENT, NULL, d },
		};
		assert_int_equal(porten_store_apply(f->s, ops, 2), PORTEN_ERR_INVALID);
		ops[1].key = "ok2";
		ops[1].kind = PORTEN_DOC_KIND_COUNT;
		assert_int_equal(porten_store_apply(f->s, ops, 2), PORTEN_ERR_INVALID);
		ops[1].kind = PORTEN_DOC_CLIENT;
		ops[1].doc = NULL;
		assert_int_equal(porten_store_apply(f->s, ops, 2), PORTEN_ERR_INVALID);
		assert_missing(f->s, PORTEN_DOC_CLIENT, "ok");
	}
	assert_int_equal(porten_store_apply(f->s, NULL, 1), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_replay_claim(f->s, NULL, 1, 0), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_replay_claim(NULL, rk, 1, 0), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_generation(f->s, NULL), PORTEN_ERR_INVALID);
	json_decref(d);
	json_decref(arr);
}

struct worker {
	porten_store *s;
	pthread_barrier_t *bar;
	int id;
	int ok;
	int exists;
	int other;
};

static void *
replay_worker(void *arg)
{
	struct worker *w = arg;
	unsigned char k[32];

	pthread_barrier_wait(w->bar);
	for (unsigned i = 0; i < NKEYS; i++) {
		int r;

		replay_key(k, i);
		r = porten_store_replay_claim(w->s, k, 2000, 1000);
		if (r == 0)
			w->ok++;
		else if (r == PORTEN_ERR_EXISTS)
			w->exists++;
		else
			w->other++;
	}
	return NULL;
}

static void
test_concurrent_replay(void **state)
{
	struct fx *f = *state;
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	pthread_barrier_t bar;
	int ok = 0, exists = 0, other = 0;

	pthread_barrier_init(&bar, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ f->s, &bar, i, 0, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, replay_worker, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
		exists += w[i].exists;
		other += w[i].other;
	}
	pthread_barrier_destroy(&bar);
	assert_int_equal(other, 0);
	assert_int_equal(ok, NKEYS);
	assert_int_equal(exists, (NTHREADS - 1) * NKEYS);
}

static void *
doc_worker(void *arg)
{
	struct worker *w = arg;
	char key[64], text[96];

	pthread_barrier_wait(w->bar);
	for (int i = 0; i < NKEYS; i++) {
		json_t *d, *got = NULL;

		snprintf(key, sizeof(key), "t%d/k%03d", w->id, i);
		snprintf(text, sizeof(text), "{\"t\":%d,\"i\":%d}", w->id, i);
		d = json_loads(text, 0, NULL);
		if (porten_store_put(w->s, PORTEN_DOC_CLIENT, key, d) != 0 ||
		    porten_store_get(w->s, PORTEN_DOC_CLIENT, key, &got) != 0 ||
		    !json_equal(d, got))
			w->other++;
		else
			w->ok++;
		json_decref(got);
		json_decref(d);
		if (i % 50 == 49) {
			json_t *arr = NULL;

			snprintf(key, sizeof(key), "t%d/", w->id);
			if (porten_store_list(w->s, PORTEN_DOC_CLIENT, key, &arr) != 0 ||
			    json_array_size(arr) != (size_t)i + 1)
				w->other++;
			json_decref(arr);
		}
	}
	return NULL;
}

static void
test_concurrent_docs(void **state)
{
	struct fx *f = *state;
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	pthread_barrier_t bar;
	json_t *arr = NULL;
	int ok = 0, other = 0;

	pthread_barrier_init(&bar, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ f->s, &bar, i, 0, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, doc_worker, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
		other += w[i].other;
	}
	pthread_barrier_destroy(&bar);
	assert_int_equal(other, 0);
	assert_int_equal(ok, NTHREADS * NKEYS);
	assert_int_equal(porten_store_list(f->s, PORTEN_DOC_CLIENT, "", &arr), 0);
	assert_int_equal(json_array_size(arr), NTHREADS * NKEYS);
	json_decref(arr);
}

/* ---- URIs ---- */

static void
test_uris(void **state)
{
	porten_store *s = (porten_store *)1;

	assert_int_equal(porten_store_open(NULL, &s), PORTEN_ERR_INVALID);
	assert_null(s);
	/* PostgreSQL URIs libpq refuses, and porten's own pool= out of range: no connection
	 * is tried. */
	assert_int_equal(porten_store_open("postgresql://u:secret@db/porten?nosuchoption=1", &s),
	                 PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_open("postgres://db/porten?pool=0", &s), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_open("postgres://db/porten?sslmode=require&pool=65", &s),
	                 PORTEN_ERR_INVALID);
	assert_null(s);
	/* A server that is not there: unavailable, not a configuration error. */
	assert_int_equal(porten_store_open("postgresql:///porten?host=/nonexistent-porten-dir&pool=2", &s),
	                 PORTEN_ERR_UNAVAILABLE);
	assert_null(s);
	assert_int_equal(porten_store_open("mysql://db", &s), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_open("/var/lib/porten.db", &s), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_open("", &s), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_open("memory:x", &s), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_open("sqlite:", &s), PORTEN_ERR_INVALID);
	assert_int_equal(porten_store_open("sqlite::memory:", &s), PORTEN_ERR_INVALID);
	assert_null(s);
	assert_int_equal(porten_store_open("sqlite:/nonexistent-porten-dir/x/store.db", &s),
	                 PORTEN_ERR_IO);
	assert_null(s);
	assert_int_equal(porten_store_open("memory:", &s), 0);
	assert_string_equal(porten_store_backend(s), "memory");
	porten_store_close(s);
	porten_store_close(NULL);
}

/* ---- SQLite only ---- */

static void
test_sqlite_persist(void **state)
{
	struct fx *f = *state;
	unsigned char k[32];
	uint64_t g;

	replay_key(k, 7);
	put_text(f->s, PORTEN_DOC_CLIENT, "c", "{\"name\":\"x\"}");
	assert_int_equal(porten_store_replay_claim(f->s, k, 2000, 1000), 0);
	g = gen(f->s);
	porten_store_close(f->s);
	f->s = NULL;
	assert_int_equal(porten_store_open(f->uri, &f->s), 0);
	assert_doc(f->s, PORTEN_DOC_CLIENT, "c", "{\"name\":\"x\"}");
	assert_int_equal(gen(f->s), g);
	assert_int_equal(porten_store_replay_claim(f->s, k, 2000, 1500), PORTEN_ERR_EXISTS);
	assert_int_equal(porten_store_replay_claim(f->s, k, 3000, 2000), 0);
}

static void
assert_migrations(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int want = 0, rows = 0;

	for (const struct porten_migration *m = porten_migrations; m->backend != NULL; m++)
		if (strcmp(m->backend, "sqlite") == 0)
			want++;
	assert_true(want >= 1);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT version, count(*) FROM schema_migrations "
	                                    "GROUP BY version ORDER BY version", -1, &st, NULL),
	                 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int found = 0;

		assert_int_equal(sqlite3_column_int(st, 1), 1);
		for (const struct porten_migration *m = porten_migrations; m->backend; m++)
			if (strcmp(m->backend, "sqlite") == 0 &&
			    m->version == sqlite3_column_int(st, 0))
				found = 1;
		assert_true(found);
		rows++;
	}
	assert_int_equal(rows, want);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM meta", -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_sqlite_migrations(void **state)
{
	struct fx *f = *state;

	assert_migrations(f->db);
	porten_store_close(f->s);
	f->s = NULL;
	assert_int_equal(porten_store_open(f->uri, &f->s), 0);
	porten_store_close(f->s);
	f->s = NULL;
	assert_int_equal(porten_store_open(f->uri, &f->s), 0);
	assert_migrations(f->db);
}

/* Another handle on the same file stands for another process. */
static void
test_sqlite_shared(void **state)
{
	struct fx *f = *state;
	porten_store *o = NULL;
	unsigned char k[32];
	uint64_t g;

	assert_int_equal(porten_store_open(f->uri, &o), 0);
	g = gen(o);
	put_text(f->s, PORTEN_DOC_SCOPE, "p:s", "{}");
	assert_true(gen(o) != g);
	assert_doc(o, PORTEN_DOC_SCOPE, "p:s", "{}");
	replay_key(k, 3);
	assert_int_equal(porten_store_replay_claim(o, k, 2000, 1000), 0);
	assert_int_equal(porten_store_replay_claim(f->s, k, 2000, 1000), PORTEN_ERR_EXISTS);
	porten_store_close(o);
}

static void
test_sqlite_fork(void **state)
{
	struct fx *f = *state;
	enum { NPROC = 6 };
	char uri[200], path[160];
	pid_t pid[NPROC];
	int fds[2];
	porten_store *s = NULL;
	json_t *arr = NULL;

	snprintf(path, sizeof(path), "%s/fork.db", f->dir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	assert_int_equal(pipe(fds), 0);
	for (int i = 0; i < NPROC; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			char key[16], c;
			json_t *d = json_object();
			int r;

			close(fds[1]);
			/* All children start when the parent closes the pipe. */
			while (read(fds[0], &c, 1) > 0)
				;
			if ((r = porten_store_open(uri, &s)) != 0)
				_exit(10 - r);
			snprintf(key, sizeof(key), "child%d", i);
			if ((r = porten_store_insert(s, PORTEN_DOC_CLIENT, key, d)) != 0)
				_exit(40 - r);
			porten_store_close(s);
			json_decref(d);
			_exit(0);
		}
	}
	close(fds[0]);
	close(fds[1]);
	for (int i = 0; i < NPROC; i++) {
		int st = 0;

		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_migrations(path);
	assert_int_equal(porten_store_open(uri, &s), 0);
	assert_int_equal(porten_store_list(s, PORTEN_DOC_CLIENT, "child", &arr), 0);
	assert_int_equal(json_array_size(arr), NPROC);
	json_decref(arr);
	porten_store_close(s);
}

static void
test_sqlite_notadb(void **state)
{
	struct fx *f = *state;
	char path[160], uri[200];
	porten_store *s = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/notadb", f->dir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	assert_non_null(fp = fopen(path, "w"));
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database. ", fp);
	fclose(fp);
	assert_int_equal(porten_store_open(uri, &s), PORTEN_ERR_IO);
	assert_null(s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

#define STORE_COMMON_TESTS \
		T(test_roundtrip), \
		T(test_get_missing), \
		T(test_insert_exists), \
		T(test_delete), \
		T(test_list_prefix), \
		T(test_list_docs), \
		T(test_list_after), \
		T(test_list_limit), \
		T(test_apply_atomic), \
		T(test_generation), \
		T(test_replay), \
		T(test_replay_many), \
		T(test_invalid), \
		T(test_concurrent_replay), \
		T(test_concurrent_docs)

#ifndef STORE_SUITE_NO_MAIN
int
main(void)
{
	const struct CMUnitTest common[] = {
		STORE_COMMON_TESTS,
	};
	const struct CMUnitTest sqlite_only[] = {
		T(test_sqlite_persist),
		T(test_sqlite_migrations),
		T(test_sqlite_shared),
		T(test_sqlite_fork),
		T(test_sqlite_notadb),
	};
	const struct CMUnitTest uris[] = {
		cmocka_unit_test(test_uris),
	};
	int failed = 0;

	/* The error paths log; keep the test output to the results. */
	if (getenv("PORTEN_TEST_VERBOSE") == NULL)
		porten_log_threshold = -1;
	failed += cmocka_run_group_tests_name("store uris", uris, NULL, NULL);
	failed += cmocka_run_group_tests_name("store memory", common, group_memory, NULL);
	failed += cmocka_run_group_tests_name("store sqlite", common, group_sqlite, NULL);
	failed += cmocka_run_group_tests_name("store sqlite only", sqlite_only, group_sqlite, NULL);
	return failed != 0;
}
#endif
