/* The administration API: request plumbing (authentication, errors, bodies, the write
 * queue with its audit records), the dispatcher, delegations and the operator
 * endpoints. Scopes and access are in admin_scopes.c, clients and keys in
 * admin_clients.c. docs/admin-api.md is the contract. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/ident.h"
#include "porten/log.h"
#include "porten/rand.h"
#include "authz/admin.h"
#include "authz/authz_internal.h"

/* ---- responses ---- */

void
adm_json(struct adm *a, int status, const json_t *body)
{
	porten_resp_json(a->resp, status, body);
	a->responded = true;
	porten_resp_header(a->resp, "Cache-Control", "no-store");
	porten_resp_header(a->resp, "X-Correlation-ID", a->correlation_id);
}

void
adm_no_content(struct adm *a)
{
	porten_resp_text(a->resp, 204, "application/json", "", 0);
	a->responded = true;
	porten_resp_header(a->resp, "X-Correlation-ID", a->correlation_id);
}

void
adm_error(struct adm *a, int status, const char *error, json_t *errors, const char *fmt, ...)
{
	char desc[1024], ts[32];
	va_list ap;
	json_t *body;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	porten_iso8601(porten_now(), ts, sizeof(ts));
	body = json_pack("{s:i,s:s,s:s,s:o,s:s,s:s}", "status", status, "timestamp", ts,
	                 "correlation_id", a->correlation_id,
	                 "errors", errors ? errors : json_array(), "error", error,
	                 "error_description", desc);
	adm_json(a, status, body);
	json_decref(body);
	if (status == 401)
		porten_resp_header(a->resp, "WWW-Authenticate", strcmp(error, "invalid_token") == 0 &&
		                   porten_req_header(a->req, "Authorization") != NULL
		                   ? "Bearer error=\"invalid_token\"" : "Bearer");
	snprintf(a->req->log_code, sizeof(a->req->log_code), "%s", error);
	if (status == 401 || status == 403)
		log_warn("security: admin refused ip=%s status=%d error=%s actor=%s correlation_id=%s",
		         a->req->client_ip, status, error, a->actor[0] ? a->actor : "-", a->correlation_id);
	else if (status >= 500)
		log_error("admin: %d %s correlation_id=%s: %s", status, error, a->correlation_id, desc);
}

void
adm_method_not_allowed(struct adm *a, const char *allow)
{
	adm_error(a, 405, "method_not_allowed", NULL, "Use %s on %s", allow, a->path);
	porten_resp_header(a->resp, "Allow", allow);
}

static json_t *
field_errors(const char *obj, const json_t *list)
{
	json_t *out = json_array(), *e;
	size_t i;

	json_array_foreach(list, i, e) {
		const char *f = json_string_value(json_object_get(e, "field"));
		json_array_append_new(out, json_pack("{s:s,s:b,s:s,s:s}",
		                      "errorMessage", json_string_value(json_object_get(e, "message")),
		                      "isFieldError", f && f[0], "objectName", obj,
		                      "fieldIdentifier", f ? f : ""));
	}
	return out;
}

void
adm_invalid(struct adm *a, const char *obj, struct az_problems *p)
{
	adm_error(a, 400, "invalid_request", field_errors(obj, p->list), "%s",
	          p->buf.data ? p->buf.data : "invalid request");
}

void
adm_invalid_one(struct adm *a, const char *obj, const char *field, const char *fmt, ...)
{
	struct az_problems p = { 0 };
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	az_problem(&p, field, "%s", msg);
	adm_invalid(a, obj, &p);
	az_problems_release(&p);
}

void
adm_store_error(struct adm *a, int r, const char *what)
{
	if (r == PORTEN_ERR_UNAVAILABLE)
		adm_error(a, 503, "temporarily_unavailable", NULL,
		          "The store is unavailable; try again shortly");
	else
		adm_error(a, 500, "server_error", NULL, "%s failed: %s", what, porten_strerror(r));
}

/* ---- authentication ---- */

bool
adm_has_scope(const struct adm *a, const char *scope)
{
	size_t n = strlen(scope);
	const char *p = a->scope;

	while (*p) {
		size_t len = strcspn(p, " ");
		if (len == n && memcmp(p, scope, n) == 0)
			return true;
		p += len;
		while (*p == ' ')
			p++;
	}
	return false;
}

