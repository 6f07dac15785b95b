/* porten admin: a command-line client of the administration API of porten authz
 * (docs/admin-api.md). Every action gets a token for exactly the scope it needs, with the
 * credentials of sandbox.json's "admin" entry or of the flags, then makes one request.
 *
 *   porten admin [connection options] GROUP ACTION [ARGS] [options]
 *
 * Connection options may also follow the action (except where the action has an option
 * of the same name: set-keys --kid). Exit status: 0 done, 1 refused by the server (its
 * error on one line), 2 usage, 3 bad input file, 4 server unreachable. */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "consumer.h"
#include "opts.h"
#include "porten/buf.h"
#include "porten/client.h"
#include "porten/error.h"
#include "porten/ident.h"
#include "porten/json.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/log.h"

#define PROG "porten admin"
#define DEFAULT_SANDBOX "porten-sandbox/sandbox.json"
#define URL_MAX (PORTEN_HTTP_PATH_MAX + PORTEN_HTTP_QUERY_MAX)
#define ADMIN_TABLE_MAX 48          /* options of one action plus the connection options */
#define ADMIN_ARGS_MAX 8            /* positional arguments of one action */

#define SC_SCOPES_WRITE "idporten:scopes.write"
#define SC_DCR_READ "idporten:dcr.read"
#define SC_DCR_WRITE "idporten:dcr.write"
#define SC_DCR_MODIFY "idporten:dcr.modify"
#define SC_DCR_SUPPLIER "idporten:dcr.supplier"
#define SC_DELEGATIONS_WRITE "porten:delegations.write"
#define SC_ADMIN "porten:admin"

struct admin_opts {
	/* connection */
	const char *sandbox, *authz, *client_id, *cert, *kid, *key, *cacert, *token, *log_level;
	int json, timeout;
	/* actions */
	const char *description, *visibility, *delegation_source, *active, *state, *name;
	const char *client_orgno, *after, *actor, *consumer, *supplier, *key_kid;
	int inactive, accessible_for_all, no_accessible_for_all, at_max_age, lifetime;
	int publish_ahead, limit;
	struct opt_list integration_type, scope;
};

#define O(f) offsetof(struct admin_opts, f)

/* Connection options, sorted; also accepted after the action (hidden there). */
static const struct opt conn_opts[] = {
	{ "authz", "URL", OPT_STRING, O(authz), "base URL of porten authz (default: the sandbox's authz_url)", 0, 0 },
	{ "cacert", "PEM", OPT_STRING, O(cacert), "CA bundle to trust (default: the sandbox's, else the system's)", 0, 0 },
	{ "cert", "PEM", OPT_STRING, O(cert), "enterprise certificate (leaf or chain) of --client-id", 0, 0 },
	{ "client-id", "ID", OPT_STRING, O(client_id), "admin client to get tokens with (instead of the sandbox's)", 0, 0 },
	{ "json", NULL, OPT_FLAG, O(json), "print the server's JSON instead of a summary", 0, 0 },
	{ "key", "PEM", OPT_STRING, O(key), "private key of --client-id (PEM, or a private JWK)", 0, 0 },
	{ "kid", "KID", OPT_STRING, O(kid), "sign grants with the registered key KID instead of --cert", 0, 0 },
	{ "log-level", "LEVEL", OPT_STRING, O(log_level), "error, warn, info or debug (default warn)", 0, 0 },
	{ "sandbox", "FILE", OPT_STRING, O(sandbox), "sandbox.json of porten up (default ./" DEFAULT_SANDBOX " if present)", 0, 0 },
	{ "timeout", "S", OPT_INT, O(timeout), "seconds to wait for each answer (default 30)", 0, 0 },
	{ "token", "JWT", OPT_STRING, O(token), "use this access token; no grant is made (PORTEN_TOKEN keeps it out of ps)", 0, 0 },
};

#define NOPTS(a) (sizeof(a) / sizeof((a)[0]))

static const char conn_footer[] =
	"\nConnection options can also be set as environment variables PORTEN_<OPTION>, e.g.\n"
	"PORTEN_SANDBOX=/tmp/sb/sandbox.json; action options cannot. Exit status: 0 done,\n"
	"1 refused by the server (its error on one line), 2 usage, 3 bad input file,\n"
	"4 server unreachable. The API: docs/admin-api.md.\n";

static const char action_footer[] =
	"\nThe connection options of 'porten admin --help' (--sandbox, --authz, --client-id,\n"
	"--cert, --kid, --key, --cacert, --token, --json, --timeout) are accepted too.\n"
	"Exit status: 0 done, 1 refused by the server, 2 usage, 3 bad input file,\n"
	"4 server unreachable.\n";

/* Action options (never from the environment). */
#define A_INACTIVE(what) { "inactive", NULL, OPT_FLAG, O(inactive), "include deactivated " what, 0, 1 }
#define A_SCOPE_FIELDS \
	{ "accessible-for-all", NULL, OPT_FLAG, O(accessible_for_all), "every organisation may use the scope without an access grant", 0, 1 }, \
	{ "at-max-age", "S", OPT_INT, O(at_max_age), "longest access-token lifetime in seconds (0: no cap)", 0, 1 }, \
	{ "delegation-source", "URL", OPT_STRING, O(delegation_source), "issuer of a delegation register, e.g. https://tt02.altinn.no/", 0, 1 }, \
	{ "description", "TEXT", OPT_STRING, O(description), "what the scope gives access to", 0, 1 }, \
	{ "integration-type", "T", OPT_LIST, O(integration_type), "allowed integration type, e.g. maskinporten", 0, 1 }

static const struct opt o_scopes_list[] = { A_INACTIVE("scopes") };
static const struct opt o_scopes_create[] = {
	A_SCOPE_FIELDS,
	{ "visibility", "V", OPT_STRING, O(visibility), "PUBLIC (listed by 'scopes all') or PRIVATE (default PUBLIC)", 0, 1 },
};
static const struct opt o_scopes_update[] = {
	{ "accessible-for-all", NULL, OPT_FLAG, O(accessible_for_all), "every organisation may use the scope without an access grant", 0, 1 },
	{ "active", "BOOL", OPT_STRING, O(active), "true reactivates a deactivated scope, false deactivates", 0, 1 },
	{ "at-max-age", "S", OPT_INT, O(at_max_age), "longest access-token lifetime in seconds (0: no cap)", 0, 1 },
	{ "delegation-source", "URL", OPT_STRING, O(delegation_source), "issuer of a delegation register, e.g. https://tt02.altinn.no/", 0, 1 },
	{ "description", "TEXT", OPT_STRING, O(description), "what the scope gives access to", 0, 1 },
	{ "integration-type", "T", OPT_LIST, O(integration_type), "allowed integration type (replaces the list)", 0, 1 },
	{ "no-accessible-for-all", NULL, OPT_FLAG, O(no_accessible_for_all), "require an access grant again", 0, 1 },
	{ "visibility", "V", OPT_STRING, O(visibility), "PUBLIC or PRIVATE", 0, 1 },
};
static const struct opt o_access_grant[] = {
	{ "state", "S", OPT_STRING, O(state), "APPROVED (default), REQUESTED or DENIED", 0, 1 },
};
static const struct opt o_clients_list[] = { A_INACTIVE("clients") };
static const struct opt o_clients_create[] = {
	{ "client-orgno", "ORGNO", OPT_STRING, O(client_orgno), "create it for another organisation (needs idporten:dcr.supplier)", 0, 1 },
	{ "description", "TEXT", OPT_STRING, O(description), "free text", 0, 1 },
	{ "lifetime", "S", OPT_INT, O(lifetime), "access-token lifetime in seconds", 0, 1 },
	{ "name", "NAME", OPT_STRING, O(name), "client name (required)", 0, 1 },
	{ "scope", "S", OPT_LIST, O(scope), "scope to attach", 0, 1 },
};
static const struct opt o_clients_update[] = {
	{ "description", "TEXT", OPT_STRING, O(description), "free text", 0, 1 },
	{ "lifetime", "S", OPT_INT, O(lifetime), "access-token lifetime in seconds", 0, 1 },
	{ "name", "NAME", OPT_STRING, O(name), "client name", 0, 1 },
	{ "scope", "S", OPT_LIST, O(scope), "scope; the list given replaces the client's scopes", 0, 1 },
};
static const struct opt o_clients_set_keys[] = {
	{ "kid", "KID", OPT_STRING, O(key_kid), "kid of a single key that has none (default: its RFC 7638 thumbprint)", 0, 1 },
};
static const struct opt o_delegations_list[] = {
	{ "consumer", "ORGNO", OPT_STRING, O(consumer), "only delegations from this consumer", 0, 1 },
	{ "scope", "S", OPT_LIST, O(scope), "only delegations of this scope", 0, 1 },
	{ "supplier", "ORGNO", OPT_STRING, O(supplier), "only delegations to this supplier", 0, 1 },
};
static const struct opt o_keys_rotate[] = {
	{ "publish-ahead", "S", OPT_INT, O(publish_ahead), "seconds the new key is published before it signs (default 300)", 0, 1 },
};
static const struct opt o_audit[] = {
	{ "actor", "ORGNO", OPT_STRING, O(actor), "only changes made by this organisation", 0, 1 },
	{ "after", "ID", OPT_STRING, O(after), "entries after this id (the last id of the previous page)", 0, 1 },
	{ "limit", "N", OPT_INT, O(limit), "at most N entries, 1..1000 (default 100)", 0, 1 },
};

