#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "porten/limits.h"
#include "porten/log.h"

int porten_log_threshold = PORTEN_LOG_INFO;

void
porten_log_set_level(enum porten_log_level lvl)
{
	porten_log_threshold = (int)lvl;
}

int
porten_log_level_from_name(const char *name)
{
	static const char *names[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

void
porten_log_write(enum porten_log_level lvl, const char *fmt, ...)
{
	static const char *tags[] = { "error", "warn", "info", "debug" };
	char line[PORTEN_LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	size_t off;
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	off = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line + off, sizeof(line) - off, ".%03ldZ %s ", ts.tv_nsec / 1000000,
	             tags[lvl < 0 || lvl > 3 ? 0 : lvl]);
	if (n > 0)
		off += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(line + off, sizeof(line) - off - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	off += (size_t)n;
	if (off > sizeof(line) - 2)
		off = sizeof(line) - 2;
	line[off++] = '\n';
	/* One write per line: lines from threads do not interleave. */
	fwrite(line, 1, off, stderr);
}

char *
porten_log_escape(char *out, size_t outsz, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (outsz == 0)
		return out;
	if (s == NULL || n == 0) {
		snprintf(out, outsz, "-");
		return out;
	}
	if (n > PORTEN_LOG_FIELD_MAX)
		n = PORTEN_LOG_FIELD_MAX;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
			if (o + 5 > outsz)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			if (o + 2 > outsz)
				break;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}
