/* porten freg: the Folkeregisteret-compatible register server, and its operator
 * subcommands (inject, consumers, audit) that work on the register's database directly. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "porten/buf.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/freg.h"
#include "porten/freg_event.h"
#include "porten/freg_gen.h"
#include "porten/freg_server.h"
#include "porten/ident.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/pki.h"
#include "porten/register.h"
#include "porten/tokencheck.h"
#include "commands.h"
#include "server_tls.h"
#include "freg_serve.h"
#include "opts.h"

#define PROG "porten freg"
#define OFF(f) offsetof(struct freg_opts, f)

static const struct opt freg_opts_table[] = {
	{ "ca-bundle", "PEM", OPT_STRING, OFF(ca_bundle), "CA certificates to trust when fetching the issuer's metadata and JWKS over https (default: the system's)" },
	{ "data", "DIR", OPT_STRING, OFF(data), "data directory: the register database (freg.db), generated TLS certificates" },
	{ "db", "URI", OPT_STRING, OFF(db), "register database instead of DIR/freg.db: sqlite:PATH or postgresql://..." },
	{ "fake-now", "UNIX", OPT_INT, OFF(fake_now), "pin the clock (testing aid)", 1 },
	{ "issuer", "URL", OPT_STRING, OFF(issuer), "the Maskinporten issuer whose tokens are accepted, byte-exact as in their iss, e.g. https://test.maskinporten.no/" },
	{ "issuer-url", "URL", OPT_STRING, OFF(issuer_url), "where that issuer's metadata (/.well-known/oauth-authorization-server) is reachable, when not at the issuer URL itself" },
	{ "listen", "HOST:PORT", OPT_STRING, OFF(listen), "address to listen on (port 0 picks a free port)" },
	{ "log-level", "LEVEL", OPT_STRING, OFF(log_level), "error, warn, info (default: one access line per request) or debug" },
	{ "persons", "N", OPT_INT, OFF(persons), "generate a synthetic population of N persons into an empty register" },
	{ "plain-http", NULL, OPT_FLAG, OFF(plain_http), "serve plain HTTP (behind a TLS-terminating proxy)" },
	{ "production-ids", NULL, OPT_FLAG, OFF(production_ids), "generate identifiers without the synthetic month + 80 (default: synthetic, as in Skatteetaten's test environments)" },
	{ "public-url", "URL", OPT_STRING, OFF(public_url), "base URL clients use, for the links in Atom feeds (default: from the Host header)" },
	{ "rate-limit", "N", OPT_INT, OFF(rate_limit), "requests per minute per client IP before 429 (default 60000)" },
	{ "read-db", "URI", OPT_STRING, OFF(read_db), "a read replica (postgresql://, a hot standby of --db) for the lookups: feed, documents, persons, searches; writes and the audit trail stay on --db" },
	{ "rng-seed", "N", OPT_STRING, OFF(rng_seed), "seed of the population generator and the simulator (default 1)" },
	{ "seed", "FILE", OPT_STRING, OFF(seed), "which organisations hold which rights packages: {\"consumers\":[{\"orgno\",\"packages\":[...]}]}" },
	{ "simulate", "N", OPT_INT, OFF(simulate), "append N synthetic life events per minute while running (default 0)" },
	{ "threads", "N", OPT_INT, OFF(threads), "HTTP worker threads (default: 4 per CPU)" },
	{ "tls-cert", "PEM", OPT_STRING, OFF(tls_cert), "server certificate chain (default: generated under DIR/tls)" },
	{ "tls-key", "PEM", OPT_STRING, OFF(tls_key), "server private key" },
	{ "uttrekk-hold", NULL, OPT_FLAG, OFF(uttrekk_hold), "accept extract (uttrekk) orders but run none until the process gets SIGUSR1: for testing a client's 'not ready yet' (404) handling" },
};

static const struct opt_cmd inject_cmd, consumers_cmd, audit_cmd;
static const struct opt_cmd *const freg_subs[] = { &inject_cmd, &consumers_cmd, &audit_cmd };

static const struct opt_cmd freg_cmd = {
	"freg", "--listen HOST:PORT --issuer URL (--data DIR | --db URI) [options]\n"
	"       porten freg inject|consumers|audit ... (see 'porten freg inject --help')",
	"Runs a Folkeregisteret-compatible register: the event feed (hendelser/feed, JSON and\n"
	"Atom), siste/sekvensnummer, event documents, person lookups and searches, extracts\n"
	"(uttrekk) and the XSDs of all nine rights packages,\n"
	"behind Maskinporten access tokens from --issuer. Which organisation holds which\n"
	"package is the register's own registry (--seed, 'porten freg consumers').\n"
	"Operator subcommands:\n"
	"  porten freg inject (--data DIR | --db URI) FILE|-     append a chosen event\n"
	"  porten freg consumers (--data DIR | --db URI) [list | set ORGNO PKG[,PKG...] | remove ORGNO]\n"
	"  porten freg audit (--data DIR | --db URI) [--consumer ORGNO] [--person ID] [--since ISO] [--limit N]",
	freg_opts_table, sizeof(freg_opts_table) / sizeof(freg_opts_table[0]), NULL, freg_subs, 3,
};

/* ---- Shared ---- */

