/* porten pki: a test PKI for integrators (lib/crypto/pki.c does the work).
 *   porten pki init   --dir DIR
 *   porten pki issue  --dir DIR --orgno 9DIGITS [--variant NAME] ...
 *   porten pki server --dir DIR [--host H] */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "opts.h"
#include "porten/buf.h"
#include "porten/error.h"
#include "porten/ident.h"
#include "porten/pki.h"

#define PROG "porten pki"

struct pki_opts {
	const char *dir, *orgno, *name, *variant, *out, *p12_password, *host;
	int days, bits;
};

#define O(f) offsetof(struct pki_opts, f)

/* Option tables, sorted by name; --help is generated from them (src/opts.c). */
static const struct opt init_opts[] = {
	{ "dir", "DIR", OPT_STRING, O(dir), "PKI directory to create or complete (required)", 0 },
};

static const struct opt issue_opts[] = {
	{ "bits", "N", OPT_INT, O(bits), "RSA key size, 1024..8192 (default 2048)", 0 },
	{ "days", "N", OPT_INT, O(days), "validity in days, 1..36500 (default 1095)", 0 },
	{ "dir", "DIR", OPT_STRING, O(dir), "PKI directory, initialised first if needed (required)", 0 },
	{ "name", "NAME", OPT_STRING, O(name), "organisation name for O and CN (default 'Test Organisation')", 0 },
	{ "orgno", "9DIGITS", OPT_STRING, O(orgno), "organisation number (required except for no-orgno)", 0 },
	{ "out", "PREFIX", OPT_STRING, O(out), "output prefix (default DIR/<orgno>-<variant>)", 0 },
	{ "p12-password", "PW", OPT_STRING, O(p12_password), "also write PREFIX.p12 protected by PW", 0 },
	{ "variant", "NAME", OPT_STRING, O(variant), "certificate variant, listed below (default valid)", 0 },
};

static const struct opt server_opts[] = {
	{ "dir", "DIR", OPT_STRING, O(dir), "data directory; the material goes to DIR/tls (required)", 0 },
	{ "host", "H", OPT_STRING, O(host), "extra host name or IP address for the certificate", 0 },
};

#define NOPTS(a) (sizeof(a) / sizeof((a)[0]))

/* The command name is "pki" so that messages read "porten pki: ..."; the synopsis names
 * the subcommand. */
static const struct opt_cmd init_cmd = {
	"pki", "init --dir DIR",
	"Create the test root CA, issuing (intermediate) CA, a foreign root CA and their CRLs\n"
	"in DIR, unless they exist. Prints the paths of the certificates and CRLs.",
	init_opts, NOPTS(init_opts),
};

static const struct opt_cmd issue_cmd = {
	"pki", "issue --dir DIR --orgno 9DIGITS [options]",
	"Issue an enterprise certificate in the SEID 2.0 profile (or a deliberately broken\n"
	"variant) under DIR's issuing CA. Writes PREFIX.pem, PREFIX-key.pem (mode 0600),\n"
	"PREFIX-chain.pem and, with --p12-password, PREFIX.p12; prints their paths.",
	issue_opts, NOPTS(issue_opts),
};

static const struct opt_cmd server_cmd = {
	"pki", "server --dir DIR [--host H]",
	"Create, if missing, a local TLS CA and a server certificate for localhost, 127.0.0.1,\n"
	"::1 and H in DIR/tls. Prints the certificate, key and CA paths.",
	server_opts, NOPTS(server_opts),
};

static const struct opt_cmd *const pki_subs[] = { &init_cmd, &issue_cmd, &server_cmd };
static const struct opt_cmd pki_cmd = {
	"pki", "init|issue|server [options]",
	"Make a test PKI: CAs, enterprise certificates in the SEID 2.0 profile and deliberately\n"
	"broken variants, and TLS certificates for the servers (docs/pki.md).",
	NULL, 0, NULL, pki_subs, 3,
};

static void
pki_usage(FILE *f)
{
	const char *fmt = getenv("PORTEN_HELP_FORMAT");

	if (f == stdout && fmt != NULL && strcmp(fmt, "man") == 0) {
		opts_help(&pki_cmd, f);
		return;
	}
	fprintf(f, "usage: " PROG " <subcommand> [options]\n\nsubcommands:\n"
	        "  init     create the test root, intermediate and foreign CAs and the CRLs\n"
	        "  issue    issue an enterprise certificate (SEID 2.0 profile) or a broken variant\n"
	        "  server   create a local TLS CA and server certificate in DIR/tls\n"
	        "\n'" PROG " <subcommand> --help' describes a subcommand's options.\n");
}

