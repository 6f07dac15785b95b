/* The consumer's side of the admin API: clients (spec/maskinporten.md 7.2, 7.4, 8.3) and
 * their keys (7.3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/log.h"
#include "porten/rand.h"
#include "authz/admin.h"
#include "authz/authz_internal.h"

static const char *const need_read[] = { ADM_DCR_READ, ADM_DCR_WRITE, ADM_DCR_MODIFY, NULL };
static const char *const need_write[] = { ADM_DCR_WRITE, NULL };
static const char *const need_modify[] = { ADM_DCR_MODIFY, ADM_DCR_WRITE, NULL };

/* The actor manages the client: its own, or (with dcr.supplier) one it supplies. */
static bool
manages(const struct adm *a, const json_t *client)
{
	const char *o = json_string_value(json_object_get(client, "client_orgno"));
	const char *s = json_string_value(json_object_get(client, "supplier_orgno"));

	if (o && strcmp(o, a->actor) == 0)
		return true;
	return s && strcmp(s, a->actor) == 0 && adm_has_scope(a, ADM_DCR_SUPPLIER);
}

/* The client id, managed by the actor; NULL after responding. */
static json_t *
managed_client(struct adm *a, const char *id)
{
	json_t *doc = NULL;
	char esc[PORTEN_LOG_FIELD_MAX * 4 + 8];

	if (strlen(id) > PORTEN_CLIENT_ID_MAX) {
		adm_error(a, 404, "not_found", NULL, "No such client");
		return NULL;
	}
	if (adm_get(a, PORTEN_DOC_CLIENT, id, &doc) != 0)
		return NULL;
	if (doc == NULL) {
		adm_error(a, 404, "not_found", NULL, "No client %s",
		          porten_log_escape(esc, sizeof(esc), id, strlen(id)));
		return NULL;
	}
	if (!manages(a, doc)) {
		adm_error(a, 403, "access_denied", NULL, "The client %s belongs to another organisation",
		          porten_log_escape(esc, sizeof(esc), id, strlen(id)));
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* Spec 7.4 for every scope in `scopes` that `before` (may be NULL) lacks. */
static int
check_new_scopes(struct adm *a, const json_t *scopes, const json_t *before, const char *orgno,
                 struct az_problems *p)
{
	json_t *s, *b, *sdoc = NULL, *acc = NULL;
	size_t i, j;
	char key[PORTEN_SCOPE_NAME_MAX + 16], fp[32];

	json_array_foreach(scopes, i, s) {
		const char *name = json_string_value(s), *src;
		bool had = false, ok;

		json_array_foreach(before, j, b)
			if (json_equal(b, s))
				had = true;
		if (had || name == NULL)
			continue;
		snprintf(fp, sizeof(fp), "scopes[%zu]", i);
		if (adm_get(a, PORTEN_DOC_SCOPE, name, &sdoc) != 0)
			return -1;
		if (sdoc == NULL || json_is_false(json_object_get(sdoc, "active"))) {
			az_problem(p, fp, "%s: %s", name, sdoc ? "the scope is deactivated" : "no such scope");
			json_decref(sdoc);
			continue;
		}
		{
			json_t *types = json_object_get(sdoc, "allowed_integration_types"), *t;
			size_t k;
			ok = json_array_size(types) == 0;
			json_array_foreach(types, k, t)
				if (json_is_string(t) && !strcmp(json_string_value(t), "maskinporten"))
					ok = true;
			if (!ok) {
				az_problem(p, fp, "%s: not available to integration type maskinporten", name);
				json_decref(sdoc);
				continue;
			}
		}
		src = json_string_value(json_object_get(sdoc, "delegation_source"));
		ok = json_is_true(json_object_get(sdoc, "accessible_for_all")) || (src && *src);
		if (!ok) {
			snprintf(key, sizeof(key), "%s\n%s", name, orgno);
			if (adm_get(a, PORTEN_DOC_ACCESS, key, &acc) != 0) {
				json_decref(sdoc);
				return -1;
			}
			ok = acc && json_is_string(json_object_get(acc, "state")) &&
			     !strcmp(json_string_value(json_object_get(acc, "state")), "APPROVED");
			json_decref(acc);
			acc = NULL;
		}
		if (!ok)
			az_problem(p, fp, "%s: organisation %s has not been granted access to this scope by its owner",
			           name, orgno);
		json_decref(sdoc);
		sdoc = NULL;
	}
	return 0;
}

static void
client_create(struct adm *a)
{
	struct az_problems p = { 0 };
	json_t *body = NULL, *doc = NULL;
	const char *orgno;
	char uuid[37];

	if (adm_auth(a, need_write) != 0 || adm_body(a, "Client", &body) != 0)
		return;
	if (json_object_get(body, "client_id") != NULL)
		az_problem(&p, "client_id", "is set by the server");
	if (json_object_get(body, "supplier_orgno") != NULL)
		az_problem(&p, "supplier_orgno", "is set by the server (the organisation of a dcr.supplier token)");
	if (json_object_get(body, "jwks") != NULL)
		az_problem(&p, "jwks", "upload keys with POST /clients/{client_id}/jwks");
	json_object_del(body, "created");
	json_object_del(body, "last_updated");
	json_object_del(body, "client_id");
	json_object_del(body, "supplier_orgno");
	json_object_del(body, "jwks");
	orgno = json_string_value(json_object_get(body, "client_orgno"));
	if (json_object_get(body, "client_orgno") == NULL || json_is_null(json_object_get(body, "client_orgno"))) {
		json_object_set_new(body, "client_orgno", json_string(a->actor));
	} else if (orgno != NULL && strcmp(orgno, a->actor) != 0 && adm_orgno_ok(orgno)) {
		if (!adm_has_scope(a, ADM_DCR_SUPPLIER)) {
			adm_error(a, 403, "access_denied", NULL, "Creating a client for organisation %s needs the "
			          "scope %s", orgno, ADM_DCR_SUPPLIER);
			goto out;
		}
		json_object_set_new(body, "supplier_orgno", json_string(a->actor));
	}
	if (porten_random_uuid(uuid) != 0) {
		adm_store_error(a, PORTEN_ERR_CRYPTO, "client id");
		goto out;
	}
	json_object_set_new(body, "client_id", json_string(uuid));
	doc = az_client_normalize(body, "", a->now, &p);
	if (doc != NULL && check_new_scopes(a, json_object_get(doc, "scopes"), NULL,
	                                    json_string_value(json_object_get(doc, "client_orgno")), &p) != 0)
		goto out;
	if (p.count > 0) {
		adm_invalid(a, "Client", &p);
		goto out;
	}
	if (adm_audit(a, "client.create", "client", uuid, NULL, doc) == 0 &&
	    adm_insert(a, PORTEN_DOC_CLIENT, uuid, json_incref(doc)) == 0 && adm_commit(a) == 0)
		adm_json(a, 201, doc);
out:
	az_problems_release(&p);
	json_decref(body);
	json_decref(doc);
}

static json_t *
pick_client(struct adm *a, const char *key, json_t *d, void *ctx)
{
	bool all = *(const bool *)ctx;

	return manages(a, d) && (all || !json_is_false(json_object_get(d, "active"))) ? json_incref(d) : NULL;
}

static void
clients_list(struct adm *a)
{
	const char *inactive = porten_req_query(a->req, "inactive");
	bool all = inactive && strcasecmp(inactive, "true") == 0;

	if (adm_auth(a, need_read) == 0)
		adm_list(a, PORTEN_DOC_CLIENT, NULL, pick_client, &all);
}

static void
client_update(struct adm *a, const char *id)
{
	static const char *const fixed[] = { "client_id", "integration_type", "client_orgno", "supplier_orgno", NULL };
	struct az_problems p = { 0 };
	json_t *cur = NULL, *body = NULL, *merged = NULL, *doc = NULL, *v;

	if (adm_auth(a, need_modify) != 0 || (cur = managed_client(a, id)) == NULL)
		return;
	if (adm_body(a, "Client", &body) != 0)
		goto out;
	json_object_del(body, "created");
	json_object_del(body, "last_updated");
	for (size_t i = 0; fixed[i]; i++) {
		v = json_object_get(body, fixed[i]);
		if (v != NULL && !json_is_null(v) && !json_equal(v, json_object_get(cur, fixed[i])))
			az_problem(&p, fixed[i], "cannot be changed");
		json_object_del(body, fixed[i]);
	}
	if (json_object_get(body, "jwks") != NULL) {
		az_problem(&p, "jwks", "upload keys with POST /clients/{client_id}/jwks");
		json_object_del(body, "jwks");
	}
	merged = adm_merge(cur, body);
	doc = az_client_normalize(merged, "", a->now, &p);
	if (doc != NULL && check_new_scopes(a, json_object_get(doc, "scopes"), json_object_get(cur, "scopes"),
	                                    json_string_value(json_object_get(doc, "client_orgno")), &p) != 0)
		goto out;
	if (p.count > 0) {
		adm_invalid(a, "Client", &p);
		goto out;
	}
	json_object_set(doc, "created", json_object_get(cur, "created"));
	if (adm_audit(a, "client.update", "client", id, cur, doc) == 0 &&
	    adm_put(a, PORTEN_DOC_CLIENT, id, json_incref(doc)) == 0 && adm_commit(a) == 0)
		adm_json(a, 200, doc);
out:
	az_problems_release(&p);
	json_decref(cur);
	json_decref(body);
	json_decref(merged);
	json_decref(doc);
}

static void
client_deactivate(struct adm *a, const char *id)
{
	json_t *cur;

	if (adm_auth(a, need_write) != 0 || (cur = managed_client(a, id)) == NULL)
		return;
	adm_deactivate(a, PORTEN_DOC_CLIENT, id, "client", cur);
	json_decref(cur);
}

/* ---- keys ---- */

static void
jwks_get(struct adm *a, const char *id)
{
	json_t *cur, *set = NULL;

	if (adm_auth(a, need_read) != 0 || (cur = managed_client(a, id)) == NULL)
		return;
	if (adm_get(a, PORTEN_DOC_CLIENT_JWKS, id, &set) == 0) {
		if (set == NULL)
			set = json_pack("{s:[]}", "keys");
		adm_json(a, 200, set);
	}
	json_decref(set);
	json_decref(cur);
}

/* Queues removal of the kid index entries of set that keep (may be NULL) lacks. */
static int
unindex_kids(struct adm *a, const json_t *set, const json_t *keep)
{
	json_t *k, *n;
	size_t i, j;

	json_array_foreach(json_object_get(set, "keys"), i, k) {
		bool kept = false;
		const char *kid = json_string_value(json_object_get(k, "kid"));

		if (kid == NULL)
			continue;
		json_array_foreach(json_object_get(keep, "keys"), j, n)
			if (json_equal(json_object_get(n, "kid"), json_object_get(k, "kid")))
				kept = true;
		if (!kept && adm_delete(a, PORTEN_DOC_KID, kid) != 0)
			return -1;
	}
	return 0;
}

static void
jwks_replace(struct adm *a, const char *id)
{
	struct az_problems p = { 0 };
	json_t *cur = NULL, *body = NULL, *set = NULL, *old = NULL, *k, *owner = NULL;
	char ts[32], fp[48];
	size_t i;

	if (adm_auth(a, need_write) != 0 || (cur = managed_client(a, id)) == NULL)
		return;
	if (adm_body(a, "Jwks", &body) != 0)
		goto out;
	if (json_object_size(body) != 1 || !json_is_array(json_object_get(body, "keys"))) {
		az_problem(&p, "keys", "the body must be {\"keys\": [...]} and nothing else");
		adm_invalid(a, "Jwks", &p);
		goto out;
	}
	if (json_array_size(json_object_get(body, "keys")) == 0) {
		az_problem(&p, "keys", "must hold 1 to %d keys (remove keys with DELETE)", PORTEN_CLIENT_KEYS_MAX);
		adm_invalid(a, "Jwks", &p);
		goto out;
	}
	/* Every uploaded key is stamped now: re-uploading renews it (spec 7.3). */
	json_array_foreach(json_object_get(body, "keys"), i, k)
		if (json_is_object(k))
			json_object_del(k, "created");
	if ((set = az_jwks_normalize(body, "", a->now, &p)) != NULL) {
		json_array_foreach(json_object_get(set, "keys"), i, k) {
			const char *kid = json_string_value(json_object_get(k, "kid"));
			if (adm_get(a, PORTEN_DOC_KID, kid, &owner) != 0)
				goto out;
			if (owner != NULL && !json_equal(json_object_get(owner, "client_id"), json_object_get(cur, "client_id"))) {
				snprintf(fp, sizeof(fp), "keys[%zu].kid", i);
				az_problem(&p, fp, "'%s' is already registered (key ids are unique across all clients)", kid);
			}
			json_decref(owner);
			owner = NULL;
		}
	}
	if (p.count > 0) {
		adm_invalid(a, "Jwks", &p);
		goto out;
	}
	if (adm_get(a, PORTEN_DOC_CLIENT_JWKS, id, &old) != 0)
		goto out;
	porten_iso8601(a->now, ts, sizeof(ts));
	if (old != NULL && json_is_string(json_object_get(old, "created")))
		json_object_set(set, "created", json_object_get(old, "created"));
	else
		json_object_set_new(set, "created", json_string(ts));
	json_object_set_new(set, "last_updated", json_string(ts));
	if (unindex_kids(a, old, set) != 0)
		goto queue_fail;
	json_array_foreach(json_object_get(set, "keys"), i, k)
		if (adm_put(a, PORTEN_DOC_KID, json_string_value(json_object_get(k, "kid")),
		            json_pack("{s:s}", "client_id", id)) != 0)
			goto queue_fail;
	if (adm_audit(a, "jwks.replace", "jwks", id, old, set) != 0 ||
	    adm_put(a, PORTEN_DOC_CLIENT_JWKS, id, json_incref(set)) != 0)
		goto queue_fail;
	if (adm_commit(a) == 0)
		adm_json(a, 200, set);
	goto out;
queue_fail:
	adm_store_error(a, PORTEN_ERR_NOMEM, "queue");
out:
	az_problems_release(&p);
	json_decref(cur);
	json_decref(body);
	json_decref(set);
	json_decref(old);
}

static void
jwks_delete(struct adm *a, const char *id, const char *kid)
{
	json_t *cur = NULL, *old = NULL, *set = NULL, *keys, *k;
	char ts[32];
	size_t i;
	bool found = false;

	if (adm_auth(a, need_write) != 0 || (cur = managed_client(a, id)) == NULL)
		return;
	if (adm_get(a, PORTEN_DOC_CLIENT_JWKS, id, &old) != 0)
		goto out;
	if (kid == NULL) {
		if (old == NULL) {
			adm_no_content(a);
			goto out;
		}
		if (unindex_kids(a, old, NULL) != 0 || adm_audit(a, "jwks.delete", "jwks", id, old, NULL) != 0 ||
		    adm_delete(a, PORTEN_DOC_CLIENT_JWKS, id) != 0) {
			adm_store_error(a, PORTEN_ERR_NOMEM, "queue");
			goto out;
		}
		if (adm_commit(a) == 0)
			adm_no_content(a);
		goto out;
	}
	set = old ? json_deep_copy(old) : NULL;
	keys = json_object_get(set, "keys");
	json_array_foreach(keys, i, k) {
		if (json_is_string(json_object_get(k, "kid")) && !strcmp(json_string_value(json_object_get(k, "kid")), kid)) {
			json_array_remove(keys, i);
			found = true;
			break;
		}
	}
	if (!found) {
		adm_error(a, 404, "not_found", NULL, "The client has no key with that kid");
		goto out;
	}
	porten_iso8601(a->now, ts, sizeof(ts));
	json_object_set_new(set, "last_updated", json_string(ts));
	if (adm_delete(a, PORTEN_DOC_KID, kid) != 0 ||
	    adm_audit(a, "jwks.delete", "jwks", id, old, json_array_size(keys) ? set : NULL) != 0 ||
	    (json_array_size(keys) ? adm_put(a, PORTEN_DOC_CLIENT_JWKS, id, json_incref(set))
	                           : adm_delete(a, PORTEN_DOC_CLIENT_JWKS, id)) != 0) {
		adm_store_error(a, PORTEN_ERR_NOMEM, "queue");
		goto out;
	}
	if (adm_commit(a) == 0)
		adm_no_content(a);
out:
	json_decref(cur);
	json_decref(old);
	json_decref(set);
}

void
adm_clients(struct adm *a)
{
	const char *m = a->req->method, *p = a->path;
	bool get = !strcmp(m, "GET") || !strcmp(m, "HEAD");
	char id[PORTEN_CLIENT_ID_MAX + 2];
	const char *rest, *slash;
	size_t n;

	if (!strcmp(p, "/clients") || !strcmp(p, "/clients/")) {
		if (!strcmp(m, "POST"))
			client_create(a);
		else if (get)
			clients_list(a);
		else
			adm_method_not_allowed(a, "GET, POST");
		return;
	}
	rest = p + 9;
	slash = strchr(rest, '/');
	n = slash ? (size_t)(slash - rest) : strlen(rest);
	if (n == 0 || n > PORTEN_CLIENT_ID_MAX) {
		adm_error(a, 404, "not_found", NULL, "No such client");
		return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)n, rest);
	if (slash == NULL) {
		if (get) {
			json_t *c;
			if (adm_auth(a, need_read) == 0 && (c = managed_client(a, id)) != NULL) {
				adm_json(a, 200, c);
				json_decref(c);
			}
		} else if (!strcmp(m, "PUT")) {
			client_update(a, id);
		} else if (!strcmp(m, "DELETE")) {
			client_deactivate(a, id);
		} else {
			adm_method_not_allowed(a, "GET, PUT, DELETE");
		}
		return;
	}
	if (!strcmp(slash, "/jwks")) {
		if (get)
			jwks_get(a, id);
		else if (!strcmp(m, "POST") || !strcmp(m, "PUT"))
			jwks_replace(a, id);
		else if (!strcmp(m, "DELETE"))
			jwks_delete(a, id, NULL);
		else
			adm_method_not_allowed(a, "GET, POST, PUT, DELETE");
		return;
	}
	if (!strncmp(slash, "/jwks/", 6) && slash[6] && !strchr(slash + 6, '/')) {
		if (!strcmp(m, "DELETE"))
			jwks_delete(a, id, slash + 6);
		else
			adm_method_not_allowed(a, "DELETE");
		return;
	}
	adm_error(a, 404, "not_found", NULL, "No such endpoint");
}
