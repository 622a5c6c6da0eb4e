-- The safeguarding process (docs/domain.md, "The safeguarding process"): what the agencies decided
-- and did. Each referral, strategy discussion, section 47 enquiry, assessment, conference, core
-- group meeting, plan, plan action and legal planning meeting is a row of `process_records`; every
-- later change of its state (a referral acknowledged or decided, an enquiry concluded, an
-- assessment completed, a plan action marked done or not done) is a row of `process_events`.
-- Neither is ever changed or deleted: the database refuses it, as for contacts.

-- Whether the carers follow the child protection plan, as a contact records it.
ALTER TABLE contacts ADD COLUMN plan_compliance text
    CHECK (plan_compliance IN ('followed', 'partly_followed', 'not_followed'));

CREATE TABLE process_records (
    id          uuid        PRIMARY KEY,
    child_id    uuid        NOT NULL REFERENCES children (id),
    record_type text        NOT NULL CHECK (record_type IN ('referral', 'strategy_discussion',
                            'section_47_enquiry', 'assessment', 'conference', 'core_group', 'plan',
                            'plan_action', 'legal_planning_meeting')),
    -- The record this one came from or belongs to: an enquiry's strategy discussion, an
    -- assessment's referral, a plan's conference, an action's plan.
    parent_id   uuid        REFERENCES process_records (id),
    -- Whose entry it is (docs/domain.md): the recording agency's.
    agency      text        NOT NULL CHECK (agency IN ('police', 'health', 'social_care', 'legal')),
    -- `restricted`: in full for the recording agency (and the agency a referral is made to, or that
    -- owns a plan action) and facilitators; other agencies see a stub. Changes of state go with it.
    visibility  text        NOT NULL DEFAULT 'shared' CHECK (visibility IN ('shared', 'restricted')),
    author_id   uuid        NOT NULL REFERENCES users (id),
    occurred_at timestamptz NOT NULL,
    -- The clock, not the transaction's start: what one request records in order (a decision, then
    -- the assessment it starts) keeps that order on the chronology.
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- What the record type says (its fields, validated by the service before they are stored), with
    -- the record type as `record_type`.
    details     jsonb       NOT NULL CHECK (details ->> 'record_type' = record_type)
);
CREATE INDEX process_records_child_idx ON process_records (child_id, record_type, occurred_at, id);
CREATE INDEX process_records_parent_idx ON process_records (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE process_events (
    id          uuid        PRIMARY KEY,
    record_id   uuid        NOT NULL REFERENCES process_records (id),
    child_id    uuid        NOT NULL REFERENCES children (id),
    event_type  text        NOT NULL CHECK (event_type IN ('acknowledged', 'decided', 'concluded',
                            'completed', 'marked')),
    agency      text        NOT NULL CHECK (agency IN ('police', 'health', 'social_care', 'legal')),
    author_id   uuid        NOT NULL REFERENCES users (id),
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    details     jsonb       NOT NULL CHECK (details ->> 'event' = event_type)
);
CREATE INDEX process_events_record_idx ON process_events (record_id, occurred_at);
CREATE INDEX process_events_child_idx ON process_events (child_id);
-- A record is acknowledged, decided, concluded or completed once; a plan action may be marked
-- `not_done` and later `done`.
CREATE UNIQUE INDEX process_events_once ON process_events (record_id, event_type)
    WHERE event_type <> 'marked';

CREATE TRIGGER process_records_never_change BEFORE UPDATE OR DELETE ON process_records
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER process_records_never_truncated BEFORE TRUNCATE ON process_records
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER process_events_never_change BEFORE UPDATE OR DELETE ON process_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER process_events_never_truncated BEFORE TRUNCATE ON process_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE CONSTRAINT TRIGGER process_records_bump_record_version AFTER INSERT ON process_records
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_record_version();
CREATE CONSTRAINT TRIGGER process_events_bump_record_version AFTER INSERT ON process_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_record_version();
