-- Notice templates that admins edited: every version is kept (a notice
-- records the version and digest it was rendered from); at most one
-- version per language and name is active. Without one, the template
-- shipped with undox applies.
CREATE TABLE notice_templates (
    id         INTEGER PRIMARY KEY,
    language   TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    version    TEXT    NOT NULL,
    digest     TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 0,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX notice_templates_by_name ON notice_templates (language, name, id);
CREATE UNIQUE INDEX notice_templates_active ON notice_templates (language, name) WHERE active = 1;
