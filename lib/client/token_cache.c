/* The consumer's token cache (token_cache.h). Files are small JSON documents under a
 * private directory; the access token inside is wiped from our buffers once copied. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "porten/b64.h"
#include "porten/buf.h"
#include "porten/error.h"
#include "porten/json.h"
#include "porten/limits.h"
#include "porten/rand.h"
#include "porten/token_cache.h"

#define CACHE_KEY_INPUT_MAX (32 * 1024)   /* URLs, ids, scope, consumer_org, resource */

int
porten_token_cache_dir(const char *dir, char *out, size_t outsz)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	if (dir != NULL && *dir != '\0')
		n = snprintf(out, outsz, "%s", dir);
	else if (xdg != NULL && xdg[0] == '/')   /* the XDG spec: relative values are ignored */
		n = snprintf(out, outsz, "%s/porten", xdg);
	else if (home != NULL && *home != '\0')
		n = snprintf(out, outsz, "%s/.cache/porten", home);
	else
		return PORTEN_ERR_NOT_FOUND;
	if (n < 0 || (size_t)n >= outsz)
		return PORTEN_ERR_TOO_LARGE;
	return 0;
}

/* Appends "<length>:<value>," or "-," for an absent value. */
static int
add_field(struct porten_buf *b, const char *v)
{
	if (v == NULL)
		return porten_buf_appends(b, "-,");
	if (porten_buf_appendf(b, "%zu:", strlen(v)) != 0 || porten_buf_appends(b, v) != 0)
		return PORTEN_ERR_TOO_LARGE;
	return porten_buf_appends(b, ",");
}

static void
to_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int
porten_token_cache_key(const char *authz_url, const struct porten_client_credentials *cr,
                       const struct porten_grant_params *gp,
                       char out[PORTEN_TOKEN_CACHE_KEY_LEN + 1])
{
	unsigned char der[PORTEN_X5C_CERT_MAX], md[32];
	char signer[8 + 2 * sizeof(md) + 1];
	struct porten_buf b;
	const json_t *leaf;
	size_t dlen;
	int r = PORTEN_ERR_INVALID;

	out[0] = '\0';
	porten_buf_init(&b, CACHE_KEY_INPUT_MAX);
	if (authz_url == NULL || cr == NULL || cr->client_id == NULL || gp == NULL || gp->scope == NULL)
		goto out;
	if (cr->x5c != NULL) {
		leaf = json_array_get(cr->x5c, 0);
		if (!json_is_string(leaf) ||
		    porten_b64std_decode(json_string_value(leaf), json_string_length(leaf), der,
		                         sizeof(der), &dlen) != 0 ||
		    (r = porten_sha256(der, dlen, md)) != 0) {
			r = r != 0 ? r : PORTEN_ERR_INVALID;
			goto out;
		}
		memcpy(signer, "x5t#256:", 8);
		to_hex(md, sizeof(md), signer + 8);
	} else if (cr->kid != NULL) {
		if (strlen(cr->kid) > PORTEN_KID_MAX)
			goto out;
		snprintf(signer, sizeof(signer), "%s", "kid");
	} else {
		goto out;
	}
	if ((r = porten_buf_appends(&b, "porten-token-cache-1,")) != 0 ||
	    (r = add_field(&b, authz_url)) != 0 || (r = add_field(&b, cr->client_id)) != 0 ||
	    (r = add_field(&b, signer)) != 0 ||
	    (r = add_field(&b, cr->x5c != NULL ? NULL : cr->kid)) != 0 ||
	    (r = add_field(&b, gp->scope)) != 0 || (r = add_field(&b, gp->consumer_org)) != 0 ||
	    (r = add_field(&b, gp->resource)) != 0)
		goto out;
	if ((r = porten_sha256(b.data, b.len, md)) != 0)
		goto out;
	to_hex(md, sizeof(md), out);
	r = 0;
out:
	porten_buf_release(&b);
	return r;
}

bool
porten_token_cache_fresh(int64_t now, int64_t expires_at, int64_t lifetime)
{
	int64_t need = lifetime / PORTEN_TOKEN_CACHE_LEFT_DIV;

	if (lifetime <= 0)
		return false;
	if (need < PORTEN_TOKEN_CACHE_MIN_LEFT_S)
		need = PORTEN_TOKEN_CACHE_MIN_LEFT_S;
	return expires_at - now > need;
}

static int
cache_path(const char *dir, const char *key, char *out, size_t outsz)
{
	int n;

	if (dir == NULL || key == NULL || strlen(key) != PORTEN_TOKEN_CACHE_KEY_LEN ||
	    strspn(key, "0123456789abcdef") != PORTEN_TOKEN_CACHE_KEY_LEN)
		return PORTEN_ERR_INVALID;
	n = snprintf(out, outsz, "%s/%s.json", dir, key);
	return n < 0 || (size_t)n >= outsz ? PORTEN_ERR_TOO_LARGE : 0;
}

