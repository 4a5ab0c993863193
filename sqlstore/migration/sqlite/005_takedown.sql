-- The takedown procedure: notices to intermediaries and their answers.
-- Notices hold no victim data by construction (no identity, no case
-- reference): their text is kept plain, as sent, for evidence.
CREATE TABLE notices (
    id                  INTEGER PRIMARY KEY,
    item_id             INTEGER NOT NULL REFERENCES items (id),
    trace_id            INTEGER NOT NULL REFERENCES traces (id),
    recipient_index     INTEGER NOT NULL, -- position in the trace's recipients
    role                TEXT    NOT NULL,
    organisation        TEXT    NOT NULL,
    channel             TEXT    NOT NULL, -- email, web_form, api
    address             TEXT    NOT NULL, -- the e-mail address, or the form's or API's URL
    language            TEXT    NOT NULL DEFAULT '',
    country             TEXT    NOT NULL DEFAULT '',
    status              TEXT    NOT NULL,
    message_id          TEXT,             -- recorded before any SMTP transaction
    template            TEXT,
    template_version    TEXT,
    template_digest     TEXT,
    subject             TEXT,
    body                TEXT,             -- the rendered text
    xarf                TEXT,             -- JSON array of the X-ARF reports
    message             TEXT,             -- the MIME message as sent, so that a resend is the same bytes
    deadline            INTEGER,
    automatic           INTEGER NOT NULL DEFAULT 0,
    attempts            INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT,
    response_token_hash BLOB,
    response_expires_at INTEGER,
    created_by          TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    approved_by         TEXT,
    approved_at         INTEGER,
    rendered_at         INTEGER,
    sending_at          INTEGER,
    sent_at             INTEGER,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX notices_item ON notices (item_id, id);
CREATE UNIQUE INDEX notices_token ON notices (response_token_hash) WHERE response_token_hash IS NOT NULL;

-- Every step of a notice's lifecycle.
CREATE TABLE notice_events (
    id          INTEGER PRIMARY KEY,
    notice_id   INTEGER NOT NULL REFERENCES notices (id),
    event       TEXT    NOT NULL,
    from_status TEXT    NOT NULL,
    to_status   TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX notice_events_notice ON notice_events (notice_id, id);

-- Answers to notices, from the response page or by e-mail.
CREATE TABLE notice_responses (
    id          INTEGER PRIMARY KEY,
    notice_id   INTEGER NOT NULL REFERENCES notices (id),
    kind        TEXT    NOT NULL, -- removed, will_remove, disputed, not_our_customer, reply, bounce, auto_reply
    detail      TEXT    NOT NULL DEFAULT '',
    until_date  TEXT,             -- YYYY-MM-DD, for will_remove
    other_party TEXT    NOT NULL DEFAULT '',
    source      TEXT    NOT NULL, -- web or email
    created_at  INTEGER NOT NULL
);
CREATE INDEX notice_responses_notice ON notice_responses (notice_id, id);
