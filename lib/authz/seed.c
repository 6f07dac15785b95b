/* Declarative seeds (PRODUCT.md): {"scopes", "access", "clients", "delegations"}, made of
 * the same objects the admin API takes. Validated whole, applied in one transaction,
 * idempotent: a document equal to the stored one (timestamps aside) is not written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porten/authz.h"
#include "porten/buf.h"
#include "porten/error.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "authz/model.h"
#include "authz/admin.h"
#include "porten/clock.h"

struct pending {
	struct porten_store_op *ops;
	char **keys;
	json_t **docs;
	size_t n, cap;
};

static int
pending_add(struct pending *pd, enum porten_doc_kind kind, const char *key, json_t *doc)
{
	if (pd->n == pd->cap) {
		size_t ncap = pd->cap ? pd->cap * 2 : 64;
		void *a = realloc(pd->ops, ncap * sizeof(*pd->ops));
		if (a == NULL)
			return PORTEN_ERR_NOMEM;
		pd->ops = a;
		if ((a = realloc(pd->keys, ncap * sizeof(*pd->keys))) == NULL)
			return PORTEN_ERR_NOMEM;
		pd->keys = a;
		if ((a = realloc(pd->docs, ncap * sizeof(*pd->docs))) == NULL)
			return PORTEN_ERR_NOMEM;
		pd->docs = a;
		pd->cap = ncap;
	}
	pd->keys[pd->n] = strdup(key);
	pd->docs[pd->n] = doc;
	pd->ops[pd->n].op = PORTEN_OP_PUT;
	pd->ops[pd->n].kind = kind;
	pd->ops[pd->n].key = pd->keys[pd->n];
	pd->ops[pd->n].doc = doc;
	pd->n++;
	return 0;
}

static void
pending_free(struct pending *pd)
{
	for (size_t i = 0; i < pd->n; i++) {
		free(pd->keys[i]);
		json_decref(pd->docs[i]);
	}
	free(pd->ops);
	free(pd->keys);
	free(pd->docs);
}

/* Equal apart from the top-level timestamps. */
static int
same_doc(const json_t *a, const json_t *b)
{
	json_t *ca = json_copy((json_t *)a), *cb = json_copy((json_t *)b);
	int eq;

	json_object_del(ca, "created");
	json_object_del(ca, "last_updated");
	json_object_del(cb, "created");
	json_object_del(cb, "last_updated");
	eq = json_equal(ca, cb);
	json_decref(ca);
	json_decref(cb);
	return eq;
}

/* Queues doc (taking it) unless the stored one is the same; keeps the stored "created". */
static int
put_if_changed(porten_store *store, struct pending *pd, struct az_problems *p, const char *path,
               enum porten_doc_kind kind, const char *key, json_t *doc)
{
	json_t *old = NULL;
	int r;

	/* Queued already: the same document (a prefix shared by several scopes) is fine, a
	 * different one means the seed says two things about one object. */
	for (size_t i = 0; i < pd->n; i++) {
		if (pd->ops[i].kind == kind && strcmp(pd->keys[i], key) == 0) {
			if (!same_doc(pd->docs[i], doc))
				az_problem(p, path, "conflicts with an earlier entry for the same %s",
				           kind == PORTEN_DOC_PREFIX ? "prefix (another owner)"
				           : kind == PORTEN_DOC_KID ? "key id" : "object");
			json_decref(doc);
			return 0;
		}
	}
	r = porten_store_get(store, kind, key, &old);
	if (r != 0 && r != PORTEN_ERR_NOT_FOUND) {
		json_decref(doc);
		return r;
	}
	if (old != NULL) {
		if (same_doc(old, doc)) {
			json_decref(old);
			json_decref(doc);
			return 0;
		}
		if (json_object_get(old, "created"))
			json_object_set(doc, "created", json_object_get(old, "created"));
		json_decref(old);
	}
	return pending_add(pd, kind, key, doc);
}

/* A key seeded without "created" keeps the upload time it already has in the store
 * (same kid and modulus), so loading the seed again changes nothing. */
