#include <stdlib.h>
#include <string.h>

#include "porten/buf.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/jws.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/rand.h"
#include "authz/authz_internal.h"

static char *
host_of(const char *url)
{
	const char *p = strstr(url, "://"), *e;

	p = p ? p + 3 : url;
	e = p + strcspn(p, "/:");
	return strndup(p, (size_t)(e - p));
}

int
porten_authz_new(const struct porten_authz_config *cfg, porten_authz **out)
{
	porten_authz *az;
	size_t n;
	char *cn = NULL;
	int r;

	*out = NULL;
	if (cfg->issuer == NULL || cfg->store == NULL || (cfg->key_dir == NULL && cfg->keys_seal_key == NULL))
		return PORTEN_ERR_INVALID;
	if ((az = calloc(1, sizeof(*az))) == NULL)
		return PORTEN_ERR_NOMEM;
	az->cfg = *cfg;
	az->cfg.keys_seal_key = NULL;       /* not kept: the keyring has its copy */
	az->issuer = strdup(cfg->issuer);
	n = strlen(cfg->issuer);
	if (n > 1 && cfg->issuer[n - 1] == '/')
		az->issuer_noslash = strndup(cfg->issuer, n - 1);
	az->cfg.issuer = az->issuer;
	az->token_lifetime = cfg->token_lifetime_default > 0 ? cfg->token_lifetime_default
	                                                     : PORTEN_TOKEN_LIFETIME_DEFAULT;
	pthread_mutex_init(&az->jwk_lock, NULL);
	pthread_mutex_init(&az->doc_lock, NULL);
	for (size_t i = 0; i < AZ_DOC_CACHE_SLOTS; i++)
		az->doc_cache[i].kind = -1;
	if (porten_random_bytes(&az->doc_seed, sizeof(az->doc_seed)) != 0) {
		porten_authz_free(az);
		return PORTEN_ERR_CRYPTO;
	}
	cn = host_of(cfg->issuer);
	if (cfg->keys_seal_key != NULL)
		r = az_keyring_open_store(cfg->store, cfg->keys_seal_key, cn, porten_now(), &az->keys);
	else
		r = az_keyring_open(cfg->key_dir, cn, porten_now(), &az->keys);
	if (r != 0) {
		free(cn);
		porten_authz_free(az);
		return r;
	}
	free(cn);
	*out = az;
	return 0;
}

void
porten_authz_free(porten_authz *az)
{
	if (az == NULL)
		return;
	for (size_t i = 0; i < AZ_JWK_CACHE_SLOTS; i++)
		porten_key_unref(az->jwk_cache[i].key);
	for (size_t i = 0; i < AZ_DOC_CACHE_SLOTS; i++) {
		free(az->doc_cache[i].key);
		json_decref(az->doc_cache[i].doc);
	}
	az_keyring_free(az->keys);
	pthread_mutex_destroy(&az->jwk_lock);
	pthread_mutex_destroy(&az->doc_lock);
	free(az->issuer);
	free(az->issuer_noslash);
	free(az);
}

const char *
porten_authz_issuer(const porten_authz *az)
{
	return az->issuer;
}

static const char *
str_or_empty(const json_t *v)
{
	const char *s = json_string_value(v);

	return s ? s : "";
}

int
az_jwk_cached(porten_authz *az, const json_t *jwk, porten_key **out)
{
	struct porten_buf b;
	unsigned char h[32];
	struct az_jwk_slot *slot;
	porten_key *k = NULL;
	int r;

	porten_buf_init(&b, 64 * 1024);
	r = porten_buf_appendf(&b, "%s|%s|%s", str_or_empty(json_object_get(jwk, "kty")),
	                       str_or_empty(json_object_get(jwk, "n")),
	                       str_or_empty(json_object_get(jwk, "e")));
	if (r == 0)
		r = porten_sha256(b.data, b.len, h);
	porten_buf_release(&b);
	if (r != 0)
		return r;
	slot = &az->jwk_cache[(h[0] | h[1] << 8) % AZ_JWK_CACHE_SLOTS];
	pthread_mutex_lock(&az->jwk_lock);
	if (slot->key != NULL && memcmp(slot->hash, h, 32) == 0)
		k = porten_key_ref(slot->key);
	pthread_mutex_unlock(&az->jwk_lock);
	if (k != NULL) {
		*out = k;
		return 0;
	}
	if ((r = porten_key_from_jwk(jwk, &k)) != 0)
		return r;
	pthread_mutex_lock(&az->jwk_lock);
	porten_key_unref(slot->key);
	slot->key = porten_key_ref(k);
	memcpy(slot->hash, h, 32);
	pthread_mutex_unlock(&az->jwk_lock);
	*out = k;
	return 0;
}

int
az_replay_key(const char *iss, const char *jti, const char *assertion, size_t len,
              unsigned char out[32])
{
	struct porten_buf b;
	int r;

	porten_buf_init(&b, PORTEN_JWT_MAX + 64);
	if (jti != NULL) {
		r = porten_buf_append(&b, "jti", 4);
		r |= porten_buf_append(&b, iss, strlen(iss) + 1);
		r |= porten_buf_append(&b, jti, strlen(jti));
	} else {
		r = porten_buf_append(&b, "assertion", 10);
		r |= porten_buf_append(&b, assertion, len);
	}
	if (r == 0)
		r = porten_sha256(b.data, b.len, out);
	porten_buf_release(&b);
	return r ? PORTEN_ERR_INTERNAL : 0;
}

