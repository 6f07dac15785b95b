#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "porten/buf.h"
#include "porten/error.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/pki.h"
#include "authz/keyring.h"

#define KEYRING_MAX 8

struct az_key {
	porten_key *key;
	char kid[64];
	char *x5c;      /* standard base64 DER of the self-signed certificate */
	time_t mtime;
};

struct az_keyring {
	struct az_key keys[KEYRING_MAX];
	size_t n;
	size_t signer;
};

static int
load_one(az_keyring *kr, const char *dir, const char *kid)
{
	char path[PATH_MAX], *pem = NULL, *crt = NULL;
	size_t len, clen;
	struct stat st;
	json_t *x5c = NULL;
	struct az_key *k;
	int r;

	if (kr->n >= KEYRING_MAX) {
		log_warn("keyring: more than %d keys in '%s', ignoring '%s'", KEYRING_MAX, dir, kid);
		return 0;
	}
	k = &kr->keys[kr->n];
	snprintf(path, sizeof(path), "%s/%s.key.pem", dir, kid);
	if ((r = porten_file_read(path, PORTEN_FILE_MAX, &pem, &len)) != 0)
		goto out;
	if (stat(path, &st) != 0) {
		r = PORTEN_ERR_IO;
		goto out;
	}
	if ((r = porten_key_from_pem(pem, len, &k->key)) != 0 || !porten_key_has_private(k->key)) {
		log_error("keyring: '%s' is not a private key", path);
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s.crt.pem", dir, kid);
	if ((r = porten_file_read(path, PORTEN_FILE_MAX, &crt, &clen)) != 0)
		goto out;
	if ((r = porten_pki_pem_to_x5c(crt, clen, &x5c)) != 0 || json_array_size(x5c) < 1) {
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	k->x5c = strdup(json_string_value(json_array_get(x5c, 0)));
	snprintf(k->kid, sizeof(k->kid), "%s", kid);
	k->mtime = st.st_mtime;
	kr->n++;
	r = 0;
out:
	if (r != 0 && k->key) {
		porten_key_unref(k->key);
		k->key = NULL;
	}
	if (pem) {
		porten_wipe(pem, len);
		free(pem);
	}
	free(crt);
	json_decref(x5c);
	return r;
}

static int
generate(const char *dir, const char *cn)
{
	porten_key *key = NULL;
	char kid[44], path[PATH_MAX], *pem = NULL, *b64 = NULL;
	struct porten_buf crt;
	int r;

	porten_buf_init(&crt, 64 * 1024);
	if ((r = porten_key_generate_rsa(2048, &key)) != 0)
		goto out;
	if ((r = porten_key_thumbprint(key, kid)) != 0)
		goto out;
	if ((r = porten_pki_self_signed_b64(key, cn, 3650, &b64)) != 0)
		goto out;
	r = porten_buf_appends(&crt, "-----BEGIN CERTIFICATE-----\n");
	for (size_t i = 0, n = strlen(b64); r == 0 && i < n; i += 64)
		r = porten_buf_appendf(&crt, "%.*s\n", (int)(n - i < 64 ? n - i : 64), b64 + i);
	if (r == 0)
		r = porten_buf_appends(&crt, "-----END CERTIFICATE-----\n");
	if (r != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s.crt.pem", dir, kid);
	if ((r = porten_file_write_atomic(path, crt.data, crt.len, 0644)) != 0)
		goto out;
	if ((r = porten_key_private_pem(key, &pem)) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s.key.pem", dir, kid);
	if ((r = porten_file_write_atomic(path, pem, strlen(pem), 0600)) != 0)
		goto out;
	log_info("keyring: generated signing key %s in '%s'", kid, dir);
	r = 0;
out:
	if (pem) {
		porten_wipe(pem, strlen(pem));
		free(pem);
	}
	free(b64);
	porten_buf_release(&crt);
	porten_key_unref(key);
	return r;
}

static int
scan(az_keyring *kr, const char *dir)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if ((d = opendir(dir)) == NULL)
		return PORTEN_ERR_IO;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char kid[64];

		if (n <= 8 || n - 8 >= sizeof(kid) || strcmp(de->d_name + n - 8, ".key.pem") != 0)
			continue;
		snprintf(kid, sizeof(kid), "%.*s", (int)(n - 8), de->d_name);
		if ((r = load_one(kr, dir, kid)) != 0)
			break;
	}
	closedir(d);
	return r;
}

int
az_keyring_open(const char *dir, const char *cn, az_keyring **out)
{
	az_keyring *kr = NULL;
	char lockpath[PATH_MAX];
	int lockfd = -1, r;

	*out = NULL;
	if ((r = porten_mkdirs(dir, 0700)) != 0) {
		log_error("keyring: cannot create '%s'", dir);
		return r;
	}
	/* Several processes may start on one directory: one generates, the others load. */
	snprintf(lockpath, sizeof(lockpath), "%s/.lock", dir);
	if ((lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 || flock(lockfd, LOCK_EX) != 0) {
		r = PORTEN_ERR_IO;
		goto out;
	}
	if ((kr = calloc(1, sizeof(*kr))) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	if ((r = scan(kr, dir)) != 0)
		goto out;
	if (kr->n == 0) {
		if ((r = generate(dir, cn)) != 0 || (r = scan(kr, dir)) != 0)
			goto out;
		if (kr->n == 0) {
			r = PORTEN_ERR_INTERNAL;
			goto out;
		}
	}
	for (size_t i = 1; i < kr->n; i++)
		if (kr->keys[i].mtime > kr->keys[kr->signer].mtime ||
		    (kr->keys[i].mtime == kr->keys[kr->signer].mtime &&
		     strcmp(kr->keys[i].kid, kr->keys[kr->signer].kid) > 0))
			kr->signer = i;
	*out = kr;
	kr = NULL;
	r = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	az_keyring_free(kr);
	return r;
}

void
az_keyring_free(az_keyring *kr)
{
	if (kr == NULL)
		return;
	for (size_t i = 0; i < kr->n; i++) {
		porten_key_unref(kr->keys[i].key);
		free(kr->keys[i].x5c);
	}
	free(kr);
}

const porten_key *
az_keyring_signer(const az_keyring *kr, const char **kid)
{
	*kid = kr->keys[kr->signer].kid;
	return kr->keys[kr->signer].key;
}

json_t *
az_keyring_jwks(const az_keyring *kr)
{
	json_t *keys = json_array(), *jwk;

	for (size_t i = 0; i < kr->n; i++) {
		const struct az_key *k = &kr->keys[i];
		json_t *o;

		if (porten_key_to_jwk(k->key, NULL, &jwk) != 0)
			continue;
		/* Member order as Maskinporten publishes: kty, kid, use, alg, n, e, x5c. */
		o = json_object();
		json_object_set_new(o, "kty", json_string("RSA"));
		json_object_set_new(o, "kid", json_string(k->kid));
		json_object_set_new(o, "use", json_string("sig"));
		json_object_set_new(o, "alg", json_string("RS256"));
		json_object_set(o, "n", json_object_get(jwk, "n"));
		json_object_set(o, "e", json_object_get(jwk, "e"));
		json_object_set_new(o, "x5c", json_pack("[s]", k->x5c));
		json_array_append_new(keys, o);
		json_decref(jwk);
	}
	return json_pack("{s:o}", "keys", keys);
}
