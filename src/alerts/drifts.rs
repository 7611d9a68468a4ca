//! The drift check of one account (`drift`, pure): each key's `/activity`
//! totals and day-start running totals of the checked days, and the events
//! and `key_drift` rows the drifting days add to the evaluation.

#![deny(clippy::arithmetic_side_effects)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use worker::D1Database;

use super::assess::KeyState;
use super::drift::{self, days_to_check};
use crate::domain::dates::{format_day, parse_day};
use crate::domain::money::Money;
use crate::error::AppResult;
use crate::store;
use crate::store::alerts::Evaluation;
use crate::store::key_drift::DriftWrite;

type ByDay = BTreeMap<NaiveDate, Money>;

/// What one account's drift check reads.
pub struct Inputs {
    pub days: Vec<NaiveDate>,
    pub activity: BTreeMap<i64, ByDay>,
    pub starts: BTreeMap<i64, ByDay>,
    /// `(key, day)` already found drifting: told once.
    pub known: BTreeSet<(i64, NaiveDate)>,
}

/// The days settled as of `latest` (OpenRouter's clock), with their
/// figures; no day to check reads nothing.
pub async fn load(db: &D1Database, org_id: i64, latest: DateTime<Utc>) -> AppResult<Inputs> {
    let days = days_to_check(latest);
    let mut inputs = Inputs {
        days,
        activity: BTreeMap::new(),
        starts: BTreeMap::new(),
        known: BTreeSet::new(),
    };
    let (Some(first), Some(last)) = (inputs.days.first(), inputs.days.last()) else {
        return Ok(inputs);
    };
    for row in store::usage::activity_days(db, org_id, *first, *last).await? {
        if let Ok(day) = parse_day("date", &row.date) {
            inputs
                .activity
                .entry(row.api_key_id)
                .or_default()
                .insert(day, row.cost);
        }
    }
    for row in store::snapshots::day_start_totals(db, org_id, &format_day(*first)).await? {
        if let Ok(day) = parse_day("day", &row.day) {
            inputs
                .starts
                .entry(row.api_key_id)
                .or_default()
                .insert(day, row.start_total);
        }
    }
    for (key, day) in store::key_drift::known(db, org_id, &format_day(*first)).await? {
        if let Ok(day) = parse_day("day", &day) {
            inputs.known.insert((key, day));
        }
    }
    Ok(inputs)
}

pub fn plan(inputs: &Inputs, keys: &[KeyState], out: &mut Evaluation) {
    let empty = ByDay::new();
    for key in keys {
        let Some(activity) = inputs.activity.get(&key.api_key_id) else {
            continue;
        };
        let starts = inputs.starts.get(&key.api_key_id).unwrap_or(&empty);
        let found = drift::check(&inputs.days, activity, starts);
        for found in found
            .into_iter()
            .filter(|f| !inputs.known.contains(&(key.api_key_id, f.day)))
        {
            let event = drift::event(key.api_key_id, &key.name, &found);
            out.events.push(super::spikes::event_write(event));
            out.drifts.push(DriftWrite {
                api_key_id: key.api_key_id,
                day: format_day(found.day),
                activity: found.activity,
                running_total: found.running_total,
            });
        }
    }
}
