#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "opts.h"
#include "porten/log.h"

static const struct opt *
find(const struct opt_cmd *cmd, const char *name, size_t n)
{
	for (size_t i = 0; i < cmd->nopts; i++)
		if (strlen(cmd->opts[i].name) == n && strncmp(cmd->opts[i].name, name, n) == 0)
			return &cmd->opts[i];
	return NULL;
}

static int
set(const struct opt_cmd *cmd, const struct opt *o, void *cfg, const char *val, const char *src)
{
	char *p = (char *)cfg + o->offset, *end;
	struct opt_list *l;
	long v;

	switch (o->type) {
	case OPT_STRING:
		*(const char **)(void *)p = val;
		return 0;
	case OPT_INT:
		errno = 0;
		v = strtol(val, &end, 10);
		if (errno || *end || end == val || v < 0 || v > 2147483647L) {
			fprintf(stderr, "porten %s: %s%s expects a non-negative integer, got '%s'\n",
			        cmd->name, src, o->name, val);
			return -1;
		}
		*(int *)(void *)p = (int)v;
		return 0;
	case OPT_FLAG:
		*(int *)(void *)p = 1;
		return 0;
	case OPT_LIST:
		l = (struct opt_list *)(void *)p;
		if (l->n >= OPT_LIST_MAX) {
			fprintf(stderr, "porten %s: --%s given more than %d times\n", cmd->name, o->name,
			        OPT_LIST_MAX);
			return -1;
		}
		l->v[l->n++] = val;
		return 0;
	}
	return -1;
}

int
opts_parse(const struct opt_cmd *cmd, void *cfg, int argc, char **argv)
{
	char given[64] = { 0 };
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *val = NULL;
		const struct opt *o;
		size_t n;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			opts_help(cmd, stdout);
			return 1;
		}
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "porten %s: unexpected argument '%s'; see 'porten %s --help'\n",
			        cmd->name, a, cmd->name);
			return -1;
		}
		a += 2;
		eq = strchr(a, '=');
		n = eq ? (size_t)(eq - a) : strlen(a);
		if ((o = find(cmd, a, n)) == NULL) {
			fprintf(stderr, "porten %s: unknown option '--%.*s'; see 'porten %s --help'\n",
			        cmd->name, (int)n, a, cmd->name);
			return -1;
		}
		if (o->type == OPT_FLAG) {
			if (eq) {
				fprintf(stderr, "porten %s: --%s takes no value\n", cmd->name, o->name);
				return -1;
			}
		} else if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "porten %s: --%s needs a value (%s)\n", cmd->name, o->name, o->arg);
			return -1;
		}
		if (set(cmd, o, cfg, val, "--") != 0)
			return -1;
		given[o - cmd->opts] = 1;
	}
	/* Environment: PORTEN_<NAME> for options not given on the command line. */
	for (size_t k = 0; k < cmd->nopts && k < sizeof(given); k++) {
		char env[80], *e;
		size_t j;

		if (given[k] || cmd->opts[k].noenv)
			continue;
		snprintf(env, sizeof(env), "PORTEN_%s", cmd->opts[k].name);
		for (j = 7; env[j]; j++)
			env[j] = env[j] == '-' ? '_' : (char)toupper((unsigned char)env[j]);
		if ((e = getenv(env)) == NULL || *e == '\0')
			continue;
		if (cmd->opts[k].type == OPT_FLAG && strcmp(e, "1") != 0 && strcmp(e, "true") != 0)
			continue;
		if (set(cmd, &cmd->opts[k], cfg, e, "$PORTEN_ for --") != 0)
			return -1;
	}
	return 0;
}

/* Text for troff: a backslash doubled, '-' escaped, a line starting with '.' or '\''
 * protected. */
void
opts_man_text(FILE *f, const char *s)
{
	int bol = 1;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
		bol = *s == '\n';
	}
}

static void
man_options(const struct opt_cmd *cmd, FILE *f)
{
	for (size_t i = 0; i < cmd->nopts; i++) {
		const struct opt *o = &cmd->opts[i];

		if (o->hidden)
			continue;
		fputs(".TP\n.B \\-\\-", f);
		opts_man_text(f, o->name);
		if (o->arg) {
			fputs(" \\fI", f);
			opts_man_text(f, o->arg);
			fputs("\\fR", f);
		}
		fputs("\n", f);
		opts_man_text(f, o->help);
		if (o->type == OPT_LIST)
			fputs(" (repeatable)", f);
		fputs("\n", f);
	}
}

