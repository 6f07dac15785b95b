/* porten feed: reads one rights package's event feed (hendelsesliste) from the register
 * and writes every event as one line of JSON on stdout (docs/feed.md).
 *
 *   porten feed [--package P] [--from SEQ] [--pointer FILE] [--follow] [--interval S]
 *               [--max-events N] [connection options]
 *
 * Reliability: a page's events are written and flushed to stdout before the pointer file
 * (the next sequence number to read) is replaced atomically, so a kill at any moment
 * re-emits at most the last page and never skips one (at-least-once). Transient failures
 * (5xx, transport) are retried with exponential back-off, 429 after its Retry-After.
 * Exit status: 0 done (or stopped by SIGINT/SIGTERM), 1 refused or output failed, 2 usage,
 * 3 bad pointer or configuration file, 4 a server unreachable. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "consumer.h"
#include "opts.h"
#include "porten/buf.h"
#include "porten/client.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/freg.h"
#include "porten/limits.h"

#define PROG "porten feed"
#define FEED_INTERVAL_DEFAULT 5         /* seconds between polls at the end (--follow) */
#define FEED_RETRIES_DEFAULT 3          /* retries of a transient failure without --follow */
#define FEED_BACKOFF_FIRST_S 1          /* first back-off after a transient failure */
#define FEED_BACKOFF_MAX_S 60           /* back-off cap */
#define FEED_RETRY_AFTER_DEFAULT_S 5    /* a 429 without a usable Retry-After */
#define FEED_RETRY_AFTER_MAX_S 600      /* longest Retry-After honoured as given */
#define FEED_POINTER_MAX 4096           /* bytes of a pointer file */
#define FEED_TOKEN_MARGIN_S 30          /* renew a token this long before it expires */
#define FEED_URL_MAX (PORTEN_HTTP_PATH_MAX + PORTEN_HTTP_QUERY_MAX)
#define FEED_PROGRESS_NS 1000000000LL   /* at most one progress line per second */
#define FEED_WHY_MAX 512
#define FEED_PAGE_OUT_MAX (2 * PORTEN_CLIENT_RESPONSE_MAX) /* one page as JSON lines */

struct feed_opts {
	struct consumer_opts c;
	const char *package, *pointer, *from;
	int follow, interval, max_events, quiet, retries;
};

#define O(f) offsetof(struct feed_opts, f)

static const struct opt feed_opts_table[] = {
	{ "follow", NULL, OPT_FLAG, O(follow), "at the end of the feed, keep polling for new events until SIGINT/SIGTERM", 0, 0 },
	{ "from", "SEQ", OPT_STRING, O(from), "first sequence number to read when there is no pointer file (default 1)", 0, 0 },
	{ "interval", "S", OPT_INT, O(interval), "seconds between polls at the end of the feed with --follow (default 5)", 0, 0 },
	{ "max-events", "N", OPT_INT, O(max_events), "stop after N events (default: no limit)", 0, 0 },
	{ "package", "P", OPT_STRING, O(package), "rights package, e.g. offentligmedhjemmel (default: the sandbox consumer's first)", 0, 0 },
	{ "pointer", "FILE", OPT_STRING, O(pointer), "read the next sequence number from FILE and advance it after every page", 0, 0 },
	{ "quiet", NULL, OPT_FLAG, O(quiet), "no progress or summary on stderr (errors still)", 0, 0 },
	{ "retries", "N", OPT_INT, O(retries), "without --follow: retries of a 5xx or an unreachable register (default 3)", 0, 0 },
	CONSUMER_OPTS(struct feed_opts, c),
};

static const char feed_footer[] =
	"\nOne event per line on stdout, exactly as the register serves it (compact JSON),\n"
	"flushed after every page; progress and a summary on stderr. The pointer file holds\n"
	"{\"package\": P, \"next\": SEQ} and is replaced atomically after a page has been\n"
	"written to stdout: a restart re-emits at most the last page, never skips one.\n"
	"Options can also be set as PORTEN_<OPTION>, e.g. PORTEN_SANDBOX. Exit status:\n"
	"0 done (also when stopped by SIGINT or SIGTERM), 1 refused by the register or\n"
	"stdout/pointer not writable, 2 usage, 3 corrupt pointer or bad configuration,\n"
	"4 a server unreachable. More: docs/feed.md.\n";

