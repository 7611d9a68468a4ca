//! Runway: where the spend of a period is heading at the recent burn rate.
//!
//! The rate is the growth of OpenRouter's all-time `usage` counter between
//! the oldest and the newest snapshot of the last 7 days: that counter never
//! resets, so the rate is right across period boundaries. All arithmetic is
//! on integer units of 1e-10 USD with exact rationals (units per seconds);
//! a time is rounded up to the next second, an amount down to the unit.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::thresholds::percent_ratio;
use crate::domain::money::Money;

/// How far back the burn rate looks.
pub const WINDOW_DAYS: i64 = 7;
/// A rate needs snapshots at least this far apart to mean anything.
pub const MIN_BASIS: Duration = Duration::hours(1);

/// A key's all-time usage at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub at: DateTime<Utc>,
    pub usage: Money,
}

/// Spend per time: `units` (1e-10 USD) per `seconds`, measured between two
/// moments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Burn {
    pub units: i128,
    pub seconds: i128,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Burn {
    /// Between the oldest and the newest point; `None` when they are less
    /// than [`MIN_BASIS`] apart. A counter that went down (it never should)
    /// counts as no spend.
    pub fn between(oldest: Point, newest: Point) -> Option<Burn> {
        let span = newest.at - oldest.at;
        if span < MIN_BASIS {
            return None;
        }
        let units = i128::from(newest.usage.units()) - i128::from(oldest.usage.units());
        Some(Burn {
            units: units.max(0),
            seconds: i128::from(span.num_seconds()),
            from: oldest.at,
            to: newest.at,
        })
    }

    /// Several keys' burns as one (an account): their daily rates, each
    /// exact to one unit per day, summed over the widest basis.
    pub fn sum(burns: &[Burn]) -> Option<Burn> {
        let from = burns.iter().map(|b| b.from).min()?;
        let to = burns.iter().map(|b| b.to).max()?;
        let per_day: i128 = burns.iter().map(Burn::units_per_day).sum();
        Some(Burn {
            units: per_day,
            seconds: 86_400,
            from,
            to,
        })
    }

    pub fn units_per_day(&self) -> i128 {
        self.units * 86_400 / self.seconds
    }

    /// Spend over `seconds` at this rate, rounded down.
    fn over(&self, seconds: i128) -> i128 {
        self.units * seconds / self.seconds
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outlook {
    /// Already at or over the amount.
    Exceeded,
    /// The amount is reached before the period resets.
    WillExceed,
    OnTrack,
    /// No spend in the window.
    Idle,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Runway {
    pub status: Outlook,
    pub burn_rate_per_day: Money,
    pub basis_from: String,
    pub basis_to: String,
    pub projected_period_spend: Option<Money>,
    pub projected_percent: Option<Decimal>,
    pub reached_at: Option<String>,
    pub resets_at: Option<String>,
    pub days_before_reset: Option<i64>,
}

/// What is known at a moment: the period's spend and the budget.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    pub spent: Money,
    /// When `spent` was observed (on OpenRouter's clock).
    pub at: DateTime<Utc>,
    pub amount: Money,
    /// `None`: the period never resets.
    pub resets_at: Option<DateTime<Utc>>,
}

/// Projects a standing forward at a burn rate.
pub fn project(burn: &Burn, standing: &Standing) -> Runway {
    let Standing {
        spent,
        at,
        amount,
        resets_at,
    } = *standing;
    let spent_units = i128::from(spent.units());
    let amount_units = i128::from(amount.units());
    let projected = resets_at.map(|end| {
        let ahead = i128::from((end - at).num_seconds().max(0));
        spent_units + burn.over(ahead)
    });
    let reached = (spent_units < amount_units && burn.units > 0).then(|| {
        // The first whole second at which the amount is reached.
        let needed = (amount_units - spent_units) * burn.seconds;
        let seconds = (needed + burn.units - 1) / burn.units;
        at + Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 1_000))
    });
    let reached_in_period = reached.filter(|at| resets_at.is_none_or(|end| *at < end));
    let status = if spent_units >= amount_units {
        Outlook::Exceeded
    } else if reached_in_period.is_some() {
        Outlook::WillExceed
    } else if burn.units == 0 {
        Outlook::Idle
    } else {
        Outlook::OnTrack
    };
    Runway {
        status,
        burn_rate_per_day: money(burn.units_per_day()),
        basis_from: crate::clock::timestamp(burn.from),
        basis_to: crate::clock::timestamp(burn.to),
        projected_period_spend: projected.map(money),
        projected_percent: projected.map(|p| percent_ratio(p, amount_units)),
        reached_at: reached_in_period.map(crate::clock::timestamp),
        resets_at: resets_at.map(crate::clock::timestamp),
        days_before_reset: reached_in_period
            .zip(resets_at)
            .map(|(at, end)| (end - at).num_days()),
    }
}

