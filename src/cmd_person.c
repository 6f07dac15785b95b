/* porten person: person lookups against the register as a consumer (docs/person.md;
 * spec/folkeregisteret.md 3).
 *
 *   porten person [options] ID [--part P]...          GET personer/{ID}
 *   porten person --bulk [--part P]... < ids          POST personer/bulkoppslag, 1000 a time
 *   porten person --entydigsoek --navn N --foedselsdato D ...   GET personer/entydigsoek
 *   porten person --soek [criteria] [--maksTreff N]   GET personer/soek
 *
 * The package is --package, or the first package of the sandbox consumer that offers the
 * resource; the token is for that package's scope, fetched again once after a 401. The
 * register decides whether an identifier is valid (it knows production from synthetic
 * numbers); porten person only checks that it is 11 digits. Exit status: 0 done, 1 refused
 * by the register (its status, kode and melding on one line), 2 usage (also: a package
 * without the resource), 3 a bad line on stdin or a bad file, 4 a server unreachable. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "consumer.h"
#include "opts.h"
#include "porten/buf.h"
#include "porten/client.h"
#include "porten/error.h"
#include "porten/freg.h"
#include "porten/limits.h"

#define PROG "porten person"
#define URL_MAX (PORTEN_HTTP_PATH_MAX + PORTEN_HTTP_QUERY_MAX)
#define PID_LEN 11
#define BULK_CHUNK PORTEN_FREG_BULK_IDS_MAX /* the register's limit per bulkoppslag */
#define BULK_INPUT_MAX 10000000             /* identifiers read from stdin in one run */
#define LINE_MAX_BYTES 256                  /* one line of stdin (an id, blanks or a comment) */
#define ARGV_MAX 256                        /* command-line words */

struct person_opts {
	struct consumer_opts c;
	const char *package;
	int bulk, entydigsoek, soek, xml, pretty;
	struct opt_list part;
	/* search criteria, named as the API's query parameters */
	const char *navn, *identifikasjonsnummer, *foedselsdato, *kjoenn, *aar_fom, *aar_tom;
	const char *adressenavn, *husnummer, *postnummer, *kommunenummer, *fylkesnummer;
	const char *utenlandsk, *legitimasjonsdokument, *duf, *opplysningsgrunnlag, *maks;
	int fonetisk, inkluder_doede, inkluder_opphold;
};

#define O(f) offsetof(struct person_opts, f)
/* A command option that never comes from the environment. */
#define A(name, arg, type, f, help) { name, arg, type, O(f), help, 0, 1 }

