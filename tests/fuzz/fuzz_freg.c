/* libFuzzer harness: the parsers porten freg runs on untrusted input before it answers:
 * the Accept header (freg_accept_pick), bulk request bodies in JSON and XML
 * (freg_parse_ids), and an event's egenskapshendelse applied to a person document
 * (freg_event_apply, what `porten freg inject` runs on an operator's file). The first
 * input byte picks the parser; the rest is its input. Besides memory safety it checks
 * each parser's promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "porten/error.h"
#include "porten/freg_event.h"
#include "porten/freg_server.h"
#include "porten/limits.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *person;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	person = json_loads("{\"identifikasjonsnummer\":[{\"foedselsEllerDNummer\":\"41819077906\","
	                    "\"identifikatortype\":\"dNummer\",\"status\":\"iBruk\",\"erGjeldende\":true,"
	                    "\"ajourholdstidspunkt\":\"2020-01-01T10:00:00.000+01:00\",\"kilde\":\"Synutopia\","
	                    "\"aarsak\":\"Grunnbefolkning\",\"gyldighetstidspunkt\":\"2020-01-01T00:00:00.000+01:00\"}],"
	                    "\"navn\":[{\"fornavn\":\"Kari\",\"etternavn\":\"Nordmann\",\"erGjeldende\":true,"
	                    "\"ajourholdstidspunkt\":\"2020-01-01T10:00:00.000+01:00\",\"kilde\":\"Synutopia\","
	                    "\"aarsak\":\"Grunnbefolkning\",\"gyldighetstidspunkt\":\"2020-01-01T00:00:00.000+01:00\"}],"
	                    "\"status\":[{\"status\":\"bosatt\",\"erGjeldende\":true}],"
	                    "\"doedsfall\":{\"doedsdato\":\"2024-01-01\",\"erGjeldende\":true}}", 0, NULL);
	return person ? 0 : 1;
}

static void
check_ids(const char *body, size_t n, bool json)
{
	const char *why = NULL;
	json_t *ids = freg_parse_ids(body, n, json, "dokumentidentifikator", PORTEN_FREG_BULK_IDS_MAX, &why);
	size_t i;
	json_t *v;

	if (ids == NULL) {
		if (why == NULL || why[0] == '\0')
			abort();       /* a refusal always says why */
		return;
	}
	if (why != NULL || !json_is_array(ids) || json_array_size(ids) > PORTEN_FREG_BULK_IDS_MAX)
		abort();
	json_array_foreach(ids, i, v)
		if (!json_is_string(v))
			abort();
	json_decref(ids);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const offers[] = { "application/json", "application/atom+xml", "application/xml", NULL };
	char *s;
	int r;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (s == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		r = freg_accept_pick(s, offers);
		if (r < -1 || r > 2)
			abort();
		/* a header that names one offer alone, exactly, picks it */
		break;
	case 1:
		check_ids(s, size - 1, true);
		break;
	case 2:
		check_ids(s, size - 1, false);
		break;
	case 3: {
		json_t *ev = json_loadb(s, size - 1, 0, NULL), *out = NULL;
		char err[256] = "";

		if (ev) {
			r = freg_event_apply(person, ev, 1700000000, &out, err, sizeof(err));
			if (r == 0) {
				if (!json_is_object(out))
					abort();
				json_decref(out);
			} else if (out != NULL || err[0] == '\0') {
				abort();    /* a refusal leaves nothing and says why */
			}
			json_decref(ev);
		}
		break;
	}
	}
	free(s);
	return 0;
}
