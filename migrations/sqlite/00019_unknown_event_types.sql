-- +goose Up
-- An endpoint may subscribe to an event type Switchboard doesn't know yet
-- once it has received one (issue 3): saving an endpoint asks whether such
-- an event is stored, and the endpoint form lists the received ones. The
-- index is partial: only events of types other than the five known when it
-- was written get an entry, so ingest of those five writes nothing more.
-- tenants.unknownTypeClause repeats the condition word for word (SQLite
-- uses a partial index only for a query whose WHERE states its condition).
CREATE INDEX IF NOT EXISTS events_unknown_type_idx ON events (event_type)
    WHERE event_type NOT IN ('interview.transcript', 'interview.evaluation', 'interview.scores',
        'interview.recording', 'interview.interviewer_evaluation');

-- +goose Down
DROP INDEX IF EXISTS events_unknown_type_idx;
