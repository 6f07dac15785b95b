/* The one table from internal token errors to Maskinporten's wire errors
 * (spec/maskinporten.md 5.2). Texts are the documented prefixes; details follow. */
#include "porten/authz.h"

static const struct porten_az_error_info table[AZ_ERROR_COUNT] = {
	[AZ_OK] = { NULL, NULL, 200, NULL },
	[AZ_UNSUPPORTED_GRANT_TYPE] = { NULL, "unsupported_grant_type", 400,
		"Invalid grant_type. Use urn:ietf:params:oauth:grant-type:jwt-bearer" },
	[AZ_INVALID_REQUEST] = { NULL, "invalid_request", 400, "Invalid request" },
	[AZ_METHOD] = { NULL, "invalid_request", 405, "Method not allowed" },
	[AZ_BODY_TOO_LARGE] = { NULL, "invalid_request", 413, "Request body too large" },
	[AZ_MP011] = { "MP-011", "invalid_request", 400, "Invalid assertion. Invalid parameter value" },
	[AZ_MP012] = { "MP-012", "invalid_grant", 400, "Grant is used before" },
	[AZ_MP100] = { "MP-100", "invalid_grant", 400,
		"Invalid assertion. Client authentication failed. Client not found" },
	[AZ_MP110] = { "MP-110", "invalid_grant", 400,
		"Invalid assertion. Client authentication failed. Invalid JWT claim aud" },
	[AZ_MP120] = { "MP-120", "invalid_grant", 400,
		"Invalid assertion. Client authentication failed. The JWT is signed with an invalid certificate." },
	[AZ_MP121] = { "MP-121", "invalid_grant", 400,
		"Invalid assertion. Client authentication failed. Expired key." },
	[AZ_MP122] = { "MP-122", "invalid_grant", 400,
		"Invalid JWT. Invalid organization number for client. Does not match certificate orgno" },
	[AZ_MP123] = { "MP-123", "invalid_grant", 400, "Invalid JWT header x5c" },
	[AZ_MP124] = { "MP-124", "invalid_grant", 400, "Invalid JWT signature" },
	[AZ_MP130] = { "MP-130", "invalid_grant", 400, "JWT is expired" },
	[AZ_ALG] = { NULL, "invalid_grant", 400,
		"Invalid assertion. Client authentication failed. Invalid JWT algorithm, use RS256, RS384 or RS512" },
	[AZ_IAT_FUTURE] = { NULL, "invalid_grant", 400, "Issue time is after now" },
	[AZ_IAT_PAST] = { NULL, "invalid_grant", 400, "Invalid assertion. Issue time is too far in the past" },
	[AZ_LIFETIME] = { NULL, "invalid_grant", 400,
		"Invalid assertion. The JWT lifetime (exp - iat) must be positive and at most 120 seconds" },
	[AZ_NBF] = { NULL, "invalid_grant", 400, "Invalid assertion. JWT is not yet valid (nbf)" },
	[AZ_UNKNOWN_KID] = { NULL, "invalid_grant", 400,
		"Invalid assertion. Client authentication failed. Unknown key identifier (kid) for client" },
	[AZ_REQUIRES_JWK] = { NULL, "invalid_grant", 400,
		"Invalid assertion. Client authentication failed. Invalid JWT. The client requires pre-registered jwk and no key identifier (kid) provided" },
	[AZ_SCOPE_MISSING] = { NULL, "invalid_scope", 400, "Token request is missing the scope claim" },
	[AZ_MP200] = { "MP-200", "invalid_scope", 400, "Token request contains invalid scopes for client" },
	[AZ_MP201] = { "MP-201", "invalid_scope", 400,
		"Token request contains scopes not allowed for maskinporten" },
	[AZ_MP250] = { "MP-250", "forbidden", 403, "Consumer has not been granted access to the scope" },
	[AZ_MP251] = { "MP-251", "forbidden", 403, "Consumer has not delegated access to the scope" },
	[AZ_CONSUMER_ORG_INVALID] = { NULL, "invalid_request", 400,
		"Validation of JWT claim failed: The combination consumer_org in claim and delegation scope on client is invalid" },
	[AZ_MP301] = { "MP-301", "invalid_request", 400, "Unknown authorization details type" },
	[AZ_UNAVAILABLE] = { NULL, "temporarily_unavailable", 503,
		"The service is temporarily unavailable, try again later" },
	[AZ_INTERNAL] = { NULL, "server_error", 500, "Internal error" },
};

const struct porten_az_error_info *
porten_az_error_info(enum porten_az_error e)
{
	if ((int)e < 0 || e >= AZ_ERROR_COUNT)
		e = AZ_INTERNAL;
	return &table[e];
}
