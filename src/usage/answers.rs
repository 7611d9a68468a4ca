//! The public API's answers: one D1 statement each (token lookup folded in),
//! turned into the original's response shapes. Run by the token's Durable
//! Object (see `public_api::object`), which caches them briefly.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;
use worker::D1Database;

use super::shapes::{Answer, Period, Summary};
use super::stats::StatsResponse;
use crate::domain::dates::{format_day, DateRange};
use crate::domain::money::Money;
use crate::domain::page::{Page, Pagination};
use crate::domain::scope::Grant;
use crate::error::{AppError, AppResult};
use crate::store::{self, usage};

/// A validated public-API question, as it travels from the Worker to the
/// token's Durable Object (dates as `YYYY-MM-DD`, re-parsed on arrival).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// Externally tagged: an internally tagged enum deserialises through a
// buffer of every field, several KB of the wasm for the same answer.
#[serde(rename_all = "snake_case")]
pub enum PublicQuery {
    Stats {
        start: String,
        end: String,
    },
    /// `group_by=member`.
    StatsByMember {
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
    /// OpenMetrics text; `day` is the last completed UTC day.
    Metrics {
        day: String,
    },
}

impl PublicQuery {
    pub fn stats(range: &DateRange) -> Self {
        Self::Stats {
            start: format_day(range.start()),
            end: format_day(range.end()),
        }
    }

