/* The storage front: URI dispatch, argument checks, and JSON text in and out. The
 * backends (sqlite.c, memory.c, pg.c) see validated bytes only. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "porten/error.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/store.h"
#include "store/store_impl.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)

struct scheme {
	const char *prefix;
	int (*open)(const char *arg, porten_store **out);
	int whole;              /* open gets the whole URI, not what follows the prefix */
};

static const struct scheme schemes[] = {
	{ "sqlite:", porten_store_sqlite_open, 0 },
	{ "memory:", porten_store_memory_open, 0 },
	{ "postgresql://", porten_store_pg_open, 1 },
	{ "postgres://", porten_store_pg_open, 1 },
};

int
porten_store_open(const char *uri, porten_store **out)
{
	char esc[PORTEN_LOG_FIELD_MAX * 4 + 8];
	int r = PORTEN_ERR_INVALID;

	if (out == NULL)
		return PORTEN_ERR_INVALID;
	*out = NULL;
	if (uri == NULL) {
		log_error("store: no storage URI");
		return PORTEN_ERR_INVALID;
	}
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].prefix);

		if (strncmp(uri, schemes[i].prefix, n) != 0)
			continue;
		if (schemes[i].open == NULL) {
			/* Never log the URI itself: it may hold a password. */
			log_error("store: the PostgreSQL backend is not available in this build; "
			          "use sqlite:PATH or memory:");
			return PORTEN_ERR_INVALID;
		}
		r = schemes[i].open(schemes[i].whole ? uri : uri + n, out);
		if (r != 0)
			log_error("store: cannot open the %.*s store: %s", (int)strcspn(uri, ":"),
			          uri, porten_strerror(r));
		return r;
	}
	/* Only the part before ':' is logged; see above. */
	log_error("store: unknown storage URI scheme \"%s\" (want sqlite:PATH, memory: or postgresql://...)",
	          porten_log_escape(esc, sizeof(esc), uri, strcspn(uri, ":")));
	return r;
}

