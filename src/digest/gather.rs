//! A digest's figures, read with the dashboard's own queries
//! (`usage::dashboard::overview_of` over the period's dates, the budgets
//! as `GET /api/budgets` shows them), so a digest and the dashboard agree
//! to the last unit; then laid out by the pure `digest::render`.

use chrono::{DateTime, Utc};
use worker::D1Database;

use super::period::Period;
use super::render::{AlertLine, BudgetLine, Digest, Spender};
use crate::alerts::view::BudgetView;
use crate::clock;
use crate::domain::dates::DateRange;
use crate::domain::key::KeyKind;
use crate::domain::money::Money;
use crate::domain::tz::Zone;
use crate::error::{AppError, AppResult};
use crate::store::{self, api_keys::KeyRow, usage::UsageFilter};
use crate::usage::dashboard::overview_of;

/// Alert lines a digest lists at most.
const MAX_ALERTS: i64 = 20;

pub struct Asked<'a> {
    pub org_id: i64,
    pub zone: &'a Zone,
    pub period: Period,
    pub previous: Period,
    pub preview: bool,
    pub dashboard_url: String,
}

fn range_of(period: &Period) -> AppResult<DateRange> {
    Ok(DateRange::new(period.start, period.end)?)
}

pub async fn gather(db: &D1Database, asked: &Asked<'_>, now: DateTime<Utc>) -> AppResult<Digest> {
    let keys = store::api_keys::all_of_user(db, asked.org_id).await?;
    let names: Vec<(i64, String)> = keys.iter().map(|k| (k.id, k.name.clone())).collect();
    let filter = |range| UsageFilter {
        org_id: asked.org_id,
        range,
        api_key_id: None,
        model: None,
    };
    let this = overview_of(db, &filter(range_of(&asked.period)?), &names).await?;
    let before = overview_of(db, &filter(range_of(&asked.previous)?), &names).await?;
    let standing = crate::alerts::standing::load(db, asked.org_id, now).await?;
    let budgets = crate::alerts::view::all(&standing);
    let alerts = alerts_of(db, asked).await?;
    let spent: Vec<i64> = this
        .keys
        .iter()
        .filter(|k| k.counts.cost != Money::ZERO)
        .map(|k| k.api_key_id)
        .collect();
    let mut top_keys: Vec<Spender> = this
        .keys
        .iter()
        .filter(|k| k.counts.cost != Money::ZERO)
        .map(|k| Spender {
            name: k.name.clone(),
            cost: k.counts.cost,
        })
        .collect();
    top_keys.sort_by(|a, b| b.cost.cmp(&a.cost).then_with(|| a.name.cmp(&b.name)));
    Ok(Digest {
        period: asked.period,
        previous: asked.previous,
        tz: asked.zone.name().to_owned(),
        total: this.totals.total_cost,
        previous_total: before.totals.total_cost,
        top_keys,
        top_models: this
            .models
            .iter()
            .map(|m| Spender {
                name: m.model.clone(),
                cost: m.counts.cost,
            })
            .collect(),
        budgets: budgets.iter().map(budget_line).collect(),
        alerts,
        dormant_keys: watched(&keys)
            .filter(|k| !spent.contains(&k.id))
            .map(|k| k.name.clone())
            .collect(),
        unlimited_keys: watched(&keys)
            .filter(|k| k.snapshot_taken_at.is_some() && k.snapshot_limit.is_none())
            .map(|k| k.name.clone())
            .collect(),
        dashboard_url: asked.dashboard_url.clone(),
        preview: asked.preview,
    })
}

/// Active inference keys: the ones that can spend.
fn watched(keys: &[KeyRow]) -> impl Iterator<Item = &KeyRow> {
    keys.iter()
        .filter(|k| k.kind == KeyKind::Inference && k.is_active)
}

/// The period's alert events, from its first local midnight to the one
/// after its last day.
async fn alerts_of(db: &D1Database, asked: &Asked<'_>) -> AppResult<Vec<AlertLine>> {
    let from = asked.zone.day_start(asked.period.start);
    let after = asked
        .period
        .end
        .succ_opt()
        .ok_or_else(|| AppError::internal("digest period end"))?;
    let to = asked.zone.day_start(after);
    let rows = store::alerts::events_between(
        db,
        asked.org_id,
        &clock::timestamp(from),
        &clock::timestamp(to),
        MAX_ALERTS,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let payload: serde_json::Value = serde_json::from_str(&row.payload).unwrap_or_default();
            let text = |name: &str| {
                payload
                    .get(name)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            };
            let kind = text("type").unwrap_or_else(|| "alert".to_owned());
            AlertLine {
                at: row.created_at,
                message: text("message").unwrap_or_else(|| kind.clone()),
                kind,
            }
        })
        .collect())
}

fn budget_line(b: &BudgetView) -> BudgetLine {
    let period = serde_json::to_value(b.period)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let whose = b
        .api_key_name
        .as_deref()
        .map_or_else(|| "Account".to_owned(), |name| format!("Key {name}"));
    let runway = match &b.runway {
        None => "no projection yet".to_owned(),
        Some(r) => match (&r.reached_at, r.days_before_reset) {
            (Some(at), Some(days)) => format!(
                "at this rate reached on {}, {days} days before it resets",
                at.get(..10).unwrap_or(at)
            ),
            (Some(at), None) => format!("at this rate reached on {}", at.get(..10).unwrap_or(at)),
            (None, _) => match r.projected_period_spend {
                Some(p) => format!("on track: about {p} USD by the reset"),
                None => "on track".to_owned(),
            },
        },
    };
    BudgetLine {
        label: format!("{whose}, {} USD {period} budget", b.amount),
        spent: b.status.as_ref().map_or(Money::ZERO, |s| s.spent),
        amount: b.amount,
        runway,
    }
}
