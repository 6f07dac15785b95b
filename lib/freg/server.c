#define _GNU_SOURCE 1
/* The HTTP surface of porten freg (spec/folkeregisteret.md 1, 2, 6; docs/freg.md).
 *
 * One prefix route takes every /folkeregisteret/ request and handles it in a fixed order,
 * cheapest refusal first:
 *   1. throttling per client IP (429 + Retry-After), before anything is parsed;
 *   2. the package from the path, the resource from what follows "/v1/" (404);
 *   3. the bearer token (401; 503 when the issuer's keys cannot be fetched);
 *   4. the token's scope and the register's own package registry (403), then whether the
 *      package offers the resource (403) and the method (405);
 *   5. Accept (406), parameters and body (400), then the answer.
 * Every authenticated call leaves an audit record (consumer, supplier, package, resource,
 * person, status, time), written in batches by one thread. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/freg.h"
#include "porten/freg_gen.h"
#include "porten/freg_server.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/rand.h"

#include "freg/server_int.h"

/* Embedded by cmake/embed_files.cmake from contracts/. */
struct freg_contract { const char *name; const char *data; size_t len; };
extern const struct freg_contract freg_contracts[];

#define NS_ATOM "http://www.w3.org/2005/Atom"
#define ENTRY_ID_PREFIX "tag:skatteetaten.no,2017-10-10:folkeregisteret:tilgjengeliggjoering:hendelse:v1:"

/* ---- Errors ---- */

static const struct {
	int status;
	const char *kode;
	const char *melding;
} errs[FREG_E_COUNT] = {
	[FREG_E_SERVICE] = { 500, "FREG-001", "Feil i tjenesten. Vennligst prøv igjen seinere." },
	[FREG_E_UNAVAILABLE] = { 503, "FREG-001", "Feil i tjenesten. Vennligst prøv igjen seinere." },
	[FREG_E_INPUT] = { 400, "FREG-002", "Ugyldig input" },
	[FREG_E_UNAUTHENTICATED] = { 401, "FREG-003", "Autentisering feiler" },
	[FREG_E_FORBIDDEN] = { 403, "FREG-004", "Ugyldig tilgang" },
	[FREG_E_NOT_FOUND] = { 404, "FREG-005", "Ikke funnet" },
	[FREG_E_NOT_ACCEPTABLE] = { 406, "FREG-006", "Ikke støttet format i Accept" },
	[FREG_E_SEQ_TOO_OLD] = { 406, "FREG-007", "Det er oppgitt ulovlig sekvensnummer. Sekvensnummer kan ikke være mere enn 36 måneder gammelt" },
	[FREG_E_THROTTLED] = { 429, "FREG-008", "For mange kall er gjort på kort tid. Vent det antall sekunder som er oppgitt i Retry-After før neste kall" },
	[FREG_E_METHOD] = { 405, "FREG-009", "Metoden er ikke tillatt for denne ressursen" },
	[FREG_E_TOO_LARGE] = { 413, "FREG-010", "Forespørselen er for stor" },
	[FREG_E_GONE] = { 410, "FREG-011", "Finnes ikke" },
	[FREG_E_DOC_TOO_OLD] = { 400, "FREG-012", "Dokumentet er eldre enn 3 år og er ikke lenger tilgjengelig" },
};

/* ---- Server state ---- */





/* ---- Audit ---- */

static bool
ts_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static struct timespec
ts_after_ms(struct timespec t, long ms)
{
	t.tv_nsec += ms * 1000000L;
	t.tv_sec += t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	return t;
}

static void *
audit_main(void *arg)
{
	freg_server *s = arg;
	struct freg_audit *batch = malloc(sizeof(*batch) * PORTEN_FREG_AUDIT_BATCH_MAX);
	struct timespec due;   /* the next commit, FLUSH_MS after the start of the last one */

	if (batch == NULL)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &due);
	pthread_mutex_lock(&s->audit_mu);
	for (;;) {
		struct timespec now;
		size_t n;

		/* Records wait for the next commit unless a whole batch is waiting or the
		 * server stops: few, large commits, since each writes every page it touched
		 * and empties the page cache of every pooled reader (SQLite). */
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (s->audit_stop || s->audit_len >= PORTEN_FREG_AUDIT_BATCH_MAX ||
			    (s->audit_len > 0 && !ts_before(now, due)))
				break;
			if (s->audit_len == 0 && !ts_before(now, due))
				due = ts_after_ms(now, PORTEN_FREG_AUDIT_FLUSH_MS);
			pthread_cond_timedwait(&s->audit_cv, &s->audit_mu, &due);
		}
		if (s->audit_len == 0 && s->audit_stop)
			break;
		due = ts_after_ms(now, PORTEN_FREG_AUDIT_FLUSH_MS);
		n = s->audit_len < PORTEN_FREG_AUDIT_BATCH_MAX ? s->audit_len : PORTEN_FREG_AUDIT_BATCH_MAX;
		for (size_t i = 0; i < n; i++)
			batch[i] = s->audit[(s->audit_head + i) % PORTEN_FREG_AUDIT_QUEUE_MAX];
		s->audit_head = (s->audit_head + n) % PORTEN_FREG_AUDIT_QUEUE_MAX;
		s->audit_len -= n;
		pthread_cond_broadcast(&s->audit_space);
		pthread_mutex_unlock(&s->audit_mu);
		/* The database away (a restart, PostgreSQL failing over): the batch waits and
		 * is tried again, and callers wait in audit_push once the queue is full; only
		 * a server that is stopping gives up on it, after a few more tries. */
		for (unsigned tries = 0;; tries++) {
			struct timespec pause = { 0, (long)PORTEN_FREG_AUDIT_FLUSH_MS * 1000000L };
			int r = freg_register_audit_append(s->reg, batch, n);
			bool stop;

			if (r != PORTEN_ERR_UNAVAILABLE) {
				if (r != 0)
					log_error("freg: %zu audit records could not be written", n);
				else if (tries > 0)
					log_info("freg: audit: %zu records written after %u tries", n, tries + 1);
				break;
			}
			pthread_mutex_lock(&s->audit_mu);
			stop = s->audit_stop;
			pthread_mutex_unlock(&s->audit_mu);
			if (stop && tries >= 3) {
				log_error("freg: %zu audit records could not be written: the database is "
				          "unavailable", n);
				break;
			}
			if (tries == 0)
				log_warn("freg: audit: the database is unavailable; %zu records wait", n);
			nanosleep(&pause, NULL);
		}
		pthread_mutex_lock(&s->audit_mu);
	}
	pthread_mutex_unlock(&s->audit_mu);
	free(batch);
	return NULL;
}

/* Queues n records that differ only in the person (tmpl with each of pids), under one
 * lock. Waits for room rather than dropping a record: the audit trail is a legal duty.
 * Otherwise than when a batch is full, the writer takes them every
 * PORTEN_FREG_AUDIT_FLUSH_MS (audit_main). */
