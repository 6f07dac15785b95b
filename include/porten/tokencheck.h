/* Bearer-token verification for the register (spec/folkeregisteret.md 1 "Authentication",
 * spec/maskinporten.md 3 and 4): a Maskinporten access token presented as
 * "Authorization: Bearer <token>" is checked against one trusted issuer, with the
 * issuer's signing keys fetched from its JWKS (RFC 8414 discovery) and cached.
 *
 * Order of the checks, cheapest first, so a hostile request costs as little as possible:
 *   1. length <= PORTEN_BEARER_MAX (no network, no parsing);
 *   2. the verified-token cache, keyed by SHA-256 of the token bytes: a hit skips 3-6;
 *   3. compact JWS shape, header JSON: alg exactly "RS256", kid 1..PORTEN_KID_MAX bytes,
 *      no "crit";
 *   4. the key by kid from the cached JWKS; an unknown kid refreshes the JWKS, at most once
 *      per PORTEN_JWKS_REFRESH_MIN_S for the whole verifier (concurrent callers wait for
 *      the one refresh in flight instead of fetching themselves). A JWKS older than
 *      PORTEN_JWKS_MAX_AGE_S is refreshed by one caller while the others keep using it;
 *   5. the RSA signature;
 *   6. claims: iss equals the issuer byte for byte; exp > now - PORTEN_CLOCK_SKEW_S (the
 *      authz side's rule: exp <= now - skew is expired); iat <= now +
 *      PORTEN_BEARER_IAT_AHEAD_S; nbf (if any) <= now + skew; token_type, if present,
 *      "Bearer"; scope a string; client_id and jti strings; consumer.ID "0192:" + 9 digits;
 *      supplier, if present, likewise. No aud requirement (Freg expects "unspecified").
 *
 * Error classes and the status the register should answer with:
 *   PORTEN_TOKENCHECK_MALFORMED    401  too long, not a JWS, bad header/alg/kid, a claim
 *                                       missing or of the wrong type or value
 *   PORTEN_TOKENCHECK_SIGNATURE    401  bad signature, or kid still unknown after a refresh
 *                                       (or within the refresh rate limit)
 *   PORTEN_TOKENCHECK_EXPIRED      401
 *   PORTEN_TOKENCHECK_ISSUER       401  iss is not the trusted issuer
 *   PORTEN_TOKENCHECK_UNAVAILABLE  503  the JWKS could not be fetched and the kid is not in
 *                                       any key set we hold (never fetched yet, or the last
 *                                       attempt failed). Choice: 503 with Retry-After
 *                                       (PORTEN_JWKS_REFRESH_MIN_S) and FREG-001 ("try again
 *                                       later"), not 401: the token may well be valid, the
 *                                       fault is ours or the issuer's, and a 401 would send
 *                                       every client to fetch a fresh token (which fails the
 *                                       same way) while hiding the outage from monitoring.
 *   PORTEN_TOKENCHECK_INTERNAL     500  out of memory
 *
 * Keys and cache: a key withdrawn from the JWKS keeps verifying until the set is
 * refreshed (unknown kid, or PORTEN_JWKS_MAX_AGE_S); when a refresh fails the set we hold
 * stays in use. Cached tokens stay valid until their exp (tokens are not revocable,
 * spec/maskinporten.md 3.4). Only fully verified tokens are cached. The rate limit and the
 * max age run on the configured clock, so tests can move it.
 *
 * consumer.ID and supplier.ID must be exactly "0192:" + 9 digits (the authority member is
 * not checked). The longer sub-unit form of spec 3.2 ("0192:991825827:ER//...") is refused
 * as malformed until the register has a use for it.
 *
 * Thread-safe: one verifier serves every worker thread. No function logs token bytes; a
 * refused token gets a short fixed reason (for a "security:" log line) and nothing else. */
#ifndef PORTEN_TOKENCHECK_H
#define PORTEN_TOKENCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porten/limits.h"

typedef struct porten_tokencheck porten_tokencheck;

