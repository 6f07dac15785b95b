/* Servers, credentials and tokens of the consumer commands (consumer.h). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "consumer.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/freg.h"
#include "porten/ident.h"
#include "porten/json.h"
#include "porten/key.h"
#include "porten/log.h"
#include "porten/token_cache.h"

#define DEFAULT_SANDBOX "porten-sandbox/sandbox.json"

int
consumer_fail(const struct consumer *c, int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int
consumer_client_status(int r)
{
	switch (r) {
	case PORTEN_ERR_UNAVAILABLE:
	case PORTEN_ERR_CERT:
		return PORTEN_EXIT_UNAVAILABLE;
	case PORTEN_ERR_IO:
		return PORTEN_EXIT_CONFIG;
	}
	return PORTEN_EXIT_FAILURE;
}

const char *
consumer_client_message(porten_client *client, int r, char *buf, size_t bufsz)
{
	const char *msg = client != NULL ? porten_client_errmsg(client) : "";

	if (*msg == '\0')
		msg = porten_strerror(r);
	snprintf(buf, bufsz, "%s%s", msg, r == PORTEN_ERR_CERT ? "; give the CA that issued it with --cacert" : "");
	return buf;
}

int
consumer_client_failure(const struct consumer *c, int r)
{
	char msg[1024];

	consumer_client_message(c->client, r, msg, sizeof(msg));
	return consumer_fail(c, consumer_client_status(r), "%s%s", msg,
	                     r == PORTEN_ERR_UNAVAILABLE ? "; is the server running?" : "");
}

/* ---- what to do about a refusal ---- */

enum hint_arg { H_NONE, H_SCOPE_ORGNO, H_CLIENT, H_CLIENT_SCOPE, H_CONSUMER_ORG };

/* Maskinporten's errors (spec/maskinporten.md 5.2, the texts of lib/authz/errors.c), found
 * by their OAuth2 error and a distinctive part of error_description; the first match wins. */
static const struct hint {
	const char *error;           /* NULL: any */
	const char *text;            /* substring of error_description */
	enum hint_arg arg;
	const char *fmt;
} hints[] = {
	{ "invalid_grant", "Client not found", H_CLIENT,
	  "check --client-id: there is no client '%s' at this Maskinporten (test and production "
	  "have different clients)" },
	{ "invalid_grant", "Invalid JWT claim aud", H_NONE,
	  "the grant's audience is not this server's issuer: check --authz (test or production "
	  "Maskinporten)" },
	{ "invalid_grant", "signed with an invalid certificate", H_NONE,
	  "the server does not trust the CA of your certificate, or the certificate is expired, "
	  "revoked, or made for the other environment (test or production)" },
	{ "invalid_grant", "Expired key", H_NONE,
	  "the registered key is older than a year: register a new one (porten admin clients "
	  "set-keys CLIENT FILE) and sign with its --kid" },
	{ "invalid_grant", "Does not match certificate orgno", H_NONE,
	  "the certificate belongs to another organisation than the client: use a client "
	  "registered for the certificate's organisation number" },
	{ "invalid_grant", "Invalid JWT header x5c", H_NONE,
	  "the certificate could not be read from the grant: check --cert or --p12" },
	{ "invalid_grant", "Invalid JWT signature", H_NONE,
	  "the private key does not match the certificate or the registered key: check --key "
	  "and --kid" },
	{ "invalid_grant", "JWT is expired", H_NONE, "check this machine's clock (NTP)" },
	{ "invalid_grant", "Issue time is after now", H_NONE, "check this machine's clock (NTP)" },
	{ "invalid_grant", "Issue time is too far in the past", H_NONE,
	  "check this machine's clock (NTP)" },
	{ "invalid_grant", "not yet valid", H_NONE, "check this machine's clock (NTP)" },
	{ "invalid_grant", "Grant is used before", H_NONE,
	  "a grant can be used once: try again (a new grant is made each time)" },
	{ "invalid_grant", "Unknown key identifier", H_CLIENT,
	  "check --kid: the client has no registered key with that id (porten admin clients "
	  "keys %s lists them)" },
	{ "invalid_grant", "requires pre-registered jwk", H_NONE,
	  "this client has registered keys: sign with one of them (--kid, or --client key) "
	  "instead of the certificate" },
	{ "invalid_scope", "missing the scope", H_NONE, "give --scope" },
	{ "invalid_scope", "invalid scopes for client", H_CLIENT_SCOPE,
	  "the scope is unknown, inactive or not on the client: once the API owner has granted "
	  "access, add it with porten admin clients update %s --scope %s" },
	{ "invalid_scope", "not allowed for maskinporten", H_NONE,
	  "the scope is not open to Maskinporten clients (allowed_integration_types): ask the "
	  "API owner" },
	{ "forbidden", "has not been granted access", H_SCOPE_ORGNO,
	  "ask the API owner to grant your organisation access: porten admin access grant %s %s" },
	{ "forbidden", "has not delegated access", H_CONSUMER_ORG,
	  "organisation %s must delegate the scope to yours (in Altinn; in a sandbox: porten "
	  "admin delegations add CONSUMER SUPPLIER SCOPE)" },
	{ "invalid_request", "combination consumer_org", H_NONE,
	  "--consumer-org is for acting for another organisation, not your own: leave it out" },
	{ "invalid_request", "Invalid parameter value", H_NONE,
	  "the server refused a claim of the grant: check --resource and --consumer-org" },
	{ "temporarily_unavailable", "", H_NONE, "try again later" },
	{ "server_error", "", H_NONE, "the server failed: try again, and report it if it persists" },
};

