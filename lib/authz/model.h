/* Validation and normalisation of the administrative objects (spec/maskinporten.md 6, 7).
 * Each *_normalize returns a new, complete stored document with defaults filled and
 * created/last_updated set to now, or NULL after adding every problem to p. */
#ifndef PORTEN_AUTHZ_MODEL_H
#define PORTEN_AUTHZ_MODEL_H

#include <stdint.h>
#include <jansson.h>
#include "porten/buf.h"

struct az_problems {
	struct porten_buf buf;   /* "path: message; path: message" */
	size_t count;
	json_t *list;            /* [{"field": path, "message": ...}] (NULL until the first) */
};

/* path "" or ".x" (the admin API's top level) is reported as "x". */
void az_problem(struct az_problems *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void az_problems_release(struct az_problems *p);

int az_subscope_valid(const char *s);
int az_prefix_valid(const char *s);

json_t *az_scope_normalize(const json_t *in, const char *path, int64_t now, struct az_problems *p);
json_t *az_access_normalize(const json_t *in, const char *path, const char *owner_orgno,
                            int64_t now, struct az_problems *p);
json_t *az_client_normalize(const json_t *in, const char *path, int64_t now, struct az_problems *p);
/* {"keys":[...]}: at most 5, kty alg use e n kid required, use "sig", RSA >= 2048,
 * unique kid within the set; each key gets "created" (given, or now). */
json_t *az_jwks_normalize(const json_t *in, const char *path, int64_t now, struct az_problems *p);
json_t *az_delegation_normalize(const json_t *in, const char *path, int64_t now, struct az_problems *p);

#endif
