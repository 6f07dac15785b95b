/* porten authz: the Maskinporten-compatible authorization server. */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "porten/authz.h"
#include "porten/buf.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/pki.h"
#include "porten/seal.h"
#include "authz_serve.h"
#include "commands.h"
#include "server_tls.h"
#include "opts.h"

#define OFF(f) offsetof(struct authz_opts, f)

static const struct opt authz_opts_table[] = {
	{ "cert-env", "test|prod|all", OPT_STRING, OFF(cert_env), "which SEID policy list to accept when no --cert-policy is given (default all)" },
	{ "cert-policy", "OID", OPT_LIST, OFF(cert_policy), "accepted certificate policy on x5c leaves; OID.* accepts any OID below it" },
	{ "crl", "FILE", OPT_LIST, OFF(crl), "certificate revocation list (PEM or DER) for the x5c chains" },
	{ "data", "DIR", OPT_STRING, OFF(data), "data directory: SQLite database, signing keys, generated TLS certificates" },
	{ "db", "URI", OPT_STRING, OFF(db), "store URI instead of DIR/authz.db: sqlite:PATH, memory: or postgresql://... (several instances may share one PostgreSQL database; docs/operations.md)" },
	{ "fake-now", "UNIX", OPT_INT, OFF(fake_now), "pin the clock (testing aid)", 1 },
	{ "intermediates", "PEM", OPT_STRING, OFF(intermediates), "intermediate CA certificates that complete leaf-only x5c chains" },
	{ "keys-secret", "FILE", OPT_STRING, OFF(keys_secret), "with a PostgreSQL --db: the secret (32+ random bytes, mode 0600, the same file on every instance) that seals the signing keys kept in the database" },
	{ "issuer", "URL", OPT_STRING, OFF(issuer), "issuer identifier, byte-exact as clients put it in aud, e.g. https://test.maskinporten.no/" },
	{ "listen", "HOST:PORT", OPT_STRING, OFF(listen), "address to listen on (port 0 picks a free port)" },
	{ "log-level", "LEVEL", OPT_STRING, OFF(log_level), "error, warn, info (default: one access line per request) or debug" },
	{ "omit-unspecified-aud", NULL, OPT_FLAG, OFF(omit_unspecified_aud), "issue tokens without aud when the grant has no resource (default: aud \"unspecified\")" },
	{ "plain-http", NULL, OPT_FLAG, OFF(plain_http), "serve plain HTTP (behind a TLS-terminating proxy)" },
	{ "seed", "FILE", OPT_STRING, OFF(seed), "load scopes, access, clients and delegations from a JSON seed (idempotent)" },
	{ "strict-iat", NULL, OPT_FLAG, OFF(strict_iat), "also refuse grants whose iat is more than 10 s in the past" },
	{ "threads", "N", OPT_INT, OFF(threads), "HTTP worker threads (default: 4 per CPU)" },
	{ "tls-cert", "PEM", OPT_STRING, OFF(tls_cert), "server certificate chain (default: generated under DIR/tls)" },
	{ "tls-key", "PEM", OPT_STRING, OFF(tls_key), "server private key" },
	{ "token-lifetime", "SECONDS", OPT_INT, OFF(token_lifetime), "default access-token lifetime (default 120)" },
	{ "trust-anchors", "PEM", OPT_STRING, OFF(trust_anchors), "root CA certificates for x5c chains (without it, x5c grants get MP-120)" },
	{ "aud-without-slash", NULL, OPT_FLAG, OFF(aud_without_slash), "also accept the issuer without its trailing slash as aud" },
};

static const struct opt_cmd authz_cmd = {
	"authz", "--listen HOST:PORT --issuer URL (--data DIR | --db URI) [options]",
	"Runs a Maskinporten-compatible authorization server: POST /token for JWT-bearer grants\n"
	"signed with an enterprise certificate (x5c) or a registered key (kid), /jwk,\n"
	"/.well-known/oauth-authorization-server, /health and /metrics.",
	authz_opts_table, sizeof(authz_opts_table) / sizeof(authz_opts_table[0]),
};


