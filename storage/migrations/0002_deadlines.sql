-- Deadlines (限时办结): the running window's timer on each report, found by the sweep through a
-- partial index on next_action_at that holds only reports something is due for (open, accepted
-- and resolved ones); closed reports leave it, so the index stays small as reports pile up.

ALTER TABLE reports ADD COLUMN timer_window TEXT;       -- accept / resolve / verify
ALTER TABLE reports ADD COLUMN timer_started_at TEXT;
ALTER TABLE reports ADD COLUMN remind_at TEXT;
ALTER TABLE reports ADD COLUMN breach_at TEXT;          -- escalation (NULL at the top tier)
ALTER TABLE reports ADD COLUMN next_action_at TEXT;     -- when the sweep looks next; NULL: never
ALTER TABLE reports ADD COLUMN nag_day TEXT;            -- the local day `nags` counts for
ALTER TABLE reports ADD COLUMN nags INTEGER NOT NULL DEFAULT 0;

CREATE INDEX reports_next_action ON reports(next_action_at) WHERE next_action_at IS NOT NULL;

-- Reports stored before deadlines existed get a clock on the sweep's first pass.
UPDATE reports SET next_action_at = updated_at WHERE status IN ('open', 'accepted', 'resolved');
