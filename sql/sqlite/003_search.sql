-- porten SQLite schema, version 3: the register's search index (lib/freg/search.c,
-- include/porten/freg_search.h; spec/folkeregisteret.md 3.5, 3.6, 5.1, 5.2).
-- Run by lib/store/sqlite.c inside its own BEGIN IMMEDIATE transaction together with
-- the schema_migrations row: no BEGIN/COMMIT here.
--
-- Everything here is derived from the current person documents: freg_register_ingest
-- deletes a person's rows and writes them anew, in the same transaction as the new
-- version; a merged duplicate's rows go. Every table has the person first in its key or
-- an index on person, so that delete is a range seek. person is freg_person.id.
--
-- Name words and street names are stored folded (freg_search_fold: lowercased, nothing
-- else). A name key is a folded word, a phonetic key (freg_phonetic), or both at once
-- (most names are their own phonetic key: "ola", "hansen"), so its row says in m what
-- it is and where it came from: bit 1 a word of a current name element, bit 2 of a
-- historical one, bit 4 the phonetic key of a word of a current element, bit 8 of a
-- historical one. A search for current names tests m & 1 (phonetic: m & 4), with
-- historisk m & 3 (m & 12). hist in freg_s_addr is 0 for a current element, 1 for a
-- historical one. Addresses graded strengtFortrolig are never stored.

-- One row per surviving person: what soek and tilpasset filter on. pid is the current
-- identifier; identifier order comes from freg_ident's primary key (kind 0 rows).
--   fdato     birth date as YYYYMMDD; YYYY0000 when only foedselsaar is known; 0 unknown.
--             One index serves a date (=) and a range of years (>= YYYY0000, < YYYY+1 0000)
--   doed      1 when the person has a doedsfall; doedsaar its year (0 unknown)
--   kjoenn    0 unknown, 1 mann, 2 kvinne
--   ustatus   enum freg_uttrekk_status of the current status; NULL without one
--   statsborgerskap  the current alpha-3 codes separated by spaces
--   bostedskommune, oppholdskommune  of the current addresses (NULL when none or
--             strengtFortrolig)
CREATE TABLE freg_s_person (
	person INTEGER PRIMARY KEY,
	pid TEXT NOT NULL,
	fdato INTEGER NOT NULL,
	doed INTEGER NOT NULL,
	doedsaar INTEGER NOT NULL,
	kjoenn INTEGER NOT NULL,
	ustatus INTEGER,
	sivilstand TEXT,
	statsborgerskap TEXT NOT NULL,
	bostedskommune TEXT,
	oppholdskommune TEXT
);
CREATE INDEX freg_s_person_fdato ON freg_s_person (fdato);

-- entydigsoek's navn: every (word of fornavn, word of etternavn) of one name element,
-- with the person's fdato. A first and a last word are one seek: ("ola", "hansen")
-- holds a few hundred persons in a population of millions where "ola" alone holds tens
-- of thousands; with foedselsdato (the usual query) the seek is exact.
CREATE TABLE freg_s_pair (
	fw TEXT NOT NULL,
	lw TEXT NOT NULL,
	fdato INTEGER NOT NULL,
	person INTEGER NOT NULL,
	m INTEGER NOT NULL,
	PRIMARY KEY (fw, lw, fdato, person)
) WITHOUT ROWID;
CREATE INDEX freg_s_pair_person ON freg_s_pair (person);

-- Every word of any name part (fornavn, mellomnavn, etternavn): soek's navn, and
-- entydigsoek's middle words.
CREATE TABLE freg_s_word (
	word TEXT NOT NULL,
	person INTEGER NOT NULL,
	m INTEGER NOT NULL,
	PRIMARY KEY (word, person)
) WITHOUT ROWID;
CREATE INDEX freg_s_word_person ON freg_s_word (person);

-- bostedsadresse (kind 1) and oppholdsadresse (kind 2) elements, n numbering them per
-- person. street is the folded adressenavn of a vegadresse (NULL for a matrikkeladresse
-- or ukjentBosted), husnr its number (0 none), bokstav its letter uppercased ('' none).
-- grad: 0 ugradert, 1 klientadresse, 2 fortrolig (the higher of the address's own
-- adressegradering and the person's adressebeskyttelse). A street prefix is a range
-- (street >= prefix AND street < its successor) on freg_s_addr_street.
CREATE TABLE freg_s_addr (
	person INTEGER NOT NULL,
	n INTEGER NOT NULL,
	kind INTEGER NOT NULL,
	hist INTEGER NOT NULL,
	grad INTEGER NOT NULL,
	street TEXT,
	husnr INTEGER NOT NULL,
	bokstav TEXT NOT NULL,
	postnr TEXT,
	komm TEXT,
	PRIMARY KEY (person, n)
) WITHOUT ROWID;
CREATE INDEX freg_s_addr_street ON freg_s_addr (street);
CREATE INDEX freg_s_addr_postnr ON freg_s_addr (postnr);
CREATE INDEX freg_s_addr_komm ON freg_s_addr (komm);

-- Foreign identifiers of the current elements, uppercased: kind 1
-- utenlandskPersonidentifikasjon and 2 legitimasjonsdokument as "<utstederland>-<number>",
-- kind 3 utlendingsmyndighetenesIdentifikasjonsnummer (DUF) as the number. Norwegian
-- identifiers are freg_ident's (every identifier a person has or had).
CREATE TABLE freg_s_fid (
	kind INTEGER NOT NULL,
	value TEXT NOT NULL,
	person INTEGER NOT NULL,
	PRIMARY KEY (kind, value, person)
) WITHOUT ROWID;
CREATE INDEX freg_s_fid_person ON freg_s_fid (person);

-- Merged duplicates (personErOpphoertSomDublett) and the freg_event rowid of the merge,
-- so a komplett uttrekk as of an earlier sequence number still has them.
CREATE TABLE freg_s_merged (
	person INTEGER PRIMARY KEY,
	event INTEGER NOT NULL
);

-- The komplett uttrekk as of a sequence number: a person's last version up to a
-- persondoc rowid.
CREATE INDEX freg_persondoc_person ON freg_persondoc (person);

-- Whether the index covers every person. A register that held persons before this
-- migration is indexed when it is next opened (freg_register_open), in batches from
-- person id next upwards.
CREATE TABLE freg_s_state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	next INTEGER NOT NULL,
	built INTEGER NOT NULL
);
INSERT INTO freg_s_state (id, next, built)
	SELECT 1, 0, NOT EXISTS (SELECT 1 FROM freg_person);
