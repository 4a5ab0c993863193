-- Reporters' requests that their case's personal data be erased (GDPR
-- art. 17), answered within one month (art. 12(3)). At most one per case;
-- no personal data.
CREATE TABLE erasure_requests (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL UNIQUE REFERENCES cases (id),
    status        TEXT    NOT NULL DEFAULT 'pending', -- pending, done
    requested_at  INTEGER NOT NULL,
    deadline      INTEGER NOT NULL,
    done_at       INTEGER
);
CREATE INDEX erasure_requests_pending ON erasure_requests (deadline) WHERE status = 'pending';
