/* One option table per subcommand drives parsing, environment variables and --help
 * (STYLE 15, 19). Every option NAME may also be given as PORTEN_NAME (upper case,
 * '-' as '_'); the command line wins. */
#ifndef PORTEN_OPTS_H
#define PORTEN_OPTS_H

#include <stddef.h>
#include <stdio.h>

#define OPT_LIST_MAX 16

enum opt_type { OPT_STRING, OPT_INT, OPT_FLAG, OPT_LIST };

struct opt_list {
	const char *v[OPT_LIST_MAX];
	size_t n;
};

struct opt {
	const char *name;        /* long name without "--" */
	const char *arg;         /* argument name for --help, NULL for flags */
	enum opt_type type;
	size_t offset;           /* into the command's config struct */
	const char *help;
	int hidden;              /* testing aids: parsed, not listed in --help */
	int noenv;               /* never read from PORTEN_<NAME> (arguments of one action,
	                          * e.g. --scope, that a variable set for another command
	                          * must not fill in) */
};

struct opt_cmd {
	const char *name;        /* "authz" */
	const char *synopsis;    /* "--listen HOST:PORT --issuer URL (--data DIR | --db URI) [options]" */
	const char *description;
	const struct opt *opts;
	size_t nopts;
	const char *footer;      /* when set, printed by --help instead of the standard
	                          * paragraph on environment variables and exit statuses */
	const struct opt_cmd *const *subs;   /* subcommands described on the same manual page */
	size_t nsubs;
};

/* 0: parsed; 1: --help printed (exit 0); -1: error printed (exit 2). */
int opts_parse(const struct opt_cmd *cmd, void *cfg, int argc, char **argv);
/* --help; a manual page (man(7)) instead when PORTEN_HELP_FORMAT=man, which is how the
 * build makes build/man/porten-*.1 from these same tables. */
void opts_help(const struct opt_cmd *cmd, FILE *f);
/* Writes s escaped for troff. */
void opts_man_text(FILE *f, const char *s);
/* Sets the log level from --log-level: level when given (NULL: dflt, or nothing when dflt
 * is negative). 0, or PORTEN_EXIT_USAGE after one line "<prog>: --log-level must be ...". */
int opts_log_level(const char *prog, const char *level, int dflt);
/* Splits "HOST:PORT" / "[v6]:PORT". 0 or -1. */
int opts_host_port(const char *s, char *host, size_t hostsz, unsigned *port);

#endif
