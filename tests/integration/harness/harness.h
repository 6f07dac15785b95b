/* Integration-test harness for porten authz.
 *
 * One harness per test executable:
 *   - h_init() makes a private temp dir (mkdtemp under /tmp), pins the test clock T =
 *     time(NULL) and creates a test PKI with `porten pki init` (once);
 *   - h_issue() issues enterprise certificates with `porten pki issue`;
 *   - h_server_start() spawns `porten authz --listen 127.0.0.1:0 --fake-now T ...` and waits
 *     for its one "listening on" stdout line (read through a pipe: the readiness signal);
 *   - h_server_stop() sends SIGTERM, reaps the child and asserts exit status 0;
 *   - h_cleanup() stops leftover servers and removes the temp dir.
 *
 * Memory: every string / JSON value / response the harness hands out is owned by the
 * harness and released in h_cleanup(), so a failing assertion (cmocka longjmp) never
 * leaks and test bodies need not free anything.
 *
 * Assertions take the caller's file and line (macros below), so a failure points at the
 * test, and they print the response body that did not match. */
#ifndef PORTEN_IT_HARNESS_H
#define PORTEN_IT_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <limits.h>
#include <sys/types.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "porten/key.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* The issuer every test server is started with (test environment, trailing slash). */
#define H_ISSUER "https://test.maskinporten.no/"
#define H_GRANT_TYPE "urn:ietf:params:oauth:grant-type:jwt-bearer"

/* The pinned clock: time(NULL) at h_init(); every server runs with --fake-now h_T. */
extern int64_t h_T;

#define H_LOC __FILE__, __LINE__

/* ---- set-up ---- */
void h_init(void);
void h_cleanup(void);
const char *h_tmpdir(void);
const char *h_pki_dir(void);
/* printf into a harness-owned string. */
char *h_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Keeps p / j until h_cleanup(); returns it. */
void *h_keep(void *p);
json_t *h_keep_json(json_t *j);
/* Reports a failure at file:line with a message, then fails the test (never returns). */
void h_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
#define h_fail(...) h_fail_at(H_LOC, __VA_ARGS__)
/* Runs argv (argv[0] a path) with stdout to /dev/null; returns the exit status or -1. */
int h_run(char *const argv[]);
/* Reads a whole file into a harness-owned NUL-terminated string (NULL if unreadable). */
char *h_read_file(const char *path, size_t *len);
int h_write_file(const char *path, const void *data, size_t len);

/* ---- identifiers ---- */
/* True when s is a valid organisation number (mod-11). */
bool h_orgno_valid(const char *s);
/* ISO 8601 UTC of t (harness-owned). */
const char *h_iso8601(int64_t t);

/* ---- certificates and keys ---- */
struct h_cert {
	char name[64];
	char orgno[10];
	char pem[PATH_MAX];          /* PREFIX.pem: the leaf */
	char key_pem[PATH_MAX];      /* PREFIX-key.pem */
	char chain_pem[PATH_MAX];    /* PREFIX-chain.pem: leaf + intermediate */
	porten_key *key;             /* private key, library handle */
	EVP_PKEY *evp;               /* same private key, for raw signing */
	json_t *x5c_leaf;            /* ["<leaf b64>"] */
	json_t *x5c_chain;           /* ["<leaf b64>", "<intermediate b64>"] */
};
/* `porten pki issue --dir PKI --orgno ORGNO --variant VARIANT --out PKI/NAME` (orgno may be
 * NULL for no-orgno) and loads the result. */
struct h_cert *h_issue(const char *name, const char *orgno, const char *variant);
/* A leaf built here with OpenSSL under the PKI's intermediate whose subject carries the
 * organisation number ONLY in organizationIdentifier = org_id (e.g. "NTRNO-123456785"):
 * no serialNumber, O without a number. Otherwise like the valid variant. */
struct h_cert *h_issue_orgid_only(const char *name, const char *org_id);

/* A generated RSA-2048 key pair for registered-key (kid) clients. */
struct h_key {
	char kid[128];
	porten_key *key;
	EVP_PKEY *evp;
};
struct h_key *h_key_new(const char *kid);
/* Same key material under another kid. */
struct h_key *h_key_alias(const struct h_key *k, const char *kid);
/* The registered JWK for a seed: {kty,kid,use:"sig",alg,n,e,created}. */
json_t *h_key_jwk(const struct h_key *k, const char *alg, int64_t created);

