-- A bulk job is a durable job (River's bulk_action): what its worker
-- needs to act later as the analyst who created it is kept here, not in
-- the job's arguments. The actor (its kind, user or token id, name and
-- role), whether each item becomes a four-eyes request (decided at
-- creation), and the reason, sealed under the staff-notes key like an
-- item event's.
ALTER TABLE bulk_jobs ADD COLUMN actor_kind TEXT    NOT NULL DEFAULT '';
ALTER TABLE bulk_jobs ADD COLUMN actor_id   BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE bulk_jobs ADD COLUMN actor_name TEXT    NOT NULL DEFAULT '';
ALTER TABLE bulk_jobs ADD COLUMN actor_role TEXT    NOT NULL DEFAULT '';
ALTER TABLE bulk_jobs ADD COLUMN four_eyes  BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE bulk_jobs ADD COLUMN reason_enc BYTEA;
