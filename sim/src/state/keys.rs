//! Keys: registering them (one by one or in bulk), revoking them, listing them, and
//! authenticating the bearer of a request.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::accounts::{ensure_account, member_user_id, new_account_id};
use super::money::parse_money;
use super::{Sim, SimError, State};
use crate::control::{
    BulkRegisterRequest, BulkRegisterResponse, KeyKind, LimitReset, RegisterKeyRequest,
    RegisteredKey,
};
use crate::data::{self, Record};

/// Days of generated history when not told otherwise (more than the 30-day window).
pub const DEFAULT_HISTORY_DAYS: u32 = 40;
const MAX_HISTORY_DAYS: u32 = 3660;
const MAX_BULK: u32 = 100_000;

pub(crate) struct KeyEntry {
    pub(crate) hash: String,
    pub(crate) label: String,
    /// `sk-or-v1-abc...xyz`, what OpenRouter returns as `label` from `/key`.
    pub(crate) masked: String,
    pub(crate) account: String,
    /// The account member who created the key (the account's own user by default):
    /// `/key`'s and the management API's `creator_user_id`, `/activity`'s `user_id`.
    pub(crate) creator_user_id: String,
    pub(crate) kind: KeyKind,
    pub(crate) limit: Option<Decimal>,
    pub(crate) limit_reset: Option<LimitReset>,
    pub(crate) include_byok_in_limit: bool,
    pub(crate) is_free_tier: bool,
    pub(crate) revoked: bool,
    /// Disabled through `PATCH /api/v1/keys/{hash}`: refused (401) everywhere, listed
    /// only with `include_disabled=true`.
    pub(crate) disabled: bool,
    /// Deleted through `DELETE /api/v1/keys/{hash}`: 401 everywhere, in no listing; its
    /// records stay in the account's activity and credits, as OpenRouter's do.
    pub(crate) deleted: bool,
    pub(crate) created_at: DateTime<Utc>,
    /// Set by every `PATCH`; `None` until the first.
    pub(crate) updated_at: Option<DateTime<Utc>>,
    /// Past it the key answers 401 (`User not found.`, as OpenRouter does).
    pub(crate) expires_at: Option<DateTime<Utc>>,
    /// Kept sorted by date.
    pub(crate) records: Vec<Record>,
}

/// The result of authenticating a bearer token.
pub(crate) enum Auth {
    Missing,
    /// Unknown, revoked by the control API, deleted or expired: OpenRouter's
    /// `User not found.`.
    Unknown,
    /// Disabled through the management API.
    Disabled,
    Ok {
        kind: KeyKind,
        account: String,
    },
}

impl Sim {
    /// Registers one key (`POST /_sim/keys`).
    pub fn register_key(&self, req: RegisterKeyRequest) -> Result<RegisteredKey, SimError> {
        let mut st = self.lock();
        let today = st.today();
        register_locked(&mut st, req, today)
    }

    /// Registers many keys at once (`POST /_sim/keys/bulk`), all in one account.
    pub fn register_bulk(
        &self,
        req: BulkRegisterRequest,
    ) -> Result<BulkRegisterResponse, SimError> {
        if req.count == 0 || req.count > MAX_BULK {
            return Err(SimError::unprocessable(format!(
                "count must be between 1 and {MAX_BULK}"
            )));
        }
        let mut st = self.lock();
        let today = st.today();
        let account = match req.account.clone() {
            Some(a) => a,
            None => new_account_id(&mut st),
        };
        let prefix = req.prefix.clone().unwrap_or_else(|| "bulk-".to_string());
        let mut keys = Vec::with_capacity(req.count as usize);
        for i in 0..req.count {
            let one = RegisterKeyRequest {
                label: Some(format!("{prefix}{i:04}")),
                account: Some(account.clone()),
                kind: req.kind,
                generate: req.generate,
                history_days: req.history_days,
                seed: req.seed,
                ..RegisterKeyRequest::default()
            };
            keys.push(register_locked(&mut st, one, today)?);
        }
        Ok(BulkRegisterResponse { keys })
    }

    /// Revokes a key (401 everywhere) or makes it valid again.
    pub fn set_revoked(&self, key_hash: &str, revoked: bool) -> Result<(), SimError> {
        let mut st = self.lock();
        let key = st
            .keys
            .get_mut(&key_hash.to_ascii_lowercase())
            .ok_or_else(|| SimError::not_found("unknown key_hash"))?;
        key.revoked = revoked;
        Ok(())
    }

    /// Lists registered keys (hash, label, account, kind; never the full key).
    pub fn list_keys(&self) -> Vec<serde_json::Value> {
        let st = self.lock();
        let mut out: Vec<_> = st
            .keys
            .values()
            .map(|k| {
                serde_json::json!({
                    "key_hash": k.hash,
                    "label": k.label,
                    "account": k.account,
                    "kind": k.kind,
                    "revoked": k.revoked,
                    "disabled": k.disabled,
                    "deleted": k.deleted,
                    "records": k.records.len(),
                })
            })
            .collect();
        out.sort_by(|a, b| a["label"].as_str().cmp(&b["label"].as_str()));
        out
    }

