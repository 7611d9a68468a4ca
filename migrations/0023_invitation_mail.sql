-- Invitations are e-mailed to the invited address (README, "Teams"), and
-- count against the inviting organisation's daily cap like every message:
-- email_sends' purposes gain 'invitation'. SQLite cannot change a CHECK,
-- so the table is rebuilt (as in 0017); nothing references it, every row
-- and id is copied.
CREATE TABLE email_sends_new (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    day         TEXT    NOT NULL,
    purpose     TEXT    NOT NULL
                CHECK (purpose IN ('confirmation', 'digest', 'preview', 'alert', 'invitation')),
    status      TEXT    NOT NULL CHECK (status IN ('sent', 'capped', 'failed')),
    created_at  TEXT    NOT NULL
);
INSERT INTO email_sends_new (id, org_id, day, purpose, status, created_at)
    SELECT id, org_id, day, purpose, status, created_at FROM email_sends;
DROP TABLE email_sends;
ALTER TABLE email_sends_new RENAME TO email_sends;
CREATE INDEX email_sends_org_day ON email_sends (org_id, day, status);
