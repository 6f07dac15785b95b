/* lib/client/token_cache.c and the PKCS#12 / certificate parts of credentials.c: cache
 * keys (every field counts, absent is not empty), the freshness rule at its exact
 * boundaries, files (0600 in a 0700 directory, named by the key, corrupt ones a miss and
 * replaced), the directory rule, and enterprise certificates from PKCS#12 (right and wrong
 * password, missing and non-PKCS#12 files, validity and orgno of the leaf). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "porten/buf.h"
#include "porten/client.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/pki.h"
#include "porten/token_cache.h"

#define URL "https://127.0.0.1:7443/"
#define T0 1700000000

static char dir[] = "/tmp/porten-test-token-cache-XXXXXX";
static char pki[300], valid_prefix[300], expired_prefix[300], path[512];
static struct porten_client_credentials cert_cr, kid_cr;

static int
setup(void **state)
{
	struct porten_pki_leaf leaf = { 0 };
	char key_path[400], cert_path[400];

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(pki, sizeof(pki), "%s/pki", dir);
	snprintf(valid_prefix, sizeof(valid_prefix), "%s/valid", dir);
	snprintf(expired_prefix, sizeof(expired_prefix), "%s/expired", dir);
	if (porten_pki_init(pki) != 0)
		return -1;
	leaf.orgno = "310000000";
	leaf.p12_password = "right horse";
	if (porten_pki_issue(pki, &leaf, valid_prefix) != 0)
		return -1;
	leaf.variant = PORTEN_PKI_EXPIRED;
	leaf.p12_password = NULL;
	if (porten_pki_issue(pki, &leaf, expired_prefix) != 0)
		return -1;
	snprintf(key_path, sizeof(key_path), "%s-key.pem", valid_prefix);
	snprintf(cert_path, sizeof(cert_path), "%s.pem", valid_prefix);
	if (porten_client_credentials_load(&cert_cr, "client-1", cert_path, key_path, NULL, NULL, 0) != 0 ||
	    porten_client_credentials_load(&kid_cr, "client-1", NULL, key_path, "kid-1", NULL, 0) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[400];

	(void)state;
	porten_client_credentials_clear(&cert_cr);
	porten_client_credentials_clear(&kid_cr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
key_of(const char *url, const struct porten_client_credentials *cr, const char *scope,
       const char *consumer_org, const char *resource, char out[65])
{
	struct porten_grant_params gp = { 0 };

	gp.scope = scope;
	gp.consumer_org = consumer_org;
	gp.resource = resource;
	assert_int_equal(porten_token_cache_key(url, cr, &gp, out), 0);
	assert_int_equal(strlen(out), 64);
	assert_int_equal(strspn(out, "0123456789abcdef"), 64);
}

static void
test_key(void **state)
{
	char base[65], k[65], again[65];
	struct porten_client_credentials other = { 0 };
	struct porten_grant_params gp = { 0 };

	(void)state;
	key_of(URL, &cert_cr, "a:b", NULL, NULL, base);
	key_of(URL, &cert_cr, "a:b", NULL, NULL, again);
	assert_string_equal(base, again);
	/* Every element of the tuple changes the key. */
	key_of("https://127.0.0.1:7444/", &cert_cr, "a:b", NULL, NULL, k);
	assert_string_not_equal(base, k);
	key_of(URL, &kid_cr, "a:b", NULL, NULL, k);
	assert_string_not_equal(base, k);
	key_of(URL, &cert_cr, "a:c", NULL, NULL, k);
	assert_string_not_equal(base, k);
	key_of(URL, &cert_cr, "a:b a:c", NULL, NULL, k);
	assert_string_not_equal(base, k);
	key_of(URL, &cert_cr, "a:b", "974761076", NULL, k);
	assert_string_not_equal(base, k);
	key_of(URL, &cert_cr, "a:b", "", NULL, again);           /* absent is not empty */
	assert_string_not_equal(base, again);
	assert_string_not_equal(k, again);
	key_of(URL, &cert_cr, "a:b", NULL, "https://api/", k);
	assert_string_not_equal(base, k);
	key_of(URL, &cert_cr, "a:b", NULL, "", again);
	assert_string_not_equal(base, again);
	/* consumer_org and resource are not interchangeable. */
	key_of(URL, &cert_cr, "a:b", "x", NULL, k);
	key_of(URL, &cert_cr, "a:b", NULL, "x", again);
	assert_string_not_equal(k, again);
	/* Another client id with the same key, another kid. */
	assert_int_equal(porten_client_credentials_load(&other, "client-2", NULL, NULL, NULL, NULL, 0),
	                 PORTEN_ERR_USAGE);
	other.client_id = (char *)"client-2";
	other.kid = kid_cr.kid;
	key_of(URL, &other, "a:b", NULL, NULL, k);
	key_of(URL, &kid_cr, "a:b", NULL, NULL, again);
	assert_string_not_equal(k, again);
	other.client_id = kid_cr.client_id;
	other.kid = (char *)"kid-2";
	key_of(URL, &other, "a:b", NULL, NULL, k);
	assert_string_not_equal(k, again);
	/* No scope, no key. */
	assert_int_equal(porten_token_cache_key(URL, &cert_cr, &gp, k), PORTEN_ERR_INVALID);
}

