-- Alerts you can bet on: fair, spaced webhook retries; what a password
-- change revokes; the bounds each account lives within.
--
-- (Alerts are now keyed by a budget's terms, period and line rather than
-- by `alert_marks.armed_at`, which stays as a record of when a budget was
-- armed: see src/alerts/marks.rs.)

-- When a `retrying` delivery may be tried again: later runs try it once
-- each, after a growing wait (src/webhooks/attempts.rs). NULL: at once.
ALTER TABLE webhook_deliveries ADD COLUMN next_attempt_at TEXT;

-- The session (JWT id) that created an API token or a webhook. A password
-- change revokes the tokens and pauses the webhooks other sessions created
-- (a thief's session included). NULL for rows made before this column:
-- they count as another session's.
ALTER TABLE api_tokens ADD COLUMN created_by_session TEXT;
ALTER TABLE webhooks ADD COLUMN created_by_session TEXT;
