-- A dossier goes out through its recipient's own channel (a regulator's
-- portal, the police): staff record that they sent it, and what they
-- noted (the recipient's case number).
ALTER TABLE dossiers ADD COLUMN sent_by TEXT;
ALTER TABLE dossiers ADD COLUMN sent_at INTEGER;
ALTER TABLE dossiers ADD COLUMN sent_reference TEXT NOT NULL DEFAULT '';