static bool
pg_uri(const char *uri)
{
	return uri != NULL && (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0);
}

static int
open_register_replica(const char *data, const char *db, const char *read_db, freg_register **reg)
{
	char uri[PATH_MAX + 16];
	int r;

	if (db)
		snprintf(uri, sizeof(uri), "%s", db);
	else {
		if (porten_mkdirs(data, 0700) != 0) {
			fprintf(stderr, PROG ": cannot create data directory '%s'\n", data);
			return PORTEN_EXIT_CONFIG;
		}
		snprintf(uri, sizeof(uri), "sqlite:%s/freg.db", data);
	}
	if ((r = freg_register_open_replica(uri, read_db, reg)) != 0) {
		if (read_db != NULL)
			fprintf(stderr, PROG ": cannot open the register '%s' with the read replica '%s': %s\n",
			        uri, read_db, porten_strerror(r));
		else
			fprintf(stderr, PROG ": cannot open the register '%s': %s\n", uri, porten_strerror(r));
		return r == PORTEN_ERR_INVALID ? PORTEN_EXIT_CONFIG : PORTEN_EXIT_UNAVAILABLE;
	}
	return 0;
}

static int
open_register(const char *data, const char *db, freg_register **reg)
{
	return open_register_replica(data, db, NULL, reg);
}

static unsigned
parse_packages(const char *list, char *bad, size_t badsz)
{
	unsigned mask = 0;
	char tmp[1024];
	char *save = NULL;

	snprintf(tmp, sizeof(tmp), "%s", list);
	for (char *t = strtok_r(tmp, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		int p = freg_pkg_by_name(t);

		if (p < 0) {
			snprintf(bad, badsz, "%s", t);
			return 0;
		}
		mask |= 1u << p;
	}
	return mask;
}

/* {"consumers":[{"orgno":"...","packages":["offentligmedhjemmel",...]}]} */
static int
load_seed(freg_register *reg, const char *path)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *list, *c;
	size_t i;
	int ex = PORTEN_EXIT_CONFIG;

	if (doc == NULL) {
		fprintf(stderr, PROG ": seed '%s' not loaded: %s (line %d)\n", path, jerr.text, jerr.line);
		return ex;
	}
	list = json_object_get(doc, "consumers");
	if (!json_is_object(doc) || !json_is_array(list) || json_object_size(doc) != 1) {
		fprintf(stderr, PROG ": seed '%s' not loaded: want {\"consumers\": [{\"orgno\", \"packages\"}]}\n", path);
		goto out;
	}
	/* Check everything before writing anything. */
	for (int pass = 0; pass < 2; pass++) {
		json_array_foreach(list, i, c) {
			const char *orgno = json_string_value(json_object_get(c, "orgno"));
			json_t *pk = json_object_get(c, "packages"), *v;
			unsigned mask = 0;
			size_t j;

			if (!json_is_object(c) || orgno == NULL || !porten_orgno_valid(orgno, strlen(orgno)) ||
			    strlen(orgno) != 9 || !json_is_array(pk)) {
				fprintf(stderr, PROG ": seed '%s' not loaded: consumers[%zu] needs a valid 9-digit \"orgno\" and a \"packages\" array\n", path, i);
				goto out;
			}
			json_array_foreach(pk, j, v) {
				int p = freg_pkg_by_name(json_string_value(v));

				if (p < 0) {
					fprintf(stderr, PROG ": seed '%s' not loaded: consumers[%zu].packages[%zu] is not a package name (offentligmedhjemmel, offentligutenhjemmel, privatutenhjemmel, privat, privatutenfolkeregisteridentifikator, finans, presse, presseutenfolkeregisteridentifikator, utstedereid)\n", path, i, j);
					goto out;
				}
				mask |= 1u << p;
			}
			if (pass == 1 && freg_register_consumer_set(reg, orgno, mask) != 0) {
				fprintf(stderr, PROG ": seed '%s': cannot write consumer %s\n", path, orgno);
				ex = PORTEN_EXIT_UNAVAILABLE;
				goto out;
			}
		}
	}
	log_info("freg: seed '%s': %zu consumer organisation%s", path, json_array_size(list),
	         json_array_size(list) == 1 ? "" : "s");
	ex = 0;
out:
	json_decref(doc);
	return ex;
}

static bool
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* ---- Background work: the simulator and retention ---- */

struct bg {
	freg_register *reg;
	freg_sim *sim;
	int per_min;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static void
bg_wait(struct bg *b, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&b->mu);
	if (!b->stop)
		pthread_cond_timedwait(&b->cv, &b->mu, &ts);
	pthread_mutex_unlock(&b->mu);
}

