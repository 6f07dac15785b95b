/* The search index on PostgreSQL (sql/postgresql/003_search.sql): the PostgreSQL text
 * of lib/freg/search.c's statements (enum freg_sst). lib/freg/search.c derives the rows
 * from a person document once for both backends (freg_search_index_to); these are the
 * statements that write them, in the same transaction as the person version
 * (lib/freg/register_pg.c), and the queries, which search.c runs with the same
 * parameters as on SQLite (read sst_sql's comments there for what each number is).
 *
 * What differs from the SQLite text: every parameter is cast (PostgreSQL infers a
 * parameter's type from its first use, and one seen only in "IS NULL" has none); SQLite's
 * integers-as-booleans are compared with 0; json_each is json_array_elements_text;
 * rowids are the id / rid columns; comparisons of words, streets and identifiers are
 * bytewise (the columns are COLLATE "C", and the ranges say so too); a read snapshot is
 * REPEATABLE READ; a street prefix's upper bound may be NULL (none: search.c's sq_hi).
 * The soek and tilpasset statements are planned for each execution's values (custom in
 * struct porten_pg_stmt): which criteria are there, and how wide a birth-date range is,
 * decide where they start. The others are left to PostgreSQL's choice (it keeps
 * replanning entydigsoek's, whose generic plan costs more than the custom ones).
 * PostgreSQL needs every parameter up to the highest to appear in the
 * text, so a statement names the ones its driver does not use in a condition that is
 * always true ("$18::integer IS NULL OR true"). */
#include <stddef.h>
#include <stdlib.h>

#include "freg/register_pg.h"
#include "freg/search_int.h"


/* entydigsoek: everything but the driver. */
#define ENTYDIG_WHERE \
	"AND ($7::bigint IS NULL OR p.fdato = $7::bigint) " \
	"AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM freg_s_pair AS n WHERE n.fw = $2::text " \
	"AND n.lw = $3::text AND n.fdato = p.fdato AND n.person = p.person " \
	"AND (n.m & $1::integer) <> 0)) " \
	"AND ($5::text IS NULL OR NOT EXISTS (SELECT 1 FROM json_array_elements_text($5::json) " \
	"AS w(value) WHERE NOT EXISTS (SELECT 1 FROM freg_s_word AS x WHERE x.word = w.value " \
	"AND x.person = p.person AND (x.m & $1::integer) <> 0))) " \
	"AND ($6::text IS NULL OR EXISTS (SELECT 1 FROM freg_ident AS i WHERE i.pid = $6::text " \
	"AND i.person = p.person)) " \
	"AND ($8::integer = 0 OR EXISTS (SELECT 1 FROM freg_s_addr AS a WHERE a.person = p.person " \
	"AND a.grad <= $9::integer AND a.hist <= $4::integer " \
	"AND ($10::text IS NULL OR (a.street >= $10::text COLLATE \"C\" " \
	"AND ($11::text IS NULL OR a.street < $11::text COLLATE \"C\"))) " \
	"AND (CASE WHEN $12::integer IS NOT NULL THEN a.husnr = $12::integer " \
	"AND a.bokstav = $13::text WHEN $10::text IS NOT NULL THEN a.husnr = 0 ELSE true END) " \
	"AND ($14::text IS NULL OR a.postnr = $14::text))) " \
	"AND ($15::text IS NULL OR EXISTS (SELECT 1 FROM freg_s_fid AS f WHERE f.kind = 1 " \
	"AND f.value = $15::text AND f.person = p.person)) " \
	"AND ($16::text IS NULL OR EXISTS (SELECT 1 FROM freg_s_fid AS f WHERE f.kind = 2 " \
	"AND f.value = $16::text AND f.person = p.person)) " \
	"AND ($17::text IS NULL OR EXISTS (SELECT 1 FROM freg_s_fid AS f WHERE f.kind = 3 " \
	"AND f.value = $17::text AND f.person = p.person)) "
/* The FID driver's parameters, unused by the others. */
#define UNUSED_18_19 "AND ($18::integer IS NULL OR $19::text IS NULL OR true) "

/* soek */
#define SOEK_PERSON \
	"($4::integer <> 0 OR p.doed = 0) AND ($5::integer IS NULL OR p.kjoenn = $5::integer) " \
	"AND p.fdato >= $6::bigint AND p.fdato < $7::bigint " \
	"AND ($3::text IS NULL OR NOT EXISTS (SELECT 1 FROM json_array_elements_text($3::json) " \
	"AS w(value) WHERE NOT EXISTS (SELECT 1 FROM freg_s_word AS x WHERE x.word = w.value " \
	"AND x.person = p.person AND (x.m & $1::integer) <> 0))) "
#define SOEK_ADDR \
	"a.grad <= $9::integer AND a.kind <= $10::integer AND a.hist <= $2::integer " \
	"AND ($11::text IS NULL OR (a.street >= $11::text COLLATE \"C\" " \
	"AND ($12::text IS NULL OR a.street < $12::text COLLATE \"C\"))) " \
	"AND ($13::integer IS NULL OR (a.husnr = $13::integer AND a.bokstav = $14::text)) " \
	"AND ($15::text IS NULL OR a.postnr = $15::text) " \
	"AND ($16::text IS NULL OR (a.komm >= $16::text COLLATE \"C\" " \
	"AND a.komm < $17::text COLLATE \"C\")) "
