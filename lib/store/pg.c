/* PostgreSQL backend ("postgresql://..." and "postgres://...", libpq's URI syntax).
 *
 * Connections, migrations (sql/postgresql), reconnection with backoff and error mapping
 * come from pg_util. Every statement is prepared once per connection and run with
 * parameters. The schema is sql/postgresql/001_documents.sql: keys are bytea (their UTF-8
 * bytes), so they compare bytewise in every collation and a list prefix may end inside a
 * UTF-8 sequence; bytea parameters travel as hex text ("\x...").
 *
 * Several porten processes may share one database:
 *   - every document write runs in one transaction that first bumps meta.generation, so
 *     the generation changes for writes made by any instance and writers queue on that
 *     row's lock (never a deadlock between two batches); a transaction refused with a
 *     serialization failure or deadlock (a stricter default_transaction_isolation, say)
 *     is run again;
 *   - a replay claim is one INSERT ... ON CONFLICT ... DO UPDATE ... WHERE expired: the
 *     unique index makes two instances claiming the same key at once see each other,
 *     and with synchronous_commit on (PostgreSQL's default) the claim is durable when
 *     the statement returns.
 *
 * The database going away: a call returns PORTEN_ERR_UNAVAILABLE and the pool reconnects
 * (with backoff) on a later call. A read that failed on a connection the server had cut
 * (a restart) is tried once more on a fresh one; a write is tried again only when it is
 * certain that it did not commit (the failure came before COMMIT was sent); a replay
 * claim never is, since its INSERT may have committed.
 *
 * The URI may carry one parameter of porten's own, pool=N (connections, default
 * PORTEN_PG_POOL_DEFAULT), which is removed before libpq sees the URI. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porten/buf.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "store/pg_util.h"
#include "store/store_impl.h"

#define REPLAY_PURGE_EVERY 1024
#define APPLY_ATTEMPTS 5
/* "\x" + two hex digits per byte + NUL */
#define HEX_SIZE(n) (2 + 2 * (n) + 1)

struct pstore {
	struct porten_store base;
	porten_pg *pg;
	atomic_uint claims;
};

static const struct porten_pg_stmt st_get = {
	"porten_store_get",
	"SELECT doc FROM docs WHERE kind = $1 AND key = $2"
};
static const struct porten_pg_stmt st_put = {
	"porten_store_put",
	"INSERT INTO docs (kind, key, doc, updated_at) VALUES ($1, $2, $3, $4) "
	"ON CONFLICT (kind, key) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at"
};
static const struct porten_pg_stmt st_insert = {
	"porten_store_insert",
	"INSERT INTO docs (kind, key, doc, updated_at) VALUES ($1, $2, $3, $4) "
	"ON CONFLICT (kind, key) DO NOTHING"
};
static const struct porten_pg_stmt st_delete = {
	"porten_store_delete",
	"DELETE FROM docs WHERE kind = $1 AND key = $2"
};
/* A prefix scan as the key range [prefix, upper): see pg_list. */
static const struct porten_pg_stmt st_list_range = {
	"porten_store_list_range",
	"SELECT encode(key, 'hex'), doc FROM docs WHERE kind = $1 AND key >= $2 AND key < $3 "
	"ORDER BY key LIMIT $4"
};
static const struct porten_pg_stmt st_list_from = {
	"porten_store_list_from",
	"SELECT encode(key, 'hex'), doc FROM docs WHERE kind = $1 AND key >= $2 ORDER BY key LIMIT $3"
};
static const struct porten_pg_stmt st_gen_read = {
	"porten_store_gen_read",
	"SELECT value FROM meta WHERE name = 'generation'"
};
static const struct porten_pg_stmt st_gen_bump = {
	"porten_store_gen_bump",
	"UPDATE meta SET value = value + 1 WHERE name = 'generation'"
};
static const struct porten_pg_stmt st_replay = {
	"porten_store_replay",
	"INSERT INTO replay (key, expires) VALUES ($1, $2) "
	"ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE replay.expires <= $3"
};
static const struct porten_pg_stmt st_replay_purge = {
	"porten_store_replay_purge",
	"DELETE FROM replay WHERE expires <= $1"
};