static const struct opt_cmd feed_cmd = {
	"feed",
	"[--package P] [--from SEQ] [--pointer FILE] [--follow] [--interval S] [--max-events N] [connection options]",
	"Reads one rights package's event feed (hendelsesliste) from the register and writes\n"
	"every event as one line of JSON on stdout.",
	feed_opts_table, sizeof(feed_opts_table) / sizeof(feed_opts_table[0]), feed_footer,
};

/* ---- signals: a flag and a self-pipe, so a sleep ends at once ---- */

static volatile sig_atomic_t stop_signal;
static int sig_pipe[2] = { -1, -1 };

static void
on_stop_signal(int sig)
{
	int saved = errno;
	ssize_t n;

	stop_signal = sig;
	if (sig_pipe[1] >= 0) {
		n = write(sig_pipe[1], "x", 1);
		(void)n;
	}
	errno = saved;
}

static int
signals_install(void)
{
	struct sigaction sa;

	if (pipe(sig_pipe) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK) != 0 || fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC) != 0)
			return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;           /* stdout writes are not cut short */
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	sa.sa_handler = SIG_IGN;            /* a closed stdout is EPIPE, not death */
	sa.sa_flags = 0;
	return sigaction(SIGPIPE, &sa, NULL);
}

static void
signals_release(void)
{
	struct sigaction sa;

	if (sig_pipe[0] < 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	for (int i = 0; i < 2; i++) {
		if (sig_pipe[i] >= 0)
			close(sig_pipe[i]);
		sig_pipe[i] = -1;
	}
}

/* Waits secs seconds, or less when a stop signal arrives: returns 1 then, else 0. */
static int
nap(long secs)
{
	int64_t deadline = porten_mono_ns() + (int64_t)secs * 1000000000LL;

	while (!stop_signal) {
		int64_t left = deadline - porten_mono_ns();
		struct pollfd p = { sig_pipe[0], POLLIN, 0 };

		if (left <= 0)
			return 0;
		if (poll(&p, 1, (int)((left + 999999) / 1000000)) > 0) {
			char drain[16];

			while (read(sig_pipe[0], drain, sizeof(drain)) > 0)
				;
		}
	}
	return 1;
}

/* ---- the run ---- */

struct feed {
	struct consumer c;
	const struct feed_opts *o;
	const char *package, *scope;
	const struct freg_pkg_info *pi;
	char *token;
	int64_t token_exp;                  /* 0: unknown (--token); renewed only after a 401 */
	int64_t next;                       /* the next sequence number to read */
	int64_t latest;                     /* the last sequence number known, -1 unknown */
	int64_t events;                     /* events written by this run */
	int64_t progress_at;                /* monotonic ns of the last progress line */
	int64_t progress_events;            /* events at the last progress line */
	char *etag;                         /* of the last page read at etag_seq */
	int64_t etag_seq;
	char why[FEED_WHY_MAX];             /* the last transient failure, one line */
	char note[128];
};

#define FEED_RETRY (-1)                 /* a transient failure: f->why says what */

static int
parse_seq(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (s == NULL || *s == '\0')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 18)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* ---- the pointer file: {"package": P, "next": SEQ} ---- */

static int
pointer_corrupt(const struct feed *f, const char *what)
{
	return consumer_fail(&f->c, PORTEN_EXIT_CONFIG, "the pointer file '%s' is not usable (%s); it was left "
	                     "as it is: fix it to {\"package\": \"%s\", \"next\": SEQ} or remove it to start "
	                     "again from --from", f->o->pointer, what, f->package);
}

/* 0 with f->next set; 1 when the file does not exist; else an exit status (line printed). */
static int
pointer_read(struct feed *f)
{
	char *data = NULL, err[160];
	json_t *doc = NULL, *next, *pkg;
	json_error_t je;
	size_t len = 0;
	int r;

	r = porten_file_read(f->o->pointer, FEED_POINTER_MAX, &data, &len);
	if (r == PORTEN_ERR_NOT_FOUND)
		return 1;
	if (r == PORTEN_ERR_TOO_LARGE)
		return pointer_corrupt(f, "larger than 4096 bytes");
	if (r != 0)
		return consumer_fail(&f->c, PORTEN_EXIT_CONFIG, "cannot read the pointer file '%s': %s",
		                     f->o->pointer, strerror(errno));
	doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	free(data);
	if (doc == NULL) {
		snprintf(err, sizeof(err), "not JSON: %.100s", je.text);
		r = pointer_corrupt(f, err);
	} else if (!json_is_object(doc)) {
		r = pointer_corrupt(f, "not a JSON object");
	} else if (!json_is_integer(next = json_object_get(doc, "next")) || json_integer_value(next) < 0) {
		r = pointer_corrupt(f, "no \"next\" sequence number");
	} else if (!json_is_string(pkg = json_object_get(doc, "package"))) {
		r = pointer_corrupt(f, "no \"package\"");
	} else if (strcmp(json_string_value(pkg), f->package) != 0) {
		snprintf(err, sizeof(err), "it is the pointer of package %.64s, not %s", json_string_value(pkg),
		         f->package);
		r = consumer_fail(&f->c, PORTEN_EXIT_CONFIG, "the pointer file '%s' is not usable (%s): every "
		                  "package has its own sequence numbers, so give each its own pointer file",
		                  f->o->pointer, err);
	} else {
		f->next = (int64_t)json_integer_value(next);
		r = 0;
	}
	json_decref(doc);
	return r;
}

/* Replaces the pointer file atomically with next. 0 or an exit status (line printed). */
static int
pointer_write(struct feed *f, int64_t next)
{
	json_t *doc = json_pack("{s:s,s:I}", "package", f->package, "next", (json_int_t)next);
	char *text = doc != NULL ? json_dumps(doc, 0) : NULL;
	struct porten_buf b;
	int r = PORTEN_EXIT_FAILURE;

	porten_buf_init(&b, FEED_POINTER_MAX);
	if (text == NULL || porten_buf_appends(&b, text) != 0 || porten_buf_append(&b, "\n", 1) != 0) {
		consumer_fail(&f->c, r, "out of memory");
		goto out;
	}
	if (porten_file_write_atomic(f->o->pointer, b.data, b.len, 0644) != 0) {
		consumer_fail(&f->c, r, "cannot replace the pointer file '%s': %s (the events up to %" PRId64
		              " were written; a restart reads them again)", f->o->pointer, strerror(errno), next - 1);
		goto out;
	}
	r = 0;
out:
	porten_buf_release(&b);
	free(text);
	json_decref(doc);
	return r;
}

/* Where a failed run leaves off, for its last line. */
static const char *
resume_note(struct feed *f)
{
	if (f->o->pointer != NULL)
		snprintf(f->note, sizeof(f->note), "the pointer stays at %" PRId64, f->next);
	else
		snprintf(f->note, sizeof(f->note), "the next sekvensnummer is %" PRId64, f->next);
	return f->note;
}

/* ---- progress on stderr ---- */

static void
progress(struct feed *f, int force)
{
	int64_t now = porten_mono_ns();

	if (f->o->quiet || (!force && (f->events == f->progress_events || now - f->progress_at < FEED_PROGRESS_NS)))
		return;
	f->progress_at = now;
	f->progress_events = f->events;
	if (f->latest >= 0)
		fprintf(stderr, PROG ": %s: %" PRId64 " events, next %" PRId64 " of latest %" PRId64 "\n",
		        f->package, f->events, f->next, f->latest);
	else
		fprintf(stderr, PROG ": %s: %" PRId64 " events, next %" PRId64 "\n", f->package, f->events, f->next);
}

/* ---- requests ---- */

/* A token that is not about to expire. 0, FEED_RETRY (authz unreachable in --follow mode)
 * or an exit status (line printed). */
static int
ensure_token(struct feed *f)
{
	int64_t now = porten_now();
	int r;

	if (f->token != NULL && (f->token_exp == 0 || now < f->token_exp - FEED_TOKEN_MARGIN_S))
		return 0;
	consumer_token_free(f->token);
	f->token = NULL;
	r = consumer_token(&f->c, f->scope, &f->token, NULL);
	if (r != 0) {
		if (r == PORTEN_EXIT_UNAVAILABLE && f->o->follow) {
			snprintf(f->why, sizeof(f->why), "no token: the authorization server is unreachable");
			return FEED_RETRY;
		}
		return r;
	}
	f->token_exp = f->c.expires_in > 0 ? now + f->c.expires_in : 0;
	return 0;
}

static int
renew_token(void *arg)
{
	return ensure_token(arg);
}

/* GET base + the package's path + rest with a bearer token; a 401 drops the token and
 * tries once more with a fresh one. 0 with resp filled (any other status), FEED_RETRY
 * for a transport failure, or an exit status. */
static int
feed_get(struct feed *f, const char *rest, const char *if_none_match, struct porten_client_response *resp)
{
	struct porten_client_request req = { 0 };
	struct porten_buf url, inm;
	const char *hdrs[2] = { NULL, NULL };
	int r = PORTEN_EXIT_FAILURE;

	porten_client_response_clear(resp);
	porten_buf_init(&url, FEED_URL_MAX);
	porten_buf_init(&inm, PORTEN_CLIENT_HEADERS_MAX);
	if (porten_url_join(&url, f->c.freg_url, f->pi->path) != 0 || porten_buf_appends(&url, rest) != 0) {
		r = consumer_fail(&f->c, PORTEN_EXIT_USAGE, "the register URL is too long");
		goto out;
	}
	if (if_none_match != NULL) {
		if (porten_buf_appendf(&inm, "If-None-Match: %s", if_none_match) != 0)
			goto out;
		hdrs[0] = inm.data;
	}
	req.url = url.data;
	req.accept = "application/json";
	req.headers = hdrs;
	r = consumer_request(&f->c, f->scope, &f->token, renew_token, f, 1, &req, resp);
	if (r == PORTEN_ERR_UNAVAILABLE) {
		snprintf(f->why, sizeof(f->why), "%s", porten_client_errmsg(f->c.client));
		r = FEED_RETRY;
	}
out:
	porten_buf_release(&url);
	porten_buf_release(&inm);
	return r;
}

/* The latest sequence number (siste/sekvensnummer), best effort: -1 when unknown. */
static int64_t
fetch_latest(struct feed *f)
{
	struct porten_client_response resp = { 0 };
	int64_t v = -1;
	json_t *doc;

	if (feed_get(f, "hendelser/siste/sekvensnummer", NULL, &resp) == 0 && resp.status == 200 &&
	    (doc = json_loadb(resp.body, resp.body_len, JSON_DECODE_ANY, NULL)) != NULL) {
		if (json_is_integer(doc) && json_integer_value(doc) >= 0)
			v = (int64_t)json_integer_value(doc);
		json_decref(doc);
	}
	porten_client_response_clear(&resp);
	return v;
}

/* Writes whole lines to stdout: every write(2) ends at a line end and, unless one line
 * is longer, holds at most PIPE_BUF bytes, which a pipe takes whole or not at all; so a
 * kill leaves no half line in a pipe. 0, or -1 with errno. */
static int
write_lines(const char *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		size_t chunk = len - off, done = 0;

		if (chunk > PIPE_BUF) {
			size_t k = PIPE_BUF;

			while (k > 0 && p[off + k - 1] != '\n')
				k--;
			if (k == 0) {                    /* one line longer than PIPE_BUF */
				k = PIPE_BUF;
				while (off + k < len && p[off + k - 1] != '\n')
					k++;
			}
			chunk = k;
		}
		while (done < chunk) {
			ssize_t w = write(STDOUT_FILENO, p + off + done, chunk - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
			done += (size_t)w;
		}
		off += chunk;
	}
	return 0;
}

/* Writes the events of one 200 page to stdout, flushes, then advances the pointer.
 * *count receives the number written. 0 or an exit status (line printed). */
static int
emit_page(struct feed *f, const struct porten_client_response *resp, int64_t *count)
{
	json_t *page;
	json_error_t je;
	int64_t prev = f->next - 1, first = -1, take;
	struct stat st;
	struct porten_buf out;
	size_t i, n;
	int r = PORTEN_EXIT_FAILURE;

	*count = 0;
	porten_buf_init(&out, FEED_PAGE_OUT_MAX);
	page = json_loadb(resp->body, resp->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_array(page)) {
		r = consumer_fail(&f->c, PORTEN_EXIT_FAILURE, "the register's feed page at %" PRId64 " is not a "
		                  "JSON array of events%s%s", f->next, page == NULL ? ": " : "",
		                  page == NULL ? je.text : "");
		goto out;
	}
	n = json_array_size(page);
	take = (int64_t)n;
	if (f->o->max_events > 0 && take > f->o->max_events - f->events)
		take = f->o->max_events - f->events;
	/* The whole page is checked before anything is written. */
	for (i = 0; i < (size_t)take; i++) {
		const json_t *it = json_array_get(page, i), *sq = json_object_get(it, "sekvensnummer");

		if (!json_is_object(it) || !json_is_integer(sq) || json_integer_value(sq) <= prev) {
			r = consumer_fail(&f->c, PORTEN_EXIT_FAILURE, "the register's feed page at %" PRId64 " has a "
			                  "bad event at position %zu: no ascending integer sekvensnummer above %" PRId64,
			                  f->next, i, prev);
			goto out;
		}
		prev = (int64_t)json_integer_value(sq);
		if (first < 0)
			first = prev;
	}
	if (take == 0) {
		r = 0;
		goto out;
	}
	if (first != f->next && f->next > 1 && !f->o->quiet)
		fprintf(stderr, PROG ": %s: note: asked for %" PRId64 ", the register's next event is %" PRId64
		        " (older ones are gone)\n", f->package, f->next, first);
	for (i = 0; i < (size_t)take; i++) {
		char *line = json_dumps(json_array_get(page, i), JSON_COMPACT);
		int ar = line != NULL ? porten_buf_appends(&out, line) : PORTEN_ERR_NOMEM;

		free(line);
		if (ar != 0 || porten_buf_append(&out, "\n", 1) != 0) {
			r = consumer_fail(&f->c, PORTEN_EXIT_FAILURE, "the feed page at %" PRId64 " is too large to "
			                  "write out", f->next);
			goto out;
		}
	}
	if (write_lines(out.data, out.len) != 0) {
		r = consumer_fail(&f->c, PORTEN_EXIT_FAILURE, "cannot write the events to stdout: %s; %s",
		                  strerror(errno), resume_note(f));
		goto out;
	}
	/* A regular file on stdout reaches the disk before the pointer says so. */
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && fsync(STDOUT_FILENO) != 0) {
		r = consumer_fail(&f->c, PORTEN_EXIT_FAILURE, "cannot sync stdout: %s; %s", strerror(errno),
		                  resume_note(f));
		goto out;
	}
	if (f->o->pointer != NULL && (r = pointer_write(f, prev + 1)) != 0)
		goto out;
	f->next = prev + 1;
	f->events += take;
	if (f->latest < prev)
		f->latest = prev;
	*count = take;
	r = 0;
out:
	porten_buf_release(&out);
	json_decref(page);
	return r;
}

