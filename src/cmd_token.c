/* porten token: an access token from Maskinporten (or porten authz), on stdout alone so
 * that TOKEN=$(porten token ...) works, or the whole token response with --json.
 *
 *   porten token [--scope S]... [credentials] [options]
 *
 * Credentials, servers, the token cache and the one-line failures are those of every
 * consumer command (consumer.h); docs/token.md. Exit status: 0 token printed, 1 refused
 * by Maskinporten (its error, then what to do), 2 usage, 3 bad credentials or input file
 * (wrong PKCS#12 password, expired certificate), 4 server unreachable or not trusted. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "consumer.h"
#include "opts.h"
#include "porten/buf.h"
#include "porten/error.h"
#include "porten/limits.h"

#define PROG "porten token"

struct token_opts {
	struct consumer_opts c;
	struct opt_list scope;
	int json;
};

#define O(f) offsetof(struct token_opts, f)

static const struct opt token_opts_table[] = {
	CONSUMER_OPTS(struct token_opts, c),
	{ "json", NULL, OPT_FLAG, O(json), "print the whole token response as JSON", 0, 1 },
	{ "scope", "S", OPT_LIST, O(scope), "scope to ask for; several are joined with spaces (default: the "
	  "sandbox consumer's package scope)", 0, 1 },
};

#define NOPTS (sizeof(token_opts_table) / sizeof(token_opts_table[0]))

static const char footer[] =
	"\nCredentials: the sandbox's consumer (--sandbox, --consumer, --client cert|key), or\n"
	"--client-id with --p12 FILE (--p12-password or PORTEN_P12_PASSWORD), --cert and --key,\n"
	"or --jwk (or --key) with --kid. Tokens are cached until less than max(10 s, 10% of\n"
	"their lifetime) remains; the cache holds bearer tokens in files of mode 0600.\n"
	"Options other than --scope and --json can also be set as PORTEN_<OPTION>.\n"
	"Exit status: 0 token printed, 1 refused by Maskinporten (its error and what to do),\n"
	"2 usage, 3 bad credentials or input file, 4 server unreachable or not trusted.\n"
	"See docs/token.md.\n";

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct opt *)a)->name, ((const struct opt *)b)->name);
}

/* The --scope values joined with spaces into b. 0 or an exit status. */
static int
join_scopes(const struct consumer *c, const struct opt_list *l, struct porten_buf *b)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i][0] == '\0' || strchr(l->v[i], ' ') != NULL)
			return consumer_fail(c, PORTEN_EXIT_USAGE, "--scope takes one scope name, got '%s'", l->v[i]);
		if ((i > 0 && porten_buf_appends(b, " ") != 0) || porten_buf_appends(b, l->v[i]) != 0)
			return consumer_fail(c, PORTEN_EXIT_USAGE, "the scopes are longer than %d characters",
			                     PORTEN_SCOPE_STRING_MAX);
	}
	return 0;
}

int
cmd_token(int argc, char **argv)
{
	struct opt table[NOPTS];
	struct opt_cmd cmd = { "token", "[--scope S]... [credentials] [--json] [options]",
		"Get an access token from Maskinporten with a JWT grant (RFC 7523) and print it.",
		table, NOPTS, footer };
	struct token_opts o;
	struct consumer c;
	struct porten_buf scope;
	const char *sc;
	char *token = NULL;
	json_t *answer = NULL;
	int r;

	memcpy(table, token_opts_table, sizeof(table));
	qsort(table, NOPTS, sizeof(table[0]), by_name);
	for (size_t i = 0; i < NOPTS; i++)
		if (strcmp(table[i].name, "freg") == 0)
			table[i].hidden = 1;     /* shared with feed and person; a token needs no register */
	memset(&o, 0, sizeof(o));
	if ((r = opts_parse(&cmd, &o, argc, argv)) != 0)
		return r > 0 ? PORTEN_EXIT_OK : PORTEN_EXIT_USAGE;
	porten_buf_init(&scope, PORTEN_SCOPE_STRING_MAX);
	if ((r = consumer_setup(&c, PROG, &o.c, CONSUMER_NEED_AUTHZ)) != 0)
		goto out;
	if ((r = join_scopes(&c, &o.scope, &scope)) != 0)
		goto out;
	sc = scope.len > 0 ? scope.data : consumer_package_scope(&c, consumer_package(&c));
	if (sc == NULL && o.c.token == NULL) {
		r = consumer_fail(&c, PORTEN_EXIT_USAGE, "no scope: give --scope SCOPE (the sandbox's "
		                  "consumer has no package to default to)");
		goto out;
	}
	if ((r = consumer_token(&c, sc, &token, o.json ? &answer : NULL)) != 0)
		goto out;
	if (o.json) {
		if (json_dumpf(answer, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 || fputc('\n', stdout) == EOF)
			r = PORTEN_EXIT_FAILURE;
	} else if (printf("%s\n", token) < 0) {
		r = PORTEN_EXIT_FAILURE;
	}
	if (r == 0 && fflush(stdout) != 0)
		r = PORTEN_EXIT_FAILURE;
	if (r != 0)
		consumer_fail(&c, r, "cannot write the token to stdout");
out:
	consumer_token_free(token);
	consumer_answer_free(answer);
	porten_buf_release(&scope);
	consumer_close(&c);
	return r;
}
