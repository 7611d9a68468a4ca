-- Channels and filters (README, "Webhooks: channels, filters, severities"):
-- Discord, Teams, PagerDuty and ntfy besides JSON and Slack; each webhook
-- chooses the event kinds (NULL: all; else a JSON array of kinds or
-- families such as "budget") and the least severity it receives; a
-- PagerDuty webhook keeps its routing key sealed like the signing secret.
--
-- The format's CHECK names a fixed list, and SQLite cannot change a CHECK:
-- webhooks is rebuilt. webhook_deliveries references it with ON DELETE
-- CASCADE (dropping webhooks would delete them), so they are set aside and
-- put back afterwards, every row and id (as 0011 did for alert_events).
-- Checked by tests/api/channels.rs: a database migrated to 0012 with
-- webhooks and deliveries keeps every webhook and delivery, column for
-- column, through this migration.
CREATE TABLE webhook_deliveries_kept AS SELECT * FROM webhook_deliveries;
DROP TABLE webhook_deliveries;

CREATE TABLE webhooks_next (
    id                     INTEGER PRIMARY KEY,
    user_id                INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                   TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    url                    TEXT    NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    format                 TEXT    NOT NULL DEFAULT 'json'
                           CHECK (format IN ('json', 'slack', 'discord', 'teams', 'pagerduty', 'ntfy')),
    -- The signing secret, sealed like OpenRouter keys (AES-256-GCM).
    secret_ciphertext      TEXT,
    secret_nonce           TEXT,
    is_active              INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at             TEXT    NOT NULL,
    updated_at             TEXT    NOT NULL,
    created_by_session     TEXT,
    -- NULL: every kind; else a JSON array of kinds and families.
    event_kinds            TEXT    CHECK (event_kinds IS NULL OR json_valid(event_kinds)),
    min_severity           TEXT    NOT NULL DEFAULT 'info'
                           CHECK (min_severity IN ('info', 'warning', 'critical')),
    -- PagerDuty's routing key, sealed (bound to the row, apart from the secret).
    routing_key_ciphertext TEXT,
    routing_key_nonce      TEXT
);
INSERT INTO webhooks_next (id, user_id, name, url, format, secret_ciphertext, secret_nonce,
        is_active, created_at, updated_at, created_by_session)
    SELECT id, user_id, name, url, format, secret_ciphertext, secret_nonce,
        is_active, created_at, updated_at, created_by_session
    FROM webhooks;
DROP TABLE webhooks;
ALTER TABLE webhooks_next RENAME TO webhooks;
CREATE INDEX webhooks_user ON webhooks (user_id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL REFERENCES alert_events (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'retrying', 'delivered', 'failed')),
    claimed_until   TEXT,
    attempts        TEXT    NOT NULL DEFAULT '[]',
    attempt_count   INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    delivered_at    TEXT,
    next_attempt_at TEXT
);
INSERT INTO webhook_deliveries (id, webhook_id, event_id, status, claimed_until, attempts,
        attempt_count, created_at, updated_at, delivered_at, next_attempt_at)
    SELECT id, webhook_id, event_id, status, claimed_until, attempts,
        attempt_count, created_at, updated_at, delivered_at, next_attempt_at
    FROM webhook_deliveries_kept;
DROP TABLE webhook_deliveries_kept;
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (webhook_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (id) WHERE status IN ('pending', 'sending', 'retrying');
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
