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
#include <stdio.h>
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

/* ---- backends ----
 * PORTEN_TEST_BACKEND=postgresql (ctest's pg_integration_* tests): every authz / freg
 * server gets a fresh database on PORTEN_TEST_PG's cluster (CREATE DATABASE porten_it_<hex>,
 * dropped in h_cleanup) as --db, reused when a server is started again with the same
 * data_dir, and authz a generated 0600 --keys-secret. h_init() exits 77 (skipped) when
 * PORTEN_TEST_PG is unset in that mode. */
bool h_backend_pg(void);
/* The database URI of the servers on data_dir (PostgreSQL mode), else NULL. */
const char *h_db_uri(const char *data_dir);
/* The store option of a CLI command on that server's data: "--data DIR", or on PostgreSQL
 * "--db 'URI'" (shell-quoted; for system()). Harness-owned. */
const char *h_store_arg(const char *data_dir);
/* In PostgreSQL mode: prints why and skips the current cmocka test. */
#define h_skip_on_pg(why) do { if (h_backend_pg()) { \
	fprintf(stderr, "%s:%d: skipped on PostgreSQL: %s\n", __FILE__, __LINE__, (why)); \
	skip(); } } while (0)

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
	bool real_clock;               /* no --fake-now: the server runs on the wall clock */
	const char *command;           /* NULL: "authz"; "freg" starts porten freg (no trust
	                                * arguments; give --issuer-url etc. in extra) */
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
	/* The server's clock as the harness set it: h_T at start, moved by h_set_clock()
	 * (POST /admin/clock). Unused when real_clock. */
	int64_t now;
	bool real_clock;
};
#define h_server_start(o) h_server_start_at(H_LOC, (o))
#define h_server_stop(s) h_server_stop_at(H_LOC, (s))
struct h_server *h_server_start_at(const char *file, int line, const struct h_server_opts *o);
void h_server_stop_at(const char *file, int line, struct h_server *s);
/* SIGKILL, reap, forget: a crash at an arbitrary moment (s is freed). */
void h_server_kill(struct h_server *s);

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

/* ---- administration API (docs/admin-api.md) ---- */

/* The admin scopes and the organisation that owns them (Digdir). */
#define H_ORG_DIGDIR "991825827"
#define H_SC_SCOPES "idporten:scopes.write"
#define H_SC_DCR_READ "idporten:dcr.read"
#define H_SC_DCR_WRITE "idporten:dcr.write"
#define H_SC_DCR_MODIFY "idporten:dcr.modify"
#define H_SC_DCR_SUPPLIER "idporten:dcr.supplier"
#define H_SC_DELEG "porten:delegations.write"
#define H_SC_ADMIN "porten:admin"
#define H_SC_ALL_ADMIN H_SC_SCOPES " " H_SC_DCR_READ " " H_SC_DCR_WRITE " " H_SC_DCR_MODIFY " " \
	H_SC_DCR_SUPPLIER " " H_SC_DELEG " " H_SC_ADMIN
#define H_ALTINN_TT02 "https://tt02.altinn.no/"

/* The server's current (pinned) clock: s->now, or time(NULL) for a real-clock server. */
int64_t h_server_now(const struct h_server *s);
/* h_claims() with iat = the server's clock, exp = iat + 120 (harness-owned). */
json_t *h_claims_now(const struct h_server *s, const char *client_id, const char *scope);

/* Seeds the seven admin scopes above (owner Digdir, PRIVATE, maskinporten only). They are
 * ordinary scopes: an organisation needs an APPROVED access record and a client that lists
 * them to get a token for them (h_seed_actor does both). */
void h_seed_admin_scopes(json_t *seed);

