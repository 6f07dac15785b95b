/* porten doctor: grades a JWT grant against every rule porten authz (and Maskinporten)
 * applies, one line per rule, with the exact error the server returns for a broken rule
 * and how to fix it (docs/doctor.md).
 *
 *   porten doctor [GRANT | -] [--grant-file FILE] [context options] [--json]
 *   porten doctor --client-id ID (--cert PEM --key PEM | --jwk FILE [--kid KID]) --scope S ...
 *
 * Rules are listed in the order porten_authz_token() applies them (lib/authz/token.c), so
 * the first FAIL is the error the server answers with. Errors and descriptions come from
 * the one table in lib/authz/errors.c; the detail suffixes mirror token.c, and the
 * integration test tests/integration/test_cli_doctor.c holds both to the real server.
 * Finally the grant is run through the real validation path (porten_authz_token against an
 * in-memory store seeded from --client) and its answer is printed as the verdict.
 *
 * Exit status: 0 no rule fails, 1 a rule fails (or the verdict refuses), 2 usage,
 * 3 unreadable input, 4 --authz unreachable. */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "consumer.h"
#include "opts.h"
#include "porten/authz.h"
#include "porten/b64.h"
#include "porten/buf.h"
#include "porten/client.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/ident.h"
#include "porten/jws.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/store.h"
#include "porten/x509.h"

#define PROG "porten doctor"
#define GRANT_READ_MAX (1024 * 1024)     /* a grant file or stdin; the server's own limit is PORTEN_JWT_MAX */
#define CLIENT_FILE_MAX (256 * 1024)     /* --client FILE */
#define DOCTOR_SEED_ORG "991825827"      /* owner of the scopes seeded for the verdict */
#define DOCTOR_DELEGATION_SOURCE "https://tt02.altinn.no/"

struct doctor_opts {
	const char *grant_file, *issuer, *sandbox, *authz, *cacert, *trust_anchors, *intermediates;
	const char *client_file, *client_id, *cert, *key, *jwk, *kid, *p12, *p12_password, *scope, *resource;
	const char *consumer_org, *cert_env, *now, *log_level;
	struct opt_list crl, cert_policy;
	int json;
};

#define O(f) offsetof(struct doctor_opts, f)

/* Sorted. The grant and the client settings never come from the environment. */
static const struct opt doctor_opts_table[] = {
	{ "authz", "URL", OPT_STRING, O(authz), "read the issuer from this server's discovery document", 0, 0 },
	{ "cacert", "PEM", OPT_STRING, O(cacert), "CA bundle to trust for --authz (default: the system's)", 0, 0 },
	{ "cert", "PEM", OPT_STRING, O(cert), "build the grant: enterprise certificate of --client-id, with --key", 0, 1 },
	{ "cert-env", "test|prod|all", OPT_STRING, O(cert_env), "SEID policy list accepted when no --cert-policy is given (default all, as porten authz)", 0, 0 },
	{ "cert-policy", "OID", OPT_LIST, O(cert_policy), "accepted certificate policy (OID.* for a subtree), as porten authz", 0, 0 },
	{ "client", "FILE", OPT_STRING, O(client_file), "the client as the admin API returns it (client_id, client_orgno, scopes, optional jwks)", 0, 1 },
	{ "client-id", "ID", OPT_STRING, O(client_id), "build the grant for this client instead of reading one", 0, 1 },
	{ "consumer-org", "ORGNO", OPT_STRING, O(consumer_org), "build the grant: act as supplier for this organisation", 0, 1 },
	{ "crl", "FILE", OPT_LIST, O(crl), "revocation list for x5c chains, as porten authz", 0, 0 },
	{ "grant-file", "FILE", OPT_STRING, O(grant_file), "read the grant from FILE ('-': stdin)", 0, 1 },
	{ "intermediates", "PEM", OPT_STRING, O(intermediates), "intermediate CAs completing leaf-only x5c chains", 0, 0 },
	{ "issuer", "URL", OPT_STRING, O(issuer), "the issuer the grant must name as aud, e.g. https://test.maskinporten.no/", 0, 0 },
	{ "json", NULL, OPT_FLAG, O(json), "print the report as a JSON array", 0, 1 },
	{ "jwk", "FILE", OPT_STRING, O(jwk), "build the grant: private key as a JWK file, with --kid unless it carries one", 0, 1 },
	{ "key", "PEM", OPT_STRING, O(key), "build the grant: private key of --client-id (PEM, or a private JWK)", 0, 1 },
	{ "kid", "KID", OPT_STRING, O(kid), "build the grant: sign with the registered key KID", 0, 1 },
	{ "log-level", "LEVEL", OPT_STRING, O(log_level), "error, warn, info or debug (default error)", 0, 0 },
	{ "now", "UNIX", OPT_STRING, O(now), "grade at this time (unix seconds) instead of now", 0, 1 },
	{ "p12", "FILE", OPT_STRING, O(p12), "build the grant: certificate and key as PKCS#12", 0, 1 },
	{ "p12-password", "PW", OPT_STRING, O(p12_password), "password of --p12 (or PORTEN_P12_PASSWORD)", 0, 0 },
	{ "resource", "URI", OPT_STRING, O(resource), "build the grant: the resource claim", 0, 1 },
	{ "sandbox", "FILE", OPT_STRING, O(sandbox), "sandbox.json of porten up: its issuer and PKI (pki/root.pem, intermediate.pem, crl.pem)", 0, 0 },
	{ "scope", "SCOPES", OPT_STRING, O(scope), "build the grant: space-separated scopes", 0, 1 },
	{ "trust-anchors", "PEM", OPT_STRING, O(trust_anchors), "root CAs for x5c chains, as porten authz", 0, 0 },
};

static const char doctor_footer[] =
	"\nThe grant is GRANT, '-' (stdin) or --grant-file; or it is built as a client would\n"
	"from --client-id with --cert and --key (or --jwk/--key with --kid) and --scope.\n"
	"Rules that need context say so (SKIP (needs --client)). Every rule, its error and\n"
	"its fix: docs/doctor.md. Context options can also be set as PORTEN_<OPTION>.\n"
	"Exit status: 0 no rule fails, 1 a rule fails or the verdict refuses, 2 usage,\n"
	"3 unreadable input, 4 --authz unreachable.\n";

static const struct opt_cmd doctor_cmd = {
	"doctor",
	"[GRANT | -] [--grant-file FILE] [--issuer URL | --sandbox FILE | --authz URL] [--client FILE]\n"
	"       [--trust-anchors PEM --intermediates PEM] [--now UNIX] [--json]",
	"Grades a JWT grant against every Maskinporten rule: PASS, FAIL or SKIP per rule, with\n"
	"the exact error porten authz returns for a broken rule and how to fix it.",
	doctor_opts_table, sizeof(doctor_opts_table) / sizeof(doctor_opts_table[0]), doctor_footer,
};

/* ---- rules ---- */

enum rule_id {
	R_SHAPE, R_ALG, R_HDR_PARAMS, R_HDR_KID, R_CLAIMS, R_ISS, R_KEY_REF,
	/* kid path */
	R_CLIENT, R_KID, R_KEY_EXPIRY, R_KEY_ALG, R_KEY_CERT,
	/* x5c path */
	R_CERT_X5C, R_CERT_EXT, R_CERT_EE, R_CERT_KU, R_CERT_KEY, R_CERT_POLICY, R_CERT_ORGNO,
	R_CERT_CHAIN, R_CERT_REVOKED, R_CERT_VALIDITY, R_SIG, R_REQUIRES_JWK, R_ORGNO_BINDING,
	/* claims */
	R_IAT, R_EXP, R_IAT_FUTURE, R_EXPIRED, R_LIFETIME, R_NBF, R_AUD, R_JTI, R_SUB, R_PID,
	R_RESOURCE, R_CONSUMER_ORG, R_ONBEHALFOF, R_AUTHZ_DETAILS, R_UNKNOWN, R_SCOPE,
	R_CONSUMER_SELF, R_SCOPE_CLIENT,
	R_COUNT
};

struct rule_def {
	const char *id;
	const char *name;
	const char *fix;
};

