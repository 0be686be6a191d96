-- 五必访 (vulnerable households, their visits and the sweep's ladder) and patrols (二巡查,
-- 网格叮咚敲门) with findings that become reports.

CREATE TABLE households (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,               -- illness, disability, empty_nest, hardship, bereaved
    unit          TEXT NOT NULL REFERENCES units(code),
    label         TEXT NOT NULL,               -- e.g. a room number (personal data)
    cadence       TEXT NOT NULL,               -- weekly, fortnightly, monthly, quarterly
    visitor_id    INTEGER NOT NULL,            -- Telegram user id of the staff member or volunteer
    visitor_kind  TEXT NOT NULL,               -- staff, volunteer
    notes         TEXT NOT NULL DEFAULT '',    -- staff of the unit and above only
    due_on        TEXT NOT NULL,               -- local date the next visit is due (YYYY-MM-DD)
    stage         TEXT NOT NULL,               -- scheduled, reminded, due, missed, escalated
    nags          INTEGER NOT NULL DEFAULT 0,
    next_at       TEXT,                        -- UTC: when the sweep next looks (NULL: never)
    active        INTEGER NOT NULL DEFAULT 1,
    last_visit_on TEXT,
    created_by    INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
-- The sweep asks only for what is due: active households with a next look, by time.
CREATE INDEX households_due ON households(next_at) WHERE active = 1 AND next_at IS NOT NULL;
CREATE INDEX households_visitor ON households(visitor_id, due_on) WHERE active = 1;
CREATE INDEX households_unit ON households(unit, active);

-- Append-only history: register, cadence, visitor, deactivate, remind, due, miss, nag,
-- escalate, visit. Monthly figures are queries over it.
CREATE TABLE household_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id INTEGER NOT NULL REFERENCES households(id),
    action       TEXT NOT NULL,
    actor_id     INTEGER,
    at           TEXT NOT NULL,
    due_on       TEXT,
    data         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX household_events_household ON household_events(household_id, id);
CREATE INDEX household_events_at ON household_events(action, at);
-- A due date is missed, and escalated, at most once, whatever restarts or instances do.
CREATE UNIQUE INDEX household_events_once ON household_events(household_id, due_on, action)
    WHERE action IN ('miss', 'escalate');

CREATE TABLE visits (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id INTEGER NOT NULL REFERENCES households(id),
    visitor_id   INTEGER NOT NULL,
    visitor_kind TEXT NOT NULL,
    at           TEXT NOT NULL,
    outcome      TEXT NOT NULL,                -- met, not_home, refused
    due_on       TEXT NOT NULL,
    wellbeing    INTEGER CHECK (wellbeing BETWEEN 1 AND 5),
    note         TEXT NOT NULL DEFAULT '',
    needs        INTEGER NOT NULL DEFAULT 0,
    report_id    INTEGER REFERENCES reports(id),
    wish_id      INTEGER,
    confirmed_by INTEGER,
    confirmed_at TEXT
);
CREATE INDEX visits_household ON visits(household_id, id);
CREATE INDEX visits_at ON visits(at);

CREATE TABLE patrols (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    worker_id INTEGER NOT NULL,
    kind      TEXT NOT NULL,                   -- patrol, doorknock, safety
    unit      TEXT NOT NULL REFERENCES units(code),
    note      TEXT NOT NULL DEFAULT '',
    at        TEXT NOT NULL
);
CREATE INDEX patrols_at ON patrols(at);
CREATE INDEX patrols_worker ON patrols(worker_id, at);

CREATE TABLE patrol_photos (
    patrol_id INTEGER NOT NULL REFERENCES patrols(id),
    position  INTEGER NOT NULL,
    file_id   TEXT NOT NULL,
    PRIMARY KEY (patrol_id, position)
);

CREATE TABLE patrol_findings (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    patrol_id INTEGER NOT NULL REFERENCES patrols(id),
    position  INTEGER NOT NULL,
    text      TEXT NOT NULL,
    report_id INTEGER REFERENCES reports(id),  -- set once, when a report is opened from it
    UNIQUE (patrol_id, position)
);
