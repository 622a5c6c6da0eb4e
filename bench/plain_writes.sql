-- pgbench script: the database's own ceiling for what a log-contact request must store: one contact row
-- and one audit row, in one transaction, and nothing else: no reads, no hash. Nothing the service does can
-- be faster than this on the same database; log-contact is compared against it.
-- Variables: child, author (uuids), given with -D.
BEGIN;
INSERT INTO contacts (id, child_id, agency, author_id, occurred_at, kind, summary, child_seen, injuries,
                      concern_level, concern_categories, actions, visibility)
  VALUES (gen_random_uuid(), :child, 'social_care', :author, '2007-06-28T10:00:00Z', 'home_visit',
          'Bruises and scratches on the face', true, '[{"body_location":"face","type":"bruise"}]', 'high',
          '{physical_injury}', '{}', 'shared');
INSERT INTO audit_events (id, occurred_at, user_id, username, agency, role, action, resource_type, resource_id,
                          child_id, request_id, outcome, reason, content_hash)
  VALUES (gen_random_uuid(), now(), :author, 'bench_sw', 'social_care', 'practitioner', 'contact.create', 'contact',
          gen_random_uuid(), :child, 'pgbench', 'allowed', NULL, '');
COMMIT;
