/* porten freg's person lookups behind porten authz: spec/folkeregisteret.md section 12
 * lines 24-53 (lookups, visibility, uttrekk), XML in and out, bad input.
 *
 * The register is populated by porten freg itself (--persons, rng seed 1, the pinned
 * clock h_T); the test generates the same population in-process with the same options
 * (the generator is deterministic), so it knows every stored document and picks persons
 * of the kinds it needs by looking at them. Changes are made with `porten freg inject`.
 * Extract jobs are held (--uttrekk-hold) until the test sends SIGUSR1. */
#include "harness.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "porten/freg_gen.h"
#include "porten/ident.h"

#define ORG_SKATT "974761076"
#define ORG_ALL "910000004"      /* holds all nine packages */
#define ORG_OTHER "910000012"    /* holds offentligmedhjemmel only */
#define PERSONS 10050            /* more than soek's 10 000 */

#define SC(p) "folkeregister:deling/" p
#define P_OMH "/folkeregisteret/offentlig-med-hjemmel/api/v1/"
#define P_OUH "/folkeregisteret/api/offentligutenhjemmel/v1/"
#define P_PUH "/folkeregisteret/api/privatutenhjemmel/v1/"
#define P_PRIV "/folkeregisteret/api/privat/v1/"
#define P_PRIV_UF "/folkeregisteret/api/privatutenfolkeregisteridentifikator/v1/"
#define P_FIN "/folkeregisteret/api/finans/v1/"
#define P_PRESSE "/folkeregisteret/api/presse/v1/"
#define P_PRESSE_UF "/folkeregisteret/api/presseutenfolkeregisteridentifikator/v1/"
#define P_EID "/folkeregisteret/api/eid/v1/"

static struct h_server *az, *fr;
static struct h_actor *all, *other;
static json_t *pop;              /* pid -> stored document, as generated */

static const struct pkgpath {
	const char *name, *path;
} pkgs[] = {
	{ "offentligmedhjemmel", P_OMH }, { "offentligutenhjemmel", P_OUH },
	{ "privatutenhjemmel", P_PUH }, { "privat", P_PRIV },
	{ "privatutenfolkeregisteridentifikator", P_PRIV_UF }, { "finans", P_FIN },
	{ "presse", P_PRESSE }, { "presseutenfolkeregisteridentifikator", P_PRESSE_UF },
	{ "utstedereid", P_EID },
};
enum { K_OMH, K_OUH, K_PUH, K_PRIV, K_PRIV_UF, K_FIN, K_PRESSE, K_PRESSE_UF, K_EID, K_N };

static int
keep_person(void *ctx, const char *pid, const json_t *person)
{
	return json_object_set_new(ctx, pid, json_deep_copy(person));
}

static struct h_server *
start_freg(const char *data_dir, int64_t fake_now, int persons)
{
	struct h_server_opts o = { 0 };
	json_t *seed = json_pack("{s:[{s:s,s:[s,s,s,s,s,s,s,s,s]},{s:s,s:[s]}]}", "consumers",
	                         "orgno", ORG_ALL, "packages", pkgs[0].name, pkgs[1].name,
	                         pkgs[2].name, pkgs[3].name, pkgs[4].name, pkgs[5].name,
	                         pkgs[6].name, pkgs[7].name, pkgs[8].name,
	                         "orgno", ORG_OTHER, "packages", pkgs[0].name);
	const char *seedpath = h_strf("%s/freg-seed-%d.json", h_tmpdir(), rand());
	const char **extra = h_keep(calloc(16, sizeof(char *)));
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
	extra[n++] = "100000000";
	extra[n++] = "--uttrekk-hold";
	if (fake_now) {
		extra[n++] = "--fake-now";
		extra[n++] = h_strf("%lld", (long long)fake_now);
	}
	o.command = "freg";
	o.data_dir = data_dir;
	o.extra = extra;
	return h_server_start(&o);
}

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };
	struct freg_gen_opts go;
	json_t *seed;
	char scopes[2048] = "";

	(void)state;
	h_init();
	seed = h_seed_new();
	h_seed_admin_scopes(seed);
	for (size_t i = 0; i < K_N; i++) {
		const char *sc = h_strf("folkeregister:deling/%s", strcmp(pkgs[i].name, "utstedereid") == 0 ?
		                        "utstedereid" : pkgs[i].name);

		h_seed_scope(seed, sc, ORG_SKATT, NULL);
		strcat(scopes, i ? " " : "");
		strcat(scopes, sc);
	}
	all = h_seed_actor(seed, "all", ORG_ALL, scopes, NULL);
	other = h_seed_actor(seed, "other", ORG_OTHER, SC("offentligmedhjemmel"), NULL);
	o.seed = seed;
	az = h_server_start(&o);
	fr = start_freg(h_strf("%s/freg", h_tmpdir()), 0, PERSONS);
	/* The same population, in-process. */
	pop = json_object();
	freg_gen_opts_init(&go);
	go.persons = PERSONS;
	go.now = h_T;
	go.synthetic_ids = true;
	assert_int_equal(freg_gen_population(&go, keep_person, pop), 0);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	h_server_stop(fr);
	h_server_stop(az);
	json_decref(pop);
	h_cleanup();
	return 0;
}

/* ---- helpers ---- */

static const char *
tok(int k)
{
	return h_actor_token(az, all, h_strf("folkeregister:deling/%s", pkgs[k].name));
}

static struct h_resp *
call(const char *method, const char *path, const char *bearer, const char *accept,
     const char *ctype, const char *body)
{
	const char *hdrs[4];
	size_t n = 0;

	if (bearer)
		hdrs[n++] = h_strf("Authorization: Bearer %s", bearer);
	if (accept)
		hdrs[n++] = h_strf("Accept: %s", accept);
	hdrs[n] = NULL;
	return h_http(fr, method, path, ctype, body, body ? strlen(body) : 0, hdrs);
}

static struct h_resp *
get(int k, const char *res)
{
	return call("GET", h_strf("%s%s", pkgs[k].path, res), tok(k), NULL, NULL, NULL);
}

/* 200 and a JSON object. */
#define get_ok(k, res) get_ok_at(H_LOC, (k), (res))
static json_t *
get_ok_at(const char *file, int line, int k, const char *res)
{
	struct h_resp *r = get(k, res);

	if (r->status != 200 || !json_is_object(r->json))
		h_fail_at(file, line, "GET %s%s: expected 200 and an object, got %ld: %s", pkgs[k].path,
		          res, r->status, r->body);
	return r->json;
}

#define expect_freg_error(r, st, kode) expect_freg_error_at(H_LOC, (r), (st), (kode))
static void
expect_freg_error_at(const char *file, int line, const struct h_resp *r, long status, const char *kode)
{
	if (r->curl_rc != 0)
		h_fail_at(file, line, "no response: %s", r->curl_err);
	if (r->status != status)
		h_fail_at(file, line, "expected status %ld, got %ld: %s", status, r->status, r->body);
	if (r->json == NULL || json_object_size(r->json) != 2 ||
	    !json_is_string(json_object_get(r->json, "melding")))
		h_fail_at(file, line, "expected exactly {kode, melding}, got %s", r->body);
	if (strcmp(json_string_value(json_object_get(r->json, "kode")), kode) != 0)
		h_fail_at(file, line, "expected kode %s, got %s", kode, r->body);
}

/* The keys of an object, sorted and comma-separated. */
static const char *
keys(const json_t *o)
{
	const char *k[64];
	size_t n = 0;
	const char *key;
	json_t *v;
	char *out;
	size_t len = 1;

	json_object_foreach((json_t *)o, key, v)
		if (n < 64)
			k[n++] = key;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(k[j - 1], k[j]) > 0; j--) {
			const char *t = k[j];

			k[j] = k[j - 1];
			k[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		len += strlen(k[i]) + 1;
	out = h_keep(calloc(1, len));
	for (size_t i = 0; i < n; i++) {
		strcat(out, i ? "," : "");
		strcat(out, k[i]);
	}
	return out;
}

/* The current (erGjeldende) element of an entity array in a stored document. */
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

static bool
has_history(const json_t *doc, const char *ent)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(doc, ent), i, e)
		if (json_is_false(json_object_get(e, "erGjeldende")))
			return true;
	return false;
}

static const char *
grading(const json_t *doc)
{
	const json_t *a = current(doc, "adressebeskyttelse");

	return a ? json_string_value(json_object_get(a, "graderingsnivaa")) : "";
}

typedef bool (*pred_fn)(const char *pid, const json_t *doc);

/* The first generated person (in identifier order) for which pred holds; fails if none. */
#define find(pred) find_at(H_LOC, (pred), #pred)
static const char *
find_at(const char *file, int line, pred_fn pred, const char *name)
{
	const char *best = NULL, *pid;
	json_t *doc;

	json_object_foreach(pop, pid, doc)
		if ((best == NULL || strcmp(pid, best) < 0) && pred(pid, doc))
			best = pid;
	if (best == NULL)
		h_fail_at(file, line, "no generated person satisfies %s", name);
	return best;
}

