/* porten person (docs/person.md) against a real porten authz + porten freg: lookups by
 * identifier, part, XML, errors of the register, bulkoppslag from stdin (order, duplicates,
 * unknown identifiers, chunks of 1000, bad lines), entydigsoek and soek, the package
 * default and its local refusal, an unreachable server.
 *
 * Both servers run on the wall clock (the CLI signs its grants with it). The persons are
 * taken from the register itself (the OMH feed), and every answer of the CLI is compared
 * with what the API gives directly for the same request. The CLI runs as a child with
 * stdin from a file and stdout/stderr to files; the test waits for it to exit. */
#include "harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "porten/ident.h"

#define ORG_SKATT "974761076"
#define ORG_C "910000004"        /* holds offentligmedhjemmel and privat */
#define PERSONS 300

#define SC_OMH "folkeregister:deling/offentligmedhjemmel"
#define SC_PRIV "folkeregister:deling/privat"
#define SC_OUH "folkeregister:deling/offentligutenhjemmel"   /* a scope, but not a package, of ORG_C */
#define P_OMH "/folkeregisteret/offentlig-med-hjemmel/api/v1/"
#define P_PRIV "/folkeregisteret/api/privat/v1/"

static struct h_server *az, *fr;
static struct h_actor *cons;
static const char *keypem;       /* the consumer client's private key, PEM */
static json_t *ids;              /* distinct identifiers from the feed, feed order */

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 }, fo = { 0 };
	json_t *seed, *fseed;
	const char *fseedpath, **extra;
	FILE *f;
	size_t n = 0;

	(void)state;
	h_init();
	seed = h_seed_new();
	h_seed_scope(seed, SC_OMH, ORG_SKATT, NULL);
	h_seed_scope(seed, SC_PRIV, ORG_SKATT, NULL);
	h_seed_scope(seed, SC_OUH, ORG_SKATT, NULL);
	cons = h_seed_actor(seed, "cons", ORG_C, SC_OMH " " SC_PRIV " " SC_OUH, NULL);
	o.seed = seed;
	o.real_clock = true;
	az = h_server_start(&o);

	fseed = json_pack("{s:[{s:s,s:[s,s]}]}", "consumers", "orgno", ORG_C, "packages",
	                  "offentligmedhjemmel", "privat");
	fseedpath = h_strf("%s/freg-seed.json", h_tmpdir());
	assert_int_equal(json_dump_file(fseed, fseedpath, 0), 0);
	json_decref(fseed);
	extra = h_keep(calloc(12, sizeof(char *)));
	extra[n++] = "--issuer-url";
	extra[n++] = az->url;
	extra[n++] = "--seed";
	extra[n++] = fseedpath;
	extra[n++] = "--persons";
	extra[n++] = h_strf("%d", PERSONS);
	extra[n++] = "--rate-limit";
	extra[n++] = "100000000";
	fo.command = "freg";
	fo.data_dir = h_strf("%s/freg", h_tmpdir());
	fo.extra = extra;
	fo.real_clock = true;
	fr = h_server_start(&fo);

	keypem = h_strf("%s/cons-key.pem", h_tmpdir());
	assert_non_null(f = fopen(keypem, "w"));
	assert_int_equal(PEM_write_PrivateKey(f, cons->key->evp, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(fclose(f), 0);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	h_server_stop(fr);
	h_server_stop(az);
	h_cleanup();
	return 0;
}

/* ---- the API directly ---- */

static struct h_resp *
api(const char *method, const char *path, const char *scope, const char *accept, const char *body)
{
	const char *hdrs[3] = { h_strf("Authorization: Bearer %s", h_actor_token(az, cons, scope)), NULL, NULL };

	if (accept)
		hdrs[1] = h_strf("Accept: %s", accept);
	return h_http(fr, method, path, body ? "application/json" : NULL, body, body ? strlen(body) : 0, hdrs);
}

/* 200 and JSON from GET path of OMH. */
static json_t *
api_ok(const char *path)
{
	struct h_resp *r = api("GET", h_strf(P_OMH "%s", path), SC_OMH, NULL, NULL);

	if (r->status != 200 || r->json == NULL)
		h_fail("GET %s: expected 200 and JSON, got %ld: %s", path, r->status, r->body);
	return r->json;
}

/* The melding of the register's {kode, melding} answer to GET path of OMH, which must
 * have this status. */
static const char *
melding(long status, const char *path)
{
	struct h_resp *r = api("GET", h_strf(P_OMH "%s", path), SC_OMH, NULL, NULL);

	if (r->status != status || !json_is_string(json_object_get(r->json, "melding")))
		h_fail("GET %s: expected %ld with a melding, got %ld: %s", path, status, r->status, r->body);
	return json_string_value(json_object_get(r->json, "melding"));
}

/* Distinct identifiers of the OMH feed's first page (harness-owned array). */
static const json_t *
known_ids(void)
{
	json_t *seen, *page, *item;
	size_t i;

	if (ids != NULL)
		return ids;
	page = api_ok("hendelser/feed?seq=1");
	ids = h_keep_json(json_array());
	seen = h_keep_json(json_object());
	json_array_foreach(page, i, item) {
		const char *pid = json_string_value(json_object_get(json_object_get(item, "hendelse"),
		                                                    "folkeregisteridentifikator"));

		if (pid == NULL || json_object_get(seen, pid) != NULL)
			continue;
		/* only persons the register answers for under this identifier */
		if (api("GET", h_strf(P_OMH "personer/%s", pid), SC_OMH, NULL, NULL)->status != 200)
			continue;
		json_object_set_new(seen, pid, json_true());
		json_array_append_new(ids, json_string(pid));
	}
	if (json_array_size(ids) < 20)
		h_fail("the feed's first page names only %zu persons", json_array_size(ids));
	return ids;
}

static const char *
known(size_t i)
{
	return json_string_value(json_array_get(known_ids(), i));
}

/* A valid identifier nobody has: the register says 404 for it. */
static const char *
unknown_id(void)
{
	char pid[12];

	for (int ind = 500; ind < 999; ind++) {
		if (!porten_pid_make(pid, sizeof(pid), 1871, 3, 4, ind, 0, PORTEN_PID_ALLOW_SYNTHETIC))
			continue;
		if (api("GET", h_strf(P_OMH "personer/%s", pid), SC_OMH, NULL, NULL)->status == 404)
			return h_strf("%s", pid);
	}
	h_fail("no unknown identifier found");
}

/* id with its last check digit changed: the register says 400. */
static const char *
bad_check_digit(const char *id)
{
	char *b = h_strf("%s", id);

	b[10] = (char)('0' + (b[10] - '0' + 1) % 10);
	return b;
}

static const char *
canon_sorted(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

	assert_non_null(s);
	return h_keep(s);
}

static const char *
canon_text(const char *text, size_t len)
{
	json_error_t e;
	json_t *v = json_loadb(text, len, 0, &e);

	if (v == NULL)
		h_fail("not JSON (%s): %.*s", e.text, (int)len, text);
	h_keep_json(v);
	return canon_sorted(v);
}

/* ---- the CLI ---- */

struct cli {
	int status;
	char *out, *err;
	size_t out_len;
};

/* Runs porten person with the consumer's credentials (flags), stdin from in (NULL: empty),
 * then the NULL-terminated args. */
static struct cli *
run_raw(const char *in, size_t inlen, const char *const *base, const char *const *args)
{
	struct cli *c = h_keep(calloc(1, sizeof(*c)));
	const char *inp = h_strf("%s/cli-in-%d", h_tmpdir(), rand());
	const char *outp = h_strf("%s/cli-out-%d", h_tmpdir(), rand());
	const char *errp = h_strf("%s/cli-err-%d", h_tmpdir(), rand());
	const char *argv[64];
	size_t n = 0;
	int st;
	pid_t pid;

	assert_int_equal(h_write_file(inp, in ? in : "", in ? inlen : 0), 0);
	argv[n++] = PORTEN_BIN;
	argv[n++] = "person";
	for (size_t i = 0; base && base[i]; i++)
		argv[n++] = base[i];
	for (size_t i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fi = open(inp, O_RDONLY), fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600),
		    fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fi < 0 || fo < 0 || fe < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0 ||
		    chdir(h_tmpdir()) != 0)
			_exit(127);
		unsetenv("PORTEN_SANDBOX");
		unsetenv("PORTEN_TOKEN");
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	c->status = WEXITSTATUS(st);
	c->out = h_read_file(outp, &c->out_len);
	c->err = h_read_file(errp, NULL);
	assert_non_null(c->out);
	assert_non_null(c->err);
	return c;
}