/* The scope that follows marker in an error text ("... access to the scope <scope>[.]
 * (trace_id ...)", "... for client, <scope> (trace_id ...)"), into out; "SCOPE" if none. */
static void
scope_in_text(const char *text, const char *marker, char *out, size_t outsz)
{
	const char *p = strstr(text, marker);
	size_t n;

	snprintf(out, outsz, "SCOPE");
	if (p == NULL)
		return;
	p += strlen(marker);
	n = strcspn(p, " (");
	while (n > 0 && (p[n - 1] == '.' || p[n - 1] == ','))
		n--;
	if (n > 0 && n < outsz)
		snprintf(out, outsz, "%.*s", (int)n, p);
}

/* The organisation the token is for: --consumer-org, else the client's. */
static void
token_orgno(const struct consumer *c, char out[10])
{
	snprintf(out, 10, "ORGNO");
	if (c->o != NULL && c->o->consumer_org != NULL) {
		snprintf(out, 10, "%.9s", c->o->consumer_org);
		return;
	}
	if (c->have_cr && c->cr.orgno != NULL) {
		snprintf(out, 10, "%.9s", c->cr.orgno);
		return;
	}
	if (c->have_cr && porten_client_credentials_cert(&c->cr, NULL, NULL, out) == 0 && out[0] != '\0')
		return;
	snprintf(out, 10, "ORGNO");
}

/* fmt with each "%s" replaced by the next of a1, a2 (a hint template; no printf). */
static void
fill(char *out, size_t outsz, const char *fmt, const char *a1, const char *a2)
{
	const char *args[2] = { a1, a2 };
	size_t n = 0, k = 0;

	for (const char *f = fmt; *f && n + 1 < outsz; f++) {
		if (f[0] == '%' && f[1] == 's' && k < 2) {
			for (const char *a = args[k++]; a != NULL && *a && n + 1 < outsz; a++)
				out[n++] = *a;
			f++;
		} else {
			out[n++] = *f;
		}
	}
	out[n] = '\0';
}

