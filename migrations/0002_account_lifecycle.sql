-- Account lifecycle: accounts can be deleted and passwords changed.
--
-- 1. users.id is never reused. A session names its user by id (JWT `sub`);
--    if a deleted account's id went to the next sign-up, the deleted
--    account's live session would act as the new account. SQLite hands out
--    MAX(id) + 1 without AUTOINCREMENT, and adding AUTOINCREMENT means
--    rebuilding `users`, whose DROP cascades into every key, snapshot and
--    usage row (measured on local D1, even with defer_foreign_keys). So the
--    highest id ever deleted is remembered here, new ids are allocated above
--    it (store/users.rs), and an insert that would reuse one is refused.
CREATE TABLE user_id_high_water (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    id        INTEGER NOT NULL
);
INSERT INTO user_id_high_water (singleton, id) SELECT 1, COALESCE(MAX(id), 0) FROM users;

CREATE TRIGGER users_remember_deleted_id AFTER DELETE ON users
BEGIN
    UPDATE user_id_high_water SET id = MAX(id, OLD.id) WHERE singleton = 1;
END;

-- An insert without an explicit id (NEW.id is -1 in a BEFORE trigger then)
-- is refused too: every writer must allocate above the high-water mark.
CREATE TRIGGER users_never_reuse_an_id BEFORE INSERT ON users
WHEN NEW.id <= (SELECT id FROM user_id_high_water WHERE singleton = 1)
BEGIN
    SELECT RAISE(ABORT, 'users.id would reuse a deleted account''s id');
END;

-- 2. Sessions carry the epoch they were issued in (JWT claim `epoch`); a
--    password change moves the account to the next epoch, which ends every
--    session issued before it.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0 CHECK (session_epoch >= 0);
