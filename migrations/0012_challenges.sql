-- Challenge and escalation: one agency challenges another's entry or decision, at a level of the
-- escalation procedure, and the challenged agency answers. A challenge is a process record of its
-- own and its answer an event on it, so both are kept like every other entry: never changed or
-- deleted, on the chronology and under `as_of`.
ALTER TABLE process_records DROP CONSTRAINT process_records_record_type_check;
ALTER TABLE process_records ADD CONSTRAINT process_records_record_type_check
    CHECK (record_type IN ('referral', 'strategy_discussion', 'section_47_enquiry', 'assessment',
           'conference', 'core_group', 'plan', 'plan_action', 'legal_planning_meeting', 'challenge'));
ALTER TABLE process_events DROP CONSTRAINT process_events_event_type_check;
-- A challenge is answered once, like a referral is decided once (`process_events_once`).
ALTER TABLE process_events ADD CONSTRAINT process_events_event_type_check
    CHECK (event_type IN ('acknowledged', 'decided', 'concluded', 'completed', 'marked', 'responded'));