static const json_t *
doc_of(const char *pid)
{
	return json_object_get(pop, pid);
}

/* Whether any string anywhere in v is 11 digits (a person identifier). */
static bool
has_pid_string(const json_t *v)
{
	const char *k;
	json_t *m;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, k, m)
			if (has_pid_string(m))
				return true;
		return false;
	case JSON_ARRAY:
		json_array_foreach(v, i, m)
			if (has_pid_string(m))
				return true;
		return false;
	case JSON_STRING:
		return json_string_length(v) == 11 && strspn(json_string_value(v), "0123456789") == 11;
	default:
		return false;
	}
}

static bool
has_key_deep(const json_t *v, const char *key)
{
	const char *k;
	json_t *m;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, m)
			if (strcmp(k, key) == 0 || has_key_deep(m, key))
				return true;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if (has_key_deep(m, key))
				return true;
	}
	return false;
}

static char *
inject(const char *json, int64_t fake_now, const char *data_dir)
{
	const char *file = h_strf("%s/inject-%d.json", h_tmpdir(), rand());
	const char *outp = h_strf("%s.out", file);
	int st;

	h_write_file(file, json, strlen(json));
	st = system(h_strf("%s freg inject %s%s %s > %s", PORTEN_BIN,
	                   h_store_arg(data_dir ? data_dir : fr->data_dir),
	                   fake_now ? h_strf(" --fake-now %lld", (long long)fake_now) : "", file, outp));
	if (st != 0)
		h_fail("porten freg inject failed (%d) for %s", st, json);
	return h_read_file(outp, NULL);
}

/* "First Last" for entydigsoek: the first word of fornavn, the last of etternavn. */
static const char *
navn_of(const json_t *doc)
{
	const json_t *n = current(doc, "navn");
	const char *fn = json_string_value(json_object_get(n, "fornavn"));
	const char *en = json_string_value(json_object_get(n, "etternavn"));
	const char *sp = strrchr(en, ' ');

	return h_strf("%.*s %s", (int)strcspn(fn, " "), fn, sp ? sp + 1 : en);
}

/* YYYYMMDD from foedsel.foedselsdato. */
static const char *
dato_of(const json_t *doc)
{
	const char *d = json_string_value(json_object_get(current(doc, "foedsel"), "foedselsdato"));

	return h_strf("%.4s%.2s%.2s", d, d + 5, d + 8);
}

static const char *
enc(const char *s)
{
	return h_urlenc(s);
}

/* ---- predicates ---- */

static bool
p_name_history(const char *pid, const json_t *d)
{
	(void)pid;
	return has_history(d, "navn") && has_history(d, "bostedsadresse") && !json_object_get(d, "doedsfall") &&
	       strcmp(grading(d), "") == 0;
}

static bool
p_surname_history(const char *pid, const json_t *d)
{
	size_t i;
	json_t *e;
	const char *cur;

	if (!p_name_history(pid, d))
		return false;
	cur = json_string_value(json_object_get(current(d, "navn"), "etternavn"));
	json_array_foreach(json_object_get(d, "navn"), i, e)
		if (json_is_false(json_object_get(e, "erGjeldende")) &&
		    strcmp(json_string_value(json_object_get(e, "etternavn")), cur) != 0)
			return true;
	return false;
}

static bool
p_strengt(const char *pid, const json_t *d)
{
	(void)pid;
	return strcmp(grading(d), "strengtFortrolig") == 0;
}

static bool
p_fortrolig(const char *pid, const json_t *d)
{
	const json_t *b = current(d, "bostedsadresse");

	(void)pid;
	return strcmp(grading(d), "fortrolig") == 0 && b && json_object_get(b, "vegadresse");
}

static bool
p_dead_with_doedsbo_person(const char *pid, const json_t *d)
{
	const json_t *k = current(d, "kontaktinformasjonForDoedsbo");

	(void)pid;
	return json_is_object(json_object_get(d, "doedsfall")) && k &&
	       json_object_get(json_object_get(k, "person"), "foedselsEllerDNummer");
}

static bool
p_utenlandsk(const char *pid, const json_t *d)
{
	(void)pid;
	return current(d, "utenlandskPersonidentifikasjon") != NULL;
}

static bool
p_verge_and_family(const char *pid, const json_t *d)
{
	(void)pid;
	return current(d, "vergemaalEllerFremtidsfullmakt") && current(d, "familierelasjon");
}

static bool
p_family(const char *pid, const json_t *d)
{
	(void)pid;
	return current(d, "familierelasjon") && current(d, "foreldreansvar") && strcmp(grading(d), "") == 0;
}

static bool
p_husbokstav(const char *pid, const json_t *d)
{
	const json_t *v = json_object_get(current(d, "bostedsadresse"), "vegadresse");

	(void)pid;
	return v && json_object_get(json_object_get(v, "adressenummer"), "husbokstav") &&
	       strcmp(grading(d), "") == 0 && !json_object_get(d, "doedsfall");
}

static bool
p_plain_fnr(const char *pid, const json_t *d)
{
	(void)d;
	return pid[0] <= '3' && !json_object_get(d, "doedsfall") && strcmp(grading(d), "") == 0 &&
	       json_array_size(json_object_get(d, "identifikasjonsnummer")) == 1;
}

/* ---- personer/{id} and part (lines 24-31) ---- */

static const char *const basis[] = {
	"adressebeskyttelse", "bostedsadresse", "deltBosted", "doedsfall", "foedsel",
	"identifikasjonsnummer", "identitetsgrunnlag", "kjoenn", "kontaktinformasjonForDoedsbo",
	"navn", "oppholdsadresse", "postadresse", "postadresseIUtlandet", "sivilstand",
	"statsborgerskap", "status", NULL,
};

static bool
in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

static void
person_basis_by_default(void **state)
{
	const char *pid = find(p_name_history);
	const json_t *stored = doc_of(pid);
	json_t *d = get_ok(K_OMH, h_strf("personer/%s", pid));
	const char *k;
	json_t *v;
	size_t n = 0;

	(void)state;
	json_object_foreach(d, k, v) {
		size_t i;
		json_t *e;

		if (!in_list(basis, k))
			h_fail("%s is not in person-basis: %s", k, h_dump(d));
		n++;
		if (json_is_array(v))
			json_array_foreach(v, i, e)
				if (!json_is_true(json_object_get(e, "erGjeldende")))
					h_fail("a non-current %s element without part=historikk", k);
	}
	/* everything of person-basis the stored document has, and with its current values */
	json_object_foreach((json_t *)stored, k, v)
		if (in_list(basis, k) && json_object_get(d, k) == NULL)
			h_fail("person-basis lacks %s", k);
	assert_true(json_equal(json_array_get(json_object_get(d, "navn"), 0), (json_t *)current(stored, "navn")));
	H_ASSERT_INT(json_array_size(json_object_get(d, "navn")), 1);
	assert_true(has_history(stored, "navn"));
	/* and part=person-basis is the same document */
	assert_true(json_equal(d, get_ok(K_OMH, h_strf("personer/%s?part=person-basis", pid))));
	assert_true(n >= 8);
}

static void
historikk_is_a_modifier(void **state)
{
	const char *pid = find(p_name_history);
	json_t *d = get_ok(K_OMH, h_strf("personer/%s?part=historikk&part=navn", pid));
	size_t i, hist = 0;
	json_t *e;

	(void)state;
	H_ASSERT_STR(keys(d), "identifikasjonsnummer,navn");
	assert_true(json_equal(json_object_get(d, "navn"), json_object_get(doc_of(pid), "navn")));
	json_array_foreach(json_object_get(d, "navn"), i, e)
		hist += json_is_false(json_object_get(e, "erGjeldende"));
	assert_true(hist >= 1);
	/* the same on OUH; on PRIV (entydigsoek only) the identifier is not added */
	H_ASSERT_STR(keys(get_ok(K_OUH, h_strf("personer/%s?part=historikk&part=navn", pid))),
	             "identifikasjonsnummer,navn");
	{
		json_t *q = get_ok(K_PRIV, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s&part=historikk&part=navn",
		                                  enc(navn_of(doc_of(pid))), dato_of(doc_of(pid))));

		H_ASSERT_STR(keys(q), "navn");
	}
	/* history depth: sivilstand history for OMH and FIN, not for OUH */
	{
		const char *p2 = NULL, *k;
		json_t *v;

		json_object_foreach(pop, k, v)
			if (has_history(v, "sivilstand") && strcmp(grading(v), "") == 0 && (!p2 || strcmp(k, p2) < 0))
				p2 = k;
		assert_non_null(p2);
		H_ASSERT_INT(json_array_size(json_object_get(get_ok(K_OMH, h_strf("personer/%s?part=historikk&part=sivilstand", p2)), "sivilstand")),
		             json_array_size(json_object_get(doc_of(p2), "sivilstand")));
		H_ASSERT_INT(json_array_size(json_object_get(get_ok(K_FIN, h_strf("personer/%s?part=historikk&part=sivilstand", p2)), "sivilstand")),
		             json_array_size(json_object_get(doc_of(p2), "sivilstand")));
		H_ASSERT_INT(json_array_size(json_object_get(get_ok(K_OUH, h_strf("personer/%s?part=historikk&part=sivilstand", p2)), "sivilstand")), 1);
	}
}

