/* Integration-test harness for porten authz: see harness.h. */
#define _GNU_SOURCE 1   /* vasprintf, pipe2, nftw */
#include "harness.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "porten/b64.h"
#include "porten/clock.h"
#include "porten/ident.h"
#include "porten/jws.h"
#include "porten/pki.h"
#include "porten/rand.h"
#include "porten/buf.h"
#include "porten/seal.h"
#include "porten/store.h"
#include "../../pg/pg_testdb.h"

#define PGT_URI_LEN 1024

extern char **environ;

int64_t h_T;

static bool initialised;
static char tmpdir[256];
static char pkidir[300];
static unsigned seq;

/* ---- backend (PORTEN_TEST_BACKEND=postgresql) ----
 * Every authz / freg server gets a database of its own on PORTEN_TEST_PG's cluster, keyed
 * by its data directory and command, so a restart with the same data_dir reuses it; all
 * are dropped in h_cleanup(). authz servers also get --keys-secret (one 0600 file). */
#define MAX_PGDBS 64
static struct h_pgdb {
	char dir[PATH_MAX];
	char command[16];
	char name[48];
	char uri[PGT_URI_LEN];
} pgdbs[MAX_PGDBS];
static int npgdbs;
static bool pg_mode;
static char keys_secret_path[PATH_MAX];
static unsigned char keys_secret[32];

/* ---- ownership ---- */

struct keep {
	enum { K_MEM, K_JSON, K_PKEY, K_EVP } kind;
	void *p;
};
static struct keep *kept;
static size_t nkept, capkept;

static void
keep_add(int kind, void *p)
{
	if (p == NULL)
		return;
	if (nkept == capkept) {
		capkept = capkept ? capkept * 2 : 256;
		kept = realloc(kept, capkept * sizeof(*kept));
		if (kept == NULL)
			abort();
	}
	kept[nkept].kind = kind;
	kept[nkept].p = p;
	nkept++;
}

void *
h_keep(void *p)
{
	keep_add(K_MEM, p);
	return p;
}

json_t *
h_keep_json(json_t *j)
{
	keep_add(K_JSON, j);
	return j;
}

static void
release_kept(void)
{
	while (nkept > 0) {
		struct keep *k = &kept[--nkept];

		switch (k->kind) {
		case K_MEM: free(k->p); break;
		case K_JSON: json_decref(k->p); break;
		case K_PKEY: porten_key_unref(k->p); break;
		case K_EVP: EVP_PKEY_free(k->p); break;
		}
	}
	free(kept);
	kept = NULL;
	capkept = 0;
}

void
h_fail_at(const char *file, int line, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error("%s:%d: %s\n", file, line, msg);
	_fail(file, line);
	abort();   /* not reached: _fail longjmps */
}

char *
h_strf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return h_keep(s);
}

/* ---- processes ---- */

int
h_run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *
h_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
			if (buf == NULL)
				abort();
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return h_keep(buf);
}

int
h_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int r = 0;

	if (f == NULL)
		return -1;
	if (fwrite(data, 1, len, f) != len)
		r = -1;
	if (fclose(f) != 0)
		r = -1;
	return r;
}

/* ---- servers: registry for cleanup ---- */

#define MAX_SERVERS 16
static struct h_server *servers[MAX_SERVERS];

static void
register_server(struct h_server *s)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (servers[i] == NULL) {
			servers[i] = s;
			return;
		}
}

static void
unregister_server(struct h_server *s)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (servers[i] == s)
			servers[i] = NULL;
}

/* Waits for pid to exit, at most timeout_ms (pidfd when available). Returns the wait
 * status, or -1 on timeout. */
static int
wait_child(pid_t pid, int timeout_ms)
{
	int st;
#ifdef SYS_pidfd_open
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pfd >= 0) {
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		int r;

		do
			r = poll(&p, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		close(pfd);
		if (r == 0)
			return -1;
	}
#endif
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

void
h_cleanup(void)
{
	if (!initialised)
		return;
	for (int i = 0; i < MAX_SERVERS; i++) {
		struct h_server *s = servers[i];
		if (s != NULL) {
			kill(s->pid, SIGTERM);
			if (wait_child(s->pid, 30000) < 0) {
				kill(s->pid, SIGKILL);
				wait_child(s->pid, -1);
			}
			close(s->out_fd);
			servers[i] = NULL;
			free(s);
		}
	}
	for (int i = 0; i < npgdbs; i++) {
		if (getenv("PORTEN_IT_KEEP") == NULL)
			pg_testdb_drop(pgdbs[i].name);
		else
			fprintf(stderr, "harness: kept database %s\n", pgdbs[i].name);
	}
	npgdbs = 0;
	if (getenv("PORTEN_IT_KEEP") == NULL)
		nftw(tmpdir, rm_cb, 32, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "harness: kept %s\n", tmpdir);
	release_kept();
	curl_global_cleanup();
	initialised = false;
}

const char *
h_tmpdir(void)
{
	return tmpdir;
}

const char *
h_pki_dir(void)
{
	return pkidir;
}

void
h_init(void)
{
	char *argv[6];
	static const char *const files[] = { "root.pem", "intermediate.pem", "crl.pem", "foreign-root.pem" };

	if (initialised)
		return;
	{
		const char *b = getenv("PORTEN_TEST_BACKEND");

		pg_mode = b != NULL && strcmp(b, "postgresql") == 0;
		if (pg_mode && pg_testdb_base() == NULL) {
			fprintf(stderr, "harness: PORTEN_TEST_BACKEND=postgresql but PORTEN_TEST_PG is unset: skipped\n");
			exit(77);
		}
	}
	h_T = (int64_t)time(NULL);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/porten-it-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "harness: mkdtemp: %s\n", strerror(errno));
		abort();
	}
	initialised = true;
	/* Also clean up when a group set-up fails (cmocka then skips the teardown). */
	atexit(h_cleanup);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	snprintf(pkidir, sizeof(pkidir), "%s/pki", tmpdir);
	argv[0] = (char *)PORTEN_BIN;
	argv[1] = (char *)"pki";
	argv[2] = (char *)"init";
	argv[3] = (char *)"--dir";
	argv[4] = pkidir;
	argv[5] = NULL;
	if (h_run(argv) != 0)
		h_fail("`porten pki init --dir %s` failed", pkidir);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = h_strf("%s/%s", pkidir, files[i]);
		if (access(p, R_OK) != 0)
			h_fail("porten pki init did not write %s", p);
	}
	if (pg_mode) {
		int fd;

		snprintf(keys_secret_path, sizeof(keys_secret_path), "%s/keys-secret", tmpdir);
		if (porten_random_bytes(keys_secret, sizeof(keys_secret)) != 0 ||
		    (fd = open(keys_secret_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
			h_fail("cannot write %s", keys_secret_path);
		if (write(fd, keys_secret, sizeof(keys_secret)) != (ssize_t)sizeof(keys_secret)) {
			close(fd);
			h_fail("cannot write %s", keys_secret_path);
		}
		close(fd);
	}
}

bool
h_backend_pg(void)
{
	h_init();
	return pg_mode;
}

/* The database of (dir, command), created on first use. */
static const struct h_pgdb *
pgdb_for(const char *file, int line, const char *dir, const char *command, bool create)
{
	struct h_pgdb *d;
	char hex[17], sql[96], base[PGT_URI_LEN], name[48], uri[PGT_URI_LEN];

	for (int i = 0; i < npgdbs; i++)
		if (strcmp(pgdbs[i].dir, dir) == 0 && (command == NULL || strcmp(pgdbs[i].command, command) == 0))
			return &pgdbs[i];
	if (!create)
		return NULL;
	if (npgdbs == MAX_PGDBS)
		h_fail_at(file, line, "too many databases");
	d = &pgdbs[npgdbs];
	if (porten_random_hex(hex, 8) != 0)
		h_fail_at(file, line, "porten_random_hex failed");
	snprintf(d->name, sizeof(d->name), "porten_it_%s", hex);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", d->name);
	/* Through locals: GCC cannot tell d->name from d->uri (-Wrestrict). */
	snprintf(base, sizeof(base), "%s", pg_testdb_base());
	snprintf(name, sizeof(name), "%s", d->name);
	if (pg_testdb_admin(sql) != 0 || pg_testdb_uri(base, name, uri, sizeof(uri)) != 0)
		h_fail_at(file, line, "cannot create database %s on PORTEN_TEST_PG", d->name);
	memcpy(d->uri, uri, sizeof(uri));
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	snprintf(d->command, sizeof(d->command), "%s", command);
	npgdbs++;
	return d;
}

const char *
h_db_uri(const char *data_dir)
{
	const struct h_pgdb *d;

	if (!h_backend_pg() || data_dir == NULL)
		return NULL;
	d = pgdb_for(H_LOC, data_dir, NULL, false);
	return d != NULL ? d->uri : NULL;
}

const char *
h_store_arg(const char *data_dir)
{
	const char *uri = h_db_uri(data_dir);

	return uri != NULL ? h_strf("--db '%s'", uri) : h_strf("--data %s", data_dir);
}

/* ---- identifiers ---- */

bool
h_orgno_valid(const char *s)
{
	return porten_orgno_valid(s, strlen(s));
}

const char *
h_iso8601(int64_t t)
{
	char *buf = h_keep(malloc(40));

	porten_iso8601(t, buf, 40);
	return buf;
}

/* ---- certificates ---- */

static EVP_PKEY *
load_evp(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *pk;

	if (f == NULL)
		return NULL;
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pk)
		keep_add(K_EVP, pk);
	return pk;
}

static json_t *
pem_x5c(const char *path)
{
	size_t len;
	char *pem = h_read_file(path, &len);
	json_t *x5c = NULL;

	if (pem == NULL || porten_pki_pem_to_x5c(pem, len, &x5c) != 0)
		return NULL;
	return h_keep_json(x5c);
}

static struct h_cert *
load_cert(struct h_cert *c)
{
	size_t len;
	char *pem;

	if ((pem = h_read_file(c->key_pem, &len)) == NULL)
		h_fail("cannot read %s", c->key_pem);
	if (porten_key_from_pem(pem, len, &c->key) != 0)
		h_fail("%s is not a private key", c->key_pem);
	keep_add(K_PKEY, c->key);
	if ((c->evp = load_evp(c->key_pem)) == NULL)
		h_fail("OpenSSL cannot read %s", c->key_pem);
	if ((c->x5c_leaf = pem_x5c(c->pem)) == NULL || json_array_size(c->x5c_leaf) != 1)
		h_fail("%s: not exactly one certificate", c->pem);
	if ((c->x5c_chain = pem_x5c(c->chain_pem)) == NULL || json_array_size(c->x5c_chain) < 1)
		h_fail("%s: no certificates", c->chain_pem);
	return c;
}

struct h_cert *
h_issue(const char *name, const char *orgno, const char *variant)
{
	struct h_cert *c = h_keep(calloc(1, sizeof(*c)));
	char *prefix = h_strf("%s/%s", pkidir, name);
	char *argv[16];
	int n = 0;

	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->orgno, sizeof(c->orgno), "%s", orgno ? orgno : "");
	argv[n++] = (char *)PORTEN_BIN;
	argv[n++] = (char *)"pki";
	argv[n++] = (char *)"issue";
	argv[n++] = (char *)"--dir";
	argv[n++] = pkidir;
	if (orgno) {
		argv[n++] = (char *)"--orgno";
		argv[n++] = (char *)orgno;
	}
	argv[n++] = (char *)"--name";
	argv[n++] = h_strf("Org %s", name);
	argv[n++] = (char *)"--variant";
	argv[n++] = (char *)variant;
	argv[n++] = (char *)"--out";
	argv[n++] = prefix;
	argv[n] = NULL;
	if (h_run(argv) != 0)
		h_fail("`porten pki issue --orgno %s --variant %s --out %s` failed", orgno ? orgno : "-",
		       variant, prefix);
	snprintf(c->pem, sizeof(c->pem), "%s.pem", prefix);
	snprintf(c->key_pem, sizeof(c->key_pem), "%s-key.pem", prefix);
	snprintf(c->chain_pem, sizeof(c->chain_pem), "%s-chain.pem", prefix);
	return load_cert(c);
}

