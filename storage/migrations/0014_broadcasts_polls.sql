-- Broadcasts (政策宣传) and 议事会 polls (issue 9 items 5 and 6).

-- The outbox learns a priority (higher first; broadcasts and poll cards go at -1, so case
-- notices queued after a broadcast of thousands still go out at once), a batch tag (the
-- broadcast or poll a row belongs to, to count its progress) and, for sendPoll, the Telegram
-- poll id of the sent poll (poll updates name only that id).
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN batch TEXT;
ALTER TABLE outbox ADD COLUMN result_ref TEXT;
CREATE INDEX outbox_batch ON outbox(batch, state) WHERE batch IS NOT NULL;
CREATE INDEX outbox_result_ref ON outbox(result_ref) WHERE result_ref IS NOT NULL;

-- One broadcast: what a staff member sent to the residents and/or groups of UNIT's subtree.
-- progress_due: when the progress sweep next edits the sender's progress line (NULL: done).
CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    created_by   INTEGER NOT NULL,
    unit         TEXT NOT NULL REFERENCES units(code),
    kind         TEXT NOT NULL CHECK (kind IN ('text', 'photo', 'document')),
    body         TEXT NOT NULL DEFAULT '',
    file_id      TEXT,
    audience     TEXT NOT NULL CHECK (audience IN ('residents', 'groups', 'both')),
    residents    INTEGER NOT NULL DEFAULT 0,
    groups       INTEGER NOT NULL DEFAULT 0,
    lang         TEXT NOT NULL DEFAULT 'zh',
    state        TEXT NOT NULL DEFAULT 'sending' CHECK (state IN ('sending', 'done')),
    created_at   TEXT NOT NULL,
    progress_due TEXT,
    done_at      TEXT,
    delivered    INTEGER NOT NULL DEFAULT 0,
    blocked      INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX broadcasts_progress_due ON broadcasts(progress_due) WHERE progress_due IS NOT NULL;
CREATE INDEX broadcasts_unit ON broadcasts(unit, created_at);

-- Residents who asked for no broadcasts (/mute); /unmute deletes the row.
CREATE TABLE broadcast_mutes (
    user_id  INTEGER PRIMARY KEY,
    muted_at TEXT NOT NULL
);

-- A 议事会 poll of UNIT's residents. state: open → closing (stopPoll queued for the groups'
-- native polls) → closed (results posted). due_at: when the close sweep next acts; stop_by:
-- when a closing poll stops waiting for the native polls' final counts.
CREATE TABLE polls (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_by INTEGER NOT NULL,
    unit       TEXT NOT NULL REFERENCES units(code),
    question   TEXT NOT NULL,
    options    TEXT NOT NULL,  -- JSON list of the option texts
    lang       TEXT NOT NULL DEFAULT 'zh',
    state      TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closing', 'closed')),
    created_at TEXT NOT NULL,
    closes_at  TEXT NOT NULL,
    due_at     TEXT,
    stop_by    TEXT,
    closed_at  TEXT,
    residents  INTEGER NOT NULL DEFAULT 0,  -- private cards sent
    groups     INTEGER NOT NULL DEFAULT 0   -- native polls sent
);
CREATE INDEX polls_due ON polls(due_at) WHERE state IN ('open', 'closing');
CREATE INDEX polls_unit ON polls(unit, created_at);

-- One vote per person and poll (the primary key): a second vote is refused.
CREATE TABLE poll_votes (
    poll_id      INTEGER NOT NULL REFERENCES polls(id),
    user_id      INTEGER NOT NULL,
    option       INTEGER NOT NULL,
    voted_at     TEXT NOT NULL,
    wants_result INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (poll_id, user_id)
);
CREATE INDEX poll_votes_result ON poll_votes(poll_id) WHERE wants_result = 1;

-- The anonymous native poll in a bound group, copied from its sent outbox row (which the
-- retention sweep deletes after a week), and its latest counts from Telegram's poll updates
-- (no voter is known, so nothing personal). counts: JSON list, one number per option.
CREATE TABLE poll_groups (
    poll_id          INTEGER NOT NULL REFERENCES polls(id),
    chat_id          INTEGER NOT NULL,
    message_id       INTEGER NOT NULL,
    telegram_poll_id TEXT NOT NULL UNIQUE,
    counts           TEXT NOT NULL DEFAULT '[]',
    total            INTEGER NOT NULL DEFAULT 0,
    closed           INTEGER NOT NULL DEFAULT 0,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (poll_id, chat_id)
);
