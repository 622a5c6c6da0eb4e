-- The agencies as rows that every agency column refers to, in place of a CHECK constraint on each:
-- an agency added to the service is a row here (and a variant of the vocabulary), not a change to a
-- dozen constraints.
CREATE TABLE agencies (
    name text PRIMARY KEY CHECK (name ~ '^[a-z_]{1,40}$')
);
INSERT INTO agencies (name) VALUES ('police'), ('health'), ('social_care'), ('legal');
GRANT SELECT ON agencies TO mash_service;

-- Each column whose CHECK names exactly the four agencies takes a foreign key instead. Every row
-- there passed the CHECK it replaces, so the key is added without scanning the table again
-- (NOT VALID: it holds for every row written from now on); the tables are locked only for a moment.
DO $$
DECLARE
    c record;
    replaced integer := 0;
BEGIN
    FOR c IN
        SELECT rel.relname AS tab, con.conname AS constraint_name, att.attname AS col
          FROM pg_constraint con
          JOIN pg_class rel ON rel.oid = con.conrelid
          JOIN pg_namespace ns ON ns.oid = rel.relnamespace
          JOIN pg_attribute att ON att.attrelid = rel.oid AND att.attnum = con.conkey[1]
         WHERE con.contype = 'c'
           AND ns.nspname = current_schema()
           AND cardinality(con.conkey) = 1
           AND pg_get_constraintdef(con.oid) = format(
                 'CHECK ((%I = ANY (ARRAY[''police''::text, ''health''::text, ''social_care''::text, ''legal''::text])))',
                 att.attname)
    LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', c.tab, c.constraint_name);
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES agencies (name) NOT VALID',
                       c.tab, c.tab || '_' || c.col || '_agency_fkey', c.col);
        replaced := replaced + 1;
    END LOOP;
    -- The eleven tables' `agency` columns and a sharing refusal's `requested_by`: a database
    -- whose constraints read otherwise is not one these migrations made.
    IF replaced <> 12 THEN
        RAISE EXCEPTION 'expected 12 agency CHECK constraints to replace, found %', replaced;
    END IF;
END;
$$;
