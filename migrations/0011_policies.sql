-- Policies (docs/policies.md): what a budget does to its OpenRouter keys
-- besides alerting, and the record of every action taken on a key.

-- `notify` is today's behaviour. `disable` and `limit` act through the
-- account's management key when the budget crosses `action_at` percent
-- (NULL: when the projection says the amount is reached before the reset).
ALTER TABLE budgets ADD COLUMN action TEXT NOT NULL DEFAULT 'notify'
    CHECK (action IN ('notify', 'disable', 'limit'));
ALTER TABLE budgets ADD COLUMN action_at INTEGER CHECK (action_at BETWEEN 1 AND 100);
ALTER TABLE budgets ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0 CHECK (dry_run IN (0, 1));

-- One row per budget, key and period: claiming it is an INSERT OR IGNORE,
-- so a re-run, an overlapping consumer or a redelivered message claims
-- nothing new, and an undone action is not taken again in its period.
CREATE TABLE key_actions (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_key_id    INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    -- Kept when the budget goes: the product still restores what it changed.
    budget_id     INTEGER REFERENCES budgets (id) ON DELETE SET NULL,
    budget_label  TEXT    NOT NULL,
    trigger_label TEXT    NOT NULL,
    action        TEXT    NOT NULL CHECK (action IN ('disable', 'limit')),
    dry_run       INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
    -- The budget's period on OpenRouter's clock; the product restores the
    -- key when OpenRouter's clock passes `period_end`.
    period_start  TEXT    NOT NULL,
    period_end    TEXT    NOT NULL,
    -- For `limit`: the OpenRouter limit to set (1e-10 USD) and its reset.
    target_limit  INTEGER,
    target_reset  TEXT,
    -- 'set': a limit a person set from the dashboard (never put back).
    state         TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'applied', 'dry_run', 'skipped', 'failed',
                                   'restored', 'undone', 'kept', 'set')),
    -- The key's settings ({disabled, limit, limit_reset}) before the action
    -- (read once, never overwritten) and after it.
    before        TEXT,
    after         TEXT,
    detail        TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    -- The management key that acted (restores use the same one).
    via_key_id    INTEGER,
    -- A run working on the row holds it until then.
    lease_until   TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX key_actions_once ON key_actions (budget_id, api_key_id, period_start);
CREATE INDEX key_actions_user ON key_actions (user_id, id);
CREATE INDEX key_actions_open ON key_actions (user_id) WHERE state IN ('pending', 'applied');
CREATE INDEX key_actions_key ON key_actions (api_key_id, state);

-- Event types are the code's (`alerts::events`): the CHECK on a fixed list
-- goes, so a new kind (key.disabled, key.enabled, key.limit_changed,
-- policy.failed) needs no table rebuild again. SQLite cannot drop a CHECK,
-- so alert_events is rebuilt; webhook_deliveries references it with ON
-- DELETE CASCADE (a DROP would delete them), so it is set aside and put
-- back first. Nothing is lost: every row and id is copied.
CREATE TABLE webhook_deliveries_kept AS SELECT * FROM webhook_deliveries;
DROP TABLE webhook_deliveries;

CREATE TABLE alert_events_next (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    dedup_key    TEXT    NOT NULL,
    type         TEXT    NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
    api_key_id   INTEGER,
    payload      TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
);
INSERT INTO alert_events_next (id, user_id, dedup_key, type, api_key_id, payload, created_at)
    SELECT id, user_id, dedup_key, type, api_key_id, payload, created_at FROM alert_events;
DROP TABLE alert_events;
ALTER TABLE alert_events_next RENAME TO alert_events;
CREATE UNIQUE INDEX alert_events_dedup ON alert_events (user_id, dedup_key);
CREATE INDEX alert_events_user_time ON alert_events (user_id, created_at);

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
