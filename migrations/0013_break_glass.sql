-- Reading a child's record needs a reason: an agency involved with the child reads it; a user of
-- any other agency breaks glass, stating a lawful basis and a reason, which opens the record to
-- them for a limited time and goes to their agency's managers for review. Both the opening and its
-- review are kept like every other entry: never changed or deleted.
CREATE TABLE break_glass (
    id           uuid        PRIMARY KEY,
    child_id     uuid        NOT NULL REFERENCES children (id),
    user_id      uuid        NOT NULL REFERENCES users (id),
    agency       text        NOT NULL CHECK (agency IN ('police', 'health', 'social_care', 'legal')),
    lawful_basis text        NOT NULL CHECK (lawful_basis IN ('consent', 'section_47', 'section_17',
                             'public_task', 'vital_interests', 'legal_obligation')),
    reason       text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    -- Real time, not scenario time: access is granted now, for a while.
    opened_at    timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL CHECK (expires_at > opened_at)
);
CREATE INDEX break_glass_open_idx ON break_glass (child_id, user_id, expires_at);
CREATE INDEX break_glass_agency_idx ON break_glass (agency, opened_at);

CREATE TABLE break_glass_reviews (
    id             uuid        PRIMARY KEY,
    -- Reviewed once.
    break_glass_id uuid        NOT NULL UNIQUE REFERENCES break_glass (id),
    reviewer_id    uuid        NOT NULL REFERENCES users (id),
    outcome        text        NOT NULL CHECK (outcome IN ('justified', 'not_justified')),
    note           text        NOT NULL CHECK (length(note) BETWEEN 1 AND 2000),
    reviewed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER break_glass_never_change BEFORE UPDATE OR DELETE ON break_glass
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER break_glass_never_truncated BEFORE TRUNCATE ON break_glass
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER break_glass_reviews_never_change BEFORE UPDATE OR DELETE ON break_glass_reviews
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER break_glass_reviews_never_truncated BEFORE TRUNCATE ON break_glass_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

GRANT SELECT, INSERT ON break_glass, break_glass_reviews TO mash_service;
