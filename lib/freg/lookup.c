/* Person lookups of porten freg (spec/folkeregisteret.md 3, 4; docs/freg.md "Lookups"):
 * personer/{id}, personer/arkiv/{id}, personer/bulkoppslag(/arkiv), entydigsoek, soek and
 * personer/xsd. Every person document leaves through freg_view(), which applies the
 * package's visibility and the `part` selection; the register's stored document never
 * reaches a client as it is. Every person looked up leaves an audit record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "porten/error.h"
#include "porten/freg_search.h"
#include "porten/freg_view.h"
#include "porten/ident.h"
#include "porten/limits.h"
#include "porten/log.h"

#include "freg/server_int.h"

#define WHY_MAX 160

/* ---- Parameters ---- */

/* The one value of a parameter that must not repeat: NULL when absent; sets *bad (and a
 * reason) when it repeats or holds a NUL byte. nocase: the name in any letter case. */
static const char *
param(struct call *c, const char *name, bool nocase, char *why, size_t why_sz, bool *bad)
{
	const char *v[2];
	size_t n = porten_req_query_all(c->req, name, nocase, v, 2);

	if (n == 0)
		return NULL;
	if (n > 1 || strcmp(v[0], "\x01") == 0) {
		snprintf(why, why_sz, "%s %s", name, n > 1 ? "er oppgitt flere ganger" : "er ugyldig");
		*bad = true;
		return NULL;
	}
	return v[0];
}

/* A boolean parameter: true/false in any case; absent = dflt. */
static bool
param_bool(struct call *c, const char *name, bool dflt, char *why, size_t why_sz, bool *bad)
{
	const char *v = param(c, name, false, why, why_sz, bad);

	if (v == NULL)
		return dflt;
	if (strcasecmp(v, "true") == 0)
		return true;
	if (strcasecmp(v, "false") == 0)
		return false;
	snprintf(why, why_sz, "%s må være true eller false", name);
	*bad = true;
	return dflt;
}

/* opplysningsgrunnlag: gjeldende (default) or historisk. */
static bool
param_historisk(struct call *c, char *why, size_t why_sz, bool *bad)
{
	const char *v = param(c, "opplysningsgrunnlag", false, why, why_sz, bad);

	if (v == NULL || strcasecmp(v, "gjeldende") == 0)
		return false;
	if (strcasecmp(v, "historisk") == 0)
		return true;
	snprintf(why, why_sz, "opplysningsgrunnlag må være gjeldende eller historisk");
	*bad = true;
	return false;
}

/* The parts of the call (spec 4.1). false: 400 sent. */
static bool
parts_of(struct call *c, struct freg_parts *parts)
{
	const char *vals[PORTEN_FREG_PARTS_MAX];
	char why[WHY_MAX];
	size_t n = porten_req_query_all(c->req, "part", false, vals, PORTEN_FREG_PARTS_MAX);

	if (n > PORTEN_FREG_PARTS_MAX) {
		freg_send_err(c, FREG_E_INPUT, "for mange part-verdier");
		return false;
	}
	if (freg_parts_parse(c->pkg, vals, n, parts, why, sizeof(why)) != 0) {
		freg_send_err(c, FREG_E_INPUT, why);
		return false;
	}
	return true;
}

/* A person identifier as the register's profile accepts it (spec 7): 11 digits, valid
 * check digits, no H-number; synthetic months (+80) only in the synthetic profile. */
static bool
pid_ok(const struct call *c, const char *id)
{
	unsigned flags = c->s->production_ids ? 0 : PORTEN_PID_ALLOW_SYNTHETIC;

	return id != NULL && strlen(id) == 11 && porten_pid_valid(id, 11, flags, NULL);
}

static void
set_audit(struct call *c, const char *res, const char *pid)
{
	snprintf(c->audit_res, sizeof(c->audit_res), "%s", res);
	if (pid && strlen(pid) == 11 && strspn(pid, "0123456789") == 11)
		snprintf(c->audit_pid, sizeof(c->audit_pid), "%s", pid);
}

/* The current identifier inside a stored document (for audit lines of arkiv lookups). */
static const char *
doc_pid(const json_t *doc)
{
	size_t i;
	json_t *e;

	const char *any = NULL, *cur = NULL;

	json_array_foreach(json_object_get(doc, "identifikasjonsnummer"), i, e) {
		const char *id = json_string_value(json_object_get(e, "foedselsEllerDNummer"));

		if (json_is_true(json_object_get(e, "erGjeldende"))) {
			if (strcmp(json_string_value(json_object_get(e, "status")) ?: "", "iBruk") == 0)
				return id;
			cur = cur ? cur : id;
		}
		any = any ? any : id;
	}
	return cur ? cur : any;
}

