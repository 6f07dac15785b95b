/* lib/client/http.c and token.c against a server started in this process with lib/http
 * (plain HTTP on a free port): status, body, headers, Retry-After, the size limit,
 * connection refused, timeouts, error bodies, discovery and the token request. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "porten/buf.h"
#include "porten/client.h"
#include "porten/error.h"
#include "porten/form.h"
#include "porten/http.h"
#include "porten/jws.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/log.h"

#define ISSUER "https://test.maskinporten.no/"
#define BIG_LEN 10000

static porten_http *srv;
static char base[64];                 /* "http://127.0.0.1:PORT/" */
static pthread_mutex_t last_mu = PTHREAD_MUTEX_INITIALIZER;
static char last_assertion[PORTEN_JWT_MAX + 1];
static char last_auth[256];

static void
h_json(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	porten_resp_text(resp, 200, "application/json", "{\"ok\":true}", 11);
}

static void
h_retry(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	static const char b[] = "{\"error\":\"temporarily_unavailable\",\"error_description\":\"busy\\nnow\"}";

	porten_resp_text(resp, 503, "application/json", b, sizeof(b) - 1);
	porten_resp_header(resp, "Retry-After", "7");
}

static void
h_retry_date(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	char date[64];
	time_t t = time(NULL) + 60;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	porten_resp_text(resp, 429, "text/plain", "slow down", 9);
	porten_resp_header(resp, "Retry-After", date);
}

static void
h_big(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	char *b = malloc(BIG_LEN);

	memset(b, 'x', BIG_LEN);
	porten_resp_text(resp, 200, "text/plain", b, BIG_LEN);
	free(b);
}

static void
h_slow(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	usleep(1500 * 1000);
	porten_resp_text(resp, 200, "text/plain", "late", 4);
}

static void
h_freg(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	static const char b[] = "{\"kode\":\"FREG-404\",\"melding\":\"ikke funnet\"}";

	porten_resp_text(resp, 404, "application/json", b, sizeof(b) - 1);
}

static void
h_text_error(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	porten_resp_text(resp, 502, "text/html", "<html>bad\r\ngateway</html>", 25);
}

/* Echoes what arrived: method, Content-Type, Authorization, body. */
static void
h_echo(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	const char *ct = porten_req_header(req, "Content-Type");
	const char *auth = porten_req_header(req, "Authorization");
	const char *x = porten_req_header(req, "X-Test");
	json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s%}", "method", req->method, "ct", ct,
	                      "auth", auth, "x", x, "body", req->body, req->body_len);

	porten_resp_json(resp, 200, o);
	json_decref(o);
}

static void
h_empty(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	porten_resp_text(resp, 204, NULL, "", 0);
}

static void
h_metadata(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	static const char b[] = "{\"issuer\":\"" ISSUER "\",\"token_endpoint\":\"" ISSUER "token\","
	                        "\"jwks_uri\":\"" ISSUER "jwk\"}";

	porten_resp_text(resp, 200, "application/json", b, sizeof(b) - 1);
}

/* True when the grant asks for scope "bad:scope" (or cannot be read). */
static int
scope_is_bad(const char *jws, size_t len)
{
	struct porten_jws_view v;
	json_t *claims = NULL;
	const char *scope;
	int bad;

	if (porten_jws_split(jws, len, PORTEN_JWT_MAX, &v) != 0 ||
	    porten_jws_decode_json(v.payload, v.payload_len, PORTEN_JWT_PAYLOAD_MAX, &claims) != 0)
		return 1;
	scope = json_string_value(json_object_get(claims, "scope"));
	bad = scope == NULL || strcmp(scope, "bad:scope") == 0;
	json_decref(claims);
	return bad;
}

