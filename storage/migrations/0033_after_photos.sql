-- Several after-photos (issue 12 item 9): resolution_photo stays the first one; the resolver's
-- further photos (the rest of an album, or more sent before the note), in order, as a JSON list.
ALTER TABLE reports ADD COLUMN more_after_photos TEXT NOT NULL DEFAULT '[]';
