//! The hourly spend curve, from consecutive snapshots of OpenRouter's
//! all-time `usage` counter (a running total that never resets, so day
//! boundaries need no special case). Pure, tested natively.
//!
//! An hour's *reading* is the first snapshot taken in it (on OpenRouter's
//! clock), normally the hourly sync's a few seconds past the hour. Hour H's
//! figure is the reading of hour H+1 minus the previous reading: exact
//! differences of OpenRouter's own totals. An hour whose end has no reading
//! is a gap (`null`, never a zero); the next hour with one carries the whole
//! difference since the last reading and says how many hours it covers.
//!
//! Sums saturate at the largest amount a [`Money`] holds (about 922
//! million USD, which no account's hour reaches) instead of wrapping.

#![deny(clippy::arithmetic_side_effects)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api_doc::vocabulary;

use crate::domain::money::Money;
use crate::domain::tz::Zone;

/// How far before the first hour a reading is looked for, so the first
/// figures can carry across a short outage.
pub const LOOKBACK_HOURS: i64 = 48;

/// A snapshot's all-time usage at a moment (OpenRouter's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub at: DateTime<Utc>,
    pub usage: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HourPoint {
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    pub start: String,
    #[schema(value_type = vocabulary::schemas::NullableMoney, required = true)]
    pub spend: Option<Money>,
    /// Hours the figure covers: more than 1 when it carries earlier gaps.
    #[schema(minimum = 1)]
    pub hours: u32,
}

/// The figures of the hours starting at `hour_starts` (consecutive, one
/// hour apart), from `readings` sorted by time (the lookback included).
pub fn curve(readings: &[Reading], hour_starts: &[DateTime<Utc>]) -> Vec<HourPoint> {
    let Some(&first) = hour_starts.first() else {
        return Vec::new();
    };
    // The reading of the boundary `offset` hours after the first hour's
    // start: the first snapshot within the hour that starts there.
    let reading_at = |offset: i64| -> Option<Money> {
        let boundary = first.checked_add_signed(Duration::try_hours(offset)?)?;
        let next = boundary.checked_add_signed(Duration::hours(1))?;
        let i = readings.partition_point(|r| r.at < boundary);
        readings.get(i).filter(|r| r.at < next).map(|r| r.usage)
    };
    // The newest reading of the lookback: (its offset, its usage).
    let mut last: Option<(i64, Money)> = (-LOOKBACK_HOURS..=0)
        .rev()
        .find_map(|offset| reading_at(offset).map(|usage| (offset, usage)));
    hour_starts
        .iter()
        .zip(1_i64..)
        .map(|(start, end)| {
            let now = reading_at(end);
            let point = match (now, last) {
                (Some(now), Some((previous, before))) => HourPoint {
                    start: crate::clock::timestamp(*start),
                    spend: now.checked_sub(before),
                    hours: u32::try_from(end.saturating_sub(previous)).unwrap_or(u32::MAX),
                },
                _ => HourPoint {
                    start: crate::clock::timestamp(*start),
                    spend: None,
                    hours: 1,
                },
            };
            if let Some(now) = now {
                last = Some((end, now));
            }
            point
        })
        .collect()
}

/// One local day's total: the sum of its hours' figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LocalDay {
    #[schema(value_type = vocabulary::schemas::Date)]
    pub date: String,
    #[schema(value_type = vocabulary::schemas::NullableMoney, required = true)]
    pub spend: Option<Money>,
    /// 24, or 23/25 on a daylight-saving switch day.
    #[schema(minimum = 1, maximum = 25)]
    pub hours: usize,
    #[schema(minimum = 0)]
    pub gaps: usize,
}

/// Groups hour points (of one key, or summed over keys) into local days.
pub fn local_days(zone: &Zone, points: &[(DateTime<Utc>, Option<Money>)]) -> Vec<LocalDay> {
    let mut days: BTreeMap<NaiveDate, LocalDay> = BTreeMap::new();
    for (start, spend) in points {
        let date = zone.day_of(*start);
        let day = days.entry(date).or_insert_with(|| LocalDay {
            date: crate::domain::dates::format_day(date),
            spend: None,
            hours: 0,
            gaps: 0,
        });
        day.hours = day.hours.saturating_add(1);
        match spend {
            Some(s) => day.spend = Some(day.spend.unwrap_or(Money::ZERO).saturating_add(*s)),
            None => day.gaps = day.gaps.saturating_add(1),
        }
    }
    days.into_values().collect()
}

