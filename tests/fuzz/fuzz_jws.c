/* libFuzzer harness: compact JWS parsing (porten_jws_split, porten_jws_decode_json,
 * porten_jws_alg_from_name) on arbitrary bytes. Checks the view stays inside the input
 * and that decoded headers and claims are what jws.h promises (objects, bounded depth). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "porten/error.h"
#include "porten/jws.h"
#include "porten/limits.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static int
depth(const json_t *v)
{
	const char *key;
	json_t *child;
	size_t i;
	int d = 0, c;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child)
			if ((c = depth(child)) > d)
				d = c;
		return d + 1;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			if ((c = depth(child)) > d)
				d = c;
		return d + 1;
	}
	return 0;
}

/* Decodes one segment; on success checks the promises and looks at what the token
 * endpoint looks at. */
static void
decode(const char *b64, size_t len, size_t max)
{
	json_t *obj = NULL, *v;
	int r = porten_jws_decode_json(b64, len, max, &obj);

	if (r != 0) {
		if (obj != NULL || (r != PORTEN_ERR_INVALID && r != PORTEN_ERR_TOO_LARGE))
			abort();
		return;
	}
	if (!json_is_object(obj) || depth(obj) > PORTEN_JSON_DEPTH_MAX)
		abort();
	v = json_object_get(obj, "alg");
	if (json_is_string(v)) {
		enum porten_jws_alg alg = porten_jws_alg_from_name(json_string_value(v));
		const char *name = porten_jws_alg_name(alg);

		if ((alg == PORTEN_JWS_INVALID) != (name == NULL))
			abort();
		if (name != NULL && strcmp(name, json_string_value(v)) != 0)
			abort();
	}
	/* Walk what a key lookup would walk: the x5c entries and the kid. */
	v = json_object_get(obj, "x5c");
	if (json_is_array(v)) {
		json_t *e;
		size_t i;

		json_array_foreach(v, i, e)
			if (json_is_string(e) && strlen(json_string_value(e)) > json_string_length(e))
				abort();
	}
	v = json_object_get(obj, "kid");
	if (json_is_string(v) && strlen(json_string_value(v)) > json_string_length(v))
		abort();
	json_decref(obj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct porten_jws_view v;
	char name[64];
	int r;

	r = porten_jws_split(s, size, PORTEN_JWT_MAX, &v);
	if (r == 0) {
		const char *end = s + size;

		if (v.header != s || v.header_len == 0 || v.payload_len == 0 || v.sig_len == 0 ||
		    v.payload < v.header + v.header_len || v.payload + v.payload_len > end ||
		    v.sig < v.payload + v.payload_len || v.sig + v.sig_len != end ||
		    v.signing_input_len != v.header_len + 1 + v.payload_len ||
		    v.header_len + v.payload_len + v.sig_len + 2 != size)
			abort();
		decode(v.header, v.header_len, PORTEN_JWT_HEADER_MAX);
		decode(v.payload, v.payload_len, PORTEN_JWT_PAYLOAD_MAX);
	} else if (r != PORTEN_ERR_INVALID && r != PORTEN_ERR_TOO_LARGE) {
		abort();
	}
	/* The whole input as one segment: reaches the base64url decoder with any byte. */
	decode(s, size, PORTEN_JWT_HEADER_MAX);
	/* A tight max exercises the size checks. */
	decode(s, size, size / 2);
	/* alg names: the input as a string. */
	if (size < sizeof(name)) {
		memcpy(name, data, size);
		name[size] = '\0';
		(void)porten_jws_alg_name(porten_jws_alg_from_name(name));
	}
	return 0;
}
