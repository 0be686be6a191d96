-- Every refused press or command (bot/domain/access.py): who, what, which rule, when.
-- TARGET holds ids only ("wish:12"), never text or names; erasure deletes a person's rows by user_id.
CREATE TABLE refusals (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, action TEXT NOT NULL, rule TEXT NOT NULL, target TEXT, at TEXT NOT NULL);
CREATE INDEX refusals_at ON refusals(at);
