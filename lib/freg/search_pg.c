/* The search index on PostgreSQL (sql/postgresql/003_search.sql): the PostgreSQL text
 * of lib/freg/search.c's statements (enum freg_sst). lib/freg/search.c derives the rows
 * from a person document once for both backends (freg_search_index_to); these are the
 * statements that write them, in the same transaction as the person version
 * (lib/freg/register_pg.c), and the queries. */
#include <stddef.h>

#include "freg/register_pg.h"
#include "freg/search_int.h"

static const struct porten_pg_stmt sst_pg[SST_COUNT] = {
	[SST_DEL_PERSON] = { "freg_s_del_person", "DELETE FROM freg_s_person WHERE person = $1" },
	[SST_DEL_PAIR] = { "freg_s_del_pair", "DELETE FROM freg_s_pair WHERE person = $1" },
	[SST_DEL_WORD] = { "freg_s_del_word", "DELETE FROM freg_s_word WHERE person = $1" },
	[SST_DEL_ADDR] = { "freg_s_del_addr", "DELETE FROM freg_s_addr WHERE person = $1" },
	[SST_DEL_FID] = { "freg_s_del_fid", "DELETE FROM freg_s_fid WHERE person = $1" },
	[SST_INS_PERSON] = { "freg_s_ins_person",
		"INSERT INTO freg_s_person (person, pid, fdato, doed, doedsaar, kjoenn, ustatus, "
		"sivilstand, statsborgerskap, bostedskommune, oppholdskommune) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
		"ON CONFLICT (person) DO UPDATE SET pid = excluded.pid, fdato = excluded.fdato, "
		"doed = excluded.doed, doedsaar = excluded.doedsaar, kjoenn = excluded.kjoenn, "
		"ustatus = excluded.ustatus, sivilstand = excluded.sivilstand, "
		"statsborgerskap = excluded.statsborgerskap, bostedskommune = excluded.bostedskommune, "
		"oppholdskommune = excluded.oppholdskommune" },
	/* A key met again adds its bits. */
	[SST_INS_PAIR] = { "freg_s_ins_pair",
		"INSERT INTO freg_s_pair (fw, lw, fdato, person, m) VALUES ($1, $2, $3, $4, $5) "
		"ON CONFLICT (fw, lw, fdato, person) DO UPDATE SET m = freg_s_pair.m | excluded.m" },
	[SST_INS_WORD] = { "freg_s_ins_word",
		"INSERT INTO freg_s_word (word, person, m) VALUES ($1, $2, $3) "
		"ON CONFLICT (word, person) DO UPDATE SET m = freg_s_word.m | excluded.m" },
	[SST_INS_ADDR] = { "freg_s_ins_addr",
		"INSERT INTO freg_s_addr (person, n, kind, hist, grad, street, husnr, bokstav, postnr, "
		"komm) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)" },
	[SST_INS_FID] = { "freg_s_ins_fid",
		"INSERT INTO freg_s_fid (kind, value, person) VALUES ($1, $2, $3) "
		"ON CONFLICT DO NOTHING" },
	[SST_SET_PID] = { "freg_s_set_pid", "UPDATE freg_s_person SET pid = $2 WHERE person = $1" },
	[SST_MERGED] = { "freg_s_merged",
		"INSERT INTO freg_s_merged (person, event) VALUES ($1, $2) "
		"ON CONFLICT (person) DO UPDATE SET event = excluded.event" },
};

const struct porten_pg_stmt *
freg_search_pg_stmt(enum freg_sst id)
{
	if ((unsigned)id >= SST_COUNT || sst_pg[id].name == NULL)
		return NULL;
	return &sst_pg[id];
}
