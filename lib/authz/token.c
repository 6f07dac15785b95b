/* The token endpoint's logic: validate a JWT-bearer grant (RFC 7523) exactly as
 * Maskinporten does (spec/maskinporten.md 1, 2, 3, 8.1, 8.2, 9) and issue an access token.
 *
 * Order (spec 0, with STYLE 8: no database work before the grant parsed):
 *   size -> split -> header (alg, forbidden params) -> claims object -> key (kid: client's
 *   JWKS; x5c: certificate chain, verified before any lookup) -> signature -> client ->
 *   time -> aud -> claim types -> replay -> unknown claims -> scopes -> consumer/delegation
 *   -> token. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porten/authz.h"
#include "porten/buf.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/ident.h"
#include "porten/jws.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/rand.h"
#include "authz/authz_internal.h"
#include "http/metrics.h"

static const char *const known_claims[] = {
	"iss", "aud", "iat", "exp", "nbf", "jti", "sub", "scope", "resource", "pid",
	"consumer_org", "iss_onbehalfof", "authorization_details",
};

/* The store generation this request reads documents at (az_doc_get), read once per
 * request. A document fetched on a cache miss may be newer than that generation (a write
 * racing the request); it is never older than the last completed write before it. */
static _Thread_local uint64_t az_gen;

/* Header parameters that would let the sender choose the verification key, or that we
 * would be obliged to understand: never honoured, always refused. */
static const char *const forbidden_headers[] = { "jwk", "jku", "x5u", "crit" };

static int
fail(struct porten_token_result *res, enum porten_az_error e, const char *reason_fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct porten_token_result *res, enum porten_az_error e, const char *reason_fmt, ...)
{
	va_list ap;

	res->error = e;
	va_start(ap, reason_fmt);
	vsnprintf(res->reason, sizeof(res->reason), reason_fmt, ap);
	va_end(ap);
	return -1;
}

/* A claim, with JSON null treated as absent. */
static json_t *
claim(const json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	return json_is_null(v) ? NULL : v;
}

/* NumericDate: a JSON number; fractions are truncated. */
static int
numeric_date(const json_t *v, int64_t *out)
{
	double d;

	if (json_is_integer(v)) {
		/* Bounded before any arithmetic on it: 0 .. year 9999. */
		if (json_integer_value(v) < 0 || json_integer_value(v) > 253402300799LL)
			return -1;
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d < 0 || d > 253402300799.0)   /* year 9999 */
			return -1;
		*out = (int64_t)d;
		return 0;
	}
	return -1;
}

static int
store_fail(struct porten_token_result *res, int r, const char *what)
{
	if (r == PORTEN_ERR_UNAVAILABLE)
		return fail(res, AZ_UNAVAILABLE, "store unavailable reading %s", what);
	return fail(res, AZ_INTERNAL, "store error reading %s: %s", what, porten_strerror(r));
}

/* The first database work of a request: fixes the generation its documents are read at. */
static int
begin_store(porten_authz *az, struct porten_token_result *res)
{
	int r = porten_store_generation(az->cfg.store, &az_gen);

	return r ? store_fail(res, r, "generation") : 0;
}

/* The client, active. */
static int
load_client(porten_authz *az, const char *client_id, json_t **client, struct porten_token_result *res)
{
	int r = az_doc_get(az, az_gen, PORTEN_DOC_CLIENT, client_id, client);
	json_t *active;

	if (r == PORTEN_ERR_NOT_FOUND)
		return fail(res, AZ_MP100, "unknown client");
	if (r != 0)
		return store_fail(res, r, "client");
	active = json_object_get(*client, "active");
	if (json_is_false(active)) {
		json_decref(*client);
		*client = NULL;
		return fail(res, AZ_MP100, "client is deactivated");
	}
	return 0;
}

/* A registered key that carries x5c is locked to that enterprise certificate: the
 * certificate is validated at run time like an x5c grant's (revocation included, spec
 * 2.5) and must hold the very key that was registered. */