int
adm_auth(struct adm *a, const char *const *any)
{
	static const char *const admin_scopes[] = { ADM_SCOPES_WRITE, ADM_DCR_READ, ADM_DCR_WRITE,
		ADM_DCR_MODIFY, ADM_DCR_SUPPLIER, ADM_DELEG_WRITE, ADM_OPERATOR, NULL };
	const char *h = porten_req_header(a->req, "Authorization"), *tok, *id, *sc, *cid;
	json_t *claims = NULL;
	int r;

	if (h == NULL) {
		adm_error(a, 401, "invalid_token", NULL,
		          "Missing Authorization header: send 'Authorization: Bearer <access token from this server>'");
		return -1;
	}
	if (strlen(h) > PORTEN_ADMIN_BEARER_MAX || strncasecmp(h, "Bearer ", 7) != 0) {
		adm_error(a, 401, "invalid_token", NULL, "The Authorization header must be 'Bearer <token>'");
		return -1;
	}
	for (tok = h + 7; *tok == ' '; tok++)
		;
	r = porten_authz_verify_own_token(a->az, tok, strlen(tok), &claims);
	if (r != 0) {
		adm_error(a, 401, "invalid_token", NULL, "%s",
		          r == PORTEN_ERR_CONFLICT ? "The access token has expired or was issued by another issuer"
		          : r == PORTEN_ERR_SIGNATURE ? "The access token is not signed by this server's keys"
		          : "The access token is malformed");
		return -1;
	}
	id = json_string_value(json_object_get(json_object_get(claims, "consumer"), "ID"));
	sc = json_string_value(json_object_get(claims, "scope"));
	cid = json_string_value(json_object_get(claims, "client_id"));
	if (id == NULL || strncmp(id, "0192:", 5) != 0 || strlen(id + 5) != 9 || sc == NULL ||
	    strlen(sc) > PORTEN_SCOPE_STRING_MAX) {
		json_decref(claims);
		adm_error(a, 401, "invalid_token", NULL, "The access token has no consumer organisation or scope");
		return -1;
	}
	snprintf(a->actor, sizeof(a->actor), "%s", id + 5);
	snprintf(a->scope, sizeof(a->scope), "%s", sc);
	snprintf(a->actor_client, sizeof(a->actor_client), "%s", cid ? cid : "");
	snprintf(a->req->log_orgno, sizeof(a->req->log_orgno), "%s", a->actor);
	snprintf(a->req->log_client_id, sizeof(a->req->log_client_id), "%s", a->actor_client);
	json_decref(claims);
	if (any == NULL)
		any = admin_scopes;
	for (size_t i = 0; any[i]; i++)
		if (adm_has_scope(a, any[i]))
			return 0;
	if (any[1] == NULL)
		adm_error(a, 403, "insufficient_scope", NULL, "This operation requires the scope %s", any[0]);
	else if (any[2] == NULL)
		adm_error(a, 403, "insufficient_scope", NULL, "This operation requires the scope %s or %s",
		          any[0], any[1]);
	else
		adm_error(a, 403, "insufficient_scope", NULL,
		          "This operation requires an administration scope such as %s", any[0]);
	return -1;
}

/* ---- input ---- */

int
adm_body(struct adm *a, const char *obj, json_t **out)
{
	json_error_t je;
	json_t *j;
	char msg[300];

	*out = NULL;
	if (a->req->body_len == 0) {
		adm_invalid_one(a, obj, "", "a JSON body is required");
		return -1;
	}
	j = json_loadb(a->req->body, a->req->body_len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL || !json_is_object(j)) {
		if (j == NULL)
			snprintf(msg, sizeof(msg), "malformed JSON at line %d column %d: %s", je.line, je.column, je.text);
		else
			snprintf(msg, sizeof(msg), "the body must be a JSON object");
		json_decref(j);
		adm_invalid_one(a, obj, "", "%s", msg);
		return -1;
	}
	*out = j;
	return 0;
}

int
adm_query(struct adm *a, const char *name, bool required, const char **out)
{
	*out = porten_req_query(a->req, name);
	if (porten_req_query_count(a->req, name) > 1) {
		adm_error(a, 400, "invalid_request", NULL, "The query parameter %s is repeated", name);
		return -1;
	}
	if (required && (*out == NULL || **out == '\0')) {
		adm_error(a, 400, "invalid_request", NULL, "The query parameter %s is required", name);
		return -1;
	}
	return 0;
}

