/* The consumer side: an HTTP client over libcurl, RFC 8414 discovery, JWT grants
 * (RFC 7523, spec/maskinporten.md 2), token requests (spec 1) and credentials from files or
 * from sandbox.json. Shared by porten admin, token, feed and person.
 *
 * Return values: 0, or a negative porten_err:
 *   PORTEN_ERR_UNAVAILABLE  the server could not be reached (refused, timeout, DNS, reset)
 *   PORTEN_ERR_CERT         TLS: the server's certificate is not trusted
 *   PORTEN_ERR_TOO_LARGE    the response is larger than the configured limit
 *   PORTEN_ERR_REFUSED      the server answered with an error status (a problem is filled)
 *   PORTEN_ERR_INVALID      a bad URL, or a 2xx answer that is not what the protocol says
 *   PORTEN_ERR_IO           a local file (CA bundle, key, certificate) cannot be read
 * Transport failures leave a one-line human message in porten_client_errmsg(), e.g.
 * "cannot connect to https://127.0.0.1:7443/: Connection refused". No function logs a
 * token, a grant or key material. */
#ifndef PORTEN_CLIENT_H
#define PORTEN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "porten/buf.h"
#include "porten/key.h"
#include "porten/limits.h"

/* ---- HTTP ---- */

/* One connection cache and its settings. Not thread-safe: one per thread. */
typedef struct porten_client porten_client;

struct porten_client_config {
	const char *ca_bundle;       /* PEM file of CAs to trust (copied); NULL: the system's */
	long connect_timeout_ms;     /* 0: PORTEN_CLIENT_CONNECT_TIMEOUT_MS */
	long timeout_ms;             /* whole exchange; 0: PORTEN_CLIENT_TIMEOUT_MS */
	size_t response_max;         /* body bytes; 0: PORTEN_CLIENT_RESPONSE_MAX */
	const char *user_agent;      /* NULL: "porten/<version>" */
};

struct porten_client_request {
	const char *method;          /* NULL: GET (POST when there is a body) */
	const char *url;             /* http:// or https:// only */
	const char *bearer;          /* sent as "Authorization: Bearer ..." when not NULL */
	const char *accept;          /* Accept header; NULL: none */
	const char *content_type;    /* of body; NULL: none */
	const void *body;            /* NULL: no body */
	size_t body_len;
	const char *const *headers;  /* extra "Name: value" lines, NULL-terminated; may be NULL */
};

struct porten_client_response {
	long status;                 /* HTTP status of the final response */
	char *body;                  /* malloc'd, NUL-terminated, never NULL after success */
	size_t body_len;
	char *content_type;          /* malloc'd; NULL when the server sent none */
	long retry_after;            /* Retry-After in seconds (delta or HTTP-date); -1: absent */
	char *headers;               /* the final header block: "name: value\n" lines, malloc'd */
	size_t headers_len;
};

int porten_client_new(const struct porten_client_config *cfg, porten_client **out);
void porten_client_free(porten_client *c);

/* Performs one exchange. Any HTTP status is a success here (resp->status tells); the
 * caller owns resp afterwards and releases it with porten_client_response_clear(), also
 * after a failure. Redirects are not followed. */
int porten_client_request(porten_client *c, const struct porten_client_request *req,
                          struct porten_client_response *resp);
/* The human message of the last failure of c ("" after a success). */
const char *porten_client_errmsg(const porten_client *c);

void porten_client_response_clear(struct porten_client_response *resp);
/* The value of response header name (case-insensitive, surrounding blanks trimmed), as a
 * view into resp->headers. 0 or PORTEN_ERR_NOT_FOUND. */
int porten_client_response_header(const struct porten_client_response *resp, const char *name,
                                  struct porten_str *value);
/* True for Content-Type application/json or any +json type. */
bool porten_client_response_is_json(const struct porten_client_response *resp);

/* What a server said when it refused: status plus the error code and description of its
 * body ({error, error_description} of OAuth2 and the admin API, {kode, melding} of
 * Folkeregisteret), or a short description of a body that has neither. Both strings are
 * printable on one line (control characters replaced by spaces). */
struct porten_client_problem {
	long status;
	char error[64];
	char description[PORTEN_CLIENT_ERROR_TEXT_MAX];
};
void porten_client_problem_from(const struct porten_client_response *resp,
                                struct porten_client_problem *p);

/* URL building into a bounded buffer: base and path joined with exactly one '/', then
 * query parameters percent-encoded (RFC 3986 unreserved characters kept). */
int porten_url_join(struct porten_buf *b, const char *base, const char *path);
int porten_url_append_escaped(struct porten_buf *b, const char *s);
/* Appends "?name=value" or "&name=value" (value escaped). */
int porten_url_add_query(struct porten_buf *b, const char *name, const char *value);

/* ---- Discovery (RFC 8414, spec 4.1) ---- */

struct porten_client_metadata {
	char *issuer;                /* exactly as published: the audience of grants */
	char *token_endpoint;        /* as published */
	char *token_url;             /* where to POST: token_endpoint, rebased on authz_url when
	                              * it lies under the issuer (a server whose issuer is
	                              * https://test.maskinporten.no/ reached at 127.0.0.1) */
	char *jwks_uri;              /* NULL when absent */
};

/* GET {authz_url}.well-known/oauth-authorization-server. PORTEN_ERR_INVALID (with errmsg)
 * when the answer lacks issuer or token_endpoint. */
int porten_client_discover(porten_client *c, const char *authz_url,
                           struct porten_client_metadata *md, struct porten_client_problem *problem);
void porten_client_metadata_clear(struct porten_client_metadata *md);