static int
refusal_hint(const struct consumer *c, const struct porten_client_problem *p, char *out, size_t outsz)
{
	char scope[PORTEN_SCOPE_STRING_MAX + 1], orgno[10];

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		const struct hint *h = &hints[i];

		if ((h->error != NULL && strcmp(h->error, p->error) != 0) ||
		    strstr(p->description, h->text) == NULL)
			continue;
		switch (h->arg) {
		case H_NONE:
			fill(out, outsz, h->fmt, NULL, NULL);
			break;
		case H_CLIENT:
			fill(out, outsz, h->fmt, c->have_cr && c->cr.client_id ? c->cr.client_id : "CLIENT", NULL);
			break;
		case H_CLIENT_SCOPE:
			scope_in_text(p->description, "for client, ", scope, sizeof(scope));
			fill(out, outsz, h->fmt, c->have_cr && c->cr.client_id ? c->cr.client_id : "CLIENT", scope);
			break;
		case H_SCOPE_ORGNO:
			scope_in_text(p->description, "the scope ", scope, sizeof(scope));
			token_orgno(c, orgno);
			fill(out, outsz, h->fmt, scope, orgno);
			break;
		case H_CONSUMER_ORG:
			fill(out, outsz, h->fmt, c->o != NULL && c->o->consumer_org ? c->o->consumer_org : "CONSUMER",
			     NULL);
			break;
		}
		return 1;
	}
	/* Register answers ({kode, melding}) and plain HTTP statuses. */
	switch (p->status) {
	case 401:
		snprintf(out, outsz, "the register did not accept the token: is it from the Maskinporten "
		         "the register trusts (--authz), and still valid?");
		return 1;
	case 403:
		if (strstr(p->error, "FREG") != NULL || strcmp(p->error, "forbidden") == 0) {
			snprintf(out, outsz, "the token's scope or your organisation's rights package does "
			         "not cover this: check --scope and ask Skatteetaten about the package");
			return 1;
		}
		break;
	case 429:
		snprintf(out, outsz, "too many requests: wait and try again");
		return 1;
	}
	return 0;
}

int
consumer_refused(const struct consumer *c, const struct porten_client_problem *p)
{
	char hint[PORTEN_SCOPE_STRING_MAX + 512];

	if (refusal_hint(c, p, hint, sizeof(hint)))
		return consumer_fail(c, PORTEN_EXIT_FAILURE, "%ld %s: %s; %s", p->status, p->error,
		                     p->description, hint);
	return consumer_fail(c, PORTEN_EXIT_FAILURE, "%ld %s: %s", p->status, p->error, p->description);
}

static int
valid_url(const char *u)
{
	return u != NULL && (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0);
}

/* Whether the host of URL u is this machine: localhost, 127.0.0.0/8 or ::1. */
static int
loopback_host(const char *u)
{
	const char *p = strstr(u, "://"), *at, *end;
	char host[256];
	unsigned char a[16];
	size_t n;

	if (p == NULL)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?#");
	for (at = p; at < end; at++)               /* user:password@ */
		if (*at == '@')
			p = at + 1;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (close == NULL)
			return 0;
		n = (size_t)(close - p - 1);
		p++;
	} else {
		const char *colon = memchr(p, ':', (size_t)(end - p));

		n = (size_t)((colon != NULL ? colon : end) - p);
	}
	if (n == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, p, n);
	host[n] = '\0';
	if (host[n - 1] == '.')                    /* localhost. */
		host[n - 1] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1)
		return memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	return 0;
}

/* One line when the bearer token (or the grant) would cross the network in clear text. */
static void
warn_plain_http(const struct consumer *c, const char *option, const char *u)
{
	if (u != NULL && strncmp(u, "http://", 7) == 0 && !loopback_host(u))
		fprintf(stderr, "%s: warning: %s %s is plain HTTP to another machine: tokens cross the network "
		        "unencrypted (use https:// unless a proxy you trust is in between)\n", c->prog, option, u);
}