static const struct opt person_opts[] = {
	A("bulk", NULL, OPT_FLAG, bulk, "look up the identifiers on stdin (one per line) with bulkoppslag"),
	A("entydigsoek", NULL, OPT_FLAG, entydigsoek, "find the one person matching the criteria below"),
	A("soek", NULL, OPT_FLAG, soek, "list the identifiers of everyone matching the criteria below"),
	{ "package", "NAME", OPT_STRING, O(package), "rights package, e.g. offentligmedhjemmel (default: the sandbox consumer's)", 0, 0 },
	A("part", "P", OPT_LIST, part, "data minimisation: an alias (person-basis, historikk, ...) or a property name"),
	A("pretty", NULL, OPT_FLAG, pretty, "indent JSON documents (default: one line each)"),
	A("xml", NULL, OPT_FLAG, xml, "ask for XML (Accept: application/xml) and print it as it comes"),
	/* criteria */
	A("navn", "NAVN", OPT_STRING, navn, "name: first word in the first name, last word in the surname"),
	A("foedselsdato", "DATE", OPT_STRING, foedselsdato, "birth date, YYYYMMDD or YYYY-MM-DD"),
	A("identifikasjonsnummer", "ID", OPT_STRING, identifikasjonsnummer, "a current or former identifier (entydigsoek)"),
	A("adressenavn", "TEXT", OPT_STRING, adressenavn, "street name, or its first three letters or more"),
	A("husnummer", "N", OPT_STRING, husnummer, "house number with its letter, if any (10, 10B)"),
	A("postnummer", "NNNN", OPT_STRING, postnummer, "postal code"),
	A("kjoenn", "K", OPT_STRING, kjoenn, "mann or kvinne (soek)"),
	A("foedselsaarFraOgMed", "YYYY", OPT_STRING, aar_fom, "born in or after this year (soek)"),
	A("foedselsaarTilOgMed", "YYYY", OPT_STRING, aar_tom, "born in or before this year (soek)"),
	A("kommunenummer", "NNNN", OPT_STRING, kommunenummer, "municipality of the address (soek)"),
	A("fylkesnummer", "NN", OPT_STRING, fylkesnummer, "county of the address (soek)"),
	A("utenlandskpersonidentifikasjon", "ID", OPT_STRING, utenlandsk, "foreign identifier, e.g. AFG-1458-4555 (entydigsoek)"),
	A("legitimasjonsdokument", "DOC", OPT_STRING, legitimasjonsdokument, "identity document, e.g. IRL-195509132386 (entydigsoek)"),
	A("utlendingsmyndighetenesidentifikasjonsnummer", "DUF", OPT_STRING, duf, "DUF number (entydigsoek)"),
	A("opplysningsgrunnlag", "G", OPT_STRING, opplysningsgrunnlag, "gjeldende (default) or historisk: match former names and addresses too"),
	A("soekFonetisk", NULL, OPT_FLAG, fonetisk, "match names by how they sound"),
	A("inkluderDoede", NULL, OPT_FLAG, inkluder_doede, "include the dead (soek)"),
	A("inkluderOppholdsadresse", NULL, OPT_FLAG, inkluder_opphold, "match the oppholdsadresse too (soek)"),
	A("maksTreff", "N", OPT_STRING, maks, "at most N identifiers, 1..10000 (soek)"),
	CONSUMER_OPTS(struct person_opts, c),
};

#define NOPTS(a) (sizeof(a) / sizeof((a)[0]))

static const struct opt_cmd person_cmd = {
	"person",
	"[options] ID [--part P]...\n"
	"       porten person --bulk [--part P]... < identifiers\n"
	"       porten person --entydigsoek --navn NAVN (--foedselsdato D | --postnummer N | ...)\n"
	"       porten person --soek [criteria] [--maksTreff N]",
	"Looks persons up in the register as a consumer: one person by fødselsnummer or\n"
	"d-nummer (personer/{id}), many from stdin (personer/bulkoppslag with somBestilt=true:\n"
	"one JSON line per identifier, in input order, unknown ones with their feilmelding),\n"
	"the one person matching search criteria (personer/entydigsoek), or the identifiers\n"
	"of all who match (personer/soek, one per line, ready for --bulk). The criteria flags\n"
	"are the API's query parameters. Documents print as one JSON line each.",
	person_opts,
	NOPTS(person_opts),
	"\nThe package decides the URL and the token's scope; personer/{id}, bulkoppslag and soek\n"
	"are not offered to privat, presse and the two ...utenfolkeregisteridentifikator\n"
	"packages (entydigsoek is). Connection options may also be set as PORTEN_<OPTION>, e.g.\n"
	"PORTEN_SANDBOX=/tmp/sb/sandbox.json, and --package; the modes, criteria and the rest may not.\n"
	"Exit status: 0 done, 1 refused by the register (status, kode and melding on one line),\n"
	"2 usage or a package without the resource, 3 a bad line on stdin or a bad file,\n"
	"4 a server unreachable. More: docs/person.md.\n",
};

/* ---- search criteria ---- */

enum { M_ENTYDIG = 1, M_SOEK = 2 };

