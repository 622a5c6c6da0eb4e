-- The role the service serves as: it may read and insert, and update or delete only the operational
-- rows that change by design (accounts, sessions, failed-login counts, idempotency keys, a child's
-- current details and its record's version). It is neither a superuser nor the owner of any table, so
-- it cannot switch off the triggers that keep records and the audit trail append-only, nor truncate
-- them. Migrations run as the owning role; `mash serve` serves as this one (see README, "Database roles").
--
-- Roles belong to the whole PostgreSQL server, not to one database: several databases share it, and
-- one made earlier is kept. Making it needs CREATEROLE once; without that, an administrator makes it
-- first (CREATE ROLE mash_service NOLOGIN) and the migration goes on.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mash_service') THEN
        BEGIN
            CREATE ROLE mash_service NOLOGIN;
        EXCEPTION
            -- Another database's migration made it at the same moment.
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'the role mash_service does not exist and % may not create it', current_user
                    USING HINT = 'As a superuser: CREATE ROLE mash_service NOLOGIN; then run mash migrate again.';
        END;
    END IF;
END;
$$;

-- The owning role serves through SET ROLE mash_service when the service has no login of its own:
-- that needs membership, which a superuser has already and another owner is given here if it may.
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'mash_service', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT mash_service TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE '% cannot serve as mash_service by SET ROLE: serve through MASH_SERVICE_DATABASE_URL', current_user;
        END;
    END IF;
END;
$$;

GRANT USAGE ON SCHEMA public TO mash_service;
GRANT SELECT, INSERT ON users, children, people, person_checks, contacts, contact_amendments,
    child_status_changes, child_record_versions, idempotency_keys, sessions, refresh_tokens,
    login_failures, login_failures_by_client, process_records, process_events, audit_chain,
    audit_checkpoints TO mash_service;
-- The trail's events: read, and inserted with every column but the recording transaction's id, which
-- only its default may give (the sealer's order relies on it).
GRANT SELECT ON audit_events TO mash_service;
GRANT INSERT (id, occurred_at, user_id, username, agency, role, action, resource_type, resource_id, child_id,
              request_id, outcome, reason, content_hash) ON audit_events TO mash_service;
-- Rows whose state is their current value.
GRANT UPDATE ON users, children, child_record_versions, sessions, refresh_tokens, idempotency_keys,
    login_failures, login_failures_by_client TO mash_service;
GRANT DELETE ON idempotency_keys, login_failures, login_failures_by_client TO mash_service;
-- SELECT … FOR UPDATE needs an UPDATE privilege: one column's, for the lock only; the table's
-- trigger still refuses any update.
GRANT UPDATE (id) ON process_records TO mash_service;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO mash_service;