static void
audit_push(freg_server *s, const struct freg_audit *tmpl, const char (*pids)[12], size_t n)
{
	pthread_mutex_lock(&s->audit_mu);
	for (size_t i = 0; i < n; i++) {
		struct freg_audit *a;

		while (s->audit_len == PORTEN_FREG_AUDIT_QUEUE_MAX && !s->audit_stop) {
			pthread_cond_signal(&s->audit_cv);
			pthread_cond_wait(&s->audit_space, &s->audit_mu);
		}
		if (s->audit_len == PORTEN_FREG_AUDIT_QUEUE_MAX)
			break;
		a = &s->audit[(s->audit_head + s->audit_len) % PORTEN_FREG_AUDIT_QUEUE_MAX];
		*a = *tmpl;
		memcpy(a->pid, pids[i], sizeof(a->pid));
		a->pid[sizeof(a->pid) - 1] = '\0';
		if (++s->audit_len == PORTEN_FREG_AUDIT_BATCH_MAX)
			pthread_cond_signal(&s->audit_cv);
	}
	pthread_mutex_unlock(&s->audit_mu);
}

/* ---- Lifecycle ---- */

int
freg_server_new(const struct freg_server_config *cfg, freg_server **out)
{
	freg_server *s;

	*out = NULL;
	if (cfg == NULL || cfg->reg == NULL || cfg->tc == NULL || cfg->rate_limit < 0)
		return PORTEN_ERR_INVALID;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return PORTEN_ERR_NOMEM;
	s->reg = cfg->reg;
	s->tc = cfg->tc;
	s->rate_limit = cfg->rate_limit ? cfg->rate_limit : PORTEN_FREG_RATE_DEFAULT;
	s->tls = cfg->tls;
	s->production_ids = cfg->production_ids;
	if (cfg->public_url) {
		size_t n = strlen(cfg->public_url);

		while (n > 0 && cfg->public_url[n - 1] == '/')
			n--;
		s->public_url = strndup(cfg->public_url, n);
	}
	s->rate = calloc(RATE_SLOTS, sizeof(*s->rate));
	s->audit = calloc(PORTEN_FREG_AUDIT_QUEUE_MAX, sizeof(*s->audit));
	if (s->rate == NULL || s->audit == NULL || (cfg->public_url && s->public_url == NULL)) {
		free(s->rate);
		free(s->audit);
		free(s->public_url);
		free(s);
		return PORTEN_ERR_NOMEM;
	}
	for (int i = 0; i < RATE_SHARDS; i++)
		pthread_mutex_init(&s->rate_mu[i], NULL);
	pthread_mutex_init(&s->page_mu, NULL);
	pthread_mutex_init(&s->audit_mu, NULL);
	{
		pthread_condattr_t ca;   /* audit_main's deadlines are on the monotonic clock */

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->audit_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_cond_init(&s->audit_space, NULL);
	if (pthread_create(&s->audit_thread, NULL, audit_main, s) != 0) {
		freg_server_free(s);
		return PORTEN_ERR_NOMEM;
	}
	s->audit_running = true;
	if (freg_uttrekk_new(s->reg, cfg->uttrekk_hold, &s->uttrekk) != 0) {
		freg_server_free(s);
		return PORTEN_ERR_NOMEM;
	}
	xmlInitParser();
	*out = s;
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_page(const struct page *pg, struct porten_buf *out)
{
	char buf[65536];
	size_t off = 0;

	while (off < pg->len) {
		size_t want = pg->len - off < sizeof(buf) ? pg->len - off : sizeof(buf);
		ssize_t n = pread(pg->fd, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || porten_buf_append(out, buf, (size_t)n) != 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

static void
page_unref(struct page *p)
{
	if (p != NULL && --p->refs == 0) {
		close(p->fd);
		free(p);
	}
}

void
freg_server_free(freg_server *s)
{
	if (s == NULL)
		return;
	freg_uttrekk_free(s->uttrekk);
	if (s->audit_running) {
		pthread_mutex_lock(&s->audit_mu);
		s->audit_stop = true;
		pthread_cond_broadcast(&s->audit_cv);
		pthread_mutex_unlock(&s->audit_mu);
		pthread_join(s->audit_thread, NULL);
	}
	for (size_t i = 0; i < PORTEN_FREG_PAGE_CACHE_MAX; i++)
		page_unref(s->pages[i]);
	for (int i = 0; i < RATE_SHARDS; i++)
		pthread_mutex_destroy(&s->rate_mu[i]);
	pthread_mutex_destroy(&s->page_mu);
	pthread_mutex_destroy(&s->audit_mu);
	pthread_cond_destroy(&s->audit_cv);
	pthread_cond_destroy(&s->audit_space);
	free(s->rate);
	free(s->audit);
	free(s->public_url);
	free(s);
}

void
freg_server_uttrekk_release(freg_server *s)
{
	freg_uttrekk_release(s->uttrekk);
}

/* ---- Throttling: a token bucket per client IP (capacity = the per-minute limit,
 * refilled at limit/60 per second on the configured clock). Returns 0 when the request
 * may pass, else the seconds until it could. Slots are found by hash with a short probe;
 * when every probed slot is busy with other addresses the last one is shared, which can
 * only make the limit stricter for the addresses sharing it. ---- */

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int
rate_take(freg_server *s, const char *ip)
{
	uint64_t h = fnv1a(ip);
	size_t base = (size_t)(h % (RATE_SLOTS / RATE_SHARDS)) * RATE_SHARDS + (size_t)(h % RATE_SHARDS);
	unsigned shard = (unsigned)(h % RATE_SHARDS);
	double cap = s->rate_limit, per_s = cap / 60.0;
	int64_t now = porten_now();
	struct rate_slot *slot = NULL;
	int wait = 0;

	pthread_mutex_lock(&s->rate_mu[shard]);
	for (int i = 0; i < RATE_PROBE; i++) {
		struct rate_slot *c = &s->rate[(base + (size_t)i * RATE_SHARDS) % RATE_SLOTS];

		if (strcmp(c->ip, ip) == 0) {
			slot = c;
			break;
		}
		if (c->ip[0] == '\0' || c->tokens + (double)(now - c->at) * per_s >= cap) {
			/* free, or idle long enough to be full again: reuse */
			snprintf(c->ip, sizeof(c->ip), "%s", ip);
			c->tokens = cap;
			c->at = now;
			slot = c;
			break;
		}
		slot = c;
	}
	if (now > slot->at) {
		slot->tokens += (double)(now - slot->at) * per_s;
		if (slot->tokens > cap)
			slot->tokens = cap;
		slot->at = now;
	}
	if (slot->tokens >= 1.0)
		slot->tokens -= 1.0;
	else {
		double need = (1.0 - slot->tokens) / per_s;

		wait = (int)ceil(need);
		if (wait < 1)
			wait = 1;
	}
	pthread_mutex_unlock(&s->rate_mu[shard]);
	return wait;
}

/* ---- Accept negotiation (RFC 9110 12.5.1) ---- */

static bool
token_char(int c)
{
	return c != 0 && (isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
freg_accept_pick(const char *accept, const char *const *offers)
{
	double best_q[16];
	int best = -1;
	size_t noffers = 0;
	const char *p = accept;

	if (offers == NULL || offers[0] == NULL)
		return -1;
	while (offers[noffers] && noffers < 16)
		noffers++;
	if (accept == NULL)
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	if (strlen(accept) > 1024)
		return -1;
	for (size_t i = 0; i < noffers; i++)
		best_q[i] = -1.0;
	/* best_q[i]: q of the most specific range matching offer i (-1: none); spec is the
	 * specificity of that range (3 exact, 2 type/any, 1 any/any). */
	int spec[16] = { 0 };

	while (*p) {
		char type[64], sub[64];
		size_t tn = 0, sn = 0;
		double q = 1.0;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		while (token_char((unsigned char)*p) && tn < sizeof(type) - 1)
			type[tn++] = (char)tolower((unsigned char)*p++);
		type[tn] = '\0';
		if (tn == 0 || *p != '/')
			return -1;
		p++;
		while (token_char((unsigned char)*p) && sn < sizeof(sub) - 1)
			sub[sn++] = (char)tolower((unsigned char)*p++);
		sub[sn] = '\0';
		if (sn == 0)
			return -1;
		/* parameters */
		for (;;) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ';')
				break;
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			char pname[32];
			size_t pn = 0;

			while (token_char((unsigned char)*p) && pn < sizeof(pname) - 1)
				pname[pn++] = (char)tolower((unsigned char)*p++);
			pname[pn] = '\0';
			if (pn == 0 || *p != '=')
				return -1;
			p++;
			if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && p[1])
						p++;
					p++;
				}
				if (*p != '"')
					return -1;
				p++;
			} else {
				const char *v = p;
				char *end;

				while (token_char((unsigned char)*p))
					p++;
				if (p == v)
					return -1;
				if (strcmp(pname, "q") == 0) {
					errno = 0;
					q = strtod(v, &end);
					if (end != p || errno || q < 0.0 || q > 1.0)
						return -1;
				}
			}
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',' && *p != '\0')
			return -1;
		if (strcmp(type, "*") == 0 && strcmp(sub, "*") != 0)
			return -1;
		for (size_t i = 0; i < noffers; i++) {
			const char *slash = strchr(offers[i], '/');
			size_t otn = (size_t)(slash - offers[i]);
			int sp;

			if (strcmp(type, "*") == 0)
				sp = 1;
			else if (strlen(type) == otn && strncmp(type, offers[i], otn) == 0)
				sp = strcmp(sub, "*") == 0 ? 2 : strcmp(sub, slash + 1) == 0 ? 3 : 0;
			else
				sp = 0;
			if (sp > spec[i]) {
				spec[i] = sp;
				best_q[i] = q;
			}
		}
	}
	for (size_t i = 0; i < noffers; i++)
		if (best_q[i] > 0.0 && (best < 0 || best_q[i] > best_q[best]))
			best = (int)i;
	return best;
}

/* ---- Responses ---- */


void
freg_send_err(struct call *c, enum freg_err e, const char *detail)
{
	struct porten_resp *resp = c->resp;
	const char *melding = errs[e].melding;
	char buf[512];

	if (detail && detail[0]) {
		snprintf(buf, sizeof(buf), "%s: %s", errs[e].melding, detail);
		melding = buf;
	}
	porten_buf_reset(&resp->body);
	resp->status = errs[e].status;
	if (c->xml) {
		xmlBufferPtr xb = xmlBufferCreate();
		xmlTextWriterPtr w = xb ? xmlNewTextWriterMemory(xb, 0) : NULL;

		if (w) {
			xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
			xmlTextWriterStartElement(w, BAD_CAST "feilmelding");
			xmlTextWriterWriteElement(w, BAD_CAST "kode", BAD_CAST errs[e].kode);
			xmlTextWriterWriteElement(w, BAD_CAST "melding", BAD_CAST melding);
			xmlTextWriterEndDocument(w);
			xmlFreeTextWriter(w);
			porten_buf_append(&resp->body, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
			resp->content_type = "application/xml";
		}
		if (xb)
			xmlBufferFree(xb);
		if (w)
			goto done;
	}
	{
		json_t *body = json_pack("{s:s,s:s}", "kode", errs[e].kode, "melding", melding);

		porten_resp_json(resp, errs[e].status, body);
		json_decref(body);
	}
done:
	snprintf(c->req->log_code, sizeof(c->req->log_code), "%s", errs[e].kode);
	if (e == FREG_E_UNAUTHENTICATED)
		porten_resp_header(resp, "WWW-Authenticate",
		                   c->req && porten_req_header(c->req, "Authorization")
		                       ? "Bearer error=\"invalid_token\"" : "Bearer");
}

void
freg_send_bytes(struct call *c, const char *ct, const char *data, size_t len)
{
	porten_buf_reset(&c->resp->body);
	c->resp->status = 200;
	c->resp->content_type = ct;
	if (porten_buf_append(&c->resp->body, data, len) != 0)
		freg_send_err(c, FREG_E_SERVICE, NULL);
}

/* ---- Generic JSON -> XML (element per member, arrays repeat the member name) ---- */

int
freg_xml_value(xmlTextWriterPtr w, const char *name, const json_t *v)
{
	char num[32];

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *m;

		if (xmlTextWriterStartElement(w, BAD_CAST name) < 0)
			return -1;
		json_object_foreach((json_t *)v, k, m)
			if (freg_xml_value(w, k, m) != 0)
				return -1;
		return xmlTextWriterEndElement(w) < 0 ? -1 : 0;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *m;

		json_array_foreach(v, i, m)
			if (freg_xml_value(w, name, m) != 0)
				return -1;
		return 0;
	}
	case JSON_STRING:
		return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST json_string_value(v)) < 0 ? -1 : 0;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST num) < 0 ? -1 : 0;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST num) < 0 ? -1 : 0;
	case JSON_TRUE:
	case JSON_FALSE:
		return xmlTextWriterWriteElement(w, BAD_CAST name,
		                                 BAD_CAST(json_is_true(v) ? "true" : "false")) < 0 ? -1 : 0;
	case JSON_NULL:
		return 0;
	}
	return -1;
}

