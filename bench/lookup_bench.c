#define _GNU_SOURCE 1
/* The lookup benchmark's two tools (bench/lookup.sh).
 *
 *   lookup_bench inputs --db FILE --out DIR [--sample N] [--bulk K] [--seed S]
 *     Reads a register's SQLite file (read-only; the server may be running) and writes
 *     request files for persons that are in it: N persons picked at random (seeded)
 *     among the surviving ones, and
 *       person.req   GET personer/{id}, one per sampled person
 *       entydig.req  GET personer/entydigsoek?navn=F%20L&foedselsdato=YYYYMMDD for the
 *                    living sampled persons whose (F, L, date) matches no one else in
 *                    the whole register (one pass over every current document)
 *       soek.req     GET personer/soek?navn=F%20L&postnummer=NNNN for the living sampled
 *                    persons with an ungraded bostedsadresse that has a postnummer
 *       bulk.req     POST personer/bulkoppslag, K bodies of 1000 distinct random ids
 *       feed.req     GET hendelser/feed?seq=S, random full pages of the OMH feed
 *       hbulk.req    POST hendelser/bulkoppslag, K bodies of 1000 random event ids
 *     F is the first word of the current fornavn, L the last word of the current
 *     etternavn. The uniqueness check over-approximates what entydigsoek matches (every
 *     navn and foedsel element, current or not; F among fornavn and mellomnavn words, L
 *     among etternavn and mellomnavn words; words split at spaces and hyphens;
 *     ASCII case folded), so a kept key has exactly one match whatever the server's
 *     finer rules. Persons with a hyphen in F or L are left out of entydig and soek.
 *     Prints key=value facts (persons, sampled, doc_bytes_avg, ...) on stdout.
 *
 *   lookup_bench --port P --token-file FILE --requests-file FILE [--host IP]
 *                [--concurrency C] [--requests N] [--start K]
 *     HTTP/1.1 load: one epoll thread, C keep-alive connections, one request in flight
 *     per connection. Request i is line (K + i) mod lines of the file, so consecutive
 *     requests go to different persons. A line is
 *         METHOD PATH [@BODYFILE] [STATUS]
 *     (BODYFILE relative to the file's directory, sent as application/json; STATUS the
 *     expected one, default 200; '#' starts a comment line). Every request's latency is
 *     kept. Prints one line: concurrency, requests, errors (status other than expected,
 *     or a broken response), seconds, req_per_s, p50_ms, p99_ms, max_ms, body_bytes (mean
 *     per response), statuses (count per status; 0 = broken). Exit 3 when errors > 0.
 *     The first unexpected response is shown on stderr with the start of its body. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "porten/buf.h"
#include "porten/clock.h"

#define OMH "/folkeregisteret/offentlig-med-hjemmel/api/v1/"
#define BULK_IDS 1000           /* ids in one bulkoppslag body */
#define FEED_PAGE 1000          /* events on a feed page */
#define HDR_MAX 16384
#define SCRATCH (256 * 1024)
#define PEEK 300

/* ================================================================ inputs ==== */

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t
rng_below(uint64_t n)
{
	return n ? rng_next() % n : 0;
}

#define WORD_MAX 64

struct cand {
	char pid[12];
	char dob[11];            /* YYYY-MM-DD */
	char f[WORD_MAX], l[WORD_MAX];
	char post[5];
	bool alive, words_ok, ungraded;
	unsigned matches;        /* persons in the register matching (F, L, dob) */
};

static sqlite3 *db;

