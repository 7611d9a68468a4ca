//! `/api/v1/stats?group_by=member`: the range's totals per person who added
//! the keys and per OpenRouter member who created them, read in one
//! statement (`store::usage::PUBLIC_STATS_BY_MEMBER`), ranked and summed
//! exactly by `usage::members`.

use worker::D1Database;

use super::members::{ranked_with_total, Attributed, CreatorSpend, MemberSpend};
use super::shapes::{Answer, Period, Summary};
use super::stats::StatsResponse;
use crate::domain::dates::DateRange;
use crate::domain::scope::Grant;
use crate::error::{AppError, AppResult};
use crate::store;
use crate::store::usage::{self, SpentCell};

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
                totals: summary(&cell.spent)?,
                user_id: cell.user_id,
                email: cell.email,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let creators = found
        .creator_cells()?
        .into_iter()
        .map(|cell| {
            Ok(CreatorSpend {
                totals: summary(&cell.spent)?,
                creator_user_id: cell.creator_user_id,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let (summary, members) = ranked(members)?;
    let (of_creators, creators) = ranked(creators)?;
    // Both groupings sum the same keys' rows of one statement.
    if of_creators != summary {
        return Err(AppError::internal("the two attributions disagree"));
    }
    let body = StatsResponse::new(summary, Period::of(range)).by_member(members, creators);
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

fn summary(spent: &SpentCell) -> AppResult<Summary> {
    Ok(Summary {
        total_requests: spent.requests_count,
        total_cost: store::money(&spent.cost)?,
        total_tokens_input: spent.tokens_input,
        total_tokens_output: spent.tokens_output,
    })
}

fn ranked<T: Attributed>(shares: Vec<T>) -> AppResult<(Summary, Vec<T>)> {
    ranked_with_total(shares).ok_or_else(|| AppError::internal("member totals overflow"))
}