/* Writes docs (objects) as root elements named root in namespace ns; with wrapper, all of
 * them inside <wrapper xmlns=ns>. */
int
freg_xml_docs(struct porten_buf *out, const char *wrapper, const char *root, const char *ns,
         json_t *const *docs, size_t n)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = xb ? xmlNewTextWriterMemory(xb, 0) : NULL;
	int r = -1;

	if (w == NULL)
		goto out;
	if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0)
		goto out;
	if (wrapper) {
		xmlTextWriterStartElement(w, BAD_CAST wrapper);
		xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST ns);
	}
	for (size_t i = 0; i < n; i++) {
		const char *k;
		json_t *m;

		xmlTextWriterStartElement(w, BAD_CAST root);
		if (!wrapper)
			xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST ns);
		json_object_foreach(docs[i], k, m)
			if (freg_xml_value(w, k, m) != 0)
				goto out;
		if (xmlTextWriterEndElement(w) < 0)
			goto out;
	}
	if (xmlTextWriterEndDocument(w) < 0)
		goto out;
	xmlFreeTextWriter(w);
	w = NULL;
	r = porten_buf_append(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
out:
	if (w)
		xmlFreeTextWriter(w);
	if (xb)
		xmlBufferFree(xb);
	return r;
}

/* ---- Feed ---- */

enum { FMT_JSON = 0, FMT_ATOM, FMT_XML };
static const char *const feed_offers[] = { "application/json", "application/atom+xml", "application/xml", NULL };

static const char *
shown_type(const struct freg_pkg_info *pi, const char *type)
{
	return pi->feed == FREG_FEED_GENERIC || pi->feed == FREG_FEED_GENERIC_UF ? "endringIPerson" : type;
}

struct render {
	const struct freg_pkg_info *pi;
	struct porten_buf *out;
	xmlTextWriterPtr w;
	size_t count;
	int64_t last;
};

