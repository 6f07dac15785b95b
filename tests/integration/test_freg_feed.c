/* porten freg behind porten authz: routing, authentication, the register's package
 * registry and the event feed; spec/folkeregisteret.md section 12 lines 1-23 and 54-55.
 *
 * One authz (plain HTTP, pinned clock) issues the tokens; one freg trusts it (its JWKS
 * through --issuer-url), with 1 500 generated persons, so every package feed holds at
 * least two pages. Events are added while it runs with `porten freg inject`. */
#include "harness.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ORG_SKATT "974761076"
#define ORG_OMH "910000004"      /* holds offentligmedhjemmel and privat */
#define ORG_OUH "910000012"      /* holds offentligutenhjemmel */
#define ORG_NOPKG "910000020"    /* has the OMH scope from Maskinporten, but no package */
#define PERSONS 1500

#define SC_OMH "folkeregister:deling/offentligmedhjemmel"
#define SC_OUH "folkeregister:deling/offentligutenhjemmel"
#define SC_PRIV "folkeregister:deling/privat"
#define SC_PRIV_UF "folkeregister:deling/privatutenfolkeregisteridentifikator"

#define P_OMH "/folkeregisteret/offentlig-med-hjemmel/api/v1/"
#define P_OUH "/folkeregisteret/api/offentligutenhjemmel/v1/"
#define P_PRIV "/folkeregisteret/api/privat/v1/"
#define P_PRIV_UF "/folkeregisteret/api/privatutenfolkeregisteridentifikator/v1/"

static struct h_server *az, *fr;
static struct h_actor *omh, *ouh, *nopkg, *op;

static const char *const all_pkg[] = {
	"offentligmedhjemmel", "offentligutenhjemmel", "privatutenhjemmel", "privat",
	"privatutenfolkeregisteridentifikator", "finans", "presse",
	"presseutenfolkeregisteridentifikator", "utstedereid",
};

static struct h_server *
start_freg(const char *data_dir, int64_t fake_now, const char *rate)
{
	struct h_server_opts o = { 0 };
	json_t *seed = json_pack("{s:[{s:s,s:[s,s,s]},{s:s,s:[s]}]}", "consumers",
	                         "orgno", ORG_OMH, "packages", "offentligmedhjemmel", "privat",
	                         "privatutenfolkeregisteridentifikator",
	                         "orgno", ORG_OUH, "packages", "offentligutenhjemmel");
	const char *seedpath = h_strf("%s/freg-seed.json", h_tmpdir());
	const char **extra = h_keep(calloc(16, sizeof(char *)));
	size_t n = 0;
	struct h_server *s;

	json_dump_file(seed, seedpath, 0);
	json_decref(seed);
	extra[n++] = "--issuer-url";
	extra[n++] = az->url;
	extra[n++] = "--seed";
	extra[n++] = seedpath;
	extra[n++] = "--persons";
	extra[n++] = h_strf("%d", PERSONS);
	extra[n++] = "--rate-limit";
	extra[n++] = rate;
	if (fake_now) {
		extra[n++] = "--fake-now";     /* the later --fake-now wins */
		extra[n++] = h_strf("%lld", (long long)fake_now);
	}
	o.command = "freg";
	o.data_dir = data_dir;
	o.extra = extra;
	s = h_server_start(&o);
	return s;
}

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };
	json_t *seed;
	char all[2048] = "";

	(void)state;
	h_init();
	seed = h_seed_new();
	h_seed_admin_scopes(seed);
	for (size_t i = 0; i < sizeof(all_pkg) / sizeof(all_pkg[0]); i++) {
		const char *sc = h_strf("folkeregister:deling/%s", all_pkg[i]);

		h_seed_scope(seed, sc, ORG_SKATT, NULL);
		strcat(all, i ? " " : "");
		strcat(all, sc);
	}
	op = h_seed_actor(seed, "op", H_ORG_DIGDIR, H_SC_ADMIN, NULL);
	omh = h_seed_actor(seed, "omh", ORG_OMH, h_strf("%s %s %s %s", SC_OMH, SC_OUH, SC_PRIV, SC_PRIV_UF), NULL);
	ouh = h_seed_actor(seed, "ouh", ORG_OUH, h_strf("%s %s", SC_OUH, SC_OMH), NULL);
	nopkg = h_seed_actor(seed, "nopkg", ORG_NOPKG, SC_OMH, NULL);
	o.seed = seed;
	az = h_server_start(&o);
	fr = start_freg(h_strf("%s/freg", h_tmpdir()), 0, "1000000");
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

/* ---- helpers ---- */

static const char *
tok(const struct h_actor *a, const char *scope)
{
	return h_actor_token(az, a, scope);
}

/* GET/HEAD/POST on freg with a bearer token (NULL: none), Accept (NULL: none) and more
 * header lines (NULL-terminated, may be NULL). */
static struct h_resp *
call(const char *method, const char *path, const char *bearer, const char *accept,
     const char *ctype, const char *body, const char *const *more)
{
	const char *hdrs[8];
	size_t n = 0;

	if (bearer)
		hdrs[n++] = h_strf("Authorization: Bearer %s", bearer);
	if (accept)
		hdrs[n++] = h_strf("Accept: %s", accept);
	for (size_t i = 0; more && more[i] && n < 7; i++)
		hdrs[n++] = more[i];
	hdrs[n] = NULL;
	return h_http(fr, method, path, ctype, body, body ? strlen(body) : 0, hdrs);
}

static struct h_resp *
get(const char *path, const char *bearer, const char *accept)
{
	return call("GET", path, bearer, accept, NULL, NULL, NULL);
}

/* A {kode, melding} error: exact status and kode, JSON, exactly those two members. */
#define expect_freg_error(r, st, kode) expect_freg_error_at(H_LOC, (r), (st), (kode))
static void
expect_freg_error_at(const char *file, int line, const struct h_resp *r, long status, const char *kode)
{
	const char *ct = h_header(r, "Content-Type");

	if (r->curl_rc != 0)
		h_fail_at(file, line, "no response: %s", r->curl_err);
	if (r->status != status)
		h_fail_at(file, line, "expected status %ld, got %ld: %s", status, r->status, r->body);
	if (ct == NULL || strncmp(ct, "application/json", 16) != 0)
		h_fail_at(file, line, "expected application/json, got %s", ct ? ct : "(none)");
	if (r->json == NULL || json_object_size(r->json) != 2 ||
	    !json_is_string(json_object_get(r->json, "melding")) ||
	    json_string_length(json_object_get(r->json, "melding")) == 0)
		h_fail_at(file, line, "expected exactly {kode, melding}, got %s", r->body);
	if (strcmp(json_string_value(json_object_get(r->json, "kode")), kode) != 0)
		h_fail_at(file, line, "expected kode %s, got %s", kode, r->body);
}

