/* Person search in the register (include/porten/freg_search.h; tables in
 * sql/sqlite/003_search.sql; phonetic rules in docs/freg-phonetic.md).
 *
 * Index: freg_search_index derives a person's rows from its current document inside
 * freg_register_ingest's transaction: one freg_s_person row, name pairs (a word of
 * fornavn with a word of etternavn, per name element) and name words, exact and
 * phonetic, the bosted- and oppholdsadresser a search may match, and the foreign
 * identifiers. A replaced version's rows are deleted first, by person.
 *
 * Queries: every query is one prepared statement (the sst_sql table) with numbered
 * parameters; a criterion that is not given is bound NULL and its condition reads
 * "?N IS NULL OR ...". Each statement starts from one index (its "driver"), joined to
 * freg_s_person by rowid, and checks every other criterion with a correlated seek:
 *   entydigsoek  identifikasjonsnummer (freg_ident), else a foreign identifier, else the
 *                (first word, last word[, birth date]) pair: a few hundred candidates
 *                at most, one or two with the birth date;
 *   soek         the criterion whose index holds the fewest entries, counted up to
 *                PORTEN_FREG_SEARCH_ESTIMATE (birth date, a name word, street prefix,
 *                postnummer, kommune); LIMIT FREG_SOEK_MAX + 1 so "too many" is found
 *                without reading them all;
 *   tilpasset    freg_ident's primary key (identifier order), current identifiers;
 *   komplett     freg_person with its version as of the sequence number's persondoc.
 * A list of words (navn's middle words, soek's other words) is one parameter, a JSON
 * array read with json_each.
 *
 * PostgreSQL: the same four functions run on a PostgreSQL register through struct sq
 * (below), which prepares, binds, steps and reads either backend; the statement texts
 * there are lib/freg/search_pg.c's, with the same parameter numbers. */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "freg/register_int.h"
#include "freg/register_pg.h"
#include "freg/search_int.h"
#include "porten/error.h"
#include "porten/freg_search.h"
#include "porten/limits.h"
#include "porten/log.h"

#define WORD_SZ (PORTEN_FREG_SEARCH_WORD_MAX + 1)
#define TEXT_SZ (PORTEN_FREG_SEARCH_TEXT_MAX + 1)
#define STREET_SZ 256           /* a stored street name, folded; longer is cut */
#define ELEMENTS_MAX 64         /* navn / address / identifier elements indexed per entity */
#define SB_MAX 8                /* statsborgerskap codes kept per person */

/* freg_s_addr.kind, freg_s_fid.kind, freg_s_addr.grad */
enum { ADDR_BOSTED = 1, ADDR_OPPHOLD = 2 };
enum { FID_UTENLANDSK = 1, FID_LEGITIMASJON = 2, FID_DUF = 3 };
enum { GRAD_UGRADERT = 0, GRAD_KLIENT = 1, GRAD_FORTROLIG = 2, GRAD_STRENGT = 3 };
/* freg_s_word.m, freg_s_pair.m: what a name key is, and from which elements. */
enum { M_WORD = 1, M_WORD_HIST = 2, M_PH = 4, M_PH_HIST = 8 };

/* ---- statements ---- */

/* entydigsoek. ?1 name mask (freg_s_word.m bits), ?2/?3 first and last word when a
 * driver other than the name pair's, ?4 hist (0 gjeldende, 1 historisk),
 * ?5 middle words (JSON array), ?6 identifikasjonsnummer, ?7 fdato, ?8 1 when an
 * address criterion is given, ?9 highest visible grad, ?10/?11 street prefix range,
 * ?12 husnummer, ?13 husbokstav, ?14 postnummer, ?15 utenlandsk, ?16 legitimasjon,
 * ?17 DUF; the FID driver: ?18 kind, ?19 value; the NAME drivers: ?20/?21 first and
 * last word. Column tests come before the seeks. An address criterion matches one
 * address: prefix, then the number and letter (an address with a number needs
 * husnummer when adressenavn is given), then postnummer. */
#define ENTYDIG_WHERE \
	"AND (?7 IS NULL OR p.fdato = ?7) " \
	"AND (?2 IS NULL OR EXISTS (SELECT 1 FROM freg_s_pair AS n WHERE n.fw = ?2 " \
	"AND n.lw = ?3 AND n.fdato = p.fdato AND n.person = p.person AND (n.m & ?1) != 0)) " \
	"AND (?5 IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(?5) AS w WHERE NOT EXISTS " \
	"(SELECT 1 FROM freg_s_word AS x WHERE x.word = w.value " \
	"AND x.person = p.person AND (x.m & ?1) != 0))) " \
	"AND (?6 IS NULL OR EXISTS (SELECT 1 FROM freg_ident AS i WHERE i.pid = ?6 " \
	"AND i.person = p.person)) " \
	"AND (?8 = 0 OR EXISTS (SELECT 1 FROM freg_s_addr AS a WHERE a.person = p.person " \
	"AND a.grad <= ?9 AND a.hist <= ?4 " \
	"AND (?10 IS NULL OR (a.street >= ?10 AND a.street < ?11)) " \
	"AND (CASE WHEN ?12 IS NOT NULL THEN a.husnr = ?12 AND a.bokstav = ?13 " \
	"WHEN ?10 IS NOT NULL THEN a.husnr = 0 ELSE 1 END) " \
	"AND (?14 IS NULL OR a.postnr = ?14))) " \
	"AND (?15 IS NULL OR EXISTS (SELECT 1 FROM freg_s_fid AS f WHERE f.kind = 1 " \
	"AND f.value = ?15 AND f.person = p.person)) " \
	"AND (?16 IS NULL OR EXISTS (SELECT 1 FROM freg_s_fid AS f WHERE f.kind = 2 " \
	"AND f.value = ?16 AND f.person = p.person)) " \
	"AND (?17 IS NULL OR EXISTS (SELECT 1 FROM freg_s_fid AS f WHERE f.kind = 3 " \
	"AND f.value = ?17 AND f.person = p.person)) " \
	"LIMIT 2"

/* soek. ?1 name mask, ?2 hist (addresses), ?3 name words besides the driver (JSON array), ?4 inkluderDoede,
 * ?5 kjoenn, ?6/?7 fdato range [lo, hi), ?8 1 when an address criterion is given,
 * ?9 highest visible grad, ?10 highest address kind, ?11/?12 street prefix range,
 * ?13 husnummer, ?14 husbokstav, ?15 postnummer, ?16/?17 kommunenummer range,
 * ?18 the driving name word, ?19 limit, ?20 the second name word of WORD2. FDATO marks
 * the fdato column that may use its index: "+" keeps the planner off it for the other
 * drivers. */
#define SOEK_PERSON(FDATO) \
	"(?4 OR p.doed = 0) AND (?5 IS NULL OR p.kjoenn = ?5) " \
	"AND " FDATO "p.fdato >= ?6 AND " FDATO "p.fdato < ?7 " \
	"AND (?3 IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(?3) AS w WHERE NOT EXISTS " \
	"(SELECT 1 FROM freg_s_word AS x WHERE x.word = w.value " \
	"AND x.person = p.person AND (x.m & ?1) != 0))) "
#define SOEK_ADDR \
	"a.grad <= ?9 AND a.kind <= ?10 AND a.hist <= ?2 " \
	"AND (?11 IS NULL OR (a.street >= ?11 AND a.street < ?12)) " \
	"AND (?13 IS NULL OR (a.husnr = ?13 AND a.bokstav = ?14)) " \
	"AND (?15 IS NULL OR a.postnr = ?15) " \
	"AND (?16 IS NULL OR (a.komm >= ?16 AND a.komm < ?17)) "
#define SOEK_ADDR_EXISTS \
	"AND (?8 = 0 OR EXISTS (SELECT 1 FROM freg_s_addr AS a WHERE a.person = p.person " \
	"AND " SOEK_ADDR ")) "
#define SOEK_BY_ADDR(COND) \
	"SELECT DISTINCT p.pid FROM freg_s_addr AS a CROSS JOIN freg_s_person AS p " \
	"WHERE " COND " AND " SOEK_ADDR "AND p.person = a.person AND " SOEK_PERSON("+") \
	"LIMIT ?19"
#define COUNT_UPTO(SQL) "SELECT count(*) FROM (SELECT 1 FROM " SQL ")"

/* tilpasset. ?1 status bits, ?2 bostedskommune, ?3 oppholdskommune, ?4/?5 fdato range,
 * ?6 1 when a death year range is given, ?7/?8 that range, ?9 kjoenn,
 * ?10 statsborgerskap, ?11 sivilstand, ?12 the highest address grading the package sees. */