static const struct rule_def rules[R_COUNT] = {
	[R_SHAPE] = { "jws.shape", "a signed compact JWS of at most 48 KiB with a JSON header",
		"send header.payload.signature, each part base64url without padding, the header a JSON object" },
	[R_ALG] = { "hdr.alg", "alg is RS256, RS384 or RS512",
		"sign with RSASSA-PKCS1-v1_5: set alg to RS256 (none, HS*, PS* and ES* are refused)" },
	[R_HDR_PARAMS] = { "hdr.params", "no jwk, jku, x5u or crit header parameter",
		"remove the header parameter; the key is named by kid or carried in x5c only" },
	[R_HDR_KID] = { "hdr.kid", "kid, when present, is a string of 1..128 bytes",
		"set kid to the kid of a key registered on the client, or drop it and send x5c" },
	[R_CLAIMS] = { "jws.claims", "the payload is a JSON object of at most 32 claims",
		"encode the claims as one JSON object without duplicate members" },
	[R_ISS] = { "claim.iss", "iss is present: the client_id, a string of 1..128 bytes",
		"set iss to the client_id of your Maskinporten client" },
	[R_KEY_REF] = { "hdr.key", "exactly one of kid (registered key) or x5c (certificate)",
		"send x5c with your enterprise certificate, or kid naming a key registered on the client" },
	[R_CLIENT] = { "client.known", "iss names a registered, active client",
		"use the client_id of an active client of your organisation (porten admin clients list)" },
	[R_KID] = { "key.kid", "kid is registered on the client",
		"register the key (porten admin clients set-keys ID FILE) or put its kid in the header; "
		"when signing with a certificate, drop kid" },
	[R_KEY_EXPIRY] = { "key.expiry", "the registered key is less than a year old",
		"generate a new key pair and register it on the client" },
	[R_KEY_ALG] = { "key.alg", "the grant's alg is the registered key's alg",
		"sign with the alg registered on the key, or register the key again with this alg" },
	[R_KEY_CERT] = { "key.certificate", "a registered key carrying x5c holds a valid enterprise certificate",
		"register the key again with a valid certificate, or without x5c" },
	[R_CERT_X5C] = { "cert.x5c", "x5c is an array of standard-base64 DER certificates, leaf first",
		"send x5c as a JSON array: [\"<base64 DER of the leaf>\", ...], not a string, not base64url" },
	[R_CERT_EXT] = { "cert.extensions", "no critical extension other than keyUsage and basicConstraints",
		"use an enterprise certificate (virksomhetssertifikat) from Buypass or Commfides" },
	[R_CERT_EE] = { "cert.end-entity", "the leaf is an end-entity certificate issued by a CA (not self-signed)",
		"sign with an enterprise certificate issued by a trusted CA, not a self-signed or CA certificate" },
	[R_CERT_KU] = { "cert.key-usage", "keyUsage is critical and allows digitalSignature or nonRepudiation",
		"sign with the authentication or signing certificate of the set, not the encryption one" },
	[R_CERT_KEY] = { "cert.key", "the certificate key is RSA of 2048..8192 bits",
		"use an RSA certificate (EC certificates cannot sign RS256 grants); or register an RSA key and use kid" },
	[R_CERT_POLICY] = { "cert.policy", "a certificate policy of the accepted SEID list (test or production)",
		"use a test certificate in test and a production certificate in production" },
	[R_CERT_ORGNO] = { "cert.orgno", "the certificate names an organisation number (serialNumber, O or organizationIdentifier)",
		"use an enterprise certificate that carries your organisation number" },
	[R_CERT_CHAIN] = { "cert.chain", "the certificate chains to a trust anchor (via the intermediates)",
		"use a certificate from a CA the server trusts (the test CA in test, the production CA in production)" },
	[R_CERT_REVOKED] = { "cert.revocation", "the certificate is not revoked",
		"order a new enterprise certificate; this one is revoked" },
	[R_CERT_VALIDITY] = { "cert.validity", "every certificate of the chain is valid now",
		"renew the enterprise certificate (or fix this machine's clock)" },
	[R_SIG] = { "jws.signature", "the signature verifies with the certificate's or the registered key",
		"sign with the private key belonging to the certificate in x5c (or to the registered kid), "
		"and do not change the header or claims after signing" },
	[R_REQUIRES_JWK] = { "client.requires-jwk", "a client with registered keys signs with kid, not x5c",
		"sign with a registered key and put its kid in the header, or remove the client's keys" },
	[R_ORGNO_BINDING] = { "cert.orgno-binding", "the certificate's organisation number is the client's client_orgno",
		"sign with the certificate of the organisation that owns the client" },
	[R_IAT] = { "claim.iat", "iat is present, a NumericDate (seconds since 1970)",
		"set iat to the current time in whole seconds" },
	[R_EXP] = { "claim.exp", "exp is present, a NumericDate (seconds since 1970)",
		"set exp to iat + 120 or less, in whole seconds" },
	[R_IAT_FUTURE] = { "time.iat-future", "iat is at most 10 s ahead of the server's clock",
		"set iat to the current time and synchronise this machine's clock (NTP)" },
	[R_EXPIRED] = { "time.expired", "exp has not passed (10 s tolerance)",
		"make a fresh grant for every token request; exp = iat + 120 at most" },
	[R_LIFETIME] = { "time.lifetime", "0 < exp - iat <= 120 s",
		"set exp to iat + 120 or less" },
	[R_NBF] = { "time.nbf", "nbf, when present, is a NumericDate at most 10 s ahead",
		"drop nbf or set it to iat" },
	[R_AUD] = { "claim.aud", "aud is exactly the issuer, trailing slash included (one value)",
		"set aud to the issuer exactly as the discovery document publishes it" },
	[R_JTI] = { "claim.jti", "jti is a string of 1..256 bytes (recommended: a fresh UUID per grant)",
		"set jti to a fresh UUID for every grant" },
	[R_SUB] = { "claim.sub", "sub, when present, is a string",
		"drop sub or make it a string" },
	[R_PID] = { "claim.pid", "pid, when present, is a valid 11-digit person identifier",
		"send a valid fødselsnummer or d-number in pid, or drop it" },
	[R_RESOURCE] = { "claim.resource", "resource, when present, is an absolute URI or an array of 1..8 of them",
		"set resource to the API's audience URI, e.g. \"https://api.example/\", or drop it" },
	[R_CONSUMER_ORG] = { "claim.consumer_org", "consumer_org, when present, is an organisation number with a valid check digit",
		"set consumer_org to the 9-digit organisation number you act for (mod-11 check digit)" },
	[R_ONBEHALFOF] = { "claim.iss_onbehalfof", "no iss_onbehalfof (deprecated)",
		"drop iss_onbehalfof; use consumer_org with an Altinn delegation" },
	[R_AUTHZ_DETAILS] = { "claim.authorization_details", "no authorization_details (the Altinn types are not supported)",
		"drop authorization_details" },
	[R_UNKNOWN] = { "claim.unknown", "only the documented claims",
		"send only iss aud iat exp nbf jti sub scope resource pid consumer_org" },
	[R_SCOPE] = { "claim.scope", "scope is a non-empty, space-separated string of at most 32 scopes",
		"set scope to the space-separated scopes you need, e.g. \"folkeregister:deling/offentligmedhjemmel\"" },
	[R_CONSUMER_SELF] = { "claim.consumer_org-self", "consumer_org is not the client's own organisation",
		"drop consumer_org when acting for your own organisation" },
	[R_SCOPE_CLIENT] = { "scope.client", "every requested scope is registered on the client",
		"add the scope to the client (porten admin clients update ID --scope S), after the API owner "
		"granted your organisation access" },
};

/* The order porten_authz_token() applies the rules in. */
static const enum rule_id order_head[] = { R_SHAPE, R_ALG, R_HDR_PARAMS, R_HDR_KID, R_CLAIMS, R_ISS, R_KEY_REF };
static const enum rule_id order_kid[] = { R_CLIENT, R_KID, R_KEY_EXPIRY, R_KEY_ALG, R_KEY_CERT, R_SIG };
static const enum rule_id order_x5c[] = {
	R_CERT_X5C, R_CERT_EXT, R_CERT_EE, R_CERT_KU, R_CERT_KEY, R_CERT_POLICY, R_CERT_ORGNO,
	R_CERT_CHAIN, R_CERT_REVOKED, R_CERT_VALIDITY, R_SIG, R_CLIENT, R_REQUIRES_JWK, R_ORGNO_BINDING,
};
static const enum rule_id order_tail[] = {
	R_IAT, R_EXP, R_IAT_FUTURE, R_EXPIRED, R_LIFETIME, R_NBF, R_AUD, R_JTI, R_SUB, R_PID,
	R_RESOURCE, R_CONSUMER_ORG, R_ONBEHALFOF, R_AUTHZ_DETAILS, R_UNKNOWN, R_SCOPE,
	R_CONSUMER_SELF, R_SCOPE_CLIENT,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum status { ST_UNSET = 0, ST_PASS, ST_FAIL, ST_WARN, ST_SKIP };

struct result {
	enum status st;
	char skip[96];                   /* "needs --client", "not reached: ..." */
	enum porten_az_error err;
	char detail[256];                /* appended to the table text, as token.c does */
	char note[320];                  /* what doctor saw */
};

struct doctor {
	struct doctor_opts o;
	int64_t now;
	char *issuer;
	porten_trust *trust;             /* with anchors, or NULL */
	porten_trust *profile;           /* no anchors, same policies: the leaf profile alone */
	json_t *client;                  /* --client */
	json_t *client_keys;             /* its jwks keys (borrowed from client) or NULL */
	char *grant;
	size_t grant_len;
	int built;                       /* the grant was built from client settings */
	/* parsed */
	struct porten_jws_view v;
	json_t *hdr, *claims;
	enum porten_jws_alg alg;
	const char *kid, *iss;
	const json_t *x5c;
	char cert_orgno[10];             /* "" when unknown */
	char scopes[PORTEN_SCOPES_PER_GRANT_MAX][PORTEN_SCOPE_NAME_MAX + 1];
	size_t nscopes;
	int scopes_ok;
	struct result r[R_COUNT];
	/* verdict */
	int verdict_run;
	char verdict_skip[384];
	enum porten_az_error verdict_err;
	char verdict_desc[768];
	char verdict_assumed[256];
};

static int
fail_msg(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail_msg(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

static void
pass(struct doctor *d, enum rule_id id)
{
	d->r[id].st = ST_PASS;
}

static void
fail(struct doctor *d, enum rule_id id, enum porten_az_error e, const char *detail)
{
	d->r[id].st = ST_FAIL;
	d->r[id].err = e;
	snprintf(d->r[id].detail, sizeof(d->r[id].detail), "%s", detail ? detail : "");
}

static void
skip(struct doctor *d, enum rule_id id, const char *why)
{
	if (d->r[id].st != ST_UNSET)
		return;
	d->r[id].st = ST_SKIP;
	snprintf(d->r[id].skip, sizeof(d->r[id].skip), "%s", why);
}

static void
note(struct doctor *d, enum rule_id id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
note(struct doctor *d, enum rule_id id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->r[id].note, sizeof(d->r[id].note), fmt, ap);
	va_end(ap);
}

/* The error_description porten authz sends, without its trace suffix. */
static void
describe(enum porten_az_error e, const char *detail, char *out, size_t outsz)
{
	const struct porten_az_error_info *info = porten_az_error_info(e);

	snprintf(out, outsz, "%s%s", info->text ? info->text : "", detail ? detail : "");
}

/* ---- checks shared with token.c's semantics ---- */

static json_t *
claim(const json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	return json_is_null(v) ? NULL : v;
}

/* NumericDate as porten authz reads it: a JSON number 0..253402300799, fractions truncated. */
static int
numeric_date(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || json_integer_value(v) > 253402300799LL)
			return -1;
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double x = json_real_value(v);

		if (x < 0 || x > 253402300799.0)
			return -1;
		*out = (int64_t)x;
		return 0;
	}
	return -1;
}

static int
resource_ok(const json_t *c)
{
	const json_t *v;
	size_t i, n;

	if (json_is_string(c)) {
		n = 1;
	} else if (json_is_array(c)) {
		n = json_array_size(c);
		if (n == 0 || n > PORTEN_RESOURCES_MAX)
			return 0;
	} else {
		return 0;
	}
	for (i = 0; i < n; i++) {
		const char *s, *colon;
		size_t len;

		v = json_is_string(c) ? c : json_array_get(c, i);
		if ((s = json_string_value(v)) == NULL)
			return 0;
		len = json_string_length(v);
		if (len == 0 || len > PORTEN_RESOURCE_MAX || strlen(s) != len ||
		    (colon = strchr(s, ':')) == NULL || colon == s)
			return 0;
		for (const char *p = s; *p; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f)
				return 0;
	}
	return 1;
}

/* The scope claim split on whitespace into unique names, as the server does. */
static int
split_scopes(struct doctor *d, const char *s)
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
		memcpy(d->scopes[count], s, len);
		d->scopes[count][len] = '\0';
		s += len;
		for (size_t i = 0; i < count; i++) {
			if (strcmp(d->scopes[i], d->scopes[count]) == 0) {
				len = 0;
				break;
			}
		}
		if (len > 0)
			count++;
	}
	d->nscopes = count;
	return 0;
}

