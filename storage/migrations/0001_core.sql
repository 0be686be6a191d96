-- Core tables: the unit tree, people and staff, reports with photos and events, cards,
-- the inbox of updates, the outbox of messages, conversation drafts and staff invites.

CREATE TABLE units (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL,
    parent TEXT REFERENCES units(code),
    lat    REAL,
    lon    REAL
);
CREATE INDEX units_parent ON units(parent);

CREATE TABLE categories (
    code        TEXT PRIMARY KEY,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    route_level TEXT,
    urgent      INTEGER NOT NULL DEFAULT 0,
    position    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE people (
    user_id    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    lang       TEXT NOT NULL DEFAULT 'zh',
    unit       TEXT REFERENCES units(code),
    phone      TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE staff (
    user_id    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    unit       TEXT NOT NULL REFERENCES units(code),
    categories TEXT NOT NULL DEFAULT '[]',
    source     TEXT NOT NULL DEFAULT 'config'
);
CREATE INDEX staff_unit ON staff(unit);

CREATE TABLE invites (
    token      TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    unit       TEXT NOT NULL REFERENCES units(code),
    name       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by    INTEGER,
    used_at    TEXT
);

CREATE TABLE reports (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    reporter_id      INTEGER,
    entered_by       INTEGER,
    category         TEXT NOT NULL,
    unit             TEXT NOT NULL REFERENCES units(code),
    description      TEXT NOT NULL,
    lat              REAL,
    lon              REAL,
    contact          TEXT,
    status           TEXT NOT NULL,
    holder_unit      TEXT NOT NULL REFERENCES units(code),
    tier             TEXT NOT NULL,
    assignee_id      INTEGER,
    resolution_note  TEXT,
    resolution_photo TEXT,
    reject_reason    TEXT,
    stars            INTEGER,
    comment          TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    due_at           TEXT,
    version          INTEGER NOT NULL DEFAULT 0,
    extra            TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX reports_reporter ON reports(reporter_id, id);
CREATE INDEX reports_assignee ON reports(assignee_id, status);
CREATE INDEX reports_holder ON reports(holder_unit, status);
CREATE INDEX reports_created ON reports(created_at);

CREATE TABLE report_photos (
    report_id INTEGER NOT NULL REFERENCES reports(id),
    position  INTEGER NOT NULL,
    file_id   TEXT NOT NULL,
    PRIMARY KEY (report_id, position)
);

CREATE TABLE report_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    action    TEXT NOT NULL,
    old       TEXT,
    new       TEXT NOT NULL,
    actor_id  INTEGER,
    at        TEXT NOT NULL,
    note      TEXT,
    data      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX report_events_report ON report_events(report_id, id);
CREATE INDEX report_events_at ON report_events(at, action);

-- A message that is edited in place (a report's status card, a worker's card).
CREATE TABLE cards (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT NOT NULL,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER,
    UNIQUE (key, chat_id)
);

CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    payload     TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'new',  -- new, done, parked
    attempts    INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    done_at     TEXT,
    error       TEXT
);
CREATE INDEX inbox_new ON inbox(state, update_id) WHERE state = 'new';

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id      INTEGER NOT NULL,
    method       TEXT NOT NULL,
    payload      TEXT NOT NULL,
    card_id      INTEGER REFERENCES cards(id),
    collapse_key TEXT,
    state        TEXT NOT NULL DEFAULT 'pending',  -- pending, sending, sent, failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    not_before   TEXT,
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    message_id   INTEGER,
    error        TEXT
);
CREATE INDEX outbox_pending ON outbox(chat_id, id) WHERE state IN ('pending', 'sending');
CREATE UNIQUE INDEX outbox_collapse ON outbox(collapse_key)
    WHERE state = 'pending' AND collapse_key IS NOT NULL;

-- Chats that cannot be reached (blocked the bot, kicked it) or moved to a supergroup.
CREATE TABLE chats (
    chat_id     INTEGER PRIMARY KEY,
    unreachable TEXT,
    migrated_to INTEGER,
    updated_at  TEXT NOT NULL
);

-- Where a user stands in a multi-step conversation; kept in the database so a restart keeps it.
CREATE TABLE drafts (
    user_id    INTEGER PRIMARY KEY,
    flow       TEXT NOT NULL,
    step       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);
