/* JWT grants (RFC 7523) in the shape of spec/maskinporten.md 2.6: RS256, x5c or kid in
 * the header; aud, iss, scope, iat, exp, jti in the claims. */
#include <stdlib.h>
#include <string.h>

#include "porten/client.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/jws.h"
#include "porten/limits.h"
#include "porten/rand.h"

int
porten_grant_build(const struct porten_client_credentials *cr,
                   const struct porten_grant_params *p, char **out)
{
	json_t *header = NULL, *claims = NULL;
	char uuid[37];
	int64_t now;
	int lifetime, r = PORTEN_ERR_INVALID;

	*out = NULL;
	if (cr == NULL || p == NULL || cr->client_id == NULL || cr->key == NULL ||
	    !porten_key_has_private(cr->key) || (cr->x5c == NULL) == (cr->kid == NULL))
		goto out;
	if (p->audience == NULL || *p->audience == '\0' || p->scope == NULL || *p->scope == '\0' ||
	    strlen(p->scope) > PORTEN_SCOPE_STRING_MAX)
		goto out;
	lifetime = p->lifetime != 0 ? p->lifetime : PORTEN_GRANT_MAX_LIFETIME_S;
	if (lifetime < 1 || lifetime > PORTEN_GRANT_MAX_LIFETIME_S)
		goto out;
	now = p->now != 0 ? p->now : porten_now();
	if (p->jti == NULL && (r = porten_random_uuid(uuid)) != 0)
		goto out;

	r = PORTEN_ERR_NOMEM;
	if (cr->x5c != NULL)
		header = json_pack("{s:s, s:O}", "alg", "RS256", "x5c", cr->x5c);
	else
		header = json_pack("{s:s, s:s}", "alg", "RS256", "kid", cr->kid);
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "aud", p->audience,
	                   "iss", cr->client_id, "scope", p->scope, "iat", (json_int_t)now,
	                   "exp", (json_int_t)(now + lifetime), "jti", p->jti ? p->jti : uuid);
	if (header == NULL || claims == NULL)
		goto out;
	if (p->resource != NULL &&
	    json_object_set_new(claims, "resource", json_string(p->resource)) != 0)
		goto out;
	if (p->consumer_org != NULL &&
	    json_object_set_new(claims, "consumer_org", json_string(p->consumer_org)) != 0)
		goto out;
	r = porten_jws_sign(PORTEN_JWS_RS256, cr->key, header, claims, out);
out:
	json_decref(header);
	json_decref(claims);
	return r;
}