static int
json_array_has(const json_t *a, const char *s)
{
	size_t i;
	const json_t *v;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

/* The sandbox consumer named by sel (name, orgno or package), or the first. */
static const json_t *
pick_consumer(const json_t *sandbox, const char *sel)
{
	const json_t *list = json_object_get(sandbox, "consumers"), *e;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return NULL;
	if (sel == NULL)
		return json_array_get(list, 0);
	json_array_foreach(list, i, e) {
		const char *name = porten_json_str(e, "name"), *orgno = porten_json_str(e, "orgno");

		if ((name != NULL && strcasecmp(name, sel) == 0) || (orgno != NULL && strcmp(orgno, sel) == 0) ||
		    json_array_has(json_object_get(e, "packages"), sel))
			return e;
	}
	return NULL;
}

/* The credentials a failed load left: the line and the exit status. */
static int
credentials_failure(const struct consumer *c, int r, const char *err)
{
	if (r == PORTEN_ERR_USAGE)
		return consumer_fail(c, PORTEN_EXIT_USAGE, "%s", err);
	return consumer_fail(c, PORTEN_EXIT_CONFIG, "%s", err[0] ? err : porten_strerror(r));
}

int
consumer_credentials(const char *prog, const struct consumer_opts *o, struct porten_client_credentials *cr)
{
	const struct consumer c = { .prog = prog, .o = o };
	int ways = (o->p12 != NULL) + (o->cert != NULL) + (o->kid != NULL || (o->jwk != NULL && o->cert == NULL));
	char err[512];
	int r;

	if (ways != 1 || (o->p12 == NULL && o->key == NULL && o->jwk == NULL))
		return consumer_fail(&c, PORTEN_EXIT_USAGE, "--client-id needs one of --p12 FILE, --cert PEM "
		                     "with --key PEM, or --jwk FILE (or --key) with --kid");
	if (o->p12 != NULL && (o->key != NULL || o->jwk != NULL || o->kid != NULL))
		return consumer_fail(&c, PORTEN_EXIT_USAGE, "--p12 holds the key and certificate: "
		                     "give it without --key, --jwk or --kid");
	if (o->key != NULL && o->jwk != NULL)
		return consumer_fail(&c, PORTEN_EXIT_USAGE, "give the private key once: --key or --jwk");
	err[0] = '\0';
	if (o->p12 != NULL) {
		r = porten_client_credentials_from_p12(cr, o->client_id, o->p12, o->p12_password, err, sizeof(err));
		if (r == PORTEN_ERR_PASSWORD) {
			porten_client_credentials_clear(cr);
			return consumer_fail(&c, PORTEN_EXIT_CONFIG, "%s (--p12-password)", err);
		}
	} else {
		r = porten_client_credentials_load(cr, o->client_id, o->cert, o->key ? o->key : o->jwk, o->kid,
		                                   err, sizeof(err));
	}
	if (r != 0) {
		porten_client_credentials_clear(cr);
		return credentials_failure(&c, r, err);
	}
	return 0;
}

static int
load_credentials(struct consumer *c)
{
	const struct consumer_opts *o = c->o;
	char err[512];
	int r;

	if (o->client_id != NULL) {
		if ((r = consumer_credentials(c->prog, o, &c->cr)) != 0)
			return r;
		c->have_cr = 1;
		return 0;
	} else if (o->p12 != NULL || o->cert != NULL || o->key != NULL || o->jwk != NULL || o->kid != NULL) {
		return consumer_fail(c, PORTEN_EXIT_USAGE, "--%s needs --client-id (the client the key or "
		                     "certificate is registered on)", o->p12 ? "p12" : o->cert ? "cert" :
		                     o->key ? "key" : o->jwk ? "jwk" : "kid");
	} else if (c->entry != NULL) {
		const char *which = o->use_client ? o->use_client : "cert";
		const json_t *e;

		if (strcmp(which, "cert") != 0 && strcmp(which, "key") != 0)
			return consumer_fail(c, PORTEN_EXIT_USAGE, "--client must be cert or key, got '%s'", which);
		e = json_object_get(c->entry, strcmp(which, "cert") == 0 ? "certificate_client" : "key_client");
		if (e == NULL)
			return consumer_fail(c, PORTEN_EXIT_CONFIG, "the sandbox consumer '%s' has no %s client",
			                     porten_json_str(c->entry, "name"), which);
		r = porten_client_credentials_from_json(&c->cr, e, err, sizeof(err));
		if (r == 0 && c->cr.orgno == NULL && porten_json_str(c->entry, "orgno") != NULL)
			c->cr.orgno = strdup(porten_json_str(c->entry, "orgno"));
		if (r == 0 && c->cr.scopes == NULL && json_is_array(json_object_get(c->entry, "scopes")))
			c->cr.scopes = json_incref(json_object_get(c->entry, "scopes"));
	} else {
		return consumer_fail(c, PORTEN_EXIT_USAGE, "no credentials: give --sandbox FILE (of 'porten up'), "
		                     "--token JWT, or --client-id with --p12, --cert and --key, or --jwk and --kid");
	}
	if (r != 0)
		return credentials_failure(c, r, err);
	c->have_cr = 1;
	return 0;
}

int
consumer_setup(struct consumer *c, const char *prog, const struct consumer_opts *o, unsigned need)
{
	struct porten_client_config cc = { 0 };
	const char *path = o->sandbox;
	char err[512];
	int r;

	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->o = o;
	if ((r = opts_log_level(prog, o->log_level, PORTEN_LOG_WARN)) != 0)
		return r;
	if (path == NULL && access(DEFAULT_SANDBOX, F_OK) == 0)
		path = DEFAULT_SANDBOX;
	if (path != NULL && (r = porten_sandbox_load(path, &c->sandbox, err, sizeof(err))) != 0)
		return consumer_fail(c, PORTEN_EXIT_CONFIG, "%s", err);
	if (c->sandbox != NULL && (c->entry = pick_consumer(c->sandbox, o->consumer)) == NULL && o->consumer != NULL)
		return consumer_fail(c, PORTEN_EXIT_USAGE, "the sandbox has no consumer '%s' (by name, "
		                     "organisation number or package)", o->consumer);
	if (o->consumer != NULL && c->sandbox == NULL)
		return consumer_fail(c, PORTEN_EXIT_USAGE, "--consumer picks a consumer of a sandbox: give --sandbox FILE");
	c->authz_url = o->authz != NULL ? o->authz : c->sandbox != NULL ? porten_json_str(c->sandbox, "authz_url") : NULL;
	c->freg_url = o->freg != NULL ? o->freg : c->sandbox != NULL ? porten_json_str(c->sandbox, "freg_url") : NULL;
	if (o->authz != NULL && !valid_url(o->authz))
		return consumer_fail(c, PORTEN_EXIT_USAGE, "--authz must be an http:// or https:// URL, got '%s'", o->authz);
	if (o->freg != NULL && !valid_url(o->freg))
		return consumer_fail(c, PORTEN_EXIT_USAGE, "--freg must be an http:// or https:// URL, got '%s'", o->freg);
	warn_plain_http(c, "--authz", o->authz);
	warn_plain_http(c, "--freg", o->freg);
	if ((need & CONSUMER_NEED_FREG) && !valid_url(c->freg_url))
		return consumer_fail(c, PORTEN_EXIT_USAGE, "no register: give --freg URL or --sandbox FILE (or run "
		                     "'porten up' in this directory first)");
	if (o->consumer_org != NULL && !porten_orgno_valid(o->consumer_org, strlen(o->consumer_org)))
		return consumer_fail(c, PORTEN_EXIT_USAGE, "--consumer-org '%s' is not an organisation number "
		                     "(9 digits with a valid check digit)", o->consumer_org);
	if ((need & CONSUMER_NEED_AUTHZ) && o->token == NULL) {
		if (!valid_url(c->authz_url))
			return consumer_fail(c, PORTEN_EXIT_USAGE, "no authorization server: give --authz URL or "
			                     "--sandbox FILE (or run 'porten up' in this directory first)");
		if ((r = load_credentials(c)) != 0)
			return r;
	}
	cc.ca_bundle = o->cacert != NULL ? o->cacert : c->sandbox != NULL ? porten_json_str(c->sandbox, "ca_bundle") : NULL;
	if (cc.ca_bundle != NULL && access(cc.ca_bundle, R_OK) != 0)
		return consumer_fail(c, PORTEN_EXIT_CONFIG, "cannot read the CA bundle '%s'", cc.ca_bundle);
	cc.timeout_ms = o->timeout > 0 ? (long)o->timeout * 1000L : 0;
	if ((r = porten_client_new(&cc, &c->client)) != 0)
		return consumer_fail(c, PORTEN_EXIT_FAILURE, "cannot start the HTTP client: %s", porten_strerror(r));
	return 0;
}

void
consumer_close(struct consumer *c)
{
	porten_client_free(c->client);
	porten_client_credentials_clear(&c->cr);
	json_decref(c->sandbox);
	memset(c, 0, sizeof(*c));
}

const char *
consumer_package(const struct consumer *c)
{
	const json_t *p = c->entry != NULL ? json_object_get(c->entry, "packages") : NULL;

	return json_is_array(p) && json_is_string(json_array_get(p, 0)) ? json_string_value(json_array_get(p, 0)) : NULL;
}

const char *
consumer_package_scope(const struct consumer *c, const char *package)
{
	int p = freg_pkg_by_name(package);

	if (p < 0)
		return NULL;
	return freg_pkg((enum freg_pkg)p)->scope;
}

void
consumer_package_names(char *out, size_t outsz, unsigned res, const char *last)
{
	int idx[FREG_PKG_COUNT], n = 0;
	size_t len = 0;

	for (int i = 0; i < FREG_PKG_COUNT; i++)
		if (res == 0 || (freg_pkg((enum freg_pkg)i)->resources & res))
			idx[n++] = i;
	out[0] = '\0';
	for (int k = 0; k < n && len < outsz; k++) {
		const char *sep = k == 0 ? "" : k == n - 1 && last != NULL ? last : ", ";
		int w = snprintf(out + len, outsz - len, "%s%s", sep, freg_pkg((enum freg_pkg)idx[k])->name);

		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* The cache file's key and directory for scope; 0 when the cache is in use. A directory
 * others could write to is not used: one warning line, never an error. */
static int
cache_locate(struct consumer *c, const struct porten_grant_params *gp, char *dir, size_t dirsz,
             char key[PORTEN_TOKEN_CACHE_KEY_LEN + 1])
{
	char why[256];
	int r;

	if (c->o->no_cache || !c->have_cr)
		return -1;
	if (porten_token_cache_dir(c->o->cache_dir, dir, dirsz) != 0)
		return -1;
	r = porten_token_cache_dir_check(dir, why, sizeof(why));
	if (r != 0 && r != PORTEN_ERR_NOT_FOUND) {
		if (!c->cache_warned)
			fprintf(stderr, "%s: warning: the token cache '%s' is not used: %s (it must be a directory "
			        "of yours that only you can write to; or give --cache-dir or --no-cache)\n", c->prog,
			        dir, why);
		c->cache_warned = 1;
		return -1;
	}
	return porten_token_cache_key(c->authz_url, &c->cr, gp, key) == 0 ? 0 : -1;
}

static void
grant_params(const struct consumer *c, const char *scope, struct porten_grant_params *gp)
{
	memset(gp, 0, sizeof(*gp));
	gp->scope = scope;
	gp->consumer_org = c->o->consumer_org;
	gp->resource = c->o->resource;
}

/* Refuses to sign with a certificate that is expired or not yet valid: one clear line
 * instead of Maskinporten's MP-120. */
static int
check_certificate(const struct consumer *c, int64_t now)
{
	int64_t nb, na;
	char when[32];

	if (porten_client_credentials_cert(&c->cr, &nb, &na, NULL) != 0)
		return 0;
	if (now > na) {
		porten_iso8601(na, when, sizeof(when));
		return consumer_fail(c, PORTEN_EXIT_CONFIG, "the certificate of client '%s' expired at %s "
		                     "(notAfter); get a new enterprise certificate and sign with it",
		                     c->cr.client_id, when);
	}
	if (now < nb) {
		porten_iso8601(nb, when, sizeof(when));
		return consumer_fail(c, PORTEN_EXIT_CONFIG, "the certificate of client '%s' is not valid "
		                     "before %s (notBefore); check this machine's clock", c->cr.client_id, when);
	}
	return 0;
}

static json_t *
token_answer(const struct porten_client_token *tok, int64_t expires_in)
{
	return json_pack("{s:s,s:s,s:I,s:s?}", "access_token", tok->access_token, "token_type",
	                 tok->token_type ? tok->token_type : "Bearer", "expires_in", (json_int_t)expires_in,
	                 "scope", tok->scope);
}

int
consumer_token(struct consumer *c, const char *scope, char **token, json_t **answer)
{
	struct porten_client_token tok = { 0 };
	struct porten_client_problem prob;
	struct porten_grant_params gp;
	char dir[4096], key[PORTEN_TOKEN_CACHE_KEY_LEN + 1];
	int64_t now = porten_now(), expires_at;
	int r, cached;

	*token = NULL;
	c->expires_in = 0;
	if (answer != NULL)
		*answer = NULL;
	if (c->o->token != NULL) {
		if ((*token = strdup(c->o->token)) == NULL ||
		    (answer != NULL && (*answer = json_pack("{s:s,s:s}", "access_token", c->o->token,
		                                            "token_type", "Bearer")) == NULL)) {
			consumer_token_free(*token);
			*token = NULL;
			return consumer_fail(c, PORTEN_EXIT_FAILURE, "out of memory");
		}
		return 0;
	}
	if (scope == NULL || *scope == '\0')
		return consumer_fail(c, PORTEN_EXIT_USAGE, "no scope: give --scope");
	grant_params(c, scope, &gp);
	cached = cache_locate(c, &gp, dir, sizeof(dir), key) == 0;
	if (cached && porten_token_cache_get(dir, key, now, c->min_left_s, &tok, &expires_at) == 0) {
		porten_log(PORTEN_LOG_INFO, "%s: token for '%s' from the cache (%lld s left)", c->prog, scope,
		           (long long)(expires_at - now));
		tok.expires_in = expires_at - now;
	} else {
		if ((r = check_certificate(c, now)) != 0)
			return r;
		r = porten_client_get_token_params(c->client, c->authz_url, &c->cr, &gp, &tok, &prob);
		if (r == PORTEN_ERR_REFUSED)
			return consumer_refused(c, &prob);
		if (r != 0)
			return consumer_client_failure(c, r);
		if (cached && (r = porten_token_cache_put(dir, key, &tok, now)) != 0)
			porten_log(PORTEN_LOG_INFO, "%s: token not cached in '%s': %s", c->prog, dir, porten_strerror(r));
	}
	if (answer != NULL && (*answer = token_answer(&tok, tok.expires_in)) == NULL) {
		porten_client_token_clear(&tok);
		return consumer_fail(c, PORTEN_EXIT_FAILURE, "out of memory");
	}
	*token = tok.access_token;
	tok.access_token = NULL;
	c->expires_in = tok.expires_in > 0 ? tok.expires_in : 0;
	porten_client_token_clear(&tok);
	return 0;
}

void
consumer_answer_free(json_t *answer)
{
	porten_json_wipe_string(answer, "access_token");
	json_decref(answer);
}

void
consumer_token_free(char *token)
{
	if (token != NULL) {
		porten_wipe(token, strlen(token));
		free(token);
	}
}

int
consumer_request(struct consumer *c, const char *scope, char **token, int (*renew)(void *arg), void *arg,
                 int quiet_unavailable, const struct porten_client_request *tmpl,
                 struct porten_client_response *resp)
{
	struct porten_client_request req;
	int r;

	for (int attempt = 0;; attempt++) {
		porten_client_response_clear(resp);
		if (renew != NULL)
			r = renew(arg);
		else
			r = *token == NULL ? consumer_token(c, scope, token, NULL) : 0;
		if (r != 0)
			return r;
		req = *tmpl;
		req.bearer = *token;
		if ((r = porten_client_request(c->client, &req, resp)) != 0) {
			porten_client_response_clear(resp);
			if (r == PORTEN_ERR_UNAVAILABLE && quiet_unavailable)
				return r;
			return consumer_client_failure(c, r);
		}
		if (resp->status != 401 || attempt > 0 || c->o->token != NULL)
			return 0;
		/* expired or revoked: once more with a fresh one */
		consumer_token_free(*token);
		*token = NULL;
		consumer_token_forget(c, scope);
	}
}

void
consumer_token_forget(struct consumer *c, const char *scope)
{
	struct porten_grant_params gp;
	char dir[4096], key[PORTEN_TOKEN_CACHE_KEY_LEN + 1];

	if (c->o->token != NULL || scope == NULL)
		return;
	grant_params(c, scope, &gp);
	if (cache_locate(c, &gp, dir, sizeof(dir), key) == 0)
		(void)porten_token_cache_drop(dir, key);
}
