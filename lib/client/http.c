/* The HTTP client: one libcurl easy handle (its connection cache is reused from one
 * request to the next), bounded response bodies and header blocks, and libcurl's errors
 * turned into porten_err plus one human line. Never logs a header value or a body. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "porten/client.h"
#include "porten/error.h"
#include "porten/log.h"
#include "client/client_internal.h"

#define CLIENT_ERRMSG_MAX 512
/* Short name for the one-line failure message of this file. */
#define seterr porten_client_set_errmsg
#define CLIENT_URL_MAX (PORTEN_HTTP_PATH_MAX + PORTEN_HTTP_QUERY_MAX + 512)

struct porten_client {
	CURL *easy;
	char *ca_bundle;
	char *user_agent;
	long connect_timeout_ms;
	long timeout_ms;
	size_t response_max;
	char errmsg[CLIENT_ERRMSG_MAX];
};

/* What the callbacks fill during one exchange. */
struct exchange {
	struct porten_buf body;
	struct porten_buf headers;
	int body_too_large;
	int headers_too_large;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void
global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
porten_client_set_errmsg(porten_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
}

const char *
porten_client_errmsg(const porten_client *c)
{
	return c != NULL ? c->errmsg : "";
}

int
porten_client_new(const struct porten_client_config *cfg, porten_client **out)
{
	static const struct porten_client_config defaults = { 0 };
	porten_client *c;

	*out = NULL;
	if (cfg == NULL)
		cfg = &defaults;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return PORTEN_ERR_INTERNAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PORTEN_ERR_NOMEM;
	c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
	                                                    : PORTEN_CLIENT_CONNECT_TIMEOUT_MS;
	c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : PORTEN_CLIENT_TIMEOUT_MS;
	c->response_max = cfg->response_max > 0 ? cfg->response_max : PORTEN_CLIENT_RESPONSE_MAX;
	if ((c->easy = curl_easy_init()) == NULL ||
	    (cfg->ca_bundle != NULL && (c->ca_bundle = strdup(cfg->ca_bundle)) == NULL) ||
	    (c->user_agent = strdup(cfg->user_agent ? cfg->user_agent : "porten/0.1.0")) == NULL) {
		porten_client_free(c);
		return PORTEN_ERR_NOMEM;
	}
	*out = c;
	return 0;
}

void
porten_client_free(porten_client *c)
{
	if (c == NULL)
		return;
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	free(c->ca_bundle);
	free(c->user_agent);
	free(c);
}

void
porten_client_response_clear(struct porten_client_response *resp)
{
	if (resp == NULL)
		return;
	if (resp->body != NULL)
		porten_wipe(resp->body, resp->body_len);   /* may hold an access token */
	free(resp->body);
	free(resp->content_type);
	free(resp->headers);
	memset(resp, 0, sizeof(*resp));
	resp->retry_after = -1;
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct exchange *x = ud;
	size_t n = size * nmemb;

	if (porten_buf_append(&x->body, p, n) != 0) {
		x->body_too_large = 1;
		return 0;   /* CURLE_WRITE_ERROR */
	}
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct exchange *x = ud;
	size_t n = size * nmemb, len = n;

	/* Keep only the final response's block (a 100 Continue comes first). */
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
		porten_buf_reset(&x->headers);
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	if (len == 0)
		return n;
	if (porten_buf_append(&x->headers, p, len) != 0 ||
	    porten_buf_append(&x->headers, "\n", 1) != 0) {
		x->headers_too_large = 1;
		return 0;
	}
	return n;
}

/* "scheme://host[:port]/" of url, without user information, path or query: what the
 * messages name. */
static void
url_origin(const char *url, char *out, size_t outsz)
{
	const char *s = strstr(url, "://"), *h, *end, *at;

	if (s == NULL) {
		snprintf(out, outsz, "%s", url);
		return;
	}
	h = s + 3;
	end = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(end - h));
	if (at != NULL)
		h = at + 1;
	snprintf(out, outsz, "%.*s://%.*s/", (int)(s - url), url, (int)(end - h), h);
}

