//! `/api/v1/metrics`'s answer: one D1 statement (`PUBLIC_METRICS`, the
//! token lookup folded in) rendered by `usage::metrics`.

use worker::D1Database;

use super::answers::Answer;
use super::metrics::{render, KeyFigures, KeySnapshot, ModelFigures};
use crate::error::{AppError, AppResult};
use crate::store::{self, usage};

/// `[id, name, last_synced_at, taken_at, daily, weekly, monthly, usage,
/// limit, remaining, limit_reset]` as `PUBLIC_METRICS` reads it.
type KeyCells = (
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub async fn metrics(db: &D1Database, token_hash: &str, day: &str) -> AppResult<Option<Answer>> {
    let Some(row) = usage::public_metrics(db, token_hash, day).await? else {
        return Ok(None);
    };
    let keys: Vec<KeyCells> = serde_json::from_str(&row.keys).map_err(AppError::internal)?;
    let keys = keys
        .into_iter()
        .map(key_figures)
        .collect::<AppResult<Vec<_>>>()?;
    let models: Vec<(String, i64, i64, i64, String)> =
        serde_json::from_str(&row.models).map_err(AppError::internal)?;
    let models = models
        .into_iter()
        .map(|(model, requests, tokens_input, tokens_output, cost)| {
            Ok(ModelFigures {
                model,
                requests,
                tokens_input,
                tokens_output,
                cost: store::money(&cost)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Some(Answer {
        token_id: row.token_id,
        last_used_at: row.last_used_at,
        body: render(&keys, &models, day, crate::clock::now()),
    }))
}

fn key_figures(cells: KeyCells) -> AppResult<KeyFigures> {
    let (id, name, synced, taken, daily, weekly, monthly, usage, limit, remaining, reset) = cells;
    let money = |v: Option<String>| store::money_opt(v.as_deref());
    let snapshot = match (
        taken.as_deref().and_then(crate::clock::parse_timestamp),
        money(usage)?,
    ) {
        (Some(taken_at), Some(usage)) => Some(KeySnapshot {
            taken_at,
            daily: money(daily)?.unwrap_or_default(),
            weekly: money(weekly)?.unwrap_or_default(),
            monthly: money(monthly)?.unwrap_or_default(),
            usage,
            limit: money(limit)?,
            remaining: money(remaining)?,
            limit_reset: reset,
        }),
        _ => None,
    };
    Ok(KeyFigures {
        id,
        name,
        last_synced_at: synced.as_deref().and_then(crate::clock::parse_timestamp),
        snapshot,
    })
}
