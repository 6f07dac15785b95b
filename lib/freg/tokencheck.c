/* Bearer-token verification for the register: see include/porten/tokencheck.h.
 *
 * Two pieces of shared state, each behind its own mutex:
 *   - the key set (kid -> porten_key) with its refresh state. A refresh runs without the
 *     lock held, by exactly one thread (fetching = true); callers that need a kid the
 *     current set lacks wait on a condition variable for that refresh instead of starting
 *     their own, and nobody starts one within refresh_min_s of the previous attempt;
 *   - the verified-token cache: cache_max slots indexed by the SHA-256 of the token,
 *     probed over a short window; an insert takes a free slot, else an expired one, else
 *     the oldest in the window. Entries are only ever made from fully verified tokens. */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "porten/buf.h"
#include "porten/client.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/jws.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/rand.h"
#include "porten/tokencheck.h"

#define TC_PROBE 8                   /* cache slots looked at per lookup or insert */
#define TC_URL_MAX 4096              /* a metadata or JWKS URL */

struct tc_key {
	char kid[PORTEN_KID_MAX + 1];
	porten_key *key;
};

struct tc_keyset {
	size_t n;
	struct tc_key k[PORTEN_JWKS_KEYS_MAX];
};

struct tc_slot {
	unsigned char h[32];
	int64_t exp;
	uint64_t seq;                    /* insertion order, for eviction */
	struct porten_bearer *b;         /* NULL: free */
};

struct porten_tokencheck {
	char *issuer;
	char *base_url;
	char *ca_bundle;
	int64_t (*now)(void);
	int refresh_min_s;
	int max_age_s;
	long timeout_ms;

	pthread_mutex_t key_mu;
	pthread_cond_t key_cv;
	struct tc_keyset *keys;          /* NULL until the first successful fetch */
	int64_t fetched_at;              /* of keys */
	int64_t last_attempt;
	bool attempted;
	bool fetching;
	bool last_failed;

	pthread_mutex_t cache_mu;
	struct tc_slot *slots;
	size_t nslots;
	size_t ncached;
	uint64_t seq;

	_Atomic uint64_t n_verified;
	_Atomic uint64_t n_hits;
	_Atomic uint64_t n_fetches;
	_Atomic uint64_t n_fetch_failures;
};

/* ---- key set ---- */

static void
keyset_free(struct tc_keyset *ks)
{
	if (ks == NULL)
		return;
	for (size_t i = 0; i < ks->n; i++)
		porten_key_unref(ks->k[i].key);
	free(ks);
}

static porten_key *
keyset_find(const struct tc_keyset *ks, const char *kid)
{
	if (ks == NULL)
		return NULL;
	for (size_t i = 0; i < ks->n; i++)
		if (strcmp(ks->k[i].kid, kid) == 0)
			return ks->k[i].key;
	return NULL;
}

/* The usable signing keys of a JWK Set: RSA, use absent or "sig", alg absent or "RS256",
 * a kid of 1..PORTEN_KID_MAX bytes, the first of any duplicate kid. Others are skipped. */
static int
keyset_parse(const json_t *doc, struct tc_keyset **out)
{
	struct tc_keyset *ks;
	const json_t *keys = json_object_get(doc, "keys"), *jwk;
	size_t i;

	*out = NULL;
	if (!json_is_array(keys))
		return PORTEN_ERR_INVALID;
	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return PORTEN_ERR_NOMEM;
	json_array_foreach(keys, i, jwk) {
		const char *kty = json_string_value(json_object_get(jwk, "kty"));
		const char *kid = json_string_value(json_object_get(jwk, "kid"));
		const json_t *use = json_object_get(jwk, "use"), *alg = json_object_get(jwk, "alg");
		porten_key *k = NULL;

		if (ks->n == PORTEN_JWKS_KEYS_MAX)
			break;
		if (kty == NULL || strcmp(kty, "RSA") != 0 || kid == NULL || kid[0] == '\0' ||
		    strlen(kid) > PORTEN_KID_MAX ||
		    (use != NULL && (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0)) ||
		    (alg != NULL && (!json_is_string(alg) || strcmp(json_string_value(alg), "RS256") != 0)) ||
		    keyset_find(ks, kid) != NULL || porten_key_from_jwk(jwk, &k) != 0)
			continue;
		memcpy(ks->k[ks->n].kid, kid, strlen(kid) + 1);
		ks->k[ks->n].key = k;
		ks->n++;
	}
	if (ks->n == 0) {            /* nothing usable: keep whatever set we had */
		free(ks);
		return PORTEN_ERR_INVALID;
	}
	*out = ks;
	return 0;
}

