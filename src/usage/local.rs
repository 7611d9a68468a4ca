//! Spend by hour and by local day in a time zone (docs/integrations.md):
//! `GET /api/usage/hourly`, and the dashboard's `local_daily`. The
//! arithmetic is `usage::hourly` (pure); this reads the snapshots and the
//! zone.

#![deny(clippy::arithmetic_side_effects)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;
use worker::D1Database;

use super::hourly::{self, HourPoint, LocalDay, Reading};
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::dates::{format_day, parse_day, DateRange};
use crate::domain::money::Money;
use crate::domain::page::parse_bounded;
use crate::domain::tz::Zone;
use crate::domain::Invalid;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::store;

/// The longest hourly range: a month of hours.
pub const MAX_HOURLY_DAYS: i64 = 31;

/// The zone a request asks for, else the account's preference.
pub async fn zone_of(db: &D1Database, org_id: i64, asked: Option<&str>) -> AppResult<Zone> {
    if let Some(name) = asked {
        return Ok(Zone::parse("tz", name)?);
    }
    let stored = store::organisations::tz(db, org_id).await?;
    Ok(stored
        .and_then(|name| Zone::parse("tz", &name).ok())
        .unwrap_or_default())
}

/// Each key's hourly curve over the local days of `range` in `zone`.
pub struct Curves {
    pub hour_starts: Vec<DateTime<Utc>>,
    pub by_key: BTreeMap<i64, Vec<HourPoint>>,
}

pub async fn curves(
    db: &D1Database,
    org_id: i64,
    api_key_id: Option<i64>,
    zone: &Zone,
    range: &DateRange,
) -> AppResult<Curves> {
    let (hour_starts, end) = zone.hour_starts(range.start(), range.end());
    // Snapshots older than 90 days are gone (`jobs::cleanup`): those hours
    // are gaps, and cost nothing to look for.
    let from = hour_starts.first().map_or(end, |first| {
        first
            .checked_sub_signed(Duration::hours(hourly::LOOKBACK_HOURS))
            .unwrap_or(*first)
    });
    // The reading that ends the last hour lies in the hour after it.
    let to = end.checked_add_signed(Duration::hours(1)).unwrap_or(end);
    let rows = store::snapshots::readings(
        db,
        org_id,
        api_key_id,
        &clock::timestamp(from),
        &clock::timestamp(to),
    )
    .await?;
    let mut readings: BTreeMap<i64, Vec<Reading>> = BTreeMap::new();
    for row in rows {
        let at = clock::parse_timestamp(&row.observed_at)
            .ok_or_else(|| AppError::internal("snapshot time"))?;
        let usage = store::money(&row.usage)?;
        readings
            .entry(row.api_key_id)
            .or_default()
            .push(Reading { at, usage });
    }
    let by_key = readings
        .into_iter()
        .map(|(key, mut r)| {
            r.sort_by_key(|reading| reading.at);
            (key, hourly::curve(&r, &hour_starts))
        })
        .collect();
    Ok(Curves {
        hour_starts,
        by_key,
    })
}

#[derive(Serialize, ToSchema)]
#[schema(as = HourlyCurve, description = "Spend per hour from consecutive snapshots (docs/integrations.md): exact differences of OpenRouter's running total; gaps are null.")]
struct HourlyResponse {
    #[schema(value_type = vocabulary::schemas::TimeZone)]
    tz: &'static str,
    #[schema(minimum = 1, maximum = 9007199254740991_i64, required = true)]
    api_key_id: Option<i64>,
    #[schema(value_type = vocabulary::schemas::Date)]
    start_date: String,
    #[schema(value_type = vocabulary::schemas::Date)]
    end_date: String,
    #[schema(max_items = 745)]
    hours: Vec<HourPoint>,
    #[schema(max_items = 31)]
    days: Vec<LocalDay>,
    #[schema(value_type = vocabulary::schemas::NullableMoney, required = true)]
    total: Option<Money>,
}

