/* Validation and normalisation of Maskinporten's administrative objects (scopes, access,
 * clients, client keys, delegations) as the seed file and the admin API receive them.
 * Every problem is reported, not just the first (STYLE 10). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "porten/clock.h"
#include "porten/error.h"
#include "porten/ident.h"
#include "porten/jws.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "authz/model.h"

void
az_problem(struct az_problems *p, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (path[0] == '.')
		path++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->count++;
	if (p->buf.max == 0)
		porten_buf_init(&p->buf, 8192);
	if (p->buf.len > 0)
		porten_buf_appends(&p->buf, "; ");
	if (path[0])
		porten_buf_appendf(&p->buf, "%s: %s", path, msg);
	else
		porten_buf_appends(&p->buf, msg);
	if (p->list == NULL)
		p->list = json_array();
	if (p->list != NULL && json_array_size(p->list) < 100)
		json_array_append_new(p->list, json_pack("{s:s,s:s}", "field", path, "message", msg));
}

void
az_problems_release(struct az_problems *p)
{
	porten_buf_release(&p->buf);
	json_decref(p->list);
	p->list = NULL;
	p->count = 0;
}

static int
is_lower_alnum(const unsigned char *s, size_t *adv)
{
	if ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) {
		*adv = 1;
		return 1;
	}
	/* æ ø å in UTF-8 */
	if (s[0] == 0xc3 && (s[1] == 0xa6 || s[1] == 0xb8 || s[1] == 0xa5)) {
		*adv = 2;
		return 1;
	}
	return 0;
}

/* The NAIS subscope pattern (spec 6.2), matched exactly:
 *   ^([a-zæøå0-9]+\/?)+(\:[a-zæøå0-9]+)*[a-zæøå0-9]+(\.[a-zæøå0-9]+)*$
 * Split at the first '.': what follows is ".run.run...". Before it, P = Q(":C")* where Q
 * is runs joined by at most one '/' each. Without ':' the final [a-z...]+ must come out of
 * Q, so Q may not end in '/' and needs two characters or two runs; with ':' Q may end in
 * '/', and the last C needs two characters (one for (:[...]+), one for the final run). */
static size_t
alnum_run(const unsigned char *s, size_t *chars)
{
	size_t n = 0, adv;

	*chars = 0;
	while (is_lower_alnum(s + n, &adv)) {
		n += adv;
		(*chars)++;
	}
	return n;
}

int
az_subscope_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n, chars, runs = 0, qchars = 0, last_chars = 0;
	int trailing_slash = 0, colons = 0;

	if (*s == '\0' || strlen(str) > PORTEN_SCOPE_NAME_MAX)
		return 0;
	/* Q: runs joined by single '/' */
	for (;;) {
		if ((n = alnum_run(s, &chars)) == 0)
			return 0;
		s += n;
		runs++;
		qchars += chars;
		trailing_slash = 0;
		if (*s != '/')
			break;
		s++;
		trailing_slash = 1;
		if (!is_lower_alnum(s, &n))
			break;
	}
	/* (":C")* */
	while (*s == ':') {
		s++;
		if ((n = alnum_run(s, &chars)) == 0)
			return 0;
		s += n;
		colons++;
		last_chars = chars;
	}
	if (colons == 0 && (trailing_slash || (runs < 2 && qchars < 2)))
		return 0;
	if (colons > 0 && last_chars < 2)
		return 0;
	/* (".run")* */
	while (*s == '.') {
		s++;
		if ((n = alnum_run(s, &chars)) == 0)
			return 0;
		s += n;
	}
	return *s == '\0';
}

int
az_prefix_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return s[0] != '-' && s[n - 1] != '-';
}

static int
check_orgno(struct az_problems *p, const char *path, const json_t *v, int required)
{
	const char *s = json_string_value(v);

	if (v == NULL || json_is_null(v)) {
		if (required)
			az_problem(p, path, "required");
		return !required;
	}
	if (s == NULL || strlen(s) != 9 || strspn(s, "0123456789") != 9) {
		az_problem(p, path, "must be a string of 9 digits");
		return 0;
	}
	if (!porten_orgno_valid(s, 9))
		log_warn("%s: %s fails the organisation-number check digit (a placeholder such as "
		         "999888999?); accepted for testing", path, s);
	return 1;
}

