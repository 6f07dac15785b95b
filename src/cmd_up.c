/* porten up: the whole chain on one machine with embedded defaults (docs/up.md).
 *
 * A test PKI; Skatteetaten as owner of the folkeregister: prefix with every package
 * scope; an admin organisation; one demo consumer per rights package, each with an
 * enterprise certificate client and a registered-key client; porten authz and porten
 * freg (N synthetic persons, a live event simulator) over HTTPS in this one process;
 * DIR/sandbox.json (PRODUCT.md) with every URL and credential. A second run on the same
 * DIR reuses everything.
 *
 * Start time is the product's promise (under 3 s for 10 000 persons), so the two costly
 * parts run side by side: freg generates the population on its own thread while this one
 * makes the RSA keys (the TLS certificates are P-256, see docs/pki.md). The authz socket
 * is bound first, because its port is part of the issuer freg must trust. */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "porten/buf.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/http.h"
#include "porten/ident.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/pki.h"
#include "authz_serve.h"
#include "commands.h"
#include "freg_serve.h"
#include "opts.h"

#define UP_OFF(f) offsetof(struct up_opts, f)
#define UP_PERSONS_DEFAULT 10000
#define UP_SIMULATE_DEFAULT 6        /* events a minute: a live feed that stays readable */
#define UP_P12_PASSWORD "sandbox"

struct up_opts {
	const char *data, *authz_listen, *freg_listen, *log_level, *rng_seed;
	int persons, simulate, no_simulate, persons_set;
};

static const struct opt up_table[] = {
	{ "authz-listen", "HOST:PORT", OPT_STRING, UP_OFF(authz_listen), "where the authorization server listens (default 127.0.0.1:7443; port 0 picks a free one)" },
	{ "data", "DIR", OPT_STRING, UP_OFF(data), "sandbox directory, reused on restart (default ./porten-sandbox)" },
	{ "freg-listen", "HOST:PORT", OPT_STRING, UP_OFF(freg_listen), "where the register listens (default 127.0.0.1:7444; port 0 picks a free one)" },
	{ "log-level", "LEVEL", OPT_STRING, UP_OFF(log_level), "error, warn, info (one line per request) or debug (default warn)" },
	{ "no-simulate", NULL, OPT_FLAG, UP_OFF(no_simulate), "no live events: the feed only changes when you inject" },
	{ "persons", "N", OPT_INT, UP_OFF(persons), "synthetic persons in a new register (default 10000)" },
	{ "rng-seed", "N", OPT_STRING, UP_OFF(rng_seed), "seed of the population and the simulator (default 1)" },
	{ "simulate", "N", OPT_INT, UP_OFF(simulate), "life events a minute appended while running (default 6)" },
};

static const struct opt_cmd up_cmd = {
	"up", "[--data DIR] [--authz-listen HOST:PORT] [--freg-listen HOST:PORT] [--persons N]",
	"Starts the sandbox: a test PKI, Skatteetaten as owner of the folkeregister: scopes, an\n"
	"admin organisation, one demo consumer per rights package (an enterprise-certificate\n"
	"client and a registered-key client each), the Maskinporten-compatible authorization\n"
	"server and the Folkeregisteret-compatible register with a synthetic population and\n"
	"live events, both over HTTPS. Writes DIR/sandbox.json with the URLs, the CA to trust\n"
	"and every credential, and prints next steps. Stop with Ctrl-C or SIGTERM; a restart\n"
	"on the same DIR reuses it (docs/up.md).",
	up_table, sizeof(up_table) / sizeof(up_table[0]),
};

/* Organisations of the sandbox. Skatteetaten and Digdir are the real owners of the
 * folkeregister: and idporten: prefixes; the consumers' numbers are valid test numbers. */
#define ORG_SKATTEETATEN "974761076"
#define ORG_DIGDIR "991825827"