/* An organisation's admin client: a registered-key (kid) client. */
struct h_actor {
	char client_id[128];
	char orgno[10];
	struct h_key *key;
};
/* Seeds a client client_id of orgno listing scopes_space, with a fresh RS256 key (kid
 * "<client_id>-k", created = the time the seed is loaded), and APPROVED access for orgno to
 * each listed scope that the seed defines (skipping records already in the seed; scopes
 * created later through the API get their access through the API). extra (stolen, may be
 * NULL) is merged into the client. */
struct h_actor *h_seed_actor(json_t *seed, const char *client_id, const char *orgno,
                             const char *scopes_space, json_t *extra);
/* A token grant signed by k for client_id, posted to /token; expects 200 and returns the
 * access token (harness-owned). */
#define h_bearer_token(s, k, cid, scope) h_bearer_token_at(H_LOC, (s), (k), (cid), (scope))
const char *h_bearer_token_at(const char *file, int line, struct h_server *s, const struct h_key *k,
                              const char *client_id, const char *scope);
#define h_actor_token(s, a, scope) h_bearer_token_at(H_LOC, (s), (a)->key, (a)->client_id, (scope))

/* One admin API request: Accept and (with a body) Content-Type application/json;
 * Authorization: Bearer <bearer> unless bearer is NULL. json is sent byte-exact. */
struct h_resp *h_api(struct h_server *s, const char *method, const char *path, const char *bearer,
                     const char *json);
/* Same with a JSON value (NULL: no body). */
struct h_resp *h_apij(struct h_server *s, const char *method, const char *path, const char *bearer,
                      const json_t *body);
/* h_api with a fresh token of actor a for scope. */
#define h_api_as(s, a, scope, method, path, json) \
	h_api((s), (method), (path), h_bearer_token_at(H_LOC, (s), (a)->key, (a)->client_id, (scope)), (json))
#define h_apij_as(s, a, scope, method, path, body) \
	h_apij((s), (method), (path), h_bearer_token_at(H_LOC, (s), (a)->key, (a)->client_id, (scope)), (body))

/* A successful admin response: exact status, Content-Type application/json and a JSON
 * body (204: an empty body; returns NULL). Returns the body (harness-owned). */
#define h_expect_api(r, st) h_expect_api_at(H_LOC, (r), (st))
json_t *h_expect_api_at(const char *file, int line, const struct h_resp *r, long status);
/* The self-service error shape, exactly: HTTP status, Content-Type application/json, members
 * exactly {status (= HTTP status), timestamp (ISO 8601), correlation_id (32 hex), errors
 * (array of {errorMessage, isFieldError, objectName[, fieldIdentifier]}), error (exact),
 * error_description (non-empty)}; a 401 carries WWW-Authenticate: Bearer..., a 405 Allow. */
#define h_expect_api_error(r, st, err) h_expect_api_error_at(H_LOC, (r), (st), (err))
void h_expect_api_error_at(const char *file, int line, const struct h_resp *r, long status,
                           const char *error);
/* The errors[] entry naming field: fieldIdentifier equal to field, or ending in ".field",
 * or starting with "field[" or "field." (nested paths such as keys[0].use). Fails when
 * there is none. */
#define h_api_field_error(r, field) h_api_field_error_at(H_LOC, (r), (field))
const json_t *h_api_field_error_at(const char *file, int line, const struct h_resp *r,
                                   const char *field);
/* 400 invalid_request in the exact shape whose errors[] has exactly one field error per
 * name in fields_csv ("prefix,subscope"), each isFieldError true with objectName object,
 * and whose error_description names every field. */
#define h_expect_invalid(r, object, fields_csv) h_expect_invalid_at(H_LOC, (r), (object), (fields_csv))
void h_expect_invalid_at(const char *file, int line, const struct h_resp *r, const char *object,
                         const char *fields_csv);

/* Non-fatal forms of the two above: NULL when r is as expected, otherwise what is wrong
 * (harness-owned), so a test can check a list of cases and report every failing one. */