/* Whether an unsplittable grant is "header.payload." with an alg outside the allowlist. */
static int
unsecured_alg(const char *g, size_t len)
{
	const char *dot = memchr(g, '.', len);
	json_t *hdr = NULL, *alg;
	int r;

	if (dot == NULL || porten_jws_decode_json(g, (size_t)(dot - g), PORTEN_JWT_HEADER_MAX, &hdr) != 0)
		return 0;
	alg = json_object_get(hdr, "alg");
	r = !json_is_string(alg) || porten_jws_alg_from_name(json_string_value(alg)) == PORTEN_JWS_INVALID;
	json_decref(hdr);
	return r;
}

static const char *
client_str(const struct doctor *d, const char *name)
{
	return json_string_value(json_object_get(d->client, name));
}

/* ---- header and claims ---- */

static const char *const forbidden_headers[] = { "jwk", "jku", "x5u", "crit" };
static const char *const known_claims[] = {
	"iss", "aud", "iat", "exp", "nbf", "jti", "sub", "scope", "resource", "pid",
	"consumer_org", "iss_onbehalfof", "authorization_details",
};

/* 0: header parsed; -1: not (the remaining rules are skipped). */
static int
check_header(struct doctor *d)
{
	json_t *j;
	size_t i;

	if (d->grant_len > PORTEN_JWT_MAX) {
		fail(d, R_SHAPE, AZ_MP011, ". The JWT is too large");
		note(d, R_SHAPE, "the grant is %zu bytes, the limit %d", d->grant_len, PORTEN_JWT_MAX);
		return -1;
	}
	if (porten_jws_split(d->grant, d->grant_len, PORTEN_JWT_MAX, &d->v) != 0) {
		if (unsecured_alg(d->grant, d->grant_len)) {
			skip(d, R_SHAPE, "unsecured JWS: refused for its alg");
			fail(d, R_ALG, AZ_ALG, NULL);
			note(d, R_ALG, "an unsecured JWS (alg none or unknown, no signature)");
			return -1;
		}
		fail(d, R_SHAPE, AZ_MP011, ". The assertion is not a signed JWT");
		note(d, R_SHAPE, "not three non-empty base64url parts separated by dots");
		return -1;
	}
	if (porten_jws_decode_json(d->v.header, d->v.header_len, PORTEN_JWT_HEADER_MAX, &d->hdr) != 0) {
		fail(d, R_SHAPE, AZ_MP011, ". Invalid JWT header");
		note(d, R_SHAPE, "the header is not a base64url JSON object (duplicates, depth and size are limited)");
		return -1;
	}
	pass(d, R_SHAPE);
	j = json_object_get(d->hdr, "alg");
	d->alg = json_is_string(j) ? porten_jws_alg_from_name(json_string_value(j)) : PORTEN_JWS_INVALID;
	if (d->alg == PORTEN_JWS_INVALID) {
		fail(d, R_ALG, AZ_ALG, NULL);
		note(d, R_ALG, "alg is %s", json_is_string(j) ? json_string_value(j) : "missing or not a string");
	} else {
		pass(d, R_ALG);
	}
	pass(d, R_HDR_PARAMS);
	for (i = 0; i < NELEM(forbidden_headers); i++) {
		if (json_object_get(d->hdr, forbidden_headers[i]) != NULL) {
			char detail[80];

			snprintf(detail, sizeof(detail), ". Unsupported JWT header parameter %s", forbidden_headers[i]);
			fail(d, R_HDR_PARAMS, AZ_MP011, detail);
			break;
		}
	}
	pass(d, R_HDR_KID);
	if ((j = claim(d->hdr, "kid")) != NULL) {
		if (!json_is_string(j) || json_string_length(j) == 0 || json_string_length(j) > PORTEN_KID_MAX)
			fail(d, R_HDR_KID, AZ_MP011, ". Invalid JWT header kid");
		else
			d->kid = json_string_value(j);
	}
	d->x5c = claim(d->hdr, "x5c");
	return 0;
}

static int
check_claims_object(struct doctor *d)
{
	json_t *j;

	if (porten_jws_decode_json(d->v.payload, d->v.payload_len, PORTEN_JWT_PAYLOAD_MAX, &d->claims) != 0) {
		fail(d, R_CLAIMS, AZ_MP011, ". Invalid JWT claims");
		note(d, R_CLAIMS, "the payload is not a base64url JSON object of at most %d bytes", PORTEN_JWT_PAYLOAD_MAX);
		return -1;
	}
	if (json_object_size(d->claims) > PORTEN_JWT_CLAIMS_MAX) {
		fail(d, R_CLAIMS, AZ_MP011, NULL);
		note(d, R_CLAIMS, "%zu claims, at most %d", json_object_size(d->claims), PORTEN_JWT_CLAIMS_MAX);
		return -1;
	}
	pass(d, R_CLAIMS);
	j = claim(d->claims, "iss");
	if (j == NULL) {
		fail(d, R_ISS, AZ_MP100, NULL);
		note(d, R_ISS, "no iss claim");
	} else if (!json_is_string(j) || json_string_length(j) == 0 ||
	           json_string_length(j) > PORTEN_CLIENT_ID_MAX ||
	           strlen(json_string_value(j)) != json_string_length(j)) {
		fail(d, R_ISS, AZ_MP011, ". Invalid JWT claim iss");
	} else {
		d->iss = json_string_value(j);
		pass(d, R_ISS);
	}
	return 0;
}

static void
check_key_ref(struct doctor *d)
{
	if (d->kid == NULL && d->x5c == NULL && claim(d->hdr, "kid") == NULL) {
		fail(d, R_KEY_REF, AZ_MP123, ". The JWT header has neither kid nor x5c");
		return;
	}
	if (claim(d->hdr, "kid") != NULL && d->x5c != NULL) {
		d->r[R_KEY_REF].st = ST_WARN;
		note(d, R_KEY_REF, "both kid and x5c: kid decides, the grant is checked against the registered "
		     "key and x5c is ignored; drop kid to sign with the certificate");
		return;
	}
	pass(d, R_KEY_REF);
}

/* ---- client (--client) ---- */

static void
check_client(struct doctor *d)
{
	const char *cid;

	if (d->client == NULL) {
		skip(d, R_CLIENT, "needs --client");
		return;
	}
	if (d->iss == NULL) {
		skip(d, R_CLIENT, "not reached: no valid iss");
		return;
	}
	cid = client_str(d, "client_id");
	if (cid == NULL || strcmp(cid, d->iss) != 0) {
		fail(d, R_CLIENT, AZ_MP100, NULL);
		note(d, R_CLIENT, "iss is \"%s\"; the client is \"%s\"", d->iss, cid ? cid : "-");
	} else if (json_is_false(json_object_get(d->client, "active"))) {
		fail(d, R_CLIENT, AZ_MP100, NULL);
		note(d, R_CLIENT, "the client is deactivated");
	} else {
		pass(d, R_CLIENT);
	}
}

/* ---- kid path ---- */

