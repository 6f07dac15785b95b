#define _GNU_SOURCE 1
/* Load generator for GET requests with a bearer token (porten freg's feed and
 * siste/sekvensnummer), and the same bytes from a static reference server. One epoll
 * thread, C keep-alive connections, one request in flight per connection, the same
 * request bytes every time; responses are framed by Content-Length (chunked is handled
 * too) and their bodies counted, not kept.
 *
 *   freg_bench --port P --path PATH --token-file FILE [--host IP] [--concurrency C]
 *              [--requests N] [--expect-bytes N]
 *     Prints one line: concurrency, requests, non200 (responses that are not 200, or
 *     whose body is not --expect-bytes long), seconds, req_per_s, MB_per_s (response
 *     bodies, 10^6 bytes), p50_ms, p99_ms; and reconnects= when the server closed a
 *     connection (the request is then sent again on a new one).
 *
 *   freg_bench token --authz-url URL --client-id ID --key PEM (--cert PEM | --kid KID)
 *              --scope S
 *     Gets one access token from a Maskinporten-compatible server (discovery, a signed
 *     grant, the token request: lib/client) and prints it on stdout. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "porten/buf.h"
#include "porten/client.h"
#include "porten/clock.h"

#define HDR_MAX 16384
#define SCRATCH (256 * 1024)

/* ---- token mode ---- */

static int
token_main(int argc, char **argv)
{
	const char *authz = NULL, *client_id = NULL, *key = NULL, *cert = NULL, *kid = NULL, *scope = NULL;
	struct porten_client_credentials cr;
	struct porten_client_token tok;
	struct porten_client_problem pb;
	porten_client *c = NULL;
	char err[512];
	int r;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--authz-url")) authz = argv[i + 1];
		else if (!strcmp(argv[i], "--client-id")) client_id = argv[i + 1];
		else if (!strcmp(argv[i], "--key")) key = argv[i + 1];
		else if (!strcmp(argv[i], "--cert")) cert = argv[i + 1];
		else if (!strcmp(argv[i], "--kid")) kid = argv[i + 1];
		else if (!strcmp(argv[i], "--scope")) scope = argv[i + 1];
		else {
			fprintf(stderr, "freg_bench token: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!authz || !client_id || !key || !scope || (!cert && !kid)) {
		fprintf(stderr, "usage: freg_bench token --authz-url URL --client-id ID --key PEM "
		                "(--cert PEM | --kid KID) --scope S\n");
		return 2;
	}
	memset(&cr, 0, sizeof(cr));
	memset(&tok, 0, sizeof(tok));
	if ((r = porten_client_credentials_load(&cr, client_id, cert, key, kid, err, sizeof(err))) != 0) {
		fprintf(stderr, "freg_bench token: %s\n", err);
		return 1;
	}
	if (porten_client_new(NULL, &c) != 0) {
		fprintf(stderr, "freg_bench token: cannot create an HTTP client\n");
		porten_client_credentials_clear(&cr);
		return 1;
	}
	r = porten_client_get_token(c, authz, &cr, scope, &tok, &pb);
	if (r != 0) {
		if (pb.status)
			fprintf(stderr, "freg_bench token: refused: HTTP %ld %s %s\n", pb.status, pb.error, pb.description);
		else
			fprintf(stderr, "freg_bench token: %s\n", porten_client_errmsg(c));
	} else
		printf("%s\n", tok.access_token);
	porten_client_token_clear(&tok);
	porten_client_free(c);
	porten_client_credentials_clear(&cr);
	return r == 0 ? 0 : 1;
}

/* ---- load mode ---- */

struct args {
	const char *host, *path, *token_file;
	int port, concurrency, requests;
	long long expect;   /* body bytes; -1: any */
};

enum body_mode { B_LENGTH, B_CHUNK_SIZE, B_CHUNK_DATA, B_CHUNK_CRLF, B_TRAILER };

struct conn {
	int fd;
	bool active;             /* a request of ours is on this connection */
	size_t sent;             /* request bytes written */
	bool want_out;           /* EPOLLOUT registered */
	char hdr[HDR_MAX];       /* header block (then chunk-size/trailer lines) */
	size_t hlen;
	bool in_body;
	enum body_mode mode;
	int status;
	unsigned long long left; /* bytes left of the body or of the current chunk */
	unsigned long long body; /* body bytes seen */
	unsigned long long got;  /* response bytes seen (0: nothing of it yet) */
	int64_t start;
};

static const struct args *A;
static char *req;
static size_t req_len;
static int ep;
static int64_t *lat;
static size_t next_req, done, bad, reconnects;
static unsigned long long body_total;
static bool shown_non200;

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
connect_to(void)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)A->port);
	if (inet_pton(AF_INET, A->host, &sin.sin_addr) != 1) {
		fprintf(stderr, "freg_bench: --host must be an IPv4 address\n");
		exit(2);
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		perror("freg_bench: connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void
set_events(struct conn *c, bool out, int op)
{
	struct epoll_event ev;

	ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(ep, op, c->fd, &ev) != 0) {
		perror("freg_bench: epoll_ctl");
		exit(1);
	}
	c->want_out = out;
}

/* Writes what is left of the request; EPOLLOUT only while some is left. */
static void
send_more(struct conn *c)
{
	while (c->sent < req_len) {
		ssize_t w = write(c->fd, req + c->sent, req_len - c->sent);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0)
			return;  /* reset: the read side sees it */
		c->sent += (size_t)w;
	}
	if ((c->sent < req_len) != c->want_out)
		set_events(c, c->sent < req_len, EPOLL_CTL_MOD);
}

