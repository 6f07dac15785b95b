/* The HTTP surface of porten authz. Handlers only translate between HTTP and the
 * logic in token.c; every error body is built by one function from one table. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "porten/authz.h"
#include "porten/form.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/rand.h"
#include "http/metrics.h"
#include "authz/admin.h"

#define GRANT_TYPE_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"

/* {"error","error_description","error_uri"} with the trace id suffix (spec 5.1). */
static void
send_error(porten_authz *az, struct porten_req *req, struct porten_resp *resp,
           enum porten_az_error e, const char *detail, const char *description, const char *reason)
{
	const struct porten_az_error_info *info = porten_az_error_info(e);
	char trace[33], desc[1024], uri[512], esc_cid[PORTEN_LOG_FIELD_MAX * 4 + 8];
	char esc_reason[PORTEN_LOG_FIELD_MAX * 4 + 8];
	json_t *body;

	if (porten_random_hex(trace, 16) != 0)
		snprintf(trace, sizeof(trace), "00000000000000000000000000000000");
	if (description && description[0])
		snprintf(desc, sizeof(desc), "%s (trace_id: %s)", description, trace);
	else
		snprintf(desc, sizeof(desc), "%s%s (trace_id: %s)", info->text, detail ? detail : "", trace);
	body = json_pack("{s:s,s:s}", "error", info->error, "error_description", desc);
	if (info->mp) {
		snprintf(uri, sizeof(uri), "%serrors/%s", porten_authz_issuer(az), info->mp);
		json_object_set_new(body, "error_uri", json_string(uri));
		snprintf(req->log_code, sizeof(req->log_code), "%s", info->mp);
	} else {
		snprintf(req->log_code, sizeof(req->log_code), "%s", info->error);
	}
	porten_resp_json(resp, info->status, body);
	porten_resp_header(resp, "Cache-Control", "no-store");
	porten_resp_header(resp, "Pragma", "no-cache");
	json_decref(body);
	if (info->status < 500 && e != AZ_METHOD)
		log_warn("security: grant refused ip=%s code=%s client_id=\"%s\" trace_id=%s reason=\"%s\"",
		         req->client_ip, req->log_code,
		         porten_log_escape(esc_cid, sizeof(esc_cid), req->log_client_id,
		                           strlen(req->log_client_id)),
		         trace,
		         porten_log_escape(esc_reason, sizeof(esc_reason), reason ? reason : "",
		                           reason ? strlen(reason) : 0));
	else if (info->status >= 500)
		log_error("token: %s trace_id=%s: %s", info->error, trace, reason ? reason : "-");
}

