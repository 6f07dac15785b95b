/* libFuzzer harness: application/x-www-form-urlencoded decoding (porten_form_parse),
 * the first thing the token endpoint does with an untrusted body. Besides memory safety
 * it checks the parser's own promises (include/porten/form.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "porten/error.h"
#include "porten/form.h"
#include "porten/limits.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct porten_form form;
	const char *v;
	size_t vlen = 0;
	int r;

	r = porten_form_parse((const char *)data, size, &form);
	if (r != 0) {
		/* Refused: PORTEN_ERR_INVALID or PORTEN_ERR_TOO_LARGE, and nothing left behind. */
		if ((r != PORTEN_ERR_INVALID && r != PORTEN_ERR_TOO_LARGE) || form.n != 0)
			abort();
		porten_form_clear(&form);
		return 0;
	}
	if (form.n > PORTEN_FORM_FIELDS_MAX)
		abort();
	for (size_t i = 0; i < form.n; i++) {
		const struct porten_form_field *f = &form.fields[i];

		/* Decoding never grows: each decoded byte comes from >= 1 input byte. */
		if (f->name == NULL || f->value == NULL || f->name_len > size || f->value_len > size)
			abort();
		if (f->name[f->name_len] != '\0' || f->value[f->value_len] != '\0')
			abort();
		/* A name without NUL bytes is found again, with its own value: no duplicates kept. */
		if (strlen(f->name) == f->name_len) {
			v = porten_form_get(&form, f->name, &vlen);
			if (v != f->value || vlen != f->value_len)
				abort();
		}
	}
	/* What the token endpoint asks for. */
	v = porten_form_get(&form, "grant_type", NULL);
	if (v != NULL && strlen(v) > size)
		abort();
	v = porten_form_get(&form, "assertion", &vlen);
	if (v != NULL && vlen > size)
		abort();
	(void)porten_form_get(&form, "", NULL);
	porten_form_clear(&form);
	if (form.n != 0)
		abort();
	porten_form_clear(&form);   /* clearing twice is harmless */
	return 0;
}
