/* Small helpers over jansson (porten/json.h). */
#include <stdint.h>

#include "porten/buf.h"
#include "porten/json.h"

const char *
porten_json_str(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

void
porten_json_wipe_string(json_t *obj, const char *member)
{
	json_t *v = json_object_get(obj, member);

	/* jansson keeps a string value in its own malloc'd buffer: wipe it where it is. */
	if (json_is_string(v))
		porten_wipe((char *)(uintptr_t)json_string_value(v), json_string_length(v));
}
