-- Mirrors (S12): the print of each captured text, a keyed MinHash
-- signature (package mirror), never the text, and the print's bands, by
-- which the prints that may be copies of each other are found without
-- comparing every pair. A print goes with its case: erasing the case
-- deletes its prints.
CREATE TABLE capture_prints (
    capture_id  INTEGER PRIMARY KEY REFERENCES captures (id),
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    item_id     INTEGER NOT NULL REFERENCES items (id),
    print       BLOB    NOT NULL
);
CREATE INDEX capture_prints_case ON capture_prints (case_id);
CREATE INDEX capture_prints_item ON capture_prints (item_id);

CREATE TABLE capture_bands (
    band        INTEGER NOT NULL,
    capture_id  INTEGER NOT NULL REFERENCES capture_prints (capture_id),
    PRIMARY KEY (band, capture_id)
);
CREATE INDEX capture_bands_capture ON capture_bands (capture_id);
