-- The staff account an API token was made for (undox token create
-- --user): for four-eyes, the token and the account are one person.
-- NULL: a token of no account (a partner's system, a tool); it cannot
-- take a four-eyes step. A dossier's first approval keeps the key of who
-- gave it (a person), not only their label, and a bulk job the account of
-- the token it acts as.
ALTER TABLE tokens ADD COLUMN user_id INTEGER REFERENCES users (id);
ALTER TABLE dossiers ADD COLUMN first_approved_key TEXT;
ALTER TABLE bulk_jobs ADD COLUMN actor_owner INTEGER;
