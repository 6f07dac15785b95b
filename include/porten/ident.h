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

#define PORTEN_PID_MAKE_DNR 0x2          /* porten_pid_make: d-number (day + 40) */

/* Builds the identifier for a birth date (year 1854..2099), an individnummer 0..999 and
 * the k1 remainder r1 (0 = the old rule, 1..3 = the 2032 rule) into out (outsz >= 12,
 * NUL-terminated). flags: PORTEN_PID_MAKE_DNR, PORTEN_PID_ALLOW_SYNTHETIC (month + 80).
 * False when the arguments are out of range or a check digit comes out as 10 (that
 * individnummer has no number with this r1). The result passes porten_pid_valid. */
bool porten_pid_make(char *out, size_t outsz, int year, int month, int day, int individ,
                     int r1, unsigned flags);

/* Appends the mod-11 check digit to the 8-digit base (0..99999999) into out (outsz >= 10).
 * False when the base has no valid number (k = 10). */
bool porten_orgno_make(char *out, size_t outsz, unsigned long base);

#endif
