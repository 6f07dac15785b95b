/* The API owner's side of the admin API: scopes (spec/maskinporten.md 6.2-6.4) and the
 * consumer access to them (6.5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/log.h"
#include "authz/admin.h"
#include "authz/authz_internal.h"

static const char *const need_scopes_write[] = { ADM_SCOPES_WRITE, NULL };

static bool
query_true(struct adm *a, const char *name)
{
	const char *v = porten_req_query(a->req, name);

	return v != NULL && strcasecmp(v, "true") == 0;
}

/* The scope named by ?scope=, owned by the actor. NULL after responding. */
static json_t *
owned_scope(struct adm *a, const char *name)
{
	json_t *doc = NULL;
	const char *owner;

	if (strlen(name) > PORTEN_SCOPE_NAME_MAX) {
		adm_error(a, 400, "invalid_request", NULL, "The scope name is longer than %d characters",
		          PORTEN_SCOPE_NAME_MAX);
		return NULL;
	}
	if (adm_get(a, PORTEN_DOC_SCOPE, name, &doc) != 0)
		return NULL;
	if (doc == NULL) {
		char esc[PORTEN_LOG_FIELD_MAX * 4 + 8];
		adm_error(a, 404, "not_found", NULL, "No scope %s",
		          porten_log_escape(esc, sizeof(esc), name, strlen(name)));
		return NULL;
	}
	owner = json_string_value(json_object_get(doc, "owner_orgno"));
	if (owner == NULL || strcmp(owner, a->actor) != 0) {
		adm_error(a, 403, "access_denied", NULL, "The scope %s belongs to another organisation", name);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static bool
prefix_owned(struct adm *a, const char *prefix, int *err)
{
	json_t *doc = NULL;
	bool ok;

	*err = adm_get(a, PORTEN_DOC_PREFIX, prefix, &doc);
	if (*err != 0)
		return false;
	ok = doc != NULL && json_is_string(json_object_get(doc, "owner_orgno")) &&
	     strcmp(json_string_value(json_object_get(doc, "owner_orgno")), a->actor) == 0;
	json_decref(doc);
	return ok;
}

/* Fields the server sets; ignored in bodies. */
static void
drop_server_fields(json_t *body)
{
	json_object_del(body, "owner_orgno");
	json_object_del(body, "created");
	json_object_del(body, "last_updated");
}

static bool
description_given(const json_t *doc)
{
	const char *d = json_string_value(json_object_get(doc, "description"));

	return d != NULL && d[0] != '\0';
}

static void
scope_create(struct adm *a)
{
	struct az_problems p = { 0 };
	json_t *body = NULL, *doc = NULL, *old = NULL;
	const char *name;
	int err;

	if (adm_auth(a, need_scopes_write) != 0 || adm_body(a, "Scope", &body) != 0)
		return;
	drop_server_fields(body);
	json_object_set_new(body, "owner_orgno", json_string(a->actor));
	if (json_object_get(body, "description") != NULL && !description_given(body) &&
	    json_is_string(json_object_get(body, "description")))
		az_problem(&p, "description", "must not be empty");
	else if (json_object_get(body, "description") == NULL || json_is_null(json_object_get(body, "description")))
		az_problem(&p, "description", "required");
	if (json_object_get(body, "prefix") != NULL && json_object_get(body, "subscope") != NULL) {
		doc = az_scope_normalize(body, "", a->now, &p);
	} else {
		/* Report the missing parts once, and still check every other field. */
		json_t *probe = json_deep_copy(body);

		if (json_object_get(body, "prefix") == NULL)
			az_problem(&p, "prefix", "required");
		if (json_object_get(body, "subscope") == NULL)
			az_problem(&p, "subscope", "required");
		json_object_set_new(probe, "prefix", json_string("probe"));
		json_object_set_new(probe, "subscope", json_string("probe"));
		json_object_del(probe, "name");
		json_decref(az_scope_normalize(probe, "", a->now, &p));
		json_decref(probe);
	}
	if (p.count > 0) {
		json_decref(doc);
		doc = NULL;
		adm_invalid(a, "Scope", &p);
		goto out;
	}
	if (!prefix_owned(a, json_string_value(json_object_get(doc, "prefix")), &err)) {
		if (err == 0)
			adm_error(a, 403, "access_denied", NULL, "The prefix %s does not belong to organisation %s",
			          json_string_value(json_object_get(doc, "prefix")), a->actor);
		goto out;
	}
	name = json_string_value(json_object_get(doc, "name"));
	if (adm_get(a, PORTEN_DOC_SCOPE, name, &old) != 0)
		goto out;
	if (old != NULL) {
		if (json_is_false(json_object_get(old, "active")))
			adm_error(a, 409, "conflict", NULL, "The scope %s exists and is deactivated; reactivate it "
			          "with PUT /scopes?scope=%s and {\"active\": true}", name, name);
		else
			adm_error(a, 409, "conflict", NULL, "The scope %s already exists", name);
		goto out;
	}
	if (adm_audit(a, "scope.create", "scope", name, NULL, doc) == 0 &&
	    adm_insert(a, PORTEN_DOC_SCOPE, name, json_incref(doc)) == 0 && adm_commit(a) == 0)
		adm_json(a, 201, doc);
out:
	az_problems_release(&p);
	json_decref(body);
	json_decref(doc);
	json_decref(old);
}

static void
scope_update(struct adm *a, const char *name)
{
	static const char *const fixed[] = { "name", "prefix", "subscope", NULL };
	struct az_problems p = { 0 };
	json_t *body = NULL, *cur, *merged = NULL, *doc = NULL, *v;

	if ((cur = owned_scope(a, name)) == NULL)
		return;
	if (adm_body(a, "Scope", &body) != 0)
		goto out;
	drop_server_fields(body);
	for (size_t i = 0; fixed[i]; i++) {
		v = json_object_get(body, fixed[i]);
		if (v != NULL && !json_equal(v, json_object_get(cur, fixed[i])))
			az_problem(&p, fixed[i], "cannot be changed (a scope's name is fixed when it is created)");
	}
	for (size_t i = 0; fixed[i]; i++)
		json_object_del(body, fixed[i]);     /* reported above when they differ */
	merged = adm_merge(cur, body);
	if (!description_given(merged))
		az_problem(&p, "description", "required");
	doc = az_scope_normalize(merged, "", a->now, &p);
	if (p.count > 0) {
		adm_invalid(a, "Scope", &p);
		goto out;
	}
	json_object_set(doc, "created", json_object_get(cur, "created"));
	if (adm_audit(a, "scope.update", "scope", name, cur, doc) == 0 &&
	    adm_put(a, PORTEN_DOC_SCOPE, name, json_incref(doc)) == 0 && adm_commit(a) == 0)
		adm_json(a, 200, doc);
out:
	az_problems_release(&p);
	json_decref(body);
	json_decref(merged);
	json_decref(doc);
	json_decref(cur);
}

static void
scope_deactivate(struct adm *a, const char *name)
{
	json_t *cur;

	if ((cur = owned_scope(a, name)) == NULL)
		return;
	adm_deactivate(a, PORTEN_DOC_SCOPE, name, "scope", cur);
	json_decref(cur);
}

static json_t *
pick_own_scope(struct adm *a, const char *key, json_t *d, void *ctx)
{
	const char *o = json_string_value(json_object_get(d, "owner_orgno"));
	bool inactive = *(const bool *)ctx;

	if (o && strcmp(o, a->actor) == 0 && (inactive || !json_is_false(json_object_get(d, "active"))))
		return json_incref(d);
	return NULL;
}

static void
scopes_mine(struct adm *a)
{
	bool inactive = query_true(a, "inactive");

	adm_list(a, PORTEN_DOC_SCOPE, NULL, pick_own_scope, &inactive);
}

void
adm_scope_one(struct adm *a)
{
	const char *name;
	json_t *doc;

	if (adm_auth(a, need_scopes_write) != 0 || adm_query(a, "scope", true, &name) != 0)
		return;
	if ((doc = owned_scope(a, name)) == NULL)
		return;
	adm_json(a, 200, doc);
	json_decref(doc);
}

void
adm_scopes(struct adm *a)
{
	const char *m = a->req->method, *name;

	if (!strcmp(m, "POST")) {
		scope_create(a);
		return;
	}
	if (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "PUT") && strcmp(m, "DELETE")) {
		adm_method_not_allowed(a, "GET, POST, PUT, DELETE");
		return;
	}
	if (adm_auth(a, need_scopes_write) != 0 || adm_query(a, "scope", false, &name) != 0)
		return;
	if (name == NULL && (!strcmp(m, "GET") || !strcmp(m, "HEAD"))) {
		scopes_mine(a);
		return;
	}
	if (name == NULL || *name == '\0') {
		adm_error(a, 400, "invalid_request", NULL, "The query parameter scope is required");
		return;
	}
	if (!strcmp(m, "PUT"))
		scope_update(a, name);
	else if (!strcmp(m, "DELETE"))
		scope_deactivate(a, name);
	else
		adm_scope_one(a);
}

static bool
integration_type_matches(const json_t *scope, const char *want)
{
	json_t *types = json_object_get(scope, "allowed_integration_types"), *t;
	size_t i;

	if (json_array_size(types) == 0)
		return true;
	json_array_foreach(types, i, t)
		if (json_is_string(t) && strcasecmp(json_string_value(t), want) == 0)
			return true;
	return false;
}

struct all_filter {
	bool inactive, accessible_for_all, delegated;
	const char *integration_type;
};

static json_t *
pick_public_scope(struct adm *a, const char *key, json_t *d, void *ctx)
{
	const struct all_filter *f = ctx;
	const char *vis = json_string_value(json_object_get(d, "visibility"));
	const char *src = json_string_value(json_object_get(d, "delegation_source"));

	if (vis == NULL || strcmp(vis, "PUBLIC") != 0)
		return NULL;
	if (!f->inactive && json_is_false(json_object_get(d, "active")))
		return NULL;
	if (f->accessible_for_all && !json_is_true(json_object_get(d, "accessible_for_all")))
		return NULL;
	if (f->delegated && (src == NULL || *src == '\0'))
		return NULL;
	if (f->integration_type && *f->integration_type && !integration_type_matches(d, f->integration_type))
		return NULL;
	return json_incref(d);
}

void
adm_scopes_all(struct adm *a)
{
	struct all_filter f = {
		query_true(a, "inactive"), query_true(a, "accessible_for_all"),
		query_true(a, "delegated_sources"), porten_req_query(a->req, "integration_type"),
	};

	adm_list(a, PORTEN_DOC_SCOPE, NULL, pick_public_scope, &f);
}

void
adm_prefix_mine(struct adm *a)
{
	if (adm_auth(a, need_scopes_write) == 0)
		adm_list(a, PORTEN_DOC_PREFIX, NULL, adm_pick_prefix, a->actor);
}

/* {"name", "issuer"} once per distinct delegation_source; ctx: the sources seen. */
static json_t *
pick_delegation_source(struct adm *a, const char *key, json_t *d, void *ctx)
{
	const char *src = json_string_value(json_object_get(d, "delegation_source")), *host;
	char name[128];
	size_t n;

	if (src == NULL || *src == '\0' || json_object_get(ctx, src) != NULL)
		return NULL;
	json_object_set_new(ctx, src, json_true());
	if (strstr(src, "altinn") != NULL) {
		snprintf(name, sizeof(name), "altinn");
	} else {
		host = strstr(src, "://") ? strstr(src, "://") + 3 : src;
		n = strcspn(host, "/:");
		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) - 1 ? n : sizeof(name) - 1), host);
	}
	return json_pack("{s:s,s:s}", "name", name, "issuer", src);
}