static void
test_fresh(void **state)
{
	(void)state;
	/* 120 s lifetime: more than 12 s (10 %) must remain. */
	assert_true(porten_token_cache_fresh(T0, T0 + 13, 120));
	assert_false(porten_token_cache_fresh(T0, T0 + 12, 120));
	/* 60 s lifetime: 10 % is 6, so the 10 s floor rules. */
	assert_true(porten_token_cache_fresh(T0, T0 + 11, 60));
	assert_false(porten_token_cache_fresh(T0, T0 + 10, 60));
	/* one hour: 360 s. */
	assert_true(porten_token_cache_fresh(T0, T0 + 361, 3600));
	assert_false(porten_token_cache_fresh(T0, T0 + 360, 3600));
	assert_false(porten_token_cache_fresh(T0, T0 - 1, 3600));
	assert_false(porten_token_cache_fresh(T0, T0 + 100, 0));
	assert_false(porten_token_cache_fresh(T0, T0 + 100, -1));
}

static void
write_text(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void
test_files(void **state)
{
	struct porten_client_token tok = { 0 }, got = { 0 };
	char cdir[400], key[65], *data = NULL;
	struct stat st;
	int64_t exp_at = 0;
	size_t len;

	(void)state;
	snprintf(cdir, sizeof(cdir), "%s/cache/sub/porten", dir);
	key_of(URL, &cert_cr, "a:b", NULL, NULL, key);
	snprintf(path, sizeof(path), "%s/%s.json", cdir, key);
	assert_int_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), PORTEN_ERR_NOT_FOUND);

	tok.access_token = (char *)"eyJ.secret.token";
	tok.token_type = (char *)"Bearer";
	tok.expires_in = 120;
	tok.scope = (char *)"a:b";
	assert_int_equal(porten_token_cache_put(cdir, key, &tok, T0), 0);
	assert_int_equal(stat(cdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(porten_file_read(path, 65536, &data, &len), 0);
	assert_string_equal(data, "{\"access_token\":\"eyJ.secret.token\",\"token_type\":\"Bearer\","
	                          "\"expires_in\":120,\"scope\":\"a:b\",\"expires_at\":1700000120}");
	free(data);

	assert_int_equal(porten_token_cache_get(cdir, key, T0 + 107, 0, &got, &exp_at), 0);
	assert_string_equal(got.access_token, "eyJ.secret.token");
	assert_string_equal(got.token_type, "Bearer");
	assert_string_equal(got.scope, "a:b");
	assert_int_equal(got.expires_in, 120);
	assert_int_equal(exp_at, T0 + 120);
	porten_client_token_clear(&got);
	/* 12 s left of 120: stale. */
	assert_int_equal(porten_token_cache_get(cdir, key, T0 + 108, 0, &got, &exp_at), PORTEN_ERR_NOT_FOUND);
	assert_null(got.access_token);

	/* Corrupt files are a miss; the next store replaces them. */
	write_text(path, "{\"access_token\":\"x\",\"token_type\":");
	assert_int_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), PORTEN_ERR_INVALID);
	write_text(path, "{\"access_token\":\"x\",\"token_type\":\"Bearer\",\"expires_in\":\"120\",\"expires_at\":1700000120}");
	assert_int_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), PORTEN_ERR_INVALID);
	write_text(path, "{\"access_token\":\"x\",\"access_token\":\"y\",\"token_type\":\"Bearer\",\"expires_in\":120,\"expires_at\":1700000120}");
	assert_int_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), PORTEN_ERR_INVALID);
	assert_int_equal(porten_token_cache_put(cdir, key, &tok, T0), 0);
	assert_int_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), 0);
	porten_client_token_clear(&got);

	/* Nothing without a lifetime; keys are 64 hex digits, never a path. */
	tok.expires_in = -1;
	assert_int_equal(porten_token_cache_put(cdir, key, &tok, T0), PORTEN_ERR_INVALID);
	tok.expires_in = 120;
	assert_int_equal(porten_token_cache_put(cdir, "../../etc/passwd", &tok, T0), PORTEN_ERR_INVALID);
	assert_int_equal(porten_token_cache_get(cdir, "ABCDEF", T0, 0, &got, &exp_at), PORTEN_ERR_INVALID);

	assert_int_equal(porten_token_cache_drop(cdir, key), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(porten_token_cache_drop(cdir, key), 0);
	assert_int_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), PORTEN_ERR_NOT_FOUND);
}

