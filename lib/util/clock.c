#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "porten/clock.h"
#include "porten/error.h"

static _Atomic int64_t pinned;

int64_t
porten_now(void)
{
	int64_t p = atomic_load_explicit(&pinned, memory_order_relaxed);

	if (p != 0)
		return p;
	return (int64_t)time(NULL);
}

void
porten_clock_pin(int64_t t)
{
	atomic_store(&pinned, t);
}

int64_t
porten_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
porten_iso8601(int64_t t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
porten_iso8601_parse(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign;
	size_t n = strlen(s), i;
	struct tm tm;
	int64_t t;

	if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return PORTEN_ERR_INVALID;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return PORTEN_ERR_INVALID;
	i = 10;
	if (n > 10) {
		if (n < 20 || (s[10] != 'T' && s[10] != ' ') || digits(s + 11, 2, &h) || s[13] != ':' ||
		    digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
			return PORTEN_ERR_INVALID;
		if (h > 23 || mi > 59 || sec > 60)
			return PORTEN_ERR_INVALID;
		i = 19;
		if (s[i] == '.') {
			i++;
			if (s[i] < '0' || s[i] > '9')
				return PORTEN_ERR_INVALID;
			while (s[i] >= '0' && s[i] <= '9')
				i++;
		}
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm);
	if (n > 10) {
		if (s[i] == 'Z' && s[i + 1] == '\0') {
			/* UTC */
		} else if ((s[i] == '+' || s[i] == '-') && strlen(s + i) == 6 && !digits(s + i + 1, 2, &oh) &&
		           s[i + 3] == ':' && !digits(s + i + 4, 2, &om)) {
			sign = s[i] == '+' ? 1 : -1;
			t -= sign * (oh * 3600 + om * 60);
		} else {
			return PORTEN_ERR_INVALID;
		}
	}
	*out = t;
	return 0;
}