void
adm_delegation_sources(struct adm *a)
{
	json_t *seen = json_object();

	adm_list(a, PORTEN_DOC_SCOPE, NULL, pick_delegation_source, seen);
	json_decref(seen);
}

/* ---- consumer access ---- */

static void
access_key(char *out, size_t n, const char *scope, const char *orgno)
{
	snprintf(out, n, "%s\n%s", scope, orgno);
}

/* Grants (or sets the state of) access for orgno to the actor's scope. */
static void
access_grant(struct adm *a, const char *scope, const char *orgno, const char *state)
{
	struct az_problems p = { 0 };
	json_t *sdoc = NULL, *old = NULL, *in, *doc = NULL;
	char key[PORTEN_SCOPE_NAME_MAX + 16];

	if (!adm_orgno_ok(orgno)) {
		az_problem(&p, "consumer_orgno", "must be a string of 9 digits");
		adm_invalid(a, "ScopeAccess", &p);
		goto out;
	}
	if ((sdoc = owned_scope(a, scope)) == NULL)
		goto out;
	if (json_is_false(json_object_get(sdoc, "active"))) {
		az_problem(&p, "scope", "the scope is deactivated; reactivate it before granting access");
		adm_invalid(a, "ScopeAccess", &p);
		goto out;
	}
	access_key(key, sizeof(key), scope, orgno);
	if (adm_get(a, PORTEN_DOC_ACCESS, key, &old) != 0)
		goto out;
	in = json_pack("{s:s,s:s,s:s}", "scope", scope, "consumer_orgno", orgno, "state", state);
	doc = az_access_normalize(in, "", a->actor, a->now, &p);
	json_decref(in);
	if (doc == NULL) {
		adm_invalid(a, "ScopeAccess", &p);
		goto out;
	}
	if (old != NULL && json_equal(json_object_get(old, "state"), json_object_get(doc, "state"))) {
		adm_json(a, 200, old);    /* nothing changes */
		goto out;
	}
	if (old != NULL && json_object_get(old, "created"))
		json_object_set(doc, "created", json_object_get(old, "created"));
	if (adm_audit(a, "access.grant", "access", key, old, doc) == 0 &&
	    adm_put(a, PORTEN_DOC_ACCESS, key, json_incref(doc)) == 0 && adm_commit(a) == 0)
		adm_json(a, 200, doc);
out:
	az_problems_release(&p);
	json_decref(sdoc);
	json_decref(old);
	json_decref(doc);
}