static int
check_key_certificate(porten_authz *az, const json_t *jwk, int64_t now, struct porten_token_result *res)
{
	struct porten_cert_info ci;
	json_t *certjwk = NULL;
	char why[160] = "";
	int r;

	memset(&ci, 0, sizeof(ci));
	if (az->cfg.trust == NULL)
		return fail(res, AZ_MP120, "registered key has x5c but no trust anchors are configured");
	r = porten_trust_verify_x5c(az->cfg.trust, json_object_get(jwk, "x5c"), now, &ci, why, sizeof(why));
	if (r == PORTEN_ERR_CERT || r == PORTEN_ERR_INVALID) {
		r = fail(res, AZ_MP120, "registered key's certificate: %s", why[0] ? why : porten_strerror(r));
		goto out;
	}
	if (r != 0) {
		r = fail(res, AZ_INTERNAL, "registered key's certificate: %s", porten_strerror(r));
		goto out;
	}
	if (porten_key_to_jwk(ci.leaf_key, NULL, &certjwk) != 0 ||
	    !json_equal(json_object_get(certjwk, "n"), json_object_get(jwk, "n")) ||
	    !json_equal(json_object_get(certjwk, "e"), json_object_get(jwk, "e"))) {
		r = fail(res, AZ_MP120, "registered key's certificate holds another key");
		goto out;
	}
	r = 0;
out:
	json_decref(certjwk);
	porten_cert_info_clear(&ci);
	return r;
}

static int
verify_with_kid(porten_authz *az, const struct porten_jws_view *v, enum porten_jws_alg alg,
                const char *kid, const char *client_id, int64_t now, struct porten_token_result *res)
{
	json_t *jwks = NULL, *keys, *jwk = NULL, *jalg;
	porten_key *key = NULL;
	const char *created;
	int64_t created_at;
	size_t i;
	int r;

	r = az_doc_get(az, az_gen, PORTEN_DOC_CLIENT_JWKS, client_id, &jwks);
	if (r != 0 && r != PORTEN_ERR_NOT_FOUND)
		return store_fail(res, r, "client keys");
	keys = json_object_get(jwks, "keys");
	json_array_foreach(keys, i, jwk) {
		if (json_is_string(json_object_get(jwk, "kid")) &&
		    strcmp(json_string_value(json_object_get(jwk, "kid")), kid) == 0)
			break;
	}
	if (jwks == NULL || i >= json_array_size(keys)) {
		r = fail(res, AZ_UNKNOWN_KID, "kid not registered on client");
		goto out;
	}
	created = json_string_value(json_object_get(jwk, "created"));
	if (created == NULL || porten_iso8601_parse(created, &created_at) != 0) {
		r = fail(res, AZ_INTERNAL, "registered key has no valid created time");
		goto out;
	}
	if (now >= created_at + PORTEN_CLIENT_KEY_LIFETIME_S) {
		r = fail(res, AZ_MP121, "registered key uploaded %s has expired", created);
		goto out;
	}
	jalg = json_object_get(jwk, "alg");
	if (json_is_string(jalg) && porten_jws_alg_from_name(json_string_value(jalg)) != alg) {
		r = fail(res, AZ_MP124, "grant alg differs from the registered key's alg %s",
		         json_string_value(jalg));
		goto out;
	}
	if (json_object_get(jwk, "x5c") != NULL &&
	    (r = check_key_certificate(az, jwk, now, res)) != 0)
		goto out;
	if ((r = az_jwk_cached(az, jwk, &key)) != 0) {
		r = fail(res, AZ_INTERNAL, "registered key cannot be used: %s", porten_strerror(r));
		goto out;
	}
	if (porten_jws_verify(v, alg, key) != 0) {
		r = fail(res, AZ_MP124, "signature does not verify with registered key");
		goto out;
	}
	r = 0;
out:
	porten_key_unref(key);
	json_decref(jwks);
	return r;
}

static int
client_has_keys(porten_authz *az, const char *client_id, int *has, struct porten_token_result *res)
{
	json_t *jwks = NULL;
	int r = az_doc_get(az, az_gen, PORTEN_DOC_CLIENT_JWKS, client_id, &jwks);

	if (r != 0 && r != PORTEN_ERR_NOT_FOUND)
		return store_fail(res, r, "client keys");
	*has = json_array_size(json_object_get(jwks, "keys")) > 0;
	json_decref(jwks);
	return 0;
}

