/* porten up: the sandbox on one machine with embedded defaults.
 *
 * This first version starts the Maskinporten side: a test PKI, an admin organisation,
 * Skatteetaten as owner of the folkeregister: prefix with every package scope, a demo
 * consumer with an enterprise certificate client and a registered-key client, and
 * porten authz over HTTPS. It writes DIR/sandbox.json (PRODUCT.md); freg_url is null
 * until the register is part of the sandbox. Rerunning on the same DIR reuses it. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "porten/authz.h"
#include "porten/buf.h"
#include "porten/error.h"
#include "porten/ident.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/pki.h"
#include "authz_serve.h"
#include "commands.h"
#include "opts.h"

#define UP_OFF(f) offsetof(struct up_opts, f)

struct up_opts {
	const char *data;
	const char *authz_listen;
	const char *log_level;
};

static const struct opt up_table[] = {
	{ "authz-listen", "HOST:PORT", OPT_STRING, UP_OFF(authz_listen), "where the authorization server listens (default 127.0.0.1:7443)" },
	{ "data", "DIR", OPT_STRING, UP_OFF(data), "sandbox directory, reused on restart (default ./porten-sandbox)" },
	{ "log-level", "LEVEL", OPT_STRING, UP_OFF(log_level), "error, warn, info or debug (default info)" },
};

static const struct opt_cmd up_cmd = {
	"up", "[--data DIR] [--authz-listen HOST:PORT]",
	"Starts the sandbox: a test PKI, demo organisations and clients, and the\n"
	"Maskinporten-compatible authorization server over HTTPS. Writes DIR/sandbox.json\n"
	"with URLs, the CA to trust and every credential. Stop with Ctrl-C.",
	up_table, sizeof(up_table) / sizeof(up_table[0]),
};

/* Organisations of the sandbox. Skatteetaten and Digdir are the real owners of the
 * folkeregister: and idporten: prefixes; the consumers' numbers are valid test numbers. */
#define ORG_SKATTEETATEN "974761076"
#define ORG_DIGDIR "991825827"

static const char *const packages[] = {
	"offentligmedhjemmel", "offentligutenhjemmel", "privatutenhjemmel", "privat",
	"privatutenfolkeregisteridentifikator", "finans", "presse",
	"presseutenfolkeregisteridentifikator", "utstedereid",
};
static const char *const admin_scopes[] = {
	"idporten:scopes.write", "idporten:dcr.read", "idporten:dcr.write", "idporten:dcr.modify",
	"idporten:dcr.supplier", "porten:admin", "porten:delegations.write",
};
#define N_ADMIN_SCOPES (sizeof(admin_scopes) / sizeof(admin_scopes[0]))