static int
keep_key_times(porten_store *store, const char *client_id, const json_t *seeded, json_t *jwks)
{
	json_t *old = NULL, *k, *ok;
	size_t i, j;
	int r = porten_store_get(store, PORTEN_DOC_CLIENT_JWKS, client_id, &old);

	if (r == PORTEN_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	json_array_foreach(json_object_get(jwks, "keys"), i, k) {
		if (json_object_get(json_array_get(json_object_get(seeded, "keys"), i), "created"))
			continue;
		json_array_foreach(json_object_get(old, "keys"), j, ok)
			if (json_equal(json_object_get(k, "kid"), json_object_get(ok, "kid")) &&
			    json_equal(json_object_get(k, "n"), json_object_get(ok, "n")) &&
			    json_object_get(ok, "created"))
				json_object_set(k, "created", json_object_get(ok, "created"));
	}
	json_decref(old);
	return 0;
}

int
porten_authz_seed_load(porten_store *store, const json_t *seed, int64_t now,
                       char *errbuf, size_t errlen, size_t *changed)
{
	static const char *const sections[] = { "scopes", "access", "clients", "delegations" };
	struct az_problems p;
	struct pending pd;
	json_t *v, *doc, *arr;
	const char *key;
	char path[128], k[PORTEN_SCOPE_NAME_MAX * 2 + 32];
	size_t i;
	int r = PORTEN_ERR_INVALID;

	memset(&p, 0, sizeof(p));
	memset(&pd, 0, sizeof(pd));
	if (changed)
		*changed = 0;
	if (!json_is_object(seed)) {
		snprintf(errbuf, errlen, "the seed must be a JSON object");
		return PORTEN_ERR_INVALID;
	}
	json_object_foreach((json_t *)seed, key, v) {
		int ok = 0;
		for (i = 0; i < 4; i++)
			ok |= strcmp(key, sections[i]) == 0;
		if (!ok)
			az_problem(&p, key, "unknown section (expected scopes, access, clients, delegations)");
		else if (!json_is_array(v))
			az_problem(&p, key, "must be an array");
	}

	json_array_foreach(json_object_get(seed, "scopes"), i, v) {
		snprintf(path, sizeof(path), "scopes[%zu]", i);
		if ((doc = az_scope_normalize(v, path, now, &p)) == NULL)
			continue;
		/* The scope's owner owns its prefix. */
		json_t *prefix = json_pack("{s:O}", "owner_orgno", json_object_get(doc, "owner_orgno"));
		if ((r = put_if_changed(store, &pd, &p, path, PORTEN_DOC_PREFIX,
		                        json_string_value(json_object_get(doc, "prefix")), prefix)) != 0 ||
		    (r = put_if_changed(store, &pd, &p, path, PORTEN_DOC_SCOPE,
		                        json_string_value(json_object_get(doc, "name")), doc)) != 0)
			goto out;
	}
	json_array_foreach(json_object_get(seed, "access"), i, v) {
		const char *owner = NULL, *scope = json_string_value(json_object_get(v, "scope"));
		json_t *sd = NULL;

		/* owner_orgno of the access record: the scope's owner, from the seed or the store. */
		if (scope) {
			size_t j;
			json_t *s;
			json_array_foreach(json_object_get(seed, "scopes"), j, s) {
				const char *nm = json_string_value(json_object_get(s, "name"));
				char buf[PORTEN_SCOPE_NAME_MAX + 2];
				if (nm == NULL && json_string_value(json_object_get(s, "prefix"))) {
					snprintf(buf, sizeof(buf), "%s:%s", json_string_value(json_object_get(s, "prefix")),
					         json_string_value(json_object_get(s, "subscope")) ?
					         json_string_value(json_object_get(s, "subscope")) : "");
					nm = buf;
				}
				if (nm && strcmp(nm, scope) == 0)
					owner = json_string_value(json_object_get(s, "owner_orgno"));
			}
			if (owner == NULL && porten_store_get(store, PORTEN_DOC_SCOPE, scope, &sd) == 0)
				owner = json_string_value(json_object_get(sd, "owner_orgno"));
		}
		snprintf(path, sizeof(path), "access[%zu]", i);
		doc = az_access_normalize(v, path, owner, now, &p);
		json_decref(sd);
		if (doc == NULL)
			continue;
		snprintf(k, sizeof(k), "%s\n%s", json_string_value(json_object_get(doc, "scope")),
		         json_string_value(json_object_get(doc, "consumer_orgno")));
		if ((r = put_if_changed(store, &pd, &p, path, PORTEN_DOC_ACCESS, k, doc)) != 0)
			goto out;
	}
	json_array_foreach(json_object_get(seed, "clients"), i, v) {
		json_t *jwks = NULL;
		char cidbuf[PORTEN_CLIENT_ID_MAX + 1];
		const char *cid;

		snprintf(path, sizeof(path), "clients[%zu]", i);
		if ((doc = az_client_normalize(v, path, now, &p)) == NULL)
			continue;
		/* put_if_changed takes doc; keep what is needed after it. */
		snprintf(cidbuf, sizeof(cidbuf), "%s", json_string_value(json_object_get(doc, "client_id")));
		cid = cidbuf;
		if (json_object_get(v, "jwks") != NULL) {
			snprintf(path, sizeof(path), "clients[%zu].jwks", i);
			if ((jwks = az_jwks_normalize(json_object_get(v, "jwks"), path, now, &p)) == NULL) {
				json_decref(doc);
				continue;
			}
			if ((r = keep_key_times(store, cid, json_object_get(v, "jwks"), jwks)) != 0) {
				json_decref(jwks);
				json_decref(doc);
				goto out;
			}
		}
		if ((r = put_if_changed(store, &pd, &p, path, PORTEN_DOC_CLIENT, cid, doc)) != 0) {
			json_decref(jwks);
			goto out;
		}
		if (jwks != NULL) {
			size_t j;
			json_t *kk;

			arr = json_object_get(jwks, "keys");
			json_array_foreach(arr, j, kk) {
				json_t *owner = NULL;
				const char *kid = json_string_value(json_object_get(kk, "kid"));

				if (porten_store_get(store, PORTEN_DOC_KID, kid, &owner) == 0 &&
				    (!json_is_string(json_object_get(owner, "client_id")) ||
				     strcmp(json_string_value(json_object_get(owner, "client_id")), cid) != 0)) {
					snprintf(path, sizeof(path), "clients[%zu].jwks.keys[%zu].kid", i, j);
					az_problem(&p, path, "'%s' is already registered on another client", kid);
				}
				json_decref(owner);
				if ((r = put_if_changed(store, &pd, &p, path, PORTEN_DOC_KID, kid,
				                        json_pack("{s:s}", "client_id", cid))) != 0) {
					json_decref(jwks);
					goto out;
				}
			}
			if ((r = put_if_changed(store, &pd, &p, path, PORTEN_DOC_CLIENT_JWKS, cid, jwks)) != 0)
				goto out;
		}
	}
	json_array_foreach(json_object_get(seed, "delegations"), i, v) {
		snprintf(path, sizeof(path), "delegations[%zu]", i);
		if ((doc = az_delegation_normalize(v, path, now, &p)) == NULL)
			continue;
		snprintf(k, sizeof(k), "%s\n%s\n%s", json_string_value(json_object_get(doc, "consumer_orgno")),
		         json_string_value(json_object_get(doc, "supplier_orgno")),
		         json_string_value(json_object_get(doc, "scope")));
		if ((r = put_if_changed(store, &pd, &p, path, PORTEN_DOC_DELEGATION, k, doc)) != 0)
			goto out;
	}
	if (p.count > 0) {
		snprintf(errbuf, errlen, "%s", p.buf.data);
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if (pd.n > 0) {
		/* The load goes into the audit trail with the changes, in the same transaction. */
		static const char *const kinds[] = { "scope", "access", "client", "jwks", "kid",
			"delegation", "prefix", "audit" };
		char id[80], ts[32];
		json_t *after;

		if (az_audit_id(now, id, sizeof(id)) != 0) {
			r = PORTEN_ERR_CRYPTO;
			goto out;
		}
		after = json_array();
		for (i = 0; i < pd.n; i++)
			json_array_append_new(after, json_pack("{s:s,s:s}", "kind",
			                      (size_t)pd.ops[i].kind < sizeof(kinds) / sizeof(kinds[0])
			                      ? kinds[pd.ops[i].kind] : "?", "key", pd.keys[i]));
		porten_iso8601(now, ts, sizeof(ts));
		if ((r = pending_add(&pd, PORTEN_DOC_AUDIT, id, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:n,s:{s:o},s:s}",
		        "id", id, "time", ts, "actor_orgno", "seed", "actor_client_id", "", "action", "seed.load",
		        "object", "seed", "key", "", "before", "after", "changed", after, "correlation_id", ""))) != 0) {
			goto out;
		}
	}
	if (pd.n > 0 && (r = porten_store_apply(store, pd.ops, pd.n)) != 0) {
		snprintf(errbuf, errlen, "cannot store the seed: %s", porten_strerror(r));
		goto out;
	}
	if (changed)
		*changed = pd.n > 0 ? pd.n - 1 : 0;   /* not counting the audit record */
	r = 0;
out:
	if (r == PORTEN_ERR_UNAVAILABLE && errbuf[0] == '\0')
		snprintf(errbuf, errlen, "the store is unavailable");
	else if (r != 0 && errbuf[0] == '\0')
		snprintf(errbuf, errlen, "cannot load the seed: %s", porten_strerror(r));
	az_problems_release(&p);
	pending_free(&pd);
	return r;
}

int
porten_authz_seed_file(porten_store *store, const char *path, int64_t now,
                       char *errbuf, size_t errlen, size_t *changed)
{
	json_error_t je;
	json_t *seed;
	char *text = NULL;
	size_t len;
	int r;

	errbuf[0] = '\0';
	if ((r = porten_file_read(path, PORTEN_SEED_FILE_MAX, &text, &len)) != 0) {
		snprintf(errbuf, errlen, "cannot read '%s': %s", path, porten_strerror(r));
		return r;
	}
	seed = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (seed == NULL) {
		snprintf(errbuf, errlen, "'%s' line %d column %d: %s", path, je.line, je.column, je.text);
		return PORTEN_ERR_INVALID;
	}
	r = porten_authz_seed_load(store, seed, now, errbuf, errlen, changed);
	json_decref(seed);
	return r;
}