    pub(crate) fn authenticate(&self, key_hash: Option<&str>) -> Auth {
        let Some(h) = key_hash else {
            return Auth::Missing;
        };
        let st = self.lock();
        let now = st.now();
        match st.keys.get(h) {
            None => Auth::Unknown,
            Some(k) if k.revoked || k.deleted || k.expires_at.is_some_and(|t| t <= now) => {
                Auth::Unknown
            }
            Some(k) if k.disabled => Auth::Disabled,
            Some(k) => Auth::Ok {
                kind: k.kind,
                account: k.account.clone(),
            },
        }
    }
}

/// Validates `req` and registers the key, with the state already locked. The first
/// failing check is reported, in this order: label, limit, history_days, key, creator,
/// account.
pub(super) fn register_locked(
    st: &mut State,
    req: RegisterKeyRequest,
    today: NaiveDate,
) -> Result<RegisteredKey, SimError> {
    let kind = req.kind.unwrap_or_default();
    let seed = req.seed.unwrap_or(st.seed);
    let label = label_for(st, req.label)?;
    let limit = match &req.limit {
        Some(t) => Some(parse_money("limit", t)?),
        None => None,
    };
    let history_days = history_days_for(req.history_days)?;
    let key = key_for(st, req.key, seed, &label)?;
    let hash = data::sha256_hex(&key);
    // Checked before `account_for`, which may use up a new account's number.
    let creator = creator_for(req.creator)?;
    let account = account_for(st, req.account)?;
    let generate = req.generate.unwrap_or(kind == KeyKind::Inference);
    let records = history(seed, &key, today, if generate { history_days } else { 0 });
    // User ids follow the simulator's seed, as the account's own does, not the key's.
    let sim_seed = st.seed;
    let acct = ensure_account(st, &account);
    acct.keys.push(hash.clone());
    let creator_user_id = match &creator {
        Some(name) => member_user_id(sim_seed, &account, name),
        None => acct.user_id.clone(),
    };
    let entry = KeyEntry {
        hash: hash.clone(),
        label: label.clone(),
        masked: data::masked_key(&key),
        account: account.clone(),
        creator_user_id: creator_user_id.clone(),
        kind,
        limit,
        limit_reset: req.limit_reset,
        include_byok_in_limit: req.include_byok_in_limit.unwrap_or(false),
        is_free_tier: req.is_free_tier.unwrap_or(false),
        revoked: false,
        disabled: false,
        deleted: false,
        created_at: st.now(),
        updated_at: None,
        expires_at: None,
        records,
    };
    st.keys.insert(hash.clone(), entry);
    Ok(RegisteredKey {
        key,
        key_hash: hash,
        label,
        account,
        kind,
        creator_user_id,
    })
}

/// The requested days of generated history, or the default; at most `MAX_HISTORY_DAYS`.
fn history_days_for(requested: Option<u32>) -> Result<u32, SimError> {
    let days = requested.unwrap_or(DEFAULT_HISTORY_DAYS);
    if days > MAX_HISTORY_DAYS {
        return Err(SimError::unprocessable(format!(
            "history_days must be at most {MAX_HISTORY_DAYS}"
        )));
    }
    Ok(days)
}

/// The key's generated history: a function of the seed and the key alone, so a
/// scenario replays the same records.
fn history(seed: u64, key: &str, today: NaiveDate, days: u32) -> Vec<Record> {
    if days == 0 {
        return Vec::new();
    }
    let rng_seed = data::seed_from(&format!("openrouter-sim history:{seed}:{key}"));
    data::generate_history(rng_seed, today, days)
}

/// The requested label, or the next `key-NNNN`.
fn label_for(st: &mut State, label: Option<String>) -> Result<String, SimError> {
    match label {
        Some(l) if !l.trim().is_empty() => Ok(l),
        Some(_) => Err(SimError::unprocessable("label must not be empty")),
        None => {
            let l = format!("key-{:04}", st.next_label);
            st.next_label += 1;
            Ok(l)
        }
    }
}

/// The requested key string, or one derived from the seed and the label that no
/// registered key has yet.
fn key_for(st: &State, key: Option<String>, seed: u64, label: &str) -> Result<String, SimError> {
    match key {
        Some(k) => {
            let k = k.trim().to_string();
            if k.is_empty() || k.chars().any(char::is_whitespace) {
                return Err(SimError::unprocessable(
                    "key must be non-empty without whitespace",
                ));
            }
            if st.keys.contains_key(&data::sha256_hex(&k)) {
                return Err(SimError::new(409, "key already registered"));
            }
            Ok(k)
        }
        None => {
            let mut n = 0u32;
            loop {
                let k = data::derive_key(seed, label, n);
                if !st.keys.contains_key(&data::sha256_hex(&k)) {
                    break Ok(k);
                }
                n += 1;
            }
        }
    }
}

/// The requested creator's name, if any (`None`: the account's own user).
fn creator_for(creator: Option<String>) -> Result<Option<String>, SimError> {
    match creator {
        Some(c) if c.trim().is_empty() => Err(SimError::unprocessable("creator must not be empty")),
        other => Ok(other),
    }
}

/// The requested account, or a new one.
fn account_for(st: &mut State, account: Option<String>) -> Result<String, SimError> {
    match account {
        Some(a) if !a.trim().is_empty() => Ok(a),
        Some(_) => Err(SimError::unprocessable("account must not be empty")),
        None => Ok(new_account_id(st)),
    }
}
