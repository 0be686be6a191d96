-- Staff login to the web dashboard (handlers/web/login.py). Only SHA-256 hashes of the link
-- tokens and session cookies are kept: a copy of the database opens no session.
CREATE TABLE web_links (
    hash       TEXT PRIMARY KEY,   -- sha256 hex of the token in the /web link
    user_id    INTEGER NOT NULL,   -- the staff member it logs in
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT                -- set once, by the POST that consumed it
);
CREATE INDEX web_links_user ON web_links(user_id, created_at);
CREATE TABLE web_sessions (
    hash       TEXT PRIMARY KEY,   -- sha256 hex of the griddesk_session cookie
    user_id    INTEGER NOT NULL,
    csrf       TEXT NOT NULL,      -- every POST of the session carries it
    via        TEXT NOT NULL,      -- 'link' or 'miniapp' (a Mini App cookie is SameSite=None)
    created_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL       -- the last request, written at most once a minute
);
CREATE INDEX web_sessions_user ON web_sessions(user_id);