static void
part_is_case_insensitive(void **state)
{
	const char *pid = find(p_name_history);

	(void)state;
	H_ASSERT_STR(keys(get_ok(K_OMH, h_strf("personer/%s?part=NAVN&part=Kjoenn", pid))), "kjoenn,navn");
	H_ASSERT_INT(get(K_OMH, h_strf("personer/%s?part=RettsligHandleevne", pid))->status, 200);
	assert_true(json_equal(get_ok(K_OMH, h_strf("personer/%s?part=PERSON-BASIS", pid)),
	                       get_ok(K_OMH, h_strf("personer/%s", pid))));
}

static void
unknown_or_withdrawn_part_is_400(void **state)
{
	const char *pid = find(p_name_history);
	struct h_resp *r;

	(void)state;
	r = get(K_OMH, h_strf("personer/%s?part=forholdTilSametingetsValgmanntall", pid));
	expect_freg_error(r, 400, "FREG-002");
	H_ASSERT_STR(H_JSTR(r->json, "melding"), "Ugyldig input: ugyldig part: forholdTilSametingetsValgmanntall");
	expect_freg_error(get(K_OMH, h_strf("personer/%s?part=navn&part=skonummer", pid)), 400, "FREG-002");
	expect_freg_error(get(K_OMH, h_strf("personer/%s?part=Navn-historikk", pid)), 400, "FREG-002");
}

static void
relasjon_utvidet_per_package(void **state)
{
	const char *pid = find(p_verge_and_family);
	const char *fam = find(p_family);

	(void)state;
	H_ASSERT_STR(keys(get_ok(K_OUH, h_strf("personer/%s?part=relasjon-utvidet", pid))),
	             "vergemaalEllerFremtidsfullmakt");
	H_ASSERT_STR(keys(get_ok(K_OUH, h_strf("personer/%s?part=relasjon-utvidet", fam))), "");
	H_ASSERT_STR(keys(get_ok(K_OMH, h_strf("personer/%s?part=relasjon-utvidet", fam))),
	             "familierelasjon,foreldreansvar");
	H_ASSERT_STR(keys(get_ok(K_FIN, h_strf("personer/%s?part=relasjon-utvidet", fam))),
	             "familierelasjon,foreldreansvar");
	{
		json_t *d = get_ok(K_OMH, h_strf("personer/%s?part=relasjon-utvidet", pid));

		assert_non_null(json_object_get(d, "familierelasjon"));
		assert_non_null(json_object_get(d, "vergemaalEllerFremtidsfullmakt"));
	}
}

static void
identitetsgrunnlag_utvidet_per_package(void **state)
{
	const char *pid = find(p_utenlandsk);
	json_t *d;

	(void)state;
	H_ASSERT_STR(keys(get_ok(K_OUH, h_strf("personer/%s?part=identitetsgrunnlag-utvidet", pid))), "");
	d = get_ok(K_EID, h_strf("personer/%s?part=identitetsgrunnlag-utvidet", pid));
	assert_true(json_equal(json_object_get(d, "utenlandskPersonidentifikasjon"),
	                       json_object_get(doc_of(pid), "utenlandskPersonidentifikasjon")) ||
	            json_array_size(json_object_get(d, "utenlandskPersonidentifikasjon")) == 1);
	/* EID's person-basis includes the foreign identifiers; FIN never gets them (line 47) */
	assert_non_null(json_object_get(get_ok(K_EID, h_strf("personer/%s", pid)), "utenlandskPersonidentifikasjon"));
	assert_null(json_object_get(get_ok(K_FIN, h_strf("personer/%s?part=identitetsgrunnlag-utvidet&part=utenlandskPersonidentifikasjon&part=legitimasjonsdokument", pid)),
	                            "utenlandskPersonidentifikasjon"));
}

static void
objects_arrays_and_no_nulls(void **state)
{
	const char *pid = find(p_dead_with_doedsbo_person);
	struct h_resp *r = get(K_OMH, h_strf("personer/%s?part=person-basis&part=identitetsgrunnlag-utvidet", pid));
	const char *k;
	json_t *v;

	(void)state;
	H_ASSERT_INT(r->status, 200);
	assert_true(json_is_object(json_object_get(r->json, "doedsfall")));
	json_object_foreach(r->json, k, v)
		if (strcmp(k, "doedsfall") != 0 && strcmp(k, "falskIdentitet") != 0 && !json_is_array(v))
			h_fail("%s is not an array", k);
	assert_null(strstr(r->body, "null"));
	assert_null(strstr(r->body, "[]"));
}

static void
unknown_opphoert_and_merged_identifiers(void **state)
{
	const char *a = NULL, *b = NULL, *k;
	json_t *v;
	char newpid[12];
	struct h_resp *r;
	int ind;

	(void)state;
	/* an unknown, valid identifier: 404; malformed ones: 400 (H-number, check digits) */
	for (ind = 100; ind < 999; ind++) {
		if (!porten_pid_make(newpid, sizeof(newpid), 1971, 3, 4, ind, 0, PORTEN_PID_ALLOW_SYNTHETIC))
			continue;
		if (json_object_get(pop, newpid) == NULL)
			break;
	}
	expect_freg_error(get(K_OMH, h_strf("personer/%s", newpid)), 404, "FREG-005");
	expect_freg_error(get(K_OMH, "personer/20036914712"), 400, "FREG-002");
	expect_freg_error(get(K_OMH, "personer/01450112345"), 400, "FREG-002");
	expect_freg_error(get(K_OMH, "personer/123"), 400, "FREG-002");
	expect_freg_error(get(K_OMH, "personer/2003691470%27%20OR%201=1"), 400, "FREG-002");
	/* a new identifier for a person: the old one resolves to the person, listed opphoert */
	json_object_foreach(pop, k, v)
		if (p_plain_fnr(k, v) && (a == NULL || strcmp(k, a) < 0))
			a = k;
	json_object_foreach(pop, k, v)
		if (p_plain_fnr(k, v) && strcmp(k, a) != 0 && (b == NULL || strcmp(k, b) < 0))
			b = k;
	inject(h_strf("{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"endringIIdentifikasjonsnummer\","
	              "\"nyttFolkeregisteridentifikator\":\"%s\"}", a, newpid), 0, NULL);
	/* the replaced identifier is history (erGjeldende false): part=historikk shows it */
	r = get(K_OMH, h_strf("personer/%s?part=historikk&part=identifikasjonsnummer", a));
	H_ASSERT_INT(r->status, 200);
	{
		size_t i;
		json_t *e;
		bool old = false, cur = false;

		json_array_foreach(json_object_get(r->json, "identifikasjonsnummer"), i, e) {
			const char *id = json_string_value(json_object_get(e, "foedselsEllerDNummer"));
			const char *st = json_string_value(json_object_get(e, "status"));

			old |= strcmp(id, a) == 0 && strcmp(st, "opphoert") == 0;
			cur |= strcmp(id, newpid) == 0 && strcmp(st, "iBruk") == 0;
		}
		if (!old || !cur)
			h_fail("expected %s opphoert and %s iBruk: %s", a, newpid, r->body);
	}
	assert_true(json_equal(r->json, get_ok(K_OMH, h_strf("personer/%s?part=historikk&part=identifikasjonsnummer", newpid))));
	assert_true(json_equal(get_ok(K_OMH, h_strf("personer/%s", a)), get_ok(K_OMH, h_strf("personer/%s", newpid))));
	/* a person merged into another as a duplicate: its identifier gives the survivor */
	inject(h_strf("{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"personErOpphoertSomDublett\","
	              "\"opphoertSomDublettAv\":\"%s\"}", b, newpid), 0, NULL);
	assert_true(json_equal(get_ok(K_OMH, h_strf("personer/%s", b)), get_ok(K_OMH, h_strf("personer/%s", newpid))));
}

/* ---- bulkoppslag (lines 32-34) ---- */