static enum freg_err
db_err(int r)
{
	return r == PORTEN_ERR_UNAVAILABLE ? FREG_E_UNAVAILABLE : FREG_E_SERVICE;
}

/* 200 with one person document in the chosen format; steals view. */
static inline void
send_view(struct call *c, int fmt, json_t *view)
{
	freg_send_obj(c, fmt, "folkeregisterperson", view);
}

void
freg_send_obj(struct call *c, int fmt, const char *xml_root, json_t *obj)
{
	if (obj == NULL) {
		freg_send_err(c, FREG_E_SERVICE, NULL);
		return;
	}
	if (fmt == 1) {
		porten_buf_reset(&c->resp->body);
		if (freg_xml_docs(&c->resp->body, NULL, xml_root, NS_PERSON, &obj, 1) != 0) {
			freg_send_err(c, FREG_E_SERVICE, NULL);
		} else {
			c->resp->status = 200;
			c->resp->content_type = "application/xml";
		}
	} else {
		porten_resp_json(c->resp, 200, obj);
	}
	json_decref(obj);
}

/* ---- personer/{id} (spec 3.1) ---- */

/* The stored person, read as text and layout (freg_register_person_raw). */
struct raw_doc {
	struct porten_buf text, layout;
};

static void
raw_init(struct raw_doc *d)
{
	porten_buf_init(&d->text, PORTEN_FREG_PERSON_DOC_MAX + 1);
	porten_buf_init(&d->layout, PORTEN_FREG_PERSON_DOC_MAX + 1);
}

static void
raw_release(struct raw_doc *d)
{
	porten_buf_release(&d->text);
	porten_buf_release(&d->layout);
}

/* Appends package c->pkg's view of the stored person d to the response body as compact
 * JSON: from the layout where it has one (freg_view_json), else by parsing the text.
 * Nothing of a failed attempt stays in the body. */
static int
raw_view(struct call *c, const struct freg_parts *parts, const struct raw_doc *d)
{
	struct porten_buf *out = &c->resp->body;
	size_t mark = out->len;
	json_t *doc, *view;
	int r;

	if (d->layout.len > 0) {
		r = freg_view_json(c->pkg, parts, d->text.data, d->text.len,
		                   (const unsigned char *)d->layout.data, d->layout.len, out);
		if (r == 0)
			return 0;
		out->len = mark;
		if (out->data != NULL)
			out->data[mark] = '\0';
		if (r != PORTEN_ERR_INVALID)
			return r;
		log_warn("freg: a stored person document's layout is unusable; parsed instead");
	}
	if ((doc = json_loadb(d->text.data, d->text.len, 0, NULL)) == NULL)
		return PORTEN_ERR_INTERNAL;
	view = freg_view(c->pkg, parts, doc);
	json_decref(doc);
	if (view == NULL)
		return PORTEN_ERR_NOMEM;
	r = porten_resp_append_json(c->resp, view);
	json_decref(view);
	return r;
}

void
freg_h_person(struct call *c, const char *id)
{
	struct freg_parts parts;
	struct raw_doc d;
	json_t *doc = NULL;
	char cur[12];
	int fmt, r;

	set_audit(c, "personer/{id}", id);
	if ((fmt = freg_doc_format(c)) < 0 || !parts_of(c, &parts))
		return;
	if (!pid_ok(c, id)) {
		freg_send_err(c, FREG_E_INPUT, "ugyldig fødselsnummer eller d-nummer");
		return;
	}
	if (fmt == 0) {
		/* JSON: from the stored text, without a JSON tree where the layout allows */
		raw_init(&d);
		r = freg_register_person_raw(c->s->reg, id, &d.text, &d.layout, cur);
		if (r == 0) {
			set_audit(c, "personer/{id}", cur);
			porten_buf_reset(&c->resp->body);
			if ((r = raw_view(c, &parts, &d)) == 0) {
				c->resp->status = 200;
				c->resp->content_type = "application/json";
			} else {
				freg_send_err(c, FREG_E_SERVICE, NULL);
			}
		} else if (r == PORTEN_ERR_NOT_FOUND) {
			freg_send_err(c, FREG_E_NOT_FOUND, "personen finnes ikke");
		} else {
			freg_send_err(c, db_err(r), NULL);
		}
		raw_release(&d);
		return;
	}
	r = freg_register_person(c->s->reg, id, &doc, cur, NULL);
	if (r == PORTEN_ERR_NOT_FOUND) {
		freg_send_err(c, FREG_E_NOT_FOUND, "personen finnes ikke");
		return;
	}
	if (r != 0) {
		freg_send_err(c, db_err(r), NULL);
		return;
	}
	set_audit(c, "personer/{id}", cur);   /* the person's current identifier */
	send_view(c, fmt, freg_view(c->pkg, &parts, doc));
	json_decref(doc);
}