/* (Re)sends the request on c: a fresh response to wait for. */
static void
start_request(struct conn *c)
{
	c->active = true;
	c->sent = 0;
	c->hlen = 0;
	c->hdr[0] = '\0';
	c->in_body = false;
	c->got = 0;
	c->body = 0;
	c->status = 0;
	c->start = porten_mono_ns();
	send_more(c);
}

/* The next of the N requests on c, if any are left. */
static void
next_request(struct conn *c)
{
	if (next_req < (size_t)A->requests) {
		next_req++;
		start_request(c);
	}
}

static void
reconnect(struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = connect_to();
	set_events(c, false, EPOLL_CTL_ADD);
	if (++reconnects > (size_t)A->requests) {
		fprintf(stderr, "freg_bench: the server keeps closing connections (%zu reconnects)\n", reconnects);
		exit(1);
	}
}

/* Records the response on c; ok = false for a broken one. */
static void
record(struct conn *c, bool ok)
{
	lat[done++] = porten_mono_ns() - c->start;
	body_total += c->body;
	c->active = false;
	if (ok && (c->status != 200 || (A->expect >= 0 && c->body != (unsigned long long)A->expect)))
		ok = false;
	if (!ok && bad++ == 0) {
		char want[32] = "any";

		if (A->expect >= 0)
			snprintf(want, sizeof(want), "%lld", A->expect);
		fprintf(stderr, "freg_bench: first bad response: status %d, body %llu bytes (expected: %s)%s\n",
		        c->status, c->body, want, c->in_body ? "" : ", incomplete header block");
	}
}

/* The header block is complete: status and framing. */
static bool
parse_head(struct conn *c)
{
	const char *cl, *te;

	c->hdr[c->hlen] = '\0';
	if (c->hlen < 12 || strncmp(c->hdr, "HTTP/1.", 7) != 0)
		return false;
	c->status = atoi(c->hdr + 9);
	te = strcasestr(c->hdr, "\r\nTransfer-Encoding:");
	cl = strcasestr(c->hdr, "\r\nContent-Length:");
	if (te && strcasestr(te, "chunked") != NULL && (strchr(te + 2, '\r') > strcasestr(te, "chunked"))) {
		c->mode = B_CHUNK_SIZE;
	} else if (cl) {
		c->mode = B_LENGTH;
		c->left = strtoull(cl + 17, NULL, 10);
	} else
		return false;    /* close-delimited bodies have no place in a keep-alive bench */
	if (c->status != 200 && !shown_non200) {
		shown_non200 = true;
		fprintf(stderr, "freg_bench: a non-200 response: %.600s\n", c->hdr);
	}
	c->in_body = true;
	c->hlen = 0;
	return true;
}

