-- OpenRouter Watcher: initial schema.
--
-- Conventions
--   * Timestamps are RFC 3339 UTC strings ("2026-11-25T20:29:17Z"), dates are
--     "YYYY-MM-DD" UTC days: both sort lexically in time order.
--   * Money is a fixed-point INTEGER in units of 1e-10 USD (OpenRouter reports
--     up to 10 decimals). Sums stay integers; the Worker reads them with
--     CAST(... AS TEXT) because D1 hands INTEGERs to JavaScript as doubles.
--   * Booleans are INTEGER 0/1 with a CHECK.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    password_hash TEXT    NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE api_keys (
    id                INTEGER PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name              TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind              TEXT    NOT NULL DEFAULT 'inference' CHECK (kind IN ('inference', 'management')),
    -- base64(version byte || AES-256-GCM ciphertext+tag); NULL only for the
    -- instant between the row's INSERT and the UPDATE that seals it (the
    -- associated data binds the ciphertext to this row's id).
    key_ciphertext    TEXT,
    key_nonce         TEXT,
    key_preview       TEXT    NOT NULL,
    key_hash          TEXT    NOT NULL CHECK (length(key_hash) = 64),
    is_active         INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    validation_status TEXT    NOT NULL DEFAULT 'unknown' CHECK (validation_status IN ('unknown', 'valid', 'invalid')),
    last_validated_at TEXT,
    last_synced_at    TEXT,
    last_sync_error   TEXT,
    -- Last completed UTC day whose activity is known final (older than the
    -- refetch window); the sync resumes from here.
    activity_synced_through TEXT,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL
);
CREATE UNIQUE INDEX api_keys_user_key_hash ON api_keys (user_id, key_hash);
CREATE UNIQUE INDEX api_keys_user_name ON api_keys (user_id, name);
CREATE INDEX api_keys_sync_order ON api_keys (is_active, last_synced_at);

CREATE TABLE key_snapshots (
    id                INTEGER PRIMARY KEY,
    api_key_id        INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    taken_at          TEXT    NOT NULL,
    -- UTC day of taken_at, so day-boundary arithmetic is an indexed lookup.
    taken_on          TEXT    NOT NULL,
    label             TEXT,
    credit_limit      INTEGER,          -- NULL: unlimited
    limit_remaining   INTEGER,          -- NULL: unlimited
    limit_reset       TEXT,
    usage             INTEGER NOT NULL,
    usage_daily       INTEGER NOT NULL,
    usage_weekly      INTEGER NOT NULL,
    usage_monthly     INTEGER NOT NULL,
    is_free_tier      INTEGER NOT NULL CHECK (is_free_tier IN (0, 1)),
    rate_limit_requests INTEGER,
    rate_limit_interval TEXT
);
CREATE INDEX key_snapshots_key_time ON key_snapshots (api_key_id, taken_at);
CREATE INDEX key_snapshots_taken_at ON key_snapshots (taken_at);

CREATE TABLE usage_stats (
    id              INTEGER PRIMARY KEY,
    api_key_id      INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    -- Denormalised owner: the rollup triggers need it even while a cascade
    -- is deleting the parent key.
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date            TEXT    NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    model           TEXT    NOT NULL,
    requests_count  INTEGER NOT NULL DEFAULT 0 CHECK (requests_count >= 0),
    tokens_input    INTEGER NOT NULL DEFAULT 0 CHECK (tokens_input >= 0),
    tokens_output   INTEGER NOT NULL DEFAULT 0 CHECK (tokens_output >= 0),
    cost            INTEGER NOT NULL DEFAULT 0,
    source          TEXT    NOT NULL CHECK (source IN ('activity', 'key_totals')),
    updated_at      TEXT    NOT NULL
);
CREATE UNIQUE INDEX usage_stats_key_date_model ON usage_stats (api_key_id, date, model);
CREATE INDEX usage_stats_user_date ON usage_stats (user_id, date);
CREATE INDEX usage_stats_date ON usage_stats (date);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash   TEXT    NOT NULL CHECK (length(token_hash) = 64),
    token_prefix TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    last_used_at TEXT,
    is_active    INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    revoked_at   TEXT
);
CREATE UNIQUE INDEX api_tokens_token_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id, is_active);

CREATE TABLE revoked_sessions (
    jti        TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
);
CREATE INDEX revoked_sessions_expires_at ON revoked_sessions (expires_at);

CREATE TABLE job_runs (
    id            INTEGER PRIMARY KEY,
    job           TEXT    NOT NULL,
    cron          TEXT    NOT NULL,
    started_at    TEXT    NOT NULL,
    finished_at   TEXT,
    status        TEXT    NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    keys_ok       INTEGER NOT NULL DEFAULT 0,
    keys_failed   INTEGER NOT NULL DEFAULT 0,
    keys_deferred INTEGER NOT NULL DEFAULT 0,
    rows_written  INTEGER NOT NULL DEFAULT 0,
    rows_deleted  INTEGER NOT NULL DEFAULT 0,
    subrequests   INTEGER NOT NULL DEFAULT 0,
    duration_ms   INTEGER,
    error         TEXT
);
CREATE INDEX job_runs_started_at ON job_runs (started_at);
CREATE INDEX job_runs_job ON job_runs (job, started_at);