static void
check_kid_path(struct doctor *d)
{
	const json_t *jwk = NULL, *jalg;
	const char *created;
	porten_key *key = NULL;
	int64_t created_at;
	size_t i;

	check_client(d);
	if (d->client == NULL) {
		for (size_t k = 0; k < NELEM(order_kid); k++)
			skip(d, order_kid[k], "needs --client");
		return;
	}
	json_array_foreach(d->client_keys, i, jwk) {
		const char *k = json_string_value(json_object_get(jwk, "kid"));

		if (k != NULL && strcmp(k, d->kid) == 0)
			break;
	}
	if (d->client_keys == NULL || i >= json_array_size(d->client_keys)) {
		fail(d, R_KID, AZ_UNKNOWN_KID, NULL);
		note(d, R_KID, "kid \"%s\" is not among the client's %zu registered keys", d->kid,
		     json_array_size(d->client_keys));
		skip(d, R_KEY_EXPIRY, "not reached: unknown kid");
		skip(d, R_KEY_ALG, "not reached: unknown kid");
		skip(d, R_KEY_CERT, "not reached: unknown kid");
		skip(d, R_SIG, "not reached: unknown kid");
		return;
	}
	pass(d, R_KID);
	created = json_string_value(json_object_get(jwk, "created"));
	if (created == NULL) {
		pass(d, R_KEY_EXPIRY);
		note(d, R_KEY_EXPIRY, "no created time in the client file: counted from now");
	} else if (porten_iso8601_parse(created, &created_at) != 0) {
		fail(d, R_KEY_EXPIRY, AZ_INTERNAL, NULL);
		note(d, R_KEY_EXPIRY, "created \"%s\" is not an ISO 8601 time", created);
	} else if (d->now >= created_at + PORTEN_CLIENT_KEY_LIFETIME_S) {
		fail(d, R_KEY_EXPIRY, AZ_MP121, NULL);
		note(d, R_KEY_EXPIRY, "registered %s, more than a year ago", created);
	} else {
		pass(d, R_KEY_EXPIRY);
	}
	jalg = json_object_get(jwk, "alg");
	if (json_is_string(jalg) && porten_jws_alg_from_name(json_string_value(jalg)) != d->alg) {
		fail(d, R_KEY_ALG, AZ_MP124, NULL);
		note(d, R_KEY_ALG, "the key is registered for %s", json_string_value(jalg));
	} else {
		pass(d, R_KEY_ALG);
	}
	if (json_object_get(jwk, "x5c") == NULL) {
		pass(d, R_KEY_CERT);
		note(d, R_KEY_CERT, "the registered key has no x5c");
	} else if (d->trust == NULL) {
		skip(d, R_KEY_CERT, "needs --trust-anchors");
	} else {
		struct porten_cert_info ci;
		json_t *certjwk = NULL;
		char why[160] = "";
		int r;

		memset(&ci, 0, sizeof(ci));
		r = porten_trust_verify_x5c(d->trust, json_object_get(jwk, "x5c"), d->now, &ci, why, sizeof(why));
		if (r != 0) {
			fail(d, R_KEY_CERT, AZ_MP120, NULL);
			note(d, R_KEY_CERT, "the registered key's certificate: %s", why[0] ? why : porten_strerror(r));
		} else if (porten_key_to_jwk(ci.leaf_key, NULL, &certjwk) != 0 ||
		           !json_equal(json_object_get(certjwk, "n"), json_object_get(jwk, "n")) ||
		           !json_equal(json_object_get(certjwk, "e"), json_object_get(jwk, "e"))) {
			fail(d, R_KEY_CERT, AZ_MP120, NULL);
			note(d, R_KEY_CERT, "the registered key's certificate holds another key");
		} else {
			pass(d, R_KEY_CERT);
		}
		json_decref(certjwk);
		porten_cert_info_clear(&ci);
	}
	if (porten_key_from_jwk(jwk, &key) != 0) {
		fail(d, R_SIG, AZ_INTERNAL, NULL);
		note(d, R_SIG, "the registered key is not a usable RSA key");
	} else if (porten_jws_verify(&d->v, d->alg, key) != 0) {
		fail(d, R_SIG, AZ_MP124, NULL);
		note(d, R_SIG, "the signature does not verify with the registered key \"%s\"", d->kid);
	} else {
		pass(d, R_SIG);
	}
	porten_key_unref(key);
}

/* ---- x5c path ---- */

/* Which rule a certificate refusal belongs to, from porten_trust_verify_x5c's reason
 * (lib/crypto/x509.c check_leaf, then OpenSSL's chain verification). */
static enum rule_id
cert_rule(const char *why)
{
	static const struct { const char *why; enum rule_id rule; } map[] = {
		{ "invalid certificate extensions", R_CERT_EXT },
		{ "unexpected critical extension", R_CERT_EXT },
		{ "self-signed certificate", R_CERT_EE },
		{ "certificate is a ca", R_CERT_EE },
		{ "certificate is a trust anchor", R_CERT_EE },
		{ "key usage", R_CERT_KU },
		{ "certificate key is not rsa", R_CERT_KEY },
		{ "rsa key size out of range", R_CERT_KEY },
		{ "certificate polic", R_CERT_POLICY },
		{ "no organisation number", R_CERT_ORGNO },
		{ "certificate has expired", R_CERT_VALIDITY },
		{ "certificate is not yet valid", R_CERT_VALIDITY },
		{ "revoked", R_CERT_REVOKED },
		{ "CRL", R_CERT_REVOKED },
	};

	for (size_t i = 0; i < NELEM(map); i++)
		if (strstr(why, map[i].why) != NULL)
			return map[i].rule;
	return R_CERT_CHAIN;
}

static const enum rule_id cert_rules[] = {
	R_CERT_EXT, R_CERT_EE, R_CERT_KU, R_CERT_KEY, R_CERT_POLICY, R_CERT_ORGNO,
	R_CERT_CHAIN, R_CERT_REVOKED, R_CERT_VALIDITY,
};

/* The leaf's DER and the organisation number in it. */
static int
leaf_der(const json_t *x5c, unsigned char **der, size_t *len)
{
	const json_t *v = json_array_get(x5c, 0);
	const char *s = json_string_value(v);
	size_t n;

	*der = NULL;
	if (!json_is_array(x5c) || s == NULL)
		return -1;
	n = porten_b64_decoded_max(json_string_length(v));
	if ((*der = malloc(n + 1)) == NULL)
		return -1;
	if (porten_b64std_decode(s, json_string_length(v), *der, n + 1, len) != 0) {
		free(*der);
		*der = NULL;
		return -1;
	}
	return 0;
}

static void
check_x5c_path(struct doctor *d)
{
	struct porten_cert_info ci;
	porten_trust *t = d->trust ? d->trust : d->profile;
	porten_key *key = NULL;
	unsigned char *der = NULL;
	const char *corg;
	char why[160] = "";
	size_t derlen = 0, i;
	int r;

	memset(&ci, 0, sizeof(ci));
	r = porten_trust_verify_x5c(t, d->x5c, d->now, &ci, why, sizeof(why));
	if (r == PORTEN_ERR_INVALID) {
		fail(d, R_CERT_X5C, AZ_MP123, NULL);
		note(d, R_CERT_X5C, "%s", why);
		for (i = 0; i < NELEM(cert_rules); i++)
			skip(d, cert_rules[i], "not reached: x5c unreadable");
		skip(d, R_SIG, "not reached: x5c unreadable");
		skip(d, R_ORGNO_BINDING, "not reached: x5c unreadable");
	} else if (r == 0) {
		pass(d, R_CERT_X5C);
		for (i = 0; i < NELEM(cert_rules); i++)
			pass(d, cert_rules[i]);
		note(d, R_CERT_CHAIN, "%s", ci.subject);
	} else if (r == PORTEN_ERR_CERT) {
		enum rule_id bad = cert_rule(why);
		int reached = 1;

		pass(d, R_CERT_X5C);
		if (d->trust == NULL && bad == R_CERT_CHAIN) {
			/* No anchors: the leaf profile passed; the chain cannot be judged. */
			for (i = 0; i < NELEM(cert_rules); i++) {
				if (cert_rules[i] == R_CERT_CHAIN || cert_rules[i] == R_CERT_REVOKED ||
				    cert_rules[i] == R_CERT_VALIDITY)
					skip(d, cert_rules[i], "needs --trust-anchors");
				else
					pass(d, cert_rules[i]);
			}
		} else {
			for (i = 0; i < NELEM(cert_rules); i++) {
				if (cert_rules[i] == bad) {
					fail(d, bad, AZ_MP120, NULL);
					note(d, bad, "%s", why);
					reached = 0;
				} else if (reached) {
					pass(d, cert_rules[i]);
				} else {
					char s[96];

					snprintf(s, sizeof(s), "not reached: %s failed", rules[bad].id);
					skip(d, cert_rules[i], s);
				}
			}
		}
	} else {
		fail(d, R_CERT_CHAIN, AZ_INTERNAL, NULL);
		note(d, R_CERT_CHAIN, "certificate verification failed: %s", porten_strerror(r));
	}

	/* The signature, with the leaf's key, whatever the chain. */
	if (d->r[R_SIG].st == ST_UNSET) {
		if (leaf_der(d->x5c, &der, &derlen) != 0 || porten_key_from_cert_der(der, derlen, &key) != 0) {
			skip(d, R_SIG, "not reached: the leaf certificate is unreadable");
		} else if (porten_jws_verify(&d->v, d->alg, key) != 0) {
			fail(d, R_SIG, AZ_MP124, NULL);
			note(d, R_SIG, "the signature does not verify with the x5c leaf's key");
		} else {
			pass(d, R_SIG);
		}
		if (der != NULL && porten_cert_orgno_from_der(der, derlen, d->cert_orgno) != 0)
			d->cert_orgno[0] = '\0';
	}
	porten_key_unref(key);
	free(der);
	porten_cert_info_clear(&ci);

	check_client(d);
	if (d->client == NULL) {
		skip(d, R_REQUIRES_JWK, "needs --client");
		skip(d, R_ORGNO_BINDING, "needs --client");
		return;
	}
	if (json_array_size(d->client_keys) > 0) {
		fail(d, R_REQUIRES_JWK, AZ_REQUIRES_JWK, NULL);
		note(d, R_REQUIRES_JWK, "the client has %zu registered keys", json_array_size(d->client_keys));
	} else {
		pass(d, R_REQUIRES_JWK);
	}
	corg = client_str(d, "client_orgno");
	if (d->cert_orgno[0] == '\0') {
		skip(d, R_ORGNO_BINDING, "not reached: no organisation number in the certificate");
	} else if (corg == NULL || strcmp(corg, d->cert_orgno) != 0) {
		fail(d, R_ORGNO_BINDING, AZ_MP122, NULL);
		note(d, R_ORGNO_BINDING, "the certificate says %s, the client's client_orgno is %s", d->cert_orgno,
		     corg ? corg : "-");
	} else {
		pass(d, R_ORGNO_BINDING);
	}
}

/* ---- time and claims ---- */

