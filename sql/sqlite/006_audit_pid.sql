-- porten SQLite schema, version 6: the audit trail's index by person, written in runs.
-- Run by lib/store/sqlite.c inside its own transaction with the schema_migrations row.
--
-- freg_audit_pid (pid, at) took a record into a random place of a large b-tree, so each
-- commit of the audit writer rewrote about one page per record: most of the writer's
-- cost, and 40 % of personer/{id}'s throughput (docs/benchmarks.md). Records now go
-- only where they append (the table, the indexes by time and by consumer). Once
-- PORTEN_FREG_AUDIT_MERGE_ROWS records have come, the writer files their (pid, at, id),
-- sorted by person, into freg_audit_pid as one run, keyed by the run first: a run is
-- appended after the last, never into the middle of the index (lib/freg/register.c,
-- freg_register_audit_index). freg_audit_run has a row per run: upto, the last
-- freg_audit id it covers. A query by person seeks the person in each run and reads the
-- records after the last run from the table. Records without a person ('') are in no
-- run: queries by person never ask for them.
--
-- pids: consecutive records that differ only in the person (the persons of one
-- bulkoppslag answer) are one row, pid '' and the persons as a JSON array of strings,
-- each one record in array order; NULL for a row of one record. A bulk answer of 1000
-- persons is then one row instead of 1000 rows and 2000 index entries.
ALTER TABLE freg_audit ADD COLUMN pids TEXT;
DROP INDEX freg_audit_pid;
CREATE TABLE freg_audit_run (
	upto INTEGER PRIMARY KEY
);
CREATE TABLE freg_audit_pid (
	run INTEGER NOT NULL,
	pid TEXT NOT NULL,
	at INTEGER NOT NULL,
	id INTEGER NOT NULL,
	PRIMARY KEY (run, pid, at, id)
) WITHOUT ROWID;
INSERT INTO freg_audit_run (upto) SELECT max(id) FROM freg_audit HAVING max(id) IS NOT NULL;
INSERT INTO freg_audit_pid (run, pid, at, id)
	SELECT (SELECT upto FROM freg_audit_run), pid, at, id FROM freg_audit
	WHERE pid <> '' ORDER BY pid, at, id;
