/* porten authz's configuration and server loop, shared with porten up. */
#ifndef PORTEN_AUTHZ_SERVE_H
#define PORTEN_AUTHZ_SERVE_H

#include "opts.h"

/* porten authz's configuration; also built by porten up. */
struct authz_opts {
	const char *listen, *issuer, *data, *db, *seed, *log_level, *cert_env;
	const char *trust_anchors, *intermediates, *tls_cert, *tls_key, *keys_secret;
	struct opt_list crl, cert_policy;
	int plain_http, threads, token_lifetime, fake_now, strict_iat, omit_unspecified_aud;
	int aud_without_slash;
	int listen_fd, have_listen_fd;   /* porten up: an already bound socket (porten_http_listen) */
};

/* A started server (porten up runs two in one process). authz_start() returns an exit
 * status, after its one line on stderr; url receives the base URL. Signals are the
 * caller's: block SIGINT/SIGTERM before, as authz_serve() does. */
struct authz_running;
int authz_start(const struct authz_opts *o, struct authz_running **out, char *url, size_t urlsz);
void authz_stop(struct authz_running *h);

/* Runs the server until SIGINT/SIGTERM; on_ready (may be NULL) gets the base URL once
 * listening. Returns an exit status. */
int authz_serve(const struct authz_opts *o, void (*on_ready)(const char *url, void *arg), void *arg);

#endif