static X509 *
read_x509(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (f == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok == 1 ? 0 : -1;
}

/* certificatePolicies = { oid } without qualifiers. */
static int
set_policy(X509 *x, const char *oid)
{
	CERTIFICATEPOLICIES *pols = CERTIFICATEPOLICIES_new();
	POLICYINFO *info = POLICYINFO_new();
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int ok = 0;

	if (pols && info && obj) {
		ASN1_OBJECT_free(info->policyid);
		info->policyid = obj;
		obj = NULL;
		if (sk_POLICYINFO_push(pols, info)) {
			info = NULL;
			ok = X509_add1_ext_i2d(x, NID_certificate_policies, pols, 0, 0) == 1;
		}
	}
	ASN1_OBJECT_free(obj);
	POLICYINFO_free(info);
	CERTIFICATEPOLICIES_free(pols);
	return ok ? 0 : -1;
}

struct h_cert *
h_issue_orgid_only(const char *name, const char *org_id)
{
	struct h_cert *c = h_keep(calloc(1, sizeof(*c)));
	X509 *issuer = NULL, *x = NULL;
	EVP_PKEY *ikey = NULL, *pk = NULL;
	X509_NAME *nm = NULL;
	BIGNUM *bn = NULL;
	FILE *f;
	time_t now = time(NULL);
	const char *why = "";
	bool ok = false;

	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->pem, sizeof(c->pem), "%s/%s.pem", pkidir, name);
	snprintf(c->key_pem, sizeof(c->key_pem), "%s/%s-key.pem", pkidir, name);
	snprintf(c->chain_pem, sizeof(c->chain_pem), "%s/%s-chain.pem", pkidir, name);
	if ((issuer = read_x509(h_strf("%s/intermediate.pem", pkidir))) == NULL ||
	    (ikey = load_evp(h_strf("%s/intermediate-key.pem", pkidir))) == NULL) {
		why = "cannot read the intermediate CA";
		goto out;
	}
	EVP_PKEY_up_ref(ikey);   /* load_evp keeps one reference */
	if ((pk = EVP_RSA_gen(2048)) == NULL) {
		why = "RSA key generation";
		goto out;
	}
	nm = X509_NAME_new();
	if (!X509_NAME_add_entry_by_NID(nm, NID_countryName, MBSTRING_UTF8, (const unsigned char *)"NO", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(nm, NID_organizationName, MBSTRING_UTF8, (const unsigned char *)name, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(nm, NID_organizationIdentifier, MBSTRING_UTF8, (const unsigned char *)org_id, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(nm, NID_commonName, MBSTRING_UTF8, (const unsigned char *)name, -1, -1, 0)) {
		why = "subject";
		goto out;
	}
	x = X509_new();
	bn = BN_new();
	if (!BN_rand(bn, 120, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_set_version(x, X509_VERSION_3) || !X509_set_subject_name(x, nm) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(issuer)) || !X509_set_pubkey(x, pk) ||
	    !X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), 365, 0, &now)) {
		why = "certificate fields";
		goto out;
	}
	if (add_ext(x, issuer, NID_basic_constraints, "CA:FALSE") != 0 ||
	    add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") != 0 ||
	    set_policy(x, PORTEN_PKI_TEST_POLICY) != 0 ||
	    add_ext(x, issuer, NID_subject_key_identifier, "hash") != 0 ||
	    add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") != 0) {
		why = "extensions";
		goto out;
	}
	if (X509_sign(x, ikey, EVP_sha256()) <= 0) {
		why = "signing";
		goto out;
	}
	if ((f = fopen(c->pem, "w")) == NULL || !PEM_write_X509(f, x) || fclose(f) != 0) {
		why = "writing the certificate";
		goto out;
	}
	if ((f = fopen(c->chain_pem, "w")) == NULL || !PEM_write_X509(f, x) || !PEM_write_X509(f, issuer) ||
	    fclose(f) != 0) {
		why = "writing the chain";
		goto out;
	}
	if ((f = fopen(c->key_pem, "w")) == NULL || !PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) ||
	    fclose(f) != 0) {
		why = "writing the key";
		goto out;
	}
	ok = true;
out:
	ERR_clear_error();
	BN_free(bn);
	X509_NAME_free(nm);
	X509_free(x);
	X509_free(issuer);
	EVP_PKEY_free(ikey);
	EVP_PKEY_free(pk);
	if (!ok)
		h_fail("h_issue_orgid_only(%s): %s", name, why);
	return load_cert(c);
}

struct h_key *
h_key_new(const char *kid)
{
	struct h_key *k = h_keep(calloc(1, sizeof(*k)));
	char *pem = NULL;
	BIO *bio;

	snprintf(k->kid, sizeof(k->kid), "%s", kid);
	if (porten_key_generate_rsa(2048, &k->key) != 0)
		h_fail("porten_key_generate_rsa failed");
	keep_add(K_PKEY, k->key);
	if (porten_key_private_pem(k->key, &pem) != 0)
		h_fail("porten_key_private_pem failed");
	bio = BIO_new_mem_buf(pem, -1);
	k->evp = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	free(pem);
	if (k->evp == NULL)
		h_fail("OpenSSL cannot read the generated key");
	keep_add(K_EVP, k->evp);
	return k;
}

