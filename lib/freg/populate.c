/* Filling an empty register with a generated population (freg_populate,
 * include/porten/freg_event.h): one personErOpprettet per person, POPULATE_BATCH events
 * per ingest transaction. The generator frees each document after the sink call, so the
 * batch keeps a reference to it (documents are never modified, only serialized). */
#include <stdlib.h>
#include <string.h>

#include "porten/error.h"
#include "porten/freg_event.h"
#include "porten/freg_gen.h"
#include "porten/limits.h"

#define POPULATE_BATCH 2000
_Static_assert(POPULATE_BATCH <= PORTEN_FREG_INGEST_BATCH_MAX, "batch above the ingest limit");

struct populate {
	freg_register *r;
	const struct freg_gen_opts *o;
	void (*progress)(void *ctx, size_t done, size_t total);
	void *ctx;
	size_t n, done;
	char pid[POPULATE_BATCH][12];
	json_t *person[POPULATE_BATCH];
	json_t *eh[POPULATE_BATCH];
	struct freg_ingest ev[POPULATE_BATCH];
};

static void
release(struct populate *p)
{
	for (size_t i = 0; i < p->n; i++) {
		json_decref(p->person[i]);
		json_decref(p->eh[i]);
	}
	p->n = 0;
}

static int
flush(struct populate *p)
{
	int r;

	if (p->n == 0)
		return 0;
	r = freg_register_ingest(p->r, p->ev, p->n, NULL);
	p->done += r == 0 ? p->n : 0;
	release(p);
	if (r == 0 && p->progress)
		p->progress(p->ctx, p->done, p->o->persons);
	return r;
}

static int
sink(void *ctx, const char *pid, const json_t *person)
{
	struct populate *p = ctx;
	size_t i = p->n;
	int r;

	if ((r = freg_event_created(person, &p->eh[i])) != 0)
		return r;
	memcpy(p->pid[i], pid, 11);
	p->pid[i][11] = '\0';
	p->person[i] = json_incref((json_t *)person);
	p->ev[i] = (struct freg_ingest){
		.pid = p->pid[i],
		.type = "personErOpprettet",
		.egenskapshendelse = p->eh[i],
		.person = p->person[i],
		.ajourhold = 0,
	};
	p->n++;
	return p->n == POPULATE_BATCH ? flush(p) : 0;
}

int
freg_populate(freg_register *r, const struct freg_gen_opts *o,
              void (*progress)(void *ctx, size_t done, size_t total), void *ctx)
{
	int rc = PORTEN_ERR_INTERNAL;
	struct populate *p = NULL;
	size_t have = 0;

	if (r == NULL || o == NULL)
		return PORTEN_ERR_INVALID;
	if ((rc = freg_register_count(r, &have)) != 0)
		return rc;
	if (have != 0)
		return PORTEN_ERR_EXISTS;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return PORTEN_ERR_NOMEM;
	p->r = r;
	p->o = o;
	p->progress = progress;
	p->ctx = ctx;
	if ((rc = freg_gen_population(o, sink, p)) != 0)
		goto out;
	rc = flush(p);
out:
	release(p);
	free(p);
	return rc;
}