bool
adm_orgno_ok(const char *s)
{
	if (s == NULL || strlen(s) != 9 || strspn(s, "0123456789") != 9)
		return false;
	if (!porten_orgno_valid(s, 9))
		log_warn("admin: %s fails the organisation-number check digit (a placeholder such as "
		         "999888999?); accepted for testing", s);
	return true;
}

/* ---- the write queue ---- */

static int
queue(struct adm *a, int op, enum porten_doc_kind kind, const char *key, json_t *doc)
{
	if (a->nops == ADM_OPS_MAX || (a->keys[a->nops] = strdup(key)) == NULL) {
		json_decref(doc);
		return PORTEN_ERR_NOMEM;
	}
	a->docs[a->nops] = doc;
	a->ops[a->nops].op = op;
	a->ops[a->nops].kind = kind;
	a->ops[a->nops].key = a->keys[a->nops];
	a->ops[a->nops].doc = doc;
	a->nops++;
	return 0;
}

int
adm_put(struct adm *a, enum porten_doc_kind kind, const char *key, json_t *doc)
{
	return queue(a, PORTEN_OP_PUT, kind, key, doc);
}

int
adm_insert(struct adm *a, enum porten_doc_kind kind, const char *key, json_t *doc)
{
	return queue(a, PORTEN_OP_INSERT, kind, key, doc);
}

int
adm_delete(struct adm *a, enum porten_doc_kind kind, const char *key)
{
	return queue(a, PORTEN_OP_DELETE, kind, key, NULL);
}

int
az_audit_id(int64_t now, char *out, size_t outsz)
{
	struct timespec t;
	char rnd[9];

	clock_gettime(CLOCK_REALTIME, &t);
	if (porten_random_hex(rnd, 4) != 0)
		return PORTEN_ERR_CRYPTO;
	/* Ordered by (pinned) time, then real time, then chance: unique across processes. */
	snprintf(out, outsz, "%012lld-%010lld%09ld-%s", (long long)now, (long long)t.tv_sec,
	         t.tv_nsec, rnd);
	return 0;
}

/* A key set without moduli: enough to see which keys changed. */
static json_t *
audit_doc(const char *object, const json_t *doc)
{
	json_t *c, *k;
	size_t i;

	if (doc == NULL)
		return json_null();
	c = json_deep_copy(doc);
	if (strcmp(object, "jwks") == 0)
		json_array_foreach(json_object_get(c, "keys"), i, k) {
			json_object_del(k, "n");
			json_object_del(k, "x5c");
		}
	return c;
}

int
adm_audit(struct adm *a, const char *action, const char *object, const char *key,
          const json_t *before, const json_t *after)
{
	char id[80], ts[32];
	json_t *rec;

	if (az_audit_id(a->now, id, sizeof(id)) != 0)
		return PORTEN_ERR_CRYPTO;
	porten_iso8601(a->now, ts, sizeof(ts));
	rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s}", "id", id, "time", ts,
	                "actor_orgno", a->actor, "actor_client_id", a->actor_client,
	                "action", action, "object", object, "key", key,
	                "before", audit_doc(object, before), "after", audit_doc(object, after),
	                "correlation_id", a->correlation_id);
	if (rec == NULL)
		return PORTEN_ERR_NOMEM;
	return adm_insert(a, PORTEN_DOC_AUDIT, id, rec);
}

int
adm_commit(struct adm *a)
{
	int r = a->nops ? porten_store_apply(a->az->cfg.store, a->ops, a->nops) : 0;

	if (r == PORTEN_ERR_EXISTS)
		adm_error(a, 409, "conflict", NULL, "The object was created by another request at the same time");
	else if (r == PORTEN_ERR_NOT_FOUND)
		adm_error(a, 409, "conflict", NULL, "The object was removed by another request at the same time");
	else if (r != 0)
		adm_store_error(a, r, "store write");
	else
		log_info("admin: %zu change%s by %s client_id=%s correlation_id=%s", a->nops,
		         a->nops == 1 ? "" : "s", a->actor, a->actor_client, a->correlation_id);
	return r;
}

int
adm_get(struct adm *a, enum porten_doc_kind kind, const char *key, json_t **out)
{
	int r = porten_store_get(a->az->cfg.store, kind, key, out);

	if (r == PORTEN_ERR_NOT_FOUND) {
		*out = NULL;
		return 0;
	}
	if (r != 0) {
		*out = NULL;
		adm_store_error(a, r, "store read");
		return -1;
	}
	return 0;
}