static int
has_crlf(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* Seconds from a Retry-After value: delta-seconds or an HTTP-date. -1 when unparsable. */
static long
retry_after_value(const struct porten_str *v)
{
	char tmp[64];
	long secs = 0;
	time_t t;
	size_t i;

	if (v->n == 0 || v->n >= sizeof(tmp))
		return -1;
	memcpy(tmp, v->p, v->n);
	tmp[v->n] = '\0';
	for (i = 0; i < v->n && isdigit((unsigned char)tmp[i]); i++)
		if (secs < 100000000L)
			secs = secs * 10 + (tmp[i] - '0');
	if (i == v->n)
		return secs;
	if ((t = curl_getdate(tmp, NULL)) == -1)
		return -1;
	t -= time(NULL);
	return t > 0 ? (long)t : 0;
}

static int
map_curl_error(porten_client *c, CURLcode rc, const char *url, const char *errbuf,
               const struct exchange *x)
{
	char origin[256];
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
	long oserr = 0;
	curl_off_t connect_us = 0;

	url_origin(url, origin, sizeof(origin));
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &oserr);
		seterr(c, "cannot connect to %s: %s", origin, oserr ? strerror((int)oserr) : detail);
		return PORTEN_ERR_UNAVAILABLE;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		seterr(c, "cannot connect to %s: unknown host", origin);
		return PORTEN_ERR_UNAVAILABLE;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(c->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
		if (connect_us == 0)
			seterr(c, "cannot connect to %s: no answer within %ld ms", origin,
			       c->connect_timeout_ms);
		else
			seterr(c, "%s did not answer within %ld ms", origin, c->timeout_ms);
		return PORTEN_ERR_UNAVAILABLE;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		seterr(c, "the TLS certificate of %s is not trusted: %s", origin, detail);
		return PORTEN_ERR_CERT;
	case CURLE_SSL_CACERT_BADFILE:
		seterr(c, "cannot read the CA bundle '%s'", c->ca_bundle ? c->ca_bundle : "(system)");
		return PORTEN_ERR_IO;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		seterr(c, "bad URL '%s': use http:// or https://", origin);
		return PORTEN_ERR_INVALID;
	case CURLE_FILESIZE_EXCEEDED:
		seterr(c, "the response of %s is larger than %zu bytes", origin, c->response_max);
		return PORTEN_ERR_TOO_LARGE;
	case CURLE_WRITE_ERROR:
		if (x->body_too_large) {
			seterr(c, "the response of %s is larger than %zu bytes", origin, c->response_max);
			return PORTEN_ERR_TOO_LARGE;
		}
		break;
	case CURLE_OUT_OF_MEMORY:
		seterr(c, "out of memory");
		return PORTEN_ERR_NOMEM;
	default:
		break;
	}
	if (x->headers_too_large) {
		seterr(c, "the response headers of %s are larger than %d bytes", origin,
		       PORTEN_CLIENT_HEADERS_MAX);
		return PORTEN_ERR_TOO_LARGE;
	}
	/* Resets, TLS handshakes that fail, empty replies: the server is not usable now. */
	seterr(c, "connection to %s failed: %s", origin, detail);
	return PORTEN_ERR_UNAVAILABLE;
}

int
porten_client_request(porten_client *c, const struct porten_client_request *req,
                      struct porten_client_response *resp)
{
	struct curl_slist *hl = NULL, *tmp;
	struct porten_buf line;
	struct exchange x;
	struct porten_str v;
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *method, *ct = NULL;
	CURLcode rc;
	size_t i;
	int r = PORTEN_ERR_INTERNAL;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after = -1;
	porten_buf_init(&x.body, c->response_max);
	porten_buf_init(&x.headers, PORTEN_CLIENT_HEADERS_MAX);
	porten_buf_init(&line, PORTEN_ADMIN_BEARER_MAX + 64);
	x.body_too_large = x.headers_too_large = 0;
	c->errmsg[0] = '\0';
	if (req->url == NULL || strlen(req->url) > CLIENT_URL_MAX ||
	    (strncmp(req->url, "http://", 7) != 0 && strncmp(req->url, "https://", 8) != 0)) {
		seterr(c, "bad URL '%.200s': use http:// or https://", req->url ? req->url : "");
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	method = req->method ? req->method : req->body ? "POST" : "GET";
	if (has_crlf(method) || has_crlf(req->bearer) || has_crlf(req->content_type) ||
	    has_crlf(req->accept)) {
		seterr(c, "a request header contains a line break");
		r = PORTEN_ERR_INVALID;
		goto out;
	}

	curl_easy_reset(c->easy);
	curl_easy_setopt(c->easy, CURLOPT_URL, req->url);
	curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(c->easy, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(c->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->response_max);
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, &x);
	if (c->ca_bundle != NULL)
		curl_easy_setopt(c->easy, CURLOPT_CAINFO, c->ca_bundle);

	if (strcmp(method, "GET") == 0 && req->body == NULL) {
		curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c->easy, CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, method);
		/* PUT and POST always carry a length, 0 when there is no body. */
		if (req->body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
			curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE,
			                 (curl_off_t)(req->body ? req->body_len : 0));
			curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, req->body ? req->body : "");
			/* libcurl would otherwise claim a form body. */
			ct = req->content_type ? req->content_type : "";
		}
	}

	r = PORTEN_ERR_NOMEM;
