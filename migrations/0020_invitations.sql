-- Invitations to an organisation (README, "Teams"): a single-use link
-- shown once to whoever invites (only its SHA-256 is kept), for one e-mail
-- address and one role below owner, expiring; accepted by the person
-- signed in with that address.
CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    email       TEXT    NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    role        TEXT    NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    token_hash  TEXT    NOT NULL CHECK (length(token_hash) = 64),
    invited_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    accepted_at TEXT,
    accepted_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX invitations_token_hash ON invitations (token_hash);
CREATE INDEX invitations_org ON invitations (org_id, id);

-- Each person's personal organisation, the one a session acts in when the
-- request names none: joining another in the same second must not change
-- that (`joined_at` has whole seconds). Before this migration every
-- organisation is the personal one of its one owner.
ALTER TABLE users ADD COLUMN personal_org_id INTEGER REFERENCES organisations (id) ON DELETE SET NULL;
UPDATE users SET personal_org_id =
    (SELECT MIN(m.org_id) FROM memberships m WHERE m.user_id = users.id AND m.role = 'owner');