void
adm_list(struct adm *a, enum porten_doc_kind kind, const char *prefix, adm_pick pick, void *ctx)
{
	json_t *rows = NULL, *row, *out, *v;
	size_t i;
	int r;

	if ((r = porten_store_list(a->az->cfg.store, kind, prefix, &rows)) != 0) {
		adm_store_error(a, r, "list");
		return;
	}
	out = json_array();
	json_array_foreach(rows, i, row)
		if ((v = pick(a, json_string_value(json_object_get(row, "key")), json_object_get(row, "doc"), ctx)) != NULL)
			json_array_append_new(out, v);
	adm_json(a, 200, out);
	json_decref(out);
	json_decref(rows);
}

json_t *
adm_merge(const json_t *cur, const json_t *body)
{
	json_t *merged = json_deep_copy(cur), *v;
	const char *k;

	json_object_del(merged, "created");
	json_object_del(merged, "last_updated");
	json_object_foreach((json_t *)body, k, v) {
		if (json_is_null(v))
			json_object_del(merged, k);
		else
			json_object_set(merged, k, v);
	}
	return merged;
}

void
adm_deactivate(struct adm *a, enum porten_doc_kind kind, const char *key, const char *object,
               const json_t *cur)
{
	char ts[32], action[32];
	json_t *doc;

	if (json_is_false(json_object_get(cur, "active"))) {
		adm_json(a, 200, cur);
		return;
	}
	doc = json_deep_copy(cur);
	porten_iso8601(a->now, ts, sizeof(ts));
	json_object_set_new(doc, "active", json_false());
	json_object_set_new(doc, "last_updated", json_string(ts));
	snprintf(action, sizeof(action), "%s.deactivate", object);
	if (adm_audit(a, action, object, key, cur, doc) == 0 &&
	    adm_put(a, kind, key, json_incref(doc)) == 0 && adm_commit(a) == 0)
		adm_json(a, 200, doc);
	json_decref(doc);
}

/* ---- delegations (the local stand-in for Altinn) ---- */

static void
delegation_key(char *out, size_t n, const char *consumer, const char *supplier, const char *scope)
{
	snprintf(out, n, "%s\n%s\n%s", consumer, supplier, scope);
}

struct delegation_filter {
	const char *consumer, *supplier, *scope;
	bool all;
};

static json_t *
pick_delegation(struct adm *a, const char *key, json_t *d, void *ctx)
{
	const struct delegation_filter *f = ctx;
	const char *c = json_string_value(json_object_get(d, "consumer_orgno"));
	const char *s = json_string_value(json_object_get(d, "supplier_orgno"));
	const char *sc = json_string_value(json_object_get(d, "scope"));

	if (c == NULL || s == NULL || sc == NULL)
		return NULL;
	if (!f->all && strcmp(c, a->actor) != 0 && strcmp(s, a->actor) != 0)
		return NULL;
	if ((f->consumer && strcmp(f->consumer, c)) || (f->supplier && strcmp(f->supplier, s)) ||
	    (f->scope && strcmp(f->scope, sc)))
		return NULL;
	return json_incref(d);
}

static void
delegations_get(struct adm *a)
{
	struct delegation_filter f;

	if (adm_auth(a, NULL) != 0 || adm_query(a, "consumer_orgno", false, &f.consumer) ||
	    adm_query(a, "supplier_orgno", false, &f.supplier) || adm_query(a, "scope", false, &f.scope))
		return;
	f.all = adm_has_scope(a, ADM_OPERATOR);
	adm_list(a, PORTEN_DOC_DELEGATION, NULL, pick_delegation, &f);
}

/* The actor may manage delegations from consumer: its own (porten:delegations.write) or
 * any (porten:admin). Responds and returns -1 otherwise. */
static int
delegation_allowed(struct adm *a, const char *consumer)
{
	if (adm_has_scope(a, ADM_OPERATOR))
		return 0;
	if (strcmp(consumer, a->actor) != 0) {
		adm_error(a, 403, "access_denied", NULL,
		          "Organisation %s cannot delegate on behalf of %s: only the consumer delegates its access",
		          a->actor, consumer);
		return -1;
	}
	return 0;
}

