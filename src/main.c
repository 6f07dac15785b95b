/* porten: the executable only dispatches to subcommands; all logic is in lib/. */
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "commands.h"
#include "opts.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{ "admin", cmd_admin, "manage scopes, access, clients and keys through porten authz's admin API" },
	{ "authz", cmd_authz, "run the Maskinporten-compatible authorization server" },
	{ "doctor", cmd_doctor, "grade a grant against every Maskinporten rule, with the errors and fixes" },
	{ "feed", cmd_feed, "read a rights package's event feed (hendelsesliste) as JSON lines" },
	{ "freg", cmd_freg, "run the Folkeregisteret-compatible register (event feed, documents)" },
	{ "person", cmd_person, "look persons up in the register: by identifier, in bulk, by search" },
	{ "pki", cmd_pki, "make a test PKI: CAs, enterprise certificates, broken variants" },
	{ "token", cmd_token, "get an access token from Maskinporten (cached) and print it" },
	{ "up", cmd_up, "start the sandbox on this machine with embedded defaults" },
};

static void
usage(FILE *f)
{
	const char *fmt = getenv("PORTEN_HELP_FORMAT");

	if (f == stdout && fmt != NULL && strcmp(fmt, "man") == 0) {
		fputs(".TH PORTEN 1 \"\" \"porten " PORTEN_VERSION_STRING "\" \"porten manual\"\n.SH NAME\n"
		      "porten \\- Maskinporten, Folkeregisteret and their consumer on one machine\n"
		      ".SH SYNOPSIS\n.B porten\n\\fIcommand\\fR [\\fIoptions\\fR]\n.SH COMMANDS\n", f);
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
			fprintf(f, ".TP\n.BR porten\\-%s (1)\n", commands[i].name);
			opts_man_text(f, commands[i].summary);
			fputc('\n', f);
		}
		fputs(".SH EXIT STATUS\n0 success, 1 failure, 2 usage, 3 invalid configuration or input, "
		      "4 a server or database unreachable.\n", f);
		return;
	}
	fprintf(f, "usage: porten <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'porten <command> --help' describes a command's options.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return PORTEN_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return PORTEN_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("porten " PORTEN_VERSION_STRING "\n");
		return PORTEN_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "porten: unknown command '%s'; see 'porten --help'\n", argv[1]);
	return PORTEN_EXIT_USAGE;
}