struct admin;

struct action {
	const char *group;
	const char *name;             /* NULL: the group itself is the action (audit) */
	const char *args;             /* synopsis after the action name */
	const char *summary;
	const struct opt *opts;
	size_t nopts;
	int min_args, max_args;
	int (*run)(struct admin *a);
};

/* One invocation. */
struct admin {
	struct admin_opts o;
	const struct action *act;
	char cmdname[64];             /* "admin scopes create" */
	char synopsis[256];
	char *args[ADMIN_ARGS_MAX];
	int nargs;
	json_t *sandbox;
	const char *authz_url;
	porten_client *client;
	struct porten_client_credentials cr;
	int have_cr;
};

/* ---- messages ---- */

static int
usage_error(struct admin *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
usage_error(struct admin *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "porten %s: ", a->cmdname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: porten %s %s\n", a->cmdname, a->synopsis);
	return PORTEN_EXIT_USAGE;
}

static int
fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* The exit status of a library failure, after its one line. */
static int
client_failure(struct admin *a, int r)
{
	char msg[1024];

	return fail(consumer_client_status(r), "%s", consumer_client_message(a->client, r, msg, sizeof(msg)));
}

static int
refused(const struct porten_client_problem *p)
{
	return fail(PORTEN_EXIT_FAILURE, "%ld %s: %s", p->status, p->error, p->description);
}

/* ---- arguments ---- */

static int
check_orgno(struct admin *a, const char *what, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			break;
	if (i != 9 || s[i] != '\0')
		return usage_error(a, "%s must be an organisation number of 9 digits, got '%s'", what, s);
	if (!porten_orgno_valid(s, 9))
		fprintf(stderr, PROG ": warning: %s fails the organisation-number check digit; porten "
		        "accepts it for tests, but no real organisation has it\n", s);
	return 0;
}

static int
check_nonempty(struct admin *a, const char *what, const char *s)
{
	if (s != NULL && *s == '\0')
		return usage_error(a, "%s must not be empty", what);
	return 0;
}

/* ---- connection, credentials, tokens ---- */

static int
valid_url(const char *u)
{
	return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0;
}

/* Finds the server (and the sandbox) and makes the HTTP client; every action calls it
 * before building URLs. Idempotent. */
static int
connect_setup(struct admin *a)
{
	struct porten_client_config cc = { 0 };
	const char *path = a->o.sandbox;
	char err[512];
	int r;

	if (a->client != NULL)
		return 0;
	if (path == NULL && a->o.authz == NULL && access(DEFAULT_SANDBOX, F_OK) == 0)
		path = DEFAULT_SANDBOX;
	if (path != NULL) {
		if ((r = porten_sandbox_load(path, &a->sandbox, err, sizeof(err))) != 0)
			return fail(PORTEN_EXIT_CONFIG, "%s", err);
	}
	if (a->o.authz != NULL) {
		if (!valid_url(a->o.authz))
			return fail(PORTEN_EXIT_USAGE, "--authz must be an http:// or https:// URL, got '%s'",
			            a->o.authz);
		a->authz_url = a->o.authz;
	} else if (a->sandbox != NULL) {
		a->authz_url = porten_json_str(a->sandbox, "authz_url");
		if (!valid_url(a->authz_url))
			return fail(PORTEN_EXIT_CONFIG, "'%s': authz_url is not an http(s) URL", path);
	} else {
		return fail(PORTEN_EXIT_USAGE, "no server: give --sandbox FILE or --authz URL (or run "
		            "'porten up' in this directory first)");
	}
	cc.ca_bundle = a->o.cacert != NULL ? a->o.cacert
	             : a->sandbox != NULL ? porten_json_str(a->sandbox, "ca_bundle") : NULL;
	if (cc.ca_bundle != NULL && access(cc.ca_bundle, R_OK) != 0)
		return fail(PORTEN_EXIT_CONFIG, "cannot read the CA bundle '%s'", cc.ca_bundle);
	cc.timeout_ms = a->o.timeout > 0 ? (long)a->o.timeout * 1000L : 0;
	if ((r = porten_client_new(&cc, &a->client)) != 0)
		return fail(PORTEN_EXIT_FAILURE, "cannot start the HTTP client: %s", porten_strerror(r));
	return 0;
}

static int
load_credentials(struct admin *a)
{
	char err[512];
	const json_t *entry;
	int r;

	if (a->have_cr)
		return 0;
	if (a->o.client_id != NULL) {
		if (a->o.key == NULL || (a->o.cert == NULL) == (a->o.kid == NULL))
			return fail(PORTEN_EXIT_USAGE, "--client-id needs --key and one of --cert or --kid");
		r = porten_client_credentials_load(&a->cr, a->o.client_id, a->o.cert, a->o.key,
		                                   a->o.kid, err, sizeof(err));
	} else if (a->sandbox != NULL) {
		if ((entry = json_object_get(a->sandbox, "admin")) == NULL)
			return fail(PORTEN_EXIT_CONFIG, "the sandbox description has no \"admin\" entry");
		r = porten_client_credentials_from_json(&a->cr, entry, err, sizeof(err));
	} else {
		return fail(PORTEN_EXIT_USAGE, "no credentials: give --sandbox FILE, --token JWT, or "
		            "--client-id with --key and --cert or --kid");
	}
	if (r == PORTEN_ERR_USAGE)
		return fail(PORTEN_EXIT_USAGE, "%s", err);
	if (r != 0)
		return fail(PORTEN_EXIT_CONFIG, "%s", err[0] ? err : porten_strerror(r));
	a->have_cr = 1;
	return 0;
}

/* The first of prefs the credentials are known to hold, else dflt. */
static const char *
pick_scope(struct admin *a, const char *const *prefs, size_t n, const char *dflt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (porten_client_credentials_hold(&a->cr, prefs[i]))
			return prefs[i];
	return dflt;
}

/* One request with a token for scope (NULL: a public endpoint, no token). Takes url and
 * body; on success resp holds the 2xx answer. Returns an exit status. */
static int
call(struct admin *a, const char *scope, const char *method, struct porten_buf *url,
     json_t *body, struct porten_client_response *resp)
{
	struct porten_client_request req = { 0 };
	struct porten_client_problem prob;
	struct porten_client_token tok = { 0 };
	char *text = NULL;
	int r, rc = PORTEN_EXIT_FAILURE;

	memset(resp, 0, sizeof(*resp));
	if (url->data == NULL) {
		rc = usage_error(a, "the arguments make a URL longer than %d bytes", URL_MAX);
		goto out;
	}
	if (body != NULL &&
	    (text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		rc = fail(PORTEN_EXIT_FAILURE, "out of memory");
		goto out;
	}
	if (scope != NULL && a->o.token == NULL) {
		log_debug("admin: requesting a token for scope %s", scope);
		r = porten_client_get_token(a->client, a->authz_url, &a->cr, scope, &tok, &prob);
		if (r == PORTEN_ERR_REFUSED) {
			rc = refused(&prob);
			goto out;
		}
		if (r != 0) {
			rc = client_failure(a, r);
			goto out;
		}
	}
	req.method = method;
	req.url = url->data;
	req.accept = "application/json";
	req.bearer = scope == NULL ? NULL : a->o.token != NULL ? a->o.token : tok.access_token;
	if (text != NULL) {
		req.content_type = "application/json";
		req.body = text;
		req.body_len = strlen(text);
	}
	if ((r = porten_client_request(a->client, &req, resp)) != 0) {
		rc = client_failure(a, r);
		goto out;
	}
	if (resp->status < 200 || resp->status > 299) {
		porten_client_problem_from(resp, &prob);
		rc = refused(&prob);
		goto out;
	}
	rc = PORTEN_EXIT_OK;
out:
	if (rc != PORTEN_EXIT_OK)
		porten_client_response_clear(resp);
	porten_client_token_clear(&tok);
	free(text);
	json_decref(body);
	porten_buf_release(url);
	return rc;
}

/* ---- output ---- */

/* Display columns of a UTF-8 string (continuation bytes take none). */
static size_t
display_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* A value as one line of text: control characters become spaces. */
static void
fmt_value(struct porten_buf *b, const json_t *v, const char *sep)
{
	const json_t *e;
	size_t i, start = b->len;
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		porten_buf_append(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		porten_buf_appendf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		porten_buf_appendf(b, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		porten_buf_appends(b, "true");
		break;
	case JSON_FALSE:
		porten_buf_appends(b, "false");
		break;
	case JSON_NULL:
		porten_buf_appends(b, "-");
		break;
	case JSON_ARRAY:
		if (json_array_size(v) == 0) {
			porten_buf_appends(b, "-");
			break;
		}
		json_array_foreach(v, i, e) {
			if (i > 0)
				porten_buf_appends(b, sep);
			if (json_is_object(e) || json_is_array(e)) {
				if ((s = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL)
					porten_buf_appends(b, s);
				free(s);
			} else {
				fmt_value(b, e, sep);
			}
		}
		break;
	case JSON_OBJECT:
		if ((s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL)
			porten_buf_appends(b, s);
		free(s);
		break;
	}
	if (b->data == NULL)
		return;
	for (i = start; i < b->len; i++)
		if ((unsigned char)b->data[i] < 0x20 || b->data[i] == 0x7f)
			b->data[i] = ' ';
}

static void
print_object(const json_t *o)
{
	struct porten_buf b;
	const char *k;
	json_t *v;
	size_t w = 0;

	json_object_foreach((json_t *)o, k, v)
		if (strlen(k) > w)
			w = strlen(k);
	porten_buf_init(&b, PORTEN_CLIENT_RESPONSE_MAX);
	json_object_foreach((json_t *)o, k, v) {
		porten_buf_reset(&b);
		fmt_value(&b, v, ", ");
		printf("%s:%*s %s\n", k, (int)(w - strlen(k)), "", b.data ? b.data : "");
	}
	porten_buf_release(&b);
}

/* A column of a one-line-per-record listing. */
struct col {
	const char *member;
	int active;       /* the "active" member: blank when true, "inactive" when false */
};

static void
cell(struct porten_buf *b, const json_t *rec, const struct col *c)
{
	const json_t *v = json_object_get(rec, c->member);

	porten_buf_reset(b);
	if (c->active) {
		if (json_is_false(v))
			porten_buf_appends(b, "inactive");
		return;
	}
	if (v == NULL)
		porten_buf_appends(b, "-");
	else
		fmt_value(b, v, ",");
}

static void
print_table(const json_t *list, const struct col *cols, size_t ncols)
{
	size_t w[8] = { 0 }, i, k, cw;
	struct porten_buf b;
	const json_t *rec;

	if (json_array_size(list) == 0) {
		if (isatty(STDOUT_FILENO))
			printf("(none)\n");
		return;
	}
	porten_buf_init(&b, PORTEN_CLIENT_RESPONSE_MAX);
	json_array_foreach(list, i, rec)
		for (k = 0; k < ncols && k < 8; k++) {
			cell(&b, rec, &cols[k]);
			if ((cw = display_width(b.data ? b.data : "")) > w[k])
				w[k] = cw;
		}
	json_array_foreach(list, i, rec) {
		struct porten_buf line;

		porten_buf_init(&line, PORTEN_CLIENT_RESPONSE_MAX);
		for (k = 0; k < ncols && k < 8; k++) {
			const char *s;

			if (w[k] == 0)
				continue;   /* a column blank in every row (everything active) */
			cell(&b, rec, &cols[k]);
			s = b.data ? b.data : "";
			porten_buf_appends(&line, s);
			porten_buf_appendf(&line, "%*s", (int)(w[k] - display_width(s) + 2), "");
		}
		while (line.len > 0 && line.data[line.len - 1] == ' ')
			line.data[--line.len] = '\0';
		printf("%s\n", line.data ? line.data : "");
		porten_buf_release(&line);
	}
	porten_buf_release(&b);
}

static const struct col scope_cols[] = { { "name", 0 }, { "visibility", 0 }, { "active", 1 }, { "description", 0 } };
static const struct col access_cols[] = { { "scope", 0 }, { "consumer_orgno", 0 }, { "state", 0 }, { "last_updated", 0 } };
static const struct col mine_cols[] = { { "scope", 0 }, { "state", 0 }, { "owner_orgno", 0 } };
static const struct col client_cols[] = { { "client_id", 0 }, { "client_name", 0 }, { "client_orgno", 0 }, { "active", 1 }, { "scopes", 0 } };
static const struct col jwk_cols[] = { { "kid", 0 }, { "alg", 0 }, { "use", 0 }, { "created", 0 } };
static const struct col delegation_cols[] = { { "consumer_orgno", 0 }, { "supplier_orgno", 0 }, { "scope", 0 }, { "active", 1 } };
static const struct col signing_key_cols[] = { { "kid", 0 }, { "state", 0 }, { "activates", 0 }, { "signs_until", 0 }, { "published_until", 0 } };
static const struct col audit_cols[] = { { "id", 0 }, { "time", 0 }, { "actor_orgno", 0 }, { "action", 0 }, { "key", 0 } };

enum show_kind { SHOW_OBJECT, SHOW_LIST, SHOW_DONE, SHOW_ROTATE };

struct show {
	enum show_kind kind;
	const struct col *cols;
	size_t ncols;
	const char *list_member;      /* SHOW_LIST: the array inside an object answer, or NULL */
	char done[512];               /* SHOW_DONE: the line to print */
};

#define SHOW_COLS(c) (c), (sizeof(c) / sizeof((c)[0]))

/* Prints resp as --json or as the summary of sh. */
static int
show(struct admin *a, const struct porten_client_response *resp, const struct show *sh)
{
	json_t *doc = NULL, *list;
	const char *k;
	char *s;
	int rc = PORTEN_EXIT_OK;

	if (resp->body_len > 0)
		doc = json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY, NULL);
	if (a->o.json) {
		if (doc != NULL && (s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		                                        JSON_ENCODE_ANY)) != NULL) {
			printf("%s\n", s);
			free(s);
		} else if (resp->body_len > 0) {
			fwrite(resp->body, 1, resp->body_len, stdout);
			if (resp->body[resp->body_len - 1] != '\n')
				putchar('\n');
		}
		goto out;
	}
	switch (sh->kind) {
	case SHOW_DONE:
		printf("%s\n", sh->done);
		break;
	case SHOW_OBJECT:
		if (!json_is_object(doc))
			goto unexpected;
		print_object(doc);
		break;
	case SHOW_LIST:
		list = doc;
		if (json_is_object(doc)) {
			list = NULL;
			if (sh->list_member != NULL)
				list = json_object_get(doc, sh->list_member);
			else
				json_object_foreach(doc, k, list)
					if (json_is_array(list))
						break;
		}
		if (!json_is_array(list))
			goto unexpected;
		print_table(list, sh->cols, sh->ncols);
		break;
	case SHOW_ROTATE:
		if (!json_is_object(doc))
			goto unexpected;
		printf("new signing key: %s\n", porten_json_str(doc, "kid") ? porten_json_str(doc, "kid") : "-");
		if ((list = json_object_get(doc, "activates")) != NULL) {
			struct porten_buf b;

			porten_buf_init(&b, 4096);
			fmt_value(&b, list, ", ");
			printf("signs from:      %s\n", b.data ? b.data : "-");
			porten_buf_release(&b);
		}
		if (json_is_array(list = json_object_get(doc, "keys")))
			print_table(list, signing_key_cols, NOPTS(signing_key_cols));
		break;
	}
	goto out;
unexpected:
	rc = fail(PORTEN_EXIT_FAILURE, "the server answered %ld with a body that is not the expected "
	          "JSON; use --json to see it", resp->status);
out:
	json_decref(doc);
	return rc;
}

/* call() then show(). Takes url and body. */
static int
perform(struct admin *a, const char *scope, const char *method, struct porten_buf *url,
        json_t *body, const struct show *sh)
{
	struct porten_client_response resp;
	int rc;

	if ((rc = connect_setup(a)) != 0 ||
	    (scope != NULL && a->o.token == NULL && (rc = load_credentials(a)) != 0)) {
		json_decref(body);
		porten_buf_release(url);
		return rc;
	}
	rc = call(a, scope, method, url, body, &resp);
	if (rc == PORTEN_EXIT_OK)
		rc = show(a, &resp, sh);
	porten_client_response_clear(&resp);
	return rc;
}

/* Sets up the connection and loads the credentials before the request is built, for
 * actions whose token scope depends on what the credentials hold (pick_scope). */
static int
need_credentials(struct admin *a)
{
	int rc;

	if (a->o.token != NULL)
		return 0;
	if ((rc = connect_setup(a)) != 0)
		return rc;
	return load_credentials(a);
}

/* URL of path under the server; NULL data (checked by call) when too long. */
static void
url_start(struct admin *a, struct porten_buf *u, const char *path)
{
	porten_buf_init(u, URL_MAX);
	if (porten_url_join(u, a->authz_url, path) != 0)
		porten_buf_release(u);
}

static void
url_segment(struct porten_buf *u, const char *seg)
{
	if (u->data != NULL && (porten_buf_append(u, "/", 1) != 0 ||
	                        porten_url_append_escaped(u, seg) != 0))
		porten_buf_release(u);
}

static void
url_query(struct porten_buf *u, const char *name, const char *value)
{
	if (u->data != NULL && porten_url_add_query(u, name, value) != 0)
		porten_buf_release(u);
}

/* ---- scopes ---- */

static int
run_scopes_list(struct admin *a)
{
	struct show sh = { SHOW_LIST, SHOW_COLS(scope_cols), NULL, "" };
	struct porten_buf u;
	int rc;

	if ((rc = connect_setup(a)) != 0)
		return rc;
	url_start(a, &u, "scopes");
	if (a->o.inactive)
		url_query(&u, "inactive", "true");
	return perform(a, SC_SCOPES_WRITE, "GET", &u, NULL, &sh);
}

static int
run_scopes_all(struct admin *a)
{
	struct show sh = { SHOW_LIST, SHOW_COLS(scope_cols), NULL, "" };
	struct porten_buf u;
	int rc;

	if ((rc = connect_setup(a)) != 0)
		return rc;
	url_start(a, &u, "scopes/all");
	if (a->o.inactive)
		url_query(&u, "inactive", "true");
	return perform(a, NULL, "GET", &u, NULL, &sh);
}

static int
run_scopes_get(struct admin *a)
{
	struct show sh = { SHOW_OBJECT, NULL, 0, NULL, "" };
	struct porten_buf u;
	int rc;

	if ((rc = check_nonempty(a, "NAME", a->args[0])) != 0 || (rc = connect_setup(a)) != 0)
		return rc;
	url_start(a, &u, "scopes/scope");
	url_query(&u, "scope", a->args[0]);
	return perform(a, SC_SCOPES_WRITE, "GET", &u, NULL, &sh);
}

/* The fields of scopes create / update given on the command line, into body. */
static int
scope_fields(struct admin *a, json_t *body)
{
	json_t *types;
	size_t i;

	if (a->o.description != NULL)
		json_object_set_new(body, "description", json_string(a->o.description));
	if (a->o.visibility != NULL)
		json_object_set_new(body, "visibility", json_string(a->o.visibility));
	if (a->o.accessible_for_all && a->o.no_accessible_for_all)
		return usage_error(a, "--accessible-for-all and --no-accessible-for-all contradict each other");
	if (a->o.accessible_for_all)
		json_object_set_new(body, "accessible_for_all", json_true());
	if (a->o.no_accessible_for_all)
		json_object_set_new(body, "accessible_for_all", json_false());
	if (a->o.delegation_source != NULL)
		json_object_set_new(body, "delegation_source", json_string(a->o.delegation_source));
	if (a->o.at_max_age >= 0)
		json_object_set_new(body, "at_max_age", json_integer(a->o.at_max_age));
	if (a->o.integration_type.n > 0) {
		types = json_array();
		for (i = 0; i < a->o.integration_type.n; i++)
			json_array_append_new(types, json_string(a->o.integration_type.v[i]));
		json_object_set_new(body, "allowed_integration_types", types);
	}
	if (a->o.active != NULL) {
		if (strcmp(a->o.active, "true") == 0)
			json_object_set_new(body, "active", json_true());
		else if (strcmp(a->o.active, "false") == 0)
			json_object_set_new(body, "active", json_false());
		else
			return usage_error(a, "--active must be true or false, got '%s'", a->o.active);
	}
	return 0;
}

static int
run_scopes_create(struct admin *a)
{
	struct show sh = { SHOW_OBJECT, NULL, 0, NULL, "" };
	const char *name = a->args[0], *colon = strchr(name, ':');
	struct porten_buf u;
	json_t *body;
	int rc;

	if (colon == NULL || colon == name || colon[1] == '\0')
		return usage_error(a, "NAME must be PREFIX:SUBSCOPE, got '%s'", name);
	if (a->o.description == NULL || *a->o.description == '\0')
		return usage_error(a, "--description is required");
	if ((body = json_object()) == NULL)
		return fail(PORTEN_EXIT_FAILURE, "out of memory");
	json_object_set_new(body, "prefix", json_stringn(name, (size_t)(colon - name)));
	json_object_set_new(body, "subscope", json_string(colon + 1));
	if ((rc = scope_fields(a, body)) != 0 || (rc = connect_setup(a)) != 0) {
		json_decref(body);
		return rc;
	}
	url_start(a, &u, "scopes");
	return perform(a, SC_SCOPES_WRITE, "POST", &u, body, &sh);
}

static int
run_scopes_update(struct admin *a)
{
	struct show sh = { SHOW_OBJECT, NULL, 0, NULL, "" };
	struct porten_buf u;
	json_t *body;
	int rc;

	if ((rc = check_nonempty(a, "NAME", a->args[0])) != 0)
		return rc;
	if ((body = json_object()) == NULL)
		return fail(PORTEN_EXIT_FAILURE, "out of memory");
	if ((rc = scope_fields(a, body)) != 0) {
		json_decref(body);
		return rc;
	}
	if (json_object_size(body) == 0) {
		json_decref(body);
		return usage_error(a, "nothing to change: give at least one option");
	}
	if ((rc = connect_setup(a)) != 0) {
		json_decref(body);
		return rc;
	}
	url_start(a, &u, "scopes");
	url_query(&u, "scope", a->args[0]);
	return perform(a, SC_SCOPES_WRITE, "PUT", &u, body, &sh);
}

static int
run_scopes_deactivate(struct admin *a)
{
	struct show sh = { SHOW_OBJECT, NULL, 0, NULL, "" };
	struct porten_buf u;
	int rc;

	if ((rc = check_nonempty(a, "NAME", a->args[0])) != 0 || (rc = connect_setup(a)) != 0)
		return rc;
	url_start(a, &u, "scopes");
	url_query(&u, "scope", a->args[0]);
	return perform(a, SC_SCOPES_WRITE, "DELETE", &u, NULL, &sh);
}

/* ---- access ---- */

static int
run_access_list(struct admin *a)
{
	struct show sh = { SHOW_LIST, SHOW_COLS(access_cols), NULL, "" };
	struct porten_buf u;
	int rc;

	if ((rc = check_nonempty(a, "SCOPE", a->args[0])) != 0 || (rc = connect_setup(a)) != 0)
		return rc;
	url_start(a, &u, "scopes/access");
	url_query(&u, "scope", a->args[0]);
	return perform(a, SC_SCOPES_WRITE, "GET", &u, NULL, &sh);
}

static int
run_access_grant(struct admin *a)
{
	static const char *const states[] = { "APPROVED", "REQUESTED", "DENIED" };
	struct show sh = { SHOW_OBJECT, NULL, 0, NULL, "" };
	struct porten_buf u;
	json_t *body = NULL;
	size_t i;
	int rc;

	if ((rc = check_nonempty(a, "SCOPE", a->args[0])) != 0 ||
	    (rc = check_orgno(a, "ORGNO", a->args[1])) != 0)
		return rc;
	if (a->o.state != NULL) {
		for (i = 0; i < NOPTS(states); i++)
			if (strcmp(a->o.state, states[i]) == 0)
				break;
		if (i == NOPTS(states))
			return usage_error(a, "--state must be APPROVED, REQUESTED or DENIED, got '%s'",
			                   a->o.state);
		if ((body = json_pack("{s:s}", "state", a->o.state)) == NULL)
			return fail(PORTEN_EXIT_FAILURE, "out of memory");
	}
	if ((rc = connect_setup(a)) != 0) {
		json_decref(body);
		return rc;
	}
	url_start(a, &u, "scopes/access");
	url_segment(&u, a->args[1]);
	url_query(&u, "scope", a->args[0]);
	return perform(a, SC_SCOPES_WRITE, "PUT", &u, body, &sh);
}

static int
run_access_revoke(struct admin *a)
{
	struct show sh = { SHOW_DONE, NULL, 0, NULL, "" };
	struct porten_buf u;
	int rc;

	if ((rc = check_nonempty(a, "SCOPE", a->args[0])) != 0 ||
	    (rc = check_orgno(a, "ORGNO", a->args[1])) != 0 || (rc = connect_setup(a)) != 0)
		return rc;
	snprintf(sh.done, sizeof(sh.done), "revoked %s for %s", a->args[0], a->args[1]);
	url_start(a, &u, "scopes/access");
	url_segment(&u, a->args[1]);
	url_query(&u, "scope", a->args[0]);
	return perform(a, SC_SCOPES_WRITE, "DELETE", &u, NULL, &sh);
}

static int
run_access_mine(struct admin *a)
{
	static const char *const prefs[] = { SC_SCOPES_WRITE, SC_DCR_READ, SC_ADMIN, SC_DCR_WRITE,
		SC_DCR_MODIFY, SC_DCR_SUPPLIER, SC_DELEGATIONS_WRITE };
	struct show sh = { SHOW_LIST, SHOW_COLS(mine_cols), NULL, "" };
	struct porten_buf u;
	int rc;

	if ((rc = need_credentials(a)) != 0)
		return rc;
	url_start(a, &u, "scopes/access/all");
	return perform(a, pick_scope(a, prefs, NOPTS(prefs), SC_SCOPES_WRITE), "GET", &u, NULL, &sh);
}

/* ---- clients ---- */

static int
run_clients_list(struct admin *a)
{
	struct show sh = { SHOW_LIST, SHOW_COLS(client_cols), NULL, "" };
	struct porten_buf u;
	int rc;

	if ((rc = connect_setup(a)) != 0)
		return rc;
	url_start(a, &u, "clients");
	if (a->o.inactive)
		url_query(&u, "inactive", "true");
	return perform(a, SC_DCR_READ, "GET", &u, NULL, &sh);
}

static int
client_url(struct admin *a, struct porten_buf *u, const char *tail)
{
	int rc;

	if ((rc = check_nonempty(a, "ID", a->args[0])) != 0 || (rc = connect_setup(a)) != 0)
		return rc;
	url_start(a, u, "clients");
	url_segment(u, a->args[0]);
	if (tail != NULL)
		url_segment(u, tail);
	return 0;
}

static int
run_clients_get(struct admin *a)
{
	struct show sh = { SHOW_OBJECT, NULL, 0, NULL, "" };
	struct porten_buf u;
	int rc;

	if ((rc = client_url(a, &u, NULL)) != 0)
		return rc;
	return perform(a, SC_DCR_READ, "GET", &u, NULL, &sh);
}

static json_t *
scope_array(const struct opt_list *l)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < l->n; i++)
		json_array_append_new(arr, json_string(l->v[i]));
	return arr;
}

static int
run_clients_create(struct admin *a)
{
	struct show sh = { SHOW_OBJECT, NULL, 0, NULL, "" };
	const char *scope = SC_DCR_WRITE;
	struct porten_buf u;
	json_t *body;
	int rc;

	if (a->o.name == NULL || *a->o.name == '\0')
		return usage_error(a, "--name is required");
	if (a->o.client_orgno != NULL && (rc = check_orgno(a, "--client-orgno", a->o.client_orgno)) != 0)
		return rc;
	body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s]}", "client_name", a->o.name,
	                 "integration_type", "maskinporten", "application_type", "web",
	                 "token_endpoint_auth_method", "private_key_jwt",
	                 "description", a->o.description ? a->o.description : a->o.name,
	                 "grant_types", "urn:ietf:params:oauth:grant-type:jwt-bearer");
	if (body == NULL)
		return fail(PORTEN_EXIT_FAILURE, "--name and --description must be UTF-8 text");
	if (a->o.scope.n > 0)
		json_object_set_new(body, "scopes", scope_array(&a->o.scope));
	if (a->o.client_orgno != NULL)
		json_object_set_new(body, "client_orgno", json_string(a->o.client_orgno));
	if (a->o.lifetime >= 0)
		json_object_set_new(body, "access_token_lifetime", json_integer(a->o.lifetime));
	if ((rc = need_credentials(a)) != 0) {
		json_decref(body);
		return rc;
	}
	/* A client for another organisation is the supplier case. */
	if (a->o.client_orgno != NULL &&
	    (a->cr.orgno == NULL || strcmp(a->cr.orgno, a->o.client_orgno) != 0))
		scope = SC_DCR_WRITE " " SC_DCR_SUPPLIER;
	url_start(a, &u, "clients");
	return perform(a, scope, "POST", &u, body, &sh);
}

