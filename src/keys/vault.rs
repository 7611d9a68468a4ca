//! Encryption at rest for OpenRouter keys: AES-256-GCM.
//!
//! * A fresh random 96-bit nonce per encryption (two seals of one key differ).
//! * Associated data binds a ciphertext to its row: `org_id` and the
//!   `api_keys.id`, so a ciphertext copied to another row or organisation
//!   fails to open instead of handing one organisation's key to another.
//!   The text still says `user:`: migration 0019 kept each account's id as
//!   its organisation's, so every ciphertext sealed before it still opens.
//! * Webhook signing secrets are sealed the same way, bound to their
//!   `webhooks` row (another associated data: neither opens as the other);
//!   so are PagerDuty routing keys (a third: it never opens as a secret).
//! * A version byte leads the stored ciphertext, so a future key rotation can
//!   tell old ciphertexts from new ones.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::error::{AppError, AppResult};

const VERSION: u8 = 1;

/// What is stored in `api_keys.key_ciphertext` and `key_nonce` (base64).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub ciphertext: String,
    pub nonce: String,
}

pub struct Vault {
    cipher: Aes256Gcm,
}

fn associated_data(org_id: i64, key_id: i64) -> Vec<u8> {
    format!("openrouter-watcher/api_keys/v{VERSION}/user:{org_id}/key:{key_id}").into_bytes()
}

fn webhook_associated_data(org_id: i64, webhook_id: i64) -> Vec<u8> {
    format!("openrouter-watcher/webhooks/v{VERSION}/user:{org_id}/webhook:{webhook_id}")
        .into_bytes()
}

fn routing_key_associated_data(org_id: i64, webhook_id: i64) -> Vec<u8> {
    format!("openrouter-watcher/webhooks/v{VERSION}/user:{org_id}/webhook:{webhook_id}/routing_key")
        .into_bytes()
}