/* ---- personer/arkiv/{id} (spec 3.2) ---- */

void
freg_h_person_arkiv(struct call *c, const char *id)
{
	struct freg_parts parts;
	json_t *doc = NULL;
	int64_t superseded = 0;
	int fmt, r;

	set_audit(c, "personer/arkiv/{id}", NULL);
	if ((fmt = freg_doc_format(c)) < 0 || !parts_of(c, &parts))
		return;
	r = freg_register_persondoc(c->s->reg, id, &doc, &superseded);
	if (r == PORTEN_ERR_INVALID) {
		freg_send_err(c, FREG_E_INPUT, "ugyldig dokumentidentifikator");
		return;
	}
	if (r == PORTEN_ERR_NOT_FOUND) {
		freg_send_err(c, FREG_E_NOT_FOUND, "dokumentet finnes ikke");
		return;
	}
	if (r != 0) {
		freg_send_err(c, db_err(r), NULL);
		return;
	}
	set_audit(c, "personer/arkiv/{id}", doc_pid(doc));
	if (superseded != 0 && freg_doc_too_old(superseded)) {
		freg_send_err(c, FREG_E_DOC_TOO_OLD, NULL);
	} else {
		send_view(c, fmt, freg_view(c->pkg, &parts, doc));
	}
	json_decref(doc);
}

/* ---- personer/bulkoppslag and personer/bulkoppslag/arkiv (spec 3.3, 3.4) ---- */

static json_t *
item_error(const char *key, const char *id, const char *text)
{
	return json_pack("{s:s,s:{s:s}}", key, id, "feilmelding", "feilmelding", text);
}

/* The answer of a bulk lookup, item by item. JSON is written as each item is made, so a
 * document and its view are freed before the next one is read (the text is the same as
 * that of the whole {"oppslag": [...]} object: compact JSON has no separators of its own);
 * XML needs the whole list first. */
struct bulk_out {
	struct call *c;
	json_t *list;           /* XML: the items; NULL for JSON */
	size_t n;
};

static int
bulk_begin(struct bulk_out *o, struct call *c, int fmt)
{
	o->c = c;
	o->n = 0;
	o->list = NULL;
	if (fmt == 1)
		return (o->list = json_array()) != NULL ? 0 : PORTEN_ERR_NOMEM;
	porten_buf_reset(&c->resp->body);
	return porten_buf_appends(&c->resp->body, "{\"oppslag\":[");
}

/* Steals item. */
static int
bulk_add(struct bulk_out *o, json_t *item)
{
	int r;

	if (item == NULL)
		return PORTEN_ERR_NOMEM;
	if (o->list != NULL)
		return json_array_append_new(o->list, item) == 0 ? 0 : PORTEN_ERR_NOMEM;
	r = o->n > 0 ? porten_buf_append(&o->c->resp->body, ",", 1) : 0;
	if (r == 0)
		r = porten_resp_append_json(o->c->resp, item);
	json_decref(item);
	o->n++;
	return r;
}

/* One found person of a JSON answer, as bulk_add would write its item:
 * {"foedselsEllerDNummer":id,"folkeregisterperson":view}. id is 11 digits (pid_ok). */
static int
bulk_add_raw(struct bulk_out *o, const struct freg_parts *parts, const char *id,
             const struct raw_doc *d)
{
	struct porten_buf *b = &o->c->resp->body;
	int r;

	r = porten_buf_appendf(b, "%s{\"foedselsEllerDNummer\":\"%s\",\"folkeregisterperson\":",
	                       o->n > 0 ? "," : "", id);
	if (r == 0)
		r = raw_view(o->c, parts, d);
	if (r == 0)
		r = porten_buf_append(b, "}", 1);
	o->n++;
	return r;
}

