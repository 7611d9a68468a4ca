//! The answer of `/api/v1/stats`: the range's totals, and, with
//! `group_by=member`, the same totals per person who added the keys and per
//! OpenRouter member who created them.

use serde::Serialize;
use utoipa::ToSchema;

use super::members::{CreatorSpend, MemberSpend};
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
    /// With `group_by=member` only: the same totals per OpenRouter member who created the keys (`creator_user_id` of OpenRouter's `/key` and of a management key's listing), most expensive first; they add up to `summary` exactly.
    #[serde(skip_serializing_if = "Option::is_none")]
    by_openrouter_member: Option<Vec<CreatorSpend>>,
}

impl StatsResponse {
    pub fn new(summary: Summary, period: Period) -> Self {
        Self {
            summary,
            period,
            by_member: None,
            by_openrouter_member: None,
        }
    }

    /// The same answer with its totals attributed both ways.
    pub fn by_member(self, members: Vec<MemberSpend>, creators: Vec<CreatorSpend>) -> Self {
        Self {
            by_member: Some(members),
            by_openrouter_member: Some(creators),
            ..self
        }
    }
}