/* bytea input in hex format; out holds HEX_SIZE(n). */
static void
hex_param(char *out, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = p;

	out[0] = '\\';
	out[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		out[2 + 2 * i] = digits[b[i] >> 4];
		out[3 + 2 * i] = digits[b[i] & 15];
	}
	out[2 + 2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* encode(key, 'hex') back to bytes; out holds PORTEN_STORE_KEY_MAX + 1. */
static int
hex_decode(const char *hex, size_t len, char *out, size_t *outlen)
{
	if (len % 2 != 0 || len / 2 > PORTEN_STORE_KEY_MAX)
		return PORTEN_ERR_INTERNAL;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return PORTEN_ERR_INTERNAL;
		out[i] = (char)(hi << 4 | lo);
	}
	out[len / 2] = '\0';
	*outlen = len / 2;
	return 0;
}

/* The number of rows an INSERT/UPDATE/DELETE touched. */
static long
affected(PGresult *res)
{
	const char *n = PQcmdTuples(res);

	return n != NULL && n[0] != '\0' ? strtol(n, NULL, 10) : -1;
}

static int
pg_get(porten_store *s, enum porten_doc_kind kind, const char *key, size_t keylen,
	porten_store_row_fn fn, void *ctx)
{
	struct pstore *ps = (struct pstore *)s;
	struct porten_pg_conn *c = NULL;
	PGresult *res = NULL;
	char k[16], hk[HEX_SIZE(PORTEN_STORE_KEY_MAX)];
	const char *params[2] = { k, hk };
	int r = PORTEN_ERR_INTERNAL;

	snprintf(k, sizeof(k), "%d", (int)kind);
	hex_param(hk, key, keylen);
	/* A second try only when the statement itself met a connection the server cut. */
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((r = porten_pg_acquire(ps->pg, &c)) != 0)
			return r;
		r = porten_pg_exec(c, &st_get, 2, params, &res);
		porten_pg_release(ps->pg, c);
		if (r != PORTEN_ERR_UNAVAILABLE)
			break;
	}
	if (r != 0)
		return r;
	if (PQntuples(res) == 0)
		r = PORTEN_ERR_NOT_FOUND;
	else
		r = fn(ctx, key, keylen, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
	return r;
}

/* Rows of kind with lower <= key (< upper when ulen > 0), in key order, at most limit. */
static int
list_range(struct pstore *ps, enum porten_doc_kind kind, const char *lower, size_t lowerlen,
	const char *upper, size_t ulen, size_t limit, porten_store_row_fn fn, void *ctx)
{
	struct porten_pg_conn *c = NULL;
	PGresult *res = NULL;
	char k[16], lim[24], hl[HEX_SIZE(PORTEN_STORE_KEY_MAX)], hu[HEX_SIZE(PORTEN_STORE_KEY_MAX)];
	char key[PORTEN_STORE_KEY_MAX + 1];
	const char *params[4];
	int nparams, rows, r = PORTEN_ERR_INTERNAL;

	snprintf(k, sizeof(k), "%d", (int)kind);
	snprintf(lim, sizeof(lim), "%llu",
	         (unsigned long long)(limit > (size_t)INT64_MAX ? (size_t)INT64_MAX : limit));
	hex_param(hl, lower, lowerlen);
	params[0] = k;
	params[1] = hl;
	if (ulen > 0) {
		hex_param(hu, upper, ulen);
		params[2] = hu;
		params[3] = lim;
		nparams = 4;
	} else {
		params[2] = lim;
		nparams = 3;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((r = porten_pg_acquire(ps->pg, &c)) != 0)
			return r;
		r = porten_pg_exec(c, ulen > 0 ? &st_list_range : &st_list_from, nparams, params, &res);
		porten_pg_release(ps->pg, c);
		if (r != PORTEN_ERR_UNAVAILABLE)
			break;
	}
	if (r != 0)
		return r;
	rows = PQntuples(res);
	for (int i = 0; i < rows && (size_t)i < limit; i++) {
		size_t keylen;

		if ((r = hex_decode(PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0), key, &keylen)) != 0) {
			log_error("store: postgresql: a stored key is not hex");
			break;
		}
		if ((r = fn(ctx, key, keylen, PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1))) != 0)
			break;
	}
	PQclear(res);
	return r;
}

static int
pg_list_from(porten_store *s, enum porten_doc_kind kind, const char *from, size_t fromlen,
	size_t limit, porten_store_row_fn fn, void *ctx)
{
	return list_range((struct pstore *)s, kind, from, fromlen, NULL, 0, limit, fn, ctx);
}

static int
pg_list(porten_store *s, enum porten_doc_kind kind, const char *prefix, size_t prefixlen,
	size_t limit, porten_store_row_fn fn, void *ctx)
{
	char upper[PORTEN_STORE_KEY_MAX];
	size_t ulen = prefixlen;

	if (prefixlen > sizeof(upper))
		return PORTEN_ERR_TOO_LARGE;
	/* upper: the prefix with its trailing 0xff bytes dropped and the last byte
	 * incremented; no upper bound when there is none (empty prefix, all 0xff). */
	memcpy(upper, prefix, prefixlen);
	while (ulen > 0 && (unsigned char)upper[ulen - 1] == 0xff)
		ulen--;
	if (ulen > 0)
		upper[ulen - 1] = (char)((unsigned char)upper[ulen - 1] + 1);
	return list_range((struct pstore *)s, kind, prefix, prefixlen, upper, ulen, limit, fn, ctx);
}