static void
access_put(struct adm *a, const char *orgno)
{
	const char *scope, *state = "APPROVED";
	json_t *body = NULL;

	if (adm_auth(a, need_scopes_write) != 0 || adm_query(a, "scope", true, &scope) != 0)
		return;
	if (a->req->body_len > 0) {
		json_t *st;

		if (adm_body(a, "ScopeAccess", &body) != 0)
			return;
		st = json_object_get(body, "state");
		if (json_object_size(body) > (st != NULL) || (st != NULL && !json_is_string(st))) {
			adm_invalid_one(a, "ScopeAccess", "",
			                "the body may only be {\"state\": \"APPROVED\"|\"REQUESTED\"|\"DENIED\"}");
			json_decref(body);
			return;
		}
		if (st != NULL)
			state = json_string_value(st);
	}
	access_grant(a, scope, orgno, state);
	json_decref(body);
}

static void
access_post_legacy(struct adm *a)
{
	struct az_problems p = { 0 };
	json_t *body = NULL, *doc;

	if (adm_auth(a, need_scopes_write) != 0 || adm_body(a, "ScopeAccess", &body) != 0)
		return;
	doc = az_access_normalize(body, "", a->actor, a->now, &p);
	if (doc == NULL) {
		adm_invalid(a, "ScopeAccess", &p);
	} else {
		access_grant(a, json_string_value(json_object_get(doc, "scope")),
		             json_string_value(json_object_get(doc, "consumer_orgno")),
		             json_string_value(json_object_get(doc, "state")));
	}
	json_decref(doc);
	json_decref(body);
	az_problems_release(&p);
}