static int
render_json_row(void *ctx, const struct freg_feed_row *row)
{
	struct render *r = ctx;
	const struct freg_pkg_info *pi = r->pi;
	int e = porten_buf_appendf(r->out, "%s{\"sekvensnummer\":%" PRId64 ",\"hendelse\":{",
	                           r->count ? "," : "", row->seq);

	if (e == 0 && pi->feed != FREG_FEED_GENERIC_UF)
		e = porten_buf_appendf(r->out, "\"folkeregisteridentifikator\":\"%s\",", row->pid);
	if (e == 0)
		e = porten_buf_appendf(r->out, "\"hendelsetype\":\"%s\",", shown_type(pi, row->type));
	if (e == 0 && pi->feed == FREG_FEED_FULL) {
		e = porten_buf_appendf(r->out, "\"hendelsesdokument\":\"%s\",", row->event_id);
		if (e == 0 && row->persondoc_id[0])
			e = porten_buf_appendf(r->out, "\"persondokument\":\"%s\",", row->persondoc_id);
	}
	if (e == 0)
		e = porten_buf_appendf(r->out, "\"ajourholdstidspunkt\":\"%s\"}}", row->ajourhold);
	r->count++;
	r->last = row->seq;
	return e;
}

static int
render_atom_row(void *ctx, const struct freg_feed_row *row)
{
	struct render *r = ctx;
	const struct freg_pkg_info *pi = r->pi;
	xmlTextWriterPtr w = r->w;
	char id[160], seq[24];
	int e = 0;

	snprintf(seq, sizeof(seq), "%" PRId64, row->seq);
	snprintf(id, sizeof(id), ENTRY_ID_PREFIX "%s", seq);
	e |= xmlTextWriterStartElement(w, BAD_CAST "entry") < 0;
	e |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:ns2", BAD_CAST NS_HENDELSE) < 0;
	e |= xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST "Hendelse") < 0;
	e |= xmlTextWriterWriteElement(w, BAD_CAST "id", BAD_CAST id) < 0;
	e |= xmlTextWriterWriteElement(w, BAD_CAST "updated", BAD_CAST row->ajourhold) < 0;
	e |= xmlTextWriterStartElement(w, BAD_CAST "content") < 0;
	e |= xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "application/xml") < 0;
	e |= xmlTextWriterStartElement(w, BAD_CAST "ns2:lagretHendelse") < 0;
	e |= xmlTextWriterWriteElement(w, BAD_CAST "ns2:sekvensnummer", BAD_CAST seq) < 0;
	e |= xmlTextWriterStartElement(w, BAD_CAST "ns2:hendelse") < 0;
	if (pi->feed != FREG_FEED_GENERIC_UF)
		e |= xmlTextWriterWriteElement(w, BAD_CAST "ns2:folkeregisteridentifikator", BAD_CAST row->pid) < 0;
	e |= xmlTextWriterWriteElement(w, BAD_CAST "ns2:hendelsetype", BAD_CAST shown_type(pi, row->type)) < 0;
	if (pi->feed == FREG_FEED_FULL) {
		e |= xmlTextWriterWriteElement(w, BAD_CAST "ns2:hendelsesdokument", BAD_CAST row->event_id) < 0;
		if (row->persondoc_id[0])
			e |= xmlTextWriterWriteElement(w, BAD_CAST "ns2:persondokument", BAD_CAST row->persondoc_id) < 0;
	}
	e |= xmlTextWriterWriteElement(w, BAD_CAST "ns2:ajourholdstidspunkt", BAD_CAST row->ajourhold) < 0;
	e |= xmlTextWriterEndElement(w) < 0;   /* hendelse */
	e |= xmlTextWriterEndElement(w) < 0;   /* lagretHendelse */
	e |= xmlTextWriterEndElement(w) < 0;   /* content */
	e |= xmlTextWriterEndElement(w) < 0;   /* entry */
	r->count++;
	r->last = row->seq;
	return e ? PORTEN_ERR_NOMEM : 0;
}

/* The feed's own URL without query: public_url or scheme://Host, then the package path. */
static void
feed_url(struct call *c, char *out, size_t outsz)
{
	const char *host = porten_req_header(c->req, "Host");
	bool ok = host && host[0] && strlen(host) < 120;

	for (const char *p = host; ok && *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr(".-:[]_", *p)))
			ok = false;
	if (c->s->public_url)
		snprintf(out, outsz, "%s%shendelser/feed", c->s->public_url, c->pi->path);
	else
		snprintf(out, outsz, "%s://%s%shendelser/feed", c->s->tls ? "https" : "http",
		         ok ? host : "localhost", c->pi->path);
}

static int
render_atom(struct call *c, struct porten_buf *out, int64_t from, int64_t next_hint,
            size_t limit, size_t *count, int64_t *last)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = xb ? xmlNewTextWriterMemory(xb, 0) : NULL;
	struct render r = { .pi = c->pi, .out = out, .w = w };
	char url[512], href[600], ts[FREG_TS_LEN + 1];
	int e = 0, rc;

	if (w == NULL) {
		if (xb)
			xmlBufferFree(xb);
		return PORTEN_ERR_NOMEM;
	}
	feed_url(c, url, sizeof(url));
	e |= xmlTextWriterStartDocument(w, "1.0", "UTF-8", "yes") < 0;
	e |= xmlTextWriterStartElement(w, BAD_CAST "feed") < 0;
	e |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST NS_ATOM) < 0;
	e |= xmlTextWriterWriteElement(w, BAD_CAST "id", BAD_CAST url) < 0;
	e |= xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST c->pi->feed_title) < 0;
	e |= xmlTextWriterStartElement(w, BAD_CAST "author") < 0;
	e |= xmlTextWriterWriteElement(w, BAD_CAST "name", BAD_CAST "Skatteetaten") < 0;
	e |= xmlTextWriterEndElement(w) < 0;
	const char *rels[3] = { "self", "first", "next" };
	int64_t seqs[3] = { from, 0, next_hint };

	for (int i = 0; i < 3; i++) {
		snprintf(href, sizeof(href), "%s?seq=%" PRId64, url, seqs[i]);
		e |= xmlTextWriterStartElement(w, BAD_CAST "link") < 0;
		e |= xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST rels[i]) < 0;
		e |= xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "application/atom+xml") < 0;
		e |= xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST href) < 0;
		e |= xmlTextWriterEndElement(w) < 0;
	}
	freg_ts_format(porten_now(), 0, ts);
	e |= xmlTextWriterWriteElement(w, BAD_CAST "updated", BAD_CAST ts) < 0;
	rc = e ? PORTEN_ERR_NOMEM
	     : limit == 0 ? 0
	     : freg_register_feed(c->s->reg, c->pkg, from == 0 ? 1 : from, limit, render_atom_row, &r);
	if (rc == 0 && xmlTextWriterEndDocument(w) < 0)
		rc = PORTEN_ERR_NOMEM;
	xmlFreeTextWriter(w);
	if (rc == 0)
		rc = porten_buf_append(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
	xmlBufferFree(xb);
	*count = r.count;
	*last = r.last;
	return rc;
}