static void
die_db(const char *what)
{
	fprintf(stderr, "lookup_bench inputs: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static sqlite3_stmt *
prep(const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die_db(sql);
	return st;
}

static int64_t
query_int(const char *sql)
{
	sqlite3_stmt *st = prep(sql);
	int64_t v = -1;

	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The element of array a with erGjeldende true, else the first; NULL when empty. */
static json_t *
current(json_t *a)
{
	size_t i;
	json_t *e;

	if (!json_is_array(a))
		return NULL;
	json_array_foreach(a, i, e) {
		if (json_is_true(json_object_get(e, "erGjeldende")))
			return e;
	}
	return json_array_get(a, 0);
}

/* Copies word number `which` (0 = first, -1 = last) of s split at spaces into out;
 * false when there is none or it does not fit or holds a hyphen. */
static bool
pick_word(const char *s, int which, char out[WORD_MAX])
{
	const char *p = s, *w = NULL;
	size_t wl = 0;

	if (s == NULL)
		return false;
	while (*p) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == 0)
			break;
		w = p;
		wl = n;
		if (which == 0)
			break;
		p += n;
	}
	if (w == NULL || wl >= WORD_MAX || memchr(w, '-', wl) != NULL)
		return false;
	memcpy(out, w, wl);
	out[wl] = '\0';
	return true;
}

/* Whether w is a whole word of s (split at spaces and hyphens), ASCII case folded. */
static bool
has_word(const char *s, const char *w)
{
	size_t wl = strlen(w);

	if (s == NULL)
		return false;
	while (*s) {
		size_t n;

		s += strspn(s, " -");
		n = strcspn(s, " -");
		if (n == wl && strncasecmp(s, w, n) == 0)
			return true;
		s += n;
	}
	return false;
}

static void
read_cand(json_t *doc, struct cand *c)
{
	json_t *n = current(json_object_get(doc, "navn")), *f = current(json_object_get(doc, "foedsel"));
	json_t *b = current(json_object_get(doc, "bostedsadresse")), *st = current(json_object_get(doc, "status"));
	const char *dob = json_string_value(json_object_get(f, "foedselsdato"));

	c->alive = json_object_get(doc, "doedsfall") == NULL &&
	           !(st && json_string_value(json_object_get(st, "status")) &&
	             strcmp(json_string_value(json_object_get(st, "status")), "doed") == 0);
	c->words_ok = n && pick_word(json_string_value(json_object_get(n, "fornavn")), 0, c->f) &&
	              pick_word(json_string_value(json_object_get(n, "etternavn")), -1, c->l);
	if (dob && strlen(dob) == 10)
		memcpy(c->dob, dob, 11);
	if (b) {
		const char *g = json_string_value(json_object_get(b, "adressegradering"));
		json_t *a = json_object_get(b, "vegadresse");
		const char *pn;

		if (a == NULL)
			a = json_object_get(b, "matrikkeladresse");
		pn = json_string_value(json_object_get(json_object_get(a, "poststed"), "postnummer"));
		c->ungraded = g && strcmp(g, "ugradert") == 0;
		if (pn && strlen(pn) == 4)
			memcpy(c->post, pn, 5);
	}
}

static int
cmp_dob(const void *a, const void *b)
{
	return strcmp((*(struct cand *const *)a)->dob, (*(struct cand *const *)b)->dob);
}

/* Index of the first candidate with dob >= d in the sorted array. */
static size_t
lower_bound(struct cand **v, size_t n, const char *d)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strncmp(v[mid]->dob, d, 10) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Counts, for every candidate, the current documents that could match its key. */
static void
count_matches(struct cand **v, size_t nv, size_t *scanned, size_t *parsed)
{
	static const char key[] = "\"foedselsdato\":\"";
	sqlite3_stmt *st = prep("SELECT d.doc FROM freg_person AS p JOIN freg_persondoc AS d ON d.rowid = p.cur "
	                        "WHERE p.cur IS NOT NULL");
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 0), *p;
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		bool maybe = false;
		json_t *doc, *navn, *foedsel, *e, *ne;
		size_t i, j;

		(*scanned)++;
		/* Cheap filter: some date after a "foedselsdato" key is a candidate's, and the
		 * document holds that candidate's L (text is NUL-terminated). */
		for (p = text; p && !maybe; ) {
			p = memmem(p, len - (size_t)(p - text), key, sizeof(key) - 1);
			if (p == NULL || (size_t)(p - text) + sizeof(key) - 1 + 10 > len)
				break;
			p += sizeof(key) - 1;
			for (i = lower_bound(v, nv, p); i < nv && !maybe && strncmp(v[i]->dob, p, 10) == 0; i++)
				maybe = strcasestr(text, v[i]->l) != NULL;
		}
		if (!maybe)
			continue;
		(*parsed)++;
		if ((doc = json_loadb(text, len, 0, NULL)) == NULL)
			continue;
		navn = json_object_get(doc, "navn");
		foedsel = json_object_get(doc, "foedsel");
		json_array_foreach(foedsel, i, e) {
			const char *d = json_string_value(json_object_get(e, "foedselsdato"));
			size_t k;

			if (d == NULL || strlen(d) != 10)
				continue;
			/* Count a person once per candidate even with two elements of one date. */
			if (i > 0) {
				bool seen = false;

				for (k = 0; k < i && !seen; k++) {
					const char *d2 = json_string_value(json_object_get(json_array_get(foedsel, k), "foedselsdato"));

					seen = d2 && strcmp(d2, d) == 0;
				}
				if (seen)
					continue;
			}
			for (k = lower_bound(v, nv, d); k < nv && strcmp(v[k]->dob, d) == 0; k++) {
				bool fm = false, lm = false;

				json_array_foreach(navn, j, ne) {
					const char *fn = json_string_value(json_object_get(ne, "fornavn"));
					const char *mn = json_string_value(json_object_get(ne, "mellomnavn"));
					const char *en = json_string_value(json_object_get(ne, "etternavn"));

					fm = fm || has_word(fn, v[k]->f) || has_word(mn, v[k]->f);
					lm = lm || has_word(en, v[k]->l) || has_word(mn, v[k]->l);
				}
				if (fm && lm)
					v[k]->matches++;
			}
		}
		json_decref(doc);
	}
	if (rc != SQLITE_DONE)
		die_db("scanning the person documents");
	sqlite3_finalize(st);
}

