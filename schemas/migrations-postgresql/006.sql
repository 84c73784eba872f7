-- screenreel catalog in PostgreSQL, migration: schema version 5 -> 6 (catalog-postgresql.sql is the
-- whole result; schemas/migrations/006.sql is the same step in SQLite). The ledger's cause
-- 'not-saved' (ticks a replay buffer never saved) and the windows table (window geometry, empty
-- for the sessions recorded before).
ALTER TABLE ledger DROP CONSTRAINT ledger_cause_check;
ALTER TABLE ledger ADD CONSTRAINT ledger_cause_check CHECK (cause IN ('unchanged', 'flow-control', 'paused',
  'spool-full', 'disconnected', 'unknown', 'not-saved'));

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
UPDATE schema_version SET version = 6;