static void
bulk_send(struct bulk_out *o, int fmt)
{
	struct porten_resp *resp = o->c->resp;

	if (o->list != NULL) {
		freg_send_obj(o->c, fmt, "personBulkoppslagResponse",
		              json_pack("{s:O}", "oppslag", o->list));
		return;
	}
	if (porten_buf_append(&resp->body, "]}", 2) != 0) {
		freg_send_err(o->c, FREG_E_SERVICE, NULL);
		return;
	}
	resp->status = 200;
	resp->content_type = "application/json";
}

void
freg_h_person_bulk(struct call *c, bool arkiv)
{
	const char *accept = porten_req_header(c->req, "Accept");
	const char *field = arkiv ? "dokumentidentifikator" : "foedselsEllerDNummer";
	struct freg_parts parts;
	struct bulk_out out = { 0 };
	struct raw_doc d;
	freg_reader *rd = NULL;
	char (*found)[12] = NULL;   /* the persons of the JSON answer, for their audit records */
	size_t nfound = 0;
	int r0 = 0;
	char why[WHY_MAX];
	const char *reason;
	bool req_json, bad = false, som_bestilt;
	json_t *ids, *seen = NULL, *v;
	size_t i;
	int fmt;

	raw_init(&d);
	set_audit(c, arkiv ? "personer/bulkoppslag/arkiv" : "personer/bulkoppslag", NULL);
	fmt = freg_accept_pick(accept, freg_doc_offers);
	if (fmt < 0) {
		freg_send_err(c, FREG_E_NOT_ACCEPTABLE, NULL);
		return;
	}
	ids = freg_body_ids(c, field, PORTEN_FREG_BULK_IDS_MAX, &req_json, &reason);
	if (accept == NULL || accept[strspn(accept, " \t")] == '\0' || strcmp(accept, "*/*") == 0)
		fmt = req_json ? 0 : 1;   /* no preference: answer in the request's format (spec 3.7) */
	c->xml = fmt == 1;
	if (ids == NULL) {
		freg_send_err(c, FREG_E_INPUT, reason);
		return;
	}
	som_bestilt = !arkiv && param_bool(c, "somBestilt", false, why, sizeof(why), &bad);
	if (bad) {
		freg_send_err(c, FREG_E_INPUT, why);
		goto out;
	}
	if (!parts_of(c, &parts))
		goto out;
	if (!arkiv) {
		json_array_foreach(ids, i, v) {
			if (!pid_ok(c, json_string_value(v))) {
				snprintf(why, sizeof(why), "ugyldig fødselsnummer eller d-nummer nr. %zu", i + 1);
				freg_send_err(c, FREG_E_INPUT, why);
				goto out;
			}
		}
	}
	seen = json_object();
	if (seen == NULL || bulk_begin(&out, c, fmt) != 0) {
		freg_send_err(c, FREG_E_SERVICE, NULL);
		goto out;
	}
	/* JSON: every person read in one snapshot, their audit records queued together at
	 * the end (at most one per identifier asked for) */
	if (!arkiv && out.list == NULL &&
	    ((r0 = freg_register_reader_begin(c->s->reg, &rd)) != 0 ||
	     (found = malloc((json_array_size(ids) + 1) * sizeof(*found))) == NULL)) {
		freg_send_err(c, r0 != 0 ? db_err(r0) : FREG_E_SERVICE, NULL);
		goto out;
	}
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		json_t *doc = NULL, *item;
		int64_t superseded = 0;
		int r;

		/* Without somBestilt each identifier is answered once, unknown ones left out
		 * (docs/freg.md); with it, in request order with duplicates and errors. */
		if (!som_bestilt) {
			if (json_object_get(seen, id))
				continue;
			json_object_set_new(seen, id, json_true());
		}
		if (rd != NULL) {
			/* JSON: the item written from the stored text (raw_view) */
			r = freg_reader_person_raw(rd, id, &d.text, &d.layout, NULL);
			if (r == 0) {
				snprintf(found[nfound++], sizeof(found[0]), "%s", id);
				if ((r = bulk_add_raw(&out, &parts, id, &d)) != 0) {
					freg_send_err(c, FREG_E_SERVICE, NULL);
					goto out;
				}
				continue;
			}
		} else {
			r = arkiv ? freg_register_persondoc(c->s->reg, id, &doc, &superseded) :
			            freg_register_person(c->s->reg, id, &doc, NULL, NULL);
		}
		if (r == PORTEN_ERR_NOT_FOUND || r == PORTEN_ERR_INVALID ||
		    (r == 0 && arkiv && superseded != 0 && freg_doc_too_old(superseded))) {
			json_decref(doc);
			if (som_bestilt && bulk_add(&out, item_error(field, id, "Fant ikke person")) != 0) {
				freg_send_err(c, FREG_E_SERVICE, NULL);
				goto out;
			}
			continue;
		}
		if (r != 0) {
			freg_send_err(c, db_err(r), NULL);
			goto out;
		}
		freg_audit_person(c, arkiv ? doc_pid(doc) : id);
		item = arkiv ? json_pack("{s:s,s:s,s:o}", "foedselsEllerDNummer", doc_pid(doc) ?: "",
		                         "dokumentidentifikator", id, "folkeregisterperson",
		                         freg_view(c->pkg, &parts, doc)) :
		               json_pack("{s:s,s:o}", "foedselsEllerDNummer", id, "folkeregisterperson",
		                         freg_view(c->pkg, &parts, doc));
		json_decref(doc);
		if (bulk_add(&out, item) != 0) {
			freg_send_err(c, FREG_E_SERVICE, NULL);
			goto out;
		}
	}
	freg_register_reader_end(rd);
	rd = NULL;
	freg_audit_persons(c, (const char (*)[12])found, nfound);
	bulk_send(&out, fmt);
