/* libFuzzer harness: the admin API's input layer. The input is a request body; it is
 * parsed as the admin API parses it (jansson, duplicate keys refused), then given to every
 * validator of lib/authz/model.c, and as a whole seed to porten_authz_seed_load on a
 * memory store. Besides memory safety it checks the validators' promises:
 *   - NULL is returned exactly when a problem was added, and the problem list matches;
 *   - a normalised document is valid and normalises to itself (idempotence), so what the
 *     API stores is always something it would accept again;
 *   - the seed loader either writes nothing (invalid) or leaves a seed that loads again
 *     without changing anything. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "porten/authz.h"
#include "porten/error.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/store.h"
#include "authz/model.h"

#define FUZZ_NOW 1780000000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	porten_log_set_level(PORTEN_LOG_ERROR);   /* placeholder orgnos warn on every input */
	return 0;
}

typedef json_t *(*normalizer)(const json_t *in, struct az_problems *p);

static json_t *n_scope(const json_t *in, struct az_problems *p) { return az_scope_normalize(in, "", FUZZ_NOW, p); }
static json_t *n_access(const json_t *in, struct az_problems *p) { return az_access_normalize(in, "", "974761076", FUZZ_NOW, p); }
static json_t *n_client(const json_t *in, struct az_problems *p) { return az_client_normalize(in, "", FUZZ_NOW, p); }
static json_t *n_jwks(const json_t *in, struct az_problems *p) { return az_jwks_normalize(in, "", FUZZ_NOW, p); }
static json_t *n_deleg(const json_t *in, struct az_problems *p) { return az_delegation_normalize(in, "", FUZZ_NOW, p); }

static void
check(normalizer fn, const json_t *in)
{
	struct az_problems p, q;
	json_t *out, *again;

	memset(&p, 0, sizeof(p));
	out = fn(in, &p);
	if ((out == NULL) != (p.count > 0))
		abort();
	if (p.count > 0 && json_array_size(p.list) != (p.count < 100 ? p.count : 100))
		abort();
	if (out != NULL) {
		memset(&q, 0, sizeof(q));
		again = fn(out, &q);
		if (again == NULL || q.count != 0 || !json_equal(again, out))
			abort();
		json_decref(again);
		az_problems_release(&q);
	}
	json_decref(out);
	az_problems_release(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	porten_store *store = NULL;
	char err[4096];
	size_t changed = 0;
	json_t *in;
	int r;

	if (size > PORTEN_ADMIN_BODY_MAX)
		return 0;
	in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (in == NULL)
		return 0;
	check(n_scope, in);
	check(n_access, in);
	check(n_client, in);
	check(n_jwks, in);
	check(n_deleg, in);

	if (porten_store_open("memory:", &store) != 0)
		abort();
	err[0] = '\0';
	r = porten_authz_seed_load(store, in, FUZZ_NOW, err, sizeof(err), &changed);
	if (r != 0 && r != PORTEN_ERR_INVALID)
		abort();
	if (r == PORTEN_ERR_INVALID && (changed != 0 || err[0] == '\0'))
		abort();
	if (r == 0) {
		r = porten_authz_seed_load(store, in, FUZZ_NOW, err, sizeof(err), &changed);
		if (r != 0 || changed != 0)
			abort();
	}
	porten_store_close(store);
	json_decref(in);
	return 0;
}