struct porten_tokencheck_config {
	const char *issuer;          /* required, exact, e.g. "https://test.maskinporten.no/" (copied) */
	const char *base_url;        /* where the issuer's metadata is reachable, e.g.
	                              * "https://127.0.0.1:7443/"; NULL: the issuer itself. A
	                              * jwks_uri under the issuer is fetched under base_url
	                              * instead (copied) */
	const char *ca_bundle;       /* PEM CAs for https; NULL: the system's (copied) */
	int64_t (*now)(void);        /* clock; NULL: porten_now() */
	int refresh_min_s;           /* 0: PORTEN_JWKS_REFRESH_MIN_S */
	int max_age_s;               /* 0: PORTEN_JWKS_MAX_AGE_S */
	long timeout_ms;             /* one fetch; 0: PORTEN_JWKS_TIMEOUT_MS */
	size_t cache_max;            /* verified tokens kept; 0: PORTEN_BEARER_CACHE_MAX */
};

enum porten_tokencheck_status {
	PORTEN_TOKENCHECK_OK = 0,
	PORTEN_TOKENCHECK_MALFORMED,
	PORTEN_TOKENCHECK_SIGNATURE,
	PORTEN_TOKENCHECK_EXPIRED,
	PORTEN_TOKENCHECK_ISSUER,
	PORTEN_TOKENCHECK_UNAVAILABLE,
	PORTEN_TOKENCHECK_INTERNAL,
};

/* What a verified token says. Plain data, copied out: no references into the token. */
struct porten_bearer {
	char consumer_orgno[10];     /* the authorised organisation (consumer.ID) */
	char supplier_orgno[10];     /* "" unless a supplier acts for the consumer */
	char client_id[PORTEN_CLIENT_ID_MAX + 1];
	char scope[PORTEN_SCOPE_STRING_MAX + 1];   /* space-separated, as issued */
	char jti[PORTEN_JTI_MAX + 1];
	int64_t iat;
	int64_t exp;
	bool from_cache;             /* answered by the verified-token cache */
	const char *reason;          /* on failure: a short fixed phrase ("alg not RS256"),
	                              * never token bytes; "" on success */
};

/* Copies the configuration; fetches nothing yet (the first token does). PORTEN_ERR_INVALID
 * without an issuer or with a base_url that is not http(s). */
int porten_tokencheck_new(const struct porten_tokencheck_config *cfg, porten_tokencheck **out);
void porten_tokencheck_free(porten_tokencheck *tc);

/* Verifies token (len bytes, need not be NUL-terminated; the value after "Bearer ").
 * Fills *out on success (and out->reason on failure). */
enum porten_tokencheck_status porten_tokencheck_verify(porten_tokencheck *tc, const char *token,
                                                       size_t len, struct porten_bearer *out);

/* The token of an Authorization header value: scheme "Bearer" (any case), one or more
 * spaces, then a token68 (RFC 9110 11.4) running to the end. *tok points into value.
 * 0, or PORTEN_ERR_INVALID (NULL, another scheme, empty, bad characters). */
int porten_bearer_from_header(const char *value, const char **tok, size_t *len);

/* True when scope is one of the space-separated scopes of the token (exact match). */
bool porten_bearer_has_scope(const struct porten_bearer *b, const char *scope);

/* HTTP status for a status (200, 401, 503, 500) and a stable lowercase name
 * ("malformed", "bad signature", ...). */
int porten_tokencheck_http_status(enum porten_tokencheck_status st);
const char *porten_tokencheck_status_name(enum porten_tokencheck_status st);

/* Counters since porten_tokencheck_new (for /metrics and tests). */
struct porten_tokencheck_stats {
	uint64_t verified;           /* RSA signature verifications performed */
	uint64_t cache_hits;         /* tokens answered from the cache */
	uint64_t jwks_fetches;       /* JWKS refresh attempts (discovery + JWKS) */
	uint64_t jwks_failures;      /* of which failed */
	size_t keys;                 /* keys in the current JWKS */
	size_t cached;               /* tokens in the cache now */
};
void porten_tokencheck_stats(porten_tokencheck *tc, struct porten_tokencheck_stats *st);

#endif