#define ADD_HEADER(s) \
	do { if ((tmp = curl_slist_append(hl, (s))) == NULL) goto out; hl = tmp; } while (0)
	ADD_HEADER("Expect:");
	if (ct != NULL || req->content_type != NULL) {
		porten_buf_reset(&line);
		if (porten_buf_appendf(&line, "Content-Type: %s", ct ? ct : req->content_type) != 0)
			goto out;
		if (line.data[line.len - 1] == ' ')
			line.data[--line.len] = '\0';   /* "Content-Type:" removes libcurl's default */
		ADD_HEADER(line.data);
	}
	if (req->accept != NULL) {
		porten_buf_reset(&line);
		if (porten_buf_appendf(&line, "Accept: %s", req->accept) != 0)
			goto out;
		ADD_HEADER(line.data);
	}
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		if (has_crlf(req->headers[i])) {
			seterr(c, "a request header contains a line break");
			r = PORTEN_ERR_INVALID;
			goto out;
		}
		ADD_HEADER(req->headers[i]);
	}
	if (req->bearer != NULL) {
		porten_buf_reset(&line);
		if (porten_buf_appends(&line, "Authorization: Bearer ") != 0 ||
		    porten_buf_appends(&line, req->bearer) != 0) {
			seterr(c, "the access token is longer than %d bytes", PORTEN_ADMIN_BEARER_MAX);
			r = PORTEN_ERR_TOO_LARGE;
			goto out;
		}
		ADD_HEADER(line.data);
	}
#undef ADD_HEADER
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, hl);

	rc = curl_easy_perform(c->easy);
	if (rc != CURLE_OK) {
		r = map_curl_error(c, rc, req->url, errbuf, &x);
		goto out;
	}
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &resp->status);
	r = PORTEN_ERR_NOMEM;
	if (x.body.data == NULL && porten_buf_append(&x.body, "", 0) != 0)
		goto out;
	if (x.headers.data == NULL && porten_buf_append(&x.headers, "", 0) != 0)
		goto out;
	resp->body = porten_buf_detach(&x.body, &resp->body_len);
	resp->headers = porten_buf_detach(&x.headers, &resp->headers_len);
	if (porten_client_response_header(resp, "Content-Type", &v) == 0 &&
	    (resp->content_type = strndup(v.p, v.n)) == NULL)
		goto out;
	if (porten_client_response_header(resp, "Retry-After", &v) == 0)
		resp->retry_after = retry_after_value(&v);
	if (PORTEN_LOG_DEBUG <= porten_log_threshold) {
		char origin[256];

		url_origin(req->url, origin, sizeof(origin));
		log_debug("client: %s %s... -> %ld (%zu bytes)", method, origin, resp->status,
		          resp->body_len);
	}
	r = 0;
out:
	/* Nothing in the handle may point at this frame (headers, buffers) once we return;
	 * the reset keeps the connection cache. */
	curl_easy_reset(c->easy);
	curl_slist_free_all(hl);
	if (line.data != NULL)
		porten_wipe(line.data, line.cap);
	porten_buf_release(&line);
	porten_buf_release(&x.body);
	porten_buf_release(&x.headers);
	if (r != 0 && c->errmsg[0] == '\0')
		seterr(c, "%s", porten_strerror(r));
	return r;
}

