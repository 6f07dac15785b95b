-- porten PostgreSQL schema, version 3: the register's search index (lib/freg/search.c,
-- lib/freg/search_pg.c, include/porten/freg_search.h). The same tables as
-- sql/sqlite/003_search.sql (read its comments); person is freg_person.id, event
-- freg_event.rid. Words and streets compare bytewise (COLLATE "C"): a street prefix is
-- the range street >= prefix AND street < its successor.
-- Run by lib/store/pg_util.c inside its migration transaction: no BEGIN/COMMIT here.

CREATE TABLE freg_s_person (
	person BIGINT PRIMARY KEY,
	pid TEXT COLLATE "C" NOT NULL,
	fdato BIGINT NOT NULL,
	doed INTEGER NOT NULL,
	doedsaar INTEGER NOT NULL,
	kjoenn INTEGER NOT NULL,
	ustatus INTEGER,
	sivilstand TEXT,
	statsborgerskap TEXT NOT NULL,
	bostedskommune TEXT COLLATE "C",
	oppholdskommune TEXT COLLATE "C"
);
CREATE INDEX freg_s_person_fdato ON freg_s_person (fdato);

CREATE TABLE freg_s_pair (
	fw TEXT COLLATE "C" NOT NULL,
	lw TEXT COLLATE "C" NOT NULL,
	fdato BIGINT NOT NULL,
	person BIGINT NOT NULL,
	m INTEGER NOT NULL,
	PRIMARY KEY (fw, lw, fdato, person)
);
CREATE INDEX freg_s_pair_person ON freg_s_pair (person);

CREATE TABLE freg_s_word (
	word TEXT COLLATE "C" NOT NULL,
	person BIGINT NOT NULL,
	m INTEGER NOT NULL,
	PRIMARY KEY (word, person)
);
CREATE INDEX freg_s_word_person ON freg_s_word (person);

CREATE TABLE freg_s_addr (
	person BIGINT NOT NULL,
	n INTEGER NOT NULL,
	kind INTEGER NOT NULL,
	hist INTEGER NOT NULL,
	grad INTEGER NOT NULL,
	street TEXT COLLATE "C",
	husnr INTEGER NOT NULL,
	bokstav TEXT COLLATE "C" NOT NULL,
	postnr TEXT COLLATE "C",
	komm TEXT COLLATE "C",
	PRIMARY KEY (person, n)
);
CREATE INDEX freg_s_addr_street ON freg_s_addr (street);
CREATE INDEX freg_s_addr_postnr ON freg_s_addr (postnr);
CREATE INDEX freg_s_addr_komm ON freg_s_addr (komm);

CREATE TABLE freg_s_fid (
	kind INTEGER NOT NULL,
	value TEXT COLLATE "C" NOT NULL,
	person BIGINT NOT NULL,
	PRIMARY KEY (kind, value, person)
);
CREATE INDEX freg_s_fid_person ON freg_s_fid (person);

CREATE TABLE freg_s_merged (
	person BIGINT PRIMARY KEY,
	event BIGINT NOT NULL
);

CREATE INDEX freg_persondoc_person ON freg_persondoc (person);

CREATE TABLE freg_s_state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	next BIGINT NOT NULL,
	built INTEGER NOT NULL
);
INSERT INTO freg_s_state (id, next, built)
	SELECT 1, 0, CASE WHEN EXISTS (SELECT 1 FROM freg_person) THEN 0 ELSE 1 END;