struct h_key *
h_key_alias(const struct h_key *src, const char *kid)
{
	struct h_key *k = h_keep(calloc(1, sizeof(*k)));

	*k = *src;
	snprintf(k->kid, sizeof(k->kid), "%s", kid);
	return k;
}

json_t *
h_key_jwk(const struct h_key *k, const char *alg, int64_t created)
{
	json_t *jwk = NULL;

	if (porten_key_to_jwk(k->key, k->kid, &jwk) != 0)
		h_fail("porten_key_to_jwk failed");
	json_object_set_new(jwk, "use", json_string("sig"));
	json_object_set_new(jwk, "alg", json_string(alg));
	json_object_set_new(jwk, "created", json_string(h_iso8601(created)));
	return jwk;
}

/* ---- seeds ---- */

json_t *
h_seed_new(void)
{
	return h_keep_json(json_pack("{s:[],s:[],s:[],s:[]}", "scopes", "access", "clients", "delegations"));
}

void
h_seed_add(json_t *seed, const char *section, json_t *obj)
{
	json_t *arr = json_object_get(seed, section);

	if (obj == NULL || !json_is_array(arr))
		h_fail("h_seed_add(%s): bad object or section", section);
	json_array_append_new(arr, obj);
}

void
h_seed_scope(json_t *seed, const char *name, const char *owner, json_t *extra)
{
	json_t *o = json_pack("{s:s,s:s,s:s}", "name", name, "owner_orgno", owner,
	                      "description", "integration test scope");

	if (extra) {
		json_object_update(o, extra);
		json_decref(extra);
	}
	h_seed_add(seed, "scopes", o);
}

void
h_seed_access(json_t *seed, const char *scope, const char *consumer, const char *state)
{
	h_seed_add(seed, "access", json_pack("{s:s,s:s,s:s}", "scope", scope, "consumer_orgno", consumer,
	                                     "state", state));
}

void
h_seed_client(json_t *seed, const char *client_id, const char *orgno, const char *scopes_space,
              json_t *extra)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:[]}", "client_id", client_id, "client_orgno", orgno,
	                      "client_name", client_id, "scopes");
	json_t *arr = json_object_get(o, "scopes");
	const char *p = scopes_space ? scopes_space : "";

	while (*p) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n > 0)
			json_array_append_new(arr, json_stringn(p, n));
		p += n;
	}
	if (extra) {
		json_object_update(o, extra);
		json_decref(extra);
	}
	h_seed_add(seed, "clients", o);
}

void
h_seed_delegation(json_t *seed, const char *consumer, const char *supplier, const char *scope)
{
	h_seed_add(seed, "delegations", json_pack("{s:s,s:s,s:s}", "consumer_orgno", consumer,
	                                          "supplier_orgno", supplier, "scope", scope));
}

/* ---- servers ---- */

/* Reads one line from fd within timeout_ms. */
static int
read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t n = 0;

	while (n + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t got;
		char ch;
		int r = poll(&p, 1, timeout_ms);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got = read(fd, &ch, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		if (ch == '\n') {
			buf[n] = '\0';
			return 0;
		}
		buf[n++] = ch;
	}
	return -1;
}

struct h_server *
h_server_start_at(const char *file, int line, const struct h_server_opts *o)
{
	static const struct h_server_opts none;
	struct h_server *s;
	posix_spawn_file_actions_t fa;
	char *argv[64], lbuf[512], fake[32], *seedpath = NULL;
	const char *want;
	int n = 0, pfd[2], r, st;
	unsigned port;

	h_init();
	if (o == NULL)
		o = &none;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		abort();
	s->tls = o->tls;
	s->issuer = H_ISSUER;
	s->now = h_T;
	s->real_clock = o->real_clock;
	if (o->data_dir)
		snprintf(s->data_dir, sizeof(s->data_dir), "%s", o->data_dir);
	else
		snprintf(s->data_dir, sizeof(s->data_dir), "%s/data%u", tmpdir, ++seq);
	if (o->seed) {
		seedpath = h_strf("%s/seed%u.json", tmpdir, ++seq);
		if (json_dump_file(o->seed, seedpath, JSON_INDENT(1)) != 0) {
			free(s);
			h_fail_at(file, line, "cannot write %s", seedpath);
		}
	}
	snprintf(fake, sizeof(fake), "%lld", (long long)h_T);
	argv[n++] = (char *)PORTEN_BIN;
	argv[n++] = (char *)(o->command ? o->command : "authz");
	argv[n++] = (char *)"--listen";
	argv[n++] = (char *)"127.0.0.1:0";
	argv[n++] = (char *)"--issuer";
	argv[n++] = (char *)H_ISSUER;
	argv[n++] = (char *)"--data";
	argv[n++] = s->data_dir;
	if (!o->real_clock) {
		argv[n++] = (char *)"--fake-now";
		argv[n++] = fake;
	}
	argv[n++] = (char *)"--log-level";
	argv[n++] = (char *)"warn";
	if (!o->tls)
		argv[n++] = (char *)"--plain-http";
	if (seedpath) {
		argv[n++] = (char *)"--seed";
		argv[n++] = seedpath;
	}
	if (!o->no_trust && o->command == NULL) {
		argv[n++] = (char *)"--trust-anchors";
		argv[n++] = h_strf("%s/root.pem", pkidir);
		argv[n++] = (char *)"--intermediates";
		argv[n++] = h_strf("%s/intermediate.pem", pkidir);
		argv[n++] = (char *)"--crl";
		argv[n++] = h_strf("%s/crl.pem", pkidir);
		argv[n++] = (char *)"--cert-env";
		argv[n++] = (char *)(o->cert_env ? o->cert_env : "test");
	}
	if (pg_mode && (o->command == NULL || strcmp(o->command, "authz") == 0 ||
	                strcmp(o->command, "freg") == 0)) {
		const char *cmd = o->command ? o->command : "authz";
		bool has_db = false;

		for (size_t i = 0; o->extra && o->extra[i]; i++)
			has_db |= strcmp(o->extra[i], "--db") == 0;
		if (!has_db) {
			argv[n++] = (char *)"--db";
			argv[n++] = h_strf("%s", pgdb_for(file, line, s->data_dir, cmd, true)->uri);
			if (strcmp(cmd, "authz") == 0) {
				argv[n++] = (char *)"--keys-secret";
				argv[n++] = keys_secret_path;
			}
		}
	}
	for (size_t i = 0; o->extra && o->extra[i] && n < 62; i++)
		argv[n++] = (char *)o->extra[i];
	argv[n] = NULL;

	if (pipe2(pfd, O_CLOEXEC) != 0) {
		free(s);
		h_fail_at(file, line, "pipe2: %s", strerror(errno));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	r = posix_spawn(&s->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		free(s);
		h_fail_at(file, line, "cannot spawn %s: %s", argv[0], strerror(r));
	}
	s->out_fd = pfd[0];
	/* Readiness: the single stdout line. The timeout only bounds a hung start. */
	if (read_line(s->out_fd, lbuf, sizeof(lbuf), 120000) != 0) {
		kill(s->pid, SIGTERM);
		st = wait_child(s->pid, 30000);
		close(s->out_fd);
		free(s);
		h_fail_at(file, line, "porten authz did not print its listening line (exit status %d)",
		          st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	want = h_strf("porten %s: listening on %s://127.0.0.1:", o->command ? o->command : "authz",
	              o->tls ? "https" : "http");
	if (strncmp(lbuf, want, strlen(want)) != 0 || sscanf(lbuf + strlen(want), "%u", &port) != 1 ||
	    port == 0 || strcmp(lbuf + strlen(want) + strspn(lbuf + strlen(want), "0123456789"), "/") != 0) {
		kill(s->pid, SIGTERM);
		wait_child(s->pid, 30000);
		close(s->out_fd);
		free(s);
		h_fail_at(file, line, "unexpected first stdout line: \"%s\"", lbuf);
	}
	s->port = port;
	/* The line was checked above: scheme, 127.0.0.1, digits and "/" fit in url. */
	snprintf(s->url, sizeof(s->url), "%.100s", strstr(lbuf, "listening on ") + strlen("listening on "));
	if (o->tls)
		snprintf(s->ca_pem, sizeof(s->ca_pem), "%s/tls/ca.pem", s->data_dir);
	register_server(s);
	return s;
}

void
h_server_kill(struct h_server *s)
{
	if (s == NULL)
		return;
	unregister_server(s);
	kill(s->pid, SIGKILL);
	wait_child(s->pid, -1);
	close(s->out_fd);
	free(s);
}

void
h_server_stop_at(const char *file, int line, struct h_server *s)
{
	int st;

	if (s == NULL)
		return;
	unregister_server(s);
	kill(s->pid, SIGTERM);
	st = wait_child(s->pid, 60000);
	if (st < 0) {
		kill(s->pid, SIGKILL);
		wait_child(s->pid, -1);
	}
	/* The listening line is the only thing porten authz prints on stdout. */
	{
		char extra[256];
		ssize_t got;
		int fl = fcntl(s->out_fd, F_GETFL);

		fcntl(s->out_fd, F_SETFL, fl | O_NONBLOCK);
		got = st >= 0 ? read(s->out_fd, extra, sizeof(extra) - 1) : 0;
		close(s->out_fd);
		free(s);
		if (got > 0) {
			extra[got] = '\0';
			h_fail_at(file, line, "porten authz wrote more to stdout after its listening line: \"%s\"",
			          extra);
		}
	}
	if (st < 0)
		h_fail_at(file, line, "porten authz did not stop within 60 s of SIGTERM");
	if (!WIFEXITED(st))
		h_fail_at(file, line, "porten authz died of signal %d after SIGTERM",
		          WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	if (WEXITSTATUS(st) != 0)
		h_fail_at(file, line, "porten authz exited with status %d after SIGTERM", WEXITSTATUS(st));
}

/* ---- HTTP ---- */

struct sink {
	char *data;
	size_t len, cap;
};

static size_t
sink_write(char *p, size_t sz, size_t nm, void *ud)
{
	struct sink *s = ud;
	size_t n = sz * nm;

	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->data = realloc(s->data, s->cap);
		if (s->data == NULL)
			abort();
	}
	memcpy(s->data + s->len, p, n);
	s->len += n;
	s->data[s->len] = '\0';
	return n;
}

static size_t
header_write(char *p, size_t sz, size_t nm, void *ud)
{
	struct sink *s = ud;

	/* Keep only the final response's header block (100 Continue comes first). */
	if (sz * nm >= 5 && strncmp(p, "HTTP/", 5) == 0)
		s->len = 0;
	return sink_write(p, sz, nm, ud);
}

struct h_resp *
h_http_url(const char *url, const char *cainfo, const char *method, const char *ctype,
           const void *body, size_t len, const char *const *hdrs)
{
	struct h_resp *r = h_keep(calloc(1, sizeof(*r)));
	struct sink b = { 0 }, h = { 0 };
	struct curl_slist *hl = NULL;
	CURL *c = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "";

	if (c == NULL)
		abort();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	if (cainfo)
		curl_easy_setopt(c, CURLOPT_CAINFO, cainfo);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (body != NULL || strcmp(method, "POST") == 0) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		}
	}
	hl = curl_slist_append(hl, "Expect:");   /* the tests add it back when they want it */
	if (ctype)
		hl = curl_slist_append(hl, h_strf("Content-Type: %s", ctype));
	else
		hl = curl_slist_append(hl, "Content-Type:");
	for (size_t i = 0; hdrs && hdrs[i]; i++)
		hl = curl_slist_append(hl, hdrs[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	r->curl_rc = (int)curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	snprintf(r->curl_err, sizeof(r->curl_err), "%s", errbuf[0] ? errbuf : curl_easy_strerror(r->curl_rc));
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	r->body = h_keep(b.data ? b.data : calloc(1, 1));
	r->len = b.len;
	r->headers = h_keep(h.data ? h.data : calloc(1, 1));
	if (r->len > 0)
		r->json = h_keep_json(json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL));
	return r;
}

struct h_resp *
h_http(struct h_server *s, const char *method, const char *path, const char *ctype,
       const void *body, size_t len, const char *const *hdrs)
{
	const char *p = path[0] == '/' ? path + 1 : path;

	return h_http_url(h_strf("%s%s", s->url, p), s->tls ? s->ca_pem : NULL, method, ctype, body,
	                  len, hdrs);
}

struct h_resp *
h_get(struct h_server *s, const char *path)
{
	return h_http(s, "GET", path, NULL, NULL, 0, NULL);
}

struct h_resp *
h_post_form(struct h_server *s, const char *form)
{
	return h_http(s, "POST", "/token", "application/x-www-form-urlencoded", form, strlen(form), NULL);
}

char *
h_urlenc(const char *s)
{
	char *e = curl_easy_escape(NULL, s, (int)strlen(s));
	char *out = h_strf("%s", e);

	curl_free(e);
	return out;
}

struct h_resp *
h_post_token(struct h_server *s, const char *assertion)
{
	return h_post_form(s, h_strf("grant_type=%s&assertion=%s", h_urlenc(H_GRANT_TYPE),
	                             h_urlenc(assertion)));
}

const char *
h_header(const struct h_resp *r, const char *name)
{
	size_t n = strlen(name);
	const char *p = r->headers;

	while (p && *p) {
		const char *eol = strstr(p, "\r\n");
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);

		if (ll > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			size_t vl = ll - n - 1;

			while (vl > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vl--;
			}
			while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			return h_strf("%.*s", (int)vl, v);
		}
		p = eol ? eol + 2 : NULL;
	}
	return NULL;
}

/* ---- grants ---- */

char *
h_b64url(const void *data, size_t n)
{
	char *out = NULL;
	size_t olen;

	if (porten_b64url_encode_alloc(data, n, &out, &olen) != 0)
		abort();
	return h_keep(out);
}

char *
h_dump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	if (s == NULL)
		abort();
	return h_keep(s);
}

