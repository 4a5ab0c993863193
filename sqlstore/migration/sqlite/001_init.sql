-- Times are Unix microseconds (UTC) in both backends.
CREATE TABLE cases (
    id                  INTEGER PRIMARY KEY,
    ref                 TEXT    NOT NULL UNIQUE,
    category            TEXT    NOT NULL,
    handling            TEXT    NOT NULL,
    is_minor            INTEGER NOT NULL,
    language            TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    -- The case's own data key, wrapped by the master key. Setting it to
    -- NULL is what erases the case's personal data.
    data_key            BLOB,
    reporter_email_enc  BLOB,
    description_enc     BLOB,
    consent             INTEGER NOT NULL,
    source              TEXT    NOT NULL,
    partner             TEXT,
    external_ref        TEXT,
    legal_hold          BLOB, -- the reason, sealed under the staff-notes key; NULL when not held
    priority            INTEGER NOT NULL,
    status_token_hash   BLOB    NOT NULL UNIQUE,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    status_at           INTEGER NOT NULL, -- when the status last changed; retention counts from it
    erased_at           INTEGER,
    UNIQUE (partner, external_ref)
);
CREATE INDEX cases_status ON cases (status, id);

CREATE TABLE items (
    id            INTEGER PRIMARY KEY,
    url           TEXT    NOT NULL UNIQUE,
    host          TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    report_count  INTEGER NOT NULL DEFAULT 0,
    category      TEXT    NOT NULL,
    category_rank INTEGER NOT NULL DEFAULT 0, -- how serious category is; the most serious report wins
    is_minor      INTEGER NOT NULL,
    priority      INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX items_status ON items (status, id);
CREATE INDEX items_host ON items (host, id);

CREATE TABLE case_items (
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    item_id     INTEGER NOT NULL REFERENCES items (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (case_id, item_id)
) WITHOUT ROWID;
CREATE INDEX case_items_item ON case_items (item_id);

-- Every step of an item's lifecycle, for its timeline.
CREATE TABLE item_events (
    id           INTEGER PRIMARY KEY,
    item_id      INTEGER NOT NULL REFERENCES items (id),
    event        TEXT    NOT NULL,
    from_status  TEXT    NOT NULL,
    to_status    TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    reason       BLOB, -- sealed under the staff-notes key: staff may write names here
    created_at   INTEGER NOT NULL
);
CREATE INDEX item_events_item ON item_events (item_id, id);

-- Referral-only content routed to a competent authority.
CREATE TABLE referrals (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES items (id),
    authority   TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (item_id, authority)
);

CREATE TABLE idempotency_keys (
    key           TEXT    PRIMARY KEY,
    request_hash  BLOB    NOT NULL,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    receipt_enc   BLOB,
    created_at    INTEGER NOT NULL
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    hash        BLOB    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

-- The audit log: entries are appended inside the transaction of what they
-- record; the integrator gives each a leaf index in the Merkle tree.
CREATE TABLE audit_entries (
    id           INTEGER PRIMARY KEY,
    leaf_index   INTEGER UNIQUE,
    created_at   INTEGER NOT NULL,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    object_type  TEXT    NOT NULL,
    object_id    TEXT    NOT NULL,
    detail       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_entries_pending ON audit_entries (id) WHERE leaf_index IS NULL;
CREATE INDEX audit_entries_object ON audit_entries (object_type, object_id);

-- Stored hashes of the Merkle tree (golang.org/x/mod/sumdb/tlog layout).
CREATE TABLE audit_hashes (
    hash_index  INTEGER PRIMARY KEY,
    hash        BLOB NOT NULL
);

-- Signed checkpoints: tree size and root hash in a signed note.
CREATE TABLE audit_checkpoints (
    id          INTEGER PRIMARY KEY,
    tree_size   INTEGER NOT NULL,
    root_hash   BLOB    NOT NULL,
    note        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