static int64_t
siste(const char *pkgpath, const char *bearer)
{
	struct h_resp *r = get(h_strf("%shendelser/siste/sekvensnummer", pkgpath), bearer, "application/json");

	H_ASSERT_INT(r->status, 200);
	if (!json_is_integer(r->json))
		h_fail("siste/sekvensnummer is not a bare number: %s", r->body);
	return (int64_t)json_integer_value(r->json);
}

/* Runs `porten freg inject --data DIR FILE` with the JSON text; returns its stdout. */
static char *
inject(const char *json)
{
	const char *file = h_strf("%s/inject-%d.json", h_tmpdir(), rand());
	const char *outp = h_strf("%s.out", file);
	char *cmd;
	int st;

	h_write_file(file, json, strlen(json));
	cmd = h_strf("%s freg inject %s %s > %s", PORTEN_BIN, h_store_arg(fr->data_dir), file, outp);
	st = system(cmd);
	if (st != 0)
		h_fail("porten freg inject failed (%d) for %s", st, json);
	return h_read_file(outp, NULL);
}

/* The first feed item (OMH) for a person with this hendelsetype, from page 1. */
static const json_t *
some_item(const char *bearer)
{
	struct h_resp *r = get(P_OMH "hendelser/feed?seq=1", bearer, NULL);

	H_ASSERT_INT(r->status, 200);
	return json_array_get(r->json, 0);
}

/* ---- routing and authentication (lines 1-7) ---- */

static void
both_path_shapes_route(void **state)
{
	(void)state;
	H_ASSERT_INT(get(P_OMH "hendelser/siste/sekvensnummer", tok(omh, SC_OMH), NULL)->status, 200);
	H_ASSERT_INT(get(P_OUH "hendelser/siste/sekvensnummer", tok(ouh, SC_OUH), NULL)->status, 200);
	/* personer/{id} reaches its handler on both shapes: a valid identifier nobody has is
	 * the lookup's 404 with its own message, not the router's */
	{
		struct h_resp *r = get(P_OMH "personer/01017099929", tok(omh, SC_OMH), NULL);

		expect_freg_error(r, 404, "FREG-005");
		H_ASSERT_STR(H_JSTR(r->json, "melding"), "Ikke funnet: personen finnes ikke");
		r = get(P_OUH "personer/01017099929", tok(ouh, SC_OUH), NULL);
		expect_freg_error(r, 404, "FREG-005");
		H_ASSERT_STR(H_JSTR(r->json, "melding"), "Ikke funnet: personen finnes ikke");
	}
	/* the generic shape of the docs is wrong for every package but OMH */
	expect_freg_error(get("/folkeregisteret/offentligutenhjemmel/api/v1/hendelser/siste/sekvensnummer",
	                      tok(ouh, SC_OUH), NULL), 404, "FREG-005");
	expect_freg_error(get("/folkeregisteret/api/offentlig-med-hjemmel/v1/hendelser/feed?seq=1",
	                      tok(omh, SC_OMH), NULL), 404, "FREG-005");
	expect_freg_error(get(P_OMH "hendelser/nosuch/thing", tok(omh, SC_OMH), NULL), 404, "FREG-005");
	expect_freg_error(get("/folkeregisteret/", NULL, NULL), 404, "FREG-005");
}

static void
trailing_slash_is_accepted(void **state)
{
	const char *t = tok(omh, SC_OMH);
	struct h_resp *a, *b;

	(void)state;
	a = get(P_OMH "hendelser/feed?seq=1", t, NULL);
	b = get(P_OMH "hendelser/feed/?seq=1", t, NULL);
	H_ASSERT_INT(a->status, 200);
	H_ASSERT_INT(b->status, 200);
	H_ASSERT_INT(a->len, b->len);
	assert_memory_equal(a->body, b->body, a->len);
	H_ASSERT_INT(get(P_OMH "hendelser/siste/sekvensnummer/", t, NULL)->status, 200);
	H_ASSERT_INT(call("POST", P_OMH "hendelser/bulkoppslag/", t, "application/json", "application/json",
	                  "{\"dokumentidentifikator\":[]}", NULL)->status, 200);
}

static void
no_token_is_401(void **state)
{
	struct h_resp *r;

	(void)state;
	r = get(P_OMH "hendelser/feed?seq=1", NULL, NULL);
	expect_freg_error(r, 401, "FREG-003");
	H_ASSERT_STR(h_header(r, "WWW-Authenticate"), "Bearer");
	r = get(P_OMH "hendelser/feed?seq=1", "not.a.token", NULL);
	expect_freg_error(r, 401, "FREG-003");
	H_ASSERT_STR(h_header(r, "WWW-Authenticate"), "Bearer error=\"invalid_token\"");
	/* another scheme, and a token far over the size limit: 401 before any signature work */
	expect_freg_error(call("GET", P_OMH "hendelser/feed?seq=1", NULL, NULL, NULL, NULL,
	                       (const char *const[]){ "Authorization: Basic Zm9vOmJhcg==", NULL }), 401, "FREG-003");
	{
		size_t n = 20000;
		char *big = h_keep(malloc(n + 1));

		memset(big, 'A', n);
		big[n] = '\0';
		big[100] = '.';
		big[200] = '.';
		expect_freg_error(get(P_OMH "hendelser/feed?seq=1", big, NULL), 401, "FREG-003");
	}
	/* a token whose signature was tampered with */
	{
		char *t = h_strf("%s", tok(omh, SC_OMH));
		size_t n = strlen(t);

		t[n - 3] = t[n - 3] == 'A' ? 'B' : 'A';
		expect_freg_error(get(P_OMH "hendelser/feed?seq=1", t, NULL), 401, "FREG-003");
	}
}

