//! The drift check: do OpenRouter's `/activity` rows for a day add up to
//! what the key's own running total (`usage`) grew by that day?
//! (docs/alerts.md)
//!
//! A day's growth is read from OpenRouter's own counters: any snapshot
//! taken on a UTC day (OpenRouter's clock) gives the running total at that
//! day's start as `usage - usage_daily`, the first such snapshot is the one
//! kept, and the day's growth is the next day's start minus its own. Both
//! sides are exact (units of 1e-10 USD); a difference beyond [`TOLERANCE`]
//! drifts. Only the last [`CHECKED_DAYS`] completed days are checked (the
//! days the sync still refetches), each once it has settled
//! ([`SETTLED_AFTER`] past its end). The check only reports: stored
//! figures are never rewritten.

#![deny(clippy::arithmetic_side_effects)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;

use crate::domain::event::NewEvent;
use crate::domain::money::Money;

pub const KIND: &str = "data.drift";
/// 0.0001 USD, in units of 1e-10 USD: below it the two figures agree.
pub const TOLERANCE_UNITS: i64 = 1_000_000;
/// The completed days checked, counted back from the latest observation's.
pub const CHECKED_DAYS: u64 = 3;
/// How long after a day's end its figures are taken as settled.
pub const SETTLED_AFTER: Duration = Duration::hours(2);

/// A day whose two figures disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub day: NaiveDate,
    /// The sum of the day's `/activity` rows.
    pub activity: Money,
    /// The running total's growth over the day.
    pub running_total: Money,
    /// `activity - running_total`.
    pub difference: Money,
}

/// The days to check as of `latest` (OpenRouter's clock), oldest first.
pub fn days_to_check(latest: DateTime<Utc>) -> Vec<NaiveDate> {
    let today = latest.date_naive();
    (1..=CHECKED_DAYS)
        .rev()
        .filter_map(|back| today.checked_sub_days(chrono::Days::new(back)))
        .filter(|day| {
            day.succ_opt()
                .and_then(|next| next.and_hms_opt(0, 0, 0))
                .and_then(|end| end.and_utc().checked_add_signed(SETTLED_AFTER))
                .is_some_and(|settled| settled <= latest)
        })
        .collect()
}

/// The drifting days among `days`: those with activity rows and a running
/// total at both boundaries. `starts`: the running total at each day's start.
pub fn check(
    days: &[NaiveDate],
    activity: &BTreeMap<NaiveDate, Money>,
    starts: &BTreeMap<NaiveDate, Money>,
) -> Vec<Drift> {
    days.iter()
        .filter_map(|day| {
            let activity = *activity.get(day)?;
            let start = *starts.get(day)?;
            let end = *starts.get(&day.succ_opt()?)?;
            let running_total = end.checked_sub(start)?;
            let difference = activity.checked_sub(running_total)?;
            let beyond = difference.units().checked_abs()? > TOLERANCE_UNITS;
            beyond.then_some(Drift {
                day: *day,
                activity,
                running_total,
                difference,
            })
        })
        .collect()
}

/// One event per key and day.
pub fn event(api_key_id: i64, key_name: &str, drift: &Drift) -> NewEvent {
    let day = crate::domain::dates::format_day(drift.day);
    let message = format!(
        "Key “{key_name}”: OpenRouter's activity for {day} adds up to {} USD, but the key's running total grew by {} USD that day (a difference of {} USD). The stored figures are unchanged.",
        drift.activity, drift.running_total, drift.difference
    );
    NewEvent {
        dedup_key: format!("drift:{api_key_id}|{day}"),
        kind: KIND,
        api_key_id: Some(api_key_id),
        payload: json!({
            "type": KIND,
            "message": message,
            "api_key_id": api_key_id,
            "api_key_name": key_name,
            "scope": "key",
            "day": day,
            "activity": drift.activity,
            "running_total": drift.running_total,
            "difference": drift.difference,
            "tolerance": Money::from_units(TOLERANCE_UNITS),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::testing::{at, usd};

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn days(pairs: &[(&str, &str)]) -> BTreeMap<NaiveDate, Money> {
        pairs.iter().map(|(d, m)| (day(d), usd(m))).collect()
    }

    #[test]
    fn the_last_three_completed_days_once_settled() {
        assert_eq!(
            days_to_check(at("2026-12-05T02:00:00Z")),
            [day("2026-12-02"), day("2026-12-03"), day("2026-12-04")]
        );
        assert_eq!(
            days_to_check(at("2026-12-05T01:59:59Z")),
            [day("2026-12-02"), day("2026-12-03")]
        );
    }

    #[test]
    fn a_day_beyond_the_tolerance_drifts_and_one_within_it_does_not() {
        let starts = days(&[
            ("2026-12-02", "10"),
            ("2026-12-03", "13"),
            ("2026-12-04", "14"),
            ("2026-12-05", "15"),
        ]);
        let activity = days(&[
            ("2026-12-02", "3.5"),     // grew by 3: drift of 0.5
            ("2026-12-03", "1.0001"),  // exactly the tolerance: agrees
            ("2026-12-04", "0.99989"), // 0.00011 short: drifts
        ]);
        let checked = [day("2026-12-02"), day("2026-12-03"), day("2026-12-04")];
        let drifts = check(&checked, &activity, &starts);
        assert_eq!(drifts.len(), 2, "{drifts:?}");
        assert_eq!(
            (
                drifts[0].activity,
                drifts[0].running_total,
                drifts[0].difference
            ),
            (usd("3.5"), usd("3"), usd("0.5"))
        );
        assert_eq!(
            (drifts[1].day, drifts[1].difference),
            (day("2026-12-04"), usd("-0.00011"))
        );
        let e = event(7, "Production", &drifts[0]);
        assert_eq!(e.dedup_key, "drift:7|2026-12-02");
        assert_eq!(
            (
                e.payload["activity"].as_str(),
                e.payload["running_total"].as_str(),
                e.payload["tolerance"].as_str()
            ),
            (Some("3.5"), Some("3"), Some("0.0001"))
        );
    }

    #[test]
    fn a_day_without_both_figures_is_not_checked() {
        let starts = days(&[("2026-12-02", "10"), ("2026-12-03", "13")]);
        let checked = [day("2026-12-02"), day("2026-12-03")];
        // No activity rows for the 2nd; no end boundary for the 3rd.
        assert!(check(&checked, &days(&[("2026-12-03", "9")]), &starts).is_empty());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_figures_are_checked_without_panicking(
                a in any::<i64>(), s in any::<i64>(), e in any::<i64>(), seconds in any::<i64>(),
            ) {
                let d = day("2026-12-02");
                let starts = BTreeMap::from([(d, Money::from_units(s)), (day("2026-12-03"), Money::from_units(e))]);
                let activity = BTreeMap::from([(d, Money::from_units(a))]);
                for drift in check(&[d], &activity, &starts) {
                    prop_assert!(drift.difference.units().unsigned_abs() > TOLERANCE_UNITS as u64);
                    let _ = event(1, "k", &drift);
                }
                let latest = DateTime::from_timestamp(seconds / 1_000, 0).unwrap_or_default();
                prop_assert!(days_to_check(latest).len() <= 3);
                let _ = days_to_check(DateTime::<Utc>::MAX_UTC);
                let _ = days_to_check(DateTime::<Utc>::MIN_UTC);
            }
        }
    }
}
