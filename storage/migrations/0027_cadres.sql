-- 下沉干部: staff sent down to grids (storage/cadres.py). One row per attachment; detaching
-- sets `until`, so the monthly figures and the history keep who served where and when.
CREATE TABLE cadres (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL,
    unit        TEXT NOT NULL,                     -- the grid
    duties      TEXT NOT NULL DEFAULT '[]',        -- JSON list of duty codes; []: every duty
    source      TEXT NOT NULL DEFAULT 'chat',      -- chat, config
    since       TEXT NOT NULL,
    until       TEXT,
    attached_by INTEGER,
    detached_by INTEGER
);
CREATE UNIQUE INDEX cadres_active ON cadres(user_id, unit) WHERE until IS NULL;
CREATE INDEX cadres_unit ON cadres(unit) WHERE until IS NULL;

-- The weekly sweep's compare-and-set: one reminder per (cadre, week) and one list per
-- (grid, week), claimed by inserting the row.
CREATE TABLE cadre_reminders (
    user_id INTEGER NOT NULL,
    period  TEXT NOT NULL,
    at      TEXT NOT NULL,
    PRIMARY KEY (user_id, period)
);
CREATE TABLE cadre_grid_lists (
    unit   TEXT NOT NULL,
    period TEXT NOT NULL,
    at     TEXT NOT NULL,
    PRIMARY KEY (unit, period)
);