static int
run_clients_update(struct admin *a)
{
	struct show sh = { SHOW_OBJECT, NULL, 0, NULL, "" };
	struct porten_buf u;
	json_t *body;
	int rc;

	if ((body = json_object()) == NULL)
		return fail(PORTEN_EXIT_FAILURE, "out of memory");
	if (a->o.name != NULL)
		json_object_set_new(body, "client_name", json_string(a->o.name));
	if (a->o.description != NULL)
		json_object_set_new(body, "description", json_string(a->o.description));
	if (a->o.scope.n > 0)
		json_object_set_new(body, "scopes", scope_array(&a->o.scope));
	if (a->o.lifetime >= 0)
		json_object_set_new(body, "access_token_lifetime", json_integer(a->o.lifetime));
	if (json_object_size(body) == 0) {
		json_decref(body);
		return usage_error(a, "nothing to change: give --name, --description, --scope or --lifetime");
	}
	if ((rc = client_url(a, &u, NULL)) != 0) {
		json_decref(body);
		return rc;
	}
	return perform(a, SC_DCR_MODIFY, "PUT", &u, body, &sh);
}

static int
run_clients_delete(struct admin *a)
{
	struct show sh = { SHOW_OBJECT, NULL, 0, NULL, "" };
	struct porten_buf u;
	int rc;

	if ((rc = client_url(a, &u, NULL)) != 0)
		return rc;
	return perform(a, SC_DCR_WRITE, "DELETE", &u, NULL, &sh);
}

