//! `/api/v1/stats?group_by=member`: the range's totals per person who added
//! the keys, read in one statement (`store::usage::PUBLIC_STATS_BY_MEMBER`),
//! ranked and summed exactly by `usage::members`.

use worker::D1Database;

use super::members::{ranked_with_total, MemberSpend};
use super::shapes::{Answer, Period, Summary};
use super::stats::StatsResponse;
use crate::domain::dates::DateRange;
use crate::domain::scope::Grant;
use crate::error::{AppError, AppResult};
use crate::store::{self, usage};

/// `None`: the token is not an active API token.
pub async fn answer(
    db: &D1Database,
    token_hash: &str,
    range: &DateRange,
) -> AppResult<Option<Answer>> {
    let Some(found) = usage::public_stats_by_member(db, token_hash, range).await? else {
        return Ok(None);
    };
    let members = found
        .cells()?
        .into_iter()
        .map(|cell| {
            Ok(MemberSpend {
                user_id: cell.user_id,
                email: cell.email,
                totals: Summary {
                    total_requests: cell.requests_count,
                    total_cost: store::money(&cell.cost)?,
                    total_tokens_input: cell.tokens_input,
                    total_tokens_output: cell.tokens_output,
                },
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let (summary, members) =
        ranked_with_total(members).ok_or_else(|| AppError::internal("member totals overflow"))?;
    let body = StatsResponse::new(summary, Period::of(range), Some(members));
    Ok(Some(Answer {
        grant: Grant::of(
            found.token_id,
            found.last_used_at,
            found.scopes,
            found.expires_at.as_deref(),
        ),
        body: serde_json::to_string(&body).map_err(AppError::internal)?,
    }))
}