static bool
bg_stopped(struct bg *b)
{
	bool s;

	pthread_mutex_lock(&b->mu);
	s = b->stop;
	pthread_mutex_unlock(&b->mu);
	return s;
}

static void *
sim_main(void *arg)
{
	struct bg *b = arg;
	int64_t interval_ms = 60000 / b->per_min;
	uint64_t n = 0, failed = 0;

	if (interval_ms < 1)
		interval_ms = 1;
	while (!bg_stopped(b)) {
		const char *type = NULL;
		int r = freg_sim_step(b->sim, porten_now(), &type);

		if (r != 0) {
			if (failed++ % 100 == 0)
				log_error("freg: simulator step failed: %s", porten_strerror(r));
		} else if (++n % 1000 == 0)
			log_info("freg: simulator: %" PRIu64 " events appended", n);
		bg_wait(b, interval_ms);
	}
	return NULL;
}

/* Retention (spec 2.1, 9): feed rows older than 36 months go, hourly. Documents (event
 * documents, superseded person versions) are kept PORTEN_FREG_DOC_GRACE_DAYS longer and
 * answer 400 FREG-012 in that time, as Skatteetaten's do, before they are gone (404). */
static void
purge_once(freg_register *reg)
{
	int64_t now = porten_now();
	int64_t cutoff = now - (int64_t)PORTEN_FREG_RETENTION_MONTHS * 30 * 86400 -
	                 (int64_t)PORTEN_FREG_RETENTION_MONTHS / 12 * 5 * 86400;   /* 36 months = 1095-1096 days */
	size_t deleted = 0;

	if (freg_register_purge(reg, cutoff, cutoff - (int64_t)PORTEN_FREG_DOC_GRACE_DAYS * 86400,
	                        &deleted) != 0)
		log_error("freg: retention purge failed");
	else if (deleted)
		log_info("freg: retention: %zu rows older than %d months removed", deleted, PORTEN_FREG_RETENTION_MONTHS);
}

static void *
purge_main(void *arg)
{
	struct bg *b = arg;

	while (!bg_stopped(b)) {
		bg_wait(b, 3600 * 1000);
		if (!bg_stopped(b))
			purge_once(b->reg);
	}
	return NULL;
}

/* Layouts for documents stored without a usable one (a register older than migration
 * 004, or another FREG_LAYOUT_VERSION): a batch per transaction until every person has
 * been seen. Lookups of a person not reached yet parse the document: the same answer,
 * slower. The position is kept in the register, so a restart goes on from it. */
static void *
fill_main(void *arg)
{
	struct bg *b = arg;
	size_t persons = 0, checked = 0, built = 0, next_log = PORTEN_FREG_LAYOUT_FILL_LOG;
	unsigned failures = 0;
	bool first = true;

	while (!bg_stopped(b)) {
		struct freg_layout_fill f;
		int r = freg_register_layout_fill(b->reg, PORTEN_FREG_LAYOUT_FILL_MAX, &f);

		if (r != 0) {
			/* the database away or busy for long: try again later, quietly after the first */
			if (failures++ == 0)
				log_error("freg: layouts: %s; trying again every %d s", porten_strerror(r),
				          PORTEN_FREG_LAYOUT_FILL_RETRY_S);
			bg_wait(b, (int64_t)PORTEN_FREG_LAYOUT_FILL_RETRY_S * 1000);
			continue;
		}
		failures = 0;
		if (first && f.finished)
			return NULL;   /* nothing to do: the usual case */
		if (first) {
			(void)freg_register_count(b->reg, &persons);
			log_info("freg: layouts: filling in those of %zu persons' documents in the "
			         "background; lookups parse the documents not reached yet", persons);
			first = false;
		}
		checked += f.checked;
		built += f.built;
		if (f.finished) {
			log_info("freg: layouts: done; %zu persons looked at, %zu layouts made", checked, built);
			return NULL;
		}
		if (checked >= next_log) {
			log_info("freg: layouts: %zu of about %zu persons looked at, %zu layouts made",
			         checked, persons, built);
			next_log += PORTEN_FREG_LAYOUT_FILL_LOG;
		}
	}
	return NULL;
}

static void
progress(void *ctx, size_t done, size_t total)
{
	(void)ctx;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r" PROG ": generating persons: %zu/%zu", done, total);
	if (done == total && isatty(STDERR_FILENO))
		fputc('\n', stderr);
}

struct freg_running {
	freg_register *reg;
	porten_tokencheck *tc;
	freg_server *srv;
	porten_http *http;
	struct bg bg;
	pthread_t sim_th, purge_th, fill_th;
	bool sim_started, purge_started, fill_started, bg_init;
	char *cert_pem, *key_pem;
};