/* A token file written by hand (as an attacker would plant one). */
static void
plant(const char *p)
{
	write_text(p, "{\"access_token\":\"planted\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
	              "\"expires_at\":1700003600}");
}

static struct porten_client_token
sample_token(int64_t lifetime)
{
	struct porten_client_token tok = { 0 };

	tok.access_token = (char *)"eyJ.secret.token";
	tok.token_type = (char *)"Bearer";
	tok.expires_in = lifetime;
	return tok;
}

/* A directory others can write to, or that is not ours, or a symlink: never used. */
static void
test_unsafe_dir(void **state)
{
	struct porten_client_token tok = sample_token(3600), got = { 0 };
	char cdir[400], link[400], p[600], key[65], why[200];
	int64_t exp_at = 0;
	char *data = NULL;
	size_t len;

	(void)state;
	key_of(URL, &cert_cr, "unsafe:dir", NULL, NULL, key);
	snprintf(cdir, sizeof(cdir), "%s/unsafe", dir);
	assert_int_equal(porten_token_cache_dir_check(cdir, why, sizeof(why)), PORTEN_ERR_NOT_FOUND);
	assert_int_equal(porten_token_cache_put(cdir, key, &tok, T0), 0);
	assert_int_equal(porten_token_cache_dir_check(cdir, why, sizeof(why)), 0);
	assert_int_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), 0);
	porten_client_token_clear(&got);

	/* world-writable (as /tmp): the stored token is not returned, nothing is written */
	assert_int_equal(chmod(cdir, 01777), 0);
	assert_int_equal(porten_token_cache_dir_check(cdir, why, sizeof(why)), PORTEN_ERR_CONFLICT);
	assert_non_null(strstr(why, "writable by everyone"));
	assert_int_not_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), 0);
	assert_null(got.access_token);
	snprintf(p, sizeof(p), "%s/%s.json", cdir, key);
	plant(p);
	assert_int_not_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), 0);
	assert_null(got.access_token);
	assert_int_equal(porten_token_cache_put(cdir, key, &tok, T0), PORTEN_ERR_CONFLICT);
	assert_int_equal(porten_file_read(p, 65536, &data, &len), 0);
	assert_non_null(strstr(data, "planted"));
	free(data);

	/* group-writable: the same */
	assert_int_equal(chmod(cdir, 0770), 0);
	assert_int_equal(porten_token_cache_dir_check(cdir, why, sizeof(why)), PORTEN_ERR_CONFLICT);
	assert_non_null(strstr(why, "its group"));
	assert_int_not_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), 0);
	assert_null(got.access_token);

	/* a symlink to a good directory is not used either */
	assert_int_equal(chmod(cdir, 0700), 0);
	assert_int_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), 0);
	porten_client_token_clear(&got);
	snprintf(link, sizeof(link), "%s/unsafe-link", dir);
	assert_int_equal(symlink(cdir, link), 0);
	assert_int_equal(porten_token_cache_dir_check(link, why, sizeof(why)), PORTEN_ERR_CONFLICT);
	assert_non_null(strstr(why, "symbolic link"));
	assert_int_not_equal(porten_token_cache_get(link, key, T0, 0, &got, &exp_at), 0);
	assert_null(got.access_token);
	assert_int_equal(porten_token_cache_put(link, key, &tok, T0), PORTEN_ERR_CONFLICT);
}

static void
on_alarm(int sig)
{
	(void)sig;
	fail_msg("porten_token_cache_get blocked on a FIFO");
}