static void
scope_and_package_are_both_needed(void **state)
{
	(void)state;
	/* token for OUH's scope on the OMH path: 403 */
	expect_freg_error(get(P_OMH "hendelser/feed?seq=1", tok(omh, SC_OUH), NULL), 403, "FREG-004");
	/* the OMH scope, but the register has not given the organisation the package */
	expect_freg_error(get(P_OMH "hendelser/feed?seq=1", tok(nopkg, SC_OMH), NULL), 403, "FREG-004");
	/* ORG_OUH holds the OMH scope in Maskinporten but only OUH in the register */
	expect_freg_error(get(P_OMH "hendelser/feed?seq=1", tok(ouh, SC_OMH), NULL), 403, "FREG-004");
	/* one token with several scopes works for each of them */
	{
		const char *t = tok(omh, SC_OMH " " SC_PRIV);

		H_ASSERT_INT(get(P_OMH "hendelser/feed?seq=1", t, NULL)->status, 200);
		H_ASSERT_INT(get(P_PRIV "hendelser/feed?seq=1", t, NULL)->status, 200);
		expect_freg_error(get(P_OUH "hendelser/feed?seq=1", t, NULL), 403, "FREG-004");
	}
}

static void
token_aud_is_not_required(void **state)
{
	const char *t = tok(omh, SC_OMH);
	json_t *claims = h_jws_claims(t, NULL);

	(void)state;
	/* porten authz gives "unspecified" when the grant has no resource: not this API */
	H_ASSERT_STR(json_string_value(json_object_get(claims, "aud")), "unspecified");
	H_ASSERT_INT(get(P_OMH "hendelser/feed?seq=1", t, NULL)->status, 200);
}

static void
omh_only_resources_refused_elsewhere(void **state)
{
	const char *t = tok(ouh, SC_OUH);
	struct h_resp *r;

	(void)state;
	expect_freg_error(get(P_OUH "hendelser/0123456789abcdef0123456789abcdef", t, NULL), 403, "FREG-004");
	expect_freg_error(call("POST", P_OUH "hendelser/bulkoppslag", t, NULL, "application/json",
	                       "{\"dokumentidentifikator\":[]}", NULL), 403, "FREG-004");
	expect_freg_error(get(P_OUH "personer/arkiv/0123456789abcdef0123456789abcdef", t, NULL), 403, "FREG-004");
	expect_freg_error(call("POST", P_OUH "personer/bulkoppslag/arkiv", t, NULL, "application/json",
	                       "{\"dokumentidentifikator\":[]}", NULL), 403, "FREG-004");
	expect_freg_error(get(P_OUH "uttrekk/komplett?feedsekvensnr=1", t, NULL), 403, "FREG-004");
	/* and the same resources pass the package check on OMH */
	r = get(P_OMH "hendelser/0123456789abcdef0123456789abcdef", tok(omh, SC_OMH), NULL);
	expect_freg_error(r, 404, "FREG-005");
}

static void
person_lookups_refused_on_priv_and_presse(void **state)
{
	const char *t = tok(omh, SC_PRIV), *tu = tok(omh, SC_PRIV_UF);
	struct h_resp *r;

	(void)state;
	expect_freg_error(get(P_PRIV "personer/01018012345", t, NULL), 403, "FREG-004");
	expect_freg_error(call("POST", P_PRIV "personer/bulkoppslag", t, NULL, "application/json",
	                       "{\"foedselsEllerDNummer\":[]}", NULL), 403, "FREG-004");
	expect_freg_error(get(P_PRIV "personer/soek?navn=Ola", t, NULL), 403, "FREG-004");
	expect_freg_error(get(P_PRIV_UF "personer/01018012345", tu, NULL), 403, "FREG-004");
	expect_freg_error(get(P_PRIV_UF "personer/soek?navn=Ola", tu, NULL), 403, "FREG-004");
	/* entydigsoek passes the package check there and reaches its handler: no such person
	 * is the search's 404 */
	r = get(P_PRIV "personer/entydigsoek?navn=Ola+Nordmann&foedselsdato=18000101", t, NULL);
	expect_freg_error(r, 404, "FREG-005");
	H_ASSERT_STR(H_JSTR(r->json, "melding"), "Ikke funnet: søket ga ikke entydig treff");
	r = get(P_PRIV_UF "personer/entydigsoek?navn=Ola+Nordmann&foedselsdato=18000101", tu, NULL);
	expect_freg_error(r, 404, "FREG-005");
}

/* ---- feed (lines 8-19) ---- */

static void
feed_seq_missing_or_bad_is_400(void **state)
{
	const char *t = tok(omh, SC_OMH);
	static const char *const bad[] = { "abc", "", "1.5", "-1", "+1", "1e3", "0x10", "99999999999999999999",
	                                    "9223372036854775808", "%201", "1%00" };

	(void)state;
	expect_freg_error(get(P_OMH "hendelser/feed", t, NULL), 400, "FREG-002");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_freg_error(get(h_strf(P_OMH "hendelser/feed?seq=%s", bad[i]), t, NULL), 400, "FREG-002");
	expect_freg_error(get(P_OMH "hendelser/feed?seq=1&seq=2", t, NULL), 400, "FREG-002");
	/* the largest int64 is a valid (empty) position */
	H_ASSERT_STR(get(P_OMH "hendelser/feed?seq=9223372036854775807", t, NULL)->body, "[]");
}

static void
check_item_omh(const json_t *it, int64_t seq)
{
	const json_t *h = json_object_get(it, "hendelse");
	static const char *const keys[] = { "folkeregisteridentifikator", "hendelsetype", "hendelsesdokument",
	                                    "persondokument", "ajourholdstidspunkt" };

	H_ASSERT_INT(json_object_size(it), 2);
	H_ASSERT_INT(H_JINT(it, "sekvensnummer"), seq);
	if (!json_is_object(h))
		h_fail("no hendelse object: %s", h_dump(it));
	for (size_t i = 0; i < 5; i++)
		if (!json_is_string(json_object_get(h, keys[i])))
			h_fail("hendelse lacks %s: %s", keys[i], h_dump(it));
	H_ASSERT_INT(json_object_size(h), 5);
	assert_true(strlen(H_JSTR(h, "folkeregisteridentifikator")) == 11);
	assert_true(h_is_hex(H_JSTR(h, "hendelsesdokument"), 32));
	assert_true(h_is_hex(H_JSTR(h, "persondokument"), 32));
	assert_true(h_is_iso8601(H_JSTR(h, "ajourholdstidspunkt")));
}