json_t *
h_claims(const char *client_id, const char *scope)
{
	char uuid[37];
	json_t *c;

	if (porten_random_uuid(uuid) != 0)
		abort();
	c = json_pack("{s:s,s:s,s:I,s:I,s:s}", "aud", H_ISSUER, "iss", client_id,
	              "iat", (json_int_t)h_T, "exp", (json_int_t)(h_T + 120), "jti", uuid);
	if (scope)
		json_object_set_new(c, "scope", json_string(scope));
	return h_keep_json(c);
}

static enum porten_jws_alg
alg_of(const char *name)
{
	enum porten_jws_alg a = porten_jws_alg_from_name(name);

	if (a == PORTEN_JWS_INVALID)
		h_fail("library signing only does RS256/384/512, not %s", name);
	return a;
}

char *
h_sign_hdr(const porten_key *key, const char *alg, const json_t *header, const json_t *claims)
{
	char *out = NULL;

	if (porten_jws_sign(alg_of(alg), key, header, claims, &out) != 0)
		h_fail("porten_jws_sign failed");
	return h_keep(out);
}

char *
h_sign_x5c(const struct h_cert *c, const char *alg, const json_t *claims)
{
	json_t *h = h_keep_json(json_pack("{s:s,s:O}", "alg", alg, "x5c", c->x5c_leaf));

	return h_sign_hdr(c->key, alg, h, claims);
}

char *
h_sign_x5c_chain(const struct h_cert *c, const char *alg, const json_t *claims)
{
	json_t *h = h_keep_json(json_pack("{s:s,s:O}", "alg", alg, "x5c", c->x5c_chain));

	return h_sign_hdr(c->key, alg, h, claims);
}

char *
h_sign_kid(const struct h_key *k, const char *alg, const json_t *claims)
{
	json_t *h = h_keep_json(json_pack("{s:s,s:s}", "alg", alg, "kid", k->kid));

	return h_sign_hdr(k->key, alg, h, claims);
}

static const EVP_MD *
md_of(const char *alg)
{
	if (strstr(alg, "256"))
		return EVP_sha256();
	if (strstr(alg, "384"))
		return EVP_sha384();
	return EVP_sha512();
}

char *
h_jws_raw_b64(const char *alg, EVP_PKEY *pk, const void *hkey, size_t hklen,
              const char *header_b64, const char *payload_b64)
{
	char *input = h_strf("%s.%s", header_b64, payload_b64);
	unsigned char sig[1024];
	size_t siglen = 0;

	if (strcmp(alg, "none") == 0) {
		siglen = 0;
	} else if (alg[0] == 'H') {
		unsigned int l = 0;

		if (HMAC(md_of(alg), hkey, (int)hklen, (const unsigned char *)input, strlen(input), sig, &l) == NULL)
			h_fail("HMAC failed");
		siglen = l;
	} else {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pctx = NULL;
		unsigned char der[1024];
		size_t dlen = sizeof(der);
		int ok;

		ok = EVP_DigestSignInit(ctx, &pctx, md_of(alg), NULL, pk) == 1;
		if (ok && alg[0] == 'P')
			ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
			     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
		if (ok)
			ok = EVP_DigestSign(ctx, der, &dlen, (const unsigned char *)input, strlen(input)) == 1;
		EVP_MD_CTX_free(ctx);
		if (!ok)
			h_fail("EVP_DigestSign(%s) failed", alg);
		if (alg[0] == 'E') {
			/* DER ECDSA-Sig-Value -> JOSE R || S */
			const unsigned char *p = der;
			ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
			const BIGNUM *rr, *ss;

			if (es == NULL)
				h_fail("bad ECDSA signature");
			ECDSA_SIG_get0(es, &rr, &ss);
			BN_bn2binpad(rr, sig, 32);
			BN_bn2binpad(ss, sig + 32, 32);
			ECDSA_SIG_free(es);
			siglen = 64;
		} else {
			memcpy(sig, der, dlen);
			siglen = dlen;
		}
	}
	ERR_clear_error();
	return h_strf("%s.%s", input, siglen ? h_b64url(sig, siglen) : "");
}