void
freg_stop(struct freg_running *h)
{
	if (h == NULL)
		return;
	if (h->sim_started || h->purge_started || h->fill_started) {
		pthread_mutex_lock(&h->bg.mu);
		h->bg.stop = true;
		pthread_cond_broadcast(&h->bg.cv);
		pthread_mutex_unlock(&h->bg.mu);
		if (h->sim_started)
			pthread_join(h->sim_th, NULL);
		if (h->purge_started)
			pthread_join(h->purge_th, NULL);
		if (h->fill_started)
			pthread_join(h->fill_th, NULL);
	}
	porten_http_stop(h->http);
	freg_server_free(h->srv);
	freg_sim_free(h->bg.sim);
	porten_tokencheck_free(h->tc);
	freg_register_close(h->reg);
	server_tls_free(h->cert_pem, h->key_pem);
	if (h->bg_init) {
		pthread_mutex_destroy(&h->bg.mu);
		pthread_cond_destroy(&h->bg.cv);
	}
	free(h);
}

int
freg_running_example_pid(struct freg_running *h, char pid[12])
{
	size_t n = 0;

	if (freg_register_count(h->reg, &n) != 0 || n == 0)
		return PORTEN_ERR_NOT_FOUND;
	return freg_register_pick(h->reg, n / 2, pid);
}

void
freg_running_release_jobs(struct freg_running *h)
{
	freg_server_uttrekk_release(h->srv);
}