/* ---- seeds ---- */
/* {"scopes":[],"access":[],"clients":[],"delegations":[]} */
json_t *h_seed_new(void);
/* Appends obj (reference stolen) to seed[section]. */
void h_seed_add(json_t *seed, const char *section, json_t *obj);
/* Shorthands. extra (may be NULL; reference stolen) is merged into the object. */
void h_seed_scope(json_t *seed, const char *name, const char *owner, json_t *extra);
void h_seed_access(json_t *seed, const char *scope, const char *consumer, const char *state);
void h_seed_client(json_t *seed, const char *client_id, const char *orgno, const char *scopes_space,
                   json_t *extra);
void h_seed_delegation(json_t *seed, const char *consumer, const char *supplier, const char *scope);

/* ---- servers ---- */
struct h_server_opts {
	const json_t *seed;            /* written to a file and given with --seed (NULL: none) */
	const char *data_dir;          /* NULL: a fresh dir under the temp dir */
	bool tls;                      /* no --plain-http */
	const char *cert_env;          /* --cert-env; NULL: "test" */
	bool no_trust;                 /* no --trust-anchors/--intermediates/--crl */
	const char *const *extra;      /* NULL-terminated extra arguments */
};
struct h_server {
	pid_t pid;
	int out_fd;                    /* read end of the child's stdout */
	unsigned port;
	char url[128];                 /* "http://127.0.0.1:PORT/" as printed */
	char data_dir[PATH_MAX];
	char ca_pem[PATH_MAX + 16];    /* TLS: DATA/tls/ca.pem */
	bool tls;
	const char *issuer;
};
#define h_server_start(o) h_server_start_at(H_LOC, (o))
#define h_server_stop(s) h_server_stop_at(H_LOC, (s))
struct h_server *h_server_start_at(const char *file, int line, const struct h_server_opts *o);
void h_server_stop_at(const char *file, int line, struct h_server *s);

/* ---- HTTP ---- */
struct h_resp {
	int curl_rc;                   /* CURLcode; 0 when an HTTP response arrived */
	long status;
	char *body;                    /* NUL-terminated (may contain NULs before len) */
	size_t len;
	char *headers;                 /* raw header block of the final response */
	json_t *json;                  /* body parsed as JSON (NULL if not JSON) */
	char curl_err[256];
};
/* One request. ctype NULL: no Content-Type header at all. hdrs: NULL-terminated extra
 * header lines. url_override: full URL instead of s->url + path (for scheme tests).
 * Returns a harness-owned response. */
struct h_resp *h_http(struct h_server *s, const char *method, const char *path, const char *ctype,
                      const void *body, size_t len, const char *const *hdrs);
struct h_resp *h_http_url(const char *url, const char *cainfo, const char *method, const char *ctype,
                          const void *body, size_t len, const char *const *hdrs);
struct h_resp *h_get(struct h_server *s, const char *path);
/* POST /token with Content-Type application/x-www-form-urlencoded and the body as given. */
struct h_resp *h_post_form(struct h_server *s, const char *form);
/* POST /token grant_type=jwt-bearer&assertion=<url-encoded assertion>. */
struct h_resp *h_post_token(struct h_server *s, const char *assertion);
/* A response header value (case-insensitive name), harness-owned; NULL if absent. */
const char *h_header(const struct h_resp *r, const char *name);
/* url-encodes (harness-owned). */
char *h_urlenc(const char *s);

/* ---- grants ---- */
/* {"aud":issuer,"iss":client_id,"scope":scope,"iat":T,"exp":T+120,"jti":<uuid>} (harness-owned;
 * modify freely). scope NULL: no scope claim. */
json_t *h_claims(const char *client_id, const char *scope);
/* Library signing (porten_jws_sign): header {"alg":alg,"x5c":<x5c>} / {"alg":alg,"kid":kid}. */
char *h_sign_x5c(const struct h_cert *c, const char *alg, const json_t *claims);
char *h_sign_x5c_chain(const struct h_cert *c, const char *alg, const json_t *claims);
char *h_sign_kid(const struct h_key *k, const char *alg, const json_t *claims);
/* Library signing with an arbitrary header object (must contain "alg"). */
char *h_sign_hdr(const porten_key *key, const char *alg, const json_t *header, const json_t *claims);
/* Raw compact JWS over literal header/payload JSON text, signed with OpenSSL:
 * alg RS256/RS384/RS512/PS256 (pk RSA), ES256 (pk EC), HS256/HS384 (hmac key), "none" (empty
 * signature). Header/payload are base64url-encoded exactly as given. */
