-- screenreel catalog migration: schema version 5 -> 6 (schemas/catalog.sql is the whole result).
-- The archive library runs it in one transaction on a catalog whose user_version is 5, then
-- sets user_version = 6. Every existing row is kept: the windows table is new (empty for the
-- sessions recorded before: they have no window geometry, and export --redact-window says so),
-- and the ledger gains the cause 'not-saved' (ticks a replay buffer never saved, which schema 5
-- stored as 'unknown'; those rows stay as they are).

-- --- The ledger's causes: SQLite cannot change a CHECK in place, so the table is copied ------
CREATE TABLE ledger_v6 (
  session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  first_tick  INTEGER NOT NULL,
  last_tick   INTEGER NOT NULL CHECK (last_tick >= first_tick),
  cause       TEXT    NOT NULL CHECK (cause IN ('unchanged', 'flow-control', 'paused', 'spool-full',
                                                'disconnected', 'unknown', 'not-saved')),
  PRIMARY KEY (session_id, first_tick)
) WITHOUT ROWID;
INSERT INTO ledger_v6 (session_id, first_tick, last_tick, cause)
  SELECT session_id, first_tick, last_tick, cause FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_v6 RENAME TO ledger;

-- --- Window geometry (schemas/wire-protocol.md, version 6) -----------------------------------
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
