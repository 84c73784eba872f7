-- screenreel catalog migration: schema version 1 -> 2 (schemas/catalog.sql is the whole result).
-- The archive library runs it in one transaction on a catalog whose user_version is 1, then
-- sets user_version = 2. Every existing row is kept: this step only adds tables.

-- --- Text on screen (OCR); schema version 2 added everything below ---------------------------
--
-- One row per recognised line of text and the time it stayed on screen (a "span"). An OCR pass
-- reads only the parts of a frame that changed since the session's previous pass. A line read
-- for the first time opens a span (first_*). Every later pass extends it (last_*) while its box
-- is untouched (those pixels did not change) or re-read with the same text; a pass that re-reads
-- its box without finding it closes it (open = 0; last_* then names the last frame known to show
-- it: for the receiver, which sees every frame's changes, the frame before its box changed; for
-- `screenreel-replay index`, the last frame it read with it). The text on screen at time T of session S: the rows with first_seq <= F <= last_seq,
-- F being the frame on screen at T (the last one with capture_us <= T, index frames_by_time).
CREATE TABLE text_spans (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  text        TEXT    NOT NULL,   -- the line's words as read, separated by single spaces
  x           INTEGER NOT NULL,   -- the line's box in frame pixels: top left corner and size
  y           INTEGER NOT NULL,
  w           INTEGER NOT NULL,
  h           INTEGER NOT NULL,
  words       TEXT    NOT NULL,   -- JSON array: [x, y, w, h] of each word of text, in order
  confidence  REAL    NOT NULL,   -- mean word confidence, 0 to 100 (Tesseract's)
  first_seq   INTEGER NOT NULL,   -- frames.seq of the first frame read with this line
  first_us    INTEGER NOT NULL,   -- that frame's capture_us
  last_seq    INTEGER NOT NULL,   -- frames.seq of the last frame known to show it
  last_us     INTEGER NOT NULL,   -- that frame's capture_us; for text still on screen when the
                                  -- session ended, the end (sessions.ended_us, or the last frame)
  open        INTEGER NOT NULL DEFAULT 1  -- 1 while the session's next pass may extend it
);
CREATE INDEX text_spans_by_time ON text_spans (session_id, first_us);
CREATE INDEX text_spans_open ON text_spans (session_id) WHERE open;

-- Full-text index of text_spans.text (FTS5, external content: the text is stored once, in
-- text_spans, and these triggers keep the index in step with it).
--   SELECT * FROM text_fts JOIN text_spans ON text_spans.id = text_fts.rowid
--   WHERE text_fts MATCH 'error disk' ORDER BY bm25(text_fts)
CREATE VIRTUAL TABLE text_fts USING fts5(text, content = 'text_spans', content_rowid = 'id');
CREATE TRIGGER text_spans_ai AFTER INSERT ON text_spans BEGIN
  INSERT INTO text_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER text_spans_ad AFTER DELETE ON text_spans BEGIN
  INSERT INTO text_fts (text_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER text_spans_au AFTER UPDATE OF text ON text_spans BEGIN
  INSERT INTO text_fts (text_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO text_fts (rowid, text) VALUES (new.id, new.text);
END;

-- The sessions that have a text index, and how far it goes. Written by the receiver (--ocr)
-- and by `screenreel-replay index`, which resumes after through_seq.
CREATE TABLE ocr_sessions (
  session_id  INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
  indexer     TEXT    NOT NULL CHECK (indexer IN ('receiver', 'replay')),
  lang        TEXT    NOT NULL,           -- Tesseract language(s): "eng", "eng+deu"
  interval_us INTEGER NOT NULL,           -- passes at most this often (--ocr-interval)
  through_seq INTEGER NOT NULL DEFAULT 0, -- the frames up to this one are indexed
  complete    INTEGER NOT NULL DEFAULT 0  -- 1: the whole session is indexed (it had ended)
);

-- One row per OCR pass: the frame read, how much of it, and how far behind live the index ran
-- (done_us - capture_us: how long after its capture the frame's text was searchable).
CREATE TABLE ocr_passes (
  session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,   -- the frame read: the newest one when the pass began
  capture_us  INTEGER NOT NULL,
  done_us     INTEGER NOT NULL,   -- when its text was committed (receiver's or replay's clock)
  frames      INTEGER NOT NULL,   -- frames whose changes this pass covered (more than 1: merged)
  regions     INTEGER NOT NULL,   -- rectangles read
  pixels      INTEGER NOT NULL,   -- their area
  ocr_us      INTEGER NOT NULL,   -- time spent recognising
  lines       INTEGER NOT NULL,   -- lines read
  opened      INTEGER NOT NULL,   -- spans this pass opened
  closed      INTEGER NOT NULL,   -- spans this pass closed
  PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
