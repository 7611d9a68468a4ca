-- Alerts by e-mail (README, "E-mail and digests"): the least severity of
-- the events an account wants by e-mail (NULL: none), and each event's
-- mark once it was mailed, claimed before sending so a redelivered queue
-- message or an overlapping run mails nothing twice.
ALTER TABLE users ADD COLUMN alert_email_severity TEXT
    CHECK (alert_email_severity IN ('info', 'warning', 'critical'));
ALTER TABLE alert_events ADD COLUMN emailed_at TEXT;

-- email_sends' purposes gain 'alert'. SQLite cannot change a CHECK, so the
-- table is rebuilt; nothing references it, every row and id is copied.
CREATE TABLE email_sends_new (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day         TEXT    NOT NULL,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('confirmation', 'digest', 'preview', 'alert')),
    status      TEXT    NOT NULL CHECK (status IN ('sent', 'capped', 'failed')),
    created_at  TEXT    NOT NULL
);
INSERT INTO email_sends_new (id, user_id, day, purpose, status, created_at)
    SELECT id, user_id, day, purpose, status, created_at FROM email_sends;
DROP TABLE email_sends;
ALTER TABLE email_sends_new RENAME TO email_sends;
CREATE INDEX email_sends_user_day ON email_sends (user_id, day, status);
