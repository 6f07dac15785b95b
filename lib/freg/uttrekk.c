/* Extracts (uttrekk) of porten freg (spec/folkeregisteret.md 5; docs/freg.md "Uttrekk").
 *
 * An order (komplett or tilpasset) gets a jobbId at once and joins a queue; one
 * background thread runs the jobs in order, each as one read of the register, and cuts
 * the result into batches. GET uttrekk/{jobbId}/batch/{n}:
 *   - unknown job, another organisation's job, or n past the end → 410;
 *   - the job not finished yet → 404 (the client retries);
 *   - n < number of batches → 200 with the ids; n == number of batches → 200 {}.
 * At most PORTEN_FREG_UTTREKK_ORG_MAX unfinished jobs per organisation (→ 429). Jobs live
 * in memory: a restart forgets them (their batches then answer 410 and the client orders
 * again). Finished jobs are dropped after PORTEN_FREG_UTTREKK_KEEP_S seconds, or earlier,
 * oldest first, when their organisation keeps more than PORTEN_FREG_UTTREKK_ORG_KEEP or all
 * of them pass PORTEN_FREG_UTTREKK_JOBS_MAX / _BYTES_MAX. A job is read only by the
 * organisation that ordered it, through the package it was ordered through. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/freg_search.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/rand.h"

#include "freg/server_int.h"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED };

struct job {
	char id[37];
	char orgno[10];
	enum freg_pkg pkg;             /* ordered through this package; read only through it */
	bool komplett;
	int64_t seq;                   /* komplett: as of this OMH sequence number */
	struct freg_tilpasset q;       /* tilpasset: the selection (strings in qbuf) */
	char qbuf[5][8];
	enum job_state state;
	int64_t finished;              /* Unix seconds */
	/* The result: n ids of width w (32 or 11) back to back. */
	char *ids;
	size_t n, cap, w;
	struct freg_uttrekk *u;
	struct job *next;
};

struct freg_uttrekk {
	freg_register *reg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	bool running, stop, hold;
	struct job *jobs;              /* newest first */
	size_t njobs;
	size_t bytes;                  /* result bytes of the jobs kept */
	_Atomic bool abort;            /* stop a running job (shutdown) */
};

/* ---- The worker ---- */

static int
collect(void *ctx, const char *id)
{
	struct job *j = ctx;

	if (atomic_load(&j->u->abort))
		return PORTEN_ERR_UNAVAILABLE;
	if (strlen(id) != j->w)
		return 0;
	if ((j->n + 1) * j->w > PORTEN_FREG_UTTREKK_BYTES_MAX)
		return PORTEN_ERR_TOO_LARGE;
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 4096;
		char *p = realloc(j->ids, cap * j->w);

		if (p == NULL)
			return PORTEN_ERR_NOMEM;
		j->ids = p;
		j->cap = cap;
	}
	memcpy(j->ids + j->n * j->w, id, j->w);
	j->n++;
	return 0;
}

static void *
worker(void *arg)
{
	struct freg_uttrekk *u = arg;

	pthread_mutex_lock(&u->mu);
	for (;;) {
		struct job *j = NULL;

		if (u->stop)
			break;
		if (!u->hold)
			for (struct job *k = u->jobs; k; k = k->next)
				if (k->state == JOB_QUEUED)
					j = k;   /* the oldest queued: the list is newest first */
		if (j == NULL) {
			pthread_cond_wait(&u->cv, &u->mu);
			continue;
		}
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&u->mu);
		/* The job is ours while RUNNING: nobody else touches its result. */
		int64_t t0 = porten_mono_ns();
		int r = j->komplett ? freg_register_komplett(u->reg, j->seq, collect, j) :
		                      freg_register_tilpasset(u->reg, &j->q, collect, j);
		if (r != 0)
			log_error("freg: uttrekk %s failed: %s", j->id, porten_strerror(r));
		else
			log_info("freg: uttrekk %s for %s: %zu %s in %.2f s", j->id, j->orgno, j->n,
			         j->komplett ? "documents" : "persons",
			         (double)(porten_mono_ns() - t0) / 1e9);
		if (r == 0 && j->n < j->cap) {
			char *p = realloc(j->ids, j->n ? j->n * j->w : 1);

			if (p != NULL) {
				j->ids = p;
				j->cap = j->n;
			}
		}
		pthread_mutex_lock(&u->mu);
		j->state = r == 0 ? JOB_DONE : JOB_FAILED;
		j->finished = porten_now();
		if (r == 0)
			u->bytes += j->cap * j->w;
		else {
			free(j->ids);
			j->ids = NULL;
			j->n = j->cap = 0;
		}
	}
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

