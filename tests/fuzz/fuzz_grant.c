/* libFuzzer harness: the whole grant pipeline, porten_authz_token() on an arbitrary
 * assertion, as the token endpoint calls it after form decoding.
 *
 * The server is built once: a "memory:" store seeded with fuzz_grant_fixture.h (two
 * scopes, access, a delegation, an x5c client and a client with a registered key), the
 * test PKI of tests/fuzz/pki/ as trust anchors, intermediates and CRL, signing keys in a
 * mkdtemp directory, issuer https://fuzz.test/. The clock is pinned to FUZZ_NOW so the
 * signed grants of the committed corpus stay valid; a valid grant is accepted once per
 * process and is a replay (MP-012) after that. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "porten/authz.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/log.h"
#include "porten/store.h"
#include "porten/x509.h"
#include "fuzz_grant_fixture.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static porten_authz *az;
static porten_store *store;
static porten_trust *trust;
static int trace;   /* FUZZ_GRANT_TRACE=1: one line per input with the outcome */
static char tmpdir[] = "/tmp/porten-fuzz-grant-XXXXXX";

static void
die(const char *what, int r)
{
	fprintf(stderr, "fuzz_grant: %s: %s\n", what, porten_strerror(r));
	abort();
}

static void
write_file(const char *name, const char *text, char *path, size_t pathsz)
{
	FILE *f;

	snprintf(path, pathsz, "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "fuzz_grant: cannot write %s\n", path);
		abort();
	}
}

/* Removes the temporary directory at exit (key files, PEMs). */
static void
cleanup(void)
{
	char cmd[sizeof(tmpdir) + 16];

	porten_authz_free(az);
	porten_trust_free(trust);
	porten_store_close(store);
	az = NULL;
	trust = NULL;
	store = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_grant: could not remove %s\n", tmpdir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct porten_authz_config cfg;
	char path[256], keydir[256], errbuf[2048];
	json_error_t je;
	json_t *seed;
	size_t changed = 0;
	int r;

	porten_log_set_level(PORTEN_LOG_ERROR);
	trace = getenv("FUZZ_GRANT_TRACE") != NULL;
	porten_clock_pin(FUZZ_NOW);
	if (mkdtemp(tmpdir) == NULL) {
		perror("fuzz_grant: mkdtemp");
		abort();
	}
	atexit(cleanup);
	if ((r = porten_store_open("memory:", &store)) != 0)
		die("store", r);
	if ((seed = json_loads(fuzz_seed_json, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		fprintf(stderr, "fuzz_grant: seed JSON: %s\n", je.text);
		abort();
	}
	if ((r = porten_authz_seed_load(store, seed, FUZZ_NOW, errbuf, sizeof(errbuf), &changed)) != 0) {
		fprintf(stderr, "fuzz_grant: seed: %s\n", errbuf);
		abort();
	}
	json_decref(seed);
	if ((r = porten_trust_new(&trust)) != 0)
		die("trust", r);
	write_file("root.pem", fuzz_root_pem, path, sizeof(path));
	if ((r = porten_trust_add_anchors_file(trust, path)) != 0)
		die("trust anchors", r);
	write_file("intermediate.pem", fuzz_intermediate_pem, path, sizeof(path));
	if ((r = porten_trust_add_intermediates_file(trust, path)) != 0)
		die("intermediates", r);
	write_file("crl.pem", fuzz_crl_pem, path, sizeof(path));
	if ((r = porten_trust_add_crl_file(trust, path)) != 0)
		die("crl", r);
	if ((r = porten_trust_add_seid_policies(trust, "all")) != 0)
		die("policies", r);
	snprintf(keydir, sizeof(keydir), "%s/keys", tmpdir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.issuer = FUZZ_ISSUER;
	cfg.key_dir = keydir;
	cfg.store = store;
	cfg.trust = trust;
	if ((r = porten_authz_new(&cfg, &az)) != 0)
		die("authz", r);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct porten_token_result res;
	const struct porten_az_error_info *info;

	memset(&res, 0, sizeof(res));
	porten_authz_token(az, (const char *)data, size, &res);
	/* Every outcome is one of the table's, and only success carries a response. */
	if ((unsigned)res.error >= AZ_ERROR_COUNT || (res.error == AZ_OK) != (res.response != NULL))
		abort();
	info = porten_az_error_info(res.error);
	if (trace)
		fprintf(stderr, "fuzz_grant: %s %s%s | %s\n", res.error == AZ_OK ? "OK" : info && info->mp ? info->mp : info ? info->error : "?",
		        res.error == AZ_OK ? "" : info ? info->text : "", res.detail, res.reason);
	if (res.error != AZ_OK && (info == NULL || info->error == NULL || info->status < 400))
		abort();
	if (res.error == AZ_INTERNAL || res.error == AZ_UNAVAILABLE) {
		/* Nothing an attacker sends should make the server fail on its side. */
		fprintf(stderr, "fuzz_grant: server-side error for a client input: %s\n", res.reason);
		abort();
	}
	if (memchr(res.detail, '\0', sizeof(res.detail)) == NULL ||
	    memchr(res.reason, '\0', sizeof(res.reason)) == NULL ||
	    memchr(res.description, '\0', sizeof(res.description)) == NULL)
		abort();
	porten_token_result_clear(&res);
	return 0;
}