/* A token endpoint: keeps the assertion, refuses scope "bad:scope" like MP-200. */
static void
h_token(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	static const char ok[] = "{\"access_token\":\"tok.en.value\",\"token_type\":\"Bearer\","
	                         "\"expires_in\":120,\"scope\":\"a:b\"}";
	static const char bad[] = "{\"error\":\"invalid_scope\",\"error_description\":"
	                          "\"Token request contains invalid scopes for client, bad:scope\"}";
	struct porten_form form;
	const char *gt, *as;
	size_t alen = 0;

	memset(&form, 0, sizeof(form));
	if (porten_form_parse(req->body, req->body_len, &form) != 0 ||
	    (gt = porten_form_get(&form, "grant_type", NULL)) == NULL ||
	    strcmp(gt, "urn:ietf:params:oauth:grant-type:jwt-bearer") != 0 ||
	    (as = porten_form_get(&form, "assertion", &alen)) == NULL || alen > PORTEN_JWT_MAX) {
		porten_resp_text(resp, 400, "application/json", "{\"error\":\"invalid_request\"}", 27);
		porten_form_clear(&form);
		return;
	}
	pthread_mutex_lock(&last_mu);
	memcpy(last_assertion, as, alen);
	last_assertion[alen] = '\0';
	pthread_mutex_unlock(&last_mu);
	if (scope_is_bad(last_assertion, alen))
		porten_resp_text(resp, 400, "application/json", bad, sizeof(bad) - 1);
	else
		porten_resp_text(resp, 200, "application/json", ok, sizeof(ok) - 1);
	porten_form_clear(&form);
}

static void
h_admin(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	const char *auth = porten_req_header(req, "Authorization");

	pthread_mutex_lock(&last_mu);
	snprintf(last_auth, sizeof(last_auth), "%s", auth ? auth : "");
	pthread_mutex_unlock(&last_mu);
	porten_resp_text(resp, 200, "application/json", "[]", 2);
}

static void
on_error(struct porten_req *req, struct porten_resp *resp, int status, void *ctx)
{
	porten_resp_text(resp, status, "text/plain", "error", 5);
}

static const struct porten_route routes[] = {
	{ "GET", "/json", h_json, 0, 0 },
	{ "GET", "/retry", h_retry, 0, 0 },
	{ "GET", "/retry-date", h_retry_date, 0, 0 },
	{ "GET", "/big", h_big, 0, 0 },
	{ "GET", "/slow", h_slow, 0, 0 },
	{ "GET", "/freg", h_freg, 0, 0 },
	{ "GET", "/text-error", h_text_error, 0, 0 },
	{ "POST", "/echo", h_echo, 0, 0 },
	{ "PUT", "/echo", h_echo, 0, 0 },
	{ "DELETE", "/echo", h_echo, 0, 0 },
	{ "GET", "/echo", h_echo, 0, 0 },
	{ "DELETE", "/empty", h_empty, 0, 0 },
	{ "GET", "/.well-known/oauth-authorization-server", h_metadata, 0, 0 },
	{ "POST", "/token", h_token, 0, 0 },
	{ "GET", "/clients", h_admin, 0, 0 },
};

static int
setup(void **state)
{
	struct porten_http_config cfg = { 0 };

	porten_log_set_level(PORTEN_LOG_ERROR);
	cfg.host = "127.0.0.1";
	cfg.port = 0;
	cfg.threads = 2;
	cfg.server_name = "test";
	if (porten_http_start(&cfg, routes, sizeof(routes) / sizeof(routes[0]), on_error, NULL, &srv) != 0)
		return -1;
	snprintf(base, sizeof(base), "http://127.0.0.1:%u/", porten_http_port(srv));
	return 0;
}

static int
teardown(void **state)
{
	porten_http_stop(srv);
	return 0;
}

static char *
url(const char *path)
{
	static char u[128];

	snprintf(u, sizeof(u), "%s%s", base, path);
	return u;
}

static porten_client *
new_client(size_t max, long timeout_ms)
{
	struct porten_client_config cfg = { 0 };
	porten_client *c = NULL;

	cfg.response_max = max;
	cfg.timeout_ms = timeout_ms;
	assert_int_equal(porten_client_new(&cfg, &c), 0);
	return c;
}