bool
freg_parse_i64(const char *s, int64_t *out)
{
	int64_t v = 0;
	bool neg = false;

	if (s == NULL || *s == '\0')
		return false;
	if (*s == '-') {
		neg = true;
		s++;
		if (*s == '\0')
			return false;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = neg ? -v : v;
	return true;
}

static bool
etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);

	if (inm == NULL)
		return false;
	for (const char *p = inm; *p;) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

static void
h_feed(struct call *c)
{
	static const char *const ct[] = { "application/json", "application/atom+xml", "application/xml" };
	freg_server *s = c->s;
	int fmt = freg_accept_pick(porten_req_header(c->req, "Accept"), feed_offers);
	const char *seqs = porten_req_query_strict(c->req, "seq");
	int64_t seq, first, last, from, count, lastp;
	char etag[96], host[128];
	struct page *pg = NULL;
	size_t slot;
	int r;

	snprintf(c->audit_res, sizeof(c->audit_res), "hendelser/feed");
	if (fmt < 0) {
		freg_send_err(c, FREG_E_NOT_ACCEPTABLE, NULL);
		return;
	}
	c->xml = fmt != FMT_JSON;
	if (seqs == NULL || porten_req_query_count(c->req, "seq") != 1) {
		freg_send_err(c, FREG_E_INPUT, seqs ? "seq er oppgitt flere ganger" : "seq mangler");
		return;
	}
	if (!freg_parse_i64(seqs, &seq) || seq < 0) {
		freg_send_err(c, FREG_E_INPUT, "seq må være et heltall fra og med 0");
		return;
	}
	first = c->first;
	last = c->last;
	from = seq == 0 ? 1 : seq;
	if (from < first) {
		freg_send_err(c, FREG_E_SEQ_TOO_OLD, NULL);
		return;
	}
	/* Pages are dense, so the page's extent follows from the bounds alone. */
	count = from > last ? 0 : (last - from + 1 > PORTEN_FREG_FEED_PAGE ? PORTEN_FREG_FEED_PAGE : last - from + 1);
	lastp = count ? from + count - 1 : from - 1;
	snprintf(etag, sizeof(etag), "\"%s-%" PRId64 "-%" PRId64 "-%" PRId64 "-%d\"", c->pi->abbrev,
	         seq, count, lastp, fmt);
	porten_resp_header(c->resp, "ETag", etag);
	porten_resp_header(c->resp, "Cache-Control", "no-cache");
	if (etag_matches(porten_req_header(c->req, "If-None-Match"), etag)) {
		porten_buf_reset(&c->resp->body);
		c->resp->status = 304;
		c->resp->content_type = NULL;
		return;
	}
	/* Full pages never change: serve them from the cache. */
	host[0] = '\0';
	if (fmt != FMT_JSON && s->public_url == NULL) {
		const char *h = porten_req_header(c->req, "Host");

		snprintf(host, sizeof(host), "%s", h ? h : "");
	}
	slot = (size_t)(((uint64_t)from * 31 + (uint64_t)c->pkg * 7 + (uint64_t)fmt) % PORTEN_FREG_PAGE_CACHE_MAX);
	if (count == PORTEN_FREG_FEED_PAGE) {
		pthread_mutex_lock(&s->page_mu);
		pg = s->pages[slot];
		if (pg && pg->pkg == c->pkg && pg->from == from && pg->fmt == fmt &&
		    strcmp(pg->host, host) == 0 && strcmp(pg->etag, etag) == 0)
			pg->refs++;
		else
			pg = NULL;
		pthread_mutex_unlock(&s->page_mu);
		if (pg) {
			int fd = dup(pg->fd);

			if (fd >= 0) {
				porten_resp_fd(c->resp, 200, ct[fmt], fd, pg->len);
			} else {
				/* out of descriptors: copy instead */
				porten_buf_reset(&c->resp->body);
				if (porten_buf_append(&c->resp->body, "", 0) != 0 ||
				    read_page(pg, &c->resp->body) != 0)
					freg_send_err(c, FREG_E_SERVICE, NULL);
				else {
					c->resp->status = 200;
					c->resp->content_type = ct[fmt];
				}
			}
			pthread_mutex_lock(&s->page_mu);
			page_unref(pg);
			pthread_mutex_unlock(&s->page_mu);
			return;
		}
	}
	porten_buf_reset(&c->resp->body);
	if (fmt == FMT_JSON) {
		struct render rd = { .pi = c->pi, .out = &c->resp->body };

		/* Read exactly the rows the bounds promised (the ETag names them): events
		 * appended since belong to the next call. */
		r = porten_buf_appends(&c->resp->body, "[");
		if (r == 0 && count > 0)
			r = freg_register_feed(s->reg, c->pkg, from, (size_t)count, render_json_row, &rd);
		if (r == 0)
			r = porten_buf_appends(&c->resp->body, "]");
		if (r == 0 && (int64_t)rd.count != count)
			r = PORTEN_ERR_CONFLICT;    /* a purge or a writer raced us: tell the client to retry */
	} else {
		size_t n;
		int64_t l;

		r = render_atom(c, &c->resp->body, seq, count ? lastp + 1 : seq, (size_t)count, &n, &l);
		if (r == 0 && (int64_t)n != count)
			r = PORTEN_ERR_CONFLICT;
	}
	if (r != 0) {
		log_error("freg: feed page %s seq=%" PRId64 ": %s", c->pi->abbrev, seq, porten_strerror(r));
		freg_send_err(c, r == PORTEN_ERR_UNAVAILABLE || r == PORTEN_ERR_CONFLICT ? FREG_E_UNAVAILABLE
		                                                                    : FREG_E_SERVICE, NULL);
		return;
	}
	c->resp->status = 200;
	c->resp->content_type = ct[fmt];
	if (count == PORTEN_FREG_FEED_PAGE && (pg = calloc(1, sizeof(*pg))) != NULL) {
		pg->refs = 1;
		pg->pkg = c->pkg;
		pg->from = from;
		pg->fmt = fmt;
		snprintf(pg->host, sizeof(pg->host), "%s", host);
		snprintf(pg->etag, sizeof(pg->etag), "%s", etag);
		pg->len = c->resp->body.len;
		pg->fd = memfd_create("freg-page", MFD_CLOEXEC);
		if (pg->fd < 0 || write_all(pg->fd, c->resp->body.data, pg->len) != 0) {
			if (pg->fd >= 0)
				close(pg->fd);
			free(pg);
			return;
		}
		pthread_mutex_lock(&s->page_mu);
		page_unref(s->pages[slot]);
		s->pages[slot] = pg;
		pthread_mutex_unlock(&s->page_mu);
	}
}

static void
h_siste(struct call *c)
{
	static const char *const offers[] = { "application/json", "text/plain", "application/xml", NULL };
	int fmt = freg_accept_pick(porten_req_header(c->req, "Accept"), offers);
	char num[32];

	snprintf(c->audit_res, sizeof(c->audit_res), "hendelser/siste/sekvensnummer");
	if (fmt < 0) {
		freg_send_err(c, FREG_E_NOT_ACCEPTABLE, NULL);
		return;
	}
	c->xml = fmt == 2;
	snprintf(num, sizeof(num), "%" PRId64, c->last);
	if (fmt == 2) {
		char x[160];
		int n = snprintf(x, sizeof(x), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		                 "<sekvensnummer><sekvensnummer>%s</sekvensnummer></sekvensnummer>\n", num);
		freg_send_bytes(c, "application/xml", x, (size_t)n);
	} else
		freg_send_bytes(c, fmt == 0 ? "application/json" : "text/plain", num, strlen(num));
	porten_resp_header(c->resp, "Cache-Control", "no-cache");
}

