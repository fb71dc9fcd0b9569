-- +goose NO TRANSACTION
-- +goose Up
-- An event's identity becomes (sourceId, meetingCode, event): see the
-- PostgreSQL migration of the same number. SQLite cannot drop the inline
-- UNIQUE constraints of events, so the table is rebuilt (SQLite's
-- documented 12-step ALTER): every row keeps its id, AUTOINCREMENT keeps
-- its high-water mark, and every index is created again. Expressions are
-- not allowed in a table's UNIQUE constraint, hence unique indexes.
--
-- Foreign keys must be off while events is dropped: with them on, DROP
-- TABLE deletes the rows first and ON DELETE CASCADE would empty
-- deliveries and recording_links. The pragma is a no-op inside a
-- transaction, so this migration runs outside goose's and opens its own;
-- the foreign-key check before COMMIT aborts it (a CHECK constraint fails)
-- if any reference to events were left dangling. The pragma and the
-- transaction hold because Switchboard opens SQLite with one connection
-- (database.Open: SetMaxOpenConns(1)), so every statement runs on it.
PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

DROP TABLE IF EXISTS events_rebuild;
CREATE TABLE events_rebuild (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    event_type           TEXT        NOT NULL,
    meeting_code         TEXT        NOT NULL,
    source_id            TEXT,
    tenant_id            INTEGER REFERENCES tenants (id) ON DELETE SET NULL,
    revision             INTEGER     NOT NULL,
    fingerprint          TEXT        NOT NULL,
    body                 BLOB       NOT NULL,
    duplicates           INTEGER     NOT NULL DEFAULT 0,
    last_duplicate_at    DATETIME,
    received_at          DATETIME NOT NULL,
    video_api_url        TEXT,
    video_url_expires_at DATETIME,
    candidate_name       TEXT NOT NULL DEFAULT ''
);

INSERT INTO events_rebuild (id, event_type, meeting_code, source_id, tenant_id, revision, fingerprint, body,
    duplicates, last_duplicate_at, received_at, video_api_url, video_url_expires_at, candidate_name)
SELECT id, event_type, meeting_code, source_id, tenant_id, revision, fingerprint, body,
    duplicates, last_duplicate_at, received_at, video_api_url, video_url_expires_at, candidate_name
FROM events;

-- Ids are never reused: keep the old high-water mark (retention may have
-- deleted the newest rows, so MAX(id) can be lower).
DELETE FROM sqlite_sequence WHERE name = 'events_rebuild';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'events_rebuild', MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
    COALESCE((SELECT MAX(id) FROM events_rebuild), 0));

DROP TABLE events;
ALTER TABLE events_rebuild RENAME TO events;

CREATE UNIQUE INDEX events_fingerprint_src_uq ON events (meeting_code, event_type, COALESCE(source_id, ''), fingerprint);
CREATE UNIQUE INDEX events_revision_src_uq ON events (meeting_code, event_type, COALESCE(source_id, ''), revision);
CREATE INDEX events_unrouted_idx ON events (source_id, id) WHERE tenant_id IS NULL;
CREATE INDEX events_tenant_idx ON events (tenant_id, id);
CREATE INDEX events_received_idx ON events (received_at);

CREATE TEMP TABLE events_rebuild_check (dangling INTEGER CHECK (dangling = 0));
INSERT INTO events_rebuild_check SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE events_rebuild_check;

COMMIT;

PRAGMA foreign_keys = ON;

-- +goose Down
-- The same rebuild back to the old inline constraints. They cannot hold two
-- sources' copies of one meetingCode, event and revision (or fingerprint):
-- refuse those (a CHECK constraint fails, naming the reason) before foreign
-- keys go off and the transaction opens, so a refused rollback leaves the
-- connection as it found it instead of inside a transaction without them.
DROP TABLE IF EXISTS temp.events_down_check;
CREATE TEMP TABLE events_down_check (
    events_two_sources_share_a_revision_or_fingerprint INTEGER
        CHECK (events_two_sources_share_a_revision_or_fingerprint = 0)
);
INSERT INTO events_down_check SELECT COUNT(*) FROM (
    SELECT 1 FROM events GROUP BY meeting_code, event_type, revision HAVING COUNT(*) > 1
    UNION ALL
    SELECT 1 FROM events GROUP BY meeting_code, event_type, fingerprint HAVING COUNT(*) > 1);
DROP TABLE events_down_check;

PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

DROP TABLE IF EXISTS events_rebuild;
CREATE TABLE events_rebuild (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    event_type           TEXT        NOT NULL,
    meeting_code         TEXT        NOT NULL,
    source_id            TEXT,
    tenant_id            INTEGER REFERENCES tenants (id) ON DELETE SET NULL,
    revision             INTEGER     NOT NULL,
    fingerprint          TEXT        NOT NULL,
    body                 BLOB       NOT NULL,
    duplicates           INTEGER     NOT NULL DEFAULT 0,
    last_duplicate_at    DATETIME,
    received_at          DATETIME NOT NULL,
    video_api_url        TEXT,
    video_url_expires_at DATETIME,
    candidate_name       TEXT NOT NULL DEFAULT '',
    CONSTRAINT events_fingerprint_uq UNIQUE (meeting_code, event_type, fingerprint),
    CONSTRAINT events_revision_uq UNIQUE (meeting_code, event_type, revision)
);

INSERT INTO events_rebuild (id, event_type, meeting_code, source_id, tenant_id, revision, fingerprint, body,
    duplicates, last_duplicate_at, received_at, video_api_url, video_url_expires_at, candidate_name)
SELECT id, event_type, meeting_code, source_id, tenant_id, revision, fingerprint, body,
    duplicates, last_duplicate_at, received_at, video_api_url, video_url_expires_at, candidate_name
FROM events;

DELETE FROM sqlite_sequence WHERE name = 'events_rebuild';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'events_rebuild', MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
    COALESCE((SELECT MAX(id) FROM events_rebuild), 0));

DROP TABLE events;
ALTER TABLE events_rebuild RENAME TO events;

CREATE INDEX events_unrouted_idx ON events (source_id, id) WHERE tenant_id IS NULL;
CREATE INDEX events_tenant_idx ON events (tenant_id, id);
CREATE INDEX events_received_idx ON events (received_at);

CREATE TEMP TABLE events_rebuild_check (dangling INTEGER CHECK (dangling = 0));
INSERT INTO events_rebuild_check SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE events_rebuild_check;

COMMIT;

PRAGMA foreign_keys = ON;