impl Vault {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        }
    }

    pub fn seal(&self, plaintext: &str, org_id: i64, key_id: i64) -> AppResult<Sealed> {
        self.seal_with(plaintext, &associated_data(org_id, key_id))
    }

    /// The plaintext key, or an error that says only that it cannot be opened
    /// (wrong row, wrong `ENCRYPTION_KEY`, or tampering).
    pub fn open(&self, sealed: &Sealed, org_id: i64, key_id: i64) -> AppResult<String> {
        self.open_with(sealed, &associated_data(org_id, key_id))
            .map_err(|()| AppError::internal(format!("stored key {key_id} cannot be decrypted")))
    }

    pub fn seal_webhook_secret(
        &self,
        secret: &str,
        org_id: i64,
        webhook_id: i64,
    ) -> AppResult<Sealed> {
        self.seal_with(secret, &webhook_associated_data(org_id, webhook_id))
    }

    pub fn open_webhook_secret(
        &self,
        sealed: &Sealed,
        org_id: i64,
        webhook_id: i64,
    ) -> AppResult<String> {
        self.open_with(sealed, &webhook_associated_data(org_id, webhook_id))
            .map_err(|()| {
                AppError::internal(format!("webhook {webhook_id}'s secret cannot be decrypted"))
            })
    }

    pub fn seal_routing_key(&self, key: &str, org_id: i64, webhook_id: i64) -> AppResult<Sealed> {
        self.seal_with(key, &routing_key_associated_data(org_id, webhook_id))
    }

    pub fn open_routing_key(
        &self,
        sealed: &Sealed,
        org_id: i64,
        webhook_id: i64,
    ) -> AppResult<String> {
        self.open_with(sealed, &routing_key_associated_data(org_id, webhook_id))
            .map_err(|()| {
                AppError::internal(format!(
                    "webhook {webhook_id}'s routing key cannot be decrypted"
                ))
            })
    }

    fn seal_with(&self, plaintext: &str, aad: &[u8]) -> AppResult<Sealed> {
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce).map_err(AppError::internal)?;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad,
                },
            )
            .map_err(|_| AppError::internal("encryption failed"))?;
        let mut stored = Vec::with_capacity(1 + sealed.len());
        stored.push(VERSION);
        stored.extend_from_slice(&sealed);
        Ok(Sealed {
            ciphertext: STANDARD.encode(stored),
            nonce: STANDARD.encode(nonce),
        })
    }

    fn open_with(&self, sealed: &Sealed, aad: &[u8]) -> Result<String, ()> {
        let stored = STANDARD.decode(&sealed.ciphertext).map_err(|_| ())?;
        let nonce = STANDARD.decode(&sealed.nonce).map_err(|_| ())?;
        let (&version, body) = stored.split_first().ok_or(())?;
        if version != VERSION || nonce.len() != 12 {
            return Err(());
        }
        let plaintext = self
            .cipher
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: body, aad })
            .map_err(|_| ())?;
        String::from_utf8(plaintext).map_err(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn vault() -> Vault {
        Vault::new(&[7u8; 32])
    }

    #[test]
    fn round_trips() {
        let sealed = vault().seal(KEY, 1, 10).unwrap();
        assert_eq!(vault().open(&sealed, 1, 10).unwrap(), KEY);
    }

    #[test]
    fn ciphertext_is_not_the_key_and_never_repeats() {
        let a = vault().seal(KEY, 1, 10).unwrap();
        let b = vault().seal(KEY, 1, 10).unwrap();
        assert_ne!(a, b);
        assert_ne!(a.nonce, b.nonce);
        for sealed in [&a, &b] {
            assert!(!sealed.ciphertext.contains("sk-or"));
            let raw = STANDARD.decode(&sealed.ciphertext).unwrap();
            assert_eq!(raw[0], VERSION);
            assert!(!raw.windows(KEY.len()).any(|w| w == KEY.as_bytes()));
        }
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_or_user_does_not_open() {
        let sealed = vault().seal(KEY, 1, 10).unwrap();
        assert!(vault().open(&sealed, 1, 11).is_err());
        assert!(vault().open(&sealed, 2, 10).is_err());
    }

    #[test]
    fn another_encryption_key_or_tampering_does_not_open() {
        let sealed = vault().seal(KEY, 1, 10).unwrap();
        assert!(Vault::new(&[8u8; 32]).open(&sealed, 1, 10).is_err());
        let mut raw = STANDARD.decode(&sealed.ciphertext).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = Sealed {
            ciphertext: STANDARD.encode(raw),
            nonce: sealed.nonce.clone(),
        };
        assert!(vault().open(&tampered, 1, 10).is_err());
        let garbage = Sealed {
            ciphertext: "!!".into(),
            nonce: "??".into(),
        };
        assert!(vault().open(&garbage, 1, 10).is_err());
    }

    #[test]
    fn a_routing_key_opens_only_as_its_webhooks_routing_key() {
        let sealed = vault().seal_routing_key("R0123", 1, 10).unwrap();
        assert_eq!(vault().open_routing_key(&sealed, 1, 10).unwrap(), "R0123");
        assert!(vault().open_routing_key(&sealed, 1, 11).is_err());
        assert!(vault().open_webhook_secret(&sealed, 1, 10).is_err());
        let secret = vault().seal_webhook_secret("whsec_x", 1, 10).unwrap();
        assert!(vault().open_routing_key(&secret, 1, 10).is_err());
    }

    #[test]
    fn a_webhook_secret_opens_only_as_its_webhooks() {
        let sealed = vault().seal_webhook_secret("whsec_x", 1, 10).unwrap();
        assert_eq!(
            vault().open_webhook_secret(&sealed, 1, 10).unwrap(),
            "whsec_x"
        );
        assert!(vault().open_webhook_secret(&sealed, 1, 11).is_err());
        assert!(vault().open(&sealed, 1, 10).is_err());
        let key = vault().seal(KEY, 1, 10).unwrap();
        assert!(vault().open_webhook_secret(&key, 1, 10).is_err());
    }

    #[test]
    fn errors_never_contain_the_key() {
        let sealed = vault().seal(KEY, 1, 10).unwrap();
        let err = vault().open(&sealed, 1, 11).unwrap_err();
        assert!(!format!("{err:?} {err}").contains("sk-or"));
    }
}