/* One op inside the open transaction. */
static int
apply_one(struct porten_pg_conn *c, const struct porten_store_wop *op, const char *now)
{
	const struct porten_pg_stmt *st;
	PGresult *res = NULL;
	char k[16], *hk = NULL;
	const char *params[4];
	long n;
	int r = PORTEN_ERR_INTERNAL;

	switch (op->op) {
	case PORTEN_OP_PUT: st = &st_put; break;
	case PORTEN_OP_INSERT: st = &st_insert; break;
	case PORTEN_OP_DELETE: st = &st_delete; break;
	default: return PORTEN_ERR_INTERNAL;
	}
	if ((hk = malloc(HEX_SIZE(op->keylen))) == NULL)
		return PORTEN_ERR_NOMEM;
	snprintf(k, sizeof(k), "%d", (int)op->kind);
	hex_param(hk, op->key, op->keylen);
	params[0] = k;
	params[1] = hk;
	params[2] = op->doc;
	params[3] = now;
	if ((r = porten_pg_exec(c, st, st == &st_delete ? 2 : 4, params, &res)) != 0)
		goto out;
	n = affected(res);
	if (n != 1)
		r = st == &st_delete ? PORTEN_ERR_NOT_FOUND : st == &st_insert ? PORTEN_ERR_EXISTS
		                                                              : PORTEN_ERR_INTERNAL;
	else
		r = 0;
out:
	PQclear(res);
	free(hk);
	return r;
}

