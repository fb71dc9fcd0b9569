-- +goose NO TRANSACTION
-- +goose Up
-- Fewer index entries and WAL records per event (issue 8). Measured with
-- pg_stat_wal: every stored event cost about 59 WAL records, most of them
-- index entries of rows that are written and then updated.
--
-- events_revisions_idx repeats events_revision_uq column for column.
-- Dropped CONCURRENTLY (outside a transaction), so a busy events or
-- river_job table keeps taking writes meanwhile.
DROP INDEX CONCURRENTLY IF EXISTS events_revisions_idx;
-- River's GIN indexes on river_job.args and .metadata serve searches by job
-- arguments (River's UI); Switchboard never searches jobs that way (its own
-- deliveries table is the record), yet each job version paid GIN entries:
-- three versions per delivery (inserted, running, completed). River's
-- reindexer skips indexes that do not exist. River's migrations run before
-- these, so the indexes exist here on a new database too.
DROP INDEX CONCURRENTLY IF EXISTS river_job_args_index;
DROP INDEX CONCURRENTLY IF EXISTS river_job_metadata_index;

-- +goose Down
-- Built CONCURRENTLY, so River keeps inserting and completing jobs while a
-- large river_job is indexed. A rollback interrupted earlier leaves an
-- INVALID index that IF NOT EXISTS would keep: drop it and build again.
-- +goose StatementBegin
DO $$
DECLARE
    leftover text;
BEGIN
    FOR leftover IN
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE NOT i.indisvalid
          AND c.relname IN ('river_job_metadata_index', 'river_job_args_index', 'events_revisions_idx')
    LOOP
        EXECUTE format('DROP INDEX %I', leftover);
    END LOOP;
END $$;
-- +goose StatementEnd
CREATE INDEX CONCURRENTLY IF NOT EXISTS river_job_metadata_index ON river_job USING GIN (metadata);
CREATE INDEX CONCURRENTLY IF NOT EXISTS river_job_args_index ON river_job USING GIN (args);
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_revisions_idx ON events (meeting_code, event_type, revision);