char *
h_jws_raw(const char *alg, EVP_PKEY *pk, const void *hkey, size_t hklen,
          const char *header_json, const char *payload_json)
{
	return h_jws_raw_b64(alg, pk, hkey, hklen, h_b64url(header_json, strlen(header_json)),
	                     h_b64url(payload_json, strlen(payload_json)));
}

/* ---- expectations ---- */

static const char *
body_for_msg(const struct h_resp *r)
{
	if (r->curl_rc != 0)
		return h_strf("(no HTTP response: curl error %d: %s)", r->curl_rc, r->curl_err);
	return h_strf("HTTP %ld, body: %.*s", r->status, (int)(r->len > 2000 ? 2000 : r->len), r->body);
}

const char *
h_jstr_at(const char *file, int line, const json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	if (!json_is_string(v))
		h_fail_at(file, line, "member \"%s\" missing or not a string in %s", name,
		          obj ? h_dump(obj) : "(null)");
	return json_string_value(v);
}

long long
h_jint_at(const char *file, int line, const json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	if (!json_is_integer(v))
		h_fail_at(file, line, "member \"%s\" missing or not an integer in %s", name,
		          obj ? h_dump(obj) : "(null)");
	return (long long)json_integer_value(v);
}

static bool
has_trace_suffix(const char *d, size_t *cut)
{
	static const char pre[] = " (trace_id: ";
	size_t n = strlen(d), pl = sizeof(pre) - 1;

	/* " (trace_id: " + 32 lowercase hex + ")" */
	if (n < pl + 33 || d[n - 1] != ')')
		return false;
	if (strncmp(d + n - 33 - pl, pre, pl) != 0)
		return false;
	for (size_t i = n - 33; i < n - 1; i++)
		if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f')))
			return false;
	if (cut)
		*cut = n - 33 - pl;
	return true;
}

const char *
h_error_text(const struct h_resp *r)
{
	const char *d = json_string_value(json_object_get(r->json, "error_description"));
	size_t cut;

	if (d == NULL)
		return NULL;
	if (!has_trace_suffix(d, &cut))
		return d;
	return h_strf("%.*s", (int)cut, d);
}

static bool
is_json_ctype(const char *ct)
{
	return ct != NULL && strncasecmp(ct, "application/json", 16) == 0 &&
	       (ct[16] == '\0' || ct[16] == ';');
}

void
h_expect_error_at(const char *file, int line, struct h_server *s, const struct h_resp *r,
                  long status, const char *error, const char *mp, const char *desc_prefix)
{
	const char *e, *d, *u;
	json_t *uri;

	if (r->curl_rc != 0 || r->status != status)
		h_fail_at(file, line, "expected HTTP %ld %s%s%s, got %s", status, error, mp ? " " : "",
		          mp ? mp : "", body_for_msg(r));
	if (!json_is_object(r->json))
		h_fail_at(file, line, "error body is not a JSON object: %s", body_for_msg(r));
	if (!is_json_ctype(h_header(r, "Content-Type")))
		h_fail_at(file, line, "error Content-Type is %s, not application/json",
		          h_header(r, "Content-Type") ? h_header(r, "Content-Type") : "(none)");
	e = json_string_value(json_object_get(r->json, "error"));
	d = json_string_value(json_object_get(r->json, "error_description"));
	uri = json_object_get(r->json, "error_uri");
	if (e == NULL || strcmp(e, error) != 0)
		h_fail_at(file, line, "expected error \"%s\", got %s", error, body_for_msg(r));
	if (d == NULL)
		h_fail_at(file, line, "no error_description: %s", body_for_msg(r));
	if (!has_trace_suffix(d, NULL))
		h_fail_at(file, line, "error_description does not end with \" (trace_id: <32 hex>)\": \"%s\"", d);
	if (desc_prefix && strncmp(d, desc_prefix, strlen(desc_prefix)) != 0)
		h_fail_at(file, line, "error_description should start with \"%s\", got \"%s\"", desc_prefix, d);
	if (mp) {
		const char *want = h_strf("%serrors/%s", s ? s->issuer : H_ISSUER, mp);

		u = json_string_value(uri);
		if (u == NULL || strcmp(u, want) != 0)
			h_fail_at(file, line, "expected error_uri \"%s\", got %s", want, body_for_msg(r));
	} else if (uri != NULL) {
		h_fail_at(file, line, "no MP code applies, yet error_uri is present: %s", body_for_msg(r));
	}
	{
		const char *k;
		json_t *v;

		json_object_foreach(r->json, k, v)
			if (strcmp(k, "error") && strcmp(k, "error_description") && strcmp(k, "error_uri"))
				h_fail_at(file, line, "unexpected member \"%s\" in error body: %s", k, body_for_msg(r));
	}
}

void
h_expect_refused_at(const char *file, int line, struct h_server *s, const struct h_resp *r)
{
	const char *e, *d;

	(void)s;
	if (r->curl_rc != 0)
		h_fail_at(file, line, "expected a 4xx refusal, got %s", body_for_msg(r));
	if (r->status < 400 || r->status > 499)
		h_fail_at(file, line, "expected a 4xx refusal, got %s", body_for_msg(r));
	e = json_string_value(json_object_get(r->json, "error"));
	d = json_string_value(json_object_get(r->json, "error_description"));
	if (e == NULL || d == NULL || !has_trace_suffix(d, NULL))
		h_fail_at(file, line, "refusal is not a well-formed error body: %s", body_for_msg(r));
}

json_t *
h_verify_token_at(const char *file, int line, struct h_server *s, const char *token,
                  json_t **hdr_out)
{
	struct porten_jws_view v;
	struct h_resp *jr = h_get(s, "/jwk");
	json_t *hdr = NULL, *claims = NULL, *k, *match = NULL;
	porten_key *key = NULL;
	const char *kid;
	size_t i;
	int ok;

	if (jr->status != 200 || !json_is_array(json_object_get(jr->json, "keys")))
		h_fail_at(file, line, "GET /jwk: %s", body_for_msg(jr));
	if (porten_jws_split(token, strlen(token), 1 << 20, &v) != 0)
		h_fail_at(file, line, "access token is not a compact JWS: %s", token);
	if (porten_jws_decode_json(v.header, v.header_len, 1 << 16, &hdr) != 0)
		h_fail_at(file, line, "access token header is not JSON");
	h_keep_json(hdr);
	if (porten_jws_decode_json(v.payload, v.payload_len, 1 << 20, &claims) != 0)
		h_fail_at(file, line, "access token payload is not JSON");
	h_keep_json(claims);
	kid = json_string_value(json_object_get(hdr, "kid"));
	if (kid == NULL)
		h_fail_at(file, line, "access token header has no kid: %s", h_dump(hdr));
	json_array_foreach(json_object_get(jr->json, "keys"), i, k)
		if (json_is_string(json_object_get(k, "kid")) &&
		    strcmp(json_string_value(json_object_get(k, "kid")), kid) == 0)
			match = k;
	if (match == NULL)
		h_fail_at(file, line, "token kid %s is not in GET /jwk: %s", kid, jr->body);
	if (porten_key_from_jwk(match, &key) != 0)
		h_fail_at(file, line, "JWK %s is not a usable RSA key", kid);
	ok = porten_jws_verify(&v, porten_jws_alg_from_name(json_string_value(json_object_get(hdr, "alg"))
	                                                   ? json_string_value(json_object_get(hdr, "alg")) : ""),
	                       key) == 0;
	porten_key_unref(key);
	if (!ok)
		h_fail_at(file, line, "access token does not verify against GET /jwk (kid %s)", kid);
	if (hdr_out)
		*hdr_out = hdr;
	return claims;
}

