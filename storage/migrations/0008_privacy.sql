-- Privacy (issue 7): consents, a log of erasures (never whose), and the indexes the retention
-- sweep finds its work through. Each partial index holds only rows still to be pruned, so it
-- shrinks as the sweep works and a pass with nothing due reads one empty index page.

-- A consent a person gave, once per kind (location: precise location is sensitive personal
-- information under PIPL). Erasure removes it with the person.
CREATE TABLE consents (
    user_id  INTEGER NOT NULL,
    kind     TEXT NOT NULL,                 -- location
    given_at TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- One row per erasure: a person (who erased themselves; nothing says who) or a household
-- (erased by staff with a reason). A person's id is its pseudonym's source: rows that must keep
-- counting for figures (points, sign-ups, events) get -(10^15 + id) instead of the user id.
CREATE TABLE erasures (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind   TEXT NOT NULL CHECK (kind IN ('person', 'household')),
    ref    INTEGER,                         -- household id (NULL for a person)
    erased_by INTEGER,                      -- staff member who erased a household
    reason TEXT,                            -- why staff erased a household
    at     TEXT NOT NULL,
    rows   INTEGER NOT NULL DEFAULT 0       -- rows removed or de-identified
);
CREATE INDEX erasures_ref ON erasures(kind, ref);

-- Reports de-identified (by erasure or by retention) carry the time; the sweep skips them.
ALTER TABLE reports ADD COLUMN deidentified_at TEXT;

-- Retention: what the sweep looks for, oldest first.
CREATE INDEX inbox_prunable ON inbox(received_at) WHERE state <> 'new' AND payload <> '{}';
CREATE INDEX outbox_prunable ON outbox(created_at)
    WHERE state IN ('sent', 'failed') AND payload <> '{}';
CREATE INDEX drafts_updated ON drafts(updated_at);
CREATE INDEX reports_retained ON reports(updated_at)
    WHERE deidentified_at IS NULL AND status IN ('closed', 'closed_unverified', 'rejected');
CREATE INDEX visits_noted ON visits(at) WHERE note <> '';

-- Erasure finds a person's rows in the tables that name them by an indexed column.
CREATE INDEX report_events_actor ON report_events(actor_id) WHERE actor_id IS NOT NULL;
CREATE INDEX wishes_resident ON wishes(resident_id) WHERE resident_id IS NOT NULL;
CREATE INDEX wish_events_actor ON wish_events(actor_id) WHERE actor_id IS NOT NULL;
CREATE INDEX volunteer_invites_volunteer ON volunteer_invites(volunteer_id);
CREATE INDEX visits_visitor ON visits(visitor_id);
CREATE INDEX household_events_actor ON household_events(actor_id) WHERE actor_id IS NOT NULL;
CREATE INDEX cards_chat ON cards(chat_id);
CREATE INDEX outbox_chat ON outbox(chat_id);
