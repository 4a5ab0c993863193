-- Capture: what undox saw of each item, per case that reports it.
ALTER TABLE items ADD COLUMN capture_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN capture_error    TEXT; -- code: message of the last failed attempt; NULL after a success
ALTER TABLE items ADD COLUMN captured_at      INTEGER; -- the last successful capture

-- One row per capture of an item for one case. The facts (redirects, DNS
-- answers, headers, title, TLS, image URLs) are sealed under the case's
-- key: erasing the case erases them. The hashes stay: they prove what was
-- seen without showing it.
CREATE TABLE captures (
    id                 INTEGER PRIMARY KEY,
    item_id            INTEGER NOT NULL REFERENCES items (id),
    case_id            INTEGER NOT NULL REFERENCES cases (id),
    fetched_at         INTEGER NOT NULL,
    requested_by       TEXT    NOT NULL,
    http_status        INTEGER NOT NULL, -- 0 when no response came
    error_code         TEXT    NOT NULL DEFAULT '',
    body_sha256        TEXT    NOT NULL DEFAULT '',
    text_sha256        TEXT    NOT NULL DEFAULT '',
    screenshot_sha256  TEXT    NOT NULL DEFAULT '',
    facts_enc          BLOB,
    created_at         INTEGER NOT NULL
);
CREATE INDEX captures_item ON captures (item_id, id);
CREATE INDEX captures_case ON captures (case_id, id);

-- The blobs of a capture: body, headers, text, screenshot, images.
CREATE TABLE capture_files (
    capture_id  INTEGER NOT NULL REFERENCES captures (id),
    seq         INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    media_type  TEXT    NOT NULL,
    phash       TEXT    NOT NULL DEFAULT '', -- perceptual hash of images and screenshots
    PRIMARY KEY (capture_id, seq)
) WITHOUT ROWID;
CREATE INDEX capture_files_sha ON capture_files (sha256);
CREATE INDEX capture_files_phash ON capture_files (phash) WHERE phash <> '';