int
freg_uttrekk_new(freg_register *reg, bool hold, struct freg_uttrekk **out)
{
	struct freg_uttrekk *u = calloc(1, sizeof(*u));

	*out = NULL;
	if (u == NULL)
		return PORTEN_ERR_NOMEM;
	u->reg = reg;
	u->hold = hold;
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->cv, NULL);
	if (pthread_create(&u->th, NULL, worker, u) != 0) {
		freg_uttrekk_free(u);
		return PORTEN_ERR_NOMEM;
	}
	u->running = true;
	*out = u;
	return 0;
}

void
freg_uttrekk_release(struct freg_uttrekk *u)
{
	if (u == NULL)
		return;
	pthread_mutex_lock(&u->mu);
	u->hold = false;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
}

void
freg_uttrekk_free(struct freg_uttrekk *u)
{
	if (u == NULL)
		return;
	if (u->running) {
		atomic_store(&u->abort, true);
		pthread_mutex_lock(&u->mu);
		u->stop = true;
		pthread_cond_broadcast(&u->cv);
		pthread_mutex_unlock(&u->mu);
		pthread_join(u->th, NULL);
	}
	while (u->jobs) {
		struct job *j = u->jobs;

		u->jobs = j->next;
		free(j->ids);
		free(j);
	}
	pthread_mutex_destroy(&u->mu);
	pthread_cond_destroy(&u->cv);
	free(u);
}

/* ---- Orders ---- */

static void
drop(struct freg_uttrekk *u, struct job **pp)
{
	struct job *j = *pp;

	*pp = j->next;
	u->bytes -= j->cap * j->w;
	free(j->ids);
	free(j);
	u->njobs--;
}

static bool
finished(const struct job *j)
{
	return j->state == JOB_DONE || j->state == JOB_FAILED;
}

/* Under u->mu: drops finished jobs older than the keep time; then, while over the job
 * or byte budget, or while the organisation keeps more than its share of finished jobs,
 * the oldest finished ones (the list is newest first, so the last match is the oldest). */
static void
expire(struct freg_uttrekk *u, const char *orgno)
{
	int64_t now = porten_now();
	struct job **pp = &u->jobs;

	while (*pp) {
		if (finished(*pp) && now - (*pp)->finished > PORTEN_FREG_UTTREKK_KEEP_S)
			drop(u, pp);
		else
			pp = &(*pp)->next;
	}
	for (;;) {
		struct job **oldest = NULL, **mine_oldest = NULL;
		size_t mine = 0;

		for (pp = &u->jobs; *pp; pp = &(*pp)->next) {
			if (!finished(*pp))
				continue;
			oldest = pp;
			if (strcmp((*pp)->orgno, orgno) == 0) {
				mine++;
				mine_oldest = pp;
			}
		}
		if (mine_oldest && mine >= PORTEN_FREG_UTTREKK_ORG_KEEP)
			drop(u, mine_oldest);
		else if (oldest && (u->njobs >= PORTEN_FREG_UTTREKK_JOBS_MAX ||
		                    u->bytes > PORTEN_FREG_UTTREKK_BYTES_MAX))
			drop(u, oldest);
		else
			break;
	}
}

