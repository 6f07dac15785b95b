/* In-memory backend ("memory:"): for tests and throwaway sandboxes. Each open is a fresh,
 * empty store. One mutex guards everything; per kind a sorted array of entries (binary
 * search, memmove on insert), replay keys in a chained hash table. Documents are kept as
 * their canonical text, exactly like the database backends. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "porten/error.h"
#include "store/store_impl.h"

#define REPLAY_BUCKETS_MIN 1024
#define REPLAY_PURGE_EVERY 1024

struct mentry {
	char *key;
	size_t keylen;
	char *doc;
	size_t doclen;
};

struct mkind {
	struct mentry *v;
	size_t n;
	size_t cap;
};

struct rnode {
	unsigned char key[32];
	int64_t expires;
	struct rnode *next;
};

struct mstore {
	struct porten_store base;
	pthread_mutex_t mu;
	struct mkind kinds[PORTEN_DOC_KIND_COUNT];
	uint64_t gen;
	struct rnode **buckets;
	size_t nbuckets;        /* a power of two */
	size_t nreplay;
	unsigned long claims;
};

static int
key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return an < bn ? -1 : an > bn;
}

/* 1 and its index if key is present, else 0 and where it would go. */
static int
mfind(const struct mkind *k, const char *key, size_t keylen, size_t *at)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(k->v[mid].key, k->v[mid].keylen, key, keylen);

		if (c == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return 0;
}

static int
mreserve(struct mkind *k, size_t extra)
{
	struct mentry *v;
	size_t cap;

	if (extra > SIZE_MAX / sizeof(*v) - k->n)
		return PORTEN_ERR_NOMEM;
	if (k->n + extra <= k->cap)
		return 0;
	cap = k->cap ? k->cap : 16;
	while (cap < k->n + extra)
		cap = cap > SIZE_MAX / sizeof(*v) / 2 ? k->n + extra : cap * 2;
	if ((v = realloc(k->v, cap * sizeof(*v))) == NULL)
		return PORTEN_ERR_NOMEM;
	k->v = v;
	k->cap = cap;
	return 0;
}

/* Capacity must have been reserved. */
static void
minsert_at(struct mkind *k, size_t at, const struct mentry *e)
{
	memmove(&k->v[at + 1], &k->v[at], (k->n - at) * sizeof(k->v[0]));
	k->v[at] = *e;
	k->n++;
}

static void
mremove_at(struct mkind *k, size_t at)
{
	memmove(&k->v[at], &k->v[at + 1], (k->n - at - 1) * sizeof(k->v[0]));
	k->n--;
}

static int
mem_get(porten_store *s, enum porten_doc_kind kind, const char *key, size_t keylen,
	porten_store_row_fn fn, void *ctx)
{
	struct mstore *m = (struct mstore *)s;
	const struct mkind *k;
	size_t at;
	int r = PORTEN_ERR_NOT_FOUND;

	pthread_mutex_lock(&m->mu);
	k = &m->kinds[kind];
	if (mfind(k, key, keylen, &at))
		r = fn(ctx, k->v[at].key, k->v[at].keylen, k->v[at].doc, k->v[at].doclen);
	pthread_mutex_unlock(&m->mu);
	return r;
}

static int
mem_list(porten_store *s, enum porten_doc_kind kind, const char *prefix, size_t prefixlen,
	size_t limit, porten_store_row_fn fn, void *ctx)
{
	struct mstore *m = (struct mstore *)s;
	const struct mkind *k;
	size_t at, done = 0;
	int r = 0;

	pthread_mutex_lock(&m->mu);
	k = &m->kinds[kind];
	(void)mfind(k, prefix, prefixlen, &at);
	for (; at < k->n && done < limit; at++, done++) {
		const struct mentry *e = &k->v[at];

		if (e->keylen < prefixlen || memcmp(e->key, prefix, prefixlen) != 0)
			break;
		if ((r = fn(ctx, e->key, e->keylen, e->doc, e->doclen)) != 0)
			break;
	}
	pthread_mutex_unlock(&m->mu);
	return r;
}

