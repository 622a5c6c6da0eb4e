-- pgbench script: the statements the service sends for one log-contact request, in the same
-- transactions: read the caller through its live session, read the child, then insert the contact and
-- its audit event together. The service computes the event's SHA-256 itself; here PostgreSQL does. The
-- sealer chains the events afterwards, off this path, for both.
-- Variables: child, author, session (uuids), given with -D.
SELECT u.id, u.username, u.display_name, u.agency, u.role, u.password_hash, u.disabled, u.created_at
  FROM sessions s JOIN users u ON u.id = s.user_id
 WHERE s.id = :session AND (:author::uuid IS NULL OR s.user_id = :author)
   AND s.ended_at IS NULL AND s.expires_at > now() AND NOT u.disabled;
SELECT id, given_name, family_name, date_of_birth, identifier, address, status, sharing_mode, version, created_by,
       created_at, updated_at FROM children WHERE id = :child;
BEGIN;
WITH c AS (
  INSERT INTO contacts (id, child_id, agency, author_id, occurred_at, kind, location, summary, child_seen,
                        appearance_obscured, injuries, explanation, examination, opinion, concern_level,
                        concern_categories, outcome, actions, visibility)
  VALUES (gen_random_uuid(), :child, 'social_care', :author, '2007-06-28T10:00:00Z', 'home_visit', NULL,
          'Bruises and scratches on the face', true, NULL, '[{"body_location":"face","type":"bruise"}]', NULL, NULL,
          NULL, 'high', '{physical_injury}', NULL, '{}', 'shared')
  RETURNING *)
SELECT c.id, c.child_id, c.agency, c.author_id, u.display_name AS author_name, c.occurred_at, c.recorded_at, c.kind,
       c.location, c.summary, c.child_seen, c.appearance_obscured, c.injuries, c.explanation, c.examination,
       c.opinion, c.concern_level, c.concern_categories, c.outcome, c.actions, c.visibility
  FROM c JOIN users u ON u.id = c.author_id;
INSERT INTO audit_events (id, occurred_at, user_id, username, agency, role, action, resource_type, resource_id,
                          child_id, request_id, outcome, reason, content_hash)
  VALUES (gen_random_uuid(), now(), :author, 'bench_sw', 'social_care', 'practitioner', 'contact.create', 'contact',
          gen_random_uuid(), :child, 'pgbench', 'allowed', NULL,
          encode(sha256(convert_to(:child || 'contact.create' || clock_timestamp(), 'UTF8')), 'hex'));
COMMIT;
