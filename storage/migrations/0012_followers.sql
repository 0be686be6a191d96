-- 并单: residents who follow someone else's report ("me too", or the reporters and followers of a
-- duplicate merged into it), each with their own answer when it is resolved; and per category
-- how far apart two reports may be to be offered as the same problem, and whether 退单 needs
-- the approval of the tier above.

CREATE TABLE report_followers (
    report_id   INTEGER NOT NULL REFERENCES reports(id),
    user_id     INTEGER NOT NULL,
    via         TEXT NOT NULL,      -- 'me_too' (offered when reporting) or 'merge' (staff merged)
    from_report INTEGER,            -- the duplicate they followed or reported, for 'merge'
    since       TEXT NOT NULL,
    stars       INTEGER,            -- their own rating once resolved (1-5), kept per person
    answered_at TEXT,
    PRIMARY KEY (report_id, user_id)
);
CREATE INDEX report_followers_user ON report_followers(user_id);

-- The open reports of a category: what a new report is compared with.
CREATE INDEX reports_open_category ON reports(category, id) WHERE status IN ('open', 'accepted');

ALTER TABLE categories ADD COLUMN merge_radius_m INTEGER NOT NULL DEFAULT 100;
ALTER TABLE categories ADD COLUMN reject_needs_approval INTEGER NOT NULL DEFAULT 0;

-- Retention de-identifies merged duplicates like other closed reports (storage/privacy.py).
DROP INDEX reports_retained;
CREATE INDEX reports_retained ON reports(updated_at)
    WHERE deidentified_at IS NULL
    AND status IN ('closed', 'closed_unverified', 'rejected', 'merged');
