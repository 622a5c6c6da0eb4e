-- The combined views keep whole child records in memory between requests. A record only ever grows
-- (contacts and amendments are never changed; people, checks and status changes are only added),
-- so one counter per child, bumped in the same transaction as every entry added, tells a reader
-- whether what it holds is current. It is not the child's `version` (the ETag of the child's own
-- details), which adding an entry must not change. The bump runs at commit (a deferred trigger),
-- so the child's row is locked only while the transaction commits: writers to one child do not
-- queue behind each other's whole transactions for it.
ALTER TABLE children ADD COLUMN record_version bigint NOT NULL DEFAULT 0;

CREATE FUNCTION bump_record_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE children SET record_version = record_version + 1 WHERE id = NEW.child_id;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER contacts_bump_record_version AFTER INSERT ON contacts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_record_version();
CREATE CONSTRAINT TRIGGER contact_amendments_bump_record_version AFTER INSERT ON contact_amendments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_record_version();
CREATE CONSTRAINT TRIGGER people_bump_record_version AFTER INSERT ON people
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_record_version();
CREATE CONSTRAINT TRIGGER person_checks_bump_record_version AFTER INSERT ON person_checks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_record_version();
CREATE CONSTRAINT TRIGGER child_status_changes_bump_record_version AFTER INSERT ON child_status_changes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_record_version();