static void
h_xsd(struct call *c, const char *name)
{
	snprintf(c->audit_res, sizeof(c->audit_res), "xsd");
	c->xml = true;
	for (const struct freg_contract *f = freg_contracts; f->name; f++)
		if (strcmp(f->name, name) == 0) {
			freg_send_bytes(c, "application/xml", f->data, f->len);
			porten_resp_header(c->resp, "Cache-Control", "max-age=3600");
			return;
		}
	freg_send_err(c, FREG_E_NOT_FOUND, NULL);
}

const char *const freg_doc_offers[] = { "application/json", "application/xml", NULL };

int
freg_doc_format(struct call *c)
{
	int fmt = freg_accept_pick(porten_req_header(c->req, "Accept"), freg_doc_offers);

	if (fmt < 0)
		freg_send_err(c, FREG_E_NOT_ACCEPTABLE, NULL);
	c->xml = fmt == 1;
	return fmt;
}

/* Retention of documents (spec 2.3, 3.2): three years. */
bool
freg_doc_too_old(int64_t stored)
{
	return stored < porten_now() - (int64_t)3 * 365 * 86400 - 86400;
}

static void
send_event_docs(struct call *c, int fmt, json_t *const *docs, size_t n, bool list)
{
	porten_buf_reset(&c->resp->body);
	if (fmt == 1) {
		if (freg_xml_docs(&c->resp->body, list ? "dokumenterForHendelse" : NULL, "dokumentForHendelse",
		             NS_HENDELSE, docs, n) != 0) {
			freg_send_err(c, FREG_E_SERVICE, NULL);
			return;
		}
		c->resp->status = 200;
		c->resp->content_type = "application/xml";
		return;
	}
	if (list) {
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append(a, docs[i]);
		porten_resp_json(c->resp, 200, a);
		json_decref(a);
	} else
		porten_resp_json(c->resp, 200, docs[0]);
}

static void
h_event(struct call *c, const char *id)
{
	char *text = NULL;
	size_t len;
	int64_t stored;
	int fmt, r;

	snprintf(c->audit_res, sizeof(c->audit_res), "hendelser/{id}");
	if ((fmt = freg_doc_format(c)) < 0)
		return;
	r = freg_register_event_doc(c->s->reg, id, &text, &len, &stored);
	if (r == PORTEN_ERR_NOT_FOUND) {
		freg_send_err(c, FREG_E_NOT_FOUND, NULL);
		return;
	}
	if (r != 0) {
		freg_send_err(c, r == PORTEN_ERR_UNAVAILABLE ? FREG_E_UNAVAILABLE : FREG_E_SERVICE, NULL);
		return;
	}
	if (freg_doc_too_old(stored)) {
		free(text);
		freg_send_err(c, FREG_E_DOC_TOO_OLD, NULL);
		return;
	}
	if (fmt == 0) {
		freg_send_bytes(c, "application/json", text, len);
	} else {
		json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
		const char *pid = json_string_value(json_object_get(json_object_get(doc, "hendelse"),
		                                                    "folkeregisteridentifikator"));

		if (pid)
			snprintf(c->audit_pid, sizeof(c->audit_pid), "%s", pid);
		if (doc == NULL)
			freg_send_err(c, FREG_E_SERVICE, NULL);
		else
			send_event_docs(c, fmt, &doc, 1, false);
		json_decref(doc);
	}
	if (fmt == 0) {
		/* The person concerned, for the audit line: a cheap scan of our own JSON. */
		const char *p = strstr(text, "\"folkeregisteridentifikator\":\"");

		if (p)
			snprintf(c->audit_pid, sizeof(c->audit_pid), "%.11s", p + 30);
	}
	free(text);
}

/* libxml2 reports some input errors (encoding) through its generic error function even
 * with XML_PARSE_NOERROR; untrusted bodies must not reach the server's stderr. */
static void
xml_silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

