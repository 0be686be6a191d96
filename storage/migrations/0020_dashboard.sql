-- The dashboard's case list (bot/usecases/dashboard.py, storage/dashboard.py) at 1,000,000 reports.
-- Open reports, most urgent first: a partial index in that order, so a page reads ~50 rows of it.
CREATE INDEX dashboard_open_due ON reports(due_at, id) WHERE status IN ('open', 'accepted');
-- A unit's reports newest first (placed there, or held there).
CREATE INDEX dashboard_unit ON reports(unit, id);
CREATE INDEX dashboard_holder ON reports(holder_unit, id);
