-- The escalation ladder, the replies mailbox and the victims' timeline.

-- The ladder steps taken for an item after its first notice: one row per
-- step of the policy's ladder (by its index), taken, skipped (it did not
-- apply) or waiting (for an analyst, or for its notice to go out).
CREATE TABLE ladder_steps (
    id                 INTEGER PRIMARY KEY,
    item_id            INTEGER NOT NULL REFERENCES items (id),
    step_index         INTEGER NOT NULL,
    step_name          TEXT    NOT NULL,
    action             TEXT    NOT NULL, -- notice, reminder, dossier, delisting
    target             TEXT    NOT NULL,
    outcome            TEXT    NOT NULL, -- skipped, waiting, taken, abandoned
    detail             TEXT    NOT NULL DEFAULT '',
    notice_id          INTEGER REFERENCES notices (id),
    dossier_id         INTEGER,
    automatic          INTEGER NOT NULL DEFAULT 0,
    reminder           INTEGER NOT NULL DEFAULT 0, -- n for the n-th reminder
    original_notice_id INTEGER REFERENCES notices (id), -- the notice that a reminder repeats
    created_at         INTEGER NOT NULL,
    taken_at           INTEGER,
    UNIQUE (item_id, step_index)
);
CREATE UNIQUE INDEX ladder_steps_notice ON ladder_steps (notice_id) WHERE notice_id IS NOT NULL;

-- Dossiers for authorities (the regulator, the police and prosecutor) and
-- delisting requests to search engines: a generated document, ready to
-- send, with (for dossiers) the case's evidence bundle sealed under the
-- case's key.
CREATE TABLE dossiers (
    id                INTEGER PRIMARY KEY,
    item_id           INTEGER NOT NULL REFERENCES items (id),
    case_id           INTEGER REFERENCES cases (id),
    step_name         TEXT    NOT NULL,
    kind              TEXT    NOT NULL, -- regulator, police, delisting
    recipient         TEXT    NOT NULL, -- ACM, DSC, 125p, mla, search engines
    country           TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL, -- awaiting_approval, ready, sent
    automatic         INTEGER NOT NULL DEFAULT 0,
    four_eyes         INTEGER NOT NULL DEFAULT 0,
    text              TEXT    NOT NULL,
    html              TEXT    NOT NULL DEFAULT '',
    bundle_enc        BLOB,
    bundle_sha256     TEXT    NOT NULL DEFAULT '',
    bundle_size       INTEGER NOT NULL DEFAULT 0,
    first_approved_by TEXT,
    approved_by       TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX dossiers_item ON dossiers (item_id, id);

-- Addresses that bounced for good: notices are no longer prepared for them.
CREATE TABLE invalid_addresses (
    address    TEXT    PRIMARY KEY, -- lower case
    reason     TEXT    NOT NULL DEFAULT '',
    notice_id  INTEGER,
    created_at INTEGER NOT NULL
);

-- Small durable positions of undox's jobs (the replies mailbox's last UID).
CREATE TABLE takedown_cursors (
    name       TEXT    PRIMARY KEY,
    value      INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The victim's timeline: plain-language entries in the case's language,
-- which the status page shows; an e-mail goes out for each when the
-- reporter asked for updates.
CREATE TABLE case_timeline (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    item_id       INTEGER,
    milestone     TEXT    NOT NULL, -- notified, escalated, removed, closed
    language      TEXT    NOT NULL,
    text          TEXT    NOT NULL,
    source        TEXT    NOT NULL, -- what caused it (item_event/ID, case/STATUS_AT), unique per case
    email         TEXT    NOT NULL DEFAULT 'none', -- none, pending, sent, failed
    email_attempts INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    UNIQUE (case_id, source)
);
CREATE INDEX case_timeline_case ON case_timeline (case_id, id);
CREATE INDEX case_timeline_mail ON case_timeline (id) WHERE email = 'pending';

-- Item steps not yet told on the timeline; the ones before this migration
-- are history.
ALTER TABLE item_events ADD COLUMN timeline INTEGER NOT NULL DEFAULT 0;
UPDATE item_events SET timeline = 1;
CREATE INDEX item_events_timeline ON item_events (id) WHERE timeline = 0;
