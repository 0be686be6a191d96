-- Inbox claims (issue 11): several processes on one database take the pending updates in
-- batches without taking one twice or breaking a chat's order (storage/inbox.py Inbox.claim).
-- chat_id: the chat an update belongs to (its message's, press's or membership's chat; NULL for
-- polls), kept only while the update is pending (cleared when done, parked or erased).
-- claimed_by / claimed_until: the process processing it and when that claim lapses (ISO UTC).
ALTER TABLE inbox ADD COLUMN chat_id INTEGER;
ALTER TABLE inbox ADD COLUMN claimed_by TEXT;
ALTER TABLE inbox ADD COLUMN claimed_until TEXT;
CREATE INDEX inbox_new_chat ON inbox(chat_id, update_id) WHERE state = 'new';