static void
check_time(struct doctor *d)
{
	int64_t iat = 0, exp = 0, nbf;
	int have_iat = 0, have_exp = 0;
	json_t *j;

	if ((j = claim(d->claims, "iat")) == NULL || numeric_date(j, &iat) != 0) {
		fail(d, R_IAT, AZ_MP011, ". Invalid JWT claim iat");
		note(d, R_IAT, "%s", j == NULL ? "no iat claim" : "iat is not a number from 0 to 253402300799");
	} else {
		pass(d, R_IAT);
		have_iat = 1;
	}
	if ((j = claim(d->claims, "exp")) == NULL || numeric_date(j, &exp) != 0) {
		fail(d, R_EXP, AZ_MP011, ". Invalid JWT claim exp");
		note(d, R_EXP, "%s", j == NULL ? "no exp claim" : "exp is not a number from 0 to 253402300799");
	} else {
		pass(d, R_EXP);
		have_exp = 1;
	}
	if (!have_iat) {
		skip(d, R_IAT_FUTURE, "not reached: no valid iat");
	} else if (iat > d->now + PORTEN_CLOCK_SKEW_S) {
		fail(d, R_IAT_FUTURE, AZ_IAT_FUTURE, NULL);
		note(d, R_IAT_FUTURE, "iat is %lld s ahead of now (%lld)", (long long)(iat - d->now), (long long)d->now);
	} else {
		pass(d, R_IAT_FUTURE);
	}
	if (!have_exp) {
		skip(d, R_EXPIRED, "not reached: no valid exp");
	} else if (exp <= d->now - PORTEN_CLOCK_SKEW_S) {
		fail(d, R_EXPIRED, AZ_MP130, NULL);
		note(d, R_EXPIRED, "exp passed %lld s ago (now %lld)", (long long)(d->now - exp), (long long)d->now);
	} else {
		pass(d, R_EXPIRED);
	}
	if (!have_iat || !have_exp) {
		skip(d, R_LIFETIME, "not reached: no valid iat and exp");
	} else if (exp <= iat || exp - iat > PORTEN_GRANT_MAX_LIFETIME_S) {
		fail(d, R_LIFETIME, AZ_LIFETIME, NULL);
		note(d, R_LIFETIME, "exp - iat = %lld s", (long long)(exp - iat));
	} else {
		pass(d, R_LIFETIME);
	}
	if ((j = claim(d->claims, "nbf")) == NULL) {
		pass(d, R_NBF);
	} else if (numeric_date(j, &nbf) != 0) {
		fail(d, R_NBF, AZ_MP011, ". Invalid JWT claim nbf");
	} else if (nbf > d->now + PORTEN_CLOCK_SKEW_S) {
		fail(d, R_NBF, AZ_NBF, NULL);
		note(d, R_NBF, "nbf is %lld s ahead of now", (long long)(nbf - d->now));
	} else {
		pass(d, R_NBF);
	}
}

static void
check_aud(struct doctor *d)
{
	const json_t *aud = claim(d->claims, "aud");
	const char *s;
	size_t n;

	if (json_is_array(aud)) {
		if (json_array_size(aud) != 1) {
			fail(d, R_AUD, AZ_MP110, NULL);
			note(d, R_AUD, "aud is an array of %zu values; send one", json_array_size(aud));
			return;
		}
		aud = json_array_get(aud, 0);
	}
	if (!json_is_string(aud)) {
		fail(d, R_AUD, AZ_MP110, NULL);
		note(d, R_AUD, "%s", aud == NULL ? "no aud claim" : "aud is not a string");
		return;
	}
	if (d->issuer == NULL) {
		skip(d, R_AUD, "needs --issuer");
		return;
	}
	s = json_string_value(aud);
	if (strcmp(s, d->issuer) == 0) {
		pass(d, R_AUD);
		return;
	}
	fail(d, R_AUD, AZ_MP110, NULL);
	n = strlen(d->issuer);
	if (n > 1 && d->issuer[n - 1] == '/' && strlen(s) == n - 1 && strncmp(s, d->issuer, n - 1) == 0)
		note(d, R_AUD, "aud \"%s\" lacks the issuer's trailing slash: \"%s\"", s, d->issuer);
	else if (strncmp(s, d->issuer, n) == 0)
		note(d, R_AUD, "aud \"%s\" is a URL under the issuer (the token endpoint?); the issuer is \"%s\"", s,
		     d->issuer);
	else
		note(d, R_AUD, "aud is \"%s\"; the issuer is \"%s\"", s, d->issuer);
}

static void
check_claim_types(struct doctor *d)
{
	const char *key;
	json_t *j;

	j = claim(d->claims, "jti");
	if (j == NULL) {
		d->r[R_JTI].st = ST_WARN;
		note(d, R_JTI, "no jti: accepted, but replay protection then covers only this exact "
		     "assertion; send a fresh UUID");
	} else if (!json_is_string(j) || json_string_length(j) == 0 || json_string_length(j) > PORTEN_JTI_MAX) {
		fail(d, R_JTI, AZ_MP011, ". Invalid JWT claim jti");
	} else {
		pass(d, R_JTI);
	}
	j = claim(d->claims, "sub");
	if (j != NULL && !json_is_string(j))
		fail(d, R_SUB, AZ_MP011, ". Invalid JWT claim sub");
	else
		pass(d, R_SUB);
	j = claim(d->claims, "pid");
	if (j != NULL && (!json_is_string(j) ||
	                  !porten_pid_valid(json_string_value(j), json_string_length(j), PORTEN_PID_ALLOW_SYNTHETIC, NULL)))
		fail(d, R_PID, AZ_MP011, ". Invalid JWT claim pid");
	else
		pass(d, R_PID);
	j = claim(d->claims, "resource");
	if (j != NULL && !resource_ok(j))
		fail(d, R_RESOURCE, AZ_MP011, ". Invalid JWT claim resource");
	else
		pass(d, R_RESOURCE);
	j = claim(d->claims, "consumer_org");
	if (j != NULL && (!json_is_string(j) || !porten_orgno_valid(json_string_value(j), json_string_length(j)))) {
		const char *s = json_string_value(j);

		fail(d, R_CONSUMER_ORG, AZ_MP011, ". Invalid JWT claim consumer_org");
		if (s != NULL && strlen(s) == 9 && strspn(s, "0123456789") == 9)
			note(d, R_CONSUMER_ORG, "%s fails the organisation-number check digit (mod 11)%s", s,
			     strcmp(s, "999888999") == 0 ? "; it is the documentation's placeholder" : "");
		else
			note(d, R_CONSUMER_ORG, "consumer_org is not a string of 9 digits");
	} else {
		pass(d, R_CONSUMER_ORG);
	}
	if (claim(d->claims, "iss_onbehalfof") != NULL)
		fail(d, R_ONBEHALFOF, AZ_MP011, claim(d->claims, "consumer_org") != NULL
		     ? ". consumer_org and iss_onbehalfof cannot be combined"
		     : ". iss_onbehalfof is deprecated and not supported");
	else
		pass(d, R_ONBEHALFOF);
	j = claim(d->claims, "authorization_details");
	if (j == NULL)
		pass(d, R_AUTHZ_DETAILS);
	else if (!json_is_array(j))
		fail(d, R_AUTHZ_DETAILS, AZ_MP011, ". Invalid JWT claim authorization_details");
	else
		fail(d, R_AUTHZ_DETAILS, AZ_MP301, NULL);

	pass(d, R_UNKNOWN);
	json_object_foreach(d->claims, key, j) {
		int known = 0;

		for (size_t i = 0; i < NELEM(known_claims); i++)
			if (strcmp(key, known_claims[i]) == 0)
				known = 1;
		if (!known) {
			char esc[80], detail[128];

			snprintf(detail, sizeof(detail), ". Unknown claim %s",
			         porten_log_escape(esc, sizeof(esc), key, strlen(key) > 40 ? 40 : strlen(key)));
			fail(d, R_UNKNOWN, AZ_MP011, detail);
			break;
		}
	}
}

static void
check_scopes(struct doctor *d)
{
	const json_t *j = claim(d->claims, "scope"), *held, *v;
	const char *co, *corg;
	size_t i, k;

	if (j == NULL) {
		fail(d, R_SCOPE, AZ_SCOPE_MISSING, NULL);
		note(d, R_SCOPE, "no scope claim");
	} else if (!json_is_string(j) || json_string_length(j) > PORTEN_SCOPE_STRING_MAX ||
	           strlen(json_string_value(j)) != json_string_length(j) ||
	           split_scopes(d, json_string_value(j)) != 0) {
		fail(d, R_SCOPE, AZ_MP011, ". Invalid JWT claim scope");
	} else if (d->nscopes == 0) {
		fail(d, R_SCOPE, AZ_SCOPE_MISSING, NULL);
		note(d, R_SCOPE, "the scope claim is empty");
	} else {
		pass(d, R_SCOPE);
		d->scopes_ok = 1;
	}
	co = json_string_value(claim(d->claims, "consumer_org"));
	if (co == NULL) {
		pass(d, R_CONSUMER_SELF);
	} else if (d->client == NULL) {
		skip(d, R_CONSUMER_SELF, "needs --client");
	} else if ((corg = client_str(d, "client_orgno")) != NULL && strcmp(co, corg) == 0) {
		fail(d, R_CONSUMER_SELF, AZ_CONSUMER_ORG_INVALID, NULL);
		note(d, R_CONSUMER_SELF, "consumer_org %s is the client's own organisation", co);
	} else {
		pass(d, R_CONSUMER_SELF);
	}
	if (!d->scopes_ok) {
		skip(d, R_SCOPE_CLIENT, "not reached: no valid scope claim");
		return;
	}
	if (d->client == NULL) {
		skip(d, R_SCOPE_CLIENT, "needs --client");
		return;
	}
	held = json_object_get(d->client, "scopes");
	for (i = 0; i < d->nscopes; i++) {
		int found = 0;

		json_array_foreach(held, k, v)
			if (json_is_string(v) && strcmp(json_string_value(v), d->scopes[i]) == 0)
				found = 1;
		if (!found) {
			char detail[PORTEN_SCOPE_NAME_MAX + 8];

			snprintf(detail, sizeof(detail), ", %s", d->scopes[i]);
			fail(d, R_SCOPE_CLIENT, AZ_MP200, detail);
			note(d, R_SCOPE_CLIENT, "the client does not list %s", d->scopes[i]);
			return;
		}
	}
	pass(d, R_SCOPE_CLIENT);
	note(d, R_SCOPE_CLIENT, "whether the scopes exist, are active, allow maskinporten and are granted "
	     "to the consumer is the server's data: see the verdict");
}

