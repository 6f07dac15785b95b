/* Discovery (RFC 8414) and the token request (RFC 7523 over RFC 6749 5.1/5.2). The grant
 * and the access token are wiped from our buffers once used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "porten/client.h"
#include "porten/error.h"
#include "porten/json.h"
#include "porten/limits.h"
#include "client/client_internal.h"

#define GRANT_TYPE_ENC "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
#define METADATA_PATH ".well-known/oauth-authorization-server"
#define CLIENT_URL_BUF_MAX 4096

void
porten_client_metadata_clear(struct porten_client_metadata *md)
{
	if (md == NULL)
		return;
	free(md->issuer);
	free(md->token_endpoint);
	free(md->token_url);
	free(md->jwks_uri);
	memset(md, 0, sizeof(*md));
}

int
porten_client_discover(porten_client *c, const char *authz_url,
                       struct porten_client_metadata *md, struct porten_client_problem *problem)
{
	struct porten_client_response resp = { 0 };
	struct porten_client_request req = { 0 };
	struct porten_buf url;
	const char *issuer, *tep, *jwks;
	json_t *doc = NULL;
	size_t ilen;
	int r;

	memset(md, 0, sizeof(*md));
	memset(problem, 0, sizeof(*problem));
	porten_buf_init(&url, CLIENT_URL_BUF_MAX);
	if ((r = porten_url_join(&url, authz_url, METADATA_PATH)) != 0)
		goto out;
	req.url = url.data;
	req.accept = "application/json";
	if ((r = porten_client_request(c, &req, &resp)) != 0)
		goto out;
	if (resp.status != 200) {
		porten_client_problem_from(&resp, problem);
		r = PORTEN_ERR_REFUSED;
		goto out;
	}
	doc = json_loadb(resp.body, resp.body_len, JSON_REJECT_DUPLICATES, NULL);
	issuer = porten_json_str(doc, "issuer");
	tep = porten_json_str(doc, "token_endpoint");
	jwks = porten_json_str(doc, "jwks_uri");
	if (issuer == NULL || tep == NULL) {
		r = PORTEN_ERR_INVALID;
		porten_client_set_errmsg(c, "%s is not authorization server metadata "
		                         "(no issuer or token_endpoint)", url.data);
		goto out;
	}
	r = PORTEN_ERR_NOMEM;
	if ((md->issuer = strdup(issuer)) == NULL || (md->token_endpoint = strdup(tep)) == NULL ||
	    (jwks != NULL && (md->jwks_uri = strdup(jwks)) == NULL))
		goto out;
	/* The published endpoint lies under the issuer, which need not be where the server
	 * is reached (a test issuer served on 127.0.0.1): post where the metadata came from. */
	ilen = strlen(issuer);
	porten_buf_reset(&url);
	if (strncmp(tep, issuer, ilen) == 0 && strcmp(issuer, authz_url) != 0) {
		if ((r = porten_url_join(&url, authz_url, tep + ilen)) != 0)
			goto out;
		md->token_url = porten_buf_detach(&url, NULL);
	} else {
		md->token_url = strdup(tep);
	}
	r = md->token_url != NULL ? 0 : PORTEN_ERR_NOMEM;
out:
	json_decref(doc);
	porten_buf_release(&url);
	porten_client_response_clear(&resp);
	if (r != 0)
		porten_client_metadata_clear(md);
	return r;
}

void
porten_client_token_clear(struct porten_client_token *tok)
{
	if (tok == NULL)
		return;
	if (tok->access_token != NULL) {
		porten_wipe(tok->access_token, strlen(tok->access_token));
		free(tok->access_token);
	}
	free(tok->token_type);
	free(tok->scope);
	memset(tok, 0, sizeof(*tok));
	tok->expires_in = -1;
}

int
porten_client_token_request(porten_client *c, const char *token_url, const char *assertion,
                            struct porten_client_token *tok, struct porten_client_problem *problem)
{
	struct porten_client_response resp = { 0 };
	struct porten_client_request req = { 0 };
	struct porten_buf form;
	const char *at, *tt, *sc;
	const json_t *ei;
	json_t *doc = NULL;
	int r;