-- Rollups for the public API: maintained by triggers on usage_stats so every
-- path that writes usage (sync, cascade deletes, cleanup) keeps them exact.
-- A public request reads at most 365 rollup rows instead of summing raw rows.
CREATE TABLE usage_user_day (
    user_id        INTEGER NOT NULL,
    date           TEXT    NOT NULL,
    requests_count INTEGER NOT NULL,
    tokens_input   INTEGER NOT NULL,
    tokens_output  INTEGER NOT NULL,
    cost           INTEGER NOT NULL,
    PRIMARY KEY (user_id, date)
) WITHOUT ROWID;

CREATE TABLE usage_user_day_model (
    user_id        INTEGER NOT NULL,
    date           TEXT    NOT NULL,
    model          TEXT    NOT NULL,
    requests_count INTEGER NOT NULL,
    tokens_input   INTEGER NOT NULL,
    tokens_output  INTEGER NOT NULL,
    cost           INTEGER NOT NULL,
    -- How many usage_stats rows feed this one, so it disappears with the last.
    sources        INTEGER NOT NULL,
    PRIMARY KEY (user_id, date, model)
) WITHOUT ROWID;

CREATE TABLE usage_key_total (
    api_key_id     INTEGER PRIMARY KEY,
    requests_count INTEGER NOT NULL,
    cost           INTEGER NOT NULL
);

CREATE TRIGGER usage_stats_rollup_insert AFTER INSERT ON usage_stats
BEGIN
    INSERT INTO usage_user_day (user_id, date, requests_count, tokens_input, tokens_output, cost)
    VALUES (NEW.user_id, NEW.date, NEW.requests_count, NEW.tokens_input, NEW.tokens_output, NEW.cost)
    ON CONFLICT (user_id, date) DO UPDATE SET
        requests_count = requests_count + excluded.requests_count,
        tokens_input   = tokens_input + excluded.tokens_input,
        tokens_output  = tokens_output + excluded.tokens_output,
        cost           = cost + excluded.cost;
    INSERT INTO usage_user_day_model (user_id, date, model, requests_count, tokens_input, tokens_output, cost, sources)
    VALUES (NEW.user_id, NEW.date, NEW.model, NEW.requests_count, NEW.tokens_input, NEW.tokens_output, NEW.cost, 1)
    ON CONFLICT (user_id, date, model) DO UPDATE SET
        requests_count = requests_count + excluded.requests_count,
        tokens_input   = tokens_input + excluded.tokens_input,
        tokens_output  = tokens_output + excluded.tokens_output,
        cost           = cost + excluded.cost,
        sources        = sources + 1;
    INSERT INTO usage_key_total (api_key_id, requests_count, cost)
    VALUES (NEW.api_key_id, NEW.requests_count, NEW.cost)
    ON CONFLICT (api_key_id) DO UPDATE SET
        requests_count = requests_count + excluded.requests_count,
        cost           = cost + excluded.cost;
END;

CREATE TRIGGER usage_stats_rollup_update AFTER UPDATE ON usage_stats
BEGIN
    UPDATE usage_user_day SET
        requests_count = requests_count - OLD.requests_count + NEW.requests_count,
        tokens_input   = tokens_input - OLD.tokens_input + NEW.tokens_input,
        tokens_output  = tokens_output - OLD.tokens_output + NEW.tokens_output,
        cost           = cost - OLD.cost + NEW.cost
    WHERE user_id = NEW.user_id AND date = NEW.date;
    UPDATE usage_user_day_model SET
        requests_count = requests_count - OLD.requests_count + NEW.requests_count,
        tokens_input   = tokens_input - OLD.tokens_input + NEW.tokens_input,
        tokens_output  = tokens_output - OLD.tokens_output + NEW.tokens_output,
        cost           = cost - OLD.cost + NEW.cost
    WHERE user_id = NEW.user_id AND date = NEW.date AND model = NEW.model;
    UPDATE usage_key_total SET
        requests_count = requests_count - OLD.requests_count + NEW.requests_count,
        cost           = cost - OLD.cost + NEW.cost
    WHERE api_key_id = NEW.api_key_id;
END;

CREATE TRIGGER usage_stats_rollup_delete AFTER DELETE ON usage_stats
BEGIN
    UPDATE usage_user_day SET
        requests_count = requests_count - OLD.requests_count,
        tokens_input   = tokens_input - OLD.tokens_input,
        tokens_output  = tokens_output - OLD.tokens_output,
        cost           = cost - OLD.cost
    WHERE user_id = OLD.user_id AND date = OLD.date;
    DELETE FROM usage_user_day
    WHERE user_id = OLD.user_id AND date = OLD.date
      AND NOT EXISTS (SELECT 1 FROM usage_stats WHERE user_id = OLD.user_id AND date = OLD.date);
    UPDATE usage_user_day_model SET
        requests_count = requests_count - OLD.requests_count,
        tokens_input   = tokens_input - OLD.tokens_input,
        tokens_output  = tokens_output - OLD.tokens_output,
        cost           = cost - OLD.cost,
        sources        = sources - 1
    WHERE user_id = OLD.user_id AND date = OLD.date AND model = OLD.model;
    DELETE FROM usage_user_day_model
    WHERE user_id = OLD.user_id AND date = OLD.date AND model = OLD.model AND sources <= 0;
    UPDATE usage_key_total SET
        requests_count = requests_count - OLD.requests_count,
        cost           = cost - OLD.cost
    WHERE api_key_id = OLD.api_key_id;
END;

-- The key's own total goes with the key (its usage rows are gone by then).
CREATE TRIGGER api_keys_rollup_delete AFTER DELETE ON api_keys
BEGIN
    DELETE FROM usage_key_total WHERE api_key_id = OLD.id;
END;
