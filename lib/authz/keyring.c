/* The signing-key ring (keyring.h).
 *
 * The keys live in an immutable set sorted in activation order ((activates, kid)
 * ascending). A reload builds a new set and swaps it in under kr->lock; callers only ever
 * get porten_key references, so a key handed out before a reload stays valid after it.
 *
 * Which keys are published is a function of now alone: key i is published unless its
 * successor i + 1 activated more than PUBLISH_GRACE seconds ago. Successors activate in
 * order, so the published keys are always a suffix of the set; a scan therefore keeps
 * only the PORTEN_KEYRING_MAX latest keys of the directory and still sees every published
 * one (rotation refuses to publish more than that).
 *
 * Processes sharing the directory: writers (open on an empty directory, rotate) hold an
 * exclusive flock on DIR/.lock for the whole change, and a scan holds it shared, so a
 * scan never sees a half-written key (key and certificate without the .json would read as
 * a key that signs from time 0).
 *
 * Kept in a store instead (az_keyring_open_store, porten authz on PostgreSQL): the same
 * sets, read from PORTEN_DOC_SIGNING_KEY documents; writers serialise through the store's
 * INSERT of the next sequence number instead of the flock, and a refresh re-reads when
 * the store generation moved instead of the directory mtime. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "porten/buf.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/pki.h"
#include "porten/seal.h"
#include "authz/keyring.h"

/* A key stays published this long after its successor activates (its last token expires). */
#define PUBLISH_GRACE ((int64_t)PORTEN_TOKEN_LIFETIME_MAX + PORTEN_CLOCK_SKEW_S)
/* Times in <kid>.json and given to rotate: 0 .. 9999-12-31T23:59:59Z. */
#define KEYRING_TIME_MAX INT64_C(253402300799)
#define KEYRING_CERT_DAYS 3650
#define KEYRING_RSA_BITS 2048
#define KEYRING_CERT_PEM_MAX (64 * 1024)
#define KEYRING_REFRESH_NS INT64_C(1000000000)
/* A directory modified this recently (wall clock) may change again within the same
 * timestamp tick without its mtime moving, so it is re-read at the next refresh. */
#define KEYRING_RACY_S 2
#define KID_SIZE 64

struct az_key {
	porten_key *key;
	char kid[KID_SIZE];
	int64_t created;
	int64_t activates;
	char *n;         /* base64url modulus */
	char *e;         /* base64url exponent */
	char *x5c;       /* standard base64 DER of the self-signed certificate */
};

struct az_keyset {
	size_t n;
	struct az_key keys[PORTEN_KEYRING_MAX];    /* activation order */
};

struct az_keyring {
	char *dir;
	char *cn;
	pthread_rwlock_t lock;           /* guards set */
	struct az_keyset *set;           /* never NULL, never empty */
	pthread_mutex_t refresh_lock;    /* one reload at a time; guards dir_mtim and racy */
	struct timespec dir_mtim;        /* of the directory when set was read */
	int racy;
	_Atomic int64_t checked_ns;      /* porten_mono_ns of the last refresh check */
	/* Kept in a store instead (az_keyring_open_store): dir is NULL. */
	porten_store *store;
	unsigned char seal[PORTEN_SEAL_KEY_SIZE];
	uint64_t gen;                    /* store generation the set was read at */
};

/* A key file set found by the directory scan (or a stored document), before its key is
 * loaded. */
struct cand {
	char kid[KID_SIZE];
	int64_t created;
	int64_t activates;
	const json_t *doc;               /* store: its document */
};

static int
order(int64_t a_act, const char *a_kid, int64_t b_act, const char *b_kid)
{
	if (a_act != b_act)
		return a_act < b_act ? -1 : 1;
	return strcmp(a_kid, b_kid);
}

/* A kid as it may appear in a file name: 1..63 base64url characters. */
static int
kid_valid(const char *s, size_t n)
{
	if (n == 0 || n >= KID_SIZE)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* The stem of name when it is "<kid><suffix>" with a valid kid, else 0. */
static int
stem_of(const char *name, const char *suffix, char kid[KID_SIZE])
{
	size_t n = strlen(name), sn = strlen(suffix);

	if (n <= sn || strcmp(name + n - sn, suffix) != 0 || !kid_valid(name, n - sn))
		return 0;
	memcpy(kid, name, n - sn);
	kid[n - sn] = '\0';
	return 1;
}

static int
path_of(char *out, size_t outsz, const char *dir, const char *kid, const char *suffix)
{
	int w = snprintf(out, outsz, "%s/%s%s", dir, kid, suffix);

	return w < 0 || (size_t)w >= outsz ? PORTEN_ERR_TOO_LARGE : 0;
}

static int
published(const struct az_keyset *s, size_t i, int64_t now)
{
	return i + 1 >= s->n || now <= s->keys[i + 1].activates + PUBLISH_GRACE;
}

/* The last key with activates <= now; the first one when none has activated yet. */
static size_t
signer_index(const struct az_keyset *s, int64_t now)
{
	size_t si = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->keys[i].activates <= now)
			si = i;
	return si;
}

