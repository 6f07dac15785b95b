-- porten SQLite schema, version 5: where the filling of missing layouts stands.
-- Run by lib/store/sqlite.c inside its own transaction with the schema_migrations row.
--
-- Layouts (004) are made when a document is stored. A register written before 004 has
-- none, and one written by a porten with another FREG_LAYOUT_VERSION has layouts that
-- are not used; its lookups parse every document. porten freg fills them in the
-- background (freg_register_layout_fill), a batch per transaction, and keeps here how
-- far it got: version is the layout version being filled towards, next the
-- freg_person id after which to go on, -1 when every current document has been seen.
-- A register whose oldest document has no layout was written before 004 (a document
-- never gets a layout later but from this fill): it starts at 0; any other is complete.
CREATE TABLE freg_layout_fill (
	version INTEGER NOT NULL,
	next INTEGER NOT NULL
);
INSERT INTO freg_layout_fill (version, next)
	SELECT 1, CASE WHEN EXISTS (SELECT 1 FROM freg_persondoc
	                            WHERE rowid = (SELECT min(rowid) FROM freg_persondoc)
	                              AND layout IS NULL)
	          THEN 0 ELSE -1 END;
