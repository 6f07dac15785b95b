/* porten doctor (docs/doctor.md): a corpus of broken grants, one per rule, generated here
 * with the harness's PKI and keys. For each grant:
 *   - `porten doctor --json` names exactly the expected rule as FAIL, with the expected
 *     error and MP code (exit 1; a valid grant: no FAIL, exit 0);
 *   - doctor's verdict (porten_authz_token on an in-memory store) equals its first FAIL;
 *   - the same grant sent to a real `porten authz` (same seed, same clock, same PKI) is
 *     refused with exactly doctor's error, error_uri and error_description (trace id
 *     removed); the valid grants get tokens.
 * Every case is checked and every mismatch reported before the test fails. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "porten/key.h"

extern char **environ;

#define ORG_A "974761076"
#define ORG_K "123456785"
#define ORG_OTHER "889640782"
#define ORG_PROVIDER "991825827"
#define SCOPE "doc:api"
#define SCOPE_OTHER "doc:other"
#define CL_X5C "doc-x5c"
#define CL_KID "doc-kid"
#define CL_KID_OLD "doc-kid-old"
#define CL_X5C_KEYS "doc-x5c-keys"
#define CL_X5C_OTHER "doc-x5c-other"

static struct h_server *srv;
static struct h_cert *c_valid, *c_other, *c_expired, *c_enc, *c_foreign, *c_self, *c_revoked,
                     *c_wrongpol, *c_noorg;
static struct h_key *k_fresh, *k_old, *k_stray;
static json_t *clients;             /* client_id -> the client object seeded */

static json_t *
client_obj(const char *client_id, const char *orgno, const char *scope, json_t *jwk)
{
	json_t *c = json_pack("{s:s,s:s,s:s,s:[s]}", "client_id", client_id, "client_orgno", orgno,
	                      "client_name", client_id, "scopes", scope);

	if (jwk != NULL)
		json_object_set_new(c, "jwks", json_pack("{s:[o]}", "keys", jwk));
	json_object_set(clients, client_id, c);
	return c;
}

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };
	json_t *seed;

	h_init();
	c_valid = h_issue("valid", ORG_A, "valid");
	c_other = h_issue("other", ORG_OTHER, "valid");
	c_expired = h_issue("expired", ORG_A, "expired");
	c_enc = h_issue("enc", ORG_A, "encryption-only");
	c_foreign = h_issue("foreign", ORG_A, "foreign-ca");
	c_self = h_issue("self", ORG_A, "self-signed");
	c_revoked = h_issue("revoked", ORG_A, "revoked");
	c_wrongpol = h_issue("wrongpol", ORG_A, "wrong-policy");
	c_noorg = h_issue("noorg", NULL, "no-orgno");
	k_fresh = h_key_new("doc-fresh");
	k_old = h_key_new("doc-old");
	k_stray = h_key_new("doc-stray");
	clients = h_keep_json(json_object());

	seed = h_seed_new();
	h_seed_scope(seed, SCOPE, ORG_PROVIDER, NULL);
	h_seed_scope(seed, SCOPE_OTHER, ORG_PROVIDER, NULL);
	h_seed_access(seed, SCOPE, ORG_A, "APPROVED");
	h_seed_access(seed, SCOPE, ORG_K, "APPROVED");
	h_seed_access(seed, SCOPE, ORG_OTHER, "APPROVED");
	h_seed_access(seed, SCOPE_OTHER, ORG_A, "APPROVED");
	h_seed_add(seed, "clients", client_obj(CL_X5C, ORG_A, SCOPE, NULL));
	h_seed_add(seed, "clients", client_obj(CL_KID, ORG_K, SCOPE, h_key_jwk(k_fresh, "RS256", h_T - 86400)));
	h_seed_add(seed, "clients", client_obj(CL_KID_OLD, ORG_K, SCOPE,
	                                       h_key_jwk(k_old, "RS256", h_T - 366 * 86400)));
	h_seed_add(seed, "clients", client_obj(CL_X5C_KEYS, ORG_A, SCOPE,
	                                       h_key_jwk(k_stray, "RS256", h_T - 86400)));
	h_seed_add(seed, "clients", client_obj(CL_X5C_OTHER, ORG_OTHER, SCOPE, NULL));
	o.seed = seed;
	srv = h_server_start(&o);
	return 0;
}

