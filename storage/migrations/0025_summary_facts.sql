-- Kept facts for the weekly summaries and /figures (issue 11 item 3): no raw rows in Python.
--
-- One row per accept / resolve / confirm / expire / reject event, written by a trigger in the
-- transaction of the event (every writer, no call site changes), with what the summaries need
-- and report_events lacks: the report's unit and submission time, and `prev_at`, the time of
-- the report's previous event of the same action (NULL: its first). A period [start, end)
-- then reads one slice of report_facts_window (covering: no join to reports) and "the first
-- accept / resolve / confirm … of a report in the period" is the row whose prev_at is NULL or
-- before start — the figures the summaries have always shown, for any period in any time
-- zone. The accept / resolve medians are taken in SQL from a histogram the statement builds
-- over the period (storage/summaries.py _MEDIANS); only per-unit figures reach Python.
-- Other actions (new ones included) are not kept: they do not count in these figures.
-- A report's unit and created_at never change after it is filed (routing moves holder_unit).
CREATE TABLE report_facts (
    event_id   INTEGER PRIMARY KEY,  -- report_events.id
    report_id  INTEGER NOT NULL,
    unit       TEXT NOT NULL,        -- reports.unit
    action     TEXT NOT NULL,
    at         TEXT NOT NULL,        -- report_events.at
    created_at TEXT NOT NULL,        -- reports.created_at
    prev_at    TEXT                  -- the previous same-action event's at; NULL: none
);
CREATE INDEX report_facts_window ON report_facts(at, action, unit, prev_at, created_at);
CREATE INDEX report_facts_unit ON report_facts(unit, at, action, prev_at, created_at);
CREATE INDEX report_facts_report ON report_facts(report_id, action, at, event_id);

-- "Previous" is in (at, id) order, so an event stored with an earlier time than one already
-- kept (a clock set back, a late import) still leaves every row's prev_at right: the next
-- row of the same report and action takes the new event as its previous.
CREATE TRIGGER report_facts_add AFTER INSERT ON report_events
WHEN NEW.action IN ('accept', 'resolve', 'confirm', 'expire', 'reject')
BEGIN
    INSERT INTO report_facts (event_id, report_id, unit, action, at, created_at, prev_at)
    SELECT NEW.id, r.id, r.unit, NEW.action, NEW.at, r.created_at,
           (SELECT f.at FROM report_facts f
            WHERE f.report_id = NEW.report_id AND f.action = NEW.action
              AND (f.at < NEW.at OR (f.at = NEW.at AND f.event_id < NEW.id))
            ORDER BY f.at DESC, f.event_id DESC LIMIT 1)
    FROM reports r WHERE r.id = NEW.report_id;
    UPDATE report_facts SET prev_at = NEW.at
    WHERE event_id = (SELECT f.event_id FROM report_facts f
                      WHERE f.report_id = NEW.report_id AND f.action = NEW.action
                        AND (f.at > NEW.at OR (f.at = NEW.at AND f.event_id > NEW.id))
                      ORDER BY f.at, f.event_id LIMIT 1);
END;

-- The stored events.
INSERT INTO report_facts (event_id, report_id, unit, action, at, created_at, prev_at)
SELECT e.id, r.id, r.unit, e.action, e.at, r.created_at,
       LAG(e.at) OVER (PARTITION BY e.report_id, e.action ORDER BY e.at, e.id)
FROM report_events e JOIN reports r ON r.id = e.report_id
WHERE e.action IN ('accept', 'resolve', 'confirm', 'expire', 'reject');