static int
check_aud(porten_authz *az, const json_t *aud)
{
	const char *s;

	if (json_is_array(aud)) {
		if (json_array_size(aud) != 1)
			return -1;
		aud = json_array_get(aud, 0);
	}
	if (!json_is_string(aud))
		return -1;
	s = json_string_value(aud);
	if (strcmp(s, az->issuer) == 0)
		return 0;
	if (az->cfg.accept_aud_without_slash && az->issuer_noslash &&
	    strcmp(s, az->issuer_noslash) == 0)
		return 0;
	return -1;
}

/* resource: a string or a non-empty array of strings, each an absolute URI. */
static int
check_resource(const json_t *res_claim, json_t **aud_out)
{
	json_t *arr, *v;
	size_t i;

	if (json_is_string(res_claim)) {
		arr = json_pack("[O]", res_claim);
	} else if (json_is_array(res_claim)) {
		if (json_array_size(res_claim) == 0 || json_array_size(res_claim) > PORTEN_RESOURCES_MAX)
			return -1;
		arr = json_copy((json_t *)res_claim);
	} else {
		return -1;
	}
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		const char *colon;
		size_t n;

		if (s == NULL || (n = json_string_length(v)) == 0 || n > PORTEN_RESOURCE_MAX ||
		    strlen(s) != n || (colon = strchr(s, ':')) == NULL || colon == s) {
			json_decref(arr);
			return -1;
		}
		for (const char *p = s; *p; p++) {
			if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
				json_decref(arr);
				return -1;
			}
		}
	}
	if (json_array_size(arr) == 1) {
		*aud_out = json_incref(json_array_get(arr, 0));
		json_decref(arr);
	} else {
		*aud_out = arr;
	}
	return 0;
}

static void
orgno_id(char *out, size_t outsz, const char *orgno)
{
	snprintf(out, outsz, "0192:%s", orgno);
}

static json_t *
org_object(const char *orgno)
{
	char id[32];

	orgno_id(id, sizeof(id), orgno);
	return json_pack("{s:s,s:s}", "authority", "iso6523-actorid-upis", "ID", id);
}

/* Splits the scope claim on whitespace into unique names. */
static int
split_scopes(const char *s, char names[][PORTEN_SCOPE_NAME_MAX + 1], size_t *n)
{
	size_t count = 0;

	while (*s) {
		size_t len;

		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (*s == '\0')
			break;
		len = strcspn(s, " \t\r\n");
		if (len > PORTEN_SCOPE_NAME_MAX || count >= PORTEN_SCOPES_PER_GRANT_MAX)
			return -1;
		memcpy(names[count], s, len);
		names[count][len] = '\0';
		s += len;
		for (size_t i = 0; i < count; i++) {
			if (strcmp(names[i], names[count]) == 0) {
				len = 0;
				break;
			}
		}
		if (len > 0)
			count++;
	}
	*n = count;
	return 0;
}

static int
client_has_scope(const json_t *client, const char *scope)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(client, "scopes"), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), scope) == 0)
			return 1;
	return 0;
}

static int
allows_maskinporten(const json_t *scope)
{
	json_t *types = json_object_get(scope, "allowed_integration_types"), *v;
	size_t i;

	if (json_array_size(types) == 0)
		return 1;
	json_array_foreach(types, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), "maskinporten") == 0)
			return 1;
	return 0;
}

static int
has_approved_access(porten_authz *az, const char *scope, const char *orgno, int *ok,
                    struct porten_token_result *res)
{
	char key[PORTEN_SCOPE_NAME_MAX + 16];
	json_t *doc = NULL;
	int r;

	snprintf(key, sizeof(key), "%s\n%s", scope, orgno);
	r = az_doc_get(az, az_gen, PORTEN_DOC_ACCESS, key, &doc);
	if (r != 0 && r != PORTEN_ERR_NOT_FOUND)
		return store_fail(res, r, "access");
	*ok = doc != NULL && json_is_string(json_object_get(doc, "state")) &&
	      strcmp(json_string_value(json_object_get(doc, "state")), "APPROVED") == 0;
	json_decref(doc);
	return 0;
}

static int
has_delegation(porten_authz *az, const char *consumer, const char *supplier, const char *scope,
               int *ok, struct porten_token_result *res)
{
	char key[PORTEN_SCOPE_NAME_MAX + 32];
	json_t *doc = NULL;
	int r;

	snprintf(key, sizeof(key), "%s\n%s\n%s", consumer, supplier, scope);
	r = az_doc_get(az, az_gen, PORTEN_DOC_DELEGATION, key, &doc);
	if (r != 0 && r != PORTEN_ERR_NOT_FOUND)
		return store_fail(res, r, "delegation");
	*ok = doc != NULL && !json_is_false(json_object_get(doc, "active"));
	json_decref(doc);
	return 0;
}