/* Discovery at base_url (or the issuer), then the JWKS. Runs without any lock held. */
static int
fetch_keyset(porten_tokencheck *tc, struct tc_keyset **out)
{
	struct porten_client_config cc = { 0 };
	struct porten_client_metadata md = { 0 };
	struct porten_client_problem problem;
	struct porten_client_request req = { 0 };
	struct porten_client_response resp = { 0 };
	porten_client *c = NULL;
	const char *where = tc->base_url ? tc->base_url : tc->issuer;
	struct porten_buf url;
	char esc[PORTEN_LOG_FIELD_MAX * 4 + 1];
	json_t *doc = NULL;
	size_t ilen = strlen(tc->issuer);
	int r;

	*out = NULL;
	porten_buf_init(&url, TC_URL_MAX);
	cc.ca_bundle = tc->ca_bundle;
	cc.connect_timeout_ms = tc->timeout_ms;
	cc.timeout_ms = tc->timeout_ms;
	cc.response_max = PORTEN_JWKS_MAX;
	if ((r = porten_client_new(&cc, &c)) != 0)
		goto out;
	if ((r = porten_client_discover(c, where, &md, &problem)) != 0) {
		if (r == PORTEN_ERR_REFUSED)
			log_warn("jwks: discovery at '%s' answered %ld", where, problem.status);
		else
			log_warn("jwks: discovery failed: %s", porten_client_errmsg(c));
		goto out;
	}
	if (strcmp(md.issuer, tc->issuer) != 0) {
		log_warn("jwks: metadata at '%s' names issuer \"%s\", not the trusted one", where,
		         porten_log_escape(esc, sizeof(esc), md.issuer, strlen(md.issuer)));
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if (md.jwks_uri == NULL) {
		log_warn("jwks: metadata at '%s' has no jwks_uri", where);
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	/* A jwks_uri under the issuer is fetched where the metadata came from. */
	if (tc->base_url != NULL && strncmp(md.jwks_uri, tc->issuer, ilen) == 0)
		r = porten_url_join(&url, tc->base_url, md.jwks_uri + ilen);
	else
		r = porten_buf_appends(&url, md.jwks_uri);
	if (r != 0)
		goto out;
	req.url = url.data;
	req.accept = "application/json";
	if ((r = porten_client_request(c, &req, &resp)) != 0) {
		log_warn("jwks: fetch failed: %s", porten_client_errmsg(c));
		goto out;
	}
	if (resp.status != 200) {
		log_warn("jwks: '%s' answered %ld",
		         porten_log_escape(esc, sizeof(esc), url.data, url.len), resp.status);
		r = PORTEN_ERR_REFUSED;
		goto out;
	}
	if ((doc = json_loadb(resp.body, resp.body_len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    (r = keyset_parse(doc, out)) != 0) {
		log_warn("jwks: '%s' holds no usable RS256 signing key",
		         porten_log_escape(esc, sizeof(esc), url.data, url.len));
		r = r != 0 ? r : PORTEN_ERR_INVALID;
		goto out;
	}
	log_info("jwks: %zu signing key(s) from '%s'", (*out)->n,
	         porten_log_escape(esc, sizeof(esc), url.data, url.len));
	r = 0;
out:
	json_decref(doc);
	porten_client_response_clear(&resp);
	porten_client_metadata_clear(&md);
	porten_client_free(c);
	porten_buf_release(&url);
	return r;
}

static bool
may_fetch(const porten_tokencheck *tc, int64_t now)
{
	/* A clock that jumped back by more than the interval does not block refreshes. */
	return !tc->attempted || now - tc->last_attempt >= tc->refresh_min_s ||
	       tc->last_attempt - now > tc->refresh_min_s;
}

/* The key for kid, referenced. OK, SIGNATURE (kid unknown to a fresh enough set) or
 * UNAVAILABLE (no set, or the last fetch failed and the kid is not in the set we hold). */
static enum porten_tokencheck_status
find_key(porten_tokencheck *tc, const char *kid, int64_t now, porten_key **out)
{
	enum porten_tokencheck_status st;
	struct tc_keyset *fresh = NULL;
	porten_key *k;
	bool stale, waited = false;
	int r;

	*out = NULL;
	pthread_mutex_lock(&tc->key_mu);
	for (;;) {
		if (waited)
			now = tc->now();     /* time has passed while we waited */
		k = keyset_find(tc->keys, kid);
		stale = tc->keys != NULL && (now - tc->fetched_at >= tc->max_age_s ||
		                              tc->fetched_at - now > tc->max_age_s);
		if (k != NULL && !(stale && !tc->fetching && may_fetch(tc, now))) {
			*out = porten_key_ref(k);
			st = PORTEN_TOKENCHECK_OK;
			break;
		}
		if (k == NULL && tc->fetching) {
			/* Someone is refreshing: the answer is in the set they bring back. */
			pthread_cond_wait(&tc->key_cv, &tc->key_mu);
			waited = true;
			continue;
		}
		if (!may_fetch(tc, now)) {
			if (k != NULL) {
				*out = porten_key_ref(k);
				st = PORTEN_TOKENCHECK_OK;
			} else {
				st = tc->keys == NULL || tc->last_failed ? PORTEN_TOKENCHECK_UNAVAILABLE
				                                         : PORTEN_TOKENCHECK_SIGNATURE;
			}
			break;
		}
		tc->fetching = true;
		tc->attempted = true;
		tc->last_attempt = now;
		pthread_mutex_unlock(&tc->key_mu);

		atomic_fetch_add(&tc->n_fetches, 1);
		r = fetch_keyset(tc, &fresh);

		pthread_mutex_lock(&tc->key_mu);
		tc->fetching = false;
		if (r == 0) {
			/* Callers holding a key of the old set hold their own reference. */
			keyset_free(tc->keys);
			tc->keys = fresh;
			tc->fetched_at = now;
			tc->last_failed = false;
			fresh = NULL;
		} else {
			atomic_fetch_add(&tc->n_fetch_failures, 1);
			tc->last_failed = true;
		}
		pthread_cond_broadcast(&tc->key_cv);
		/* Loop: the new set (or the old one after a failure) decides; may_fetch is now
		 * false, so this thread does not fetch again. */
	}
	pthread_mutex_unlock(&tc->key_mu);
	return st;
}

/* ---- verified-token cache ---- */

static size_t
slot_index(const porten_tokencheck *tc, const unsigned char h[32])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | h[i];
	return (size_t)(v % tc->nslots);
}

static bool
is_expired(int64_t exp, int64_t now)
{
	return exp <= now - PORTEN_CLOCK_SKEW_S;
}

/* 1: hit (out filled), 0: miss, -1: hit on an expired token (entry dropped). */
static int
cache_get(porten_tokencheck *tc, const unsigned char h[32], int64_t now, struct porten_bearer *out)
{
	size_t i = slot_index(tc, h), probe = tc->nslots < TC_PROBE ? tc->nslots : TC_PROBE;
	struct porten_bearer *drop = NULL;
	int hit = 0;

	pthread_mutex_lock(&tc->cache_mu);
	for (size_t p = 0; p < probe; p++, i = (i + 1) % tc->nslots) {
		struct tc_slot *s = &tc->slots[i];

		if (s->b == NULL || memcmp(s->h, h, 32) != 0)
			continue;
		if (is_expired(s->exp, now)) {
			drop = s->b;
			s->b = NULL;
			tc->ncached--;
			hit = -1;
		} else {
			*out = *s->b;
			hit = 1;
		}
		break;
	}
	pthread_mutex_unlock(&tc->cache_mu);
	free(drop);
	return hit;
}

/* Eviction preference: 0 free, 1 expired, 2 live. */
static int
rank(const struct tc_slot *s, int64_t now)
{
	return s->b == NULL ? 0 : is_expired(s->exp, now) ? 1 : 2;
}

static void
cache_put(porten_tokencheck *tc, const unsigned char h[32], int64_t now, const struct porten_bearer *b)
{
	size_t i = slot_index(tc, h), probe = tc->nslots < TC_PROBE ? tc->nslots : TC_PROBE;
	struct tc_slot *victim = NULL;
	struct porten_bearer *copy = malloc(sizeof(*copy)), *drop = NULL;

	if (copy == NULL)
		return;              /* the cache is an optimisation */
	*copy = *b;
	copy->from_cache = false;
	pthread_mutex_lock(&tc->cache_mu);
	/* The same token (verified by another thread meanwhile), else a free slot, else an
	 * expired one, else the oldest. */
	for (size_t p = 0; p < probe; p++, i = (i + 1) % tc->nslots) {
		struct tc_slot *s = &tc->slots[i];

		if (s->b != NULL && memcmp(s->h, h, 32) == 0) {
			victim = s;
			break;
		}
		if (victim == NULL || rank(s, now) < rank(victim, now) ||
		    (rank(s, now) == 2 && rank(victim, now) == 2 && s->seq < victim->seq))
			victim = s;
	}
	drop = victim->b;
	if (drop == NULL)
		tc->ncached++;
	memcpy(victim->h, h, 32);
	victim->exp = b->exp;
	victim->seq = ++tc->seq;
	victim->b = copy;
	pthread_mutex_unlock(&tc->cache_mu);
	free(drop);
}

/* ---- claims ---- */

/* {"authority": ..., "ID": "0192:<9 digits>"} -> orgno. The authority is not checked
 * (spec 3.2: tolerate new ones); an ID of another shape is refused. */
static bool
org_id(const json_t *o, char orgno[10])
{
	const char *id = json_string_value(json_object_get(o, "ID"));

	if (!json_is_object(o) || id == NULL || json_string_length(json_object_get(o, "ID")) != 14 ||
	    strncmp(id, "0192:", 5) != 0)
		return false;
	for (int i = 5; i < 14; i++)
		if (id[i] < '0' || id[i] > '9')
			return false;
	memcpy(orgno, id + 5, 9);
	orgno[9] = '\0';
	return true;
}

/* A string member of at most max bytes (no NUL inside) copied into out. */
static bool
str_claim(const json_t *claims, const char *name, char *out, size_t max)
{
	const json_t *j = json_object_get(claims, name);
	size_t n;

	if (!json_is_string(j) || (n = json_string_length(j)) > max ||
	    strlen(json_string_value(j)) != n)
		return false;
	memcpy(out, json_string_value(j), n + 1);
	return true;
}

static enum porten_tokencheck_status
check_claims(const porten_tokencheck *tc, const json_t *claims, int64_t now, struct porten_bearer *b)
{
	const json_t *iss = json_object_get(claims, "iss"), *exp = json_object_get(claims, "exp");
	const json_t *iat = json_object_get(claims, "iat"), *nbf = json_object_get(claims, "nbf");
	const json_t *tt = json_object_get(claims, "token_type");
	const json_t *supplier = json_object_get(claims, "supplier");

	if (!json_is_string(iss)) {
		b->reason = "iss missing";
		return PORTEN_TOKENCHECK_MALFORMED;
	}
	if (json_string_length(iss) != strlen(tc->issuer) ||
	    strcmp(json_string_value(iss), tc->issuer) != 0) {
		b->reason = "iss is not the trusted issuer";
		return PORTEN_TOKENCHECK_ISSUER;
	}
	if (!json_is_integer(exp) || !json_is_integer(iat)) {
		b->reason = "exp or iat missing or not an integer";
		return PORTEN_TOKENCHECK_MALFORMED;
	}
	b->exp = json_integer_value(exp);
	b->iat = json_integer_value(iat);
	if (is_expired(b->exp, now)) {
		b->reason = "expired";
		return PORTEN_TOKENCHECK_EXPIRED;
	}
	if (b->iat > now + PORTEN_BEARER_IAT_AHEAD_S) {
		b->reason = "iat in the future";
		return PORTEN_TOKENCHECK_MALFORMED;
	}
	if (nbf != NULL && (!json_is_integer(nbf) || json_integer_value(nbf) > now + PORTEN_CLOCK_SKEW_S)) {
		b->reason = "nbf in the future";
		return PORTEN_TOKENCHECK_MALFORMED;
	}
	if (tt != NULL && (!json_is_string(tt) || strcmp(json_string_value(tt), "Bearer") != 0)) {
		b->reason = "token_type is not Bearer";
		return PORTEN_TOKENCHECK_MALFORMED;
	}
	if (!str_claim(claims, "scope", b->scope, PORTEN_SCOPE_STRING_MAX)) {
		b->reason = "scope missing, not a string or too long";
		return PORTEN_TOKENCHECK_MALFORMED;
	}
	if (!str_claim(claims, "client_id", b->client_id, PORTEN_CLIENT_ID_MAX) ||
	    !str_claim(claims, "jti", b->jti, PORTEN_JTI_MAX)) {
		b->reason = "client_id or jti missing, not a string or too long";
		return PORTEN_TOKENCHECK_MALFORMED;
	}
	if (!org_id(json_object_get(claims, "consumer"), b->consumer_orgno)) {
		b->reason = "consumer.ID is not 0192:<orgno>";
		return PORTEN_TOKENCHECK_MALFORMED;
	}
	if (supplier != NULL && !org_id(supplier, b->supplier_orgno)) {
		b->reason = "supplier.ID is not 0192:<orgno>";
		return PORTEN_TOKENCHECK_MALFORMED;
	}
	return PORTEN_TOKENCHECK_OK;
}

/* ---- verification ---- */

enum porten_tokencheck_status
porten_tokencheck_verify(porten_tokencheck *tc, const char *token, size_t len, struct porten_bearer *out)
{
	enum porten_tokencheck_status st = PORTEN_TOKENCHECK_INTERNAL;
	struct porten_jws_view v;
	json_t *hdr = NULL, *claims = NULL;
	porten_key *key = NULL;
	unsigned char h[32];
	const char *alg, *kid;
	int64_t now = tc->now();
	int hit;

	memset(out, 0, sizeof(*out));
	out->reason = "";
	/* 1. Length, before anything else. */
	if (token == NULL || len == 0 || len > PORTEN_BEARER_MAX) {
		out->reason = len > PORTEN_BEARER_MAX ? "token too long" : "token empty";
		st = PORTEN_TOKENCHECK_MALFORMED;
		goto out;
	}
	/* 2. The cache: the same bytes were verified before. */
	if (porten_sha256(token, len, h) != 0)
		goto out;
	if ((hit = cache_get(tc, h, now, out)) != 0) {
		if (hit < 0) {
			memset(out, 0, sizeof(*out));
			out->reason = "expired";
			st = PORTEN_TOKENCHECK_EXPIRED;
			goto out;
		}
		atomic_fetch_add(&tc->n_hits, 1);
		out->from_cache = true;
		out->reason = "";
		st = PORTEN_TOKENCHECK_OK;
		goto out;
	}
	/* 3. Shape and header. */
	st = PORTEN_TOKENCHECK_MALFORMED;
	if (porten_jws_split(token, len, PORTEN_BEARER_MAX, &v) != 0) {
		out->reason = "not a compact JWS";
		goto out;
	}
	if (porten_jws_decode_json(v.header, v.header_len, PORTEN_BEARER_HEADER_MAX, &hdr) != 0) {
		out->reason = "header is not a JSON object";
		goto out;
	}
	alg = json_string_value(json_object_get(hdr, "alg"));
	kid = json_string_value(json_object_get(hdr, "kid"));
	if (alg == NULL || strcmp(alg, "RS256") != 0 ||
	    json_string_length(json_object_get(hdr, "alg")) != 5) {
		out->reason = "alg not RS256";
		goto out;
	}
	if (kid == NULL || kid[0] == '\0' || json_string_length(json_object_get(hdr, "kid")) > PORTEN_KID_MAX ||
	    strlen(kid) != json_string_length(json_object_get(hdr, "kid"))) {
		out->reason = "kid missing or too long";
		goto out;
	}
	if (json_object_get(hdr, "crit") != NULL) {
		out->reason = "crit header not understood";
		goto out;
	}
	/* 4. The key. */
	if ((st = find_key(tc, kid, now, &key)) != PORTEN_TOKENCHECK_OK) {
		out->reason = st == PORTEN_TOKENCHECK_UNAVAILABLE ? "issuer keys unavailable" : "kid unknown";
		goto out;
	}
	/* 5. The signature. */
	atomic_fetch_add(&tc->n_verified, 1);
	if (porten_jws_verify(&v, PORTEN_JWS_RS256, key) != 0) {
		out->reason = "bad signature";
		st = PORTEN_TOKENCHECK_SIGNATURE;
		goto out;
	}
	/* 6. Claims. */
	if (porten_jws_decode_json(v.payload, v.payload_len, PORTEN_JWT_PAYLOAD_MAX, &claims) != 0) {
		out->reason = "payload is not a JSON object";
		st = PORTEN_TOKENCHECK_MALFORMED;
		goto out;
	}
	if ((st = check_claims(tc, claims, now, out)) != PORTEN_TOKENCHECK_OK)
		goto out;
	cache_put(tc, h, now, out);
	out->reason = "";
	st = PORTEN_TOKENCHECK_OK;
out:
	if (st != PORTEN_TOKENCHECK_OK) {
		const char *reason = out->reason;

		memset(out, 0, sizeof(*out));
		out->reason = reason[0] ? reason : "internal error";
	}
	porten_key_unref(key);
	json_decref(hdr);
	json_decref(claims);
	return st;
}

/* ---- small helpers ---- */

int
porten_bearer_from_header(const char *value, const char **tok, size_t *len)
{
	const char *p;
	size_t n;

	*tok = NULL;
	*len = 0;
	if (value == NULL || strncasecmp(value, "Bearer", 6) != 0 || value[6] != ' ')
		return PORTEN_ERR_INVALID;
	for (p = value + 6; *p == ' '; p++)
		;
	/* token68: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then "=" padding. */
	for (n = 0; p[n] != '\0' && (isalnum((unsigned char)p[n]) || strchr("-._~+/", p[n]) != NULL); n++)
		;
	while (p[n] == '=')
		n++;
	if (n == 0 || p[n] != '\0')
		return PORTEN_ERR_INVALID;
	*tok = p;
	*len = n;
	return 0;
}

bool
porten_bearer_has_scope(const struct porten_bearer *b, const char *scope)
{
	size_t n = strlen(scope);
	const char *p = b->scope;

	if (n == 0)
		return false;
	while (*p) {
		size_t m = strcspn(p, " ");

		if (m == n && memcmp(p, scope, n) == 0)
			return true;
		p += m;
		while (*p == ' ')
			p++;
	}
	return false;
}

int
porten_tokencheck_http_status(enum porten_tokencheck_status st)
{
	switch (st) {
	case PORTEN_TOKENCHECK_OK:
		return 200;
	case PORTEN_TOKENCHECK_MALFORMED:
	case PORTEN_TOKENCHECK_SIGNATURE:
	case PORTEN_TOKENCHECK_EXPIRED:
	case PORTEN_TOKENCHECK_ISSUER:
		return 401;
	case PORTEN_TOKENCHECK_UNAVAILABLE:
		return 503;
	case PORTEN_TOKENCHECK_INTERNAL:
		break;
	}
	return 500;
}

const char *
porten_tokencheck_status_name(enum porten_tokencheck_status st)
{
	switch (st) {
	case PORTEN_TOKENCHECK_OK:          return "ok";
	case PORTEN_TOKENCHECK_MALFORMED:   return "malformed";
	case PORTEN_TOKENCHECK_SIGNATURE:   return "bad signature";
	case PORTEN_TOKENCHECK_EXPIRED:     return "expired";
	case PORTEN_TOKENCHECK_ISSUER:      return "wrong issuer";
	case PORTEN_TOKENCHECK_UNAVAILABLE: return "issuer keys unavailable";
	case PORTEN_TOKENCHECK_INTERNAL:    break;
	}
	return "internal error";
}

/* ---- lifecycle ---- */

static bool
is_http_url(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

int
porten_tokencheck_new(const struct porten_tokencheck_config *cfg, porten_tokencheck **out)
{
	porten_tokencheck *tc = NULL;
	size_t nslots = cfg->cache_max ? cfg->cache_max : PORTEN_BEARER_CACHE_MAX;
	int r = PORTEN_ERR_INVALID;

	*out = NULL;
	if (cfg->issuer == NULL || cfg->issuer[0] == '\0' ||
	    (cfg->base_url != NULL && !is_http_url(cfg->base_url)))
		return PORTEN_ERR_INVALID;
	r = PORTEN_ERR_NOMEM;
	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		return r;
	if ((tc->issuer = strdup(cfg->issuer)) == NULL ||
	    (cfg->base_url != NULL && (tc->base_url = strdup(cfg->base_url)) == NULL) ||
	    (cfg->ca_bundle != NULL && (tc->ca_bundle = strdup(cfg->ca_bundle)) == NULL) ||
	    (tc->slots = calloc(nslots, sizeof(*tc->slots))) == NULL) {
		free(tc->issuer);
		free(tc->base_url);
		free(tc->ca_bundle);
		free(tc);
		return r;
	}
	tc->nslots = nslots;
	tc->now = cfg->now ? cfg->now : porten_now;
	tc->refresh_min_s = cfg->refresh_min_s > 0 ? cfg->refresh_min_s : PORTEN_JWKS_REFRESH_MIN_S;
	tc->max_age_s = cfg->max_age_s > 0 ? cfg->max_age_s : PORTEN_JWKS_MAX_AGE_S;
	tc->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : PORTEN_JWKS_TIMEOUT_MS;
	pthread_mutex_init(&tc->key_mu, NULL);
	pthread_cond_init(&tc->key_cv, NULL);
	pthread_mutex_init(&tc->cache_mu, NULL);
	*out = tc;
	return 0;
}

void
porten_tokencheck_free(porten_tokencheck *tc)
{
	if (tc == NULL)
		return;
	for (size_t i = 0; i < tc->nslots; i++)
		free(tc->slots[i].b);
	free(tc->slots);
	keyset_free(tc->keys);
	pthread_mutex_destroy(&tc->key_mu);
	pthread_cond_destroy(&tc->key_cv);
	pthread_mutex_destroy(&tc->cache_mu);
	free(tc->issuer);
	free(tc->base_url);
	free(tc->ca_bundle);
	free(tc);
}

void
porten_tokencheck_stats(porten_tokencheck *tc, struct porten_tokencheck_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->verified = atomic_load(&tc->n_verified);
	st->cache_hits = atomic_load(&tc->n_hits);
	st->jwks_fetches = atomic_load(&tc->n_fetches);
	st->jwks_failures = atomic_load(&tc->n_fetch_failures);
	pthread_mutex_lock(&tc->key_mu);
	st->keys = tc->keys ? tc->keys->n : 0;
	pthread_mutex_unlock(&tc->key_mu);
	pthread_mutex_lock(&tc->cache_mu);
	st->cached = tc->ncached;
	pthread_mutex_unlock(&tc->cache_mu);
}
