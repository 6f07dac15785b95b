/* The HTTP adapter: libmicrohttpd does the protocol (and TLS through GnuTLS); this file
 * turns a route table into handler calls with bounded bodies and one access line each. */
#define _GNU_SOURCE   /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/http.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "http/metrics.h"

struct porten_http {
	struct MHD_Daemon *daemon;
	int listen_fd;
	int wake_fd;              /* eventfd: tells the accept thread to stop */
	pthread_t acceptor;
	uint16_t port;
	const struct porten_route *routes;
	size_t nroutes;
	porten_error_handler on_error;
	void *ctx;
	char name[16];
};

/* Per-request state, lives from the first access-handler call to request completion. */
struct conn_state {
	struct porten_req req;
	const struct porten_route *route;
	struct porten_buf body;
	int error_status;       /* 404/405/413 decided before the handler */
};

const char *
porten_req_header(const struct porten_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
porten_req_query(const struct porten_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

int
porten_resp_fd(struct porten_resp *resp, int status, const char *content_type, int fd, size_t len)
{
	if (resp->has_fd)
		close(resp->body_fd);
	porten_buf_reset(&resp->body);
	resp->status = status;
	resp->content_type = content_type;
	resp->body_fd = fd;
	resp->body_fd_len = len;
	resp->has_fd = true;
	return 0;
}

const char *
porten_req_query_strict(const struct porten_req *req, const char *name)
{
	const char *v = NULL;
	size_t n = 0;

	if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v,
	                                  &n) != MHD_YES || v == NULL)
		return NULL;
	return strlen(v) == n ? v : "\x01";
}

struct count_ctx {
	const char *name;
	int n;
};

static enum MHD_Result
count_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct count_ctx *c = cls;

	if (key && strcmp(key, c->name) == 0)
		c->n++;
	return MHD_YES;
}

int
porten_req_query_count(const struct porten_req *req, const char *name)
{
	struct count_ctx c = { name, 0 };

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, count_arg, &c);
	return c.n;
}

struct all_ctx {
	const char *name;
	bool nocase;
	const char **vals;
	size_t max, n;
};

static enum MHD_Result
all_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size, const char *value,
        size_t value_size)
{
	struct all_ctx *c = cls;

	(void)kind;
	(void)key_size;
	if (key == NULL || (c->nocase ? strcasecmp(key, c->name) : strcmp(key, c->name)) != 0)
		return MHD_YES;
	if (c->n < c->max)
		c->vals[c->n] = value == NULL ? "" : strlen(value) == value_size ? value : "\x01";
	c->n++;
	return MHD_YES;
}

size_t
porten_req_query_all(const struct porten_req *req, const char *name, bool nocase,
                     const char **vals, size_t max)
{
	struct all_ctx c = { name, nocase, vals, max, 0 };

	MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, all_arg, &c);
	return c.n;
}

int
porten_resp_header(struct porten_resp *resp, const char *name, const char *value)
{
	char *v;

	if (resp->nheaders >= PORTEN_RESP_HEADERS_MAX)
		return PORTEN_ERR_TOO_LARGE;
	if ((v = strdup(value)) == NULL)
		return PORTEN_ERR_NOMEM;
	resp->headers[resp->nheaders].name = name;
	resp->headers[resp->nheaders].value = v;
	resp->header_values[resp->nheaders] = v;
	resp->nheaders++;
	return 0;
}

/* The flags of every JSON body porten sends. */
#define RESP_JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)

struct dump_ctx {
	struct porten_buf *b;
	int r;                  /* the buffer's error, 0 while none */
};

/* json_dump_callback's sink: jansson's pieces straight into the body, without the
 * intermediate string (and its two copies) of json_dumps. */
static int
dump_to_buf(const char *s, size_t n, void *arg)
{
	struct dump_ctx *d = arg;

	if ((d->r = porten_buf_append(d->b, s, n)) != 0)
		return -1;
	return 0;
}

int
porten_resp_append_json(struct porten_resp *resp, const json_t *v)
{
	struct dump_ctx d = { &resp->body, 0 };
	size_t len = resp->body.len;

	if (json_dump_callback(v, dump_to_buf, &d, RESP_JSON_FLAGS) == 0)
		return 0;
	/* Nothing of a failed value stays behind. */
	resp->body.len = len;
	if (resp->body.data != NULL)
		resp->body.data[len] = '\0';
	return d.r != 0 ? d.r : PORTEN_ERR_NOMEM;
}

