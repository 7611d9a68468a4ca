-- Invitations can be revoked before they are used (README, "Teams"): a
-- revoked invitation is kept, like an accepted one, for the record of who
-- invited whom, and can no longer be accepted. Signing in through
-- Cloudflare Access accepts the pending invitations of the verified
-- address: the partial index finds them without reading the others.
ALTER TABLE invitations ADD COLUMN revoked_at TEXT;
ALTER TABLE invitations ADD COLUMN revoked_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX invitations_pending_email ON invitations (email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