/* Query-string encoding of a UTF-8 value (unreserved characters kept). */
static void
put_enc(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~')
			fputc(ch, f);
		else
			fprintf(f, "%%%02X", ch);
	}
}

static FILE *
open_out(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "lookup_bench inputs: cannot write '%s': %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

static void
close_out(FILE *f)
{
	if (ferror(f) || fclose(f) != 0) {
		fprintf(stderr, "lookup_bench inputs: write error\n");
		exit(1);
	}
}

/* K JSON bodies {"<member>":[1000 values]} under DIR/<sub>/NNNN.json and the request
 * lines posting them; next(ctx, out) gives one value (false: none left). */
static void
write_bulk(const char *dir, const char *sub, const char *reqname, const char *path, const char *member,
           unsigned k, bool (*next)(char out[64]))
{
	char d[4096], name[64];
	FILE *req = open_out(dir, reqname);
	char (*ids)[64] = calloc(BULK_IDS, sizeof(*ids));

	snprintf(d, sizeof(d), "%s/%s", dir, sub);
	mkdir(d, 0755);
	if (ids == NULL)
		exit(1);
	for (unsigned b = 0; b < k; b++) {
		FILE *f;
		size_t n = 0;
		unsigned tries = 0;

		snprintf(name, sizeof(name), "%s/%04u.json", sub, b);
		while (n < BULK_IDS && tries++ < BULK_IDS * 20) {
			bool dup = false;

			if (!next(ids[n]))
				continue;
			for (size_t i = 0; i < n && !dup; i++)
				dup = strcmp(ids[i], ids[n]) == 0;
			if (!dup)
				n++;
		}
		if (n == 0)
			break;
		f = open_out(dir, name);
		fprintf(f, "{\"%s\":[", member);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%s\"%s\"", i ? "," : "", ids[i]);
		fprintf(f, "]}\n");
		close_out(f);
		fprintf(req, "POST %s @%s\n", path, name);
	}
	close_out(req);
	free(ids);
}

static sqlite3_stmt *st_pid_by_slot, *st_event_by_rowid;
static int64_t n_slots, max_event;

static bool
next_pid(char out[64])
{
	bool ok = false;

	sqlite3_reset(st_pid_by_slot);
	sqlite3_bind_int64(st_pid_by_slot, 1, (int64_t)rng_below((uint64_t)n_slots));
	if (sqlite3_step(st_pid_by_slot) == SQLITE_ROW) {
		snprintf(out, 64, "%s", (const char *)sqlite3_column_text(st_pid_by_slot, 0));
		ok = true;
	}
	return ok;
}

static bool
next_event(char out[64])
{
	bool ok = false;

	sqlite3_reset(st_event_by_rowid);
	sqlite3_bind_int64(st_event_by_rowid, 1, 1 + (int64_t)rng_below((uint64_t)max_event));
	if (sqlite3_step(st_event_by_rowid) == SQLITE_ROW) {
		snprintf(out, 64, "%s", (const char *)sqlite3_column_text(st_event_by_rowid, 0));
		ok = true;
	}
	return ok;
}

