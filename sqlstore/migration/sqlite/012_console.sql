-- The analysts' console. A four-eyes action that one analyst asked for
-- waits here for a second, different analyst (requester_key names the
-- person, whatever their display name); approving it does it in the same
-- transaction. The reason is sealed like an item event's. At most one
-- request per object and action waits at a time.
CREATE TABLE pending_actions (
    id            INTEGER PRIMARY KEY,
    action        TEXT    NOT NULL,
    object_type   TEXT    NOT NULL,
    object_id     TEXT    NOT NULL,
    case_ref      TEXT    NOT NULL,
    reason_enc    BLOB,
    requested_by  TEXT    NOT NULL,
    requester_key TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    decided_by    TEXT,
    created_at    INTEGER NOT NULL,
    decided_at    INTEGER
);
CREATE UNIQUE INDEX pending_actions_open ON pending_actions (object_type, object_id, action) WHERE status = 'pending';
CREATE INDEX pending_actions_case ON pending_actions (case_ref, id);
CREATE INDEX pending_actions_status ON pending_actions (status, id);

-- A bulk action over many items and the outcome of each, so that its
-- progress can be followed from any instance ("n of m done").
CREATE TABLE bulk_jobs (
    id          INTEGER PRIMARY KEY,
    action      TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    total       INTEGER NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE TABLE bulk_job_items (
    job_id   INTEGER NOT NULL REFERENCES bulk_jobs (id),
    seq      INTEGER NOT NULL,
    item_id  INTEGER NOT NULL,
    status   TEXT    NOT NULL DEFAULT 'waiting',
    error    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, seq),
    UNIQUE (job_id, item_id)
);