/* Whether a grant that is not a valid compact JWS still has a decodable header whose alg
 * is outside the allowlist (e.g. "none" with an empty signature). */
static int
unsecured_alg(const char *assertion, size_t len)
{
	const char *dot = memchr(assertion, '.', len);
	json_t *hdr = NULL, *alg;
	int r = 0;

	if (dot == NULL || porten_jws_decode_json(assertion, (size_t)(dot - assertion),
	                                          PORTEN_JWT_HEADER_MAX, &hdr) != 0)
		return 0;
	alg = json_object_get(hdr, "alg");
	r = !json_is_string(alg) || porten_jws_alg_from_name(json_string_value(alg)) == PORTEN_JWS_INVALID;
	json_decref(hdr);
	return r;
}

void
porten_token_result_clear(struct porten_token_result *res)
{
	json_decref(res->response);
	res->response = NULL;
}

void
porten_authz_token(porten_authz *az, const char *assertion, size_t len,
                   struct porten_token_result *res)
{
	struct porten_jws_view v;
	struct porten_cert_info ci;
	json_t *hdr = NULL, *claims = NULL, *client = NULL, *aud = NULL, *tok_claims = NULL;
	json_t *tok_hdr = NULL, *j, *scope_doc = NULL;
	enum porten_jws_alg alg;
	const char *kid = NULL, *iss, *key, *consumer_org = NULL, *client_orgno, *amr;
	const char *supplier = NULL, *pid = NULL;
	char scopes[PORTEN_SCOPES_PER_GRANT_MAX][PORTEN_SCOPE_NAME_MAX + 1];
	char delegation_source[PORTEN_RESOURCE_MAX + 1] = "", jti_tok[44];
	struct porten_buf scope_str;
	int64_t now = porten_now(), iat, exp, nbf, lifetime, min_age = 0, t0 = porten_mono_ns();
	unsigned char rkey[32];
	size_t nscopes = 0, i;
	char *token = NULL;
	int has_keys = 0, ok = 0, r;

	memset(&ci, 0, sizeof(ci));
	porten_buf_init(&scope_str, PORTEN_SCOPE_STRING_MAX + 1);
	res->error = AZ_INTERNAL;

	/* 1. Shape, before anything expensive. */
	if (len > PORTEN_JWT_MAX) {
		fail(res, AZ_MP011, "grant of %zu bytes exceeds %d", len, PORTEN_JWT_MAX);
		snprintf(res->detail, sizeof(res->detail), ". The JWT is too large");
		goto out;
	}
	if (porten_jws_split(assertion, len, PORTEN_JWT_MAX, &v) != 0) {
		/* An unsecured JWS ("h.p." with alg none) is refused for its alg, as Maskinporten does. */
		if (unsecured_alg(assertion, len)) {
			fail(res, AZ_ALG, "unsecured JWS");
			goto out;
		}
		fail(res, AZ_MP011, "assertion is not a compact JWS");
		snprintf(res->detail, sizeof(res->detail), ". The assertion is not a signed JWT");
		goto out;
	}
	if (porten_jws_decode_json(v.header, v.header_len, PORTEN_JWT_HEADER_MAX, &hdr) != 0) {
		fail(res, AZ_MP011, "JOSE header is not a JSON object");
		snprintf(res->detail, sizeof(res->detail), ". Invalid JWT header");
		goto out;
	}
	j = json_object_get(hdr, "alg");
	alg = json_is_string(j) ? porten_jws_alg_from_name(json_string_value(j)) : PORTEN_JWS_INVALID;
	if (alg == PORTEN_JWS_INVALID) {
		fail(res, AZ_ALG, "alg not allowed");
		goto out;
	}
	for (i = 0; i < sizeof(forbidden_headers) / sizeof(forbidden_headers[0]); i++) {
		if (json_object_get(hdr, forbidden_headers[i]) != NULL) {
			fail(res, AZ_MP011, "header parameter %s refused", forbidden_headers[i]);
			snprintf(res->detail, sizeof(res->detail), ". Unsupported JWT header parameter %s",
			         forbidden_headers[i]);
			goto out;
		}
	}
	if ((j = claim(hdr, "kid")) != NULL) {
		if (!json_is_string(j) || json_string_length(j) == 0 ||
		    json_string_length(j) > PORTEN_KID_MAX) {
			fail(res, AZ_MP011, "kid is not a string of 1..%d bytes", PORTEN_KID_MAX);
			snprintf(res->detail, sizeof(res->detail), ". Invalid JWT header kid");
			goto out;
		}
		kid = json_string_value(j);
	}
	if (porten_jws_decode_json(v.payload, v.payload_len, PORTEN_JWT_PAYLOAD_MAX, &claims) != 0) {
		fail(res, AZ_MP011, "claims are not a JSON object");
		snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claims");
		goto out;
	}
	if (json_object_size(claims) > PORTEN_JWT_CLAIMS_MAX) {
		fail(res, AZ_MP011, "%zu claims", json_object_size(claims));
		goto out;
	}
	j = claim(claims, "iss");
	if (j == NULL) {
		fail(res, AZ_MP100, "no iss");
		goto out;
	}
	if (!json_is_string(j) || json_string_length(j) == 0 ||
	    json_string_length(j) > PORTEN_CLIENT_ID_MAX || strlen(json_string_value(j)) != json_string_length(j)) {
		fail(res, AZ_MP011, "iss is not a string of 1..%d bytes", PORTEN_CLIENT_ID_MAX);
		snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claim iss");
		goto out;
	}
	iss = json_string_value(j);
	snprintf(res->client_id, sizeof(res->client_id), "%s", iss);

