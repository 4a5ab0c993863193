-- Trace: who hosts each item and whom to notify; the analysts' contact book.
ALTER TABLE items ADD COLUMN traced_at  INTEGER;
ALTER TABLE items ADD COLUMN host_key   TEXT; -- who hosts the content at the last trace
ALTER TABLE items ADD COLUMN host_moved INTEGER NOT NULL DEFAULT 0; -- a re-trace found another host; cleared when an analyst acknowledges

-- Every trace of an item: the answer with its recipients and the raw RDAP
-- and WHOIS responses, as evidence. No personal data of victims.
CREATE TABLE traces (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES items (id),
    traced_at   INTEGER NOT NULL,
    host_key    TEXT    NOT NULL,
    moved       INTEGER NOT NULL DEFAULT 0,
    answer      TEXT    NOT NULL
);
CREATE INDEX traces_item ON traces (item_id, id);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    scope       TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    data        TEXT    NOT NULL, -- the entry as JSON
    updated_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    removed_at  INTEGER
);
CREATE UNIQUE INDEX contacts_live ON contacts (scope, key, role) WHERE removed_at IS NULL;

CREATE TABLE contact_versions (
    contact_id  INTEGER NOT NULL REFERENCES contacts (id),
    version     INTEGER NOT NULL,
    change      TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (contact_id, version)
);
