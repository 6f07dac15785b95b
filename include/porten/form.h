/* application/x-www-form-urlencoded (WHATWG URL 5.1) decoding with pointer+length input,
 * explicit bounds, and duplicate detection: the token endpoint refuses a repeated field. */
#ifndef PORTEN_FORM_H
#define PORTEN_FORM_H

#include <stddef.h>
#include "porten/limits.h"

struct porten_form_field {
	char *name;     /* decoded, NUL-terminated, malloc'd */
	size_t name_len;
	char *value;    /* decoded, NUL-terminated, malloc'd; may contain NUL bytes (value_len) */
	size_t value_len;
};

struct porten_form {
	struct porten_form_field fields[PORTEN_FORM_FIELDS_MAX];
	size_t n;
	int duplicate;  /* set when a name occurred twice (the later one is dropped) */
};

/* Parses body (len bytes, not necessarily NUL-terminated). '+' is a space; %XX must be two
 * hex digits, otherwise PORTEN_ERR_INVALID; more than PORTEN_FORM_FIELDS_MAX fields ->
 * PORTEN_ERR_TOO_LARGE. Empty pairs ("a=1&&b=2") are skipped. form is always safe to clear. */
int porten_form_parse(const char *body, size_t len, struct porten_form *form);
/* The value of name, or NULL. value_len may be NULL. */
const char *porten_form_get(const struct porten_form *form, const char *name, size_t *value_len);
void porten_form_clear(struct porten_form *form);

#endif