static void
delegations_post(struct adm *a)
{
	static const char *const need[] = { ADM_DELEG_WRITE, ADM_OPERATOR, NULL };
	struct az_problems p = { 0 };
	json_t *body = NULL, *doc = NULL, *scope = NULL, *old = NULL;
	const char *src = NULL;
	char key[PORTEN_SCOPE_NAME_MAX + 64];

	if (adm_auth(a, need) != 0 || adm_body(a, "Delegation", &body) != 0)
		return;
	doc = az_delegation_normalize(body, "", a->now, &p);
	if (doc != NULL) {
		const char *c = json_string_value(json_object_get(doc, "consumer_orgno"));
		if (strcmp(c, json_string_value(json_object_get(doc, "supplier_orgno"))) == 0)
			az_problem(&p, "supplier_orgno", "must differ from consumer_orgno");
		if (adm_get(a, PORTEN_DOC_SCOPE, json_string_value(json_object_get(doc, "scope")), &scope) != 0)
			goto out;
		src = json_string_value(json_object_get(scope, "delegation_source"));
		if (scope == NULL)
			az_problem(&p, "scope", "unknown scope");
		else if (src == NULL || *src == '\0')
			az_problem(&p, "scope", "the scope has no delegation_source; its owner must set one before it can be delegated");
	}
	if (p.count > 0) {
		adm_invalid(a, "Delegation", &p);
		goto out;
	}
	if (delegation_allowed(a, json_string_value(json_object_get(doc, "consumer_orgno"))) != 0)
		goto out;
	json_object_set_new(doc, "delegation_source", json_string(src));
	delegation_key(key, sizeof(key), json_string_value(json_object_get(doc, "consumer_orgno")),
	               json_string_value(json_object_get(doc, "supplier_orgno")),
	               json_string_value(json_object_get(doc, "scope")));
	if (adm_get(a, PORTEN_DOC_DELEGATION, key, &old) != 0)
		goto out;
	if (old != NULL && !json_is_false(json_object_get(old, "active"))) {
		adm_json(a, 200, old);
		goto out;
	}
	if (adm_audit(a, "delegation.create", "delegation", key, old, doc) != 0 ||
	    adm_put(a, PORTEN_DOC_DELEGATION, key, json_incref(doc)) != 0) {
		adm_store_error(a, PORTEN_ERR_NOMEM, "queue");
		goto out;
	}
	if (adm_commit(a) == 0)
		adm_json(a, 201, doc);
out:
	az_problems_release(&p);
	json_decref(body);
	json_decref(doc);
	json_decref(scope);
	json_decref(old);
}

static void
delegations_delete(struct adm *a)
{
	static const char *const need[] = { ADM_DELEG_WRITE, ADM_OPERATOR, NULL };
	const char *c, *s, *sc;
	char key[PORTEN_SCOPE_NAME_MAX + 64];
	json_t *old = NULL;

	if (adm_auth(a, need) != 0 || adm_query(a, "consumer_orgno", true, &c) ||
	    adm_query(a, "supplier_orgno", true, &s) || adm_query(a, "scope", true, &sc))
		return;
	if (strlen(sc) > PORTEN_SCOPE_NAME_MAX || !adm_orgno_ok(c) || !adm_orgno_ok(s)) {
		adm_error(a, 400, "invalid_request", NULL,
		          "consumer_orgno and supplier_orgno must be 9 digits and scope a scope name");
		return;
	}
	if (delegation_allowed(a, c) != 0)
		return;
	delegation_key(key, sizeof(key), c, s, sc);
	if (adm_get(a, PORTEN_DOC_DELEGATION, key, &old) != 0)
		return;
	if (old == NULL) {
		adm_error(a, 404, "not_found", NULL, "No delegation of %s from %s to %s", sc, c, s);
		return;
	}
	if (adm_audit(a, "delegation.delete", "delegation", key, old, NULL) == 0 &&
	    adm_delete(a, PORTEN_DOC_DELEGATION, key) == 0 && adm_commit(a) == 0)
		adm_no_content(a);
	json_decref(old);
}

void
adm_delegations(struct adm *a)
{
	const char *m = a->req->method;

	if (!strcmp(m, "GET") || !strcmp(m, "HEAD"))
		delegations_get(a);
	else if (!strcmp(m, "POST"))
		delegations_post(a);
	else if (!strcmp(m, "DELETE"))
		delegations_delete(a);
	else
		adm_method_not_allowed(a, "GET, POST, DELETE");
}

