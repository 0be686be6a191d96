-- A counter that moves whenever units or categories change, so a running bot notices a CSV
-- import made by another process (griddesk import) and reloads its cached tree.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('units_version', 0);

CREATE TRIGGER units_inserted AFTER INSERT ON units
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'units_version'; END;
CREATE TRIGGER units_updated AFTER UPDATE ON units
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'units_version'; END;
CREATE TRIGGER units_deleted AFTER DELETE ON units
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'units_version'; END;
CREATE TRIGGER categories_inserted AFTER INSERT ON categories
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'units_version'; END;
CREATE TRIGGER categories_updated AFTER UPDATE ON categories
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'units_version'; END;
CREATE TRIGGER categories_deleted AFTER DELETE ON categories
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'units_version'; END;

-- /my lists the reports a member of staff entered for residents without Telegram (代报).
CREATE INDEX reports_entered_by ON reports(entered_by, id) WHERE reporter_id IS NULL;