/* Appends bytes to the line in c->hdr up to and including '\n'. 1: line complete, 0: need
 * more, -1: line too long. */
static int
take_line(struct conn *c, const char **p, size_t *n)
{
	const char *nl = memchr(*p, '\n', *n);
	size_t take = nl ? (size_t)(nl - *p) + 1 : *n;

	if (c->hlen + take >= sizeof(c->hdr))
		return -1;
	memcpy(c->hdr + c->hlen, *p, take);
	c->hlen += take;
	c->hdr[c->hlen] = '\0';
	*p += take;
	*n -= take;
	return nl != NULL;
}

/* Feeds received bytes to the response parser; records the response and starts the next
 * request when it ends. -1 on a protocol error (nothing recorded). */
static int
consume(struct conn *c, const char *p, size_t n)
{
	if (!c->active)
		return -1;                     /* bytes nobody asked for */
	c->got += n;
	while (n > 0) {
		if (!c->in_body) {
			/* Up to the end of the header block; search from where it may start. */
			size_t old = c->hlen, from = old >= 3 ? old - 3 : 0, take = n, used;
			char *end;

			if (old + take >= sizeof(c->hdr))
				take = sizeof(c->hdr) - 1 - old;
			memcpy(c->hdr + old, p, take);
			c->hlen = old + take;
			c->hdr[c->hlen] = '\0';
			end = memmem(c->hdr + from, c->hlen - from, "\r\n\r\n", 4);
			if (end == NULL)
				return c->hlen + 1 >= sizeof(c->hdr) ? -1 : 0;
			c->hlen = (size_t)(end + 4 - c->hdr);
			used = c->hlen - old;
			p += used;
			n -= used;
			if (!parse_head(c))
				return -1;
			if (c->mode == B_LENGTH && c->left == 0)
				goto complete;
			continue;
		}
		switch (c->mode) {
		case B_LENGTH:
		case B_CHUNK_DATA: {
			size_t take = n < c->left ? n : (size_t)c->left;

			c->left -= take;
			c->body += take;
			p += take;
			n -= take;
			if (c->left > 0)
				return 0;
			if (c->mode == B_LENGTH)
				goto complete;
			c->mode = B_CHUNK_CRLF;
			break;
		}
		case B_CHUNK_SIZE:
		case B_CHUNK_CRLF:
		case B_TRAILER: {
			int l = take_line(c, &p, &n);

			if (l <= 0)
				return l;
			if (c->mode == B_CHUNK_CRLF) {
				if (strcmp(c->hdr, "\r\n") != 0)
					return -1;
				c->mode = B_CHUNK_SIZE;
			} else if (c->mode == B_CHUNK_SIZE) {
				char *e;

				c->left = strtoull(c->hdr, &e, 16);
				if (e == c->hdr)
					return -1;
				c->mode = c->left ? B_CHUNK_DATA : B_TRAILER;
			} else if (strcmp(c->hdr, "\r\n") == 0) {
				c->hlen = 0;
				goto complete;
			}
			c->hlen = 0;
			break;
		}
		}
	}
	return 0;
complete:
	if (n > 0)
		return -1;                     /* more than one response to one request */
	record(c, true);
	next_request(c);
	return 0;
}

