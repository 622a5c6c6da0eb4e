-- The combined views keep whole child records in memory between requests. A record only ever grows
-- (contacts and amendments are never changed; people, checks and status changes are only added),
-- so one counter per child, bumped in the same transaction as every entry added, tells a reader
-- whether what it holds is current. It is not the child's `version` (the ETag of the child's own
-- details), which adding an entry must not change.
ALTER TABLE children ADD COLUMN record_version bigint NOT NULL DEFAULT 0;

CREATE FUNCTION bump_record_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE children SET record_version = record_version + 1 WHERE id = NEW.child_id;
    RETURN NULL;
END $$;

CREATE TRIGGER contacts_bump_record_version AFTER INSERT ON contacts
    FOR EACH ROW EXECUTE FUNCTION bump_record_version();
CREATE TRIGGER contact_amendments_bump_record_version AFTER INSERT ON contact_amendments
    FOR EACH ROW EXECUTE FUNCTION bump_record_version();
CREATE TRIGGER people_bump_record_version AFTER INSERT ON people
    FOR EACH ROW EXECUTE FUNCTION bump_record_version();
CREATE TRIGGER person_checks_bump_record_version AFTER INSERT ON person_checks
    FOR EACH ROW EXECUTE FUNCTION bump_record_version();
CREATE TRIGGER child_status_changes_bump_record_version AFTER INSERT ON child_status_changes
    FOR EACH ROW EXECUTE FUNCTION bump_record_version();
