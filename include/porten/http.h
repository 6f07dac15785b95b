/* HTTP server: a thin adapter over libmicrohttpd. Routes are data (method, path, handler,
 * body limit); the adapter reads the body within that limit, calls the handler on a
 * worker thread, writes the response and one access-log line. */
#ifndef PORTEN_HTTP_H
#define PORTEN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "porten/buf.h"

#define PORTEN_LOG_CLIENT_ID_LEN 132

typedef struct porten_http porten_http;
struct porten_req;
struct porten_resp;

typedef void (*porten_handler)(struct porten_req *req, struct porten_resp *resp, void *ctx);

#define PORTEN_ROUTE_PREFIX 0x1     /* path matches as a prefix ("/a/" matches "/a/b") */

struct porten_route {
	const char *method;          /* "GET", "POST", ...; GET routes also answer HEAD */
	const char *path;            /* exact path, or prefix with PORTEN_ROUTE_PREFIX */
	porten_handler handler;
	size_t body_max;             /* 0 = PORTEN_HTTP_BODY_DEFAULT */
	unsigned flags;
};

/* Called for: unknown path (404), known path with another method (405),
 * body too large (413). The handler fills resp in the application's error format. */
typedef void (*porten_error_handler)(struct porten_req *req, struct porten_resp *resp,
                                     int status, void *ctx);

struct porten_http_config {
	const char *host;            /* bind address, "127.0.0.1", "::", "0.0.0.0" */
	uint16_t port;               /* 0 = any free port, see porten_http_port() */
	bool tls;
	const char *tls_cert_pem;    /* PEM text (chain), with tls */
	const char *tls_key_pem;
	unsigned threads;            /* worker threads; 0 = 4 per CPU */
	const char *server_name;     /* for the access log: "authz", "freg" */
	int listen_fd;               /* with have_listen_fd: a socket from porten_http_listen(),
	                              * taken over (host and port are then ignored) */
	bool have_listen_fd;
};

struct porten_header {
	const char *name;
	const char *value;
};

#define PORTEN_RESP_HEADERS_MAX 12

struct porten_req {
	const char *method;
	const char *path;            /* decoded path without query */
	const char *body;            /* NUL-terminated copy; body_len bytes */
	size_t body_len;
	char client_ip[64];
	int64_t start_ns;
	void *conn;                  /* struct MHD_Connection * */
	/* Filled by handlers for the access line (escaped when logged). */
	char log_client_id[PORTEN_LOG_CLIENT_ID_LEN];
	char log_orgno[16];
	char log_scope[128];
	char log_code[32];           /* "MP-124", "unsupported_grant_type", ... */
};

struct porten_resp {
	int status;
	const char *content_type;    /* static string */
	struct porten_buf body;
	struct porten_header headers[PORTEN_RESP_HEADERS_MAX];
	char *header_values[PORTEN_RESP_HEADERS_MAX];   /* owned copies */
	size_t nheaders;
	/* Instead of body: the first body_fd_len bytes of a file (porten_resp_fd). */
	int body_fd;
	size_t body_fd_len;
	bool has_fd;
};

/* Request accessors; NULL when absent. */
const char *porten_req_header(const struct porten_req *req, const char *name);
const char *porten_req_query(const struct porten_req *req, const char *name);
/* Like porten_req_query, but a value holding a NUL byte (%00) comes back as "\x01" (which
 * no parameter parser accepts) instead of being cut short at the NUL. */
const char *porten_req_query_strict(const struct porten_req *req, const char *name);
/* Number of query arguments with this name (to refuse repeated parameters). */
int porten_req_query_count(const struct porten_req *req, const char *name);
/* Every value of a repeatable query argument (?part=a&part=b), in request order: the name
 * compared ASCII case-insensitively when nocase. Stores at most max values (a value with a
 * NUL byte as "\x01", as porten_req_query_strict) and returns how many there were, which
 * may exceed max. */
size_t porten_req_query_all(const struct porten_req *req, const char *name, bool nocase,
                            const char **vals, size_t max);

/* Response helpers. Header name and value are copied. */
int porten_resp_header(struct porten_resp *resp, const char *name, const char *value);
/* Sets status, "application/json" and the compact JSON body; steals nothing. */
int porten_resp_json(struct porten_resp *resp, int status, const json_t *body);
/* Appends the compact JSON text of v (as porten_resp_json writes it) to the body, for a
 * body written piece by piece; status and content type are the caller's. On failure the
 * body is as it was: PORTEN_ERR_TOO_LARGE past the body's limit, PORTEN_ERR_NOMEM. */
int porten_resp_append_json(struct porten_resp *resp, const json_t *v);
int porten_resp_text(struct porten_resp *resp, int status, const char *content_type,
                     const char *text, size_t len);
/* Answers with the first len bytes of fd (read with pread/sendfile from offset 0; the
 * file offset is not used), taking ownership of fd: it is closed once sent, or at once
 * on failure. Over plain HTTP libmicrohttpd sends it with sendfile, without copying
 * through user space: for large immutable bodies such as full feed pages. */
int porten_resp_fd(struct porten_resp *resp, int status, const char *content_type, int fd,
                   size_t len);

int porten_http_start(const struct porten_http_config *cfg, const struct porten_route *routes,
                      size_t nroutes, porten_error_handler on_error, void *ctx, porten_http **out);
uint16_t porten_http_port(const porten_http *h);
/* Binds and listens on host:port (0: a free port) before the server starts, so a caller
 * can learn the port first (porten up puts it in the issuer). *bound gets the port.
 * PORTEN_ERR_EXISTS when the address is in use (also from porten_http_start). */
int porten_http_listen(const char *host, uint16_t port, int *fd, uint16_t *bound);
void porten_http_stop(porten_http *h);

#endif
