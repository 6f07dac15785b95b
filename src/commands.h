/* The porten subcommands. Each lives in src/cmd_<name>.c and returns an exit status. */
#ifndef PORTEN_COMMANDS_H
#define PORTEN_COMMANDS_H

/* Documented exit codes (docs/cli.md). */
enum porten_exit {
	PORTEN_EXIT_OK = 0,
	PORTEN_EXIT_FAILURE = 1,     /* the operation failed (server refused, file unreadable) */
	PORTEN_EXIT_USAGE = 2,       /* bad command line */
	PORTEN_EXIT_CONFIG = 3,      /* configuration or input files invalid */
	PORTEN_EXIT_UNAVAILABLE = 4, /* a server or database could not be reached */
};

int cmd_admin(int argc, char **argv);
int cmd_authz(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_feed(int argc, char **argv);
int cmd_freg(int argc, char **argv);
int cmd_person(int argc, char **argv);
int cmd_pki(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_up(int argc, char **argv);

#endif