static int
mem_list_from(porten_store *s, enum porten_doc_kind kind, const char *from, size_t fromlen,
	size_t limit, porten_store_row_fn fn, void *ctx)
{
	struct mstore *m = (struct mstore *)s;
	const struct mkind *k;
	size_t at, done = 0;
	int r = 0;

	pthread_mutex_lock(&m->mu);
	k = &m->kinds[kind];
	(void)mfind(k, from, fromlen, &at);
	for (; at < k->n && done < limit; at++, done++)
		if ((r = fn(ctx, k->v[at].key, k->v[at].keylen, k->v[at].doc, k->v[at].doclen)) != 0)
			break;
	pthread_mutex_unlock(&m->mu);
	return r;
}

enum { U_NONE, U_INSERTED, U_REPLACED, U_DELETED };

struct undo {
	int what;
	struct mentry e;        /* U_REPLACED: the old doc; U_DELETED: the removed entry */
};

static char *
memdup(const char *p, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

/* Everything that can fail by allocation happens before the first change; after it,
 * the batch either completes or is undone without allocating. */
static int
mem_apply(porten_store *s, const struct porten_store_wop *ops, size_t n)
{
	struct mstore *m = (struct mstore *)s;
	size_t adds[PORTEN_DOC_KIND_COUNT] = { 0 };
	struct mentry *ne = NULL;       /* new entries, owned here until linked in */
	struct undo *u = NULL;
	size_t i = 0;
	int locked = 0;
	int r = PORTEN_ERR_NOMEM;

	if ((ne = calloc(n, sizeof(*ne))) == NULL || (u = calloc(n, sizeof(*u))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (ops[i].op == PORTEN_OP_DELETE)
			continue;
		adds[ops[i].kind]++;
		ne[i].keylen = ops[i].keylen;
		ne[i].doclen = ops[i].doclen;
		if ((ne[i].key = memdup(ops[i].key, ops[i].keylen)) == NULL ||
		    (ne[i].doc = memdup(ops[i].doc, ops[i].doclen)) == NULL)
			goto out;
	}
	pthread_mutex_lock(&m->mu);
	locked = 1;
	for (int k = 0; k < PORTEN_DOC_KIND_COUNT; k++)
		if ((r = mreserve(&m->kinds[k], adds[k])) != 0)
			goto out;

	for (i = 0; i < n; i++) {
		struct mkind *k = &m->kinds[ops[i].kind];
		size_t at;
		int found = mfind(k, ops[i].key, ops[i].keylen, &at);

		switch (ops[i].op) {
		case PORTEN_OP_PUT:
			if (found) {
				u[i].what = U_REPLACED;
				u[i].e.doc = k->v[at].doc;
				u[i].e.doclen = k->v[at].doclen;
				k->v[at].doc = ne[i].doc;
				k->v[at].doclen = ne[i].doclen;
				ne[i].doc = NULL;
				break;
			}
			/* FALLTHROUGH */
		case PORTEN_OP_INSERT:
			if (found) {
				r = PORTEN_ERR_EXISTS;
				goto undo;
			}
			minsert_at(k, at, &ne[i]);
			ne[i].key = ne[i].doc = NULL;
			u[i].what = U_INSERTED;
			break;
		case PORTEN_OP_DELETE:
			if (!found) {
				r = PORTEN_ERR_NOT_FOUND;
				goto undo;
			}
			u[i].what = U_DELETED;
			u[i].e = k->v[at];
			mremove_at(k, at);
			break;
		default:
			r = PORTEN_ERR_INTERNAL;
			goto undo;
		}
	}
	m->gen++;
	r = 0;
	goto out;

undo:
	while (i-- > 0) {
		struct mkind *k = &m->kinds[ops[i].kind];
		size_t at;
		int found = mfind(k, ops[i].key, ops[i].keylen, &at);

		switch (u[i].what) {
		case U_INSERTED:
			if (found) {
				ne[i] = k->v[at];
				mremove_at(k, at);
			}
			break;
		case U_REPLACED:
			if (found) {
				ne[i].doc = k->v[at].doc;
				k->v[at].doc = u[i].e.doc;
				k->v[at].doclen = u[i].e.doclen;
				u[i].e.doc = NULL;
			}
			break;
		case U_DELETED:
			if (!found) {
				minsert_at(k, at, &u[i].e);
				memset(&u[i].e, 0, sizeof(u[i].e));
			}
			break;
		}
	}
out:
	if (locked)
		pthread_mutex_unlock(&m->mu);
	for (i = 0; i < n; i++) {
		if (ne != NULL) {
			free(ne[i].key);
			free(ne[i].doc);
		}
		if (u != NULL) {
			free(u[i].e.key);
			free(u[i].e.doc);
		}
	}
	free(ne);
	free(u);
	return r;
}

static int
mem_generation(porten_store *s, uint64_t *gen)
{
	struct mstore *m = (struct mstore *)s;

	pthread_mutex_lock(&m->mu);
	*gen = m->gen;
	pthread_mutex_unlock(&m->mu);
	return 0;
}

static size_t
replay_hash(const unsigned char key[32])
{
	uint64_t h = 0xcbf29ce484222325u;       /* FNV-1a */

	for (int i = 0; i < 32; i++) {
		h ^= key[i];
		h *= 0x100000001b3u;
	}
	return (size_t)(h ^ (h >> 32));
}

/* Best effort: on allocation failure the table just stays as it is. */
static void
replay_grow(struct mstore *m)
{
	size_t nb = m->nbuckets * 2;
	struct rnode **b;

	if (nb > SIZE_MAX / sizeof(*b) || (b = calloc(nb, sizeof(*b))) == NULL)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct rnode *p = m->buckets[i], *next;

		for (; p != NULL; p = next) {
			size_t h = replay_hash(p->key) & (nb - 1);

			next = p->next;
			p->next = b[h];
			b[h] = p;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = nb;
}

static void
replay_purge(struct mstore *m, int64_t now)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct rnode **pp = &m->buckets[i];

		while (*pp != NULL) {
			struct rnode *p = *pp;

			if (p->expires <= now) {
				*pp = p->next;
				free(p);
				m->nreplay--;
			} else {
				pp = &p->next;
			}
		}
	}
}

static int
mem_replay_claim(porten_store *s, const unsigned char key[32], int64_t expires, int64_t now)
{
	struct mstore *m = (struct mstore *)s;
	struct rnode *p;
	int r = PORTEN_ERR_INTERNAL;

	pthread_mutex_lock(&m->mu);
	for (p = m->buckets[replay_hash(key) & (m->nbuckets - 1)]; p != NULL; p = p->next)
		if (memcmp(p->key, key, 32) == 0)
			break;
	if (p != NULL) {
		if (p->expires > now) {
			r = PORTEN_ERR_EXISTS;
			goto out;
		}
		p->expires = expires;
	} else {
		size_t h;

		if (m->nreplay >= m->nbuckets)
			replay_grow(m);
		if ((p = malloc(sizeof(*p))) == NULL) {
			r = PORTEN_ERR_NOMEM;
			goto out;
		}
		memcpy(p->key, key, 32);
		p->expires = expires;
		h = replay_hash(key) & (m->nbuckets - 1);
		p->next = m->buckets[h];
		m->buckets[h] = p;
		m->nreplay++;
	}
	if (++m->claims % REPLAY_PURGE_EVERY == 0)
		replay_purge(m, now);
	r = 0;
out:
	pthread_mutex_unlock(&m->mu);
	return r;
}

static void
mem_close(porten_store *s)
{
	struct mstore *m = (struct mstore *)s;

	for (int k = 0; k < PORTEN_DOC_KIND_COUNT; k++) {
		for (size_t i = 0; i < m->kinds[k].n; i++) {
			free(m->kinds[k].v[i].key);
			free(m->kinds[k].v[i].doc);
		}
		free(m->kinds[k].v);
	}
	if (m->buckets != NULL) {
		replay_purge(m, INT64_MAX);
		free(m->buckets);
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static const struct porten_store_ops memory_ops = {
	.name = "memory",
	.get = mem_get,
	.list = mem_list,
	.list_from = mem_list_from,
	.apply = mem_apply,
	.generation = mem_generation,
	.replay_claim = mem_replay_claim,
	.close = mem_close,
};

int
porten_store_memory_open(const char *arg, porten_store **out)
{
	struct mstore *m = NULL;
	int r = PORTEN_ERR_INTERNAL;

	if (arg[0] != '\0') {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	r = PORTEN_ERR_NOMEM;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto out;
	if ((m->buckets = calloc(REPLAY_BUCKETS_MIN, sizeof(*m->buckets))) == NULL)
		goto out;
	m->nbuckets = REPLAY_BUCKETS_MIN;
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		r = PORTEN_ERR_INTERNAL;
		goto out;
	}
	m->base.ops = &memory_ops;
	*out = &m->base;
	m = NULL;
	r = 0;
out:
	if (m != NULL)
		free(m->buckets);
	free(m);
	return r;
}