static int
inputs_main(int argc, char **argv)
{
	const char *dbpath = NULL, *out = NULL;
	size_t sample = 20000, nc = 0, nv = 0, unique = 0, ambiguous = 0, soek = 0, scanned = 0, parsed = 0;
	unsigned bulk = 50;
	uint64_t seed = 1, doc_bytes = 0;
	uint32_t *slots;
	struct cand *c;
	struct cand **v;
	sqlite3_stmt *st;
	FILE *fp, *fe, *fs;
	int64_t t0, t1, last_seq, first_seq;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--db")) dbpath = argv[i + 1];
		else if (!strcmp(argv[i], "--out")) out = argv[i + 1];
		else if (!strcmp(argv[i], "--sample")) sample = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--bulk")) bulk = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], NULL, 10);
		else {
			fprintf(stderr, "lookup_bench inputs: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!dbpath || !out || sample == 0) {
		fprintf(stderr, "usage: lookup_bench inputs --db FILE --out DIR [--sample N] [--bulk K] [--seed S]\n");
		return 2;
	}
	rng_state = seed;
	if (porten_mkdirs(out, 0755) != 0) {
		fprintf(stderr, "lookup_bench inputs: cannot create '%s'\n", out);
		return 1;
	}
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die_db(dbpath);
	sqlite3_busy_timeout(db, 10000);
	n_slots = query_int("SELECT max(slot) + 1 FROM freg_person");
	if (n_slots <= 0) {
		fprintf(stderr, "lookup_bench inputs: the register holds no persons\n");
		return 1;
	}
	if (sample > (size_t)n_slots)
		sample = (size_t)n_slots;

	/* Distinct random slots: a partial Fisher-Yates shuffle. */
	if ((slots = malloc((size_t)n_slots * sizeof(*slots))) == NULL ||
	    (c = calloc(sample, sizeof(*c))) == NULL || (v = calloc(sample, sizeof(*v))) == NULL) {
		fprintf(stderr, "lookup_bench inputs: out of memory\n");
		return 1;
	}
	for (int64_t i = 0; i < n_slots; i++)
		slots[i] = (uint32_t)i;
	for (size_t i = 0; i < sample; i++) {
		size_t j = i + (size_t)rng_below((uint64_t)n_slots - i);
		uint32_t t = slots[i];

		slots[i] = slots[j];
		slots[j] = t;
	}
	st = prep("SELECT p.pid, d.doc FROM freg_person AS p JOIN freg_persondoc AS d ON d.rowid = p.cur "
	          "WHERE p.slot = ?1");
	for (size_t i = 0; i < sample; i++) {
		json_t *doc;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, slots[i]);
		if (sqlite3_step(st) != SQLITE_ROW)
			continue;
		doc_bytes += (uint64_t)sqlite3_column_bytes(st, 1);
		snprintf(c[nc].pid, sizeof(c[nc].pid), "%s", (const char *)sqlite3_column_text(st, 0));
		if ((doc = json_loadb((const char *)sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
		                      0, NULL)) == NULL) {
			fprintf(stderr, "lookup_bench inputs: the document of %s is not JSON\n", c[nc].pid);
			return 1;
		}
		read_cand(doc, &c[nc]);
		json_decref(doc);
		nc++;
	}
	sqlite3_finalize(st);
	free(slots);

	fp = open_out(out, "person.req");
	for (size_t i = 0; i < nc; i++)
		fprintf(fp, "GET " OMH "personer/%s\n", c[i].pid);
	close_out(fp);

	for (size_t i = 0; i < nc; i++)
		if (c[i].alive && c[i].words_ok && c[i].dob[0])
			v[nv++] = &c[i];
	qsort(v, nv, sizeof(*v), cmp_dob);
	t0 = porten_mono_ns();
	count_matches(v, nv, &scanned, &parsed);
	t1 = porten_mono_ns();

	fe = open_out(out, "entydig.req");
	fs = open_out(out, "soek.req");
	for (size_t i = 0; i < nc; i++) {
		if (!c[i].alive || !c[i].words_ok)
			continue;
		if (c[i].dob[0] && c[i].matches == 1) {
			unique++;
			fputs("GET " OMH "personer/entydigsoek?navn=", fe);
			put_enc(fe, c[i].f);
			fputs("%20", fe);
			put_enc(fe, c[i].l);
			fprintf(fe, "&foedselsdato=%.4s%.2s%.2s\n", c[i].dob, c[i].dob + 5, c[i].dob + 8);
		} else if (c[i].dob[0])
			ambiguous++;
		if (c[i].post[0] && c[i].ungraded) {
			soek++;
			fputs("GET " OMH "personer/soek?navn=", fs);
			put_enc(fs, c[i].f);
			fputs("%20", fs);
			put_enc(fs, c[i].l);
			fprintf(fs, "&postnummer=%s\n", c[i].post);
		}
	}
	close_out(fe);
	close_out(fs);

	st_pid_by_slot = prep("SELECT pid FROM freg_person WHERE slot = ?1");
	write_bulk(out, "bulk", "bulk.req", OMH "personer/bulkoppslag", "foedselsEllerDNummer", bulk, next_pid);
	sqlite3_finalize(st_pid_by_slot);

	/* The OMH feed (package 0): random full pages. */
	last_seq = query_int("SELECT last FROM freg_feed_head WHERE package = 0");
	first_seq = query_int("SELECT first FROM freg_feed_head WHERE package = 0");
	if (last_seq < 0)
		last_seq = query_int("SELECT max(seq) FROM freg_feed WHERE package = 0");
	if (first_seq < 1)
		first_seq = 1;
	fp = open_out(out, "feed.req");
	if (last_seq >= first_seq) {
		int64_t span = last_seq - FEED_PAGE + 1 - first_seq + 1;   /* full pages */

		for (size_t i = 0; i < sample; i++)
			fprintf(fp, "GET " OMH "hendelser/feed?seq=%lld\n",
			        (long long)(first_seq + (span > 1 ? (int64_t)rng_below((uint64_t)span) : 0)));
	}
	close_out(fp);
	max_event = query_int("SELECT max(rowid) FROM freg_event");
	st_event_by_rowid = prep("SELECT id FROM freg_event WHERE rowid = ?1");
	write_bulk(out, "hbulk", "hbulk.req", OMH "hendelser/bulkoppslag", "dokumentidentifikator", bulk, next_event);
	sqlite3_finalize(st_event_by_rowid);

	printf("persons=%lld\nsampled=%zu\ndoc_bytes_avg=%.0f\nentydig_candidates=%zu\nentydig_unique=%zu\n"
	       "entydig_ambiguous=%zu\nsoek=%zu\nbulk_bodies=%u\nfeed_last_seq=%lld\nevents=%lld\n"
	       "scan_docs=%zu\nscan_parsed=%zu\nscan_seconds=%.1f\n",
	       (long long)n_slots, nc, nc ? (double)doc_bytes / (double)nc : 0.0, nv, unique, ambiguous, soek, bulk,
	       (long long)last_seq, (long long)max_event, scanned, parsed, (double)(t1 - t0) / 1e9);
	sqlite3_close(db);
	free(v);
	free(c);
	return 0;
}