	/* 2. Who signed it. */
	if (kid != NULL) {
		if (begin_store(az, res) != 0 || load_client(az, iss, &client, res) != 0)
			goto out;
		if (verify_with_kid(az, &v, alg, kid, iss, now, res) != 0)
			goto out;
		amr = "private_key_jwt";
	} else if ((j = claim(hdr, "x5c")) != NULL) {
		char why[160] = "";

		if (az->cfg.trust == NULL) {
			fail(res, AZ_MP120, "no trust anchors configured");
			goto out;
		}
		r = porten_trust_verify_x5c(az->cfg.trust, j, now, &ci, why, sizeof(why));
		if (r == PORTEN_ERR_INVALID) {
			fail(res, AZ_MP123, "x5c: %s", why);
			goto out;
		}
		if (r == PORTEN_ERR_NOMEM || r == PORTEN_ERR_CRYPTO || r == PORTEN_ERR_INTERNAL) {
			fail(res, AZ_INTERNAL, "certificate verification failed: %s", porten_strerror(r));
			goto out;
		}
		if (r != 0) {
			fail(res, AZ_MP120, "certificate: %s", why[0] ? why : porten_strerror(r));
			goto out;
		}
		if (porten_jws_verify(&v, alg, ci.leaf_key) != 0) {
			fail(res, AZ_MP124, "signature does not verify with the x5c leaf");
			goto out;
		}
		if (begin_store(az, res) != 0 || load_client(az, iss, &client, res) != 0)
			goto out;
		if (client_has_keys(az, iss, &has_keys, res) != 0)
			goto out;
		if (has_keys) {
			fail(res, AZ_REQUIRES_JWK, "client has registered keys, grant used x5c");
			goto out;
		}
		client_orgno = json_string_value(json_object_get(client, "client_orgno"));
		if (client_orgno == NULL || strcmp(client_orgno, ci.orgno) != 0) {
			fail(res, AZ_MP122, "certificate orgno %s, client orgno %s", ci.orgno,
			     client_orgno ? client_orgno : "-");
			goto out;
		}
		amr = "virksomhetssertifikat";
	} else {
		fail(res, AZ_MP123, "neither kid nor x5c in the header");
		snprintf(res->detail, sizeof(res->detail), ". The JWT header has neither kid nor x5c");
		goto out;
	}
	client_orgno = json_string_value(json_object_get(client, "client_orgno"));
	if (client_orgno == NULL) {
		fail(res, AZ_INTERNAL, "client has no client_orgno");
		goto out;
	}
	snprintf(res->orgno, sizeof(res->orgno), "%s", client_orgno);

