-- +goose Up
-- Which webhook-id a delivery's next request carries (webhooks/message.go):
-- the number of the id its body was last delivered under (0: dlv_<id>,
-- n: dlv_<id>_r<n>) and that body's hex SHA-256 (NULL: never delivered, or
-- delivered before this column). A body that differs from it gets the next id.
ALTER TABLE deliveries ADD COLUMN webhook_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN delivered_body_sha256 TEXT;

-- +goose Down
ALTER TABLE deliveries DROP COLUMN delivered_body_sha256;
ALTER TABLE deliveries DROP COLUMN webhook_seq;