/* A FIFO in place of an entry is a miss at once (no open that waits for a writer), and
 * the next store replaces it. */
static void
test_fifo_entry(void **state)
{
	struct porten_client_token tok = sample_token(3600), got = { 0 };
	char cdir[400], p[600], key[65];
	int64_t exp_at = 0;
	struct stat st;

	(void)state;
	key_of(URL, &cert_cr, "fifo:entry", NULL, NULL, key);
	snprintf(cdir, sizeof(cdir), "%s/fifo", dir);
	assert_int_equal(porten_mkdirs(cdir, 0700), 0);
	snprintf(p, sizeof(p), "%s/%s.json", cdir, key);
	assert_int_equal(mkfifo(p, 0600), 0);
	signal(SIGALRM, on_alarm);
	alarm(5);
	assert_int_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), PORTEN_ERR_INVALID);
	alarm(0);
	assert_null(got.access_token);
	assert_int_equal(porten_token_cache_put(cdir, key, &tok, T0), 0);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), 0);
	assert_string_equal(got.access_token, "eyJ.secret.token");
	porten_client_token_clear(&got);
}

/* An entry that is a symlink is neither read through nor written through. */
static void
test_symlinked_entry(void **state)
{
	struct porten_client_token tok = sample_token(3600), got = { 0 };
	char cdir[400], p[600], victim[400], key[65], *data = NULL;
	int64_t exp_at = 0;
	struct stat st;
	size_t len;

	(void)state;
	key_of(URL, &cert_cr, "symlinked:entry", NULL, NULL, key);
	snprintf(cdir, sizeof(cdir), "%s/symlinked", dir);
	snprintf(victim, sizeof(victim), "%s/victim.json", dir);
	assert_int_equal(porten_mkdirs(cdir, 0700), 0);
	plant(victim);
	snprintf(p, sizeof(p), "%s/%s.json", cdir, key);
	assert_int_equal(symlink(victim, p), 0);
	assert_int_equal(porten_token_cache_get(cdir, key, T0, 0, &got, &exp_at), PORTEN_ERR_INVALID);
	assert_null(got.access_token);
	assert_int_equal(porten_token_cache_put(cdir, key, &tok, T0), 0);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(porten_file_read(victim, 65536, &data, &len), 0);
	assert_non_null(strstr(data, "planted"));
	free(data);
}

/* A caller that needs the token for a while asks for more left than the freshness rule. */
static void
test_min_left(void **state)
{
	struct porten_client_token tok = sample_token(120), got = { 0 };
	char cdir[400], key[65];
	int64_t exp_at = 0;

	(void)state;
	key_of(URL, &cert_cr, "min:left", NULL, NULL, key);
	snprintf(cdir, sizeof(cdir), "%s/minleft", dir);
	assert_int_equal(porten_token_cache_put(cdir, key, &tok, T0), 0);
	/* 120 s lifetime, 30 s wanted: more than 30 must remain */
	assert_int_equal(porten_token_cache_get(cdir, key, T0 + 89, 30, &got, &exp_at), 0);
	assert_int_equal(exp_at, T0 + 120);
	porten_client_token_clear(&got);
	assert_int_equal(porten_token_cache_get(cdir, key, T0 + 90, 30, &got, &exp_at), PORTEN_ERR_NOT_FOUND);
	assert_null(got.access_token);
	/* without the wish the freshness rule (more than 12 s) still hands it out */
	assert_int_equal(porten_token_cache_get(cdir, key, T0 + 90, 0, &got, &exp_at), 0);
	porten_client_token_clear(&got);
	/* a wish below the rule does not loosen it */
	assert_int_equal(porten_token_cache_get(cdir, key, T0 + 108, 5, &got, &exp_at), PORTEN_ERR_NOT_FOUND);
	/* one hour, 600 s wanted (the rule alone: 360) */
	tok.expires_in = 3600;
	assert_int_equal(porten_token_cache_put(cdir, key, &tok, T0), 0);
	assert_int_equal(porten_token_cache_get(cdir, key, T0 + 2999, 600, &got, &exp_at), 0);
	porten_client_token_clear(&got);
	assert_int_equal(porten_token_cache_get(cdir, key, T0 + 3000, 600, &got, &exp_at), PORTEN_ERR_NOT_FOUND);
	assert_int_equal(porten_token_cache_get(cdir, key, T0 + 3000, 0, &got, &exp_at), 0);
	porten_client_token_clear(&got);
}