static void
keyset_free(struct az_keyset *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		porten_key_unref(s->keys[i].key);
		free(s->keys[i].n);
		free(s->keys[i].e);
		free(s->keys[i].x5c);
	}
	free(s);
}

static int
meta_time(const json_t *meta, const char *name, int64_t *out)
{
	const json_t *v = json_object_get(meta, name);

	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > KEYRING_TIME_MAX)
		return PORTEN_ERR_INVALID;
	*out = json_integer_value(v);
	return 0;
}

/* <kid>.json; a key without one (made before rotation existed) signs from time 0. */
static int
read_meta(const char *dir, struct cand *c)
{
	char path[PATH_MAX], *data = NULL;
	size_t len;
	json_t *meta = NULL;
	json_error_t jerr;
	int r;

	c->created = 0;
	c->activates = 0;
	if ((r = path_of(path, sizeof(path), dir, c->kid, ".json")) != 0)
		return r;
	if ((r = porten_file_read(path, PORTEN_FILE_MAX, &data, &len)) != 0) {
		if (r == PORTEN_ERR_NOT_FOUND)
			r = 0;
		goto out;
	}
	meta = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(meta) || !json_is_string(json_object_get(meta, "kid")) ||
	    strcmp(json_string_value(json_object_get(meta, "kid")), c->kid) != 0 ||
	    meta_time(meta, "created", &c->created) != 0 ||
	    meta_time(meta, "activates", &c->activates) != 0) {
		log_error("keyring: '%s' is not {\"kid\", \"created\", \"activates\"} of that key", path);
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	r = 0;
out:
	json_decref(meta);
	free(data);
	return r;
}

/* The RSA private key in pem whose thumbprint is kid. */
static int
load_private(const char *pem, size_t len, const char *where, const char *kid, porten_key **key)
{
	char tp[44];

	*key = NULL;
	if (porten_key_from_pem(pem, len, key) != 0 || !porten_key_has_private(*key) ||
	    !porten_key_is_rsa(*key) || porten_key_thumbprint(*key, tp) != 0 || strcmp(tp, kid) != 0) {
		log_error("keyring: '%s' is not the RSA private key with thumbprint %s", where, kid);
		porten_key_unref(*key);
		*key = NULL;
		return PORTEN_ERR_INVALID;
	}
	return 0;
}

/* Loads key and certificate (PEM) of c into k; both must hold the key whose thumbprint is
 * kid. where/cwhere name them in log lines. */
static int
load_key_pem(const char *pem, size_t len, const char *where, const char *crt, size_t clen,
             const char *cwhere, const struct cand *c, struct az_key *k)
{
	char tp[44];
	porten_key *ck = NULL;
	json_t *x5c = NULL, *jwk = NULL;
	int r;

	memset(k, 0, sizeof(*k));
	if ((r = load_private(pem, len, where, c->kid, &k->key)) != 0)
		goto out;
	if (porten_pki_pem_to_x5c(crt, clen, &x5c) != 0 || json_array_size(x5c) < 1 ||
	    porten_key_from_pem(crt, clen, &ck) != 0 || porten_key_thumbprint(ck, tp) != 0 ||
	    strcmp(tp, c->kid) != 0) {
		log_error("keyring: '%s' is not a certificate of key %s", cwhere, c->kid);
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if ((r = porten_key_to_jwk(k->key, NULL, &jwk)) != 0)
		goto out;
	k->n = strdup(json_string_value(json_object_get(jwk, "n")));
	k->e = strdup(json_string_value(json_object_get(jwk, "e")));
	k->x5c = strdup(json_string_value(json_array_get(x5c, 0)));
	if (k->n == NULL || k->e == NULL || k->x5c == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	memcpy(k->kid, c->kid, sizeof(k->kid));
	k->created = c->created;
	k->activates = c->activates;
	r = 0;
out:
	if (r != 0) {
		porten_key_unref(k->key);
		free(k->n);
		free(k->e);
		free(k->x5c);
		memset(k, 0, sizeof(*k));
	}
	porten_key_unref(ck);
	json_decref(x5c);
	json_decref(jwk);
	return r;
}

/* Loads DIR/<kid>.key.pem and DIR/<kid>.crt.pem into k. */
static int
load_key(const char *dir, const struct cand *c, struct az_key *k)
{
	char path[PATH_MAX], cpath[PATH_MAX], *pem = NULL, *crt = NULL;
	size_t len = 0, clen = 0;
	int r;

	memset(k, 0, sizeof(*k));
	if ((r = path_of(path, sizeof(path), dir, c->kid, ".key.pem")) != 0 ||
	    (r = porten_file_read(path, PORTEN_FILE_MAX, &pem, &len)) != 0) {
		log_error("keyring: cannot read '%s': %s", path, porten_strerror(r));
		goto out;
	}
	if ((r = path_of(cpath, sizeof(cpath), dir, c->kid, ".crt.pem")) != 0 ||
	    (r = porten_file_read(cpath, PORTEN_FILE_MAX, &crt, &clen)) != 0) {
		porten_key *key = NULL;

		/* A wrong key file is the first problem to report. */
		if (load_private(pem, len, path, c->kid, &key) != 0)
			r = PORTEN_ERR_INVALID;
		else
			log_error("keyring: cannot read '%s': %s", cpath, porten_strerror(r));
		porten_key_unref(key);
		goto out;
	}
	r = load_key_pem(pem, len, path, crt, clen, cpath, c, k);
out:
	if (pem != NULL) {
		porten_wipe(pem, len);
		free(pem);
	}
	free(crt);
	return r;
}

/* Keeps the PORTEN_KEYRING_MAX latest candidates, sorted; *dropped counts the others. */
static void
cand_insert(struct cand *c, size_t *n, const struct cand *x, size_t *dropped)
{
	size_t i;

	if (*n == PORTEN_KEYRING_MAX) {
		(*dropped)++;
		if (order(x->activates, x->kid, c[0].activates, c[0].kid) < 0)
			return;
		memmove(&c[0], &c[1], (*n - 1) * sizeof(c[0]));
		(*n)--;
	}
	for (i = *n; i > 0 && order(x->activates, x->kid, c[i - 1].activates, c[i - 1].kid) < 0; i--)
		c[i] = c[i - 1];
	c[i] = *x;
	(*n)++;
}

/* Reads the directory into a new set (possibly empty). The caller holds the flock. */
static int
scan(const char *dir, struct az_keyset **out)
{
	struct cand c[PORTEN_KEYRING_MAX], x;
	struct az_keyset *s = NULL;
	size_t n = 0, dropped = 0;
	struct dirent *de;
	DIR *d = NULL;
	int r;

	*out = NULL;
	if ((d = opendir(dir)) == NULL) {
		log_error("keyring: cannot read '%s'", dir);
		r = PORTEN_ERR_IO;
		goto out;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!stem_of(de->d_name, ".key.pem", x.kid)) {
			errno = 0;
			continue;
		}
		if ((r = read_meta(dir, &x)) != 0)
			goto out;
		cand_insert(c, &n, &x, &dropped);
		errno = 0;
	}
	if (errno != 0) {
		r = PORTEN_ERR_IO;
		goto out;
	}
	if (dropped > 0)
		log_warn("keyring: more than %d keys in '%s', ignoring the %zu earliest",
		         PORTEN_KEYRING_MAX, dir, dropped);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((r = load_key(dir, &c[i], &s->keys[s->n])) != 0)
			goto out;
		s->n++;
	}
	*out = s;
	s = NULL;
	r = 0;
out:
	if (d != NULL)
		closedir(d);
	keyset_free(s);
	return r;
}

