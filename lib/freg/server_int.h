/* Internal to lib/freg: the server state and one call's state, shared by the HTTP surface
 * (server.c: dispatch, feed, event documents), the person lookups (lookup.c) and the
 * extracts (uttrekk.c). Not a public interface. */
#ifndef PORTEN_FREG_SERVER_INT_H
#define PORTEN_FREG_SERVER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "porten/freg.h"
#include "porten/freg_server.h"
#include "porten/http.h"
#include "porten/limits.h"
#include "porten/register.h"
#include "porten/tokencheck.h"

#define NS_HENDELSE "folkeregisteret:tilgjengeliggjoering:hendelse:v1"
#define NS_PERSON "folkeregisteret:tilgjengeliggjoering:person:v1"

struct freg_uttrekk;

struct rate_slot {
	char ip[64];            /* struct porten_req.client_ip */
	double tokens;
	int64_t at;             /* clock second of the last refill */
};

#define RATE_SLOTS PORTEN_FREG_RATE_IPS_MAX
#define RATE_SHARDS 64
#define RATE_PROBE 8

struct page {
	int refs;
	enum freg_pkg pkg;
	int64_t from;
	int fmt;
	char host[128];
	char etag[96];
	int fd;                 /* memfd holding the rendered page: sent with sendfile */
	size_t len;
};

struct freg_server {
	freg_register *reg;
	porten_tokencheck *tc;
	int rate_limit;
	bool tls;
	bool production_ids;        /* identifiers without the synthetic month + 80 */
	char *public_url;

	pthread_mutex_t rate_mu[RATE_SHARDS];
	struct rate_slot *rate;

	pthread_mutex_t page_mu;
	struct page *pages[PORTEN_FREG_PAGE_CACHE_MAX];

	/* Audit queue: a ring written by workers, drained by one thread. */
	pthread_mutex_t audit_mu;
	pthread_cond_t audit_cv, audit_space;
	struct freg_audit *audit;
	size_t audit_head, audit_len;
	bool audit_stop;
	pthread_t audit_thread;
	bool audit_running;

	struct freg_uttrekk *uttrekk;   /* extract jobs (lib/freg/uttrekk.c) */
};

struct call {
	freg_server *s;
	struct porten_req *req;
	struct porten_resp *resp;
	enum freg_pkg pkg;
	const struct freg_pkg_info *pi;
	const char *res;                  /* after "/v1/", trailing slash removed */
	char resbuf[PORTEN_HTTP_PATH_MAX];
	struct porten_bearer bearer;
	bool authed;
	bool xml;                         /* answer errors in XML */
	char audit_res[48];
	char audit_pid[12];
	int64_t first, last;              /* the package's feed bounds, read with the registry */
};

/* Answers with the {kode, melding} body of e (XML when c->xml), with detail appended to
 * the melding when given. */
void freg_send_err(struct call *c, enum freg_err e, const char *detail);
/* 200 with a copy of data. */
void freg_send_bytes(struct call *c, const char *ct, const char *data, size_t len);
/* Writes one JSON value as XML: an element per member, arrays repeat the member name. */
#include <libxml/xmlwriter.h>
int freg_xml_value(xmlTextWriterPtr w, const char *name, const json_t *v);
/* Writes docs (objects) as root elements named root in namespace ns; with wrapper, all of
 * them inside <wrapper xmlns=ns>. */
int freg_xml_docs(struct porten_buf *out, const char *wrapper, const char *root, const char *ns,
                  json_t *const *docs, size_t n);
/* A POST body: JSON when Content-Type says so, XML when it says XML or is absent (spec
 * 3.3). The ids under `field`, or NULL with a reason. */
json_t *freg_body_ids(struct call *c, const char *field, size_t max, bool *req_json, const char **why);
/* 200 with obj in the chosen format (fmt 1: XML under root element xml_root, in the person
 * namespace: the JAXB name of its OpenAPI schema); steals obj, NULL answers 500. */
void freg_send_obj(struct call *c, int fmt, const char *xml_root, json_t *obj);
/* Older than the three-year retention of documents (spec 3.2, 9). */
bool freg_doc_too_old(int64_t stored);
/* application/json, application/xml. */
extern const char *const freg_doc_offers[];
/* The answer format of a document resource from Accept (0 JSON, 1 XML; sets c->xml for
 * errors); -1 when nothing acceptable was asked for, with the 406 already sent. */
int freg_doc_format(struct call *c);
/* Strict int64: optional '-', decimal digits only, no overflow. */
bool freg_parse_i64(const char *s, int64_t *out);

/* An audit record for one person a call looked up (bulk lookups: one per person). */
void freg_audit_person(struct call *c, const char *pid);
/* The same for n persons at once (bulkoppslag: one lock for all of them). */
void freg_audit_persons(struct call *c, const char (*pids)[12], size_t n);

/* Handlers of lookup.c and uttrekk.c; the resource is already authorised. */
void freg_h_person(struct call *c, const char *id);
void freg_h_person_arkiv(struct call *c, const char *id);
void freg_h_person_bulk(struct call *c, bool arkiv);
void freg_h_entydigsoek(struct call *c);
void freg_h_soek(struct call *c);
void freg_h_person_xsd(struct call *c);
void freg_h_uttrekk_komplett(struct call *c);
void freg_h_uttrekk_tilpasset(struct call *c);
void freg_h_uttrekk_batch(struct call *c, const char *job, const char *batch);

/* Parses a tilpasset uttrekk order (spec 5.2) into q, whose strings point into qbuf.
 * NULL, or a Norwegian reason for a 400. Exposed for the fuzzer. */
#include "porten/freg_search.h"
const char *freg_tilpasset_parse(const json_t *o, struct freg_tilpasset *q, char qbuf[5][8]);

/* The extract jobs (uttrekk.c): created by freg_server_new, stopped by freg_server_free. */
/* hold: queue orders without running them until freg_uttrekk_release. */
int freg_uttrekk_new(freg_register *reg, bool hold, struct freg_uttrekk **out);
void freg_uttrekk_release(struct freg_uttrekk *u);
void freg_uttrekk_free(struct freg_uttrekk *u);

#endif
