-- A login attempt is recorded before its password is checked (pending = 1)
-- and counts against its e-mail and client address from then on, so that
-- attempts made at once, in any process, count against each other. A
-- failed check keeps it as a failure (pending = 0); a successful login
-- deletes it. An attempt whose process died meanwhile stays pending and
-- counts as a failure until it ages out. A successful login forgives the
-- address's failures, not the attempts still under way.
ALTER TABLE login_failures ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