int
freg_start(const struct freg_opts *o, struct freg_running **out, char *url, size_t urlsz)
{
	struct porten_tokencheck_config tcc;
	struct freg_server_config sc;
	struct porten_http_config hc;
	struct freg_running *h;
	char host[256];
	uint64_t seed = 1;
	unsigned port;
	int r, ex = PORTEN_EXIT_FAILURE;

	*out = NULL;
	if ((r = opts_log_level(PROG, o->log_level, -1)) != 0)
		return r;
	if (o->listen == NULL || o->issuer == NULL || (o->data == NULL && o->db == NULL)) {
		fprintf(stderr, PROG ": --listen, --issuer and --data (or --db) are required; see 'porten freg --help'\n");
		return PORTEN_EXIT_USAGE;
	}
	if (opts_host_port(o->listen, host, sizeof(host), &port) != 0) {
		fprintf(stderr, PROG ": --listen must be HOST:PORT, got '%s'\n", o->listen);
		return PORTEN_EXIT_USAGE;
	}
	if (strncmp(o->issuer, "https://", 8) != 0 && strncmp(o->issuer, "http://", 7) != 0) {
		fprintf(stderr, PROG ": --issuer must be an http(s) URL such as https://test.maskinporten.no/, got '%s'\n", o->issuer);
		return PORTEN_EXIT_USAGE;
	}
	if (o->data == NULL && !o->plain_http && o->tls_cert == NULL) {
		fprintf(stderr, PROG ": without --data, give --tls-cert and --tls-key or --plain-http\n");
		return PORTEN_EXIT_USAGE;
	}
	if (o->read_db != NULL && (!pg_uri(o->db) || !pg_uri(o->read_db))) {
		fprintf(stderr, PROG ": --read-db (a postgresql:// read replica) goes with a postgresql:// --db\n");
		return PORTEN_EXIT_USAGE;
	}
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		fprintf(stderr, PROG ": --tls-cert and --tls-key go together\n");
		return PORTEN_EXIT_USAGE;
	}
	if (o->persons > PORTEN_GEN_PERSONS_MAX) {
		fprintf(stderr, PROG ": --persons must be at most %d\n", PORTEN_GEN_PERSONS_MAX);
		return PORTEN_EXIT_USAGE;
	}
	if (o->simulate > PORTEN_FREG_SIMULATE_MAX) {
		fprintf(stderr, PROG ": --simulate must be at most %d events per minute\n", PORTEN_FREG_SIMULATE_MAX);
		return PORTEN_EXIT_USAGE;
	}
	if (o->rng_seed && !parse_u64(o->rng_seed, &seed)) {
		fprintf(stderr, PROG ": --rng-seed must be a non-negative integer, got '%s'\n", o->rng_seed);
		return PORTEN_EXIT_USAGE;
	}
	if (o->fake_now > 0)
		porten_clock_pin(o->fake_now);
	signal(SIGPIPE, SIG_IGN);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return PORTEN_EXIT_FAILURE;
	if ((ex = open_register_replica(o->data, o->db, o->read_db, &h->reg)) != 0)
		goto fail;
	if (o->seed && (ex = load_seed(h->reg, o->seed)) != 0)
		goto fail;
	ex = PORTEN_EXIT_FAILURE;
	if (o->persons > 0) {
		size_t have = 0;

		if ((r = freg_register_count(h->reg, &have)) != 0) {
			fprintf(stderr, PROG ": cannot read the register: %s\n", porten_strerror(r));
			ex = PORTEN_EXIT_UNAVAILABLE;
			goto fail;
		}
		if (have == 0) {
			struct freg_gen_opts go;
			int64_t t0 = porten_mono_ns();

			freg_gen_opts_init(&go);
			go.seed = seed;
			go.persons = (size_t)o->persons;
			go.now = porten_now();
			go.synthetic_ids = !o->production_ids;
			if ((r = freg_populate(h->reg, &go, o->quiet ? NULL : progress, NULL)) != 0) {
				fprintf(stderr, PROG ": cannot generate the population: %s\n", porten_strerror(r));
				goto fail;
			}
			log_info("freg: generated %d persons in %.2f s (rng seed %" PRIu64 ")", o->persons,
			         (double)(porten_mono_ns() - t0) / 1e9, seed);
		} else
			log_info("freg: the register already holds %zu persons; --persons %d leaves it as it is",
			         have, o->persons);
	}
	purge_once(h->reg);
	memset(&tcc, 0, sizeof(tcc));
	tcc.issuer = o->issuer;
	tcc.base_url = o->issuer_url;
	tcc.ca_bundle = o->ca_bundle;
	if ((r = porten_tokencheck_new(&tcc, &h->tc)) != 0) {
		fprintf(stderr, PROG ": --issuer-url must be an http(s) URL\n");
		ex = PORTEN_EXIT_USAGE;
		goto fail;
	}
	memset(&sc, 0, sizeof(sc));
	sc.reg = h->reg;
	sc.tc = h->tc;
	sc.rate_limit = o->rate_limit;
	sc.tls = !o->plain_http;
	sc.public_url = o->public_url;
	sc.production_ids = o->production_ids;
	sc.uttrekk_hold = o->uttrekk_hold;
	if ((r = freg_server_new(&sc, &h->srv)) != 0) {
		fprintf(stderr, PROG ": cannot start: %s\n", porten_strerror(r));
		goto fail;
	}
	memset(&hc, 0, sizeof(hc));
	hc.host = host;
	hc.port = (uint16_t)port;
	hc.tls = !o->plain_http;
	hc.threads = (unsigned)o->threads;
	hc.server_name = "freg";
	hc.listen_fd = o->listen_fd;
	hc.have_listen_fd = o->have_listen_fd;
	if (hc.tls) {
		if ((ex = server_tls_load(PROG, o->data, host, o->tls_cert, o->tls_key, &h->cert_pem, &h->key_pem)) != 0)
			goto fail;
		ex = PORTEN_EXIT_FAILURE;
		hc.tls_cert_pem = h->cert_pem;
		hc.tls_key_pem = h->key_pem;
	}
	h->bg.reg = h->reg;
	h->bg.per_min = o->simulate;
	pthread_mutex_init(&h->bg.mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&h->bg.cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	h->bg_init = true;
	if ((r = porten_http_start(&hc, freg_routes, freg_nroutes, freg_http_error, h->srv, &h->http)) != 0) {
		fprintf(stderr, PROG ": cannot listen on %s: %s\n", o->listen,
		        r == PORTEN_ERR_EXISTS ? "the address is in use" : porten_strerror(r));
		goto fail;
	}
	if (o->simulate > 0) {
		if ((r = freg_sim_new(h->reg, seed, !o->production_ids, &h->bg.sim)) != 0 ||
		    pthread_create(&h->sim_th, NULL, sim_main, &h->bg) != 0) {
			fprintf(stderr, PROG ": cannot start the simulator: %s\n", porten_strerror(r));
			goto fail;
		}
		h->sim_started = true;
	}
	if (pthread_create(&h->purge_th, NULL, purge_main, &h->bg) == 0)
		h->purge_started = true;
	if (pthread_create(&h->fill_th, NULL, fill_main, &h->bg) == 0)
		h->fill_started = true;
	snprintf(url, urlsz, "%s://%s%s%s:%u/", hc.tls ? "https" : "http",
	         strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", porten_http_port(h->http));
	log_info("freg: listening on %s issuer %s%s%s simulate %d/min", url, o->issuer,
	         o->issuer_url ? " via " : "", o->issuer_url ? o->issuer_url : "", o->simulate);
	*out = h;
	return PORTEN_EXIT_OK;
fail:
	freg_stop(h);
	return ex;
}

int
freg_serve(const struct freg_opts *o, void (*on_ready)(const char *url, void *arg), void *arg)
{
	struct freg_running *h;
	char url[512];
	sigset_t stopset;
	int sig, ex;

	/* Block the stop signals before any thread exists (the register's, the audit writer,
	 * the HTTP workers): only the main thread waits for them. */
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGINT);
	sigaddset(&stopset, SIGTERM);
	if (o->uttrekk_hold)
		sigaddset(&stopset, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &stopset, NULL);
	if ((ex = freg_start(o, &h, url, sizeof(url))) != PORTEN_EXIT_OK)
		return ex;
	if (on_ready)
		on_ready(url, arg);
	else {
		printf(PROG ": listening on %s\n", url);
		fflush(stdout);
	}
	for (;;) {
		if (sigwait(&stopset, &sig) != 0)
			continue;
		if (sig != SIGUSR1)
			break;
		log_info("freg: SIGUSR1: held extract jobs run now");
		freg_running_release_jobs(h);
	}
	log_info("freg: stopping");
	freg_stop(h);
	return PORTEN_EXIT_OK;
}

