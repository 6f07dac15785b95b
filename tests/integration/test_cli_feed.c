/* porten feed, black-box: the built binary reads a package feed from a real porten freg
 * behind a real porten authz (docs/feed.md).
 *
 * One authz and one freg (plain HTTP, wall clock: the CLI signs its grants with the wall
 * clock) with 1 500 generated persons, so the offentligmedhjemmel feed spans two pages.
 * The reference is what the API itself returns, page by page; the CLI must print exactly
 * those events, compact, one per line. Synchronisation is by reading the child's pipes
 * (a line printed, a message on stderr), never by sleeping. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ORG_SKATT "974761076"
#define ORG_FEED "910000004"     /* holds offentligmedhjemmel and privat in the register */
#define PERSONS 1500
#define PAGE 1000

#define SC_OMH "folkeregister:deling/offentligmedhjemmel"
#define SC_OUH "folkeregister:deling/offentligutenhjemmel"
#define SC_PRIV "folkeregister:deling/privat"
#define P_OMH "/folkeregisteret/offentlig-med-hjemmel/api/v1/"
#define PKG_OMH "offentligmedhjemmel"
#define WAIT_MS 30000            /* the longest a test waits for what it expects from the child */

extern char **environ;

static struct h_server *az, *fr;
static struct h_actor *cons;
static const char *keyfile;
/* Children not yet reaped: a failed test leaves none running after the group. */
static pid_t live[32];

static struct h_server *
start_freg(const char *dir, int persons, const char *rate)
{
	struct h_server_opts o = { 0 };
	json_t *seed = json_pack("{s:[{s:s,s:[s,s]}]}", "consumers", "orgno", ORG_FEED, "packages",
	                         PKG_OMH, "privat");
	const char *seedpath = h_strf("%s/freg-seed.json", h_tmpdir());
	const char **extra = h_keep(calloc(12, sizeof(char *)));
	size_t n = 0;

	json_dump_file(seed, seedpath, 0);
	json_decref(seed);
	extra[n++] = "--issuer-url";
	extra[n++] = az->url;
	extra[n++] = "--seed";
	extra[n++] = seedpath;
	extra[n++] = "--persons";
	extra[n++] = h_strf("%d", persons);
	extra[n++] = "--rate-limit";
	extra[n++] = rate;
	o.command = "freg";
	o.data_dir = dir;
	o.extra = extra;
	o.real_clock = true;
	return h_server_start(&o);
}

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };
	json_t *seed;
	char *pem = NULL;

	(void)state;
	h_init();
	seed = h_seed_new();
	h_seed_scope(seed, SC_OMH, ORG_SKATT, NULL);
	h_seed_scope(seed, SC_OUH, ORG_SKATT, NULL);
	h_seed_scope(seed, SC_PRIV, ORG_SKATT, NULL);
	/* the OUH scope from Maskinporten, but not the package in the register */
	cons = h_seed_actor(seed, "feeder", ORG_FEED, SC_OMH " " SC_OUH " " SC_PRIV, NULL);
	o.seed = seed;
	o.real_clock = true;
	az = h_server_start(&o);
	if (porten_key_private_pem(cons->key->key, &pem) != 0)
		h_fail("cannot write the client's key");
	keyfile = h_strf("%s/feeder-key.pem", h_tmpdir());
	h_write_file(keyfile, pem, strlen(pem));
	free(pem);
	fr = start_freg(h_strf("%s/freg", h_tmpdir()), PERSONS, "1000000");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i] > 0) {
			kill(live[i], SIGKILL);
			waitpid(live[i], NULL, 0);
		}
	h_server_stop(fr);
	h_server_stop(az);
	h_cleanup();
	return 0;
}

/* ---- the API, directly ---- */

static const char *
token(const char *scope)
{
	return h_actor_token(az, cons, scope);
}

static struct h_resp *
api_get(struct h_server *s, const char *path)
{
	const char *hdrs[] = { h_strf("Authorization: Bearer %s", token(SC_OMH)), NULL };

	return h_http(s, "GET", path, NULL, NULL, 0, hdrs);
}