static void
bulkoppslag(void **state)
{
	const char *ids[1001];
	size_t n = 0;
	const char *k, *missing = "01017099929";
	json_t *v, *body, *list;
	struct h_resp *r;

	(void)state;
	json_object_foreach(pop, k, v)
		if (n < 1001)
			ids[n++] = k;
	body = h_keep_json(json_object());
	list = json_array();
	for (size_t i = 0; i < 1000; i++)
		json_array_append_new(list, json_string(ids[i]));
	json_object_set_new(body, "foedselsEllerDNummer", list);
	r = call("POST", P_OMH "personer/bulkoppslag", tok(K_OMH), "application/json", "application/json", h_dump(body));
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_INT(json_array_size(json_object_get(r->json, "oppslag")), 1000);
	{
		json_t *first = json_array_get(json_object_get(r->json, "oppslag"), 0);

		H_ASSERT_STR(H_JSTR(first, "foedselsEllerDNummer"), ids[0]);
		assert_true(json_equal(json_object_get(first, "folkeregisterperson"),
		                       get_ok(K_OMH, h_strf("personer/%s", ids[0]))));
	}
	json_array_append_new(list, json_string(ids[1000]));
	r = call("POST", P_OMH "personer/bulkoppslag", tok(K_OMH), "application/json", "application/json", h_dump(body));
	expect_freg_error(r, 400, "FREG-002");
	/* somBestilt: request order, duplicates, feilmelding for unknown ids */
	H_ASSERT_INT(porten_pid_valid(missing, 11, PORTEN_PID_ALLOW_SYNTHETIC, NULL), 1);
	assert_null(json_object_get(pop, missing));
	{
		const char *b = h_strf("{\"foedselsEllerDNummer\":[\"%s\",\"%s\",\"%s\",\"%s\"]}", ids[5], missing, ids[2], ids[5]);
		json_t *o;

		r = call("POST", P_OMH "personer/bulkoppslag?somBestilt=true&part=navn", tok(K_OMH), "application/json",
		         "application/json", b);
		H_ASSERT_INT(r->status, 200);
		o = json_object_get(r->json, "oppslag");
		H_ASSERT_INT(json_array_size(o), 4);
		H_ASSERT_STR(H_JSTR(json_array_get(o, 0), "foedselsEllerDNummer"), ids[5]);
		H_ASSERT_STR(keys(json_object_get(json_array_get(o, 0), "folkeregisterperson")), "navn");
		H_ASSERT_STR(H_JSTR(json_array_get(o, 1), "foedselsEllerDNummer"), missing);
		H_ASSERT_STR(keys(json_array_get(o, 1)), "feilmelding,foedselsEllerDNummer");
		assert_true(json_is_string(json_object_get(json_object_get(json_array_get(o, 1), "feilmelding"), "feilmelding")));
		H_ASSERT_STR(H_JSTR(json_array_get(o, 2), "foedselsEllerDNummer"), ids[2]);
		H_ASSERT_STR(H_JSTR(json_array_get(o, 3), "foedselsEllerDNummer"), ids[5]);
		/* without somBestilt: each once, unknown ones left out */
		r = call("POST", P_OMH "personer/bulkoppslag", tok(K_OMH), "application/json", "application/json", b);
		H_ASSERT_INT(r->status, 200);
		o = json_object_get(r->json, "oppslag");
		H_ASSERT_INT(json_array_size(o), 2);
		H_ASSERT_STR(H_JSTR(json_array_get(o, 0), "foedselsEllerDNummer"), ids[5]);
		H_ASSERT_STR(H_JSTR(json_array_get(o, 1), "foedselsEllerDNummer"), ids[2]);
	}
	/* bad bodies: 400, never 5xx */
	expect_freg_error(call("POST", P_OMH "personer/bulkoppslag", tok(K_OMH), "application/json", "application/json",
	                       "{\"foedselsEllerDNummer\":[\"20036914712\"]}"), 400, "FREG-002");
	expect_freg_error(call("POST", P_OMH "personer/bulkoppslag", tok(K_OMH), "application/json", "application/json",
	                       "{\"foedselsEllerDNummer\":"), 400, "FREG-002");
	expect_freg_error(call("POST", P_OMH "personer/bulkoppslag", tok(K_OMH), "application/json", "application/xml",
	                       "<a><b>"), 400, "FREG-002");
	expect_freg_error(call("POST", P_OMH "personer/bulkoppslag?somBestilt=ja", tok(K_OMH), "application/json",
	                       "application/json", "{\"foedselsEllerDNummer\":[]}"), 400, "FREG-002");
}

static void
bulk_xml_in_and_out(void **state)
{
	const char *pid = find(p_name_history);
	const char *xml = h_strf("<?xml version=\"1.0\"?><personBulkoppslagRequest><foedselsEllerDNummer>%s"
	                         "</foedselsEllerDNummer></personBulkoppslagRequest>", pid);
	struct h_resp *r;

	(void)state;
	/* no Content-Type: XML; no Accept: the answer in the request's format */
	r = call("POST", P_OMH "personer/bulkoppslag?part=navn", tok(K_OMH), NULL, NULL, xml);
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_STR(h_header(r, "Content-Type"), "application/xml");
	assert_non_null(strstr(r->body, "<personBulkoppslagResponse xmlns=\"folkeregisteret:tilgjengeliggjoering:person:v1\">"
	                                "<oppslag><foedselsEllerDNummer>"));
	assert_non_null(strstr(r->body, h_strf("<foedselsEllerDNummer>%s</foedselsEllerDNummer><folkeregisterperson><navn><fornavn>", pid)));
	/* JSON in, no Accept: JSON out; XML in, JSON asked: JSON */
	r = call("POST", P_OMH "personer/bulkoppslag", tok(K_OMH), NULL, "application/json",
	         h_strf("{\"foedselsEllerDNummer\":[\"%s\"]}", pid));
	H_ASSERT_STR(h_header(r, "Content-Type"), "application/json");
	r = call("POST", P_OMH "personer/bulkoppslag", tok(K_OMH), "application/json", "application/xml", xml);
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_STR(h_header(r, "Content-Type"), "application/json");
	/* a DOCTYPE (entity expansion) is refused */
	expect_freg_error(call("POST", P_OMH "personer/bulkoppslag", tok(K_OMH), "application/json", "application/xml",
	                       "<!DOCTYPE a [<!ENTITY x \"y\">]><a><foedselsEllerDNummer>&x;</foedselsEllerDNummer></a>"),
	                  400, "FREG-002");
}

static void
accept_rules(void **state)
{
	const char *pid = find(p_name_history);
	struct h_resp *r;

	(void)state;
	r = call("GET", h_strf(P_OMH "personer/%s", pid), tok(K_OMH), "text/html", NULL, NULL);
	expect_freg_error(r, 406, "FREG-006");
	r = call("GET", h_strf(P_OMH "personer/%s?part=navn", pid), tok(K_OMH), "application/xml", NULL, NULL);
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_STR(h_header(r, "Content-Type"), "application/xml");
	assert_non_null(strstr(r->body, "<folkeregisterperson xmlns=\"folkeregisteret:tilgjengeliggjoering:person:v1\"><navn>"));
	/* errors come in XML when XML was asked for */
	r = call("GET", P_OMH "personer/20036914712", tok(K_OMH), "application/xml", NULL, NULL);
	H_ASSERT_INT(r->status, 400);
	assert_non_null(strstr(r->body, "<feilmelding><kode>FREG-002</kode>"));
}

/* Person XML validates against the XSD served at personer/xsd. */
static void
person_xml_matches_served_xsd(void **state)
{
	struct h_resp *x = get(K_OMH, "personer/xsd");
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr schema;
	xmlSchemaValidCtxtPtr vc;
	size_t checked = 0;
	const char *k;
	json_t *v;

	(void)state;
	H_ASSERT_INT(x->status, 200);
	H_ASSERT_STR(h_header(x, "Content-Type"), "application/xml");
	pc = xmlSchemaNewMemParserCtxt(x->body, (int)x->len);
	schema = xmlSchemaParse(pc);
	assert_non_null(schema);
	vc = xmlSchemaNewValidCtxt(schema);
	json_object_foreach(pop, k, v) {
		struct h_resp *r;
		xmlDocPtr doc;

		if (checked >= 60 || k[10] != '7')     /* an arbitrary sample, fixed by the seed */
			continue;
		r = call("GET", h_strf(P_OMH "personer/%s?part=person-basis&part=historikk&part=relasjon-utvidet"
		                       "&part=identitetsgrunnlag-utvidet&part=innflytting&part=utflytting", k),
		         tok(K_OMH), "application/xml", NULL, NULL);
		if (r->status == 404)
			continue;      /* merged away by an earlier test */
		H_ASSERT_INT(r->status, 200);
		doc = xmlReadMemory(r->body, (int)r->len, NULL, NULL, XML_PARSE_NONET);
		assert_non_null(doc);
		if (xmlSchemaValidateDoc(vc, doc) != 0)
			h_fail("person %s does not validate against personer/xsd:\n%s", k, r->body);
		xmlFreeDoc(doc);
		checked++;
	}
	assert_true(checked >= 20);
	/* and an invalid document does not */
	{
		static const char badxml[] = "<folkeregisterperson xmlns=\"folkeregisteret:tilgjengeliggjoering:person:v1\">"
		                             "<navn><fornavnn>X</fornavnn></navn></folkeregisterperson>";
		xmlDocPtr bad = xmlReadMemory(badxml, (int)strlen(badxml), NULL, NULL, 0);

		assert_non_null(bad);
		assert_int_not_equal(xmlSchemaValidateDoc(vc, bad), 0);
		xmlFreeDoc(bad);
	}
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(schema);
	xmlSchemaFreeParserCtxt(pc);
}