static int
run_clients_keys(struct admin *a)
{
	struct show sh = { SHOW_LIST, SHOW_COLS(jwk_cols), "keys", "" };
	struct porten_buf u;
	int rc;

	if ((rc = client_url(a, &u, "jwks")) != 0)
		return rc;
	return perform(a, SC_DCR_READ, "GET", &u, NULL, &sh);
}

/* The public members of a JWK we upload; everything else (d, p, q, ...) stays home. */
static const char *const jwk_public_members[] = { "kty", "kid", "use", "alg", "n", "e", "x5c" };

/* A clean public JWK from one the user gave: RSA, bounds checked, use/alg/kid filled in. */
static int
clean_jwk(const json_t *in, const char *kid, json_t **out, int *had_private)
{
	char tp[44];
	porten_key *k = NULL;
	json_t *o;
	size_t i;
	int r;

	*out = NULL;
	if (!json_is_object(in) || porten_key_from_jwk(in, &k) != 0)
		return PORTEN_ERR_INVALID;
	if ((o = json_object()) == NULL) {
		porten_key_unref(k);
		return PORTEN_ERR_NOMEM;
	}
	for (i = 0; i < NOPTS(jwk_public_members); i++) {
		json_t *v = json_object_get(in, jwk_public_members[i]);

		if (v != NULL)
			json_object_set(o, jwk_public_members[i], v);
	}
	if (json_object_get(in, "d") != NULL)
		*had_private = 1;
	if (kid != NULL)
		json_object_set_new(o, "kid", json_string(kid));
	if (json_object_get(o, "kid") == NULL) {
		if ((r = porten_key_thumbprint(k, tp)) != 0) {
			porten_key_unref(k);
			json_decref(o);
			return r;
		}
		json_object_set_new(o, "kid", json_string(tp));
	}
	if (json_object_get(o, "use") == NULL)
		json_object_set_new(o, "use", json_string("sig"));
	if (json_object_get(o, "alg") == NULL)
		json_object_set_new(o, "alg", json_string("RS256"));
	porten_key_unref(k);
	*out = o;
	return 0;
}

