-- porten PostgreSQL schema, version 2: the population register (lib/freg/register_pg.c,
-- include/porten/register.h; spec/folkeregisteret.md 2, 3.1-3.2, 9). The same tables as
-- sql/sqlite/002_register.sql (read its comments for what each one holds); what differs:
--
-- * SQLite's implicit rowids are explicit BIGSERIAL columns here (freg_persondoc.rid,
--   freg_event.rid, freg_person.id, freg_audit.id). They are assigned inside the ingest
--   transaction, and ingest transactions are serialised by the feed-head lock below, so
--   they grow in commit order as SQLite's rowids do (gaps after a rollback are harmless:
--   nobody outside the register sees them).
-- * freg_feed_head has a row for every package from the start: lib/freg/register_pg.c
--   opens each ingest (and each retention run) with SELECT ... FROM freg_feed_head
--   ORDER BY package FOR UPDATE. That row lock is what makes the per-package sequence
--   numbers dense across instances: the numbers are taken from last inside the
--   transaction, so a rollback gives them back, and the next writer waits for the
--   commit and then reads the committed last.
-- * Text keys compare bytewise (COLLATE "C"), whatever the database's locale: the
--   feed, identifier order and the street-prefix ranges of the search index rely on it.
--
-- Run by lib/store/pg_util.c inside its migration transaction: no BEGIN/COMMIT here.

CREATE TABLE freg_person (
	id BIGSERIAL PRIMARY KEY,
	pid TEXT COLLATE "C" NOT NULL,
	cur BIGINT,
	slot BIGINT UNIQUE,
	merged_into BIGINT,
	created BIGINT NOT NULL
);

CREATE TABLE freg_ident (
	pid TEXT COLLATE "C" PRIMARY KEY,
	person BIGINT NOT NULL,
	kind INTEGER NOT NULL
);
CREATE INDEX freg_ident_person ON freg_ident (person);

CREATE TABLE freg_persondoc (
	rid BIGSERIAL PRIMARY KEY,
	id TEXT COLLATE "C" NOT NULL UNIQUE,
	person BIGINT NOT NULL,
	stored BIGINT NOT NULL,
	superseded BIGINT NOT NULL,
	doc TEXT NOT NULL
);
CREATE INDEX freg_persondoc_superseded ON freg_persondoc (superseded)
	WHERE superseded > 0;

CREATE TABLE freg_event (
	rid BIGSERIAL PRIMARY KEY,
	id TEXT COLLATE "C" NOT NULL UNIQUE,
	pid TEXT COLLATE "C" NOT NULL,
	type TEXT NOT NULL,
	persondoc TEXT COLLATE "C" NOT NULL,
	ajourhold TEXT NOT NULL,
	stored BIGINT NOT NULL
);

CREATE TABLE freg_event_doc (
	event BIGINT PRIMARY KEY,
	doc TEXT NOT NULL
);

CREATE TABLE freg_feed (
	package INTEGER NOT NULL,
	seq BIGINT NOT NULL,
	event BIGINT NOT NULL,
	stored BIGINT NOT NULL,
	PRIMARY KEY (package, seq)
);

CREATE TABLE freg_feed_head (
	package INTEGER PRIMARY KEY,
	last BIGINT NOT NULL,
	first BIGINT NOT NULL
);
-- Every package there may be (enum freg_pkg has 9; room for more), so the lock always
-- has rows to take.
INSERT INTO freg_feed_head (package, last, first)
	SELECT g, 0, 1 FROM generate_series(0, 31) AS g;

CREATE TABLE freg_consumer (
	orgno TEXT COLLATE "C" PRIMARY KEY,
	mask BIGINT NOT NULL
);

CREATE TABLE freg_audit (
	id BIGSERIAL PRIMARY KEY,
	at BIGINT NOT NULL,
	consumer TEXT COLLATE "C" NOT NULL,
	supplier TEXT COLLATE "C" NOT NULL,
	package INTEGER NOT NULL,
	resource TEXT NOT NULL,
	pid TEXT COLLATE "C" NOT NULL,
	status INTEGER NOT NULL
);
CREATE INDEX freg_audit_at ON freg_audit (at);
CREATE INDEX freg_audit_consumer ON freg_audit (consumer, at);
CREATE INDEX freg_audit_pid ON freg_audit (pid, at);
