-- screenreel catalog in PostgreSQL, schema version 6.
--
-- The same tables and meanings as schemas/catalog.sql (the SQLite catalog.db): read that file
-- for what every column means; this one says only where PostgreSQL differs. A fleet of receivers
-- (`--catalog postgresql://...`) shares one database; each keeps its JPEG folders in its own
-- archive and names itself on the sessions it records (receiver, archive_root).
--
-- Versions: one number for both backends. Version N here holds what catalog.sql version N holds
-- (the PostgreSQL schema began at 3), so CatalogReader::schema_version() means the same thing on
-- both. The version is the one row of schema_version. The archive library applies this file, as
-- it is (the build embeds it), to a database without a schema_version table, in one transaction
-- holding the advisory lock below, so that two receivers starting at once make it once. A newer
-- version than the library knows is refused; an older one is brought forward by the steps of
-- schemas/migrations-postgresql/NNN.sql (NNN-1 to NNN, one transaction each). This
-- file is always the whole current schema, organised per table so that a column added to a table
-- of catalog.sql is added to the same table here.
--
-- Times are bigint microseconds since the Unix epoch (UTC), as in SQLite. Booleans are boolean.
-- Digests and signatures are bytea. The library takes pg_advisory_xact_lock(7436819) around
-- schema changes.

CREATE TABLE schema_version (
  version integer NOT NULL
);
INSERT INTO schema_version (version) VALUES (6);

-- --- sessions ----------------------------------------------------------------------------------
-- Session ids come from one sequence, so they are unique across every receiver of the fleet (and
-- so are folders, "<UTC start>-<id>"). restore_session inserts a given id and moves the sequence
-- past it.
CREATE SEQUENCE session_ids;
CREATE TABLE sessions (
  id             bigint  PRIMARY KEY DEFAULT nextval('session_ids'),
  name           text    NOT NULL,
  folder         text    NOT NULL UNIQUE,
  client_address text    NOT NULL,
  source         text    NOT NULL,
  width          integer NOT NULL,
  height         integer NOT NULL,
  fps            double precision NOT NULL,
  started_us     bigint  NOT NULL,
  ended_us       bigint,
  end_reason     text CHECK (end_reason IN ('receiver', 'client', 'disconnected', 'error', 'crashed')),
  error          text,
  frame_count    bigint  NOT NULL DEFAULT 0,
  bytes          bigint  NOT NULL DEFAULT 0,
  dropped        bigint  NOT NULL DEFAULT 0,
  head           bytea,
  head_frames    bigint,
  signature      bytea,
  signer         bytea,
  keep           boolean NOT NULL DEFAULT false,
  deleting       boolean NOT NULL DEFAULT false,
  -- The fleet (PostgreSQL only): which receiver recorded it (--receiver-name, default the host
  -- name) and the archive folder that holds sessions/<folder>/ on that receiver's machine.
  receiver       text    NOT NULL DEFAULT '',
  archive_root   text    NOT NULL DEFAULT '',
  CHECK ((ended_us IS NULL) = (end_reason IS NULL))
);
ALTER SEQUENCE session_ids OWNED BY sessions.id;

-- --- deletions ---------------------------------------------------------------------------------
CREATE TABLE deletions (
  id          bigserial PRIMARY KEY,
  session_id  bigint  NOT NULL,
  name        text    NOT NULL,
  folder      text    NOT NULL,
  started_us  bigint  NOT NULL,
  ended_us    bigint,
  frames      bigint  NOT NULL,
  bytes       bigint  NOT NULL,
  deleted_us  bigint  NOT NULL,
  reason      text    NOT NULL
);

-- --- frames ------------------------------------------------------------------------------------
CREATE TABLE frames (
  session_id   bigint  NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  seq          bigint  NOT NULL,
  tick         bigint  NOT NULL,
  capture_us   bigint  NOT NULL,
  receive_us   bigint  NOT NULL,
  written_us   bigint  NOT NULL,
  displayed_us bigint,
  file         text    NOT NULL,
  width        integer NOT NULL,
  height       integer NOT NULL,
  jpeg_bytes   bigint  NOT NULL,
  same_as      bigint,
  sha256       bytea,
  chain        bytea,
  changed_share double precision,  -- schema 4: activity (catalog.sql)
  changed_tiles bigint,
  PRIMARY KEY (session_id, seq)
);
CREATE INDEX frames_by_time ON frames (session_id, capture_us);

