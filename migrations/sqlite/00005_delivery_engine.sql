-- +goose Up
-- Endpoint health, kept by the delivery engine: the circuit breaker's
-- counters and why an endpoint was switched off automatically.
ALTER TABLE endpoints ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN failing_since DATETIME;
ALTER TABLE endpoints ADD COLUMN circuit_open_until DATETIME;
ALTER TABLE endpoints ADD COLUMN disabled_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN disabled_at DATETIME;

-- What was sent: the mapped body once per delivery when it differs from the
-- event's body (NULL = the event body), and the mapping version that made it.
ALTER TABLE deliveries ADD COLUMN mapping_version_id INTEGER;
ALTER TABLE deliveries ADD COLUMN mapped_body BLOB;
-- A manual retry starts a new round: attempts and max age count from here.
ALTER TABLE deliveries ADD COLUMN round_start_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN round_started_at DATETIME;
ALTER TABLE deliveries ADD COLUMN payload_purged_at DATETIME;
CREATE INDEX deliveries_endpoint_idx ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_created_idx ON deliveries (created_at);

-- Per attempt: request headers (secrets redacted) and selected response headers, as JSON objects.
ALTER TABLE attempts ADD COLUMN request_headers TEXT NOT NULL DEFAULT '{}';
ALTER TABLE attempts ADD COLUMN response_headers TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE attempts DROP COLUMN response_headers;
ALTER TABLE attempts DROP COLUMN request_headers;
DROP INDEX deliveries_created_idx;
DROP INDEX deliveries_endpoint_idx;
ALTER TABLE deliveries DROP COLUMN payload_purged_at;
ALTER TABLE deliveries DROP COLUMN round_started_at;
ALTER TABLE deliveries DROP COLUMN round_start_attempts;
ALTER TABLE deliveries DROP COLUMN mapped_body;
ALTER TABLE deliveries DROP COLUMN mapping_version_id;
ALTER TABLE endpoints DROP COLUMN disabled_at;
ALTER TABLE endpoints DROP COLUMN disabled_reason;
ALTER TABLE endpoints DROP COLUMN circuit_open_until;
ALTER TABLE endpoints DROP COLUMN failing_since;
ALTER TABLE endpoints DROP COLUMN consecutive_failures;
