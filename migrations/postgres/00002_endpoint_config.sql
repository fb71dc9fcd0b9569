-- +goose Up
-- Tenant-level secrets, sealed with SWITCHBOARD_SECRET_KEY (secrets.Keyring):
-- an optional per-tenant inbound webhook secret, and the tenant's Boooply
-- organization API key (for stable recording links).
ALTER TABLE tenants ADD COLUMN inbound_secret_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN boooply_api_key_sealed TEXT NOT NULL DEFAULT '';

-- Endpoint configuration. Zero values mean "the server default".
ALTER TABLE endpoints ADD COLUMN auth_type TEXT NOT NULL DEFAULT 'none';
ALTER TABLE endpoints ADD COLUMN auth_header_name TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN auth_secret_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN signing_secret_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN previous_signing_secret_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN previous_signing_expires_at TIMESTAMPTZ;
ALTER TABLE endpoints ADD COLUMN headers TEXT NOT NULL DEFAULT '{}';
ALTER TABLE endpoints ADD COLUMN timeout_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN max_age_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN retry_client_errors BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE endpoints ADD COLUMN skip_revisions BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE endpoints ADD COLUMN max_concurrency INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN rate_limit_per_second DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN ordered BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE endpoints ADD COLUMN client_cert_pem TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN client_key_sealed TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE endpoints DROP COLUMN client_key_sealed;
ALTER TABLE endpoints DROP COLUMN client_cert_pem;
ALTER TABLE endpoints DROP COLUMN ordered;
ALTER TABLE endpoints DROP COLUMN rate_limit_per_second;
ALTER TABLE endpoints DROP COLUMN max_concurrency;
ALTER TABLE endpoints DROP COLUMN skip_revisions;
ALTER TABLE endpoints DROP COLUMN retry_client_errors;
ALTER TABLE endpoints DROP COLUMN max_age_seconds;
ALTER TABLE endpoints DROP COLUMN max_attempts;
ALTER TABLE endpoints DROP COLUMN timeout_ms;
ALTER TABLE endpoints DROP COLUMN headers;
ALTER TABLE endpoints DROP COLUMN previous_signing_expires_at;
ALTER TABLE endpoints DROP COLUMN previous_signing_secret_sealed;
ALTER TABLE endpoints DROP COLUMN signing_secret_sealed;
ALTER TABLE endpoints DROP COLUMN auth_secret_sealed;
ALTER TABLE endpoints DROP COLUMN auth_header_name;
ALTER TABLE endpoints DROP COLUMN auth_type;
ALTER TABLE tenants DROP COLUMN boooply_api_key_sealed;
ALTER TABLE tenants DROP COLUMN inbound_secret_sealed;
