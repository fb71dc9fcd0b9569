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
-- The old keys cannot hold two sources' copies of one meetingCode, event
-- and revision (or fingerprint). Refuse before building anything: a build
-- that fails on them leaves its index behind INVALID (the next run stopped
-- at it), and one that succeeded before it would enforce an old key on the
-- release still running, rejecting events it must accept.
-- +goose StatementBegin
DO $$
DECLARE
    clashes bigint;
BEGIN
    SELECT count(*) INTO clashes FROM (
        SELECT 1 FROM events GROUP BY meeting_code, event_type, revision HAVING count(*) > 1
        UNION ALL
        SELECT 1 FROM events GROUP BY meeting_code, event_type, fingerprint HAVING count(*) > 1) AS c;
    IF clashes > 0 THEN
        RAISE EXCEPTION 'events: % meetingCode/event pairs hold the same revision or fingerprint from more than one source; the keys before 00016 cannot hold them', clashes
            USING HINT = 'delete or keep one of each pair (SELECT meeting_code, event_type, revision FROM events GROUP BY 1, 2, 3 HAVING count(*) > 1), then roll back again';
    END IF;
END $$;
-- +goose StatementEnd

-- A rollback interrupted earlier (cancelled, timed out) may have left an
-- INVALID index of the old keys, which IF NOT EXISTS would keep and the
-- ADD CONSTRAINT below refuses: drop it and build again. A valid one, or
-- one a constraint already uses, stays.
-- +goose StatementBegin
DO $$
DECLARE
    leftover text;
BEGIN
    FOR leftover IN
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'events'::regclass AND NOT i.indisvalid
          AND c.relname IN ('events_fingerprint_uq', 'events_revision_uq')
    LOOP
        EXECUTE format('DROP INDEX %I', leftover);
    END LOOP;
END $$;
-- +goose StatementEnd
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_fingerprint_uq ON events (meeting_code, event_type, fingerprint);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_revision_uq ON events (meeting_code, event_type, revision);
-- Each constraint once: a rollback interrupted after this step runs it again.
-- +goose StatementBegin
DO $$
BEGIN
    SET LOCAL lock_timeout = '10s';
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'events'::regclass AND conname = 'events_fingerprint_uq') THEN
        ALTER TABLE events ADD CONSTRAINT events_fingerprint_uq UNIQUE USING INDEX events_fingerprint_uq;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'events'::regclass AND conname = 'events_revision_uq') THEN
        ALTER TABLE events ADD CONSTRAINT events_revision_uq UNIQUE USING INDEX events_revision_uq;
    END IF;
END $$;
-- +goose StatementEnd
DROP INDEX CONCURRENTLY IF EXISTS events_fingerprint_src_uq;
DROP INDEX CONCURRENTLY IF EXISTS events_revision_src_uq;
