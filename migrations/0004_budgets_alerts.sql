-- Budgets, alerts and webhooks (docs/alerts.md).

-- OpenRouter's own clock when it answered `GET /key` (its `Date` header):
-- its usage_daily/weekly/monthly counters reset on that clock, so a
-- snapshot's period is read from it, not from the Worker's. NULL when the
-- answer had no usable `Date` (then taken_at stands in).
ALTER TABLE key_snapshots ADD COLUMN served_at TEXT;

CREATE TABLE budgets (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- NULL: the whole account.
    api_key_id  INTEGER REFERENCES api_keys (id) ON DELETE CASCADE,
    amount      INTEGER NOT NULL CHECK (amount > 0),   -- 1e-10 USD
    period      TEXT    NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly')),
    -- Ascending whole percentages, comma separated: "50,80,100".
    thresholds  TEXT    NOT NULL CHECK (length(thresholds) BETWEEN 1 AND 40),
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
CREATE UNIQUE INDEX budgets_scope_period ON budgets (user_id, IFNULL(api_key_id, 0), period);
CREATE INDEX budgets_key ON budgets (api_key_id);

-- Where each budget stands in its current period: what has been alerted.
-- `subject` names the budget: 'budget:<id>' for a user's budget,
-- 'limit:<key id>' for the implicit budget of a key's OpenRouter limit.
-- Rows go with their budget or key (cascades), or with the account.
CREATE TABLE alert_marks (
    subject            TEXT    PRIMARY KEY,
    user_id            INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    budget_id          INTEGER REFERENCES budgets (id) ON DELETE CASCADE,
    api_key_id         INTEGER REFERENCES api_keys (id) ON DELETE CASCADE,
    -- The budget's terms the marks were made under ("<amount>/<period>/<thresholds>"):
    -- other terms re-arm it.
    terms              TEXT    NOT NULL,
    -- When the budget was (re-)armed: part of each alert's idempotency key.
    armed_at           TEXT    NOT NULL,
    period_start       TEXT    NOT NULL,
    fired_percent      INTEGER NOT NULL DEFAULT 0 CHECK (fired_percent BETWEEN 0 AND 100),
    projection_alerted INTEGER NOT NULL DEFAULT 0 CHECK (projection_alerted IN (0, 1)),
    updated_at         TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX alert_marks_user ON alert_marks (user_id);

-- When each key was last seen spending, to notice a forgotten key waking up.
CREATE TABLE key_activity_marks (
    api_key_id     INTEGER PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
    snapshot_usage INTEGER NOT NULL,
    last_spent_at  TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);

CREATE TABLE alert_events (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Once per budget, period and threshold (or per wake-up): a re-run of
    -- the same evaluation inserts nothing.
    dedup_key    TEXT    NOT NULL,
    type         TEXT    NOT NULL CHECK (type IN ('budget.threshold_reached', 'budget.projected_exhaustion',
                                                  'budget.recovered', 'key.woke_up', 'test')),
    api_key_id   INTEGER,   -- kept (not a foreign key) so history survives the key
    -- The event as delivered (JSON), rendered once.
    payload      TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
);
CREATE UNIQUE INDEX alert_events_dedup ON alert_events (user_id, dedup_key);
CREATE INDEX alert_events_user_time ON alert_events (user_id, created_at);

CREATE TABLE webhooks (
    id                INTEGER PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name              TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    url               TEXT    NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    format            TEXT    NOT NULL DEFAULT 'json' CHECK (format IN ('json', 'slack')),
    -- The signing secret, sealed like OpenRouter keys (AES-256-GCM).
    secret_ciphertext TEXT,
    secret_nonce      TEXT,
    is_active         INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL
);
CREATE INDEX webhooks_user ON webhooks (user_id);

CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY,
    webhook_id   INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id     INTEGER NOT NULL REFERENCES alert_events (id) ON DELETE CASCADE,
    -- 'sending': claimed by a run until `claimed_until` (overlapping runs
    -- never send one delivery twice; a run that died lets go when it passes).
    status       TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'sending', 'retrying', 'delivered', 'failed')),
    claimed_until TEXT,
    -- JSON array of {at, status_code, error, duration_ms}.
    attempts     TEXT    NOT NULL DEFAULT '[]',
    attempt_count INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    delivered_at TEXT
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (webhook_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (id) WHERE status IN ('pending', 'sending', 'retrying');
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
