-- Alerts are worked out from the records each time they are asked for; what is stored is only
-- that a user has read one (an alert's key names what raised it). A read is never unread.
CREATE TABLE alert_reads (
    user_id  uuid        NOT NULL REFERENCES users (id),
    alert_id text        NOT NULL CHECK (length(alert_id) BETWEEN 1 AND 200),
    read_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, alert_id)
);

CREATE TRIGGER alert_reads_never_change BEFORE UPDATE OR DELETE ON alert_reads
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER alert_reads_never_truncated BEFORE TRUNCATE ON alert_reads
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

GRANT SELECT, INSERT ON alert_reads TO mash_service;
