//! Spend so far in the periods OpenRouter resets on (UTC day, week from
//! Monday, month), from each key's latest snapshot. Pure, tested natively.

#![deny(clippy::arithmetic_side_effects)]

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::overview::{add, Overflow};
use crate::api_doc::vocabulary;
use crate::domain::dates::format_day;
use crate::domain::money::Money;

/// What a key's latest OpenRouter snapshot says it spent in the periods
/// OpenRouter resets on (UTC day, week from Monday, month).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotSpend {
    pub taken_at: DateTime<Utc>,
    pub usage_daily: Money,
    pub usage_weekly: Money,
    pub usage_monthly: Money,
}

/// Spend so far in the current UTC day, week and month, from the keys'
/// latest snapshots. A snapshot counts for a period only if it was taken in
/// it: yesterday's `usage_daily` is yesterday's spend, not today's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PeriodSpend {
    pub today: Money,
    pub this_week: Money,
    pub this_month: Money,
    /// Keys with a snapshot taken today.
    #[schema(minimum = 0)]
    pub keys_reporting: i64,
    #[schema(value_type = vocabulary::schemas::Date)]
    pub week_start: String,
    #[schema(value_type = vocabulary::schemas::Date)]
    pub month_start: String,
}

pub fn period_spend(
    snapshots: &[SnapshotSpend],
    now: DateTime<Utc>,
) -> Result<PeriodSpend, Overflow> {
    let today = now.date_naive();
    let back = chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
    let week_start = today.checked_sub_days(back).unwrap_or(today);
    let month_start = today.with_day(1).unwrap_or(today);
    let mut spend = PeriodSpend {
        today: Money::ZERO,
        this_week: Money::ZERO,
        this_month: Money::ZERO,
        keys_reporting: 0,
        week_start: format_day(week_start),
        month_start: format_day(month_start),
    };
    for s in snapshots {
        let day: NaiveDate = s.taken_at.date_naive();
        if day > today {
            continue;
        }
        if day == today {
            spend.today = add(spend.today, s.usage_daily)?;
            spend.keys_reporting = spend.keys_reporting.saturating_add(1);
        }
        if day >= week_start {
            spend.this_week = add(spend.this_week, s.usage_weekly)?;
        }
        if day >= month_start {
            spend.this_month = add(spend.this_month, s.usage_monthly)?;
        }
    }
    Ok(spend)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::testing::usd;
    use chrono::TimeZone;

    fn snapshot(
        at: (i32, u32, u32, u32),
        daily: &str,
        weekly: &str,
        monthly: &str,
    ) -> SnapshotSpend {
        SnapshotSpend {
            taken_at: Utc.with_ymd_and_hms(at.0, at.1, at.2, at.3, 0, 0).unwrap(),
            usage_daily: usd(daily),
            usage_weekly: usd(weekly),
            usage_monthly: usd(monthly),
        }
    }

    #[test]
    fn period_spend_counts_a_snapshot_only_in_the_periods_it_was_taken_in() {
        // Sunday 2026-11-29, 08:00 UTC: the week began on Monday the 23rd.
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 8, 0, 0).unwrap();
        let spend = period_spend(
            &[
                snapshot((2026, 11, 29, 7), "1", "5", "20"),
                // Yesterday: not today's spend, still this week's and month's.
                snapshot((2026, 11, 28, 23), "2", "4", "10"),
                // Last week, same month.
                snapshot((2026, 11, 20, 12), "3", "3", "7"),
                // Last month.
                snapshot((2026, 10, 31, 12), "4", "4", "4"),
            ],
            now,
        )
        .unwrap();
        assert_eq!(spend.today, usd("1"));
        assert_eq!(spend.keys_reporting, 1);
        assert_eq!(spend.this_week, usd("9"));
        assert_eq!(spend.this_month, usd("37"));
        assert_eq!(spend.week_start, "2026-11-23");
        assert_eq!(spend.month_start, "2026-11-01");
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // Monday 2026-11-30: Sunday's snapshot belongs to last week.
        let monday = Utc.with_ymd_and_hms(2026, 11, 30, 0, 30, 0).unwrap();
        let sunday = snapshot((2026, 11, 29, 23), "1", "5", "20");
        let spend = period_spend(&[sunday], monday).unwrap();
        assert_eq!(spend.week_start, "2026-11-30");
        assert_eq!(spend.this_week, Money::ZERO);
        assert_eq!(spend.this_month, usd("20"));
        // Tuesday 2026-12-01: Monday's snapshot is this week's, not this month's.
        let tuesday = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let monday_snapshot = snapshot((2026, 11, 30, 22), "1", "6", "21");
        let spend = period_spend(&[monday_snapshot], tuesday).unwrap();
        assert_eq!(spend.this_week, usd("6"));
        assert_eq!(spend.this_month, Money::ZERO);
        assert_eq!(spend.month_start, "2026-12-01");
    }
}
