-- The combined views keep whole child records in memory between requests. A record only ever grows
-- (contacts and amendments are never changed; people, checks and status changes are only added),
-- so one counter per child, bumped in the same transaction as every entry added, tells a reader
-- whether what it holds is current.
--
-- The counter has a table of its own rather than a column of `children`: the entries' foreign keys
-- share-lock the child's row, and updating a row that many writers hold share-locks costs
-- PostgreSQL dearly (multixacts), so `children` is left alone. The bump runs inside the commit (a
-- deferred trigger), so the counter's row is locked only while a writer commits.
CREATE TABLE child_record_versions (
    child_id uuid   PRIMARY KEY REFERENCES children (id),
    version  bigint NOT NULL
);

CREATE FUNCTION bump_record_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO child_record_versions (child_id, version) VALUES (NEW.child_id, 1)
    ON CONFLICT (child_id) DO UPDATE SET version = child_record_versions.version + 1;
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