int
porten_resp_json(struct porten_resp *resp, int status, const json_t *body)
{
	struct porten_buf b;
	struct dump_ctx d = { &b, 0 };
	int r;

	/* Into a buffer of its own first: a failure inside jansson leaves resp as it was
	 * (as json_dumps returning NULL did); one of the body's limit leaves an empty body. */
	porten_buf_init(&b, resp->body.max);
	if (json_dump_callback(body, dump_to_buf, &d, RESP_JSON_FLAGS) != 0 && d.r == 0) {
		porten_buf_release(&b);
		return PORTEN_ERR_NOMEM;
	}
	if (resp->has_fd) {
		close(resp->body_fd);
		resp->has_fd = false;
	}
	r = d.r;
	if (r == 0) {
		porten_buf_release(&resp->body);
		resp->body = b;
	} else {
		porten_buf_release(&b);
		porten_buf_reset(&resp->body);
	}
	resp->status = status;
	resp->content_type = "application/json";
	return r;
}

int
porten_resp_text(struct porten_resp *resp, int status, const char *content_type,
                 const char *text, size_t len)
{
	porten_buf_reset(&resp->body);
	resp->status = status;
	resp->content_type = content_type;
	return porten_buf_append(&resp->body, text, len);
}

static void
resp_release(struct porten_resp *resp)
{
	if (resp->has_fd) {
		close(resp->body_fd);
		resp->has_fd = false;
	}
	porten_buf_release(&resp->body);
	for (size_t i = 0; i < resp->nheaders; i++)
		free(resp->header_values[i]);
	resp->nheaders = 0;
}

static const struct porten_route *
route_find(const struct porten_http *h, const char *method, const char *path, int *path_known)
{
	size_t plen = strlen(path);

	*path_known = 0;
	for (size_t i = 0; i < h->nroutes; i++) {
		const struct porten_route *rt = &h->routes[i];
		size_t rlen = strlen(rt->path);
		int match;

		if (rt->flags & PORTEN_ROUTE_PREFIX)
			match = plen >= rlen && memcmp(path, rt->path, rlen) == 0;
		else
			match = plen == rlen && memcmp(path, rt->path, rlen) == 0;
		if (!match)
			continue;
		*path_known = 1;
		if (strcmp(method, rt->method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0))
			return rt;
	}
	return NULL;
}

static void
access_line(const struct porten_http *h, const struct conn_state *cs, int status, size_t bytes)
{
	char path[PORTEN_LOG_FIELD_MAX * 4 + 8], cid[PORTEN_LOG_FIELD_MAX * 4 + 8];
	char scope[PORTEN_LOG_FIELD_MAX * 4 + 8], method[64];
	const struct porten_req *rq = &cs->req;
	double ms = (double)(porten_mono_ns() - rq->start_ns) / 1e6;

	if (PORTEN_LOG_INFO > porten_log_threshold)
		return;
	log_info("access: %s %s \"%s %s\" %d %zu %.3fms client_id=\"%s\" orgno=%s scope=\"%s\" code=%s",
	         h->name, rq->client_ip, porten_log_escape(method, sizeof(method), rq->method, strlen(rq->method)),
	         porten_log_escape(path, sizeof(path), rq->path, strlen(rq->path)), status, bytes, ms,
	         porten_log_escape(cid, sizeof(cid), rq->log_client_id, strlen(rq->log_client_id)),
	         rq->log_orgno[0] ? rq->log_orgno : "-",
	         porten_log_escape(scope, sizeof(scope), rq->log_scope, strlen(rq->log_scope)),
	         rq->log_code[0] ? rq->log_code : "-");
}

static enum MHD_Result
send_resp(struct porten_http *h, struct MHD_Connection *conn, struct conn_state *cs,
          struct porten_resp *resp)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;
	size_t len;

	if (resp->has_fd) {
		len = resp->body_fd_len;
		mr = MHD_create_response_from_fd(len, resp->body_fd);
		if (mr != NULL)
			resp->has_fd = false;       /* libmicrohttpd closes it */
	} else {
		char *data;

		len = resp->body.len;
		data = porten_buf_detach(&resp->body, NULL);
		mr = MHD_create_response_from_buffer_with_free_callback(len, data, free);
		if (mr == NULL)
			free(data);
	}
	if (mr == NULL) {
		resp_release(resp);
		return MHD_NO;
	}
	if (resp->content_type)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	for (size_t i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(mr, resp->headers[i].name, resp->headers[i].value);
	ret = MHD_queue_response(conn, (unsigned)resp->status, mr);
	MHD_destroy_response(mr);
	porten_metrics_request(resp->status, cs->req.log_code, porten_mono_ns() - cs->req.start_ns);
	access_line(h, cs, resp->status, len);
	resp_release(resp);
	return ret;
}