static int64_t
siste(void)
{
	struct h_resp *r = api_get(fr, P_OMH "hendelser/siste/sekvensnummer");

	H_ASSERT_INT(r->status, 200);
	if (!json_is_integer(r->json))
		h_fail("siste/sekvensnummer is not a number: %s", r->body);
	return (int64_t)json_integer_value(r->json);
}

/* Every event of the OMH feed from seq 1, each as compact JSON: ref[i] is seq i + 1. */
static json_t *
reference(void)
{
	json_t *all = h_keep_json(json_array());
	int64_t seq = 1;

	for (;;) {
		struct h_resp *r = api_get(fr, h_strf(P_OMH "hendelser/feed?seq=%" PRId64, seq));
		size_t i;
		json_t *it;

		H_ASSERT_INT(r->status, 200);
		if (!json_is_array(r->json))
			h_fail("not a page: %s", r->body);
		if (json_array_size(r->json) == 0)
			break;
		json_array_foreach(r->json, i, it) {
			H_ASSERT_INT(H_JINT(it, "sekvensnummer"), seq);
			json_array_append_new(all, json_string(h_dump(it)));
			seq++;
		}
	}
	return all;
}

/* Runs `porten freg inject` for one personErOppdatert of a person of the feed. */
static void
inject_one(void)
{
	struct h_resp *r = api_get(fr, P_OMH "hendelser/feed?seq=1");
	const char *pid = H_JSTR(json_object_get(json_array_get(r->json, 0), "hendelse"), "folkeregisteridentifikator");
	const char *file = h_strf("%s/inject-%d.json", h_tmpdir(), rand());
	const char *json = h_strf("{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"personErOppdatert\"}", pid);
	int st;

	h_write_file(file, json, strlen(json));
	st = system(h_strf("%s freg inject %s %s > /dev/null", PORTEN_BIN, h_store_arg(fr->data_dir), file));
	if (st != 0)
		h_fail("porten freg inject failed (%d)", st);
}

/* ---- the CLI as a child process ---- */

struct child {
	pid_t pid;
	int out_fd;                  /* read end of its stdout */
	int err_fd;                  /* read end of its stderr, or -1 (then err_path) */
	const char *err_path;
	struct sbuf { char *p; size_t n, cap; } out, err;
	size_t out_used;             /* bytes of out consumed by next_line() */
};

static void
sb_add(struct sbuf *b, const char *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* Starts `porten feed` with the connection options of the consumer and args (NULL-
 * terminated). stderr through a pipe when err_pipe, else into a file. */
static struct child *
spawn_feed_with(struct h_server *freg, const char *const *args, bool err_pipe, bool close_stdout)
{
	struct child *c = h_keep(calloc(1, sizeof(*c)));
	const char *argv[64];
	int ofd[2], efd[2] = { -1, -1 }, r;
	posix_spawn_file_actions_t fa;
	size_t n = 0;

	argv[n++] = PORTEN_BIN;
	argv[n++] = "feed";
	argv[n++] = "--authz";
	argv[n++] = az->url;
	argv[n++] = "--freg";
	argv[n++] = freg->url;
	argv[n++] = "--client-id";
	argv[n++] = cons->client_id;
	argv[n++] = "--key";
	argv[n++] = keyfile;
	argv[n++] = "--kid";
	argv[n++] = cons->key->kid;
	argv[n++] = "--no-cache";
	for (size_t i = 0; args && args[i] && n < 62; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe(ofd) != 0 || (err_pipe && pipe(efd) != 0))
		h_fail("pipe: %s", strerror(errno));
	c->err_path = h_strf("%s/feed-stderr-%d.txt", h_tmpdir(), rand());
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, ofd[1], 1);
	posix_spawn_file_actions_addclose(&fa, ofd[0]);
	if (err_pipe) {
		posix_spawn_file_actions_adddup2(&fa, efd[1], 2);
		posix_spawn_file_actions_addclose(&fa, efd[0]);
	} else {
		posix_spawn_file_actions_addopen(&fa, 2, c->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	}
	r = posix_spawn(&c->pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(ofd[1]);
	if (close_stdout)
		close(ofd[0]);           /* no reader: the first page cannot be written */
	if (efd[1] >= 0)
		close(efd[1]);
	if (r != 0)
		h_fail("cannot spawn %s: %s", argv[0], strerror(r));
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i] == 0) {
			live[i] = c->pid;
			break;
		}
	c->out_fd = close_stdout ? -1 : ofd[0];
	c->err_fd = efd[0];
	return c;
}

