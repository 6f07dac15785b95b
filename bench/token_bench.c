#define _GNU_SOURCE 1
/* Load generator for POST /token: fresh grants (unique jti) signed with an x5c
 * enterprise certificate, sent over C keep-alive connections from one epoll thread
 * (so the generator takes as little CPU from the server as possible). Grants are
 * signed before the timed run, by the library, on all cores.
 *
 *   token_bench --host 127.0.0.1 --port P --issuer URL --client-id ID --cert PEM --key PEM
 *               --scope S --concurrency C --requests N
 *
 * Prints one line: concurrency, requests, non-200, seconds, tokens/s, p50 ms, p99 ms. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "porten/buf.h"
#include "porten/clock.h"
#include "porten/jws.h"
#include "porten/key.h"
#include "porten/pki.h"
#include "porten/rand.h"

struct args {
	const char *host, *issuer, *client_id, *cert, *key, *scope;
	int port, concurrency, requests;
};

struct conn {
	int fd;
	char *req;          /* full HTTP request */
	size_t req_len, sent;
	char buf[16384];
	size_t got;
	int64_t start;
};

static char **requests;
static size_t *request_lens;

struct gen_ctx {
	const struct args *a;
	porten_key *key;
	json_t *x5c;
	int from, to;
	int64_t now;
};

