-- Staff accounts for the pages, their sessions and failed logins.
-- email_key is the address in lower case: one account per address, in any
-- case. The password is an argon2id hash (PHC string); the TOTP secret is
-- sealed under a key derived from the master key, bound to its row.
-- totp_last_step is the time step of the last code accepted: a code of
-- that step or an earlier one is refused as a replay.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL,
    email_key      TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    totp_secret    BLOB,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    disabled_at    INTEGER
);

-- A session is named by the SHA-256 of the browser's random token, never
-- the token itself. It ends at expires_at, after an idle time since
-- last_seen_at, or when revoked (logout, a disabled user).
CREATE TABLE user_sessions (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    token_hash    BLOB    NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

-- Failed logins, for throttling: the e-mail address and the client address
-- only as keyed hashes. A successful login forgives its e-mail address's
-- failures (email_forgiven = 1), not its client's; rows older than a day
-- are pruned.
CREATE TABLE login_failures (
    id             INTEGER PRIMARY KEY,
    email_key      BLOB    NOT NULL,
    client_key     BLOB    NOT NULL,
    email_forgiven INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email_key, created_at);
CREATE INDEX login_failures_client ON login_failures (client_key, created_at);
CREATE INDEX login_failures_created ON login_failures (created_at);