void
porten_store_close(porten_store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

const char *
porten_store_backend(const porten_store *s)
{
	return s != NULL ? s->ops->name : "none";
}

/* Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
static int
utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];
		size_t len;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += len;
	}
	return 1;
}

static int
check_kind(int kind)
{
	return kind >= 0 && kind < PORTEN_DOC_KIND_COUNT ? 0 : PORTEN_ERR_INVALID;
}

static int
check_key(const char *key, size_t *len)
{
	size_t n;

	if (key == NULL)
		return PORTEN_ERR_INVALID;
	n = strnlen(key, PORTEN_STORE_KEY_MAX + 1);
	if (n > PORTEN_STORE_KEY_MAX)
		return PORTEN_ERR_TOO_LARGE;
	if (n == 0 || !utf8_valid((const unsigned char *)key, n))
		return PORTEN_ERR_INVALID;
	*len = n;
	return 0;
}

/* Fills w from op, serialising the document (w->doc is then malloc'd). */
static int
wop_prepare(struct porten_store_wop *w, int op, int kind, const char *key, const json_t *doc)
{
	int r;

	memset(w, 0, sizeof(*w));
	if (op != PORTEN_OP_PUT && op != PORTEN_OP_INSERT && op != PORTEN_OP_DELETE)
		return PORTEN_ERR_INVALID;
	if ((r = check_kind(kind)) != 0 || (r = check_key(key, &w->keylen)) != 0)
		return r;
	w->op = op;
	w->kind = (enum porten_doc_kind)kind;
	w->key = key;
	if (op == PORTEN_OP_DELETE)
		return 0;
	if (!json_is_object(doc))
		return PORTEN_ERR_INVALID;
	/* Fails on NaN/inf reals or too deep a nesting, or out of memory. */
	if ((w->doc = json_dumps(doc, DUMP_FLAGS)) == NULL)
		return PORTEN_ERR_INVALID;
	w->doclen = strlen(w->doc);
	return 0;
}

static int
parse_doc(const char *doc, size_t doclen, json_t **out)
{
	json_error_t err;
	json_t *j;

	if ((j = json_loadb(doc, doclen, JSON_REJECT_DUPLICATES, &err)) == NULL) {
		log_error("store: stored document does not parse: %s", err.text);
		return PORTEN_ERR_INTERNAL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		log_error("store: stored document is not an object");
		return PORTEN_ERR_INTERNAL;
	}
	*out = j;
	return 0;
}

static int
get_row(void *ctx, const char *key, size_t keylen, const char *doc, size_t doclen)
{
	json_t **out = ctx;

	if (*out != NULL)
		return PORTEN_ERR_INTERNAL;
	return parse_doc(doc, doclen, out);
}

int
porten_store_get(porten_store *s, enum porten_doc_kind kind, const char *key, json_t **out)
{
	json_t *doc = NULL;
	size_t keylen;
	int r = PORTEN_ERR_INTERNAL;

	if (out == NULL || s == NULL)
		return PORTEN_ERR_INVALID;
	*out = NULL;
	if ((r = check_kind(kind)) != 0 || (r = check_key(key, &keylen)) != 0)
		goto out;
	if ((r = s->ops->get(s, kind, key, keylen, get_row, &doc)) != 0)
		goto out;
	if (doc == NULL) {
		r = PORTEN_ERR_INTERNAL;
		goto out;
	}
	*out = doc;
	doc = NULL;
	r = 0;
out:
	json_decref(doc);
	return r;
}

static int
write_one(porten_store *s, int op, enum porten_doc_kind kind, const char *key,
	const json_t *doc)
{
	int (*fn)(porten_store *, const struct porten_store_wop *) = NULL;
	struct porten_store_wop w;
	int r = PORTEN_ERR_INTERNAL;

	if (s == NULL)
		return PORTEN_ERR_INVALID;
	if ((r = wop_prepare(&w, op, kind, key, doc)) != 0)
		goto out;
	switch (op) {
	case PORTEN_OP_PUT: fn = s->ops->put; break;
	case PORTEN_OP_INSERT: fn = s->ops->insert; break;
	case PORTEN_OP_DELETE: fn = s->ops->delete; break;
	}
	r = fn != NULL ? fn(s, &w) : s->ops->apply(s, &w, 1);
out:
	free((char *)w.doc);
	return r;
}

int
porten_store_put(porten_store *s, enum porten_doc_kind kind, const char *key, const json_t *doc)
{
	return write_one(s, PORTEN_OP_PUT, kind, key, doc);
}

int
porten_store_insert(porten_store *s, enum porten_doc_kind kind, const char *key,
	const json_t *doc)
{
	return write_one(s, PORTEN_OP_INSERT, kind, key, doc);
}

int
porten_store_delete(porten_store *s, enum porten_doc_kind kind, const char *key)
{
	return write_one(s, PORTEN_OP_DELETE, kind, key, NULL);
}

struct list_ctx {
	json_t *arr;
	size_t n;
};

static int
list_row(void *ctx, const char *key, size_t keylen, const char *doc, size_t doclen)
{
	struct list_ctx *lc = ctx;
	json_t *d = NULL, *k = NULL, *o = NULL;
	int r = PORTEN_ERR_INTERNAL;

	if (lc->n >= PORTEN_STORE_LIST_MAX) {
		r = PORTEN_ERR_TOO_LARGE;
		goto out;
	}
	if ((r = parse_doc(doc, doclen, &d)) != 0)
		goto out;
	r = PORTEN_ERR_NOMEM;
	/* Keys were checked to be UTF-8 on the way in; NULL here is memory. */
	if ((k = json_stringn(key, keylen)) == NULL || (o = json_object()) == NULL)
		goto out;
	if (json_object_set(o, "key", k) != 0 || json_object_set(o, "doc", d) != 0 ||
	    json_array_append(lc->arr, o) != 0)
		goto out;
	lc->n++;
	r = 0;
out:
	json_decref(o);
	json_decref(k);
	json_decref(d);
	return r;
}

struct after_ctx {
	struct list_ctx lc;
	const char *after;
	size_t afterlen, limit;
};

static int
after_row(void *ctx, const char *key, size_t keylen, const char *doc, size_t doclen)
{
	struct after_ctx *ac = ctx;

	if (keylen == ac->afterlen && memcmp(key, ac->after, keylen) == 0)
		return 0;
	if (ac->lc.n >= ac->limit)
		return 0;
	return list_row(&ac->lc, key, keylen, doc, doclen);
}

int
porten_store_list_after(porten_store *s, enum porten_doc_kind kind, const char *after,
                        size_t limit, json_t **out)
{
	struct after_ctx ac;
	int r;

	if (out == NULL || s == NULL || limit == 0 || limit > PORTEN_STORE_LIST_MAX)
		return PORTEN_ERR_INVALID;
	*out = NULL;
	if ((r = check_kind(kind)) != 0)
		return r;
	if (s->ops->list_from == NULL)
		return PORTEN_ERR_INTERNAL;
	memset(&ac, 0, sizeof(ac));
	ac.after = after ? after : "";
	ac.afterlen = strnlen(ac.after, PORTEN_STORE_KEY_MAX + 1);
	ac.limit = limit;
	if (ac.afterlen > PORTEN_STORE_KEY_MAX)
		return PORTEN_ERR_TOO_LARGE;
	if ((ac.lc.arr = json_array()) == NULL)
		return PORTEN_ERR_NOMEM;
	/* One more row than asked for: the first may be "after" itself. */
	r = s->ops->list_from(s, kind, ac.after, ac.afterlen, limit + 1, after_row, &ac);
	if (r != 0) {
		json_decref(ac.lc.arr);
		return r;
	}
	*out = ac.lc.arr;
	return 0;
}

int
porten_store_list(porten_store *s, enum porten_doc_kind kind, const char *prefix, json_t **out)
{
	struct list_ctx lc = { NULL, 0 };
	size_t plen = 0;
	int r = PORTEN_ERR_INTERNAL;

	if (out == NULL || s == NULL)
		return PORTEN_ERR_INVALID;
	*out = NULL;
	if ((r = check_kind(kind)) != 0)
		goto out;
	if (prefix == NULL)
		prefix = "";
	/* Any bytes: a prefix may end inside a UTF-8 sequence. */
	plen = strnlen(prefix, PORTEN_STORE_KEY_MAX + 1);
	if (plen > PORTEN_STORE_KEY_MAX) {
		r = PORTEN_ERR_TOO_LARGE;
		goto out;
	}
	if ((lc.arr = json_array()) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	/* One row past the limit, so that too many rows is an error, not a truncation. */
	r = s->ops->list(s, kind, prefix, plen, (size_t)PORTEN_STORE_LIST_MAX + 1,
	                 list_row, &lc);
	if (r != 0)
		goto out;
	*out = lc.arr;
	lc.arr = NULL;
	r = 0;
out:
	json_decref(lc.arr);
	return r;
}

int
porten_store_apply(porten_store *s, const struct porten_store_op *ops, size_t n)
{
	struct porten_store_wop *w = NULL;
	size_t done = 0;
	int r = PORTEN_ERR_INTERNAL;

	if (s == NULL || (ops == NULL && n > 0))
		return PORTEN_ERR_INVALID;
	if (n == 0)
		return 0;
	if (n > SIZE_MAX / sizeof(*w) || (w = calloc(n, sizeof(*w))) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	for (; done < n; done++)
		if ((r = wop_prepare(&w[done], (int)ops[done].op, (int)ops[done].kind,
		                     ops[done].key, ops[done].doc)) != 0)
			goto out;
	r = s->ops->apply(s, w, n);
out:
	if (w != NULL)
		for (size_t i = 0; i < n; i++)
			free((char *)w[i].doc);
	free(w);
	return r;
}

int
porten_store_generation(porten_store *s, uint64_t *gen)
{
	if (s == NULL || gen == NULL)
		return PORTEN_ERR_INVALID;
	return s->ops->generation(s, gen);
}

int
porten_store_replay_claim(porten_store *s, const unsigned char key[32], int64_t expires,
	int64_t now)
{
	if (s == NULL || key == NULL)
		return PORTEN_ERR_INVALID;
	return s->ops->replay_claim(s, key, expires, now);
}
