-- +goose NO TRANSACTION
-- +goose Up
-- An event's identity becomes (sourceId, meetingCode, event): the revision
-- chain and the redelivery check no longer span sources, so an event signed
-- for another organization's meetingCode can neither push the genuine one
-- to revision N+1 nor pass for it. An absent sourceId is one scope of its
-- own: COALESCE makes NULL a value, where a plain UNIQUE would let every
-- NULL row through. meeting_code and event_type lead, so lookups by
-- meetingCode (ingest's revision lookup, the events filter) still use them.
--
-- The new indexes are built CONCURRENTLY (events keeps taking writes), then
-- the old constraints are dropped in one short ALTER. The new keys are
-- looser than the old ones, so rows a replica of the previous build writes
-- meanwhile satisfy both.

-- A build interrupted earlier leaves an INVALID index that IF NOT EXISTS
-- would keep and that enforces nothing: drop it and build again.
-- +goose StatementBegin
DO $$
DECLARE
    leftover text;
BEGIN
    FOR leftover IN
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'events'::regclass AND NOT i.indisvalid
          AND c.relname IN ('events_fingerprint_src_uq', 'events_revision_src_uq')
    LOOP
        EXECUTE format('DROP INDEX %I', leftover);
    END LOOP;
END $$;
-- +goose StatementEnd

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_fingerprint_src_uq
    ON events (meeting_code, event_type, COALESCE(source_id, ''), fingerprint);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_revision_src_uq
    ON events (meeting_code, event_type, COALESCE(source_id, ''), revision);

-- Drop the old constraints only once both new indexes enforce uniqueness;
-- the lock the ALTER needs is brief, but waiting for it would queue ingest
-- behind a long reader, so give up after 10 s (the migration fails and runs
-- again at the next start).
-- +goose StatementBegin
DO $$
BEGIN
    IF (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'events'::regclass AND i.indisvalid AND i.indisunique
          AND c.relname IN ('events_fingerprint_src_uq', 'events_revision_src_uq')) <> 2 THEN
        RAISE EXCEPTION 'events_fingerprint_src_uq or events_revision_src_uq is missing or invalid';
    END IF;
    SET LOCAL lock_timeout = '10s';
    ALTER TABLE events DROP CONSTRAINT IF EXISTS events_fingerprint_uq,
        DROP CONSTRAINT IF EXISTS events_revision_uq;
END $$;
-- +goose StatementEnd

-- +goose Down
-- Fails while two sources hold the same meetingCode, event and revision (or
-- fingerprint): the old keys cannot hold such rows.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_fingerprint_uq ON events (meeting_code, event_type, fingerprint);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_revision_uq ON events (meeting_code, event_type, revision);
-- +goose StatementBegin
DO $$
BEGIN
    SET LOCAL lock_timeout = '10s';
    ALTER TABLE events ADD CONSTRAINT events_fingerprint_uq UNIQUE USING INDEX events_fingerprint_uq,
        ADD CONSTRAINT events_revision_uq UNIQUE USING INDEX events_revision_uq;
END $$;
-- +goose StatementEnd
DROP INDEX CONCURRENTLY IF EXISTS events_fingerprint_src_uq;
DROP INDEX CONCURRENTLY IF EXISTS events_revision_src_uq;