/* Splits argv into options (with their values) and positional words. */
static void
split_args(const struct opt_cmd *cmd, int argc, char **argv, char **opts, int *nopts,
           const char **words, int *nwords)
{
	*nopts = 0;
	*nwords = 0;
	opts[(*nopts)++] = argv[0];
	for (int i = 1; i < argc && *nopts < 30 && *nwords < 8; i++) {
		if (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]) {
			opts[(*nopts)++] = argv[i];
			if (strchr(argv[i], '=') == NULL && i + 1 < argc) {
				for (size_t k = 0; k < cmd->nopts; k++)
					if (strcmp(argv[i] + 2, cmd->opts[k].name) == 0 && cmd->opts[k].type != OPT_FLAG) {
						opts[(*nopts)++] = argv[++i];
						break;
					}
			}
		} else
			words[(*nwords)++] = argv[i];
	}
	opts[*nopts] = NULL;
}

/* ---- porten freg inject ---- */

struct op_opts {
	const char *data, *db, *consumer, *person, *since, *log_level;
	int limit, json, fake_now;
};
#define OOFF(f) offsetof(struct op_opts, f)

static const struct opt inject_table[] = {
	{ "data", "DIR", OPT_STRING, OOFF(data), "the register's data directory (DIR/freg.db)" },
	{ "db", "URI", OPT_STRING, OOFF(db), "the register database: sqlite:PATH or postgresql://..." },
	{ "fake-now", "UNIX", OPT_INT, OOFF(fake_now), "pin the clock (testing aid)", 1 },
};
static const struct opt_cmd inject_cmd = {
	"freg inject", "(--data DIR | --db URI) FILE|-",
	"Appends one chosen event to the register, as the simulator would: the event document,\n"
	"the person's new version and an entry in every package feed, in one transaction. Works\n"
	"while porten freg runs. FILE holds\n"
	"  {\"folkeregisteridentifikator\": \"<11 digits>\", \"hendelsetype\": \"<type>\",\n"
	"   \"egenskapshendelse\": [{\"entitet\": \"doedsfall\", \"entitetsendring\": \"annullere\"}, ...]}\n"
	"and prints the event document id and the sequence number in each package.",
	inject_table, sizeof(inject_table) / sizeof(inject_table[0]),
};

