-- Organisations (README, "Teams"): everything an account owned now belongs
-- to an organisation, and people belong to organisations with a role.
--
-- Nothing moves. `users` is renamed to `organisations`, and SQLite points
-- every `REFERENCES users` of every table at the new name by itself: each
-- key, snapshot, usage row, budget, policy action, webhook, alert, token and
-- audit row stays where it is, under the same id, which is now the id of
-- its organisation. Rebuilding those tables instead would cascade-delete
-- their children (migration 0002 measured it, even with
-- defer_foreign_keys). The person's own columns (e-mail, password, session
-- epoch) are copied into a new `users` table under the same ids, and each
-- person is made the owner of the organisation that keeps their data. So
-- every figure every endpoint answers is the same before and after (tested
-- on a populated database: tests/api/organisations.rs).
--
-- What stays with the organisation: its time zone, spike sensitivity and
-- alert e-mail severity (the days and alerts are the team's), its alert
-- address, digests and e-mail cap.

ALTER TABLE users RENAME TO organisations;

-- Organisation ids are never reused either (an old dashboard tab or an
-- invitation names one): the high-water mark of migration 0002 now guards
-- them, under an honest name.
DROP TRIGGER users_remember_deleted_id;
DROP TRIGGER users_never_reuse_an_id;
ALTER TABLE user_id_high_water RENAME TO organisation_id_high_water;
CREATE TRIGGER organisations_remember_deleted_id AFTER DELETE ON organisations
BEGIN
    UPDATE organisation_id_high_water SET id = MAX(id, OLD.id) WHERE singleton = 1;
END;
CREATE TRIGGER organisations_never_reuse_an_id BEFORE INSERT ON organisations
WHEN NEW.id <= (SELECT id FROM organisation_id_high_water WHERE singleton = 1)
BEGIN
    SELECT RAISE(ABORT, 'organisations.id would reuse a deleted organisation''s id');
END;

-- People. The same rules as before (migrations 0001, 0002, 0018).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    password_hash TEXT    NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    has_password  INTEGER NOT NULL DEFAULT 1
        CHECK (has_password IN (0, 1) AND (has_password = 0) = (password_hash = '$argon2id$none')),
    session_epoch INTEGER NOT NULL DEFAULT 0 CHECK (session_epoch >= 0),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
INSERT INTO users (id, email, password_hash, has_password, session_epoch, created_at, updated_at)
SELECT id, email, password_hash, has_password, session_epoch, created_at, updated_at
FROM organisations;
DROP INDEX users_email;
CREATE UNIQUE INDEX users_email ON users (email);

-- A session names its person by id (JWT `sub`): never reused (0002).
CREATE TABLE user_id_high_water (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    id        INTEGER NOT NULL
);
INSERT INTO user_id_high_water (singleton, id)
SELECT 1, id FROM organisation_id_high_water WHERE singleton = 1;
CREATE TRIGGER users_remember_deleted_id AFTER DELETE ON users
BEGIN
    UPDATE user_id_high_water SET id = MAX(id, OLD.id) WHERE singleton = 1;
END;
CREATE TRIGGER users_never_reuse_an_id BEFORE INSERT ON users
WHEN NEW.id <= (SELECT id FROM user_id_high_water WHERE singleton = 1)
BEGIN
    SELECT RAISE(ABORT, 'users.id would reuse a deleted account''s id');
END;

-- The person's columns leave the organisation (has_password first: its
-- CHECK names password_hash).
ALTER TABLE organisations ADD COLUMN name TEXT NOT NULL DEFAULT 'Personal'
    CHECK (length(name) BETWEEN 1 AND 100);
ALTER TABLE organisations DROP COLUMN has_password;
ALTER TABLE organisations DROP COLUMN password_hash;
ALTER TABLE organisations DROP COLUMN session_epoch;
ALTER TABLE organisations DROP COLUMN email;