#define CLI(in, ...) cli_run((in), (const char *const[]){ __VA_ARGS__, NULL })

static const char *const *
cred_args(void)
{
	const char **a = h_keep(calloc(16, sizeof(char *)));
	size_t n = 0;

	a[n++] = "--authz";
	a[n++] = az->url;
	a[n++] = "--freg";
	a[n++] = fr->url;
	a[n++] = "--client-id";
	a[n++] = cons->client_id;
	a[n++] = "--key";
	a[n++] = keypem;
	a[n++] = "--kid";
	a[n++] = cons->key->kid;
	a[n++] = "--no-cache";
	a[n++] = "--package";     /* the flags name no sandbox consumer, so no default package */
	a[n++] = "offentligmedhjemmel";
	return a;
}

static const char *const *cred_args(void);

static struct cli *
cli_run(const char *in, const char *const *args)
{
	return run_raw(in, in ? strlen(in) : 0, cred_args(), args);
}

#define expect_cli(c, st) expect_cli_at(H_LOC, (c), (st))
static void
expect_cli_at(const char *file, int line, const struct cli *c, int status)
{
	if (c->status != status)
		h_fail_at(file, line, "expected exit %d, got %d; stderr: %s; stdout: %.300s", status, c->status,
		          c->err, c->out);
	if (status == 0 && c->err[0] != '\0')
		h_fail_at(file, line, "exit 0 but stderr: %s", c->err);
}

