-- porten PostgreSQL schema, version 1: documents, replay protection, the change counter.
-- The same tables as sql/sqlite/001_documents.sql. Run by lib/store/pg_util.c inside its
-- migration transaction (under an advisory lock) together with the schema_migrations
-- row: no BEGIN/COMMIT here.

-- The administrative model as JSON documents (canonical text: compact, sorted keys).
-- kind is enum porten_doc_kind. key is the key's UTF-8 bytes as bytea, so that keys
-- compare bytewise (memcmp order) whatever the database's collation, and a list prefix
-- may end inside a UTF-8 sequence; convert_from(key, 'UTF8') shows it as text.
CREATE TABLE docs (
	kind INTEGER NOT NULL,
	key BYTEA NOT NULL,
	doc TEXT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (kind, key)
);

-- Seen JWT grants (SHA-256 of iss and jti) until they expire (Unix seconds).
CREATE TABLE replay (
	key BYTEA PRIMARY KEY,
	expires BIGINT NOT NULL
);
CREATE INDEX replay_expires ON replay (expires);

-- Small counters. 'generation' is bumped first in every document-writing transaction,
-- so caches in every instance can tell that something changed (and writers queue on
-- its row lock instead of deadlocking on each other's documents).
CREATE TABLE meta (
	name TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);
INSERT INTO meta (name, value) VALUES ('generation', 0);