static void
test_get_json(void **state)
{
	struct porten_client_request req = { 0 };
	struct porten_client_response resp;
	struct porten_str v;
	porten_client *c = new_client(0, 0);

	req.url = url("json");
	assert_int_equal(porten_client_request(c, &req, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body_len, 11);
	assert_string_equal(resp.body, "{\"ok\":true}");
	assert_string_equal(resp.content_type, "application/json");
	assert_true(porten_client_response_is_json(&resp));
	assert_int_equal(resp.retry_after, -1);
	assert_int_equal(porten_client_response_header(&resp, "content-length", &v), 0);
	assert_int_equal(v.n, 2);
	assert_memory_equal(v.p, "11", 2);
	assert_int_equal(porten_client_response_header(&resp, "X-None", &v), PORTEN_ERR_NOT_FOUND);
	assert_string_equal(porten_client_errmsg(c), "");
	porten_client_response_clear(&resp);

	/* the connection is reused: a second exchange on the same handle */
	assert_int_equal(porten_client_request(c, &req, &resp), 0);
	assert_int_equal(resp.status, 200);
	porten_client_response_clear(&resp);

	/* 404 from the server is an answer, not a failure */
	req.url = url("nowhere");
	assert_int_equal(porten_client_request(c, &req, &resp), 0);
	assert_int_equal(resp.status, 404);
	assert_false(porten_client_response_is_json(&resp));
	porten_client_response_clear(&resp);
	porten_client_free(c);
}

static void
test_retry_after(void **state)
{
	struct porten_client_request req = { 0 };
	struct porten_client_response resp;
	struct porten_client_problem p;
	porten_client *c = new_client(0, 0);

	req.url = url("retry");
	assert_int_equal(porten_client_request(c, &req, &resp), 0);
	assert_int_equal(resp.status, 503);
	assert_int_equal(resp.retry_after, 7);
	porten_client_problem_from(&resp, &p);
	assert_int_equal(p.status, 503);
	assert_string_equal(p.error, "temporarily_unavailable");
	assert_string_equal(p.description, "busy now");    /* one line */
	porten_client_response_clear(&resp);

	req.url = url("retry-date");
	assert_int_equal(porten_client_request(c, &req, &resp), 0);
	assert_int_equal(resp.status, 429);
	assert_true(resp.retry_after >= 55 && resp.retry_after <= 61);
	porten_client_problem_from(&resp, &p);
	assert_string_equal(p.error, "too_many_requests");
	assert_string_equal(p.description, "slow down");
	porten_client_response_clear(&resp);
	porten_client_free(c);
}

static void
test_problems(void **state)
{
	struct porten_client_request req = { 0 };
	struct porten_client_response resp;
	struct porten_client_problem p;
	porten_client *c = new_client(0, 0);

	req.url = url("freg");
	assert_int_equal(porten_client_request(c, &req, &resp), 0);
	porten_client_problem_from(&resp, &p);
	assert_int_equal(p.status, 404);
	assert_string_equal(p.error, "FREG-404");
	assert_string_equal(p.description, "ikke funnet");
	porten_client_response_clear(&resp);

	req.url = url("text-error");
	assert_int_equal(porten_client_request(c, &req, &resp), 0);
	porten_client_problem_from(&resp, &p);
	assert_int_equal(p.status, 502);
	assert_string_equal(p.error, "bad_gateway");
	assert_string_equal(p.description, "<html>bad gateway</html>");
	porten_client_response_clear(&resp);

	req.method = "DELETE";
	req.url = url("empty");
	assert_int_equal(porten_client_request(c, &req, &resp), 0);
	assert_int_equal(resp.status, 204);
	assert_int_equal(resp.body_len, 0);
	assert_non_null(resp.body);
	resp.status = 500;   /* as if an error came without a body */
	porten_client_problem_from(&resp, &p);
	assert_string_equal(p.error, "server_error");
	assert_string_equal(p.description, "the server gave no description");
	porten_client_response_clear(&resp);
	porten_client_free(c);
}

static void
test_methods_headers_body(void **state)
{
	static const char *const extra[] = { "X-Test: yes", NULL };
	struct porten_client_request req = { 0 };
	struct porten_client_response resp;
	json_t *o;
	porten_client *c = new_client(0, 0);

	req.method = "POST";
	req.url = url("echo");
	req.content_type = "application/json";
	req.body = "{\"a\":1}";
	req.body_len = 7;
	req.bearer = "secret.token.value";
	req.headers = extra;
	assert_int_equal(porten_client_request(c, &req, &resp), 0);
	assert_int_equal(resp.status, 200);
	o = json_loadb(resp.body, resp.body_len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "method")), "POST");
	assert_string_equal(json_string_value(json_object_get(o, "ct")), "application/json");
	assert_string_equal(json_string_value(json_object_get(o, "auth")), "Bearer secret.token.value");
	assert_string_equal(json_string_value(json_object_get(o, "x")), "yes");
	assert_string_equal(json_string_value(json_object_get(o, "body")), "{\"a\":1}");
	json_decref(o);
	porten_client_response_clear(&resp);

	/* PUT without a body: no form Content-Type slipped in by libcurl */
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.url = url("echo");
	assert_int_equal(porten_client_request(c, &req, &resp), 0);
	o = json_loadb(resp.body, resp.body_len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "method")), "PUT");
	assert_true(json_is_null(json_object_get(o, "ct")));
	assert_true(json_is_null(json_object_get(o, "auth")));
	assert_string_equal(json_string_value(json_object_get(o, "body")), "");
	json_decref(o);
	porten_client_response_clear(&resp);

	req.method = "DELETE";
	assert_int_equal(porten_client_request(c, &req, &resp), 0);
	o = json_loadb(resp.body, resp.body_len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "method")), "DELETE");
	json_decref(o);
	porten_client_response_clear(&resp);

	/* header injection is refused before anything is sent */
	req.method = "GET";
	req.bearer = "a\r\nX-Evil: 1";
	assert_int_equal(porten_client_request(c, &req, &resp), PORTEN_ERR_INVALID);
	porten_client_response_clear(&resp);
	porten_client_free(c);
}

