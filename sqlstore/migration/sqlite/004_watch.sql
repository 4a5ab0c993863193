-- Personal data: protected persons' identifiers, scans of captures, and
-- the links a scan suggests between an item and another case.

-- Identifiers of the people a case protects, sealed under the case's key.
-- The watch index holds only keyed hashes of them; its key is never in the
-- database.
CREATE TABLE identifiers (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    person      INTEGER NOT NULL, -- which protected person of the case (1, 2, …)
    kind        TEXT    NOT NULL,
    value_enc   BLOB,             -- NULL once the case is erased
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    removed_at  INTEGER
);
CREATE INDEX identifiers_case ON identifiers (case_id, id);

-- Bumped on every change of identifiers: processes rebuild their index
-- when it moved.
CREATE TABLE watch_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL
);
INSERT INTO watch_state (id, generation) VALUES (1, 0);

-- A scan of one capture: findings (with their values) sealed under the
-- capture's case key; matches name persons and kinds, never values.
CREATE TABLE scans (
    id            INTEGER PRIMARY KEY,
    capture_id    INTEGER NOT NULL REFERENCES captures (id),
    item_id       INTEGER NOT NULL REFERENCES items (id),
    findings_enc  BLOB,
    summary       TEXT    NOT NULL, -- JSON: counts by type, matches (person, kind, span), doxes, severity, level, reasons
    severity      INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX scans_item ON scans (item_id, id);

ALTER TABLE items ADD COLUMN severity INTEGER NOT NULL DEFAULT 0;

-- A scan found another case's protected person on an item: an analyst
-- confirms (the item is linked to that case) or rejects.
CREATE TABLE link_suggestions (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    item_id     INTEGER NOT NULL REFERENCES items (id),
    scan_id     INTEGER NOT NULL REFERENCES scans (id),
    kinds       TEXT    NOT NULL, -- the identifier kinds that matched
    status      TEXT    NOT NULL, -- pending, confirmed, rejected
    decided_by  TEXT,
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER,
    UNIQUE (case_id, item_id)
);
