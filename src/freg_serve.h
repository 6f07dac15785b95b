/* porten freg's configuration and server loop, shared with porten up. */
#ifndef PORTEN_FREG_SERVE_H
#define PORTEN_FREG_SERVE_H

#include "opts.h"

struct freg_opts {
	const char *listen, *issuer, *issuer_url, *ca_bundle, *data, *db, *seed, *log_level;
	const char *tls_cert, *tls_key, *public_url, *rng_seed;
	const char *read_db;         /* a read replica of db for the lookups, or NULL */
	int plain_http, threads, persons, simulate, rate_limit, fake_now, production_ids;
	int uttrekk_hold;
	int quiet;                   /* no progress line while generating (porten up prints its own) */
	int listen_fd, have_listen_fd;   /* porten up: an already bound socket (porten_http_listen) */
};

/* A started server (porten up runs it next to authz). freg_start() returns an exit
 * status after its one line on stderr; url receives the base URL. The caller blocks
 * SIGINT/SIGTERM first, as freg_serve() does. */
struct freg_running;
int freg_start(const struct freg_opts *o, struct freg_running **out, char *url, size_t urlsz);
void freg_stop(struct freg_running *h);
void freg_running_release_jobs(struct freg_running *h);
/* The identifier of a person in the register, for examples; PORTEN_ERR_NOT_FOUND when empty. */
int freg_running_example_pid(struct freg_running *h, char pid[12]);

/* Runs the server until SIGINT/SIGTERM; on_ready (may be NULL) gets the base URL once
 * listening. Returns an exit status. */
int freg_serve(const struct freg_opts *o, void (*on_ready)(const char *url, void *arg), void *arg);

#endif
