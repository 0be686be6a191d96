-- 双报告: an in-service party member's verified service goes monthly to their work unit.
--
-- Household kinds ([[care.kinds]]): households.kind has always been plain TEXT without a CHECK,
-- so any configured code is stored as it is and the five 五必访 codes keep their meaning.

-- The [[work_units]] code a party member picked at registration (NULL: typed as free text,
-- or not a party member): only a configured work unit gets a report.
ALTER TABLE volunteers ADD COLUMN work_unit_code TEXT;
CREATE INDEX volunteers_work_unit ON volunteers(work_unit_code) WHERE work_unit_code IS NOT NULL;

-- One row per (work unit, month) reported: the insert is the compare-and-set that makes the
-- monthly sweep send each contact one report per month, whatever the restarts or instances.
-- No person's data: the report itself is an outbox row.
CREATE TABLE dual_reports (
    work_unit TEXT NOT NULL,  -- [[work_units]] code
    month     TEXT NOT NULL,  -- 'YYYY-MM', local
    sent_at   TEXT NOT NULL,
    members   INTEGER NOT NULL,  -- members reported on (a figure, for the log and the operator)
    PRIMARY KEY (work_unit, month)
);
