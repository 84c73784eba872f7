-- screenreel catalog, schema version 6.
--
-- <archive>/catalog.db indexes every recorded frame: which session, when it was captured
-- (client clock) and received (receiver clock), and which JPEG file holds it; and the text
-- that was on screen (OCR), with when it was first and last seen, searchable with FTS5.
-- The archive library applies this file, as it is, to a new catalog (the build embeds it), and
-- sets PRAGMA user_version to the version below. A catalog whose user_version is higher than
-- the library knows is refused ("written by a newer screenreel"); a lower one is migrated by a
-- writer (the receiver, or `screenreel-replay index`) with the steps in schemas/migrations/:
-- NNN.sql brings version NNN-1 to NNN, each in one transaction, keeping every row. This file is
-- always the whole current schema: a fresh catalog and a migrated one have the same tables.
-- A reader (screenreel-replay's other commands, sqlite3) reads an older catalog as it is.
--
-- Times are integers: microseconds since the Unix epoch (UTC).
-- Connection settings (not stored in the file, set at every open by the library):
--   PRAGMA journal_mode = WAL;      readers (screenreel-replay, sqlite3) never block the receiver
--   PRAGMA synchronous = NORMAL;    with WAL: a crash of the process loses nothing committed
--   PRAGMA foreign_keys = ON;
--   PRAGMA busy_timeout = 5000;

CREATE TABLE sessions (
  id             INTEGER PRIMARY KEY,
  name           TEXT    NOT NULL,          -- the client's --name label, as sent; display only
  folder         TEXT    NOT NULL UNIQUE,   -- sessions/<folder>/, made by the receiver
  client_address TEXT    NOT NULL,          -- "127.0.0.1:53422"
  source         TEXT    NOT NULL,          -- what the client captures; its first word is the source: "x11 :0 1920x1080 shm", "pipewire portal monitor node 42 1920x1080 BGRx shm cursor", "test-pattern 1280x720"
  width          INTEGER NOT NULL,
  height         INTEGER NOT NULL,
  fps            REAL    NOT NULL,          -- rate the client asked for
  started_us     INTEGER NOT NULL,          -- receiver clock, when the session was created
  ended_us       INTEGER,                   -- NULL while recording
  end_reason     TEXT CHECK (end_reason IN ('receiver', 'client', 'disconnected', 'error', 'crashed')),
                                            -- receiver: q / SIGTERM at the receiver;
                                            -- client: the client said BYE (--duration, Ctrl-C);
                                            -- disconnected: the connection dropped without BYE;
                                            -- error: protocol or storage error (see error);
                                            -- crashed: closed by `screenreel-replay recover`
  error          TEXT,                      -- why, when end_reason is 'error'
  frame_count    INTEGER NOT NULL DEFAULT 0,  -- rows in frames for this session
  bytes          INTEGER NOT NULL DEFAULT 0,  -- bytes of the session's JPEG files (a shared file once)
  dropped        INTEGER NOT NULL DEFAULT 0,  -- capture ticks the client reported dropped
  -- Tamper evidence (schema 3; schemas/archive-layout.md, "Tamper evidence"), NULL before:
  head           BLOB,                      -- the frames' chain at the session's end, 32 bytes
  head_frames    INTEGER,                   -- how many frames it covers
  signature      BLOB,                      -- Ed25519 signature of the head statement
  signer         BLOB,                      -- the receiver's public key, 32 raw bytes
  -- Retention (schema 3; schemas/archive-layout.md, "Retention"):
  keep           INTEGER NOT NULL DEFAULT 0,  -- 1: retention never deletes it (replay keep)
  deleting       INTEGER NOT NULL DEFAULT 0,  -- 1: its deletion began (recover finishes it)
  CHECK ((ended_us IS NULL) = (end_reason IS NULL))
);

-- Sessions deleted by retention or `screenreel-replay delete` (schema 3): what, when, why.
CREATE TABLE deletions (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL,   -- the deleted session's id (its row is gone)
  name        TEXT    NOT NULL,
  folder      TEXT    NOT NULL,
  started_us  INTEGER NOT NULL,
  ended_us    INTEGER,
  frames      INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,   -- bytes freed: the session's JPEG files
  deleted_us  INTEGER NOT NULL,   -- when the deletion began
  reason      TEXT    NOT NULL    -- "keep-days 30", "max-archive-gb 500", "min-free 200 MB", "delete"
);

CREATE TABLE frames (
  session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,   -- frame number in the session: 1, 2, 3, ... (the file's number)
  tick        INTEGER NOT NULL,   -- client's capture tick (FRAME seq); gaps = ticks not sent
  capture_us  INTEGER NOT NULL,   -- client clock, when the pixels were read
  receive_us  INTEGER NOT NULL,   -- receiver clock, when the whole FRAME had arrived
  written_us  INTEGER NOT NULL,   -- receiver clock, when the JPEG was renamed into place
  displayed_us INTEGER,           -- receiver clock, when the live window showed it; NULL if it
                                  -- did not (--no-display, or a newer frame came first)
  file        TEXT    NOT NULL,   -- "frame_000001.jpg", relative to the session's folder
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  jpeg_bytes  INTEGER NOT NULL,
  same_as     INTEGER,            -- the frame (seq) whose pixels and JPEG this one repeats: its
                                  -- file is a hard link to that frame's (--every-frame on an
                                  -- unchanged screen); NULL for a frame encoded on its own
  sha256      BLOB,               -- SHA-256 of the JPEG file, 32 bytes (schema 3; NULL before)
  chain       BLOB,               -- SHA-256(previous link || sha256 || seq || capture_us), the
                                  -- integers 8 bytes big-endian; before frame 1 the link is
                                  -- SHA-256("screenreel-chain-1" || session id)
  -- Activity (schema 4; NULL before, until recover or index computes it): how much of the frame
  -- changed since the frame before it, on the grid of 64x64 tiles from the frame's top left.
  changed_share REAL,             -- 0 to 1: the share of the frame's pixels that changed. The
                                  -- receiver takes the union of the FRAME's rectangles (a key
                                  -- frame and a session's first frame: 1, a repeat: 0);
                                  -- recover/index compare the decoded JPEG with the frame
                                  -- before's, tile by tile, and count changed tiles' pixels
  changed_tiles INTEGER,          -- 64x64 tiles (the last column and row may be smaller) that
                                  -- those pixels touch
  PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;

-- "Which frame was on screen at time T in session S": the last frame with capture_us <= T.
CREATE INDEX frames_by_time ON frames (session_id, capture_us);

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

-- --- Markers, pauses and the drop ledger; schema version 5 added everything below -----------
--
-- A marker is a moment the user marked while recording (a key, a signal, a hotkey at the
-- client; a key at the receiver). A pause is a span of ticks the client did not read at all
-- (privacy pause): no frame of the session lies in it. The drop ledger holds every capture tick
-- that did not become a frame, as runs with their cause, so that for every session recorded
-- with it: (frames) + (sum of last_tick - first_tick + 1 over its ledger) = its ticks, the
-- highest tick a frame or a ledger run names. Causes: unchanged (nothing changed on screen),
-- flow-control (capture fell behind its schedule), paused, spool-full (dropped from the client's
-- full spool, or their report lost with it), disconnected (lost across a reconnection),
-- unknown (a client of protocol 3 or older does not say), not-saved (schema 6: buffered by the
-- receiver's replay buffer, --buffer, and never saved: older than what the save kept). A
-- session's runs never overlap and never hold a frame's tick.
CREATE TABLE markers (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  time_us     INTEGER NOT NULL,   -- when it was set (the client's clock, or the receiver's for its keys)
  tick        INTEGER NOT NULL,   -- the newest capture tick then
  frame       INTEGER,            -- frames.seq on screen at that tick; NULL before the first frame
  label       TEXT    NOT NULL,
  source      TEXT    NOT NULL CHECK (source IN ('capture-key', 'signal', 'hotkey', 'receiver-key', 'api'))
);
CREATE INDEX markers_by_session ON markers (session_id, tick);

CREATE TABLE pauses (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  from_tick   INTEGER NOT NULL,   -- the first tick not read
  from_us     INTEGER NOT NULL,   -- the client's clock when capture paused
  to_tick     INTEGER,            -- the first tick read again; NULL: paused until the session ended
  to_us       INTEGER,
  reason      TEXT    NOT NULL    -- "key p", "SIGUSR2", "hotkey"
);
CREATE INDEX pauses_by_session ON pauses (session_id, from_tick);

CREATE TABLE ledger (
  session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  first_tick  INTEGER NOT NULL,
  last_tick   INTEGER NOT NULL CHECK (last_tick >= first_tick),
  cause       TEXT    NOT NULL CHECK (cause IN ('unchanged', 'flow-control', 'paused', 'spool-full',
                                                'disconnected', 'unknown', 'not-saved')),
  PRIMARY KEY (session_id, first_tick)
) WITHOUT ROWID;

-- --- Window geometry; schema version 6 added everything below --------------------------------
--
-- The top-level windows the capture saw on screen (wire protocol 6's WINDOWS), so that export
-- can black a window out (--redact-window). A row is one window with one title and one geometry
-- from from_tick up to (not including) to_tick: a window that moves, is resized or changes its
-- title ends its row and starts another. Geometry is in the recorded area's pixels (x and y may
-- be negative or the rectangle reach past the frame: a window partly outside it). Only windows
-- the capture reported visible (mapped) have rows. NULL to_tick: on screen until the session
-- ended (or until the connection that reported it broke).
CREATE TABLE windows (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  from_tick   INTEGER NOT NULL,   -- the tick of the WINDOWS message that showed it so
  from_us     INTEGER NOT NULL,   -- the client's clock then
  to_tick     INTEGER,            -- the tick of the WINDOWS message that no longer did; NULL: open
  to_us       INTEGER,
  window_id   INTEGER NOT NULL,   -- the platform's id (X11: the window's XID)
  title       TEXT    NOT NULL,   -- UTF-8 as the capture read it (may be empty)
  x           INTEGER NOT NULL,
  y           INTEGER NOT NULL,
  width       INTEGER NOT NULL CHECK (width >= 0),
  height      INTEGER NOT NULL CHECK (height >= 0)
);
CREATE INDEX windows_by_session ON windows (session_id, from_tick);

PRAGMA user_version = 6;
