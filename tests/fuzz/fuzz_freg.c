/* libFuzzer harness: the parsers porten freg runs on untrusted input before it answers:
 * the Accept header (freg_accept_pick), bulk request bodies in JSON and XML
 * (freg_parse_ids), an event's egenskapshendelse applied to a person document
 * (freg_event_apply, what `porten freg inject` runs on an operator's file), the `part`
 * values of a lookup and the view they select (freg_parts_parse, freg_view), the
 * entydigsoek and soek criteria (freg_entydig_check, freg_soek_check), a tilpasset
 * uttrekk order (freg_tilpasset_parse) and the name normalisation of searches
 * (freg_search_fold, freg_phonetic). The first input byte picks the parser; the rest is
 * its input. Besides memory safety it checks each parser's promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "porten/error.h"
#include "porten/freg_event.h"
#include "porten/freg_search.h"
#include "porten/freg_server.h"
#include "porten/freg_view.h"
#include "porten/limits.h"

#include "freg/server_int.h"

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

/* Splits s in place at sep into at most max fields. */
static size_t
split(char *s, char sep, const char **out, size_t max)
{
	size_t n = 0;

	while (n < max) {
		char *e = strchr(s, sep);

		out[n++] = s;
		if (e == NULL)
			break;
		*e = '\0';
		s = e + 1;
	}
	return n;
}

static void
check_parts(char *s)
{
	const char *vals[PORTEN_FREG_PARTS_MAX + 2];
	size_t n = split(s, '&', vals, PORTEN_FREG_PARTS_MAX + 2);
	struct freg_parts parts;
	char why[160] = "";

	for (int p = 0; p < FREG_PKG_COUNT; p++) {
		if (freg_parts_parse((enum freg_pkg)p, vals, n, &parts, why, sizeof(why)) != 0) {
			if (why[0] == '\0' || strlen(why) >= sizeof(why))
				abort();
			continue;
		}
		json_t *v = freg_view((enum freg_pkg)p, &parts, person);

		if (!json_is_object(v))
			abort();
		json_decref(v);
	}
}

static void
check_search(char *s)
{
	const char *f[12] = { 0 };
	struct freg_entydig q;
	struct freg_soek sq;
	char why[160] = "";

	split(s, '\n', f, 12);
	memset(&q, 0, sizeof(q));
	q.navn = f[0];
	q.identifikasjonsnummer = f[1];
	q.foedselsdato = f[2];
	q.adressenavn = f[3];
	q.husnummer = f[4];
	q.postnummer = f[5];
	q.utenlandsk = f[6];
	q.legitimasjonsdokument = f[7];
	q.duf = f[8];
	for (int p = 0; p < FREG_PKG_COUNT; p++)
		if (freg_entydig_check((enum freg_pkg)p, &q, why, sizeof(why)) != 0 && why[0] == '\0')
			abort();
	memset(&sq, 0, sizeof(sq));
	sq.navn = f[0];
	sq.foedselsdato = f[2];
	sq.adressenavn = f[3];
	sq.husnummer = f[4];
	sq.postnummer = f[5];
	sq.kommunenummer = f[6];
	sq.fylkesnummer = f[7];
	sq.kjoenn = f[8];
	why[0] = '\0';
	if (freg_soek_check(&sq, why, sizeof(why)) != 0 && why[0] == '\0')
		abort();
	if (f[0]) {
		char key[FREG_PHONETIC_MAX], low[512];

		freg_phonetic(f[0], key);
		if (strlen(key) >= FREG_PHONETIC_MAX)
			abort();
		if (strlen(f[0]) < sizeof(low) && freg_search_fold(f[0], low, sizeof(low)) == NULL)
			abort();
	}
}

static void
check_tilpasset(const char *s, size_t n)
{
	json_t *o = json_loadb(s, n, 0, NULL);
	struct freg_tilpasset q;
	char qbuf[5][8];
	const char *why;

	if (o == NULL)
		return;
	why = freg_tilpasset_parse(o, &q, qbuf);
	if (why == NULL && q.statuses == 0)
		abort();     /* personstatustyper is required */
	if (why == NULL && q.bostedskommune && q.oppholdskommune)
		abort();
	json_decref(o);
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
	switch (data[0] % 7) {
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
	case 4:
		check_parts(s);
		break;
	case 5:
		check_search(s);
		break;
	case 6:
		check_tilpasset(s, size - 1);
		break;
	}
	free(s);
	return 0;
}
