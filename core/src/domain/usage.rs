//! Usage figures as the sync computes and the store keeps them.

use super::money::Money;

/// One model's figures for one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelUsage {
    pub requests: i64,
    pub tokens_input: i64,
    pub tokens_output: i64,
    pub cost: Money,
}
