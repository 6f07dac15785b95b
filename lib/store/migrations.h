/* Numbered schema migrations, embedded from sql/<backend>/NNN_name.sql at build time
 * (cmake/embed_sql.cmake). Ordered by backend, then version. Terminated by a zero entry. */
#ifndef PORTEN_STORE_MIGRATIONS_H
#define PORTEN_STORE_MIGRATIONS_H

struct porten_migration {
	const char *backend;    /* "sqlite", "postgresql" */
	int version;            /* NNN */
	const char *name;       /* file name without .sql */
	const char *sql;
};

extern const struct porten_migration porten_migrations[];

#endif
