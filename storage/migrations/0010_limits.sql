-- Flood limits count a resident's reports of the last hour and day (handlers/limits.py).
CREATE INDEX reports_reporter_created ON reports(reporter_id, created_at);
