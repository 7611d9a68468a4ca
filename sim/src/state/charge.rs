//! What a chat completion costs a key: one record of today on the model's first
//! provider, so that `/key`, the management API, `/activity` (once the day is completed)
//! and `/_sim/.../truth` all move together.

use std::borrow::Cow;

use rust_decimal::Decimal;

use super::usage::{limit_remaining, totals};
use super::{Sim, SimError};
use crate::data::{ModelSpec, Record, MONEY_DP};

/// What one chat completion was charged.
pub(crate) struct Charge {
    pub(crate) cost: Decimal,
    pub(crate) provider: &'static str,
}

/// The price of `prompt_tokens` and `completion_tokens` of `model` on its first
/// provider, to 10 decimals.
fn price(model: &ModelSpec, prompt_tokens: u64, completion_tokens: u64) -> Decimal {
    let factor = model.providers.first().map_or(Decimal::ONE, |p| p.factor);
    ((Decimal::from(prompt_tokens) * model.input + Decimal::from(completion_tokens) * model.output)
        * factor)
        .round_dp(MONEY_DP)
        .normalize()
}

impl Sim {
    /// Charges the key for one request today, unless its limit is used up: 402, as
    /// OpenRouter answers a key whose `limit_remaining` is 0. A request is never cut
    /// short: the last one may take the key past its limit (`limit_remaining` stays 0).
    pub(crate) fn charge(
        &self,
        key_hash: &str,
        model: &'static ModelSpec,
        prompt_tokens: u64,
        completion_tokens: u64,
    ) -> Result<Charge, SimError> {
        let mut st = self.lock();
        let today = st.today();
        let key = st
            .keys
            .get_mut(key_hash)
            .ok_or_else(|| SimError::new(401, "User not found."))?;
        let t = totals(&key.records, today);
        let remaining = limit_remaining(key.limit, key.limit_reset, key.include_byok_in_limit, &t);
        if remaining.is_some_and(|r| r <= Decimal::ZERO) {
            return Err(SimError::new(402, "Key limit exceeded"));
        }
        let provider = model.providers.first();
        let cost = price(model, prompt_tokens, completion_tokens);
        let record = Record {
            date: today,
            model: Cow::Borrowed(model.slug),
            permaslug: Cow::Borrowed(model.permaslug),
            provider: Cow::Borrowed(provider.map_or("OpenAI", |p| p.name)),
            endpoint_id: Cow::Owned(provider.map(|p| p.endpoint_id.clone()).unwrap_or_default()),
            requests: 1,
            prompt_tokens,
            completion_tokens,
            reasoning_tokens: 0,
            usage: cost,
            byok_usage_inference: Decimal::ZERO,
        };
        let at = key.records.partition_point(|r| r.date <= today);
        key.records.insert(at, record);
        Ok(Charge {
            cost,
            provider: provider.map_or("OpenAI", |p| p.name),
        })
    }
}