static int
load_main(int argc, char **argv)
{
	struct args a = { "127.0.0.1", NULL, NULL, 0, 1, 1000, -1 };
	struct conn *conns;
	struct epoll_event evs[256];
	static char scratch[SCRATCH];
	char *tok = NULL;
	size_t tlen;
	int64_t t0, t1;
	struct porten_buf b;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--host")) a.host = argv[i + 1];
		else if (!strcmp(argv[i], "--port")) a.port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--path")) a.path = argv[i + 1];
		else if (!strcmp(argv[i], "--token-file")) a.token_file = argv[i + 1];
		else if (!strcmp(argv[i], "--concurrency")) a.concurrency = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--requests")) a.requests = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--expect-bytes")) a.expect = atoll(argv[i + 1]);
		else {
			fprintf(stderr, "freg_bench: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!a.port || !a.path || a.path[0] != '/' || !a.token_file || a.concurrency < 1 ||
	    a.requests < a.concurrency) {
		fprintf(stderr, "usage: freg_bench --port P --path /PATH --token-file FILE [--host IP] "
		                "[--concurrency C] [--requests N >= C] [--expect-bytes N]\n"
		                "       freg_bench token --authz-url URL --client-id ID --key PEM "
		                "(--cert PEM | --kid KID) --scope S\n");
		return 2;
	}
	A = &a;
	if (porten_file_read(a.token_file, 1 << 16, &tok, &tlen) != 0) {
		fprintf(stderr, "freg_bench: cannot read token file '%s'\n", a.token_file);
		return 1;
	}
	while (tlen > 0 && (tok[tlen - 1] == '\n' || tok[tlen - 1] == '\r' || tok[tlen - 1] == ' '))
		tok[--tlen] = '\0';
	porten_buf_init(&b, 1 << 20);
	porten_buf_appendf(&b, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
	                   "Accept: application/json\r\n\r\n", a.path, a.host, a.port, tok);
	req = porten_buf_detach(&b, &req_len);
	porten_wipe(tok, tlen);
	free(tok);

	lat = calloc((size_t)a.requests, sizeof(*lat));
	conns = calloc((size_t)a.concurrency, sizeof(*conns));
	if (lat == NULL || conns == NULL || req == NULL) {
		fprintf(stderr, "freg_bench: out of memory\n");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	t0 = porten_mono_ns();
	for (int i = 0; i < a.concurrency; i++) {
		conns[i].fd = connect_to();
		set_events(&conns[i], false, EPOLL_CTL_ADD);
	}
	for (int i = 0; i < a.concurrency; i++)
		next_request(&conns[i]);
	while (done < (size_t)a.requests) {
		int n = epoll_wait(ep, evs, 256, 10000);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "freg_bench: no progress for 10 s (%zu of %d done)\n", done, a.requests);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r;

			if (evs[i].events & EPOLLOUT)
				send_more(c);
			if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			/* Drain the socket: large bodies arrive in many segments. A short read
			 * means it is (nearly) empty; level-triggered epoll reports the rest. */
			for (;;) {
				r = read(c->fd, scratch, sizeof(scratch));
				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0 && errno == EAGAIN)
					break;
				if (r <= 0) {
					/* Closed or reset by the server. Before any byte of the answer the
					 * request is sent again on a new connection; mid-answer it is bad. */
					bool had = c->active, partial = c->got > 0;

					if (had && partial)
						record(c, false);
					reconnect(c);
					if (had && !partial)
						start_request(c);
					else if (had)
						next_request(c);
					break;
				}
				if (consume(c, scratch, (size_t)r) != 0) {
					if (c->active)
						record(c, false);
					reconnect(c);
					next_request(c);
					break;
				}
				if ((size_t)r < sizeof(scratch))
					break;
			}
		}
	}
	t1 = porten_mono_ns();
	qsort(lat, done, sizeof(*lat), cmp_i64);
	printf("concurrency=%d requests=%zu non200=%zu seconds=%.3f req_per_s=%.1f MB_per_s=%.1f p50_ms=%.3f p99_ms=%.3f",
	       a.concurrency, done, bad, (double)(t1 - t0) / 1e9, (double)done * 1e9 / (double)(t1 - t0),
	       (double)body_total * 1e3 / (double)(t1 - t0), (double)lat[done / 2] / 1e6,
	       (double)lat[done * 99 / 100] / 1e6);
	if (reconnects)
		printf(" reconnects=%zu", reconnects);
	printf("\n");
	for (int i = 0; i < a.concurrency; i++)
		close(conns[i].fd);
	close(ep);
	porten_wipe(req, req_len);
	free(req);
	free(lat);
	free(conns);
	return bad ? 3 : 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "token") == 0)
		return token_main(argc - 1, argv + 1);
	return load_main(argc, argv);
}