	memset(tok, 0, sizeof(*tok));
	tok->expires_in = -1;
	memset(problem, 0, sizeof(*problem));
	porten_buf_init(&form, PORTEN_TOKEN_BODY_MAX);
	if ((r = porten_buf_appends(&form, "grant_type=" GRANT_TYPE_ENC "&assertion=")) != 0 ||
	    (r = porten_url_append_escaped(&form, assertion)) != 0) {
		porten_client_set_errmsg(c, "the grant is larger than %d bytes", PORTEN_TOKEN_BODY_MAX);
		goto out;
	}
	req.method = "POST";
	req.url = token_url;
	req.accept = "application/json";
	req.content_type = "application/x-www-form-urlencoded";
	req.body = form.data;
	req.body_len = form.len;
	if ((r = porten_client_request(c, &req, &resp)) != 0)
		goto out;
	if (resp.status < 200 || resp.status > 299) {
		porten_client_problem_from(&resp, problem);
		r = PORTEN_ERR_REFUSED;
		goto out;
	}
	doc = json_loadb(resp.body, resp.body_len, JSON_REJECT_DUPLICATES, NULL);
	at = porten_json_str(doc, "access_token");
	tt = porten_json_str(doc, "token_type");
	sc = porten_json_str(doc, "scope");
	ei = json_object_get(doc, "expires_in");
	if (at == NULL || tt == NULL || strcasecmp(tt, "Bearer") != 0 ||
	    (ei != NULL && !json_is_integer(ei))) {
		porten_client_set_errmsg(c, "the token endpoint answered %ld without a Bearer "
		                         "access_token", resp.status);
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	r = PORTEN_ERR_NOMEM;
	if ((tok->access_token = strdup(at)) == NULL || (tok->token_type = strdup(tt)) == NULL ||
	    (sc != NULL && (tok->scope = strdup(sc)) == NULL))
		goto out;
	tok->expires_in = ei != NULL ? (int64_t)json_integer_value(ei) : -1;
	r = 0;
out:
	/* The parsed copy of the token lives in jansson's strings: wiped, then freed. */
	porten_json_wipe_string(doc, "access_token");
	json_decref(doc);
	if (form.data != NULL)
		porten_wipe(form.data, form.len);
	porten_buf_release(&form);
	porten_client_response_clear(&resp);
	if (r != 0)
		porten_client_token_clear(tok);
	return r;
}

int
porten_client_get_token_params(porten_client *c, const char *authz_url,
                               const struct porten_client_credentials *cr,
                               const struct porten_grant_params *params,
                               struct porten_client_token *tok,
                               struct porten_client_problem *problem)
{
	struct porten_client_metadata md;
	struct porten_grant_params gp = *params;
	char *grant = NULL;
	int r;

	memset(tok, 0, sizeof(*tok));
	tok->expires_in = -1;
	if ((r = porten_client_discover(c, authz_url, &md, problem)) != 0)
		return r;
	if (gp.audience == NULL)
		gp.audience = md.issuer;
	if ((r = porten_grant_build(cr, &gp, &grant)) != 0) {
		porten_client_set_errmsg(c, "cannot sign a grant for scope '%s': %s",
		                         gp.scope ? gp.scope : "", porten_strerror(r));
		goto out;
	}
	r = porten_client_token_request(c, md.token_url, grant, tok, problem);
out:
	if (grant != NULL) {
		porten_wipe(grant, strlen(grant));
		free(grant);
	}
	porten_client_metadata_clear(&md);
	return r;
}

int
porten_client_get_token(porten_client *c, const char *authz_url,
                        const struct porten_client_credentials *cr, const char *scope,
                        struct porten_client_token *tok, struct porten_client_problem *problem)
{
	struct porten_grant_params gp = { 0 };

	gp.scope = scope;
	return porten_client_get_token_params(c, authz_url, cr, &gp, tok, problem);
}