/* The one line on stderr: exactly one '\n', at the end, and starting with "porten person: ". */
#define err_line(c) err_line_at(H_LOC, (c))
static const char *
err_line_at(const char *file, int line, const struct cli *c)
{
	size_t n = strlen(c->err);

	if (n == 0 || c->err[n - 1] != '\n' || strchr(c->err, '\n') != c->err + n - 1 ||
	    strncmp(c->err, "porten person: ", 15) != 0)
		h_fail_at(file, line, "expected one line 'porten person: ...' on stderr, got: %s", c->err);
	if (c->out_len != 0)
		h_fail_at(file, line, "expected nothing on stdout, got: %.300s", c->out);
	return c->err;
}

#define expect_has(s, sub) do { if (strstr((s), (sub)) == NULL) h_fail("expected '%s' in: %s", (sub), (s)); } while (0)

/* The lines of stdout (harness-owned strings), checking that it ends with a newline. */
static json_t *
out_lines(const struct cli *c)
{
	json_t *a = h_keep_json(json_array());
	const char *p = c->out, *nl;

	if (c->out_len > 0 && c->out[c->out_len - 1] != '\n')
		h_fail("stdout does not end with a newline: %.300s", c->out);
	while ((nl = strchr(p, '\n')) != NULL) {
		json_array_append_new(a, json_stringn(p, (size_t)(nl - p)));
		p = nl + 1;
	}
	return a;
}

/* ---- lookups by identifier ---- */

static void
lookup_equals_the_api(void **state)
{
	const char *id = known(0);
	struct h_resp *direct = api("GET", h_strf(P_OMH "personer/%s", id), SC_OMH, NULL, NULL);
	struct cli *c = CLI(NULL, id);
	json_t *lines;

	(void)state;
	H_ASSERT_INT(direct->status, 200);
	expect_cli(c, 0);
	lines = out_lines(c);
	H_ASSERT_INT(json_array_size(lines), 1);                    /* one line */
	H_ASSERT_STR(canon_text(c->out, c->out_len), canon_text(direct->body, direct->len));
	/* the line is the document as the register sent it (compact), byte for byte */
	H_ASSERT_STR(json_string_value(json_array_get(lines, 0)), direct->body);

	/* --pretty: the same document, indented over several lines */
	c = CLI(NULL, id, "--pretty");
	expect_cli(c, 0);
	assert_true(json_array_size(out_lines(c)) > 3);
	H_ASSERT_STR(canon_text(c->out, c->out_len), canon_text(direct->body, direct->len));

	/* the option order does not matter: flags before the identifier */
	c = CLI(NULL, "--package", "offentligmedhjemmel", id);
	expect_cli(c, 0);
	H_ASSERT_STR(canon_text(c->out, c->out_len), canon_text(direct->body, direct->len));
}

static void
part_changes_the_document(void **state)
{
	const char *id = known(1);
	struct h_resp *basis = api("GET", h_strf(P_OMH "personer/%s", id), SC_OMH, NULL, NULL);
	struct h_resp *navn = api("GET", h_strf(P_OMH "personer/%s?part=navn", id), SC_OMH, NULL, NULL);
	struct h_resp *two = api("GET", h_strf(P_OMH "personer/%s?part=navn&part=foedsel", id), SC_OMH, NULL, NULL);
	struct cli *c;

	(void)state;
	H_ASSERT_INT(navn->status, 200);
	H_ASSERT_INT(two->status, 200);
	c = CLI(NULL, id, "--part", "navn");
	expect_cli(c, 0);
	H_ASSERT_STR(canon_text(c->out, c->out_len), canon_text(navn->body, navn->len));
	/* it is not the default document */
	assert_string_not_equal(canon_text(c->out, c->out_len), canon_text(basis->body, basis->len));
	assert_non_null(json_object_get(h_keep_json(json_loads(c->out, 0, NULL)), "navn"));
	assert_null(json_object_get(h_keep_json(json_loads(c->out, 0, NULL)), "bostedsadresse"));
	c = CLI(NULL, id, "--part", "navn", "--part", "foedsel");
	expect_cli(c, 0);
	H_ASSERT_STR(canon_text(c->out, c->out_len), canon_text(two->body, two->len));
	/* an unknown part: the register's 400 */
	c = CLI(NULL, id, "--part", "forholdTilSametingetsValgmanntall");
	H_ASSERT_INT(c->status, 1);
	expect_has(err_line(c), "400 FREG-002");
}