/* The manual page of cmd and its subcommands (man(7)); the same content as --help. */
static void
opts_man(const struct opt_cmd *cmd, FILE *f)
{
	char upper[64];
	size_t i;

	for (i = 0; cmd->name[i] && i < sizeof(upper) - 1; i++)
		upper[i] = (char)toupper((unsigned char)(cmd->name[i] == ' ' ? '-' : cmd->name[i]));
	upper[i] = '\0';
	fprintf(f, ".TH PORTEN-%s 1 \"\" \"porten " PORTEN_VERSION_STRING "\" \"porten manual\"\n.SH NAME\nporten\\-", upper);
	opts_man_text(f, cmd->name);
	fputs(" \\- ", f);
	/* NAME: the description's first clause, on one line. */
	{
		char first[256];
		size_t k;

		for (k = 0; k < sizeof(first) - 1 && cmd->description[k] != '\0'; k++) {
			char ch = cmd->description[k];

			if (ch == ':' || (ch == '.' && (cmd->description[k + 1] == ' ' || cmd->description[k + 1] == '\n' ||
			                               cmd->description[k + 1] == '\0')))
				break;
			first[k] = ch == '\n' ? ' ' : ch;
		}
		first[k] = '\0';
		opts_man_text(f, first);
	}
	fputs("\n.SH SYNOPSIS\n.B porten ", f);
	opts_man_text(f, cmd->name);
	fputs("\n", f);
	opts_man_text(f, cmd->synopsis);
	fputs("\n.SH DESCRIPTION\n", f);
	opts_man_text(f, cmd->description);
	fputs("\n.SH OPTIONS\n", f);
	man_options(cmd, f);
	fputs(".TP\n.B \\-\\-help\nshow the help\n", f);
	if (cmd->nsubs > 0)
		fputs(".SH SUBCOMMANDS\n", f);
	for (i = 0; i < cmd->nsubs; i++) {
		const struct opt_cmd *sub = cmd->subs[i];

		fputs(".SS porten ", f);
		opts_man_text(f, sub->name);
		fputs(" ", f);
		opts_man_text(f, sub->synopsis);
		fputs("\n", f);
		opts_man_text(f, sub->description);
		fputs("\n", f);
		man_options(sub, f);
	}
	fputs(".SH NOTES\n.nf\n", f);
	opts_man_text(f, cmd->footer != NULL ? cmd->footer + (cmd->footer[0] == '\n') :
	              "Every option can also be set as an environment variable PORTEN_<OPTION>,\n"
	              "e.g. PORTEN_LOG_LEVEL=debug.\n");
	fputs(".fi\n.SH EXIT STATUS\n0 success, 1 failure (refused by a server), 2 usage, 3 invalid configuration "
	      "or input, 4 a server or database unreachable.\n.SH SEE ALSO\n.BR porten (1),\ndocs/", f);
	opts_man_text(f, cmd->name);
	fputs(".md in the source tree\n", f);
}

void
opts_help(const struct opt_cmd *cmd, FILE *f)
{
	const char *fmt = getenv("PORTEN_HELP_FORMAT");

	if (fmt != NULL && strcmp(fmt, "man") == 0) {
		opts_man(cmd, f);
		return;
	}
	fprintf(f, "usage: porten %s %s\n\n%s\n\noptions:\n", cmd->name, cmd->synopsis, cmd->description);
	for (size_t i = 0; i < cmd->nopts; i++) {
		const struct opt *o = &cmd->opts[i];
		char left[64];

		if (o->hidden)
			continue;
		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-28s %s%s\n", left, o->help, o->type == OPT_LIST ? " (repeatable)" : "");
	}
	fprintf(f, "  %-28s %s\n", "--help", "show this help");
	if (cmd->footer != NULL) {
		fputs(cmd->footer, f);
		return;
	}
	fprintf(f, "\nEvery option can also be set as an environment variable PORTEN_<OPTION>,\n"
	           "e.g. PORTEN_LOG_LEVEL=debug. Exit status: 0 success, 1 failure, 2 usage,\n"
	           "3 invalid configuration or input, 4 a server or database unreachable.\n");
}

int
opts_log_level(const char *prog, const char *level, int dflt)
{
	int lvl = level != NULL ? porten_log_level_from_name(level) : dflt;

	if (level != NULL && lvl < 0) {
		fprintf(stderr, "%s: --log-level must be error, warn, info or debug, got '%s'\n", prog, level);
		return PORTEN_EXIT_USAGE;
	}
	if (lvl >= 0)
		porten_log_set_level((enum porten_log_level)lvl);
	return 0;
}

int
opts_host_port(const char *s, char *host, size_t hostsz, unsigned *port)
{
	const char *colon;
	char *end;
	long p;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':' || (size_t)(rb - s - 1) >= hostsz)
			return -1;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= hostsz || colon == s)
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 0 || p > 65535)
		return -1;
	*port = (unsigned)p;
	return 0;
}
