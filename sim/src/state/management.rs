//! The management API's view of an account's API keys (`/api/v1/keys`): listing,
//! reading, changing, deleting and creating them. Management keys are never shown (they
//! live on OpenRouter's "Management API Keys" page, not among the API keys), nor deleted
//! keys, nor another account's.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::keys::{register_locked, KeyEntry};
use super::money::money_text;
use super::usage::{limit_remaining, totals, Totals};
use super::{Sim, SimError, State};
use crate::control::{KeyKind, LimitReset, RegisterKeyRequest};

/// Keys per page of `GET /api/v1/keys`, as OpenRouter serves them.
pub const KEYS_PAGE_SIZE: usize = 100;

/// One API key as the management API shows it.
pub(crate) struct ManagedKey {
    pub(crate) hash: String,
    pub(crate) name: String,
    /// `sk-or-v1-abc...xyz`, OpenRouter's `label`.
    pub(crate) masked: String,
    pub(crate) disabled: bool,
    pub(crate) limit: Option<Decimal>,
    pub(crate) limit_reset: Option<LimitReset>,
    pub(crate) include_byok_in_limit: bool,
    pub(crate) limit_remaining: Option<Decimal>,
    pub(crate) totals: Totals,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: Option<DateTime<Utc>>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    pub(crate) user_id: String,
    pub(crate) workspace_id: String,
}

/// What a `PATCH` changes; `None` leaves a field as it is (`Some(None)` clears a
/// nullable one).
#[derive(Debug, Default)]
pub(crate) struct KeyPatch {
    pub(crate) name: Option<String>,
    pub(crate) disabled: Option<bool>,
    pub(crate) limit: Option<Option<Decimal>>,
    pub(crate) limit_reset: Option<Option<LimitReset>>,
    pub(crate) include_byok_in_limit: Option<bool>,
}

/// A `POST /api/v1/keys`, validated.
#[derive(Debug)]
pub(crate) struct NewKey {
    pub(crate) name: String,
    pub(crate) limit: Option<Decimal>,
    pub(crate) limit_reset: Option<LimitReset>,
    pub(crate) include_byok_in_limit: bool,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

fn not_found() -> SimError {
    SimError::not_found("API key not found")
}

impl State {
    /// The account's API key `hash` (not deleted), or OpenRouter's 404.
    fn managed_entry(&mut self, account: &str, hash: &str) -> Result<&mut KeyEntry, SimError> {
        self.keys
            .get_mut(&hash.trim().to_ascii_lowercase())
            .filter(|k| k.account == account && k.kind == KeyKind::Inference && !k.deleted)
            .ok_or_else(not_found)
    }

    fn managed_view(&self, key: &KeyEntry) -> ManagedKey {
        let t = totals(&key.records, self.today());
        let workspace_id = self
            .accounts
            .get(&key.account)
            .map(|a| a.workspace_id.clone())
            .unwrap_or_default();
        ManagedKey {
            hash: key.hash.clone(),
            name: key.label.clone(),
            masked: key.masked.clone(),
            disabled: key.disabled,
            limit: key.limit,
            limit_reset: key.limit_reset,
            include_byok_in_limit: key.include_byok_in_limit,
            limit_remaining: limit_remaining(
                key.limit,
                key.limit_reset,
                key.include_byok_in_limit,
                &t,
            ),
            totals: t,
            created_at: key.created_at,
            updated_at: key.updated_at,
            expires_at: key.expires_at,
            user_id: key.creator_user_id.clone(),
            workspace_id,
        }
    }
}

impl Sim {
    /// One page of the account's API keys, newest first (OpenRouter's "most recent 100";
    /// keys created at the same instant in reverse creation order), from `offset`.
    pub(crate) fn list_managed(
        &self,
        account: &str,
        offset: usize,
        include_disabled: bool,
    ) -> Vec<ManagedKey> {
        let st = self.lock();
        let Some(acct) = st.accounts.get(account) else {
            return Vec::new();
        };
        acct.keys
            .iter()
            .rev()
            .filter_map(|h| st.keys.get(h))
            .filter(|k| k.kind == KeyKind::Inference && !k.deleted)
            .filter(|k| include_disabled || !k.disabled)
            .skip(offset)
            .take(KEYS_PAGE_SIZE)
            .map(|k| st.managed_view(k))
            .collect()
    }

    pub(crate) fn managed_key(&self, account: &str, hash: &str) -> Result<ManagedKey, SimError> {
        let mut st = self.lock();
        let key = st.managed_entry(account, hash)?;
        let hash = key.hash.clone();
        Ok(st.managed_view(&st.keys[&hash]))
    }

    /// Applies `patch` to the account's key `hash`; `updated_at` moves to now.
    pub(crate) fn update_managed(
        &self,
        account: &str,
        hash: &str,
        patch: KeyPatch,
    ) -> Result<ManagedKey, SimError> {
        let mut st = self.lock();
        let now = st.now();
        let key = st.managed_entry(account, hash)?;
        if let Some(name) = patch.name {
            key.label = name;
        }
        if let Some(disabled) = patch.disabled {
            key.disabled = disabled;
        }
        if let Some(limit) = patch.limit {
            key.limit = limit;
        }
        if let Some(reset) = patch.limit_reset {
            key.limit_reset = reset;
        }
        if let Some(include) = patch.include_byok_in_limit {
            key.include_byok_in_limit = include;
        }
        key.updated_at = Some(now);
        let hash = key.hash.clone();
        Ok(st.managed_view(&st.keys[&hash]))
    }

    /// Deletes the account's key `hash`: it answers 401 from now on.
    pub(crate) fn delete_managed(&self, account: &str, hash: &str) -> Result<(), SimError> {
        let mut st = self.lock();
        st.managed_entry(account, hash)?.deleted = true;
        Ok(())
    }

    /// Creates an API key in the account at the request of its management key
    /// `caller_hash`: the key's secret (shown once) and its view. The member who owns that
    /// management key is the new key's creator.
    pub(crate) fn create_managed(
        &self,
        account: &str,
        caller_hash: &str,
        new: NewKey,
    ) -> Result<(String, ManagedKey), SimError> {
        let mut st = self.lock();
        let today = st.today();
        let creator_user_id = st.keys.get(caller_hash).map(|k| k.creator_user_id.clone());
        let request = RegisterKeyRequest {
            label: Some(new.name),
            account: Some(account.to_string()),
            kind: Some(KeyKind::Inference),
            limit: new.limit.map(money_text),
            limit_reset: new.limit_reset,
            include_byok_in_limit: Some(new.include_byok_in_limit),
            generate: Some(false),
            ..RegisterKeyRequest::default()
        };
        let registered =
            register_locked(&mut st, request, today).map_err(|e| SimError::new(400, e.message))?;
        let key = st.managed_entry(account, &registered.key_hash)?;
        key.expires_at = new.expires_at;
        // The request had no creator, so the key has the account's user until set here.
        if let Some(user_id) = creator_user_id {
            key.creator_user_id = user_id;
        }
        let view = st.managed_view(&st.keys[&registered.key_hash]);
        Ok((registered.key, view))
    }
}
