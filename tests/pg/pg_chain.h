/* The chain the register's PostgreSQL tests start (tests/pg/test_freg_pg_*.c): an authz
 * server that knows the offentligmedhjemmel package scope and one consumer of it, and
 * freg servers that trust that authz server and hold the consumer in their registry.
 *
 *   const char *fseed;
 *   az = pg_chain_authz(&omh, &fseed);
 *   fr = pg_chain_freg(az, fseed, PERSONS, (const char *[]){ "--db", uri, NULL });
 *
 * Header only (static functions); include after harness.h. */
#ifndef PORTEN_TESTS_PG_CHAIN_H
#define PORTEN_TESTS_PG_CHAIN_H

#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#define ORG_SKATT "974761076"
#define ORG_OMH "910000004"
#define SC_OMH "folkeregister:deling/offentligmedhjemmel"
#define PG_CHAIN_ARGS_MAX 32

/* Starts the authz server (its seed: the admin scopes, SC_OMH owned by Skatteetaten, the
 * consumer *omh of ORG_OMH) and writes the freg seed that registers ORG_OMH for the
 * package; *freg_seed is its path. */
static inline struct h_server *
pg_chain_authz(struct h_actor **omh, const char **freg_seed)
{
	struct h_server_opts o = { 0 };
	json_t *seed = h_seed_new(), *fseed;
	const char *path = h_strf("%s/freg-seed.json", h_tmpdir());

	h_seed_admin_scopes(seed);
	h_seed_scope(seed, SC_OMH, ORG_SKATT, NULL);
	*omh = h_seed_actor(seed, "omh", ORG_OMH, SC_OMH, NULL);
	o.seed = seed;
	fseed = json_pack("{s:[{s:s,s:[s]}]}", "consumers", "orgno", ORG_OMH, "packages",
	                  "offentligmedhjemmel");
	if (fseed == NULL || json_dump_file(fseed, path, 0) != 0)
		h_fail("cannot write %s", path);
	json_decref(fseed);
	*freg_seed = path;
	return h_server_start(&o);
}

/* Starts `porten freg` trusting az, with the freg seed, persons generated at the first
 * start, no throttling, and the arguments of more (NULL-terminated; may be NULL). */
static inline struct h_server *
pg_chain_freg(const struct h_server *az, const char *freg_seed, int persons,
	const char *const *more)
{
	struct h_server_opts o = { 0 };
	const char **extra = h_keep(calloc(PG_CHAIN_ARGS_MAX + 1, sizeof(char *)));
	size_t n = 0;

	extra[n++] = "--issuer-url";
	extra[n++] = az->url;
	extra[n++] = "--seed";
	extra[n++] = freg_seed;
	extra[n++] = "--persons";
	extra[n++] = h_strf("%d", persons);
	extra[n++] = "--rate-limit";
	extra[n++] = "100000000";
	for (; more != NULL && *more != NULL; more++) {
		if (n == PG_CHAIN_ARGS_MAX)
			h_fail("pg_chain_freg: more than %d arguments", PG_CHAIN_ARGS_MAX);
		extra[n++] = *more;
	}
	o.command = "freg";
	o.extra = extra;
	return h_server_start(&o);
}

#endif