static const char *const sst_sql[SST_COUNT] = {
	[SST_DEL_PERSON] = "DELETE FROM freg_s_person WHERE person = ?1",
	[SST_DEL_PAIR] = "DELETE FROM freg_s_pair WHERE person = ?1",
	[SST_DEL_WORD] = "DELETE FROM freg_s_word WHERE person = ?1",
	[SST_DEL_ADDR] = "DELETE FROM freg_s_addr WHERE person = ?1",
	[SST_DEL_FID] = "DELETE FROM freg_s_fid WHERE person = ?1",
	[SST_INS_PERSON] = "INSERT OR REPLACE INTO freg_s_person (person, pid, fdato, doed, "
	                   "doedsaar, kjoenn, ustatus, sivilstand, statsborgerskap, "
	                   "bostedskommune, oppholdskommune) "
	                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	/* A key met again (another element, or a word that is another's phonetic key)
	 * adds its bits. */
	[SST_INS_PAIR] = "INSERT INTO freg_s_pair (fw, lw, fdato, person, m) "
	                 "VALUES (?1, ?2, ?3, ?4, ?5) "
	                 "ON CONFLICT (fw, lw, fdato, person) DO UPDATE SET m = m | excluded.m",
	[SST_INS_WORD] = "INSERT INTO freg_s_word (word, person, m) VALUES (?1, ?2, ?3) "
	                 "ON CONFLICT (word, person) DO UPDATE SET m = m | excluded.m",
	[SST_INS_ADDR] = "INSERT INTO freg_s_addr (person, n, kind, hist, grad, street, husnr, "
	                 "bokstav, postnr, komm) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[SST_INS_FID] = "INSERT OR IGNORE INTO freg_s_fid (kind, value, person) "
	                "VALUES (?1, ?2, ?3)",
	[SST_SET_PID] = "UPDATE freg_s_person SET pid = ?2 WHERE person = ?1",
	[SST_MERGED] = "INSERT OR REPLACE INTO freg_s_merged (person, event) VALUES (?1, ?2)",
	[SST_STATE_GET] = "SELECT next, built FROM freg_s_state WHERE id = 1",
	[SST_STATE_SET] = "UPDATE freg_s_state SET next = ?1, built = ?2 WHERE id = 1",
	[SST_REBUILD_BATCH] = "SELECT p.id, p.pid, d.doc FROM freg_person AS p "
	                      "JOIN freg_persondoc AS d ON d.rowid = p.cur "
	                      "WHERE p.id >= ?1 ORDER BY p.id LIMIT ?2",

	[SST_ENTYDIG_NAME] = "SELECT p.pid FROM freg_s_pair AS d CROSS JOIN freg_s_person AS p "
	                     "WHERE d.fw = ?20 AND d.lw = ?21 AND (d.m & ?1) != 0 "
	                     "AND p.person = d.person " ENTYDIG_WHERE,
	[SST_ENTYDIG_NAME_FDATO] = "SELECT p.pid FROM freg_s_pair AS d "
	                           "CROSS JOIN freg_s_person AS p "
	                           "WHERE d.fw = ?20 AND d.lw = ?21 AND d.fdato = ?7 "
	                           "AND (d.m & ?1) != 0 AND p.person = d.person " ENTYDIG_WHERE,
	[SST_ENTYDIG_IDENT] = "SELECT p.pid FROM freg_ident AS d CROSS JOIN freg_s_person AS p "
	                      "WHERE d.pid = ?6 AND p.person = d.person " ENTYDIG_WHERE,
	[SST_ENTYDIG_FID] = "SELECT p.pid FROM freg_s_fid AS d CROSS JOIN freg_s_person AS p "
	                    "WHERE d.kind = ?18 AND d.value = ?19 AND p.person = d.person "
	                    ENTYDIG_WHERE,

	[SST_SOEK_ALL] = "SELECT p.pid FROM freg_s_person AS p WHERE " SOEK_PERSON("+")
	                 SOEK_ADDR_EXISTS "LIMIT ?19",
	[SST_SOEK_FDATO] = "SELECT p.pid FROM freg_s_person AS p WHERE " SOEK_PERSON("")
	                   SOEK_ADDR_EXISTS "LIMIT ?19",
	[SST_SOEK_WORD] = "SELECT p.pid FROM freg_s_word AS d CROSS JOIN freg_s_person AS p "
	                  "WHERE d.word = ?18 AND (d.m & ?1) != 0 "
	                  "AND p.person = d.person AND " SOEK_PERSON("+") SOEK_ADDR_EXISTS
	                  "LIMIT ?19",
	/* Two name words: the second is a primary-key probe per entry of the first, before
	 * any person row is read (on 5.6 million persons a common first name has tens of
	 * thousands of entries, and few of them have the surname too). */
	[SST_SOEK_WORD2] = "SELECT p.pid FROM freg_s_word AS d CROSS JOIN freg_s_word AS e "
	                   "CROSS JOIN freg_s_person AS p "
	                   "WHERE d.word = ?18 AND (d.m & ?1) != 0 AND e.word = ?20 "
	                   "AND e.person = d.person AND (e.m & ?1) != 0 "
	                   "AND p.person = d.person AND " SOEK_PERSON("+") SOEK_ADDR_EXISTS
	                   "LIMIT ?19",
	[SST_SOEK_STREET] = SOEK_BY_ADDR("a.street >= ?11 AND a.street < ?12"),
	[SST_SOEK_POST] = SOEK_BY_ADDR("a.postnr = ?15"),
	[SST_SOEK_KOMM] = SOEK_BY_ADDR("a.komm >= ?16 AND a.komm < ?17"),
	[SST_CNT_FDATO] = COUNT_UPTO("freg_s_person WHERE fdato >= ?1 AND fdato < ?2 LIMIT ?3"),
	[SST_CNT_WORD] = COUNT_UPTO("freg_s_word WHERE word = ?1 LIMIT ?3"),
	[SST_CNT_STREET] = COUNT_UPTO("freg_s_addr WHERE street >= ?1 AND street < ?2 LIMIT ?3"),
	[SST_CNT_POST] = COUNT_UPTO("freg_s_addr WHERE postnr = ?1 LIMIT ?3"),
	[SST_CNT_KOMM] = COUNT_UPTO("freg_s_addr WHERE komm >= ?1 AND komm < ?2 LIMIT ?3"),

	/* Identifier order is freg_ident's primary key; a person's current identifier is
	 * its kind 0 row. */
	[SST_TILPASSET] = "SELECT i.pid FROM freg_ident AS i CROSS JOIN freg_s_person AS p "
	                  "WHERE i.kind = 0 AND p.person = i.person "
	                  "AND (?1 >> p.ustatus) & 1 = 1 "
	                  "AND (?2 IS NULL OR p.bostedskommune = ?2) "
	                  "AND (?3 IS NULL OR p.oppholdskommune = ?3) "
	                  "AND p.fdato >= ?4 AND p.fdato < ?5 "
	                  "AND (?6 = 0 OR (p.doed = 1 AND p.doedsaar >= ?7 AND p.doedsaar <= ?8)) "
	                  "AND (?9 IS NULL OR p.kjoenn = ?9) "
	                  "AND (?10 IS NULL OR instr(' ' || p.statsborgerskap || ' ', "
	                  "' ' || ?10 || ' ') > 0) "
	                  "AND (?11 IS NULL OR p.sivilstand = ?11) "
	                  /* a kommune criterion must not reveal a graded address */
	                  "AND ((?2 IS NULL AND ?3 IS NULL) OR NOT EXISTS (SELECT 1 FROM freg_s_addr AS a "
	                  "WHERE a.person = p.person AND a.grad > ?12)) "
	                  "ORDER BY i.pid",
	[SST_READ_BEGIN] = "BEGIN",
	[SST_READ_END] = "COMMIT",
	[SST_KOMPLETT_HEAD] = "SELECT last FROM freg_feed_head WHERE package = ?1",
	[SST_KOMPLETT_EVENT] = "SELECT event FROM freg_feed WHERE package = ?1 AND seq <= ?2 "
	                       "ORDER BY seq DESC LIMIT 1",
	/* The newest persondoc written by an event at or before ?1 (rowids of both grow in
	 * commit order; events without a version, or whose version retention removed, are
	 * passed over). */
	[SST_KOMPLETT_DOC] = "SELECT d.rowid FROM freg_event AS e "
	                     "JOIN freg_persondoc AS d ON d.id = e.persondoc "
	                     "WHERE e.rowid <= ?1 ORDER BY e.rowid DESC LIMIT 1",
	[SST_KOMPLETT_CUR] = "SELECT d.id FROM freg_person AS p "
	                     "JOIN freg_persondoc AS d ON d.rowid = p.cur ORDER BY p.id",
	/* ?1 the last persondoc rowid as of the sequence number, ?2 its event rowid. A
	 * person not changed since is its current version (one rowid seek). */
	[SST_KOMPLETT_ASOF] = "SELECT CASE WHEN p.cur IS NOT NULL AND p.cur <= ?1 "
	                      "THEN (SELECT c.id FROM freg_persondoc AS c WHERE c.rowid = p.cur) "
	                      "ELSE (SELECT d.id FROM freg_persondoc AS d WHERE d.person = p.id "
	                      "AND d.rowid <= ?1 ORDER BY d.rowid DESC LIMIT 1) END "
	                      "FROM freg_person AS p WHERE p.merged_into IS NULL "
	                      "OR (SELECT m.event FROM freg_s_merged AS m WHERE m.person = p.id) > ?2 "
	                      "ORDER BY p.id",
};

const char *
freg_search_sql(enum freg_sst id)
{
	return (unsigned)id < SST_COUNT ? sst_sql[id] : NULL;
}

static int
prep(struct conn *c, enum freg_sst id, sqlite3_stmt **out)
{
	return freg_reg_stmt(c, id, sst_sql[id], out);
}

/* Bind helpers that keep the first error in *rc; parameters past the statement's
 * highest are skipped (the drivers of one query share a numbering). */