static void
xml_as_the_api_gives_it(void **state)
{
	const char *id = known(2);
	struct h_resp *direct = api("GET", h_strf(P_OMH "personer/%s", id), SC_OMH, "application/xml", NULL);
	struct cli *c = CLI(NULL, id, "--xml");

	(void)state;
	H_ASSERT_INT(direct->status, 200);
	expect_cli(c, 0);
	expect_has(c->out, "folkeregisterperson");
	/* byte for byte, plus a final newline when the register sent none */
	if (direct->len > 0 && direct->body[direct->len - 1] == '\n')
		H_ASSERT_STR(c->out, direct->body);
	else
		H_ASSERT_STR(c->out, h_strf("%s\n", direct->body));
}

static void
register_errors_are_one_line(void **state)
{
	const char *unk = unknown_id(), *bad = bad_check_digit(known(0));
	struct cli *c;

	(void)state;
	/* valid but unknown: the register's 404 with its kode and melding */
	c = CLI(NULL, unk);
	H_ASSERT_INT(c->status, 1);
	H_ASSERT_STR(err_line(c), h_strf("porten person: 404 FREG-005: %s\n", melding(404, h_strf("personer/%s", unk))));
	expect_has(c->err, "personen finnes ikke");
	/* bad check digit: the register's 400 (not decided locally) */
	c = CLI(NULL, bad);
	H_ASSERT_INT(c->status, 1);
	H_ASSERT_STR(err_line(c), h_strf("porten person: 400 FREG-002: %s\n", melding(400, h_strf("personer/%s", bad))));
	expect_has(c->err, "ugyldig fødselsnummer eller d-nummer");
	/* not 11 digits: a usage error before any request */
	c = CLI(NULL, "1234567890");
	H_ASSERT_INT(c->status, 2);
	expect_has(err_line(c), "'1234567890' is not a person identifier");
	c = CLI(NULL, "0101011234x");
	H_ASSERT_INT(c->status, 2);
	/* a token the register does not accept (--token: nothing to fetch again): its 401 */
	c = CLI(NULL, known(0), "--token", "not.a.token");
	H_ASSERT_INT(c->status, 1);
	expect_has(err_line(c), "porten person: 401 ");
}

/* ---- bulkoppslag ---- */

static void
bulk_in_order_with_duplicates_and_unknowns(void **state)
{
	const char *unk = unknown_id();
	const char *in_ids[6] = { known(3), known(4), unk, known(3), known(5), known(4) };
	const char *in = h_strf("# persons to look up\n%s\n  %s  \n\n%s\r\n%s\n# more\n%s\n%s", in_ids[0], in_ids[1],
	                        in_ids[2], in_ids[3], in_ids[4], in_ids[5]);
	const char *body = h_strf("{\"foedselsEllerDNummer\":[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"]}", in_ids[0],
	                          in_ids[1], in_ids[2], in_ids[3], in_ids[4], in_ids[5]);
	struct h_resp *direct = api("POST", P_OMH "personer/bulkoppslag?somBestilt=true", SC_OMH, "application/json", body);
	struct cli *c = CLI(in, "--bulk");
	json_t *lines, *items;

	(void)state;
	H_ASSERT_INT(direct->status, 200);
	items = json_object_get(direct->json, "oppslag");
	H_ASSERT_INT(json_array_size(items), 6);
	expect_cli(c, 0);
	lines = out_lines(c);
	H_ASSERT_INT(json_array_size(lines), 6);
	for (size_t i = 0; i < 6; i++) {
		const char *l = json_string_value(json_array_get(lines, i));
		json_t *item = h_keep_json(json_loads(l, 0, NULL));

		assert_non_null(item);
		H_ASSERT_STR(H_JSTR(item, "foedselsEllerDNummer"), in_ids[i]);
		H_ASSERT_STR(canon_sorted(item), canon_sorted(json_array_get(items, i)));
		if (i == 2) {
			H_ASSERT_STR(l, h_strf("{\"foedselsEllerDNummer\":\"%s\",\"feilmelding\":"
			                       "{\"feilmelding\":\"Fant ikke person\"}}", unk));
		} else {
			assert_non_null(json_object_get(item, "folkeregisterperson"));
		}
	}
	/* --part reaches every item */
	c = CLI(h_strf("%s\n", known(3)), "--bulk", "--part", "navn");
	expect_cli(c, 0);
	{
		json_t *item = h_keep_json(json_loads(c->out, 0, NULL));
		const json_t *doc = json_object_get(item, "folkeregisterperson");
		struct h_resp *navn = api("GET", h_strf(P_OMH "personer/%s?part=navn", known(3)), SC_OMH, NULL, NULL);

		H_ASSERT_STR(canon_sorted(doc), canon_text(navn->body, navn->len));
	}
	/* nothing on stdin: nothing to do */
	c = CLI("# nothing\n\n", "--bulk");
	expect_cli(c, 0);
	H_ASSERT_INT(c->out_len, 0);
}

