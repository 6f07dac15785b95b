/* Bounded growable byte buffer (after git's strbuf and curl's dynbuf).
 * Always NUL-terminated when data != NULL. Appending past max fails with
 * PORTEN_ERR_TOO_LARGE and leaves the buffer unchanged. */
#ifndef PORTEN_BUF_H
#define PORTEN_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct porten_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

/* A borrowed view: pointer plus length, not NUL-terminated. */
struct porten_str {
	const char *p;
	size_t n;
};

void porten_buf_init(struct porten_buf *b, size_t max);
int porten_buf_append(struct porten_buf *b, const void *data, size_t len);
int porten_buf_appends(struct porten_buf *b, const char *s);
int porten_buf_appendf(struct porten_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int porten_buf_vappendf(struct porten_buf *b, const char *fmt, va_list ap);
void porten_buf_reset(struct porten_buf *b);     /* len = 0, keeps memory */
void porten_buf_release(struct porten_buf *b);   /* frees, back to init state */
/* Hands the data to the caller (free() it); the buffer is released. */
char *porten_buf_detach(struct porten_buf *b, size_t *len);

/* Read a whole file, at most max bytes. */
int porten_file_read(const char *path, size_t max, char **out, size_t *len);
/* Reads fd to its end, at most max bytes: *out malloc'd and NUL-terminated. 0,
 * PORTEN_ERR_TOO_LARGE, PORTEN_ERR_IO or PORTEN_ERR_NOMEM. */
int porten_fd_read(int fd, size_t max, char **out, size_t *len);
/* Write atomically: a fresh temp file in the same directory (mkstemp: O_EXCL, never
 * following a planted symlink), chmod to mode, fsync, rename, fsync dir. */
int porten_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* mkdir -p with mode. */
int porten_mkdirs(const char *path, unsigned mode);

/* Constant-time equality of two byte strings (length is not secret). */
int porten_ct_equal(const void *a, size_t an, const void *b, size_t bn);
/* Wipes secret material (not optimised away). */
void porten_wipe(void *p, size_t n);

#endif
