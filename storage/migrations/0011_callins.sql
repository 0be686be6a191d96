-- 吹哨报到: parties called into a report by its holder (首问责任制: the report keeps its holder).
-- One row per call; a party may be called again once its earlier call is done or withdrawn.
CREATE TABLE callins (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports (id),
    party TEXT NOT NULL,  -- [[parties]] code
    state TEXT NOT NULL,  -- called | acked | done | withdrawn
    called_by INTEGER,
    called_at TEXT NOT NULL,
    acked_by INTEGER,
    acked_at TEXT,
    done_by INTEGER,
    done_at TEXT,
    note TEXT,  -- the party's report of its part (personal: erasable)
    photo TEXT,  -- its photo's file_id
    withdrawn_by INTEGER,
    withdrawn_at TEXT,
    reason TEXT,  -- why the holder withdrew it
    due_at TEXT,  -- the running window's deadline: to 报到, then to finish
    stage INTEGER NOT NULL DEFAULT 0,  -- 0 in time, 1 the party nagged, n ≥ 2 escalated n - 1 levels
    next_at TEXT,  -- when the sweep looks at it next; NULL: never
    version INTEGER NOT NULL DEFAULT 0
);

-- Calling a party that is already in (called or acknowledged) fails, even in a race.
CREATE UNIQUE INDEX callins_live ON callins (report_id, party) WHERE state IN ('called', 'acked');
CREATE INDEX callins_report ON callins (report_id);
-- The sweep reads only this partial index.
CREATE INDEX callins_next ON callins (next_at) WHERE next_at IS NOT NULL;

-- Every step: called, acked, done, withdrawn, nagged, escalated (append-only, for the ledger).
CREATE TABLE callin_events (
    id INTEGER PRIMARY KEY,
    callin_id INTEGER NOT NULL REFERENCES callins (id),
    report_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor_id INTEGER,
    at TEXT NOT NULL,
    note TEXT,
    data TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX callin_events_callin ON callin_events (callin_id);
CREATE INDEX callin_events_at ON callin_events (at);
