-- Monitoring of known doxing sites (S12): the sites undox crawls for
-- protected persons, and the pages it saw on them. A page is kept as a
-- keyed hash of its URL (a URL can name a person) and the SHA-256 of its
-- text (to tell a changed page from one seen before), never its text. Pages that showed a protected person became
-- items of the site's monitoring case (case_id, made at the first find),
-- or of its minors' monitoring case (minor_case_id) when they showed a
-- person whom a minor's case protects.
CREATE TABLE watched_sites (
    id             INTEGER PRIMARY KEY,
    url            TEXT    NOT NULL UNIQUE, -- where each crawl starts
    host           TEXT    NOT NULL,
    every_seconds  INTEGER  NOT NULL,
    max_pages      INTEGER  NOT NULL,
    enabled        INTEGER  NOT NULL DEFAULT 1,
    case_id        INTEGER REFERENCES cases (id),
    minor_case_id  INTEGER REFERENCES cases (id), -- what was found of persons whom a minor's case protects
    added_by       TEXT    NOT NULL,
    created_at     INTEGER  NOT NULL,
    next_crawl_at  INTEGER  NOT NULL,
    last_crawl_at  INTEGER,
    last_error     TEXT    NOT NULL DEFAULT '',
    crawls         INTEGER  NOT NULL DEFAULT 0,
    found          INTEGER  NOT NULL DEFAULT 0
);
CREATE INDEX watched_sites_due ON watched_sites (enabled, next_crawl_at);

CREATE TABLE site_pages (
    site_id      INTEGER NOT NULL REFERENCES watched_sites (id),
    page_key     TEXT   NOT NULL, -- HMAC-SHA256 of the URL, under a key kept outside the database
    text_sha256  TEXT   NOT NULL,
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    found_at     INTEGER, -- when it showed a protected person and became an item
    PRIMARY KEY (site_id, page_key)
);
