/* Logging to stderr. The level is checked before anything is formatted.
 * Untrusted values go through porten_log_escape so a request cannot forge lines. */
#ifndef PORTEN_LOG_H
#define PORTEN_LOG_H

#include <stddef.h>

enum porten_log_level { PORTEN_LOG_ERROR, PORTEN_LOG_WARN, PORTEN_LOG_INFO, PORTEN_LOG_DEBUG };

extern int porten_log_threshold;

void porten_log_set_level(enum porten_log_level lvl);
int porten_log_level_from_name(const char *name);   /* -1 if unknown */
void porten_log_write(enum porten_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define porten_log(lvl, ...) \
	do { if ((int)(lvl) <= porten_log_threshold) porten_log_write((lvl), __VA_ARGS__); } while (0)
#define log_error(...) porten_log(PORTEN_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  porten_log(PORTEN_LOG_WARN, __VA_ARGS__)
#define log_info(...)  porten_log(PORTEN_LOG_INFO, __VA_ARGS__)
#define log_debug(...) porten_log(PORTEN_LOG_DEBUG, __VA_ARGS__)

/* Copies at most PORTEN_LOG_FIELD_MAX bytes of (s, n) into out (outsz bytes, NUL-terminated),
 * replacing control characters, quotes, backslashes and non-ASCII by \xNN (so a
 * value is safe inside double quotes); "-" for NULL/empty.
 * Returns out. */
char *porten_log_escape(char *out, size_t outsz, const char *s, size_t n);

#endif