	/* 3. Time (spec 2.3). */
	if ((j = claim(claims, "iat")) == NULL || numeric_date(j, &iat) != 0) {
		fail(res, AZ_MP011, "iat missing or not a NumericDate");
		snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claim iat");
		goto out;
	}
	if ((j = claim(claims, "exp")) == NULL || numeric_date(j, &exp) != 0) {
		fail(res, AZ_MP011, "exp missing or not a NumericDate");
		snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claim exp");
		goto out;
	}
	if (iat > now + PORTEN_CLOCK_SKEW_S) {
		fail(res, AZ_IAT_FUTURE, "iat is %lld s ahead", (long long)(iat - now));
		goto out;
	}
	if (exp <= now - PORTEN_CLOCK_SKEW_S) {
		fail(res, AZ_MP130, "exp passed %lld s ago", (long long)(now - exp));
		goto out;
	}
	if (exp <= iat || exp - iat > PORTEN_GRANT_MAX_LIFETIME_S) {
		fail(res, AZ_LIFETIME, "exp - iat = %lld", (long long)(exp - iat));
		goto out;
	}
	if (az->cfg.strict_iat_window && iat < now - PORTEN_CLOCK_SKEW_S) {
		fail(res, AZ_IAT_PAST, "iat is %lld s old", (long long)(now - iat));
		goto out;
	}
	if ((j = claim(claims, "nbf")) != NULL) {
		if (numeric_date(j, &nbf) != 0) {
			fail(res, AZ_MP011, "nbf is not a NumericDate");
			snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claim nbf");
			goto out;
		}
		if (nbf > now + PORTEN_CLOCK_SKEW_S) {
			fail(res, AZ_NBF, "nbf is %lld s ahead", (long long)(nbf - now));
			goto out;
		}
	}

	/* 4. Audience. */
	if (check_aud(az, claim(claims, "aud")) != 0) {
		fail(res, AZ_MP110, "aud is not the issuer");
		goto out;
	}

	/* 5. Claim types, then replay, then unknown claims. */
	j = claim(claims, "jti");
	if (j != NULL && (!json_is_string(j) || json_string_length(j) == 0 ||
	                  json_string_length(j) > PORTEN_JTI_MAX)) {
		fail(res, AZ_MP011, "jti is not a string of 1..%d bytes", PORTEN_JTI_MAX);
		snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claim jti");
		goto out;
	}
	if ((j = claim(claims, "sub")) != NULL && !json_is_string(j)) {
		fail(res, AZ_MP011, "sub is not a string");
		snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claim sub");
		goto out;
	}
	if ((j = claim(claims, "pid")) != NULL) {
		if (!json_is_string(j) ||
		    !porten_pid_valid(json_string_value(j), json_string_length(j), PORTEN_PID_ALLOW_SYNTHETIC, NULL)) {
			fail(res, AZ_MP011, "pid is not a valid person identifier");
			snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claim pid");
			goto out;
		}
		pid = json_string_value(j);
	}
	if ((j = claim(claims, "resource")) != NULL && check_resource(j, &aud) != 0) {
		fail(res, AZ_MP011, "resource is not a URI or an array of URIs");
		snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claim resource");
		goto out;
	}
	if ((j = claim(claims, "consumer_org")) != NULL) {
		if (!json_is_string(j) || !porten_orgno_valid(json_string_value(j), json_string_length(j))) {
			fail(res, AZ_MP011, "consumer_org is not an organisation number");
			snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claim consumer_org");
			goto out;
		}
		consumer_org = json_string_value(j);
	}
	if ((j = claim(claims, "iss_onbehalfof")) != NULL) {
		fail(res, AZ_MP011, "iss_onbehalfof%s", consumer_org ? " with consumer_org" : "");
		snprintf(res->detail, sizeof(res->detail), consumer_org
		         ? ". consumer_org and iss_onbehalfof cannot be combined"
		         : ". iss_onbehalfof is deprecated and not supported");
		goto out;
	}
	if ((j = claim(claims, "authorization_details")) != NULL) {
		if (!json_is_array(j)) {
			fail(res, AZ_MP011, "authorization_details is not an array");
			snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claim authorization_details");
		} else {
			fail(res, AZ_MP301, "authorization_details not supported by this server");
		}
		goto out;
	}
	j = claim(claims, "jti");
	if ((r = az_replay_key(iss, j ? json_string_value(j) : NULL, assertion, len, rkey)) != 0) {
		fail(res, AZ_INTERNAL, "replay key");
		goto out;
	}
	r = porten_store_replay_claim(az->cfg.store, rkey, exp + PORTEN_CLOCK_SKEW_S, now);
	if (r == PORTEN_ERR_EXISTS) {
		fail(res, AZ_MP012, "replayed grant");
		goto out;
	}
	if (r != 0) {
		store_fail(res, r, "replay cache");
		goto out;
	}
	json_object_foreach(claims, key, j) {
		int known = 0;

		for (i = 0; i < sizeof(known_claims) / sizeof(known_claims[0]); i++)
			if (strcmp(key, known_claims[i]) == 0)
				known = 1;
		if (!known) {
			char esc[80];

			fail(res, AZ_MP011, "unknown claim");
			snprintf(res->detail, sizeof(res->detail), ". Unknown claim %s",
			         porten_log_escape(esc, sizeof(esc), key, strlen(key) > 40 ? 40 : strlen(key)));
			goto out;
		}
	}