/// Spend per hour, and per local day
///
/// From consecutive snapshots of OpenRouter's running total (docs/integrations.md). At most 31 local days; default yesterday and today in the zone.
#[utoipa::path(
    get,
    path = "/api/usage/hourly",
    operation_id = "hourlyUsage",
    tag = "usage",
    params(("api_key_id" = Option<i64>, Query, minimum = 1, maximum = 9007199254740991_i64, description = "One key (another user's: 404); absent: all keys summed."), ("start_date" = Option<vocabulary::schemas::Date>, Query, description = "First local day in the zone. Default: yesterday in the zone."), ("end_date" = Option<vocabulary::schemas::Date>, Query, description = "Last local day in the zone (included), at most 31 days after start_date counting both ends. Default: today in the zone."), vocabulary::params::TimeZoneQuery),
    responses(
        (status = 200, description = "The curve.", body = HourlyResponse),
        (status = 400, response = vocabulary::responses::BadRequest),
        (status = 404, response = vocabulary::responses::NotFound),
        (status = 422, response = vocabulary::responses::ValidationError),
    )
)]
pub async fn hourly(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let query = QueryParams::parse(
        cx.req.query.as_deref(),
        &["api_key_id", "start_date", "end_date", "tz"],
    )?;
    let db = cx.app.db()?;
    let zone = zone_of(&db, user.org_id, query.get("tz")).await?;
    let api_key_id = query
        .get("api_key_id")
        .map(|v| parse_bounded("api_key_id", Some(v), 0, 1, i64::MAX))
        .transpose()?;
    let range = hourly_range(&query, zone.day_of(clock::now()))?;
    if range.days() > MAX_HOURLY_DAYS {
        return Err(Invalid::new(
            "end_date",
            format!("must be at most {MAX_HOURLY_DAYS} days after start_date (both ends count)"),
        )
        .into());
    }
    if let Some(id) = api_key_id {
        store::api_keys::get(&db, user.org_id, id)
            .await?
            .ok_or_else(|| AppError::not_found("API key"))?;
    }
    let curves = curves(&db, user.org_id, api_key_id, &zone, &range).await?;
    let hours = match api_key_id.and_then(|id| curves.by_key.get(&id)) {
        Some(one) => one.clone(),
        None => summed(&curves),
    };
    let points: Vec<(DateTime<Utc>, Option<Money>)> = curves
        .hour_starts
        .iter()
        .copied()
        .zip(hours.iter().map(|p| p.spend))
        .collect();
    let days = hourly::local_days(&zone, &points);
    let spends: Vec<Money> = days.iter().filter_map(|d| d.spend).collect();
    let total = match spends.is_empty() {
        true => None,
        false => Some(
            spends
                .into_iter()
                .try_fold(Money::ZERO, Money::checked_add)
                .ok_or_else(|| AppError::internal("cost overflow"))?,
        ),
    };
    Reply::ok(&HourlyResponse {
        tz: zone.name(),
        api_key_id,
        start_date: format_day(range.start()),
        end_date: format_day(range.end()),
        hours,
        days,
        total,
    })
}

/// `end_date` defaults to today in the zone, `start_date` to the day before
/// `end_date`.
fn hourly_range(query: &QueryParams, today: chrono::NaiveDate) -> Result<DateRange, Invalid> {
    let end = match query.get("end_date") {
        Some(text) => parse_day("end_date", text)?,
        None => today,
    };
    let start = match query.get("start_date") {
        Some(text) => parse_day("start_date", text)?,
        None => end.pred_opt().unwrap_or(end),
    };
    DateRange::new(start, end)
}

/// The account's curve: every key's figures summed hour by hour.
fn summed(curves: &Curves) -> Vec<HourPoint> {
    let all: Vec<Vec<HourPoint>> = curves.by_key.values().cloned().collect();
    hourly::sum_curves(&all, &curves.hour_starts)
        .into_iter()
        .map(|(start, spend)| HourPoint {
            start: clock::timestamp(start),
            spend,
            hours: 1,
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyDaySpend {
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub api_key_id: i64,
    #[schema(value_type = vocabulary::schemas::NullableMoney, required = true)]
    pub spend: Option<Money>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocalDayTotal {
    #[serde(flatten)]
    pub day: LocalDay,
    #[schema(inline)]
    pub by_key: Vec<KeyDaySpend>,
}

/// The dashboard's `local_daily`: the account's local days over `range`
/// (read as local days), with each key's share; `None` in UTC, where the
/// dashboard's `daily` already is by local day.
pub async fn local_daily(
    db: &D1Database,
    org_id: i64,
    api_key_id: Option<i64>,
    zone: &Zone,
    range: &DateRange,
) -> AppResult<Option<Vec<LocalDayTotal>>> {
    if zone.is_utc() {
        return Ok(None);
    }
    let curves = curves(db, org_id, api_key_id, zone, range).await?;
    let all = hourly::local_days(zone, &zip(&curves.hour_starts, &summed(&curves)));
    let per_key: Vec<(i64, Vec<LocalDay>)> = curves
        .by_key
        .iter()
        .map(|(key, points)| {
            (
                *key,
                hourly::local_days(zone, &zip(&curves.hour_starts, points)),
            )
        })
        .collect();
    Ok(Some(
        all.into_iter()
            .enumerate()
            .map(|(i, day)| LocalDayTotal {
                by_key: per_key
                    .iter()
                    .map(|(key, days)| KeyDaySpend {
                        api_key_id: *key,
                        spend: days.get(i).and_then(|d| d.spend),
                    })
                    .collect(),
                day,
            })
            .collect(),
    ))
}

fn zip(starts: &[DateTime<Utc>], points: &[HourPoint]) -> Vec<(DateTime<Utc>, Option<Money>)> {
    starts
        .iter()
        .copied()
        .zip(points.iter().map(|p| p.spend))
        .collect()
}
