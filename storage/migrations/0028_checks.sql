-- 核实 and 复查 per category (bot/domain/checks.py): a new report of a category marked `verify`
-- waits in status 'checking' for an on-site check before it is dispatched; a report of a
-- category marked `review` is resolved into 'reviewing' and waits for someone other than the
-- resolver. Both run their own clock in the reports' timer columns (windows 'check', 'review').

ALTER TABLE categories ADD COLUMN verify INTEGER NOT NULL DEFAULT 0;
ALTER TABLE categories ADD COLUMN review INTEGER NOT NULL DEFAULT 0;

-- The reports waiting for a check or a review at a unit: a verifier's or reviewer's /tasks.
CREATE INDEX reports_gated ON reports(holder_unit, id) WHERE status IN ('checking', 'reviewing');