static void *
gen_thread(void *p)
{
	struct gen_ctx *g = p;

	for (int i = g->from; i < g->to; i++) {
		char jti[37], *jwt = NULL;
		json_t *hdr = json_pack("{s:s,s:O}", "alg", "RS256", "x5c", g->x5c);
		json_t *pl;
		struct porten_buf b;

		porten_random_uuid(jti);
		pl = json_pack("{s:s,s:s,s:I,s:I,s:s,s:s}", "aud", g->a->issuer, "iss", g->a->client_id,
		               "iat", (json_int_t)g->now, "exp", (json_int_t)(g->now + 120), "jti", jti,
		               "scope", g->a->scope);
		if (porten_jws_sign(PORTEN_JWS_RS256, g->key, hdr, pl, &jwt) != 0) {
			fprintf(stderr, "token_bench: signing failed\n");
			exit(1);
		}
		porten_buf_init(&b, 1 << 20);
		porten_buf_appendf(&b, "POST /token HTTP/1.1\r\nHost: %s\r\n"
		                   "Content-Type: application/x-www-form-urlencoded\r\n"
		                   "Content-Length: %zu\r\n\r\n"
		                   "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer&assertion=%s",
		                   g->a->host,
		                   strlen("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=") + strlen(jwt),
		                   jwt);
		request_lens[i] = b.len;
		requests[i] = porten_buf_detach(&b, NULL);
		free(jwt);
		json_decref(hdr);
		json_decref(pl);
	}
	return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
connect_to(const struct args *a)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)a->port);
	inet_pton(AF_INET, a->host, &sin.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		perror("token_bench: connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* A complete response in c->buf: headers plus Content-Length bytes. Returns status or 0. */
static int
response_done(struct conn *c)
{
	char *end, *cl;
	size_t hlen, blen;

	c->buf[c->got < sizeof(c->buf) ? c->got : sizeof(c->buf) - 1] = '\0';
	if ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
		return 0;
	hlen = (size_t)(end - c->buf) + 4;
	cl = strcasestr(c->buf, "Content-Length:");
	blen = cl ? strtoul(cl + 15, NULL, 10) : 0;
	if (c->got < hlen + blen)
		return 0;
	return atoi(c->buf + 9);
}

int
main(int argc, char **argv)
{
	struct args a = { "127.0.0.1", NULL, NULL, NULL, NULL, NULL, 0, 1, 1000 };
	struct gen_ctx g[2];
	pthread_t th[2];
	struct conn *conns;
	struct epoll_event ev, evs[256];
	int64_t *lat, t0, t1;
	char *pem = NULL;
	size_t len, next = 0, done = 0, bad = 0;
	porten_key *key = NULL;
	json_t *x5c = NULL;
	int ep;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--host")) a.host = argv[i + 1];
		else if (!strcmp(argv[i], "--port")) a.port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--issuer")) a.issuer = argv[i + 1];
		else if (!strcmp(argv[i], "--client-id")) a.client_id = argv[i + 1];
		else if (!strcmp(argv[i], "--cert")) a.cert = argv[i + 1];
		else if (!strcmp(argv[i], "--key")) a.key = argv[i + 1];
		else if (!strcmp(argv[i], "--scope")) a.scope = argv[i + 1];
		else if (!strcmp(argv[i], "--concurrency")) a.concurrency = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--requests")) a.requests = atoi(argv[i + 1]);
	}
	if (!a.port || !a.issuer || !a.client_id || !a.cert || !a.key || !a.scope || a.concurrency < 1 ||
	    a.requests < a.concurrency) {
		fprintf(stderr, "usage: token_bench --port P --issuer URL --client-id ID --cert PEM --key PEM "
		                "--scope S [--host IP] [--concurrency C] [--requests N]\n");
		return 2;
	}
	if (porten_file_read(a.cert, 1 << 20, &pem, &len) != 0 || porten_pki_pem_to_x5c(pem, len, &x5c) != 0) {
		fprintf(stderr, "token_bench: cannot read certificate '%s'\n", a.cert);
		return 1;
	}
	free(pem);
	if (porten_file_read(a.key, 1 << 20, &pem, &len) != 0 || porten_key_from_pem(pem, len, &key) != 0) {
		fprintf(stderr, "token_bench: cannot read key '%s'\n", a.key);
		return 1;
	}
	free(pem);
	/* Sign every grant first: not timed. Leaf only, as real clients send. */
	while (json_array_size(x5c) > 1)
		json_array_remove(x5c, json_array_size(x5c) - 1);
	requests = calloc((size_t)a.requests, sizeof(*requests));
	request_lens = calloc((size_t)a.requests, sizeof(*request_lens));
	for (int i = 0; i < 2; i++) {
		g[i] = (struct gen_ctx){ &a, key, x5c, i * a.requests / 2, (i + 1) * a.requests / 2, porten_now() };
		pthread_create(&th[i], NULL, gen_thread, &g[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);

	lat = calloc((size_t)a.requests, sizeof(*lat));
	conns = calloc((size_t)a.concurrency, sizeof(*conns));
	ep = epoll_create1(0);
	t0 = porten_mono_ns();
	for (int i = 0; i < a.concurrency; i++) {
		conns[i].fd = connect_to(&a);
		ev.events = EPOLLOUT | EPOLLIN;
		ev.data.ptr = &conns[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
		conns[i].req = requests[next];
		conns[i].req_len = request_lens[next];
		conns[i].start = porten_mono_ns();
		next++;
	}
	while (done < (size_t)a.requests) {
		int n = epoll_wait(ep, evs, 256, 10000);

		if (n <= 0) {
			fprintf(stderr, "token_bench: no progress for 10 s (%zu of %d done)\n", done, a.requests);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t w, r;
			int status;

			if (c->req && c->sent < c->req_len && (evs[i].events & EPOLLOUT)) {
				w = write(c->fd, c->req + c->sent, c->req_len - c->sent);
				if (w > 0)
					c->sent += (size_t)w;
				if (c->sent == c->req_len) {
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
			}
			if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			r = read(c->fd, c->buf + c->got, sizeof(c->buf) - 1 - c->got);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				fprintf(stderr, "token_bench: connection closed by server\n");
				return 1;
			}
			c->got += (size_t)r;
			if ((status = response_done(c)) == 0)
				continue;
			lat[done++] = porten_mono_ns() - c->start;
			if (status != 200 && bad++ == 0)
				fprintf(stderr, "token_bench: first non-200: %.300s\n", c->buf);
			c->got = 0;
			c->sent = 0;
			c->req = NULL;
			if (next < (size_t)a.requests) {
				c->req = requests[next];
				c->req_len = request_lens[next];
				next++;
				c->start = porten_mono_ns();
				ev.events = EPOLLOUT | EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
		}
	}
	t1 = porten_mono_ns();
	qsort(lat, done, sizeof(*lat), cmp_i64);
	printf("concurrency=%d requests=%zu non200=%zu seconds=%.3f tokens_per_s=%.1f p50_ms=%.3f p99_ms=%.3f\n",
	       a.concurrency, done, bad, (double)(t1 - t0) / 1e9, (double)done * 1e9 / (double)(t1 - t0),
	       (double)lat[done / 2] / 1e6, (double)lat[done * 99 / 100] / 1e6);
	for (int i = 0; i < a.concurrency; i++)
		close(conns[i].fd);
	for (int i = 0; i < a.requests; i++)
		free(requests[i]);
	free(requests);
	free(request_lens);
	free(lat);
	free(conns);
	json_decref(x5c);
	porten_key_unref(key);
	return bad ? 3 : 0;
}