static void
remember_etag(struct feed *f, const struct porten_client_response *resp)
{
	struct porten_str v;

	free(f->etag);
	f->etag = NULL;
	if (porten_client_response_header(resp, "ETag", &v) == 0 && v.n > 0 && v.n < 256)
		f->etag = strndup(v.p, v.n);
	f->etag_seq = f->next;
}

static int
run(struct feed *f)
{
	struct porten_client_response resp = { 0 };
	struct porten_client_problem prob;
	char rest[64];
	long backoff = FEED_BACKOFF_FIRST_S;
	int tries = 0, at_end_told = 0, server_failed, r;

	resp.retry_after = -1;
	/* Credentials first: a token that cannot be had is the first thing to report. */
	if ((r = ensure_token(f)) > 0)
		goto out;
	if (r == 0 && !f->o->quiet)
		f->latest = fetch_latest(f);
	for (;;) {
		const char *inm;
		int64_t got = 0;

		if (stop_signal || (f->o->max_events > 0 && f->events >= f->o->max_events))
			break;
		snprintf(rest, sizeof(rest), "hendelser/feed?seq=%" PRId64, f->next);
		inm = f->etag != NULL && f->etag_seq == f->next ? f->etag : NULL;
		r = feed_get(f, rest, inm, &resp);
		if (r > 0)
			goto out;
		server_failed = 0;
		if (r == 0 && resp.status >= 500) {
			porten_client_problem_from(&resp, &prob);
			snprintf(f->why, sizeof(f->why), "%ld %.60s: %.400s", prob.status, prob.error, prob.description);
			server_failed = 1;
			r = FEED_RETRY;
		}
		if (r == FEED_RETRY) {
			if (!f->o->follow && tries >= f->o->retries) {
				/* "is it running?" only when it could not be reached: a 5xx came from it. */
				r = consumer_fail(&f->c, PORTEN_EXIT_UNAVAILABLE, "%s%s (gave up after %d retries; %s)",
				                  f->why, server_failed ? "" : "; is the register running?", tries,
				                  resume_note(f));
				goto out;
			}
			tries++;
			fprintf(stderr, PROG ": %s; retrying in %ld s\n", f->why, backoff);
			if (nap(backoff))
				break;
			backoff = backoff * 2 > FEED_BACKOFF_MAX_S ? FEED_BACKOFF_MAX_S : backoff * 2;
			continue;
		}
		if (resp.status == 429) {
			long wait = resp.retry_after >= 0 ? resp.retry_after : FEED_RETRY_AFTER_DEFAULT_S;

			if (wait < 1)
				wait = 1;
			if (wait > FEED_RETRY_AFTER_MAX_S)
				wait = FEED_RETRY_AFTER_MAX_S;
			fprintf(stderr, PROG ": throttled by the register (429); waiting %ld s as Retry-After says\n", wait);
			if (nap(wait))
				break;
			continue;
		}
		tries = 0;
		backoff = FEED_BACKOFF_FIRST_S;
		if (resp.status == 304 && inm == NULL) {
			/* Not Modified answers a conditional request only (RFC 9110 15.4.5). */
			r = consumer_fail(&f->c, PORTEN_EXIT_FAILURE, "the register answered 304 Not Modified to a "
			                  "request without If-None-Match (sequence number %" PRId64 "): not a feed "
			                  "page; %s", f->next, resume_note(f));
			goto out;
		}
		if (resp.status == 200) {
			remember_etag(f, &resp);
			if ((r = emit_page(f, &resp, &got)) != 0)
				goto out;
		} else if (resp.status != 304) {
			porten_client_problem_from(&resp, &prob);
			if (resp.status == 403)
				r = consumer_fail(&f->c, PORTEN_EXIT_FAILURE, "%ld %s: %s (the organisation needs the "
				                  "scope %s and the package %s in the register)", prob.status, prob.error,
				                  prob.description, f->scope, f->package);
			else if (resp.status == 406)
				r = consumer_fail(&f->c, PORTEN_EXIT_FAILURE, "%ld %s: %s (sequence number %" PRId64 "; "
				                  "older ones are gone: start later with --from (a pointer file wins over it: edit or remove it), "
				                  "or order an uttrekk)",
				                  prob.status, prob.error, prob.description, f->next);
			else
				r = consumer_refused(&f->c, &prob);
			goto out;
		}
		if (got > 0) {
			at_end_told = 0;
			progress(f, 0);
			continue;
		}
		/* The end of the feed: an empty page, or 304 for the one we had. f->latest stays
		 * what the register said (siste/sekvensnummer, raised by the events read): a
		 * --from past the end must not make it up from f->next. */
		if (!f->o->follow)
			break;
		if (!at_end_told && !f->o->quiet) {
			fprintf(stderr, PROG ": %s: at the end (next %" PRId64 "); polling every %d s\n", f->package,
			        f->next, f->o->interval);
			at_end_told = 1;
		}
		if (nap(f->o->interval))
			break;
	}
	if (!f->o->quiet) {
		if (f->o->max_events > 0 && f->events >= f->o->max_events && !stop_signal) {
			int64_t l = fetch_latest(f);

			if (l >= 0)
				f->latest = l;
		}
		fprintf(stderr, PROG ": %s: %" PRId64 " events read, next sekvensnummer %" PRId64, f->package,
		        f->events, f->next);
		if (f->latest >= 0)
			fprintf(stderr, ", latest %" PRId64, f->latest);
		fprintf(stderr, "%s\n", stop_signal ? " (stopped by a signal)" : "");
	}
	r = PORTEN_EXIT_OK;
out:
	porten_client_response_clear(&resp);
	return r;
}