/* ---- operator endpoints ---- */

static const char *const need_operator[] = { ADM_OPERATOR, NULL };

static void
op_keys(struct adm *a)
{
	json_t *keys;

	if (adm_auth(a, need_operator) != 0)
		return;
	keys = porten_authz_keys_list(a->az);
	if (keys == NULL) {
		adm_store_error(a, PORTEN_ERR_NOMEM, "key list");
		return;
	}
	json_t *out = json_pack("{s:o}", "keys", keys);
	adm_json(a, 200, out);
	json_decref(out);
}

static void
op_rotate(struct adm *a)
{
	json_t *body = NULL, *v, *after, *out;
	json_int_t ahead = PORTEN_KEY_PUBLISH_AHEAD_DEFAULT;
	char kid[64], ts[32];
	int r;

	if (adm_auth(a, need_operator) != 0)
		return;
	if (a->req->body_len > 0) {
		if (adm_body(a, "Request", &body) != 0)
			return;
		v = json_object_get(body, "publish_ahead");
		if (json_object_size(body) > (v != NULL) || (v != NULL && (!json_is_integer(v) ||
		    json_integer_value(v) < 0 || json_integer_value(v) > PORTEN_KEY_PUBLISH_AHEAD_MAX))) {
			json_decref(body);
			adm_invalid_one(a, "Request", "publish_ahead", "must be an integer from 0 to %d (the only field)",
			                PORTEN_KEY_PUBLISH_AHEAD_MAX);
			return;
		}
		if (v != NULL)
			ahead = json_integer_value(v);
		json_decref(body);
	}
	if ((r = porten_authz_keys_rotate(a->az, (int64_t)ahead, kid)) != 0) {
		adm_error(a, r == PORTEN_ERR_TOO_LARGE ? 409 : 500,
		          r == PORTEN_ERR_TOO_LARGE ? "conflict" : "server_error", NULL,
		          r == PORTEN_ERR_TOO_LARGE ? "Too many signing keys are published; wait until the previous ones retire"
		          : "Key rotation failed: %s", porten_strerror(r));
		return;
	}
	porten_iso8601(a->now + ahead, ts, sizeof(ts));
	after = json_pack("{s:s,s:s}", "kid", kid, "activates", ts);
	if (adm_audit(a, "keys.rotate", "signing_key", kid, NULL, after) == 0 && adm_commit(a) == 0) {
		out = json_pack("{s:s,s:s,s:o}", "kid", kid, "activates", ts, "keys",
		                porten_authz_keys_list(a->az));
		adm_json(a, 200, out);
		json_decref(out);
	}
	json_decref(after);
}

static void
op_audit(struct adm *a)
{
	const char *after, *lim, *actor;
	json_t *page = NULL, *row, *out;
	long limit = PORTEN_AUDIT_PAGE_DEFAULT;
	char cursor[PORTEN_STORE_KEY_MAX + 1] = "";
	size_t i;
	int r;

	if (adm_auth(a, need_operator) != 0 || adm_query(a, "after", false, &after) ||
	    adm_query(a, "limit", false, &lim) || adm_query(a, "actor", false, &actor))
		return;
	if (lim != NULL) {
		char *end;
		limit = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || limit < 1 || limit > PORTEN_AUDIT_PAGE_MAX) {
			adm_error(a, 400, "invalid_request", NULL, "limit must be 1 to %d", PORTEN_AUDIT_PAGE_MAX);
			return;
		}
	}
	if (after != NULL && strlen(after) > PORTEN_STORE_KEY_MAX) {
		adm_error(a, 400, "invalid_request", NULL, "after is not an audit id");
		return;
	}
	snprintf(cursor, sizeof(cursor), "%s", after ? after : "");
	out = json_array();
	/* The actor filter may skip rows: read pages until the answer is full or the end. */
	for (;;) {
		size_t n;

		if ((r = porten_store_list_after(a->az->cfg.store, PORTEN_DOC_AUDIT, cursor,
		                                 (size_t)limit, &page)) != 0) {
			json_decref(out);
			adm_store_error(a, r, "audit list");
			return;
		}
		n = json_array_size(page);
		json_array_foreach(page, i, row) {
			json_t *d = json_object_get(row, "doc");
			if (json_array_size(out) >= (size_t)limit)
				break;
			if (actor == NULL || (json_is_string(json_object_get(d, "actor_orgno")) &&
			                      strcmp(json_string_value(json_object_get(d, "actor_orgno")), actor) == 0))
				json_array_append(out, d);
			snprintf(cursor, sizeof(cursor), "%s", json_string_value(json_object_get(row, "key")));
		}
		json_decref(page);
		page = NULL;
		if (n < (size_t)limit || json_array_size(out) >= (size_t)limit)
			break;
	}
	row = json_pack("{s:o}", "entries", out);
	adm_json(a, 200, row);
	json_decref(row);
}

