//! Deterministic data: the model catalogue, a small PRNG, key strings and generated
//! usage histories. Everything here is integer or `Decimal` arithmetic, so the same
//! seed gives the same keys and the same numbers on every platform.
//!
//! - [`ids`]: hashes, derived seeds and identifiers, key strings and their masked form;
//! - [`rng`]: the PRNG every generated value comes from;
//! - [`catalogue`]: the models and providers records are made of;
//! - [`history`]: generated usage histories of keys.

mod catalogue;
mod history;
mod ids;
mod rng;

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub(crate) use catalogue::{endpoint_id_for, find_model, ModelSpec};
pub(crate) use history::generate_history;
pub(crate) use ids::{derive_key, masked_key, seed_from, sha256_hex, uuid_from};

/// A string that is usually borrowed from the static catalogue.
pub(crate) type Str = Cow<'static, str>;

/// Money keeps at most this many fractional digits.
pub(crate) const MONEY_DP: u32 = 10;

/// One activity record: what one endpoint served for one key on one UTC day.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) date: NaiveDate,
    pub(crate) model: Str,
    pub(crate) permaslug: Str,
    pub(crate) provider: Str,
    pub(crate) endpoint_id: Str,
    pub(crate) requests: u64,
    pub(crate) prompt_tokens: u64,
    pub(crate) completion_tokens: u64,
    pub(crate) reasoning_tokens: u64,
    pub(crate) usage: Decimal,
    pub(crate) byok_usage_inference: Decimal,
}
