-- The shared child record: children, the people around them and police checks on those people,
-- agency contacts and their amendments. Enumerations are text with CHECK constraints.

CREATE TABLE children (
    id            uuid        PRIMARY KEY,
    given_name    text        NOT NULL,
    family_name   text        NOT NULL,
    date_of_birth date        NOT NULL,
    identifier    text,
    address       text,
    status        text        NOT NULL DEFAULT 'none'
                  CHECK (status IN ('none', 'child_in_need', 'child_protection_plan', 'looked_after')),
    sharing_mode  text        NOT NULL DEFAULT 'shared' CHECK (sharing_mode IN ('shared', 'siloed')),
    -- Bumped by every change; the ETag of the record, for If-Match.
    version       integer     NOT NULL DEFAULT 1,
    created_by    uuid        NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX children_family_name_idx ON children (lower(family_name), lower(given_name));
CREATE INDEX children_given_name_idx ON children (lower(given_name));
CREATE INDEX children_date_of_birth_idx ON children (date_of_birth);
CREATE INDEX children_identifier_idx ON children (identifier) WHERE identifier IS NOT NULL;
CREATE INDEX children_created_at_idx ON children (created_at, id);

-- Adults and children linked to the child. `occurred_at` is the scenario time at which the recording
-- agency learned of the person.
CREATE TABLE people (
    id                   uuid        PRIMARY KEY,
    child_id             uuid        NOT NULL REFERENCES children (id),
    name                 text        NOT NULL,
    relationship         text        NOT NULL CHECK (relationship IN ('mother', 'father', 'mothers_partner',
                             'fathers_partner', 'relative', 'family_friend', 'lodger', 'visitor', 'sibling',
                             'other_child', 'other')),
    lives_in_household   boolean     NOT NULL,
    since                date,
    identity_verified    boolean     NOT NULL,
    named_as_next_of_kin boolean     NOT NULL DEFAULT false,
    agency               text        NOT NULL CHECK (agency IN ('police', 'health', 'social_care', 'legal')),
    recorded_by          uuid        NOT NULL REFERENCES users (id),
    occurred_at          timestamptz NOT NULL,
    recorded_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_child_idx ON people (child_id, occurred_at);

-- Background checks on a person, recorded by police only.
CREATE TABLE person_checks (
    id          uuid        PRIMARY KEY,
    person_id   uuid        NOT NULL REFERENCES people (id),
    child_id    uuid        NOT NULL REFERENCES children (id),
    outcome     text        NOT NULL CHECK (outcome IN ('no_trace', 'relevant_history', 'pending')),
    summary     text        NOT NULL,
    agency      text        NOT NULL CHECK (agency = 'police'),
    recorded_by uuid        NOT NULL REFERENCES users (id),
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX person_checks_person_idx ON person_checks (person_id);
CREATE INDEX person_checks_child_idx ON person_checks (child_id, occurred_at);

-- One agency's record of one interaction. Never updated or deleted: corrections are amendments.
CREATE TABLE contacts (
    id                  uuid        PRIMARY KEY,
    child_id            uuid        NOT NULL REFERENCES children (id),
    agency              text        NOT NULL CHECK (agency IN ('police', 'health', 'social_care', 'legal')),
    author_id           uuid        NOT NULL REFERENCES users (id),
    occurred_at         timestamptz NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    kind                text        NOT NULL CHECK (kind IN ('home_visit', 'hospital_attendance',
                            'hospital_admission', 'clinic_appointment', 'gp_appointment', 'police_interview',
                            'arrest', 'referral', 'strategy_discussion', 'case_conference', 'legal_advice',
                            'charging_decision', 'phone_call', 'other')),
    location            text,
    summary             text        NOT NULL,
    child_seen          boolean,
    appearance_obscured boolean,
    -- [{body_location, type, description}], validated by the service (at most 50).
    injuries            jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(injuries) = 'array'),
    -- {given_by, category, text}
    explanation         jsonb       CHECK (explanation IS NULL OR explanation->>'category' IN
                            ('accident', 'self_inflicted', 'another_child', 'adult', 'none_given')),
    -- {completed, reason_incomplete}
    examination         jsonb,
    opinion             text        CHECK (opinion IN ('non_accidental_injury_suspected',
                            'accidental_injury_likely', 'inconclusive', 'no_concerns')),
    concern_level       text        CHECK (concern_level IN ('none', 'low', 'medium', 'high', 'immediate_risk')),
    concern_categories  text[]      NOT NULL DEFAULT '{}' CHECK (concern_categories <@ ARRAY['physical_injury',
                            'neglect', 'emotional', 'sexual', 'unknown_adult', 'non_engagement', 'concealment',
                            'domestic_abuse', 'substance_misuse']),
    outcome             text        CHECK (outcome IN ('threshold_for_care_not_met', 'insufficient_evidence',
                            'no_further_action', 'referred_to_police', 'referred_to_social_care',
                            'further_investigation', 'child_protection_plan', 'placed_with_family_friend',
                            'returned_home', 'discharged', 'charged', 'other')),
    actions             text[]      NOT NULL DEFAULT '{}',
    visibility          text        NOT NULL DEFAULT 'shared' CHECK (visibility IN ('shared', 'restricted'))
);
CREATE INDEX contacts_child_occurred_idx ON contacts (child_id, occurred_at, recorded_at);

-- A correction to a contact, by the authoring agency: the changed fields and why.
CREATE TABLE contact_amendments (
    id         uuid        PRIMARY KEY,
    contact_id uuid        NOT NULL REFERENCES contacts (id),
    child_id   uuid        NOT NULL REFERENCES children (id),
    agency     text        NOT NULL CHECK (agency IN ('police', 'health', 'social_care', 'legal')),
    author_id  uuid        NOT NULL REFERENCES users (id),
    reason     text        NOT NULL,
    changes    jsonb       NOT NULL CHECK (jsonb_typeof(changes) = 'object'),
    -- Scenario time of the correction (defaults to now), for as-of views; amended_at is the server's.
    occurred_at timestamptz NOT NULL,
    amended_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_amendments_contact_idx ON contact_amendments (contact_id, amended_at);
CREATE INDEX contact_amendments_child_idx ON contact_amendments (child_id);

-- Contacts and amendments are a record of what was said and done: the database itself refuses to
-- change or remove them, whoever asks.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never updated or deleted; record an amendment instead', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER contacts_never_change BEFORE UPDATE OR DELETE ON contacts
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER contacts_never_truncated BEFORE TRUNCATE ON contacts
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER contact_amendments_never_change BEFORE UPDATE OR DELETE ON contact_amendments
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER contact_amendments_never_truncated BEFORE TRUNCATE ON contact_amendments
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