int
cmd_feed(int argc, char **argv)
{
	struct feed_opts o;
	struct feed f;
	int r, pr;

	memset(&o, 0, sizeof(o));
	o.interval = FEED_INTERVAL_DEFAULT;
	o.retries = FEED_RETRIES_DEFAULT;
	if ((r = opts_parse(&feed_cmd, &o, argc, argv)) != 0)
		return r > 0 ? PORTEN_EXIT_OK : PORTEN_EXIT_USAGE;
	memset(&f, 0, sizeof(f));
	f.o = &o;
	f.latest = -1;
	f.etag_seq = -1;
	f.c.prog = PROG;
	if (o.interval < 1)
		return consumer_fail(&f.c, PORTEN_EXIT_USAGE, "--interval must be at least 1 second");
	if (o.from != NULL && parse_seq(o.from, &f.next) != 0)
		return consumer_fail(&f.c, PORTEN_EXIT_USAGE, "--from must be a sequence number (0 or more), got '%s'",
		                     o.from);
	if (o.from == NULL)
		f.next = 1;
	if (o.pointer != NULL && *o.pointer == '\0')
		return consumer_fail(&f.c, PORTEN_EXIT_USAGE, "--pointer needs a file name");
	if ((r = consumer_setup(&f.c, PROG, &o.c, CONSUMER_NEED_AUTHZ | CONSUMER_NEED_FREG)) != 0)
		goto out;
	/* A cached token must outlive the renewal margin, or every request would renew it. */
	f.c.min_left_s = FEED_TOKEN_MARGIN_S;
	f.package = o.package != NULL ? o.package : consumer_package(&f.c);
	if (f.package == NULL) {
		r = consumer_fail(&f.c, PORTEN_EXIT_USAGE, "which package? give --package, e.g. --package "
		                  "offentligmedhjemmel (or --sandbox FILE: its consumer's package is the default)");
		goto out;
	}
	if (freg_pkg_by_name(f.package) < 0 || (f.scope = consumer_package_scope(&f.c, f.package)) == NULL) {
		char names[512];

		consumer_package_names(names, sizeof(names), 0, " or ");
		r = consumer_fail(&f.c, PORTEN_EXIT_USAGE, "unknown package '%s': %s", f.package, names);
		goto out;
	}
	f.pi = freg_pkg((enum freg_pkg)freg_pkg_by_name(f.package));
	if (o.pointer != NULL) {
		int64_t from = f.next;

		pr = pointer_read(&f);
		if (pr > 1) {
			r = pr;
			goto out;
		}
		if (pr == 0 && o.from != NULL && from != f.next && !o.quiet)
			fprintf(stderr, PROG ": --from %" PRId64 " ignored: the pointer file '%s' says next %" PRId64 "\n",
			        from, o.pointer, f.next);
		/* A new pointer is written at once: a directory we cannot write to fails now,
		 * not after the first page. */
		if (pr == 1 && (r = pointer_write(&f, f.next)) != 0)
			goto out;
	}
	if (signals_install() != 0) {
		r = consumer_fail(&f.c, PORTEN_EXIT_FAILURE, "cannot install signal handlers: %s", strerror(errno));
		goto out;
	}
	r = run(&f);
out:
	signals_release();
	consumer_token_free(f.token);
	free(f.etag);
	if (f.c.o != NULL)
		consumer_close(&f.c);
	return r;
}
