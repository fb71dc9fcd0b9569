-- +goose Up
-- mapping_versions: each save of an endpoint's mapping is a new, immutable
-- row; the endpoint's current mapping is its newest version (restore copies
-- an old one forward). spec is the mapping as JSON text (routing.Mapping).
CREATE TABLE mapping_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    endpoint_id INTEGER     NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    number      INTEGER     NOT NULL,
    spec        TEXT        NOT NULL,
    author      TEXT        NOT NULL DEFAULT '',
    comment     TEXT        NOT NULL DEFAULT '',
    created_at  DATETIME    NOT NULL,
    CONSTRAINT mapping_versions_number_uq UNIQUE (endpoint_id, number)
);
CREATE INDEX mapping_versions_tenant_idx ON mapping_versions (tenant_id, endpoint_id);

-- correlations: per tenant, a Boooply meetingCode's ids in the ATS
-- (candidate_id, application_id, order_id…) as a JSON object of strings,
-- written by the vendor's backend when it creates the interview.
CREATE TABLE correlations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meeting_code TEXT        NOT NULL,
    attributes   TEXT        NOT NULL DEFAULT '{}',
    created_at   DATETIME    NOT NULL,
    updated_at   DATETIME    NOT NULL,
    CONSTRAINT correlations_meeting_uq UNIQUE (tenant_id, meeting_code)
);

-- +goose Down
DROP TABLE correlations;
DROP TABLE mapping_versions;
