-- screenreel catalog in PostgreSQL, migration: schema version 3 -> 4 (catalog-postgresql.sql is the
-- whole result; schemas/migrations/004.sql is the same step in SQLite). Activity per frame: the
-- share of the frame that changed and the 64x64 tiles it touched, NULL until measured.
ALTER TABLE frames ADD COLUMN changed_share double precision;
ALTER TABLE frames ADD COLUMN changed_tiles bigint;
UPDATE schema_version SET version = 4;