static int
check_type(struct az_problems *p, const char *path, const json_t *v, json_type t, const char *what)
{
	if (v == NULL || json_is_null(v))
		return 1;
	if (json_typeof(v) != t && !(t == JSON_TRUE && json_is_boolean(v))) {
		az_problem(p, path, "must be %s", what);
		return 0;
	}
	return 1;
}

static int
check_fields(struct az_problems *p, const char *path, const json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	int ok = 1;

	json_object_foreach((json_t *)obj, key, v) {
		int found = 0;
		char esc[80];

		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				found = 1;
		/* Localised variants ("description#en") of the two description fields. */
		if (!found && (strncmp(key, "description#", 12) == 0 ||
		               strncmp(key, "long_description#", 17) == 0))
			found = 1;
		if (!found) {
			char fp[160];

			snprintf(fp, sizeof(fp), "%s.%s", path,
			         porten_log_escape(esc, sizeof(esc), key, strlen(key) > 40 ? 40 : strlen(key)));
			az_problem(p, fp, "unknown field");
			ok = 0;
		}
	}
	return ok;
}

static void
copy_if(json_t *dst, const json_t *src, const char *name)
{
	json_t *v = json_object_get(src, name);

	if (v != NULL && !json_is_null(v))
		json_object_set(dst, name, v);
}

static int
check_text(struct az_problems *p, const char *path, const json_t *v, size_t max, int required)
{
	const char *s;

	if (v == NULL || json_is_null(v)) {
		if (required)
			az_problem(p, path, "required");
		return !required;
	}
	if ((s = json_string_value(v)) == NULL) {
		az_problem(p, path, "must be a string");
		return 0;
	}
	if (json_string_length(v) > max || strlen(s) != json_string_length(v)) {
		az_problem(p, path, "must be at most %zu characters without NUL", max);
		return 0;
	}
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c < 0x20 && *c != '\n' && *c != '\r') {
			az_problem(p, path, "must not contain control characters");
			return 0;
		}
	}
	return 1;
}