/* ---- entydigsoek (lines 36-40) ---- */

static void
entydigsoek_basics(void **state)
{
	const char *pid = find(p_husbokstav);
	const json_t *d = doc_of(pid);
	const char *navn = enc(navn_of(d));
	json_t *r;

	(void)state;
	/* one name word: no right to a hit */
	expect_freg_error(get(K_OMH, h_strf("personer/entydigsoek?navn=Ola&foedselsdato=%s", dato_of(d))), 400, "FREG-002");
	/* navn alone is not a combination */
	expect_freg_error(get(K_OMH, h_strf("personer/entydigsoek?navn=%s", navn)), 400, "FREG-002");
	r = get_ok(K_OMH, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s", navn, dato_of(d)));
	H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(r, "identifikasjonsnummer"), 0), "foedselsEllerDNummer"), pid);
	/* the name in another letter case */
	{
		char *up = h_strf("%s", navn_of(d));

		for (char *p = up; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 32);
		H_ASSERT_INT(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s", enc(up), dato_of(d)))->status, 200);
	}
	/* navn + identifikasjonsnummer on PRIV-UF: the person, never an identifier (C-nest) */
	r = get_ok(K_PRIV_UF, h_strf("personer/entydigsoek?navn=%s&identifikasjonsnummer=%s", navn, pid));
	assert_false(has_pid_string(r));
	assert_non_null(json_object_get(r, "navn"));
	/* a wrong birth date: no hit */
	expect_freg_error(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&foedselsdato=18000101", navn)), 404, "FREG-005");
	/* bad formats: 400 */
	expect_freg_error(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&foedselsdato=1980-01-01", navn)), 400, "FREG-002");
	expect_freg_error(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&postnummer=12", navn)), 400, "FREG-002");
	/* injection attempts match nothing and break nothing */
	expect_freg_error(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&adressenavn=%s", enc("a' OR '1'='1"),
	                                    enc("x%' OR 1=1 --"))), 404, "FREG-005");
}

static void
entydigsoek_two_matches_is_404(void **state)
{
	const char *pid = find(p_plain_fnr);
	const json_t *d = doc_of(pid);
	const json_t *n = current(d, "navn");
	const char *fd = json_string_value(json_object_get(current(d, "foedsel"), "foedselsdato"));
	char twin[12];
	int ind;

	(void)state;
	H_ASSERT_INT(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s", enc(navn_of(d)), dato_of(d)))->status, 200);
	/* a second person with the same name and birth date */
	for (ind = 990; ind > 500; ind--)
		if (porten_pid_make(twin, sizeof(twin), atoi(fd), atoi(fd + 5), atoi(fd + 8), ind, 0,
		                    PORTEN_PID_ALLOW_SYNTHETIC) && json_object_get(pop, twin) == NULL)
			break;
	inject(h_strf("{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"personErOpprettet\","
	              "\"egenskapshendelse\":["
	              "{\"entitet\":\"navn\",\"entitetsendring\":\"registrereNy\",\"navn\":{\"fornavn\":\"%s\",\"etternavn\":\"%s\"}},"
	              "{\"entitet\":\"foedsel\",\"entitetsendring\":\"registrereNy\",\"foedsel\":{\"foedselsdato\":\"%s\",\"foedselsaar\":\"%.4s\"}},"
	              "{\"entitet\":\"kjoenn\",\"entitetsendring\":\"registrereNy\",\"kjoenn\":{\"kjoenn\":\"kvinne\"}},"
	              "{\"entitet\":\"status\",\"entitetsendring\":\"registrereNy\",\"status\":{\"status\":\"bosatt\"}}]}",
	              twin, H_JSTR(n, "fornavn"), H_JSTR(n, "etternavn"), fd, fd), 0, NULL);
	expect_freg_error(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s", enc(navn_of(d)), dato_of(d))),
	                  404, "FREG-005");
	/* a third criterion that only one of them meets makes it unique again */
	H_ASSERT_INT(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s&identifikasjonsnummer=%s",
	                               enc(navn_of(d)), dato_of(d), twin))->status, 200);
}

static void
entydigsoek_husnummer_letter_must_match(void **state)
{
	const char *pid = find(p_husbokstav);
	const json_t *v = json_object_get(current(doc_of(pid), "bostedsadresse"), "vegadresse");
	const json_t *an = json_object_get(v, "adressenummer");
	const char *gate = enc(H_JSTR(v, "adressenavn"));
	const char *nr = H_JSTR(an, "husnummer"), *bokstav = H_JSTR(an, "husbokstav");
	const char *navn = enc(navn_of(doc_of(pid)));

	(void)state;
	expect_freg_error(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&adressenavn=%s&husnummer=%s", navn, gate, nr)),
	                  404, "FREG-005");
	H_ASSERT_INT(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&adressenavn=%s&husnummer=%s%s", navn, gate, nr,
	                               bokstav))->status, 200);
	/* a house number is required when the address has one */
	expect_freg_error(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&adressenavn=%s", navn, gate)), 404, "FREG-005");
	/* the first three letters of the street are enough */
	H_ASSERT_INT(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&adressenavn=%.3s&husnummer=%s%s", navn,
	                               H_JSTR(v, "adressenavn"), nr, bokstav))->status, 200);
	/* navn + postnummer */
	H_ASSERT_INT(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&postnummer=%s", navn,
	                               H_JSTR(json_object_get(v, "poststed"), "postnummer")))->status, 200);
}

static void
entydigsoek_opplysningsgrunnlag(void **state)
{
	const char *pid = find(p_surname_history);
	const json_t *d = doc_of(pid);
	const char *old = NULL;
	size_t i;
	json_t *e;

	(void)state;
	json_array_foreach(json_object_get(d, "navn"), i, e)
		if (json_is_false(json_object_get(e, "erGjeldende")))
			old = H_JSTR(e, "etternavn");
	{
		const char *fn = H_JSTR(current(d, "navn"), "fornavn");
		const char *navn = enc(h_strf("%.*s %s", (int)strcspn(fn, " "), fn, strrchr(old, ' ') ? strrchr(old, ' ') + 1 : old));

		expect_freg_error(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s", navn, dato_of(d))),
		                  404, "FREG-005");
		H_ASSERT_INT(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s&opplysningsgrunnlag=historisk",
		                               navn, dato_of(d)))->status, 200);
		expect_freg_error(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s&opplysningsgrunnlag=alt",
		                                    navn, dato_of(d))), 400, "FREG-002");
	}
}

static void
entydigsoek_foreign_ids_per_package(void **state)
{
	const char *pid = find(p_utenlandsk);
	const json_t *u = current(doc_of(pid), "utenlandskPersonidentifikasjon");
	const char *q = h_strf("personer/entydigsoek?navn=%s&utenlandskpersonidentifikasjon=%s-%s",
	                       enc(navn_of(doc_of(pid))), H_JSTR(u, "utstederland"), enc(H_JSTR(u, "identifikasjonsnummer")));

	(void)state;
	H_ASSERT_INT(get(K_OMH, q)->status, 200);
	H_ASSERT_INT(get(K_EID, q)->status, 200);
	expect_freg_error(get(K_OUH, q), 400, "FREG-002");
	expect_freg_error(get(K_FIN, q), 400, "FREG-002");
	/* the parameter name in another case (the documentation's spelling) */
	H_ASSERT_INT(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&UtenlandskPersonidentifikasjon=%s-%s",
	                               enc(navn_of(doc_of(pid))), H_JSTR(u, "utstederland"),
	                               enc(H_JSTR(u, "identifikasjonsnummer"))))->status, 200);
	/* DUF: OMH only (no such number here: OMH searches and finds nothing, EID may not ask) */
	expect_freg_error(get(K_OMH, h_strf("personer/entydigsoek?navn=%s&utlendingsmyndighetenesIdentifikasjonsnummer=123456789012",
	                                    enc(navn_of(doc_of(pid))))), 404, "FREG-005");
	expect_freg_error(get(K_EID, h_strf("personer/entydigsoek?navn=%s&utlendingsmyndighetenesidentifikasjonsnummer=123456789012",
	                                    enc(navn_of(doc_of(pid))))), 400, "FREG-002");
}

/* ---- soek (line 41) ---- */