-- --- text_spans (the text index) ---------------------------------------------------------------
-- words is the same JSON text as in SQLite. Instead of FTS5's text_fts, a stored tsvector of
-- text with the 'simple' configuration (lower case, no stemming, no stop words: as FTS5's
-- unicode61 tokenizer) and a GIN index on it. Searches (CatalogReader::find_text) differ from
-- SQLite's in these ways, which the engines impose:
--   * ranking: ts_rank(tsv, query, 1) (term frequency, divided by 1 + log of the line's length)
--     instead of bm25 (which also weighs how rare a word is across all lines). Both rank a line
--     with more of the words, or a shorter line, first; lines whose words are rare in the
--     catalog rank higher in SQLite only. The rank reported is -ts_rank (lower is better).
--   * tokens: PostgreSQL's parser keeps some compounds as a token too ("disk-full" is indexed as
--     disk-full, disk and full; an e-mail address or a path is one token), so searching the
--     compound or its parts both find it; FTS5 splits on every non-alphanumeric character.
--   * highlighting: ts_headline marks the matching words of the whole line (HighlightAll).
CREATE TABLE text_spans (
  id          bigserial PRIMARY KEY,
  session_id  bigint  NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  text        text    NOT NULL,
  x           integer NOT NULL,
  y           integer NOT NULL,
  w           integer NOT NULL,
  h           integer NOT NULL,
  words       text    NOT NULL,
  confidence  double precision NOT NULL,
  first_seq   bigint  NOT NULL,
  first_us    bigint  NOT NULL,
  last_seq    bigint  NOT NULL,
  last_us     bigint  NOT NULL,
  open        boolean NOT NULL DEFAULT true,
  tsv         tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED
);
CREATE INDEX text_spans_by_time ON text_spans (session_id, first_us);
CREATE INDEX text_spans_open ON text_spans (session_id) WHERE open;
CREATE INDEX text_spans_words ON text_spans USING gin (tsv);

-- --- ocr_sessions ------------------------------------------------------------------------------
CREATE TABLE ocr_sessions (
  session_id  bigint  PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  indexer     text    NOT NULL CHECK (indexer IN ('receiver', 'replay')),
  lang        text    NOT NULL,
  interval_us bigint  NOT NULL,
  through_seq bigint  NOT NULL DEFAULT 0,
  complete    boolean NOT NULL DEFAULT false
);

-- --- ocr_passes --------------------------------------------------------------------------------
CREATE TABLE ocr_passes (
  session_id  bigint  NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  seq         bigint  NOT NULL,
  capture_us  bigint  NOT NULL,
  done_us     bigint  NOT NULL,
  frames      bigint  NOT NULL,
  regions     bigint  NOT NULL,
  pixels      bigint  NOT NULL,
  ocr_us      bigint  NOT NULL,
  lines       bigint  NOT NULL,
  opened      bigint  NOT NULL,
  closed      bigint  NOT NULL,
  PRIMARY KEY (session_id, seq)
);

-- --- markers, pauses, ledger (schema 5; what they hold: catalog.sql) --------------------------
CREATE TABLE markers (
  id          bigserial PRIMARY KEY,
  session_id  bigint  NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  time_us     bigint  NOT NULL,
  tick        bigint  NOT NULL,
  frame       bigint,
  label       text    NOT NULL,
  source      text    NOT NULL CHECK (source IN ('capture-key', 'signal', 'hotkey', 'receiver-key', 'api'))
);
CREATE INDEX markers_by_session ON markers (session_id, tick);

CREATE TABLE pauses (
  id          bigserial PRIMARY KEY,
  session_id  bigint  NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  from_tick   bigint  NOT NULL,
  from_us     bigint  NOT NULL,
  to_tick     bigint,
  to_us       bigint,
  reason      text    NOT NULL
);
CREATE INDEX pauses_by_session ON pauses (session_id, from_tick);

CREATE TABLE ledger (
  session_id  bigint  NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  first_tick  bigint  NOT NULL,
  last_tick   bigint  NOT NULL CHECK (last_tick >= first_tick),
  cause       text    NOT NULL CHECK (cause IN ('unchanged', 'flow-control', 'paused', 'spool-full',
                                                'disconnected', 'unknown', 'not-saved')),
  PRIMARY KEY (session_id, first_tick)
);

-- --- windows (schema 6; what it holds: catalog.sql) -------------------------------------------
CREATE TABLE windows (
  id          bigserial PRIMARY KEY,
  session_id  bigint  NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  from_tick   bigint  NOT NULL,
  from_us     bigint  NOT NULL,
  to_tick     bigint,
  to_us       bigint,
  window_id   bigint  NOT NULL,
  title       text    NOT NULL,
  x           bigint  NOT NULL,
  y           bigint  NOT NULL,
  width       bigint  NOT NULL CHECK (width >= 0),
  height      bigint  NOT NULL CHECK (height >= 0)
);
CREATE INDEX windows_by_session ON windows (session_id, from_tick);
