-- What national reviews of child deaths keep finding that the record could not yet say: whether the
-- child was brought or the door opened, whether a visit was announced, whether the child was spoken to
-- alone, and whether the child could move about on their own (a bruise on a baby who cannot crawl).
-- All optional: absent means not recorded, which never counts as "no".
ALTER TABLE contacts ADD COLUMN attendance text
    CHECK (attendance IN ('attended', 'was_not_brought', 'cancelled_by_carer', 'no_access'));
ALTER TABLE contacts ADD COLUMN announced boolean;
ALTER TABLE contacts ADD COLUMN child_spoken_to_alone boolean;
ALTER TABLE contacts ADD COLUMN independently_mobile boolean;