/* flock(how) on DIR/.lock. PORTEN_ERR_UNAVAILABLE when how has LOCK_NB and it is taken. */
static int
dir_lock(const char *dir, int how, int *fd)
{
	char path[PATH_MAX];
	int r;

	*fd = -1;
	if ((r = path_of(path, sizeof(path), dir, ".lock", "")) != 0)
		return r;
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		log_error("keyring: cannot open '%s'", path);
		return PORTEN_ERR_IO;
	}
	while (flock(*fd, how) != 0) {
		if (errno == EINTR)
			continue;
		r = errno == EWOULDBLOCK ? PORTEN_ERR_UNAVAILABLE : PORTEN_ERR_IO;
		close(*fd);
		*fd = -1;
		return r;
	}
	return 0;
}

static void
dir_unlock(int fd)
{
	if (fd >= 0)
		close(fd);   /* releases the flock */
}

/* Swaps s in; the old set is freed once no reader holds the lock. */
static void
install_set(az_keyring *kr, struct az_keyset *s)
{
	struct az_keyset *old;

	pthread_rwlock_wrlock(&kr->lock);
	old = kr->set;
	kr->set = s;
	pthread_rwlock_unlock(&kr->lock);
	keyset_free(old);
}

static void
install(az_keyring *kr, struct az_keyset *s, const struct stat *st)
{
	struct timespec wall;

	install_set(kr, s);
	kr->dir_mtim = st->st_mtim;
	clock_gettime(CLOCK_REALTIME, &wall);
	kr->racy = st->st_mtim.tv_sec + KEYRING_RACY_S >= wall.tv_sec;
}