#define SOEK_ADDR_EXISTS \
	"AND ($8::integer = 0 OR EXISTS (SELECT 1 FROM freg_s_addr AS a " \
	"WHERE a.person = p.person AND " SOEK_ADDR ")) "
/* The driving word's parameter, unused by the other drivers; the address flag, unused
 * when an address drives. */
#define UNUSED_18 "AND ($18::text IS NULL OR true) "
#define UNUSED_8 "AND ($8::integer IS NULL OR true) "
#define SOEK_BY_ADDR(COND) \
	"SELECT DISTINCT p.pid FROM freg_s_addr AS a JOIN freg_s_person AS p " \
	"ON p.person = a.person WHERE " COND " AND " SOEK_ADDR "AND " SOEK_PERSON UNUSED_8 UNUSED_18 \
	"LIMIT $19::bigint"
#define COUNT_UPTO(SQL) "SELECT count(*) FROM (SELECT 1 FROM " SQL ") AS s"

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

	[SST_ENTYDIG_NAME] = { "freg_s_entydig_name",
		"SELECT p.pid FROM freg_s_pair AS d JOIN freg_s_person AS p ON p.person = d.person "
		"WHERE d.fw = $20::text AND d.lw = $21::text AND (d.m & $1::integer) <> 0 "
		UNUSED_18_19 ENTYDIG_WHERE "LIMIT 2" },
	[SST_ENTYDIG_NAME_FDATO] = { "freg_s_entydig_name_fdato",
		"SELECT p.pid FROM freg_s_pair AS d JOIN freg_s_person AS p ON p.person = d.person "
		"WHERE d.fw = $20::text AND d.lw = $21::text AND d.fdato = $7::bigint "
		"AND (d.m & $1::integer) <> 0 " UNUSED_18_19 ENTYDIG_WHERE "LIMIT 2" },
	/* $18.. unused: the highest parameter bound is the statement's (search.c skips the
	 * rest). */
	[SST_ENTYDIG_IDENT] = { "freg_s_entydig_ident",
		"SELECT p.pid FROM freg_ident AS d JOIN freg_s_person AS p ON p.person = d.person "
		"WHERE d.pid = $6::text " ENTYDIG_WHERE "LIMIT 2" },
	[SST_ENTYDIG_FID] = { "freg_s_entydig_fid",
		"SELECT p.pid FROM freg_s_fid AS d JOIN freg_s_person AS p ON p.person = d.person "
		"WHERE d.kind = $18::integer AND d.value = $19::text " ENTYDIG_WHERE "LIMIT 2" },

	[SST_SOEK_ALL] = { "freg_s_soek_all",
		"SELECT p.pid FROM freg_s_person AS p WHERE " SOEK_PERSON SOEK_ADDR_EXISTS UNUSED_18
		"LIMIT $19::bigint", true },
	[SST_SOEK_FDATO] = { "freg_s_soek_fdato",
		"SELECT p.pid FROM freg_s_person AS p WHERE " SOEK_PERSON SOEK_ADDR_EXISTS UNUSED_18
		"LIMIT $19::bigint", true },
	[SST_SOEK_WORD] = { "freg_s_soek_word",
		"SELECT p.pid FROM freg_s_word AS d JOIN freg_s_person AS p ON p.person = d.person "
		"WHERE d.word = $18::text AND (d.m & $1::integer) <> 0 AND " SOEK_PERSON
		SOEK_ADDR_EXISTS "LIMIT $19::bigint", true },
	[SST_SOEK_WORD2] = { "freg_s_soek_word2",
		"SELECT p.pid FROM freg_s_word AS d JOIN freg_s_word AS e ON e.person = d.person "
		"JOIN freg_s_person AS p ON p.person = d.person "
		"WHERE d.word = $18::text AND (d.m & $1::integer) <> 0 AND e.word = $20::text "
		"AND (e.m & $1::integer) <> 0 AND " SOEK_PERSON
		SOEK_ADDR_EXISTS "LIMIT $19::bigint", true },
	[SST_SOEK_STREET] = { "freg_s_soek_street",
		SOEK_BY_ADDR("a.street >= $11::text COLLATE \"C\" "
		"AND ($12::text IS NULL OR a.street < $12::text COLLATE \"C\")"), true },
	[SST_SOEK_POST] = { "freg_s_soek_post", SOEK_BY_ADDR("a.postnr = $15::text"), true },
	[SST_SOEK_KOMM] = { "freg_s_soek_komm",
		SOEK_BY_ADDR("a.komm >= $16::text COLLATE \"C\" AND a.komm < $17::text COLLATE \"C\""),
		true },
	[SST_CNT_FDATO] = { "freg_s_cnt_fdato",
		COUNT_UPTO("freg_s_person WHERE fdato >= $1::bigint AND fdato < $2::bigint "
		           "LIMIT $3::bigint") },
	[SST_CNT_WORD] = { "freg_s_cnt_word",
		COUNT_UPTO("freg_s_word WHERE word = $1::text AND ($2::text IS NULL OR true) "
		           "LIMIT $3::bigint") },
	[SST_CNT_STREET] = { "freg_s_cnt_street",
		COUNT_UPTO("freg_s_addr WHERE street >= $1::text COLLATE \"C\" "
		           "AND ($2::text IS NULL OR street < $2::text COLLATE \"C\") LIMIT $3::bigint") },
	[SST_CNT_POST] = { "freg_s_cnt_post",
		COUNT_UPTO("freg_s_addr WHERE postnr = $1::text AND ($2::text IS NULL OR true) "
		           "LIMIT $3::bigint") },
	[SST_CNT_KOMM] = { "freg_s_cnt_komm",
		COUNT_UPTO("freg_s_addr WHERE komm >= $1::text COLLATE \"C\" "
		           "AND komm < $2::text COLLATE \"C\" LIMIT $3::bigint") },

	[SST_TILPASSET] = { "freg_s_tilpasset",
		"SELECT i.pid FROM freg_ident AS i JOIN freg_s_person AS p ON p.person = i.person "
		"WHERE i.kind = 0 AND (($1::bigint >> p.ustatus) & 1) = 1 "
		"AND ($2::text IS NULL OR p.bostedskommune = $2::text) "
		"AND ($3::text IS NULL OR p.oppholdskommune = $3::text) "
		"AND p.fdato >= $4::bigint AND p.fdato < $5::bigint "
		"AND ($6::integer = 0 OR (p.doed = 1 AND p.doedsaar >= $7::integer "
		"AND p.doedsaar <= $8::integer)) "
		"AND ($9::integer IS NULL OR p.kjoenn = $9::integer) "
		"AND ($10::text IS NULL OR strpos(' ' || p.statsborgerskap || ' ', "
		"' ' || $10::text || ' ') > 0) "
		"AND ($11::text IS NULL OR p.sivilstand = $11::text) "
		"AND (($2::text IS NULL AND $3::text IS NULL) OR NOT EXISTS (SELECT 1 "
		"FROM freg_s_addr AS a WHERE a.person = p.person AND a.grad > $12::integer)) "
		"ORDER BY i.pid COLLATE \"C\"", true },
	/* One snapshot for the bounds and the rows. */
	[SST_READ_BEGIN] = { "freg_s_read_begin", "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY" },
	[SST_READ_END] = { "freg_s_read_end", "COMMIT" },
	[SST_KOMPLETT_HEAD] = { "freg_s_komplett_head",
		"SELECT last FROM freg_feed_head WHERE package = $1::integer" },
	[SST_KOMPLETT_EVENT] = { "freg_s_komplett_event",
		"SELECT event FROM freg_feed WHERE package = $1::integer AND seq <= $2::bigint "
		"ORDER BY seq DESC LIMIT 1" },
	/* rid of both grows in commit order (register_pg.c). */
	[SST_KOMPLETT_DOC] = { "freg_s_komplett_doc",
		"SELECT d.rid FROM freg_event AS e JOIN freg_persondoc AS d ON d.id = e.persondoc "
		"WHERE e.rid <= $1::bigint ORDER BY e.rid DESC LIMIT 1" },
	[SST_KOMPLETT_CUR] = { "freg_s_komplett_cur",
		"SELECT d.id FROM freg_person AS p JOIN freg_persondoc AS d ON d.rid = p.cur "
		"ORDER BY p.id" },
	[SST_KOMPLETT_ASOF] = { "freg_s_komplett_asof",
		"SELECT CASE WHEN p.cur IS NOT NULL AND p.cur <= $1::bigint "
		"THEN (SELECT c.id FROM freg_persondoc AS c WHERE c.rid = p.cur) "
		"ELSE (SELECT d.id FROM freg_persondoc AS d WHERE d.person = p.id "
		"AND d.rid <= $1::bigint ORDER BY d.rid DESC LIMIT 1) END "
		"FROM freg_person AS p WHERE p.merged_into IS NULL "
		"OR (SELECT m.event FROM freg_s_merged AS m WHERE m.person = p.id) > $2::bigint "
		"ORDER BY p.id" },
};

const struct porten_pg_stmt *
freg_search_pg_stmt(enum freg_sst id)
{
	if ((unsigned)id >= SST_COUNT || sst_pg[id].name == NULL)
		return NULL;
	return &sst_pg[id];
}

int
freg_search_pg_nparams(enum freg_sst id)
{
	const char *t;
	long n, max = 0;

	if ((unsigned)id >= SST_COUNT || sst_pg[id].name == NULL)
		return -1;
	for (t = sst_pg[id].sql; *t != '\0'; t++) {
		if (*t != '$')
			continue;
		n = strtol(t + 1, NULL, 10);
		max = n > max ? n : max;
	}
	return (int)max;
}
