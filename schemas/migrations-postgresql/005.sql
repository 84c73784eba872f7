-- screenreel catalog in PostgreSQL, migration: schema version 4 -> 5 (catalog-postgresql.sql is the
-- whole result; schemas/migrations/005.sql is the same step in SQLite). Markers, pauses and the
-- drop ledger: new tables, empty for the sessions recorded before.
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
                                                'disconnected', 'unknown')),
  PRIMARY KEY (session_id, first_tick)
);
UPDATE schema_version SET version = 5;
