/* The nine rights packages (spec/folkeregisteret.md 1, 4.3). */
#include <string.h>

#include "porten/freg.h"

#define PERSON_ALL (FREG_RES_PERSON | FREG_RES_PERSON_BULK | FREG_RES_SOEK)
#define ALL9 (FREG_RES_ENTYDIGSOEK | FREG_RES_PERSON_XSD | FREG_RES_FEED | FREG_RES_SISTE | \
              FREG_RES_HENDELSE_XSD)

static const struct freg_pkg_info pkgs[FREG_PKG_COUNT] = {
	[FREG_OMH] = { "offentligmedhjemmel", "OMH", "folkeregister:deling/offentligmedhjemmel",
		"/folkeregisteret/offentlig-med-hjemmel/api/v1/", "Offentlig hendelsesliste",
		ALL9 | PERSON_ALL | FREG_RES_ARKIV | FREG_RES_ARKIV_BULK | FREG_RES_HENDELSE |
		FREG_RES_HENDELSE_BULK | FREG_RES_UTTREKK_KOMPLETT | FREG_RES_UTTREKK_TILPASSET,
		FREG_FEED_FULL, true },
	[FREG_OUH] = { "offentligutenhjemmel", "OUH", "folkeregister:deling/offentligutenhjemmel",
		"/folkeregisteret/api/offentligutenhjemmel/v1/", "Offentlig hendelsesliste uten hjemmel",
		ALL9 | PERSON_ALL | FREG_RES_UTTREKK_TILPASSET, FREG_FEED_TYPED, false },
	[FREG_PUH] = { "privatutenhjemmel", "PUH", "folkeregister:deling/privatutenhjemmel",
		"/folkeregisteret/api/privatutenhjemmel/v1/", "Privat hendelsesliste uten hjemmel",
		ALL9 | PERSON_ALL | FREG_RES_UTTREKK_TILPASSET, FREG_FEED_TYPED, false },
	[FREG_PRIV] = { "privat", "PRIV", "folkeregister:deling/privat",
		"/folkeregisteret/api/privat/v1/", "Privat hendelsesliste",
		ALL9, FREG_FEED_GENERIC, false },
	[FREG_PRIV_UF] = { "privatutenfolkeregisteridentifikator", "PRIV-UF",
		"folkeregister:deling/privatutenfolkeregisteridentifikator",
		"/folkeregisteret/api/privatutenfolkeregisteridentifikator/v1/",
		"Privat hendelsesliste uten folkeregisteridentifikator",
		ALL9, FREG_FEED_GENERIC_UF, false },
	[FREG_FIN] = { "finans", "FIN", "folkeregister:deling/finans",
		"/folkeregisteret/api/finans/v1/", "Finans hendelsesliste",
		ALL9 | PERSON_ALL | FREG_RES_UTTREKK_TILPASSET, FREG_FEED_TYPED, true },
	[FREG_PRESSE] = { "presse", "PRESSE", "folkeregister:deling/presse",
		"/folkeregisteret/api/presse/v1/", "Presse hendelsesliste",
		ALL9, FREG_FEED_GENERIC, false },
	[FREG_PRESSE_UF] = { "presseutenfolkeregisteridentifikator", "PRESSE-UF",
		"folkeregister:deling/presseutenfolkeregisteridentifikator",
		"/folkeregisteret/api/presseutenfolkeregisteridentifikator/v1/",
		"Presse hendelsesliste uten folkeregisteridentifikator",
		ALL9, FREG_FEED_GENERIC_UF, false },
	[FREG_EID] = { "utstedereid", "EID", "folkeregister:deling/utstedereid",
		"/folkeregisteret/api/eid/v1/", "Utsteder av eID hendelsesliste",
		ALL9 | PERSON_ALL | FREG_RES_UTTREKK_TILPASSET, FREG_FEED_TYPED, false },
};

const struct freg_pkg_info *
freg_pkg(enum freg_pkg p)
{
	return (unsigned)p < FREG_PKG_COUNT ? &pkgs[p] : NULL;
}

int
freg_pkg_by_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < FREG_PKG_COUNT; i++)
		if (strcmp(pkgs[i].name, name) == 0)
			return i;
	return -1;
}

int
freg_pkg_by_path(const char *path, const char **rest)
{
	if (path == NULL)
		return -1;
	for (int i = 0; i < FREG_PKG_COUNT; i++) {
		size_t n = strlen(pkgs[i].path);

		if (strncmp(path, pkgs[i].path, n) == 0) {
			if (rest)
				*rest = path + n;
			return i;
		}
	}
	return -1;
}

/* Event types whose only content is a confidential fact (spec 4.2): parents, spouse and
 * children (familierelasjon), foreldreansvar, the Sámi roll and language, oppholdsstatus,
 * foreign and DUF identifiers, false identity, bibehold. The packages that see some of
 * them by law get them (FIN: family, foreldreansvar, falskIdentitet; OUH: falskIdentitet;
 * EID: foreign ids). */
struct conf_type {
	const char *type;
	unsigned also;   /* packages without confidential access that still get it */
};

#define BIT(p) (1u << (p))

static const struct conf_type conf_types[] = {
	{ "endringIFamilierelasjon", BIT(FREG_FIN) },
	{ "endringIForeldreansvar", BIT(FREG_FIN) },
	{ "endringIFalskIdentitet", BIT(FREG_FIN) | BIT(FREG_OUH) },
	{ "endringIUtenlandskPersonidentifikasjon", BIT(FREG_EID) },
	{ "endringILegitimasjonsdokument", BIT(FREG_EID) },
	{ "endringIUtlendingsmyndighetenesIdentifikasjonsnummer", 0 },
	{ "endringIOpphold", 0 },
	{ "endringIBrukAvSamiskSpraak", 0 },
	{ "endringISametingetsValgmanntall", 0 },
	{ "endringIOppholdPaaSvalbard", 0 },
};

bool
freg_pkg_feed_has(enum freg_pkg p, const char *hendelsetype)
{
	if ((unsigned)p >= FREG_PKG_COUNT || hendelsetype == NULL)
		return false;
	if (p == FREG_OMH)
		return true;
	for (size_t i = 0; i < sizeof(conf_types) / sizeof(conf_types[0]); i++)
		if (strcmp(conf_types[i].type, hendelsetype) == 0)
			return (conf_types[i].also & BIT(p)) != 0;
	return true;
}