static int
build_trust(const struct authz_opts *o, porten_trust **out)
{
	porten_trust *t = NULL;
	int r;

	*out = NULL;
	if (o->trust_anchors == NULL) {
		log_warn("no --trust-anchors: every grant signed with a certificate (x5c) will get MP-120");
		return 0;
	}
	if ((r = porten_trust_new(&t)) != 0)
		return r;
	if ((r = porten_trust_add_anchors_file(t, o->trust_anchors)) != 0) {
		fprintf(stderr, "porten authz: cannot load trust anchors '%s': %s\n", o->trust_anchors, porten_strerror(r));
		goto fail;
	}
	if (o->intermediates && (r = porten_trust_add_intermediates_file(t, o->intermediates)) != 0) {
		fprintf(stderr, "porten authz: cannot load intermediates '%s': %s\n", o->intermediates, porten_strerror(r));
		goto fail;
	}
	if (o->crl.n == 0)
		log_warn("no --crl: certificates in x5c grants are not checked for revocation");
	for (size_t i = 0; i < o->crl.n; i++) {
		if ((r = porten_trust_add_crl_file(t, o->crl.v[i])) != 0) {
			fprintf(stderr, "porten authz: cannot load CRL '%s': %s\n", o->crl.v[i], porten_strerror(r));
			goto fail;
		}
	}
	for (size_t i = 0; i < o->cert_policy.n; i++) {
		if ((r = porten_trust_add_policy(t, o->cert_policy.v[i])) != 0) {
			fprintf(stderr, "porten authz: --cert-policy '%s' is not an OID\n", o->cert_policy.v[i]);
			goto fail;
		}
	}
	if (o->cert_policy.n == 0) {
		const char *env = o->cert_env ? o->cert_env : "all";
		if (strcmp(env, "test") && strcmp(env, "prod") && strcmp(env, "all")) {
			fprintf(stderr, "porten authz: --cert-env must be test, prod or all, got '%s'\n", env);
			r = PORTEN_ERR_USAGE;
			goto fail;
		}
		if ((r = porten_trust_add_seid_policies(t, env)) != 0)
			goto fail;
	}
	*out = t;
	return 0;
fail:
	porten_trust_free(t);
	return r;
}

/* The sealing key of --keys-secret: the file must be readable by its owner only, as the
 * key files of DIR/keys are (mode 0600). */
static int
load_keys_secret(const char *path, unsigned char key[PORTEN_SEAL_KEY_SIZE])
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int r;

	if (path == NULL) {
		fprintf(stderr, "porten authz: with a PostgreSQL --db the signing keys are kept in the "
		        "database, sealed: give --keys-secret FILE, the same file on every instance "
		        "(make one with: head -c 32 /dev/urandom > FILE && chmod 600 FILE)\n");
		return PORTEN_ERR_USAGE;
	}
	if (stat(path, &st) != 0) {
		fprintf(stderr, "porten authz: cannot read --keys-secret '%s'\n", path);
		return PORTEN_ERR_IO;
	}
	if ((st.st_mode & 077) != 0) {
		fprintf(stderr, "porten authz: --keys-secret '%s' is readable by others (mode %03o); "
		        "chmod 600 it\n", path, (unsigned)(st.st_mode & 0777));
		return PORTEN_ERR_INVALID;
	}
	if ((r = porten_file_read(path, PORTEN_SEAL_SECRET_MAX + 1, &data, &len)) != 0) {
		fprintf(stderr, "porten authz: cannot read --keys-secret '%s': %s\n", path, porten_strerror(r));
		return r;
	}
	r = porten_seal_key(data, len, key);
	if (r != 0)
		fprintf(stderr, "porten authz: --keys-secret '%s' must hold %d to %d bytes\n", path,
		        PORTEN_SEAL_SECRET_MIN, PORTEN_SEAL_SECRET_MAX);
	porten_wipe(data, len);
	free(data);
	return r;
}

struct authz_running {
	porten_store *store;
	porten_trust *trust;
	porten_authz *az;
	porten_http *http;
	char *cert_pem, *key_pem;
};

void
authz_stop(struct authz_running *h)
{
	if (h == NULL)
		return;
	porten_http_stop(h->http);
	porten_authz_free(h->az);
	porten_trust_free(h->trust);
	porten_store_close(h->store);
	server_tls_free(h->cert_pem, h->key_pem);
	free(h);
}

