-- porten SQLite schema, version 2: the population register (lib/freg/register.c,
-- include/porten/register.h; spec/folkeregisteret.md 2, 3.1-3.2, 9).
-- Run by lib/store/sqlite.c inside its own BEGIN IMMEDIATE transaction together with
-- the schema_migrations row: no BEGIN/COMMIT here. Every sqlite store gets these
-- tables; only the register writes them.
--
-- Identifiers (folkeregisteridentifikator) are 11-digit TEXT. Document identifiers
-- (hendelsesdokument, persondokument) are 32 lowercase hex characters. Times are Unix
-- seconds. Rows that reference each other use integer rowids, not document ids, so
-- joins are b-tree seeks on the integer key.

-- One row per identity the register has known. id is the stable internal key.
-- pid is the current identifier; cur the freg_persondoc rowid of the current version
-- (NULL once merged away). slot is the person's position among the surviving persons,
-- dense 0..count-1, so freg_register_count is max(slot) + 1 and freg_register_pick one
-- index seek: a new person takes the next slot; a merge (personErOpphoertSomDublett)
-- frees the duplicate's slot and moves the person in the last slot into it. merged_into
-- is the surviving person's id for a duplicate (slot NULL then), NULL otherwise.
CREATE TABLE freg_person (
	id INTEGER PRIMARY KEY,
	pid TEXT NOT NULL,
	cur INTEGER,
	slot INTEGER UNIQUE,
	merged_into INTEGER,
	created INTEGER NOT NULL
);

-- Every identifier the register has seen and the person it resolves to: the current
-- one (kind 0), an earlier one replaced by endringIIdentifikasjonsnummer (kind 1), or
-- one of a duplicate merged into this person (kind 2). An identifier never changes its
-- person except by a merge, which moves all of the duplicate's rows.
CREATE TABLE freg_ident (
	pid TEXT PRIMARY KEY,
	person INTEGER NOT NULL,
	kind INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX freg_ident_person ON freg_ident (person);

-- Person document versions (persondokument). doc is the whole Folkeregisterperson as
-- compact JSON text; stored is when the version was written, superseded when a newer
-- version (or a merge) replaced it, 0 while it is current. Non-current versions are
-- purged by superseded (the partial index holds only those).
CREATE TABLE freg_persondoc (
	id TEXT NOT NULL UNIQUE,
	person INTEGER NOT NULL,
	stored INTEGER NOT NULL,
	superseded INTEGER NOT NULL,
	doc TEXT NOT NULL
);
CREATE INDEX freg_persondoc_superseded ON freg_persondoc (superseded)
	WHERE superseded > 0;

-- Events (hendelser): what a feed row shows, kept small and dense because a feed page
-- joins 1000 of them. pid is the event's identifier as given, type its hendelsetype,
-- persondoc the version it made ('' for none), ajourhold the formatted
-- ajourholdstidspunkt (freg_ts_format), stored the commit time. rowids grow in commit
-- order, as the feed's sequence numbers do.
CREATE TABLE freg_event (
	id TEXT NOT NULL UNIQUE,
	pid TEXT NOT NULL,
	type TEXT NOT NULL,
	persondoc TEXT NOT NULL,
	ajourhold TEXT NOT NULL,
	stored INTEGER NOT NULL
);

-- The event document (DokumentForHendelse, spec 2.3) as compact JSON text, by the
-- event's rowid. Apart from freg_event so that feed reads never touch it, and so that
-- retention can drop the document while a feed row still names the event.
CREATE TABLE freg_event_doc (
	event INTEGER PRIMARY KEY,
	doc TEXT NOT NULL
);

-- One feed per rights package (package = enum freg_pkg): seq is dense 1, 2, 3, ...
-- within a package; event is the freg_event rowid. A feed page is one range scan of the
-- primary key.
CREATE TABLE freg_feed (
	package INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	event INTEGER NOT NULL,
	stored INTEGER NOT NULL,
	PRIMARY KEY (package, seq)
) WITHOUT ROWID;

-- Per package: the highest committed seq (0 when empty) and the lowest retained
-- (1 when nothing was purged, last + 1 when everything was). Written in the same
-- transaction as the feed rows; a missing row means last 0, first 1.
CREATE TABLE freg_feed_head (
	package INTEGER PRIMARY KEY,
	last INTEGER NOT NULL,
	first INTEGER NOT NULL
);

-- The register's own registry of consumers: organisation number -> rights packages
-- (bit 1 << enum freg_pkg per package).
CREATE TABLE freg_consumer (
	orgno TEXT PRIMARY KEY,
	mask INTEGER NOT NULL
) WITHOUT ROWID;

-- Audit trail of register calls (spec 1 "Audit"). supplier and pid are '' when none.
-- Queries are a time range, optionally for one consumer or one person, oldest first
-- (at, then id): one index for each shape.
CREATE TABLE freg_audit (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	consumer TEXT NOT NULL,
	supplier TEXT NOT NULL,
	package INTEGER NOT NULL,
	resource TEXT NOT NULL,
	pid TEXT NOT NULL,
	status INTEGER NOT NULL
);
CREATE INDEX freg_audit_at ON freg_audit (at);
CREATE INDEX freg_audit_consumer ON freg_audit (consumer, at);
CREATE INDEX freg_audit_pid ON freg_audit (pid, at);
