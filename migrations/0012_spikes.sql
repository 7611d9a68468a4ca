-- Spend spikes and the drift check (docs/alerts.md).
--
-- How readily an account hears of spikes: off, low, normal (the default),
-- high.
ALTER TABLE users ADD COLUMN spike_sensitivity TEXT NOT NULL DEFAULT 'normal'
    CHECK (spike_sensitivity IN ('off', 'low', 'normal', 'high'));

-- Where each subject's spike episodes are: the hour the current (or last)
-- one began and its latest spike hour. A spike hour at or before
-- last_spike was seen; one within six hours of it continues the episode.
-- subject: 'key:<id>' or 'account'.
CREATE TABLE spike_marks (
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject       TEXT    NOT NULL,
    api_key_id    INTEGER REFERENCES api_keys (id) ON DELETE CASCADE,
    episode_start TEXT    NOT NULL,
    last_spike    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (user_id, subject)
);

-- Days whose /activity rows and running total disagreed, with both figures
-- (units of 1e-10 USD) as first found: the key row shows the latest.
CREATE TABLE key_drift (
    api_key_id    INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    day           TEXT    NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    activity      INTEGER NOT NULL,
    running_total INTEGER NOT NULL,
    detected_at   TEXT    NOT NULL,
    PRIMARY KEY (api_key_id, day)
);