char *h_jws_raw(const char *alg, EVP_PKEY *pk, const void *hkey, size_t hklen,
                const char *header_json, const char *payload_json);
/* Same, over ready-made base64url segments (for malformed-encoding tests). */
char *h_jws_raw_b64(const char *alg, EVP_PKEY *pk, const void *hkey, size_t hklen,
                    const char *header_b64, const char *payload_b64);
char *h_b64url(const void *data, size_t n);
/* Compact JSON text of j (harness-owned). */
char *h_dump(const json_t *j);

/* ---- expectations ---- */
/* 200, application/json, no-store, exactly {access_token, token_type:"Bearer", expires_in,
 * scope}; the token verifies against GET /jwk. Returns the token claims (harness-owned);
 * *hdr_out (may be NULL) gets the token's JOSE header. */
#define h_expect_token(s, r) h_expect_token_at(H_LOC, (s), (r), NULL)
json_t *h_expect_token_at(const char *file, int line, struct h_server *s, struct h_resp *r,
                          json_t **hdr_out);
/* POSTs the grant and expects a token. */
#define h_token_ok(s, jwt) h_expect_token_at(H_LOC, (s), h_post_token((s), (jwt)), NULL)
/* An error response: exact status, exact error, error_uri == issuer + "errors/" + mp when mp
 * is given and absent otherwise, error_description starting with desc_prefix (NULL: any) and
 * ending with " (trace_id: <32 lowercase hex>)", Content-Type application/json. */
#define h_expect_error(s, r, st, err, mp, pfx) h_expect_error_at(H_LOC, (s), (r), (st), (err), (mp), (pfx))
void h_expect_error_at(const char *file, int line, struct h_server *s, const struct h_resp *r,
                       long status, const char *error, const char *mp, const char *desc_prefix);
/* POSTs the grant and expects the error. */
#define h_token_err(s, jwt, st, err, mp, pfx) \
	h_expect_error_at(H_LOC, (s), h_post_token((s), (jwt)), (st), (err), (mp), (pfx))
/* The error_description with its trace suffix removed (harness-owned). */
const char *h_error_text(const struct h_resp *r);
/* Verifies a compact JWS access token against the server's GET /jwk; returns the claims
 * (harness-owned) and the header in *hdr_out (may be NULL). */
#define h_verify_token(s, tok, hdr) h_verify_token_at(H_LOC, (s), (tok), (hdr))
json_t *h_verify_token_at(const char *file, int line, struct h_server *s, const char *token,
                          json_t **hdr_out);
/* A generic refusal: 4xx (never 5xx or no response), JSON error body with the trace suffix. */
#define h_expect_refused(s, r) h_expect_refused_at(H_LOC, (s), (r))
void h_expect_refused_at(const char *file, int line, struct h_server *s, const struct h_resp *r);

/* cmocka helpers with caller locations */
#define H_ASSERT_STR(a, b) do { const char *h_a_ = (a), *h_b_ = (b); \
	if (h_a_ == NULL || h_b_ == NULL || strcmp(h_a_, h_b_) != 0) \
		h_fail("expected \"%s\", got \"%s\"", h_b_ ? h_b_ : "(null)", h_a_ ? h_a_ : "(null)"); } while (0)
#define H_ASSERT_INT(a, b) do { long long h_a_ = (long long)(a), h_b_ = (long long)(b); \
	if (h_a_ != h_b_) h_fail("%s: expected %lld, got %lld", #a, h_b_, h_a_); } while (0)
/* JSON member accessors that fail the test when the member is missing or mistyped. */
#define H_JSTR(obj, name) h_jstr_at(H_LOC, (obj), (name))
#define H_JINT(obj, name) h_jint_at(H_LOC, (obj), (name))
const char *h_jstr_at(const char *file, int line, const json_t *obj, const char *name);
long long h_jint_at(const char *file, int line, const json_t *obj, const char *name);

#endif