static void
grade(struct doctor *d)
{
	size_t i;

	if (check_header(d) != 0)
		goto rest;
	if (check_claims_object(d) != 0)
		goto rest;
	check_key_ref(d);
	if (claim(d->hdr, "kid") != NULL) {
		if (d->alg == PORTEN_JWS_INVALID)
			for (i = 0; i < NELEM(order_kid); i++)
				skip(d, order_kid[i], "not reached: alg not allowed");
		else if (d->kid == NULL)
			for (i = 0; i < NELEM(order_kid); i++)
				skip(d, order_kid[i], "not reached: invalid kid");
		else
			check_kid_path(d);
		for (i = 0; i < NELEM(order_x5c); i++)
			skip(d, order_x5c[i], "kid path: x5c is not used");
	} else if (d->x5c != NULL) {
		if (d->alg == PORTEN_JWS_INVALID)
			for (i = 0; i < NELEM(order_x5c); i++)
				skip(d, order_x5c[i], "not reached: alg not allowed");
		else
			check_x5c_path(d);
		for (i = 0; i < NELEM(order_kid); i++)
			skip(d, order_kid[i], "x5c path: no kid");
	} else {
		for (i = 0; i < NELEM(order_kid); i++)
			skip(d, order_kid[i], "not reached: neither kid nor x5c");
		for (i = 0; i < NELEM(order_x5c); i++)
			skip(d, order_x5c[i], "not reached: neither kid nor x5c");
	}
	check_time(d);
	check_aud(d);
	check_claim_types(d);
	check_scopes(d);
rest:
	for (i = 0; i < R_COUNT; i++)
		skip(d, (enum rule_id)i, d->hdr == NULL ? "not reached: the grant is not a JWS"
		                         : "not reached: no claims");
}

/* ---- the verdict: the real validation path ---- */