static void
test_size_limit(void **state)
{
	struct porten_client_request req = { 0 };
	struct porten_client_response resp;
	porten_client *c = new_client(BIG_LEN - 1, 0);

	req.url = url("big");
	assert_int_equal(porten_client_request(c, &req, &resp), PORTEN_ERR_TOO_LARGE);
	assert_null(resp.body);
	assert_non_null(strstr(porten_client_errmsg(c), "larger than 9999 bytes"));
	porten_client_response_clear(&resp);
	porten_client_free(c);

	c = new_client(BIG_LEN, 0);   /* exactly the limit is fine */
	assert_int_equal(porten_client_request(c, &req, &resp), 0);
	assert_int_equal(resp.body_len, BIG_LEN);
	porten_client_response_clear(&resp);
	porten_client_free(c);
}

/* A server that sends a close-delimited body (no Content-Length) of BIG_LEN bytes, so
 * that the limit must be enforced while reading. */
static void *
raw_server(void *arg)
{
	int ls = *(int *)arg, s;
	char buf[4096];
	static char body[BIG_LEN];
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n";

	if ((s = accept(ls, NULL, NULL)) < 0)
		return NULL;
	(void)!read(s, buf, sizeof(buf));
	memset(body, 'y', sizeof(body));
	(void)!write(s, head, sizeof(head) - 1);
	(void)!write(s, body, sizeof(body));
	close(s);
	return NULL;
}

static void
test_size_limit_streamed(void **state)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct porten_client_request req = { 0 };
	struct porten_client_response resp;
	char u[64];
	pthread_t th;
	int ls;
	porten_client *c = new_client(BIG_LEN / 2, 0);

	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	assert_int_equal(pthread_create(&th, NULL, raw_server, &ls), 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%u/stream", ntohs(sa.sin_port));
	req.url = u;
	assert_int_equal(porten_client_request(c, &req, &resp), PORTEN_ERR_TOO_LARGE);
	assert_non_null(strstr(porten_client_errmsg(c), "larger than"));
	porten_client_response_clear(&resp);
	pthread_join(th, NULL);
	close(ls);
	porten_client_free(c);
}

static void
test_connection_refused(void **state)
{
	struct porten_http_config cfg = { 0 };
	struct porten_client_request req = { 0 };
	struct porten_client_response resp;
	porten_http *h = NULL;
	char u[64], want[96];
	unsigned port;
	porten_client *c = new_client(0, 0);

	/* a port that was just free: start a server, note its port, stop it */
	cfg.host = "127.0.0.1";
	cfg.threads = 2;
	assert_int_equal(porten_http_start(&cfg, routes, 1, on_error, NULL, &h), 0);
	port = porten_http_port(h);
	porten_http_stop(h);
	snprintf(u, sizeof(u), "http://127.0.0.1:%u/some/path?q=1", port);
	req.url = u;
	assert_int_equal(porten_client_request(c, &req, &resp), PORTEN_ERR_UNAVAILABLE);
	snprintf(want, sizeof(want), "cannot connect to http://127.0.0.1:%u/: Connection refused", port);
	assert_string_equal(porten_client_errmsg(c), want);
	porten_client_response_clear(&resp);

	/* and a URL that is not http(s) */
	req.url = "ftp://127.0.0.1/";
	assert_int_equal(porten_client_request(c, &req, &resp), PORTEN_ERR_INVALID);
	porten_client_response_clear(&resp);
	porten_client_free(c);
}