/* ================================================================== load ==== */

struct rq {
	char *bytes;       /* the whole request */
	size_t len;
	int expect;        /* status */
	size_t line;       /* in the requests file, for messages */
};

struct args {
	const char *host, *token_file, *file;
	int port, concurrency;
	long long requests, start;
};

enum body_mode { B_LENGTH, B_CHUNK_SIZE, B_CHUNK_DATA, B_CHUNK_CRLF, B_TRAILER };

struct conn {
	int fd;
	bool active;             /* a request of ours is on this connection */
	const struct rq *rq;     /* which */
	size_t sent;             /* request bytes written */
	bool want_out;           /* EPOLLOUT registered */
	char hdr[HDR_MAX];       /* header block (then chunk-size/trailer lines) */
	size_t hlen;
	bool in_body;
	enum body_mode mode;
	int status;
	unsigned long long left; /* bytes left of the body or of the current chunk */
	unsigned long long body; /* body bytes seen */
	unsigned long long got;  /* response bytes seen (0: nothing of it yet) */
	char peek[PEEK + 1];     /* the start of an unexpected response's body */
	size_t peeklen;
	int64_t start;
};

#define NSTATUS 16

static const struct args *A;
static struct rq *rqs;
static size_t nrq;
static int ep;
static int64_t *lat;
static size_t next_req, done, bad, reconnects;
static unsigned long long body_total;
static struct { int status; size_t n; } statuses[NSTATUS];
static char first_bad[HDR_MAX + PEEK + 256];

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
count_status(int s)
{
	for (int i = 0; i < NSTATUS; i++) {
		if (statuses[i].n == 0 || statuses[i].status == s) {
			statuses[i].status = s;
			statuses[i].n++;
			return;
		}
	}
}

static int
connect_to(void)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)A->port);
	if (inet_pton(AF_INET, A->host, &sin.sin_addr) != 1) {
		fprintf(stderr, "lookup_bench: --host must be an IPv4 address\n");
		exit(2);
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		perror("lookup_bench: connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void
set_events(struct conn *c, bool out, int op)
{
	struct epoll_event ev;

	ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(ep, op, c->fd, &ev) != 0) {
		perror("lookup_bench: epoll_ctl");
		exit(1);
	}
	c->want_out = out;
}

/* Writes what is left of the request; EPOLLOUT only while some is left. */
static void
send_more(struct conn *c)
{
	while (c->sent < c->rq->len) {
		ssize_t w = write(c->fd, c->rq->bytes + c->sent, c->rq->len - c->sent);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0)
			return;  /* reset: the read side sees it */
		c->sent += (size_t)w;
	}
	if ((c->sent < c->rq->len) != c->want_out)
		set_events(c, c->sent < c->rq->len, EPOLL_CTL_MOD);
}

/* (Re)sends c->rq on c: a fresh response to wait for. */
static void
start_request(struct conn *c)
{
	c->active = true;
	c->sent = 0;
	c->hlen = 0;
	c->hdr[0] = '\0';
	c->in_body = false;
	c->got = 0;
	c->body = 0;
	c->status = 0;
	c->peeklen = 0;
	c->start = porten_mono_ns();
	send_more(c);
}

/* The next of the N requests on c, if any are left: the next line, round-robin. */
static void
next_request(struct conn *c)
{
	if (next_req < (size_t)A->requests) {
		c->rq = &rqs[(size_t)((A->start + (long long)next_req) % (long long)nrq)];
		next_req++;
		start_request(c);
	}
}

