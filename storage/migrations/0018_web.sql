-- The web app's secrets (the webhook's path and secret token), generated once and kept here, and
-- whether Telegram was last told to use a webhook (so polling can delete it again).
CREATE TABLE web_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- /metrics counts reports by state and tier on every scrape: a covering index keeps it cheap.
CREATE INDEX reports_status_tier ON reports(status, tier);
