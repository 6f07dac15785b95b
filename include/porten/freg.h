/* Folkeregisteret rights packages (rettighetspakker), spec/folkeregisteret.md 1 and 4.3:
 * their names, paths, scopes, the resources each may call and what their event feeds
 * carry. Pure data and pure functions; no I/O. */
#ifndef PORTEN_FREG_H
#define PORTEN_FREG_H

#include <stdbool.h>
#include <stddef.h>

enum freg_pkg {
	FREG_OMH = 0,        /* offentligmedhjemmel */
	FREG_OUH,            /* offentligutenhjemmel */
	FREG_PUH,            /* privatutenhjemmel */
	FREG_PRIV,           /* privat */
	FREG_PRIV_UF,        /* privatutenfolkeregisteridentifikator */
	FREG_FIN,            /* finans */
	FREG_PRESSE,         /* presse */
	FREG_PRESSE_UF,      /* presseutenfolkeregisteridentifikator */
	FREG_EID,            /* utstedereid */
	FREG_PKG_COUNT
};

/* Resources (spec 1, "Which resources each package exposes"). */
enum freg_res {
	FREG_RES_PERSON          = 1u << 0,   /* GET personer/{id} */
	FREG_RES_PERSON_BULK     = 1u << 1,   /* POST personer/bulkoppslag */
	FREG_RES_SOEK            = 1u << 2,   /* GET personer/soek */
	FREG_RES_ENTYDIGSOEK     = 1u << 3,   /* GET personer/entydigsoek */
	FREG_RES_PERSON_XSD      = 1u << 4,   /* GET personer/xsd */
	FREG_RES_ARKIV           = 1u << 5,   /* GET personer/arkiv/{id} */
	FREG_RES_ARKIV_BULK      = 1u << 6,   /* POST personer/bulkoppslag/arkiv */
	FREG_RES_FEED            = 1u << 7,   /* GET/HEAD hendelser/feed */
	FREG_RES_SISTE           = 1u << 8,   /* GET hendelser/siste/sekvensnummer */
	FREG_RES_HENDELSE_XSD    = 1u << 9,   /* GET hendelser/xsd, hendelser/feedxsd */
	FREG_RES_HENDELSE        = 1u << 10,  /* GET hendelser/{id} */
	FREG_RES_HENDELSE_BULK   = 1u << 11,  /* POST hendelser/bulkoppslag */
	FREG_RES_UTTREKK_KOMPLETT = 1u << 12, /* GET uttrekk/komplett */
	FREG_RES_UTTREKK_TILPASSET = 1u << 13,/* POST uttrekk/tilpasset, GET uttrekk/{job}/batch/{n} */
};

/* What a package's feed item carries (spec 2.1; the UF rows are our choice, docs/freg.md). */
enum freg_feed_shape {
	FREG_FEED_FULL,        /* all five fields, the specific hendelsetype (OMH) */
	FREG_FEED_TYPED,       /* folkeregisteridentifikator, hendelsetype, ajourholdstidspunkt */
	FREG_FEED_GENERIC,     /* folkeregisteridentifikator, "endringIPerson", ajourholdstidspunkt */
	FREG_FEED_GENERIC_UF,  /* "endringIPerson", ajourholdstidspunkt: no identifier */
};

struct freg_pkg_info {
	const char *name;          /* scope suffix and seed name: "offentligmedhjemmel" */
	const char *abbrev;        /* "OMH" */
	const char *scope;         /* "folkeregister:deling/offentligmedhjemmel" */
	const char *path;          /* "/folkeregisteret/offentlig-med-hjemmel/api/v1/" */
	const char *feed_title;    /* Atom <title> */
	unsigned resources;        /* enum freg_res bits */
	enum freg_feed_shape feed;
	bool confidential;         /* sees taushetsbelagte facts (OMH; FIN in part) */
};

const struct freg_pkg_info *freg_pkg(enum freg_pkg p);
/* By name ("offentligmedhjemmel"); -1 when unknown. */
int freg_pkg_by_name(const char *name);
/* The package whose path is a prefix of path; *rest points after the "/v1/" of it.
 * -1 when no package path matches. */
int freg_pkg_by_path(const char *path, const char **rest);

/* True when an event of this hendelsetype goes into the package's feed: packages
 * without access to confidential facts do not get events whose only content is a
 * confidential fact (spec 4.2), e.g. endringIFamilierelasjon. */
bool freg_pkg_feed_has(enum freg_pkg p, const char *hendelsetype);

#endif
