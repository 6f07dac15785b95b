-- porten SQLite schema, version 4: the layout of each stored person document.
-- Run by lib/store/sqlite.c inside its own transaction with the schema_migrations row.
--
-- The layout of each stored person document (lib/freg/view.c): where each element of
-- each entity sits in doc and the facts the view decides by, so that a lookup copies
-- the elements an answer passes on unchanged instead of parsing the document. NULL for
-- a document stored before this migration or without one: its lookups parse doc.
ALTER TABLE freg_persondoc ADD COLUMN layout BLOB;