static void
feed_first_pages_json(void **state)
{
	const char *t = tok(omh, SC_OMH);
	struct h_resp *p1, *p0, *p2;
	int64_t last = siste(P_OMH, t);
	size_t i;
	json_t *it;

	(void)state;
	assert_true(last >= PERSONS);
	p1 = get(P_OMH "hendelser/feed?seq=1", t, "application/json");
	H_ASSERT_INT(p1->status, 200);
	H_ASSERT_STR(h_header(p1, "Content-Type"), "application/json");
	if (!json_is_array(p1->json))
		h_fail("not a bare array: %.200s", p1->body);
	H_ASSERT_INT(json_array_size(p1->json), 1000);
	json_array_foreach(p1->json, i, it)
		check_item_omh(it, (int64_t)i + 1);
	/* seq=0 gives the same first page */
	p0 = get(P_OMH "hendelser/feed?seq=0", t, "application/json");
	H_ASSERT_INT(p0->status, 200);
	H_ASSERT_INT(p0->len, p1->len);
	assert_memory_equal(p0->body, p1->body, p1->len);
	/* an arbitrary start holds exactly s..s+999 when available */
	p2 = get(P_OMH "hendelser/feed?seq=137", t, NULL);
	H_ASSERT_INT(json_array_size(p2->json), last - 137 + 1 >= 1000 ? 1000 : last - 137 + 1);
	json_array_foreach(p2->json, i, it)
		H_ASSERT_INT(H_JINT(it, "sekvensnummer"), 137 + (int64_t)i);
	/* the tail page, and past the end */
	p2 = get(h_strf(P_OMH "hendelser/feed?seq=%" PRId64, last), t, NULL);
	H_ASSERT_INT(json_array_size(p2->json), 1);
	H_ASSERT_INT(H_JINT(json_array_get(p2->json, 0), "sekvensnummer"), last);
	p2 = get(h_strf(P_OMH "hendelser/feed?seq=%" PRId64, last + 1), t, NULL);
	H_ASSERT_INT(p2->status, 200);
	H_ASSERT_STR(p2->body, "[]");
}

static void
feed_is_dense_in_every_package(void **state)
{
	struct { const char *path, *scope; const struct h_actor *a; } pk[] = {
		{ P_OMH, SC_OMH, NULL }, { P_OUH, SC_OUH, NULL }, { P_PRIV, SC_PRIV, NULL }, { P_PRIV_UF, SC_PRIV_UF, NULL },
	};

	(void)state;
	pk[0].a = omh;
	pk[1].a = ouh;
	pk[2].a = omh;
	pk[3].a = omh;
	for (size_t k = 0; k < sizeof(pk) / sizeof(pk[0]); k++) {
		const char *t = tok(pk[k].a, pk[k].scope);
		int64_t last = siste(pk[k].path, t), next = 1;

		assert_true(last >= PERSONS);
		while (next <= last) {
			struct h_resp *r = get(h_strf("%shendelser/feed?seq=%" PRId64, pk[k].path, next), t, NULL);
			size_t i;
			json_t *it;

			H_ASSERT_INT(r->status, 200);
			if (json_array_size(r->json) == 0)
				h_fail("%s: empty page at %" PRId64 " before the last %" PRId64, pk[k].path, next, last);
			json_array_foreach(r->json, i, it)
				H_ASSERT_INT(H_JINT(it, "sekvensnummer"), next + (int64_t)i);
			next += (int64_t)json_array_size(r->json);
		}
		H_ASSERT_INT(next, last + 1);
	}
}

static void
priv_feeds_are_generalised(void **state)
{
	struct h_resp *r = get(P_PRIV "hendelser/feed?seq=1", tok(omh, SC_PRIV), NULL);
	struct h_resp *u = get(P_PRIV_UF "hendelser/feed?seq=1", tok(omh, SC_PRIV_UF), NULL);
	struct h_resp *o = get(P_OUH "hendelser/feed?seq=1", tok(ouh, SC_OUH), NULL);
	size_t i;
	json_t *it;

	(void)state;
	H_ASSERT_INT(json_array_size(r->json), 1000);
	json_array_foreach(r->json, i, it) {
		const json_t *h = json_object_get(it, "hendelse");

		H_ASSERT_STR(H_JSTR(h, "hendelsetype"), "endringIPerson");
		assert_null(json_object_get(h, "hendelsesdokument"));
		assert_null(json_object_get(h, "persondokument"));
		assert_int_equal(strlen(H_JSTR(h, "folkeregisteridentifikator")), 11);
		H_ASSERT_INT(json_object_size(h), 3);
	}
	/* PRIV-UF: no identifier at all (docs/freg.md) */
	json_array_foreach(u->json, i, it) {
		const json_t *h = json_object_get(it, "hendelse");

		H_ASSERT_STR(H_JSTR(h, "hendelsetype"), "endringIPerson");
		H_ASSERT_INT(json_object_size(h), 2);
		assert_null(json_object_get(h, "folkeregisteridentifikator"));
	}
	/* OUH: the specific type and the identifier, no document ids */
	json_array_foreach(o->json, i, it) {
		const json_t *h = json_object_get(it, "hendelse");

		H_ASSERT_STR(H_JSTR(h, "hendelsetype"), "personErOpprettet");
		H_ASSERT_INT(json_object_size(h), 3);
	}
}