fn money(units: i128) -> Money {
    Money::from_units(i64::try_from(units).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{at, usd};

    fn standing(
        burn: &Burn,
        spent: Money,
        amount: Money,
        resets_at: Option<DateTime<Utc>>,
    ) -> Standing {
        Standing {
            spent,
            at: burn.to,
            amount,
            resets_at,
        }
    }

    fn point(when: &str, usage: &str) -> Point {
        Point {
            at: at(when),
            usage: usd(usage),
        }
    }

    #[test]
    fn a_constant_burn_reaches_the_limit_on_the_arithmetic_day() {
        // 0.25 USD an hour for a week: 42 USD spent; 6 USD a day.
        let burn = Burn::between(
            point("2026-11-22T10:00:00Z", "100"),
            point("2026-11-29T10:00:00Z", "142"),
        )
        .unwrap();
        assert_eq!(burn.units_per_day(), usd("6").units() as i128);
        // Monthly budget of 200 with 120 spent: 80 more at 6/day is 13 1/3
        // days, 2026-12-12T18:00:00Z, after the reset on Dec 1.
        let end = at("2026-12-01T00:00:00Z");
        let r = project(&burn, &standing(&burn, usd("120"), usd("200"), Some(end)));
        assert_eq!(r.status, Outlook::OnTrack);
        assert_eq!(r.reached_at, None);
        // 120 + 6 * (1 day 14 h) = 129.5
        assert_eq!(r.projected_period_spend, Some(usd("129.5")));
        assert_eq!(r.projected_percent.unwrap().to_string(), "64.75");
        // A budget of 125: 5 more at 0.25/h is 20 h: 2026-11-30T06:00:00Z,
        // 18 hours before the reset (0 whole days).
        let r = project(&burn, &standing(&burn, usd("120"), usd("125"), Some(end)));
        assert_eq!(r.status, Outlook::WillExceed);
        assert_eq!(r.reached_at.as_deref(), Some("2026-11-30T06:00:00Z"));
        assert_eq!(r.days_before_reset, Some(0));
        assert_eq!(r.burn_rate_per_day, usd("6"));
    }

    #[test]
    fn reached_at_rounds_up_to_the_whole_second() {
        // 1 unit every 3 seconds; 10 units to go: 30 s. 11: 33 s. And 1
        // unit per 7 s with 1 to go: 7 s.
        let burn = Burn {
            units: 1,
            seconds: 3,
            from: at("2026-11-01T00:00:00Z"),
            to: at("2026-11-02T00:00:00Z"),
        };
        let r = project(
            &burn,
            &standing(&burn, Money::from_units(0), Money::from_units(11), None),
        );
        assert_eq!(r.reached_at.as_deref(), Some("2026-11-02T00:00:33Z"));
        assert_eq!(r.status, Outlook::WillExceed);
        assert_eq!(r.resets_at, None);
        assert_eq!(r.projected_period_spend, None);
        let slow = Burn {
            units: 2,
            seconds: 7,
            ..burn
        };
        let r = project(
            &slow,
            &standing(&slow, Money::from_units(0), Money::from_units(1), None),
        );
        assert_eq!(r.reached_at.as_deref(), Some("2026-11-02T00:00:04Z"));
    }

    #[test]
    fn days_before_reset_count_whole_days() {
        let burn = Burn::between(
            point("2026-11-01T00:00:00Z", "0"),
            point("2026-11-08T00:00:00Z", "7"),
        )
        .unwrap();
        // 1 USD a day from 7 spent on Nov 8: 10 is reached on Nov 11,
        // 20 days (and no more) before Dec 1.
        let r = project(
            &burn,
            &standing(&burn, usd("7"), usd("10"), Some(at("2026-12-01T00:00:00Z"))),
        );
        assert_eq!(r.reached_at.as_deref(), Some("2026-11-11T00:00:00Z"));
        assert_eq!(r.days_before_reset, Some(20));
    }

    #[test]
    fn exceeded_idle_and_too_short_a_basis() {
        let idle = Burn::between(
            point("2026-11-01T00:00:00Z", "5"),
            point("2026-11-02T00:00:00Z", "5"),
        )
        .unwrap();
        let end = Some(at("2026-12-01T00:00:00Z"));
        assert_eq!(
            project(&idle, &standing(&idle, usd("1"), usd("10"), end)).status,
            Outlook::Idle
        );
        assert_eq!(
            project(&idle, &standing(&idle, usd("10"), usd("10"), end)).status,
            Outlook::Exceeded
        );
        assert!(Burn::between(
            point("2026-11-01T00:00:00Z", "0"),
            point("2026-11-01T00:59:59Z", "1"),
        )
        .is_none());
    }

    #[test]
    fn an_account_sums_its_keys_daily_rates() {
        let a = Burn::between(
            point("2026-11-22T00:00:00Z", "0"),
            point("2026-11-29T00:00:00Z", "7"),
        )
        .unwrap();
        let b = Burn::between(
            point("2026-11-28T00:00:00Z", "0"),
            point("2026-11-29T01:00:00Z", "0.5"),
        )
        .unwrap();
        let sum = Burn::sum(&[a, b]).unwrap();
        // 1 USD/day + 0.5 USD per 25 h = 0.48 USD/day.
        assert_eq!(sum.units_per_day(), usd("1.48").units() as i128);
        assert_eq!(sum.from, at("2026-11-22T00:00:00Z"));
        assert_eq!(sum.to, at("2026-11-29T01:00:00Z"));
        assert!(Burn::sum(&[]).is_none());
    }
}