json_t *
h_expect_token_at(const char *file, int line, struct h_server *s, struct h_resp *r, json_t **hdr_out)
{
	const char *ct, *cc, *key;
	json_t *v;

	if (r->curl_rc != 0 || r->status != 200)
		h_fail_at(file, line, "expected HTTP 200 with a token, got %s", body_for_msg(r));
	if (!json_is_object(r->json))
		h_fail_at(file, line, "token response is not a JSON object: %s", body_for_msg(r));
	ct = h_header(r, "Content-Type");
	if (!is_json_ctype(ct))
		h_fail_at(file, line, "token response Content-Type is %s", ct ? ct : "(none)");
	cc = h_header(r, "Cache-Control");
	if (cc == NULL || strcmp(cc, "no-store") != 0)
		h_fail_at(file, line, "token response Cache-Control is %s, not no-store", cc ? cc : "(none)");
	json_object_foreach(r->json, key, v)
		if (strcmp(key, "access_token") && strcmp(key, "token_type") && strcmp(key, "expires_in") &&
		    strcmp(key, "scope"))
			h_fail_at(file, line, "unexpected member \"%s\" in token response %s", key, r->body);
	if (json_object_size(r->json) != 4)
		h_fail_at(file, line, "token response lacks members: %s", r->body);
	if (strcmp(h_jstr_at(file, line, r->json, "token_type"), "Bearer") != 0)
		h_fail_at(file, line, "token_type is not Bearer: %s", r->body);
	h_jint_at(file, line, r->json, "expires_in");
	h_jstr_at(file, line, r->json, "scope");
	return h_verify_token_at(file, line, s, h_jstr_at(file, line, r->json, "access_token"), hdr_out);
}

/* ---- administration API (docs/admin-api.md) ---- */

int64_t
h_server_now(const struct h_server *s)
{
	return s->real_clock ? (int64_t)time(NULL) : s->now;
}

json_t *
h_claims_now(const struct h_server *s, const char *client_id, const char *scope)
{
	json_t *c = h_claims(client_id, scope);
	int64_t now = h_server_now(s);

	json_object_set_new(c, "iat", json_integer((json_int_t)now));
	json_object_set_new(c, "exp", json_integer((json_int_t)(now + 120)));
	return c;
}

void
h_seed_admin_scopes(json_t *seed)
{
	static const char *const names[] = { H_SC_SCOPES, H_SC_DCR_READ, H_SC_DCR_WRITE, H_SC_DCR_MODIFY,
	                                     H_SC_DCR_SUPPLIER, H_SC_DELEG, H_SC_ADMIN };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		h_seed_scope(seed, names[i], H_ORG_DIGDIR,
		             json_pack("{s:s,s:[s]}", "visibility", "PRIVATE", "allowed_integration_types",
		                       "maskinporten"));
}

static bool
seed_has_access(const json_t *seed, const char *scope, const char *consumer)
{
	size_t i;
	json_t *a;

	json_array_foreach(json_object_get(seed, "access"), i, a) {
		const char *sc = json_string_value(json_object_get(a, "scope"));
		const char *co = json_string_value(json_object_get(a, "consumer_orgno"));

		if (sc && co && strcmp(sc, scope) == 0 && strcmp(co, consumer) == 0)
			return true;
	}
	return false;
}

static bool
seed_has_scope(const json_t *seed, const char *name)
{
	size_t i;
	json_t *sc;

	json_array_foreach(json_object_get(seed, "scopes"), i, sc) {
		const char *n = json_string_value(json_object_get(sc, "name"));
		const char *p = json_string_value(json_object_get(sc, "prefix"));
		const char *sub = json_string_value(json_object_get(sc, "subscope"));

		if (n && strcmp(n, name) == 0)
			return true;
		if (p && sub && strlen(name) == strlen(p) + 1 + strlen(sub) && strncmp(name, p, strlen(p)) == 0 &&
		    name[strlen(p)] == ':' && strcmp(name + strlen(p) + 1, sub) == 0)
			return true;
	}
	return false;
}

struct h_actor *
h_seed_actor(json_t *seed, const char *client_id, const char *orgno, const char *scopes_space,
             json_t *extra)
{
	struct h_actor *a = h_keep(calloc(1, sizeof(*a)));
	json_t *jwk, *x;
	char *list = h_strf("%s", scopes_space ? scopes_space : ""), *save = NULL, *t;

	snprintf(a->client_id, sizeof(a->client_id), "%s", client_id);
	snprintf(a->orgno, sizeof(a->orgno), "%s", orgno);
	a->key = h_key_new(h_strf("%s-k", client_id));
	jwk = h_key_jwk(a->key, "RS256", h_T);
	json_object_del(jwk, "created");   /* stamped when the seed is loaded */
	x = json_pack("{s:{s:[o]}}", "jwks", "keys", jwk);
	if (extra) {
		json_object_update(x, extra);
		json_decref(extra);
	}
	h_seed_client(seed, client_id, orgno, scopes_space, x);
	for (t = strtok_r(list, " ", &save); t; t = strtok_r(NULL, " ", &save))
		if (seed_has_scope(seed, t) && !seed_has_access(seed, t, orgno))
			h_seed_access(seed, t, orgno, "APPROVED");
	return a;
}

const char *
h_bearer_token_at(const char *file, int line, struct h_server *s, const struct h_key *k,
                  const char *client_id, const char *scope)
{
	const char *jwt = h_sign_kid(k, "RS256", h_claims_now(s, client_id, scope));
	struct h_resp *r = h_post_token(s, jwt);

	h_expect_token_at(file, line, s, r, NULL);
	return h_jstr_at(file, line, r->json, "access_token");
}

struct h_resp *
h_api(struct h_server *s, const char *method, const char *path, const char *bearer, const char *json)
{
	const char *hdrs[3] = { "Accept: application/json", NULL, NULL };

	if (bearer)
		hdrs[1] = h_strf("Authorization: Bearer %s", bearer);
	return h_http(s, method, path, json ? "application/json" : NULL, json, json ? strlen(json) : 0, hdrs);
}

struct h_resp *
h_apij(struct h_server *s, const char *method, const char *path, const char *bearer, const json_t *body)
{
	return h_api(s, method, path, bearer, body ? h_dump(body) : NULL);
}

json_t *
h_expect_api_at(const char *file, int line, const struct h_resp *r, long status)
{
	if (r->curl_rc != 0 || r->status != status)
		h_fail_at(file, line, "expected HTTP %ld, got %s", status, body_for_msg(r));
	if (status == 204) {
		if (r->len != 0)
			h_fail_at(file, line, "204 with a body: %s", body_for_msg(r));
		return NULL;
	}
	if (!is_json_ctype(h_header(r, "Content-Type")))
		h_fail_at(file, line, "Content-Type is %s, not application/json (%s)",
		          h_header(r, "Content-Type") ? h_header(r, "Content-Type") : "(none)", body_for_msg(r));
	if (r->json == NULL)
		h_fail_at(file, line, "body is not JSON: %s", body_for_msg(r));
	return r->json;
}