static void
test_timeout(void **state)
{
	struct porten_client_request req = { 0 };
	struct porten_client_response resp;
	porten_client *c = new_client(0, 300);

	req.url = url("slow");
	assert_int_equal(porten_client_request(c, &req, &resp), PORTEN_ERR_UNAVAILABLE);
	assert_non_null(strstr(porten_client_errmsg(c), "did not answer within 300 ms"));
	porten_client_response_clear(&resp);
	porten_client_free(c);
}

static void
test_urls(void **state)
{
	struct porten_buf b;

	porten_buf_init(&b, 256);
	assert_int_equal(porten_url_join(&b, "https://h:1/", "/scopes"), 0);
	assert_string_equal(b.data, "https://h:1/scopes");
	porten_buf_reset(&b);
	assert_int_equal(porten_url_join(&b, "https://h:1", "scopes"), 0);
	assert_string_equal(b.data, "https://h:1/scopes");
	assert_int_equal(porten_url_add_query(&b, "scope", "folkeregister:deling/x y&z"), 0);
	assert_int_equal(porten_url_add_query(&b, "inactive", "true"), 0);
	assert_string_equal(b.data, "https://h:1/scopes?scope=folkeregister%3Adeling%2Fx%20y%26z&inactive=true");
	porten_buf_release(&b);
	porten_buf_init(&b, 8);
	assert_int_equal(porten_url_join(&b, "https://long.example/", "x"), PORTEN_ERR_TOO_LARGE);
	porten_buf_release(&b);
}

static void
test_discovery_and_token(void **state)
{
	struct porten_client_credentials cr = { 0 };
	struct porten_client_metadata md;
	struct porten_client_problem p;
	struct porten_client_token tok;
	struct porten_jws_view v;
	json_t *claims = NULL;
	char want[96];
	porten_client *c = new_client(0, 0);

	/* The issuer is not where the server is reached: the token URL follows the server. */
	assert_int_equal(porten_client_discover(c, base, &md, &p), 0);
	assert_string_equal(md.issuer, ISSUER);
	assert_string_equal(md.token_endpoint, ISSUER "token");
	snprintf(want, sizeof(want), "%stoken", base);
	assert_string_equal(md.token_url, want);
	assert_string_equal(md.jwks_uri, ISSUER "jwk");
	porten_client_metadata_clear(&md);

	/* discovery of a URL that serves no metadata: the server's refusal */
	snprintf(want, sizeof(want), "%snowhere/", base);
	assert_int_equal(porten_client_discover(c, want, &md, &p), PORTEN_ERR_REFUSED);
	assert_int_equal(p.status, 404);

	assert_int_equal(porten_key_generate_rsa(2048, &cr.key), 0);
	cr.client_id = strdup("client-1");
	cr.kid = strdup("kid-1");
	assert_int_equal(porten_client_get_token(c, base, &cr, "a:b", &tok, &p), 0);
	assert_string_equal(tok.access_token, "tok.en.value");
	assert_string_equal(tok.token_type, "Bearer");
	assert_int_equal(tok.expires_in, 120);
	assert_string_equal(tok.scope, "a:b");
	porten_client_token_clear(&tok);
	assert_null(tok.access_token);

	/* the grant the server received: for the discovered issuer, signed by the key */
	pthread_mutex_lock(&last_mu);
	assert_int_equal(porten_jws_split(last_assertion, strlen(last_assertion), PORTEN_JWT_MAX, &v), 0);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, cr.key), 0);
	assert_int_equal(porten_jws_decode_json(v.payload, v.payload_len, PORTEN_JWT_PAYLOAD_MAX, &claims), 0);
	pthread_mutex_unlock(&last_mu);
	assert_string_equal(json_string_value(json_object_get(claims, "aud")), ISSUER);
	assert_string_equal(json_string_value(json_object_get(claims, "iss")), "client-1");
	assert_string_equal(json_string_value(json_object_get(claims, "scope")), "a:b");
	json_decref(claims);

	/* the server's error comes back as a problem */
	assert_int_equal(porten_client_get_token(c, base, &cr, "bad:scope", &tok, &p), PORTEN_ERR_REFUSED);
	assert_int_equal(p.status, 400);
	assert_string_equal(p.error, "invalid_scope");
	assert_string_equal(p.description, "Token request contains invalid scopes for client, bad:scope");
	assert_null(tok.access_token);

	/* a 200 without a token is not a token */
	assert_int_equal(porten_client_token_request(c, url("echo"), "a.b.c", &tok, &p), PORTEN_ERR_INVALID);
	assert_non_null(strstr(porten_client_errmsg(c), "without a Bearer access_token"));

	/* and the token in use */
	{
		struct porten_client_request req = { 0 };
		struct porten_client_response resp;

		req.url = url("clients");
		req.bearer = "tok.en.value";
		assert_int_equal(porten_client_request(c, &req, &resp), 0);
		porten_client_response_clear(&resp);
		pthread_mutex_lock(&last_mu);
		assert_string_equal(last_auth, "Bearer tok.en.value");
		pthread_mutex_unlock(&last_mu);
	}
	porten_client_credentials_clear(&cr);
	porten_client_free(c);
}

