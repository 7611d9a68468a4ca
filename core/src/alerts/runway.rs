//! Runway: where the spend of a period is heading at the recent burn rate.
//!
//! The rate is the growth of OpenRouter's all-time `usage` counter between
//! the oldest and the newest snapshot of the last 7 days: that counter never
//! resets, so the rate is right across period boundaries. All arithmetic is
//! on integer units of 1e-10 USD with exact rationals (units per seconds);
//! a time is rounded up to the next second, an amount down to the unit.
//!
//! Nothing here can panic, whatever the figures: a moment further ahead
//! than [`HORIZON_DAYS`] is "not in sight" (no date), never an overflow,
//! and amounts past what a [`Money`] holds saturate at its maximum.

#![deny(clippy::arithmetic_side_effects)]

use crate::api_doc::vocabulary;
use chrono::{DateTime, Duration, TimeDelta, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::thresholds::percent_ratio;
use crate::domain::money::Money;

/// How far back the burn rate looks.
pub const WINDOW_DAYS: i64 = 7;
/// A rate needs snapshots at least this far apart to mean anything.
pub const MIN_BASIS: Duration = Duration::hours(1);
/// How far ahead a projection names a date: a budget reached later than
/// this (a century) is not reached in any sense a person plans for.
pub const HORIZON_DAYS: i64 = 36_525;
const SECONDS_PER_DAY: i128 = 86_400;
const HORIZON_SECONDS: i128 = HORIZON_DAYS as i128 * SECONDS_PER_DAY;

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
        let span = newest.at.signed_duration_since(oldest.at);
        if span < MIN_BASIS {
            return None;
        }
        // Two i64s: their difference always fits an i128.
        let units =
            i128::from(newest.usage.units()).saturating_sub(i128::from(oldest.usage.units()));
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
        let per_day = burns
            .iter()
            .map(Burn::units_per_day)
            .fold(0_i128, i128::saturating_add);
        Some(Burn {
            units: per_day,
            seconds: SECONDS_PER_DAY,
            from,
            to,
        })
    }

    /// Rounded down; 0 for a basis that is no duration at all.
    pub fn units_per_day(&self) -> i128 {
        self.over(SECONDS_PER_DAY)
    }

    /// Spend over `seconds` at this rate, rounded down (saturating far past
    /// any amount a budget can hold).
    fn over(&self, seconds: i128) -> i128 {
        self.units
            .saturating_mul(seconds)
            .checked_div(self.seconds)
            .unwrap_or(0)
    }

    /// Seconds until `units` more are spent at this rate, rounded up;
    /// `None` when never (no spend) or further than the horizon.
    fn seconds_to_spend(&self, units: i128) -> Option<i64> {
        if self.units <= 0 || self.seconds <= 0 {
            return None;
        }
        let needed = units.checked_mul(self.seconds)?;
        let whole = needed.checked_div(self.units)?;
        let rounded_up = match needed.checked_rem(self.units)? {
            0 => whole,
            _ => whole.checked_add(1)?,
        };
        (rounded_up <= HORIZON_SECONDS)
            .then(|| i64::try_from(rounded_up).ok())
            .flatten()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outlook {
    /// Already at or over the amount.
    Exceeded,
    /// The amount is reached before the period resets.
    WillExceed,
    /// Spending, but the amount is not reached before the reset (or, for a
    /// period that never resets, within the horizon).
    OnTrack,
    /// No spend in the window.
    Idle,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(
    description = "The period's spend projected at the burn rate of the last 7 days (oldest to newest snapshot)."
)]
pub struct Runway {
    #[schema(inline)]
    pub status: Outlook,
    pub burn_rate_per_day: Money,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    pub basis_from: String,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    pub basis_to: String,
    #[schema(value_type = vocabulary::schemas::NullableMoney, required = true)]
    pub projected_period_spend: Option<Money>,
    #[schema(value_type = Option<vocabulary::schemas::Percent>, required = true)]
    pub projected_percent: Option<Decimal>,
    #[schema(value_type = vocabulary::schemas::NullableTimestamp, required = true)]
    pub reached_at: Option<String>,
    #[schema(value_type = vocabulary::schemas::NullableTimestamp, required = true)]
    pub resets_at: Option<String>,
    #[schema(minimum = 0, required = true)]
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
        let ahead = end.signed_duration_since(at).num_seconds().max(0);
        spent_units.saturating_add(burn.over(i128::from(ahead)))
    });
    // The first whole second at which the amount is reached, if in sight.
    let reached = (spent_units < amount_units)
        .then(|| burn.seconds_to_spend(amount_units.saturating_sub(spent_units)))
        .flatten()
        .and_then(TimeDelta::try_seconds)
        .and_then(|ahead| at.checked_add_signed(ahead));
    let reached_in_period = reached.filter(|at| resets_at.is_none_or(|end| *at < end));
    let status = if spent_units >= amount_units {
        Outlook::Exceeded
    } else if reached_in_period.is_some() {
        Outlook::WillExceed
    } else if burn.units <= 0 {
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
            .map(|(at, end)| end.signed_duration_since(at).num_days()),
    }
}

/// Units as money, saturating at the bounds of what a [`Money`] holds.
fn money(units: i128) -> Money {
    Money::from_units(i64::try_from(units).unwrap_or(if units < 0 { i64::MIN } else { i64::MAX }))
}

#[cfg(test)]
mod tests;
