-- Keys known by their hash only, watched through a management key.
--
-- OpenRouter's management API names a key by its `hash`, the SHA-256 hex of
-- the key: the `key_hash` every row has held since 0001 (and what
-- `/activity?api_key_hash=` has always been given), so no column or backfill
-- is needed to match a listing's keys to the stored ones.
--
-- What is new is a key imported from a management key's listing
-- (`POST /api/keys/import`) without its secret: `key_ciphertext` and
-- `key_nonce` stay NULL (both columns are nullable since 0001), `key_preview`
-- holds OpenRouter's masked `label`, and `watched_via` names the management
-- key (a row of the same user) whose listing it is synced from. Such a key is
-- never validated or synced by `GET /key` (it has no secret to send).
--
-- The reference is checked at the end of each statement (NO ACTION): a
-- management key that still has watched keys cannot be deleted alone (the
-- handler answers 409 first), while deleting the account removes both in one
-- cascade.
ALTER TABLE api_keys ADD COLUMN watched_via INTEGER REFERENCES api_keys (id);
CREATE INDEX api_keys_watched_via ON api_keys (watched_via) WHERE watched_via IS NOT NULL;
