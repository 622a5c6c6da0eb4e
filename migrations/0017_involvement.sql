-- Writing alone no longer involves an agency with a child's record: an agency is involved when one
-- of its users opened the record, when a referral on it is made to it, when it is listed at a
-- strategy discussion, conference or core group, when it is challenged, or when an involved agency
-- (or a facilitator) brings it in. Bringing an agency in is a process record of its own
-- (`involvement`), kept like every other entry: never changed or deleted, on the chronology.
ALTER TABLE process_records DROP CONSTRAINT process_records_record_type_check;
ALTER TABLE process_records ADD CONSTRAINT process_records_record_type_check
    CHECK (record_type IN ('referral', 'strategy_discussion', 'section_47_enquiry', 'assessment',
           'conference', 'core_group', 'plan', 'plan_action', 'legal_planning_meeting', 'challenge',
           'involvement'));

-- The agencies a record names (a referral's receiving agency, the agencies at a meeting, the
-- challenged agency, the agency brought in) are found by containment, so that an agency's alerts
-- ask for the records it is involved with rather than reading every record.
CREATE INDEX process_records_details_idx ON process_records USING gin (details jsonb_path_ops);

-- Existing records keep the involvement they had: every agency that recorded something on a
-- record, and is involved in none of the ways that remain, is brought in as of its first entry, by
-- the author of that entry.
WITH entries AS (
    SELECT child_id, agency, author_id, occurred_at, recorded_at FROM contacts
    UNION ALL
    SELECT child_id, agency, recorded_by, occurred_at, recorded_at FROM people
    UNION ALL
    SELECT child_id, agency, recorded_by, occurred_at, recorded_at FROM person_checks
    UNION ALL
    SELECT child_id, agency, author_id, occurred_at, recorded_at FROM process_records
    UNION ALL
    SELECT child_id, agency, author_id, occurred_at, recorded_at FROM process_events
),
first_entries AS (
    SELECT DISTINCT ON (child_id, agency) child_id, agency, author_id, occurred_at
      FROM entries ORDER BY child_id, agency, occurred_at, recorded_at
),
-- The ways in that remain.
already AS (
    SELECT c.id AS child_id, u.agency FROM children c JOIN users u ON u.id = c.created_by
     WHERE u.agency IS NOT NULL
    UNION
    SELECT child_id, details ->> 'to_agency' FROM process_records
     WHERE record_type = 'referral'
    UNION
    SELECT child_id, details ->> 'challenged_agency' FROM process_records
     WHERE record_type = 'challenge'
    UNION
    SELECT p.child_id, listed.agency
      FROM process_records p, jsonb_array_elements_text(p.details -> 'agencies') AS listed (agency)
     WHERE p.record_type IN ('strategy_discussion', 'conference', 'core_group')
)
INSERT INTO process_records (id, child_id, record_type, agency, visibility, author_id, occurred_at, details)
SELECT gen_random_uuid(), f.child_id, 'involvement', f.agency, 'shared', f.author_id, f.occurred_at,
       jsonb_build_object('record_type', 'involvement', 'brought_in', f.agency,
                          'reason', 'before the change')
  FROM first_entries f
 WHERE NOT EXISTS (SELECT 1 FROM already a WHERE a.child_id = f.child_id AND a.agency = f.agency)
   -- An exercise team's members are involved with its records already.
   AND f.child_id IN (SELECT id FROM children WHERE team_id IS NULL);

-- A break-glass reviewed `not_justified` is closed at once; finding a user's open glass on a
-- record reads its reviews.
CREATE INDEX break_glass_reviews_outcome_idx ON break_glass_reviews (break_glass_id, outcome);

-- An agency's records include those its users opened.
CREATE INDEX children_created_by_idx ON children (created_by);
