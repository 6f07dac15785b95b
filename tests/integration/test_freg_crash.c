/* Nothing committed is lost: porten freg is killed with SIGKILL while its simulator
 * appends life events (--simulate 60000: one event a millisecond), many times, at a
 * different point each time; after every restart each package feed is still dense
 * (1..last, each sequence number exactly once, in order), and every event a client had
 * seen before the kill is still there, with the same document id.
 *
 * The kill point is chosen by progress, not by time: the test waits until the feed has
 * grown by k events since the last check (k varies per trial) and kills at once, so the
 * simulator is mid-stream. */
#include "harness.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG "910000004"
#define SC_OMH "folkeregister:deling/offentligmedhjemmel"
#define SC_OUH "folkeregister:deling/offentligutenhjemmel"
#define P_OMH "/folkeregisteret/offentlig-med-hjemmel/api/v1/"
#define P_OUH "/folkeregisteret/api/offentligutenhjemmel/v1/"
#define TRIALS 100
#define SEEN_MAX 256

static struct h_server *az;
static struct h_actor *cons;
static const char *data_dir, *seed_path;

static struct h_server *
start_freg(void)
{
	struct h_server_opts o = { 0 };
	const char *extra[] = { "--issuer-url", az->url, "--seed", seed_path, "--persons", "300",
	                        "--simulate", "60000", NULL };

	o.command = "freg";
	o.data_dir = data_dir;
	o.extra = extra;
	return h_server_start(&o);
}

static struct h_resp *
get(struct h_server *fr, const char *path, const char *token)
{
	const char *hdrs[] = { h_strf("Authorization: Bearer %s", token), "Accept: application/json", NULL };

	return h_http(fr, "GET", path, NULL, NULL, 0, hdrs);
}

static int64_t
siste(struct h_server *fr, const char *pkg, const char *token)
{
	struct h_resp *r = get(fr, h_strf("%shendelser/siste/sekvensnummer", pkg), token);

	if (r->status != 200 || !json_is_integer(r->json))
		h_fail("siste/sekvensnummer: %ld %s", r->status, r->body);
	return (int64_t)json_integer_value(r->json);
}

/* Reads pkg's feed from 1 through at least `last`; checks density and order; returns the
 * number of events read. ids (may be NULL) receives the OMH document id per seq. */
static int64_t
read_feed(struct h_server *fr, const char *pkg, const char *token, int64_t last, json_t *ids)
{
	int64_t next = 1;

	for (;;) {
		struct h_resp *r = get(fr, h_strf("%shendelser/feed?seq=%" PRId64, pkg, next), token);
		size_t i;
		json_t *it;

		if (r->status != 200 || !json_is_array(r->json))
			h_fail("feed %s seq=%" PRId64 ": %ld %.200s", pkg, next, r->status, r->body);
		if (json_array_size(r->json) == 0)
			break;
		json_array_foreach(r->json, i, it) {
			if (H_JINT(it, "sekvensnummer") != next + (int64_t)i)
				h_fail("feed %s: expected seq %" PRId64 " at position %zu, got %lld", pkg, next + (int64_t)i,
				       i, H_JINT(it, "sekvensnummer"));
			if (ids)
				json_array_append(ids, json_object_get(json_object_get(it, "hendelse"), "hendelsesdokument"));
		}
		next += (int64_t)json_array_size(r->json);
	}
	if (next - 1 < last)
		h_fail("feed %s ends at %" PRId64 " but %" PRId64 " had been committed before the kill", pkg, next - 1, last);
	return next - 1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
sigkill_during_appends_loses_nothing(void **state)
{
	json_t *seed, *fseed;
	struct h_server_opts o = { 0 };
	struct h_server *fr;
	int64_t seen_seq[SEEN_MAX];
	const char *seen_id[SEEN_MAX];
	size_t nseen = 0;
	int64_t total_before = 0;

	(void)state;
	h_init();
	seed = h_seed_new();
	h_seed_scope(seed, SC_OMH, "974761076", NULL);
	h_seed_scope(seed, SC_OUH, "974761076", NULL);
	cons = h_seed_actor(seed, "cons", ORG, SC_OMH " " SC_OUH, NULL);
	o.seed = seed;
	az = h_server_start(&o);
	data_dir = h_strf("%s/freg", h_tmpdir());
	seed_path = h_strf("%s/freg-seed.json", h_tmpdir());
	fseed = json_pack("{s:[{s:s,s:[s,s]}]}", "consumers", "orgno", ORG, "packages", "offentligmedhjemmel",
	                  "offentligutenhjemmel");
	json_dump_file(fseed, seed_path, 0);
	json_decref(fseed);

	fr = start_freg();
	for (int trial = 0; trial < TRIALS; trial++) {
		const char *t = h_actor_token(az, cons, SC_OMH " " SC_OUH);
		int64_t start = siste(fr, P_OMH, t), now = start, k = 1 + (trial * 7) % 40;
		struct h_resp *r;
		long polls = 0;

		/* wait for the simulator to have appended k more events, then kill at once */
		while (now < start + k) {
			if (++polls > 2000000)
				h_fail("trial %d: the simulator appended nothing (%" PRId64 " -> %" PRId64 ")", trial, start, now);
			now = siste(fr, P_OMH, t);
		}
		r = get(fr, h_strf(P_OMH "hendelser/feed?seq=%" PRId64, now), t);
		if (r->status != 200 || json_array_size(r->json) < 1)
			h_fail("trial %d: event %" PRId64 " not readable: %.200s", trial, now, r->body);
		if (nseen < SEEN_MAX) {
			seen_seq[nseen] = now;
			seen_id[nseen] = H_JSTR(json_object_get(json_array_get(r->json, 0), "hendelse"), "hendelsesdokument");
			nseen++;
		}
		total_before = now;
		h_server_kill(fr);

		fr = start_freg();
		t = h_actor_token(az, cons, SC_OMH " " SC_OUH);
		{
			json_t *ids = h_keep_json(json_array());
			int64_t last = siste(fr, P_OMH, t), n = read_feed(fr, P_OMH, t, total_before, ids);

			if (n < last)
				h_fail("trial %d: siste says %" PRId64 " but the feed holds %" PRId64, trial, last, n);
			for (size_t i = 0; i < nseen; i++) {
				const char *id = json_string_value(json_array_get(ids, (size_t)seen_seq[i] - 1));

				if (id == NULL || strcmp(id, seen_id[i]) != 0)
					h_fail("trial %d: event %" PRId64 " was %s before a kill, now %s", trial, seen_seq[i],
					       seen_id[i], id ? id : "(missing)");
			}
			/* OUH gets fewer events (no confidential-only ones) but is dense as well */
			read_feed(fr, P_OUH, t, 0, NULL);
			/* no event twice */
			{
				size_t m = json_array_size(ids);
				const char **v = h_keep(calloc(m + 1, sizeof(*v)));

				for (size_t i = 0; i < m; i++)
					v[i] = json_string_value(json_array_get(ids, i));
				qsort(v, m, sizeof(*v), cmp_str);
				for (size_t i = 1; i < m; i++)
					if (strcmp(v[i - 1], v[i]) == 0)
						h_fail("trial %d: document %s appears twice in the feed", trial, v[i]);
			}
		}
	}
	h_server_stop(fr);
	print_message("%d kills; %zu events checked across restarts; the feed reached %" PRId64 "\n", TRIALS, nseen,
	              total_before);
	h_server_stop(az);
	h_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sigkill_during_appends_loses_nothing),
	};

	return cmocka_run_group_tests_name("integration: porten freg killed while appending", tests, NULL, NULL);
}