json_t *
az_scope_normalize(const json_t *in, const char *path, int64_t now, struct az_problems *p)
{
	static const char *const allowed[] = {
		"name", "prefix", "subscope", "description", "long_description", "active", "visibility",
		"allowed_integration_types", "at_max_age", "authorization_max_lifetime",
		"authorization_max_age", "delegation_source", "accessible_for_all", "token_type",
		"requires_user_consent", "requires_user_authentication", "requires_pseudonymous_tokens",
		"owner_orgno", "created", "last_updated", "protected", "supports_european_businesses", NULL
	};
	char fp[160], prefix[80] = "", subscope[PORTEN_SCOPE_NAME_MAX + 1] = "", name[sizeof(prefix) + sizeof(subscope) + 2];
	const char *s, *vis;
	json_t *out, *v;
	size_t before = p->count, i;
	char ts[32];
	int named = 0;

	if (!json_is_object(in)) {
		az_problem(p, path, "must be an object");
		return NULL;
	}
	check_fields(p, path, in, allowed);
	if ((s = json_string_value(json_object_get(in, "prefix"))) != NULL) {
		named = 1;
		snprintf(prefix, sizeof(prefix), "%s", s);
		s = json_string_value(json_object_get(in, "subscope"));
		snprintf(subscope, sizeof(subscope), "%s", s ? s : "");
	} else if ((s = json_string_value(json_object_get(in, "name"))) != NULL && strchr(s, ':')) {
		named = 1;
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(strchr(s, ':') - s), s);
		snprintf(subscope, sizeof(subscope), "%s", strchr(s, ':') + 1);
	} else {
		snprintf(fp, sizeof(fp), "%s.prefix", path);
		az_problem(p, fp, "required (or name \"prefix:subscope\")");
	}
	if (named && !az_prefix_valid(prefix)) {
		snprintf(fp, sizeof(fp), "%s.prefix", path);
		az_problem(p, fp, "must be lowercase letters, digits and '-'");
	}
	if (named && !az_subscope_valid(subscope)) {
		snprintf(fp, sizeof(fp), "%s.subscope", path);
		az_problem(p, fp, "must match ^([a-zæøå0-9]+/?)+(:[a-zæøå0-9]+)*[a-zæøå0-9]+(.[a-zæøå0-9]+)*$ "
		           "(no whitespace, tabs or uppercase)");
	}
	snprintf(name, sizeof(name), "%s:%s", prefix, subscope);
	if (strlen(name) > PORTEN_SCOPE_NAME_MAX) {
		snprintf(fp, sizeof(fp), "%s.name", path);
		az_problem(p, fp, "longer than %d characters", PORTEN_SCOPE_NAME_MAX);
	}
	if ((s = json_string_value(json_object_get(in, "name"))) != NULL && prefix[0] &&
	    strcmp(s, name) != 0) {
		snprintf(fp, sizeof(fp), "%s.name", path);
		az_problem(p, fp, "does not equal prefix:subscope");
	}
	snprintf(fp, sizeof(fp), "%s.description", path);
	check_text(p, fp, json_object_get(in, "description"), 4000, 0);
	snprintf(fp, sizeof(fp), "%s.long_description", path);
	check_text(p, fp, json_object_get(in, "long_description"), 20000, 0);
	snprintf(fp, sizeof(fp), "%s.owner_orgno", path);
	check_orgno(p, fp, json_object_get(in, "owner_orgno"), 1);
	v = json_object_get(in, "visibility");
	vis = json_string_value(v);
	if (v != NULL && !json_is_null(v) &&
	    (vis == NULL || (strcmp(vis, "PUBLIC") && strcmp(vis, "PRIVATE") && strcmp(vis, "INTERNAL")))) {
		snprintf(fp, sizeof(fp), "%s.visibility", path);
		az_problem(p, fp, "must be PUBLIC, PRIVATE or INTERNAL");
	}
	v = json_object_get(in, "allowed_integration_types");
	snprintf(fp, sizeof(fp), "%s.allowed_integration_types", path);
	if (check_type(p, fp, v, JSON_ARRAY, "an array of strings")) {
		json_t *e;
		json_array_foreach(v, i, e)
			if (!json_is_string(e)) {
				az_problem(p, fp, "must be an array of strings");
				break;
			}
	}
	snprintf(fp, sizeof(fp), "%s.at_max_age", path);
	v = json_object_get(in, "at_max_age");
	if (check_type(p, fp, v, JSON_INTEGER, "an integer") && v != NULL && !json_is_null(v) &&
	    (json_integer_value(v) < 0 || json_integer_value(v) > PORTEN_TOKEN_LIFETIME_MAX))
		az_problem(p, fp, "must be 0 to %d seconds", PORTEN_TOKEN_LIFETIME_MAX);
	snprintf(fp, sizeof(fp), "%s.delegation_source", path);
	check_text(p, fp, json_object_get(in, "delegation_source"), PORTEN_RESOURCE_MAX, 0);
	for (i = 0; i < 6; i++) {
		static const char *const flags[] = { "active", "accessible_for_all", "requires_user_consent",
			"requires_user_authentication", "requires_pseudonymous_tokens", "protected" };
		snprintf(fp, sizeof(fp), "%s.%s", path, flags[i]);
		check_type(p, fp, json_object_get(in, flags[i]), JSON_TRUE, "true or false");
	}
	v = json_object_get(in, "token_type");
	if (v != NULL && !json_is_null(v) && (!json_is_string(v) ||
	    (strcmp(json_string_value(v), "SELF_CONTAINED") && strcmp(json_string_value(v), "OPAQUE")))) {
		snprintf(fp, sizeof(fp), "%s.token_type", path);
		az_problem(p, fp, "must be SELF_CONTAINED or OPAQUE");
	}
	if (p->count > before)
		return NULL;

	out = json_object();
	json_object_set_new(out, "name", json_string(name));
	json_object_set_new(out, "prefix", json_string(prefix));
	json_object_set_new(out, "subscope", json_string(subscope));
	json_object_set_new(out, "description", json_string(
		json_string_value(json_object_get(in, "description")) ? json_string_value(json_object_get(in, "description")) : ""));
	copy_if(out, in, "long_description");
	json_object_set_new(out, "active", json_boolean(!json_is_false(json_object_get(in, "active"))));
	json_object_set_new(out, "visibility", json_string(vis ? vis : "PUBLIC"));
	v = json_object_get(in, "allowed_integration_types");
	json_object_set_new(out, "allowed_integration_types", json_is_array(v) ? json_copy(v) : json_pack("[s]", "maskinporten"));
	v = json_object_get(in, "at_max_age");
	json_object_set_new(out, "at_max_age", json_integer(json_is_integer(v) ? json_integer_value(v) : 0));
	v = json_object_get(in, "authorization_max_lifetime");
	if (!json_is_integer(v))
		v = json_object_get(in, "authorization_max_age");
	json_object_set_new(out, "authorization_max_lifetime",
	                    json_integer(json_is_integer(v) ? json_integer_value(v)
	                                 : json_integer_value(json_object_get(out, "at_max_age"))));
	copy_if(out, in, "delegation_source");
	json_object_set_new(out, "accessible_for_all", json_boolean(json_is_true(json_object_get(in, "accessible_for_all"))));
	json_object_set_new(out, "token_type", json_string(json_string_value(json_object_get(in, "token_type"))
	                    ? json_string_value(json_object_get(in, "token_type")) : "SELF_CONTAINED"));
	json_object_set_new(out, "requires_user_consent", json_boolean(json_is_true(json_object_get(in, "requires_user_consent"))));
	json_object_set_new(out, "requires_user_authentication", json_boolean(json_is_true(json_object_get(in, "requires_user_authentication"))));
	json_object_set_new(out, "requires_pseudonymous_tokens", json_boolean(json_is_true(json_object_get(in, "requires_pseudonymous_tokens"))));
	json_object_set(out, "owner_orgno", json_object_get(in, "owner_orgno"));
	{
		const char *kv;
		json_t *x;
		json_object_foreach((json_t *)in, kv, x)
			if (strchr(kv, '#') != NULL && json_is_string(x))
				json_object_set(out, kv, x);
	}
	porten_iso8601(now, ts, sizeof(ts));
	json_object_set_new(out, "created", json_string(ts));
	json_object_set_new(out, "last_updated", json_string(ts));
	return out;
}

