-- Integrations: a time-zone preference, and the hourly spend curve.

-- The user's IANA time zone (`Europe/Rome`): local daily totals and the
-- hourly curve follow it unless a request names another (`?tz=`).
ALTER TABLE users ADD COLUMN tz TEXT NOT NULL DEFAULT 'UTC' CHECK (length(tz) BETWEEN 1 AND 64);

-- The hourly curve reads snapshots by OpenRouter's clock (served_at, the
-- Worker's when unknown), key by key.
CREATE INDEX key_snapshots_key_observed ON key_snapshots (api_key_id, COALESCE(served_at, taken_at));