/* One demo consumer per package, in the order of spec/folkeregisteret.md. */
static const struct demo_kind {
	const char *package, *name;
} kinds[] = {
	{ "offentligmedhjemmel", "Demo kommune" },
	{ "offentligutenhjemmel", "Demo statsetat" },
	{ "privatutenhjemmel", "Demo forsikring" },
	{ "privat", "Demo handel" },
	{ "privatutenfolkeregisteridentifikator", "Demo handel uten fnr" },
	{ "finans", "Demo bank" },
	{ "presse", "Demo avis" },
	{ "presseutenfolkeregisteridentifikator", "Demo avis uten fnr" },
	{ "utstedereid", "Demo eID" },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *const admin_scopes[] = {
	"idporten:scopes.write", "idporten:dcr.read", "idporten:dcr.write", "idporten:dcr.modify",
	"idporten:dcr.supplier", "porten:admin", "porten:delegations.write",
};
#define N_ADMIN_SCOPES (sizeof(admin_scopes) / sizeof(admin_scopes[0]))

struct demo {
	const struct demo_kind *kind;
	char orgno[10];
	char dir[PATH_MAX + 64];     /* DIR/consumers/<package> */
	char client_cert[96], client_key[96], kid[112];
	json_t *jwk;                 /* the registered public key */
};

struct sandbox {
	char dir[PATH_MAX];
	char issuer[300], authz_url[512], freg_url[512];
	struct demo demo[N_KINDS];
	int persons, simulate;
};

static void
path_in(char *out, size_t sz, const char *dir, const char *name)
{
	int n = snprintf(out, sz, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= sz)
		out[0] = '\0';              /* a path longer than PATH_MAX fails where it is opened */
}

/* The first valid organisation number at or after base (8 digits + check digit). */
static void
orgno_at(unsigned base, char out[10])
{
	for (;; base++) {
		snprintf(out, 10, "%08u0", base);
		for (int k = 0; k <= 9; k++) {
			out[8] = (char)('0' + k);
			if (porten_orgno_valid(out, 9))
				return;
		}
	}
}

static int
write_json(const char *path, json_t *doc, unsigned mode)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int r;

	if (s == NULL)
		return PORTEN_ERR_NOMEM;
	r = porten_file_write_atomic(path, s, strlen(s), mode);
	free(s);
	return r;
}