/* FILE of set-keys as {"keys": [...]}: a JWK, a JWK set, or a PEM key or certificate. */
static int
read_key_set(struct admin *a, const char *path, json_t **out)
{
	char *data = NULL, tp[44];
	size_t len = 0, i, n;
	json_t *doc = NULL, *keys = NULL, *jwk = NULL, *src;
	porten_key *k = NULL;
	const char *p;
	int r, had_private = 0, rc = PORTEN_EXIT_CONFIG;

	*out = NULL;
	r = porten_file_read(path, PORTEN_CLIENT_CONFIG_MAX, &data, &len);
	if (r != 0) {
		if (r == PORTEN_ERR_TOO_LARGE)
			return fail(PORTEN_EXIT_CONFIG, "'%s' is larger than %d bytes", path,
			            PORTEN_CLIENT_CONFIG_MAX);
		return fail(PORTEN_EXIT_CONFIG, "cannot read '%s': %s", path,
		            r == PORTEN_ERR_NOT_FOUND ? "no such file" : porten_strerror(r));
	}
	for (p = data; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
		;
	if ((keys = json_array()) == NULL) {
		rc = fail(PORTEN_EXIT_FAILURE, "out of memory");
		goto out;
	}
	if (*p == '{') {
		if ((doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
			rc = fail(PORTEN_EXIT_CONFIG, "'%s' is not valid JSON", path);
			goto out;
		}
		src = json_object_get(doc, "keys");
		if (src != NULL && !json_is_array(src)) {
			rc = fail(PORTEN_EXIT_CONFIG, "'%s': \"keys\" must be an array", path);
			goto out;
		}
		n = src != NULL ? json_array_size(src) : 1;
		if (n > 1 && a->o.key_kid != NULL) {
			rc = usage_error(a, "--kid applies to a file with a single key; '%s' has %zu", path, n);
			goto out;
		}
		for (i = 0; i < n; i++) {
			r = clean_jwk(src != NULL ? json_array_get(src, i) : doc, a->o.key_kid, &jwk,
			              &had_private);
			if (r != 0) {
				if (src != NULL)
					rc = fail(PORTEN_EXIT_CONFIG, "'%s': keys[%zu] is not an RSA JWK of "
					          "%d to %d bits", path, i, PORTEN_RSA_MIN_BITS, PORTEN_RSA_MAX_BITS);
				else
					rc = fail(PORTEN_EXIT_CONFIG, "'%s' is not an RSA JWK of %d to %d bits "
					          "or a JWK set {\"keys\": [...]}", path, PORTEN_RSA_MIN_BITS,
					          PORTEN_RSA_MAX_BITS);
				goto out;
			}
			json_array_append_new(keys, jwk);
			jwk = NULL;
		}
	} else {
		if (porten_key_from_pem(data, len, &k) != 0 || !porten_key_is_rsa(k)) {
			rc = fail(PORTEN_EXIT_CONFIG, "'%s' is not a JWK, a JWK set or a PEM RSA key", path);
			goto out;
		}
		if (porten_key_bits(k) < PORTEN_RSA_MIN_BITS || porten_key_bits(k) > PORTEN_RSA_MAX_BITS) {
			rc = fail(PORTEN_EXIT_CONFIG, "the key in '%s' has %d bits; Maskinporten takes %d "
			          "to %d", path, porten_key_bits(k), PORTEN_RSA_MIN_BITS, PORTEN_RSA_MAX_BITS);
			goto out;
		}
		had_private = porten_key_has_private(k);
		if (a->o.key_kid == NULL && porten_key_thumbprint(k, tp) != 0) {
			rc = fail(PORTEN_EXIT_FAILURE, "cannot compute the key's thumbprint");
			goto out;
		}
		if (porten_key_to_jwk(k, a->o.key_kid != NULL ? a->o.key_kid : tp, &jwk) != 0) {
			rc = fail(PORTEN_EXIT_FAILURE, "cannot convert the key in '%s' to a JWK", path);
			goto out;
		}
		json_object_set_new(jwk, "use", json_string("sig"));
		json_object_set_new(jwk, "alg", json_string("RS256"));
		json_array_append_new(keys, jwk);
		jwk = NULL;
	}
	if (json_array_size(keys) == 0) {
		rc = fail(PORTEN_EXIT_CONFIG, "'%s' holds no key; to remove every key use "
		          "'porten admin clients delete-keys ID'", path);
		goto out;
	}
	if (json_array_size(keys) > PORTEN_CLIENT_KEYS_MAX) {
		rc = fail(PORTEN_EXIT_CONFIG, "'%s' holds %zu keys; a client has at most %d", path,
		          json_array_size(keys), PORTEN_CLIENT_KEYS_MAX);
		goto out;
	}
	if (had_private)
		fprintf(stderr, PROG ": note: '%s' holds a private key; only its public part is "
		        "uploaded\n", path);
	if ((*out = json_pack("{s:O}", "keys", keys)) == NULL) {
		rc = fail(PORTEN_EXIT_FAILURE, "out of memory");
		goto out;
	}
	rc = 0;
out:
	porten_key_unref(k);
	json_decref(jwk);
	json_decref(keys);
	json_decref(doc);
	if (data != NULL) {
		porten_wipe(data, len);
		free(data);
	}
	return rc;
}

static int
run_clients_set_keys(struct admin *a)
{
	struct show sh = { SHOW_LIST, SHOW_COLS(jwk_cols), "keys", "" };
	struct porten_buf u;
	json_t *body = NULL;
	int rc;

	if (a->o.key_kid != NULL && (*a->o.key_kid == '\0' || strlen(a->o.key_kid) > PORTEN_KID_MAX))
		return usage_error(a, "--kid must have 1 to %d characters", PORTEN_KID_MAX);
	if ((rc = check_nonempty(a, "ID", a->args[0])) != 0 ||
	    (rc = read_key_set(a, a->args[1], &body)) != 0)
		return rc;
	if ((rc = client_url(a, &u, "jwks")) != 0) {
		json_decref(body);
		return rc;
	}
	return perform(a, SC_DCR_WRITE, "POST", &u, body, &sh);
}

static int
run_clients_delete_keys(struct admin *a)
{
	struct show sh = { SHOW_DONE, NULL, 0, NULL, "" };
	struct porten_buf u;
	int rc;

	if (a->nargs > 1 && (rc = check_nonempty(a, "KID", a->args[1])) != 0)
		return rc;
	if ((rc = client_url(a, &u, "jwks")) != 0)
		return rc;
	if (a->nargs > 1) {
		url_segment(&u, a->args[1]);
		snprintf(sh.done, sizeof(sh.done), "deleted key %s of client %s", a->args[1], a->args[0]);
	} else {
		snprintf(sh.done, sizeof(sh.done), "deleted every key of client %s", a->args[0]);
	}
	return perform(a, SC_DCR_WRITE, "DELETE", &u, NULL, &sh);
}

/* ---- delegations ---- */

static const char *
single_scope(struct admin *a, int *rc)
{
	*rc = 0;
	if (a->o.scope.n > 1)
		*rc = usage_error(a, "--scope can be given once here");
	return a->o.scope.n == 1 ? a->o.scope.v[0] : NULL;
}

static int
run_delegations_list(struct admin *a)
{
	static const char *const prefs[] = { SC_ADMIN, SC_DCR_READ, SC_SCOPES_WRITE, SC_DCR_WRITE,
		SC_DCR_MODIFY, SC_DELEGATIONS_WRITE, SC_DCR_SUPPLIER };
	struct show sh = { SHOW_LIST, SHOW_COLS(delegation_cols), NULL, "" };
	struct porten_buf u;
	const char *scope;
	int rc;

	scope = single_scope(a, &rc);
	if (rc != 0 ||
	    (a->o.consumer != NULL && (rc = check_orgno(a, "--consumer", a->o.consumer)) != 0) ||
	    (a->o.supplier != NULL && (rc = check_orgno(a, "--supplier", a->o.supplier)) != 0) ||
	    (rc = need_credentials(a)) != 0)
		return rc;
	url_start(a, &u, "delegations");
	if (a->o.consumer != NULL)
		url_query(&u, "consumer_orgno", a->o.consumer);
	if (a->o.supplier != NULL)
		url_query(&u, "supplier_orgno", a->o.supplier);
	if (scope != NULL)
		url_query(&u, "scope", scope);
	return perform(a, pick_scope(a, prefs, NOPTS(prefs), SC_DCR_READ), "GET", &u, NULL, &sh);
}

static int
delegation_args(struct admin *a)
{
	int rc;

	if ((rc = check_orgno(a, "CONSUMER", a->args[0])) != 0 ||
	    (rc = check_orgno(a, "SUPPLIER", a->args[1])) != 0 ||
	    (rc = check_nonempty(a, "SCOPE", a->args[2])) != 0)
		return rc;
	if (strcmp(a->args[0], a->args[1]) == 0)
		return usage_error(a, "CONSUMER and SUPPLIER must be different organisations");
	return need_credentials(a);
}

static const char *
delegation_scope(struct admin *a)
{
	static const char *const prefs[] = { SC_ADMIN };

	return pick_scope(a, prefs, NOPTS(prefs), SC_DELEGATIONS_WRITE);
}

static int
run_delegations_add(struct admin *a)
{
	struct show sh = { SHOW_OBJECT, NULL, 0, NULL, "" };
	struct porten_buf u;
	json_t *body;
	int rc;

	if ((rc = delegation_args(a)) != 0)
		return rc;
	body = json_pack("{s:s, s:s, s:s}", "consumer_orgno", a->args[0], "supplier_orgno",
	                 a->args[1], "scope", a->args[2]);
	if (body == NULL)
		return fail(PORTEN_EXIT_FAILURE, "SCOPE must be UTF-8 text");
	url_start(a, &u, "delegations");
	return perform(a, delegation_scope(a), "POST", &u, body, &sh);
}

static int
run_delegations_remove(struct admin *a)
{
	struct show sh = { SHOW_DONE, NULL, 0, NULL, "" };
	struct porten_buf u;
	int rc;

	if ((rc = delegation_args(a)) != 0)
		return rc;
	snprintf(sh.done, sizeof(sh.done), "removed the delegation of %s from %s to %s", a->args[2],
	         a->args[0], a->args[1]);
	url_start(a, &u, "delegations");
	url_query(&u, "consumer_orgno", a->args[0]);
	url_query(&u, "supplier_orgno", a->args[1]);
	url_query(&u, "scope", a->args[2]);
	return perform(a, delegation_scope(a), "DELETE", &u, NULL, &sh);
}

/* ---- operator ---- */

static int
run_keys_list(struct admin *a)
{
	struct show sh = { SHOW_LIST, SHOW_COLS(signing_key_cols), "keys", "" };
	struct porten_buf u;
	int rc;

	if ((rc = connect_setup(a)) != 0)
		return rc;
	url_start(a, &u, "admin/keys");
	return perform(a, SC_ADMIN, "GET", &u, NULL, &sh);
}

static int
run_keys_rotate(struct admin *a)
{
	struct show sh = { SHOW_ROTATE, NULL, 0, NULL, "" };
	struct porten_buf u;
	json_t *body = NULL;
	int rc;

	if (a->o.publish_ahead > PORTEN_KEY_PUBLISH_AHEAD_MAX)
		return usage_error(a, "--publish-ahead must be from 0 to %d seconds",
		                   PORTEN_KEY_PUBLISH_AHEAD_MAX);
	if (a->o.publish_ahead >= 0 &&
	    (body = json_pack("{s:i}", "publish_ahead", a->o.publish_ahead)) == NULL)
		return fail(PORTEN_EXIT_FAILURE, "out of memory");
	if ((rc = connect_setup(a)) != 0) {
		json_decref(body);
		return rc;
	}
	url_start(a, &u, "admin/keys/rotate");
	return perform(a, SC_ADMIN, "POST", &u, body, &sh);
}

static int
run_audit(struct admin *a)
{
	struct show sh = { SHOW_LIST, SHOW_COLS(audit_cols), "entries", "" };
	struct porten_buf u;
	char n[16];
	int rc;

	if (a->o.limit == 0 || a->o.limit > PORTEN_AUDIT_PAGE_MAX)
		return usage_error(a, "--limit must be from 1 to %d", PORTEN_AUDIT_PAGE_MAX);
	if ((rc = check_nonempty(a, "--after", a->o.after)) != 0 ||
	    (a->o.actor != NULL && (rc = check_orgno(a, "--actor", a->o.actor)) != 0) ||
	    (rc = connect_setup(a)) != 0)
		return rc;
	url_start(a, &u, "admin/audit");
	if (a->o.after != NULL)
		url_query(&u, "after", a->o.after);
	if (a->o.limit > 0) {
		snprintf(n, sizeof(n), "%d", a->o.limit);
		url_query(&u, "limit", n);
	}
	if (a->o.actor != NULL)
		url_query(&u, "actor", a->o.actor);
	return perform(a, SC_ADMIN, "GET", &u, NULL, &sh);
}

/* ---- dispatch ---- */

#define ACT(g, n, args, sum, opts, mn, mx, fn) { g, n, args, sum, opts, NOPTS(opts), mn, mx, fn }
#define ACT0(g, n, args, sum, mn, mx, fn) { g, n, args, sum, NULL, 0, mn, mx, fn }

static const struct action actions[] = {
	ACT("scopes", "list", "[--inactive]", "your scopes", o_scopes_list, 0, 0, run_scopes_list),
	ACT("scopes", "all", "[--inactive]", "every public scope (needs no credentials)", o_scopes_list, 0, 0, run_scopes_all),
	ACT0("scopes", "get", "NAME", "one of your scopes", 1, 1, run_scopes_get),
	ACT("scopes", "create", "NAME --description TEXT [options]", "create PREFIX:SUBSCOPE under one of your prefixes", o_scopes_create, 1, 1, run_scopes_create),
	ACT("scopes", "update", "NAME [options]", "change the fields given", o_scopes_update, 1, 1, run_scopes_update),
	ACT0("scopes", "deactivate", "NAME", "deactivate a scope (grants and clients keep it)", 1, 1, run_scopes_deactivate),
	ACT0("access", "list", "SCOPE", "the access records of one of your scopes", 1, 1, run_access_list),
	ACT("access", "grant", "SCOPE ORGNO [--state S]", "let an organisation use your scope", o_access_grant, 2, 2, run_access_grant),
	ACT0("access", "revoke", "SCOPE ORGNO", "withdraw it (new token requests fail with MP-250)", 2, 2, run_access_revoke),
	ACT0("access", "mine", "", "the scopes your organisation has been granted", 0, 0, run_access_mine),
	ACT("clients", "list", "[--inactive]", "your clients (as owner or supplier)", o_clients_list, 0, 0, run_clients_list),
	ACT0("clients", "get", "ID", "one client", 1, 1, run_clients_get),
	ACT("clients", "create", "--name NAME [--description TEXT] [--scope S]... [--client-orgno O] [--lifetime S]", "register a Maskinporten client", o_clients_create, 0, 0, run_clients_create),
	ACT("clients", "update", "ID [--scope S]... [--name NAME] [--description TEXT] [--lifetime S]", "change the fields given (--scope replaces the list)", o_clients_update, 1, 1, run_clients_update),
	ACT0("clients", "delete", "ID", "deactivate a client", 1, 1, run_clients_delete),
	ACT0("clients", "keys", "ID", "the client's registered keys", 1, 1, run_clients_keys),
	ACT("clients", "set-keys", "ID FILE [--kid KID]", "replace the keys with FILE: a JWK, a JWK set or a PEM key", o_clients_set_keys, 2, 2, run_clients_set_keys),
	ACT0("clients", "delete-keys", "ID [KID]", "delete one key, or every key", 1, 2, run_clients_delete_keys),
	ACT("delegations", "list", "[--consumer O] [--supplier O] [--scope S]", "delegations you give or receive", o_delegations_list, 0, 0, run_delegations_list),
	ACT0("delegations", "add", "CONSUMER SUPPLIER SCOPE", "let SUPPLIER get tokens for CONSUMER", 3, 3, run_delegations_add),
	ACT0("delegations", "remove", "CONSUMER SUPPLIER SCOPE", "withdraw a delegation", 3, 3, run_delegations_remove),
	ACT0("keys", "list", "", "the server's signing keys (porten:admin)", 0, 0, run_keys_list),
	ACT("keys", "rotate", "[--publish-ahead S]", "publish a new signing key (porten:admin)", o_keys_rotate, 0, 0, run_keys_rotate),
	ACT("audit", NULL, "[--after ID] [--limit N] [--actor ORGNO]", "the audit trail, oldest first (porten:admin)", o_audit, 0, 0, run_audit),
};

/* What --help of an action adds to its summary: the token scope, and details. */
static const struct {
	const char *group, *name, *text;
} action_help[] = {
	{ "scopes", "all", "GET /scopes/all; public, no token." },
	{ "scopes", "*", "Token scope: idporten:scopes.write." },
	{ "access", "mine", "Token scope: idporten:scopes.write (or another admin scope the\n"
	  "credentials hold)." },
	{ "access", "grant", "Repeating a grant changes nothing. An organisation number that fails\n"
	  "the check digit (such as 999888999) is accepted with a warning.\n"
	  "Token scope: idporten:scopes.write." },
	{ "access", "*", "Token scope: idporten:scopes.write." },
	{ "clients", "create", "Token scope: idporten:dcr.write, plus idporten:dcr.supplier with\n"
	  "--client-orgno of another organisation (the client then gets supplier_orgno = you)." },
	{ "clients", "update", "Token scope: idporten:dcr.modify." },
	{ "clients", "set-keys", "FILE is a JWK, a JWK set {\"keys\": [...]} (1 to 5 keys), or a PEM public\n"
	  "or private key or certificate. Only public members (kty kid use alg n e x5c) are\n"
	  "sent; a missing kid becomes --kid or the RFC 7638 thumbprint, a missing use/alg\n"
	  "sig/RS256. Every key uploaded lives one year from now.\n"
	  "Token scope: idporten:dcr.write." },
	{ "clients", "delete", "Token scope: idporten:dcr.write." },
	{ "clients", "delete-keys", "Token scope: idporten:dcr.write." },
	{ "clients", "*", "Token scope: idporten:dcr.read." },
	{ "delegations", "list", "Token scope: porten:admin when the credentials hold it (every\n"
	  "delegation), else idporten:dcr.read." },
	{ "delegations", "*", "The scope must have a delegation_source. Token scope: porten:admin when\n"
	  "the credentials hold it, else porten:delegations.write (you must be CONSUMER)." },
	{ "keys", "*", "Token scope: porten:admin." },
	{ "audit", "*", "Page with --after = the last id shown. Token scope: porten:admin." },
};

static const char *
action_detail(const struct action *ac)
{
	size_t i;

	for (i = 0; i < NOPTS(action_help); i++)
		if (strcmp(action_help[i].group, ac->group) == 0 &&
		    (strcmp(action_help[i].name, "*") == 0 ||
		     (ac->name != NULL && strcmp(action_help[i].name, ac->name) == 0)))
			return action_help[i].text;
	return "";
}

static const struct opt_cmd admin_cmd = {
	"admin",
	"[--sandbox FILE | --authz URL --client-id ID (--cert PEM | --kid KID) --key PEM\n"
	"       [--cacert PEM] | --token JWT] [--json] GROUP ACTION [ARGS]",
	"A client of porten authz's administration API (docs/admin-api.md): scopes, consumer\n"
	"access, clients and their keys, delegations, signing keys, the audit trail. Each\n"
	"action gets a token for exactly the scope it needs, with the \"admin\" credentials of\n"
	"the sandbox description or those given by the flags.",
	conn_opts, NOPTS(conn_opts), conn_footer,
};

/* "  group action ARGS   summary", the summary on a line of its own when ARGS are long. */
static void
list_actions(FILE *f, const char *group)
{
	char left[256];
	size_t i;

	for (i = 0; i < NOPTS(actions); i++) {
		const struct action *ac = &actions[i];

		if (group != NULL && strcmp(ac->group, group) != 0)
			continue;
		snprintf(left, sizeof(left), "%s%s%s%s%s", ac->group, ac->name ? " " : "",
		         ac->name ? ac->name : "", ac->args[0] ? " " : "", ac->args);
		if (strlen(left) <= 40)
			fprintf(f, "  %-40s %s\n", left, ac->summary);
		else
			fprintf(f, "  %s\n  %-40s %s\n", left, "", ac->summary);
	}
}

static void
admin_help(void)
{
	opts_help(&admin_cmd, stdout);
	printf("\nactions ('porten admin GROUP ACTION --help' tells more):\n");
	list_actions(stdout, NULL);
}

static int
group_known(const char *g)
{
	size_t i;

	for (i = 0; i < NOPTS(actions); i++)
		if (strcmp(actions[i].group, g) == 0)
			return 1;
	return 0;
}

static const struct opt *
table_find(const struct opt *t, size_t n, const char *arg)
{
	size_t len = strcspn(arg, "=");
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(t[i].name) == len && strncmp(t[i].name, arg, len) == 0)
			return &t[i];
	return NULL;
}

/* Index of the first argument after argv[from] that is neither an option of t nor the
 * value of one; argc when none. "--" ends the options. */
static int
first_positional(const struct opt *t, size_t n, int argc, char **argv, int from)
{
	const struct opt *o;
	int i;

	for (i = from; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0 || argv[i][0] != '-' || argv[i][1] == '\0')
			return i;
		if (strncmp(argv[i], "--", 2) != 0)
			continue;
		o = table_find(t, n, argv[i] + 2);
		if (o != NULL && o->type != OPT_FLAG && strchr(argv[i], '=') == NULL)
			i++;
	}
	return argc;
}