static void
feed_atom(void **state)
{
	const char *t = tok(omh, SC_OMH);
	static const char *const accepts[] = { "application/atom+xml", "application/xml" };

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct h_resp *r = get(P_OMH "hendelser/feed?seq=5", t, accepts[k]);
		const char *url = h_strf("http://127.0.0.1:%u" P_OMH "hendelser/feed", fr->port);

		H_ASSERT_INT(r->status, 200);
		H_ASSERT_STR(h_header(r, "Content-Type"), accepts[k]);
		assert_non_null(strstr(r->body, "<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
		assert_non_null(strstr(r->body, h_strf("<id>%s</id>", url)));
		assert_non_null(strstr(r->body, "<title>Offentlig hendelsesliste</title>"));
		assert_non_null(strstr(r->body, "<author><name>Skatteetaten</name></author>"));
		assert_non_null(strstr(r->body, h_strf("<link rel=\"self\" type=\"application/atom+xml\" href=\"%s?seq=5\"/>", url)));
		assert_non_null(strstr(r->body, h_strf("<link rel=\"first\" type=\"application/atom+xml\" href=\"%s?seq=0\"/>", url)));
		assert_non_null(strstr(r->body, h_strf("<link rel=\"next\" type=\"application/atom+xml\" href=\"%s?seq=1005\"/>", url)));
		assert_non_null(strstr(r->body, "<entry xmlns:ns2=\"folkeregisteret:tilgjengeliggjoering:hendelse:v1\"><title>Hendelse</title>"
		                                "<id>tag:skatteetaten.no,2017-10-10:folkeregisteret:tilgjengeliggjoering:hendelse:v1:5</id>"));
		assert_non_null(strstr(r->body, "<content type=\"application/xml\"><ns2:lagretHendelse><ns2:sekvensnummer>5</ns2:sekvensnummer><ns2:hendelse><ns2:folkeregisteridentifikator>"));
		assert_non_null(strstr(r->body, ":v1:1004</id>"));
		assert_null(strstr(r->body, ":v1:1005</id>"));
		assert_null(strstr(r->body, ":v1:4</id>"));
	}
	/* an empty page past the end: next is the requested seq */
	{
		int64_t last = siste(P_OMH, t);
		struct h_resp *r = get(h_strf(P_OMH "hendelser/feed?seq=%" PRId64, last + 10), t, "application/atom+xml");

		H_ASSERT_INT(r->status, 200);
		assert_null(strstr(r->body, "<entry"));
		assert_non_null(strstr(r->body, h_strf("seq=%" PRId64 "\"/>", last + 10)));
	}
}

static void
accept_negotiation(void **state)
{
	const char *t = tok(omh, SC_OMH);
	struct h_resp *r;
	static const char *const refused[] = { "text/html", "application/pdf", "image/*", "garbage", "text/plain",
	                                       "application/json;q=0", "a/b/c", ";;;", "*/json" };

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		expect_freg_error(get(P_OMH "hendelser/feed?seq=1", t, refused[i]), 406, "FREG-006");
	r = get(P_OMH "hendelser/feed?seq=1", t, "*/*");
	H_ASSERT_STR(h_header(r, "Content-Type"), "application/json");
	r = get(P_OMH "hendelser/feed?seq=1", t, "text/html;q=0.9, application/atom+xml;q=0.8");
	H_ASSERT_STR(h_header(r, "Content-Type"), "application/atom+xml");
	r = get(P_OMH "hendelser/feed?seq=1", t, "application/xml, application/json;q=0.5");
	H_ASSERT_STR(h_header(r, "Content-Type"), "application/xml");
}

static void
etag_and_304(void **state)
{
	const char *t = tok(omh, SC_OMH);
	int64_t last = siste(P_OMH, t);
	const char *page = h_strf(P_OMH "hendelser/feed?seq=%" PRId64, last - 2);
	struct h_resp *r = get(page, t, NULL), *r2;
	const char *etag = h_header(r, "ETag");
	const json_t *it;
	char *out;

	(void)state;
	H_ASSERT_INT(json_array_size(r->json), 3);
	assert_non_null(etag);
	r2 = call("GET", page, t, NULL, NULL, NULL, (const char *const[]){ h_strf("If-None-Match: %s", etag), NULL });
	H_ASSERT_INT(r2->status, 304);
	H_ASSERT_INT(r2->len, 0);
	/* a new event on that page: 200 and a new ETag */
	it = json_object_get(some_item(t), "hendelse");
	out = inject(h_strf("{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"personErOppdatert\"}",
	                    H_JSTR(it, "folkeregisteridentifikator")));
	assert_non_null(strstr(out, h_strf("offentligmedhjemmel=%" PRId64, last + 1)));
	r2 = call("GET", page, t, NULL, NULL, NULL, (const char *const[]){ h_strf("If-None-Match: %s", etag), NULL });
	H_ASSERT_INT(r2->status, 200);
	H_ASSERT_INT(json_array_size(r2->json), 4);
	assert_non_null(h_header(r2, "ETag"));
	assert_true(strcmp(h_header(r2, "ETag"), etag) != 0);
	/* a full page's ETag is stable */
	r = get(P_OMH "hendelser/feed?seq=1", t, NULL);
	r2 = call("GET", P_OMH "hendelser/feed?seq=1", t, NULL, NULL, NULL,
	          (const char *const[]){ h_strf("If-None-Match: %s", h_header(r, "ETag")), NULL });
	H_ASSERT_INT(r2->status, 304);
}

static void
head_feed(void **state)
{
	const char *t = tok(omh, SC_OMH);
	struct h_resp *r = call("HEAD", P_OMH "hendelser/feed?seq=1", t, NULL, NULL, NULL, NULL);

	(void)state;
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_INT(r->len, 0);
	H_ASSERT_STR(h_header(r, "Content-Type"), "application/json");
	assert_non_null(h_header(r, "ETag"));
}

static void
siste_sekvensnummer_formats(void **state)
{
	const char *t = tok(omh, SC_OMH);
	int64_t last = siste(P_OMH, t);
	struct h_resp *r;
	const char *num = h_strf("%" PRId64, last);

	(void)state;
	r = get(P_OMH "hendelser/siste/sekvensnummer", t, "application/json");
	H_ASSERT_STR(r->body, num);
	H_ASSERT_STR(h_header(r, "Content-Type"), "application/json");
	r = get(P_OMH "hendelser/siste/sekvensnummer", t, NULL);
	H_ASSERT_STR(r->body, num);
	r = get(P_OMH "hendelser/siste/sekvensnummer", t, "text/plain");
	H_ASSERT_STR(r->body, num);
	H_ASSERT_STR(h_header(r, "Content-Type"), "text/plain");
	r = get(P_OMH "hendelser/siste/sekvensnummer", t, "application/xml");
	H_ASSERT_STR(h_header(r, "Content-Type"), "application/xml");
	assert_non_null(strstr(r->body, h_strf("<sekvensnummer><sekvensnummer>%s</sekvensnummer></sekvensnummer>", num)));
	expect_freg_error(get(P_OMH "hendelser/siste/sekvensnummer", t, "text/html"), 406, "FREG-006");
}

/* ---- event documents (lines 21-23) ---- */

static void
event_document(void **state)
{
	const char *t = tok(omh, SC_OMH);
	const json_t *it = json_object_get(some_item(t), "hendelse");
	const char *id = H_JSTR(it, "hendelsesdokument");
	struct h_resp *r = get(h_strf(P_OMH "hendelser/%s", id), t, NULL);
	const json_t *h, *e;
	size_t i;

	(void)state;
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_STR(H_JSTR(r->json, "dokumentidentifikator"), id);
	H_ASSERT_STR(H_JSTR(r->json, "skjemaversjon"), "1.0");
	h = json_object_get(r->json, "hendelse");
	H_ASSERT_STR(H_JSTR(h, "hendelsestype"), "personErOpprettet");
	assert_null(json_object_get(h, "hendelsetype"));
	H_ASSERT_STR(H_JSTR(h, "folkeregisteridentifikator"), H_JSTR(it, "folkeregisteridentifikator"));
	H_ASSERT_STR(H_JSTR(h, "ajourholdstidspunkt"), H_JSTR(it, "ajourholdstidspunkt"));
	e = json_object_get(h, "egenskapshendelse");
	assert_true(json_is_array(e) && json_array_size(e) > 3);
	for (i = 0; i < json_array_size(e); i++) {
		const json_t *x = json_array_get(e, i);
		const char *ent = H_JSTR(x, "entitet");

		H_ASSERT_STR(H_JSTR(x, "entitetsendring"), "registrereNy");
		H_ASSERT_INT(json_object_size(x), 3);
		/* the payload is named like the entity (kontaktadresse is postadresse's entity) */
		if (strcmp(ent, "kontaktadresse") == 0)
			assert_non_null(json_object_get(x, "postadresse"));
		else if (strcmp(ent, "kontaktadresseIUtlandet") == 0)
			assert_non_null(json_object_get(x, "postadresseIUtlandet"));
		else if (json_object_get(x, ent) == NULL)
			h_fail("egenskapshendelse[%zu] has no %s payload: %s", i, ent, h_dump(x));
	}
	/* the UUID form of the same id, and XML */
	{
		const char *u = h_strf("%.8s-%.4s-%.4s-%.4s-%.12s", id, id + 8, id + 12, id + 16, id + 20);

		r = get(h_strf(P_OMH "hendelser/%s", u), t, NULL);
		H_ASSERT_INT(r->status, 200);
		r = get(h_strf(P_OMH "hendelser/%s", id), t, "application/xml");
		H_ASSERT_INT(r->status, 200);
		assert_non_null(strstr(r->body, h_strf("<dokumentForHendelse xmlns=\"folkeregisteret:tilgjengeliggjoering:hendelse:v1\"><dokumentidentifikator>%s</dokumentidentifikator><skjemaversjon>1.0</skjemaversjon><hendelse><folkeregisteridentifikator>", id)));
	}
	expect_freg_error(get(P_OMH "hendelser/ffffffffffffffffffffffffffffffff", t, NULL), 404, "FREG-005");
	expect_freg_error(get(P_OMH "hendelser/not-an-id", t, NULL), 404, "FREG-005");
	expect_freg_error(get(h_strf(P_OMH "hendelser/%s", id), t, "text/html"), 406, "FREG-006");
}

static void
oppdatert_and_annulment_documents(void **state)
{
	const char *t = tok(omh, SC_OMH);
	const json_t *it = json_object_get(some_item(t), "hendelse");
	const char *pid = H_JSTR(it, "folkeregisteridentifikator");
	int64_t last = siste(P_OMH, t);
	struct h_resp *r;
	const json_t *e;

	(void)state;
	inject(h_strf("{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"personErOppdatert\"}", pid));
	r = get(h_strf(P_OMH "hendelser/feed?seq=%" PRId64, last + 1), t, NULL);
	H_ASSERT_INT(json_array_size(r->json), 1);
	it = json_object_get(json_array_get(r->json, 0), "hendelse");
	H_ASSERT_STR(H_JSTR(it, "hendelsetype"), "personErOppdatert");
	r = get(h_strf(P_OMH "hendelser/%s", H_JSTR(it, "hendelsesdokument")), t, NULL);
	e = json_object_get(json_object_get(r->json, "hendelse"), "egenskapshendelse");
	assert_true(json_is_array(e));
	H_ASSERT_INT(json_array_size(e), 0);
	/* a name correction, then its annulment: the annulment row carries no payload */
	inject(h_strf("{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"endringINavn\","
	              "\"egenskapshendelse\":[{\"entitet\":\"navn\",\"entitetsendring\":\"registrereNy\","
	              "\"navn\":{\"fornavn\":\"Kari\",\"etternavn\":\"Testesen\",\"ajourholdstidspunkt\":\"2026-01-01T10:00:00.000+01:00\","
	              "\"kilde\":\"Synutopia\",\"aarsak\":\"Navneendring\",\"gyldighetstidspunkt\":\"2026-01-01T00:00:00.000+01:00\"}}]}", pid));
	inject(h_strf("{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"endringINavn\","
	              "\"egenskapshendelse\":[{\"entitet\":\"navn\",\"entitetsendring\":\"annullere\"}]}", pid));
	r = get(h_strf(P_OMH "hendelser/feed?seq=%" PRId64, last + 3), t, NULL);
	it = json_object_get(json_array_get(r->json, 0), "hendelse");
	r = get(h_strf(P_OMH "hendelser/%s", H_JSTR(it, "hendelsesdokument")), t, NULL);
	e = json_array_get(json_object_get(json_object_get(r->json, "hendelse"), "egenskapshendelse"), 0);
	H_ASSERT_STR(h_dump(e), "{\"entitet\":\"navn\",\"entitetsendring\":\"annullere\"}");
}

static void
event_bulk(void **state)
{
	const char *t = tok(omh, SC_OMH);
	struct h_resp *p = get(P_OMH "hendelser/feed?seq=1", t, NULL), *r;
	const char *a = H_JSTR(json_object_get(json_array_get(p->json, 0), "hendelse"), "hendelsesdokument");
	const char *b = H_JSTR(json_object_get(json_array_get(p->json, 1), "hendelse"), "hendelsesdokument");
	json_t *ids = json_array();

	(void)state;
	r = call("POST", P_OMH "hendelser/bulkoppslag", t, "application/json", "application/json",
	         h_strf("{\"dokumentidentifikator\":[\"%s\",\"ffffffffffffffffffffffffffffffff\",\"%s\"]}", a, b), NULL);
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_INT(json_array_size(r->json), 2);
	H_ASSERT_STR(H_JSTR(json_array_get(r->json, 0), "dokumentidentifikator"), a);
	H_ASSERT_STR(H_JSTR(json_array_get(r->json, 1), "dokumentidentifikator"), b);
	/* XML in (no Content-Type means XML), and with no Accept the answer is XML too */
	r = call("POST", P_OMH "hendelser/bulkoppslag", t, NULL, NULL,
	         h_strf("<hendelseBulkoppslagRequest><dokumentidentifikator>%s</dokumentidentifikator></hendelseBulkoppslagRequest>", a), NULL);
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_STR(h_header(r, "Content-Type"), "application/xml");
	assert_non_null(strstr(r->body, h_strf("<dokumentidentifikator>%s</dokumentidentifikator>", a)));
	/* bad bodies: 400 */
	expect_freg_error(call("POST", P_OMH "hendelser/bulkoppslag", t, "application/json", "application/json",
	                       "{\"dokumentidentifikator\":\"x\"}", NULL), 400, "FREG-002");
	expect_freg_error(call("POST", P_OMH "hendelser/bulkoppslag", t, "application/json", "application/json",
	                       "{not json", NULL), 400, "FREG-002");
	expect_freg_error(call("POST", P_OMH "hendelser/bulkoppslag", t, "application/json", "application/json",
	                       "{\"dokumentidentifikator\":[1]}", NULL), 400, "FREG-002");
	expect_freg_error(call("POST", P_OMH "hendelser/bulkoppslag", t, "application/json", "text/csv",
	                       "a,b", NULL), 400, "FREG-002");
	/* a DOCTYPE (entity expansion) is refused, answered in JSON as asked */
	expect_freg_error(call("POST", P_OMH "hendelser/bulkoppslag", t, "application/json", "application/xml",
	                       "<!DOCTYPE r [<!ENTITY a \"aaaa\">]><r><dokumentidentifikator>&a;</dokumentidentifikator></r>", NULL),
	                  400, "FREG-002");
	for (int i = 0; i < 1001; i++)
		json_array_append_new(ids, json_string("ffffffffffffffffffffffffffffffff"));
	expect_freg_error(call("POST", P_OMH "hendelser/bulkoppslag", t, "application/json", "application/json",
	                       h_dump(h_keep_json(json_pack("{s:o}", "dokumentidentifikator", ids))), NULL), 400, "FREG-002");
}

static void
xsd_endpoints(void **state)
{
	const char *t = tok(ouh, SC_OUH);
	struct h_resp *r;

	(void)state;
	r = get(P_OUH "hendelser/xsd", t, NULL);
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_STR(h_header(r, "Content-Type"), "application/xml");
	assert_non_null(strstr(r->body, "<xsd:element name=\"dokumentForHendelse\" type=\"DokumentForHendelse\" />"));
	r = get(P_OUH "hendelser/feedxsd", t, NULL);
	H_ASSERT_INT(r->status, 200);
	assert_non_null(strstr(r->body, "<xsd:element name=\"lagretHendelse\""));
}

/* ---- errors and methods (line 55) ---- */

static void
methods_and_error_bodies(void **state)
{
	const char *t = tok(omh, SC_OMH);

	(void)state;
	expect_freg_error(call("POST", P_OMH "hendelser/feed?seq=1", t, NULL, "application/json", "{}", NULL), 405, "FREG-009");
	expect_freg_error(call("DELETE", P_OMH "hendelser/siste/sekvensnummer", t, NULL, NULL, NULL, NULL), 405, "FREG-009");
	expect_freg_error(call("PATCH", P_OMH "hendelser/feed?seq=1", t, NULL, NULL, NULL, NULL), 405, "FREG-009");
	{
		size_t n = 300 * 1024;
		char *big = h_keep(malloc(n + 1));

		memset(big, ' ', n);
		big[n] = '\0';
		expect_freg_error(call("POST", P_OMH "hendelser/bulkoppslag", t, NULL, "application/json", big, NULL), 413, "FREG-010");
	}
}

/* ---- audit (spec 1) ---- */

static void
every_call_is_audited(void **state)
{
	const char *t = tok(ouh, SC_OUH);
	const char *outp = h_strf("%s/audit.out", h_tmpdir());
	char *out;

	(void)state;
	H_ASSERT_INT(get(P_OUH "hendelser/siste/sekvensnummer", t, NULL)->status, 200);
	expect_freg_error(get(P_OUH "hendelser/feed", t, NULL), 400, "FREG-002");
	/* a clean stop writes every queued record; then read the trail and start again */
	{
		const char *dir = h_strf("%s", fr->data_dir);

		h_server_stop(fr);
		H_ASSERT_INT(system(h_strf("%s freg audit %s --consumer %s --json > %s", PORTEN_BIN, h_store_arg(dir),
		                           ORG_OUH, outp)), 0);
		fr = start_freg(dir, 0, "1000000");
	}
	out = h_read_file(outp, NULL);
	assert_non_null(out);
	assert_non_null(strstr(out, "\"consumer\":\"" ORG_OUH "\""));
	assert_non_null(strstr(out, "\"package\":\"offentligutenhjemmel\""));
	assert_non_null(strstr(out, "\"resource\":\"hendelser/siste/sekvensnummer\""));
	assert_non_null(strstr(out, "\"resource\":\"hendelser/feed\",\"person\":\"\",\"status\":400"));
	assert_null(strstr(out, "\"consumer\":\"" ORG_OMH "\""));
}

/* ---- throttling (line 54) ---- */

static void
throttled_per_ip_with_retry_after(void **state)
{
	struct h_server *keep = fr, *s;
	const char *t = tok(omh, SC_OMH);
	struct h_resp *r;

	(void)state;
	/* 20 per minute on a pinned clock: exactly 20 pass, the 21st is refused, whatever
	 * they are (throttling comes before authentication) */
	fr = s = start_freg(h_strf("%s/freg-throttle", h_tmpdir()), 0, "20");
	for (int i = 0; i < 10; i++)
		H_ASSERT_INT(get(P_OMH "hendelser/siste/sekvensnummer", t, NULL)->status, 200);
	for (int i = 0; i < 10; i++)
		expect_freg_error(get(P_OMH "hendelser/siste/sekvensnummer", NULL, NULL), 401, "FREG-003");
	r = get(P_OMH "hendelser/siste/sekvensnummer", t, NULL);
	expect_freg_error(r, 429, "FREG-008");
	/* one request comes back every 60/20 = 3 seconds */
	H_ASSERT_STR(h_header(r, "Retry-After"), "3");
	expect_freg_error(get(P_OMH "hendelser/feed?seq=1", NULL, NULL), 429, "FREG-008");
	fr = keep;
	h_server_stop(s);
}

/* ---- the issuer's keys unreachable: 503, not 401 (include/porten/tokencheck.h) ---- */

static void
issuer_unreachable_is_503(void **state)
{
	struct h_server_opts o = { 0 };
	/* port 9 on loopback: nothing listens there, so discovery fails at once */
	const char *extra[] = { "--issuer-url", "http://127.0.0.1:9/", "--persons", "10", NULL };
	struct h_server *s;
	struct h_resp *r;
	const char *hdrs[] = { h_strf("Authorization: Bearer %s", tok(omh, SC_OMH)), NULL };

	(void)state;
	o.command = "freg";
	o.extra = extra;
	s = h_server_start(&o);
	r = h_http(s, "GET", P_OMH "hendelser/siste/sekvensnummer", NULL, NULL, 0, hdrs);
	H_ASSERT_INT(r->status, 503);
	H_ASSERT_STR(h_dump(r->json), "{\"kode\":\"FREG-001\",\"melding\":\"Feil i tjenesten. Vennligst prøv igjen seinere.\"}");
	assert_non_null(h_header(r, "Retry-After"));
	h_server_stop(s);
}

/* ---- TLS (the default) ---- */

static void
tls_by_default(void **state)
{
	struct h_server_opts o = { 0 };
	const char *extra[] = { "--issuer-url", az->url, "--persons", "10", NULL };
	struct h_server *s;
	struct h_resp *r;
	const char *hdrs[] = { h_strf("Authorization: Bearer %s", tok(nopkg, SC_OMH)), NULL };

	(void)state;
	o.command = "freg";
	o.tls = true;
	o.extra = extra;
	s = h_server_start(&o);
	H_ASSERT_INT(strncmp(s->url, "https://", 8), 0);
	/* nopkg holds no package in this register (no seed): 403 over TLS */
	r = h_http(s, "GET", P_OMH "hendelser/siste/sekvensnummer", NULL, NULL, 0, hdrs);
	H_ASSERT_INT(r->status, 403);
	/* plain HTTP on the TLS port gets no HTTP answer */
	r = h_http_url(h_strf("http://127.0.0.1:%u" P_OMH "hendelser/siste/sekvensnummer", s->port), NULL, "GET",
	               NULL, NULL, 0, hdrs);
	assert_true(r->curl_rc != 0 || r->status == 0);
	h_server_stop(s);
}

/* ---- the OpenAPI 1.5 contract ---- */

#define check_schema(name, values) h_check_schema((name), (values))

static void
responses_match_openapi(void **state)
{
	const char *t = tok(omh, SC_OMH);
	int64_t last = siste(P_OMH, t);
	json_t *pages = h_keep_json(json_array()), *docs = h_keep_json(json_array()), *nums = h_keep_json(json_array());
	struct h_resp *r;
	size_t i;
	json_t *it;

	(void)state;
	json_array_append(pages, get(P_OMH "hendelser/feed?seq=1", t, NULL)->json);
	r = get(h_strf(P_OMH "hendelser/feed?seq=%" PRId64, last > 20 ? last - 20 : 1), t, NULL);
	json_array_append(pages, r->json);
	json_array_append(pages, get(P_PRIV "hendelser/feed?seq=1", tok(omh, SC_PRIV), NULL)->json);
	json_array_append(pages, get(P_OUH "hendelser/feed?seq=1", tok(ouh, SC_OUH), NULL)->json);
	json_array_foreach(r->json, i, it) {
		struct h_resp *d = get(h_strf(P_OMH "hendelser/%s",
		                              H_JSTR(json_object_get(it, "hendelse"), "hendelsesdokument")), t, NULL);

		H_ASSERT_INT(d->status, 200);
		json_array_append(docs, d->json);
	}
	json_array_append(docs, json_array_get(get(P_OMH "hendelser/feed?seq=1", t, NULL)->json, 0));
	json_array_remove(docs, json_array_size(docs) - 1);
	json_array_append(nums, get(P_OMH "hendelser/siste/sekvensnummer", t, NULL)->json);
	check_schema("array:ske.folkeregister.rettighetspakke.hendelser.LagretHendelseMedDokumentIdentifikatorer", pages);
	check_schema("folkeregisteret.tilgjengeliggjoering.hendelse.v1.DokumentForHendelse", docs);
	check_schema("integer", nums);
}

/* ---- retention (line 17) ---- */

static void
seq_older_than_36_months_is_406(void **state)
{
	int64_t before = h_T - (int64_t)37 * 31 * 86400;
	const char *dir = h_strf("%s/freg-old", h_tmpdir());
	const char *t = tok(omh, SC_OMH);
	struct h_resp *r;
	struct h_server *keep = fr;

	(void)state;
	/* a register whose population was written 37 months ago ... */
	h_server_stop(start_freg(dir, before, "1000000"));
	/* ... started today: the retention purge has removed those events */
	fr = start_freg(dir, 0, "1000000");
	r = get(P_OMH "hendelser/feed?seq=1", t, NULL);
	expect_freg_error(r, 406, "FREG-007");
	H_ASSERT_STR(H_JSTR(r->json, "melding"),
	             "Det er oppgitt ulovlig sekvensnummer. Sekvensnummer kan ikke være mere enn 36 måneder gammelt");
	expect_freg_error(get(P_OMH "hendelser/feed?seq=0", t, NULL), 406, "FREG-007");
	expect_freg_error(get(P_OMH "hendelser/feed?seq=1500", t, NULL), 406, "FREG-007");
	/* the numbering goes on where it was */
	r = get(P_OMH "hendelser/feed?seq=1501", t, NULL);
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_STR(r->body, "[]");
	H_ASSERT_INT(siste(P_OMH, t), 1500);
	{
		struct h_server *old = fr;

		fr = keep;
		h_server_stop(old);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_path_shapes_route),
		cmocka_unit_test(trailing_slash_is_accepted),
		cmocka_unit_test(no_token_is_401),
		cmocka_unit_test(scope_and_package_are_both_needed),
		cmocka_unit_test(token_aud_is_not_required),
		cmocka_unit_test(omh_only_resources_refused_elsewhere),
		cmocka_unit_test(person_lookups_refused_on_priv_and_presse),
		cmocka_unit_test(feed_seq_missing_or_bad_is_400),
		cmocka_unit_test(feed_first_pages_json),
		cmocka_unit_test(feed_is_dense_in_every_package),
		cmocka_unit_test(priv_feeds_are_generalised),
		cmocka_unit_test(feed_atom),
		cmocka_unit_test(accept_negotiation),
		cmocka_unit_test(etag_and_304),
		cmocka_unit_test(head_feed),
		cmocka_unit_test(siste_sekvensnummer_formats),
		cmocka_unit_test(event_document),
		cmocka_unit_test(oppdatert_and_annulment_documents),
		cmocka_unit_test(event_bulk),
		cmocka_unit_test(xsd_endpoints),
		cmocka_unit_test(methods_and_error_bodies),
		cmocka_unit_test(every_call_is_audited),
		cmocka_unit_test(responses_match_openapi),
		cmocka_unit_test(tls_by_default),
		cmocka_unit_test(issuer_unreachable_is_503),
		cmocka_unit_test(throttled_per_ip_with_retry_after),
		cmocka_unit_test(seq_older_than_36_months_is_406),
	};

	return cmocka_run_group_tests_name("integration: porten freg, routing, tokens and the event feed", tests,
	                                   group_setup, group_teardown);
}