static const struct criterion {
	const char *name;        /* query parameter and option name */
	size_t offset;
	int flag;                /* an OPT_FLAG sent as =true */
	unsigned modes;
} criteria[] = {
	{ "navn", O(navn), 0, M_ENTYDIG | M_SOEK },
	{ "identifikasjonsnummer", O(identifikasjonsnummer), 0, M_ENTYDIG },
	{ "foedselsdato", O(foedselsdato), 0, M_ENTYDIG | M_SOEK },
	{ "kjoenn", O(kjoenn), 0, M_SOEK },
	{ "foedselsaarFraOgMed", O(aar_fom), 0, M_SOEK },
	{ "foedselsaarTilOgMed", O(aar_tom), 0, M_SOEK },
	{ "adressenavn", O(adressenavn), 0, M_ENTYDIG | M_SOEK },
	{ "husnummer", O(husnummer), 0, M_ENTYDIG | M_SOEK },
	{ "postnummer", O(postnummer), 0, M_ENTYDIG | M_SOEK },
	{ "kommunenummer", O(kommunenummer), 0, M_SOEK },
	{ "fylkesnummer", O(fylkesnummer), 0, M_SOEK },
	{ "utenlandskpersonidentifikasjon", O(utenlandsk), 0, M_ENTYDIG },
	{ "legitimasjonsdokument", O(legitimasjonsdokument), 0, M_ENTYDIG },
	{ "utlendingsmyndighetenesidentifikasjonsnummer", O(duf), 0, M_ENTYDIG },
	{ "opplysningsgrunnlag", O(opplysningsgrunnlag), 0, M_ENTYDIG | M_SOEK },
	{ "soekFonetisk", O(fonetisk), 1, M_ENTYDIG | M_SOEK },
	{ "inkluderDoede", O(inkluder_doede), 1, M_SOEK },
	{ "inkluderOppholdsadresse", O(inkluder_opphold), 1, M_SOEK },
	{ "maksTreff", O(maks), 0, M_SOEK },
};

/* The value of criterion k in o: a string, "true" for a set flag, or NULL when absent. */
static const char *
criterion_value(const struct person_opts *o, const struct criterion *k)
{
	const char *p = (const char *)o + k->offset;

	if (k->flag)
		return *(const int *)(const void *)p ? "true" : NULL;
	return *(const char *const *)(const void *)p;
}

/* ---- one run ---- */

struct person {
	struct person_opts o;
	struct consumer c;
	const struct freg_pkg_info *pkg;
	const char *scope;
	char *token;
	char birth[9];           /* --foedselsdato YYYY-MM-DD as YYYYMMDD */
};

static int
usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'porten person --help'\n");
	return PORTEN_EXIT_USAGE;
}

