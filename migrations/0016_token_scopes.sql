-- Scoped API tokens: what a token may read (a bit set of the four read
-- scopes: 1 stats:read, 2 usage:read, 4 keys:read, 8 metrics:read), until
-- when, and optionally which keys. Existing tokens keep full read access,
-- never expire and see every key: nothing they could do before changes.
ALTER TABLE api_tokens ADD COLUMN scopes INTEGER NOT NULL DEFAULT 15 CHECK (scopes BETWEEN 1 AND 15);
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
-- 1: the token sees only the keys in api_token_keys (none left, nothing).
-- A flag rather than "has rows", so deleting a token's last key never
-- widens it to the whole account.
ALTER TABLE api_tokens ADD COLUMN key_limited INTEGER NOT NULL DEFAULT 0 CHECK (key_limited IN (0, 1));

-- Key ids are reused after a delete (INTEGER PRIMARY KEY): the cascade
-- drops a deleted key from every token, so a later key with its id is not
-- seen through an old token.
CREATE TABLE api_token_keys (
    token_id   INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    api_key_id INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    PRIMARY KEY (token_id, api_key_id)
) WITHOUT ROWID;
CREATE INDEX api_token_keys_key ON api_token_keys (api_key_id);

-- The weekly cleanup deletes tokens expired for more than 30 days.
CREATE INDEX api_tokens_expires_at ON api_tokens (expires_at) WHERE expires_at IS NOT NULL;
