//! Accounts: the keys they own, their user and workspace ids, and their credits. An
//! account is an organisation: its keys may be created by different members, each with
//! their own user id ([`member_user_id`]).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::money::{money_text, parse_money};
use super::usage::totals;
use super::{Sim, SimError, State};
use crate::control::AccountInfo;
use crate::data;

pub(crate) struct Account {
    pub(crate) id: String,
    /// Hashes of the account's keys, in registration order.
    pub(crate) keys: Vec<String>,
    /// Set by the control API; `None` = the deterministic default of [`credits_locked`].
    pub(crate) total_credits: Option<Decimal>,
    /// The account's own user: the creator of its keys unless told otherwise.
    pub(crate) user_id: String,
    pub(crate) workspace_id: String,
}

impl Sim {
    pub fn account(&self, id: &str) -> Result<AccountInfo, SimError> {
        let st = self.lock();
        let today = st.today();
        let acct = st
            .accounts
            .get(id)
            .ok_or_else(|| SimError::not_found("unknown account"))?;
        let (credits, usage) = credits_locked(&st, acct, today);
        Ok(AccountInfo {
            account: acct.id.clone(),
            total_credits: money_text(credits),
            total_usage: money_text(usage),
            key_hashes: acct.keys.clone(),
        })
    }

    /// Sets an account's total credits (`None` returns to the default).
    pub fn set_credits(&self, id: &str, credits: Option<&str>) -> Result<AccountInfo, SimError> {
        let value = match credits {
            Some(t) => Some(parse_money("total_credits", t)?),
            None => None,
        };
        {
            let mut st = self.lock();
            let acct = st
                .accounts
                .get_mut(id)
                .ok_or_else(|| SimError::not_found("unknown account"))?;
            acct.total_credits = value;
        }
        self.account(id)
    }

    /// `(total_credits, total_usage)` of an account.
    pub(crate) fn credits(&self, account: &str) -> Option<(Decimal, Decimal)> {
        let st = self.lock();
        let today = st.today();
        let acct = st.accounts.get(account)?;
        Some(credits_locked(&st, acct, today))
    }

    /// The account's (one, default) workspace id.
    pub(crate) fn workspace_id(&self, account: &str) -> Option<String> {
        let st = self.lock();
        st.accounts.get(account).map(|a| a.workspace_id.clone())
    }
}

pub(super) fn new_account_id(st: &mut State) -> String {
    loop {
        let id = format!("acct-{:04}", st.next_account);
        st.next_account += 1;
        if !st.accounts.contains_key(&id) {
            return id;
        }
    }
}

/// The account `id`, created on first use with ids derived from the seed.
pub(super) fn ensure_account<'a>(st: &'a mut State, id: &str) -> &'a mut Account {
    let seed = st.seed;
    st.accounts
        .entry(id.to_string())
        .or_insert_with(|| Account {
            id: id.to_string(),
            keys: Vec::new(),
            total_credits: None,
            user_id: user_id_from(&format!("openrouter-sim user:{seed}:{id}")),
            workspace_id: data::uuid_from(&format!("openrouter-sim workspace:{seed}:{id}")),
        })
}

/// The user id of `creator`, a member of `account` (any name): the same for every key
/// that member registers, different in another account or with another seed.
pub(super) fn member_user_id(seed: u64, account: &str, creator: &str) -> String {
    user_id_from(&format!("openrouter-sim user:{seed}:{account}:{creator}"))
}

/// A user id shaped as OpenRouter's (`user_` and 27 characters), derived from `text`.
fn user_id_from(text: &str) -> String {
    let digest = data::sha256_hex(text);
    // SHA-256 hex is 64 ASCII characters: the slice is always in bounds.
    format!("user_{}", &digest[..27])
}

/// `(total_credits, total_usage)` of `acct`, with the state already locked.
pub(super) fn credits_locked(st: &State, acct: &Account, today: NaiveDate) -> (Decimal, Decimal) {
    let usage: Decimal = acct
        .keys
        .iter()
        .filter_map(|h| st.keys.get(h))
        .map(|k| totals(&k.records, today).usage)
        .sum();
    let credits = match acct.total_credits {
        Some(c) => c,
        None => {
            // Deterministic default: usage rounded up to 10 USD, plus 10..=105 USD.
            let bonus =
                data::seed_from(&format!("openrouter-sim credits:{}:{}", st.seed, acct.id)) % 20;
            let tens = (usage / Decimal::TEN).ceil() * Decimal::TEN;
            tens + Decimal::TEN + Decimal::from(bonus * 5)
        }
    };
    (credits, usage)
}
