-- Bookings (预约办理 / 找场馆): residents book slots of the configured [[resources]].
-- booking_slots counts the places held per (resource, slot start): a booking takes a place with
-- a compare-and-set on `taken < capacity`, so two residents pressing for the last place at once
-- (one process or several on PostgreSQL) never both get it.
CREATE TABLE booking_slots (
    resource  TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    taken     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (resource, starts_at)
);

CREATE TABLE bookings (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    resource       TEXT NOT NULL,
    unit           TEXT NOT NULL,
    user_id        INTEGER NOT NULL,
    starts_at      TEXT NOT NULL,
    ends_at        TEXT NOT NULL,
    purpose        TEXT NOT NULL,                -- the resident's words; wiped after purpose_days
    status         TEXT NOT NULL,                -- pending, confirmed, moved, declined, cancelled
    attendance     TEXT,                         -- came, no_show (recorded after the start)
    reason         TEXT,                         -- staff's reason for declining
    decided_by     INTEGER,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    remind_day_at  TEXT,                         -- NULL once sent or no longer useful
    remind_hour_at TEXT,
    version        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX bookings_slot ON bookings(resource, starts_at);
CREATE INDEX bookings_user ON bookings(user_id, starts_at);
CREATE INDEX bookings_starts ON bookings(starts_at);
-- One live booking of a slot per person.
CREATE UNIQUE INDEX bookings_one_per_person ON bookings(resource, starts_at, user_id)
    WHERE status IN ('pending', 'confirmed', 'moved');
CREATE INDEX bookings_remind_day ON bookings(remind_day_at) WHERE remind_day_at IS NOT NULL;
CREATE INDEX bookings_remind_hour ON bookings(remind_hour_at) WHERE remind_hour_at IS NOT NULL;
CREATE INDEX bookings_purposes ON bookings(ends_at) WHERE purpose <> '';