static int
group_teardown(void **state)
{
	h_server_stop(srv);
	h_cleanup();
	return 0;
}

/* Runs porten doctor with args (NULL-terminated) and stdin from in_path (may be NULL);
 * returns the exit status and stdout (harness-owned) in *out. */
static int
run_doctor(const char *const *args, const char *in_path, char **out)
{
	static int seq;
	char *outp = h_strf("%s/doctor-%d.out", h_tmpdir(), ++seq);
	char *argv[64];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int n = 0, st;

	argv[n++] = (char *)PORTEN_BIN;
	argv[n++] = (char *)"doctor";
	for (size_t i = 0; args[i] != NULL && n < 62; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in_path != NULL)
		posix_spawn_file_actions_addopen(&fa, 0, in_path, O_RDONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		h_fail("cannot run porten doctor");
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			h_fail("waitpid");
	*out = h_read_file(outp, NULL);
	if (*out == NULL)
		*out = (char *)"";
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* porten doctor --json on grant with the full context and client_id's client file. */
static int
doctor_json(const char *grant, const char *client_id, json_t **report)
{
	static int seq;
	char *gpath = h_strf("%s/grant-%d.jwt", h_tmpdir(), ++seq);
	char *cpath = h_strf("%s/client-%d.json", h_tmpdir(), seq);
	char *out;
	const char *args[24];
	int n = 0, rc;

	if (h_write_file(gpath, grant, strlen(grant)) != 0 ||
	    json_dump_file(json_object_get(clients, client_id), cpath, 0) != 0)
		h_fail("cannot write the doctor's input files");
	args[n++] = "--json";
	args[n++] = "--grant-file";
	args[n++] = gpath;
	args[n++] = "--client";
	args[n++] = cpath;
	args[n++] = "--issuer";
	args[n++] = H_ISSUER;
	args[n++] = "--trust-anchors";
	args[n++] = h_strf("%s/root.pem", h_pki_dir());
	args[n++] = "--intermediates";
	args[n++] = h_strf("%s/intermediate.pem", h_pki_dir());
	args[n++] = "--crl";
	args[n++] = h_strf("%s/crl.pem", h_pki_dir());
	args[n++] = "--cert-env";
	args[n++] = "test";
	args[n++] = "--now";
	args[n++] = h_strf("%lld", (long long)h_T);
	args[n] = NULL;
	rc = run_doctor(args, NULL, &out);
	*report = h_keep_json(json_loads(out, 0, NULL));
	return rc;
}

struct doc_case {
	const char *label;
	const char *grant;
	const char *client_id;         /* whose client file doctor gets */
	const char *rule;              /* the one FAIL expected; NULL: a valid grant */
	const char *error;
	const char *mp;                /* NULL: no MP code */
	const char *warn;              /* a rule expected as WARN, or NULL */
};

/* What is wrong with one case, or NULL. */
static const char *
check_case(const struct doc_case *c)
{
	json_t *report = NULL, *e, *first = NULL, *verdict = NULL;
	const char *fails = "", *desc;
	struct h_resp *r;
	size_t i, nfail = 0;
	int rc = doctor_json(c->grant, c->client_id, &report);

	if (!json_is_array(report))
		return h_strf("no JSON report (exit %d)", rc);
	json_array_foreach(report, i, e) {
		const char *st = json_string_value(json_object_get(e, "status"));

		if (strcmp(json_string_value(json_object_get(e, "rule")), "verdict") == 0) {
			verdict = e;
		} else if (strcmp(st, "FAIL") == 0) {
			fails = h_strf("%s%s%s", fails, *fails ? "," : "", json_string_value(json_object_get(e, "rule")));
			if (first == NULL)
				first = e;
			nfail++;
		} else if (c->warn != NULL && strcmp(json_string_value(json_object_get(e, "rule")), c->warn) == 0 &&
		           strcmp(st, "WARN") != 0) {
			return h_strf("%s is %s, expected WARN", c->warn, st);
		}
	}
	if (verdict == NULL)
		return "no verdict in the report";
	if (c->rule == NULL) {
		if (rc != 0 || nfail != 0)
			return h_strf("exit %d, FAIL %s; expected none", rc, fails);
		if (strcmp(json_string_value(json_object_get(verdict, "status")), "ISSUED") != 0)
			return h_strf("verdict %s", h_dump(verdict));
		r = h_post_token(srv, c->grant);
		if (r->status != 200)
			return h_strf("the server refused the valid grant: %ld %s", r->status, r->body);
		return NULL;
	}
	if (rc != 1)
		return h_strf("exit %d, expected 1", rc);
	if (nfail != 1 || strcmp(json_string_value(json_object_get(first, "rule")), c->rule) != 0)
		return h_strf("FAIL %s; expected exactly %s", fails, c->rule);
	if (strcmp(json_string_value(json_object_get(first, "error")), c->error) != 0)
		return h_strf("error %s, expected %s", json_string_value(json_object_get(first, "error")), c->error);
	if (c->mp ? !json_is_string(json_object_get(first, "mp")) ||
	            strcmp(json_string_value(json_object_get(first, "mp")), c->mp) != 0
	          : !json_is_null(json_object_get(first, "mp")))
		return h_strf("mp %s, expected %s", h_dump(json_object_get(first, "mp")), c->mp ? c->mp : "null");
	desc = json_string_value(json_object_get(first, "error_description"));
	/* The verdict of the real validation path equals the first FAIL. */
	if (strcmp(json_string_value(json_object_get(verdict, "status")), "REFUSED") != 0 ||
	    strcmp(json_string_value(json_object_get(verdict, "error")), c->error) != 0 ||
	    strcmp(json_string_value(json_object_get(verdict, "error_description")), desc) != 0)
		return h_strf("verdict %s differs from the first FAIL (%s)", h_dump(verdict), desc);
	/* The real server says exactly the same. */
	r = h_post_token(srv, c->grant);
	if (r->status != json_integer_value(json_object_get(first, "http_status")) || r->json == NULL ||
	    !json_is_string(json_object_get(r->json, "error")) ||
	    strcmp(json_string_value(json_object_get(r->json, "error")), c->error) != 0)
		return h_strf("server answered %ld %s; doctor said %s", r->status, r->body, c->error);
	if (h_error_text(r) == NULL || strcmp(h_error_text(r), desc) != 0)
		return h_strf("server description \"%s\", doctor's \"%s\"", h_error_text(r) ? h_error_text(r) : "-", desc);
	if (c->mp != NULL) {
		const char *uri = json_string_value(json_object_get(r->json, "error_uri"));

		if (uri == NULL || strcmp(uri, h_strf("%serrors/%s", H_ISSUER, c->mp)) != 0)
			return h_strf("server error_uri %s, expected %s", uri ? uri : "-", c->mp);
	} else if (json_object_get(r->json, "error_uri") != NULL) {
		return "server sent an error_uri for an error without MP code";
	}
	return NULL;
}

static json_t *
cl(const char *client_id)
{
	return h_claims(client_id, SCOPE);
}

static json_t *
with(json_t *claims, const char *name, json_t *v)
{
	json_object_set_new(claims, name, v);
	return claims;
}

static json_t *
without(json_t *claims, const char *name)
{
	json_object_del(claims, name);
	return claims;
}

static const char *
sign_x5c(const struct h_cert *c, json_t *claims)
{
	return h_sign_x5c(c, "RS256", claims);
}

static const char *
sign_kid(const struct h_key *k, const char *kid, json_t *claims)
{
	struct h_key alias = *k;

	snprintf(alias.kid, sizeof(alias.kid), "%s", kid);
	return h_sign_kid(&alias, "RS256", claims);
}

static void
corpus(void **state)
{
	const char *acc = NULL;
	char thumb[44];
	json_t *hdr;
	const char *neither, *both, *badsig, *x5c_string, *none, *hs256, *payload;

	/* Header variants. */
	payload = h_dump(cl(CL_X5C));
	none = h_jws_raw("none", NULL, NULL, 0, "{\"alg\":\"none\"}", payload);
	hs256 = h_jws_raw("HS256", NULL, "secret-secret-secret-secret-1234", 32,
	                  h_strf("{\"alg\":\"HS256\",\"x5c\":%s}", h_dump(c_valid->x5c_leaf)), h_dump(cl(CL_X5C)));
	neither = h_sign_hdr(c_valid->key, "RS256", h_keep_json(json_pack("{s:s}", "alg", "RS256")), cl(CL_X5C));
	if (porten_key_thumbprint(c_valid->key, thumb) != 0)
		h_fail("thumbprint");
	hdr = h_keep_json(json_pack("{s:s,s:O,s:s}", "alg", "RS256", "x5c", c_valid->x5c_leaf, "kid", thumb));
	both = h_sign_hdr(c_valid->key, "RS256", hdr, cl(CL_X5C));
	hdr = h_keep_json(json_pack("{s:s,s:O}", "alg", "RS256", "x5c", c_valid->x5c_leaf));
	badsig = h_sign_hdr(c_other->key, "RS256", hdr, cl(CL_X5C));
	hdr = h_keep_json(json_pack("{s:s,s:O}", "alg", "RS256", "x5c", json_array_get(c_valid->x5c_leaf, 0)));
	x5c_string = h_sign_hdr(c_valid->key, "RS256", hdr, cl(CL_X5C));

	const struct doc_case cases[] = {
		{ "valid x5c", sign_x5c(c_valid, cl(CL_X5C)), CL_X5C, NULL, NULL, NULL, NULL },
		{ "valid kid", sign_kid(k_fresh, "doc-fresh", cl(CL_KID)), CL_KID, NULL, NULL, NULL, NULL },
		{ "no jti (accepted, warned)", sign_x5c(c_valid, without(cl(CL_X5C), "jti")), CL_X5C, NULL, NULL, NULL,
		  "claim.jti" },
		{ "alg none", none, CL_X5C, "hdr.alg", "invalid_grant", NULL, NULL },
		{ "alg HS256", hs256, CL_X5C, "hdr.alg", "invalid_grant", NULL, NULL },
		{ "neither kid nor x5c", neither, CL_X5C, "hdr.key", "invalid_grant", "MP-123", NULL },
		{ "kid and x5c (kid decides)", both, CL_X5C, "key.kid", "invalid_grant", NULL, "hdr.key" },
		{ "x5c as a string", x5c_string, CL_X5C, "cert.x5c", "invalid_grant", "MP-123", NULL },
		{ "bad signature", badsig, CL_X5C, "jws.signature", "invalid_grant", "MP-124", NULL },
		{ "expired certificate", sign_x5c(c_expired, cl(CL_X5C)), CL_X5C, "cert.validity", "invalid_grant",
		  "MP-120", NULL },
		{ "encryption-only certificate", sign_x5c(c_enc, cl(CL_X5C)), CL_X5C, "cert.key-usage", "invalid_grant",
		  "MP-120", NULL },
		{ "foreign CA", sign_x5c(c_foreign, cl(CL_X5C)), CL_X5C, "cert.chain", "invalid_grant", "MP-120", NULL },
		{ "self-signed certificate", sign_x5c(c_self, cl(CL_X5C)), CL_X5C, "cert.end-entity", "invalid_grant",
		  "MP-120", NULL },
		{ "revoked certificate", sign_x5c(c_revoked, cl(CL_X5C)), CL_X5C, "cert.revocation", "invalid_grant",
		  "MP-120", NULL },
		{ "policy outside SEID test", sign_x5c(c_wrongpol, cl(CL_X5C)), CL_X5C, "cert.policy", "invalid_grant",
		  "MP-120", NULL },
		{ "no orgno in certificate", sign_x5c(c_noorg, cl(CL_X5C)), CL_X5C, "cert.orgno", "invalid_grant",
		  "MP-120", NULL },
		{ "client has registered keys", sign_x5c(c_valid, cl(CL_X5C_KEYS)), CL_X5C_KEYS, "client.requires-jwk",
		  "invalid_grant", NULL, NULL },
		{ "certificate of another organisation", sign_x5c(c_valid, cl(CL_X5C_OTHER)), CL_X5C_OTHER,
		  "cert.orgno-binding", "invalid_grant", "MP-122", NULL },
		{ "unknown iss", sign_x5c(c_valid, cl("doc-nobody")), CL_X5C, "client.known", "invalid_grant", "MP-100",
		  NULL },
		{ "no iss", sign_x5c(c_valid, without(cl(CL_X5C), "iss")), CL_X5C, "claim.iss", "invalid_grant",
		  "MP-100", NULL },
		{ "unknown kid", sign_kid(k_fresh, "doc-unknown", cl(CL_KID)), CL_KID, "key.kid", "invalid_grant", NULL,
		  NULL },
		{ "registered key older than a year", sign_kid(k_old, "doc-old", cl(CL_KID_OLD)), CL_KID_OLD,
		  "key.expiry", "invalid_grant", "MP-121", NULL },
		{ "wrong aud", sign_x5c(c_valid, with(cl(CL_X5C), "aud", json_string("https://maskinporten.no/"))),
		  CL_X5C, "claim.aud", "invalid_grant", "MP-110", NULL },
		{ "aud without trailing slash",
		  sign_x5c(c_valid, with(cl(CL_X5C), "aud", json_string("https://test.maskinporten.no"))),
		  CL_X5C, "claim.aud", "invalid_grant", "MP-110", NULL },
		{ "aud = token endpoint",
		  sign_x5c(c_valid, with(cl(CL_X5C), "aud", json_string(H_ISSUER "token"))),
		  CL_X5C, "claim.aud", "invalid_grant", "MP-110", NULL },
		{ "exp - iat = 121", sign_x5c(c_valid, with(cl(CL_X5C), "exp", json_integer(h_T + 121))), CL_X5C,
		  "time.lifetime", "invalid_grant", NULL, NULL },
		{ "expired grant",
		  sign_x5c(c_valid, with(with(cl(CL_X5C), "iat", json_integer(h_T - 200)), "exp", json_integer(h_T - 80))),
		  CL_X5C, "time.expired", "invalid_grant", "MP-130", NULL },
		{ "iat 11 s in the future",
		  sign_x5c(c_valid, with(with(cl(CL_X5C), "iat", json_integer(h_T + 11)), "exp", json_integer(h_T + 120))),
		  CL_X5C, "time.iat-future", "invalid_grant", NULL, NULL },
		{ "no iat", sign_x5c(c_valid, without(cl(CL_X5C), "iat")), CL_X5C, "claim.iat", "invalid_request",
		  "MP-011", NULL },
		{ "no scope", sign_x5c(c_valid, without(cl(CL_X5C), "scope")), CL_X5C, "claim.scope", "invalid_scope",
		  NULL, NULL },
		{ "empty scope", sign_x5c(c_valid, with(cl(CL_X5C), "scope", json_string(" "))), CL_X5C, "claim.scope",
		  "invalid_scope", NULL, NULL },
		{ "consumer_org with a bad check digit",
		  sign_x5c(c_valid, with(cl(CL_X5C), "consumer_org", json_string("999888999"))), CL_X5C,
		  "claim.consumer_org", "invalid_request", "MP-011", NULL },
		{ "consumer_org = own organisation",
		  sign_x5c(c_valid, with(cl(CL_X5C), "consumer_org", json_string(ORG_A))), CL_X5C,
		  "claim.consumer_org-self", "invalid_request", NULL, NULL },
		{ "unknown claim", sign_x5c(c_valid, with(cl(CL_X5C), "foo", json_string("bar"))), CL_X5C,
		  "claim.unknown", "invalid_request", "MP-011", NULL },
		{ "iss_onbehalfof", sign_x5c(c_valid, with(cl(CL_X5C), "iss_onbehalfof", json_string("x"))), CL_X5C,
		  "claim.iss_onbehalfof", "invalid_request", "MP-011", NULL },
		{ "scope not on the client", sign_x5c(c_valid, with(cl(CL_X5C), "scope", json_string(SCOPE_OTHER))),
		  CL_X5C, "scope.client", "invalid_scope", "MP-200", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		h_note(&acc, cases[i].label, check_case(&cases[i]));
	h_expect_no_notes(acc);
}

/* The grant as an argument and on stdin; text output names the rule and the fix. */
static void
grant_argument_and_stdin(void **state)
{
	const char *grant = sign_x5c(c_valid, with(cl(CL_X5C), "aud", json_string("https://test.maskinporten.no")));
	char *gpath = h_strf("%s/stdin.jwt", h_tmpdir()), *out;
	const char *now = h_strf("%lld", (long long)h_T);
	const char *a1[] = { grant, "--issuer", H_ISSUER, "--now", now, NULL };
	const char *a2[] = { "-", "--issuer", H_ISSUER, "--now", now, NULL };
	int rc;

	rc = run_doctor(a1, NULL, &out);
	H_ASSERT_INT(rc, 1);
	if (strstr(out, "FAIL claim.aud: ") == NULL ||
	    strstr(out, "error: invalid_grant MP-110 (HTTP 400)") == NULL ||
	    strstr(out, "error_description: Invalid assertion. Client authentication failed. Invalid JWT claim aud\n") == NULL ||
	    strstr(out, "lacks the issuer's trailing slash") == NULL || strstr(out, "     fix: ") == NULL ||
	    strstr(out, "SKIP (needs --client) client.known: ") == NULL ||
	    strstr(out, "verdict: not run (needs --trust-anchors (an x5c grant))") == NULL)
		h_fail("unexpected text report:\n%s", out);
	if (h_write_file(gpath, grant, strlen(grant)) != 0)
		h_fail("write");
	rc = run_doctor(a2, gpath, &out);
	H_ASSERT_INT(rc, 1);
	if (strstr(out, "FAIL claim.aud: ") == NULL)
		h_fail("stdin grant not graded:\n%s", out);
}

/* Client settings + key: doctor builds the grant with lib/client's builder. */
static void
built_from_client_settings(void **state)
{
	const char *now = h_strf("%lld", (long long)h_T);
	const char *root = h_strf("%s/root.pem", h_pki_dir()), *inter = h_strf("%s/intermediate.pem", h_pki_dir());
	char *cpath = h_strf("%s/settings-client.json", h_tmpdir()), *out;
	const char *ok[] = { "--client-id", CL_X5C, "--cert", c_valid->pem, "--key", c_valid->key_pem, "--scope", SCOPE,
	                     "--issuer", H_ISSUER, "--trust-anchors", root, "--intermediates", inter,
	                     "--client", cpath, "--now", now, NULL };
	const char *bad[] = { "--client-id", CL_X5C, "--cert", c_valid->pem, "--key", c_valid->key_pem,
	                      "--scope", SCOPE_OTHER, "--issuer", H_ISSUER, "--trust-anchors", root,
	                      "--intermediates", inter, "--client", cpath, "--now", now, NULL };
	const char *usage[] = { "--client-id", CL_X5C, "--scope", SCOPE, "--issuer", H_ISSUER, NULL };
	const char *unreadable[] = { "--grant-file", h_strf("%s/does-not-exist", h_tmpdir()), NULL };
	int rc;

	if (json_dump_file(json_object_get(clients, CL_X5C), cpath, 0) != 0)
		h_fail("write");
	rc = run_doctor(ok, NULL, &out);
	if (rc != 0 || strstr(out, "FAIL") != NULL || strstr(out, "verdict: porten authz would issue a token") == NULL)
		h_fail("exit %d:\n%s", rc, out);
	rc = run_doctor(bad, NULL, &out);
	if (rc != 1 || strstr(out, "FAIL scope.client: ") == NULL ||
	    strstr(out, "error_description: Token request contains invalid scopes for client, " SCOPE_OTHER "\n") == NULL)
		h_fail("exit %d:\n%s", rc, out);
	H_ASSERT_INT(run_doctor(usage, NULL, &out), 2);
	H_ASSERT_INT(run_doctor(unreadable, NULL, &out), 3);
	/* a client file past CLIENT_FILE_MAX (256 KiB; here the client and then blanks, valid
	 * JSON) is not read: exit 3 */
	{
		char *text = json_dumps(json_object_get(clients, CL_X5C), 0);
		size_t tn = text != NULL ? strlen(text) : 0, n = 300 * 1024;
		char *big = malloc(n);

		if (text == NULL || big == NULL || tn >= n)
			h_fail("out of memory");
		memset(big, ' ', n);
		memcpy(big, text, tn);
		free(text);
		h_write_file(cpath, big, n);
		free(big);
		H_ASSERT_INT(run_doctor(ok, NULL, &out), 3);
		H_ASSERT_STR(out, "");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corpus),
		cmocka_unit_test(grant_argument_and_stdin),
		cmocka_unit_test(built_from_client_settings),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