static json_t *
scope_array(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The scopes a demo consumer holds: its package's, and for offentlig med hjemmel also
 * the first scope made for it, which Skatteetaten's own page still uses. */
static json_t *
demo_scopes(const struct demo *d)
{
	json_t *a = json_array();
	char s[128];

	snprintf(s, sizeof(s), "folkeregister:deling/%s", d->kind->package);
	json_array_append_new(a, json_string(s));
	if (strcmp(d->kind->package, "offentligmedhjemmel") == 0)
		json_array_append_new(a, json_string("skatteetaten:medhjemmel"));
	return a;
}

/* A demo consumer's certificate (and PKCS#12) and registered key, made once. The
 * registered key is the certificate's key pair published as a JWK: one RSA key per
 * organisation instead of two halves porten up's first start (docs/up.md). */
static int
demo_material(const char *pkidir, struct demo *d)
{
	char prefix[PATH_MAX + 16], keypath[PATH_MAX + 32], jwkpath[PATH_MAX + 32];
	struct porten_pki_leaf leaf;
	porten_key *key = NULL;
	char *pem = NULL;
	size_t len = 0;
	json_error_t je;
	int r;

	if ((r = porten_mkdirs(d->dir, 0700)) != 0)
		return r;
	path_in(prefix, sizeof(prefix), d->dir, "certificate");
	path_in(keypath, sizeof(keypath), d->dir, "certificate-key.pem");
	path_in(jwkpath, sizeof(jwkpath), d->dir, "key.jwk.json");
	if (access(keypath, R_OK) != 0) {
		memset(&leaf, 0, sizeof(leaf));
		leaf.orgno = d->orgno;
		leaf.org_name = d->kind->name;
		leaf.p12_password = UP_P12_PASSWORD;
		if ((r = porten_pki_issue(pkidir, &leaf, prefix)) != 0)
			return r;
		unlink(jwkpath);
	}
	if ((d->jwk = json_load_file(jwkpath, JSON_REJECT_DUPLICATES, &je)) != NULL)
		return 0;
	if ((r = porten_file_read(keypath, PORTEN_CLIENT_CONFIG_MAX, &pem, &len)) != 0 ||
	    (r = porten_key_from_pem(pem, len, &key)) != 0 ||
	    (r = porten_key_to_jwk(key, d->kid, &d->jwk)) != 0)
		goto out;
	json_object_set_new(d->jwk, "use", json_string("sig"));
	json_object_set_new(d->jwk, "alg", json_string("RS256"));
	r = write_json(jwkpath, d->jwk, 0644);
out:
	if (pem != NULL) {
		porten_wipe(pem, len);
		free(pem);
	}
	porten_key_unref(key);
	return r;
}

static json_t *
build_authz_seed(const struct sandbox *sb)
{
	json_t *scopes = json_array(), *access = json_array(), *clients = json_array();
	char name[128], desc[160], cname[160];
	size_t i, j;

	for (i = 0; i < N_KINDS; i++) {
		snprintf(name, sizeof(name), "deling/%s", kinds[i].package);
		snprintf(desc, sizeof(desc), "Folkeregisteret: rettighetspakke %s", kinds[i].package);
		json_array_append_new(scopes, json_pack("{s:s,s:s,s:s,s:s,s:[s],s:s}", "prefix", "folkeregister",
			"subscope", name, "description", desc, "owner_orgno", ORG_SKATTEETATEN,
			"allowed_integration_types", "maskinporten", "delegation_source", "https://tt02.altinn.no/"));
	}
	/* The first scope made for offentlig med hjemmel, used by Skatteetaten's own page. */
	json_array_append_new(scopes, json_pack("{s:s,s:s,s:s,s:s,s:[s]}", "prefix", "skatteetaten",
		"subscope", "medhjemmel", "description", "Folkeregisteret offentlig med hjemmel (old name)",
		"owner_orgno", ORG_SKATTEETATEN, "allowed_integration_types", "maskinporten"));
	for (i = 0; i < N_ADMIN_SCOPES; i++) {
		json_array_append_new(scopes, json_pack("{s:s,s:s,s:s,s:[s],s:s}", "name", admin_scopes[i],
			"description", "Maskinporten self-service administration", "owner_orgno", ORG_DIGDIR,
			"allowed_integration_types", "maskinporten", "visibility", "PRIVATE"));
		json_array_append_new(access, json_pack("{s:s,s:s}", "scope", admin_scopes[i],
		                                        "consumer_orgno", ORG_SKATTEETATEN));
	}
	json_array_append_new(clients, json_pack("{s:s,s:s,s:s,s:o}", "client_id", "sandbox-admin",
		"client_name", "Skatteetaten admin (sandbox)", "client_orgno", ORG_SKATTEETATEN,
		"scopes", scope_array(admin_scopes, N_ADMIN_SCOPES)));
	for (i = 0; i < N_KINDS; i++) {
		const struct demo *d = &sb->demo[i];
		json_t *sc = demo_scopes(d), *v;

		json_array_foreach(sc, j, v)
			json_array_append_new(access, json_pack("{s:O,s:s}", "scope", v, "consumer_orgno", d->orgno));
		snprintf(cname, sizeof(cname), "%s, enterprise certificate", d->kind->name);
		json_array_append_new(clients, json_pack("{s:s,s:s,s:s,s:O}", "client_id", d->client_cert,
			"client_name", cname, "client_orgno", d->orgno, "scopes", sc));
		snprintf(cname, sizeof(cname), "%s, registered key", d->kind->name);
		json_array_append_new(clients, json_pack("{s:s,s:s,s:s,s:O,s:{s:[O]}}", "client_id", d->client_key,
			"client_name", cname, "client_orgno", d->orgno, "scopes", sc, "jwks", "keys", d->jwk));
		json_decref(sc);
	}
	return json_pack("{s:o,s:o,s:o,s:[]}", "scopes", scopes, "access", access, "clients", clients,
	                 "delegations");
}

static json_t *
build_freg_seed(const struct sandbox *sb)
{
	json_t *list = json_array();

	for (size_t i = 0; i < N_KINDS; i++)
		json_array_append_new(list, json_pack("{s:s,s:[s]}", "orgno", sb->demo[i].orgno, "packages",
		                                      sb->demo[i].kind->package));
	return json_pack("{s:o}", "consumers", list);
}

static json_t *
build_description(const struct sandbox *sb)
{
	char p[6][PATH_MAX + 64];
	json_t *consumers = json_array();

	for (size_t i = 0; i < N_KINDS; i++) {
		const struct demo *d = &sb->demo[i];

		path_in(p[0], sizeof(p[0]), d->dir, "certificate.pem");
		path_in(p[1], sizeof(p[1]), d->dir, "certificate-key.pem");
		path_in(p[2], sizeof(p[2]), d->dir, "certificate.p12");
		path_in(p[3], sizeof(p[3]), d->dir, "key.jwk.json");
		json_array_append_new(consumers, json_pack("{s:s,s:s,s:[s],s:o,"
			"s:{s:s,s:s,s:s,s:s,s:s},s:{s:s,s:s,s:s,s:s}}",
			"name", d->kind->name, "orgno", d->orgno, "packages", d->kind->package,
			"scopes", demo_scopes(d),
			"certificate_client", "client_id", d->client_cert, "certificate", p[0], "private_key", p[1],
			"pkcs12", p[2], "pkcs12_password", UP_P12_PASSWORD,
			"key_client", "client_id", d->client_key, "kid", d->kid, "jwk", p[3], "private_key", p[1]));
	}
	path_in(p[4], sizeof(p[4]), sb->dir, "tls/ca.pem");
	path_in(p[0], sizeof(p[0]), sb->dir, "admin.pem");
	path_in(p[1], sizeof(p[1]), sb->dir, "admin-key.pem");
	return json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:o},s:o}",
		"authz_url", sb->authz_url, "freg_url", sb->freg_url, "issuer", sb->issuer, "ca_bundle", p[4],
		"admin", "orgno", ORG_SKATTEETATEN, "client_id", "sandbox-admin", "certificate", p[0],
		"private_key", p[1], "scopes", scope_array(admin_scopes, N_ADMIN_SCOPES),
		"consumers", consumers);
}