const char *h_api_error_problem(const struct h_resp *r, long status, const char *error);
const char *h_invalid_problem(const struct h_resp *r, const char *object, const char *fields_csv);
/* Collects problems: h_note(&acc, p) appends p (if not NULL) to acc with a label;
 * h_expect_no_notes(acc) fails with all of them. */
#define h_note(acc, label, p) do { const char *h_p_ = (p); \
	if (h_p_) *(acc) = h_strf("%s\n  [%s] %s", *(acc) ? *(acc) : "", (label), h_p_); } while (0)
#define h_expect_no_notes(acc) do { if ((acc) != NULL) { \
	fprintf(stderr, "%s:%d: problems:%s\n", __FILE__, __LINE__, (acc)); \
	h_fail("the problems listed above"); } } while (0)

/* POST /admin/clock {"now": t} with a fresh porten:admin token of op; expects 200 and sets
 * s->now = t. */
#define h_set_clock(s, op, t) h_set_clock_at(H_LOC, (s), (op), (t))
void h_set_clock_at(const char *file, int line, struct h_server *s, const struct h_actor *op, int64_t t);

/* Format checks. */
bool h_is_uuid(const char *s);             /* 8-4-4-4-12 lowercase hex */
bool h_is_iso8601(const char *s);          /* YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm) */
bool h_is_hex(const char *s, size_t n);    /* exactly n hex digits */
/* The element of array arr whose string member name equals value (NULL if none). */
json_t *h_find(const json_t *arr, const char *name, const char *value);
/* The kids in GET /jwk, as one space-separated string in published order (harness-owned). */
#define h_jwk_kids(s) h_jwk_kids_at(H_LOC, (s))
const char *h_jwk_kids_at(const char *file, int line, struct h_server *s);
/* The server's private signing key DATA/keys/<kid>.key.pem (harness-owned), for forging. */
#define h_server_key(s, kid) h_server_key_at(H_LOC, (s), (kid))
/* PostgreSQL mode: the unsealed private key PEM of kid from the server's database
 * (harness-owned; NULL if there is none). */
char *h_db_signing_key_pem(const char *file, int line, struct h_server *s, const char *kid);
/* PostgreSQL mode: the stored document {kid, created, activates, crt, key (sealed)} of
 * signing key kid in data_dir's database (harness-owned), NULL when there is none. */
json_t *h_db_signing_key_doc(const char *data_dir, const char *kid);
/* PostgreSQL mode: stores a signing key (kid = its thumbprint) in the database of data_dir
 * the way the keyring does (the next sequence number, private key sealed with the
 * harness's --keys-secret), signing from created. */
void h_db_add_signing_key(const char *data_dir, const char *kid, const char *key_pem, const char *crt_pem,
                          int64_t created);
porten_key *h_server_key_at(const char *file, int line, struct h_server *s, const char *kid);
/* The JWK (public, with kid/use/alg) of k for an API body, without "created" (new ref kept). */
json_t *h_key_pub(const struct h_key *k, const char *alg);
/* Every entry of GET /admin/audit (paged with after=, limit=1000), oldest first, read with
 * fresh porten:admin tokens of op; query (may be NULL) is appended, e.g. "actor=974761076".
 * Harness-owned array. */
#define h_audit(s, op, query) h_audit_at(H_LOC, (s), (op), (query))
json_t *h_audit_at(const char *file, int line, struct h_server *s, const struct h_actor *op,
                   const char *query);
/* The claims of a compact JWS, not verified (harness-owned), and its header in *hdr. */
json_t *h_jws_claims(const char *jws, json_t **hdr);

/* Checks each value of the JSON array against the OpenAPI 1.5 component schema `name`
 * (or "array:NAME", "integer") with tests/unit/freg/check_schema.py and ../shared's
 * contract; a missing contract (a user's clone) skips the check with a message. */
#define h_check_schema(name, values) h_check_schema_at(H_LOC, (name), (values))
void h_check_schema_at(const char *file, int line, const char *name, json_t *values);

#endif
