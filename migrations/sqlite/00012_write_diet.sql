-- +goose Up
-- events_revisions_idx repeats events_revision_uq column for column (see the
-- PostgreSQL migration of the same number, which also drops River's GIN
-- indexes; River's SQLite schema has none).
DROP INDEX IF EXISTS events_revisions_idx;

-- +goose Down
CREATE INDEX IF NOT EXISTS events_revisions_idx ON events (meeting_code, event_type, revision);
