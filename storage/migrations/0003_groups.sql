-- Group chats bound to units, weekly summaries sent to them, and files the sender uploads.

-- A group chat bound to a unit for one purpose: 'summary' (weekly summaries) or 'volunteers'
-- (issue C's volunteer group). A chat has at most one binding per purpose.
CREATE TABLE group_bindings (
    chat_id  INTEGER NOT NULL,
    unit     TEXT NOT NULL REFERENCES units(code),
    purpose  TEXT NOT NULL DEFAULT 'summary' CHECK (purpose IN ('summary', 'volunteers')),
    bound_by INTEGER NOT NULL,
    bound_at TEXT NOT NULL,
    lang     TEXT NOT NULL DEFAULT 'zh',
    PRIMARY KEY (chat_id, purpose)
);
CREATE INDEX group_bindings_unit ON group_bindings(unit, purpose);

-- One row per (group, ISO week) whose summary was queued: the claim that makes it exactly once.
CREATE TABLE summaries_sent (
    chat_id   INTEGER NOT NULL,
    iso_week  TEXT NOT NULL,  -- '2026-W47'
    unit      TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    UNIQUE (chat_id, iso_week)
);

-- Bytes for an outbox row to upload (a chart): params hold {"photo": {"$file": id}}.
CREATE TABLE outbox_files (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    INTEGER NOT NULL,
    filename   TEXT NOT NULL,
    data       BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX outbox_files_created ON outbox_files(created_at);

-- Summary aggregates read only indexes: reports created in a week by unit and category
-- (covering), events in a week by action with their report, open reports past due by unit.
CREATE INDEX summary_reports_created ON reports(created_at, unit, category);
CREATE INDEX summary_events_at ON report_events(at, action, report_id);
CREATE INDEX summary_reports_overdue ON reports(due_at, unit)
    WHERE status IN ('open', 'accepted');