int
porten_token_cache_dir_check(const char *dir, char *why, size_t whysz)
{
	struct stat st;

	if (why != NULL && whysz > 0)
		why[0] = '\0';
	if (dir == NULL || *dir == '\0')
		return PORTEN_ERR_INVALID;
	if (lstat(dir, &st) != 0) {
		if (errno == ENOENT)
			return PORTEN_ERR_NOT_FOUND;
		if (why != NULL)
			snprintf(why, whysz, "cannot inspect it: %s", strerror(errno));
		return PORTEN_ERR_IO;
	}
	if (S_ISLNK(st.st_mode)) {
		if (why != NULL)
			snprintf(why, whysz, "it is a symbolic link");
		return PORTEN_ERR_CONFLICT;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (why != NULL)
			snprintf(why, whysz, "it is not a directory");
		return PORTEN_ERR_CONFLICT;
	}
	if (st.st_uid != geteuid()) {
		if (why != NULL)
			snprintf(why, whysz, "it belongs to another user (uid %ld)", (long)st.st_uid);
		return PORTEN_ERR_CONFLICT;
	}
	if ((st.st_mode & 022) != 0) {
		if (why != NULL)
			snprintf(why, whysz, "it is writable by %s (mode %03o)",
			         (st.st_mode & 002) ? "everyone" : "its group", (unsigned)(st.st_mode & 0777));
		return PORTEN_ERR_CONFLICT;
	}
	return 0;
}

/* The file at path when it is a regular file of ours, read without following a symlink
 * and without blocking on a FIFO. 0, PORTEN_ERR_NOT_FOUND, or PORTEN_ERR_INVALID for
 * anything else (a miss). */
static int
read_entry(const char *path, char **data, size_t *len)
{
	struct stat st;
	int fd, r;

	*data = NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return errno == ENOENT ? PORTEN_ERR_NOT_FOUND : PORTEN_ERR_INVALID;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return PORTEN_ERR_INVALID;
	}
	r = porten_fd_read(fd, PORTEN_TOKEN_CACHE_FILE_MAX, data, len);
	close(fd);
	return r == 0 ? 0 : PORTEN_ERR_INVALID;
}

int
porten_token_cache_get(const char *dir, const char *key, int64_t now, int64_t min_left,
                       struct porten_client_token *tok, int64_t *expires_at)
{
	char path[4096], *data = NULL;
	const char *at, *tt, *sc;
	const json_t *ei, *ea;
	json_t *doc = NULL;
	size_t len = 0;
	int r;

	memset(tok, 0, sizeof(*tok));
	tok->expires_in = -1;
	*expires_at = 0;
	if ((r = cache_path(dir, key, path, sizeof(path))) != 0)
		return r;
	if ((r = porten_token_cache_dir_check(dir, NULL, 0)) != 0)
		return r == PORTEN_ERR_NOT_FOUND ? r : PORTEN_ERR_CONFLICT;
	if ((r = read_entry(path, &data, &len)) != 0)
		return r;
	r = PORTEN_ERR_INVALID;
	doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
	at = porten_json_str(doc, "access_token");
	tt = porten_json_str(doc, "token_type");
	sc = porten_json_str(doc, "scope");
	ei = json_object_get(doc, "expires_in");
	ea = json_object_get(doc, "expires_at");
	if (at == NULL || tt == NULL || !json_is_integer(ei) || !json_is_integer(ea) ||
	    json_integer_value(ei) <= 0 || (json_object_get(doc, "scope") != NULL && sc == NULL))
		goto out;
	if (!porten_token_cache_fresh(now, (int64_t)json_integer_value(ea),
	                              (int64_t)json_integer_value(ei)) ||
	    (int64_t)json_integer_value(ea) - now <= min_left) {
		r = PORTEN_ERR_NOT_FOUND;
		goto out;
	}
	r = PORTEN_ERR_NOMEM;
	if ((tok->access_token = strdup(at)) == NULL || (tok->token_type = strdup(tt)) == NULL ||
	    (sc != NULL && (tok->scope = strdup(sc)) == NULL))
		goto out;
	tok->expires_in = (int64_t)json_integer_value(ei);
	*expires_at = (int64_t)json_integer_value(ea);
	r = 0;
out:
	porten_json_wipe_string(doc, "access_token");
	json_decref(doc);
	if (data != NULL) {
		porten_wipe(data, len);
		free(data);
	}
	if (r != 0)
		porten_client_token_clear(tok);
	return r;
}

int
porten_token_cache_put(const char *dir, const char *key, const struct porten_client_token *tok,
                       int64_t now)
{
	char path[4096], *text = NULL;
	json_t *doc = NULL;
	int r;

	if ((r = cache_path(dir, key, path, sizeof(path))) != 0)
		return r;
	if (tok == NULL || tok->access_token == NULL || tok->expires_in <= 0 ||
	    tok->expires_in > INT32_MAX)
		return PORTEN_ERR_INVALID;
	/* Never into a directory others can write to (they could plant or swap entries). */
	if (porten_mkdirs(dir, 0700) != 0)
		return PORTEN_ERR_IO;
	if (porten_token_cache_dir_check(dir, NULL, 0) != 0)
		return PORTEN_ERR_CONFLICT;
	r = PORTEN_ERR_NOMEM;
	doc = json_pack("{s:s, s:s, s:I, s:s*, s:I}", "access_token", tok->access_token,
	                "token_type", tok->token_type != NULL ? tok->token_type : "Bearer",
	                "expires_in", (json_int_t)tok->expires_in, "scope", tok->scope,
	                "expires_at", (json_int_t)(now + tok->expires_in));
	if (doc == NULL || (text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		goto out;
	r = porten_file_write_atomic(path, text, strlen(text), 0600);
out:
	if (text != NULL) {
		porten_wipe(text, strlen(text));
		free(text);
	}
	porten_json_wipe_string(doc, "access_token");
	json_decref(doc);
	return r;
}

int
porten_token_cache_drop(const char *dir, const char *key)
{
	char path[4096];
	int r;

	if ((r = cache_path(dir, key, path, sizeof(path))) != 0)
		return r;
	if (unlink(path) != 0 && errno != ENOENT)
		return PORTEN_ERR_IO;
	return 0;
}