static void
bulk_more_than_1000_in_chunks(void **state)
{
	const json_t *k = known_ids();
	size_t nk = json_array_size(k), total = 2345;
	char *in = h_keep(calloc(total, 12) + 0);
	struct h_resp *direct;
	struct cli *c;
	json_t *lines, *body;

	(void)state;
	for (size_t i = 0; i < total; i++) {
		memcpy(in + i * 12, json_string_value(json_array_get(k, (i * 7) % nk)), 11);
		in[i * 12 + 11] = '\n';
	}
	in[total * 12 - 1] = '\0';         /* the last line without its newline */
	/* the register itself takes at most 1000 in one request */
	body = h_keep_json(json_pack("{s:[]}", "foedselsEllerDNummer"));
	for (size_t i = 0; i < 1001; i++)
		json_array_append_new(json_object_get(body, "foedselsEllerDNummer"), json_string(known(0)));
	direct = api("POST", P_OMH "personer/bulkoppslag?somBestilt=true", SC_OMH, "application/json", h_dump(body));
	H_ASSERT_INT(direct->status, 400);

	c = CLI(in, "--bulk", "--part", "identifikasjonsnummer");
	expect_cli(c, 0);
	lines = out_lines(c);
	H_ASSERT_INT(json_array_size(lines), total);
	for (size_t i = 0; i < total; i++) {
		json_t *item = h_keep_json(json_loads(json_string_value(json_array_get(lines, i)), 0, NULL));
		const char *want = json_string_value(json_array_get(k, (i * 7) % nk));

		assert_non_null(item);
		H_ASSERT_STR(H_JSTR(item, "foedselsEllerDNummer"), want);
		assert_non_null(json_object_get(item, "folkeregisterperson"));
	}
}

static void
bulk_bad_line_names_its_number(void **state)
{
	struct cli *c;

	(void)state;
	c = CLI(h_strf("%s\n# ok\n\n%s\n%sx\n%s\n", known(0), known(1), known(2), known(3)), "--bulk");
	H_ASSERT_INT(c->status, 3);
	H_ASSERT_STR(err_line(c), h_strf("porten person: stdin line 5: '%sx' is not a person identifier "
	                                 "(11 digits: fødselsnummer or d-nummer)\n", known(2)));
	c = CLI(h_strf("%s\n123\n", known(0)), "--bulk");
	H_ASSERT_INT(c->status, 3);
	expect_has(err_line(c), "stdin line 2: '123'");
	c = CLI(h_strf("%s %s\n", known(0), known(1)), "--bulk");
	H_ASSERT_INT(c->status, 3);
	expect_has(err_line(c), "stdin line 1:");
	/* a NUL byte inside a line */
	{
		char buf[24];

		memcpy(buf, known(0), 11);
		buf[11] = '\n';
		memcpy(buf + 12, "0101\0" "012345\n", 12);
		c = run_raw(buf, sizeof(buf), cred_args(), (const char *const[]){ "--bulk", NULL });
		H_ASSERT_INT(c->status, 3);
		H_ASSERT_STR(err_line(c), "porten person: stdin line 2: '0101?012345' is not a person identifier "
		             "(11 digits: fødselsnummer or d-nummer)\n");
	}
	/* a very long line */
	{
		char *lng = h_keep(malloc(5000));

		memset(lng, '1', 4999);
		lng[4999] = '\0';
		c = CLI(h_strf("%s\n%s\n", known(0), lng), "--bulk");
		H_ASSERT_INT(c->status, 3);
		expect_has(err_line(c), "stdin line 2: longer than");
	}
}