/* Credentials of demo[from..to), on a thread of their own for half of them when there
 * are CPUs to spare: an RSA key is 0.1-0.2 s of one CPU, and there are nine. */
struct demo_job {
	const char *pkidir;
	struct demo *demo;
	size_t from, to, failed;
	int r;
};

static void *
demo_main(void *arg)
{
	struct demo_job *j = arg;

	for (size_t i = j->from; i < j->to; i++)
		if ((j->r = demo_material(j->pkidir, &j->demo[i])) != 0) {
			j->failed = i;
			break;
		}
	return NULL;
}

/* ---- the register's start, on its own thread ---- */

struct freg_start_job {
	struct freg_opts o;
	struct freg_running *h;
	char url[512];
	int ex;
};

static void *
freg_start_main(void *arg)
{
	struct freg_start_job *j = arg;

	j->ex = freg_start(&j->o, &j->h, j->url, sizeof(j->url));
	return NULL;
}

/* How the reader should call this porten: "porten" when that is what PATH finds,
 * else the absolute path of this executable, so the next steps can be pasted as they are. */
static void
self_name(char *out, size_t sz)
{
	char exe[PATH_MAX], cand[PATH_MAX], real[PATH_MAX];
	const char *path = getenv("PATH");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	snprintf(out, sz, "porten");
	if (n <= 0)
		return;
	exe[n] = '\0';
	while (path != NULL && *path != '\0') {
		const char *colon = strchr(path, ':');
		int len = colon != NULL ? (int)(colon - path) : (int)strlen(path);

		if (len > 0 && snprintf(cand, sizeof(cand), "%.*s/porten", len, path) < (int)sizeof(cand) &&
		    access(cand, X_OK) == 0) {
			if (realpath(cand, real) != NULL && strcmp(real, exe) == 0)
				return;
			break;                   /* PATH finds another porten first */
		}
		path = colon != NULL ? colon + 1 : NULL;
	}
	snprintf(out, sz, "%s", exe);
}

static void
print_ready(const struct sandbox *sb, const char *pid, double secs)
{
	char ca[PATH_MAX + 16], json[PATH_MAX + 16], self[PATH_MAX];

	self_name(self, sizeof(self));

	path_in(ca, sizeof(ca), sb->dir, "tls/ca.pem");
	path_in(json, sizeof(json), sb->dir, "sandbox.json");
	printf("porten up: sandbox ready in %.2f s\n"
	       "  Maskinporten     %s  (issuer %s)\n"
	       "  Folkeregisteret  %s  (%d persons, %d new events a minute)\n"
	       "  trust this CA    %s\n"
	       "  credentials      %s\n"
	       "  consumers        one per rights package, e.g. --consumer offentligmedhjemmel, finans, privat\n\n"
	       "Next steps (in another terminal):\n"
	       "  export PORTEN_SANDBOX=%s\n"
	       "  %s token                                  # an access token for Demo kommune\n"
	       "  %s feed --max-events 5                    # the first events of its feed\n"
	       "  %s feed --follow --pointer feed.pos       # follow it, resumable\n"
	       "  %s person %s --part navn         # look a person up\n"
	       "  curl --cacert %s %s.well-known/oauth-authorization-server\n"
	       "Stop with Ctrl-C.\n",
	       secs, sb->authz_url, sb->issuer, sb->freg_url, sb->persons, sb->simulate, ca, json,
	       json, self, self, self, self, pid, ca, sb->authz_url);
	fflush(stdout);
}