/* Parses the arguments after the action: options of the action plus the connection
 * options, and the positional arguments. Returns -1 to go on, else an exit status. */
static int
parse_action(struct admin *a, int argc, char **argv)
{
	struct opt table[ADMIN_TABLE_MAX];
	char description[1024];
	struct opt_cmd cmd;
	char *optv[128];
	int optc = 1, i, r, rest = 0;
	size_t n = 0, k;

	for (k = 0; k < a->act->nopts; k++)
		table[n++] = a->act->opts[k];
	for (k = 0; k < NOPTS(conn_opts); k++) {
		if (table_find(a->act->opts, a->act->nopts, conn_opts[k].name) != NULL)
			continue;   /* the action's own option of that name wins (set-keys --kid) */
		table[n] = conn_opts[k];
		table[n].hidden = 1;
		table[n].noenv = 1;   /* the environment was read by the first pass */
		n++;
	}
	cmd.name = a->cmdname;
	cmd.synopsis = a->synopsis;
	snprintf(description, sizeof(description), "%c%s.\n%s", toupper((unsigned char)a->act->summary[0]),
	         a->act->summary + 1, action_detail(a->act));
	cmd.description = description;
	cmd.opts = table;
	cmd.nopts = n;
	cmd.footer = action_footer;

	optv[0] = a->cmdname;
	for (i = 0; i < argc; i++) {
		if (!rest && strcmp(argv[i], "--") == 0) {
			rest = 1;
			continue;
		}
		if (!rest && argv[i][0] == '-' && argv[i][1] != '\0') {
			const struct opt *o = NULL;

			if (optc + 2 >= (int)NOPTS(optv))
				return usage_error(a, "too many arguments");
			if (strncmp(argv[i], "--", 2) == 0)
				o = table_find(table, n, argv[i] + 2);
			optv[optc++] = argv[i];
			if (o != NULL && o->type != OPT_FLAG && strchr(argv[i], '=') == NULL && i + 1 < argc)
				optv[optc++] = argv[++i];
			continue;
		}
		if (a->nargs >= ADMIN_ARGS_MAX || a->nargs >= a->act->max_args)
			return usage_error(a, "unexpected argument '%s'", argv[i]);
		a->args[a->nargs++] = argv[i];
	}
	r = opts_parse(&cmd, &a->o, optc, optv);
	if (r == 1)
		return PORTEN_EXIT_OK;
	if (r != 0) {
		fprintf(stderr, "usage: porten %s %s\n", a->cmdname, a->synopsis);
		return PORTEN_EXIT_USAGE;
	}
	if (a->nargs < a->act->min_args)
		return usage_error(a, "missing argument%s", a->act->min_args - a->nargs > 1 ? "s" : "");
	return -1;
}

