-- porten SQLite schema, version 1: documents, replay protection, the change counter.
-- Run by lib/store/sqlite.c inside its own BEGIN IMMEDIATE transaction together with
-- the schema_migrations row: no BEGIN/COMMIT here.

-- The administrative model as JSON documents (canonical text: compact, sorted keys).
-- kind is enum porten_doc_kind; keys compare bytewise (BINARY collation).
CREATE TABLE docs (
	kind INTEGER NOT NULL,
	key TEXT NOT NULL,
	doc TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (kind, key)
) WITHOUT ROWID;

-- Seen JWT grants (SHA-256 of iss and jti) until they expire.
CREATE TABLE replay (
	key BLOB PRIMARY KEY,
	expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX replay_expires ON replay (expires);

-- Small counters. 'generation' is bumped in the same transaction as every document
-- write, so caches in any process can tell that something changed.
CREATE TABLE meta (
	name TEXT PRIMARY KEY,
	value INTEGER
);
INSERT INTO meta (name, value) VALUES ('generation', 0);