	/* 6. Scopes (spec 8.1) and delegation (8.2). */
	j = claim(claims, "scope");
	if (j == NULL) {
		fail(res, AZ_SCOPE_MISSING, "no scope claim");
		goto out;
	}
	if (!json_is_string(j) || json_string_length(j) > PORTEN_SCOPE_STRING_MAX ||
	    strlen(json_string_value(j)) != json_string_length(j)) {
		fail(res, AZ_MP011, "scope is not a string of at most %d bytes", PORTEN_SCOPE_STRING_MAX);
		snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claim scope");
		goto out;
	}
	if (split_scopes(json_string_value(j), scopes, &nscopes) != 0) {
		fail(res, AZ_MP011, "too many or too long scopes");
		snprintf(res->detail, sizeof(res->detail), ". Invalid JWT claim scope");
		goto out;
	}
	if (nscopes == 0) {
		fail(res, AZ_SCOPE_MISSING, "empty scope claim");
		goto out;
	}
	snprintf(res->scope, sizeof(res->scope), "%s", json_string_value(j));
	if (consumer_org != NULL && strcmp(consumer_org, client_orgno) == 0) {
		fail(res, AZ_CONSUMER_ORG_INVALID, "consumer_org equals the client's own orgno");
		goto out;
	}
	for (i = 0; i < nscopes; i++) {
		const char *consumer = consumer_org ? consumer_org : client_orgno;
		json_t *age;

		json_decref(scope_doc);
		scope_doc = NULL;
		r = az_doc_get(az, az_gen, PORTEN_DOC_SCOPE, scopes[i], &scope_doc);
		if (r != 0 && r != PORTEN_ERR_NOT_FOUND) {
			store_fail(res, r, "scope");
			goto out;
		}
		if (scope_doc == NULL || json_is_false(json_object_get(scope_doc, "active")) ||
		    !client_has_scope(client, scopes[i])) {
			fail(res, AZ_MP200, "%s", scope_doc == NULL ? "unknown scope"
			     : json_is_false(json_object_get(scope_doc, "active")) ? "inactive scope"
			     : "scope not registered on client");
			snprintf(res->detail, sizeof(res->detail), ", %s", scopes[i]);
			goto out;
		}
		if (!allows_maskinporten(scope_doc)) {
			fail(res, AZ_MP201, "scope not for maskinporten");
			snprintf(res->detail, sizeof(res->detail), ", %s", scopes[i]);
			goto out;
		}
		if (consumer_org != NULL) {
			const char *src = json_string_value(json_object_get(scope_doc, "delegation_source"));

			if (src == NULL || *src == '\0') {
				fail(res, AZ_CONSUMER_ORG_INVALID, "consumer_org on scope %s without delegation_source",
				     scopes[i]);
				goto out;
			}
			if (has_delegation(az, consumer_org, client_orgno, scopes[i], &ok, res) != 0)
				goto out;
			if (!ok) {
				fail(res, AZ_MP251, "no delegation");
				snprintf(res->description, sizeof(res->description),
				         "Consumer %s has not delegated access to the scope %s to supplier %s",
				         consumer_org, scopes[i], client_orgno);
				goto out;
			}
			if (delegation_source[0] == '\0')
				snprintf(delegation_source, sizeof(delegation_source), "%s", src);
		}
		if (!json_is_true(json_object_get(scope_doc, "accessible_for_all"))) {
			if (has_approved_access(az, scopes[i], consumer, &ok, res) != 0)
				goto out;
			if (!ok) {
				fail(res, AZ_MP250, "consumer %s lacks access", consumer);
				snprintf(res->detail, sizeof(res->detail), " %s.", scopes[i]);
				goto out;
			}
		}
		age = json_object_get(scope_doc, "at_max_age");
		if (json_is_integer(age) && json_integer_value(age) > 0 &&
		    (min_age == 0 || json_integer_value(age) < min_age))
			min_age = json_integer_value(age);
		if (porten_buf_appendf(&scope_str, "%s%s", i ? " " : "", scopes[i]) != 0) {
			fail(res, AZ_MP011, "scope string too long");
			goto out;
		}
	}
	if (consumer_org != NULL) {
		supplier = client_orgno;
	} else {
		supplier = json_string_value(json_object_get(client, "supplier_orgno"));
		if (supplier != NULL && *supplier == '\0')
			supplier = NULL;
	}