static struct child *
spawn_feed(const char *const *args)
{
	return spawn_feed_with(fr, args, false, false);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what fd has into b, waiting at most ms. 0 on EOF, 1 when bytes came, -1 on timeout. */
static int
pump(int fd, struct sbuf *b, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char buf[4096];                  /* small reads: a reader that stops, stops soon */
	ssize_t n;
	int pr;

	do
		pr = poll(&p, 1, ms);
	while (pr < 0 && errno == EINTR);
	if (pr == 0)
		return -1;
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	sb_add(b, buf, (size_t)n);
	return 1;
}

/* Reads the child's stdout until it holds at least `lines` complete lines. */
static void
wait_lines(struct child *c, size_t lines)
{
	int64_t deadline = now_ms() + WAIT_MS;

	for (;;) {
		size_t have = 0;

		for (size_t i = 0; i < c->out.n; i++)
			have += c->out.p[i] == '\n';
		if (have >= lines)
			return;
		if (now_ms() > deadline || pump(c->out_fd, &c->out, WAIT_MS) <= 0)
			h_fail("porten feed printed %zu lines, not %zu", have, lines);
	}
}

/* Reads the child's stderr pipe until it contains needle (counted from offset *from,
 * which is moved past it). */
static void
wait_stderr(struct child *c, const char *needle, size_t *from)
{
	int64_t deadline = now_ms() + WAIT_MS;

	for (;;) {
		const char *hit = c->err.p != NULL ? strstr(c->err.p + *from, needle) : NULL;

		if (hit != NULL) {
			*from = (size_t)(hit - c->err.p) + strlen(needle);
			return;
		}
		if (now_ms() > deadline || pump(c->err_fd, &c->err, WAIT_MS) <= 0)
			h_fail("porten feed never said \"%s\"; its stderr:\n%s", needle, c->err.p ? c->err.p : "");
	}
}

/* Reads everything until EOF and reaps the child: its exit status (-1 for a signal). */
static int
finish(struct child *c)
{
	int st;

	while (c->out_fd >= 0 && pump(c->out_fd, &c->out, WAIT_MS) == 1)
		;
	while (c->err_fd >= 0 && pump(c->err_fd, &c->err, WAIT_MS) == 1)
		;
	while (waitpid(c->pid, &st, 0) < 0)
		if (errno != EINTR)
			h_fail("waitpid: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i] == c->pid)
			live[i] = 0;
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->out_fd = c->err_fd = -1;
	if (c->err_fd < 0 && c->err.p == NULL) {
		size_t n = 0;
		char *e = h_read_file(c->err_path, &n);

		if (e != NULL)
			sb_add(&c->err, e, n);
	}
	if (c->out.p == NULL)
		sb_add(&c->out, "", 0);
	if (c->err.p == NULL)
		sb_add(&c->err, "", 0);
	h_keep(c->out.p);
	h_keep(c->err.p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs porten feed to the end: exit status, stdout and stderr in c. */
static struct child *
run_feed(const char *const *args, int expect_status)
{
	struct child *c = spawn_feed(args);
	int st = finish(c);

	if (st != expect_status)
		h_fail("porten feed exited %d, expected %d; stderr:\n%s", st, expect_status, c->err.p);
	return c;
}

/* The lines of s as a JSON array of strings (harness-owned). */
static json_t *
lines_of(const char *s)
{
	json_t *a = h_keep_json(json_array());
	const char *p = s, *nl;

	while ((nl = strchr(p, '\n')) != NULL) {
		json_array_append_new(a, json_stringn(p, (size_t)(nl - p)));
		p = nl + 1;
	}
	if (*p != '\0')
		h_fail("output ends in an incomplete line: %s", p);
	return a;
}

static int64_t
seq_of_line(const char *line)
{
	json_t *j = h_keep_json(json_loads(line, 0, NULL));

	if (!json_is_integer(json_object_get(j, "sekvensnummer")))
		h_fail("not an event line: %s", line);
	return (int64_t)json_integer_value(json_object_get(j, "sekvensnummer"));
}

/* The output lines equal ref[from-1 .. from-1+count-1] exactly. */
#define expect_ref_lines(out, ref, from, count) expect_ref_lines_at(H_LOC, (out), (ref), (from), (count))
static void
expect_ref_lines_at(const char *file, int line, const char *out, const json_t *ref, int64_t from, size_t count)
{
	json_t *got = lines_of(out);

	if (json_array_size(got) != count)
		h_fail_at(file, line, "expected %zu lines from %" PRId64 ", got %zu", count, from, json_array_size(got));
	for (size_t i = 0; i < count; i++) {
		const char *want = json_string_value(json_array_get(ref, (size_t)from - 1 + i));
		const char *have = json_string_value(json_array_get(got, i));

		if (strcmp(want, have) != 0)
			h_fail_at(file, line, "line %zu: expected\n%s\ngot\n%s", i + 1, want, have);
	}
}

static const char *
pointer_text(int64_t next)
{
	return h_strf("{\"package\": \"" PKG_OMH "\", \"next\": %" PRId64 "}\n", next);
}

static const char *
newpath(const char *name)
{
	return h_strf("%s/%s-%d", h_tmpdir(), name, rand());
}

/* The number of lines of s. */
static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- tests ---- */

static void
whole_feed_is_exactly_the_api(void **state)
{
	json_t *ref = reference();
	size_t n = json_array_size(ref);
	struct child *c;

	(void)state;
	assert_true(n >= PERSONS && n > PAGE);   /* two pages at least */
	c = run_feed((const char *const[]){ "--package", PKG_OMH, NULL }, 0);
	expect_ref_lines(c->out.p, ref, 1, n);
	assert_non_null(strstr(c->err.p, h_strf("porten feed: " PKG_OMH ": %zu events read, next sekvensnummer %zu, "
	                                        "latest %zu\n", n, n + 1, n)));
	/* --from 0 is the same feed; --quiet says nothing */
	c = run_feed((const char *const[]){ "--package", PKG_OMH, "--from", "0", "--quiet", NULL }, 0);
	expect_ref_lines(c->out.p, ref, 1, n);
	H_ASSERT_STR(c->err.p, "");
}

static void
from_and_max_events(void **state)
{
	json_t *ref = reference();
	size_t n = json_array_size(ref);
	struct child *c;

	(void)state;
	c = run_feed((const char *const[]){ "--package", PKG_OMH, "--from", "999", "--quiet", NULL }, 0);
	expect_ref_lines(c->out.p, ref, 999, n - 998);
	c = run_feed((const char *const[]){ "--package", PKG_OMH, "--from", "10", "--max-events", "5", "--quiet", NULL }, 0);
	expect_ref_lines(c->out.p, ref, 10, 5);
	/* past the end: nothing, exit 0 */
	c = run_feed((const char *const[]){ "--package", PKG_OMH, "--from", h_strf("%zu", n + 1), NULL }, 0);
	H_ASSERT_STR(c->out.p, "");
	/* bad values are usage errors */
	run_feed((const char *const[]){ "--package", PKG_OMH, "--from", "-1", NULL }, 2);
	run_feed((const char *const[]){ "--package", PKG_OMH, "--from", "1e3", NULL }, 2);
	run_feed((const char *const[]){ "--package", "nosuchpackage", NULL }, 2);
	run_feed((const char *const[]){ "--package", PKG_OMH, "--interval", "0", NULL }, 2);
}

static void
pointer_is_created_and_advanced(void **state)
{
	json_t *ref = reference();
	size_t n = json_array_size(ref);
	const char *ptr = newpath("pointer.json");
	struct child *c;
	struct h_resp *r;

	(void)state;
	/* 1200 events: the pointer stops inside the second page, at the next one to read */
	c = run_feed((const char *const[]){ "--package", PKG_OMH, "--pointer", ptr, "--max-events", "1200", NULL }, 0);
	expect_ref_lines(c->out.p, ref, 1, 1200);
	H_ASSERT_STR(h_read_file(ptr, NULL), pointer_text(1201));
	/* the rest; --from is ignored when the pointer exists */
	c = run_feed((const char *const[]){ "--package", PKG_OMH, "--pointer", ptr, "--from", "5", NULL }, 0);
	expect_ref_lines(c->out.p, ref, 1201, n - 1200);
	assert_non_null(strstr(c->err.p, "--from 5 ignored"));
	H_ASSERT_STR(h_read_file(ptr, NULL), pointer_text((int64_t)n + 1));
	/* nothing new: nothing printed, the pointer as it was */
	c = run_feed((const char *const[]){ "--package", PKG_OMH, "--pointer", ptr, NULL }, 0);
	H_ASSERT_STR(c->out.p, "");
	H_ASSERT_STR(h_read_file(ptr, NULL), pointer_text((int64_t)n + 1));
	/* one new event: exactly that one */
	inject_one();
	c = run_feed((const char *const[]){ "--package", PKG_OMH, "--pointer", ptr, NULL }, 0);
	r = api_get(fr, h_strf(P_OMH "hendelser/feed?seq=%zu", n + 1));
	H_ASSERT_INT(json_array_size(r->json), 1);
	H_ASSERT_STR(c->out.p, h_strf("%s\n", h_dump(json_array_get(r->json, 0))));
	H_ASSERT_STR(h_read_file(ptr, NULL), pointer_text((int64_t)n + 2));
	/* a pointer made for another package is refused and kept */
	c = run_feed((const char *const[]){ "--package", "privat", "--pointer", ptr, NULL }, 3);
	H_ASSERT_STR(c->out.p, "");
	assert_non_null(strstr(c->err.p, "is the pointer of package " PKG_OMH ", not privat"));
	H_ASSERT_STR(h_read_file(ptr, NULL), pointer_text((int64_t)n + 2));
}

static void
corrupt_pointer_is_exit_3_and_kept(void **state)
{
	static const char *const bad[] = {
		"{\"package\": \"" PKG_OMH "\", \"next\": 12",        /* cut short */
		"",
		"garbage\n",
		"{\"package\": \"" PKG_OMH "\", \"next\": -5}\n",
		"{\"package\": \"" PKG_OMH "\", \"next\": \"12\"}\n",
		"{\"next\": 12}\n",
		"[12]\n",
		"{\"package\": \"" PKG_OMH "\", \"next\": 1, \"next\": 2}\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *ptr = newpath("corrupt.json");
		struct child *c;
		size_t len = 0;
		char *now;

		h_write_file(ptr, bad[i], strlen(bad[i]));
		c = run_feed((const char *const[]){ "--package", PKG_OMH, "--pointer", ptr, NULL }, 3);
		H_ASSERT_STR(c->out.p, "");
		H_ASSERT_INT(count_lines(c->err.p), 1);
		assert_non_null(strstr(c->err.p, h_strf("porten feed: the pointer file '%s' is not usable", ptr)));
		assert_non_null(strstr(c->err.p, "remove it"));
		now = h_read_file(ptr, &len);
		assert_non_null(now);
		H_ASSERT_INT(len, strlen(bad[i]));
		assert_memory_equal(now, bad[i], len);
	}
}

static void
kill_9_then_restart_loses_nothing(void **state)
{
	json_t *ref = reference();
	size_t n = json_array_size(ref), dup = 0;
	const char *ptr = newpath("killed.json");
	struct child *c;
	json_t *first, *second, *ptrdoc;
	char *seen;
	int64_t next;
	int st;

	(void)state;
	/* Read a page and a bit through the pipe, then kill -9: the child is inside the second
	 * page (blocked on the full pipe, or later). */
	c = spawn_feed((const char *const[]){ "--package", PKG_OMH, "--pointer", ptr, "--quiet", NULL });
	wait_lines(c, PAGE + 10);
	kill(c->pid, SIGKILL);
	st = finish(c);
	assert_true(st == -1 || st == 0);    /* killed, or done just before */
	first = lines_of(c->out.p);     /* what reached the pipe before the kill */
	ptrdoc = h_keep_json(json_loads(h_read_file(ptr, NULL), 0, NULL));
	next = H_JINT(ptrdoc, "next");
	/* the pointer names a page boundary the output has passed */
	assert_true((next - 1) % PAGE == 0 || next == (int64_t)n + 1);
	assert_true((size_t)next - 1 <= json_array_size(first));
	c = run_feed((const char *const[]){ "--package", PKG_OMH, "--pointer", ptr, "--quiet", NULL }, 0);
	second = lines_of(c->out.p);
	if (json_array_size(second) > 0)
		H_ASSERT_INT(seq_of_line(json_string_value(json_array_get(second, 0))), next);
	/* the union covers 1..n, every line is the API's, at most one page twice */
	seen = h_keep(calloc(n + 2, 1));
	for (int k = 0; k < 2; k++) {
		json_t *part = k == 0 ? first : second;
		size_t i;
		json_t *l;

		json_array_foreach(part, i, l) {
			int64_t s = seq_of_line(json_string_value(l));

			if (s < 1 || (size_t)s > n)
				h_fail("sekvensnummer %" PRId64 " is not in the feed", s);
			H_ASSERT_STR(json_string_value(l), json_string_value(json_array_get(ref, (size_t)s - 1)));
			if (seen[s])
				dup++;
			seen[s] = 1;
		}
	}
	for (size_t s = 1; s <= n; s++)
		if (!seen[s])
			h_fail("sekvensnummer %zu was lost", s);
	assert_true(dup <= PAGE);
	H_ASSERT_STR(h_read_file(ptr, NULL), pointer_text((int64_t)n + 1));
}

static void
closed_stdout_keeps_the_pointer(void **state)
{
	const char *ptr = newpath("epipe.json");
	struct child *c;

	(void)state;
	c = spawn_feed_with(fr, (const char *const[]){ "--package", PKG_OMH, "--pointer", ptr, NULL }, false, true);
	H_ASSERT_INT(finish(c), 1);
	assert_non_null(strstr(c->err.p, "porten feed: cannot write the events to stdout: Broken pipe; the pointer stays at 1"));
	H_ASSERT_STR(h_read_file(ptr, NULL), pointer_text(1));
}

static void
follow_picks_up_new_events_and_stops_on_sigterm(void **state)
{
	int64_t last = siste();
	const char *ptr = newpath("follow.json");
	size_t at = 0;
	struct child *c;
	struct h_resp *r;

	(void)state;
	c = spawn_feed_with(fr, (const char *const[]){ "--package", PKG_OMH, "--pointer", ptr, "--from",
	                    h_strf("%" PRId64, last + 1), "--follow", "--interval", "1", "--log-level", "debug",
	                    NULL }, true, false);
	wait_stderr(c, h_strf(PKG_OMH ": at the end (next %" PRId64 "); polling every 1 s", last + 1), &at);
	/* the next poll asks with the ETag of the empty page: 304 */
	wait_stderr(c, "-> 304", &at);
	inject_one();
	wait_lines(c, 1);
	r = api_get(fr, h_strf(P_OMH "hendelser/feed?seq=%" PRId64, last + 1));
	H_ASSERT_INT(json_array_size(r->json), 1);
	H_ASSERT_STR(c->out.p, h_strf("%s\n", h_dump(json_array_get(r->json, 0))));
	/* the pointer moves once the line is out; then SIGTERM ends it cleanly */
	wait_stderr(c, h_strf(PKG_OMH ": at the end (next %" PRId64 ")", last + 2), &at);
	H_ASSERT_STR(h_read_file(ptr, NULL), pointer_text(last + 2));
	kill(c->pid, SIGTERM);
	H_ASSERT_INT(finish(c), 0);
	assert_non_null(strstr(c->err.p, h_strf(PKG_OMH ": 1 events read, next sekvensnummer %" PRId64, last + 2)));
	assert_non_null(strstr(c->err.p, "(stopped by a signal)"));
	H_ASSERT_STR(h_read_file(ptr, NULL), pointer_text(last + 2));
}

static void
package_not_held_is_exit_1(void **state)
{
	struct child *c;

	(void)state;
	c = run_feed((const char *const[]){ "--package", "offentligutenhjemmel", "--quiet", NULL }, 1);
	H_ASSERT_STR(c->out.p, "");
	H_ASSERT_INT(count_lines(c->err.p), 1);
	assert_non_null(strstr(c->err.p, "porten feed: 403 FREG-004: "));
	/* a token the register does not accept: 401 twice (the second with a "fresh" one) */
	c = run_feed((const char *const[]){ "--token", "a.b.c", "--package", PKG_OMH, "--quiet", NULL }, 1);
	H_ASSERT_INT(count_lines(c->err.p), 1);
	assert_non_null(strstr(c->err.p, "porten feed: 401 FREG-003: "));
}

static void
unreachable_register_is_exit_4(void **state)
{
	struct h_server nowhere;
	struct child *c;

	(void)state;
	memset(&nowhere, 0, sizeof(nowhere));
	/* port 9 on loopback: nothing listens there */
	snprintf(nowhere.url, sizeof(nowhere.url), "http://127.0.0.1:9/");
	c = spawn_feed_with(&nowhere, (const char *const[]){ "--package", PKG_OMH, "--retries", "0", NULL }, false, false);
	H_ASSERT_INT(finish(c), 4);
	H_ASSERT_STR(c->out.p, "");
	H_ASSERT_INT(count_lines(c->err.p), 1);
	assert_non_null(strstr(c->err.p, "porten feed: cannot connect to http://127.0.0.1:9/: Connection refused; "
	                                 "is the register running? (gave up after 0 retries; the next sekvensnummer is 1)"));
	/* one retry: one back-off line first */
	c = spawn_feed_with(&nowhere, (const char *const[]){ "--package", PKG_OMH, "--retries", "1", NULL }, false, false);
	H_ASSERT_INT(finish(c), 4);
	H_ASSERT_INT(count_lines(c->err.p), 2);
	assert_non_null(strstr(c->err.p, "Connection refused; retrying in 1 s\n"));
	assert_non_null(strstr(c->err.p, "(gave up after 1 retries;"));
}

static void
throttled_waits_for_retry_after(void **state)
{
	struct h_server *s = start_freg(h_strf("%s/freg-throttle", h_tmpdir()), 10, "20");
	struct child *c;
	struct h_resp *r;
	json_t *ref;

	(void)state;
	r = api_get(s, P_OMH "hendelser/feed?seq=1");   /* the reference, and 1 of 20 requests */
	H_ASSERT_INT(r->status, 200);
	ref = h_keep_json(json_array());
	for (size_t i = 0; i < 5; i++)
		json_array_append_new(ref, json_string(h_dump(json_array_get(r->json, i))));
	/* the other 19 (throttling comes before authentication): the bucket is empty, and one
	 * request comes back every 3 s */
	for (int i = 0; i < 19; i++)
		H_ASSERT_INT(h_get(s, P_OMH "hendelser/siste/sekvensnummer")->status, 401);
	H_ASSERT_INT(h_get(s, P_OMH "hendelser/siste/sekvensnummer")->status, 429);
	c = spawn_feed_with(s, (const char *const[]){ "--package", PKG_OMH, "--max-events", "5", NULL }, false, false);
	H_ASSERT_INT(finish(c), 0);
	expect_ref_lines(c->out.p, ref, 1, 5);
	assert_non_null(strstr(c->err.p, "porten feed: throttled by the register (429); waiting "));
	h_server_stop(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_feed_is_exactly_the_api),
		cmocka_unit_test(from_and_max_events),
		cmocka_unit_test(pointer_is_created_and_advanced),
		cmocka_unit_test(corrupt_pointer_is_exit_3_and_kept),
		cmocka_unit_test(kill_9_then_restart_loses_nothing),
		cmocka_unit_test(closed_stdout_keeps_the_pointer),
		cmocka_unit_test(follow_picks_up_new_events_and_stops_on_sigterm),
		cmocka_unit_test(package_not_held_is_exit_1),
		cmocka_unit_test(unreachable_register_is_exit_4),
		cmocka_unit_test(throttled_waits_for_retry_after),
	};

	srand((unsigned)getpid());
	return cmocka_run_group_tests_name("integration: porten feed against authz and freg", tests,
	                                   group_setup, group_teardown);
}
