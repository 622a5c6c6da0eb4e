-- The golden rules of information sharing ask that a decision to share and a decision not to share
-- are both recorded, with the reason. A disclosure gives one user another agency's restricted entry,
-- once, under a stated lawful basis; a refusal records an agency's decision not to share. Neither is
-- ever changed or deleted.
CREATE TABLE disclosures (
    id             uuid        PRIMARY KEY,
    child_id       uuid        NOT NULL REFERENCES children (id),
    contact_id     uuid        NOT NULL REFERENCES contacts (id),
    user_id        uuid        NOT NULL REFERENCES users (id),
    agency         text        NOT NULL CHECK (agency IN ('police', 'health', 'social_care', 'legal')),
    lawful_basis   text        NOT NULL CHECK (lawful_basis IN ('consent', 'section_47', 'section_17',
                               'public_task', 'vital_interests', 'legal_obligation')),
    reason         text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    disclosed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disclosures_child_idx ON disclosures (child_id, disclosed_at);

CREATE TABLE sharing_refusals (
    id           uuid        PRIMARY KEY,
    child_id     uuid        NOT NULL REFERENCES children (id),
    -- The entry not shared, when the decision is about one.
    contact_id   uuid        REFERENCES contacts (id),
    user_id      uuid        NOT NULL REFERENCES users (id),
    agency       text        NOT NULL CHECK (agency IN ('police', 'health', 'social_care', 'legal')),
    -- The agency that asked, when one did.
    requested_by text        CHECK (requested_by IN ('police', 'health', 'social_care', 'legal')),
    reason       text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    decided_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sharing_refusals_child_idx ON sharing_refusals (child_id, decided_at);

CREATE TRIGGER disclosures_never_change BEFORE UPDATE OR DELETE ON disclosures
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER disclosures_never_truncated BEFORE TRUNCATE ON disclosures
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER sharing_refusals_never_change BEFORE UPDATE OR DELETE ON sharing_refusals
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER sharing_refusals_never_truncated BEFORE TRUNCATE ON sharing_refusals
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

GRANT SELECT, INSERT ON disclosures, sharing_refusals TO mash_service;