static enum MHD_Result
respond_error(struct porten_http *h, struct MHD_Connection *conn, struct conn_state *cs, int status)
{
	struct porten_resp resp;

	memset(&resp, 0, sizeof(resp));
	porten_buf_init(&resp.body, 1024 * 1024);
	resp.status = status;
	h->on_error(&cs->req, &resp, status, h->ctx);
	return send_resp(h, conn, cs, &resp);
}

static void
client_ip(struct MHD_Connection *conn, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(out, outsz, "-");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)outsz);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)outsz);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct porten_http *h = cls;
	struct conn_state *cs = *con_cls;
	struct porten_resp resp;
	const char *cl;
	int known;

	if (cs == NULL) {
		if ((cs = calloc(1, sizeof(*cs))) == NULL)
			return MHD_NO;
		*con_cls = cs;
		cs->req.start_ns = porten_mono_ns();
		cs->req.method = method;
		cs->req.path = url;
		cs->req.conn = conn;
		client_ip(conn, cs->req.client_ip, sizeof(cs->req.client_ip));
		if (strlen(url) > PORTEN_HTTP_PATH_MAX) {
			cs->error_status = 414;
			return respond_error(h, conn, cs, 414);
		}
		cs->route = route_find(h, method, url, &known);
		if (cs->route == NULL) {
			cs->error_status = known ? 405 : 404;
			/* Answer once the (small) body, if any, has been consumed. */
			porten_buf_init(&cs->body, 0);
		} else {
			porten_buf_init(&cs->body, cs->route->body_max ? cs->route->body_max
			                                               : PORTEN_HTTP_BODY_DEFAULT);
			cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
			if (cl != NULL && strtoull(cl, NULL, 10) > cs->body.max) {
				/* Refuse before reading: MHD closes the connection afterwards. */
				cs->error_status = 413;
				return respond_error(h, conn, cs, 413);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (cs->error_status == 0 &&
		    porten_buf_append(&cs->body, upload_data, *upload_data_size) != 0)
			cs->error_status = 413;
		*upload_data_size = 0;   /* consumed (or discarded) */
		return MHD_YES;
	}
	if (cs->error_status != 0)
		return respond_error(h, conn, cs, cs->error_status);

	memset(&resp, 0, sizeof(resp));
	porten_buf_init(&resp.body, 64 * 1024 * 1024);
	resp.status = 500;
	cs->req.body = cs->body.data ? cs->body.data : "";
	cs->req.body_len = cs->body.len;
	cs->route->handler(&cs->req, &resp, h->ctx);
	return send_resp(h, conn, cs, &resp);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct conn_state *cs = *con_cls;

	if (cs == NULL)
		return;
	porten_buf_release(&cs->body);
	free(cs);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	if (PORTEN_LOG_DEBUG > porten_log_threshold)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("http: %s", line);
}

static int
socket_port(int fd, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return PORTEN_ERR_IO;
	if (ss.ss_family == AF_INET)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

int
porten_http_listen(const char *host, uint16_t port, int *fd_out, uint16_t *bound)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[8];
	int fd = -1, one = 1, r = PORTEN_ERR_IO;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (getaddrinfo(host, portstr, &hints, &res) != 0) {
		log_error("cannot resolve listen address '%s'", host);
		return PORTEN_ERR_INVALID;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
			break;
		if (errno == EADDRINUSE)
			r = PORTEN_ERR_EXISTS;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		/* The caller says so on its one line; the reason is only for debugging. */
		log_debug("cannot listen on %s:%u: %s", host, port, strerror(errno));
		goto out;
	}
	if (socket_port(fd, bound) != 0)
		goto out;
	*fd_out = fd;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return r;
}

/* The accept thread. libmicrohttpd's pool threads each accept from the listen socket
 * themselves and keep what they accepted, so a burst of new connections lands on
 * whichever threads wake first: at concurrency 64 with 8 threads, three threads held no
 * connection at all and one held two and a half times the work of another, and the
 * requests on the busy threads waited that much longer (bench/lookup.sh: p50 1.2 ms,
 * p99 15 ms). Connections handed over with MHD_add_connection go to pool thread
 * (fd mod pool size), so consecutive connections are spread evenly. */
#define ACCEPT_RETRY_MS 100   /* wait after the process ran out of descriptors */

static void *
acceptor_main(void *arg)
{
	struct porten_http *h = arg;
	struct pollfd p[2] = { { .fd = h->listen_fd, .events = POLLIN },
	                       { .fd = h->wake_fd, .events = POLLIN } };
	bool starved = false;

	for (;;) {
		/* out of descriptors: only the stop signal, for a while, then accept again */
		int n = starved ? poll(p + 1, 1, ACCEPT_RETRY_MS) : poll(p, 2, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("%s: accept thread: poll: %s", h->name, strerror(errno));
			return NULL;
		}
		if (p[1].revents != 0)
			return NULL;
		starved = false;
		for (;;) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			int fd = accept4(h->listen_fd, (struct sockaddr *)&ss, &sl,
			                 SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (fd < 0) {
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
					log_warn("%s: cannot accept a connection: %s", h->name, strerror(errno));
					starved = true;
				}
				/* EAGAIN: drained; ECONNABORTED, EINTR, EPROTO...: the next one */
				if (errno == EAGAIN || errno == EWOULDBLOCK || starved)
					break;
				continue;
			}
			/* closes fd itself when it cannot take the connection (limits reached) */
			(void)MHD_add_connection(h->daemon, fd, (struct sockaddr *)&ss, sl);
		}
	}
}

