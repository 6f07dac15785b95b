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

bool
porten_pid_make(char *out, size_t outsz, int year, int month, int day, int individ,
                int r1, unsigned flags)
{
	static const int w1[9] = { 3, 7, 6, 1, 8, 9, 4, 5, 2 };
	static const int w2[10] = { 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int x[11], s1 = 0, s2 = 0, k1, k2, dd, mm, yy;

	if (out == NULL || outsz < 12 || year < 1854 || year > 2099 || month < 1 || month > 12 ||
	    day < 1 || day > mdays[month - 1] || (month == 2 && day == 29 && !leap(year)) ||
	    individ < 0 || individ > 999 || r1 < 0 || r1 > 3)
		return false;
	dd = day + ((flags & PORTEN_PID_MAKE_DNR) ? 40 : 0);
	mm = month + ((flags & PORTEN_PID_ALLOW_SYNTHETIC) ? 80 : 0);
	yy = year % 100;
	x[0] = dd / 10; x[1] = dd % 10;
	x[2] = mm / 10; x[3] = mm % 10;
	x[4] = yy / 10; x[5] = yy % 10;
	x[6] = individ / 100; x[7] = individ / 10 % 10; x[8] = individ % 10;
	for (int i = 0; i < 9; i++)
		s1 += w1[i] * x[i];
	/* (s1 + k1) mod 11 == r1 */
	k1 = ((r1 - s1) % 11 + 11) % 11;
	if (k1 == 10)
		return false;
	x[9] = k1;
	for (int i = 0; i < 10; i++)
		s2 += w2[i] * x[i];
	k2 = (11 - s2 % 11) % 11;
	if (k2 == 10)
		return false;
	x[10] = k2;
	for (int i = 0; i < 11; i++)
		out[i] = (char)('0' + x[i]);
	out[11] = '\0';
	return true;
}

bool
porten_orgno_make(char *out, size_t outsz, unsigned long base)
{
	static const int w[8] = { 3, 2, 7, 6, 5, 4, 3, 2 };
	int sum = 0, k;

	if (out == NULL || outsz < 10 || base > 99999999UL)
		return false;
	for (int i = 7; i >= 0; i--) {
		out[i] = (char)('0' + base % 10);
		base /= 10;
	}
	for (int i = 0; i < 8; i++)
		sum += w[i] * (out[i] - '0');
	k = (11 - sum % 11) % 11;
	if (k == 10)
		return false;
	out[8] = (char)('0' + k);
	out[9] = '\0';
	return true;
}