/* Queues j for the call's organisation, or answers 429 / 503. Takes j. */
static void
order(struct call *c, struct job *j)
{
	struct freg_uttrekk *u = c->s->uttrekk;
	char id[37];
	size_t mine = 0;

	snprintf(j->orgno, sizeof(j->orgno), "%s", c->bearer.consumer_orgno);
	if (porten_random_uuid(j->id) != 0) {
		free(j);
		freg_send_err(c, FREG_E_SERVICE, NULL);
		return;
	}
	j->pkg = c->pkg;
	j->u = u;
	memcpy(id, j->id, sizeof(id));
	pthread_mutex_lock(&u->mu);
	expire(u, j->orgno);
	for (struct job *k = u->jobs; k; k = k->next)
		if (strcmp(k->orgno, j->orgno) == 0 && (k->state == JOB_QUEUED || k->state == JOB_RUNNING))
			mine++;
	if (mine >= PORTEN_FREG_UTTREKK_ORG_MAX || u->njobs >= PORTEN_FREG_UTTREKK_JOBS_MAX) {
		pthread_mutex_unlock(&u->mu);
		free(j);
		freg_send_err(c, FREG_E_THROTTLED, mine >= PORTEN_FREG_UTTREKK_ORG_MAX ?
		              "høyst 10 uttrekk kan kjøre samtidig for en virksomhet" : "for mange uttrekk");
		porten_resp_header(c->resp, "Retry-After", PORTEN_FREG_UTTREKK_RETRY_AFTER);
		return;
	}
	j->state = JOB_QUEUED;
	j->next = u->jobs;
	u->jobs = j;
	u->njobs++;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	freg_send_obj(c, c->xml ? 1 : 0, "uttrekkJobbResponse", json_pack("{s:s}", "jobbId", id));
}

/* A non-negative decimal integer: digits only. */
static bool
count_i64(const char *s, int64_t *out)
{
	return s != NULL && strspn(s, "0123456789") == strlen(s) && freg_parse_i64(s, out);
}

void
freg_h_uttrekk_komplett(struct call *c)
{
	const char *v[2];
	size_t n;
	struct job *j;
	int64_t seq = c->last;

	snprintf(c->audit_res, sizeof(c->audit_res), "uttrekk/komplett");
	if (freg_doc_format(c) < 0)
		return;
	n = porten_req_query_all(c->req, "feedsekvensnr", false, v, 2);
	if (n > 1 || (n == 1 && !count_i64(v[0], &seq))) {
		freg_send_err(c, FREG_E_INPUT, "feedsekvensnr må være et heltall, oppgitt én gang");
		return;
	}
	if (seq > c->last)
		seq = c->last;   /* clamped to the package's last sequence number (spec 5.1) */
	if (seq < c->first - 1) {
		freg_send_err(c, FREG_E_SEQ_TOO_OLD, NULL);   /* before the retention, as the feed */
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		freg_send_err(c, FREG_E_SERVICE, NULL);
		return;
	}
	j->komplett = true;
	j->seq = seq;
	j->w = FREG_DOC_ID_LEN;
	order(c, j);
}

/* ---- Tilpasset (spec 5.2) ---- */

static const char *const statuses[] = {
	[FREG_UT_AKTIV] = "aktiv", [FREG_UT_BOSATT] = "bosatt", [FREG_UT_UTFLYTTET] = "utflyttet",
	[FREG_UT_DOED] = "doed", [FREG_UT_INAKTIV] = "inaktiv",
};
static const char *const sivilstander[] = {
	"uoppgitt", "ugift", "gift", "enkeEllerEnkemann", "skilt", "separert", "registrertPartner",
	"separertPartner", "skiltPartner", "gjenlevendePartner", NULL,
};

static bool
digits(const char *s, size_t n)
{
	return s && strlen(s) == n && strspn(s, "0123456789") == n;
}

/* A year member: absent → 0; else 4 digits. */
static bool
year(const json_t *o, const char *name, int *out)
{
	const json_t *v = json_object_get(o, name);

	*out = 0;
	if (v == NULL)
		return true;
	if (!digits(json_string_value(v), 4))
		return false;
	*out = atoi(json_string_value(v));
	return true;
}

