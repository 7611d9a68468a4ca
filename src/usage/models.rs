//! `GET /api/models`: every model the account has used, all time.

use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::auth::session::AuthUser;
use crate::error::AppResult;
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::store::usage::{self, ModelSpendRow};
use crate::usage::overview::Counts;

#[derive(Serialize, ToSchema)]
struct ModelSpend {
    /// Model slug, or `(all models)` for days known only from a key's totals (no management key).
    model: String,
    /// The first UTC day with usage of this model.
    #[schema(value_type = vocabulary::schemas::Date)]
    first_date: String,
    /// The latest UTC day with usage of this model.
    #[schema(value_type = vocabulary::schemas::Date)]
    last_date: String,
    /// All-time requests, tokens and exact cost.
    #[serde(flatten)]
    totals: Counts,
}

impl From<ModelSpendRow> for ModelSpend {
    fn from(row: ModelSpendRow) -> Self {
        Self {
            model: row.model,
            first_date: row.first_date,
            last_date: row.last_date,
            totals: Counts {
                requests_count: row.requests_count,
                tokens_input: row.tokens_input,
                tokens_output: row.tokens_output,
                cost: row.cost,
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
struct ModelList {
    /// Most expensive first, then by name. Their costs sum exactly to the account's stored total.
    models: Vec<ModelSpend>,
}

/// Models used, all time
///
/// Every model the account's keys have used since their first stored day, with the first and latest UTC day of its usage and its all-time requests, tokens and cost (exact decimals). Keys already deleted no longer count.
#[utoipa::path(
    get,
    path = "/api/models",
    operation_id = "listModels",
    tag = "usage",
    responses(
        (status = 200, description = "The models.", body = ModelList),
    )
)]
pub async fn list(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let rows = usage::models_used(&cx.app.db()?, user.org_id).await?;
    Reply::ok(&ModelList {
        models: rows.into_iter().map(ModelSpend::from).collect(),
    })
}