int
porten_http_start(const struct porten_http_config *cfg, const struct porten_route *routes,
                  size_t nroutes, porten_error_handler on_error, void *ctx, porten_http **out)
{
	struct porten_http *h;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	                 MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
	unsigned threads = cfg->threads;
	long ncpu;
	int r, fl;

	*out = NULL;
	if (cfg->tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		log_error("this libmicrohttpd was built without TLS; use --plain-http behind a proxy");
		return PORTEN_ERR_UNAVAILABLE;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return PORTEN_ERR_NOMEM;
	h->routes = routes;
	h->nroutes = nroutes;
	h->on_error = on_error;
	h->ctx = ctx;
	h->listen_fd = -1;
	h->wake_fd = -1;
	snprintf(h->name, sizeof(h->name), "%s", cfg->server_name ? cfg->server_name : "http");
	if (cfg->have_listen_fd) {
		h->listen_fd = cfg->listen_fd;
		if ((r = socket_port(h->listen_fd, &h->port)) != 0)
			goto fail;
	} else if ((r = porten_http_listen(cfg->host, cfg->port, &h->listen_fd, &h->port)) != 0) {
		goto fail;
	}
	r = PORTEN_ERR_IO;
	/* the accept thread drains the backlog until EAGAIN */
	if ((fl = fcntl(h->listen_fd, F_GETFL)) < 0 ||
	    fcntl(h->listen_fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
	    (h->wake_fd = eventfd(0, EFD_CLOEXEC)) < 0) {
		log_error("cannot start the HTTP server on %s:%u: %s", cfg->host, h->port,
		          strerror(errno));
		goto fail;
	}
	if (threads == 0) {
		/* more threads than CPUs: a thread waiting for the database or the disk leaves
		 * the CPU to another (bench/token.sh at concurrency 8: 2369 tokens/s with 2
		 * threads, 4230 with 8) */
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		threads = 4 * (ncpu > 0 ? (unsigned)ncpu : 2);
	}
	if (cfg->tls)
		flags |= MHD_USE_TLS;
	h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)PORTEN_HTTP_CONN_MAX,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PORTEN_HTTP_CONN_PER_IP_MAX,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)PORTEN_HTTP_CONN_MEMORY,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)PORTEN_HTTP_CONN_TIMEOUT_S,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		cfg->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cfg->tls_cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, cfg->tls_key_pem,
		MHD_OPTION_END);
	if (h->daemon == NULL) {
		log_error("cannot start the HTTP server on %s:%u", cfg->host, h->port);
		goto fail;
	}
	if ((errno = pthread_create(&h->acceptor, NULL, acceptor_main, h)) != 0) {
		log_error("cannot start the HTTP server's accept thread: %s", strerror(errno));
		MHD_stop_daemon(h->daemon);
		goto fail;
	}
	*out = h;
	return 0;
fail:
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	free(h);
	return r;
}

uint16_t
porten_http_port(const porten_http *h)
{
	return h->port;
}

void
porten_http_stop(porten_http *h)
{
	uint64_t one = 1;

	if (h == NULL)
		return;
	/* an eventfd write of 1 cannot fail short of a counter at its maximum */
	if (write(h->wake_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		log_error("%s: cannot stop the accept thread: %s", h->name, strerror(errno));
	else
		pthread_join(h->acceptor, NULL);
	MHD_stop_daemon(h->daemon);
	close(h->wake_fd);
	close(h->listen_fd);
	free(h);
}