bool
h_is_hex(const char *s, size_t n)
{
	if (s == NULL || strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool
h_is_uuid(const char *s)
{
	static const char pat[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (s == NULL || strlen(s) != sizeof(pat) - 1)
		return false;
	for (size_t i = 0; pat[i]; i++) {
		if (pat[i] == '-') {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

static bool
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool
h_is_iso8601(const char *s)
{
	size_t n;
	const char *p;

	if (s == NULL || (n = strlen(s)) < 20)
		return false;
	if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) ||
	    s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' ||
	    !digits(s + 17, 2))
		return false;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (!digits(p, 1))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (strcmp(p, "Z") == 0)
		return true;
	return (p[0] == '+' || p[0] == '-') && strlen(p) == 6 && digits(p + 1, 2) && p[3] == ':' &&
	       digits(p + 4, 2);
}

/* The problem with r as a self-service error of status/error, or NULL when it is one. */
const char *
h_api_error_problem(const struct h_resp *r, long status, const char *error)
{
	static const char *const members[] = { "status", "timestamp", "correlation_id", "errors", "error",
	                                       "error_description" };
	const char *k, *ts, *cid, *e, *d;
	json_t *v, *errs, *it;
	size_t i;

	if (r->curl_rc != 0 || r->status != status)
		return h_strf("expected HTTP %ld %s, got %s", status, error, body_for_msg(r));
	if (!is_json_ctype(h_header(r, "Content-Type")))
		return h_strf("error Content-Type is %s, not application/json (%s)",
		              h_header(r, "Content-Type") ? h_header(r, "Content-Type") : "(none)", body_for_msg(r));
	if (!json_is_object(r->json))
		return h_strf("error body is not a JSON object: %s", body_for_msg(r));
	json_object_foreach(r->json, k, v) {
		bool known = false;

		for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
			if (strcmp(k, members[i]) == 0)
				known = true;
		if (!known)
			return h_strf("unexpected member \"%s\" in the self-service error: %s", k, body_for_msg(r));
	}
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (json_object_get(r->json, members[i]) == NULL)
			return h_strf("self-service error lacks \"%s\": %s", members[i], body_for_msg(r));
	v = json_object_get(r->json, "status");
	if (!json_is_integer(v) || json_integer_value(v) != status)
		return h_strf("member status is not the integer %ld: %s", status, body_for_msg(r));
	ts = json_string_value(json_object_get(r->json, "timestamp"));
	if (!h_is_iso8601(ts))
		return h_strf("timestamp is not ISO 8601: %s", body_for_msg(r));
	cid = json_string_value(json_object_get(r->json, "correlation_id"));
	if (!h_is_hex(cid, 32))
		return h_strf("correlation_id is not 32 hex digits: %s", body_for_msg(r));
	e = json_string_value(json_object_get(r->json, "error"));
	if (e == NULL || strcmp(e, error) != 0)
		return h_strf("expected error \"%s\", got %s", error, body_for_msg(r));
	d = json_string_value(json_object_get(r->json, "error_description"));
	if (d == NULL || d[0] == '\0')
		return h_strf("error_description missing or empty: %s", body_for_msg(r));
	errs = json_object_get(r->json, "errors");
	if (!json_is_array(errs))
		return h_strf("errors is not an array: %s", body_for_msg(r));
	json_array_foreach(errs, i, it) {
		json_t *fe = json_object_get(it, "isFieldError");
		json_t *fi = json_object_get(it, "fieldIdentifier");
		const char *ik;
		json_t *iv;

		if (!json_is_object(it))
			return h_strf("errors[%zu] is not an object: %s", i, body_for_msg(r));
		json_object_foreach(it, ik, iv)
			if (strcmp(ik, "errorMessage") && strcmp(ik, "isFieldError") && strcmp(ik, "objectName") &&
			    strcmp(ik, "fieldIdentifier"))
				return h_strf("errors[%zu] has unexpected member \"%s\": %s", i, ik, body_for_msg(r));
		if (!json_is_string(json_object_get(it, "errorMessage")) ||
		    json_string_length(json_object_get(it, "errorMessage")) == 0)
			return h_strf("errors[%zu].errorMessage missing or empty: %s", i, body_for_msg(r));
		if (!json_is_boolean(fe))
			return h_strf("errors[%zu].isFieldError is not a boolean: %s", i, body_for_msg(r));
		if (!json_is_string(json_object_get(it, "objectName")))
			return h_strf("errors[%zu].objectName is not a string: %s", i, body_for_msg(r));
		if (json_is_true(fe) && (!json_is_string(fi) || json_string_length(fi) == 0))
			return h_strf("errors[%zu] is a field error without fieldIdentifier: %s", i, body_for_msg(r));
		if (fi != NULL && !json_is_null(fi) && !json_is_string(fi))
			return h_strf("errors[%zu].fieldIdentifier is not a string: %s", i, body_for_msg(r));
	}
	if (status == 401) {
		const char *wa = h_header(r, "WWW-Authenticate");

		if (wa == NULL || strncmp(wa, "Bearer", 6) != 0)
			return h_strf("401 without WWW-Authenticate: Bearer (got %s)", wa ? wa : "(none)");
	}
	if (status == 405 && h_header(r, "Allow") == NULL)
		return h_strf("405 without an Allow header: %s", body_for_msg(r));
	return NULL;
}

void
h_expect_api_error_at(const char *file, int line, const struct h_resp *r, long status, const char *error)
{
	const char *p = h_api_error_problem(r, status, error);

	if (p)
		h_fail_at(file, line, "%s", p);
}

static bool
field_matches(const char *id, const char *field)
{
	size_t il = strlen(id), fl = strlen(field);

	if (strcmp(id, field) == 0)
		return true;
	if (il > fl && id[il - fl - 1] == '.' && strcmp(id + il - fl, field) == 0)
		return true;
	return strncmp(id, field, fl) == 0 && (id[fl] == '[' || id[fl] == '.');
}

static const json_t *
find_field(const struct h_resp *r, const char *field, const bool *used, size_t *idx)
{
	size_t i;
	json_t *it;

	json_array_foreach(json_object_get(r->json, "errors"), i, it) {
		const char *id = json_string_value(json_object_get(it, "fieldIdentifier"));

		if (id && field_matches(id, field) && (used == NULL || !used[i])) {
			if (idx)
				*idx = i;
			return it;
		}
	}
	return NULL;
}

const json_t *
h_api_field_error_at(const char *file, int line, const struct h_resp *r, const char *field)
{
	const json_t *it = find_field(r, field, NULL, NULL);

	if (it == NULL)
		h_fail_at(file, line, "no errors[] entry names \"%s\": %s", field, body_for_msg(r));
	return it;
}

const char *
h_invalid_problem(const struct h_resp *r, const char *object, const char *fields_csv)
{
	char *list = h_strf("%s", fields_csv), *save = NULL, *t;
	size_t n = 0, nerr;
	bool used[64] = { false };
	const char *d, *p;

	if ((p = h_api_error_problem(r, 400, "invalid_request")) != NULL)
		return p;
	nerr = json_array_size(json_object_get(r->json, "errors"));
	d = json_string_value(json_object_get(r->json, "error_description"));
	for (t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t idx = 0;
		const json_t *it = find_field(r, t, used, &idx);
		const char *id;

		n++;
		if (it == NULL)
			return h_strf("no (further) errors[] entry names \"%s\" (expected %s): %s", t, fields_csv,
			              body_for_msg(r));
		if (idx < 64)
			used[idx] = true;
		if (!json_is_true(json_object_get(it, "isFieldError")))
			return h_strf("the error for \"%s\" is not a field error: %s", t, body_for_msg(r));
		if (object && strcmp(json_string_value(json_object_get(it, "objectName")), object) != 0)
			return h_strf("the error for \"%s\" has objectName \"%s\", expected \"%s\"", t,
			              json_string_value(json_object_get(it, "objectName")), object);
		id = json_string_value(json_object_get(it, "fieldIdentifier"));
		if (strstr(d, id) == NULL)
			return h_strf("error_description does not name \"%s\": \"%s\"", id, d);
	}
	if (nerr != n)
		return h_strf("expected exactly %zu errors[] entries (%s), got %zu: %s", n, fields_csv, nerr,
		              body_for_msg(r));
	return NULL;
}

void
h_expect_invalid_at(const char *file, int line, const struct h_resp *r, const char *object,
                    const char *fields_csv)
{
	const char *p = h_invalid_problem(r, object, fields_csv);

	if (p)
		h_fail_at(file, line, "%s", p);
}

/* Learns the server's clock from the iat of a token it issues, trying each candidate time
 * for the grant (a grant is only accepted near the server's clock). */
static bool
resync_clock(struct h_server *s, const struct h_actor *op, const int64_t *cand, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *c = h_claims(op->client_id, H_SC_ADMIN), *claims;
		struct h_resp *r;

		json_object_set_new(c, "iat", json_integer((json_int_t)cand[i]));
		json_object_set_new(c, "exp", json_integer((json_int_t)(cand[i] + 120)));
		r = h_post_token(s, h_sign_kid(op->key, "RS256", c));
		if (r->status != 200 || !json_is_string(json_object_get(r->json, "access_token")))
			continue;
		claims = h_jws_claims(json_string_value(json_object_get(r->json, "access_token")), NULL);
		if (json_is_integer(json_object_get(claims, "iat"))) {
			s->now = (int64_t)json_integer_value(json_object_get(claims, "iat"));
			return true;
		}
	}
	return false;
}

void
h_set_clock_at(const char *file, int line, struct h_server *s, const struct h_actor *op, int64_t t)
{
	const char *tok = h_bearer_token_at(file, line, s, op->key, op->client_id, H_SC_ADMIN);
	struct h_resp *r = h_api(s, "POST", "/admin/clock", tok, h_strf("{\"now\":%lld}", (long long)t));

	if (r->curl_rc != 0 || r->status != 200) {
		/* Keep the harness's idea of the server clock right for the tests that follow. */
		int64_t cand[2] = { t, s->now };

		if (!resync_clock(s, op, cand, 2))
			fprintf(stderr, "harness: the server clock is unknown after a failed POST /admin/clock\n");
		h_fail_at(file, line, "POST /admin/clock %lld: expected 200, got %s (server clock now %lld)", (long long)t,
		          body_for_msg(r), (long long)s->now);
	}
	s->now = t;
}

json_t *
h_find(const json_t *arr, const char *name, const char *value)
{
	size_t i;
	json_t *it;

	json_array_foreach(arr, i, it) {
		const char *v = json_string_value(json_object_get(it, name));

		if (v && strcmp(v, value) == 0)
			return it;
	}
	return NULL;
}

const char *
h_jwk_kids_at(const char *file, int line, struct h_server *s)
{
	struct h_resp *r = h_get(s, "/jwk");
	const char *out = "";
	size_t i;
	json_t *k;

	if (r->status != 200 || !json_is_array(json_object_get(r->json, "keys")))
		h_fail_at(file, line, "GET /jwk: %s", body_for_msg(r));
	json_array_foreach(json_object_get(r->json, "keys"), i, k)
		out = h_strf("%s%s%s", out, i ? " " : "", h_jstr_at(file, line, k, "kid"));
	return out;
}

json_t *
h_db_signing_key_doc(const char *data_dir, const char *kid)
{
	const char *uri = h_db_uri(data_dir);
	char kind[16];
	const char *vals[1] = { kind };
	json_t *out = NULL;
	PGconn *c;
	PGresult *r;

	if (uri == NULL)
		h_fail("%s has no database", data_dir);
	snprintf(kind, sizeof(kind), "%d", (int)PORTEN_DOC_SIGNING_KEY);
	c = PQconnectdb(uri);
	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		h_fail("cannot connect to %s", uri);
	}
	r = PQexecParams(c, "SELECT doc FROM docs WHERE kind = $1", 1, NULL, vals, NULL, NULL, 0);
	for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r) && out == NULL; i++) {
		json_t *doc = json_loads(PQgetvalue(r, i, 0), 0, NULL);
		const char *dk = json_string_value(json_object_get(doc, "kid"));

		if (dk != NULL && strcmp(dk, kid) == 0)
			out = h_keep_json(doc);
		else
			json_decref(doc);
	}
	PQclear(r);
	PQfinish(c);
	return out;
}