    pub fn stats_by_member(range: &DateRange) -> Self {
        Self::StatsByMember {
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

#[derive(Serialize, ToSchema)]
#[schema(as = PublicUsageItem)]
struct UsageItem<'a> {
    #[schema(value_type = vocabulary::schemas::Date)]
    date: &'a str,
    model: &'a str,
    #[schema(minimum = 0)]
    requests_count: i64,
    #[schema(minimum = 0)]
    tokens_input: i64,
    #[schema(minimum = 0)]
    tokens_output: i64,
    cost: Money,
}

#[derive(Serialize, ToSchema)]
#[schema(as = PublicUsagePage)]
pub struct UsageResponse<'a> {
    /// Rows aggregated over the token's keys by (date, model), ordered by date then model.
    items: Vec<UsageItem<'a>>,
    pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
struct KeyStats {
    #[schema(minimum = 0)]
    total_requests: i64,
    total_cost: Money,
}

#[derive(Serialize, ToSchema)]
#[schema(as = PublicKey, description = "A key without its value or preview.")]
struct KeyItem {
    /// Key id.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    id: i64,
    name: String,
    is_active: bool,
    /// All-time totals of the stored usage.
    #[schema(inline)]
    stats: KeyStats,
}

#[derive(Serialize, ToSchema)]
#[schema(as = PublicKeyList)]
pub struct KeysResponse {
    items: Vec<KeyItem>,
    /// Number of items.
    #[schema(minimum = 0)]
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
            stats(
                db,
                token_hash,
                &DateRange::required(Some(start), Some(end))?,
            )
            .await
        }
        PublicQuery::StatsByMember { start, end } => {
            let range = DateRange::required(Some(start), Some(end))?;
            super::by_member::answer(db, token_hash, &range).await
        }
        PublicQuery::Usage {
            start,
            end,
            page,
            limit,
        } => {
            let range = DateRange::required(Some(start), Some(end))?;
            let page = Page::parse(Some(&page.to_string()), Some(&limit.to_string()))?;
            usage_page(db, token_hash, &range, &page).await
        }
        PublicQuery::Keys => keys(db, token_hash).await,
        PublicQuery::Metrics { day } => super::metrics_answer::metrics(db, token_hash, day).await,
    }
}

async fn stats(db: &D1Database, token_hash: &str, range: &DateRange) -> AppResult<Option<Answer>> {
    let Some(row) = usage::public_stats(db, token_hash, range).await? else {
        return Ok(None);
    };
    let summary = Summary {
        total_requests: row.total_requests,
        total_cost: store::money(&row.total_cost)?,
        total_tokens_input: row.total_tokens_input,
        total_tokens_output: row.total_tokens_output,
    };
    let body = StatsResponse::new(summary, Period::of(range));
    Ok(Some(Answer {
        grant: Grant::of(
            row.token_id,
            row.last_used_at,
            row.scopes,
            row.expires_at.as_deref(),
        ),
        body: to_value(&body)?,
    }))
}

/// The page arrives as one compact JSON text (see `usage::PUBLIC_USAGE`);
/// its rows are borrowed from it, never copied into owned rows.
async fn usage_page(
    db: &D1Database,
    token_hash: &str,
    range: &DateRange,
    page: &Page,
) -> AppResult<Option<Answer>> {
    let Some(found) =
        usage::public_usage(db, token_hash, range, page.limit(), page.offset()).await?
    else {
        return Ok(None);
    };
    let body = usage_body(&found, page.info(found.total))?;
    Ok(Some(Answer {
        grant: Grant::of(
            found.token_id,
            found.last_used_at.clone(),
            found.scopes,
            found.expires_at.as_deref(),
        ),
        body,
    }))
}

/// The response text of one page: its compact rows expanded into the
/// original's items, costs rendered exactly.
fn usage_body(found: &usage::PublicUsagePage, pagination: Pagination) -> AppResult<String> {
    let cells = found.cells()?;
    let items = cells
        .iter()
        .map(|cell| {
            Ok(UsageItem {
                date: &cell.date,
                model: &cell.model,
                requests_count: cell.requests_count,
                tokens_input: cell.tokens_input,
                tokens_output: cell.tokens_output,
                cost: store::money(&cell.cost)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    to_value(&UsageResponse { items, pagination })
}

async fn keys(db: &D1Database, token_hash: &str) -> AppResult<Option<Answer>> {
    let rows = usage::public_keys(db, token_hash).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let grant = Grant::of(
        first.token_id,
        first.last_used_at.clone(),
        first.scopes,
        first.expires_at.as_deref(),
    );
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
        grant,
        body: to_value(&KeysResponse { items, total })?,
    }))
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

    fn page(items: &str, total: i64) -> usage::PublicUsagePage {
        usage::PublicUsagePage {
            token_id: 1,
            last_used_at: None,
            scopes: 15,
            expires_at: None,
            total,
            items: items.to_owned(),
        }
    }

    #[test]
    fn a_page_is_expanded_into_the_original_shape_with_exact_costs() {
        let info = Page::parse(Some("1"), Some("2")).unwrap().info(3);
        let found = page(
            r#"[["2026-01-01","a/\"quoted\"",5,6,7,"120000000000"],
                ["2026-01-01","z/é",1,2,3,"-5"]]"#,
            3,
        );
        let body: serde_json::Value =
            serde_json::from_str(&usage_body(&found, info).unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "items": [
                    {"date": "2026-01-01", "model": "a/\"quoted\"", "requests_count": 5,
                     "tokens_input": 6, "tokens_output": 7, "cost": "12"},
                    {"date": "2026-01-01", "model": "z/é", "requests_count": 1,
                     "tokens_input": 2, "tokens_output": 3, "cost": "-0.0000000005"},
                ],
                "pagination": {"page": 1, "limit": 2, "total": 3, "pages": 2},
            })
        );
    }

    #[test]
    fn a_page_past_the_end_is_empty_with_the_true_total() {
        let info = Page::parse(Some("9"), Some("2")).unwrap().info(3);
        let body = usage_body(&page("[]", 3), info).unwrap();
        assert_eq!(
            body,
            r#"{"items":[],"pagination":{"page":9,"limit":2,"total":3,"pages":2}}"#
        );
    }

    #[test]
    fn a_page_out_of_order_is_put_back_in_order_and_bad_rows_are_errors() {
        let found = page(
            r#"[["2026-01-02","a",1,1,1,"1"],["2026-01-01","b",1,1,1,"1"],["2026-01-01","a",1,1,1,"1"]]"#,
            3,
        );
        let order: Vec<(String, String)> = found
            .cells()
            .unwrap()
            .iter()
            .map(|c| (c.date.to_string(), c.model.to_string()))
            .collect();
        assert_eq!(
            order,
            [
                ("2026-01-01", "a"),
                ("2026-01-01", "b"),
                ("2026-01-02", "a")
            ]
            .map(|(d, m)| (d.to_owned(), m.to_owned()))
        );
        assert!(page(r#"[["2026-01-01","a",1,1,1,"x"]]"#, 1)
            .cells()
            .is_ok_and(|cells| cells.len() == 1));
        let info = Page::parse(None, None).unwrap().info(1);
        assert!(usage_body(&page(r#"[["2026-01-01","a",1,1,1,"1.5"]]"#, 1), info).is_err());
        assert!(page(r#"[["2026-01-01","a"]]"#, 1).cells().is_err());
    }
}