static const char *
access_state(const json_t *v)
{
	const char *s = json_string_value(v);

	if (v == NULL || json_is_null(v))
		return "APPROVED";
	if (s && (!strcmp(s, "APPROVED") || !strcmp(s, "REQUESTED") || !strcmp(s, "DENIED")))
		return s;
	return NULL;
}

json_t *
az_access_normalize(const json_t *in, const char *path, const char *owner_orgno, int64_t now,
                    struct az_problems *p)
{
	static const char *const allowed[] = { "scope", "consumer_orgno", "state", "prefix",
		"owner_orgno", "created", "last_updated", NULL };
	char fp[160], ts[32];
	size_t before = p->count;
	const char *state;
	json_t *out;

	if (!json_is_object(in)) {
		az_problem(p, path, "must be an object");
		return NULL;
	}
	check_fields(p, path, in, allowed);
	snprintf(fp, sizeof(fp), "%s.scope", path);
	if (check_text(p, fp, json_object_get(in, "scope"), PORTEN_SCOPE_NAME_MAX, 1)) {
		const char *s = json_string_value(json_object_get(in, "scope"));
		const char *colon = strchr(s, ':');
		if (colon == NULL || colon == s || !az_subscope_valid(colon + 1))
			az_problem(p, fp, "is not a valid scope name (whitespace, uppercase or a stray tab?)");
	}
	snprintf(fp, sizeof(fp), "%s.consumer_orgno", path);
	check_orgno(p, fp, json_object_get(in, "consumer_orgno"), 1);
	if ((state = access_state(json_object_get(in, "state"))) == NULL) {
		snprintf(fp, sizeof(fp), "%s.state", path);
		az_problem(p, fp, "must be APPROVED, REQUESTED or DENIED");
	}
	if (p->count > before)
		return NULL;
	porten_iso8601(now, ts, sizeof(ts));
	out = json_pack("{s:O,s:s,s:n,s:s,s:s,s:O}", "scope", json_object_get(in, "scope"),
	                "state", state, "prefix", "created", ts, "last_updated", ts,
	                "consumer_orgno", json_object_get(in, "consumer_orgno"));
	if (owner_orgno)
		json_object_set_new(out, "owner_orgno", json_string(owner_orgno));
	return out;
}

