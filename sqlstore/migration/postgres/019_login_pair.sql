-- Failed logins count per account and client address (a stranger's
-- guesses lock the account for the stranger's address only), besides per
-- account across all addresses (a much higher ceiling) and per client.
-- A successful login forgives the account's failures from its own client
-- address (pair_forgiven = 1), so that the owner's typos do not count
-- against them, but not those from other addresses: someone else's
-- guesses keep counting against that someone. Resetting or enabling the
-- account forgives them all.
ALTER TABLE login_failures ADD COLUMN pair_forgiven BIGINT NOT NULL DEFAULT 0;
