-- The audit log: every change made to an account, by its user or by the
-- product (src/store/audit_log.rs, core/src/domain/audit.rs).
--
-- Kept one year (the weekly cleanup deletes older rows by `at`), deleted
-- with the account (cascade). `api_key_id` is a plain id, not a foreign key:
-- a key's history outlives the key. `before`, `after` and `reference` are
-- JSON objects of the changed fields only (or NULL), never a secret.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at            TEXT    NOT NULL,
    actor         TEXT    NOT NULL CHECK (actor IN ('user', 'product')),
    actor_user_id INTEGER CHECK ((actor = 'user') = (actor_user_id IS NOT NULL)),
    kind          TEXT    NOT NULL CHECK (kind GLOB '[a-z]*.[a-z]*'),
    api_key_id    INTEGER,
    subject       TEXT    NOT NULL CHECK (length(subject) <= 200),
    before        TEXT    CHECK (before IS NULL OR json_type(before) = 'object'),
    after         TEXT    CHECK (after IS NULL OR json_type(after) = 'object'),
    reference     TEXT    CHECK (reference IS NULL OR json_type(reference) = 'object')
);
-- An account's entries, newest first; by key; and by age for the cleanup.
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_user_key ON audit_log (user_id, api_key_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