static int
parse_listen(const char *what, const char *s, char *host, size_t hostsz, unsigned *port)
{
	if (opts_host_port(s, host, hostsz, port) != 0) {
		fprintf(stderr, "porten up: --%s must be HOST:PORT, got '%s'\n", what, s);
		return -1;
	}
	return 0;
}

int
cmd_up(int argc, char **argv)
{
	int64_t t0 = porten_mono_ns();
	struct up_opts o;
	struct authz_opts ao;
	struct sandbox *sb = NULL;
	struct freg_start_job fj;
	struct authz_running *az = NULL;
	struct porten_pki_leaf leaf;
	char pkidir[PATH_MAX + 8], path[PATH_MAX + 64], authz_seed[PATH_MAX + 32], freg_seed[PATH_MAX + 32];
	char authzdir[PATH_MAX + 8], fregdir[PATH_MAX + 8], host[256], fhost[256], listen_s[300];
	char *cert = NULL, *key = NULL, *ca = NULL, *anchors = NULL, *inter = NULL, *crl = NULL;
	json_t *doc = NULL;
	pthread_t fth;
	bool freg_thread = false;
	sigset_t stopset;
	unsigned port, fport;
	uint16_t bound = 0;
	uint16_t fbound = 0;
	int fd = -1, ffd = -1, sig, r, ex = PORTEN_EXIT_CONFIG;

	memset(&o, 0, sizeof(o));
	memset(&fj, 0, sizeof(fj));
	o.persons = -1;
	o.simulate = -1;
	if ((r = opts_parse(&up_cmd, &o, argc, argv)) != 0)
		return r > 0 ? PORTEN_EXIT_OK : PORTEN_EXIT_USAGE;
	if ((r = opts_log_level("porten up", o.log_level, PORTEN_LOG_WARN)) != 0)
		return r;
	if (o.persons < 0)
		o.persons = UP_PERSONS_DEFAULT;
	if (o.persons > PORTEN_GEN_PERSONS_MAX) {
		fprintf(stderr, "porten up: --persons must be at most %d\n", PORTEN_GEN_PERSONS_MAX);
		return PORTEN_EXIT_USAGE;
	}
	if (o.simulate < 0)
		o.simulate = UP_SIMULATE_DEFAULT;
	if (o.no_simulate)
		o.simulate = 0;
	if (o.authz_listen == NULL)
		o.authz_listen = "127.0.0.1:7443";
	if (o.freg_listen == NULL)
		o.freg_listen = "127.0.0.1:7444";
	if (parse_listen("authz-listen", o.authz_listen, host, sizeof(host), &port) != 0 ||
	    parse_listen("freg-listen", o.freg_listen, fhost, sizeof(fhost), &fport) != 0)
		return PORTEN_EXIT_USAGE;
	if ((sb = calloc(1, sizeof(*sb))) == NULL)
		return PORTEN_EXIT_FAILURE;
	sb->persons = o.persons;
	sb->simulate = o.simulate;
	if (porten_mkdirs(o.data ? o.data : "porten-sandbox", 0700) != 0 ||
	    realpath(o.data ? o.data : "porten-sandbox", sb->dir) == NULL) {
		fprintf(stderr, "porten up: cannot create the sandbox directory '%s'\n", o.data ? o.data : "porten-sandbox");
		goto out;
	}
	/* Stop signals go to this thread only: block them before any thread exists. */
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGINT);
	sigaddset(&stopset, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stopset, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The authz port is part of the issuer: bind it now. */
	if ((r = porten_http_listen(host, (uint16_t)port, &fd, &bound)) != 0) {
		fprintf(stderr, "porten up: cannot listen on %s: %s; choose another with --authz-listen\n",
		        o.authz_listen, r == PORTEN_ERR_EXISTS ? "the address is in use (porten up running already?)"
		                                               : porten_strerror(r));
		ex = PORTEN_EXIT_FAILURE;
		goto out;
	}
	if ((r = porten_http_listen(fhost, (uint16_t)fport, &ffd, &fbound)) != 0) {
		fprintf(stderr, "porten up: cannot listen on %s: %s; choose another with --freg-listen\n",
		        o.freg_listen, r == PORTEN_ERR_EXISTS ? "the address is in use (porten up running already?)"
		                                              : porten_strerror(r));
		ex = PORTEN_EXIT_FAILURE;
		goto out;
	}
	snprintf(sb->issuer, sizeof(sb->issuer), "https://%s:%u/",
	         strcmp(host, "127.0.0.1") == 0 || strcmp(host, "0.0.0.0") == 0 ? "localhost" : host, bound);
	snprintf(sb->authz_url, sizeof(sb->authz_url), "https://%s%s%s:%u/", strchr(host, ':') ? "[" : "",
	         strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host, strchr(host, ':') ? "]" : "", bound);
	if ((r = porten_pki_server_tls(sb->dir, strcmp(host, "0.0.0.0") ? host : NULL, &cert, &key, &ca)) != 0) {
		fprintf(stderr, "porten up: cannot create TLS certificates in '%s/tls': %s\n", sb->dir, porten_strerror(r));
		goto out;
	}
	for (size_t i = 0; i < N_KINDS; i++) {
		struct demo *d = &sb->demo[i];

		d->kind = &kinds[i];
		orgno_at(31000000u + 100u * (unsigned)i, d->orgno);
		snprintf(d->dir, sizeof(d->dir), "%s/consumers/%s", sb->dir, kinds[i].package);
		snprintf(d->client_cert, sizeof(d->client_cert), "demo-%s-cert", kinds[i].package);
		snprintf(d->client_key, sizeof(d->client_key), "demo-%s-key", kinds[i].package);
		snprintf(d->kid, sizeof(d->kid), "demo-%s-key-1", kinds[i].package);
	}
	snprintf(freg_seed, sizeof(freg_seed), "%s/freg-seed.json", sb->dir);
	if ((doc = build_freg_seed(sb)) == NULL || write_json(freg_seed, doc, 0644) != 0) {
		fprintf(stderr, "porten up: cannot write '%s'\n", freg_seed);
		goto out;
	}
	json_decref(doc);
	doc = NULL;

	/* The register starts (and on the first run generates its population) meanwhile. */
	snprintf(fregdir, sizeof(fregdir), "%s/freg", sb->dir);
	fj.o.listen = o.freg_listen;
	fj.o.issuer = sb->issuer;
	fj.o.issuer_url = sb->authz_url;
	fj.o.ca_bundle = ca;
	fj.o.data = fregdir;
	fj.o.seed = freg_seed;
	fj.o.tls_cert = cert;
	fj.o.tls_key = key;
	fj.o.persons = o.persons;
	fj.o.simulate = o.simulate;
	fj.o.rng_seed = o.rng_seed;
	fj.o.log_level = o.log_level;
	fj.o.quiet = 1;
	fj.o.listen_fd = ffd;
	fj.o.have_listen_fd = 1;
	ffd = -1;                    /* the register owns it now, also when it fails */
	if (access(fregdir, F_OK) != 0 && o.persons > 0)
		fprintf(stderr, "porten up: first start in %s: making keys and %d persons...\n", sb->dir, o.persons);
	if (pthread_create(&fth, NULL, freg_start_main, &fj) != 0) {
		fprintf(stderr, "porten up: cannot start a thread\n");
		ex = PORTEN_EXIT_FAILURE;
		goto out;
	}
	freg_thread = true;

	snprintf(pkidir, sizeof(pkidir), "%s/pki", sb->dir);
	if ((r = porten_pki_init(pkidir)) != 0) {
		fprintf(stderr, "porten up: cannot create the test PKI in '%s': %s\n", pkidir, porten_strerror(r));
		goto join;
	}
	path_in(path, sizeof(path), sb->dir, "admin-key.pem");
	if (access(path, R_OK) != 0) {
		char prefix[PATH_MAX + 16];

		memset(&leaf, 0, sizeof(leaf));
		leaf.orgno = ORG_SKATTEETATEN;
		leaf.org_name = "SKATTEETATEN";
		path_in(prefix, sizeof(prefix), sb->dir, "admin");
		if ((r = porten_pki_issue(pkidir, &leaf, prefix)) != 0) {
			fprintf(stderr, "porten up: cannot issue the admin certificate: %s\n", porten_strerror(r));
			goto join;
		}
	}
	{
		struct demo_job half[2] = {
			{ pkidir, sb->demo, 0, N_KINDS / 2, 0, 0 },
			{ pkidir, sb->demo, N_KINDS / 2, N_KINDS, 0, 0 },
		};
		pthread_t th;
		/* The population has a thread of its own; a second key thread only helps when a
		 * third CPU is there to run it (on two it slows the population, the longer part). */
		bool two = sysconf(_SC_NPROCESSORS_ONLN) >= 3 && pthread_create(&th, NULL, demo_main, &half[1]) == 0;

		demo_main(&half[0]);
		if (two)
			pthread_join(th, NULL);
		else
			demo_main(&half[1]);
		for (int k = 0; k < 2; k++)
			if (half[k].r != 0) {
				fprintf(stderr, "porten up: cannot make the credentials of %s in '%s': %s\n",
				        kinds[half[k].failed].name, sb->demo[half[k].failed].dir, porten_strerror(half[k].r));
				goto join;
			}
	}
	snprintf(authz_seed, sizeof(authz_seed), "%s/authz-seed.json", sb->dir);
	if ((doc = build_authz_seed(sb)) == NULL || write_json(authz_seed, doc, 0644) != 0) {
		fprintf(stderr, "porten up: cannot write '%s'\n", authz_seed);
		goto join;
	}
	json_decref(doc);
	doc = NULL;
	path_in(path, sizeof(path), pkidir, "root.pem");
	anchors = strdup(path);
	path_in(path, sizeof(path), pkidir, "intermediate.pem");
	inter = strdup(path);
	path_in(path, sizeof(path), pkidir, "crl.pem");
	crl = strdup(path);
	memset(&ao, 0, sizeof(ao));
	snprintf(listen_s, sizeof(listen_s), "%s", o.authz_listen);
	ao.listen = listen_s;
	ao.issuer = sb->issuer;
	snprintf(authzdir, sizeof(authzdir), "%s/authz", sb->dir);
	ao.data = authzdir;
	ao.seed = authz_seed;
	ao.log_level = o.log_level;
	ao.trust_anchors = anchors;
	ao.intermediates = inter;
	ao.crl.v[ao.crl.n++] = crl;
	ao.tls_cert = cert;
	ao.tls_key = key;
	ao.listen_fd = fd;
	ao.have_listen_fd = 1;
	fd = -1;                     /* the server owns it now, also when it fails */
	ex = authz_start(&ao, &az, path, sizeof(path));
join:
	pthread_join(fth, NULL);
	freg_thread = false;
	if (fj.ex != PORTEN_EXIT_OK) {
		ex = fj.ex;
		goto out;
	}
	if (ex != PORTEN_EXIT_OK || az == NULL) {
		if (ex == PORTEN_EXIT_OK)
			ex = PORTEN_EXIT_CONFIG;
		goto out;
	}
	snprintf(sb->freg_url, sizeof(sb->freg_url), "%s", fj.url);
	path_in(path, sizeof(path), sb->dir, "sandbox.json");
	if ((doc = build_description(sb)) == NULL || write_json(path, doc, 0600) != 0) {
		fprintf(stderr, "porten up: cannot write '%s'\n", path);
		ex = PORTEN_EXIT_CONFIG;
		goto out;
	}
	{
		char pid[12] = "ID";

		if (freg_running_example_pid(fj.h, pid) != 0)
			snprintf(pid, sizeof(pid), "ID");
		print_ready(sb, pid, (double)(porten_mono_ns() - t0) / 1e9);
	}
	while (sigwait(&stopset, &sig) != 0)
		;
	fprintf(stderr, "porten up: stopping\n");
	ex = PORTEN_EXIT_OK;
out:
	if (freg_thread)
		pthread_join(fth, NULL);
	freg_stop(fj.h);
	authz_stop(az);
	if (fd >= 0)
		close(fd);
	if (ffd >= 0)
		close(ffd);
	for (size_t i = 0; sb != NULL && i < N_KINDS; i++)
		json_decref(sb->demo[i].jwk);
	json_decref(doc);
	free(sb);
	free(cert);
	free(key);
	free(ca);
	free(anchors);
	free(inter);
	free(crl);
	return ex;
}