/* A fresh key, its kid and its self-signed certificate as PEM (malloc'd). */
static int
generate(const char *cn, porten_key **key, char kid[KID_SIZE], char **crt_pem)
{
	struct porten_buf crt;
	char *b64 = NULL, tp[44];
	size_t n;
	int r;

	*key = NULL;
	*crt_pem = NULL;
	porten_buf_init(&crt, KEYRING_CERT_PEM_MAX);
	if ((r = porten_key_generate_rsa(KEYRING_RSA_BITS, key)) != 0 ||
	    (r = porten_key_thumbprint(*key, tp)) != 0 ||
	    (r = porten_pki_self_signed_b64(*key, cn, KEYRING_CERT_DAYS, &b64)) != 0)
		goto out;
	r = porten_buf_appends(&crt, "-----BEGIN CERTIFICATE-----\n");
	n = strlen(b64);
	for (size_t i = 0; r == 0 && i < n; i += 64)
		r = porten_buf_appendf(&crt, "%.*s\n", (int)(n - i < 64 ? n - i : 64), b64 + i);
	if (r == 0)
		r = porten_buf_appends(&crt, "-----END CERTIFICATE-----\n");
	if (r != 0)
		goto out;
	if ((*crt_pem = porten_buf_detach(&crt, NULL)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	snprintf(kid, KID_SIZE, "%s", tp);
	r = 0;
out:
	if (r != 0) {
		porten_key_unref(*key);
		*key = NULL;
	}
	free(b64);
	porten_buf_release(&crt);
	return r;
}

/* Writes <kid>.key.pem (0600), <kid>.crt.pem, then <kid>.json: the .json makes it a key. */
static int
write_key(const char *dir, const porten_key *key, const char *kid, const char *crt_pem,
          int64_t created, int64_t activates)
{
	char path[PATH_MAX], *pem = NULL, *meta = NULL;
	json_t *m = NULL;
	int r;

	if ((r = porten_key_private_pem(key, &pem)) != 0)
		goto out;
	if ((r = path_of(path, sizeof(path), dir, kid, ".key.pem")) != 0 ||
	    (r = porten_file_write_atomic(path, pem, strlen(pem), 0600)) != 0)
		goto out;
	if ((r = path_of(path, sizeof(path), dir, kid, ".crt.pem")) != 0 ||
	    (r = porten_file_write_atomic(path, crt_pem, strlen(crt_pem), 0644)) != 0)
		goto out;
	m = json_pack("{s:s,s:I,s:I}", "kid", kid, "created", (json_int_t)created,
	              "activates", (json_int_t)activates);
	if (m == NULL || (meta = json_dumps(m, JSON_COMPACT)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	if ((r = path_of(path, sizeof(path), dir, kid, ".json")) != 0 ||
	    (r = porten_file_write_atomic(path, meta, strlen(meta), 0644)) != 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		log_error("keyring: cannot write key %s in '%s': %s", kid, dir, porten_strerror(r));
	if (pem != NULL) {
		porten_wipe(pem, strlen(pem));
		free(pem);
	}
	free(meta);
	json_decref(m);
	return r;
}

static int
published_kid(const struct az_keyset *s, int64_t now, const char *kid)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->keys[i].kid, kid) == 0)
			return published(s, i, now);
	return 0;
}

/* Unlinks the files of every key s does not publish at now: private keys first, so an
 * interrupted removal never leaves a key without its certificate or .json behind.
 * s holds every published key of the directory (they are a suffix of it). */
static void
remove_unpublished(const char *dir, const struct az_keyset *s, int64_t now)
{
	static const char *const suffixes[] = { ".key.pem", ".crt.pem", ".json" };
	char kid[KID_SIZE], path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		log_warn("keyring: cannot read '%s' to remove old keys", dir);
		return;
	}
	for (size_t pass = 0; pass < 2; pass++) {
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			for (size_t j = pass; j < (pass == 0 ? 1 : 3); j++) {
				if (!stem_of(de->d_name, suffixes[j], kid) || published_kid(s, now, kid))
					continue;
				if (path_of(path, sizeof(path), dir, de->d_name, "") != 0 ||
				    (unlink(path) != 0 && errno != ENOENT))
					log_warn("keyring: cannot remove '%s'", path);
				else if (j == 0)
					log_info("keyring: removed signing key %s, no longer published", kid);
				break;
			}
		}
	}
	closedir(d);
}

/* ---- keys kept in a store (az_keyring_open_store) ---- */

#define STORE_SEQ_MAX UINT64_C(9999999999)
#define STORE_WRITE_ATTEMPTS 5

/* A stored key document's members into c; 0 or PORTEN_ERR_INVALID (logged). */
static int
store_cand(const char *seq, const json_t *doc, struct cand *c)
{
	const char *kid = json_string_value(json_object_get(doc, "kid"));

	memset(c, 0, sizeof(*c));
	if (kid == NULL || !kid_valid(kid, strlen(kid)) || meta_time(doc, "created", &c->created) != 0 ||
	    meta_time(doc, "activates", &c->activates) != 0 ||
	    !json_is_string(json_object_get(doc, "key")) || !json_is_string(json_object_get(doc, "crt"))) {
		log_error("keyring: stored signing key %s is not {\"kid\", \"created\", \"activates\", "
		          "\"key\", \"crt\"}", seq);
		return PORTEN_ERR_INVALID;
	}
	snprintf(c->kid, sizeof(c->kid), "%s", kid);
	c->doc = doc;
	return 0;
}

/* Opens the sealed private key of c and loads it with its certificate. */
static int
store_load(const az_keyring *kr, const struct cand *c, struct az_key *k)
{
	const char *crt = json_string_value(json_object_get(c->doc, "crt"));
	char *pem = NULL, where[KID_SIZE + 16];
	size_t len = 0;
	int r;

	if (snprintf(where, sizeof(where), "stored key %s", c->kid) >= (int)sizeof(where))
		where[sizeof(where) - 1] = '\0';
	if ((r = porten_unseal(kr->seal, json_string_value(json_object_get(c->doc, "key")), c->kid,
	                       &pem, &len)) != 0) {
		log_error("keyring: the stored private key of %s does not open with this --keys-secret; "
		          "every instance on one database needs the same secret file", c->kid);
		return r;
	}
	r = load_key_pem(pem, len, where, crt, strlen(crt), where, c, k);
	porten_wipe(pem, len);
	free(pem);
	return r;
}