static void
access_delete(struct adm *a, const char *orgno)
{
	const char *scope;
	json_t *sdoc, *old = NULL;
	char key[PORTEN_SCOPE_NAME_MAX + 16];

	if (adm_auth(a, need_scopes_write) != 0 || adm_query(a, "scope", true, &scope) != 0)
		return;
	if (!adm_orgno_ok(orgno)) {
		adm_error(a, 400, "invalid_request", NULL, "The organisation number must be 9 digits");
		return;
	}
	if ((sdoc = owned_scope(a, scope)) == NULL)
		return;
	access_key(key, sizeof(key), scope, orgno);
	if (adm_get(a, PORTEN_DOC_ACCESS, key, &old) != 0)
		goto out;
	if (old == NULL) {
		adm_error(a, 404, "not_found", NULL, "Organisation %s has no access record for %s", orgno, scope);
		goto out;
	}
	if (adm_audit(a, "access.revoke", "access", key, old, NULL) == 0 &&
	    adm_delete(a, PORTEN_DOC_ACCESS, key) == 0 && adm_commit(a) == 0)
		adm_no_content(a);
out:
	json_decref(sdoc);
	json_decref(old);
}

struct access_filter {
	const char *consumer, *owner;
};

static json_t *
pick_access(struct adm *a, const char *key, json_t *d, void *ctx)
{
	const struct access_filter *f = ctx;
	const char *c = json_string_value(json_object_get(d, "consumer_orgno"));
	const char *o = json_string_value(json_object_get(d, "owner_orgno"));

	if (f->consumer && (c == NULL || strcmp(c, f->consumer) != 0))
		return NULL;
	if (f->owner && (o == NULL || strcmp(o, f->owner) != 0))
		return NULL;
	return json_incref(d);
}

