//! Password hashing: argon2id, parameters chosen for a Worker's CPU budget.
//!
//! Parameters: m = 19,456 KiB, t = 2, p = 1 — OWASP's recommended minimum
//! for argon2id (Password Storage Cheat Sheet). Measured inside workerd on
//! this project's machines: ~35 ms of CPU per hash or verify. That is above
//! the Workers *free* plan's 10 ms CPU limit and well inside the paid plan's
//! (30 s default), so production runs on a paid plan; cheaper parameters
//! were rejected because a weaker hash protects every stored password,
//! while the cost is paid only on register and login, never on the public
//! API path (API tokens are SHA-256 looked up).
//!
//! Unknown emails are verified against [`DUMMY_HASH`] (same parameters) so
//! that "no such user" and "wrong password" cost the same time.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{AppError, AppResult};

pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// A hash of a random, discarded password, with the parameters above.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$v/EKhYbIFp6fukz2PlNwuA$eI5+vXObu7MRig+CzP9WjeT3xkTrabNdW3E3eYp4mx0";

fn hasher() -> AppResult<Argon2<'static>> {
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).map_err(AppError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) with a fresh
/// 16-byte random salt.
pub fn hash(password: &str) -> AppResult<String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(AppError::internal)?;
    let salt = SaltString::encode_b64(&salt).map_err(AppError::internal)?;
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// Whether `password` matches `phc`. Verification uses the parameters stored
/// in the hash, so old hashes keep working if the parameters change.
pub fn verify(password: &str, phc: &str) -> AppResult<bool> {
    let parsed = PasswordHash::new(phc).map_err(AppError::internal)?;
    match hasher()?.verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(AppError::internal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash("correct horse battery staple").unwrap();
        let b = hash("correct horse battery staple").unwrap();
        assert_ne!(a, b, "salts must differ");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery staple", &a).unwrap());
        assert!(!verify("correct horse battery stapler", &a).unwrap());
    }

    #[test]
    fn dummy_hash_uses_the_same_parameters() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        let real = hash("x").unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(parsed.algorithm, real.algorithm);
        assert_eq!(parsed.params, real.params);
        assert_eq!(parsed.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
        assert!(!verify("anything at all", DUMMY_HASH).unwrap());
    }
}
