/* Servers, credentials and tokens of the consumer commands (consumer.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "consumer.h"
#include "porten/error.h"
#include "porten/freg.h"
#include "porten/key.h"
#include "porten/log.h"

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
consumer_client_failure(const struct consumer *c, int r)
{
	const char *msg = c->client != NULL ? porten_client_errmsg(c->client) : "";

	if (*msg == '\0')
		msg = porten_strerror(r);
	switch (r) {
	case PORTEN_ERR_UNAVAILABLE:
		return consumer_fail(c, PORTEN_EXIT_UNAVAILABLE, "%s; is the server running?", msg);
	case PORTEN_ERR_CERT:
		return consumer_fail(c, PORTEN_EXIT_UNAVAILABLE, "%s; give the CA that issued it with --cacert", msg);
	case PORTEN_ERR_IO:
		return consumer_fail(c, PORTEN_EXIT_CONFIG, "%s", msg);
	}
	return consumer_fail(c, PORTEN_EXIT_FAILURE, "%s", msg);
}

int
consumer_refused(const struct consumer *c, const struct porten_client_problem *p)
{
	return consumer_fail(c, PORTEN_EXIT_FAILURE, "%ld %s: %s", p->status, p->error, p->description);
}

static const char *
json_str(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

static int
valid_url(const char *u)
{
	return u != NULL && (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0);
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
		const char *name = json_str(e, "name"), *orgno = json_str(e, "orgno");

		if ((name != NULL && strcasecmp(name, sel) == 0) || (orgno != NULL && strcmp(orgno, sel) == 0) ||
		    json_array_has(json_object_get(e, "packages"), sel))
			return e;
	}
	return NULL;
}

static int
load_credentials(struct consumer *c)
{
	const struct consumer_opts *o = c->o;
	char err[512];
	int r;

	if (o->client_id != NULL) {
		int ways = (o->p12 != NULL) + (o->cert != NULL) + (o->kid != NULL || (o->jwk != NULL && o->cert == NULL));

		if (ways != 1 || (o->p12 == NULL && o->key == NULL && o->jwk == NULL))
			return consumer_fail(c, PORTEN_EXIT_USAGE, "--client-id needs one of --p12 FILE, --cert PEM "
			                     "with --key PEM, or --jwk FILE (or --key) with --kid");
		if (o->p12 != NULL) /* PKCS#12: the token command's work, next */
			return consumer_fail(c, PORTEN_EXIT_USAGE, "--p12 is not supported yet");
		r = porten_client_credentials_load(&c->cr, o->client_id, o->cert, o->key ? o->key : o->jwk,
		                                   o->kid, err, sizeof(err));
	} else if (c->entry != NULL) {
		const char *which = o->use_client ? o->use_client : "cert";
		const json_t *e;

		if (strcmp(which, "cert") != 0 && strcmp(which, "key") != 0)
			return consumer_fail(c, PORTEN_EXIT_USAGE, "--client must be cert or key, got '%s'", which);
		e = json_object_get(c->entry, strcmp(which, "cert") == 0 ? "certificate_client" : "key_client");
		if (e == NULL)
			return consumer_fail(c, PORTEN_EXIT_CONFIG, "the sandbox consumer '%s' has no %s client",
			                     json_str(c->entry, "name"), which);
		r = porten_client_credentials_from_json(&c->cr, e, err, sizeof(err));
		if (r == 0 && c->cr.orgno == NULL && json_str(c->entry, "orgno") != NULL)
			c->cr.orgno = strdup(json_str(c->entry, "orgno"));
		if (r == 0 && c->cr.scopes == NULL && json_is_array(json_object_get(c->entry, "scopes")))
			c->cr.scopes = json_incref(json_object_get(c->entry, "scopes"));
	} else {
		return consumer_fail(c, PORTEN_EXIT_USAGE, "no credentials: give --sandbox FILE (of 'porten up'), "
		                     "--token JWT, or --client-id with --p12, --cert and --key, or --jwk and --kid");
	}
	if (r == PORTEN_ERR_USAGE)
		return consumer_fail(c, PORTEN_EXIT_USAGE, "%s", err);
	if (r != 0)
		return consumer_fail(c, PORTEN_EXIT_CONFIG, "%s", err[0] ? err : porten_strerror(r));
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
	if (o->log_level != NULL) {
		int lvl = porten_log_level_from_name(o->log_level);

		if (lvl < 0)
			return consumer_fail(c, PORTEN_EXIT_USAGE, "--log-level must be error, warn, info or debug");
		porten_log_set_level((enum porten_log_level)lvl);
	} else
		porten_log_set_level(PORTEN_LOG_WARN);
	if (path == NULL && access(DEFAULT_SANDBOX, F_OK) == 0)
		path = DEFAULT_SANDBOX;
	if (path != NULL && (r = porten_sandbox_load(path, &c->sandbox, err, sizeof(err))) != 0)
		return consumer_fail(c, PORTEN_EXIT_CONFIG, "%s", err);
	if (c->sandbox != NULL && (c->entry = pick_consumer(c->sandbox, o->consumer)) == NULL && o->consumer != NULL)
		return consumer_fail(c, PORTEN_EXIT_USAGE, "the sandbox has no consumer '%s' (by name, "
		                     "organisation number or package)", o->consumer);
	if (o->consumer != NULL && c->sandbox == NULL)
		return consumer_fail(c, PORTEN_EXIT_USAGE, "--consumer picks a consumer of a sandbox: give --sandbox FILE");
	c->authz_url = o->authz != NULL ? o->authz : c->sandbox != NULL ? json_str(c->sandbox, "authz_url") : NULL;
	c->freg_url = o->freg != NULL ? o->freg : c->sandbox != NULL ? json_str(c->sandbox, "freg_url") : NULL;
	if (o->authz != NULL && !valid_url(o->authz))
		return consumer_fail(c, PORTEN_EXIT_USAGE, "--authz must be an http:// or https:// URL, got '%s'", o->authz);
	if (o->freg != NULL && !valid_url(o->freg))
		return consumer_fail(c, PORTEN_EXIT_USAGE, "--freg must be an http:// or https:// URL, got '%s'", o->freg);
	if ((need & CONSUMER_NEED_FREG) && !valid_url(c->freg_url))
		return consumer_fail(c, PORTEN_EXIT_USAGE, "no register: give --freg URL or --sandbox FILE (or run "
		                     "'porten up' in this directory first)");
	if ((need & CONSUMER_NEED_AUTHZ) && o->token == NULL) {
		if (!valid_url(c->authz_url))
			return consumer_fail(c, PORTEN_EXIT_USAGE, "no authorization server: give --authz URL or "
			                     "--sandbox FILE (or run 'porten up' in this directory first)");
		if ((r = load_credentials(c)) != 0)
			return r;
	}
	cc.ca_bundle = o->cacert != NULL ? o->cacert : c->sandbox != NULL ? json_str(c->sandbox, "ca_bundle") : NULL;
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

