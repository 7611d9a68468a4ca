//! The answer of `/api/v1/stats`: the range's totals, and, with
//! `group_by=member`, the same totals per person who added the keys.

use serde::Serialize;
use utoipa::ToSchema;

use super::members::MemberSpend;
use super::shapes::{Period, Summary};

/// `/api/v1/stats`: the range's totals, and by member when asked.
#[derive(Serialize, ToSchema)]
#[schema(as = PublicStats)]
pub struct StatsResponse {
    summary: Summary,
    period: Period,
    /// With `group_by=member` only: the same totals per person who added the keys, most expensive first; they add up to `summary` exactly.
    #[serde(skip_serializing_if = "Option::is_none")]
    by_member: Option<Vec<MemberSpend>>,
}

impl StatsResponse {
    pub fn new(summary: Summary, period: Period, by_member: Option<Vec<MemberSpend>>) -> Self {
        Self {
            summary,
            period,
            by_member,
        }
    }
}
