-- E-mail and digests (README, "E-mail and digests").
--
-- One address per account, used only once confirmed through a signed
-- link. `nonce` is random per address set and signed into every link of
-- that address: setting a new address makes the older links worthless.
CREATE TABLE email_addresses (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    address       TEXT    NOT NULL CHECK (length(address) BETWEEN 3 AND 254),
    status        TEXT    NOT NULL CHECK (status IN ('unconfirmed', 'confirmed', 'unsubscribed')),
    nonce         TEXT    NOT NULL,
    confirmed_at  TEXT,
    updated_at    TEXT    NOT NULL
);

-- Every message asked for, sent or refused: the daily cap counts the sent
-- ones of the account's UTC day, and a refused one stays on record.
CREATE TABLE email_sends (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day         TEXT    NOT NULL,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('confirmation', 'digest', 'preview')),
    status      TEXT    NOT NULL CHECK (status IN ('sent', 'capped', 'failed')),
    created_at  TEXT    NOT NULL
);
CREATE INDEX email_sends_user_day ON email_sends (user_id, day, status);

-- What digests an account wants, and where: e-mail (the confirmed
-- address) or one of its webhooks.
CREATE TABLE digest_settings (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    schedule    TEXT    NOT NULL DEFAULT 'off' CHECK (schedule IN ('off', 'weekly', 'monthly', 'both')),
    channel     TEXT    NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'webhook')),
    webhook_id  INTEGER REFERENCES webhooks (id) ON DELETE SET NULL,
    updated_at  TEXT    NOT NULL
);

-- One row per account, kind and period, claimed before anything is sent:
-- a re-run, or two overlapping runs, find it taken and send nothing.
CREATE TABLE digest_runs (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('weekly', 'monthly')),
    period_start  TEXT    NOT NULL,
    period_end    TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('claimed', 'sent', 'capped', 'failed', 'skipped')),
    detail        TEXT,
    claimed_at    TEXT    NOT NULL,
    finished_at   TEXT,
    UNIQUE (user_id, kind, period_start)
);
