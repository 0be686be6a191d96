-- 台账 export: an export asked for in chat waits here until the ledger sweep (bot/jobs/ledger.py)
-- builds the workbook off the event loop and queues it as a document.
CREATE TABLE ledger_exports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL,            -- who asked (gets the file; erased with them)
    unit         TEXT NOT NULL,               -- the unit whose subtree is exported
    first_day    TEXT NOT NULL,               -- local date, inclusive (YYYY-MM-DD)
    last_day     TEXT NOT NULL,               -- local date, inclusive
    lang         TEXT NOT NULL,               -- headers in this language
    state        TEXT NOT NULL DEFAULT 'pending',  -- pending, done, empty, refused, failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    requested_at TEXT NOT NULL,
    due_at       TEXT,                        -- when the sweep takes it (or its lease ends); NULL: over
    done_at      TEXT
);
CREATE INDEX ledger_exports_due ON ledger_exports(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX ledger_exports_user ON ledger_exports(user_id) WHERE due_at IS NOT NULL;