static void
rm_tree(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (dp != NULL) {
		while ((e = readdir(dp)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (unlink(path) != 0)
				rm_tree(path);
		}
		closedir(dp);
	}
	rmdir(dir);
}

/* Loads one seed section item; the verdict tolerates items the library refuses. */
static int
seed_one(porten_store *st, const char *section, json_t *obj, char *err, size_t errlen)
{
	json_t *seed = json_pack("{s:[o]}", section, obj);
	int r;

	if (seed == NULL)
		return PORTEN_ERR_NOMEM;
	r = porten_authz_seed_load(st, seed, porten_now(), err, errlen, NULL);
	json_decref(seed);
	return r;
}

/* 0, or an exit status (its line printed). */
static int
verdict(struct doctor *d)
{
	struct porten_authz_config cfg;
	struct porten_token_result res;
	porten_store *st = NULL;
	porten_authz *az = NULL;
	json_t *client = NULL;
	const char *orgno, *consumer_org = NULL, *aud_s = NULL;
	char tmpl[256], keys[300], err[1024];
	const json_t *aud;
	char *tmp = NULL;
	int r = PORTEN_EXIT_FAILURE;

	memset(&cfg, 0, sizeof(cfg));
	memset(&res, 0, sizeof(res));
	if (d->hdr != NULL && d->claims != NULL && d->alg != PORTEN_JWS_INVALID) {
		if (claim(d->hdr, "kid") != NULL && d->client == NULL) {
			snprintf(d->verdict_skip, sizeof(d->verdict_skip), "needs --client (a kid grant)");
			return 0;
		}
		if (claim(d->hdr, "kid") == NULL && d->x5c != NULL && d->trust == NULL) {
			snprintf(d->verdict_skip, sizeof(d->verdict_skip), "needs --trust-anchors (an x5c grant)");
			return 0;
		}
	}
	aud = d->claims ? claim(d->claims, "aud") : NULL;
	if (json_is_array(aud) && json_array_size(aud) == 1)
		aud = json_array_get(aud, 0);
	aud_s = json_string_value(aud);
	if (d->issuer == NULL && aud_s != NULL)
		snprintf(d->verdict_assumed, sizeof(d->verdict_assumed), "issuer = aud");

	if ((r = porten_store_open("memory:", &st)) != 0) {
		r = fail_msg(PORTEN_EXIT_FAILURE, "cannot open a memory store: %s", porten_strerror(r));
		goto out;
	}
	orgno = d->client ? client_str(d, "client_orgno") : d->cert_orgno[0] ? d->cert_orgno : DOCTOR_SEED_ORG;
	consumer_org = d->claims ? json_string_value(claim(d->claims, "consumer_org")) : NULL;
	/* The server's data doctor cannot see: every requested scope exists, is active, allows
	 * maskinporten, is granted to the consumer and delegated when consumer_org is used.
	 * A scope the library refuses to seed (a malformed name) stays unknown, as on a server. */
	for (size_t i = 0; d->scopes_ok && orgno != NULL && i < d->nscopes; i++) {
		json_t *scope = json_pack("{s:s,s:s}", "name", d->scopes[i], "owner_orgno", DOCTOR_SEED_ORG);

		if (consumer_org != NULL)
			json_object_set_new(scope, "delegation_source", json_string(DOCTOR_DELEGATION_SOURCE));
		(void)seed_one(st, "scopes", scope, err, sizeof(err));
		(void)seed_one(st, "access", json_pack("{s:s,s:s}", "scope", d->scopes[i], "consumer_orgno",
		                                       consumer_org ? consumer_org : orgno), err, sizeof(err));
		if (consumer_org != NULL)
			(void)seed_one(st, "delegations", json_pack("{s:s,s:s,s:s}", "consumer_orgno", consumer_org,
			                                            "supplier_orgno", orgno, "scope", d->scopes[i]),
			               err, sizeof(err));
	}
	if (d->client != NULL) {
		client = json_deep_copy(d->client);
	} else if (d->iss != NULL) {
		client = json_pack("{s:s,s:s,s:[]}", "client_id", d->iss, "client_orgno", orgno, "scopes");
		for (size_t i = 0; d->scopes_ok && i < d->nscopes; i++) {
			json_t *doc = NULL;

			if (porten_store_get(st, PORTEN_DOC_SCOPE, d->scopes[i], &doc) == 0)
				json_array_append_new(json_object_get(client, "scopes"), json_string(d->scopes[i]));
			json_decref(doc);
		}
		snprintf(d->verdict_assumed + strlen(d->verdict_assumed),
		         sizeof(d->verdict_assumed) - strlen(d->verdict_assumed),
		         "%sclient %s of organisation %s holding the requested scopes",
		         d->verdict_assumed[0] ? ", " : "", d->iss, orgno);
	}
	if (client != NULL) {
		/* The client as given, except where seeds differ from API answers. */
		json_object_del(client, "created");
		json_object_del(client, "last_updated");
		r = seed_one(st, "clients", client, err, sizeof(err));
		client = NULL;
		if (r != 0) {
			if (d->client != NULL) {
				r = fail_msg(PORTEN_EXIT_CONFIG, "the client file: %s", err);
				goto out;
			}
			snprintf(d->verdict_skip, sizeof(d->verdict_skip), "no client could be assumed: %.300s", err);
			r = 0;
			goto out;
		}
	}

	snprintf(tmpl, sizeof(tmpl), "%s/porten-doctor-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if ((tmp = mkdtemp(tmpl)) == NULL) {
		r = fail_msg(PORTEN_EXIT_FAILURE, "cannot make a temporary directory under %s", tmpl);
		goto out;
	}
	snprintf(keys, sizeof(keys), "%s/keys", tmp);
	cfg.issuer = d->issuer ? d->issuer : aud_s ? aud_s : "https://issuer.invalid/";
	cfg.key_dir = keys;
	cfg.store = st;
	cfg.trust = d->trust;
	if ((r = porten_authz_new(&cfg, &az)) != 0) {
		r = fail_msg(PORTEN_EXIT_FAILURE, "cannot start the validator: %s", porten_strerror(r));
		goto out;
	}
	porten_authz_token(az, d->grant, d->grant_len, &res);
	d->verdict_run = 1;
	d->verdict_err = res.error;
	if (res.description[0])
		snprintf(d->verdict_desc, sizeof(d->verdict_desc), "%s", res.description);
	else
		describe(res.error, res.detail, d->verdict_desc, sizeof(d->verdict_desc));
	r = 0;
out:
	porten_token_result_clear(&res);
	porten_authz_free(az);
	porten_store_close(st);
	json_decref(client);
	if (tmp != NULL)
		rm_tree(tmp);
	return r;
}

/* ---- output ---- */

static const char *
status_name(enum status s)
{
	return s == ST_PASS ? "PASS" : s == ST_FAIL ? "FAIL" : s == ST_WARN ? "WARN" : "SKIP";
}

/* The rules in the order they are applied to this grant: the head, the key path in use,
 * the claims, then the other path's rules (skipped). */
static size_t
report_order(const struct doctor *d, enum rule_id out[R_COUNT])
{
	int seen[R_COUNT] = { 0 };
	size_t n = 0, i;
	int kid_path = d->hdr != NULL && claim(d->hdr, "kid") != NULL;
	const enum rule_id *first = kid_path ? order_kid : order_x5c;
	size_t nfirst = kid_path ? NELEM(order_kid) : NELEM(order_x5c);
	const enum rule_id *second = kid_path ? order_x5c : order_kid;
	size_t nsecond = kid_path ? NELEM(order_x5c) : NELEM(order_kid);

#define ADD(id) do { if (!seen[id]) { seen[id] = 1; out[n++] = (id); } } while (0)
	for (i = 0; i < NELEM(order_head); i++)
		ADD(order_head[i]);
	for (i = 0; i < nfirst; i++)
		ADD(first[i]);
	for (i = 0; i < NELEM(order_tail); i++)
		ADD(order_tail[i]);
	for (i = 0; i < nsecond; i++)
		ADD(second[i]);
#undef ADD
	return n;
}

static json_t *
rule_json(const struct doctor *d, enum rule_id id)
{
	const struct result *res = &d->r[id];
	json_t *o = json_pack("{s:s,s:s,s:s}", "rule", rules[id].id, "name", rules[id].name,
	                      "status", status_name(res->st));

	if (res->st == ST_SKIP)
		json_object_set_new(o, "reason", json_string(res->skip));
	if (res->note[0])
		json_object_set_new(o, "note", json_string(res->note));
	if (res->st == ST_FAIL) {
		const struct porten_az_error_info *info = porten_az_error_info(res->err);
		char desc[768];

		describe(res->err, res->detail, desc, sizeof(desc));
		json_object_set_new(o, "error", json_string(info->error));
		json_object_set_new(o, "error_description", json_string(desc));
		json_object_set_new(o, "mp", info->mp ? json_string(info->mp) : json_null());
		json_object_set_new(o, "http_status", json_integer(info->status));
		json_object_set_new(o, "fix", json_string(rules[id].fix));
	} else if (res->st == ST_WARN) {
		json_object_set_new(o, "fix", json_string(rules[id].fix));
	}
	return o;
}

static json_t *
verdict_json(const struct doctor *d)
{
	json_t *o = json_pack("{s:s,s:s}", "rule", "verdict", "name",
	                      "porten authz's own validation of this grant");

	if (!d->verdict_run) {
		json_object_set_new(o, "status", json_string("SKIP"));
		json_object_set_new(o, "reason", json_string(d->verdict_skip));
		return o;
	}
	if (d->verdict_assumed[0])
		json_object_set_new(o, "assumed", json_string(d->verdict_assumed));
	if (d->verdict_err == AZ_OK) {
		json_object_set_new(o, "status", json_string("ISSUED"));
	} else {
		const struct porten_az_error_info *info = porten_az_error_info(d->verdict_err);

		json_object_set_new(o, "status", json_string("REFUSED"));
		json_object_set_new(o, "error", json_string(info->error));
		json_object_set_new(o, "error_description", json_string(d->verdict_desc));
		json_object_set_new(o, "mp", info->mp ? json_string(info->mp) : json_null());
		json_object_set_new(o, "http_status", json_integer(info->status));
	}
	return o;
}

static void
print_text(const struct doctor *d, const enum rule_id *ord, size_t n)
{
	size_t counts[5] = { 0 };
	char iat[32];

	porten_iso8601(d->now, iat, sizeof(iat));
	printf("grant%s for %s, graded at %s (%lld) against issuer %s\n", d->built ? " built from client settings" : "",
	       d->iss ? d->iss : "an unknown client", iat, (long long)d->now, d->issuer ? d->issuer : "(unknown)");
	for (size_t i = 0; i < n; i++) {
		const struct result *res = &d->r[ord[i]];

		counts[res->st]++;
		if (res->st == ST_SKIP)
			printf("SKIP (%s) %s: %s\n", res->skip, rules[ord[i]].id, rules[ord[i]].name);
		else
			printf("%s %s: %s\n", status_name(res->st), rules[ord[i]].id, rules[ord[i]].name);
		if (res->note[0] && res->st != ST_PASS)
			printf("     %s\n", res->note);
		if (res->st == ST_FAIL) {
			const struct porten_az_error_info *info = porten_az_error_info(res->err);
			char desc[768];

			describe(res->err, res->detail, desc, sizeof(desc));
			printf("     error: %s%s%s (HTTP %d)\n", info->error, info->mp ? " " : "", info->mp ? info->mp : "",
			       info->status);
			printf("     error_description: %s\n", desc);
		}
		if (res->st == ST_FAIL || res->st == ST_WARN)
			printf("     fix: %s\n", rules[ord[i]].fix);
	}
	if (!d->verdict_run) {
		printf("verdict: not run (%s)\n", d->verdict_skip);
	} else if (d->verdict_err == AZ_OK) {
		printf("verdict: porten authz would issue a token%s%s%s\n", d->verdict_assumed[0] ? " (assuming " : "",
		       d->verdict_assumed, d->verdict_assumed[0] ? ")" : "");
	} else {
		const struct porten_az_error_info *info = porten_az_error_info(d->verdict_err);

		printf("verdict: porten authz would answer %d %s%s%s: %s%s%s%s\n", info->status, info->error,
		       info->mp ? " " : "", info->mp ? info->mp : "", d->verdict_desc,
		       d->verdict_assumed[0] ? " (assuming " : "", d->verdict_assumed, d->verdict_assumed[0] ? ")" : "");
	}
	printf("%zu pass, %zu fail, %zu warn, %zu skip\n", counts[ST_PASS], counts[ST_FAIL], counts[ST_WARN],
	       counts[ST_SKIP]);
}

/* ---- input ---- */

/* Reads FILE ('-': stdin) into d->grant, whitespace trimmed. 0 or an exit status. */
static int
read_grant(struct doctor *d, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t n = 0, got;
	char *buf;

	if (f == NULL)
		return fail_msg(PORTEN_EXIT_CONFIG, "cannot read the grant file '%s'", path);
	if ((buf = malloc(GRANT_READ_MAX + 1)) == NULL) {
		if (f != stdin)
			fclose(f);
		return fail_msg(PORTEN_EXIT_FAILURE, "out of memory");
	}
	while (n <= GRANT_READ_MAX && (got = fread(buf + n, 1, GRANT_READ_MAX + 1 - n, f)) > 0)
		n += got;
	if (ferror(f) || n > GRANT_READ_MAX) {
		int bad = ferror(f);

		if (f != stdin)
			fclose(f);
		free(buf);
		return bad ? fail_msg(PORTEN_EXIT_CONFIG, "cannot read the grant from '%s'", path)
		           : fail_msg(PORTEN_EXIT_CONFIG, "'%s' is larger than %d bytes: not a grant", path, GRANT_READ_MAX);
	}
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	d->grant = buf;
	d->grant_len = n;
	return 0;
}

static void
trim_grant(struct doctor *d)
{
	size_t start = 0;

	while (d->grant_len > 0 && strchr(" \t\r\n", d->grant[d->grant_len - 1]) != NULL)
		d->grant[--d->grant_len] = '\0';
	while (start < d->grant_len && strchr(" \t\r\n", d->grant[start]) != NULL)
		start++;
	memmove(d->grant, d->grant + start, d->grant_len - start + 1);
	d->grant_len -= start;
}

static int
load_client(struct doctor *d, const char *path)
{
	json_error_t je;
	json_t *jwks;
	char *data = NULL;
	size_t len = 0;
	int r;

	if ((r = porten_file_read(path, CLIENT_FILE_MAX, &data, &len)) == PORTEN_ERR_TOO_LARGE)
		return fail_msg(PORTEN_EXIT_CONFIG, "the client file '%s' is larger than %d bytes: not a client",
		                path, CLIENT_FILE_MAX);
	if (r != 0)
		return fail_msg(PORTEN_EXIT_CONFIG, "cannot read the client file '%s': %s", path,
		                r == PORTEN_ERR_NOT_FOUND ? "no such file" : porten_strerror(r));
	d->client = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	free(data);
	if (d->client == NULL)
		return fail_msg(PORTEN_EXIT_CONFIG, "cannot read the client file '%s': %s (line %d)", path, je.text,
		                je.line);
	if (!json_is_object(d->client) || !json_is_string(json_object_get(d->client, "client_id")))
		return fail_msg(PORTEN_EXIT_CONFIG, "the client file '%s' is not a client object with a client_id", path);
	jwks = json_object_get(d->client, "jwks");
	if (json_is_array(jwks)) {   /* the keys alone: seeds want {"keys": [...]} */
		json_object_set_new(d->client, "jwks", json_pack("{s:O}", "keys", jwks));
		jwks = json_object_get(d->client, "jwks");
	}
	d->client_keys = json_object_get(jwks, "keys");
	return 0;
}

static int
build_trust(struct doctor *d)
{
	const struct doctor_opts *o = &d->o;
	porten_trust *ts[2] = { NULL, NULL };
	int r;

	if (porten_trust_new(&ts[0]) != 0 || porten_trust_new(&ts[1]) != 0) {
		porten_trust_free(ts[0]);
		porten_trust_free(ts[1]);
		return fail_msg(PORTEN_EXIT_FAILURE, "out of memory");
	}
	d->profile = ts[0];
	if (o->trust_anchors != NULL) {
		d->trust = ts[1];
		if ((r = porten_trust_add_anchors_file(d->trust, o->trust_anchors)) != 0)
			return fail_msg(PORTEN_EXIT_CONFIG, "cannot load trust anchors '%s': %s", o->trust_anchors,
			                porten_strerror(r));
		if (o->intermediates && (r = porten_trust_add_intermediates_file(d->trust, o->intermediates)) != 0)
			return fail_msg(PORTEN_EXIT_CONFIG, "cannot load intermediates '%s': %s", o->intermediates,
			                porten_strerror(r));
		for (size_t i = 0; i < o->crl.n; i++)
			if ((r = porten_trust_add_crl_file(d->trust, o->crl.v[i])) != 0)
				return fail_msg(PORTEN_EXIT_CONFIG, "cannot load CRL '%s': %s", o->crl.v[i], porten_strerror(r));
	} else {
		porten_trust_free(ts[1]);
	}
	for (size_t k = 0; k < 2; k++) {
		porten_trust *t = k == 0 ? d->profile : d->trust;

		if (t == NULL)
			continue;
		for (size_t i = 0; i < o->cert_policy.n; i++)
			if (porten_trust_add_policy(t, o->cert_policy.v[i]) != 0)
				return fail_msg(PORTEN_EXIT_USAGE, "--cert-policy '%s' is not an OID", o->cert_policy.v[i]);
		if (o->cert_policy.n == 0) {
			const char *env = o->cert_env ? o->cert_env : "all";

			if (strcmp(env, "test") && strcmp(env, "prod") && strcmp(env, "all"))
				return fail_msg(PORTEN_EXIT_USAGE, "--cert-env must be test, prod or all, got '%s'", env);
			if (porten_trust_add_seid_policies(t, env) != 0)
				return fail_msg(PORTEN_EXIT_FAILURE, "cannot add the SEID policies");
		}
	}
	return 0;
}

static char *
sibling(const char *file, const char *rel)
{
	const char *slash = strrchr(file, '/');
	int dirlen = slash ? (int)(slash - file) : 1;
	size_t n = (size_t)dirlen + strlen(rel) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%.*s/%s", dirlen, slash ? file : ".", rel);
	return p;
}

/* Issuer and PKI from --sandbox / --authz. Paths made here are kept in owned[]. */
static int
resolve_context(struct doctor *d, json_t **sandbox, char *owned[3])
{
	struct doctor_opts *o = &d->o;
	char err[512];
	int r;

	if (o->sandbox != NULL) {
		static const char *const rel[3] = { "pki/root.pem", "pki/intermediate.pem", "pki/crl.pem" };

		if ((r = porten_sandbox_load(o->sandbox, sandbox, err, sizeof(err))) != 0)
			return fail_msg(PORTEN_EXIT_CONFIG, "%s", err);
		if (o->issuer == NULL && json_is_string(json_object_get(*sandbox, "issuer")))
			o->issuer = json_string_value(json_object_get(*sandbox, "issuer"));
		if (o->authz == NULL && o->issuer == NULL)
			o->authz = json_string_value(json_object_get(*sandbox, "authz_url"));
		if (o->cacert == NULL)
			o->cacert = json_string_value(json_object_get(*sandbox, "ca_bundle"));
		for (int i = 0; i < 3; i++) {
			if ((owned[i] = sibling(o->sandbox, rel[i])) == NULL || access(owned[i], R_OK) != 0)
				continue;
			if (i == 0 && o->trust_anchors == NULL)
				o->trust_anchors = owned[i];
			else if (i == 1 && o->intermediates == NULL)
				o->intermediates = owned[i];
			else if (i == 2 && o->crl.n == 0 && o->trust_anchors == owned[0])
				o->crl.v[o->crl.n++] = owned[i];
		}
	}
	if (o->issuer == NULL && o->authz != NULL) {
		struct porten_client_config cc = { 0 };
		struct porten_client_metadata md;
		struct porten_client_problem p;
		porten_client *c = NULL;

		memset(&md, 0, sizeof(md));
		memset(&p, 0, sizeof(p));
		cc.ca_bundle = o->cacert;
		if ((r = porten_client_new(&cc, &c)) != 0)
			return fail_msg(PORTEN_EXIT_FAILURE, "cannot start the HTTP client: %s", porten_strerror(r));
		r = porten_client_discover(c, o->authz, &md, &p);
		if (r != 0) {
			char msg[1024];
			int status = consumer_client_status(r);

			if (r == PORTEN_ERR_REFUSED)
				fail_msg(status, "discovery at %s: %ld %s: %s", o->authz, p.status, p.error, p.description);
			else
				fail_msg(status, "discovery at %s: %s", o->authz,
				         consumer_client_message(c, r, msg, sizeof(msg)));
			porten_client_free(c);
			return status;
		}
		d->issuer = strdup(md.issuer);
		porten_client_metadata_clear(&md);
		porten_client_free(c);
	} else if (o->issuer != NULL) {
		d->issuer = strdup(o->issuer);
	}
	return 0;
}

/* Builds the grant as a client would (lib/client's grant builder). 0 or an exit status. */
static int
build_grant(struct doctor *d)
{
	const struct doctor_opts *o = &d->o;
	struct porten_client_credentials cr;
	struct porten_grant_params gp;
	struct consumer_opts co;
	int r;

	memset(&cr, 0, sizeof(cr));
	memset(&gp, 0, sizeof(gp));
	memset(&co, 0, sizeof(co));
	co.client_id = o->client_id;
	co.p12 = o->p12;
	co.p12_password = o->p12_password != NULL ? o->p12_password : "";
	co.cert = o->cert;
	co.key = o->key;
	co.jwk = o->jwk;
	co.kid = o->kid;
	if ((o->p12 != NULL) + (o->cert != NULL) > 1)
		return fail_msg(PORTEN_EXIT_USAGE, "--p12 and --cert exclude each other");
	if (o->scope == NULL)
		return fail_msg(PORTEN_EXIT_USAGE, "--client-id needs --scope: the scopes to ask for");
	if (d->issuer == NULL)
		return fail_msg(PORTEN_EXIT_USAGE, "--client-id needs the issuer: --issuer URL, --sandbox FILE or --authz URL");
	if ((r = consumer_credentials(PROG, &co, &cr)) != 0)
		return r;
	gp.audience = d->issuer;
	gp.scope = o->scope;
	gp.now = d->now;
	gp.resource = o->resource;
	gp.consumer_org = o->consumer_org;
	r = porten_grant_build(&cr, &gp, &d->grant);
	porten_client_credentials_clear(&cr);
	if (r != 0)
		return fail_msg(PORTEN_EXIT_USAGE, "cannot build a grant from these settings: %s (scope of at most %d "
		                "bytes?)", porten_strerror(r), PORTEN_SCOPE_STRING_MAX);
	d->grant_len = strlen(d->grant);
	d->built = 1;
	return 0;
}

/* Options that take a value, for telling positional arguments apart. */
static int
takes_value(const char *arg)
{
	size_t n;

	if (strncmp(arg, "--", 2) != 0 || strchr(arg, '=') != NULL)
		return 0;
	arg += 2;
	n = strlen(arg);
	for (size_t i = 0; i < NELEM(doctor_opts_table); i++)
		if (strlen(doctor_opts_table[i].name) == n && strcmp(doctor_opts_table[i].name, arg) == 0)
			return doctor_opts_table[i].type != OPT_FLAG;
	return 0;
}

int
cmd_doctor(int argc, char **argv)
{
	struct doctor d;
	enum rule_id ord[R_COUNT];
	char **av = NULL, *owned[3] = { NULL, NULL, NULL };
	const char *positional = NULL;
	json_t *sandbox = NULL;
	int ac = 0, r = PORTEN_EXIT_FAILURE, failed = 0;
	size_t n;

	memset(&d, 0, sizeof(d));
	if ((av = calloc((size_t)argc + 1, sizeof(*av))) == NULL)
		return fail_msg(PORTEN_EXIT_FAILURE, "out of memory");
	av[ac++] = argv[0];
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0 || strncmp(argv[i], "-", 1) != 0) {
			if (positional != NULL) {
				r = fail_msg(PORTEN_EXIT_USAGE, "one grant at a time; see 'porten doctor --help'");
				goto out;
			}
			positional = argv[i];
			continue;
		}
		av[ac++] = argv[i];
		if (takes_value(argv[i]) && i + 1 < argc)
			av[ac++] = argv[++i];
	}
	switch (opts_parse(&doctor_cmd, &d.o, ac, av)) {
	case 1:
		r = PORTEN_EXIT_OK;
		goto out;
	case -1:
		r = PORTEN_EXIT_USAGE;
		goto out;
	}
	if ((r = opts_log_level(PROG, d.o.log_level, PORTEN_LOG_ERROR)) != 0)
		goto out;
	if ((positional != NULL) + (d.o.grant_file != NULL) + (d.o.client_id != NULL) != 1) {
		r = fail_msg(PORTEN_EXIT_USAGE, "give one grant: GRANT, '-' (stdin), --grant-file FILE, or "
		             "--client-id with a key and --scope to build one; see 'porten doctor --help'");
		goto out;
	}
	if (d.o.now != NULL) {
		char *end;
		long long t = strtoll(d.o.now, &end, 10);

		if (*d.o.now == '\0' || *end != '\0' || t <= 0 || t > 253402300799LL) {
			r = fail_msg(PORTEN_EXIT_USAGE, "--now expects unix seconds, got '%s'", d.o.now);
			goto out;
		}
		d.now = (int64_t)t;
	} else {
		d.now = porten_now();
	}
	/* The verdict and the grant builder read porten_now(): one clock for everything. */
	porten_clock_pin(d.now);
	if ((r = resolve_context(&d, &sandbox, owned)) != 0)
		goto out;
	if ((r = build_trust(&d)) != 0)
		goto out;
	if (d.o.client_file != NULL && (r = load_client(&d, d.o.client_file)) != 0)
		goto out;
	if (d.o.client_id != NULL)
		r = build_grant(&d);
	else if (d.o.grant_file != NULL)
		r = read_grant(&d, d.o.grant_file);
	else if (strcmp(positional, "-") == 0)
		r = read_grant(&d, "-");
	else if ((d.grant = strdup(positional)) == NULL)
		r = fail_msg(PORTEN_EXIT_FAILURE, "out of memory");
	else
		d.grant_len = strlen(d.grant);
	if (r != 0)
		goto out;
	trim_grant(&d);

	grade(&d);
	if ((r = verdict(&d)) != 0)
		goto out;

	n = report_order(&d, ord);
	for (size_t i = 0; i < n; i++)
		failed |= d.r[ord[i]].st == ST_FAIL;
	if (d.o.json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, rule_json(&d, ord[i]));
		json_array_append_new(arr, verdict_json(&d));
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(arr);
	} else {
		print_text(&d, ord, n);
	}
	/* A refusal no rule explains (server data doctor assumed, e.g. a malformed scope name
	 * that can exist nowhere) fails too. */
	failed |= d.verdict_run && d.verdict_err != AZ_OK;
	r = failed ? PORTEN_EXIT_FAILURE : PORTEN_EXIT_OK;
out:
	porten_clock_pin(0);
	free(av);
	for (int i = 0; i < 3; i++)
		free(owned[i]);
	json_decref(sandbox);
	json_decref(d.hdr);
	json_decref(d.claims);
	json_decref(d.client);
	porten_trust_free(d.trust);
	porten_trust_free(d.profile);
	if (d.grant != NULL) {
		memset(d.grant, 0, d.grant_len);
		free(d.grant);
	}
	free(d.issuer);
	return r;
}
