-- 码上安全 merchant self-checks (bot/domain/merchants.py, storage/merchants.py): shops along a
-- grid registered in chat, approved by its staff, sent a checklist on the office's cadence.
CREATE TABLE merchants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    INTEGER NOT NULL,          -- the Telegram user who registered the shop
    name        TEXT NOT NULL,             -- the shop's name
    kind        TEXT NOT NULL,             -- [[merchants.kinds]] code
    unit        TEXT NOT NULL,             -- the grid or building the shop lies in
    phone       TEXT,                      -- contact phone: staff only
    status      TEXT NOT NULL,             -- pending, approved, declined, inactive
    decided_by  INTEGER,
    decided_at  TEXT,
    period      TEXT,                      -- the cadence period of the last checklist sent
    stage       TEXT,                      -- that period's: open, done, missed
    opened_at   TEXT,                      -- when that checklist was sent
    reminders   INTEGER NOT NULL DEFAULT 0, -- reminders sent for it
    next_at     TEXT,                      -- when the sweep looks at the shop next
    last_check_at TEXT,                    -- the last check submitted, and how many items failed
    last_failed INTEGER,
    version     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX merchants_owner ON merchants(owner_id);
CREATE INDEX merchants_unit ON merchants(unit, status);
CREATE INDEX merchants_due ON merchants(next_at) WHERE next_at IS NOT NULL;

-- One submitted check per shop and period; its items, each failed one linked to its report.
CREATE TABLE merchant_checks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id INTEGER NOT NULL REFERENCES merchants(id),
    period      TEXT NOT NULL,
    by_id       INTEGER NOT NULL,
    at          TEXT NOT NULL,
    failed      INTEGER NOT NULL,
    UNIQUE (merchant_id, period)
);
CREATE INDEX merchant_checks_by ON merchant_checks(by_id);
CREATE TABLE merchant_check_items (
    check_id    INTEGER NOT NULL REFERENCES merchant_checks(id),
    position    INTEGER NOT NULL,
    code        TEXT NOT NULL,             -- [[merchants.checks]] code
    ok          INTEGER NOT NULL,
    note        TEXT,                      -- the merchant's words on a problem
    photo       TEXT,                      -- Telegram file id
    report_id   INTEGER,                   -- the report a failed item became
    PRIMARY KEY (check_id, position)
);