char *
h_db_signing_key_pem(const char *file, int line, struct h_server *s, const char *kid)
{
	unsigned char sk[PORTEN_SEAL_KEY_SIZE];
	json_t *doc;
	char *plain = NULL, *out = NULL;
	size_t n = 0;

	(void)file; (void)line;
	doc = h_db_signing_key_doc(s->data_dir, kid);
	if (doc != NULL && porten_seal_key(keys_secret, sizeof(keys_secret), sk) == 0 &&
	    porten_unseal(sk, json_string_value(json_object_get(doc, "key")), kid, &plain, &n) == 0) {
		out = h_strf("%s", plain);
		porten_wipe(plain, n);
		free(plain);
	}
	return out;
}

void
h_db_add_signing_key(const char *data_dir, const char *kid, const char *key_pem, const char *crt_pem,
                     int64_t created)
{
	const char *uri = h_db_uri(data_dir);
	unsigned char sk[PORTEN_SEAL_KEY_SIZE];
	char kind[16], seqno[24], upd[24], *sealed = NULL;
	const char *vals[4];
	json_t *doc;
	PGconn *c;
	PGresult *r;
	long long next = 1;
	bool ok;

	if (uri == NULL)
		h_fail("h_db_add_signing_key: %s has no database", data_dir);
	if (porten_seal_key(keys_secret, sizeof(keys_secret), sk) != 0 ||
	    porten_seal(sk, key_pem, strlen(key_pem), kid, &sealed) != 0)
		h_fail("cannot seal the key %s", kid);
	doc = json_pack("{s:s,s:I,s:I,s:s,s:s}", "kid", kid, "created", (json_int_t)created,
	                "activates", (json_int_t)created, "crt", crt_pem, "key", sealed);
	free(sealed);
	h_keep_json(doc);
	snprintf(kind, sizeof(kind), "%d", (int)PORTEN_DOC_SIGNING_KEY);
	snprintf(upd, sizeof(upd), "%lld", (long long)time(NULL));
	c = PQconnectdb(uri);
	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		h_fail("cannot connect to %s", uri);
	}
	vals[0] = kind;
	r = PQexecParams(c, "SELECT count(*) FROM docs WHERE kind = $1", 1, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		next = atoll(PQgetvalue(r, 0, 0)) + 1;
	PQclear(r);
	snprintf(seqno, sizeof(seqno), "%010lld", next);
	vals[1] = seqno;
	vals[2] = h_dump(doc);
	vals[3] = upd;
	r = PQexecParams(c, "INSERT INTO docs (kind, key, doc, updated_at) VALUES ($1, convert_to($2, 'UTF8'), $3, $4)",
	                 4, NULL, vals, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (ok) {
		r = PQexec(c, "UPDATE meta SET value = value + 1 WHERE name = 'generation'");
		PQclear(r);
	}
	PQfinish(c);
	if (!ok)
		h_fail("cannot insert the signing key %s into %s", kid, uri);
}

porten_key *
h_server_key_at(const char *file, int line, struct h_server *s, const char *kid)
{
	const char *path = h_strf("%s/keys/%s.key.pem", s->data_dir, kid);
	size_t len;
	char *pem;
	porten_key *k = NULL;

	if (h_db_uri(s->data_dir) != NULL) {
		pem = h_db_signing_key_pem(file, line, s, kid);
		path = h_strf("the sealed key %s in the database", kid);
		len = strlen(pem);
	} else
		pem = h_read_file(path, &len);
	if (pem == NULL)
		h_fail_at(file, line, "cannot read the server key %s", path);
	if (porten_key_from_pem(pem, len, &k) != 0)
		h_fail_at(file, line, "%s is not a private key", path);
	keep_add(K_PKEY, k);
	return k;
}

json_t *
h_key_pub(const struct h_key *k, const char *alg)
{
	json_t *jwk = NULL;

	if (porten_key_to_jwk(k->key, k->kid, &jwk) != 0)
		h_fail("porten_key_to_jwk failed");
	json_object_set_new(jwk, "use", json_string("sig"));
	json_object_set_new(jwk, "alg", json_string(alg));
	return h_keep_json(jwk);
}

json_t *
h_jws_claims(const char *jws, json_t **hdr)
{
	struct porten_jws_view v;
	json_t *h = NULL, *c = NULL;

	if (porten_jws_split(jws, strlen(jws), 1 << 20, &v) != 0)
		h_fail("not a compact JWS: %s", jws);
	if (porten_jws_decode_json(v.header, v.header_len, 1 << 16, &h) != 0 ||
	    porten_jws_decode_json(v.payload, v.payload_len, 1 << 20, &c) != 0) {
		json_decref(h);
		h_fail("JWS segments are not JSON: %s", jws);
	}
	h_keep_json(h);
	h_keep_json(c);
	if (hdr)
		*hdr = h;
	return c;
}

json_t *
h_audit_at(const char *file, int line, struct h_server *s, const struct h_actor *op, const char *query)
{
	json_t *all = h_keep_json(json_array());
	const char *after = NULL;

	for (int page = 0; page < 1000; page++) {
		const char *tok = h_bearer_token_at(file, line, s, op->key, op->client_id, H_SC_ADMIN);
		const char *path = h_strf("/admin/audit?limit=1000%s%s%s%s", after ? "&after=" : "",
		                          after ? h_urlenc(after) : "", query ? "&" : "", query ? query : "");
		struct h_resp *r = h_api(s, "GET", path, tok, NULL);
		json_t *body = h_expect_api_at(file, line, r, 200), *entries = json_object_get(body, "entries"), *last;

		if (!json_is_array(entries))
			h_fail_at(file, line, "GET %s: no entries array: %s", path, body_for_msg(r));
		json_array_extend(all, entries);
		if (json_array_size(entries) < 1000)
			return all;
		last = json_object_get(json_array_get(entries, json_array_size(entries) - 1), "id");
		if (json_is_integer(last))
			after = h_strf("%lld", (long long)json_integer_value(last));
		else if (json_is_string(last))
			after = h_strf("%s", json_string_value(last));
		else
			h_fail_at(file, line, "audit entry without an id: %s", h_dump(json_array_get(entries, 0)));
	}
	h_fail_at(file, line, "the audit trail does not end");
}

void
h_check_schema_at(const char *file, int line, const char *name, json_t *values)
{
	const char *path = h_strf("%s/schema-%d.jsonl", h_tmpdir(), rand());
	const char *log = h_strf("%s.log", path);
	FILE *f = fopen(path, "w");
	size_t i;
	json_t *v;
	int st;

	if (f == NULL)
		h_fail_at(file, line, "cannot write %s", path);
	json_array_foreach(values, i, v)
		fprintf(f, "%s\n", h_dump(v));
	fclose(f);
	st = system(h_strf("/usr/bin/python3 %s/tests/unit/freg/check_schema.py --schema %s %s > %s 2>&1",
	                   PORTEN_SOURCE_DIR, name, path, log));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 2) {
		printf("contract not available, %s not checked: %s\n", name, h_read_file(log, NULL));
		return;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		h_fail_at(file, line, "%s does not match the OpenAPI 1.5 contract:\n%s", name,
		          h_read_file(log, NULL));
}
