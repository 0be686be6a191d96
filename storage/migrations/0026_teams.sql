-- 1+1+1+N grid teams (bot/domain/teams.py): 一名党员一幢楼 and the helpers' 工作月汇报.

-- A building's party member contact (一名党员一幢楼): a volunteer with the party flag or staff.
CREATE TABLE building_contacts (
    building TEXT PRIMARY KEY,
    user_id  INTEGER NOT NULL,
    set_by   INTEGER,
    set_at   TEXT NOT NULL
);
CREATE INDEX building_contacts_user ON building_contacts (user_id);

-- A helper's monthly report (part-time grid worker, building or entrance head), one per
-- (person, local month). A row with answers NULL records only the reminder (compare-and-set:
-- the reminder is queued in the transaction that inserts it).
CREATE TABLE team_reports (
    user_id     INTEGER NOT NULL,
    month       TEXT NOT NULL,
    unit        TEXT NOT NULL,
    grid        TEXT,
    role        TEXT NOT NULL,
    answers     TEXT,
    reminded_at TEXT,
    sent_at     TEXT,
    PRIMARY KEY (user_id, month)
);
CREATE INDEX team_reports_month_grid ON team_reports (month, grid);

-- The missing list told to a grid's head, once per (grid, month).
CREATE TABLE team_digests (
    grid      TEXT NOT NULL,
    month     TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    PRIMARY KEY (grid, month)
);
