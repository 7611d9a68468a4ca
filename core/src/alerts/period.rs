//! Budget periods: OpenRouter's `limit_reset` windows, all UTC (a day, a
//! week from Monday, a calendar month), plus `lifetime` for a limit that
//! never resets. Each maps to the counter OpenRouter keeps for it, so a
//! period's spend is OpenRouter's own figure, never re-derived.

#![deny(clippy::arithmetic_side_effects)]

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::money::Money;
use crate::domain::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = BudgetPeriod, description = "UTC windows as OpenRouter's `limit_reset`: a day, a week from Monday, a calendar month; `lifetime` only for an OpenRouter limit that never resets.")]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
    /// Only for an OpenRouter limit without `limit_reset`.
    Lifetime,
}

/// What OpenRouter's `GET /key` reports a key has spent, per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    pub usage: Money,
    pub daily: Money,
    pub weekly: Money,
    pub monthly: Money,
}

/// The window a moment falls in. Both ends are `None` for `lifetime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl Window {
    /// A stable name for the window, for idempotency keys and marks:
    /// its start (RFC 3339), or `lifetime`.
    pub fn label(&self) -> String {
        self.start
            .map(crate::clock::timestamp)
            .unwrap_or_else(|| "lifetime".to_owned())
    }
}

impl Period {
    pub const USER_CHOICES: [Period; 3] = [Period::Daily, Period::Weekly, Period::Monthly];

    /// A period a user may choose for a budget.
    pub fn parse(field: &str, text: &str) -> Result<Period, Invalid> {
        Period::USER_CHOICES
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or_else(|| Invalid::new(field, "must be one of daily, weekly, monthly"))
    }

    /// The period of an OpenRouter limit: its `limit_reset`, `lifetime`
    /// when there is none; `None` for a reset this product does not know.
    pub fn of_limit_reset(limit_reset: Option<&str>) -> Option<Period> {
        match limit_reset {
            None => Some(Period::Lifetime),
            Some(text) => Period::USER_CHOICES
                .into_iter()
                .find(|p| p.as_str() == text),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
            Period::Lifetime => "lifetime",
        }
    }

    pub fn spent(self, counters: &Counters) -> Money {
        match self {
            Period::Daily => counters.daily,
            Period::Weekly => counters.weekly,
            Period::Monthly => counters.monthly,
            Period::Lifetime => counters.usage,
        }
    }

    /// The window `at` falls in. At the edge of the calendar (a window
    /// whose end would pass chrono's last date) the end is `None`: that
    /// window never resets, rather than a panic.
    pub fn window(self, at: DateTime<Utc>) -> Window {
        let day = at.date_naive();
        let (start, end) = match self {
            Period::Daily => (Some(day), day.checked_add_days(Days::new(1))),
            Period::Weekly => {
                let back = Days::new(u64::from(day.weekday().num_days_from_monday()));
                let monday = day.checked_sub_days(back);
                (
                    monday,
                    monday.and_then(|m| m.checked_add_days(Days::new(7))),
                )
            }
            Period::Monthly => {
                let first = day.with_day(1).unwrap_or(day);
                (Some(first), first.checked_add_months(Months::new(1)))
            }
            Period::Lifetime => (None, None),
        };
        Window {
            start: start.map(midnight),
            end: end.map(midnight),
        }
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN))
}

/// The periods a person may give a budget ([`Period::USER_CHOICES`], what
/// [`Period::parse`] accepts), as the API document states them.
pub struct UserPeriod;

impl utoipa::PartialSchema for UserPeriod {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Period::USER_CHOICES.map(Period::as_str)))
            .into()
    }
}

impl ToSchema for UserPeriod {}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::testing::at;

    fn bounds(period: Period, when: &str) -> (String, String) {
        let w = period.window(at(when));
        (
            crate::clock::timestamp(w.start.unwrap()),
            crate::clock::timestamp(w.end.unwrap()),
        )
    }

    #[test]
    fn windows_are_utc_days_monday_weeks_and_calendar_months() {
        assert_eq!(
            bounds(Period::Daily, "2026-11-29T23:59:59Z"),
            ("2026-11-29T00:00:00Z".into(), "2026-11-30T00:00:00Z".into())
        );
        // 2026-11-29 is a Sunday: its week began on Monday the 23rd.
        assert_eq!(
            bounds(Period::Weekly, "2026-11-29T10:00:00Z"),
            ("2026-11-23T00:00:00Z".into(), "2026-11-30T00:00:00Z".into())
        );
        assert_eq!(
            bounds(Period::Weekly, "2026-11-30T00:00:00Z").0,
            "2026-11-30T00:00:00Z"
        );
        assert_eq!(
            bounds(Period::Monthly, "2026-12-31T12:00:00Z"),
            ("2026-12-01T00:00:00Z".into(), "2027-01-01T00:00:00Z".into())
        );
        assert_eq!(
            bounds(Period::Monthly, "2028-02-29T12:00:00Z"),
            ("2028-02-01T00:00:00Z".into(), "2028-03-01T00:00:00Z".into())
        );
        let lifetime = Period::Lifetime.window(at("2026-11-29T10:00:00Z"));
        assert_eq!((lifetime.start, lifetime.end), (None, None));
        assert_eq!(lifetime.label(), "lifetime");
    }

    #[test]
    fn each_period_reads_its_own_counter() {
        let c = Counters {
            usage: Money::from_units(4),
            daily: Money::from_units(1),
            weekly: Money::from_units(2),
            monthly: Money::from_units(3),
        };
        let read: Vec<i64> = [
            Period::Daily,
            Period::Weekly,
            Period::Monthly,
            Period::Lifetime,
        ]
        .iter()
        .map(|p| p.spent(&c).units())
        .collect();
        assert_eq!(read, [1, 2, 3, 4]);
    }

    #[test]
    fn users_choose_among_three_periods_and_limits_map_their_reset() {
        assert_eq!(Period::parse("period", "weekly"), Ok(Period::Weekly));
        for bad in ["lifetime", "Monthly", "yearly", ""] {
            assert!(Period::parse("period", bad).is_err(), "{bad}");
        }
        assert_eq!(Period::of_limit_reset(None), Some(Period::Lifetime));
        assert_eq!(
            Period::of_limit_reset(Some("monthly")),
            Some(Period::Monthly)
        );
        assert_eq!(Period::of_limit_reset(Some("hourly")), None);
    }

    #[test]
    fn the_edges_of_the_calendar_have_windows_without_an_end() {
        let last = DateTime::<Utc>::MAX_UTC;
        for period in Period::USER_CHOICES {
            let w = period.window(last);
            assert!(w.start.is_some_and(|s| s <= last), "{period:?}");
            assert_eq!(w.end, None, "{period:?}");
        }
        let w = Period::Weekly.window(DateTime::<Utc>::MIN_UTC);
        assert!(w.start.is_none() || w.start <= Some(DateTime::<Utc>::MIN_UTC));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn every_moment_lies_in_its_window(seconds in any::<i64>(), which in 0_usize..4) {
                let Some(moment) = DateTime::from_timestamp(seconds / 1_000, 0) else {
                    return Ok(());
                };
                let period = [Period::Daily, Period::Weekly, Period::Monthly, Period::Lifetime][which];
                let w = period.window(moment);
                if let Some(start) = w.start {
                    prop_assert!(start <= moment);
                }
                if let Some(end) = w.end {
                    prop_assert!(moment < end);
                    prop_assert!(w.start.is_some_and(|s| s < end));
                }
            }
        }
    }
}