CREATE TABLE memberships (
    org_id    INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    joined_at TEXT    NOT NULL,
    PRIMARY KEY (org_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_id, org_id);
INSERT INTO memberships (org_id, user_id, role, joined_at)
SELECT id, id, 'owner', created_at FROM organisations;

-- The owner column says what it holds. SQLite rewrites the indexes and the
-- rollup triggers that name these columns.
ALTER TABLE api_keys RENAME COLUMN user_id TO org_id;
ALTER TABLE usage_stats RENAME COLUMN user_id TO org_id;
ALTER TABLE api_tokens RENAME COLUMN user_id TO org_id;
ALTER TABLE usage_user_day RENAME COLUMN user_id TO org_id;
ALTER TABLE usage_user_day RENAME TO usage_org_day;
ALTER TABLE usage_user_day_model RENAME COLUMN user_id TO org_id;
ALTER TABLE usage_user_day_model RENAME TO usage_org_day_model;
ALTER TABLE budgets RENAME COLUMN user_id TO org_id;
ALTER TABLE alert_marks RENAME COLUMN user_id TO org_id;
ALTER TABLE alert_events RENAME COLUMN user_id TO org_id;
ALTER TABLE webhooks RENAME COLUMN user_id TO org_id;
ALTER TABLE audit_log RENAME COLUMN user_id TO org_id;
ALTER TABLE key_actions RENAME COLUMN user_id TO org_id;
ALTER TABLE spike_marks RENAME COLUMN user_id TO org_id;
ALTER TABLE email_addresses RENAME COLUMN user_id TO org_id;
ALTER TABLE email_sends RENAME COLUMN user_id TO org_id;
ALTER TABLE digest_settings RENAME COLUMN user_id TO org_id;
ALTER TABLE digest_runs RENAME COLUMN user_id TO org_id;

-- The rollup triggers, written again: renaming a table rewrites the
-- `excluded.` of the upserts in triggers that name it into the table's own
-- name (SQLite 3.40 here and in workerd: `cost + "usage_org_day".cost`,
-- which doubles instead of adding; tests/api/organisations.rs caught it).
DROP TRIGGER usage_stats_rollup_insert;
DROP TRIGGER usage_stats_rollup_update;
DROP TRIGGER usage_stats_rollup_delete;

CREATE TRIGGER usage_stats_rollup_insert AFTER INSERT ON usage_stats
BEGIN
    INSERT INTO usage_org_day (org_id, date, requests_count, tokens_input, tokens_output, cost)
    VALUES (NEW.org_id, NEW.date, NEW.requests_count, NEW.tokens_input, NEW.tokens_output, NEW.cost)
    ON CONFLICT (org_id, date) DO UPDATE SET
        requests_count = requests_count + excluded.requests_count,
        tokens_input   = tokens_input + excluded.tokens_input,
        tokens_output  = tokens_output + excluded.tokens_output,
        cost           = cost + excluded.cost;
    INSERT INTO usage_org_day_model (org_id, date, model, requests_count, tokens_input, tokens_output, cost, sources)
    VALUES (NEW.org_id, NEW.date, NEW.model, NEW.requests_count, NEW.tokens_input, NEW.tokens_output, NEW.cost, 1)
    ON CONFLICT (org_id, date, model) DO UPDATE SET
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
    UPDATE usage_org_day SET
        requests_count = requests_count - OLD.requests_count + NEW.requests_count,
        tokens_input   = tokens_input - OLD.tokens_input + NEW.tokens_input,
        tokens_output  = tokens_output - OLD.tokens_output + NEW.tokens_output,
        cost           = cost - OLD.cost + NEW.cost
    WHERE org_id = NEW.org_id AND date = NEW.date;
    UPDATE usage_org_day_model SET
        requests_count = requests_count - OLD.requests_count + NEW.requests_count,
        tokens_input   = tokens_input - OLD.tokens_input + NEW.tokens_input,
        tokens_output  = tokens_output - OLD.tokens_output + NEW.tokens_output,
        cost           = cost - OLD.cost + NEW.cost
    WHERE org_id = NEW.org_id AND date = NEW.date AND model = NEW.model;
    UPDATE usage_key_total SET
        requests_count = requests_count - OLD.requests_count + NEW.requests_count,
        cost           = cost - OLD.cost + NEW.cost
    WHERE api_key_id = NEW.api_key_id;
END;

CREATE TRIGGER usage_stats_rollup_delete AFTER DELETE ON usage_stats
BEGIN
    UPDATE usage_org_day SET
        requests_count = requests_count - OLD.requests_count,
        tokens_input   = tokens_input - OLD.tokens_input,
        tokens_output  = tokens_output - OLD.tokens_output,
        cost           = cost - OLD.cost
    WHERE org_id = OLD.org_id AND date = OLD.date;
    DELETE FROM usage_org_day
    WHERE org_id = OLD.org_id AND date = OLD.date
      AND NOT EXISTS (SELECT 1 FROM usage_stats WHERE org_id = OLD.org_id AND date = OLD.date);
    UPDATE usage_org_day_model SET
        requests_count = requests_count - OLD.requests_count,
        tokens_input   = tokens_input - OLD.tokens_input,
        tokens_output  = tokens_output - OLD.tokens_output,
        cost           = cost - OLD.cost,
        sources        = sources - 1
    WHERE org_id = OLD.org_id AND date = OLD.date AND model = OLD.model;
    DELETE FROM usage_org_day_model
    WHERE org_id = OLD.org_id AND date = OLD.date AND model = OLD.model AND sources <= 0;
    UPDATE usage_key_total SET
        requests_count = requests_count - OLD.requests_count,
        cost           = cost - OLD.cost
    WHERE api_key_id = OLD.api_key_id;
END;

-- Who added a key, for spend by member; each key so far was added by the
-- organisation's one person.
ALTER TABLE api_keys ADD COLUMN added_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
UPDATE api_keys SET added_by = org_id;

-- Who set the alert address: a click on its confirmation or unsubscribe
-- link is recorded as theirs in the audit log.
ALTER TABLE email_addresses ADD COLUMN set_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
UPDATE email_addresses SET set_by = org_id;