/* 11 digits (s need not be NUL-terminated). */
static int
is_pid(const char *s, size_t n)
{
	if (n != PID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The package for resource bit res: --package, else the first of the sandbox consumer's
 * packages that offers it, else its first. 0 or an exit status (line printed). */
static int
pick_package(struct person *p, unsigned res, const char *what)
{
	const char *name = p->o.package;
	int k;

	if (name == NULL && p->c.entry != NULL) {
		const json_t *list = json_object_get(p->c.entry, "packages"), *v;
		size_t i;

		json_array_foreach(list, i, v) {
			k = freg_pkg_by_name(json_string_value(v));
			if (k >= 0 && (freg_pkg((enum freg_pkg)k)->resources & res)) {
				name = json_string_value(v);
				break;
			}
		}
		if (name == NULL)
			name = consumer_package(&p->c);
	}
	if (name == NULL)
		return usage("no package: give --package NAME (e.g. offentligmedhjemmel), or --sandbox "
		             "FILE whose consumer holds one");
	if ((k = freg_pkg_by_name(name)) < 0) {
		char names[512];

		consumer_package_names(names, sizeof(names), 0, NULL);
		return usage("unknown package '%s' (%s)", name, names);
	}
	p->pkg = freg_pkg((enum freg_pkg)k);
	if (!(p->pkg->resources & res)) {
		char offered[512];

		consumer_package_names(offered, sizeof(offered), res, NULL);
		return consumer_fail(&p->c, PORTEN_EXIT_USAGE, "the package %s has no %s; packages that "
		                     "have it: %s (choose one with --package)", p->pkg->name, what, offered);
	}
	p->scope = consumer_package_scope(&p->c, p->pkg->name);
	if (p->scope == NULL)
		return consumer_fail(&p->c, PORTEN_EXIT_USAGE, "no scope known for the package %s", p->pkg->name);
	return 0;
}

/* The URL of resource (e.g. "personer/bulkoppslag") of the package into u. */
static int
url_start(struct person *p, struct porten_buf *u, const char *resource)
{
	porten_buf_init(u, URL_MAX);
	if (porten_url_join(u, p->c.freg_url, p->pkg->path) != 0 || porten_buf_appends(u, resource) != 0)
		return usage("the register URL is longer than %d bytes", URL_MAX);
	return 0;
}

static int
url_query(struct porten_buf *u, const char *name, const char *value)
{
	if (porten_url_add_query(u, name, value) != 0)
		return usage("the query is longer than %d bytes", URL_MAX);
	return 0;
}

static int
url_parts(struct person *p, struct porten_buf *u)
{
	int rc;

	for (size_t i = 0; i < p->o.part.n; i++)
		if ((rc = url_query(u, "part", p->o.part.v[i])) != 0)
			return rc;
	return 0;
}

/* One request with the package's token; a 401 drops the token and tries once more with a
 * fresh one. On success resp holds a 2xx answer; otherwise the line is printed and resp
 * is empty. Returns an exit status. */
static int
exchange(struct person *p, const struct porten_client_request *tmpl, struct porten_client_response *resp)
{
	struct porten_client_problem prob;
	int r;

	memset(resp, 0, sizeof(*resp));
	if ((r = consumer_request(&p->c, p->scope, &p->token, NULL, NULL, 0, tmpl, resp)) != 0)
		return r;
	if (resp->status < 200 || resp->status > 299) {
		porten_client_problem_from(resp, &prob);
		porten_client_response_clear(resp);
		return consumer_refused(&p->c, &prob);
	}
	return 0;
}

/* A JSON value of the register's answer (the whole body must be one JSON value). */
static int
answer_json(struct person *p, const struct porten_client_response *resp, json_t **out)
{
	json_error_t e;

	*out = json_loadb(resp->body, resp->body_len, 0, &e);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return consumer_fail(&p->c, PORTEN_EXIT_FAILURE, "the register answered %ld with %s that is "
		                     "not a JSON object: %s", resp->status,
		                     resp->content_type ? resp->content_type : "a body", e.text);
	}
	return 0;
}

static void
print_json(const struct person *p, const json_t *v)
{
	json_dumpf(v, stdout, p->o.pretty ? JSON_INDENT(2) | JSON_PRESERVE_ORDER :
	                                    JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
}

/* Prints a document answer: XML as it came, JSON as one line (or indented). */
static int
print_document(struct person *p, const struct porten_client_response *resp)
{
	json_t *doc;
	int rc;

	if (p->o.xml) {
		fwrite(resp->body, 1, resp->body_len, stdout);
		if (resp->body_len == 0 || resp->body[resp->body_len - 1] != '\n')
			fputc('\n', stdout);
		return 0;
	}
	if ((rc = answer_json(p, resp, &doc)) != 0)
		return rc;
	print_json(p, doc);
	json_decref(doc);
	return 0;
}

/* GET url, printing the document. Takes u. */
static int
get_document(struct person *p, struct porten_buf *u)
{
	struct porten_client_request req = { 0 };
	struct porten_client_response resp;
	int rc;

	req.method = "GET";
	req.url = u->data;
	req.accept = p->o.xml ? "application/xml" : "application/json";
	if ((rc = exchange(p, &req, &resp)) == 0)
		rc = print_document(p, &resp);
	porten_client_response_clear(&resp);
	porten_buf_release(u);
	return rc;
}

/* ---- personer/{id} ---- */

static int
run_lookup(struct person *p, const char *id)
{
	struct porten_buf u;
	int rc;

	porten_buf_init(&u, URL_MAX);
	if ((rc = pick_package(p, FREG_RES_PERSON, "personer/{id}")) != 0 ||
	    (rc = url_start(p, &u, "personer/")) != 0)
		goto fail;
	if (porten_url_append_escaped(&u, id) != 0) {
		rc = usage("the identifier makes the URL longer than %d bytes", URL_MAX);
		goto fail;
	}
	if ((rc = url_parts(p, &u)) != 0)
		goto fail;
	return get_document(p, &u);
fail:
	porten_buf_release(&u);
	return rc;
}

/* ---- entydigsoek and soek ---- */

static int
search_query(struct person *p, struct porten_buf *u, unsigned mode)
{
	int rc;

	for (size_t i = 0; i < NOPTS(criteria); i++) {
		const char *v = criterion_value(&p->o, &criteria[i]);

		if (v == NULL || !(criteria[i].modes & mode))
			continue;
		if (criteria[i].offset == O(foedselsdato) && p->birth[0] != '\0')
			v = p->birth;
		if ((rc = url_query(u, criteria[i].name, v)) != 0)
			return rc;
	}
	return 0;
}

static int
run_entydigsoek(struct person *p)
{
	struct porten_buf u;
	int rc;

	if ((rc = pick_package(p, FREG_RES_ENTYDIGSOEK, "personer/entydigsoek")) != 0)
		return rc;
	if ((rc = url_start(p, &u, "personer/entydigsoek")) != 0 || (rc = search_query(p, &u, M_ENTYDIG)) != 0 ||
	    (rc = url_parts(p, &u)) != 0) {
		porten_buf_release(&u);
		return rc;
	}
	return get_document(p, &u);
}

static int
run_soek(struct person *p)
{
	struct porten_client_request req = { 0 };
	struct porten_client_response resp = { 0 };
	struct porten_buf u;
	json_t *doc = NULL, *list, *v;
	size_t i;
	int rc;

	if ((rc = pick_package(p, FREG_RES_SOEK, "personer/soek")) != 0)
		return rc;
	if ((rc = url_start(p, &u, "personer/soek")) != 0 || (rc = search_query(p, &u, M_SOEK)) != 0)
		goto out;
	req.method = "GET";
	req.url = u.data;
	req.accept = p->o.xml ? "application/xml" : "application/json";
	if ((rc = exchange(p, &req, &resp)) != 0)
		goto out;
	if (p->o.xml) {
		rc = print_document(p, &resp);
		goto out;
	}
	if ((rc = answer_json(p, &resp, &doc)) != 0)
		goto out;
	list = json_object_get(doc, "foedselsEllerDNummer");
	if (!json_is_array(list)) {
		rc = consumer_fail(&p->c, PORTEN_EXIT_FAILURE, "the register's soek answer has no "
		                   "foedselsEllerDNummer list");
		goto out;
	}
	json_array_foreach(list, i, v)
		if (json_is_string(v))
			printf("%s\n", json_string_value(v));
	rc = 0;
out:
	json_decref(doc);
	porten_client_response_clear(&resp);
	porten_buf_release(&u);
	return rc;
}

/* ---- bulkoppslag ---- */

struct idlist {
	char (*v)[PID_LEN + 1];
	size_t n, cap;
};

/* A line shown in an error message: at most 40 bytes, control characters as '?'. */
static void
shown(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 40 && i + 1 < dstsz; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	dst[i] = '\0';
	if (n > 40 && dstsz > 44)
		strcat(dst, "...");
}

/* Appends id (PID_LEN digits) to ids. 0 or an exit status. */
static int
idlist_add(struct person *p, struct idlist *ids, const char *id)
{
	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 1024;
		void *nv;

		if (ids->n >= BULK_INPUT_MAX)
			return consumer_fail(&p->c, PORTEN_EXIT_CONFIG, "stdin holds more than %d identifiers; "
			                     "split the input", BULK_INPUT_MAX);
		if (cap > BULK_INPUT_MAX)
			cap = BULK_INPUT_MAX;
		if ((nv = realloc(ids->v, cap * sizeof(*ids->v))) == NULL)
			return consumer_fail(&p->c, PORTEN_EXIT_FAILURE, "out of memory");
		ids->v = nv;
		ids->cap = cap;
	}
	memcpy(ids->v[ids->n], id, PID_LEN);
	ids->v[ids->n][PID_LEN] = '\0';
	ids->n++;
	return 0;
}

/* One line of f into line (at most LINE_MAX_BYTES bytes, the newline dropped): its length,
 * -1 at the end of f, -2 when it is longer (the rest of it is skipped). */
static long
read_line(FILE *f, char *line)
{
	long n = 0;
	int ch, any = 0;

	while ((ch = getc(f)) != EOF) {
		any = 1;
		if (ch == '\n')
			return n < 0 ? -2 : n;
		if (n >= 0 && n < LINE_MAX_BYTES)
			line[n++] = (char)ch;
		else
			n = -1;
	}
	if (!any)
		return -1;
	return n < 0 ? -2 : n;
}

/* Reads identifiers from f: one per line, blanks around them ignored, empty lines and
 * lines starting with '#' skipped. All lines are checked before any request is made.
 * 0 or an exit status (3 naming the line). */
static int
read_ids(struct person *p, FILE *f, struct idlist *ids)
{
	char line[LINE_MAX_BYTES], show[48];
	unsigned long lineno = 0;
	long len;
	int rc;

	while ((len = read_line(f, line)) != -1) {
		size_t n = len > 0 ? (size_t)len : 0;
		const char *s = line;

		lineno++;
		if (len == -2)
			return consumer_fail(&p->c, PORTEN_EXIT_CONFIG, "stdin line %lu: longer than %d bytes; "
			                     "give one identifier (11 digits) per line", lineno, LINE_MAX_BYTES);
		while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
			n--;
		while (n > 0 && (*s == ' ' || *s == '\t'))
			s++, n--;
		if (n == 0 || *s == '#')
			continue;
		if (!is_pid(s, n)) {
			shown(show, sizeof(show), s, n);
			return consumer_fail(&p->c, PORTEN_EXIT_CONFIG, "stdin line %lu: '%s' is not a person "
			                     "identifier (11 digits: fødselsnummer or d-nummer)", lineno, show);
		}
		if ((rc = idlist_add(p, ids, s)) != 0)
			return rc;
	}
	if (ferror(f))
		return consumer_fail(&p->c, PORTEN_EXIT_CONFIG, "cannot read stdin");
	return 0;
}

/* POST one chunk of ids and print its oppslag items in order. */
static int
bulk_chunk(struct person *p, const char *url, const struct idlist *ids, size_t from, size_t n)
{
	struct porten_client_request req = { 0 };
	struct porten_client_response resp = { 0 };
	json_t *body = json_object(), *arr = json_array(), *doc = NULL, *list, *item;
	char *text = NULL;
	size_t i;
	int rc = PORTEN_EXIT_FAILURE;

	if (body == NULL || arr == NULL || json_object_set(body, "foedselsEllerDNummer", arr) != 0) {
		rc = consumer_fail(&p->c, PORTEN_EXIT_FAILURE, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (json_array_append_new(arr, json_string(ids->v[from + i])) != 0) {
			rc = consumer_fail(&p->c, PORTEN_EXIT_FAILURE, "out of memory");
			goto out;
		}
	if ((text = json_dumps(body, JSON_COMPACT)) == NULL) {
		rc = consumer_fail(&p->c, PORTEN_EXIT_FAILURE, "out of memory");
		goto out;
	}
	req.method = "POST";
	req.url = url;
	req.accept = "application/json";
	req.content_type = "application/json";
	req.body = text;
	req.body_len = strlen(text);
	if ((rc = exchange(p, &req, &resp)) != 0 || (rc = answer_json(p, &resp, &doc)) != 0)
		goto out;
	list = json_object_get(doc, "oppslag");
	if (!json_is_array(list) || json_array_size(list) != n) {
		rc = consumer_fail(&p->c, PORTEN_EXIT_FAILURE, "the register answered %zu oppslag items for %zu "
		                   "identifiers (with somBestilt=true there is one per identifier)",
		                   json_is_array(list) ? json_array_size(list) : 0, n);
		goto out;
	}
	json_array_foreach(list, i, item) {
		const char *id = json_string_value(json_object_get(item, "foedselsEllerDNummer"));

		if (id == NULL || strcmp(id, ids->v[from + i]) != 0) {
			rc = consumer_fail(&p->c, PORTEN_EXIT_FAILURE, "oppslag item %zu of the register's answer is "
			                   "for %s, not for %s: the order was not kept", from + i + 1,
			                   id ? id : "no identifier", ids->v[from + i]);
			goto out;
		}
		print_json(p, item);
	}
	rc = 0;
out:
	json_decref(doc);
	json_decref(arr);
	json_decref(body);
	free(text);
	porten_client_response_clear(&resp);
	return rc;
}

static int
run_bulk(struct person *p)
{
	struct idlist ids = { 0 };
	struct porten_buf u;
	int progress, rc;

	porten_buf_init(&u, URL_MAX);
	if ((rc = pick_package(p, FREG_RES_PERSON_BULK, "personer/bulkoppslag")) != 0)
		goto out;
	if ((rc = url_start(p, &u, "personer/bulkoppslag")) != 0 || (rc = url_query(&u, "somBestilt", "true")) != 0 ||
	    (rc = url_parts(p, &u)) != 0)
		goto out;
	if (isatty(STDIN_FILENO))
		fprintf(stderr, PROG ": reading identifiers from stdin, one per line; end with Ctrl-D\n");
	if ((rc = read_ids(p, stdin, &ids)) != 0)
		goto out;
	progress = isatty(STDERR_FILENO) && ids.n > BULK_CHUNK;
	for (size_t from = 0; from < ids.n; from += BULK_CHUNK) {
		size_t n = ids.n - from < BULK_CHUNK ? ids.n - from : BULK_CHUNK;

		if ((rc = bulk_chunk(p, u.data, &ids, from, n)) != 0)
			goto out;
		if (progress)
			fprintf(stderr, "\r" PROG ": %zu of %zu identifiers", from + n, ids.n);
	}
	if (progress)
		fputc('\n', stderr);
	rc = 0;
out:
	free(ids.v);
	porten_buf_release(&u);
	return rc;
}

/* ---- the command ---- */

/* Moves positional words out of argv (those that are neither an option of the table nor
 * an option's value) into *pos; "--" ends the options. Returns the new argc. */
static int
split_positional(int argc, char **argv, char **out, const char **pos, size_t *npos, size_t posmax)
{
	int outc = 0, rest = 0;

	out[outc++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!rest && strcmp(a, "--") == 0) {
			rest = 1;
			continue;
		}
		if (!rest && strncmp(a, "--", 2) == 0) {
			size_t n = strcspn(a + 2, "=");

			out[outc++] = argv[i];
			for (size_t k = 0; k < NOPTS(person_opts); k++) {
				const struct opt *o = &person_opts[k];

				if (strlen(o->name) == n && strncmp(o->name, a + 2, n) == 0 && o->type != OPT_FLAG &&
				    a[2 + n] != '=' && i + 1 < argc) {
					out[outc++] = argv[++i];
					break;
				}
			}
			continue;
		}
		if (!rest && a[0] == '-' && a[1] != '\0') {     /* -h, or an error opts_parse reports */
			out[outc++] = argv[i];
			continue;
		}
		if (*npos < posmax)
			pos[*npos] = a;
		(*npos)++;
	}
	out[outc] = NULL;
	return outc;
}

/* Checks the combination of mode, criteria and output flags. 0 or an exit status. */
static int
check_usage(struct person *p, const char *id, size_t npos)
{
	const struct person_opts *o = &p->o;
	unsigned mode = o->entydigsoek ? M_ENTYDIG : o->soek ? M_SOEK : 0;
	int modes = (npos > 0) + o->bulk + o->entydigsoek + o->soek;
	const char *f = o->foedselsdato;

	if (npos > 1)
		return usage("one identifier at a time; look many up with --bulk (one per line on stdin)");
	if (modes == 0)
		return usage("give an identifier (11 digits), --bulk, --entydigsoek or --soek");
	if (modes > 1)
		return usage("give only one of: an identifier, --bulk, --entydigsoek, --soek");
	if (id != NULL && !is_pid(id, strlen(id)))
		return usage("'%s' is not a person identifier: 11 digits, a fødselsnummer or d-nummer", id);
	for (size_t i = 0; i < NOPTS(criteria); i++) {
		if (criterion_value(o, &criteria[i]) == NULL || (criteria[i].modes & mode))
			continue;
		if (mode == 0)
			return usage("--%s is a search criterion: use it with --entydigsoek or --soek", criteria[i].name);
		return usage("--%s is not a criterion of %s", criteria[i].name,
		             mode == M_ENTYDIG ? "--entydigsoek" : "--soek");
	}
	if (o->soek && o->part.n > 0)
		return usage("--part selects what a person document holds; --soek returns identifiers only");
	if (o->soek && o->pretty)
		return usage("--pretty indents person documents; --soek prints identifiers, one per line");
	if (o->bulk && o->xml)
		return usage("--bulk prints one JSON line per identifier; --xml is for one document");
	if (o->xml && o->pretty)
		return usage("--pretty indents JSON; --xml prints the XML as it comes");
	if (f != NULL && strlen(f) == 10 && f[4] == '-' && f[7] == '-' && strspn(f, "0123456789") == 4 &&
	    strspn(f + 5, "0123456789") == 2 && strspn(f + 8, "0123456789") == 2) {
		memcpy(p->birth, f, 4);
		memcpy(p->birth + 4, f + 5, 2);
		memcpy(p->birth + 6, f + 8, 2);
		p->birth[8] = '\0';
	}
	return 0;
}

int
cmd_person(int argc, char **argv)
{
	struct person *p = NULL;
	char *args[ARGV_MAX + 1];
	const char *pos[2] = { NULL, NULL };
	size_t npos = 0;
	int rc, r, n;

	if (argc > ARGV_MAX)
		return usage("more than %d arguments", ARGV_MAX - 1);
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return PORTEN_EXIT_FAILURE;
	}
	n = split_positional(argc, argv, args, pos, &npos, 2);
	r = opts_parse(&person_cmd, &p->o, n, args);
	if (r != 0) {
		rc = r > 0 ? PORTEN_EXIT_OK : PORTEN_EXIT_USAGE;
		goto out_free;
	}
	if ((rc = check_usage(p, pos[0], npos)) != 0)
		goto out_free;
	if ((rc = consumer_setup(&p->c, PROG, &p->o.c, CONSUMER_NEED_AUTHZ | CONSUMER_NEED_FREG)) != 0)
		goto out;
	if (p->o.bulk)
		rc = run_bulk(p);
	else if (p->o.entydigsoek)
		rc = run_entydigsoek(p);
	else if (p->o.soek)
		rc = run_soek(p);
	else
		rc = run_lookup(p, pos[0]);
	if (fflush(stdout) != 0 && rc == 0)
		rc = consumer_fail(&p->c, PORTEN_EXIT_FAILURE, "cannot write the output");
out:
	consumer_token_free(p->token);
	consumer_close(&p->c);
out_free:
	free(p);
	return rc;
}