static void
reconnect(struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = connect_to();
	set_events(c, false, EPOLL_CTL_ADD);
	if (++reconnects > (size_t)A->requests) {
		fprintf(stderr, "lookup_bench: the server keeps closing connections (%zu reconnects)\n", reconnects);
		exit(1);
	}
}

/* Records the response on c; ok = false for a broken one. */
static void
record(struct conn *c, bool ok)
{
	lat[done++] = porten_mono_ns() - c->start;
	body_total += c->body;
	c->active = false;
	count_status(ok ? c->status : 0);
	if (ok && c->status != c->rq->expect)
		ok = false;
	if (!ok && bad++ == 0) {
		const char *sp = memchr(c->rq->bytes, ' ', c->rq->len);
		const char *end = sp ? memchr(sp + 1, ' ', c->rq->len - (size_t)(sp + 1 - c->rq->bytes)) : NULL;
		int rl = end ? (int)(end - c->rq->bytes) : 0;

		c->peek[c->peeklen] = '\0';
		snprintf(first_bad, sizeof(first_bad),
		         "lookup_bench: first unexpected response (line %zu: %.*s): status %d, expected %d, "
		         "body %llu bytes%s%s%s\n",
		         c->rq->line, rl > 200 ? 200 : rl, c->rq->bytes, c->status, c->rq->expect, c->body,
		         c->in_body ? "" : ", incomplete header block", c->peeklen ? ": " : "", c->peek);
		fputs(first_bad, stderr);
	}
}

/* The header block is complete: status and framing. */
static bool
parse_head(struct conn *c)
{
	const char *cl, *te;

	c->hdr[c->hlen] = '\0';
	if (c->hlen < 12 || strncmp(c->hdr, "HTTP/1.", 7) != 0)
		return false;
	c->status = atoi(c->hdr + 9);
	te = strcasestr(c->hdr, "\r\nTransfer-Encoding:");
	cl = strcasestr(c->hdr, "\r\nContent-Length:");
	if (te && strcasestr(te, "chunked") != NULL && (strchr(te + 2, '\r') > strcasestr(te, "chunked"))) {
		c->mode = B_CHUNK_SIZE;
	} else if (cl) {
		c->mode = B_LENGTH;
		c->left = strtoull(cl + 17, NULL, 10);
	} else
		return false;    /* close-delimited bodies have no place in a keep-alive bench */
	c->in_body = true;
	c->hlen = 0;
	return true;
}

/* Appends bytes to the line in c->hdr up to and including '\n'. 1: line complete, 0: need
 * more, -1: line too long. */
static int
take_line(struct conn *c, const char **p, size_t *n)
{
	const char *nl = memchr(*p, '\n', *n);
	size_t take = nl ? (size_t)(nl - *p) + 1 : *n;

	if (c->hlen + take >= sizeof(c->hdr))
		return -1;
	memcpy(c->hdr + c->hlen, *p, take);
	c->hlen += take;
	c->hdr[c->hlen] = '\0';
	*p += take;
	*n -= take;
	return nl != NULL;
}

/* Body bytes: counted; the start kept when the status is not the expected one. */
static void
body_bytes(struct conn *c, const char *p, size_t n)
{
	c->body += n;
	if (c->status != c->rq->expect && c->peeklen < PEEK) {
		size_t k = n < PEEK - c->peeklen ? n : PEEK - c->peeklen;

		memcpy(c->peek + c->peeklen, p, k);
		c->peeklen += k;
	}
}

/* Feeds received bytes to the response parser; records the response and starts the next
 * request when it ends. -1 on a protocol error (nothing recorded). */
