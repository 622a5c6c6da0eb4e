-- Training exercises. A facilitator runs a scenario for several teams at once; each team works its
-- own copy of the child's record, and the service plays the scenario's steps into every team's
-- record stage by stage. Everything here is added to, never changed: the state of an exercise is
-- its latest event, a team's place in the scenario its latest play.
CREATE TABLE exercises (
    id              uuid        PRIMARY KEY,
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The scenario as given (YAML), so that every later stage plays the same file.
    scenario_name   text        NOT NULL,
    scenario_source text        NOT NULL,
    -- The teams' records' sharing mode from the start, when the facilitator chose one.
    mode            text        CHECK (mode IN ('shared', 'siloed')),
    created_by      uuid        NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE exercise_teams (
    id          uuid    PRIMARY KEY,
    exercise_id uuid    NOT NULL REFERENCES exercises (id),
    number      integer NOT NULL CHECK (number >= 1),
    UNIQUE (exercise_id, number)
);

-- A trainee, or one of the scenario's actors playing into the team's record, belongs to one team;
-- users outside any exercise have none. Isolation is decided on this.
ALTER TABLE users ADD COLUMN team_id uuid REFERENCES exercise_teams (id);
CREATE INDEX users_team_idx ON users (team_id) WHERE team_id IS NOT NULL;
-- A child record opened by a team member belongs to the team. A reset gives the team a new record
-- and retires the old one: kept, for facilitators, but no longer the team's to see.
ALTER TABLE children ADD COLUMN team_id uuid REFERENCES exercise_teams (id);
ALTER TABLE children ADD COLUMN retired boolean NOT NULL DEFAULT false;
CREATE INDEX children_team_idx ON children (team_id) WHERE team_id IS NOT NULL;

-- The scenario's actors of each team, by the key the scenario file gives them. They have no
-- password: only the service acts as them.
CREATE TABLE exercise_actors (
    team_id uuid NOT NULL REFERENCES exercise_teams (id),
    key     text NOT NULL,
    user_id uuid NOT NULL UNIQUE REFERENCES users (id),
    PRIMARY KEY (team_id, key)
);

-- What the facilitator did to the exercise: the latest event says its state and scenario clock.
CREATE TABLE exercise_events (
    id          uuid        PRIMARY KEY,
    exercise_id uuid        NOT NULL REFERENCES exercises (id),
    kind        text        NOT NULL CHECK (kind IN ('created', 'advanced', 'reset', 'ended')),
    -- A reset of one team names it.
    team_id     uuid        REFERENCES exercise_teams (id),
    -- How many of the scenario's checkpoints had been released after it.
    checkpoints integer     NOT NULL CHECK (checkpoints >= 0),
    clock       timestamptz,
    -- The sharing mode the facilitator switched every team's record to with this stage.
    mode        text        CHECK (mode IN ('shared', 'siloed')),
    user_id     uuid        NOT NULL REFERENCES users (id),
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX exercise_events_idx ON exercise_events (exercise_id, at);

-- Where a team's record stands in the scenario after the service played into it: the next step to
-- play and the names the played steps gave (people, contacts, referrals, plans).
CREATE TABLE exercise_plays (
    id          uuid        PRIMARY KEY,
    team_id     uuid        NOT NULL REFERENCES exercise_teams (id),
    child_id    uuid        NOT NULL REFERENCES children (id),
    next_step   integer     NOT NULL CHECK (next_step >= 0),
    checkpoints integer     NOT NULL CHECK (checkpoints >= 0),
    names       jsonb       NOT NULL CHECK (jsonb_typeof(names) = 'object'),
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX exercise_plays_team_idx ON exercise_plays (team_id, at);

-- What each team's combined record showed at each checkpoint the service reached.
CREATE TABLE exercise_checkpoints (
    id          uuid        PRIMARY KEY,
    team_id     uuid        NOT NULL REFERENCES exercise_teams (id),
    child_id    uuid        NOT NULL REFERENCES children (id),
    checkpoint  integer     NOT NULL CHECK (checkpoint >= 0),
    headline    text        NOT NULL,
    indicators  text[]      NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX exercise_checkpoints_team_idx ON exercise_checkpoints (team_id, checkpoint, at);

-- A team's decision at a checkpoint: what it would do, which agency, why, on which entries.
CREATE TABLE exercise_decisions (
    id          uuid        PRIMARY KEY,
    team_id     uuid        NOT NULL REFERENCES exercise_teams (id),
    child_id    uuid        NOT NULL REFERENCES children (id),
    checkpoint  integer     NOT NULL CHECK (checkpoint >= 0),
    agency      text        NOT NULL CHECK (agency IN ('police', 'health', 'social_care', 'legal')),
    what        text        NOT NULL CHECK (length(what) BETWEEN 1 AND 2000),
    why         text        NOT NULL CHECK (length(why) BETWEEN 1 AND 2000),
    relied_on   uuid[]      NOT NULL,
    author_id   uuid        NOT NULL REFERENCES users (id),
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX exercise_decisions_team_idx ON exercise_decisions (team_id, recorded_at);

CREATE TRIGGER exercises_never_change BEFORE UPDATE OR DELETE ON exercises
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER exercise_teams_never_change BEFORE UPDATE OR DELETE ON exercise_teams
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER exercise_actors_never_change BEFORE UPDATE OR DELETE ON exercise_actors
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER exercise_events_never_change BEFORE UPDATE OR DELETE ON exercise_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER exercise_plays_never_change BEFORE UPDATE OR DELETE ON exercise_plays
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER exercise_checkpoints_never_change BEFORE UPDATE OR DELETE ON exercise_checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER exercise_decisions_never_change BEFORE UPDATE OR DELETE ON exercise_decisions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

GRANT SELECT, INSERT ON exercises, exercise_teams, exercise_actors, exercise_events, exercise_plays,
    exercise_checkpoints, exercise_decisions TO mash_service;
