/* Time. porten_now() is wall-clock unix seconds, unless pinned for tests with
 * porten_clock_pin() (the --fake-now flag) so boundary tests are exact. */
#ifndef PORTEN_CLOCK_H
#define PORTEN_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t porten_now(void);
void porten_clock_pin(int64_t unix_seconds);   /* 0 unpins */
/* Monotonic nanoseconds, for latency. */
int64_t porten_mono_ns(void);
/* ISO 8601 UTC "2026-11-25T17:43:17Z" into out (>= 21 bytes). */
void porten_iso8601(int64_t t, char *out, size_t outsz);
/* Parses "YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm)" or a date "YYYY-MM-DD". 0 or PORTEN_ERR_INVALID. */
int porten_iso8601_parse(const char *s, int64_t *out);

#endif