/* {"prefix", "owner_orgno"}; ctx: only this owner's (NULL: all). */
json_t *
adm_pick_prefix(struct adm *a, const char *key, json_t *doc, void *ctx)
{
	const char *owner = json_string_value(json_object_get(doc, "owner_orgno"));

	if (owner == NULL || (ctx != NULL && strcmp(owner, ctx) != 0))
		return NULL;
	return json_pack("{s:s,s:s}", "prefix", key, "owner_orgno", owner);
}

static void
op_prefixes(struct adm *a)
{
	if (adm_auth(a, need_operator) == 0)
		adm_list(a, PORTEN_DOC_PREFIX, NULL, adm_pick_prefix, NULL);
}

static void
op_prefix_assign(struct adm *a, const char *prefix)
{
	json_t *body = NULL, *old = NULL, *doc;
	const char *owner;
	struct az_problems p = { 0 };

	if (adm_auth(a, need_operator) != 0 || adm_body(a, "Prefix", &body) != 0)
		return;
	owner = json_string_value(json_object_get(body, "owner_orgno"));
	if (!az_prefix_valid(prefix))
		az_problem(&p, "prefix", "must be 1 to 64 lowercase letters, digits and '-'");
	if (!adm_orgno_ok(owner))
		az_problem(&p, "owner_orgno", "must be a string of 9 digits");
	if (json_object_size(body) != 1 || owner == NULL)
		az_problem(&p, "", "the body must be {\"owner_orgno\": \"<9 digits>\"}");
	if (p.count > 0) {
		adm_invalid(a, "Prefix", &p);
		goto out;
	}
	if (adm_get(a, PORTEN_DOC_PREFIX, prefix, &old) != 0)
		goto out;
	doc = json_pack("{s:s}", "owner_orgno", owner);
	if (adm_audit(a, "prefix.assign", "prefix", prefix, old, doc) == 0 &&
	    adm_put(a, PORTEN_DOC_PREFIX, prefix, json_incref(doc)) == 0 && adm_commit(a) == 0) {
		json_t *o = json_pack("{s:s,s:s}", "prefix", prefix, "owner_orgno", owner);
		adm_json(a, 200, o);
		json_decref(o);
	}
	json_decref(doc);
out:
	az_problems_release(&p);
	json_decref(body);
	json_decref(old);
}

static void
op_clock(struct adm *a)
{
	json_t *body = NULL, *v, *out;
	int64_t before = a->now;

	if (!a->az->cfg.clock_settable) {
		adm_error(a, 404, "not_found", NULL, "The clock can only be moved when the server runs with --fake-now");
		return;
	}
	if (adm_auth(a, need_operator) != 0 || adm_body(a, "Request", &body) != 0)
		return;
	v = json_object_get(body, "now");
	if (json_object_size(body) != 1 || !json_is_integer(v) || json_integer_value(v) <= 0 ||
	    json_integer_value(v) > 253402300799LL) {
		json_decref(body);
		adm_invalid_one(a, "Request", "now", "must be a positive unix time (the only field)");
		return;
	}
	porten_clock_pin(json_integer_value(v));
	a->now = json_integer_value(v);
	{
		json_t *b = json_pack("{s:I}", "now", (json_int_t)before), *af = json_pack("{s:O}", "now", v);
		if (adm_audit(a, "clock.set", "clock", "now", b, af) == 0)
			(void)adm_commit(a);
		json_decref(b);
		json_decref(af);
	}
	if (!a->responded) {
		out = json_pack("{s:O}", "now", v);
		adm_json(a, 200, out);
		json_decref(out);
	}
	json_decref(body);
}

