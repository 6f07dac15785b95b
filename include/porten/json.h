/* Small helpers over jansson that several modules share. */
#ifndef PORTEN_JSON_H
#define PORTEN_JSON_H

#include <jansson.h>

/* The value of string member name of o when it is a non-empty string, else NULL. */
const char *porten_json_str(const json_t *o, const char *name);
/* Wipes the characters of string member name of obj in place (a token, a password) so
 * that no copy outlives the document once it is freed. Nothing when it is absent or not a
 * string. */
void porten_json_wipe_string(json_t *obj, const char *member);

#endif
