/* Maskinporten logic: grant validation, token issuance, signing keys, seed loading.
 * No I/O of its own beyond the store and the key directory; the HTTP routes live in
 * lib/authz/routes.c and are wired by src/cmd_authz.c. */
#ifndef PORTEN_AUTHZ_H
#define PORTEN_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "porten/http.h"
#include "porten/limits.h"
#include "porten/store.h"
#include "porten/x509.h"

typedef struct porten_authz porten_authz;

struct porten_authz_config {
	const char *issuer;              /* exactly as published, e.g. "https://test.maskinporten.no/" */
	const char *key_dir;             /* signing keys; created 0700 if missing */
	porten_store *store;             /* borrowed */
	/* Non-NULL: the signing keys live in the store instead of key_dir (a database that
	 * several instances share), private keys sealed with these 32 bytes (porten/seal.h;
	 * copied, wipe yours). */
	const unsigned char *keys_seal_key;
	porten_trust *trust;             /* borrowed; NULL: every x5c grant is refused (MP-120) */
	int token_lifetime_default;      /* seconds; 0 = PORTEN_TOKEN_LIFETIME_DEFAULT */
	bool accept_aud_without_slash;   /* also accept the issuer without its trailing slash */
	bool omit_unspecified_aud;       /* no resource -> no aud (instead of "unspecified") */
	bool strict_iat_window;          /* also refuse iat < now - skew */
	bool clock_settable;             /* POST /admin/clock may move the pinned clock (--fake-now) */
};

int porten_authz_new(const struct porten_authz_config *cfg, porten_authz **out);
void porten_authz_free(porten_authz *az);
const char *porten_authz_issuer(const porten_authz *az);

/* Every way a token request can fail (spec/maskinporten.md 5.2). */
enum porten_az_error {
	AZ_OK = 0,
	AZ_UNSUPPORTED_GRANT_TYPE,   /* grant_type missing or not jwt-bearer */
	AZ_INVALID_REQUEST,          /* missing assertion, bad form, wrong content type */
	AZ_METHOD,                   /* not POST (405) */
	AZ_BODY_TOO_LARGE,           /* 413 */
	AZ_MP011,                    /* malformed JWT, claim of wrong type, unknown claim */
	AZ_MP012,                    /* replayed grant */
	AZ_MP100,                    /* client not found / inactive */
	AZ_MP110,                    /* aud */
	AZ_MP120,                    /* certificate not accepted */
	AZ_MP121,                    /* registered key expired */
	AZ_MP122,                    /* certificate orgno != client_orgno */
	AZ_MP123,                    /* x5c missing or malformed */
	AZ_MP124,                    /* bad signature */
	AZ_MP130,                    /* grant expired */
	AZ_ALG,                      /* alg outside RS256/384/512 */
	AZ_IAT_FUTURE,               /* Issue time is after now */
	AZ_IAT_PAST,                 /* strict_iat_window */
	AZ_LIFETIME,                 /* exp - iat > 120 or exp <= iat */
	AZ_NBF,                      /* nbf in the future */
	AZ_UNKNOWN_KID,
	AZ_REQUIRES_JWK,             /* client has registered keys, grant used x5c */
	AZ_SCOPE_MISSING,            /* no or empty scope claim */
	AZ_MP200,                    /* scope unknown, inactive or not on the client */
	AZ_MP201,                    /* scope not for integration type maskinporten */
	AZ_MP250,                    /* consumer has no APPROVED access */
	AZ_MP251,                    /* no delegation consumer -> supplier */
	AZ_CONSUMER_ORG_INVALID,     /* consumer_org = own orgno, or scope without delegation_source */
	AZ_MP301,                    /* authorization_details type not supported */
	AZ_UNAVAILABLE,              /* store unavailable (503) */
	AZ_INTERNAL,                 /* 500 */
	AZ_ERROR_COUNT
};

struct porten_az_error_info {
	const char *mp;              /* "MP-124" or NULL */
	const char *error;           /* OAuth2 error code */
	int status;                  /* HTTP status */
	const char *text;            /* error_description before details and the trace id */
};
const struct porten_az_error_info *porten_az_error_info(enum porten_az_error e);

/* The outcome of one token request. */
struct porten_token_result {
	enum porten_az_error error;
	char detail[256];            /* appended verbatim to the text (with its separator, e.g. ", a:b") */
	char description[512];       /* when set, replaces text + detail (e.g. MP-251's sentence) */
	char reason[256];            /* for the security log only, never sent */
	json_t *response;            /* on success: {access_token, token_type, expires_in, scope} */
	/* for the access log */
	char client_id[PORTEN_CLIENT_ID_MAX + 1];
	char orgno[10];
	char scope[128];
};
void porten_token_result_clear(struct porten_token_result *res);

/* Validates a grant (the assertion form field) and issues an access token.
 * Never throws away an error silently: every path sets res->error. */
void porten_authz_token(porten_authz *az, const char *assertion, size_t len,
                        struct porten_token_result *res);

/* {"keys":[...]} of every published signing key (new reference). */
json_t *porten_authz_jwks(porten_authz *az);
/* Verifies an access token this server issued: compact JWS, alg RS256, kid published now,
 * signature, iss = issuer, exp > now - PORTEN_CLOCK_SKEW_S. *claims_out gets the claims
 * (new reference). PORTEN_ERR_INVALID (malformed), PORTEN_ERR_SIGNATURE (unknown kid or
 * bad signature), PORTEN_ERR_CONFLICT (wrong iss or expired). */
int porten_authz_verify_own_token(porten_authz *az, const char *token, size_t len, json_t **claims_out);
/* Signing-key rotation at porten_now() (az_keyring_rotate): the new kid in kid_out. */
int porten_authz_keys_rotate(porten_authz *az, int64_t publish_ahead, char kid_out[64]);
/* The published signing keys and their states at porten_now() (az_keyring_list; new ref). */
json_t *porten_authz_keys_list(porten_authz *az);
/* RFC 8414 metadata (new reference). */
json_t *porten_authz_metadata(porten_authz *az);

/* The HTTP surface: /token, /.well-known/oauth-authorization-server, /jwk, /jwk.json,
 * /health, /metrics. */
extern const struct porten_route porten_authz_routes[];
extern const size_t porten_authz_nroutes;
void porten_authz_http_error(struct porten_req *req, struct porten_resp *resp, int status, void *ctx);

/* The administration API (docs/admin-api.md): one handler for every admin path, with
 * and without /api/v1, dispatching on path and method; and its 404/405/413 bodies. */
void porten_authz_admin(struct porten_req *req, struct porten_resp *resp, void *ctx);
void porten_authz_admin_http_error(struct porten_req *req, struct porten_resp *resp, int status, void *ctx);

/* Seeds (PRODUCT.md): validates the whole file first, reporting every problem in errbuf
 * ("clients[0].client_orgno: must be 9 digits; ..."), then applies it in one transaction.
 * Idempotent: loading the same seed again changes nothing. changed (may be NULL) counts
 * the documents written. */
int porten_authz_seed_load(porten_store *store, const json_t *seed, int64_t now,
                           char *errbuf, size_t errlen, size_t *changed);
int porten_authz_seed_file(porten_store *store, const char *path, int64_t now,
                           char *errbuf, size_t errlen, size_t *changed);

#endif