static int
cmd_freg_inject(int argc, char **argv)
{
	struct op_opts o;
	freg_register *reg = NULL;
	struct freg_ingested out;
	char err[512], *text = NULL;
	const char *file = NULL;
	char *args[32];
	const char *words[8];
	int nargs = 0, nwords = 0, r, ex;
	json_t *doc;
	json_error_t jerr;
	size_t len;

	memset(&o, 0, sizeof(o));
	split_args(&inject_cmd, argc, argv, args, &nargs, words, &nwords);
	if ((r = opts_parse(&inject_cmd, &o, nargs, args)) != 0)
		return r > 0 ? PORTEN_EXIT_OK : PORTEN_EXIT_USAGE;
	if (nwords > 1) {
		fprintf(stderr, PROG " inject: one event file at a time\n");
		return PORTEN_EXIT_USAGE;
	}
	if (o.fake_now > 0)
		porten_clock_pin(o.fake_now);
	file = nwords == 1 ? words[0] : NULL;
	if ((o.data == NULL && o.db == NULL) || file == NULL) {
		fprintf(stderr, PROG " inject: give --data DIR (or --db URI) and the event file (or - for stdin)\n");
		return PORTEN_EXIT_USAGE;
	}
	if (strcmp(file, "-") == 0) {
		struct porten_buf b;
		char chunk[4096];
		size_t n;

		porten_buf_init(&b, PORTEN_FREG_INJECT_MAX);
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			if (porten_buf_append(&b, chunk, n) != 0) {
				fprintf(stderr, PROG " inject: the event is larger than %d bytes\n", PORTEN_FREG_INJECT_MAX);
				porten_buf_release(&b);
				return PORTEN_EXIT_CONFIG;
			}
		text = porten_buf_detach(&b, &len);
		if (text == NULL) {
			fprintf(stderr, PROG " inject: nothing on stdin\n");
			return PORTEN_EXIT_CONFIG;
		}
	} else if ((r = porten_file_read(file, PORTEN_FREG_INJECT_MAX, &text, &len)) != 0) {
		fprintf(stderr, PROG " inject: cannot read '%s': %s\n", file, porten_strerror(r));
		return PORTEN_EXIT_CONFIG;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (doc == NULL) {
		fprintf(stderr, PROG " inject: '%s' is not JSON: %s (line %d)\n", file, jerr.text, jerr.line);
		return PORTEN_EXIT_CONFIG;
	}
	if ((ex = open_register(o.data, o.db, &reg)) != 0) {
		json_decref(doc);
		return ex;
	}
	err[0] = '\0';
	r = freg_event_inject(reg, doc, porten_now(), &out, err, sizeof(err));
	json_decref(doc);
	if (r != 0) {
		fprintf(stderr, PROG " inject: event refused: %s\n", err[0] ? err : porten_strerror(r));
		freg_register_close(reg);
		return r == PORTEN_ERR_UNAVAILABLE ? PORTEN_EXIT_UNAVAILABLE : PORTEN_EXIT_FAILURE;
	}
	printf("hendelsesdokument %s", out.event_id);
	if (out.persondoc_id[0])
		printf(" persondokument %s", out.persondoc_id);
	for (int p = 0; p < FREG_PKG_COUNT; p++)
		if (out.seq[p])
			printf(" %s=%" PRId64, freg_pkg((enum freg_pkg)p)->name, out.seq[p]);
	printf("\n");
	freg_register_close(reg);
	return PORTEN_EXIT_OK;
}

/* ---- porten freg consumers ---- */

static const struct opt consumers_table[] = {
	{ "data", "DIR", OPT_STRING, OOFF(data), "the register's data directory (DIR/freg.db)" },
	{ "db", "URI", OPT_STRING, OOFF(db), "the register database: sqlite:PATH or postgresql://..." },
};
static const struct opt_cmd consumers_cmd = {
	"freg consumers", "(--data DIR | --db URI) [list | set ORGNO PKG[,PKG...] | remove ORGNO]",
	"Shows or changes which organisations hold which rights packages in the register's own\n"
	"registry (a call needs both the token's scope and the package here). Changes apply to a\n"
	"running porten freg on its next request. Package names: offentligmedhjemmel,\n"
	"offentligutenhjemmel, privatutenhjemmel, privat, privatutenfolkeregisteridentifikator,\n"
	"finans, presse, presseutenfolkeregisteridentifikator, utstedereid.",
	consumers_table, sizeof(consumers_table) / sizeof(consumers_table[0]),
};

static int
print_consumer(void *ctx, const char *orgno, unsigned mask)
{
	bool first = true;

	(void)ctx;
	printf("%s ", orgno);
	for (int p = 0; p < FREG_PKG_COUNT; p++)
		if (mask & (1u << p)) {
			printf("%s%s", first ? "" : ",", freg_pkg((enum freg_pkg)p)->name);
			first = false;
		}
	printf("\n");
	return 0;
}

static int
cmd_freg_consumers(int argc, char **argv)
{
	struct op_opts o;
	freg_register *reg = NULL;
	char *opts[32];
	const char *w[8];
	int nopts, nw, r, ex = PORTEN_EXIT_OK;

	memset(&o, 0, sizeof(o));
	split_args(&consumers_cmd, argc, argv, opts, &nopts, w, &nw);
	if ((r = opts_parse(&consumers_cmd, &o, nopts, opts)) != 0)
		return r > 0 ? PORTEN_EXIT_OK : PORTEN_EXIT_USAGE;
	if (o.data == NULL && o.db == NULL) {
		fprintf(stderr, PROG " consumers: give --data DIR (or --db URI)\n");
		return PORTEN_EXIT_USAGE;
	}
	if (nw == 0 || strcmp(w[0], "list") == 0) {
		if (nw > 1)
			goto usage;
	} else if (strcmp(w[0], "set") == 0) {
		if (nw != 3 || strlen(w[1]) != 9 || !porten_orgno_valid(w[1], 9))
			goto usage;
	} else if (strcmp(w[0], "remove") == 0) {
		if (nw != 2 || strlen(w[1]) != 9 || !porten_orgno_valid(w[1], 9))
			goto usage;
	} else
		goto usage;
	if ((ex = open_register(o.data, o.db, &reg)) != 0)
		return ex;
	if (nw == 0 || strcmp(w[0], "list") == 0) {
		r = freg_register_consumer_list(reg, print_consumer, NULL);
	} else if (strcmp(w[0], "set") == 0) {
		char bad[128] = "";
		unsigned mask = parse_packages(w[2], bad, sizeof(bad));

		if (mask == 0) {
			fprintf(stderr, PROG " consumers: '%s' is not a package name; see 'porten freg consumers --help'\n", bad[0] ? bad : w[2]);
			freg_register_close(reg);
			return PORTEN_EXIT_USAGE;
		}
		r = freg_register_consumer_set(reg, w[1], mask);
	} else {
		unsigned mask;

		r = freg_register_consumer_get(reg, w[1], &mask);
		if (r == PORTEN_ERR_NOT_FOUND)
			fprintf(stderr, PROG " consumers: %s holds no package\n", w[1]);
		else if (r == 0)
			r = freg_register_consumer_set(reg, w[1], 0);
	}
	if (r != 0 && r != PORTEN_ERR_NOT_FOUND)
		fprintf(stderr, PROG " consumers: %s\n", porten_strerror(r));
	freg_register_close(reg);
	return r == 0 ? PORTEN_EXIT_OK : r == PORTEN_ERR_UNAVAILABLE ? PORTEN_EXIT_UNAVAILABLE : PORTEN_EXIT_FAILURE;
usage:
	fprintf(stderr, PROG " consumers: usage: porten freg consumers %s (ORGNO: 9 digits with a valid check digit)\n", consumers_cmd.synopsis);
	return PORTEN_EXIT_USAGE;
}

/* ---- porten freg audit ---- */

static const struct opt audit_table[] = {
	{ "consumer", "ORGNO", OPT_STRING, OOFF(consumer), "only calls by this consumer organisation", 0, 1 },
	{ "data", "DIR", OPT_STRING, OOFF(data), "the register's data directory (DIR/freg.db)" },
	{ "db", "URI", OPT_STRING, OOFF(db), "the register database: sqlite:PATH or postgresql://..." },
	{ "json", NULL, OPT_FLAG, OOFF(json), "one JSON object per line", 0, 1 },
	{ "limit", "N", OPT_INT, OOFF(limit), "at most N records (default 1000)", 0, 1 },
	{ "person", "ID", OPT_STRING, OOFF(person), "only calls concerning this person (11 digits)", 0, 1 },
	{ "since", "ISO8601", OPT_STRING, OOFF(since), "only calls at or after this time, e.g. 2026-11-01 or 2026-11-01T12:00:00Z", 0, 1 },
};
static const struct opt_cmd audit_cmd = {
	"freg audit", "(--data DIR | --db URI) [--consumer ORGNO] [--person ID] [--since ISO8601] [--limit N] [--json]",
	"Prints the register's audit trail, oldest first: time, consumer (and supplier acting\n"
	"for it), package, resource, person, status. Every authenticated call leaves a record;\n"
	"records reach the database within 200 ms of the call.",
	audit_table, sizeof(audit_table) / sizeof(audit_table[0]),
};

static int
print_audit(void *ctx, const struct freg_audit *a)
{
	const struct op_opts *o = ctx;
	char ts[32];

	porten_iso8601(a->at, ts, sizeof(ts));
	if (o->json) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "at", ts, "consumer", a->consumer,
		                      "supplier", a->supplier, "package", freg_pkg(a->pkg)->name,
		                      "resource", a->resource, "person", a->pid, "status", a->status);
		char *line = json_dumps(j, JSON_COMPACT);

		printf("%s\n", line ? line : "{}");
		free(line);
		json_decref(j);
	} else
		printf("%s %s%s%s %s %s %s %d\n", ts, a->consumer, a->supplier[0] ? "/" : "", a->supplier,
		       freg_pkg(a->pkg)->name, a->resource, a->pid[0] ? a->pid : "-", a->status);
	return 0;
}

