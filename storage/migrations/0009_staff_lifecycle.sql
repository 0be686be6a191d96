-- Staff who leave are deactivated, never deleted: their row keeps the history (report events,
-- visits, audit) readable, and every query that routes or authorises sees only active staff.
ALTER TABLE staff ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE staff ADD COLUMN left_at TEXT;   -- when they were deactivated (NULL while active)
ALTER TABLE staff ADD COLUMN left_by INTEGER; -- who deactivated them (NULL: the config sync)

-- The re-routing sweep finds open reports still held by someone who left through this index
-- (then reports_assignee), so a restart mid-way finishes the job.
CREATE INDEX staff_inactive ON staff(user_id) WHERE active = 0;

-- Append-only history of every change to a staff member made in chat or by the config sync:
-- deactivate, reactivate, move (unit), role.
CREATE TABLE staff_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id  INTEGER NOT NULL,   -- the staff member changed
    action   TEXT NOT NULL,
    actor_id INTEGER,            -- NULL: the start-up config sync
    at       TEXT NOT NULL,
    data     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX staff_events_user ON staff_events(user_id, id);
