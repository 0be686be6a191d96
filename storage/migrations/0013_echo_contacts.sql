-- 回音壁: one row per report the reporter was asked about or verified. `photos` is the reporter's
-- answer to "may we show your before/after photos?" (0 = no, the default). `due_at` is set in
-- the verify commit when a channel is configured; the echo sweep posts and sets `posted_at` in
-- one commit (compare-and-set on posted_at IS NULL), so each case is posted at most once.
-- No person's id or text is kept here: the post is rendered from the de-identified report.
CREATE TABLE echo_posts (
    report_id  INTEGER PRIMARY KEY REFERENCES reports(id),
    photos     INTEGER NOT NULL DEFAULT 0,
    asked_at   TEXT,
    due_at     TEXT,
    posted_at  TEXT
);
CREATE INDEX echo_posts_due ON echo_posts(due_at) WHERE due_at IS NOT NULL AND posted_at IS NULL;

-- 公示: what the office publishes about a staff member on /grid. Config staff get their row from
-- the file at every start (source 'config'); invited and imported staff are set in chat with
-- /contact by an admin or a supervisor (source 'chat', updated_by who did it).
CREATE TABLE staff_contacts (
    user_id      INTEGER PRIMARY KEY,
    public       INTEGER NOT NULL DEFAULT 0,
    public_name  TEXT,
    title        TEXT,
    office_hours TEXT,
    public_phone TEXT,
    source       TEXT NOT NULL DEFAULT 'chat',
    updated_by   INTEGER,
    updated_at   TEXT NOT NULL
);