void
adm_operator(struct adm *a)
{
	const char *p = a->path, *m = a->req->method;
	bool get = !strcmp(m, "GET") || !strcmp(m, "HEAD");

	if (!strcmp(p, "/admin/keys"))
		get ? op_keys(a) : adm_method_not_allowed(a, "GET");
	else if (!strcmp(p, "/admin/keys/rotate"))
		!strcmp(m, "POST") ? op_rotate(a) : adm_method_not_allowed(a, "POST");
	else if (!strcmp(p, "/admin/audit"))
		get ? op_audit(a) : adm_method_not_allowed(a, "GET");
	else if (!strcmp(p, "/admin/prefixes"))
		get ? op_prefixes(a) : adm_method_not_allowed(a, "GET");
	else if (!strncmp(p, "/admin/prefixes/", 16) && p[16] && !strchr(p + 16, '/'))
		!strcmp(m, "PUT") ? op_prefix_assign(a, p + 16) : adm_method_not_allowed(a, "PUT");
	else if (!strcmp(p, "/admin/clock"))
		!strcmp(m, "POST") ? op_clock(a) : adm_method_not_allowed(a, "POST");
	else
		adm_error(a, 404, "not_found", NULL, "No such endpoint");
}

/* ---- dispatch ---- */

static const char *
strip_api(const char *path)
{
	if (strncmp(path, "/api/v1/", 8) == 0)
		return path + 7;
	return path;
}

bool
adm_path(const char *path)
{
	static const char *const roots[] = { "/scopes", "/clients", "/delegations", "/admin",
		"/prefix", "/delegationsources", NULL };

	if (strcmp(path, "/api/v1") == 0 || strncmp(path, "/api/v1/", 8) == 0)
		return true;
	for (size_t i = 0; roots[i]; i++) {
		size_t n = strlen(roots[i]);
		if (strncmp(path, roots[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

static void
adm_init(struct adm *a, porten_authz *az, struct porten_req *req, struct porten_resp *resp)
{
	memset(a, 0, sizeof(*a));
	a->az = az;
	a->req = req;
	a->resp = resp;
	a->path = strip_api(req->path);
	a->now = porten_now();
	if (porten_random_hex(a->correlation_id, 16) != 0)
		snprintf(a->correlation_id, sizeof(a->correlation_id), "%032d", 0);
}

static void
adm_release(struct adm *a)
{
	for (size_t i = 0; i < a->nops; i++) {
		free(a->keys[i]);
		json_decref(a->docs[i]);
	}
	a->nops = 0;
}

void
porten_authz_admin(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	struct adm a;
	const char *p, *m = req->method;
	bool get = !strcmp(m, "GET") || !strcmp(m, "HEAD");

	adm_init(&a, ctx, req, resp);
	p = a.path;
	if (!strcmp(p, "/scopes"))
		adm_scopes(&a);
	else if (!strcmp(p, "/scopes/all"))
		get ? adm_scopes_all(&a) : adm_method_not_allowed(&a, "GET");
	else if (!strcmp(p, "/scopes/scope"))
		get ? adm_scope_one(&a) : adm_method_not_allowed(&a, "GET");
	else if (!strcmp(p, "/scopes/access") || !strncmp(p, "/scopes/access/", 15))
		adm_access(&a);
	else if (!strcmp(p, "/prefix"))
		get ? adm_prefix_mine(&a) : adm_method_not_allowed(&a, "GET");
	else if (!strcmp(p, "/delegationsources"))
		get ? adm_delegation_sources(&a) : adm_method_not_allowed(&a, "GET");
	else if (!strcmp(p, "/clients") || !strncmp(p, "/clients/", 9))
		adm_clients(&a);
	else if (!strcmp(p, "/delegations"))
		adm_delegations(&a);
	else if (!strncmp(p, "/admin/", 7))
		adm_operator(&a);
	else
		adm_error(&a, 404, "not_found", NULL, "No such endpoint");
	if (!a.responded)
		adm_error(&a, 500, "server_error", NULL, "No response was produced");
	adm_release(&a);
}

void
porten_authz_admin_http_error(struct porten_req *req, struct porten_resp *resp, int status, void *ctx)
{
	struct adm a;

	adm_init(&a, ctx, req, resp);
	if (status == 413)
		adm_error(&a, 413, "invalid_request", NULL, "The body is larger than %d bytes",
		          PORTEN_ADMIN_BODY_MAX);
	else if (status == 405)
		adm_method_not_allowed(&a, "GET, POST, PUT, DELETE");
	else
		adm_error(&a, status, "not_found", NULL, "No such endpoint");
}