/* opts_parse, with the exit status: -1 to go on. */
static int
parse(const struct opt_cmd *cmd, struct pki_opts *o, int argc, char **argv)
{
	int r;

	memset(o, 0, sizeof(*o));
	o->days = -1;   /* unset; OPT_INT never stores a negative value */
	o->bits = -1;
	r = opts_parse(cmd, o, argc, argv);
	if (r == 1)
		return PORTEN_EXIT_OK;
	if (r != 0)
		return PORTEN_EXIT_USAGE;
	return -1;
}

static int
need_dir(const char *dir)
{
	if (dir == NULL || *dir == '\0') {
		fprintf(stderr, PROG ": --dir is required\n");
		return PORTEN_EXIT_USAGE;
	}
	return 0;
}

static int
run_init(int argc, char **argv)
{
	static const char *const files[] = {
		"root.pem", "intermediate.pem", "foreign-root.pem", "crl.pem",
	};
	struct pki_opts o;
	size_t i;
	int r;

	if ((r = parse(&init_cmd, &o, argc, argv)) >= 0)
		return r;
	if ((r = need_dir(o.dir)) != 0)
		return r;
	if ((r = porten_pki_init(o.dir)) != 0) {
		fprintf(stderr, PROG ": cannot create the PKI in '%s': %s\n", o.dir,
		        porten_strerror(r));
		return PORTEN_EXIT_FAILURE;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		printf("%s/%s\n", o.dir, files[i]);
	return PORTEN_EXIT_OK;
}

static int
digits9(const char *s)
{
	size_t i;

	if (strlen(s) != 9)
		return 0;
	for (i = 0; i < 9; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* mkdir -p of the directory part of a prefix. */
static int
make_parent(const char *prefix)
{
	char d[PATH_MAX];
	const char *slash = strrchr(prefix, '/');
	size_t n;

	if (slash == NULL || slash == prefix)
		return 0;
	n = (size_t)(slash - prefix);
	if (n >= sizeof(d))
		return PORTEN_ERR_TOO_LARGE;
	memcpy(d, prefix, n);
	d[n] = '\0';
	return porten_mkdirs(d, 0755);
}

static void
issue_help(void)
{
	int i;

	opts_help(&issue_cmd, stdout);
	printf("\nvariants:\n ");
	for (i = 0; i < PORTEN_PKI_VARIANT_COUNT; i++)
		printf(" %s", porten_pki_variant_name((enum porten_pki_variant)i));
	printf("\n");
}

static int
run_issue(int argc, char **argv)
{
	struct porten_pki_leaf leaf;
	struct pki_opts o;
	char prefix[PATH_MAX];
	int r, v = PORTEN_PKI_VALID, n, i;

	memset(&leaf, 0, sizeof(leaf));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			issue_help();
			return PORTEN_EXIT_OK;
		}
	}
	if ((r = parse(&issue_cmd, &o, argc, argv)) >= 0)
		return r;
	if ((r = need_dir(o.dir)) != 0)
		return r;
	if (o.variant != NULL && (v = porten_pki_variant_from_name(o.variant)) < 0) {
		fprintf(stderr, PROG ": unknown --variant '%s'; see '" PROG " issue --help'\n",
		        o.variant);
		return PORTEN_EXIT_USAGE;
	}
	if (o.orgno == NULL && v != PORTEN_PKI_NO_ORGNO) {
		fprintf(stderr, PROG ": --orgno is required\n");
		return PORTEN_EXIT_USAGE;
	}
	if (o.orgno != NULL && !digits9(o.orgno)) {
		fprintf(stderr, PROG ": --orgno must be 9 digits, got '%s'\n", o.orgno);
		return PORTEN_EXIT_USAGE;
	}
	if (o.orgno != NULL && !porten_orgno_valid(o.orgno, 9))
		fprintf(stderr, PROG ": warning: %s fails the organisation-number check digit; "
		        "fine for tests, but Maskinporten's real registry has no such "
		        "organisation\n", o.orgno);
	if (o.name != NULL && (*o.name == '\0' || strlen(o.name) > 64)) {
		fprintf(stderr, PROG ": --name must be 1 to 64 characters, got '%s'\n", o.name);
		return PORTEN_EXIT_USAGE;
	}
	if (o.days != -1 && (o.days < 1 || o.days > 36500)) {
		fprintf(stderr, PROG ": --days must be from 1 to 36500, got %d\n", o.days);
		return PORTEN_EXIT_USAGE;
	}
	if (o.bits != -1 && (o.bits < 1024 || o.bits > 8192)) {
		fprintf(stderr, PROG ": --bits must be from 1024 to 8192, got %d\n", o.bits);
		return PORTEN_EXIT_USAGE;
	}
	leaf.orgno = o.orgno;
	leaf.org_name = o.name;
	leaf.variant = (enum porten_pki_variant)v;
	leaf.days = o.days > 0 ? o.days : 0;
	leaf.key_bits = o.bits > 0 ? o.bits : 0;
	leaf.p12_password = o.p12_password;
	if (o.out != NULL) {
		if (*o.out == '\0') {
			fprintf(stderr, PROG ": --out must not be empty\n");
			return PORTEN_EXIT_USAGE;
		}
		n = snprintf(prefix, sizeof(prefix), "%s", o.out);
	} else {
		n = snprintf(prefix, sizeof(prefix), "%s/%s-%s", o.dir,
		             o.orgno != NULL ? o.orgno : "none",
		             porten_pki_variant_name(leaf.variant));
	}
	if (n < 0 || (size_t)n + sizeof("-chain.pem") > sizeof(prefix)) {
		fprintf(stderr, PROG ": output path too long\n");
		return PORTEN_EXIT_USAGE;
	}
	if ((r = porten_pki_init(o.dir)) != 0) {
		fprintf(stderr, PROG ": cannot create the PKI in '%s': %s\n", o.dir,
		        porten_strerror(r));
		return PORTEN_EXIT_FAILURE;
	}
	if ((r = make_parent(prefix)) != 0 || (r = porten_pki_issue(o.dir, &leaf, prefix)) != 0) {
		fprintf(stderr, PROG ": cannot issue '%s': %s\n", prefix, porten_strerror(r));
		return PORTEN_EXIT_FAILURE;
	}
	printf("%s.pem\n%s-key.pem\n%s-chain.pem\n", prefix, prefix, prefix);
	if (leaf.p12_password != NULL)
		printf("%s.p12\n", prefix);
	if (leaf.variant == PORTEN_PKI_REVOKED)
		printf("%s/crl.pem\n", o.dir);
	return PORTEN_EXIT_OK;
}

static int
run_server(int argc, char **argv)
{
	struct pki_opts o;
	char *cert = NULL, *key = NULL, *ca = NULL;
	int r;

	if ((r = parse(&server_cmd, &o, argc, argv)) >= 0)
		return r;
	if ((r = need_dir(o.dir)) != 0)
		return r;
	if (o.host != NULL && *o.host == '\0') {
		fprintf(stderr, PROG ": --host must not be empty\n");
		return PORTEN_EXIT_USAGE;
	}
	r = porten_pki_server_tls(o.dir, o.host, &cert, &key, &ca);
	if (r == PORTEN_ERR_INVALID && o.host != NULL) {
		fprintf(stderr, PROG ": --host must be a DNS name or an IP address, got '%s'\n",
		        o.host);
		return PORTEN_EXIT_USAGE;
	}
	if (r != 0) {
		fprintf(stderr, PROG ": cannot create TLS material in '%s/tls': %s\n", o.dir,
		        porten_strerror(r));
		return PORTEN_EXIT_FAILURE;
	}
	printf("%s\n%s\n%s\n", cert, key, ca);
	free(cert);
	free(key);
	free(ca);
	return PORTEN_EXIT_OK;
}

static const struct {
	const char *name;
	int (*run)(int, char **);
} subcommands[] = {
	{ "init", run_init },
	{ "issue", run_issue },
	{ "server", run_server },
};

int
cmd_pki(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		pki_usage(stderr);
		return PORTEN_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		pki_usage(stdout);
		return PORTEN_EXIT_OK;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, PROG ": unknown subcommand '%s'; see '" PROG " --help'\n", argv[1]);
	return PORTEN_EXIT_USAGE;
}