static json_t *
admin_scope_array(void)
{
	json_t *a = json_array();

	for (size_t i = 0; i < N_ADMIN_SCOPES; i++)
		json_array_append_new(a, json_string(admin_scopes[i]));
	return a;
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

static char *
abspath(const char *dir, const char *name)
{
	char buf[PATH_MAX * 2];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return strdup(buf);
}

struct sandbox {
	char dir[PATH_MAX];
	char consumer_orgno[10];
	char url[256];
	const char *issuer;
};

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

/* The registered-key client's key, generated once. */
static int
key_client_material(const char *dir, json_t **jwk_out)
{
	char *keypath = abspath(dir, "consumer-key.pem"), *jwkpath = abspath(dir, "consumer-key.jwk.json");
	porten_key *key = NULL;
	char *pem = NULL;
	json_t *jwk = NULL;
	json_error_t je;
	int r;

	if ((jwk = json_load_file(jwkpath, JSON_REJECT_DUPLICATES, &je)) != NULL) {
		*jwk_out = jwk;
		jwk = NULL;
		r = 0;
		goto out;
	}
	if ((r = porten_key_generate_rsa(2048, &key)) != 0 || (r = porten_key_private_pem(key, &pem)) != 0 ||
	    (r = porten_file_write_atomic(keypath, pem, strlen(pem), 0600)) != 0 ||
	    (r = porten_key_to_jwk(key, "sandbox-consumer-key-1", &jwk)) != 0)
		goto out;
	json_object_set_new(jwk, "use", json_string("sig"));
	json_object_set_new(jwk, "alg", json_string("RS256"));
	if ((r = write_json(jwkpath, jwk, 0644)) != 0)
		goto out;
	*jwk_out = jwk;
	jwk = NULL;
	r = 0;
out:
	if (pem) {
		porten_wipe(pem, strlen(pem));
		free(pem);
	}
	json_decref(jwk);
	porten_key_unref(key);
	free(keypath);
	free(jwkpath);
	return r;
}

static json_t *
build_seed(const struct sandbox *sb, const json_t *jwk)
{
	json_t *scopes = json_array(), *access = json_array(), *clients = json_array(), *pkg = json_array();
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(packages) / sizeof(packages[0]); i++) {
		char desc[160];

		snprintf(name, sizeof(name), "deling/%s", packages[i]);
		snprintf(desc, sizeof(desc), "Folkeregisteret: rettighetspakke %s", packages[i]);
		json_array_append_new(scopes, json_pack("{s:s,s:s,s:s,s:s,s:[s],s:s}", "prefix", "folkeregister",
			"subscope", name, "description", desc, "owner_orgno", ORG_SKATTEETATEN,
			"allowed_integration_types", "maskinporten", "delegation_source", "https://tt02.altinn.no/"));
	}
	/* The first scope made for offentlig med hjemmel, used by Skatteetaten's own page. */
	json_array_append_new(scopes, json_pack("{s:s,s:s,s:s,s:s,s:[s]}", "prefix", "skatteetaten",
		"subscope", "medhjemmel", "description", "Folkeregisteret offentlig med hjemmel (old name)",
		"owner_orgno", ORG_SKATTEETATEN, "allowed_integration_types", "maskinporten"));
	for (i = 0; i < sizeof(admin_scopes) / sizeof(admin_scopes[0]); i++) {
		json_array_append_new(scopes, json_pack("{s:s,s:s,s:s,s:[s],s:s}", "name", admin_scopes[i],
			"description", "Maskinporten self-service administration", "owner_orgno", ORG_DIGDIR,
			"allowed_integration_types", "maskinporten", "visibility", "PRIVATE"));
		json_array_append_new(access, json_pack("{s:s,s:s}", "scope", admin_scopes[i],
		                                        "consumer_orgno", ORG_SKATTEETATEN));
	}
	json_array_append_new(access, json_pack("{s:s,s:s}", "scope", "folkeregister:deling/offentligmedhjemmel",
	                                        "consumer_orgno", sb->consumer_orgno));
	json_array_append_new(access, json_pack("{s:s,s:s}", "scope", "skatteetaten:medhjemmel",
	                                        "consumer_orgno", sb->consumer_orgno));
	json_array_append_new(pkg, json_string("folkeregister:deling/offentligmedhjemmel"));
	json_array_append_new(pkg, json_string("skatteetaten:medhjemmel"));
	json_array_append_new(clients, json_pack("{s:s,s:s,s:s,s:o}", "client_id", "sandbox-admin",
		"client_name", "Skatteetaten admin (sandbox)", "client_orgno", ORG_SKATTEETATEN,
		"scopes", admin_scope_array()));
	json_array_append_new(clients, json_pack("{s:s,s:s,s:s,s:O}", "client_id", "sandbox-consumer-cert",
		"client_name", "Demo kommune, enterprise certificate", "client_orgno", sb->consumer_orgno,
		"scopes", pkg));
	json_array_append_new(clients, json_pack("{s:s,s:s,s:s,s:O,s:{s:[O]}}", "client_id", "sandbox-consumer-key",
		"client_name", "Demo kommune, registered key", "client_orgno", sb->consumer_orgno,
		"scopes", pkg, "jwks", "keys", jwk));
	json_decref(pkg);
	return json_pack("{s:o,s:o,s:o,s:[]}", "scopes", scopes, "access", access, "clients", clients,
	                 "delegations");
}

