/* What porten token, feed and person share: which servers, which credentials, which
 * token, and how a failure is told on one line.
 *
 * A command embeds struct consumer_opts in its option struct and lists CONSUMER_OPTS in
 * its option table; consumer_setup() then resolves the sandbox (--sandbox, or
 * ./porten-sandbox/sandbox.json when present), the consumer (--consumer picks one of the
 * sandbox's consumers by name, organisation number or package), the credentials (the
 * sandbox's, or --client-id with --p12, --cert + --key, or --jwk/--key + --kid) and the
 * HTTP client. consumer_token() returns an access token for a scope, from the cache when
 * a fresh one is there. */
#ifndef PORTEN_CONSUMER_H
#define PORTEN_CONSUMER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "opts.h"
#include "porten/client.h"

struct consumer_opts {
	const char *sandbox, *consumer, *use_client, *authz, *freg, *cacert;
	const char *client_id, *p12, *p12_password, *cert, *key, *jwk, *kid;
	const char *token, *consumer_org, *resource, *cache_dir, *log_level;
	int no_cache, timeout;
};

/* Option-table entries of struct consumer_opts member m of command struct T. */
#define CONSUMER_OPT(T, m, name, arg, type, f, help) \
	{ name, arg, type, offsetof(T, m.f), help, 0, 0 }
#define CONSUMER_OPTS(T, m) \
	CONSUMER_OPT(T, m, "authz", "URL", OPT_STRING, authz, "base URL of the authorization server (default: the sandbox's)"), \
	CONSUMER_OPT(T, m, "cacert", "PEM", OPT_STRING, cacert, "CA bundle to trust (default: the sandbox's, else the system's)"), \
	CONSUMER_OPT(T, m, "cache-dir", "DIR", OPT_STRING, cache_dir, "token cache (default $XDG_CACHE_HOME/porten or ~/.cache/porten)"), \
	CONSUMER_OPT(T, m, "cert", "PEM", OPT_STRING, cert, "enterprise certificate (leaf or chain) of --client-id, with --key"), \
	CONSUMER_OPT(T, m, "client", "cert|key", OPT_STRING, use_client, "which sandbox client signs: the certificate one (default) or the registered-key one"), \
	CONSUMER_OPT(T, m, "client-id", "ID", OPT_STRING, client_id, "the Maskinporten client (instead of the sandbox's)"), \
	CONSUMER_OPT(T, m, "consumer", "NAME", OPT_STRING, consumer, "sandbox consumer by name, organisation number or package (default: the first)"), \
	CONSUMER_OPT(T, m, "consumer-org", "ORGNO", OPT_STRING, consumer_org, "act as supplier for this organisation (delegation)"), \
	CONSUMER_OPT(T, m, "freg", "URL", OPT_STRING, freg, "base URL of the register (default: the sandbox's)"), \
	CONSUMER_OPT(T, m, "jwk", "FILE", OPT_STRING, jwk, "private key as a JWK file, with --kid unless it carries one"), \
	CONSUMER_OPT(T, m, "key", "PEM", OPT_STRING, key, "private key of --client-id (PEM, or a private JWK)"), \
	CONSUMER_OPT(T, m, "kid", "KID", OPT_STRING, kid, "sign with the registered key KID instead of a certificate"), \
	CONSUMER_OPT(T, m, "log-level", "LEVEL", OPT_STRING, log_level, "error, warn, info or debug (default warn)"), \
	CONSUMER_OPT(T, m, "no-cache", NULL, OPT_FLAG, no_cache, "neither read nor write the token cache"), \
	CONSUMER_OPT(T, m, "p12", "FILE", OPT_STRING, p12, "enterprise certificate and key as PKCS#12 (password: --p12-password)"), \
	CONSUMER_OPT(T, m, "p12-password", "PW", OPT_STRING, p12_password, "password of --p12 (PORTEN_P12_PASSWORD keeps it out of ps)"), \
	CONSUMER_OPT(T, m, "resource", "URI", OPT_STRING, resource, "audience of the token (RFC 8707)"), \
	CONSUMER_OPT(T, m, "sandbox", "FILE", OPT_STRING, sandbox, "sandbox.json of porten up (default ./porten-sandbox/sandbox.json if present)"), \
	CONSUMER_OPT(T, m, "timeout", "S", OPT_INT, timeout, "seconds to wait for each answer (default 30)"), \
	CONSUMER_OPT(T, m, "token", "JWT", OPT_STRING, token, "use this access token; no grant is made (PORTEN_TOKEN keeps it out of ps)")

