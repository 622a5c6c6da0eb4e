-- Users of the service: agency practitioners and managers, and exercise facilitators.
-- Enumerations are text with CHECK constraints so that adding a value is a plain migration.

CREATE TABLE users (
    id            uuid        PRIMARY KEY,
    username      text        NOT NULL CHECK (length(username) BETWEEN 3 AND 64),
    display_name  text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    -- NULL for a facilitator, who belongs to no agency.
    agency        text        CHECK (agency IN ('police', 'health', 'social_care', 'legal')),
    role          text        NOT NULL CHECK (role IN ('practitioner', 'manager', 'facilitator')),
    -- An argon2id PHC string; never leaves the database.
    password_hash text        NOT NULL,
    disabled      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Facilitators have no agency; everyone else has exactly one.
    CONSTRAINT users_agency_matches_role CHECK ((role = 'facilitator') = (agency IS NULL))
);

-- Usernames are unique whatever their case.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE INDEX users_created_at_idx ON users (created_at, id);

-- Consecutive failed logins per login name (known or not, so that the answer reveals nothing).
-- A success deletes the row; a failure after the window has passed starts a new window.
CREATE TABLE login_failures (
    username_key      text        PRIMARY KEY,  -- lower(username) as typed
    failures          integer     NOT NULL,
    window_started_at timestamptz NOT NULL
);