int
authz_start(const struct authz_opts *o, struct authz_running **out, char *url, size_t urlsz)
{
	struct porten_authz_config cfg;
	struct porten_http_config hc;
	struct authz_running *h;
	char host[256], uri[PATH_MAX + 16], keydir[PATH_MAX], errbuf[4096];
	unsigned char seal[PORTEN_SEAL_KEY_SIZE];
	bool keys_in_db = o->db != NULL && (strncmp(o->db, "postgresql://", 13) == 0 ||
	                                    strncmp(o->db, "postgres://", 11) == 0);
	unsigned port;
	size_t changed;
	int r, ex = PORTEN_EXIT_FAILURE;

	*out = NULL;
	if ((r = opts_log_level("porten authz", o->log_level, -1)) != 0)
		return r;
	if (o->listen == NULL || o->issuer == NULL || (o->data == NULL && o->db == NULL)) {
		fprintf(stderr, "porten authz: --listen, --issuer and --data (or --db) are required; see 'porten authz --help'\n");
		return PORTEN_EXIT_USAGE;
	}
	if (opts_host_port(o->listen, host, sizeof(host), &port) != 0) {
		fprintf(stderr, "porten authz: --listen must be HOST:PORT, got '%s'\n", o->listen);
		return PORTEN_EXIT_USAGE;
	}
	if (strncmp(o->issuer, "https://", 8) != 0 && strncmp(o->issuer, "http://", 7) != 0) {
		fprintf(stderr, "porten authz: --issuer must be an http(s) URL such as https://test.maskinporten.no/, got '%s'\n", o->issuer);
		return PORTEN_EXIT_USAGE;
	}
	if (o->data == NULL && !o->plain_http && o->tls_cert == NULL) {
		fprintf(stderr, "porten authz: without --data, give --tls-cert and --tls-key or --plain-http\n");
		return PORTEN_EXIT_USAGE;
	}
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		fprintf(stderr, "porten authz: --tls-cert and --tls-key go together\n");
		return PORTEN_EXIT_USAGE;
	}
	if (o->token_lifetime < 0 || o->token_lifetime > PORTEN_TOKEN_LIFETIME_MAX) {
		fprintf(stderr, "porten authz: --token-lifetime must be 1 to %d seconds\n", PORTEN_TOKEN_LIFETIME_MAX);
		return PORTEN_EXIT_USAGE;
	}
	if (keys_in_db && (r = load_keys_secret(o->keys_secret, seal)) != 0)
		return r == PORTEN_ERR_USAGE ? PORTEN_EXIT_USAGE : PORTEN_EXIT_CONFIG;
	if (!keys_in_db && o->keys_secret != NULL) {
		fprintf(stderr, "porten authz: --keys-secret is for a PostgreSQL --db; other stores keep the keys in DIR/keys\n");
		return PORTEN_EXIT_USAGE;
	}
	if (o->fake_now > 0)
		porten_clock_pin(o->fake_now);
	if (o->data && porten_mkdirs(o->data, 0700) != 0) {
		fprintf(stderr, "porten authz: cannot create data directory '%s'\n", o->data);
		return PORTEN_EXIT_CONFIG;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		porten_wipe(seal, sizeof(seal));
		return PORTEN_EXIT_FAILURE;
	}
	if (o->db)
		snprintf(uri, sizeof(uri), "%s", o->db);
	else
		snprintf(uri, sizeof(uri), "sqlite:%s/authz.db", o->data);
	if ((r = porten_store_open(uri, &h->store)) != 0) {
		/* Never print a PostgreSQL URI: it may hold a password. */
		fprintf(stderr, "porten authz: cannot open store '%s': %s\n", keys_in_db ? "postgresql://..." : uri,
		        porten_strerror(r));
		ex = r == PORTEN_ERR_UNAVAILABLE ? PORTEN_EXIT_UNAVAILABLE : PORTEN_EXIT_CONFIG;
		goto fail;
	}
	if ((r = build_trust(o, &h->trust)) != 0) {
		ex = PORTEN_EXIT_CONFIG;
		goto fail;
	}
	if (o->seed) {
		if ((r = porten_authz_seed_file(h->store, o->seed, porten_now(), errbuf, sizeof(errbuf), &changed)) != 0) {
			fprintf(stderr, "porten authz: seed '%s' not loaded: %s\n", o->seed, errbuf);
			ex = PORTEN_EXIT_CONFIG;
			goto fail;
		}
		log_info("seed '%s': %zu document%s written", o->seed, changed, changed == 1 ? "" : "s");
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.issuer = o->issuer;
	snprintf(keydir, sizeof(keydir), "%s/keys", o->data ? o->data : ".");
	cfg.key_dir = keydir;
	cfg.store = h->store;
	cfg.keys_seal_key = keys_in_db ? seal : NULL;
	cfg.trust = h->trust;
	cfg.token_lifetime_default = o->token_lifetime;
	cfg.accept_aud_without_slash = o->aud_without_slash;
	cfg.omit_unspecified_aud = o->omit_unspecified_aud;
	cfg.strict_iat_window = o->strict_iat;
	cfg.clock_settable = o->fake_now > 0;
	r = porten_authz_new(&cfg, &h->az);
	porten_wipe(seal, sizeof(seal));
	if (r != 0) {
		fprintf(stderr, "porten authz: cannot set up signing keys in '%s': %s\n",
		        keys_in_db ? "the database" : keydir, porten_strerror(r));
		ex = PORTEN_EXIT_CONFIG;
		goto fail;
	}
	memset(&hc, 0, sizeof(hc));
	hc.host = host;
	hc.port = (uint16_t)port;
	hc.tls = !o->plain_http;
	hc.threads = (unsigned)o->threads;
	hc.server_name = "authz";
	hc.listen_fd = o->listen_fd;
	hc.have_listen_fd = o->have_listen_fd;
	if (hc.tls) {
		if ((ex = server_tls_load("porten authz", o->data, host, o->tls_cert, o->tls_key, &h->cert_pem, &h->key_pem)) != 0)
			goto fail;
		ex = PORTEN_EXIT_FAILURE;
		hc.tls_cert_pem = h->cert_pem;
		hc.tls_key_pem = h->key_pem;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((r = porten_http_start(&hc, porten_authz_routes, porten_authz_nroutes, porten_authz_http_error,
	                           h->az, &h->http)) != 0) {
		fprintf(stderr, "porten authz: cannot listen on %s: %s\n", o->listen,
		        r == PORTEN_ERR_EXISTS ? "the address is in use" : porten_strerror(r));
		goto fail;
	}
	snprintf(url, urlsz, "%s://%s%s%s:%u/", hc.tls ? "https" : "http",
	         strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", porten_http_port(h->http));
	log_info("authz: listening on %s issuer %s store %s", url, o->issuer, porten_store_backend(h->store));
	*out = h;
	return PORTEN_EXIT_OK;
fail:
	porten_wipe(seal, sizeof(seal));
	authz_stop(h);
	return ex;
}

int
authz_serve(const struct authz_opts *o, void (*on_ready)(const char *url, void *arg), void *arg)
{
	struct authz_running *h;
	char url[512];
	sigset_t stopset;
	int sig, ex;

	/* Block the stop signals before any thread exists; the main thread waits for them. */
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGINT);
	sigaddset(&stopset, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stopset, NULL);
	if ((ex = authz_start(o, &h, url, sizeof(url))) != PORTEN_EXIT_OK)
		return ex;
	if (on_ready)
		on_ready(url, arg);
	else {
		printf("porten authz: listening on %s\n", url);
		fflush(stdout);
	}
	while (sigwait(&stopset, &sig) != 0)
		;
	log_info("authz: stopping");
	authz_stop(h);
	return PORTEN_EXIT_OK;
}

int
cmd_authz(int argc, char **argv)
{
	struct authz_opts o;
	int r;

	memset(&o, 0, sizeof(o));
	if ((r = opts_parse(&authz_cmd, &o, argc, argv)) != 0)
		return r > 0 ? PORTEN_EXIT_OK : PORTEN_EXIT_USAGE;
	return authz_serve(&o, NULL, NULL);
}