/* Needs of a command, for consumer_setup(). */
#define CONSUMER_NEED_AUTHZ 1u       /* an authorization server and credentials (or --token) */
#define CONSUMER_NEED_FREG 2u        /* the register's URL */

struct consumer {
	const char *prog;                /* "porten feed": the prefix of every message */
	const struct consumer_opts *o;
	porten_client *client;
	json_t *sandbox;                 /* the parsed sandbox.json, or NULL */
	const json_t *entry;             /* the chosen sandbox consumer, or NULL */
	const char *authz_url, *freg_url;
	struct porten_client_credentials cr;
	int have_cr;
	int min_left_s;                  /* a cached token must have more than this left (s) */
	int64_t expires_in;              /* of the last token consumer_token() gave: s left, 0 unknown */
	int cache_warned;                /* the line about an unusable cache was printed */
};

/* Resolves servers and credentials. Returns 0 or an exit status (its line printed). */
int consumer_setup(struct consumer *c, const char *prog, const struct consumer_opts *o, unsigned need);
void consumer_close(struct consumer *c);
/* Credentials from o's --client-id with --p12 (--p12-password), --cert + --key, or --jwk
 * (or --key) with --kid, into cr. 0, or an exit status after one line "<prog>: ...". */
int consumer_credentials(const char *prog, const struct consumer_opts *o, struct porten_client_credentials *cr);

/* The package of the chosen sandbox consumer (its first), or NULL. */
const char *consumer_package(const struct consumer *c);
/* The scope for a package: folkeregister:deling/<package>, or the scope of that package
 * the credentials are known to hold. NULL for an unknown package. */
const char *consumer_package_scope(const struct consumer *c, const char *package);

/* The names of the rights packages that offer any of the resource bits res (0: all
 * packages), in the register's order, separated by ", ", and by last before the final one
 * when last is not NULL ("a, b or c"). */
void consumer_package_names(char *out, size_t outsz, unsigned res, const char *last);

/* An access token for scope (space-separated), honouring --token, --consumer-org,
 * --resource and the cache (a cached token needs more than max(the cache's rule,
 * c->min_left_s) seconds left). *token is malloc'd (wipe and free with
 * consumer_token_free); c->expires_in is set to its seconds left (0: unknown). answer,
 * when not NULL, receives the token response as JSON (from the cache too; free it with
 * consumer_answer_free). Returns 0 or an exit status (its line printed, with what to do). */
int consumer_token(struct consumer *c, const char *scope, char **token, json_t **answer);
void consumer_token_free(char *token);
/* Wipes the access token of a token response and frees it. */
void consumer_answer_free(json_t *answer);
/* Drops a cached token for scope (after a 401 from the register). */
void consumer_token_forget(struct consumer *c, const char *scope);

/* One request (tmpl, with *token as its bearer) for scope; a 401 drops the token, and its
 * cached copy, and tries once more with a fresh one (not with --token). Before each
 * attempt the token comes from renew(arg) when given (it keeps *token current), else from
 * consumer_token() when *token is NULL. Returns 0 with resp filled (any status, a second
 * 401 too); what renew or consumer_token returned when not 0; for a transport failure
 * PORTEN_ERR_UNAVAILABLE (no line printed; porten_client_errmsg says what) when
 * quiet_unavailable, else consumer_client_failure()'s status. resp is empty unless 0. */
int consumer_request(struct consumer *c, const char *scope, char **token, int (*renew)(void *arg), void *arg,
                     int quiet_unavailable, const struct porten_client_request *tmpl,
                     struct porten_client_response *resp);

/* Messages: "<prog>: <text>" on stderr; returns status. */
int consumer_fail(const struct consumer *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The exit status for a failed porten_client call (r a porten_err): 4 unreachable or not
 * trusted, 3 a local file, else 1. */
int consumer_client_status(int r);
/* Its message: the client's last error (or r's text), for an untrusted certificate with
 * what to do. Returns buf. */
const char *consumer_client_message(porten_client *client, int r, char *buf, size_t bufsz);
/* The line and exit status for a failed porten_client call (r a porten_err). */
int consumer_client_failure(const struct consumer *c, int r);
/* The line and exit status (1) for a refusal: status, error code, description and, for
 * Maskinporten and register errors that have one, what to do. */
int consumer_refused(const struct consumer *c, const struct porten_client_problem *p);

#endif
