-- Every change of a child's status, at the scenario time it took effect, so that as-of views and
-- the gap report know what the status was at any moment. A record starts at 'none'.

CREATE TABLE child_status_changes (
    id           uuid        PRIMARY KEY,
    child_id     uuid        NOT NULL REFERENCES children (id),
    status       text        NOT NULL
                 CHECK (status IN ('none', 'child_in_need', 'child_protection_plan', 'looked_after')),
    effective_at timestamptz NOT NULL,
    changed_by   uuid        NOT NULL REFERENCES users (id),
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX child_status_changes_child_idx ON child_status_changes (child_id, effective_at);
