-- Appraisal (考核) and the monthly 通报 (issue 9, items 7 and 8).

-- The deadline in force after each event, so any figure can be judged from the history as of a
-- past moment: a later escalation or extension writes a new event and leaves this one alone.
-- NULL: not recorded (events written before this migration); '': no deadline was running.
-- A trigger fills it for every writer (the row is updated before its event is appended:
-- storage/reports.py save and insert, storage/deadlines.py apply), so no call site changes.
ALTER TABLE report_events ADD COLUMN due_at TEXT;

CREATE TRIGGER report_events_due AFTER INSERT ON report_events
WHEN NEW.due_at IS NULL
BEGIN
    UPDATE report_events
    SET due_at = COALESCE((SELECT r.due_at FROM reports r WHERE r.id = NEW.report_id), '')
    WHERE id = NEW.id;
END;

-- The latest event of each stored report: its deadline is the one the report runs now.
UPDATE report_events
SET due_at = COALESCE((SELECT r.due_at FROM reports r WHERE r.id = report_events.report_id), '')
WHERE id IN (SELECT MAX(id) FROM report_events GROUP BY report_id);

-- One row per (unit, month, kind) queued: 'report' is the unit's 通报 to the tier above,
-- 'league' its 红黄榜 of sub-units to its own groups. The claim that makes each exactly once.
CREATE TABLE appraisal_sent (
    unit      TEXT NOT NULL,
    month     TEXT NOT NULL,  -- '2026-11'
    kind      TEXT NOT NULL CHECK (kind IN ('report', 'league')),
    queued_at TEXT NOT NULL,
    PRIMARY KEY (unit, month, kind)
);
