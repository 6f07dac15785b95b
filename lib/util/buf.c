#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "porten/buf.h"
#include "porten/error.h"

void
porten_buf_init(struct porten_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static int
buf_grow(struct porten_buf *b, size_t extra)
{
	size_t need, ncap;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return PORTEN_ERR_TOO_LARGE;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if ((p = realloc(b->data, ncap)) == NULL)
		return PORTEN_ERR_NOMEM;
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
porten_buf_append(struct porten_buf *b, const void *data, size_t len)
{
	int r;

	if ((r = buf_grow(b, len)) != 0)
		return r;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
porten_buf_appends(struct porten_buf *b, const char *s)
{
	return porten_buf_append(b, s, strlen(s));
}

int
porten_buf_vappendf(struct porten_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, r;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return PORTEN_ERR_INVALID;
	if ((r = buf_grow(b, (size_t)n)) != 0)
		return r;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
porten_buf_appendf(struct porten_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = porten_buf_vappendf(b, fmt, ap);
	va_end(ap);
	return r;
}

void
porten_buf_reset(struct porten_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
porten_buf_release(struct porten_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
porten_buf_detach(struct porten_buf *b, size_t *len)
{
	char *p = b->data;

	if (p == NULL)
		p = calloc(1, 1);
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

int
porten_fd_read(int fd, size_t max, char **out, size_t *len)
{
	struct porten_buf b;
	char chunk[65536];
	ssize_t n;
	int r;

	*out = NULL;
	porten_buf_init(&b, max);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = PORTEN_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		if ((r = porten_buf_append(&b, chunk, (size_t)n)) != 0)
			goto out;
	}
	if (porten_buf_append(&b, "", 0) != 0) {  /* ensure allocation for empty files */
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	*out = porten_buf_detach(&b, len);
	r = 0;
out:
	porten_wipe(chunk, sizeof(chunk));
	if (b.data != NULL)
		porten_wipe(b.data, b.len);
	porten_buf_release(&b);
	return r;
}

int
porten_file_read(const char *path, size_t max, char **out, size_t *len)
{
	int fd, r;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? PORTEN_ERR_NOT_FOUND : PORTEN_ERR_IO;
	r = porten_fd_read(fd, max, out, len);
	close(fd);
	return r;
}

int
porten_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash;
	ssize_t w;
	size_t off = 0;
	int fd = -1, dfd, r = PORTEN_ERR_IO;

	/* A fresh name made with O_CREAT | O_EXCL (mkstemp): nothing planted in the directory,
	 * a symlink least of all, is ever opened or followed. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return PORTEN_ERR_TOO_LARGE;
	if ((fd = mkstemp(tmp)) < 0)
		return PORTEN_ERR_IO;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || fchmod(fd, mode) != 0)
		goto out;
	while (off < len) {
		w = write(fd, (const char *)data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r != 0)
		unlink(tmp);
	return r;
}

int
porten_mkdirs(const char *path, unsigned mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);
	char *p;

	if (n == 0 || n >= sizeof(tmp))
		return PORTEN_ERR_INVALID;
	memcpy(tmp, path, n + 1);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) != 0 && errno != EEXIST)
			return PORTEN_ERR_IO;
		*p = '/';
	}
	if (mkdir(tmp, mode) != 0 && errno != EEXIST)
		return PORTEN_ERR_IO;
	return 0;
}

int
porten_ct_equal(const void *a, size_t an, const void *b, size_t bn)
{
	if (an != bn)
		return 0;
	return CRYPTO_memcmp(a, b, an) == 0;
}

void
porten_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}