/// Several keys' curves over the same hours as one: an hour is a gap only
/// when every key's is.
pub fn sum_curves(
    curves: &[Vec<HourPoint>],
    hour_starts: &[DateTime<Utc>],
) -> Vec<(DateTime<Utc>, Option<Money>)> {
    hour_starts
        .iter()
        .enumerate()
        .map(|(i, start)| {
            let spend = curves
                .iter()
                .filter_map(|c| c.get(i).and_then(|p| p.spend))
                .fold(None, |sum: Option<Money>, s| {
                    Some(sum.unwrap_or(Money::ZERO).saturating_add(s))
                });
            (*start, spend)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::testing::{at, usd};

    fn reading(when: &str, usage: &str) -> Reading {
        Reading {
            at: at(when),
            usage: usd(usage),
        }
    }

    fn hours(from: &str, n: i32) -> Vec<DateTime<Utc>> {
        (0..n)
            .map(|i| at(from) + Duration::hours(i.into()))
            .collect()
    }

    fn spends(points: &[HourPoint]) -> Vec<Option<String>> {
        points
            .iter()
            .map(|p| p.spend.map(|s| s.to_string()))
            .collect()
    }

    #[test]
    fn each_hour_is_the_difference_of_its_readings_across_midnight() {
        let readings = [
            reading("2026-11-28T22:00:04Z", "10"),
            reading("2026-11-28T22:40:00Z", "10.2"), // a manual sync: not a reading
            reading("2026-11-28T23:00:03Z", "10.25"),
            reading("2026-11-29T00:00:05Z", "11"),
            reading("2026-11-29T01:00:02Z", "11.0000000001"),
        ];
        let points = curve(&readings, &hours("2026-11-28T22:00:00Z", 3));
        assert_eq!(
            spends(&points),
            [
                Some("0.25".into()),
                Some("0.75".into()),
                Some("0.0000000001".into())
            ]
        );
        assert!(points.iter().all(|p| p.hours == 1));
        assert_eq!(points[2].start, "2026-11-29T00:00:00Z");
    }

    #[test]
    fn a_missed_hour_is_a_gap_and_the_next_carries_the_difference() {
        let readings = [
            reading("2026-11-29T10:00:00Z", "1"),
            reading("2026-11-29T11:00:00Z", "2"),
            // 12:00 missed
            reading("2026-11-29T13:00:00Z", "5"),
        ];
        let points = curve(&readings, &hours("2026-11-29T10:00:00Z", 4));
        assert_eq!(
            spends(&points),
            [Some("1".into()), None, Some("3".into()), None]
        );
        assert_eq!(points[2].hours, 2);
        // The reading before the range is found in the lookback.
        let points = curve(&readings, &hours("2026-11-29T12:00:00Z", 1));
        assert_eq!(
            (spends(&points), points[0].hours),
            (vec![Some("3".into())], 2)
        );
        assert_eq!(
            spends(&curve(&[], &hours("2026-11-29T12:00:00Z", 2))),
            [None, None]
        );
    }

    #[test]
    fn local_days_sum_their_hours_and_count_them() {
        let la = Zone::parse("tz", "America/Los_Angeles").unwrap();
        let (starts, _) = la.hour_starts(
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        );
        let points: Vec<(DateTime<Utc>, Option<Money>)> = starts
            .iter()
            .enumerate()
            .map(|(i, s)| (*s, (i != 3).then(|| Money::from_units(i as i64))))
            .collect();
        let days = local_days(&la, &points);
        assert_eq!(
            (days[0].date.as_str(), days[0].hours, days[0].gaps),
            ("2026-11-01", 25, 1)
        );
        assert_eq!(
            days[0].spend,
            Some(Money::from_units((0..25).sum::<i64>() - 3))
        );
        assert_eq!((days[1].hours, days[1].gaps), (24, 0));
    }

    #[test]
    fn summed_curves_are_gaps_only_where_every_key_has_one() {
        let starts = hours("2026-11-29T10:00:00Z", 2);
        let a = vec![
            HourPoint {
                start: String::new(),
                spend: Some(usd("1")),
                hours: 1,
            },
            HourPoint {
                start: String::new(),
                spend: None,
                hours: 1,
            },
        ];
        let b = vec![
            HourPoint {
                start: String::new(),
                spend: Some(usd("0.5")),
                hours: 1,
            },
            HourPoint {
                start: String::new(),
                spend: None,
                hours: 1,
            },
        ];
        let sum = sum_curves(&[a, b], &starts);
        assert_eq!(
            sum.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
            [Some(usd("1.5")), None]
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_readings_make_a_curve_that_adds_up(
                steps in proptest::collection::vec((0_i64..7_200, any::<i64>()), 0..40),
                start_offset in -200_i64..200,
                hours in 0_usize..72,
            ) {
                let base = at("2026-11-29T00:00:00Z");
                let mut t = base;
                let mut readings = Vec::new();
                for (gap, usage) in steps {
                    t += Duration::seconds(gap);
                    readings.push(Reading { at: t, usage: Money::from_units(usage) });
                }
                let first = base + Duration::hours(start_offset);
                let starts: Vec<DateTime<Utc>> =
                    (0..hours).map(|h| first + Duration::hours(h as i64)).collect();
                let points = curve(&readings, &starts);
                prop_assert_eq!(points.len(), hours);
                prop_assert!(points.iter().all(|p| p.hours >= 1));
                let zone = Zone::parse("tz", "America/Los_Angeles").unwrap();
                let summed = sum_curves(&[points.clone(), points], &starts);
                let days = local_days(&zone, &summed);
                prop_assert_eq!(days.iter().map(|d| d.hours).sum::<usize>(), hours);
            }

            #[test]
            fn extreme_hours_never_panic(usage in any::<i64>(), which in 0_usize..2) {
                let edge = [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC][which];
                let readings = [Reading { at: edge, usage: Money::from_units(usage) }];
                let points = curve(&readings, &[edge]);
                prop_assert_eq!(points.len(), 1);
            }
        }
    }
}