/* One attempt; *sent_commit tells whether the outcome of a failure is unknown. */
static int
apply_once(struct pstore *ps, const struct porten_store_wop *ops, size_t n, int *sent_commit,
	int *acquired)
{
	struct porten_pg_conn *c = NULL;
	PGresult *res = NULL;
	char now[24];
	int r = PORTEN_ERR_INTERNAL;

	*sent_commit = 0;
	*acquired = 0;
	snprintf(now, sizeof(now), "%lld", (long long)porten_now());
	if ((r = porten_pg_acquire(ps->pg, &c)) != 0)
		return r;
	*acquired = 1;
	if ((r = porten_pg_simple(c, "BEGIN")) != 0)
		goto out;
	/* First: writers of every instance queue here, and the generation moves. */
	if ((r = porten_pg_exec(c, &st_gen_bump, 0, NULL, &res)) != 0)
		goto out;
	if (affected(res) != 1) {
		log_error("store: postgresql: generation counter missing");
		r = PORTEN_ERR_INTERNAL;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((r = apply_one(c, &ops[i], now)) != 0)
			goto out;
	*sent_commit = 1;
	if ((r = porten_pg_simple(c, "COMMIT")) != 0)
		goto out;
	r = 0;
out:
	PQclear(res);
	/* Rolls back whatever is still open. */
	porten_pg_release(ps->pg, c);
	return r;
}

static int
pg_apply(porten_store *s, const struct porten_store_wop *ops, size_t n)
{
	struct pstore *ps = (struct pstore *)s;
	int r = PORTEN_ERR_INTERNAL, sent_commit = 0, acquired = 0, lost = 0;

	for (int attempt = 0; attempt < APPLY_ATTEMPTS; attempt++) {
		r = apply_once(ps, ops, n, &sent_commit, &acquired);
		if (r == PORTEN_ERR_CONFLICT)
			continue;
		/* Not committed for sure: once more on a fresh connection. */
		if (r == PORTEN_ERR_UNAVAILABLE && acquired && !sent_commit && lost++ == 0)
			continue;
		break;
	}
	if (r == PORTEN_ERR_CONFLICT)
		log_warn("store: postgresql: a write conflicted %d times; giving up", APPLY_ATTEMPTS);
	if (r == PORTEN_ERR_UNAVAILABLE && sent_commit)
		log_warn("store: postgresql: the database went away during COMMIT; the write may or "
		         "may not have been applied");
	return r;
}

static int
pg_generation(porten_store *s, uint64_t *gen)
{
	struct pstore *ps = (struct pstore *)s;
	struct porten_pg_conn *c = NULL;
	PGresult *res = NULL;
	char *end = NULL;
	int r = PORTEN_ERR_INTERNAL;

	for (int attempt = 0; attempt < 2; attempt++) {
		if ((r = porten_pg_acquire(ps->pg, &c)) != 0)
			return r;
		r = porten_pg_exec(c, &st_gen_read, 0, NULL, &res);
		porten_pg_release(ps->pg, c);
		if (r != PORTEN_ERR_UNAVAILABLE)
			break;
	}
	if (r != 0)
		return r;
	if (PQntuples(res) != 1) {
		log_error("store: postgresql: generation counter missing");
		r = PORTEN_ERR_INTERNAL;
	} else {
		*gen = strtoull(PQgetvalue(res, 0, 0), &end, 10);
		r = end != NULL && *end == '\0' ? 0 : PORTEN_ERR_INTERNAL;
	}
	PQclear(res);
	return r;
}

static int
pg_replay_claim(porten_store *s, const unsigned char key[32], int64_t expires, int64_t now)
{
	struct pstore *ps = (struct pstore *)s;
	struct porten_pg_conn *c = NULL;
	PGresult *res = NULL;
	char hk[HEX_SIZE(32)], exp_s[24], now_s[24];
	const char *params[3] = { hk, exp_s, now_s };
	int r = PORTEN_ERR_INTERNAL;

	hex_param(hk, key, 32);
	snprintf(exp_s, sizeof(exp_s), "%lld", (long long)expires);
	snprintf(now_s, sizeof(now_s), "%lld", (long long)now);
	if ((r = porten_pg_acquire(ps->pg, &c)) != 0)
		return r;
	/* Never run twice: after a lost connection the INSERT may have committed. */
	if ((r = porten_pg_exec(c, &st_replay, 3, params, &res)) != 0)
		goto out;
	/* 1: inserted, or an expired entry taken over; 0: the WHERE kept a live one. */
	r = affected(res) == 1 ? 0 : PORTEN_ERR_EXISTS;
	PQclear(res);
	res = NULL;
	if (atomic_fetch_add(&ps->claims, 1) % REPLAY_PURGE_EVERY == REPLAY_PURGE_EVERY - 1) {
		const char *pp[1] = { now_s };

		if (porten_pg_exec(c, &st_replay_purge, 1, pp, &res) == 0)
			log_debug("store: postgresql: purged %ld expired replay entries", affected(res));
	}
out:
	PQclear(res);
	porten_pg_release(ps->pg, c);
	return r;
}

static void
pg_close(porten_store *s)
{
	struct pstore *ps = (struct pstore *)s;

	porten_pg_close(ps->pg);
	free(ps);
}

static const struct porten_store_ops pg_ops = {
	.name = "postgresql",
	.get = pg_get,
	.list = pg_list,
	.list_from = pg_list_from,
	.apply = pg_apply,
	.generation = pg_generation,
	.replay_claim = pg_replay_claim,
	.close = pg_close,
};

/* Copies uri without its pool=N query parameter into out (malloc'd); *pool gets N or 0. */
static int
strip_pool(const char *uri, char **out, unsigned *pool)
{
	const char *q = strchr(uri, '?'), *p;
	size_t n = strlen(uri);
	char *o;
	int first = 1;

	*pool = 0;
	if ((o = malloc(n + 1)) == NULL)
		return PORTEN_ERR_NOMEM;
	if (q == NULL) {
		memcpy(o, uri, n + 1);
		*out = o;
		return 0;
	}
	memcpy(o, uri, (size_t)(q - uri));
	o[q - uri] = '\0';
	for (p = q + 1; *p != '\0';) {
		size_t len = strcspn(p, "&");

		if (len > 5 && strncmp(p, "pool=", 5) == 0) {
			char num[8], *end = NULL;
			unsigned long v;

			if (len - 5 >= sizeof(num))
				goto bad;
			memcpy(num, p + 5, len - 5);
			num[len - 5] = '\0';
			v = strtoul(num, &end, 10);
			if (*end != '\0' || v < 1 || v > PORTEN_PG_POOL_MAX)
				goto bad;
			*pool = (unsigned)v;
		} else if (len > 0) {
			strcat(o, first ? "?" : "&");
			strncat(o, p, len);
			first = 0;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	*out = o;
	return 0;
bad:
	log_error("store: postgresql: pool= in the URI must be 1 to %d", PORTEN_PG_POOL_MAX);
	free(o);
	return PORTEN_ERR_INVALID;
}

int
porten_store_pg_open(const char *uri, porten_store **out)
{
	struct pstore *ps = NULL;
	char *u = NULL;
	unsigned pool = 0;
	int r = PORTEN_ERR_INTERNAL;

	*out = NULL;
	if ((r = strip_pool(uri, &u, &pool)) != 0)
		goto out;
	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	ps->base.ops = &pg_ops;
	atomic_init(&ps->claims, 0);
	if ((r = porten_pg_open(u, "store", pool, &ps->pg)) != 0)
		goto out;
	*out = &ps->base;
	ps = NULL;
	r = 0;
out:
	free(ps);
	if (u != NULL) {
		/* It may hold a password. */
		porten_wipe(u, strlen(u));
		free(u);
	}
	return r;
}
