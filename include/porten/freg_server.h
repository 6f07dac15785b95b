/* The HTTP surface of porten freg (spec/folkeregisteret.md 1, 2, 6): routing of the nine
 * rights packages, bearer-token and package checks, content negotiation, the event feed
 * (JSON and Atom), siste/sekvensnummer, event documents, the XSD endpoints, {kode, melding}
 * errors, per-IP throttling and the audit trail. Wired by src/cmd_freg.c. */
#ifndef PORTEN_FREG_SERVER_H
#define PORTEN_FREG_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "porten/http.h"
#include "porten/register.h"
#include "porten/tokencheck.h"

typedef struct freg_server freg_server;

struct freg_server_config {
	freg_register *reg;          /* borrowed */
	porten_tokencheck *tc;       /* borrowed */
	int rate_limit;              /* requests per minute per client IP; 0 = PORTEN_FREG_RATE_DEFAULT */
	bool tls;                    /* for the scheme of Atom links built from Host */
	bool production_ids;         /* refuse synthetic identifiers (month + 80) in lookups */
	bool uttrekk_hold;           /* queue extract orders, run none until
	                              * freg_server_uttrekk_release (clients' 404 handling) */
	const char *public_url;      /* "https://freg.example/" for Atom links; NULL: from Host (copied) */
};

int freg_server_new(const struct freg_server_config *cfg, freg_server **out);
/* Flushes the audit queue and stops its writer. */
void freg_server_free(freg_server *s);
/* Lets extract jobs held by uttrekk_hold run (SIGUSR1 in porten freg). */
void freg_server_uttrekk_release(freg_server *s);

/* The route table and error handler for porten_http_start (ctx = the freg_server). */
extern const struct porten_route freg_routes[];
extern const size_t freg_nroutes;
void freg_http_error(struct porten_req *req, struct porten_resp *resp, int status, void *ctx);

/* Error codes of the {kode, melding} body (docs/freg.md). */
enum freg_err {
	FREG_E_SERVICE = 0,      /* 500 FREG-001 */
	FREG_E_UNAVAILABLE,      /* 503 FREG-001 */
	FREG_E_INPUT,            /* 400 FREG-002 */
	FREG_E_UNAUTHENTICATED,  /* 401 FREG-003 */
	FREG_E_FORBIDDEN,        /* 403 FREG-004 */
	FREG_E_NOT_FOUND,        /* 404 FREG-005 */
	FREG_E_NOT_ACCEPTABLE,   /* 406 FREG-006 */
	FREG_E_SEQ_TOO_OLD,      /* 406 FREG-007 */
	FREG_E_THROTTLED,        /* 429 FREG-008 */
	FREG_E_METHOD,           /* 405 FREG-009 */
	FREG_E_TOO_LARGE,        /* 413 FREG-010 */
	FREG_E_GONE,             /* 410 FREG-011 */
	FREG_E_DOC_TOO_OLD,      /* 400 FREG-012 */
	FREG_E_COUNT
};

/* Accept negotiation, exposed for tests and the fuzzer: picks the best of the offered
 * media types (NULL-terminated list, in server preference order) for an Accept header
 * value (NULL or empty: the first offer). -1 when none is acceptable or the header is
 * malformed. */
int freg_accept_pick(const char *accept, const char *const *offers);

/* The ids of a bulk request body (spec 2.4, 3.3): JSON {"<field>": ["...", ...]} or XML
 * <anyRoot><field>...</field>...</anyRoot> (no DOCTYPE, no network, no entity expansion);
 * at most max. A new JSON array of strings, or NULL with a short Norwegian reason in *why.
 * Exposed for the fuzzer. */
#include <jansson.h>
json_t *freg_parse_ids(const char *body, size_t len, bool json, const char *field, size_t max,
                       const char **why);

#endif