/* ---- entydigsoek and soek ---- */

static const json_t *
current(const json_t *doc, const char *ent)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(doc, ent), i, e)
		if (json_is_true(json_object_get(e, "erGjeldende")))
			return e;
	return NULL;
}

static void
entydigsoek_finds_the_person(void **state)
{
	const char *navn = NULL, *dato = NULL, *id = NULL;
	struct h_resp *direct = NULL;
	struct cli *c;
	json_t *doc;

	(void)state;
	/* a known person whose name and birth date are unique in the register */
	for (size_t i = 0; i < json_array_size(known_ids()) && id == NULL; i++) {
		const json_t *d = api_ok(h_strf("personer/%s", known(i)));
		const json_t *n = current(d, "navn"), *f = current(d, "foedsel");
		const char *fn = json_string_value(json_object_get(n, "fornavn"));
		const char *en = json_string_value(json_object_get(n, "etternavn"));
		const char *fd = json_string_value(json_object_get(f, "foedselsdato"));
		const char *sp;

		if (fn == NULL || en == NULL || fd == NULL || strlen(fd) != 10)
			continue;
		sp = strrchr(en, ' ');
		navn = h_strf("%.*s %s", (int)strcspn(fn, " "), fn, sp ? sp + 1 : en);
		dato = fd;
		direct = api("GET", h_strf(P_OMH "personer/entydigsoek?navn=%s&foedselsdato=%.4s%.2s%.2s", h_urlenc(navn),
		                           fd, fd + 5, fd + 8), SC_OMH, NULL, NULL);
		if (direct->status == 200)
			id = known(i);
	}
	if (id == NULL)
		h_fail("no known person is found by entydigsoek on name and birth date");
	/* YYYY-MM-DD as the person document writes it */
	c = CLI(NULL, "--entydigsoek", "--navn", navn, "--foedselsdato", dato);
	expect_cli(c, 0);
	H_ASSERT_INT(json_array_size(out_lines(c)), 1);
	H_ASSERT_STR(canon_text(c->out, c->out_len), canon_text(direct->body, direct->len));
	doc = h_keep_json(json_loads(c->out, 0, NULL));
	H_ASSERT_STR(json_string_value(json_object_get(current(doc, "identifikasjonsnummer"), "foedselsEllerDNummer")), id);
	/* YYYYMMDD as the API writes it, with --part */
	c = CLI(NULL, "--entydigsoek", "--navn", navn, "--foedselsdato", h_strf("%.4s%.2s%.2s", dato, dato + 5, dato + 8),
	        "--part", "identifikasjonsnummer");
	expect_cli(c, 0);
	doc = h_keep_json(json_loads(c->out, 0, NULL));
	H_ASSERT_STR(json_string_value(json_object_get(current(doc, "identifikasjonsnummer"), "foedselsEllerDNummer")), id);
	assert_null(json_object_get(doc, "navn"));
	/* no such person: the register's 404 */
	c = CLI(NULL, "--entydigsoek", "--navn", navn, "--foedselsdato", "18000101");
	H_ASSERT_INT(c->status, 1);
	H_ASSERT_STR(err_line(c), h_strf("porten person: 404 FREG-005: %s\n", melding(404,
	             h_strf("personer/entydigsoek?navn=%s&foedselsdato=18000101", h_urlenc(navn)))));
	expect_has(c->err, "søket ga ikke entydig treff");
	/* a name alone gives no right to a hit: the register's 400 */
	c = CLI(NULL, "--entydigsoek", "--navn", navn);
	H_ASSERT_INT(c->status, 1);
	expect_has(err_line(c), "porten person: 400 FREG-002: ");
	/* entydigsoek is offered to privat too: the package's view of the same person */
	{
		struct h_resp *pd = api("GET", h_strf(P_PRIV "personer/entydigsoek?navn=%s&foedselsdato=%.4s%.2s%.2s",
		                                      h_urlenc(navn), dato, dato + 5, dato + 8), SC_PRIV, NULL, NULL);

		H_ASSERT_INT(pd->status, 200);
		c = CLI(NULL, "--entydigsoek", "--package", "privat", "--navn", navn, "--foedselsdato", dato);
		expect_cli(c, 0);
		H_ASSERT_STR(canon_text(c->out, c->out_len), canon_text(pd->body, pd->len));
	}
	/* soek by the same criteria lists that identifier, one per line */
	{
		struct h_resp *sd = api("GET", h_strf(P_OMH "personer/soek?navn=%s&foedselsdato=%.4s%.2s%.2s",
		                                      h_urlenc(navn), dato, dato + 5, dato + 8), SC_OMH, NULL, NULL);
		json_t *want = json_object_get(sd->json, "foedselsEllerDNummer"), *lines;

		H_ASSERT_INT(sd->status, 200);
		c = CLI(NULL, "--soek", "--navn", navn, "--foedselsdato", dato);
		expect_cli(c, 0);
		lines = out_lines(c);
		H_ASSERT_STR(canon_sorted(lines), canon_sorted(want));
		H_ASSERT_STR(c->out, h_strf("%s\n", id));
	}
}