static int
consume(struct conn *c, const char *p, size_t n)
{
	if (!c->active)
		return -1;                     /* bytes nobody asked for */
	c->got += n;
	while (n > 0) {
		if (!c->in_body) {
			/* Up to the end of the header block; search from where it may start. */
			size_t old = c->hlen, from = old >= 3 ? old - 3 : 0, take = n, used;
			char *end;

			if (old + take >= sizeof(c->hdr))
				take = sizeof(c->hdr) - 1 - old;
			memcpy(c->hdr + old, p, take);
			c->hlen = old + take;
			c->hdr[c->hlen] = '\0';
			end = memmem(c->hdr + from, c->hlen - from, "\r\n\r\n", 4);
			if (end == NULL)
				return c->hlen + 1 >= sizeof(c->hdr) ? -1 : 0;
			c->hlen = (size_t)(end + 4 - c->hdr);
			used = c->hlen - old;
			p += used;
			n -= used;
			if (!parse_head(c))
				return -1;
			if (c->mode == B_LENGTH && c->left == 0)
				goto complete;
			continue;
		}
		switch (c->mode) {
		case B_LENGTH:
		case B_CHUNK_DATA: {
			size_t take = n < c->left ? n : (size_t)c->left;

			c->left -= take;
			body_bytes(c, p, take);
			p += take;
			n -= take;
			if (c->left > 0)
				return 0;
			if (c->mode == B_LENGTH)
				goto complete;
			c->mode = B_CHUNK_CRLF;
			break;
		}
		case B_CHUNK_SIZE:
		case B_CHUNK_CRLF:
		case B_TRAILER: {
			int l = take_line(c, &p, &n);

			if (l <= 0)
				return l;
			if (c->mode == B_CHUNK_CRLF) {
				if (strcmp(c->hdr, "\r\n") != 0)
					return -1;
				c->mode = B_CHUNK_SIZE;
			} else if (c->mode == B_CHUNK_SIZE) {
				char *e;

				c->left = strtoull(c->hdr, &e, 16);
				if (e == c->hdr)
					return -1;
				c->mode = c->left ? B_CHUNK_DATA : B_TRAILER;
			} else if (strcmp(c->hdr, "\r\n") == 0) {
				c->hlen = 0;
				goto complete;
			}
			c->hlen = 0;
			break;
		}
		}
	}
	return 0;
complete:
	if (n > 0)
		return -1;                     /* more than one response to one request */
	record(c, true);
	next_request(c);
	return 0;
}

/* Reads the requests file into rqs: each line's whole request, token included. */
static int
load_requests(const char *file, const char *tok)
{
	char *text = NULL, *save = NULL, dir[4096];
	size_t len, cap = 0, lineno = 0;
	const char *slash = strrchr(file, '/');

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - file) : 1, slash ? file : ".");
	if (porten_file_read(file, (size_t)1 << 30, &text, &len) != 0) {
		fprintf(stderr, "lookup_bench: cannot read requests file '%s'\n", file);
		return -1;
	}
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tsave = NULL, *method, *path, *t, *bodyfile = NULL, *body = NULL;
		size_t blen = 0;
		int expect = 200;
		struct porten_buf b;

		lineno++;
		line[strcspn(line, "\r")] = '\0';
		if (line[strspn(line, " \t")] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		method = strtok_r(line, " \t", &tsave);
		path = strtok_r(NULL, " \t", &tsave);
		while ((t = strtok_r(NULL, " \t", &tsave)) != NULL) {
			if (t[0] == '@')
				bodyfile = t + 1;
			else if (strspn(t, "0123456789") == 3 && t[3] == '\0')
				expect = atoi(t);
			else {
				fprintf(stderr, "lookup_bench: %s:%zu: '%s' is neither @BODYFILE nor a status\n", file, lineno, t);
				return -1;
			}
		}
		if (path == NULL || path[0] != '/') {
			fprintf(stderr, "lookup_bench: %s:%zu: want METHOD /PATH [@BODYFILE] [STATUS]\n", file, lineno);
			return -1;
		}
		if (bodyfile) {
			char bp[8192];

			if (bodyfile[0] == '/')
				snprintf(bp, sizeof(bp), "%s", bodyfile);
			else
				snprintf(bp, sizeof(bp), "%s/%s", dir, bodyfile);
			if (porten_file_read(bp, (size_t)1 << 26, &body, &blen) != 0) {
				fprintf(stderr, "lookup_bench: %s:%zu: cannot read body file '%s'\n", file, lineno, bp);
				return -1;
			}
		}
		if (nrq == cap) {
			struct rq *n2 = realloc(rqs, (cap = cap ? cap * 2 : 1024) * sizeof(*rqs));

			if (n2 == NULL)
				return -1;
			rqs = n2;
		}
		porten_buf_init(&b, (size_t)1 << 27);
		porten_buf_appendf(&b, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
		                   "Accept: application/json\r\n", method, path, A->host, A->port, tok);
		if (body)
			porten_buf_appendf(&b, "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
		porten_buf_append(&b, "\r\n", 2);
		if (body)
			porten_buf_append(&b, body, blen);
		free(body);
		rqs[nrq].bytes = porten_buf_detach(&b, &rqs[nrq].len);
		if (rqs[nrq].bytes == NULL)
			return -1;
		rqs[nrq].expect = expect;
		rqs[nrq].line = lineno;
		nrq++;
	}
	free(text);
	if (nrq == 0) {
		fprintf(stderr, "lookup_bench: no requests in '%s'\n", file);
		return -1;
	}
	return 0;
}

