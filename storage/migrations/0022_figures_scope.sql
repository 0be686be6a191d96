-- The unit figures (/figures, bot/usecases/figures.py) of a unit below the top: the reports
-- created in a period at the units of its subtree, read through the index instead of the whole
-- office's period (summary_reports_created leads with created_at, so a street's month read
-- every unit's month and dropped 90% of it).
CREATE INDEX figures_reports_unit_created ON reports(unit, created_at, category);