const char *
freg_tilpasset_parse(const json_t *o, struct freg_tilpasset *q, char qbuf[5][8])
{
	const json_t *st = json_object_get(o, "personstatustyper"), *v;
	const json_t *km = json_object_get(o, "kommunenummer");
	const char *bosted, *opphold, *s;
	size_t i;

	memset(q, 0, sizeof(*q));
	if (!json_is_object(o))
		return "forventet et JSON-objekt";
	if (!json_is_array(st) || json_array_size(st) == 0)
		return "personstatustyper mangler";
	json_array_foreach(st, i, v) {
		size_t k;

		for (k = 0; k < sizeof(statuses) / sizeof(statuses[0]); k++)
			if (json_is_string(v) && strcmp(json_string_value(v), statuses[k]) == 0)
				break;
		if (k == sizeof(statuses) / sizeof(statuses[0]))
			return "ukjent personstatustype";
		q->statuses |= 1u << k;
	}
	/* Nested as in OpenAPI 1.5, or flat as in the documentation's table: both. */
	if (km != NULL && !json_is_object(km))
		return "kommunenummer må være et objekt";
	bosted = json_string_value(json_object_get(km ? km : o, "bostedskommunenummer"));
	opphold = json_string_value(json_object_get(km ? km : o, "oppholdskommunenummer"));
	if ((json_object_get(km ? km : o, "bostedskommunenummer") && !digits(bosted, 4)) ||
	    (json_object_get(km ? km : o, "oppholdskommunenummer") && !digits(opphold, 4)))
		return "kommunenummer må ha fire sifre";
	if (bosted && opphold)
		return "oppgi enten bostedskommunenummer eller oppholdskommunenummer, ikke begge";
	if (bosted)
		q->bostedskommune = memcpy(qbuf[0], bosted, 5);
	if (opphold)
		q->oppholdskommune = memcpy(qbuf[1], opphold, 5);
	if (!year(o, "foedselsaarFraOgMed", &q->foedt_fom) || !year(o, "foedselsaarTilOgMed", &q->foedt_tom) ||
	    !year(o, "doedsaarFraOgMed", &q->doed_fom) || !year(o, "doedsaarTilOgMed", &q->doed_tom))
		return "årstall må ha fire sifre";
	if ((q->foedt_fom && q->foedt_tom && q->foedt_fom > q->foedt_tom) ||
	    (q->doed_fom && q->doed_tom && q->doed_fom > q->doed_tom))
		return "fra og med-året kan ikke være etter til og med-året";
	if ((v = json_object_get(o, "kjoenn")) != NULL) {
		s = json_string_value(v);
		if (s == NULL || (strcmp(s, "kvinne") != 0 && strcmp(s, "mann") != 0))
			return "kjoenn må være kvinne eller mann";
		q->kjoenn = strcpy(qbuf[2], s);
	}
	if ((v = json_object_get(o, "statsborgerskap")) != NULL) {
		s = json_string_value(v);
		if (s == NULL || strlen(s) != 3 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
			return "statsborgerskap må være en landkode med tre bokstaver";
		q->statsborgerskap = memcpy(qbuf[3], s, 4);
	}
	if ((v = json_object_get(o, "sivilstandstype")) != NULL) {
		size_t k;

		s = json_string_value(v);
		for (k = 0; sivilstander[k]; k++)
			if (s && strcmp(s, sivilstander[k]) == 0)
				break;
		if (sivilstander[k] == NULL)
			return "ukjent sivilstandstype";
		q->sivilstand = sivilstander[k];
	}
	return NULL;
}

void
freg_h_uttrekk_tilpasset(struct call *c)
{
	const char *ct = porten_req_header(c->req, "Content-Type");
	const char *why;
	json_error_t jerr;
	json_t *o;
	struct job *j;

	snprintf(c->audit_res, sizeof(c->audit_res), "uttrekk/tilpasset");
	if (freg_doc_format(c) < 0)
		return;
	/* OpenAPI 1.5 offers JSON only for this order; a missing Content-Type is read as JSON
	 * too (docs/freg.md). */
	if (ct && strncasecmp(ct, "application/json", 16) != 0) {
		freg_send_err(c, FREG_E_INPUT, "Content-Type må være application/json");
		return;
	}
	if ((o = json_loadb(c->req->body ? c->req->body : "", c->req->body_len,
	                    JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		freg_send_err(c, FREG_E_INPUT, "ugyldig JSON");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		json_decref(o);
		freg_send_err(c, FREG_E_SERVICE, NULL);
		return;
	}
	if ((why = freg_tilpasset_parse(o, &j->q, j->qbuf)) != NULL) {
		json_decref(o);
		free(j);
		freg_send_err(c, FREG_E_INPUT, why);
		return;
	}
	json_decref(o);
	j->q.pkg = c->pkg;
	j->w = 11;
	order(c, j);
}

/* ---- Batches ---- */

void
freg_h_uttrekk_batch(struct call *c, const char *id, const char *batch)
{
	struct freg_uttrekk *u = c->s->uttrekk;
	int64_t nr;
	json_t *b = NULL;
	int fmt;

	snprintf(c->audit_res, sizeof(c->audit_res), "uttrekk/{jobbid}/batch/{batchnr}");
	if ((fmt = freg_doc_format(c)) < 0)
		return;
	if (!count_i64(batch, &nr)) {
		freg_send_err(c, FREG_E_INPUT, "batchnr må være et heltall");
		return;
	}
	pthread_mutex_lock(&u->mu);
	struct job *j = u->jobs;

	while (j && (strcmp(j->id, id) != 0 || strcmp(j->orgno, c->bearer.consumer_orgno) != 0 ||
	             j->pkg != c->pkg))
		j = j->next;
	if (j == NULL || j->state == JOB_FAILED) {
		pthread_mutex_unlock(&u->mu);
		freg_send_err(c, FREG_E_GONE, "uttrekket finnes ikke");
		return;
	}
	if (j->state != JOB_DONE) {
		pthread_mutex_unlock(&u->mu);
		freg_send_err(c, FREG_E_NOT_FOUND, "uttrekket er ikke ferdig; prøv igjen senere");
		return;
	}
	{
		size_t per = j->komplett ? PORTEN_FREG_UTTREKK_BATCH_KOMPLETT : PORTEN_FREG_UTTREKK_BATCH_TILPASSET;
		size_t nb = (j->n + per - 1) / per, w = j->w, from, cnt = 0;
		bool komplett = j->komplett;
		char *copy = NULL;

		if ((uint64_t)nr > nb) {
			pthread_mutex_unlock(&u->mu);
			freg_send_err(c, FREG_E_GONE, "batchen finnes ikke");
			return;
		}
		/* Copy the batch's ids under the lock; build the answer without it. */
		if ((size_t)nr < nb) {
			from = (size_t)nr * per;
			cnt = j->n - from < per ? j->n - from : per;
			if ((copy = malloc(cnt * w)) != NULL)
				memcpy(copy, j->ids + from * w, cnt * w);
		}
		pthread_mutex_unlock(&u->mu);
		b = json_object();
		if (b != NULL && cnt > 0) {
			json_t *a = copy ? json_array() : NULL;
			bool ok = a != NULL;

			for (size_t i = 0; ok && i < cnt; i++)
				ok = json_array_append_new(a, json_stringn(copy + i * w, w)) == 0;
			if (!ok || json_object_set_new(b, komplett ? "dokumentidentifikator" :
			                               "foedselsEllerDNummer", a) != 0) {
				if (ok)
					a = NULL;   /* set_new took it */
				json_decref(a);
				json_decref(b);
				b = NULL;       /* never a short batch or {} on failure: a 500 */
			}
		}
		free(copy);
	}
	freg_send_obj(c, fmt, "uttrekkDataResponse", b);
}
