-- Why a second analyst declined a four-eyes request (or its requester
-- withdrew it), when they said so: sealed under the staff-notes key like
-- the request's own reason.
ALTER TABLE pending_actions ADD COLUMN decision_reason_enc BYTEA;