static void
soek(void **state)
{
	const char *pid = find(p_husbokstav);
	const json_t *d = doc_of(pid);
	json_t *r;
	struct h_resp *x;

	(void)state;
	/* every person matches no criteria: more than 10 000 */
	x = get(K_OMH, "personer/soek?inkluderDoede=true");
	expect_freg_error(x, 400, "FREG-002");
	/* maksTreff caps the list */
	r = get_ok(K_OMH, "personer/soek?inkluderDoede=true&maksTreff=5");
	H_ASSERT_INT(json_array_size(json_object_get(r, "foedselsEllerDNummer")), 5);
	H_ASSERT_STR(keys(r), "foedselsEllerDNummer");
	/* no match: 200 and an empty list */
	x = get(K_OMH, "personer/soek?navn=Qwxzyq");
	H_ASSERT_INT(x->status, 200);
	H_ASSERT_STR(x->body, "{\"foedselsEllerDNummer\":[]}");
	/* a specific person */
	r = get_ok(K_OMH, h_strf("personer/soek?navn=%s&foedselsdato=%s", enc(navn_of(d)), dato_of(d)));
	{
		size_t i;
		json_t *e;
		bool found = false;

		json_array_foreach(json_object_get(r, "foedselsEllerDNummer"), i, e)
			found |= strcmp(json_string_value(e), pid) == 0;
		assert_true(found);
	}
	/* bad parameters */
	expect_freg_error(get(K_OMH, "personer/soek?maksTreff=10001"), 400, "FREG-002");
	expect_freg_error(get(K_OMH, "personer/soek?maksTreff=0"), 400, "FREG-002");
	expect_freg_error(get(K_OMH, "personer/soek?kjoenn=annet"), 400, "FREG-002");
	expect_freg_error(get(K_OMH, "personer/soek?foedselsaarFraOgMed=19x0"), 400, "FREG-002");
	expect_freg_error(get(K_OMH, "personer/soek?inkluderDoede=kanskje"), 400, "FREG-002");
	/* another method on a POST-only resource: 405, not a person lookup */
	expect_freg_error(get(K_OMH, "personer/bulkoppslag"), 405, "FREG-009");
	/* soek is refused on PRIV and PRESSE (line 7) */
	expect_freg_error(get(K_PRIV, "personer/soek?navn=Ola"), 403, "FREG-004");
	expect_freg_error(get(K_PRESSE_UF, h_strf("personer/%s", pid)), 403, "FREG-004");
}

/* ---- arkiv (line 42) ---- */

static void
arkiv_is_the_person_as_of_the_event(void **state)
{
	const char *pid = find(p_name_history);
	struct h_resp *f = get(K_OMH, "hendelser/feed?seq=1");
	const char *pdoc = NULL;
	size_t i;
	json_t *it, *before, *after;

	(void)state;
	json_array_foreach(f->json, i, it) {
		json_t *h = json_object_get(it, "hendelse");

		if (strcmp(H_JSTR(h, "folkeregisteridentifikator"), pid) == 0)
			pdoc = H_JSTR(h, "persondokument");
	}
	if (pdoc == NULL) {
		/* the person's creation is on a later page: search the pages */
		for (int64_t s = 1001; pdoc == NULL && s < PERSONS + 2000; s += 1000) {
			f = get(K_OMH, h_strf("hendelser/feed?seq=%" PRId64, s));
			json_array_foreach(f->json, i, it) {
				json_t *h = json_object_get(it, "hendelse");

				if (strcmp(H_JSTR(h, "folkeregisteridentifikator"), pid) == 0 && pdoc == NULL)
					pdoc = H_JSTR(h, "persondokument");
			}
		}
	}
	assert_non_null(pdoc);
	before = get_ok(K_OMH, h_strf("personer/arkiv/%s?part=navn", pdoc));
	inject(h_strf("{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"endringINavn\","
	                    "\"egenskapshendelse\":[{\"entitet\":\"navn\",\"entitetsendring\":\"registrereNy\","
	                    "\"navn\":{\"fornavn\":\"Arkivaria\",\"etternavn\":\"Testesen\"}}]}", pid), 0, NULL);
	after = get_ok(K_OMH, h_strf("personer/%s?part=navn", pid));
	H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(after, "navn"), 0), "fornavn"), "Arkivaria");
	assert_true(json_equal(before, get_ok(K_OMH, h_strf("personer/arkiv/%s?part=navn", pdoc))));
	assert_true(strcmp(H_JSTR(json_array_get(json_object_get(before, "navn"), 0), "fornavn"), "Arkivaria") != 0);
	/* OMH only; unknown document 404; malformed 400 */
	expect_freg_error(get(K_OUH, h_strf("personer/arkiv/%s", pdoc)), 403, "FREG-004");
	expect_freg_error(get(K_OMH, "personer/arkiv/0123456789abcdef0123456789abcdef"), 404, "FREG-005");
	/* bulk arkiv */
	{
		struct h_resp *r = call("POST", P_OMH "personer/bulkoppslag/arkiv?part=navn", tok(K_OMH), "application/json",
		                        "application/json", h_strf("{\"dokumentidentifikator\":[\"%s\",\"0123456789abcdef0123456789abcdef\"]}", pdoc));
		json_t *o;

		H_ASSERT_INT(r->status, 200);
		o = json_object_get(r->json, "oppslag");
		H_ASSERT_INT(json_array_size(o), 1);
		H_ASSERT_STR(H_JSTR(json_array_get(o, 0), "dokumentidentifikator"), pdoc);
		H_ASSERT_STR(H_JSTR(json_array_get(o, 0), "foedselsEllerDNummer"), pid);
		assert_true(json_equal(json_object_get(json_array_get(o, 0), "folkeregisterperson"), before));
	}
}

static void
arkiv_older_than_three_years_is_400(void **state)
{
	int64_t then = h_T - (int64_t)37 * 31 * 86400;
	const char *dir = h_strf("%s/freg-old", h_tmpdir());
	const char *navn = "\"egenskapshendelse\":[{\"entitet\":\"navn\",\"entitetsendring\":\"registrereNy\","
	                   "\"navn\":{\"fornavn\":\"Gammel\",\"etternavn\":\"Testesen\"}}]";
	struct h_server *keep = fr;
	struct freg_gen_opts go;
	json_t *old = json_object();
	const char *pid, *k, *p;
	char pdoc[33];
	json_t *v;

	(void)state;
	/* a register written 37 months ago, holding the generator's 20 persons */
	h_server_stop(start_freg(dir, then, 20));
	freg_gen_opts_init(&go);
	go.persons = 20;
	go.now = then;
	go.synthetic_ids = true;
	assert_int_equal(freg_gen_population(&go, keep_person, old), 0);
	pid = NULL;
	json_object_foreach(old, k, v)
		if (pid == NULL || strcmp(k, pid) < 0)
			pid = h_strf("%s", k);
	json_decref(old);
	/* a change a day later makes a version, superseded by another the day after */
	p = strstr(inject(h_strf("{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"endringINavn\",%s}",
	                         pid, navn), then + 86400, dir), "persondokument ");
	assert_non_null(p);
	memcpy(pdoc, p + 15, 32);
	pdoc[32] = '\0';
	inject(h_strf("{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"endringINavn\",%s}", pid, navn),
	       then + 2 * 86400, dir);
	/* today that version is historical for more than three years: 400 FREG-012 */
	fr = start_freg(dir, 0, 20);
	expect_freg_error(get(K_OMH, h_strf("personer/arkiv/%s", pdoc)), 400, "FREG-012");
	H_ASSERT_INT(get(K_OMH, h_strf("personer/%s", pid))->status, 200);
	{
		struct h_server *cur = fr;

		fr = keep;
		h_server_stop(cur);
	}
}

/* ---- visibility over HTTP (lines 43-48; the full package x entity walk is the unit
 * test tests/unit/freg/test_view.c) ---- */

static const int person_pkgs[] = { K_OMH, K_OUH, K_PUH, K_FIN, K_EID };