/* ---- Credentials ---- */

/* How a client proves who it is: a private key plus either its enterprise certificate
 * (x5c) or the kid of a key registered on the client. */
struct porten_client_credentials {
	char *client_id;
	porten_key *key;             /* private key */
	json_t *x5c;                 /* standard base64 DER certificates, leaf first; or NULL */
	char *kid;                   /* registered key id; NULL with x5c */
	char *orgno;                 /* the organisation, when known (sandbox), else NULL */
	json_t *scopes;              /* array of scope names the client holds, when known, else NULL */
};

/* Loads a private key (PEM, or a private JWK in a JSON file) and, with cert_path, the
 * certificate (a PEM leaf or chain: x5c is every certificate of the file, with the one
 * matching the key moved first); without cert_path, kid is required unless the JWK
 * carries one. err receives a one-line reason naming the file.
 * PORTEN_ERR_IO (unreadable), PORTEN_ERR_INVALID (no key, no certificate, key and
 * certificate do not match, no kid), PORTEN_ERR_USAGE (neither certificate nor kid). */
int porten_client_credentials_load(struct porten_client_credentials *cr, const char *client_id,
                                   const char *cert_path, const char *key_path, const char *kid,
                                   char *err, size_t errlen);
/* From one credentials object of sandbox.json: the "admin" entry {orgno, client_id,
 * certificate, private_key, scopes}, a consumer's "certificate_client" or "key_client"
 * {client_id, kid, private_key}. */
int porten_client_credentials_from_json(struct porten_client_credentials *cr, const json_t *entry,
                                        char *err, size_t errlen);
/* From a private key (a new reference is taken) and the PEM of its certificate or chain
 * (name: the file it came from, for messages). As porten_client_credentials_load. */
int porten_client_credentials_from_key_cert(struct porten_client_credentials *cr,
                                            const char *client_id, porten_key *key,
                                            const char *cert_pem, const char *name, char *err,
                                            size_t errlen);
/* From a PKCS#12 file (an enterprise certificate as CAs deliver it): its private key and
 * certificate; x5c is the leaf alone (Maskinporten completes the chain). err names the
 * file: PORTEN_ERR_IO (missing or unreadable), PORTEN_ERR_PASSWORD (wrong password),
 * PORTEN_ERR_INVALID (not PKCS#12, no key, or key and certificate do not match). */
int porten_client_credentials_from_p12(struct porten_client_credentials *cr, const char *client_id,
                                       const char *p12_path, const char *password, char *err,
                                       size_t errlen);
/* Validity (unix seconds) and organisation number ("" when it has none) of the leaf
 * certificate of cr->x5c; any out may be NULL. PORTEN_ERR_NOT_FOUND without x5c,
 * PORTEN_ERR_INVALID when the leaf does not parse. */
int porten_client_credentials_cert(const struct porten_client_credentials *cr, int64_t *not_before,
                                   int64_t *not_after, char orgno[10]);
void porten_client_credentials_clear(struct porten_client_credentials *cr);
/* True when the credentials are known to hold scope (false when unknown). */
bool porten_client_credentials_hold(const struct porten_client_credentials *cr, const char *scope);

/* Reads and parses sandbox.json (at most PORTEN_CLIENT_CONFIG_MAX bytes): an object with
 * string authz_url. PORTEN_ERR_IO / PORTEN_ERR_INVALID with err. */
int porten_sandbox_load(const char *path, json_t **out, char *err, size_t errlen);

/* ---- Grants (spec 2) ---- */

struct porten_grant_params {
	const char *audience;        /* the issuer, byte for byte (required) */
	const char *scope;           /* space-separated (required) */
	int64_t now;                 /* iat; 0: porten_now() */
	int lifetime;                /* exp - iat, 1..PORTEN_GRANT_MAX_LIFETIME_S; 0: the maximum */
	const char *jti;             /* NULL: a fresh version 4 UUID */
	const char *resource;        /* optional RFC 8707 audience of the token */
	const char *consumer_org;    /* optional: a supplier acting for this organisation */
};

/* Signs a grant with RS256: header {"alg","x5c"} or {"alg","kid"}; claims {aud, iss,
 * scope, iat, exp, jti} in that order, then resource and consumer_org when given.
 * *out is a malloc'd compact JWS. */
int porten_grant_build(const struct porten_client_credentials *cr,
                       const struct porten_grant_params *p, char **out);

/* ---- Token requests (spec 1) ---- */

struct porten_client_token {
	char *access_token;          /* wiped on clear */
	char *token_type;            /* "Bearer" */
	int64_t expires_in;          /* -1 when absent */
	char *scope;                 /* NULL when absent */
};

/* POST token_url grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=... */
int porten_client_token_request(porten_client *c, const char *token_url, const char *assertion,
                                struct porten_client_token *tok, struct porten_client_problem *problem);
/* Discovery, a fresh grant for scope, and the token request. */
int porten_client_get_token(porten_client *c, const char *authz_url,
                            const struct porten_client_credentials *cr, const char *scope,
                            struct porten_client_token *tok, struct porten_client_problem *problem);
/* As porten_client_get_token with every grant parameter: scope (required), resource,
 * consumer_org, lifetime; audience NULL means the discovered issuer, now and jti are
 * filled in when zero / NULL. */
int porten_client_get_token_params(porten_client *c, const char *authz_url,
                                   const struct porten_client_credentials *cr,
                                   const struct porten_grant_params *gp,
                                   struct porten_client_token *tok,
                                   struct porten_client_problem *problem);
void porten_client_token_clear(struct porten_client_token *tok);

#endif