/* Records filtered by scope (exact), consumer, and owner. */
static void
access_list(struct adm *a, const char *scope, const char *consumer, const char *owner)
{
	struct access_filter f = { consumer, owner };
	char prefix[PORTEN_SCOPE_NAME_MAX + 2];

	if (scope)
		snprintf(prefix, sizeof(prefix), "%s\n", scope);
	adm_list(a, PORTEN_DOC_ACCESS, scope ? prefix : NULL, pick_access, &f);
}

void
adm_access(struct adm *a)
{
	const char *m = a->req->method, *p = a->path, *rest;
	bool get = !strcmp(m, "GET") || !strcmp(m, "HEAD");
	const char *scope, *consumer;
	json_t *sdoc;

	/* "/scopes/access" and "/scopes/access/" */
	if (!strcmp(p, "/scopes/access") || !strcmp(p, "/scopes/access/")) {
		if (!strcmp(m, "POST")) {
			access_post_legacy(a);
			return;
		}
		if (!get) {
			adm_method_not_allowed(a, "GET, POST");
			return;
		}
		if (adm_auth(a, need_scopes_write) != 0 || adm_query(a, "scope", false, &scope) != 0 ||
		    adm_query(a, "consumer_orgno", false, &consumer) != 0)
			return;
		if (scope == NULL && consumer == NULL) {
			adm_error(a, 400, "invalid_request", NULL, "Give ?scope= or ?consumer_orgno=");
			return;
		}
		if (scope != NULL) {
			if ((sdoc = owned_scope(a, scope)) == NULL)
				return;
			json_decref(sdoc);
		}
		access_list(a, scope, consumer, a->actor);
		return;
	}
	rest = p + 15;
	if (!strcmp(rest, "all")) {
		if (!get) {
			adm_method_not_allowed(a, "GET");
			return;
		}
		if (adm_auth(a, NULL) == 0)
			access_list(a, NULL, a->actor, NULL);
		return;
	}
	if (strchr(rest, '/') != NULL) {
		adm_error(a, 404, "not_found", NULL, "No such endpoint");
		return;
	}
	if (!strcmp(m, "PUT"))
		access_put(a, rest);
	else if (!strcmp(m, "DELETE"))
		access_delete(a, rest);
	else if (!strcmp(m, "POST"))
		access_put(a, rest);    /* some clients POST to the PUT path */
	else if (get) {
		if (adm_auth(a, need_scopes_write) != 0 || adm_query(a, "scope", false, &scope) != 0)
			return;
		if (!adm_orgno_ok(rest)) {
			adm_error(a, 400, "invalid_request", NULL, "The organisation number must be 9 digits");
			return;
		}
		access_list(a, scope, rest, a->actor);
	} else
		adm_method_not_allowed(a, "GET, PUT, DELETE");
}
