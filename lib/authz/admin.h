/* The administration API (docs/admin-api.md): private to lib/authz.
 *
 * One struct adm per request carries the verified caller, the pending writes and their
 * audit records; a handler authenticates, validates everything (collecting every
 * problem), queues its writes with adm_put/adm_delete/adm_audit, and adm_commit applies
 * them as one store transaction. Every response goes through adm_json/adm_error, so the
 * error shape is built in one place. */
#ifndef PORTEN_AUTHZ_ADMIN_H
#define PORTEN_AUTHZ_ADMIN_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "porten/authz.h"
#include "porten/http.h"
#include "porten/limits.h"
#include "porten/store.h"
#include "authz/model.h"

#define ADM_OPS_MAX 32

struct adm {
	porten_authz *az;
	struct porten_req *req;
	struct porten_resp *resp;
	const char *path;            /* req->path without a leading "/api/v1" */
	bool responded;              /* a response has been written */
	int64_t now;
	char correlation_id[33];
	/* the caller, after adm_auth */
	char actor[10];
	char actor_client[PORTEN_CLIENT_ID_MAX + 1];
	char scope[PORTEN_SCOPE_STRING_MAX + 1];
	/* queued writes */
	struct porten_store_op ops[ADM_OPS_MAX];
	char *keys[ADM_OPS_MAX];
	json_t *docs[ADM_OPS_MAX];
	size_t nops;
};

/* Scopes of the admin API. */
#define ADM_SCOPES_WRITE "idporten:scopes.write"
#define ADM_DCR_READ     "idporten:dcr.read"
#define ADM_DCR_WRITE    "idporten:dcr.write"
#define ADM_DCR_MODIFY   "idporten:dcr.modify"
#define ADM_DCR_SUPPLIER "idporten:dcr.supplier"
#define ADM_DELEG_WRITE  "porten:delegations.write"
#define ADM_OPERATOR     "porten:admin"

/* Responses. adm_error: the self-service error body; errors (stolen, may be NULL) is
 * the "errors" array. */
void adm_json(struct adm *a, int status, const json_t *body);
void adm_no_content(struct adm *a);
void adm_error(struct adm *a, int status, const char *error, json_t *errors, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* 405 naming the methods the path takes (Allow header). */
void adm_method_not_allowed(struct adm *a, const char *allow);
/* 400 from collected problems, each with objectName obj. */
void adm_invalid(struct adm *a, const char *obj, struct az_problems *p);
/* 400 for one problem (field "" for the body as a whole). */
void adm_invalid_one(struct adm *a, const char *obj, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* 503/500 for a store error r (or 404/409 when r says so). */
void adm_store_error(struct adm *a, int r, const char *what);

/* Authentication: the Bearer token must verify and hold one of the scopes in any
 * (NULL-terminated; NULL list = any admin scope). Responds 401/403 and returns -1
 * otherwise. */
int adm_auth(struct adm *a, const char *const *any);
bool adm_has_scope(const struct adm *a, const char *scope);

/* The request body as a JSON object (400 and -1 otherwise). */
int adm_body(struct adm *a, const char *obj, json_t **out);
/* A single query parameter; 400 (and -1) when repeated or (required) missing. */
int adm_query(struct adm *a, const char *name, bool required, const char **out);
/* Organisation number syntax (9 digits); a failing check digit is logged, not refused. */
bool adm_orgno_ok(const char *s);

/* Queued writes (doc is stolen), applied by adm_commit with the audit records. */
int adm_put(struct adm *a, enum porten_doc_kind kind, const char *key, json_t *doc);
int adm_insert(struct adm *a, enum porten_doc_kind kind, const char *key, json_t *doc);
int adm_delete(struct adm *a, enum porten_doc_kind kind, const char *key);
/* An audit record: before/after borrowed (NULL for none). */
int adm_audit(struct adm *a, const char *action, const char *object, const char *key,
              const json_t *before, const json_t *after);
/* A new audit id: time-ordered, unique across processes (>= 48 bytes). */
int az_audit_id(int64_t now, char *out, size_t outsz);
/* Applies the queue; on failure responds (409/503/500) and returns the error. */
int adm_commit(struct adm *a);

/* Answers 200 with a JSON array built from every document of kind whose key starts with
 * prefix (NULL: all): pick returns what to list for one (a new reference) or NULL to
 * leave it out. */
typedef json_t *(*adm_pick)(struct adm *a, const char *key, json_t *doc, void *ctx);
void adm_list(struct adm *a, enum porten_doc_kind kind, const char *prefix, adm_pick pick, void *ctx);
/* adm_pick for prefixes: {"prefix", "owner_orgno"}, ctx an owner orgno or NULL for all. */
json_t *adm_pick_prefix(struct adm *a, const char *key, json_t *doc, void *ctx);
/* cur with body laid over it for a PUT: fields given replace, null removes, absent keep;
 * created and last_updated dropped (new reference). */
json_t *adm_merge(const json_t *cur, const json_t *body);
/* DELETE of a scope or client: cur (borrowed, stored under kind/key) with active false,
 * written with the audit action "<object>.deactivate"; answers 200 with the result (cur
 * itself when it was inactive already). */
void adm_deactivate(struct adm *a, enum porten_doc_kind kind, const char *key, const char *object,
                    const json_t *cur);

/* A stored document or NULL (not found); -1 after responding on a store failure. */
int adm_get(struct adm *a, enum porten_doc_kind kind, const char *key, json_t **out);

/* Handlers (admin_scopes.c, admin_clients.c, admin.c). */
void adm_scopes(struct adm *a);          /* /scopes */
void adm_scopes_all(struct adm *a);      /* /scopes/all */
void adm_scope_one(struct adm *a);       /* /scopes/scope */
void adm_access(struct adm *a);          /* /scopes/access, /scopes/access/... */
void adm_prefix_mine(struct adm *a);     /* /prefix */
void adm_delegation_sources(struct adm *a);
void adm_clients(struct adm *a);         /* /clients, /clients/... */
void adm_delegations(struct adm *a);     /* /delegations */
void adm_operator(struct adm *a);        /* /admin/... */

/* True when path (without /api/v1) belongs to the admin API. */
bool adm_path(const char *path);

#endif