int
porten_client_response_header(const struct porten_client_response *resp, const char *name,
                              struct porten_str *value)
{
	size_t nlen = strlen(name);
	const char *p, *end, *eol, *v, *ve;

	if (resp == NULL || resp->headers == NULL)
		return PORTEN_ERR_NOT_FOUND;
	p = resp->headers;
	end = p + resp->headers_len;
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) <= nlen || p[nlen] != ':' || strncasecmp(p, name, nlen) != 0)
			continue;
		v = p + nlen + 1;
		ve = eol;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		value->p = v;
		value->n = (size_t)(ve - v);
		return 0;
	}
	return PORTEN_ERR_NOT_FOUND;
}

bool
porten_client_response_is_json(const struct porten_client_response *resp)
{
	const char *ct = resp->content_type;
	size_t n;

	if (ct == NULL)
		return false;
	n = strcspn(ct, "; \t");
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return true;
	return n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0;
}

/* ---- problems ---- */

/* Copies s into out, control characters replaced by spaces and runs of blanks folded. */
static void
printable(char *out, size_t outsz, const char *s, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 1 < outsz; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			ch = ' ';
		if (ch == ' ' && (o == 0 || out[o - 1] == ' '))
			continue;
		out[o++] = (char)ch;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

static const char *
status_error_name(long status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 409: return "conflict";
	case 413: return "payload_too_large";
	case 429: return "too_many_requests";
	case 500: return "server_error";
	case 502: return "bad_gateway";
	case 503: return "temporarily_unavailable";
	case 504: return "gateway_timeout";
	}
	return "http_error";
}

void
porten_client_problem_from(const struct porten_client_response *resp,
                           struct porten_client_problem *p)
{
	json_t *doc = NULL, *e, *d;

	memset(p, 0, sizeof(*p));
	p->status = resp->status;
	if (resp->body_len > 0 && resp->body != NULL)
		doc = json_loadb(resp->body, resp->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(doc)) {
		e = json_object_get(doc, "error");
		d = json_object_get(doc, "error_description");
		if (!json_is_string(e)) {
			/* Folkeregisteret: {"kode": "FREG-...", "melding": "..."} */
			e = json_object_get(doc, "kode");
			d = json_object_get(doc, "melding");
		}
		if (json_is_string(e))
			printable(p->error, sizeof(p->error), json_string_value(e), json_string_length(e));
		if (json_is_string(d))
			printable(p->description, sizeof(p->description), json_string_value(d),
			          json_string_length(d));
	} else if (resp->body_len > 0 && resp->body != NULL) {
		printable(p->description, sizeof(p->description) < 201 ? sizeof(p->description) : 201,
		          resp->body, resp->body_len);
	}
	json_decref(doc);
	if (p->error[0] == '\0')
		snprintf(p->error, sizeof(p->error), "%s", status_error_name(resp->status));
	if (p->description[0] == '\0')
		snprintf(p->description, sizeof(p->description), "the server gave no description");
}

/* ---- URLs ---- */

int
porten_url_join(struct porten_buf *b, const char *base, const char *path)
{
	size_t n = strlen(base);
	int r;

	if ((r = porten_buf_appends(b, base)) != 0)
		return r;
	if (n > 0 && base[n - 1] == '/') {
		while (*path == '/')
			path++;
	} else if (*path != '/' && *path != '\0') {
		if ((r = porten_buf_append(b, "/", 1)) != 0)
			return r;
	}
	return porten_buf_appends(b, path);
}

int
porten_url_append_escaped(struct porten_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[3];
	int r;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			r = porten_buf_append(b, s, 1);
		} else {
			enc[0] = '%';
			enc[1] = hex[ch >> 4];
			enc[2] = hex[ch & 15];
			r = porten_buf_append(b, enc, 3);
		}
		if (r != 0)
			return r;
	}
	return 0;
}

int
porten_url_add_query(struct porten_buf *b, const char *name, const char *value)
{
	const char *sep = b->data != NULL && memchr(b->data, '?', b->len) ? "&" : "?";
	int r;

	if ((r = porten_buf_appends(b, sep)) != 0 ||
	    (r = porten_url_append_escaped(b, name)) != 0 ||
	    (r = porten_buf_append(b, "=", 1)) != 0)
		return r;
	return porten_url_append_escaped(b, value);
}
