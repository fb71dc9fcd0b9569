-- +goose Up
-- Fewer index entries and WAL records per event (issue 8). Measured with
-- pg_stat_wal: every stored event cost about 59 WAL records, most of them
-- index entries of rows that are written and then updated.
--
-- events_revisions_idx repeats events_revision_uq column for column.
DROP INDEX IF EXISTS events_revisions_idx;
-- River's GIN indexes on river_job.args and .metadata serve searches by job
-- arguments (River's UI); Switchboard never searches jobs that way (its own
-- deliveries table is the record), yet each job version paid GIN entries:
-- three versions per delivery (inserted, running, completed). River's
-- reindexer skips indexes that do not exist. River's migrations run before
-- these, so the indexes exist here on a new database too.
DROP INDEX IF EXISTS river_job_args_index;
DROP INDEX IF EXISTS river_job_metadata_index;

-- +goose Down
CREATE INDEX IF NOT EXISTS river_job_metadata_index ON river_job USING GIN (metadata);
CREATE INDEX IF NOT EXISTS river_job_args_index ON river_job USING GIN (args);
CREATE INDEX IF NOT EXISTS events_revisions_idx ON events (meeting_code, event_type, revision);
