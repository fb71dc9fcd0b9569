-- +goose Up
-- The HTTP method of each delivery: POST by default; some ATS write APIs
-- take PUT (Kombo's assessment result) or PATCH. The application allows
-- only these three (tenants.Endpoint.Validate).
ALTER TABLE endpoints ADD COLUMN method TEXT NOT NULL DEFAULT 'POST';
-- An optional health probe: an endpoint disabled automatically is enabled
-- again (and what failed while it was down redelivered) once a GET of this
-- URL answers 2xx. Empty: re-enable by hand only.
ALTER TABLE endpoints ADD COLUMN probe_url TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE endpoints DROP COLUMN probe_url;
ALTER TABLE endpoints DROP COLUMN method;
