-- Who created each key on OpenRouter (README, "Spend by member"): the
-- `creator_user_id` OpenRouter gives with a key (`/key`, and each key of a
-- management key's listing), recorded by every successful sync. NULL until
-- a sync has read it, or when OpenRouter does not say.
ALTER TABLE api_keys ADD COLUMN creator_user_id TEXT;
