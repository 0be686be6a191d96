-- One waiting 台账 export per person, said by the database: Ledgers.request inserts with ON
-- CONFLICT DO NOTHING instead of looking first, which two instances on one PostgreSQL database
-- could both have done before either inserted. Older duplicates (from such a race) keep the
-- first and end the others as failed, so the index can be built.
UPDATE ledger_exports SET due_at = NULL, state = 'failed'
WHERE due_at IS NOT NULL
  AND id > (SELECT MIN(w.id) FROM ledger_exports w
            WHERE w.user_id = ledger_exports.user_id AND w.due_at IS NOT NULL);
DROP INDEX ledger_exports_user;
CREATE UNIQUE INDEX ledger_exports_waiting ON ledger_exports(user_id) WHERE due_at IS NOT NULL;
