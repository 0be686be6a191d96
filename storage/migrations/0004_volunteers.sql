-- Volunteers and in-service party members (双报到), micro-wishes (微心愿), invitations to help
-- with a report, activities with sign-ups, and the points ledger with its monthly posts.

CREATE TABLE volunteers (
    user_id      INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    phone        TEXT,
    skills       TEXT NOT NULL DEFAULT '[]',   -- JSON list of configured skill codes
    skills_note  TEXT NOT NULL DEFAULT '',     -- free text beyond the list
    team         TEXT,
    availability TEXT NOT NULL DEFAULT '[]',   -- JSON list: weekday, evening, weekend
    unit         TEXT NOT NULL REFERENCES units(code),
    party_member INTEGER NOT NULL DEFAULT 0,
    work_unit    TEXT,
    status       TEXT NOT NULL,                -- pending, approved, declined
    decided_by   INTEGER,
    decided_at   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX volunteers_status_unit ON volunteers(status, unit);

CREATE TABLE wishes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    posted_by     INTEGER NOT NULL,
    resident_id   INTEGER,                     -- NULL: staff posted for someone without Telegram
    unit          TEXT NOT NULL REFERENCES units(code),
    category      TEXT NOT NULL,
    text          TEXT NOT NULL,
    photo         TEXT,
    contact_name  TEXT NOT NULL DEFAULT '',
    contact_phone TEXT,
    status        TEXT NOT NULL,
    claimer_id    INTEGER,
    claimed_at    TEXT,
    proof_photo   TEXT,
    proof_note    TEXT,
    done_at       TEXT,
    thanks        TEXT,
    approved_by   INTEGER,
    nag_at        TEXT,                        -- when the sweep next nags staff
    nags          INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX wishes_due ON wishes(nag_at)
    WHERE status IN ('open', 'claimed') AND nag_at IS NOT NULL;
CREATE INDEX wishes_poster ON wishes(posted_by, id);
CREATE INDEX wishes_claimer ON wishes(claimer_id, id) WHERE claimer_id IS NOT NULL;
CREATE INDEX wishes_unit ON wishes(unit, status);

CREATE TABLE wish_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    wish_id  INTEGER NOT NULL REFERENCES wishes(id),
    action   TEXT NOT NULL,
    old      TEXT,
    new      TEXT NOT NULL,
    actor_id INTEGER,
    at       TEXT NOT NULL,
    note     TEXT
);
CREATE INDEX wish_events_wish ON wish_events(wish_id, id);

-- A worker asked a volunteer to help with a report ("find volunteers").
CREATE TABLE volunteer_invites (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id    INTEGER NOT NULL REFERENCES reports(id),
    volunteer_id INTEGER NOT NULL,
    invited_by   INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'invited',  -- invited, accepted, declined
    created_at   TEXT NOT NULL,
    answered_at  TEXT,
    UNIQUE (report_id, volunteer_id)
);

CREATE TABLE activities (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    title          TEXT NOT NULL,
    starts_at      TEXT NOT NULL,
    place          TEXT NOT NULL,
    capacity       INTEGER NOT NULL,
    skills         TEXT NOT NULL DEFAULT '[]',
    unit           TEXT NOT NULL REFERENCES units(code),
    organiser_id   INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    remind_day_at  TEXT,                       -- NULL once sent or no longer useful
    remind_hour_at TEXT
);
CREATE INDEX activities_starts ON activities(starts_at);
CREATE INDEX activities_remind_day ON activities(remind_day_at) WHERE remind_day_at IS NOT NULL;
CREATE INDEX activities_remind_hour ON activities(remind_hour_at)
    WHERE remind_hour_at IS NOT NULL;

CREATE TABLE signups (
    activity_id  INTEGER NOT NULL REFERENCES activities(id),
    volunteer_id INTEGER NOT NULL,
    status       TEXT NOT NULL,                -- going, waitlist, cancelled, attended
    position     INTEGER NOT NULL,             -- sign-up order; the waitlist moves up in it
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (activity_id, volunteer_id)
);
CREATE INDEX signups_waitlist ON signups(activity_id, position) WHERE status = 'waitlist';
CREATE INDEX signups_volunteer ON signups(volunteer_id, status);

-- Append-only: points are only ever added, once per (kind, ref, volunteer).
CREATE TABLE points_ledger (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    volunteer_id INTEGER NOT NULL,
    kind         TEXT NOT NULL,                -- wish, checkin, visit
    ref          TEXT NOT NULL,
    points       INTEGER NOT NULL,
    at           TEXT NOT NULL,
    UNIQUE (kind, ref, volunteer_id)
);
CREATE INDEX points_volunteer ON points_ledger(volunteer_id, id);
CREATE INDEX points_at ON points_ledger(at);

-- One monthly leaderboard per (group, month), even across restarts or a second instance.
CREATE TABLE leaderboard_posts (
    chat_id INTEGER NOT NULL,
    month   TEXT NOT NULL,
    unit    TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    UNIQUE (chat_id, month)
);