static void
soek_lists_identifiers(void **state)
{
	struct h_resp *sd = api("GET", P_OMH "personer/soek?foedselsaarFraOgMed=1900&maksTreff=25", SC_OMH, NULL, NULL);
	struct cli *c, *list;
	json_t *lines;

	(void)state;
	H_ASSERT_INT(sd->status, 200);
	c = list = CLI(NULL, "--soek", "--foedselsaarFraOgMed", "1900", "--maksTreff", "25");
	expect_cli(c, 0);
	lines = out_lines(c);
	H_ASSERT_INT(json_array_size(lines), 25);
	H_ASSERT_STR(canon_sorted(lines), canon_sorted(json_object_get(sd->json, "foedselsEllerDNummer")));
	/* the register's refusal of a bad criterion */
	c = CLI(NULL, "--soek", "--kjoenn", "ukjent");
	H_ASSERT_INT(c->status, 1);
	expect_has(err_line(c), "porten person: 400 FREG-002: ");
	/* the output feeds --bulk */
	{
		struct cli *b = CLI(list->out, "--bulk", "--part", "identifikasjonsnummer");

		expect_cli(b, 0);
		H_ASSERT_INT(json_array_size(out_lines(b)), 25);
	}
}

/* ---- packages, sandbox, servers ---- */

/* A sandbox.json naming the consumer's key client and packages (harness-owned path). */
static const char *
sandbox_file(const char *packages_json, const char *freg_url)
{
	const char *path = h_strf("%s/sandbox-%d.json", h_tmpdir(), rand());
	json_t *sb = json_pack("{s:s,s:s,s:s,s:[{s:s,s:s,s:o,s:{s:s,s:s,s:s}}]}", "authz_url", az->url,
	                       "freg_url", freg_url, "issuer", H_ISSUER, "consumers", "name", "Test",
	                       "orgno", ORG_C, "packages", json_loads(packages_json, 0, NULL), "key_client",
	                       "client_id", cons->client_id, "kid", cons->key->kid, "private_key", keypem);

	assert_non_null(sb);
	assert_int_equal(json_dump_file(sb, path, 0), 0);
	json_decref(sb);
	return path;
}

static struct cli *
sandbox_run(const char *sandbox, const char *in, const char *const *args)
{
	const char *base[] = { "--sandbox", sandbox, "--client", "key", "--no-cache", NULL };

	return run_raw(in, in ? strlen(in) : 0, base, args);
}

static void
package_default_and_refusal(void **state)
{
	const char *id = known(0);
	struct h_resp *omh = api("GET", h_strf(P_OMH "personer/%s", id), SC_OMH, NULL, NULL);
	const char *both = sandbox_file("[\"privat\", \"offentligmedhjemmel\"]", fr->url);
	const char *priv = sandbox_file("[\"privat\"]", fr->url);
	struct cli *c;

	(void)state;
	/* the first of the consumer's packages that has personer/{id}: offentligmedhjemmel */
	c = sandbox_run(both, NULL, (const char *const[]){ id, NULL });
	expect_cli(c, 0);
	H_ASSERT_STR(c->out, h_strf("%s\n", omh->body));
	/* a consumer with privat only: one local line, exit 2, no request made */
	c = sandbox_run(priv, NULL, (const char *const[]){ id, NULL });
	H_ASSERT_INT(c->status, 2);
	H_ASSERT_STR(err_line(c), "porten person: the package privat has no personer/{id}; packages that have it: "
	             "offentligmedhjemmel, offentligutenhjemmel, privatutenhjemmel, finans, utstedereid "
	             "(choose one with --package)\n");
	c = CLI(h_strf("%s\n", id), "--bulk", "--package", "privat");
	H_ASSERT_INT(c->status, 2);
	expect_has(err_line(c), "the package privat has no personer/bulkoppslag");
	c = CLI(NULL, "--soek", "--navn", "Ola", "--package", "presse");
	H_ASSERT_INT(c->status, 2);
	expect_has(err_line(c), "the package presse has no personer/soek");
	/* ... and it holds for a register that is not even running: nothing was asked */
	c = sandbox_run(sandbox_file("[\"privat\"]", "http://127.0.0.1:1/"), NULL, (const char *const[]){ id, NULL });
	H_ASSERT_INT(c->status, 2);
	/* a package the organisation does not hold: the register's 403 */
	c = CLI(NULL, id, "--package", "offentligutenhjemmel");
	H_ASSERT_INT(c->status, 1);
	expect_has(err_line(c), "porten person: 403 FREG-004: ");
	/* a scope the client does not have: Maskinporten's refusal */
	c = CLI(NULL, id, "--package", "finans");
	H_ASSERT_INT(c->status, 1);
	expect_has(err_line(c), "porten person: 400 invalid_scope");
	/* an unknown package name */
	c = CLI(NULL, id, "--package", "offentlig");
	H_ASSERT_INT(c->status, 2);
	expect_has(err_line(c), "unknown package 'offentlig'");
	/* no package known at all: flags without --package */
	{
		const char *base[] = { "--authz", az->url, "--freg", fr->url, "--client-id", cons->client_id,
		                       "--key", keypem, "--kid", cons->key->kid, "--no-cache", NULL };

		c = run_raw(NULL, 0, base, (const char *const[]){ id, NULL });
		H_ASSERT_INT(c->status, 2);
		expect_has(err_line(c), "no package: give --package NAME");
	}
}