/* Reads every stored key into a new set (possibly empty); *rows_out (may be NULL) gets
 * the list rows, *next_seq the sequence number a new key takes. */
static int
store_scan(az_keyring *kr, struct az_keyset **out, json_t **rows_out, uint64_t *next_seq)
{
	struct cand c[PORTEN_KEYRING_MAX], x;
	struct az_keyset *s = NULL;
	json_t *rows = NULL, *row;
	size_t n = 0, dropped = 0, i;
	uint64_t last = 0;
	int r;

	*out = NULL;
	if ((r = porten_store_list(kr->store, PORTEN_DOC_SIGNING_KEY, "", &rows)) != 0) {
		log_error("keyring: cannot read the stored signing keys: %s", porten_strerror(r));
		return r;
	}
	json_array_foreach(rows, i, row) {
		const char *seq = json_string_value(json_object_get(row, "key"));
		char *end = NULL;
		unsigned long long v = strtoull(seq, &end, 10);

		if (strlen(seq) != 10 || *end != '\0') {
			log_error("keyring: stored signing key '%s' has no 10-digit sequence number", seq);
			r = PORTEN_ERR_INVALID;
			goto out;
		}
		if (v > last)
			last = v;
		if ((r = store_cand(seq, json_object_get(row, "doc"), &x)) != 0)
			goto out;
		cand_insert(c, &n, &x, &dropped);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = store_load(kr, &c[i], &s->keys[s->n])) != 0)
			goto out;
		s->n++;
	}
	if (next_seq != NULL)
		*next_seq = last + 1;
	*out = s;
	s = NULL;
	if (rows_out != NULL) {
		*rows_out = rows;
		rows = NULL;
	}
	r = 0;
out:
	keyset_free(s);
	json_decref(rows);
	return r;
}

/* The document of a new key: private key sealed to its kid. */
static int
store_doc(const az_keyring *kr, const porten_key *key, const char *kid, const char *crt,
          int64_t created, int64_t activates, json_t **out)
{
	char *pem = NULL, *sealed = NULL;
	int r;

	*out = NULL;
	if ((r = porten_key_private_pem(key, &pem)) != 0)
		return r;
	r = porten_seal(kr->seal, pem, strlen(pem), kid, &sealed);
	porten_wipe(pem, strlen(pem));
	free(pem);
	if (r != 0)
		return r;
	*out = json_pack("{s:s,s:I,s:I,s:s,s:s}", "kid", kid, "created", (json_int_t)created,
	                 "activates", (json_int_t)activates, "crt", crt, "key", sealed);
	free(sealed);
	return *out != NULL ? 0 : PORTEN_ERR_NOMEM;
}

/* Re-reads when the store generation moved (or force). */
static int
store_refresh(az_keyring *kr, int force)
{
	struct az_keyset *s = NULL;
	uint64_t g = 0;
	int r;

	if (force)
		pthread_mutex_lock(&kr->refresh_lock);
	else if (pthread_mutex_trylock(&kr->refresh_lock) != 0)
		return 0;        /* another thread is re-reading right now */
	/* The generation first: a change after it only means one more re-read later. */
	if ((r = porten_store_generation(kr->store, &g)) != 0)
		goto out;
	if (!force && g == kr->gen)
		goto out;
	if ((r = store_scan(kr, &s, NULL, NULL)) != 0)
		goto out;
	if (s->n == 0) {
		log_error("keyring: no signing keys left in the store, keeping the loaded ones");
		keyset_free(s);
		r = PORTEN_ERR_NOT_FOUND;
		goto out;
	}
	install_set(kr, s);
	kr->gen = g;
	r = 0;
out:
	pthread_mutex_unlock(&kr->refresh_lock);
	return r;
}