json_t *
az_client_normalize(const json_t *in, const char *path, int64_t now, struct az_problems *p)
{
	static const char *const allowed[] = { "client_id", "client_name", "description",
		"integration_type", "application_type", "token_endpoint_auth_method", "grant_types",
		"scopes", "client_orgno", "supplier_orgno", "access_token_lifetime",
		"authorization_lifetime", "refresh_token_lifetime", "refresh_token_usage", "active",
		"created", "last_updated", "jwks", NULL };
	char fp[160], ts[32];
	size_t before = p->count, i;
	const char *s;
	json_t *out, *v, *e;

	if (!json_is_object(in)) {
		az_problem(p, path, "must be an object");
		return NULL;
	}
	check_fields(p, path, in, allowed);
	snprintf(fp, sizeof(fp), "%s.client_id", path);
	if (check_text(p, fp, json_object_get(in, "client_id"), PORTEN_CLIENT_ID_MAX, 1)) {
		s = json_string_value(json_object_get(in, "client_id"));
		if (*s == '\0' || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") != strlen(s))
			az_problem(p, fp, "must be letters, digits and -_.:");
	}
	snprintf(fp, sizeof(fp), "%s.client_name", path);
	check_text(p, fp, json_object_get(in, "client_name"), 200, 0);
	snprintf(fp, sizeof(fp), "%s.description", path);
	check_text(p, fp, json_object_get(in, "description"), 4000, 0);
	snprintf(fp, sizeof(fp), "%s.client_orgno", path);
	check_orgno(p, fp, json_object_get(in, "client_orgno"), 1);
	snprintf(fp, sizeof(fp), "%s.supplier_orgno", path);
	check_orgno(p, fp, json_object_get(in, "supplier_orgno"), 0);
	v = json_object_get(in, "integration_type");
	if (v != NULL && !json_is_null(v) && (!json_is_string(v) || strcmp(json_string_value(v), "maskinporten"))) {
		snprintf(fp, sizeof(fp), "%s.integration_type", path);
		az_problem(p, fp, "must be \"maskinporten\"");
	}
	v = json_object_get(in, "token_endpoint_auth_method");
	if (v != NULL && !json_is_null(v) && (!json_is_string(v) || strcmp(json_string_value(v), "private_key_jwt"))) {
		snprintf(fp, sizeof(fp), "%s.token_endpoint_auth_method", path);
		az_problem(p, fp, "must be \"private_key_jwt\" (Maskinporten clients have no secrets)");
	}
	v = json_object_get(in, "grant_types");
	snprintf(fp, sizeof(fp), "%s.grant_types", path);
	if (check_type(p, fp, v, JSON_ARRAY, "an array")) {
		json_array_foreach(v, i, e) {
			s = json_string_value(e);
			if (s == NULL || (strcmp(s, "urn:ietf:params:oauth:grant-type:jwt-bearer") &&
			                  strcmp(s, "jwt_bearer_token"))) {
				az_problem(p, fp, "only urn:ietf:params:oauth:grant-type:jwt-bearer is allowed");
				break;
			}
		}
	}
	v = json_object_get(in, "scopes");
	snprintf(fp, sizeof(fp), "%s.scopes", path);
	if (check_type(p, fp, v, JSON_ARRAY, "an array of scope names")) {
		json_array_foreach(v, i, e) {
			s = json_string_value(e);
			if (s == NULL || strchr(s, ':') == NULL || !az_subscope_valid(strchr(s, ':') + 1)) {
				az_problem(p, fp, "element %zu is not a valid scope name", i);
				break;
			}
		}
	}
	snprintf(fp, sizeof(fp), "%s.access_token_lifetime", path);
	v = json_object_get(in, "access_token_lifetime");
	if (check_type(p, fp, v, JSON_INTEGER, "an integer") && v != NULL && !json_is_null(v) &&
	    (json_integer_value(v) < 0 || json_integer_value(v) > PORTEN_TOKEN_LIFETIME_MAX))
		az_problem(p, fp, "must be 0 to %d seconds", PORTEN_TOKEN_LIFETIME_MAX);
	snprintf(fp, sizeof(fp), "%s.active", path);
	check_type(p, fp, json_object_get(in, "active"), JSON_TRUE, "true or false");
	if (p->count > before)
		return NULL;

	porten_iso8601(now, ts, sizeof(ts));
	out = json_object();
	json_object_set(out, "client_id", json_object_get(in, "client_id"));
	json_object_set_new(out, "client_name", json_string(json_string_value(json_object_get(in, "client_name"))
	                    ? json_string_value(json_object_get(in, "client_name")) : ""));
	json_object_set_new(out, "description", json_string(json_string_value(json_object_get(in, "description"))
	                    ? json_string_value(json_object_get(in, "description")) : ""));
	json_object_set_new(out, "integration_type", json_string("maskinporten"));
	json_object_set_new(out, "application_type", json_string("web"));
	json_object_set_new(out, "token_endpoint_auth_method", json_string("private_key_jwt"));
	json_object_set_new(out, "grant_types", json_pack("[s]", "urn:ietf:params:oauth:grant-type:jwt-bearer"));
	v = json_object_get(in, "scopes");
	json_object_set_new(out, "scopes", json_is_array(v) ? json_copy(v) : json_array());
	json_object_set(out, "client_orgno", json_object_get(in, "client_orgno"));
	copy_if(out, in, "supplier_orgno");
	v = json_object_get(in, "access_token_lifetime");
	json_object_set_new(out, "access_token_lifetime", json_integer(json_is_integer(v) ? json_integer_value(v) : 0));
	v = json_object_get(in, "authorization_lifetime");
	json_object_set_new(out, "authorization_lifetime", json_integer(json_is_integer(v) ? json_integer_value(v) : 0));
	json_object_set_new(out, "active", json_boolean(!json_is_false(json_object_get(in, "active"))));
	json_object_set_new(out, "created", json_string(ts));
	json_object_set_new(out, "last_updated", json_string(ts));
	return out;
}

json_t *
az_jwks_normalize(const json_t *in, const char *path, int64_t now, struct az_problems *p)
{
	char fp[160], ts[32];
	size_t before = p->count, i, j;
	json_t *keys, *out, *k;

	keys = json_object_get(in, "keys");
	if (!json_is_object(in) || !json_is_array(keys)) {
		az_problem(p, path, "must be {\"keys\": [...]}");
		return NULL;
	}
	if (json_array_size(keys) > PORTEN_CLIENT_KEYS_MAX) {
		az_problem(p, path, "at most %d keys per client, got %zu", PORTEN_CLIENT_KEYS_MAX,
		           json_array_size(keys));
		return NULL;
	}
	porten_iso8601(now, ts, sizeof(ts));
	out = json_array();
	json_array_foreach(keys, i, k) {
		static const char *const req[] = { "kty", "alg", "use", "e", "n", "kid" };
		porten_key *key = NULL;
		const char *kid, *alg;
		size_t key_before = p->count;   /* every key is checked, whatever the others hold */
		int64_t created;
		json_t *nk;

		for (j = 0; j < 6; j++) {
			if (!json_is_string(json_object_get(k, req[j]))) {
				snprintf(fp, sizeof(fp), "%s.keys[%zu].%s", path, i, req[j]);
				az_problem(p, fp, "required");
			}
		}
		if (p->count > key_before)
			continue;
		kid = json_string_value(json_object_get(k, "kid"));
		snprintf(fp, sizeof(fp), "%s.keys[%zu].kid", path, i);
		if (*kid == '\0' || strlen(kid) > PORTEN_KID_MAX ||
		    strspn(kid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(kid))
			az_problem(p, fp, "must be 1..%d of letters, digits and ._-", PORTEN_KID_MAX);
		for (j = 0; j < i; j++)
			if (json_is_string(json_object_get(json_array_get(keys, j), "kid")) &&
			    strcmp(json_string_value(json_object_get(json_array_get(keys, j), "kid")), kid) == 0)
				az_problem(p, fp, "duplicate kid '%s'", kid);
		if (strcmp(json_string_value(json_object_get(k, "use")), "sig") != 0) {
			snprintf(fp, sizeof(fp), "%s.keys[%zu].use", path, i);
			az_problem(p, fp, "must be \"sig\"");
		}
		alg = json_string_value(json_object_get(k, "alg"));
		if (porten_jws_alg_from_name(alg) == PORTEN_JWS_INVALID) {
			snprintf(fp, sizeof(fp), "%s.keys[%zu].alg", path, i);
			az_problem(p, fp, "must be RS256, RS384 or RS512");
		}
		if (porten_key_from_jwk(k, &key) != 0) {
			snprintf(fp, sizeof(fp), "%s.keys[%zu]", path, i);
			az_problem(p, fp, "is not an RSA public key of %d..%d bits", PORTEN_RSA_MIN_BITS,
			           PORTEN_RSA_MAX_BITS);
		}
		porten_key_unref(key);
		if (json_object_get(k, "created") != NULL &&
		    (!json_is_string(json_object_get(k, "created")) ||
		     porten_iso8601_parse(json_string_value(json_object_get(k, "created")), &created) != 0)) {
			snprintf(fp, sizeof(fp), "%s.keys[%zu].created", path, i);
			az_problem(p, fp, "must be an ISO 8601 time");
		}
		if (p->count > key_before)
			continue;
		nk = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "kty", json_object_get(k, "kty"),
		               "kid", json_object_get(k, "kid"), "use", json_object_get(k, "use"),
		               "alg", json_object_get(k, "alg"), "e", json_object_get(k, "e"),
		               "n", json_object_get(k, "n"));
		copy_if(nk, k, "x5c");
		if (json_is_string(json_object_get(k, "created"))) {
			char cts[32];
			porten_iso8601_parse(json_string_value(json_object_get(k, "created")), &created);
			porten_iso8601(created, cts, sizeof(cts));
			json_object_set_new(nk, "created", json_string(cts));
		} else {
			json_object_set_new(nk, "created", json_string(ts));
		}
		json_array_append_new(out, nk);
	}
	if (p->count > before) {
		json_decref(out);
		return NULL;
	}
	return json_pack("{s:o}", "keys", out);
}

json_t *
az_delegation_normalize(const json_t *in, const char *path, int64_t now, struct az_problems *p)
{
	static const char *const allowed[] = { "consumer_orgno", "supplier_orgno", "scope",
		"active", "created", NULL };
	char fp[160], ts[32];
	size_t before = p->count;

	if (!json_is_object(in)) {
		az_problem(p, path, "must be an object");
		return NULL;
	}
	check_fields(p, path, in, allowed);
	snprintf(fp, sizeof(fp), "%s.consumer_orgno", path);
	check_orgno(p, fp, json_object_get(in, "consumer_orgno"), 1);
	snprintf(fp, sizeof(fp), "%s.supplier_orgno", path);
	check_orgno(p, fp, json_object_get(in, "supplier_orgno"), 1);
	snprintf(fp, sizeof(fp), "%s.scope", path);
	if (check_text(p, fp, json_object_get(in, "scope"), PORTEN_SCOPE_NAME_MAX, 1)) {
		const char *s = json_string_value(json_object_get(in, "scope"));
		const char *colon = strchr(s, ':');
		if (colon == NULL || colon == s || !az_subscope_valid(colon + 1))
			az_problem(p, fp, "is not a valid scope name");
	}
	if (p->count > before)
		return NULL;
	porten_iso8601(now, ts, sizeof(ts));
	return json_pack("{s:O,s:O,s:O,s:b,s:s}", "consumer_orgno", json_object_get(in, "consumer_orgno"),
	                 "supplier_orgno", json_object_get(in, "supplier_orgno"),
	                 "scope", json_object_get(in, "scope"),
	                 "active", !json_is_false(json_object_get(in, "active")), "created", ts);
}
