-- screenreel catalog migration: schema version 3 -> 4 (schemas/catalog.sql is the whole result).
-- The archive library runs it in one transaction on a catalog whose user_version is 3, then
-- sets user_version = 4. Every existing row is kept: this step only adds columns, NULL for the
-- frames recorded before it. `screenreel-replay recover` and `index` fill them from the frames'
-- JPEG files (comparing each decoded frame with the one before, tile by tile).

-- --- Activity per frame (the viewer's timeline, "next change"); schema version 4 ------------
ALTER TABLE frames ADD COLUMN changed_share REAL;     -- 0 to 1: share of the frame that changed
ALTER TABLE frames ADD COLUMN changed_tiles INTEGER;  -- 64x64 tiles that changed