	/* 7. The access token (spec 3). */
	j = json_object_get(client, "access_token_lifetime");
	lifetime = json_is_integer(j) && json_integer_value(j) > 0 ? json_integer_value(j)
	                                                           : az->token_lifetime;
	if (min_age > 0 && min_age < lifetime)
		lifetime = min_age;
	if (lifetime > PORTEN_TOKEN_LIFETIME_MAX)   /* key retirement counts on this bound */
		lifetime = PORTEN_TOKEN_LIFETIME_MAX;
	if (porten_random_id43(jti_tok) != 0) {
		fail(res, AZ_INTERNAL, "randomness");
		goto out;
	}
	tok_claims = json_object();
	json_object_set_new(tok_claims, "iss", json_string(az->issuer));
	json_object_set_new(tok_claims, "client_amr", json_string(amr));
	json_object_set_new(tok_claims, "token_type", json_string("Bearer"));
	json_object_set_new(tok_claims, "client_id", json_string(iss));
	if (aud != NULL)
		json_object_set(tok_claims, "aud", aud);
	else if (!az->cfg.omit_unspecified_aud)
		json_object_set_new(tok_claims, "aud", json_string("unspecified"));
	json_object_set_new(tok_claims, "scope", json_string(scope_str.data));
	if (supplier != NULL)
		json_object_set_new(tok_claims, "supplier", org_object(supplier));
	json_object_set_new(tok_claims, "consumer",
	                    org_object(consumer_org ? consumer_org : client_orgno));
	if (delegation_source[0])
		json_object_set_new(tok_claims, "delegation_source", json_string(delegation_source));
	if (pid != NULL)
		json_object_set_new(tok_claims, "pid", json_string(pid));
	json_object_set_new(tok_claims, "iat", json_integer(now));
	json_object_set_new(tok_claims, "exp", json_integer(now + lifetime));
	json_object_set_new(tok_claims, "jti", json_string(jti_tok));

	{
		porten_key *signer = NULL;
		char signer_kid[64];

		/* A failed re-read keeps the loaded keys (and has been logged). */
		(void)az_keyring_refresh(az->keys, 0);
		if ((r = az_keyring_signer(az->keys, now, &signer, signer_kid)) == 0) {
			tok_hdr = json_pack("{s:s,s:s}", "kid", signer_kid, "alg", "RS256");
			r = porten_jws_sign(PORTEN_JWS_RS256, signer, tok_hdr, tok_claims, &token);
			porten_key_unref(signer);
		}
		if (r != 0) {
			fail(res, AZ_INTERNAL, "signing failed");
			goto out;
		}
	}
	res->response = json_pack("{s:s,s:s,s:I,s:s}", "access_token", token, "token_type", "Bearer",
	                          "expires_in", (json_int_t)lifetime, "scope", scope_str.data);
	if (consumer_org)
		snprintf(res->orgno, sizeof(res->orgno), "%s", consumer_org);
	res->error = AZ_OK;
	porten_metrics_token(porten_mono_ns() - t0);
out:
	free(token);
	json_decref(tok_hdr);
	json_decref(tok_claims);
	json_decref(scope_doc);
	json_decref(aud);
	json_decref(client);
	json_decref(claims);
	json_decref(hdr);
	porten_cert_info_clear(&ci);
	porten_buf_release(&scope_str);
}