static void
test_unreachable_discovery(void **state)
{
	struct porten_client_metadata md;
	struct porten_client_problem p;
	porten_client *c = new_client(0, 0);

	assert_int_equal(porten_client_discover(c, "http://127.0.0.1:1/", &md, &p), PORTEN_ERR_UNAVAILABLE);
	assert_string_equal(porten_client_errmsg(c), "cannot connect to http://127.0.0.1:1/: Connection refused");
	assert_null(md.issuer);
	porten_client_free(c);
}

/* porten_resp_json and porten_resp_append_json write json_dumps' bytes straight into the
 * body; past the body's limit the one leaves an empty body, the other the body as it was. */
static void
test_resp_json_body(void **state)
{
	struct porten_resp resp;
	json_t *v = json_pack("{s:s,s:[i,b,n],s:{s:s}}", "a", "\u00e6\"\n", "b", 1, 1, "c", "d", "x");
	char *want = json_dumps(v, JSON_COMPACT);

	(void)state;
	memset(&resp, 0, sizeof(resp));
	porten_buf_init(&resp.body, 1024);
	assert_int_equal(porten_resp_json(&resp, 201, v), 0);
	assert_int_equal(resp.status, 201);
	assert_string_equal(resp.content_type, "application/json");
	assert_string_equal(resp.body.data, want);
	assert_int_equal(resp.body.len, strlen(want));
	/* pieces: {"oppslag":[v,v]} is the text of the whole */
	porten_buf_reset(&resp.body);
	assert_int_equal(porten_buf_appends(&resp.body, "["), 0);
	assert_int_equal(porten_resp_append_json(&resp, v), 0);
	assert_int_equal(porten_buf_appends(&resp.body, ","), 0);
	assert_int_equal(porten_resp_append_json(&resp, v), 0);
	assert_int_equal(porten_buf_appends(&resp.body, "]"), 0);
	{
		json_t *a = json_pack("[O,O]", v, v);
		char *w = json_dumps(a, JSON_COMPACT);

		assert_string_equal(resp.body.data, w);
		free(w);
		json_decref(a);
	}
	/* the limit */
	porten_buf_release(&resp.body);
	porten_buf_init(&resp.body, strlen(want) + 2);
	assert_int_equal(porten_buf_appends(&resp.body, "[[["), 0);
	assert_int_equal(porten_resp_append_json(&resp, v), PORTEN_ERR_TOO_LARGE);
	assert_string_equal(resp.body.data, "[[[");
	assert_int_equal(resp.body.len, 3);
	resp.status = 0;
	assert_int_equal(porten_resp_json(&resp, 200, v), 0);   /* a body of its own */
	assert_string_equal(resp.body.data, want);
	porten_buf_release(&resp.body);
	porten_buf_init(&resp.body, strlen(want) - 1);
	assert_int_equal(porten_resp_json(&resp, 200, v), PORTEN_ERR_TOO_LARGE);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	porten_buf_release(&resp.body);
	free(want);
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_json),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_methods_headers_body),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_size_limit_streamed),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_discovery_and_token),
		cmocka_unit_test(test_unreachable_discovery),
		cmocka_unit_test(test_resp_json_body),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