int
cmd_admin(int argc, char **argv)
{
	struct admin a;
	const char *group, *name = NULL;
	int g, i, r, rc;
	size_t k;

	memset(&a, 0, sizeof(a));
	a.o.timeout = a.o.at_max_age = a.o.lifetime = a.o.publish_ahead = a.o.limit = -1;
	porten_log_set_level(PORTEN_LOG_WARN);
	/* Everything may end up in a JSON body, which is UTF-8. */
	for (i = 1; i < argc; i++) {
		json_t *probe = json_string(argv[i]);

		if (probe == NULL) {
			if (i == 1)
				fprintf(stderr, PROG ": the first argument is not UTF-8 text\n");
			else
				fprintf(stderr, PROG ": the argument after '%s' is not UTF-8 text\n", argv[i - 1]);
			return PORTEN_EXIT_USAGE;
		}
		json_decref(probe);
	}

	/* Connection options up to the group. */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			break;
	g = first_positional(conn_opts, NOPTS(conn_opts), argc, argv, 1);
	if (i < g || (g < argc && strcmp(argv[g], "help") == 0)) {
		admin_help();
		return PORTEN_EXIT_OK;
	}
	r = opts_parse(&admin_cmd, &a.o, g, argv);
	if (r != 0)
		return r == 1 ? PORTEN_EXIT_OK : PORTEN_EXIT_USAGE;
	if (g < argc && strcmp(argv[g], "--") == 0)
		g++;
	if (g >= argc) {
		fprintf(stderr, PROG ": which group? see 'porten admin --help'\n");
		return PORTEN_EXIT_USAGE;
	}
	if ((r = opts_log_level(PROG, a.o.log_level, -1)) != 0)
		return r;

	group = argv[g];
	if (!group_known(group)) {
		fprintf(stderr, PROG ": unknown group '%s'; see 'porten admin --help'\n", group);
		return PORTEN_EXIT_USAGE;
	}
	for (k = 0; k < NOPTS(actions); k++)
		if (strcmp(actions[k].group, group) == 0 && actions[k].name == NULL)
			a.act = &actions[k];
	if (a.act == NULL) {
		if (g + 1 >= argc || strcmp(argv[g + 1], "--help") == 0 ||
		    strcmp(argv[g + 1], "-h") == 0 || strcmp(argv[g + 1], "help") == 0) {
			FILE *f = g + 1 >= argc ? stderr : stdout;

			fprintf(f, "usage: porten admin [connection options] %s ACTION [ARGS] [options]\n\n"
			        "actions ('porten admin %s ACTION --help' tells more):\n", group, group);
			list_actions(f, group);
			return g + 1 >= argc ? PORTEN_EXIT_USAGE : PORTEN_EXIT_OK;
		}
		name = argv[g + 1];
		for (k = 0; k < NOPTS(actions); k++)
			if (strcmp(actions[k].group, group) == 0 && strcmp(actions[k].name, name) == 0)
				a.act = &actions[k];
		if (a.act == NULL) {
			fprintf(stderr, PROG ": unknown action '%s %s'; the %s actions are:\n", group,
			        name, group);
			list_actions(stderr, group);
			return PORTEN_EXIT_USAGE;
		}
		g++;
	}
	snprintf(a.cmdname, sizeof(a.cmdname), "admin %s%s%s", group, name ? " " : "",
	         name ? name : "");
	snprintf(a.synopsis, sizeof(a.synopsis), "%s", a.act->args[0] ? a.act->args : "[options]");
	if ((rc = parse_action(&a, argc - g - 1, argv + g + 1)) >= 0)
		return rc;
	if (a.o.token != NULL && *a.o.token == '\0') {
		fprintf(stderr, PROG ": --token must not be empty\n");
		return PORTEN_EXIT_USAGE;
	}
	rc = a.act->run(&a);
	porten_client_credentials_clear(&a.cr);
	porten_client_free(a.client);
	json_decref(a.sandbox);
	return rc;
}