int
az_keyring_open_store(porten_store *store, const unsigned char seal_key[32], const char *cn,
                      int64_t now, az_keyring **out)
{
	az_keyring *kr = NULL;
	struct az_keyset *s = NULL;
	porten_key *key = NULL;
	json_t *doc = NULL;
	char kid[KID_SIZE], *crt = NULL, seq[16];
	uint64_t next = 1;
	int r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if (store == NULL || seal_key == NULL || cn == NULL || now < 0 || now > KEYRING_TIME_MAX)
		return PORTEN_ERR_INVALID;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return PORTEN_ERR_NOMEM;
	pthread_rwlock_init(&kr->lock, NULL);
	pthread_mutex_init(&kr->refresh_lock, NULL);
	atomic_init(&kr->checked_ns, porten_mono_ns());
	kr->store = store;
	memcpy(kr->seal, seal_key, sizeof(kr->seal));
	if ((kr->cn = strdup(cn)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	/* Instances opening an empty store together: one insert wins, the others load it. */
	for (int attempt = 0; attempt < STORE_WRITE_ATTEMPTS; attempt++) {
		if ((r = porten_store_generation(store, &kr->gen)) != 0 ||
		    (r = store_scan(kr, &s, NULL, &next)) != 0)
			goto out;
		if (s->n > 0)
			break;
		keyset_free(s);
		s = NULL;
		if (key == NULL && ((r = generate(cn, &key, kid, &crt)) != 0 ||
		                    (r = store_doc(kr, key, kid, crt, now, now, &doc)) != 0))
			goto out;
		snprintf(seq, sizeof(seq), "%010llu", (unsigned long long)next);
		r = porten_store_insert(store, PORTEN_DOC_SIGNING_KEY, seq, doc);
		if (r == 0)
			log_info("keyring: generated signing key %s in the store", kid);
		else if (r != PORTEN_ERR_EXISTS)
			goto out;
	}
	if (s == NULL || s->n == 0) {
		r = PORTEN_ERR_CONFLICT;
		goto out;
	}
	install_set(kr, s);
	s = NULL;
	*out = kr;
	kr = NULL;
	r = 0;
out:
	keyset_free(s);
	porten_key_unref(key);
	json_decref(doc);
	free(crt);
	az_keyring_free(kr);
	return r;
}

/* az_keyring_rotate on a store: the next sequence number, with the documents of keys no
 * longer published removed in the same transaction. */
static int
store_rotate(az_keyring *kr, int64_t now, int64_t publish_ahead, const porten_key *key,
             const char *kid, const char *crt)
{
	struct az_keyset *s = NULL;
	struct porten_store_op *ops = NULL;
	json_t *rows = NULL, *doc = NULL, *row;
	char seq[16];
	size_t nops, i, npub;
	uint64_t next = 1;
	int r = PORTEN_ERR_INTERNAL;

	if ((r = store_doc(kr, key, kid, crt, now, now + publish_ahead, &doc)) != 0)
		return r;
	for (int attempt = 0; attempt < STORE_WRITE_ATTEMPTS; attempt++) {
		keyset_free(s);
		s = NULL;
		json_decref(rows);
		rows = NULL;
		free(ops);
		ops = NULL;
		if ((r = store_scan(kr, &s, &rows, &next)) != 0)
			goto out;
		npub = 0;
		for (i = 0; i < s->n; i++) {
			if (strcmp(s->keys[i].kid, kid) == 0) {
				r = PORTEN_ERR_EXISTS;
				goto out;
			}
			npub += published(s, i, now);
		}
		if (npub + 1 > PORTEN_KEYRING_MAX) {
			log_warn("keyring: %zu keys are published in the store, cannot add one", npub);
			r = PORTEN_ERR_TOO_LARGE;
			goto out;
		}
		if (next > STORE_SEQ_MAX) {
			r = PORTEN_ERR_TOO_LARGE;
			goto out;
		}
		if ((ops = calloc(json_array_size(rows) + 1, sizeof(*ops))) == NULL) {
			r = PORTEN_ERR_NOMEM;
			goto out;
		}
		snprintf(seq, sizeof(seq), "%010llu", (unsigned long long)next);
		ops[0] = (struct porten_store_op){ PORTEN_OP_INSERT, PORTEN_DOC_SIGNING_KEY, seq, doc };
		nops = 1;
		json_array_foreach(rows, i, row) {
			const char *rkid = json_string_value(json_object_get(json_object_get(row, "doc"), "kid"));

			if (!published_kid(s, now, rkid ? rkid : ""))
				ops[nops++] = (struct porten_store_op){ PORTEN_OP_DELETE, PORTEN_DOC_SIGNING_KEY,
				                                        json_string_value(json_object_get(row, "key")), NULL };
		}
		/* EXISTS: another instance took that number just now; read again. */
		if ((r = porten_store_apply(kr->store, ops, nops)) != PORTEN_ERR_EXISTS)
			break;
	}
	if (r != 0)
		goto out;
	log_info("keyring: rotated: key %s published, signs from %lld; %zu old key%s removed", kid,
	         (long long)(now + publish_ahead), nops - 1, nops == 2 ? "" : "s");
	r = 0;
out:
	keyset_free(s);
	json_decref(rows);
	json_decref(doc);
	free(ops);
	return r;
}

int
az_keyring_open(const char *dir, const char *cn, int64_t now, az_keyring **out)
{
	az_keyring *kr = NULL;
	struct az_keyset *s = NULL;
	porten_key *key = NULL;
	char kid[KID_SIZE], *crt = NULL;
	struct stat st;
	int lockfd = -1, r;

	*out = NULL;
	if (dir == NULL || cn == NULL || now < 0 || now > KEYRING_TIME_MAX)
		return PORTEN_ERR_INVALID;
	if ((r = porten_mkdirs(dir, 0700)) != 0) {
		log_error("keyring: cannot create '%s'", dir);
		return r;
	}
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return PORTEN_ERR_NOMEM;
	pthread_rwlock_init(&kr->lock, NULL);
	pthread_mutex_init(&kr->refresh_lock, NULL);
	atomic_init(&kr->checked_ns, porten_mono_ns());
	if ((kr->dir = strdup(dir)) == NULL || (kr->cn = strdup(cn)) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	/* Several processes may start on one directory: one generates, the others load. */
	if ((r = dir_lock(dir, LOCK_EX, &lockfd)) != 0)
		goto out;
	if ((r = scan(dir, &s)) != 0)
		goto out;
	if (s->n == 0) {
		keyset_free(s);
		s = NULL;
		if ((r = generate(cn, &key, kid, &crt)) != 0 ||
		    (r = write_key(dir, key, kid, crt, now, now)) != 0 ||
		    (r = scan(dir, &s)) != 0)
			goto out;
		if (s->n == 0) {
			r = PORTEN_ERR_INTERNAL;
			goto out;
		}
		log_info("keyring: generated signing key %s in '%s'", kid, dir);
	}
	if (stat(dir, &st) != 0) {
		r = PORTEN_ERR_IO;
		goto out;
	}
	dir_unlock(lockfd);
	lockfd = -1;
	install(kr, s, &st);
	s = NULL;
	*out = kr;
	kr = NULL;
	r = 0;
out:
	dir_unlock(lockfd);
	keyset_free(s);
	porten_key_unref(key);
	free(crt);
	az_keyring_free(kr);
	return r;
}

void
az_keyring_free(az_keyring *kr)
{
	if (kr == NULL)
		return;
	keyset_free(kr->set);
	pthread_rwlock_destroy(&kr->lock);
	pthread_mutex_destroy(&kr->refresh_lock);
	porten_wipe(kr->seal, sizeof(kr->seal));
	free(kr->dir);
	free(kr->cn);
	free(kr);
}

int
az_keyring_signer(az_keyring *kr, int64_t now, porten_key **key, char kid[64])
{
	const struct az_key *k;

	pthread_rwlock_rdlock(&kr->lock);
	k = &kr->set->keys[signer_index(kr->set, now)];
	*key = porten_key_ref(k->key);
	memcpy(kid, k->kid, KID_SIZE);
	pthread_rwlock_unlock(&kr->lock);
	return 0;
}

int
az_keyring_find(az_keyring *kr, int64_t now, const char *kid, porten_key **key)
{
	const struct az_keyset *s;
	int r = PORTEN_ERR_NOT_FOUND;

	*key = NULL;
	if (kid == NULL)
		return PORTEN_ERR_NOT_FOUND;
	pthread_rwlock_rdlock(&kr->lock);
	s = kr->set;
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->keys[i].kid, kid) == 0) {
			if (published(s, i, now)) {
				*key = porten_key_ref(s->keys[i].key);
				r = 0;
			}
			break;
		}
	}
	pthread_rwlock_unlock(&kr->lock);
	return r;
}