static void
strengt_fortrolig_has_no_address_anywhere(void **state)
{
	const char *pid = find(p_strengt);
	const json_t *d = doc_of(pid);

	(void)state;
	for (size_t i = 0; i < sizeof(person_pkgs) / sizeof(person_pkgs[0]); i++) {
		json_t *r = get_ok(person_pkgs[i], h_strf("personer/%s?part=person-basis&part=historikk", pid));

		H_ASSERT_STR(H_JSTR(json_array_get(json_object_get(r, "adressebeskyttelse"), 0), "graderingsnivaa"),
		             "strengtFortrolig");
		assert_null(json_object_get(r, "oppholdsadresse"));
		assert_null(json_object_get(r, "deltBosted"));
		for (const char *const *k = (const char *const[]){ "vegadresse", "matrikkeladresse", "bostedskommune",
		                                                   "kommunenummer", "ukjentBosted", NULL }; *k; k++)
			if (has_key_deep(json_object_get(r, "bostedsadresse"), *k))
				h_fail("%s: bostedsadresse of a strengt fortrolig person holds %s", pkgs[person_pkgs[i]].name, *k);
	}
	/* the entydigsoek packages too */
	for (int k = K_PRIV; k <= K_PRESSE_UF; k++) {
		struct h_resp *r;

		if (k == K_FIN)
			continue;
		r = get(k, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s", enc(navn_of(d)), dato_of(d)));
		H_ASSERT_INT(r->status, 200);
		assert_false(has_key_deep(json_object_get(r->json, "bostedsadresse"), "vegadresse"));
		assert_null(json_object_get(r->json, "oppholdsadresse"));
	}
}

static void
fortrolig_addresses_only_with_hjemmel(void **state)
{
	const char *pid = find(p_fortrolig);
	const json_t *d = doc_of(pid);

	(void)state;
	/* an immigration record on the protected person, to check who sees it */
	inject(h_strf("{\"folkeregisteridentifikator\":\"%s\",\"hendelsetype\":\"endringIInnflytting\","
	              "\"egenskapshendelse\":[{\"entitet\":\"innflytting\",\"entitetsendring\":\"registrereNy\","
	              "\"innflytting\":{\"fraflyttingsland\":\"SWE\",\"fraflyttingsstedIUtlandet\":\"Lund\"}}]}", pid), 0, NULL);
	for (int k = 0; k < K_N; k++) {
		struct h_resp *r;
		const json_t *b;
		bool hjemmel = k == K_OMH || k == K_FIN || k == K_EID;
		bool flytting = k == K_OMH || k == K_OUH;

		if (k == K_PRIV || k == K_PRIV_UF || k == K_PRESSE || k == K_PRESSE_UF)
			r = get(k, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s&part=person-basis&part=innflytting",
			                  enc(navn_of(d)), dato_of(d)));
		else
			r = get(k, h_strf("personer/%s?part=person-basis&part=innflytting", pid));
		H_ASSERT_INT(r->status, 200);
		b = json_array_get(json_object_get(r->json, "bostedsadresse"), 0);
		H_ASSERT_STR(H_JSTR(b, "adressegradering"), "fortrolig");
		if (hjemmel != (json_object_get(b, "vegadresse") != NULL))
			h_fail("%s: fortrolig address contents %s", pkgs[k].name, hjemmel ? "missing" : "delivered");
		if (flytting != (json_object_get(r->json, "innflytting") != NULL))
			h_fail("%s: innflytting of a protected person %s", pkgs[k].name, flytting ? "missing" : "delivered");
	}
}

static void
doedsbo_person_without_fnr_for_priv_and_presse(void **state)
{
	const char *pid = find(p_dead_with_doedsbo_person);
	const json_t *d = doc_of(pid);

	(void)state;
	for (int k = K_PRIV; k <= K_PRESSE_UF; k++) {
		struct h_resp *r;
		const json_t *kd;

		if (k == K_FIN)
			continue;
		r = get(k, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s", enc(navn_of(d)), dato_of(d)));
		H_ASSERT_INT(r->status, 200);
		kd = json_array_get(json_object_get(r->json, "kontaktinformasjonForDoedsbo"), 0);
		assert_non_null(kd);
		assert_null(json_object_get(json_object_get(kd, "person"), "foedselsEllerDNummer"));
		if (k == K_PRIV_UF || k == K_PRESSE_UF)
			assert_false(has_pid_string(r->json));
	}
	assert_non_null(json_object_get(json_object_get(json_array_get(json_object_get(
		get_ok(K_OMH, h_strf("personer/%s", pid)), "kontaktinformasjonForDoedsbo"), 0), "person"), "foedselsEllerDNummer"));
}

static void
fin_sees_verge_fnr_not_foreign_ids(void **state)
{
	const char *pid = find(p_verge_and_family);
	json_t *r = get_ok(K_FIN, h_strf("personer/%s?part=vergemaalEllerFremtidsfullmakt", pid));

	(void)state;
	assert_non_null(json_object_get(json_object_get(json_array_get(json_object_get(r, "vergemaalEllerFremtidsfullmakt"), 0),
	                                                "verge"), "foedselsEllerDNummer"));
}

static int
audit_count(const char *pid, const char *resource)
{
	const char *outp = h_strf("%s/audit-%d.json", h_tmpdir(), rand());
	char *text;
	json_t *a;
	int n = 0;

	H_ASSERT_INT(system(h_strf("%s freg audit %s --person %s --json > %s", PORTEN_BIN, h_store_arg(fr->data_dir), pid, outp)), 0);
	text = h_read_file(outp, NULL);
	/* one JSON object per line */
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		a = json_loads(line, 0, NULL);
		if (a && strcmp(json_string_value(json_object_get(a, "resource")) ?: "", resource) == 0 &&
		    strcmp(json_string_value(json_object_get(a, "consumer")) ?: "", ORG_ALL) == 0)
			n++;
		json_decref(a);
	}
	return n;
}

static void
every_lookup_is_audited(void **state)
{
	const char *pid = find(p_family);
	const json_t *d = doc_of(pid);
	int before, bulk, ent, soek;

	/* earlier tests' records are flushed by a clean stop, so the counts before are exact */
	{
		const char *dir = h_strf("%s", fr->data_dir);

		h_server_stop(fr);
		fr = start_freg(dir, 0, PERSONS);
	}
	before = audit_count(pid, "personer/{id}");
	bulk = audit_count(pid, "personer/bulkoppslag");
	ent = audit_count(pid, "personer/entydigsoek");
	soek = audit_count(pid, "personer/soek");
	(void)state;
	H_ASSERT_INT(get(K_OUH, h_strf("personer/%s", pid))->status, 200);
	H_ASSERT_INT(call("POST", P_FIN "personer/bulkoppslag", tok(K_FIN), "application/json", "application/json",
	                  h_strf("{\"foedselsEllerDNummer\":[\"%s\"]}", pid))->status, 200);
	H_ASSERT_INT(get(K_PRESSE, h_strf("personer/entydigsoek?navn=%s&foedselsdato=%s", enc(navn_of(d)), dato_of(d)))->status, 200);
	H_ASSERT_INT(get(K_OMH, h_strf("personer/soek?navn=%s&foedselsdato=%s", enc(navn_of(d)), dato_of(d)))->status, 200);
	/* the writer commits at least every 200 ms: a clean stop flushes it */
	{
		const char *dir = h_strf("%s", fr->data_dir);

		h_server_stop(fr);
		fr = start_freg(dir, 0, PERSONS);
	}
	H_ASSERT_INT(audit_count(pid, "personer/{id}"), before + 1);
	H_ASSERT_INT(audit_count(pid, "personer/bulkoppslag"), bulk + 1);
	H_ASSERT_INT(audit_count(pid, "personer/entydigsoek"), ent + 1);
	H_ASSERT_INT(audit_count(pid, "personer/soek"), soek + 1);
}

/* ---- uttrekk (lines 49-53) ---- */

static struct h_resp *
batch(int k, const char *job, int n)
{
	return get(k, h_strf("uttrekk/%s/batch/%d", job, n));
}

