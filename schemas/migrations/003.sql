-- screenreel catalog migration: schema version 2 -> 3 (schemas/catalog.sql is the whole result).
-- The archive library runs it in one transaction on a catalog whose user_version is 2, then
-- sets user_version = 3. Every existing row is kept: this step only adds columns, NULL for the
-- frames and sessions recorded before it (they have no chain: verify --integrity says so).

-- --- Tamper evidence (schemas/archive-layout.md, "Tamper evidence"); schema version 3 -------
ALTER TABLE frames ADD COLUMN sha256 BLOB;       -- SHA-256 of the frame's JPEG file, 32 bytes
ALTER TABLE frames ADD COLUMN chain BLOB;        -- the session's chain through this frame, 32 bytes
ALTER TABLE sessions ADD COLUMN head BLOB;       -- the chain's last link when the session ended
ALTER TABLE sessions ADD COLUMN head_frames INTEGER;  -- how many frames that link covers
ALTER TABLE sessions ADD COLUMN signature BLOB;  -- Ed25519 signature of the head statement
ALTER TABLE sessions ADD COLUMN signer BLOB;     -- the signing receiver's public key, 32 bytes

-- --- Retention (schemas/archive-layout.md, "Retention"); schema version 3 ------------------
ALTER TABLE sessions ADD COLUMN keep INTEGER NOT NULL DEFAULT 0;      -- 1: retention never deletes it
ALTER TABLE sessions ADD COLUMN deleting INTEGER NOT NULL DEFAULT 0;  -- 1: being deleted (recover finishes it)
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