out:
	freg_register_reader_end(rd);
	free(found);
	raw_release(&d);
	json_decref(out.list);
	json_decref(seen);
	json_decref(ids);
}

/* ---- entydigsoek (spec 3.5) ---- */

void
freg_h_entydigsoek(struct call *c)
{
	struct freg_entydig q;
	struct freg_parts parts;
	char why[WHY_MAX] = "", pid[12];
	json_t *doc = NULL;
	bool bad = false;
	int fmt, r;

	set_audit(c, "personer/entydigsoek", NULL);
	if ((fmt = freg_doc_format(c)) < 0 || !parts_of(c, &parts))
		return;
	memset(&q, 0, sizeof(q));
	q.navn = param(c, "navn", false, why, sizeof(why), &bad);
	q.identifikasjonsnummer = param(c, "identifikasjonsnummer", false, why, sizeof(why), &bad);
	q.foedselsdato = param(c, "foedselsdato", false, why, sizeof(why), &bad);
	q.adressenavn = param(c, "adressenavn", false, why, sizeof(why), &bad);
	q.husnummer = param(c, "husnummer", false, why, sizeof(why), &bad);
	q.postnummer = param(c, "postnummer", false, why, sizeof(why), &bad);
	q.utenlandsk = param(c, "utenlandskpersonidentifikasjon", true, why, sizeof(why), &bad);
	q.legitimasjonsdokument = param(c, "legitimasjonsdokument", false, why, sizeof(why), &bad);
	q.duf = param(c, "utlendingsmyndighetenesidentifikasjonsnummer", true, why, sizeof(why), &bad);
	q.fonetisk = param_bool(c, "soekFonetisk", false, why, sizeof(why), &bad);
	q.historisk = param_historisk(c, why, sizeof(why), &bad);
	if (bad) {
		freg_send_err(c, FREG_E_INPUT, why);
		return;
	}
	if (freg_entydig_check(c->pkg, &q, why, sizeof(why)) != 0) {
		freg_send_err(c, FREG_E_INPUT, why);
		return;
	}
	r = freg_register_entydig(c->s->reg, c->pkg, &q, pid);
	if (r == PORTEN_ERR_NOT_FOUND) {
		freg_send_err(c, FREG_E_NOT_FOUND, "søket ga ikke entydig treff");
		return;
	}
	if (r == 0)
		r = freg_register_person(c->s->reg, pid, &doc, NULL, NULL);
	if (r != 0) {
		/* A person merged away between search and read: no longer a unique hit. */
		freg_send_err(c, r == PORTEN_ERR_NOT_FOUND ? FREG_E_NOT_FOUND : db_err(r), NULL);
		return;
	}
	set_audit(c, "personer/entydigsoek", pid);
	send_view(c, fmt, freg_view(c->pkg, &parts, doc));
	json_decref(doc);
}

/* ---- soek (spec 3.6) ---- */

