/* porten authz's configuration and server loop, shared with porten up. */
#ifndef PORTEN_AUTHZ_SERVE_H
#define PORTEN_AUTHZ_SERVE_H

#include "opts.h"

/* porten authz's configuration; also built by porten up. */
struct authz_opts {
	const char *listen, *issuer, *data, *db, *seed, *log_level, *cert_env;
	const char *trust_anchors, *intermediates, *tls_cert, *tls_key;
	struct opt_list crl, cert_policy;
	int plain_http, threads, token_lifetime, fake_now, strict_iat, omit_unspecified_aud;
	int aud_without_slash;
};

/* Runs the server until SIGINT/SIGTERM; on_ready (may be NULL) gets the base URL once
 * listening. Returns an exit status. */
int authz_serve(const struct authz_opts *o, void (*on_ready)(const char *url, void *arg), void *arg);

#endif
