-- Sign-in through Cloudflare Access (README, "Cloudflare Access"): an
-- account created by an Access sign-in has no password. password_hash stays
-- NOT NULL (rebuilding users, which every table references with ON DELETE
-- CASCADE, would risk the data it exists to keep): such an account stores
-- the marker '$argon2id$none', which is no PHC string and so verifies no
-- password, and has_password = 0, which the login reads to refuse it
-- before any hash work. The CHECK keeps the two in step: a marker is never
-- a password account's hash, a password-less account never holds a hash.
-- Every existing account has a password: the default keeps it so.
ALTER TABLE users ADD COLUMN has_password INTEGER NOT NULL DEFAULT 1
    CHECK (has_password IN (0, 1) AND (has_password = 0) = (password_hash = '$argon2id$none'));