struct soek_ctx {
	struct call *c;
	json_t *list;
};

/* Every identifier a search hands out is audited like a lookup of that person. */
static int
collect_pid(void *ctx, const char *pid)
{
	struct soek_ctx *x = ctx;

	freg_audit_person(x->c, pid);
	return json_array_append_new(x->list, json_string(pid)) == 0 ? 0 : PORTEN_ERR_NOMEM;
}

/* A strict decimal in [lo, hi] of exactly `digits` digits (0 = any length). */
static bool
parse_num(const char *s, size_t digits, long lo, long hi, long *out)
{
	int64_t v;

	if (s == NULL || strspn(s, "0123456789") != strlen(s) || (digits && strlen(s) != digits) ||
	    !freg_parse_i64(s, &v) || v < lo || v > hi)
		return false;
	*out = (long)v;
	return true;
}

void
freg_h_soek(struct call *c)
{
	struct freg_soek q;
	char why[WHY_MAX] = "";
	const char *fom, *tom, *maks;
	json_t *list;
	bool bad = false;
	long v;
	int fmt, r;

	set_audit(c, "personer/soek", NULL);
	if ((fmt = freg_doc_format(c)) < 0)
		return;
	memset(&q, 0, sizeof(q));
	q.navn = param(c, "navn", false, why, sizeof(why), &bad);
	q.kjoenn = param(c, "kjoenn", false, why, sizeof(why), &bad);
	q.foedselsdato = param(c, "foedselsdato", false, why, sizeof(why), &bad);
	fom = param(c, "foedselsaarFraOgMed", false, why, sizeof(why), &bad);
	tom = param(c, "foedselsaarTilOgMed", false, why, sizeof(why), &bad);
	q.adressenavn = param(c, "adressenavn", false, why, sizeof(why), &bad);
	q.husnummer = param(c, "husnummer", false, why, sizeof(why), &bad);
	q.postnummer = param(c, "postnummer", false, why, sizeof(why), &bad);
	q.kommunenummer = param(c, "kommunenummer", false, why, sizeof(why), &bad);
	q.fylkesnummer = param(c, "fylkesnummer", false, why, sizeof(why), &bad);
	q.inkluder_opphold = param_bool(c, "inkluderOppholdsadresse", false, why, sizeof(why), &bad);
	q.fonetisk = param_bool(c, "soekFonetisk", false, why, sizeof(why), &bad);
	q.inkluder_doede = param_bool(c, "inkluderDoede", false, why, sizeof(why), &bad);
	q.historisk = param_historisk(c, why, sizeof(why), &bad);
	maks = param(c, "maksTreff", false, why, sizeof(why), &bad);
	if (!bad && fom) {
		if (parse_num(fom, 4, 1800, 2999, &v))
			q.aar_fom = (int)v;
		else
			bad = snprintf(why, sizeof(why), "foedselsaarFraOgMed må være et årstall") > 0;
	}
	if (!bad && tom) {
		if (parse_num(tom, 4, 1800, 2999, &v))
			q.aar_tom = (int)v;
		else
			bad = snprintf(why, sizeof(why), "foedselsaarTilOgMed må være et årstall") > 0;
	}
	if (!bad && maks) {
		if (parse_num(maks, 0, 1, FREG_SOEK_MAX, &v))
			q.maks = (size_t)v;
		else
			bad = snprintf(why, sizeof(why), "maksTreff må være et heltall fra 1 til %d",
			               FREG_SOEK_MAX) > 0;
	}
	if (bad) {
		freg_send_err(c, FREG_E_INPUT, why);
		return;
	}
	if (freg_soek_check(&q, why, sizeof(why)) != 0) {
		freg_send_err(c, FREG_E_INPUT, why);
		return;
	}
	if ((list = json_array()) == NULL) {
		freg_send_err(c, FREG_E_SERVICE, NULL);
		return;
	}
	r = freg_register_soek(c->s->reg, c->pkg, &q, collect_pid, &(struct soek_ctx){ c, list });
	if (r == PORTEN_ERR_TOO_LARGE) {
		freg_send_err(c, FREG_E_INPUT, "søket gir mer enn 10 000 treff og må avgrenses");
	} else if (r != 0) {
		freg_send_err(c, db_err(r), NULL);
	} else {
		freg_send_obj(c, fmt, "personsoekResponse", json_pack("{s:O}", "foedselsEllerDNummer", list));
	}
	json_decref(list);
}