static void
on_ready(const char *url, void *arg)
{
	struct sandbox *sb = arg;
	char path[PATH_MAX + 32];
	json_t *doc;
	char *p[12];

	p[0] = abspath(sb->dir, "tls/ca.pem");
	p[1] = abspath(sb->dir, "admin.pem");
	p[2] = abspath(sb->dir, "admin-key.pem");
	p[3] = abspath(sb->dir, "consumer.pem");
	p[4] = abspath(sb->dir, "consumer-key-cert.pem");
	p[5] = abspath(sb->dir, "consumer.p12");
	p[6] = abspath(sb->dir, "consumer-key.pem");
	p[7] = abspath(sb->dir, "consumer-key.jwk.json");
	doc = json_pack("{s:s,s:n,s:s,s:s,"
	                "s:{s:s,s:s,s:s,s:s,s:o},"
	                "s:[{s:s,s:s,s:[s],s:[s,s],"
	                "s:{s:s,s:s,s:s,s:s,s:s},s:{s:s,s:s,s:s,s:s}}]}",
	                "authz_url", url, "freg_url", "issuer", sb->issuer, "ca_bundle", p[0],
	                "admin", "orgno", ORG_SKATTEETATEN, "client_id", "sandbox-admin",
	                "certificate", p[1], "private_key", p[2],
	                "scopes", admin_scope_array(),
	                "consumers", "name", "Demo kommune", "orgno", sb->consumer_orgno,
	                "packages", "offentligmedhjemmel",
	                "scopes", "folkeregister:deling/offentligmedhjemmel", "skatteetaten:medhjemmel",
	                "certificate_client", "client_id", "sandbox-consumer-cert", "certificate", p[3],
	                "private_key", p[4], "pkcs12", p[5], "pkcs12_password", "sandbox",
	                "key_client", "client_id", "sandbox-consumer-key", "kid", "sandbox-consumer-key-1",
	                "jwk", p[7], "private_key", p[6]);
	snprintf(path, sizeof(path), "%s/sandbox.json", sb->dir);
	if (doc == NULL || write_json(path, doc, 0644) != 0)
		fprintf(stderr, "porten up: cannot write '%s'\n", path);
	printf("porten up: Maskinporten-compatible server ready at %s\n"
	       "  issuer      %s\n"
	       "  trust CA    %s\n"
	       "  credentials %s\n\n"
	       "Try it:\n"
	       "  curl --cacert %s %s.well-known/oauth-authorization-server\n"
	       "  curl --cacert %s %sjwk\n"
	       "Stop with Ctrl-C.\n", url, sb->issuer, p[0], path, p[0], url, p[0], url);
	fflush(stdout);
	json_decref(doc);
	for (int i = 0; i < 8; i++)
		free(p[i]);
}