static int
cmd_freg_audit(int argc, char **argv)
{
	struct op_opts o;
	freg_register *reg = NULL;
	int64_t since = 0;
	int r, ex;

	memset(&o, 0, sizeof(o));
	if ((r = opts_parse(&audit_cmd, &o, argc, argv)) != 0)
		return r > 0 ? PORTEN_EXIT_OK : PORTEN_EXIT_USAGE;
	if (o.data == NULL && o.db == NULL) {
		fprintf(stderr, PROG " audit: give --data DIR (or --db URI)\n");
		return PORTEN_EXIT_USAGE;
	}
	if (o.since && porten_iso8601_parse(o.since, &since) != 0) {
		fprintf(stderr, PROG " audit: --since must be a date or time like 2026-11-01 or 2026-11-01T12:00:00Z\n");
		return PORTEN_EXIT_USAGE;
	}
	if ((ex = open_register(o.data, o.db, &reg)) != 0)
		return ex;
	r = freg_register_audit_query(reg, since, 0, o.consumer, o.person,
	                              o.limit > 0 ? (size_t)o.limit : 1000, print_audit, &o);
	if (r != 0)
		fprintf(stderr, PROG " audit: %s\n", porten_strerror(r));
	freg_register_close(reg);
	return r == 0 ? PORTEN_EXIT_OK : PORTEN_EXIT_UNAVAILABLE;
}

int
cmd_freg(int argc, char **argv)
{
	struct freg_opts o;
	int r;

	if (argc >= 2 && strcmp(argv[1], "inject") == 0)
		return cmd_freg_inject(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "consumers") == 0)
		return cmd_freg_consumers(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "audit") == 0)
		return cmd_freg_audit(argc - 1, argv + 1);
	memset(&o, 0, sizeof(o));
	if ((r = opts_parse(&freg_cmd, &o, argc, argv)) != 0)
		return r > 0 ? PORTEN_EXIT_OK : PORTEN_EXIT_USAGE;
	return freg_serve(&o, NULL, NULL);
}
