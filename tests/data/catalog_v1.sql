-- screenreel catalog, schema version 1.
--
-- <archive>/catalog.db indexes every recorded frame: which session, when it was captured
-- (client clock) and received (receiver clock), and which JPEG file holds it.
-- The archive library applies this file, as it is, to a new catalog (the build embeds it), and
-- sets PRAGMA user_version to the version below. A catalog whose user_version is higher than
-- the library knows is refused ("written by a newer screenreel"); a lower one is migrated.
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
  source         TEXT    NOT NULL,          -- what the client captures ("x11 :0 1920x1080 shm")
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
  CHECK ((ended_us IS NULL) = (end_reason IS NULL))
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
  PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;

-- "Which frame was on screen at time T in session S": the last frame with capture_us <= T.
CREATE INDEX frames_by_time ON frames (session_id, capture_us);

PRAGMA user_version = 1;