static void
test_dir(void **state)
{
	char out[300];

	(void)state;
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	setenv("HOME", "/home/u", 1);
	assert_int_equal(porten_token_cache_dir("/given", out, sizeof(out)), 0);
	assert_string_equal(out, "/given");
	assert_int_equal(porten_token_cache_dir(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "/x/cache/porten");
	setenv("XDG_CACHE_HOME", "relative", 1);
	assert_int_equal(porten_token_cache_dir(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "/home/u/.cache/porten");
	unsetenv("XDG_CACHE_HOME");
	assert_int_equal(porten_token_cache_dir("", out, sizeof(out)), 0);
	assert_string_equal(out, "/home/u/.cache/porten");
	unsetenv("HOME");
	assert_int_equal(porten_token_cache_dir(NULL, out, sizeof(out)), PORTEN_ERR_NOT_FOUND);
	assert_int_equal(porten_token_cache_dir("/given/long", out, 6), PORTEN_ERR_TOO_LARGE);
}

static void
test_p12(void **state)
{
	struct porten_client_credentials cr = { 0 };
	char p12[400], pem[400], want[512], err[512], orgno[10];
	int64_t nb = 0, na = 0, now = porten_now();

	(void)state;
	snprintf(p12, sizeof(p12), "%s.p12", valid_prefix);
	snprintf(pem, sizeof(pem), "%s.pem", valid_prefix);
	assert_int_equal(porten_client_credentials_from_p12(&cr, "client-1", p12, "right horse", err, sizeof(err)), 0);
	assert_string_equal(cr.client_id, "client-1");
	assert_null(cr.kid);
	assert_int_equal(json_array_size(cr.x5c), 1);
	/* the same leaf as the PEM next to it */
	assert_true(json_equal(json_array_get(cr.x5c, 0), json_array_get(cert_cr.x5c, 0)));
	assert_int_equal(porten_client_credentials_cert(&cr, &nb, &na, orgno), 0);
	assert_string_equal(orgno, "310000000");
	assert_true(nb <= now && na > now + 1000 * 86400);
	porten_client_credentials_clear(&cr);

	assert_int_equal(porten_client_credentials_from_p12(&cr, "client-1", p12, "wrong", err, sizeof(err)),
	                 PORTEN_ERR_PASSWORD);
	assert_null(cr.key);
	snprintf(want, sizeof(want), "cannot open '%s': wrong password", p12);
	assert_string_equal(err, want);
	assert_int_equal(porten_client_credentials_from_p12(&cr, "client-1", p12, NULL, err, sizeof(err)),
	                 PORTEN_ERR_PASSWORD);

	snprintf(pem, sizeof(pem), "%s.pem", valid_prefix);
	assert_int_equal(porten_client_credentials_from_p12(&cr, "client-1", pem, "right horse", err, sizeof(err)),
	                 PORTEN_ERR_INVALID);
	assert_non_null(strstr(err, "not a PKCS#12 file"));
	assert_int_equal(porten_client_credentials_from_p12(&cr, "client-1", "/nonexistent.p12", "x", err,
	                                                    sizeof(err)), PORTEN_ERR_IO);
	assert_string_equal(err, "cannot read the PKCS#12 file '/nonexistent.p12': no such file");
	assert_int_equal(porten_client_credentials_from_p12(&cr, NULL, p12, "x", err, sizeof(err)),
	                 PORTEN_ERR_USAGE);

	/* Credentials without a certificate have no validity; an expired one says so. */
	assert_int_equal(porten_client_credentials_cert(&kid_cr, &nb, &na, orgno), PORTEN_ERR_NOT_FOUND);
	{
		char k[400], c[400];

		snprintf(k, sizeof(k), "%s-key.pem", expired_prefix);
		snprintf(c, sizeof(c), "%s.pem", expired_prefix);
		assert_int_equal(porten_client_credentials_load(&cr, "client-1", c, k, NULL, err, sizeof(err)), 0);
		assert_int_equal(porten_client_credentials_cert(&cr, &nb, &na, NULL), 0);
		assert_true(na < now && nb < na);
		porten_client_credentials_clear(&cr);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_fresh),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_unsafe_dir),
		cmocka_unit_test(test_fifo_entry),
		cmocka_unit_test(test_symlinked_entry),
		cmocka_unit_test(test_min_left),
		cmocka_unit_test(test_dir),
		cmocka_unit_test(test_p12),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