json_t *
az_keyring_jwks(az_keyring *kr, int64_t now)
{
	const struct az_keyset *s;
	json_t *keys = NULL, *o;

	pthread_rwlock_rdlock(&kr->lock);
	s = kr->set;
	if ((keys = json_array()) == NULL)
		goto fail;
	for (size_t i = 0; i < s->n; i++) {
		const struct az_key *k = &s->keys[i];

		if (!published(s, i, now))
			continue;
		/* Member order as Maskinporten publishes: kty, kid, use, alg, n, e, x5c. */
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}", "kty", "RSA", "kid", k->kid,
		              "use", "sig", "alg", "RS256", "n", k->n, "e", k->e, "x5c", k->x5c);
		if (o == NULL || json_array_append_new(keys, o) != 0)
			goto fail;
	}
	pthread_rwlock_unlock(&kr->lock);
	return json_pack("{s:o}", "keys", keys);
fail:
	pthread_rwlock_unlock(&kr->lock);
	json_decref(keys);
	return NULL;
}

static json_t *
iso_or_null(int64_t t, int open_ended)
{
	char buf[32];

	if (open_ended)
		return json_null();
	porten_iso8601(t, buf, sizeof(buf));
	return json_string(buf);
}

json_t *
az_keyring_list(az_keyring *kr, int64_t now)
{
	const struct az_keyset *s;
	json_t *list = NULL, *o;
	size_t si;

	pthread_rwlock_rdlock(&kr->lock);
	s = kr->set;
	si = signer_index(s, now);
	if ((list = json_array()) == NULL)
		goto fail;
	for (size_t i = 0; i < s->n; i++) {
		const struct az_key *k = &s->keys[i];
		int last = i + 1 >= s->n;
		int64_t next = last ? 0 : s->keys[i + 1].activates;

		if (!published(s, i, now))
			continue;
		o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o}", "kid", k->kid,
		              "state", i == si ? "active" : i < si ? "previous" : "next",
		              "created", iso_or_null(k->created, 0),
		              "activates", iso_or_null(k->activates, 0),
		              "signs_until", iso_or_null(next, last),
		              "published_until", iso_or_null(next + PUBLISH_GRACE, last));
		if (o == NULL || json_array_append_new(list, o) != 0)
			goto fail;
	}
	pthread_rwlock_unlock(&kr->lock);
	return list;
