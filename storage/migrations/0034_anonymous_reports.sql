-- Anonymous reports (issue 12 item 10): a category may refuse them (default: allowed). Whether a
-- report is anonymous is in its `extra` ({"anonymous": true}), beside "erased" and "source".
ALTER TABLE categories ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 1;