static void
uttrekk(void **state)
{
	const char *jobs[10], *tilp, *kompl;
	struct h_resp *r;

	(void)state;
	/* bad orders */
	expect_freg_error(call("POST", P_OMH "uttrekk/tilpasset", tok(K_OMH), NULL, "application/json",
	                       "{\"kjoenn\":\"kvinne\"}"), 400, "FREG-002");
	expect_freg_error(call("POST", P_OMH "uttrekk/tilpasset", tok(K_OMH), NULL, "application/json",
	                       "{\"personstatustyper\":[\"bosatt\"],\"kommunenummer\":{\"bostedskommunenummer\":\"0301\","
	                       "\"oppholdskommunenummer\":\"0301\"}}"), 400, "FREG-002");
	expect_freg_error(call("POST", P_OMH "uttrekk/tilpasset", tok(K_OMH), NULL, "application/json",
	                       "{\"personstatustyper\":[\"levende\"]}"), 400, "FREG-002");
	expect_freg_error(get(K_OMH, "uttrekk/komplett?feedsekvensnr=abc"), 400, "FREG-002");
	expect_freg_error(call("POST", P_OMH "uttrekk/tilpasset", tok(K_OMH), NULL, "application/json",
	                       "{\"personstatustyper\":[\"bosatt\"],\"foedselsaarFraOgMed\":\"2000\","
	                       "\"foedselsaarTilOgMed\":\"1990\"}"), 400, "FREG-002");
	expect_freg_error(get(K_OUH, "uttrekk/komplett"), 403, "FREG-004");
	/* unknown job: 410 */
	expect_freg_error(batch(K_OMH, "e9ca4d76-2ed7-43bc-bb50-469304df1e1c", 0), 410, "FREG-011");
	/* ten jobs for one organisation are held (--uttrekk-hold) ... */
	r = get(K_OMH, "uttrekk/komplett?feedsekvensnr=999999999999");
	H_ASSERT_INT(r->status, 200);
	H_ASSERT_STR(keys(r->json), "jobbId");
	kompl = jobs[0] = H_JSTR(r->json, "jobbId");
	H_ASSERT_INT(strlen(kompl), 36);
	r = call("POST", P_OMH "uttrekk/tilpasset", tok(K_OMH), NULL, "application/json",
	         "{\"personstatustyper\":[\"bosatt\"],\"kjoenn\":\"kvinne\"}");
	H_ASSERT_INT(r->status, 200);
	tilp = jobs[1] = H_JSTR(r->json, "jobbId");
	for (int i = 2; i < 10; i++) {
		r = call("POST", P_OUH "uttrekk/tilpasset", tok(K_OUH), NULL, "application/json",
		         "{\"personstatustyper\":[\"doed\"]}");
		H_ASSERT_INT(r->status, 200);
		jobs[i] = H_JSTR(r->json, "jobbId");
	}
	/* ... so a batch is not ready: 404 */
	expect_freg_error(batch(K_OMH, kompl, 0), 404, "FREG-005");
	/* the eleventh concurrent job of the organisation: 429 with Retry-After */
	r = call("POST", P_OMH "uttrekk/tilpasset", tok(K_OMH), NULL, "application/json", "{\"personstatustyper\":[\"bosatt\"]}");
	expect_freg_error(r, 429, "FREG-008");
	H_ASSERT_STR(h_header(r, "Retry-After"), "60");
	/* another organisation is not limited by it, and cannot read the jobs */
	{
		const char *t = h_actor_token(az, other, SC("offentligmedhjemmel"));

		H_ASSERT_INT(call("GET", P_OMH "uttrekk/komplett", t, NULL, NULL, NULL)->status, 200);
		expect_freg_error(call("GET", h_strf(P_OMH "uttrekk/%s/batch/0", kompl), t, NULL, NULL, NULL), 410, "FREG-011");
	}
	/* let them run */
	H_ASSERT_INT(kill(fr->pid, SIGUSR1), 0);
	for (int i = 0; i < 2000; i++) {
		r = batch(K_OMH, tilp, 0);
		if (r->status != 404)
			break;
		nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
	}
	H_ASSERT_INT(r->status, 200);
	/* tilpasset: identifiers of living women with status bosatt */
	{
		json_t *ids = json_object_get(r->json, "foedselsEllerDNummer");
		size_t i, expect = 0;
		json_t *e;
		const char *k;
		json_t *v;

		H_ASSERT_STR(keys(r->json), "foedselsEllerDNummer");
		json_object_foreach(pop, k, v) {
			const json_t *st = current(v, "status"), *kj = current(v, "kjoenn");

			expect += strcmp(H_JSTR(st, "status"), "bosatt") == 0 && strcmp(H_JSTR(kj, "kjoenn"), "kvinne") == 0;
		}
		/* earlier tests changed a few persons; the count is close to the generated one */
		assert_true(json_array_size(ids) + 10 >= expect && json_array_size(ids) <= expect + 10);
		assert_true(json_array_size(ids) > 1000);
		json_array_foreach(ids, i, e) {
			const json_t *d = doc_of(json_string_value(e));

			if (d && strcmp(H_JSTR(current(d, "kjoenn"), "kjoenn"), "kvinne") != 0)
				h_fail("a man in a women's extract: %s", json_string_value(e));
		}
		r = batch(K_OMH, tilp, 1);
		H_ASSERT_INT(r->status, 200);
		H_ASSERT_STR(r->body, "{}");
		/* read only through the package it was ordered through */
		expect_freg_error(batch(K_OUH, tilp, 0), 410, "FREG-011");
		expect_freg_error(batch(K_OMH, tilp, 2), 410, "FREG-011");
	}
	/* komplett: document ids as of the clamped sequence number, one per person */
	for (int i = 0; i < 2000; i++) {
		r = batch(K_OMH, kompl, 0);
		if (r->status != 404)
			break;
		nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
	}
	H_ASSERT_INT(r->status, 200);
	{
		json_t *ids = json_object_get(r->json, "dokumentidentifikator");
		const char *first = json_string_value(json_array_get(ids, 0));
		json_t *doc;

		assert_true(json_array_size(ids) >= PERSONS - 5);
		H_ASSERT_INT(strlen(first), 32);
		doc = get_ok(K_OMH, h_strf("personer/arkiv/%s", first));
		assert_non_null(json_object_get(doc, "navn"));
		H_ASSERT_STR(batch(K_OMH, kompl, 1)->body, "{}");
	}
}

/* ---- the answers against OpenAPI 1.5 ---- */

static void
responses_match_openapi(void **state)
{
	json_t *persons = h_keep_json(json_array()), *bulks = h_keep_json(json_array());
	json_t *soeks = h_keep_json(json_array()), *jobs = h_keep_json(json_array());
	const char *k, *first = NULL;
	json_t *v;
	size_t n = 0;

	(void)state;
	json_object_foreach(pop, k, v) {
		struct h_resp *r;

		if (n >= 40 || k[10] != '3')
			continue;
		first = first ? first : k;
		for (int p = 0; p < K_N; p++) {
			if (p == K_PRIV || p == K_PRIV_UF || p == K_PRESSE || p == K_PRESSE_UF)
				continue;
			r = get(p, h_strf("personer/%s?part=person-basis&part=historikk&part=relasjon-utvidet"
			                  "&part=identitetsgrunnlag-utvidet&part=innflytting&part=utflytting"
			                  "&part=opphold&part=foedselINorge", k));
			if (r->status == 404)
				break;     /* merged away by an earlier test */
			H_ASSERT_INT(r->status, 200);
			json_array_append(persons, r->json);
		}
		n++;
	}
	assert_true(json_array_size(persons) > 100);
	h_check_schema("folkeregisteret.tilgjengeliggjoering.person.v1.Folkeregisterperson", persons);
	json_array_append(bulks, call("POST", P_OMH "personer/bulkoppslag?somBestilt=true", tok(K_OMH), "application/json",
	                              "application/json", h_strf("{\"foedselsEllerDNummer\":[\"%s\",\"01017099929\"]}",
	                                                         first))->json);
	h_check_schema("folkeregisteret.tilgjengeliggjoering.person.v1.bulk.response.PersonBulkoppslagResponse", bulks);
	json_array_append(soeks, get_ok(K_OMH, "personer/soek?navn=Hansen&maksTreff=20"));
	h_check_schema("folkeregisteret.tilgjengeliggjoering.person.v1.soek.response.PersonsoekResponse", soeks);
	/* (ordered by the other organisation: the uttrekk test counts ORG_ALL's jobs) */
	json_array_append(jobs, call("GET", P_OMH "uttrekk/komplett", h_actor_token(az, other, SC("offentligmedhjemmel")),
	                             NULL, NULL, NULL)->json);
	h_check_schema("folkeregisteret.tilgjengeliggjoering.uttrekk.v1.response.UttrekkJobbResponse", jobs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(person_basis_by_default),
		cmocka_unit_test(historikk_is_a_modifier),
		cmocka_unit_test(part_is_case_insensitive),
		cmocka_unit_test(unknown_or_withdrawn_part_is_400),
		cmocka_unit_test(relasjon_utvidet_per_package),
		cmocka_unit_test(identitetsgrunnlag_utvidet_per_package),
		cmocka_unit_test(objects_arrays_and_no_nulls),
		cmocka_unit_test(responses_match_openapi),
		cmocka_unit_test(bulkoppslag),
		cmocka_unit_test(bulk_xml_in_and_out),
		cmocka_unit_test(accept_rules),
		cmocka_unit_test(person_xml_matches_served_xsd),
		cmocka_unit_test(entydigsoek_basics),
		cmocka_unit_test(entydigsoek_husnummer_letter_must_match),
		cmocka_unit_test(entydigsoek_opplysningsgrunnlag),
		cmocka_unit_test(entydigsoek_foreign_ids_per_package),
		cmocka_unit_test(soek),
		cmocka_unit_test(strengt_fortrolig_has_no_address_anywhere),
		cmocka_unit_test(fortrolig_addresses_only_with_hjemmel),
		cmocka_unit_test(doedsbo_person_without_fnr_for_priv_and_presse),
		cmocka_unit_test(fin_sees_verge_fnr_not_foreign_ids),
		cmocka_unit_test(every_lookup_is_audited),
		cmocka_unit_test(uttrekk),
		cmocka_unit_test(entydigsoek_two_matches_is_404),
		cmocka_unit_test(unknown_opphoert_and_merged_identifiers),
		cmocka_unit_test(arkiv_is_the_person_as_of_the_event),
		cmocka_unit_test(arkiv_older_than_three_years_is_400),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