int
consumer_token(struct consumer *c, const char *scope, char **token, json_t **answer)
{
	struct porten_client_token tok = { 0 };
	struct porten_client_problem prob;
	int r;

	*token = NULL;
	if (answer != NULL)
		*answer = NULL;
	if (c->o->token != NULL) {
		if ((*token = strdup(c->o->token)) == NULL)
			return consumer_fail(c, PORTEN_EXIT_FAILURE, "out of memory");
		return 0;
	}
	r = porten_client_get_token(c->client, c->authz_url, &c->cr, scope, &tok, &prob);
	if (r == PORTEN_ERR_REFUSED)
		return consumer_refused(c, &prob);
	if (r != 0)
		return consumer_client_failure(c, r);
	if (answer != NULL)
		*answer = json_pack("{s:s,s:s,s:I,s:s?}", "access_token", tok.access_token, "token_type",
		                    tok.token_type ? tok.token_type : "Bearer", "expires_in", (json_int_t)tok.expires_in,
		                    "scope", tok.scope);
	*token = tok.access_token;
	tok.access_token = NULL;
	porten_client_token_clear(&tok);
	return 0;
}

void
consumer_token_free(char *token)
{
	if (token != NULL) {
		porten_wipe(token, strlen(token));
		free(token);
	}
}

void
consumer_token_forget(struct consumer *c, const char *scope)
{
	(void)c;
	(void)scope;
}
