//! `/api/v1/metrics`'s answer: one D1 statement (`PUBLIC_METRICS`, the
//! token lookup folded in) rendered by `usage::metrics`.

use worker::D1Database;

use super::metrics::{render, KeyFigures, KeySnapshot, ModelFigures};
use super::shapes::Answer;
use crate::error::AppResult;
use crate::store::usage::MetricsKey;
use crate::store::{self, usage};

pub async fn metrics(db: &D1Database, token_hash: &str, day: &str) -> AppResult<Option<Answer>> {
    let Some(found) = usage::public_metrics(db, token_hash, day).await? else {
        return Ok(None);
    };
    let keys = found
        .keys
        .into_iter()
        .map(key_figures)
        .collect::<AppResult<Vec<_>>>()?;
    let models = found
        .models
        .into_iter()
        .map(|m| {
            Ok(ModelFigures {
                model: m.model,
                requests: m.requests_count,
                tokens_input: m.tokens_input,
                tokens_output: m.tokens_output,
                cost: store::money(&m.cost)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Some(Answer {
        grant: crate::domain::scope::Grant::of(
            found.token_id,
            found.last_used_at,
            found.scopes,
            found.expires_at.as_deref(),
        ),
        body: render(&keys, &models, day, crate::clock::now()),
    }))
}

fn key_figures(key: MetricsKey) -> AppResult<KeyFigures> {
    let money = |v: Option<String>| store::money_opt(v.as_deref());
    let snapshot = match (
        key.taken_at
            .as_deref()
            .and_then(crate::clock::parse_timestamp),
        money(key.usage)?,
    ) {
        (Some(taken_at), Some(usage)) => Some(KeySnapshot {
            taken_at,
            daily: money(key.usage_daily)?.unwrap_or_default(),
            weekly: money(key.usage_weekly)?.unwrap_or_default(),
            monthly: money(key.usage_monthly)?.unwrap_or_default(),
            usage,
            limit: money(key.credit_limit)?,
            remaining: money(key.limit_remaining)?,
            limit_reset: key.limit_reset,
        }),
        _ => None,
    };
    Ok(KeyFigures {
        id: key.id,
        name: key.name,
        last_synced_at: key
            .last_synced_at
            .as_deref()
            .and_then(crate::clock::parse_timestamp),
        snapshot,
    })
}
