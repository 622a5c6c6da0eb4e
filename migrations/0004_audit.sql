-- The audit trail: every read and write of child data, every login and every user administration
-- action. Append-only in the database itself, for every role the superuser included (a trigger, not
-- privileges alone), and chained by hash so that tampering with the triggers switched off is still
-- detectable by GET /api/v1/audit/verify.

CREATE TABLE audit_events (
    -- The chain's order: assigned under the writers' advisory lock, so it is also commit order.
    seq           bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    id            uuid        PRIMARY KEY,
    occurred_at   timestamptz NOT NULL,
    user_id       uuid,
    -- As typed at a failed login; the user's name otherwise.
    username      text,
    agency        text        CHECK (agency IN ('police', 'health', 'social_care', 'legal')),
    role          text        CHECK (role IN ('practitioner', 'manager', 'facilitator')),
    action        text        NOT NULL,
    resource_type text        NOT NULL,
    resource_id   uuid,
    child_id      uuid,
    request_id    text,
    outcome       text        NOT NULL CHECK (outcome IN ('allowed', 'denied', 'failed')),
    -- Why a request was denied or failed.
    reason        text,
    -- SHA-256 (hex) of the previous event's hash and this event's canonical content.
    prev_hash     text        NOT NULL,
    hash          text        NOT NULL
);
CREATE INDEX audit_events_child_idx ON audit_events (child_id, seq) WHERE child_id IS NOT NULL;
CREATE INDEX audit_events_user_idx ON audit_events (user_id, seq);
CREATE INDEX audit_events_agency_idx ON audit_events (agency, seq);
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at);

CREATE TRIGGER audit_events_never_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_events_never_truncated BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