static int
load_main(int argc, char **argv)
{
	struct args a = { "127.0.0.1", NULL, NULL, 0, 1, 0, 0 };
	struct conn *conns;
	struct epoll_event evs[256];
	static char scratch[SCRATCH];
	char *tok = NULL;
	size_t tlen;
	int64_t t0, t1;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--host")) a.host = argv[i + 1];
		else if (!strcmp(argv[i], "--port")) a.port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--token-file")) a.token_file = argv[i + 1];
		else if (!strcmp(argv[i], "--requests-file")) a.file = argv[i + 1];
		else if (!strcmp(argv[i], "--concurrency")) a.concurrency = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--requests")) a.requests = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--start")) a.start = atoll(argv[i + 1]);
		else {
			fprintf(stderr, "lookup_bench: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!a.port || !a.token_file || !a.file || a.concurrency < 1 || a.requests < 0 || a.start < 0) {
		fprintf(stderr, "usage: lookup_bench --port P --token-file FILE --requests-file FILE [--host IP] "
		                "[--concurrency C] [--requests N] [--start K]\n"
		                "       lookup_bench inputs --db FILE --out DIR [--sample N] [--bulk K] [--seed S]\n");
		return 2;
	}
	A = &a;
	if (porten_file_read(a.token_file, 1 << 16, &tok, &tlen) != 0) {
		fprintf(stderr, "lookup_bench: cannot read token file '%s'\n", a.token_file);
		return 1;
	}
	while (tlen > 0 && (tok[tlen - 1] == '\n' || tok[tlen - 1] == '\r' || tok[tlen - 1] == ' '))
		tok[--tlen] = '\0';
	if (load_requests(a.file, tok) != 0)
		return 1;
	porten_wipe(tok, tlen);
	free(tok);
	if (a.requests == 0)
		a.requests = (long long)nrq;
	if (a.requests < a.concurrency)
		a.concurrency = (int)a.requests;

	lat = calloc((size_t)a.requests, sizeof(*lat));
	conns = calloc((size_t)a.concurrency, sizeof(*conns));
	if (lat == NULL || conns == NULL) {
		fprintf(stderr, "lookup_bench: out of memory\n");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	t0 = porten_mono_ns();
	for (int i = 0; i < a.concurrency; i++) {
		conns[i].fd = connect_to();
		set_events(&conns[i], false, EPOLL_CTL_ADD);
	}
	for (int i = 0; i < a.concurrency; i++)
		next_request(&conns[i]);
	while (done < (size_t)a.requests) {
		int n = epoll_wait(ep, evs, 256, 30000);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "lookup_bench: no progress for 30 s (%zu of %lld done)\n", done, a.requests);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r;

			if (evs[i].events & EPOLLOUT)
				send_more(c);
			if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			for (;;) {
				r = read(c->fd, scratch, sizeof(scratch));
				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0 && errno == EAGAIN)
					break;
				if (r <= 0) {
					/* Closed or reset by the server. Before any byte of the answer the
					 * request is sent again on a new connection; mid-answer it is bad. */
					bool had = c->active, partial = c->got > 0;

					if (had && partial)
						record(c, false);
					reconnect(c);
					if (had && !partial)
						start_request(c);
					else if (had)
						next_request(c);
					break;
				}
				if (consume(c, scratch, (size_t)r) != 0) {
					if (c->active)
						record(c, false);
					reconnect(c);
					next_request(c);
					break;
				}
				if ((size_t)r < sizeof(scratch))
					break;
			}
		}
	}
	t1 = porten_mono_ns();
	qsort(lat, done, sizeof(*lat), cmp_i64);
	printf("concurrency=%d requests=%zu errors=%zu seconds=%.3f req_per_s=%.1f p50_ms=%.3f p99_ms=%.3f "
	       "max_ms=%.3f body_bytes=%.0f statuses=",
	       a.concurrency, done, bad, (double)(t1 - t0) / 1e9, (double)done * 1e9 / (double)(t1 - t0),
	       (double)lat[done / 2] / 1e6, (double)lat[done * 99 / 100] / 1e6, (double)lat[done - 1] / 1e6,
	       (double)body_total / (double)done);
	for (int i = 0; i < NSTATUS && statuses[i].n; i++)
		printf("%s%d:%zu", i ? "," : "", statuses[i].status, statuses[i].n);
	if (reconnects)
		printf(" reconnects=%zu", reconnects);
	printf("\n");
	for (int i = 0; i < a.concurrency; i++)
		close(conns[i].fd);
	close(ep);
	for (size_t i = 0; i < nrq; i++) {
		porten_wipe(rqs[i].bytes, rqs[i].len);
		free(rqs[i].bytes);
	}
	free(rqs);
	free(lat);
	free(conns);
	return bad ? 3 : 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "inputs") == 0)
		return inputs_main(argc - 1, argv + 1);
	return load_main(argc, argv);
}
