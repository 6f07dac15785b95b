/* porten freg's configuration and server loop, shared with porten up. */
#ifndef PORTEN_FREG_SERVE_H
#define PORTEN_FREG_SERVE_H

#include "opts.h"

struct freg_opts {
	const char *listen, *issuer, *issuer_url, *ca_bundle, *data, *db, *seed, *log_level;
	const char *tls_cert, *tls_key, *public_url, *rng_seed;
	int plain_http, threads, persons, simulate, rate_limit, fake_now, production_ids;
	int uttrekk_hold;
};

/* Runs the server until SIGINT/SIGTERM; on_ready (may be NULL) gets the base URL once
 * listening. Returns an exit status. */
int freg_serve(const struct freg_opts *o, void (*on_ready)(const char *url, void *arg), void *arg);

#endif