json_t *
freg_parse_ids(const char *body, size_t len, bool json, const char *field, size_t max,
               const char **why)
{
	json_t *ids = NULL;

	*why = NULL;
	if (json) {
		json_error_t jerr;
		json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
		json_t *a = doc ? json_object_get(doc, field) : NULL;
		size_t i;
		json_t *v;

		if (doc == NULL || !json_is_object(doc)) {
			*why = "ugyldig JSON";
		} else if (!json_is_array(a)) {
			*why = "listen mangler";
		} else if (json_array_size(a) > max) {
			*why = "for mange identifikatorer (høyst 1000)";
		} else {
			ids = json_array();
			json_array_foreach(a, i, v) {
				if (!json_is_string(v)) {
					*why = "identifikatorene må være tekst";
					json_decref(ids);
					ids = NULL;
					break;
				}
				json_array_append(ids, v);
			}
		}
		json_decref(doc);
		return ids;
	}
	if (len > PORTEN_FREG_BODY_MAX) {
		*why = "for stor";
		return NULL;
	}
	xmlSetGenericErrorFunc(NULL, xml_silent);
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlDocPtr doc = xmlReadMemory(body, (int)len, NULL, NULL,
	                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

	if (root == NULL) {
		*why = "ugyldig XML";
	} else if (doc->intSubset != NULL || doc->extSubset != NULL) {
		*why = "XML med DOCTYPE tas ikke imot";
	} else {
		ids = json_array();
		for (xmlNodePtr n = root->children; n; n = n->next) {
			if (n->type != XML_ELEMENT_NODE)
				continue;
			if (strcmp((const char *)n->name, field) != 0) {
				*why = "ukjent element";
				break;
			}
			if (json_array_size(ids) >= max) {
				*why = "for mange identifikatorer (høyst 1000)";
				break;
			}
			xmlChar *t = xmlNodeGetContent(n);

			json_array_append_new(ids, json_string(t ? (const char *)t : ""));
			xmlFree(t);
		}
		if (*why == NULL && json_array_size(ids) != 0 && json_string_value(json_array_get(ids, 0)) == NULL)
			*why = "ugyldig tekst";
		if (*why) {
			json_decref(ids);
			ids = NULL;
		}
	}
	if (doc)
		xmlFreeDoc(doc);
	return ids;
}

/* A POST body: JSON when Content-Type says so, XML when it says XML or is absent
 * (spec 3.3). Returns the ids under member/element `field`, or NULL with a reason. */
json_t *
freg_body_ids(struct call *c, const char *field, size_t max, bool *req_json, const char **why)
{
	const char *ct = porten_req_header(c->req, "Content-Type");

	*why = NULL;
	*req_json = ct && (strncasecmp(ct, "application/json", 16) == 0 || strstr(ct, "+json") != NULL);
	if (ct && !*req_json && strncasecmp(ct, "application/xml", 15) != 0 &&
	    strncasecmp(ct, "text/xml", 8) != 0) {
		*why = "Content-Type må være application/json eller application/xml";
		return NULL;
	}
	return freg_parse_ids(c->req->body, c->req->body_len, *req_json, field, max, why);
}

static void
h_event_bulk(struct call *c)
{
	const char *accept = porten_req_header(c->req, "Accept");
	const char *why;
	bool req_json;
	json_t *ids, **docs = NULL;
	size_t i, n = 0;
	json_t *v;
	int fmt;

	snprintf(c->audit_res, sizeof(c->audit_res), "hendelser/bulkoppslag");
	fmt = freg_accept_pick(accept, freg_doc_offers);
	if (fmt < 0) {
		freg_send_err(c, FREG_E_NOT_ACCEPTABLE, NULL);
		return;
	}
	ids = freg_body_ids(c, "dokumentidentifikator", PORTEN_FREG_BULK_IDS_MAX, &req_json, &why);
	if (accept == NULL || accept[strspn(accept, " \t")] == '\0' || strcmp(accept, "*/*") == 0)
		fmt = req_json ? 0 : 1;   /* no preference: answer in the request's format (spec 3.3) */
	c->xml = fmt == 1;
	if (ids == NULL) {
		freg_send_err(c, FREG_E_INPUT, why);
		return;
	}
	docs = calloc(json_array_size(ids) + 1, sizeof(*docs));
	if (docs == NULL) {
		json_decref(ids);
		freg_send_err(c, FREG_E_SERVICE, NULL);
		return;
	}
	json_array_foreach(ids, i, v) {
		char *text = NULL;
		size_t len;
		int64_t stored;
		int r = freg_register_event_doc(c->s->reg, json_string_value(v), &text, &len, &stored);

		if (r == PORTEN_ERR_NOT_FOUND)
			continue;
		if (r != 0) {
			freg_send_err(c, r == PORTEN_ERR_UNAVAILABLE ? FREG_E_UNAVAILABLE : FREG_E_SERVICE, NULL);
			goto out;
		}
		if (!freg_doc_too_old(stored) && (docs[n] = json_loadb(text, len, 0, NULL)) != NULL)
			n++;
		free(text);
	}
	send_event_docs(c, fmt, docs, n, true);
out:
	for (i = 0; i < n; i++)
		json_decref(docs[i]);
	free(docs);
	json_decref(ids);
}

/* ---- Dispatch ---- */

struct resource {
	const char *method;
	const char *path;      /* exact, or with a trailing '*' for one more segment */
	unsigned res;
};

static const struct resource resources[] = {
	{ "GET", "hendelser/feed", FREG_RES_FEED },
	{ "GET", "hendelser/siste/sekvensnummer", FREG_RES_SISTE },
	{ "GET", "hendelser/xsd", FREG_RES_HENDELSE_XSD },
	{ "GET", "hendelser/feedxsd", FREG_RES_HENDELSE_XSD },
	{ "POST", "hendelser/bulkoppslag", FREG_RES_HENDELSE_BULK },
	{ "GET", "hendelser/*", FREG_RES_HENDELSE },
	{ "GET", "personer/xsd", FREG_RES_PERSON_XSD },
	{ "GET", "personer/soek", FREG_RES_SOEK },
	{ "GET", "personer/entydigsoek", FREG_RES_ENTYDIGSOEK },
	{ "POST", "personer/bulkoppslag", FREG_RES_PERSON_BULK },
	{ "POST", "personer/bulkoppslag/arkiv", FREG_RES_ARKIV_BULK },
	{ "GET", "personer/arkiv/*", FREG_RES_ARKIV },
	{ "GET", "personer/*", FREG_RES_PERSON },
	{ "GET", "uttrekk/komplett", FREG_RES_UTTREKK_KOMPLETT },
	{ "POST", "uttrekk/tilpasset", FREG_RES_UTTREKK_TILPASSET },
	{ "GET", "uttrekk/*/batch/*", FREG_RES_UTTREKK_TILPASSET | FREG_RES_UTTREKK_KOMPLETT },
};

/* Matches path against pattern, where '*' stands for one non-empty segment. */
static bool
path_match(const char *pat, const char *path)
{
	while (*pat) {
		if (*pat == '*') {
			size_t n = strcspn(path, "/");

			if (n == 0)
				return false;
			path += n;
			pat++;
			continue;
		}
		if (*pat != *path)
			return false;
		pat++;
		path++;
	}
	return *path == '\0';
}

/* The resource for (method, path); *known tells whether the path exists for another
 * method (405). Exact paths win over patterns because they come first. */
static const struct resource *
resource_find(const char *method, const char *path, bool *known)
{
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;

	*known = false;
	/* A POST-only exact path asked with GET is a 405, not the GET pattern after it
	 * (GET personer/bulkoppslag is not a person lookup). */
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++)
		if (strchr(resources[i].path, '*') == NULL && strcmp(resources[i].path, path) == 0 &&
		    strcmp(resources[i].method, m) != 0) {
			bool other = false;

			for (size_t k = 0; k < sizeof(resources) / sizeof(resources[0]); k++)
				other |= strcmp(resources[k].path, path) == 0 && strcmp(resources[k].method, m) == 0;
			if (!other) {
				*known = true;
				return NULL;
			}
		}
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
		if (!path_match(resources[i].path, path))
			continue;
		if (strcmp(resources[i].method, m) == 0)
			return &resources[i];
		*known = true;
	}
	return NULL;
}

static void
authenticate(struct call *c, enum freg_err *err, const char **detail)
{
	const char *h = porten_req_header(c->req, "Authorization");
	const char *tok;
	size_t len;
	enum porten_tokencheck_status st;

	*err = FREG_E_COUNT;
	*detail = NULL;
	if (h == NULL) {
		*err = FREG_E_UNAUTHENTICATED;
		*detail = "Authorization mangler";
		return;
	}
	if (strlen(h) > PORTEN_BEARER_MAX + 16 || porten_bearer_from_header(h, &tok, &len) != 0) {
		*err = FREG_E_UNAUTHENTICATED;
		*detail = "forventet Authorization: Bearer <token>";
		return;
	}
	st = porten_tokencheck_verify(c->s->tc, tok, len, &c->bearer);
	if (st == PORTEN_TOKENCHECK_OK) {
		c->authed = true;
		snprintf(c->req->log_orgno, sizeof(c->req->log_orgno), "%s", c->bearer.consumer_orgno);
		snprintf(c->req->log_client_id, sizeof(c->req->log_client_id), "%s", c->bearer.client_id);
		return;
	}
	if (st == PORTEN_TOKENCHECK_UNAVAILABLE) {
		*err = FREG_E_UNAVAILABLE;
		porten_resp_header(c->resp, "Retry-After", "10");
		log_error("freg: the issuer's keys are unavailable: %s", c->bearer.reason);
		return;
	}
	if (st == PORTEN_TOKENCHECK_INTERNAL) {
		*err = FREG_E_SERVICE;
		return;
	}
	*err = FREG_E_UNAUTHENTICATED;
	*detail = "ugyldig token";
	log_warn("security: token refused ip=%s reason=\"%s\" (%s)", c->req->client_ip,
	         c->bearer.reason ? c->bearer.reason : "", porten_tokencheck_status_name(st));
}

/* The record of call c about person pid ("" or NULL: none). */
static void
audit_record(const struct call *c, const char *pid, int status, struct freg_audit *a)
{
	memset(a, 0, sizeof(*a));
	a->at = porten_now();
	snprintf(a->consumer, sizeof(a->consumer), "%s", c->bearer.consumer_orgno);
	snprintf(a->supplier, sizeof(a->supplier), "%s", c->bearer.supplier_orgno);
	a->pkg = c->pkg;
	snprintf(a->resource, sizeof(a->resource), "%s", c->audit_res[0] ? c->audit_res : "?");
	snprintf(a->pid, sizeof(a->pid), "%s", pid ? pid : "");
	a->status = status;
}

