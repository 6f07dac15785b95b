#include <stdlib.h>
#include <string.h>

#include "porten/error.h"
#include "porten/form.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes (s, n) into a fresh NUL-terminated string. */
static int
decode(const char *s, size_t n, char **out, size_t *outlen)
{
	char *d;
	size_t o = 0;
	int hi, lo;

	if ((d = malloc(n + 1)) == NULL)
		return PORTEN_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			d[o++] = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= n) {	/* needs two hex digits after '%' */
				free(d);
				return PORTEN_ERR_INVALID;
			}
			if ((hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0) {
				free(d);
				return PORTEN_ERR_INVALID;
			}
			d[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			d[o++] = s[i];
		}
	}
	d[o] = '\0';
	*out = d;
	*outlen = o;
	return 0;
}

/* Names are compared with their length: a decoded name may hold a NUL byte. */
static const struct porten_form_field *
find(const struct porten_form *form, const char *name, size_t n)
{
	for (size_t i = 0; i < form->n; i++)
		if (form->fields[i].name_len == n && memcmp(form->fields[i].name, name, n) == 0)
			return &form->fields[i];
	return NULL;
}

int
porten_form_parse(const char *body, size_t len, struct porten_form *form)
{
	size_t i = 0, start, eq;
	char *name = NULL, *value = NULL;
	size_t nlen, vlen;
	int r;

	memset(form, 0, sizeof(*form));
	while (i < len) {
		start = i;
		while (i < len && body[i] != '&')
			i++;
		/* pair is body[start, i) */
		if (i > start) {
			eq = start;
			while (eq < i && body[eq] != '=')
				eq++;
			if ((r = decode(body + start, eq - start, &name, &nlen)) != 0)
				goto fail;
			if (eq < i)
				r = decode(body + eq + 1, i - eq - 1, &value, &vlen);
			else
				r = decode("", 0, &value, &vlen);
			if (r != 0)
				goto fail;
			if (find(form, name, nlen) != NULL) {
				form->duplicate = 1;
				free(name);
				free(value);
			} else {
				if (form->n >= PORTEN_FORM_FIELDS_MAX) {
					r = PORTEN_ERR_TOO_LARGE;
					goto fail;
				}
				form->fields[form->n].name = name;
				form->fields[form->n].name_len = nlen;
				form->fields[form->n].value = value;
				form->fields[form->n].value_len = vlen;
				form->n++;
			}
			name = value = NULL;
		}
		i++;   /* skip '&' */
	}
	return 0;
fail:
	free(name);
	free(value);
	porten_form_clear(form);
	return r;
}

const char *
porten_form_get(const struct porten_form *form, const char *name, size_t *value_len)
{
	const struct porten_form_field *f = find(form, name, strlen(name));

	if (f == NULL)
		return NULL;
	if (value_len)
		*value_len = f->value_len;
	return f->value;
}

void
porten_form_clear(struct porten_form *form)
{
	for (size_t i = 0; i < form->n; i++) {
		free(form->fields[i].name);
		free(form->fields[i].value);
	}
	form->n = 0;
}
