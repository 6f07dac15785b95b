/* Norwegian identifiers: organisation numbers and person identifiers (fødselsnummer,
 * d-number, synthetic, the 2032 check-digit rule). spec/folkeregisteret.md 7. */
#ifndef PORTEN_IDENT_H
#define PORTEN_IDENT_H

#include <stdbool.h>
#include <stddef.h>

/* 9 digits, mod-11 check digit with weights 3,2,7,6,5,4,3,2 (k = 10 is invalid). */
bool porten_orgno_valid(const char *s, size_t n);

enum porten_pid_kind { PORTEN_PID_FNR = 1, PORTEN_PID_DNR = 2 };

#define PORTEN_PID_ALLOW_SYNTHETIC 0x1   /* month + 80 (test profile) */

struct porten_pid_info {
	enum porten_pid_kind kind;
	bool synthetic;
	bool rule_2032;        /* valid only under the 2032 k1 rule */
	int day, month, yy;    /* date digits with the d-number / synthetic shifts removed */
};

/* 11 digits; d-number (first digit 4-7) and, with PORTEN_PID_ALLOW_SYNTHETIC, synthetic
 * (+80) shifts removed; DDMMYY a real date (leap years as 20xx); k1 with remainder in
 * {0,1,2,3} (2032 rule, a superset of the old one), k2 with remainder 0.
 * H-numbers (month + 40) are refused. info may be NULL. */
bool porten_pid_valid(const char *s, size_t n, unsigned flags, struct porten_pid_info *info);

#endif
