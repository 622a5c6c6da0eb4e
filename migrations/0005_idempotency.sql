-- Idempotency keys: a retried POST with the same key and body gets the first answer again and
-- creates nothing new. Keys are per user. A row with no status is a request still in progress.

CREATE TABLE idempotency_keys (
    user_id      uuid        NOT NULL REFERENCES users (id),
    key          text        NOT NULL,
    -- SHA-256 of the method, path and body, so that a reused key with another request is refused.
    request_hash text        NOT NULL,
    status       smallint,
    content_type text,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