json_t *
porten_authz_jwks(porten_authz *az)
{
	/* A failed re-read keeps the loaded keys (and has been logged). */
	(void)az_keyring_refresh(az->keys, 0);
	return az_keyring_jwks(az->keys, porten_now());
}

int
porten_authz_verify_own_token(porten_authz *az, const char *token, size_t len, json_t **claims_out)
{
	struct porten_jws_view v;
	json_t *hdr = NULL, *claims = NULL, *j;
	porten_key *key = NULL;
	const char *kid, *alg;
	int64_t now = porten_now();
	int r;

	*claims_out = NULL;
	if (token == NULL || porten_jws_split(token, len, PORTEN_JWT_MAX, &v) != 0 ||
	    porten_jws_decode_json(v.header, v.header_len, PORTEN_JWT_HEADER_MAX, &hdr) != 0) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	alg = json_string_value(json_object_get(hdr, "alg"));
	kid = json_string_value(json_object_get(hdr, "kid"));
	if (alg == NULL || porten_jws_alg_from_name(alg) != PORTEN_JWS_RS256 || kid == NULL ||
	    strlen(kid) > PORTEN_KID_MAX) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	(void)az_keyring_refresh(az->keys, 0);
	if (az_keyring_find(az->keys, now, kid, &key) != 0 ||
	    porten_jws_verify(&v, PORTEN_JWS_RS256, key) != 0) {
		r = PORTEN_ERR_SIGNATURE;
		goto out;
	}
	if (porten_jws_decode_json(v.payload, v.payload_len, PORTEN_JWT_PAYLOAD_MAX, &claims) != 0 ||
	    !json_is_string(json_object_get(claims, "iss")) ||
	    !json_is_integer(j = json_object_get(claims, "exp"))) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(claims, "iss")), az->issuer) != 0 ||
	    json_integer_value(j) <= now - PORTEN_CLOCK_SKEW_S) {
		r = PORTEN_ERR_CONFLICT;
		goto out;
	}
	*claims_out = claims;
	claims = NULL;
	r = 0;
out:
	porten_key_unref(key);
	json_decref(hdr);
	json_decref(claims);
	return r;
}

int
porten_authz_keys_rotate(porten_authz *az, int64_t publish_ahead, char kid_out[64])
{
	return az_keyring_rotate(az->keys, porten_now(), publish_ahead, kid_out);
}

json_t *
porten_authz_keys_list(porten_authz *az)
{
	(void)az_keyring_refresh(az->keys, 0);
	return az_keyring_list(az->keys, porten_now());
}

json_t *
porten_authz_metadata(porten_authz *az)
{
	struct porten_buf tok, jwk;
	json_t *m;

	porten_buf_init(&tok, 4096);
	porten_buf_init(&jwk, 4096);
	porten_buf_appendf(&tok, "%s%stoken", az->issuer, az->issuer_noslash ? "" : "/");
	porten_buf_appendf(&jwk, "%s%sjwk", az->issuer, az->issuer_noslash ? "" : "/");
	/* The captured shape of test.maskinporten.no (spec 4.1), member for member. */
	m = json_pack("{s:s,s:s,s:s,s:[s],s:[s],s:[s,s,s],s:[s,s]}",
	              "issuer", az->issuer,
	              "token_endpoint", tok.data,
	              "jwks_uri", jwk.data,
	              "token_endpoint_auth_methods_supported", "private_key_jwt",
	              "grant_types_supported", "urn:ietf:params:oauth:grant-type:jwt-bearer",
	              "token_endpoint_auth_signing_alg_values_supported", "RS256", "RS384", "RS512",
	              "authorization_details_types_supported", "urn:altinn:systemuser",
	              "urn:altinn:consent");
	porten_buf_release(&tok);
	porten_buf_release(&jwk);
	return m;
}

/* FNV-1a over a random seed, kind and key. */
static size_t
doc_slot(uint64_t seed, int kind, const char *key)
{
	uint64_t h = (1469598103934665603ULL ^ seed) ^ (uint64_t)kind;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)(h % AZ_DOC_CACHE_SLOTS);
}

int
az_doc_get(porten_authz *az, uint64_t gen, enum porten_doc_kind kind, const char *key, json_t **out)
{
	struct az_doc_slot *s = &az->doc_cache[doc_slot(az->doc_seed, (int)kind, key)];
	json_t *doc = NULL;
	int r, hit = 0;

	*out = NULL;
	pthread_mutex_lock(&az->doc_lock);
	if (s->kind == (int)kind && s->gen == gen && strcmp(s->key, key) == 0) {
		hit = 1;
		doc = json_incref(s->doc);
	}
	pthread_mutex_unlock(&az->doc_lock);
	if (hit) {
		*out = doc;
		return doc ? 0 : PORTEN_ERR_NOT_FOUND;
	}
	r = porten_store_get(az->cfg.store, kind, key, &doc);
	if (r != 0 && r != PORTEN_ERR_NOT_FOUND)
		return r;
	pthread_mutex_lock(&az->doc_lock);
	free(s->key);
	json_decref(s->doc);
	s->key = strdup(key);
	s->kind = s->key ? (int)kind : -1;
	s->gen = gen;
	s->doc = json_incref(doc);
	pthread_mutex_unlock(&az->doc_lock);
	*out = doc;
	return r;
}
