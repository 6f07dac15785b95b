-- porten SQLite schema, version 6: the audit trail's index by person, written in batches.
-- Run by lib/store/sqlite.c inside its own transaction with the schema_migrations row.
--
-- freg_audit_pid (pid, at) took a record into a random place of a large b-tree, so each
-- commit of the audit writer rewrote about one page per record: most of the writer's
-- cost, and 40 % of personer/{id}'s throughput (docs/benchmarks.md). Records now go
-- only where they append (the table, the indexes by time and by consumer). Their
-- (pid, at, id) go into freg_audit_pid in batches sorted by person, once
-- PORTEN_FREG_AUDIT_MERGE_ROWS records have come since the last (lib/freg/register.c,
-- freg_register_audit_index): upto is the last freg_audit id the table covers. A query
-- by person reads the table for ids up to upto and the records after it directly.
-- Records without a person ('') are not in it: queries by person never ask for them.
DROP INDEX freg_audit_pid;
CREATE TABLE freg_audit_pid (
	pid TEXT NOT NULL,
	at INTEGER NOT NULL,
	id INTEGER NOT NULL,
	PRIMARY KEY (pid, at, id)
) WITHOUT ROWID;
CREATE TABLE freg_audit_merge (
	upto INTEGER NOT NULL
);
INSERT INTO freg_audit_pid (pid, at, id)
	SELECT pid, at, id FROM freg_audit WHERE pid <> '' ORDER BY pid, at, id;
INSERT INTO freg_audit_merge (upto) SELECT coalesce(max(id), 0) FROM freg_audit;
