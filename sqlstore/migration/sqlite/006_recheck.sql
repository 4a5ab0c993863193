-- Re-checks: every check of whether an item's content is still online,
-- and the schedule of the next one.
CREATE TABLE checks (
    id            INTEGER PRIMARY KEY,
    item_id       INTEGER NOT NULL REFERENCES items (id),
    checked_at    INTEGER NOT NULL,
    reason        TEXT    NOT NULL,           -- schedule, confirm, staff, response
    outcome       TEXT    NOT NULL,           -- gone, changed, up, moved, unreachable
    http_status   INTEGER NOT NULL DEFAULT 0,
    detail        TEXT    NOT NULL DEFAULT '',
    final_url     TEXT    NOT NULL DEFAULT '',
    absent        INTEGER NOT NULL DEFAULT 0, -- counts toward a removal
    observed      TEXT    NOT NULL DEFAULT '', -- the item's observation (gone, back), if any
    capture_id    INTEGER REFERENCES captures (id), -- the capture kept as evidence of the check
    moved_item_id INTEGER REFERENCES items (id)
);
CREATE INDEX checks_item ON checks (item_id, id);

-- Where an item stands in its re-check schedule: the schedule, the time it
-- counts from, the index of the next scheduled check, and seq, which the
-- live scheduled job carries (a job with another seq was replaced).
CREATE TABLE recheck_schedules (
    item_id    INTEGER PRIMARY KEY REFERENCES items (id),
    schedule   TEXT    NOT NULL, -- after_notice, after_removal, none
    since      INTEGER NOT NULL,
    next_index INTEGER NOT NULL DEFAULT 0,
    seq        INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER,
    updated_at INTEGER NOT NULL
);