static void
usage_errors(void **state)
{
	struct cli *c;

	(void)state;
	c = CLI(NULL, "--part", "navn");
	H_ASSERT_INT(c->status, 2);
	expect_has(err_line(c), "give an identifier (11 digits), --bulk, --entydigsoek or --soek");
	c = CLI(NULL, known(0), "--bulk");
	H_ASSERT_INT(c->status, 2);
	c = CLI(NULL, known(0), known(1));
	H_ASSERT_INT(c->status, 2);
	c = CLI(NULL, known(0), "--navn", "Ola Nordmann");
	H_ASSERT_INT(c->status, 2);
	expect_has(err_line(c), "--navn is a search criterion");
	c = CLI(NULL, "--entydigsoek", "--navn", "Ola Nordmann", "--kjoenn", "mann");
	H_ASSERT_INT(c->status, 2);
	expect_has(err_line(c), "--kjoenn is not a criterion of --entydigsoek");
	c = CLI(NULL, "--bulk", "--xml");
	H_ASSERT_INT(c->status, 2);
	c = run_raw(NULL, 0, NULL, (const char *const[]){ "--help", NULL });
	expect_cli(c, 0);
	expect_has(c->out, "--entydigsoek");
	expect_has(c->out, "--maksTreff N");
}

static void
unreachable_is_4(void **state)
{
	const char *base[] = { "--authz", az->url, "--freg", "http://127.0.0.1:1/", "--client-id", cons->client_id,
	                       "--key", keypem, "--kid", cons->key->kid, "--no-cache", NULL };
	const char *base2[] = { "--authz", "http://127.0.0.1:1/", "--freg", fr->url, "--client-id", cons->client_id,
	                        "--key", keypem, "--kid", cons->key->kid, "--no-cache", "--package",
	                        "offentligmedhjemmel", NULL };
	struct cli *c;

	(void)state;
	c = run_raw(NULL, 0, base, (const char *const[]){ known(0), "--package", "offentligmedhjemmel", NULL });
	H_ASSERT_INT(c->status, 4);
	expect_has(err_line(c), "127.0.0.1:1");
	c = run_raw(h_strf("%s\n", known(0)), 12, base, (const char *const[]){ "--bulk", "--package", "offentligmedhjemmel", NULL });
	H_ASSERT_INT(c->status, 4);
	/* the authorization server down */
	c = run_raw(NULL, 0, base2, (const char *const[]){ known(0), NULL });
	H_ASSERT_INT(c->status, 4);
	err_line(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookup_equals_the_api),
		cmocka_unit_test(part_changes_the_document),
		cmocka_unit_test(xml_as_the_api_gives_it),
		cmocka_unit_test(register_errors_are_one_line),
		cmocka_unit_test(bulk_in_order_with_duplicates_and_unknowns),
		cmocka_unit_test(bulk_more_than_1000_in_chunks),
		cmocka_unit_test(bulk_bad_line_names_its_number),
		cmocka_unit_test(entydigsoek_finds_the_person),
		cmocka_unit_test(soek_lists_identifiers),
		cmocka_unit_test(package_default_and_refusal),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(unreachable_is_4),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
