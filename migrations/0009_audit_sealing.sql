-- Sealing the audit trail off the write path. Until now every audited write took one lock to extend
-- the hash chain inside its own transaction, so all writes in the service committed one at a time.
-- From here a write only inserts its event, with the hash of its content; one sealer appends
-- committed events to the chain (audit_chain) in batches, and signs checkpoints of it with a key
-- held outside the database (audit_checkpoints).

-- The transaction that recorded the event. The sealer takes only events whose transactions have all
-- ended (older than the xmin of its snapshot), in (xid, seq) order, so that no event can later
-- appear before the chain's tip. Events recorded before this migration take its transaction's id;
-- they are chained already, in seq order.
ALTER TABLE audit_events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
-- SHA-256 (hex) of the event's canonical content, computed when it is recorded: the chain links
-- these. Null for events recorded before this migration, whose links cover their content directly.
ALTER TABLE audit_events ADD COLUMN content_hash text;
CREATE INDEX audit_events_sealing_idx ON audit_events (xid, seq);

-- The chain: position n links event n to the hash of position n - 1 (the first to 64 zeros).
CREATE TABLE audit_chain (
    position  bigint      PRIMARY KEY CHECK (position > 0),
    -- No foreign key: its check would lock each sealed event's row; verify names a link whose event
    -- is missing, and the events' trigger refuses their deletion anyway.
    event_id  uuid        NOT NULL UNIQUE,
    prev_hash text        NOT NULL,
    hash      text        NOT NULL,
    -- When the sealer appended it: with the event's occurred_at, how long it waited unsealed.
    sealed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO audit_chain (position, event_id, prev_hash, hash, sealed_at)
SELECT row_number() OVER (ORDER BY seq), id, prev_hash, hash, occurred_at FROM audit_events;
-- The links now live in the chain; the events table keeps what happened.
ALTER TABLE audit_events DROP COLUMN prev_hash, DROP COLUMN hash;

CREATE TRIGGER audit_chain_never_change BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_chain_never_truncated BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Signed statements of the chain's length and head: copies kept outside the database let anyone
-- show later that the chain was rewritten, even by a superuser who recomputed every hash.
CREATE TABLE audit_checkpoints (
    -- The chain's length when signed (the position of its head).
    position   bigint      PRIMARY KEY CHECK (position > 0),
    head_hash  text        NOT NULL,
    made_at    timestamptz NOT NULL,
    -- Ed25519, hex: the signing key's public half, and the signature of the checkpoint's statement.
    public_key text        NOT NULL,
    signature  text        NOT NULL
);
CREATE TRIGGER audit_checkpoints_never_change BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_checkpoints_never_truncated BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
