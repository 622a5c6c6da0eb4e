-- Sessions and refresh tokens, and login throttling by client address.
--
-- A login starts a session; every access token names its session, and every request checks that
-- the session is still live, so ending one (logout, a password or role change, disabling the user)
-- stops its tokens at once. These tables hold the state of who is logged in, not the record: rows
-- are updated (a session ends, a refresh token is used) and never matter to the audit trail, which
-- records each of those events itself.

CREATE TABLE sessions (
    id         uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id),
    started_at timestamptz NOT NULL DEFAULT now(),
    -- The longest the session may be refreshed for: a training day, not forever.
    expires_at timestamptz NOT NULL,
    ended_at   timestamptz,
    -- `logout`, `password_changed`, `disabled`, `role_changed`, `refresh_token_reused`.
    end_reason text
);
CREATE INDEX sessions_live_idx ON sessions (user_id) WHERE ended_at IS NULL;

-- Refresh tokens rotate: each is good for one refresh, which issues the next. Only a SHA-256 of a
-- token is kept. A used token presented again means it was copied: the whole session is ended.
CREATE TABLE refresh_tokens (
    token_hash text        PRIMARY KEY,
    session_id uuid        NOT NULL REFERENCES sessions (id),
    issued_at  timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Failed logins per login name and client address: ten in a row lock that name for that address
-- only, so nobody can lock an account's owner out from elsewhere.
CREATE TABLE login_failures_by_client (
    username_key      text        NOT NULL,
    client            text        NOT NULL,
    failures          integer     NOT NULL,
    window_started_at timestamptz NOT NULL,
    PRIMARY KEY (username_key, client)
);

-- `login_failures` now counts a name's failures from every address together; past a threshold the
-- name is slowed (one attempt per few seconds) rather than locked.
ALTER TABLE login_failures ADD COLUMN last_failure_at timestamptz NOT NULL DEFAULT now();
