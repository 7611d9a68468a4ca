//! The public API's answers: one D1 statement each (token lookup folded in),
//! turned into the original's response shapes. Run by the token's Durable
//! Object (see `rate_limit::object`), which caches them briefly.

use serde::{Deserialize, Serialize};
use worker::D1Database;

use crate::domain::dates::{format_day, DateRange};
use crate::domain::money::Money;
use crate::domain::page::{Page, Pagination};
use crate::error::{AppError, AppResult};
use crate::store::{self, usage};

/// A validated public-API question, as it travels from the Worker to the
/// token's Durable Object (dates as `YYYY-MM-DD`, re-parsed on arrival).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "route", rename_all = "snake_case")]
pub enum PublicQuery {
    Stats {
        start: String,
        end: String,
    },
    Usage {
        start: String,
        end: String,
        page: i64,
        limit: i64,
    },
    Keys,
}

impl PublicQuery {
    pub fn stats(range: &DateRange) -> Self {
        Self::Stats {
            start: format_day(range.start()),
            end: format_day(range.end()),
        }
    }

    pub fn usage(range: &DateRange, page: &Page) -> Self {
        Self::Usage {
            start: format_day(range.start()),
            end: format_day(range.end()),
            page: page.page(),
            limit: page.limit(),
        }
    }

    /// Identifies the answer in the cache.
    pub fn cache_key(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The answer (serialised once, served many times) and the token it was
/// given to.
#[derive(Debug, Clone)]
pub struct Answer {
    pub token_id: i64,
    pub last_used_at: Option<String>,
    pub body: String,
}

/// Totals over a range (the public stats' `summary`, the dashboard's `totals`).
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub total_requests: i64,
    pub total_cost: Money,
    pub total_tokens_input: i64,
    pub total_tokens_output: i64,
}

/// A date range as responses show it; `days` counts both ends.
#[derive(Debug, Serialize)]
pub struct Period {
    start_date: String,
    end_date: String,
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

#[derive(Serialize)]
struct StatsResponse {
    summary: Summary,
    period: Period,
}

#[derive(Serialize)]
struct UsageItem {
    date: String,
    model: String,
    requests_count: i64,
    tokens_input: i64,
    tokens_output: i64,
    cost: Money,
}

#[derive(Serialize)]
struct UsageResponse {
    items: Vec<UsageItem>,
    pagination: Pagination,
}

#[derive(Serialize)]
struct KeyStats {
    total_requests: i64,
    total_cost: Money,
}

#[derive(Serialize)]
struct KeyItem {
    id: i64,
    name: String,
    is_active: bool,
    stats: KeyStats,
}

#[derive(Serialize)]
struct KeysResponse {
    items: Vec<KeyItem>,
    total: usize,
}

fn to_value(body: &impl Serialize) -> AppResult<String> {
    serde_json::to_string(body).map_err(AppError::internal)
}

/// `None`: the token is not an active API token.
pub async fn answer(
    db: &D1Database,
    token_hash: &str,
    query: &PublicQuery,
) -> AppResult<Option<Answer>> {
    match query {
        PublicQuery::Stats { start, end } => {
            let range = DateRange::required(Some(start), Some(end))?;
            let Some(row) = usage::public_stats(db, token_hash, &range).await? else {
                return Ok(None);
            };
            let body = StatsResponse {
                summary: Summary {
                    total_requests: row.total_requests,
                    total_cost: store::money(&row.total_cost)?,
                    total_tokens_input: row.total_tokens_input,
                    total_tokens_output: row.total_tokens_output,
                },
                period: Period::of(&range),
            };
            Ok(Some(Answer {
                token_id: row.token_id,
                last_used_at: row.last_used_at,
                body: to_value(&body)?,
            }))
        }
        PublicQuery::Usage {
            start,
            end,
            page,
            limit,
        } => {
            let range = DateRange::required(Some(start), Some(end))?;
            let page = Page::parse(Some(&page.to_string()), Some(&limit.to_string()))?;
            let rows =
                usage::public_usage(db, token_hash, &range, page.limit(), page.offset()).await?;
            let Some(first) = rows.first() else {
                return Ok(None);
            };
            let (token_id, last_used_at, total) =
                (first.token_id, first.last_used_at.clone(), first.total);
            let items = rows
                .into_iter()
                .filter_map(|row| {
                    Some((
                        row.date?,
                        row.model?,
                        row.requests_count?,
                        row.tokens_input?,
                        row.tokens_output?,
                        row.cost?,
                    ))
                })
                .map(
                    |(date, model, requests_count, tokens_input, tokens_output, cost)| {
                        Ok(UsageItem {
                            date,
                            model,
                            requests_count,
                            tokens_input,
                            tokens_output,
                            cost: store::money(&cost)?,
                        })
                    },
                )
                .collect::<AppResult<Vec<_>>>()?;
            let body = UsageResponse {
                items,
                pagination: page.info(total),
            };
            Ok(Some(Answer {
                token_id,
                last_used_at,
                body: to_value(&body)?,
            }))
        }
        PublicQuery::Keys => {
            let rows = usage::public_keys(db, token_hash).await?;
            let Some(first) = rows.first() else {
                return Ok(None);
            };
            let (token_id, last_used_at) = (first.token_id, first.last_used_at.clone());
            let items = rows
                .into_iter()
                .filter_map(|row| {
                    Some((
                        row.id?,
                        row.name?,
                        row.is_active?,
                        row.total_requests,
                        row.total_cost,
                    ))
                })
                .map(|(id, name, is_active, total_requests, total_cost)| {
                    Ok(KeyItem {
                        id,
                        name,
                        is_active: is_active == 1,
                        stats: KeyStats {
                            total_requests,
                            total_cost: store::money(&total_cost)?,
                        },
                    })
                })
                .collect::<AppResult<Vec<_>>>()?;
            let total = items.len();
            Ok(Some(Answer {
                token_id,
                last_used_at,
                body: to_value(&KeysResponse { items, total })?,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_round_trip_and_key_the_cache_by_every_parameter() {
        let range = DateRange::required(Some("2026-01-01"), Some("2026-01-31")).unwrap();
        let page = Page::parse(Some("2"), Some("50")).unwrap();
        let query = PublicQuery::usage(&range, &page);
        let text = serde_json::to_string(&query).unwrap();
        assert_eq!(serde_json::from_str::<PublicQuery>(&text).unwrap(), query);
        let other_page = PublicQuery::usage(&range, &Page::parse(Some("3"), Some("50")).unwrap());
        assert_ne!(query.cache_key(), other_page.cache_key());
        assert_ne!(
            PublicQuery::stats(&range).cache_key(),
            PublicQuery::Keys.cache_key()
        );
    }
}
