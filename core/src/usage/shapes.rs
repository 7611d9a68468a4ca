//! What the usage answers share: the totals and the period every range
//! answer shows (public and dashboard alike), and a public answer as the
//! token's object serves it.

use serde::Serialize;
use utoipa::ToSchema;

use crate::api_doc::vocabulary;

use crate::domain::dates::{format_day, DateRange};
use crate::domain::money::Money;
use crate::domain::scope::Grant;

/// The answer (serialised once, served many times) and what the token's
/// row granted when it was read (checked again whenever it is served).
#[derive(Debug, Clone)]
pub struct Answer {
    pub grant: Grant,
    pub body: String,
}

/// Totals over a range (the public stats' `summary`, the dashboard's `totals`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Totals)]
pub struct Summary {
    #[schema(minimum = 0)]
    pub total_requests: i64,
    pub total_cost: Money,
    #[schema(minimum = 0)]
    pub total_tokens_input: i64,
    #[schema(minimum = 0)]
    pub total_tokens_output: i64,
}

impl Summary {
    /// Both totals together; `None` when a sum leaves the range of its type.
    pub fn checked_add(&self, other: &Summary) -> Option<Summary> {
        Some(Summary {
            total_requests: self.total_requests.checked_add(other.total_requests)?,
            total_cost: self.total_cost.checked_add(other.total_cost)?,
            total_tokens_input: self
                .total_tokens_input
                .checked_add(other.total_tokens_input)?,
            total_tokens_output: self
                .total_tokens_output
                .checked_add(other.total_tokens_output)?,
        })
    }
}

/// A date range as responses show it; `days` counts both ends.
#[derive(Debug, Serialize, ToSchema)]
pub struct Period {
    #[schema(value_type = vocabulary::schemas::Date)]
    start_date: String,
    #[schema(value_type = vocabulary::schemas::Date)]
    end_date: String,
    /// Days in the range, counting both ends.
    #[schema(minimum = 1, maximum = 365)]
    days: i64,
}

impl Period {
    pub fn of(range: &DateRange) -> Self {
        Self {
            start_date: format_day(range.start()),
            end_date: format_day(range.end()),
            days: range.days(),
        }
    }
}