static void
bind_s(sqlite3_stmt *st, int i, const char *s, int *rc)
{
	if (*rc != SQLITE_OK || i > sqlite3_bind_parameter_count(st))
		return;
	*rc = s == NULL ? sqlite3_bind_null(st, i) : sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static void
bind_i(sqlite3_stmt *st, int i, int64_t v, int *rc)
{
	if (*rc != SQLITE_OK || i > sqlite3_bind_parameter_count(st))
		return;
	*rc = sqlite3_bind_int64(st, i, v);
}

/* An integer, or NULL when not has. */
static void
bind_oi(sqlite3_stmt *st, int i, bool has, int64_t v, int *rc)
{
	if (*rc != SQLITE_OK || i > sqlite3_bind_parameter_count(st))
		return;
	*rc = has ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

/* Runs a statement that returns no rows; fmt: 'i' int64_t, 's' string (NULL binds NULL),
 * 'o' an int (has) and an int64_t (NULL unless has). */
static int
vrun(struct conn *c, enum freg_sst id, const char *fmt, va_list ap)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_OK, r;

	if ((r = prep(c, id, &st)) != 0)
		return r;
	for (int i = 1; fmt[i - 1] != '\0'; i++) {
		if (fmt[i - 1] == 'i') {
			bind_i(st, i, va_arg(ap, int64_t), &rc);
		} else if (fmt[i - 1] == 'o') {
			int has = va_arg(ap, int);
			int64_t v = va_arg(ap, int64_t);

			bind_oi(st, i, has != 0, v, &rc);
		} else {
			bind_s(st, i, va_arg(ap, const char *), &rc);
		}
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	r = rc == SQLITE_DONE ? 0 : freg_reg_err(c, rc, sst_sql[id]);
	freg_reg_stmt_done(st);
	return r;
}

static int
run(struct conn *c, enum freg_sst id, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vrun(c, id, fmt, ap);
	va_end(ap);
	return r;
}

/* The SQLite connection as an index sink (search_int.h). */
static int
sqlite_put(void *sink, enum freg_sst id, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vrun(sink, id, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- text ---- */

/* One UTF-8 code point at s (n bytes left): its value and length; -1 and length 1 for
 * a malformed sequence (overlong, surrogate, past U+10FFFF, cut off). */
static long
utf8_next(const unsigned char *s, size_t n, size_t *len)
{
	long cp;
	size_t k;

	*len = 1;
	if (n == 0)
		return -1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		k = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		k = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		k = 4;
		cp = s[0] & 0x07;
	} else {
		return -1;
	}
	if (n < k)
		return -1;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return -1;
	*len = k;
	return cp;
}

/* Valid UTF-8 without control characters; *chars gets the code points. */
static bool
text_ok(const char *s, size_t *chars)
{
	size_t n = strlen(s), i = 0, k, count = 0;
	long cp;

	while (i < n) {
		cp = utf8_next((const unsigned char *)s + i, n - i, &k);
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			return false;
		i += k;
		count++;
	}
	if (chars != NULL)
		*chars = count;
	return true;
}

/* The lowercase of a capital letter (ASCII, Latin-1, Latin Extended-A), else cp. Every
 * pair has the same UTF-8 length. */
static long
lower_cp(long cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return cp + 0x20;
	if ((cp >= 0x100 && cp <= 0x12f && cp % 2 == 0) ||
	    (cp >= 0x132 && cp <= 0x137 && cp % 2 == 0) ||
	    (cp >= 0x139 && cp <= 0x148 && cp % 2 == 1) ||
	    (cp >= 0x14a && cp <= 0x177 && cp % 2 == 0) ||
	    (cp >= 0x179 && cp <= 0x17e && cp % 2 == 1))
		return cp + 1;
	if (cp == 0x178)
		return 0xff;
	return cp;
}

static size_t
utf8_put(long cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	/* lower_cp only maps within U+0000..U+017F: two bytes. */
	out[0] = (char)(0xc0 | (cp >> 6));
	out[1] = (char)(0x80 | (cp & 0x3f));
	return 2;
}

char *
freg_search_fold(const char *in, char *out, size_t outsz)
{
	size_t n, i = 0, o = 0, k;
	long cp;

	if (in == NULL || out == NULL || (n = strlen(in)) >= outsz)
		return NULL;
	while (i < n) {
		cp = utf8_next((const unsigned char *)in + i, n - i, &k);
		if (cp >= 0 && cp < 0x180 && lower_cp(cp) != cp) {
			o += utf8_put(lower_cp(cp), out + o);
		} else {
			memmove(out + o, in + i, k);     /* in may be out */
			o += k;
		}
		i += k;
	}
	out[o] = '\0';
	return out;
}

/* ---- phonetic key (docs/freg-phonetic.md) ---- */

#define PH_BUF 512

/* Step 1's letters: what a letter of U+00C0..U+017F becomes (lowercase ASCII, "" to
 * drop). */
static const char *
translit_cp(long cp)
{
	static const char *const latin1[64] = {
		"a", "a", "a", "a", "e", "o", "e", "s",     /* À Á Â Ã Ä Å Æ Ç */
		"e", "e", "e", "e", "i", "i", "i", "i",     /* È É Ê Ë Ì Í Î Ï */
		"d", "n", "o", "o", "o", "o", "o", "",      /* Ð Ñ Ò Ó Ô Õ Ö × */
		"o", "u", "u", "u", "y", "y", "t", "ss",    /* Ø Ù Ú Û Ü Ý Þ ß */
	};
	static const struct { long lo, hi; const char *to; } exta[] = {
		{ 0x100, 0x105, "a" }, { 0x106, 0x107, "tsj" }, { 0x108, 0x10b, "c" },
		{ 0x10c, 0x10d, "tsj" }, { 0x10e, 0x111, "d" }, { 0x112, 0x11b, "e" },
		{ 0x11c, 0x123, "g" }, { 0x124, 0x127, "h" }, { 0x128, 0x131, "i" },
		{ 0x132, 0x133, "ij" }, { 0x134, 0x135, "j" }, { 0x136, 0x138, "k" },
		{ 0x139, 0x142, "l" }, { 0x143, 0x149, "n" }, { 0x14a, 0x14b, "ng" },
		{ 0x14c, 0x151, "o" }, { 0x152, 0x153, "e" }, { 0x154, 0x159, "r" },
		{ 0x15a, 0x15f, "s" }, { 0x160, 0x161, "sj" }, { 0x162, 0x167, "t" },
		{ 0x168, 0x173, "u" }, { 0x174, 0x175, "v" }, { 0x176, 0x178, "y" },
		{ 0x179, 0x17c, "s" }, { 0x17d, 0x17e, "sj" }, { 0x17f, 0x17f, "s" },
	};

	if (cp >= 0xc0 && cp <= 0xff)
		return latin1[(cp >= 0xe0 ? cp - 0x20 : cp) - 0xc0];
	for (size_t i = 0; i < sizeof(exta) / sizeof(exta[0]); i++)
		if (cp >= exta[i].lo && cp <= exta[i].hi)
			return exta[i].to;
	return "";
}

static bool
is_vowel(char ch)
{
	return ch == 'a' || ch == 'e' || ch == 'i' || ch == 'o' || ch == 'u' || ch == 'y';
}

/* Appends s to b (length *n, room PH_BUF with the NUL); silently full. */
static void
ph_put(char *b, size_t *n, const char *s)
{
	while (*s != '\0' && *n < PH_BUF - 1)
		b[(*n)++] = *s++;
	b[*n] = '\0';
}

void
freg_phonetic(const char *word, char out[static FREG_PHONETIC_MAX])
{
	char a[PH_BUF], b[PH_BUF];
	size_t n = 0, m, len, k, i;
	long cp;

	out[0] = '\0';
	if (word == NULL)
		return;
	/* 1. Letters to lowercase ASCII; anything else goes. */
	a[0] = '\0';
	len = strlen(word);
	for (i = 0; i < len; i += k) {
		char one[2] = { 0, 0 };

		cp = utf8_next((const unsigned char *)word + i, len - i, &k);
		cp = lower_cp(cp);
		if (cp >= 'a' && cp <= 'z') {
			one[0] = (char)cp;
			ph_put(a, &n, one);
		} else if (cp >= 0xc0 && cp < 0x180) {
			ph_put(a, &n, translit_cp(cp));
		}
	}
	/* 2. The transliterations aa, ae, oe of å, æ, ø. */
	for (i = 0, m = 0; i < n; i++) {
		if (a[i] == 'a' && a[i + 1] == 'a') {
			b[m++] = 'o';
			i++;
		} else if ((a[i] == 'a' || a[i] == 'o') && a[i + 1] == 'e') {
			b[m++] = a[i] == 'a' ? 'e' : 'o';
			i++;
		} else {
			b[m++] = a[i];
		}
	}
	b[m] = '\0';
	/* 3. Consonants, left to right, longest match first. */
	n = 0;
	a[0] = '\0';
	for (i = 0; i < m; ) {
		char x = b[i], y = b[i + 1], z = y != '\0' ? b[i + 2] : '\0';

		if (x == 's' && ((y == 'c' && z == 'h') || (y == 'k' && z == 'j'))) {
			ph_put(a, &n, "sj");
			i += 3;
		} else if (x == 's' && y == 'h') {
			ph_put(a, &n, "sj");
			i += 2;
		} else if (x == 'c' && (y == 'h' || y == 'k')) {
			ph_put(a, &n, "k");
			i += 2;
		} else if (x == 'c') {
			ph_put(a, &n, y == 'e' || y == 'i' || y == 'y' ? "s" : "k");
			i++;
		} else if (x == 'q') {
			ph_put(a, &n, y == 'u' ? "kv" : "k");
			i += y == 'u' ? 2 : 1;
		} else if (x == 'x' || x == 'z' || x == 'w') {
			ph_put(a, &n, x == 'x' ? "ks" : x == 'z' ? "s" : "v");
			i++;
		} else if ((x == 'p' || x == 't') && y == 'h') {
			ph_put(a, &n, x == 'p' ? "f" : "t");
			i += 2;
		} else if (x == 'd' && y == 't') {
			ph_put(a, &n, "t");
			i += 2;
		} else if (n == 0 && (x == 'h' || x == 'g' || x == 'd') && y == 'j') {
			ph_put(a, &n, "j");
			i += 2;
		} else if (n == 0 && x == 'h' && y == 'v') {
			ph_put(a, &n, "v");
			i += 2;
		} else if (x == 'h' && n > 0 && !is_vowel(a[n - 1])) {
			i++;
		} else {
			char one[2] = { x, 0 };

			ph_put(a, &n, one);
			i++;
		}
	}
	/* 4. Vowels: y as i; ei, ey, ai, ay as ei; ie as i; ou as au. */
	for (i = 0; i < n; i++)
		if (a[i] == 'y')
			a[i] = 'i';
	for (i = 0, m = 0; i < n; i++) {
		if ((a[i] == 'e' || a[i] == 'a') && a[i + 1] == 'i') {
			b[m++] = 'e';
			b[m++] = 'i';
			i++;
		} else if (a[i] == 'i' && a[i + 1] == 'e') {
			b[m++] = 'i';
			i++;
		} else if (a[i] == 'o' && a[i + 1] == 'u') {
			b[m++] = 'a';
			b[m++] = 'u';
			i++;
		} else {
			b[m++] = a[i];
		}
	}
	/* 5. Double letters as one. */
	for (i = 0, n = 0; i < m; i++)
		if (n == 0 || a[n - 1] != b[i])
			a[n++] = b[i];
	a[n] = '\0';
	/* 6. Endings: -son as -sen, a final f as v. */
	if (n > 3 && strcmp(a + n - 3, "son") == 0)
		a[n - 2] = 'e';
	if (n > 1 && a[n - 1] == 'f')
		a[n - 1] = 'v';
	if (n > FREG_PHONETIC_MAX - 1)
		n = FREG_PHONETIC_MAX - 1;
	memcpy(out, a, n);
	out[n] = '\0';
}

/* ---- name words ---- */

struct words {
	size_t n;
	bool over;                       /* more than PORTEN_FREG_SEARCH_WORDS_MAX words */
	bool too_long;                   /* a word over PORTEN_FREG_SEARCH_WORD_MAX bytes */
	char w[PORTEN_FREG_SEARCH_WORDS_MAX][WORD_SZ];
};

static bool
is_sep(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '-';
}

/* The folded words of a name (separated by spaces and hyphens). A word over
 * PORTEN_FREG_SEARCH_WORD_MAX bytes is left out (too_long), words past
 * PORTEN_FREG_SEARCH_WORDS_MAX too (over). */
static void
split_words(const char *s, struct words *ws)
{
	char raw[WORD_SZ];
	size_t len;

	ws->n = 0;
	ws->over = ws->too_long = false;
	if (s == NULL)
		return;
	while (*s != '\0') {
		while (is_sep(*s))
			s++;
		if (*s == '\0')
			break;
		for (len = 0; s[len] != '\0' && !is_sep(s[len]); len++)
			;
		if (len > PORTEN_FREG_SEARCH_WORD_MAX) {
			ws->too_long = true;
		} else if (ws->n == PORTEN_FREG_SEARCH_WORDS_MAX) {
			ws->over = true;
		} else {
			memcpy(raw, s, len);
			raw[len] = '\0';
			(void)freg_search_fold(raw, ws->w[ws->n++], WORD_SZ);
		}
		s += len;
	}
}

/* The words as phonetic keys, in place. false when one has no key (no letters): such a
 * word matches nothing. */
static bool
words_phonetic(struct words *ws)
{
	char key[FREG_PHONETIC_MAX];

	for (size_t i = 0; i < ws->n; i++) {
		freg_phonetic(ws->w[i], key);
		if (key[0] == '\0')
			return false;
		memcpy(ws->w[i], key, strlen(key) + 1);
	}
	return true;
}

/* ws->w[from..to) (skipping skip and skip2) as a JSON array text (malloc'd), NULL when
 * empty. */
static int
words_json(const struct words *ws, size_t from, size_t to, size_t skip, size_t skip2,
	char **out)
{
	json_t *a = NULL;
	int r = PORTEN_ERR_NOMEM;

	*out = NULL;
	if ((a = json_array()) == NULL)
		goto out;
	for (size_t i = from; i < to; i++)
		if (i != skip && i != skip2 &&
		    json_array_append_new(a, json_string(ws->w[i])) != 0)
			goto out;
	if (json_array_size(a) > 0 && (*out = json_dumps(a, JSON_COMPACT)) == NULL)
		goto out;
	r = 0;
out:
	json_decref(a);
	return r;
}

/* ---- reading a person document ---- */

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* An element is current unless erGjeldende is false (event payloads have no flag). */
static bool
is_current(const json_t *el)
{
	return !json_is_false(json_object_get(el, "erGjeldende"));
}

/* The first current element of an entity array. */
static const json_t *
current(const json_t *doc, const char *entity)
{
	const json_t *a = json_object_get(doc, entity), *el;
	size_t i;

	json_array_foreach(a, i, el)
		if (json_is_object(el) && is_current(el))
			return el;
	return NULL;
}

static bool
digits(const char *s, size_t n)
{
	if (s == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[n] == '\0';
}

static int
grad_of(const char *s)
{
	if (s == NULL || strcmp(s, "ugradert") == 0)
		return GRAD_UGRADERT;
	if (strcmp(s, "klientadresse") == 0)
		return GRAD_KLIENT;
	if (strcmp(s, "fortrolig") == 0)
		return GRAD_FORTROLIG;
	return GRAD_STRENGT;            /* strengtFortrolig, or a value we do not know */
}

static int
ustatus_of(const char *s)
{
	static const struct { const char *name; int st; } map[] = {
		{ "bosatt", FREG_UT_BOSATT }, { "utflyttet", FREG_UT_UTFLYTTET },
		{ "doed", FREG_UT_DOED }, { "inaktiv", FREG_UT_INAKTIV },
		{ "opphoert", FREG_UT_INAKTIV }, { "midlertidig", FREG_UT_AKTIV },
		{ "ikkeBosatt", FREG_UT_AKTIV }, { "forsvunnet", FREG_UT_AKTIV },
		{ "foedselsregistrert", FREG_UT_AKTIV }, { "aktiv", FREG_UT_AKTIV },
	};

	for (size_t i = 0; s != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(s, map[i].name) == 0)
			return map[i].st;
	return -1;
}

/* YYYY-MM-DD (or YYYYMMDD digits) as YYYYMMDD; 0 when malformed. */
static int64_t
date_num(const char *s)
{
	if (s != NULL && strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		char d[9] = { s[0], s[1], s[2], s[3], s[5], s[6], s[8], s[9], 0 };

		return digits(d, 8) ? strtol(d, NULL, 10) : 0;
	}
	return 0;
}

/* The kommunenummer of an address element, or NULL. */
static const char *
addr_kommune(const json_t *el)
{
	const json_t *v;
	const char *k = NULL;

	if ((v = json_object_get(el, "vegadresse")) != NULL)
		k = jstr(v, "kommunenummer");
	else if ((v = json_object_get(el, "matrikkeladresse")) != NULL)
		k = jstr(json_object_get(v, "matrikkelnummer"), "kommunenummer");
	else if ((v = json_object_get(el, "ukjentBosted")) != NULL)
		k = jstr(v, "bostedskommune");
	return digits(k, 4) ? k : NULL;
}

/* ---- index maintenance ---- */

struct ix {
	freg_ix_put put;                 /* where the rows go (search_int.h) */
	void *sink;
	int64_t person;
	int64_t fdato;                   /* freg_s_person.fdato, also in freg_s_pair */
	int person_grad;                 /* the person's adressebeskyttelse */
	int64_t naddr;
};

/* A word as itself and as its phonetic key: one row when they are the same. */
static int
ix_word(struct ix *x, const char *w, bool hist)
{
	char key[FREG_PHONETIC_MAX];
	int64_t exact = hist ? M_WORD_HIST : M_WORD, ph = hist ? M_PH_HIST : M_PH;
	int r;

	freg_phonetic(w, key);
	if (strcmp(key, w) == 0)
		return x->put(x->sink, SST_INS_WORD, "sii", w, x->person, exact | ph);
	if ((r = x->put(x->sink, SST_INS_WORD, "sii", w, x->person, exact)) != 0 || key[0] == '\0')
		return r;
	return x->put(x->sink, SST_INS_WORD, "sii", key, x->person, ph);
}

static int
ix_pair(struct ix *x, const char *fw, const char *lw, bool hist)
{
	char kf[FREG_PHONETIC_MAX], kl[FREG_PHONETIC_MAX];
	int64_t exact = hist ? M_WORD_HIST : M_WORD, ph = hist ? M_PH_HIST : M_PH;
	int r;

	freg_phonetic(fw, kf);
	freg_phonetic(lw, kl);
	if (strcmp(kf, fw) == 0 && strcmp(kl, lw) == 0)
		return x->put(x->sink, SST_INS_PAIR, "ssiii", fw, lw, x->fdato, x->person, exact | ph);
	if ((r = x->put(x->sink, SST_INS_PAIR, "ssiii", fw, lw, x->fdato, x->person, exact)) != 0 ||
	    kf[0] == '\0' || kl[0] == '\0')
		return r;
	return x->put(x->sink, SST_INS_PAIR, "ssiii", kf, kl, x->fdato, x->person, ph);
}

/* The navn elements. */
static int
ix_names(struct ix *x, const json_t *doc)
{
	struct words f, m, l;
	const json_t *a = json_object_get(doc, "navn"), *el;
	size_t i;
	bool hist;
	int r;

	json_array_foreach(a, i, el) {
		if (i >= ELEMENTS_MAX)
			break;
		if (!json_is_object(el))
			continue;
		hist = !is_current(el);
		split_words(jstr(el, "fornavn"), &f);
		split_words(jstr(el, "mellomnavn"), &m);
		split_words(jstr(el, "etternavn"), &l);
		for (size_t j = 0; j < f.n; j++)
			for (size_t k = 0; k < l.n; k++)
				if ((r = ix_pair(x, f.w[j], l.w[k], hist)) != 0)
					return r;
		for (size_t j = 0; j < f.n; j++)
			if ((r = ix_word(x, f.w[j], hist)) != 0)
				return r;
		for (size_t j = 0; j < m.n; j++)
			if ((r = ix_word(x, m.w[j], hist)) != 0)
				return r;
		for (size_t j = 0; j < l.n; j++)
			if ((r = ix_word(x, l.w[j], hist)) != 0)
				return r;
	}
	return 0;
}

static int
ix_addr(struct ix *x, const json_t *el, int64_t kind)
{
	const json_t *v = json_object_get(el, "vegadresse"), *post;
	const char *street = NULL, *hn = NULL, *hb = NULL, *pn;
	char fstreet[STREET_SZ], bokstav[2] = "";
	int64_t husnr = 0;
	int grad = grad_of(jstr(el, "adressegradering"));

	if (x->person_grad > grad)
		grad = x->person_grad;
	if (grad >= GRAD_STRENGT)
		return 0;
	if (v != NULL) {
		street = jstr(v, "adressenavn");
		hn = jstr(json_object_get(v, "adressenummer"), "husnummer");
		hb = jstr(json_object_get(v, "adressenummer"), "husbokstav");
		post = json_object_get(v, "poststed");
	} else if ((v = json_object_get(el, "matrikkeladresse")) != NULL) {
		post = json_object_get(v, "poststed");
	} else if (json_object_get(el, "ukjentBosted") != NULL) {
		post = NULL;
	} else {
		return 0;                /* utenlandskAdresse, adressenErUkjent: nothing to match */
	}
	pn = jstr(post, "postnummer");
	if (street != NULL) {
		size_t n = strlen(street);

		if (n >= sizeof(fstreet)) {
			/* Cut at a character boundary. */
			n = sizeof(fstreet) - 1;
			while (n > 0 && ((unsigned char)street[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(fstreet, street, n);
		fstreet[n] = '\0';
		(void)freg_search_fold(fstreet, fstreet, sizeof(fstreet));
	}
	if (hn != NULL && hn[0] != '\0' && strlen(hn) <= 4 && digits(hn, strlen(hn)))
		husnr = strtol(hn, NULL, 10);
	if (hb != NULL && strlen(hb) == 1 && ((hb[0] >= 'a' && hb[0] <= 'z') ||
	                                     (hb[0] >= 'A' && hb[0] <= 'Z')))
		bokstav[0] = (char)(hb[0] & ~0x20);
	return x->put(x->sink, SST_INS_ADDR, "iiiiisisss", x->person, x->naddr++, kind,
	           (int64_t)!is_current(el), (int64_t)grad, street != NULL ? fstreet : NULL,
	           husnr, bokstav, digits(pn, 4) ? pn : NULL, addr_kommune(el));
}

static int
ix_addrs(struct ix *x, const json_t *doc, const char *entity, int64_t kind)
{
	const json_t *a = json_object_get(doc, entity), *el;
	size_t i;
	int r;

	json_array_foreach(a, i, el) {
		if (i >= ELEMENTS_MAX)
			break;
		if (json_is_object(el) && (r = ix_addr(x, el, kind)) != 0)
			return r;
	}
	return 0;
}

/* Uppercase ASCII copy of "<prefix>-<value>" (prefix may be NULL); false when it does
 * not fit or value is empty. */
static bool
fid_value(const char *prefix, const char *value, char *out, size_t outsz)
{
	int n;

	if (value == NULL || value[0] == '\0')
		return false;
	n = prefix != NULL ? snprintf(out, outsz, "%s-%s", prefix, value) :
	    snprintf(out, outsz, "%s", value);
	if (n < 0 || (size_t)n >= outsz)
		return false;
	for (char *p = out; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	return true;
}

static int
ix_fids(struct ix *x, const json_t *doc, const char *entity, int64_t kind,
	const char *numkey)
{
	const json_t *a = json_object_get(doc, entity), *el;
	char v[TEXT_SZ];
	size_t i;
	int r;

	json_array_foreach(a, i, el) {
		if (i >= ELEMENTS_MAX)
			break;
		if (!json_is_object(el) || !is_current(el))
			continue;
		if (!fid_value(kind == FID_DUF ? NULL : jstr(el, "utstederland"), jstr(el, numkey),
		               v, sizeof(v)))
			continue;
		if ((r = x->put(x->sink, SST_INS_FID, "isi", kind, v, x->person)) != 0)
			return r;
	}
	return 0;
}

static int
ix_person(struct ix *x, const char *pid, const json_t *doc)
{
	const json_t *el, *a, *dd;
	const char *s, *sivil, *bk = NULL, *ok = NULL;
	char sb[SB_MAX * 4 + 1] = "";
	int64_t fdato = 0, doed = 0, doedsaar = 0, kjoenn = 0;
	size_t i, nsb = 0;
	int ustatus;

	if ((el = current(doc, "foedsel")) != NULL) {
		fdato = date_num(jstr(el, "foedselsdato"));
		if (fdato == 0 && digits(s = jstr(el, "foedselsaar"), 4))
			fdato = strtol(s, NULL, 10) * 10000;
	}
	dd = json_object_get(doc, "doedsfall");
	if (json_is_object(dd) && is_current(dd)) {
		doed = 1;
		doedsaar = date_num(jstr(dd, "doedsdato")) / 10000;
	}
	if ((s = jstr(current(doc, "kjoenn"), "kjoenn")) != NULL)
		kjoenn = strcmp(s, "mann") == 0 ? 1 : strcmp(s, "kvinne") == 0 ? 2 : 0;
	ustatus = ustatus_of(jstr(current(doc, "status"), "status"));
	a = json_object_get(doc, "statsborgerskap");
	json_array_foreach(a, i, el) {
		s = jstr(el, "statsborgerskap");
		if (nsb < SB_MAX && is_current(el) && s != NULL && strlen(s) == 3) {
			if (nsb++ > 0)
				strcat(sb, " ");
			strcat(sb, s);
		}
	}
	if (x->person_grad < GRAD_STRENGT) {
		if ((el = current(doc, "bostedsadresse")) != NULL &&
		    grad_of(jstr(el, "adressegradering")) < GRAD_STRENGT)
			bk = addr_kommune(el);
		if ((el = current(doc, "oppholdsadresse")) != NULL &&
		    grad_of(jstr(el, "adressegradering")) < GRAD_STRENGT)
			ok = addr_kommune(el);
	}
	sivil = jstr(current(doc, "sivilstand"), "sivilstand");
	x->fdato = fdato;

	return x->put(x->sink, SST_INS_PERSON, "isiiiiossss", x->person, pid, fdato, doed,
	              doedsaar, kjoenn, ustatus >= 0, (int64_t)ustatus,
	              sivil != NULL && strlen(sivil) <= 64 ? sivil : NULL, sb, bk, ok);
}

static int
unindex(freg_ix_put put, void *sink, int64_t person)
{
	static const enum freg_sst del[] = {
		SST_DEL_PERSON, SST_DEL_PAIR, SST_DEL_WORD, SST_DEL_ADDR, SST_DEL_FID,
	};
	int r;

	for (size_t i = 0; i < sizeof(del) / sizeof(del[0]); i++)
		if ((r = put(sink, del[i], "i", person)) != 0)
			return r;
	return 0;
}

int
freg_search_index_to(freg_ix_put put, void *sink, int64_t person, const char *pid,
	const json_t *doc, bool replace)
{
	struct ix x = { .put = put, .sink = sink, .person = person };
	int r;

	if (!json_is_object(doc))
		return PORTEN_ERR_INVALID;
	if (replace && (r = unindex(put, sink, person)) != 0)
		return r;
	x.person_grad = grad_of(jstr(current(doc, "adressebeskyttelse"), "graderingsnivaa"));
	if ((r = ix_person(&x, pid, doc)) != 0 ||
	    (r = ix_names(&x, doc)) != 0 ||
	    (r = ix_addrs(&x, doc, "bostedsadresse", ADDR_BOSTED)) != 0 ||
	    (r = ix_addrs(&x, doc, "oppholdsadresse", ADDR_OPPHOLD)) != 0 ||
	    (r = ix_fids(&x, doc, "utenlandskPersonidentifikasjon", FID_UTENLANDSK,
	                 "identifikasjonsnummer")) != 0 ||
	    (r = ix_fids(&x, doc, "legitimasjonsdokument", FID_LEGITIMASJON,
	                 "identifikasjonsdokumentnummer")) != 0 ||
	    (r = ix_fids(&x, doc, "utlendingsmyndighetenesIdentifikasjonsnummer", FID_DUF,
	                 "identifikasjonsnummer")) != 0)
		return r;
	return 0;
}

int
freg_search_merged_to(freg_ix_put put, void *sink, int64_t person, int64_t event)
{
	int r;

	if ((r = unindex(put, sink, person)) != 0)
		return r;
	return put(sink, SST_MERGED, "ii", person, event);
}

int
freg_search_index(struct conn *c, int64_t person, const char *pid, const json_t *doc,
	bool replace)
{
	return freg_search_index_to(sqlite_put, c, person, pid, doc, replace);
}

int
freg_search_set_pid(struct conn *c, int64_t person, const char *pid)
{
	return run(c, SST_SET_PID, "is", person, pid);
}

int
freg_search_merged(struct conn *c, int64_t person, int64_t event)
{
	return freg_search_merged_to(sqlite_put, c, person, event);
}

/* One batch of the initial indexing from person id *next; *done when none was left. */
static int
rebuild_batch(freg_register *reg, int64_t *next, bool *done)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	json_t *doc = NULL;
	json_error_t err;
	int64_t id = *next, last = *next - 1;
	size_t n = 0;
	int rc = SQLITE_OK, r;

	if ((r = freg_reg_write_begin(reg, &c)) != 0)
		return r;
	if ((r = prep(c, SST_REBUILD_BATCH, &st)) != 0)
		goto out;
	bind_i(st, 1, id, &rc);
	bind_i(st, 2, PORTEN_FREG_SEARCH_REBUILD_BATCH, &rc);
	if (rc != SQLITE_OK) {
		r = freg_reg_err(c, rc, "bind");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *pid = (const char *)sqlite3_column_text(st, 1);
		const char *t = (const char *)sqlite3_column_text(st, 2);

		last = sqlite3_column_int64(st, 0);
		n++;
		if (pid == NULL || t == NULL) {
			r = PORTEN_ERR_NOMEM;
			goto out;
		}
		doc = json_loadb(t, (size_t)sqlite3_column_bytes(st, 2), 0, &err);
		if (doc == NULL) {
			log_error("freg: search: person %lld: stored document does not parse: %s",
			          (long long)last, err.text);
			continue;
		}
		if ((r = freg_search_index(c, last, pid, doc, true)) != 0)
			goto out;
		json_decref(doc);
		doc = NULL;
	}
	if (rc != SQLITE_DONE) {
		r = freg_reg_err(c, rc, "search index: rebuild");
		goto out;
	}
	freg_reg_stmt_done(st);
	st = NULL;
	*done = n == 0;
	*next = last + 1;
	r = run(c, SST_STATE_SET, "ii", *next, (int64_t)*done);
out:
	json_decref(doc);
	freg_reg_stmt_done(st);
	return freg_reg_write_end(reg, c, r);
}

int
freg_search_ensure(freg_register *reg)
{
	struct conn *c = NULL;
	sqlite3_stmt *st = NULL;
	int64_t next = 0, built = 0;
	size_t batches = 0;
	bool done = false;
	int rc, r;

	if ((r = freg_reg_conn_get(reg, &c)) != 0)
		return r;
	if ((r = prep(c, SST_STATE_GET, &st)) == 0) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			next = sqlite3_column_int64(st, 0);
			built = sqlite3_column_int64(st, 1);
		} else {
			r = freg_reg_err(c, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc,
			                 "search index state");
		}
	}
	freg_reg_stmt_done(st);
	freg_reg_conn_put(reg, c);
	if (r != 0 || built)
		return r;
	log_info("freg: search: indexing the persons of the register (from person %lld)",
	         (long long)next);
	while (!done) {
		if ((r = rebuild_batch(reg, &next, &done)) != 0)
			return r;
		if (++batches % 20 == 0)
			log_info("freg: search: indexed up to person %lld", (long long)next - 1);
	}
	log_info("freg: search: index complete");
	return 0;
}

/* ---- criteria ---- */

static int
invalid(char *why, size_t why_sz, const char *msg)
{
	if (why != NULL && why_sz > 0)
		snprintf(why, why_sz, "%s", msg);
	return PORTEN_ERR_INVALID;
}

static bool
valid_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (!digits(s, 8))
		return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[4] - '0') * 10 + (s[5] - '0');
	d = (s[6] - '0') * 10 + (s[7] - '0');
	if (y == 0 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return !(m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

/* "10" or "10B": 1 to 4 digits and an optional letter. */
static bool
parse_husnummer(const char *s, int64_t *nr, char letter[2])
{
	size_t n = 0;

	if (s == NULL)
		return false;
	while (n < 5 && s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || n > 4)
		return false;
	letter[0] = letter[1] = '\0';
	if (s[n] != '\0') {
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z')) ||
		    s[n + 1] != '\0')
			return false;
		letter[0] = (char)(s[n] & ~0x20);
	}
	*nr = strtol(s, NULL, 10);
	return *nr > 0;
}

/* "<alpha-3>-<id>" (utenlandsk, legitimasjonsdokument) or, with alpha false, "<id>"
 * (DUF): letters, digits and hyphens. */
static bool
valid_fid(const char *s, bool alpha)
{
	size_t n, i = 0;

	if (s == NULL || (n = strlen(s)) == 0 || n > 64)
		return false;
	if (alpha) {
		for (; i < 3; i++)
			if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
				return false;
		if (s[3] != '-' || n < 5)
			return false;
		i = 4;
	}
	for (; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* navn: at least min words, none too long, not too many, valid text. */
static int
check_navn(const char *navn, size_t min, char *why, size_t why_sz)
{
	struct words ws;

	if (strlen(navn) > PORTEN_FREG_SEARCH_TEXT_MAX || !text_ok(navn, NULL))
		return invalid(why, why_sz, "ugyldig navn");
	split_words(navn, &ws);
	if (ws.too_long || ws.over)
		return invalid(why, why_sz, "navn har for lange eller for mange ord");
	if (ws.n < min)
		return invalid(why, why_sz, min > 1 ? "navn må bestå av minst to ord" :
		               "navn er tomt");
	return 0;
}

static int
check_adressenavn(const char *s, char *why, size_t why_sz)
{
	size_t chars = 0;

	if (strlen(s) > PORTEN_FREG_SEARCH_TEXT_MAX || !text_ok(s, &chars))
		return invalid(why, why_sz, "ugyldig adressenavn");
	if (chars < 3)
		return invalid(why, why_sz, "adressenavn må ha minst tre tegn");
	return 0;
}

/* Packages with a legal basis (hjemmel) see fortrolig and klientadresse addresses. */
static bool
hjemmel(enum freg_pkg p)
{
	return p == FREG_OMH || p == FREG_FIN || p == FREG_EID;
}

int
freg_entydig_check(enum freg_pkg p, const struct freg_entydig *q, char *why, size_t why_sz)
{
	int64_t hn;
	char hb[2];
	bool foreign, right;
	int r;

	if (why != NULL && why_sz > 0)
		why[0] = '\0';
	if (q == NULL || (unsigned)p >= FREG_PKG_COUNT)
		return invalid(why, why_sz, "ugyldig forespørsel");
	if (q->navn != NULL && (r = check_navn(q->navn, 2, why, why_sz)) != 0)
		return r;
	if (q->identifikasjonsnummer != NULL && !digits(q->identifikasjonsnummer, 11))
		return invalid(why, why_sz, "identifikasjonsnummer må være 11 siffer");
	if (q->foedselsdato != NULL && !valid_date(q->foedselsdato))
		return invalid(why, why_sz, "foedselsdato må være en dato på formen ÅÅÅÅMMDD");
	if (q->adressenavn != NULL && (r = check_adressenavn(q->adressenavn, why, why_sz)) != 0)
		return r;
	if (q->husnummer != NULL && !parse_husnummer(q->husnummer, &hn, hb))
		return invalid(why, why_sz, "husnummer må være et tall med en eventuell bokstav");
	if (q->postnummer != NULL && !digits(q->postnummer, 4))
		return invalid(why, why_sz, "postnummer må være 4 siffer");
	if (q->husnummer != NULL && q->adressenavn == NULL && q->postnummer == NULL)
		return invalid(why, why_sz, "husnummer krever adressenavn eller postnummer");
	if (q->utenlandsk != NULL && !valid_fid(q->utenlandsk, true))
		return invalid(why, why_sz, "utenlandskpersonidentifikasjon må ha formen "
		               "<landkode>-<nummer>");
	if (q->legitimasjonsdokument != NULL && !valid_fid(q->legitimasjonsdokument, true))
		return invalid(why, why_sz, "legitimasjonsdokument må ha formen "
		               "<landkode>-<nummer>");
	if (q->duf != NULL && !valid_fid(q->duf, false))
		return invalid(why, why_sz, "ugyldig utlendingsmyndighetenesidentifikasjonsnummer");
	foreign = q->utenlandsk != NULL || q->legitimasjonsdokument != NULL;
	if (foreign && p != FREG_OMH && p != FREG_EID)
		return invalid(why, why_sz, "søk på utenlandsk identifikasjon er ikke tillatt for "
		               "denne rettighetspakken");
	if (q->duf != NULL && p != FREG_OMH)
		return invalid(why, why_sz, "søk på utlendingsmyndighetenesidentifikasjonsnummer er "
		               "ikke tillatt for denne rettighetspakken");
	right = q->navn != NULL && (q->identifikasjonsnummer != NULL || q->foedselsdato != NULL ||
	                            q->adressenavn != NULL || q->postnummer != NULL ||
	                            q->duf != NULL || foreign);
	right = right || (q->foedselsdato != NULL && foreign);
	if (!right)
		return invalid(why, why_sz, "kriteriene gir ikke rett til treff: navn og "
		               "identifikasjonsnummer, foedselsdato, adressenavn eller postnummer");
	return 0;
}

int
freg_soek_check(const struct freg_soek *q, char *why, size_t why_sz)
{
	int64_t hn;
	char hb[2];
	int r;

	if (why != NULL && why_sz > 0)
		why[0] = '\0';
	if (q == NULL)
		return invalid(why, why_sz, "ugyldig forespørsel");
	if (q->navn != NULL && (r = check_navn(q->navn, 1, why, why_sz)) != 0)
		return r;
	if (q->kjoenn != NULL && strcmp(q->kjoenn, "mann") != 0 && strcmp(q->kjoenn, "kvinne") != 0)
		return invalid(why, why_sz, "kjoenn må være mann eller kvinne");
	if (q->foedselsdato != NULL && !valid_date(q->foedselsdato))
		return invalid(why, why_sz, "foedselsdato må være en dato på formen ÅÅÅÅMMDD");
	if ((q->aar_fom != 0 && (q->aar_fom < 1000 || q->aar_fom > 9999)) ||
	    (q->aar_tom != 0 && (q->aar_tom < 1000 || q->aar_tom > 9999)))
		return invalid(why, why_sz, "fødselsår må være fire siffer");
	if (q->aar_fom != 0 && q->aar_tom != 0 && q->aar_fom > q->aar_tom)
		return invalid(why, why_sz, "foedselsaarFraOgMed er etter foedselsaarTilOgMed");
	if (q->adressenavn != NULL && (r = check_adressenavn(q->adressenavn, why, why_sz)) != 0)
		return r;
	if (q->husnummer != NULL && !parse_husnummer(q->husnummer, &hn, hb))
		return invalid(why, why_sz, "husnummer må være et tall med en eventuell bokstav");
	if (q->postnummer != NULL && !digits(q->postnummer, 4))
		return invalid(why, why_sz, "postnummer må være 4 siffer");
	if (q->kommunenummer != NULL && !digits(q->kommunenummer, 4))
		return invalid(why, why_sz, "kommunenummer må være 4 siffer");
	if (q->fylkesnummer != NULL && !digits(q->fylkesnummer, 2))
		return invalid(why, why_sz, "fylkesnummer må være 2 siffer");
	if (q->maks > FREG_SOEK_MAX)
		return invalid(why, why_sz, "maksTreff kan ikke være over 10000");
	return 0;
}

/* The range [lo, hi) (lo of sz bytes, hi of HI_SZ(sz)) of byte strings that start with prefix (folded): hi is prefix with
 * its last character raised by one code point, trailing U+10FFFF dropped first (nothing
 * follows it). Over valid UTF-8 (every stored street and kommune) that range is exactly
 * the strings with the prefix, bytewise, and hi is itself valid UTF-8, as PostgreSQL
 * requires of text. A prefix of U+10FFFF only: hi is lo with a 0xf5 byte, past every
 * valid string. */
#define HI_SZ(sz) ((sz) + 4)   /* room for hi: a code point may grow by a byte, or 0xf5 */
static void
prefix_range(const char *prefix, char *lo, char *hi, size_t sz)
{
	size_t n, i, k, last = 0;
	long cp = -1, c;

	(void)freg_search_fold(prefix, lo, sz);
	n = strlen(lo);
	memcpy(hi, lo, n + 1);
	/* The last code point below U+10FFFF not followed by anything but U+10FFFF. */
	for (i = 0; i < n; i += k) {
		c = utf8_next((const unsigned char *)lo + i, n - i, &k);
		if (c != 0x10ffff) {
			cp = c;
			last = i;
		}
	}
	if (cp < 0) {
		/* Checked text is valid UTF-8; none below U+10FFFF (or empty). */
		hi[n] = (char)0xf5;
		hi[n + 1] = '\0';
		return;
	}
	cp++;
	if (cp == 0xd800)
		cp = 0xe000;
	/* Encode cp at last; it may be one byte longer than the code point it replaces. */
	if (cp < 0x80) {
		hi[last] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		hi[last] = (char)(0xc0 | (cp >> 6));
		hi[last + 1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		hi[last] = (char)(0xe0 | (cp >> 12));
		hi[last + 1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		hi[last + 2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		hi[last] = (char)(0xf0 | (cp >> 18));
		hi[last + 1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		hi[last + 2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		hi[last + 3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	hi[last + k] = '\0';
}

/* The freg_s_word.m bits a name criterion matches. */
static int64_t
name_mask(bool fonetisk, bool historisk)
{
	int64_t m = fonetisk ? M_PH : M_WORD;

	return historisk ? m | (fonetisk ? M_PH_HIST : M_WORD_HIST) : m;
}

/* ---- one query on either backend ---- */

/* The four searches below run the same C on both backends: which statement, which
 * parameters, how the rows are read, the limits and the order. Only the statement text
 * differs (sst_sql here, lib/freg/search_pg.c on PostgreSQL, with the same numbering).
 * A statement is prepared, bound by parameter number (a number past the statement's
 * highest is skipped, as the drivers of one query share a numbering), stepped row by
 * row and reset; on PostgreSQL the rows come in one result, or one at a time for the
 * uttrekk lists (stream: porten_pg_send), which can hold the whole register. */
#define SQ_PARAMS 24

struct sq {
	freg_register *reg;
	struct freg_pgreg *g;            /* PostgreSQL, else NULL */
	struct conn *c;                  /* SQLite */
	sqlite3_stmt *st;
	struct porten_pg_conn *pc;       /* PostgreSQL */
	PGresult *res;
	int row, nrows;
	bool used;                       /* a statement ran on pc: no retry elsewhere */
	bool stream;                     /* PostgreSQL: rows one at a time */
	bool sent;                       /* ... and the query is sent */
	enum freg_sst id;
	int rc;                          /* SQLite: the first bind error */
	int np;                          /* PostgreSQL: the statement's parameters */
	const char *v[SQ_PARAMS];
	char b[SQ_PARAMS][24];
};

static int
sq_open(struct sq *q, freg_register *reg)
{
	memset(q, 0, sizeof(*q));
	q->reg = reg;
	q->g = freg_reg_pg(reg);
	return q->g != NULL ? freg_pg_conn_get(q->g, &q->pc) : freg_reg_conn_get(reg, &q->c);
}

static void
sq_done(struct sq *q)
{
	freg_reg_stmt_done(q->st);
	q->st = NULL;
	PQclear(q->res);
	q->res = NULL;
	if (q->pc != NULL)
		porten_pg_abandon(q->pc);
}

static void
sq_close(struct sq *q)
{
	sq_done(q);
	if (q->pc != NULL)
		freg_pg_conn_put(q->g, q->pc);
	if (q->c != NULL)
		freg_reg_conn_put(q->reg, q->c);
	q->pc = NULL;
	q->c = NULL;
}

static int
sq_prep(struct sq *q, enum freg_sst id)
{
	sq_done(q);
	q->id = id;
	q->rc = SQLITE_OK;
	q->stream = false;
	q->sent = false;
	if (q->g == NULL)
		return prep(q->c, id, &q->st);
	q->np = freg_search_pg_nparams(id);
	if (q->np < 0 || q->np > SQ_PARAMS) {
		log_error("freg: search: statement %d has no PostgreSQL text", (int)id);
		return PORTEN_ERR_INTERNAL;
	}
	for (int i = 0; i < SQ_PARAMS; i++)
		q->v[i] = NULL;
	return 0;
}

static void
sq_s(struct sq *q, int i, const char *s)
{
	if (q->g == NULL)
		bind_s(q->st, i, s, &q->rc);
	else if (i >= 1 && i <= q->np)
		q->v[i - 1] = s;
}

/* An integer, or NULL when not has. */
static void
sq_oi(struct sq *q, int i, bool has, int64_t v)
{
	if (q->g == NULL) {
		bind_oi(q->st, i, has, v, &q->rc);
	} else if (i >= 1 && i <= q->np) {
		snprintf(q->b[i - 1], sizeof(q->b[i - 1]), "%lld", (long long)v);
		q->v[i - 1] = has ? q->b[i - 1] : NULL;
	}
}

static void
sq_i(struct sq *q, int i, int64_t v)
{
	sq_oi(q, i, true, v);
}

/* The upper bound of a prefix range (prefix_range). PostgreSQL takes only valid UTF-8 as
 * text, so there the bound past every string (a 0xf5 byte) goes as NULL, which its
 * statements read as no upper bound. */
static void
sq_hi(struct sq *q, int i, const char *hi)
{
	size_t n = hi != NULL ? strlen(hi) : 0;

	sq_s(q, i, q->g != NULL && n > 0 && (unsigned char)hi[n - 1] == 0xf5 ? NULL : hi);
}

/* 1 a row, 0 no more, or an error. On PostgreSQL a connection found dead by the first
 * statement of a call (a database restart leaves stale ones in the pool) is replaced
 * and the statement sent again: nothing was read yet. */
static int
sq_step(struct sq *q)
{
	unsigned lost = 0;
	int rc, r;

	if (q->g == NULL) {
		if (q->rc != SQLITE_OK)
			return freg_reg_err(q->c, q->rc, "bind");
		rc = sqlite3_step(q->st);
		if (rc == SQLITE_ROW)
			return 1;
		return rc == SQLITE_DONE ? 0 : freg_reg_err(q->c, rc, sst_sql[q->id]);
	}
	if (q->stream) {
		/* Rows one at a time, each its own result. */
		PQclear(q->res);
		q->res = NULL;
		if (q->sent) {
			r = porten_pg_row(q->pc, &q->res);
		} else {
			for (;;) {
				r = porten_pg_send(q->pc, freg_search_pg_stmt(q->id), q->np, q->v);
				if (r == 0) {
					q->sent = true;
					r = porten_pg_row(q->pc, &q->res);
				}
				if (r != PORTEN_ERR_UNAVAILABLE || !q->pc->broken || q->used ||
				    lost++ >= PORTEN_FREG_POOL_MAX)
					break;
				q->sent = false;
				freg_pg_conn_put(q->g, q->pc);
				q->pc = NULL;
				if ((r = freg_pg_conn_get(q->g, &q->pc)) != 0)
					return r;
			}
		}
		if (r == 1) {
			q->used = true;
			q->row = 0;
			q->nrows = 1;
		}
		return r;
	}
	if (q->res == NULL) {
		for (;;) {
			r = freg_pg_run(q->pc, q->id, q->np, q->v, &q->res);
			if (r != PORTEN_ERR_UNAVAILABLE || !q->pc->broken || q->used ||
			    lost++ >= PORTEN_FREG_POOL_MAX)
				break;
			freg_pg_conn_put(q->g, q->pc);
			q->pc = NULL;
			if ((r = freg_pg_conn_get(q->g, &q->pc)) != 0)
				return r;
		}
		if (r != 0)
			return r;
		q->used = true;
		q->row = -1;
		q->nrows = PQntuples(q->res);
	}
	if (q->row + 1 >= q->nrows)
		return 0;
	q->row++;
	return 1;
}

/* Column col of the current row as text (NULL for SQL NULL), its length in *len. */
static const char *
sq_text(struct sq *q, int col, size_t *len)
{
	const char *t;

	if (q->g == NULL) {
		t = (const char *)sqlite3_column_text(q->st, col);
		*len = t != NULL ? (size_t)sqlite3_column_bytes(q->st, col) : 0;
		return t;
	}
	if (PQgetisnull(q->res, q->row, col)) {
		*len = 0;
		return NULL;
	}
	*len = (size_t)PQgetlength(q->res, q->row, col);
	return PQgetvalue(q->res, q->row, col);
}

/* Column col as an integer: false for SQL NULL. */
static bool
sq_int(struct sq *q, int col, int64_t *out)
{
	size_t len;
	const char *t;

	if (q->g == NULL) {
		if (sqlite3_column_type(q->st, col) == SQLITE_NULL)
			return false;
		*out = sqlite3_column_int64(q->st, col);
		return true;
	}
	if ((t = sq_text(q, col, &len)) == NULL)
		return false;
	*out = strtoll(t, NULL, 10);
	return true;
}

/* Runs a statement without parameters that returns no rows. */
static int
sq_run0(struct sq *q, enum freg_sst id)
{
	int r;

	if ((r = sq_prep(q, id)) != 0)
		return r;
	r = sq_step(q);
	sq_done(q);
	return r < 0 ? r : 0;
}

/* ---- entydigsoek ---- */

int
freg_register_entydig(freg_register *reg, enum freg_pkg p, const struct freg_entydig *q,
	char pid[12])
{
	struct sq s;
	struct words ws;
	char *mid = NULL, slo[TEXT_SZ], shi[HI_SZ(TEXT_SZ)], hb[2] = "";
	char fu[TEXT_SZ], fl[TEXT_SZ], fd[TEXT_SZ];
	const char *fw = NULL, *lw = NULL, *dval = NULL;
	int64_t hn = 0, dkind = 0;
	bool addr, has_hn = false;
	size_t hits = 0;
	enum freg_sst drv;
	int r;

	if (reg == NULL || pid == NULL)
		return PORTEN_ERR_INVALID;
	pid[0] = '\0';
	if ((r = freg_entydig_check(p, q, NULL, 0)) != 0)
		return r;
	ws.n = 0;
	if (q->navn != NULL) {
		split_words(q->navn, &ws);
		if (q->fonetisk && !words_phonetic(&ws))
			return PORTEN_ERR_NOT_FOUND;
		fw = ws.w[0];
		lw = ws.w[ws.n - 1];
		if ((r = words_json(&ws, 1, ws.n - 1, SIZE_MAX, SIZE_MAX, &mid)) != 0)
			return r;
	}
	if (q->adressenavn != NULL)
		prefix_range(q->adressenavn, slo, shi, sizeof(slo));
	if (q->husnummer != NULL)
		has_hn = parse_husnummer(q->husnummer, &hn, hb);
	addr = q->adressenavn != NULL || q->postnummer != NULL || has_hn;
	if (q->utenlandsk != NULL)
		(void)fid_value(NULL, q->utenlandsk, fu, sizeof(fu));
	if (q->legitimasjonsdokument != NULL)
		(void)fid_value(NULL, q->legitimasjonsdokument, fl, sizeof(fl));
	if (q->duf != NULL)
		(void)fid_value(NULL, q->duf, fd, sizeof(fd));
	/* The most selective index given drives; the rest are checked per candidate. */
	if (q->identifikasjonsnummer != NULL) {
		drv = SST_ENTYDIG_IDENT;
	} else if (q->utenlandsk != NULL || q->legitimasjonsdokument != NULL || q->duf != NULL) {
		drv = SST_ENTYDIG_FID;
		dkind = q->utenlandsk != NULL ? FID_UTENLANDSK :
		        q->legitimasjonsdokument != NULL ? FID_LEGITIMASJON : FID_DUF;
		dval = q->utenlandsk != NULL ? fu : q->legitimasjonsdokument != NULL ? fl : fd;
	} else {
		drv = q->foedselsdato != NULL ? SST_ENTYDIG_NAME_FDATO : SST_ENTYDIG_NAME;
	}
	if ((r = sq_open(&s, reg)) != 0)
		goto out;
	if ((r = sq_prep(&s, drv)) != 0)
		goto out;
	/* The name pair is checked by a seek unless it drives. */
	sq_i(&s, 1, name_mask(q->fonetisk, q->historisk));
	sq_s(&s, 2, drv == SST_ENTYDIG_NAME || drv == SST_ENTYDIG_NAME_FDATO ? NULL : fw);
	sq_s(&s, 3, lw);
	sq_i(&s, 4, q->historisk);
	sq_s(&s, 5, mid);
	sq_s(&s, 6, q->identifikasjonsnummer);
	sq_oi(&s, 7, q->foedselsdato != NULL, q->foedselsdato != NULL ?
	      strtol(q->foedselsdato, NULL, 10) : 0);
	sq_i(&s, 8, addr);
	sq_i(&s, 9, hjemmel(p) ? GRAD_FORTROLIG : GRAD_UGRADERT);
	sq_s(&s, 10, q->adressenavn != NULL ? slo : NULL);
	sq_hi(&s, 11, q->adressenavn != NULL ? shi : NULL);
	sq_oi(&s, 12, has_hn, hn);
	sq_s(&s, 13, hb);
	sq_s(&s, 14, q->postnummer);
	sq_s(&s, 15, q->utenlandsk != NULL ? fu : NULL);
	sq_s(&s, 16, q->legitimasjonsdokument != NULL ? fl : NULL);
	sq_s(&s, 17, q->duf != NULL ? fd : NULL);
	sq_i(&s, 18, dkind);
	sq_s(&s, 19, dval);
	sq_s(&s, 20, fw);
	sq_s(&s, 21, lw);
	while ((r = sq_step(&s)) == 1) {
		size_t len;
		const char *t = sq_text(&s, 0, &len);

		if (hits++ == 0 && t != NULL && len == 11)
			memcpy(pid, t, 12);
	}
	if (r != 0)
		goto out;
	r = hits == 1 && pid[0] != '\0' ? 0 : PORTEN_ERR_NOT_FOUND;
out:
	if (r != 0)
		pid[0] = '\0';
	sq_close(&s);
	free(mid);
	return r;
}

/* ---- soek ---- */

struct pids {
	size_t n;
	char (*v)[12];
};

static int
pid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 11);
}

/* Entries of an index for one criterion, counted up to PORTEN_FREG_SEARCH_ESTIMATE:
 * parameters 1 and 2 by fmt ('i' int64_t, 's' string, 'h' a prefix range's upper
 * bound), 3 the ceiling. */
static int
estimate(struct sq *s, enum freg_sst id, int64_t *out, const char *fmt, ...)
{
	va_list ap;
	int r;

	if ((r = sq_prep(s, id)) != 0)
		return r;
	va_start(ap, fmt);
	for (int i = 1; fmt[i - 1] != '\0'; i++) {
		if (fmt[i - 1] == 'i')
			sq_i(s, i, va_arg(ap, int64_t));
		else if (fmt[i - 1] == 'h')
			sq_hi(s, i, va_arg(ap, const char *));
		else
			sq_s(s, i, va_arg(ap, const char *));
	}
	va_end(ap);
	sq_i(s, 3, PORTEN_FREG_SEARCH_ESTIMATE);
	if ((r = sq_step(s)) == 1 && sq_int(s, 0, out))
		r = 0;
	else if (r >= 0)
		r = PORTEN_ERR_INTERNAL;
	sq_done(s);
	return r;
}

int
freg_register_soek(freg_register *reg, enum freg_pkg p, const struct freg_soek *q,
	freg_pid_fn fn, void *ctx)
{
	struct sq s;
	struct words ws;
	struct pids res = { 0, NULL };
	char *rest = NULL, slo[TEXT_SZ], shi[HI_SZ(TEXT_SZ)], klo[8], khi[HI_SZ(8)], hb[2] = "";
	int64_t lo = 0, hi = INT64_MAX, hn = 0, best = INT64_MAX, n;
	int64_t best_word = INT64_MAX, next_word = INT64_MAX;
	size_t maks, drv_word = SIZE_MAX, drv_word2 = SIZE_MAX;
	enum freg_sst drv = SST_SOEK_ALL;
	bool has_date, has_hn = false, has_komm, addr;
	int r;

	memset(&s, 0, sizeof(s));
	if (reg == NULL || fn == NULL)
		return PORTEN_ERR_INVALID;
	if ((r = freg_soek_check(q, NULL, 0)) != 0)
		return r;
	maks = q->maks == 0 ? FREG_SOEK_MAX : q->maks;
	ws.n = 0;
	if (q->navn != NULL) {
		split_words(q->navn, &ws);
		if (q->fonetisk && !words_phonetic(&ws))
			return 0;
	}
	/* Birth date and years are one range of fdato. */
	has_date = q->foedselsdato != NULL || q->aar_fom != 0 || q->aar_tom != 0;
	if (q->aar_fom != 0 || q->aar_tom != 0)
		lo = 1;
	if (q->aar_fom != 0)
		lo = (int64_t)q->aar_fom * 10000;
	if (q->aar_tom != 0)
		hi = ((int64_t)q->aar_tom + 1) * 10000;
	if (q->foedselsdato != NULL) {
		int64_t d = strtol(q->foedselsdato, NULL, 10);

		lo = d > lo ? d : lo;
		hi = d + 1 < hi ? d + 1 : hi;
	}
	if (lo >= hi)
		return 0;
	/* kommunenummer and fylkesnummer are one range of the address's kommune. */
	has_komm = q->kommunenummer != NULL || q->fylkesnummer != NULL;
	if (q->kommunenummer != NULL) {
		if (q->fylkesnummer != NULL && strncmp(q->kommunenummer, q->fylkesnummer, 2) != 0)
			return 0;
		prefix_range(q->kommunenummer, klo, khi, sizeof(klo));
	} else if (q->fylkesnummer != NULL) {
		prefix_range(q->fylkesnummer, klo, khi, sizeof(klo));
	}
	if (q->adressenavn != NULL)
		prefix_range(q->adressenavn, slo, shi, sizeof(slo));
	if (q->husnummer != NULL)
		has_hn = parse_husnummer(q->husnummer, &hn, hb);
	addr = q->adressenavn != NULL || has_hn || q->postnummer != NULL || has_komm;

	if ((r = sq_open(&s, reg)) != 0)
		goto out;
	/* The criterion with the fewest index entries drives. */
	if (has_date) {
		if ((r = estimate(&s, SST_CNT_FDATO, &n, "ii", lo, hi)) != 0)
			goto out;
		best = n;
		drv = SST_SOEK_FDATO;
	}
	/* The two name words with the fewest entries: with two, the second is checked
	 * in the index before the first's persons are read. */
	for (size_t i = 0; i < ws.n; i++) {
		if ((r = estimate(&s, SST_CNT_WORD, &n, "s", ws.w[i])) != 0)
			goto out;
		if (n < best_word) {
			next_word = best_word;
			drv_word2 = drv_word;
			best_word = n;
			drv_word = i;
		} else if (n < next_word) {
			next_word = n;
			drv_word2 = i;
		}
	}
	if (drv_word != SIZE_MAX && best_word < best) {
		best = best_word;
		drv = drv_word2 != SIZE_MAX ? SST_SOEK_WORD2 : SST_SOEK_WORD;
	}
	if (q->adressenavn != NULL) {
		if ((r = estimate(&s, SST_CNT_STREET, &n, "sh", slo, shi)) != 0)
			goto out;
		if (n < best) {
			best = n;
			drv = SST_SOEK_STREET;
		}
	}
	if (q->postnummer != NULL) {
		if ((r = estimate(&s, SST_CNT_POST, &n, "s", q->postnummer)) != 0)
			goto out;
		if (n < best) {
			best = n;
			drv = SST_SOEK_POST;
		}
	}
	if (has_komm) {
		if ((r = estimate(&s, SST_CNT_KOMM, &n, "ss", klo, khi)) != 0)
			goto out;
		if (n < best) {
			best = n;
			drv = SST_SOEK_KOMM;
		}
	}
	if (drv != SST_SOEK_WORD && drv != SST_SOEK_WORD2)
		drv_word = SIZE_MAX;
	if (drv != SST_SOEK_WORD2)
		drv_word2 = SIZE_MAX;
	if ((r = words_json(&ws, 0, ws.n, drv_word, drv_word2, &rest)) != 0)
		goto out;

	if ((res.v = malloc((FREG_SOEK_MAX + 1) * sizeof(*res.v))) == NULL) {
		r = PORTEN_ERR_NOMEM;
		goto out;
	}
	if ((r = sq_prep(&s, drv)) != 0)
		goto out;
	sq_i(&s, 1, name_mask(q->fonetisk, q->historisk));
	sq_i(&s, 2, q->historisk);
	sq_s(&s, 3, rest);
	sq_i(&s, 4, q->inkluder_doede);
	sq_oi(&s, 5, q->kjoenn != NULL, q->kjoenn != NULL && strcmp(q->kjoenn, "mann") == 0 ?
	      1 : 2);
	sq_i(&s, 6, lo);
	sq_i(&s, 7, hi);
	sq_i(&s, 8, addr);
	sq_i(&s, 9, hjemmel(p) ? GRAD_FORTROLIG : GRAD_UGRADERT);
	sq_i(&s, 10, q->inkluder_opphold ? ADDR_OPPHOLD : ADDR_BOSTED);
	sq_s(&s, 11, q->adressenavn != NULL ? slo : NULL);
	sq_hi(&s, 12, q->adressenavn != NULL ? shi : NULL);
	sq_oi(&s, 13, has_hn, hn);
	sq_s(&s, 14, hb);
	sq_s(&s, 15, q->postnummer);
	sq_s(&s, 16, has_komm ? klo : NULL);
	sq_s(&s, 17, has_komm ? khi : NULL);
	sq_s(&s, 18, drv_word != SIZE_MAX ? ws.w[drv_word] : NULL);
	sq_i(&s, 19, FREG_SOEK_MAX + 1);
	if (drv == SST_SOEK_WORD2)
		sq_s(&s, 20, ws.w[drv_word2]);
	while ((r = sq_step(&s)) == 1) {
		size_t len;
		const char *t = sq_text(&s, 0, &len);

		if (t == NULL || len != 11 || res.n > FREG_SOEK_MAX)
			continue;
		memcpy(res.v[res.n++], t, 12);
	}
	if (r != 0)
		goto out;
	sq_close(&s);
	/* Without maksTreff, more than 10 000 is "narrow the search"; with it, the client
	 * asked for some of the matches and gets them (docs/freg.md). */
	if (res.n > FREG_SOEK_MAX && q->maks == 0) {
		r = PORTEN_ERR_TOO_LARGE;
		goto out;
	}
	qsort(res.v, res.n, sizeof(*res.v), pid_cmp);
	r = 0;
	for (size_t i = 0; i < res.n && i < maks && r == 0; i++)
		r = fn(ctx, res.v[i]);
out:
	sq_close(&s);
	free(res.v);
	free(rest);
	return r;
}

/* ---- uttrekk ---- */

static bool
upper3(const char *s, char out[4])
{
	if (s == NULL || strlen(s) != 3)
		return false;
	for (int i = 0; i < 3; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
		out[i] = (char)(s[i] & ~0x20);
	}
	out[3] = '\0';
	return true;
}

static bool
year_ok(int y)
{
	return y == 0 || (y >= 1000 && y <= 9999);
}

/* Steps the prepared statement, calling fn with column 0 of each row that is not NULL. */
static int
each_text(struct sq *s, freg_pid_fn fn, void *ctx)
{
	int rc, r;

	s->stream = true;
	while ((rc = sq_step(s)) == 1) {
		size_t len;
		const char *t = sq_text(s, 0, &len);

		if (t == NULL)
			continue;
		if ((r = fn(ctx, t)) != 0)
			return r;
	}
	return rc;
}

int
freg_register_tilpasset(freg_register *reg, const struct freg_tilpasset *q, freg_pid_fn fn,
	void *ctx)
{
	struct sq s;
	char sb[4];
	int64_t lo = 0, hi = INT64_MAX;
	bool doed_range;
	int r;

	memset(&s, 0, sizeof(s));
	if (reg == NULL || q == NULL || fn == NULL)
		return PORTEN_ERR_INVALID;
	if (q->statuses == 0 || (q->statuses >> (FREG_UT_INAKTIV + 1)) != 0 ||
	    (q->bostedskommune != NULL && q->oppholdskommune != NULL) ||
	    (q->bostedskommune != NULL && !digits(q->bostedskommune, 4)) ||
	    (q->oppholdskommune != NULL && !digits(q->oppholdskommune, 4)) ||
	    !year_ok(q->foedt_fom) || !year_ok(q->foedt_tom) || !year_ok(q->doed_fom) ||
	    !year_ok(q->doed_tom) ||
	    (q->foedt_fom != 0 && q->foedt_tom != 0 && q->foedt_fom > q->foedt_tom) ||
	    (q->doed_fom != 0 && q->doed_tom != 0 && q->doed_fom > q->doed_tom) ||
	    (q->kjoenn != NULL && strcmp(q->kjoenn, "mann") != 0 &&
	     strcmp(q->kjoenn, "kvinne") != 0) ||
	    (q->statsborgerskap != NULL && !upper3(q->statsborgerskap, sb)) ||
	    (q->sivilstand != NULL && (q->sivilstand[0] == '\0' || strlen(q->sivilstand) > 64)))
		return PORTEN_ERR_INVALID;
	if (q->foedt_fom != 0 || q->foedt_tom != 0)
		lo = q->foedt_fom != 0 ? (int64_t)q->foedt_fom * 10000 : 1;
	if (q->foedt_tom != 0)
		hi = ((int64_t)q->foedt_tom + 1) * 10000;
	doed_range = q->doed_fom != 0 || q->doed_tom != 0;
	if ((r = sq_open(&s, reg)) != 0)
		goto out;
	if ((r = sq_prep(&s, SST_TILPASSET)) != 0)
		goto out;
	sq_i(&s, 1, q->statuses);
	sq_s(&s, 2, q->bostedskommune);
	sq_s(&s, 3, q->oppholdskommune);
	sq_i(&s, 4, lo);
	sq_i(&s, 5, hi);
	sq_i(&s, 6, doed_range);
	sq_i(&s, 7, q->doed_fom != 0 ? q->doed_fom : 1);
	sq_i(&s, 8, q->doed_tom != 0 ? q->doed_tom : 9999);
	sq_oi(&s, 9, q->kjoenn != NULL, q->kjoenn != NULL && strcmp(q->kjoenn, "mann") == 0 ?
	      1 : 2);
	sq_s(&s, 10, q->statsborgerskap != NULL ? sb : NULL);
	sq_s(&s, 11, q->sivilstand);
	sq_i(&s, 12, hjemmel(q->pkg) ? GRAD_FORTROLIG : GRAD_UGRADERT);
	r = each_text(&s, fn, ctx);
out:
	sq_close(&s);
	return r;
}

static int
query_one_int(struct sq *s, enum freg_sst id, int64_t a, int64_t b, int64_t *out, bool *found)
{
	int r;

	*found = false;
	if ((r = sq_prep(s, id)) != 0)
		return r;
	sq_i(s, 1, a);
	sq_i(s, 2, b);
	if ((r = sq_step(s)) == 1) {
		*found = sq_int(s, 0, out);
		r = 0;
	}
	sq_done(s);
	return r;
}

int
freg_register_komplett(freg_register *reg, int64_t seq, freg_pid_fn fn, void *ctx)
{
	struct sq s;
	int64_t last = 0, ev = 0, doc = 0;
	bool found, cur;
	int r;

	memset(&s, 0, sizeof(s));
	if (reg == NULL || fn == NULL)
		return PORTEN_ERR_INVALID;
	if (seq < 1)
		return 0;
	if ((r = sq_open(&s, reg)) != 0)
		goto out;
	/* One read transaction: the bounds and the rows from one snapshot. */
	if ((r = sq_run0(&s, SST_READ_BEGIN)) != 0)
		goto out;
	if ((r = query_one_int(&s, SST_KOMPLETT_HEAD, FREG_OMH, 0, &last, &found)) != 0)
		goto out;
	cur = seq >= last;
	if (!cur) {
		/* The last event at or before seq, then the last version it or an earlier
		 * event wrote. */
		if ((r = query_one_int(&s, SST_KOMPLETT_EVENT, FREG_OMH, seq, &ev, &found)) != 0)
			goto out;
		if (!found) {
			r = PORTEN_ERR_NOT_FOUND;     /* seq is older than what retention kept */
			goto out;
		}
		if ((r = query_one_int(&s, SST_KOMPLETT_DOC, ev, 0, &doc, &found)) != 0)
			goto out;
		if (!found)
			goto done;
	}
	if ((r = sq_prep(&s, cur ? SST_KOMPLETT_CUR : SST_KOMPLETT_ASOF)) != 0)
		goto out;
	if (!cur) {
		sq_i(&s, 1, doc);
		sq_i(&s, 2, ev);
	}
	if ((r = each_text(&s, fn, ctx)) != 0)
		goto out;
done:
	r = sq_run0(&s, SST_READ_END);
out:
	sq_close(&s);
	return r;
}