static void
audit_call(struct call *c, const char *pid, int status)
{
	struct freg_audit a;

	if (!c->authed)
		return;
	audit_record(c, pid, status, &a);
	audit_push(c->s, &a, (const char (*)[12])&a.pid, 1);
}

void
freg_audit_persons(struct call *c, const char (*pids)[12], size_t n)
{
	struct freg_audit a;

	if (!c->authed || n == 0)
		return;
	audit_record(c, NULL, 200, &a);
	audit_push(c->s, &a, pids, n);
}

static void
finish_audit(struct call *c)
{
	audit_call(c, c->audit_pid, c->resp->status);
}

void
freg_audit_person(struct call *c, const char *pid)
{
	audit_call(c, pid, 200);
}

static void
h_freg(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	struct call c;
	const struct resource *rs;
	const char *rest;
	enum freg_err err;
	const char *detail;
	unsigned mask = 0;
	bool known;
	int pkg, wait;
	size_t n;

	memset(&c, 0, sizeof(c));
	c.s = ctx;
	c.req = req;
	c.resp = resp;
	if ((wait = rate_take(c.s, req->client_ip)) > 0) {
		char ra[16];

		snprintf(ra, sizeof(ra), "%d", wait);
		freg_send_err(&c, FREG_E_THROTTLED, NULL);
		porten_resp_header(resp, "Retry-After", ra);
		return;
	}
	pkg = freg_pkg_by_path(req->path, &rest);
	if (pkg < 0) {
		freg_send_err(&c, FREG_E_NOT_FOUND, NULL);
		return;
	}
	c.pkg = (enum freg_pkg)pkg;
	c.pi = freg_pkg(c.pkg);
	n = strlen(rest);
	if (n >= sizeof(c.resbuf)) {
		freg_send_err(&c, FREG_E_NOT_FOUND, NULL);
		return;
	}
	memcpy(c.resbuf, rest, n + 1);
	if (n > 0 && c.resbuf[n - 1] == '/')
		c.resbuf[n - 1] = '\0';
	c.res = c.resbuf;
	rs = resource_find(req->method, c.res, &known);
	if (rs == NULL && !known) {
		freg_send_err(&c, FREG_E_NOT_FOUND, NULL);
		return;
	}
	authenticate(&c, &err, &detail);
	if (err != FREG_E_COUNT) {
		freg_send_err(&c, err, detail);
		return;
	}
	{
		int r = freg_register_call_state(c.s->reg, c.bearer.consumer_orgno, c.pkg, &mask, &c.first, &c.last);

		if (r != 0) {
			freg_send_err(&c, r == PORTEN_ERR_UNAVAILABLE ? FREG_E_UNAVAILABLE : FREG_E_SERVICE, NULL);
			goto audit;
		}
	}
	snprintf(req->log_scope, sizeof(req->log_scope), "%s", c.pi->scope);
	if (!porten_bearer_has_scope(&c.bearer, c.pi->scope)) {
		freg_send_err(&c, FREG_E_FORBIDDEN, "tokenet mangler scope for rettighetspakken");
		goto audit;
	}
	if (!(mask & (1u << c.pkg))) {
		freg_send_err(&c, FREG_E_FORBIDDEN, "virksomheten har ikke tilgang til rettighetspakken");
		goto audit;
	}
	if (rs == NULL) {
		freg_send_err(&c, FREG_E_METHOD, NULL);
		goto audit;
	}
	if (!(c.pi->resources & rs->res)) {
		freg_send_err(&c, FREG_E_FORBIDDEN, "rettighetspakken gir ikke tilgang til denne tjenesten");
		goto audit;
	}
	switch (rs->res) {
	case FREG_RES_FEED:
		h_feed(&c);
		break;
	case FREG_RES_SISTE:
		h_siste(&c);
		break;
	case FREG_RES_HENDELSE_XSD:
		h_xsd(&c, strcmp(c.res, "hendelser/xsd") == 0 ? "Hendelsedokument_v1.4.xsd" : "Feed_v1.xsd");
		break;
	case FREG_RES_HENDELSE:
		h_event(&c, c.res + strlen("hendelser/"));
		break;
	case FREG_RES_HENDELSE_BULK:
		h_event_bulk(&c);
		break;
	case FREG_RES_PERSON_XSD:
		h_xsd(&c, "Person_v1.xsd");
		break;
	case FREG_RES_PERSON:
		freg_h_person(&c, c.res + strlen("personer/"));
		break;
	case FREG_RES_ARKIV:
		freg_h_person_arkiv(&c, c.res + strlen("personer/arkiv/"));
		break;
	case FREG_RES_PERSON_BULK:
		freg_h_person_bulk(&c, false);
		break;
	case FREG_RES_ARKIV_BULK:
		freg_h_person_bulk(&c, true);
		break;
	case FREG_RES_ENTYDIGSOEK:
		freg_h_entydigsoek(&c);
		break;
	case FREG_RES_SOEK:
		freg_h_soek(&c);
		break;
	case FREG_RES_UTTREKK_KOMPLETT:
		freg_h_uttrekk_komplett(&c);
		break;
	case FREG_RES_UTTREKK_TILPASSET:
		freg_h_uttrekk_tilpasset(&c);
		break;
	default: {
		/* uttrekk/{job}/batch/{n} */
		char job[64];
		const char *p = c.res + strlen("uttrekk/"), *slash = strchr(p, '/');
		size_t jl = slash ? (size_t)(slash - p) : 0;

		if (slash == NULL || jl >= sizeof(job)) {
			freg_send_err(&c, FREG_E_GONE, NULL);
			break;
		}
		memcpy(job, p, jl);
		job[jl] = '\0';
		freg_h_uttrekk_batch(&c, job, slash + strlen("/batch/"));
		break;
	}
	}
audit:
	finish_audit(&c);
}

void
freg_http_error(struct porten_req *req, struct porten_resp *resp, int status, void *ctx)
{
	struct call c;

	memset(&c, 0, sizeof(c));
	c.s = ctx;
	c.req = req;
	c.resp = resp;
	freg_send_err(&c, status == 413 ? FREG_E_TOO_LARGE : status == 405 ? FREG_E_METHOD : FREG_E_NOT_FOUND, NULL);
}

static void
h_health(struct porten_req *req, struct porten_resp *resp, void *ctx)
{
	(void)req;
	(void)ctx;
	porten_resp_text(resp, 200, "application/json", "{\"status\":\"UP\"}", 15);
}

const struct porten_route freg_routes[] = {
	{ "GET", "/health", h_health, 0, 0 },
	{ "GET", "/folkeregisteret/", h_freg, 0, PORTEN_ROUTE_PREFIX },
	{ "POST", "/folkeregisteret/", h_freg, PORTEN_FREG_BODY_MAX, PORTEN_ROUTE_PREFIX },
	{ "PUT", "/folkeregisteret/", h_freg, 0, PORTEN_ROUTE_PREFIX },
	{ "DELETE", "/folkeregisteret/", h_freg, 0, PORTEN_ROUTE_PREFIX },
};
const size_t freg_nroutes = sizeof(freg_routes) / sizeof(freg_routes[0]);