int
cmd_up(int argc, char **argv)
{
	struct up_opts o;
	struct authz_opts ao;
	struct sandbox sb;
	struct porten_pki_leaf leaf;
	char pkidir[PATH_MAX + 8], prefix[PATH_MAX + 32], issuer[300], host[256], seedpath[PATH_MAX + 32];
	char *cert = NULL, *key = NULL, *anchors = NULL, *inter = NULL, *crl = NULL, *cpath = NULL;
	json_t *jwk = NULL, *seed = NULL;
	unsigned port;
	int r, ex = PORTEN_EXIT_CONFIG;

	memset(&o, 0, sizeof(o));
	if ((r = opts_parse(&up_cmd, &o, argc, argv)) != 0)
		return r > 0 ? PORTEN_EXIT_OK : PORTEN_EXIT_USAGE;
	memset(&sb, 0, sizeof(sb));
	if (porten_mkdirs(o.data ? o.data : "porten-sandbox", 0700) != 0 ||
	    realpath(o.data ? o.data : "porten-sandbox", sb.dir) == NULL) {
		fprintf(stderr, "porten up: cannot create the sandbox directory '%s'\n", o.data ? o.data : "porten-sandbox");
		return PORTEN_EXIT_CONFIG;
	}
	if (o.authz_listen == NULL)
		o.authz_listen = "127.0.0.1:7443";
	if (opts_host_port(o.authz_listen, host, sizeof(host), &port) != 0 || port == 0) {
		fprintf(stderr, "porten up: --authz-listen must be HOST:PORT with a fixed port, got '%s'\n", o.authz_listen);
		return PORTEN_EXIT_USAGE;
	}
	snprintf(issuer, sizeof(issuer), "https://%s:%u/",
	         strcmp(host, "127.0.0.1") == 0 || strcmp(host, "0.0.0.0") == 0 ? "localhost" : host, port);
	sb.issuer = issuer;
	orgno_at(31000000, sb.consumer_orgno);

	snprintf(pkidir, sizeof(pkidir), "%s/pki", sb.dir);
	if ((r = porten_pki_init(pkidir)) != 0) {
		fprintf(stderr, "porten up: cannot create the test PKI in '%s': %s\n", pkidir, porten_strerror(r));
		goto out;
	}
	memset(&leaf, 0, sizeof(leaf));
	snprintf(prefix, sizeof(prefix), "%s/admin", sb.dir);
	cpath = abspath(sb.dir, "admin.pem");
	if (access(cpath, R_OK) != 0) {
		leaf.orgno = ORG_SKATTEETATEN;
		leaf.org_name = "SKATTEETATEN";
		if ((r = porten_pki_issue(pkidir, &leaf, prefix)) != 0)
			goto pki_fail;
	}
	free(cpath);
	cpath = abspath(sb.dir, "consumer.pem");
	if (access(cpath, R_OK) != 0) {
		snprintf(prefix, sizeof(prefix), "%s/consumer", sb.dir);
		leaf.orgno = sb.consumer_orgno;
		leaf.org_name = "DEMO KOMMUNE";
		leaf.p12_password = "sandbox";
		if ((r = porten_pki_issue(pkidir, &leaf, prefix)) != 0)
			goto pki_fail;
		/* consumer-key.pem is the registered-key client's; the certificate's key is named apart. */
		char from[PATH_MAX + 40], to[PATH_MAX + 40];
		snprintf(from, sizeof(from), "%s/consumer-key.pem", sb.dir);
		snprintf(to, sizeof(to), "%s/consumer-key-cert.pem", sb.dir);
		if (rename(from, to) != 0) {
			fprintf(stderr, "porten up: cannot rename '%s'\n", from);
			goto out;
		}
	}
	if ((r = key_client_material(sb.dir, &jwk)) != 0) {
		fprintf(stderr, "porten up: cannot create the registered key: %s\n", porten_strerror(r));
		goto out;
	}
	seed = build_seed(&sb, jwk);
	snprintf(seedpath, sizeof(seedpath), "%s/authz-seed.json", sb.dir);
	if (seed == NULL || write_json(seedpath, seed, 0644) != 0) {
		fprintf(stderr, "porten up: cannot write '%s'\n", seedpath);
		goto out;
	}
	if ((r = porten_pki_server_tls(sb.dir, strcmp(host, "0.0.0.0") ? host : NULL, &cert, &key, NULL)) != 0) {
		fprintf(stderr, "porten up: cannot create TLS certificates: %s\n", porten_strerror(r));
		goto out;
	}
	anchors = abspath(pkidir, "root.pem");
	inter = abspath(pkidir, "intermediate.pem");
	crl = abspath(pkidir, "crl.pem");

	memset(&ao, 0, sizeof(ao));
	ao.listen = o.authz_listen;
	ao.issuer = issuer;
	char authzdir[PATH_MAX + 8];
	snprintf(authzdir, sizeof(authzdir), "%s/authz", sb.dir);
	ao.data = authzdir;
	ao.seed = seedpath;
	ao.log_level = o.log_level;
	ao.trust_anchors = anchors;
	ao.intermediates = inter;
	ao.crl.v[ao.crl.n++] = crl;
	ao.tls_cert = cert;
	ao.tls_key = key;
	ex = authz_serve(&ao, on_ready, &sb);
	goto out;
pki_fail:
	fprintf(stderr, "porten up: cannot issue sandbox certificates: %s\n", porten_strerror(r));
out:
	json_decref(jwk);
	json_decref(seed);
	free(cert);
	free(key);
	free(anchors);
	free(inter);
	free(crl);
	free(cpath);
	return ex;
}
