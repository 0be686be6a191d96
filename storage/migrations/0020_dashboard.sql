-- The dashboard's case list (bot/usecases/dashboard.py, storage/dashboard.py) at 1,000,000 reports.
-- Open reports, most urgent first: a partial index in that order, so a page reads ~50 rows of it;
-- it covers the scope and filter columns, so rows outside a viewer's area are skipped in the index.
CREATE INDEX dashboard_open_due
    ON reports(due_at, id, unit, holder_unit, assignee_id, category, tier, status)
    WHERE status IN ('open', 'accepted');
-- A unit's reports newest first (placed there, or held there).
CREATE INDEX dashboard_unit ON reports(unit, id);
CREATE INDEX dashboard_holder ON reports(holder_unit, id);