fail:
	pthread_rwlock_unlock(&kr->lock);
	json_decref(list);
	return NULL;
}

int
az_keyring_rotate(az_keyring *kr, int64_t now, int64_t publish_ahead, char kid_out[64])
{
	struct az_keyset *s = NULL;
	porten_key *key = NULL;
	char kid[KID_SIZE], *crt = NULL;
	size_t npub = 0;
	int lockfd = -1, r;

	if (publish_ahead < 0 || publish_ahead > PORTEN_KEY_PUBLISH_AHEAD_MAX ||
	    now < 0 || now > KEYRING_TIME_MAX - publish_ahead)
		return PORTEN_ERR_INVALID;
	/* The slow part (RSA key generation) before the lock that scans wait on. */
	if ((r = generate(kr->cn, &key, kid, &crt)) != 0)
		goto out;
	if (kr->store != NULL) {
		if ((r = store_rotate(kr, now, publish_ahead, key, kid, crt)) != 0)
			goto out;
		memcpy(kid_out, kid, KID_SIZE);
		if ((r = az_keyring_refresh(kr, 1)) != 0)
			log_error("keyring: key %s was stored but the keys could not be re-read", kid);
		goto out;
	}
	if ((r = dir_lock(kr->dir, LOCK_EX, &lockfd)) != 0)
		goto out;
	/* The directory as it is now: another process may have rotated since our last read. */
	if ((r = scan(kr->dir, &s)) != 0)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->keys[i].kid, kid) == 0) {
			r = PORTEN_ERR_EXISTS;
			goto out;
		}
		npub += published(s, i, now);
	}
	/* A new key activates at >= now, so it unpublishes no other key at now. */
	if (npub + 1 > PORTEN_KEYRING_MAX) {
		log_warn("keyring: %zu keys are published in '%s', cannot add one", npub, kr->dir);
		r = PORTEN_ERR_TOO_LARGE;
		goto out;
	}
	if ((r = write_key(kr->dir, key, kid, crt, now, now + publish_ahead)) != 0)
		goto out;
	log_info("keyring: rotated: key %s published, signs from %lld", kid,
	         (long long)(now + publish_ahead));
	keyset_free(s);
	s = NULL;
	if ((r = scan(kr->dir, &s)) != 0)
		goto out;
	remove_unpublished(kr->dir, s, now);
	dir_unlock(lockfd);
	lockfd = -1;
	memcpy(kid_out, kid, KID_SIZE);
	if ((r = az_keyring_refresh(kr, 1)) != 0)
		log_error("keyring: key %s was written but '%s' could not be re-read", kid, kr->dir);
out:
	dir_unlock(lockfd);
	keyset_free(s);
	porten_key_unref(key);
	free(crt);
	return r;
}

int
az_keyring_refresh(az_keyring *kr, int force)
{
	struct az_keyset *s = NULL;
	struct stat st;
	int64_t t = porten_mono_ns();
	int lockfd = -1, r;

	/* One cheap query per call: a rotation anywhere is used at the next request. */
	if (kr->store != NULL)
		return store_refresh(kr, force);
	if (force) {
		pthread_mutex_lock(&kr->refresh_lock);
	} else {
		if (t - atomic_load(&kr->checked_ns) < KEYRING_REFRESH_NS)
			return 0;
		/* Another thread is re-reading: its result is as fresh as ours would be. */
		if (pthread_mutex_trylock(&kr->refresh_lock) != 0)
			return 0;
		if (t - atomic_load(&kr->checked_ns) < KEYRING_REFRESH_NS) {
			pthread_mutex_unlock(&kr->refresh_lock);
			return 0;
		}
	}
	atomic_store(&kr->checked_ns, t);
	if (stat(kr->dir, &st) != 0) {
		log_error("keyring: cannot stat '%s'", kr->dir);
		r = PORTEN_ERR_IO;
		goto out;
	}
	if (!force && !kr->racy && st.st_mtim.tv_sec == kr->dir_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == kr->dir_mtim.tv_nsec) {
		r = 0;
		goto out;
	}
	/* A request thread does not wait for a rotation in progress: the next check will. */
	if ((r = dir_lock(kr->dir, force ? LOCK_SH : LOCK_SH | LOCK_NB, &lockfd)) != 0) {
		if (r == PORTEN_ERR_UNAVAILABLE) {
			kr->racy = 1;
			r = 0;
		}
		goto out;
	}
	if (stat(kr->dir, &st) != 0) {
		r = PORTEN_ERR_IO;
		goto out;
	}
	if ((r = scan(kr->dir, &s)) != 0)
		goto out;
	dir_unlock(lockfd);
	lockfd = -1;
	if (s->n == 0) {
		log_error("keyring: no keys left in '%s', keeping the loaded ones", kr->dir);
		r = PORTEN_ERR_NOT_FOUND;
		goto out;
	}
	install(kr, s, &st);
	s = NULL;
	r = 0;
out:
	/* On an error dir_mtim stays: the next check re-reads. */
	dir_unlock(lockfd);
	keyset_free(s);
	pthread_mutex_unlock(&kr->refresh_lock);
	return r;
}
