//! Spend spikes of one account (`spike`, pure): the hourly curves they are
//! judged on, read from the snapshots, and the events and episode marks
//! they add to the account's evaluation.

#![deny(clippy::arithmetic_side_effects)]

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, DurationRound, Utc};
use worker::D1Database;

use super::assess::{assess, KeyState};
use super::spike::{self, Hour, Mark, Sensitivity, BASELINE_HOURS, JUDGED_HOURS};
use super::standing::AccountStanding;
use crate::clock::{parse_timestamp, timestamp};
use crate::error::{AppError, AppResult};
use crate::store;
use crate::store::alerts::Evaluation;
use crate::store::spike_marks::SpikeMarkWrite;
use watcher_core::usage::hourly::{self, Reading};

/// What one account's spikes are judged on.
pub struct Watch {
    pub sensitivity: Sensitivity,
    pub marks: HashMap<String, Mark>,
    /// The judged hours and their baselines, oldest first: the last
    /// [`JUDGED_HOURS`] are judged.
    pub hour_starts: Vec<DateTime<Utc>>,
    pub hours_by_key: BTreeMap<i64, Vec<Hour>>,
}

/// The hours judged as of `latest` (OpenRouter's clock): the completed
/// ones, each with its baseline before it.
fn hour_starts(latest: DateTime<Utc>) -> Option<Vec<DateTime<Utc>>> {
    let end = latest.duration_trunc(Duration::hours(1)).ok()?;
    let count = i64::try_from(BASELINE_HOURS)
        .ok()?
        .checked_add(JUDGED_HOURS)?;
    (1..=count)
        .rev()
        .map(|back| end.checked_sub_signed(Duration::try_hours(back)?))
        .collect()
}

/// `None` when spikes are off for the account (nothing is read).
pub async fn load(db: &D1Database, org_id: i64, latest: DateTime<Utc>) -> AppResult<Option<Watch>> {
    let stored = store::organisations::spike_sensitivity(db, org_id).await?;
    let sensitivity =
        Sensitivity::parse("spike_sensitivity", stored.as_deref().unwrap_or("normal"))
            .map_err(|_| AppError::internal("stored spike sensitivity unreadable"))?;
    if sensitivity == Sensitivity::Off {
        return Ok(None);
    }
    let starts = hour_starts(latest).ok_or_else(|| AppError::internal("spike hours"))?;
    let (Some(first), Some(last)) = (starts.first(), starts.last()) else {
        return Ok(None);
    };
    let from = first.checked_sub_signed(Duration::hours(hourly::LOOKBACK_HOURS));
    let to = last.checked_add_signed(Duration::hours(2));
    let (Some(from), Some(to)) = (from, to) else {
        return Ok(None);
    };
    let rows =
        store::snapshots::readings(db, org_id, None, &timestamp(from), &timestamp(to)).await?;
    let mut readings: BTreeMap<i64, Vec<Reading>> = BTreeMap::new();
    for row in rows {
        let at =
            parse_timestamp(&row.observed_at).ok_or_else(|| AppError::internal("snapshot time"))?;
        let usage = store::money(&row.usage)?;
        readings
            .entry(row.api_key_id)
            .or_default()
            .push(Reading { at, usage });
    }
    let hours_by_key = readings
        .into_iter()
        .map(|(key, mut r)| {
            r.sort_by_key(|reading| reading.at);
            let curve = hourly::curve(&r, &starts);
            (key, spike::per_hour(&curve, &starts))
        })
        .collect();
    let marks = store::spike_marks::of_user(db, org_id)
        .await?
        .into_iter()
        .filter_map(|row| {
            let mark = Mark {
                episode_start: parse_timestamp(&row.episode_start)?,
                last_spike: parse_timestamp(&row.last_spike)?,
            };
            Some((row.subject, mark))
        })
        .collect();
    Ok(Some(Watch {
        sensitivity,
        marks,
        hour_starts: starts,
        hours_by_key,
    }))
}

/// Each key's spikes, and the account's when it has two keys or more (with
/// one, the account's curve is the key's: its spike is already told); and
/// the actions of the policies that act on a key's spike.
pub fn plan(watch: &Watch, standing: &AccountStanding, out: &mut Evaluation) {
    let Some(terms) = watch.sensitivity.terms() else {
        return;
    };
    let keys = &standing.keys;
    // (key, the hour its episode began) for the policies.
    let mut begun: Vec<(i64, DateTime<Utc>)> = Vec::new();
    let mut judge = |subject: String, key: Option<(i64, &str)>, hours: &[Hour]| {
        let judged = spike::judge(hours, BASELINE_HOURS, &terms);
        let previous = watch.marks.get(&subject).copied();
        let (mark, starts) = spike::episodes(previous, &judged);
        for start in &starts {
            let event = spike::event(key, start, watch.sensitivity);
            out.events.push(event_write(event));
            if let Some((id, _)) = key {
                begun.push((id, start.hour.start));
            }
        }
        if let Some(mark) = mark.filter(|m| Some(*m) != previous) {
            out.spike_marks.push(SpikeMarkWrite {
                subject,
                api_key_id: key.map(|(id, _)| id),
                episode_start: timestamp(mark.episode_start),
                last_spike: timestamp(mark.last_spike),
            });
        }
    };
    for key in keys {
        if let Some(hours) = watch.hours_by_key.get(&key.api_key_id) {
            judge(
                format!("key:{}", key.api_key_id),
                Some((key.api_key_id, &key.name)),
                hours,
            );
        }
    }
    if watch.hours_by_key.len() >= 2 {
        let all: Vec<Vec<Hour>> = watch.hours_by_key.values().cloned().collect();
        judge(
            "account".to_owned(),
            None,
            &spike::sum_hours(&all, &watch.hour_starts),
        );
    }
    for budget in &standing.budgets {
        let Some(state) = assess(budget, keys) else {
            continue;
        };
        out.claims.extend(begun.iter().filter_map(|&(id, hour)| {
            crate::policies::plan::spike_claim(budget, &state, id, hour)
        }));
    }
}

/// The latest observation of the account's keys (OpenRouter's clock): what
/// "now" is for its spikes and drift.
pub fn latest(keys: &[KeyState]) -> Option<DateTime<Utc>> {
    keys.iter()
        .filter_map(|k| k.latest.as_ref().map(|l| l.observed_at))
        .max()
}

/// An event as the store writes it.
pub fn event_write(event: super::events::NewEvent) -> crate::store::events::EventWrite {
    crate::store::events::EventWrite {
        dedup_key: event.dedup_key,
        kind: event.kind,
        api_key_id: event.api_key_id,
        payload: event.payload.to_string(),
    }
}
