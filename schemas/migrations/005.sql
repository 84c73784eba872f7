-- screenreel catalog migration: schema version 4 -> 5 (schemas/catalog.sql is the whole result).
-- The archive library runs it in one transaction on a catalog whose user_version is 4, then
-- sets user_version = 5. Every existing row is kept: this step only adds tables, empty for the
-- sessions recorded before it (they have no markers, pauses or ledger: info says so).

-- --- Markers, pauses and the drop ledger (schemas/wire-protocol.md, version 4) ---------------
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
                                                'disconnected', 'unknown')),
  PRIMARY KEY (session_id, first_tick)
) WITHOUT ROWID;
