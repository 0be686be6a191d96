-- 回访 (follow-up calls, issue 12 item 4): a closed case of a category marked `revisit` gets a
-- task for community staff other than its handlers, who call the resident and record the answer.

ALTER TABLE categories ADD COLUMN revisit INTEGER NOT NULL DEFAULT 0;

-- One task per closing (a case reopened by a 回访 and closed again gets another).
CREATE TABLE revisits (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports (id),
    event_id    INTEGER NOT NULL UNIQUE,  -- the closing event (confirm or expire)
    closed_at   TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'new',  -- new (no card yet) | open | answered
    stage       INTEGER NOT NULL DEFAULT 0,  -- 0 in time, 1 callers reminded, 2 street told
    due_at      TEXT,  -- the clock: closed_at + within_days, set when the cards go out
    next_at     TEXT,  -- when the sweep looks at it next; NULL: never
    satisfied   INTEGER,  -- the resident's answer: 1 satisfied, 0 not
    note        TEXT,  -- what the resident said (personal: erasable)
    answered_by INTEGER,
    answered_at TEXT,
    version     INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX revisits_report ON revisits (report_id);
-- The sweep reads only this partial index.
CREATE INDEX revisits_next ON revisits (next_at) WHERE next_at IS NOT NULL;
-- /revisits reads the tasks still to be called, oldest closing first …
CREATE INDEX revisits_waiting ON revisits (closed_at) WHERE state <> 'answered';
-- … and /monthly a month's closings.
CREATE INDEX revisits_closed ON revisits (closed_at);

-- The task is created in the closing transaction by every writer (the reporter's stars in
-- storage/reports.py save, the verify expiry in storage/deadlines.py apply), as 0015's
-- deadline trigger is: the row is updated before its event is appended.
CREATE TRIGGER report_events_revisit AFTER INSERT ON report_events
WHEN NEW.action IN ('confirm', 'expire')
BEGIN
    INSERT INTO revisits (report_id, event_id, closed_at, state, next_at)
    SELECT r.id, NEW.id, NEW.at, 'new', NEW.at
    FROM reports r JOIN categories c ON c.code = r.category
    WHERE r.id = NEW.report_id AND c.revisit <> 0;
END;
