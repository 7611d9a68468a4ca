//! Accounts and credentials: argon2id passwords, HS256 session JWTs with a
//! `jti` denylist, login throttling, and API tokens for the public API.

pub mod handlers;
pub mod jwt;
pub mod password;
pub mod session;
pub mod settings;
pub mod tokens;
