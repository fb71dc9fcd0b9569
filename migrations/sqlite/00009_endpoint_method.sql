-- +goose Up
-- The HTTP method of each delivery: POST by default; some ATS write APIs
-- take PUT (Kombo's assessment result) or PATCH. The application allows
-- only these three (tenants.Endpoint.Validate).
ALTER TABLE endpoints ADD COLUMN method TEXT NOT NULL DEFAULT 'POST';

-- +goose Down
ALTER TABLE endpoints DROP COLUMN method;
