#include <string.h>

#include "porten/ident.h"

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool
porten_orgno_valid(const char *s, size_t n)
{
	static const int w[8] = { 3, 2, 7, 6, 5, 4, 3, 2 };
	int sum = 0, k;

	if (s == NULL || n != 9 || !all_digits(s, 9))
		return false;
	for (int i = 0; i < 8; i++)
		sum += w[i] * (s[i] - '0');
	k = 11 - sum % 11;
	if (k == 11)
		k = 0;
	if (k == 10)
		return false;
	return k == s[8] - '0';
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool
porten_pid_valid(const char *s, size_t n, unsigned flags, struct porten_pid_info *info)
{
	static const int w1[9] = { 3, 7, 6, 1, 8, 9, 4, 5, 2 };
	static const int w2[10] = { 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct porten_pid_info pi;
	int x[11], s1 = 0, s2 = 0, r1;

	if (s == NULL || n != 11 || !all_digits(s, 11))
		return false;
	memset(&pi, 0, sizeof(pi));
	for (int i = 0; i < 11; i++)
		x[i] = s[i] - '0';
	pi.kind = PORTEN_PID_FNR;
	pi.day = x[0] * 10 + x[1];
	pi.month = x[2] * 10 + x[3];
	pi.yy = x[4] * 10 + x[5];
	if (x[0] >= 4 && x[0] <= 7) {
		pi.kind = PORTEN_PID_DNR;
		pi.day -= 40;
	}
	if (pi.month > 80 && (flags & PORTEN_PID_ALLOW_SYNTHETIC)) {
		pi.synthetic = true;
		pi.month -= 80;
	}
	/* H-numbers (+40) and everything else outside 1..12 fall out here. */
	if (pi.month < 1 || pi.month > 12 || pi.day < 1 || pi.day > mdays[pi.month - 1])
		return false;
	if (pi.month == 2 && pi.day == 29 && !leap(2000 + pi.yy))
		return false;
	for (int i = 0; i < 9; i++)
		s1 += w1[i] * x[i];
	for (int i = 0; i < 10; i++)
		s2 += w2[i] * x[i];
	r1 = (s1 + x[9]) % 11;
	if (r1 > 3)
		return false;
	if ((s2 + x[10]) % 11 != 0)
		return false;
	pi.rule_2032 = r1 != 0;
	if (info)
		*info = pi;
	return true;
}