/* application/x-www-form-urlencoded, parameters allowed ("; charset=UTF-8"). */
static int
is_form(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(want) - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static void
h_token(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	porten_authz *az = ctx;
	struct porten_token_result res;
	struct porten_form form;
	const char *gt, *assertion;
	size_t alen, gtlen = 0;
	int r;

	memset(&res, 0, sizeof(res));
	memset(&form, 0, sizeof(form));
	if (!is_form(porten_req_header(req, "Content-Type"))) {
		send_error(az, req, resp, AZ_INVALID_REQUEST,
		           ". Content-Type must be application/x-www-form-urlencoded", NULL, "content type");
		return;
	}
	if ((r = porten_form_parse(req->body, req->body_len, &form)) != 0) {
		send_error(az, req, resp, AZ_INVALID_REQUEST, ". The form body is malformed", NULL, "form");
		return;
	}
	if (form.duplicate) {
		send_error(az, req, resp, AZ_INVALID_REQUEST, ". A form parameter is repeated", NULL,
		           "duplicate form parameter");
		goto out;
	}
	gt = porten_form_get(&form, "grant_type", &gtlen);
	if (gt == NULL) {
		send_error(az, req, resp, AZ_INVALID_REQUEST, ". Missing grant_type", NULL, "no grant_type");
		goto out;
	}
	if (gtlen != sizeof(GRANT_TYPE_JWT_BEARER) - 1 || memcmp(gt, GRANT_TYPE_JWT_BEARER, gtlen) != 0) {
		send_error(az, req, resp, AZ_UNSUPPORTED_GRANT_TYPE, NULL, NULL, "grant_type");
		goto out;
	}
	if ((assertion = porten_form_get(&form, "assertion", &alen)) == NULL || alen == 0) {
		send_error(az, req, resp, AZ_INVALID_REQUEST, ". Missing assertion", NULL, "no assertion");
		goto out;
	}
	porten_authz_token(az, assertion, alen, &res);
	snprintf(req->log_client_id, sizeof(req->log_client_id), "%s", res.client_id);
	snprintf(req->log_orgno, sizeof(req->log_orgno), "%s", res.orgno);
	snprintf(req->log_scope, sizeof(req->log_scope), "%s", res.scope);
	if (res.error != AZ_OK) {
		send_error(az, req, resp, res.error, res.detail, res.description, res.reason);
		goto out;
	}
	porten_resp_json(resp, 200, res.response);
	porten_resp_header(resp, "Cache-Control", "no-store");
	porten_resp_header(resp, "Pragma", "no-cache");
out:
	porten_token_result_clear(&res);
	porten_form_clear(&form);
}

static void
h_metadata(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	json_t *m = porten_authz_metadata(ctx);

	porten_resp_json(resp, 200, m);
	json_decref(m);
}

static void
h_jwk(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	json_t *m = porten_authz_jwks(ctx);

	porten_resp_json(resp, 200, m);
	porten_resp_header(resp, "Cache-Control", "public, max-age=300");
	json_decref(m);
}

static void
h_health(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	porten_resp_text(resp, 200, "application/json", "{\"status\":\"UP\"}", 15);
}

static void
h_metrics(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4";
	if (porten_metrics_render(&resp->body, "porten_authz") != 0)
		resp->status = 500;
}

const struct porten_route porten_authz_routes[] = {
	{ "POST", "/token", h_token, PORTEN_TOKEN_BODY_MAX, 0 },
	{ "GET", "/.well-known/oauth-authorization-server", h_metadata, 0, 0 },
	{ "GET", "/jwk", h_jwk, 0, 0 },
	{ "GET", "/jwk.json", h_jwk, 0, 0 },
	{ "GET", "/health", h_health, 0, 0 },
	{ "GET", "/metrics", h_metrics, 0, 0 },
	/* The administration API dispatches on path itself (admin.c). */
#define ADMIN_ROUTES(path) \
	{ "GET", path, porten_authz_admin, PORTEN_ADMIN_BODY_MAX, PORTEN_ROUTE_PREFIX }, \
	{ "POST", path, porten_authz_admin, PORTEN_ADMIN_BODY_MAX, PORTEN_ROUTE_PREFIX }, \
	{ "PUT", path, porten_authz_admin, PORTEN_ADMIN_BODY_MAX, PORTEN_ROUTE_PREFIX }, \
	{ "DELETE", path, porten_authz_admin, PORTEN_ADMIN_BODY_MAX, PORTEN_ROUTE_PREFIX }
	ADMIN_ROUTES("/scopes"),
	ADMIN_ROUTES("/clients"),
	ADMIN_ROUTES("/delegations"),
	ADMIN_ROUTES("/admin/"),
	ADMIN_ROUTES("/prefix"),
	ADMIN_ROUTES("/delegationsources"),
	ADMIN_ROUTES("/api/v1/"),
#undef ADMIN_ROUTES
};
const size_t porten_authz_nroutes = sizeof(porten_authz_routes) / sizeof(porten_authz_routes[0]);

void
porten_authz_http_error(struct porten_req *req, struct porten_resp *resp, int status, void *ctx)
{
	porten_authz *az = ctx;

	if (adm_path(req->path)) {
		porten_authz_admin_http_error(req, resp, status, ctx);
		return;
	}
	switch (status) {
	case 405:
		send_error(az, req, resp, AZ_METHOD, strcmp(req->path, "/token") == 0
		           ? ". Use POST" : ". Use GET", NULL, "method");
		porten_resp_header(resp, "Allow", strcmp(req->path, "/token") == 0 ? "POST" : "GET, HEAD");
		break;
	case 413:
		send_error(az, req, resp, AZ_BODY_TOO_LARGE, NULL, NULL, "body too large");
		break;
	default: {
		json_t *b = json_pack("{s:s,s:s}", "error", "not_found", "error_description",
		                      "No such endpoint");
		porten_resp_json(resp, status, b);
		json_decref(b);
		snprintf(req->log_code, sizeof(req->log_code), "not_found");
	}
	}
}
