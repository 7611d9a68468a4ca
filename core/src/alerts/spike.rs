//! Spend spikes: an hour whose spend is far above what the same key (or
//! the account) usually spends in an hour (docs/alerts.md).
//!
//! The figures are the hourly curve's (`usage::hourly`): exact differences
//! of OpenRouter's running total. A figure that carries a gap (`hours` > 1)
//! is spread evenly over the hours it covers, so a sync outage followed by
//! one reading is judged hour by hour, never as one lump.
//!
//! The baseline of an hour is the median of the known hours among the 168
//! before it, and its spread the median absolute deviation (MAD) scaled by
//! 1.4826 (a normal distribution's standard deviation): robust, so one
//! runaway hour does not raise the bar for the next. An hour is a spike when
//! it reaches the level's minimum amount, its factor over the median, and
//! the median plus its number of scaled MADs, all three. Integer
//! arithmetic on units of 1e-10 USD, widened to `i128`; nothing wraps.
//!
//! Spikes group into episodes: [`EPISODE_QUIET_HOURS`] normal hours in a
//! row end one, and only an episode's first hour is an event.

#![deny(clippy::arithmetic_side_effects)]

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::events::NewEvent;
use crate::domain::money::{Money, UNITS_PER_USD};
use crate::domain::Invalid;
use crate::usage::hourly::HourPoint;

pub const KIND: &str = "spend.spike";
/// The hours an hour is compared with.
pub const BASELINE_HOURS: usize = 168;
/// Fewer known hours than this in the baseline: not judged (a new key has
/// no "usual" yet).
pub const MIN_BASELINE_HOURS: usize = 24;
/// Normal hours (or hours without a figure) that end an episode.
pub const EPISODE_QUIET_HOURS: i64 = 6;
/// The completed hours each evaluation judges: a day, so a late run or a
/// gap carried by the next reading is still judged.
pub const JUDGED_HOURS: i64 = 24;

/// How readily an account is told about spikes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sensitivity {
    Off,
    Low,
    #[default]
    Normal,
    High,
}

/// What an hour must reach, all at once, to be a spike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// Times the baseline's median, in tenths (30: 3×).
    pub factor_tenths: i64,
    /// Scaled MADs above the median.
    pub mads: i64,
    /// The least hour that is ever a spike, in units of 1e-10 USD.
    pub min_units: i64,
}

impl Sensitivity {
    pub const ALL: [Sensitivity; 4] = [Self::Off, Self::Low, Self::Normal, Self::High];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| Invalid::new(field, "must be off, low, normal or high"))
    }

    /// The level's terms; `None` when spikes are off.
    pub const fn terms(self) -> Option<Terms> {
        const CENTS: i64 = UNITS_PER_USD / 100;
        match self {
            Self::Off => None,
            Self::Low => Some(Terms {
                factor_tenths: 50,
                mads: 6,
                min_units: 500 * CENTS,
            }),
            Self::Normal => Some(Terms {
                factor_tenths: 30,
                mads: 5,
                min_units: 100 * CENTS,
            }),
            Self::High => Some(Terms {
                factor_tenths: 20,
                mads: 3,
                min_units: 25 * CENTS,
            }),
        }
    }
}

/// One hour's figure, a carried figure already spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hour {
    pub start: DateTime<Utc>,
    pub spend: Option<Money>,
    /// The hours of the reading this share comes from (1: its own).
    pub carried: u32,
}

/// The curve's points as hours; a point that carries `n` hours gives each
/// of them an `n`th (the remainder of the division to its own hour, so the
/// shares add up to the figure exactly). Hours before `starts` are dropped.
pub fn per_hour(points: &[HourPoint], starts: &[DateTime<Utc>]) -> Vec<Hour> {
    let mut hours: Vec<Hour> = starts
        .iter()
        .zip(points)
        .map(|(start, point)| Hour {
            start: *start,
            spend: point.spend.filter(|_| point.hours <= 1),
            carried: 1,
        })
        .collect();
    for (end, point) in points.iter().enumerate() {
        let (Some(spend), true) = (point.spend, point.hours > 1) else {
            continue;
        };
        let n = i64::from(point.hours);
        let share = spend.units().checked_div(n).unwrap_or(0);
        let rest = spend.units().checked_rem(n).unwrap_or(0);
        let first = end.saturating_sub(usize::try_from(point.hours.saturating_sub(1)).unwrap_or(0));
        for (i, hour) in hours
            .iter_mut()
            .enumerate()
            .take(end.saturating_add(1))
            .skip(first)
        {
            let units = if i == end {
                share.saturating_add(rest)
            } else {
                share
            };
            hour.spend = Some(Money::from_units(units));
            hour.carried = point.hours;
        }
    }
    hours
}

/// Several subjects' hours summed (the account): an hour is known when
/// any subject's is.
pub fn sum_hours(series: &[Vec<Hour>], starts: &[DateTime<Utc>]) -> Vec<Hour> {
    starts
        .iter()
        .enumerate()
        .map(|(i, start)| {
            let known = series
                .iter()
                .filter_map(|s| s.get(i).filter(|h| h.spend.is_some()));
            let mut hour = Hour {
                start: *start,
                spend: None,
                carried: 1,
            };
            for h in known {
                let sum = hour.spend.unwrap_or(Money::ZERO);
                hour.spend = Some(sum.saturating_add(h.spend.unwrap_or(Money::ZERO)));
                hour.carried = hour.carried.max(h.carried);
            }
            hour
        })
        .collect()
}

/// The usual hour: the median and the scaled MAD, in units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Baseline {
    pub median: i64,
    pub mad: i64,
}

fn middle(sorted: &[i64]) -> Option<i64> {
    let len = sorted.len();
    let upper = *sorted.get(len.checked_div(2)?)?;
    if len.checked_rem(2)? == 1 {
        return Some(upper);
    }
    let lower = *sorted.get(len.checked_div(2)?.checked_sub(1)?)?;
    let sum = i128::from(lower).checked_add(i128::from(upper))?;
    i64::try_from(sum.checked_div(2)?).ok()
}

/// `None` with fewer than [`MIN_BASELINE_HOURS`] figures.
pub fn baseline(figures: &[i64]) -> Option<Baseline> {
    if figures.len() < MIN_BASELINE_HOURS {
        return None;
    }
    let mut sorted = figures.to_vec();
    sorted.sort_unstable();
    let median = middle(&sorted)?;
    let mut deviations: Vec<i64> = sorted
        .iter()
        .map(|x| i64::try_from(i128::from(*x).abs_diff(i128::from(median))).unwrap_or(i64::MAX))
        .collect();
    deviations.sort_unstable();
    let mad = middle(&deviations)?;
    // 1.4826: the MAD of a normal distribution is 0.6745 of its deviation.
    let scaled = i128::from(mad).checked_mul(14_826)?.checked_div(10_000)?;
    Some(Baseline {
        median,
        mad: i64::try_from(scaled).unwrap_or(i64::MAX),
    })
}

pub fn is_spike(figure: i64, base: &Baseline, terms: &Terms) -> bool {
    let (x, m) = (i128::from(figure), i128::from(base.median));
    let factor = m.checked_mul(i128::from(terms.factor_tenths));
    let spread = i128::from(base.mad).checked_mul(i128::from(terms.mads));
    match (x.checked_mul(10), factor, x.checked_sub(m), spread) {
        (Some(x10), Some(factor), Some(above), Some(spread)) => {
            figure >= terms.min_units && x10 >= factor && above >= spread
        }
        _ => false,
    }
}

/// A judged hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judged {
    pub hour: Hour,
    pub figure: Money,
    pub baseline: Baseline,
    pub spike: bool,
}

/// Judges the known hours of `hours` from index `from`, each against the
/// known hours among the [`BASELINE_HOURS`] before it.
pub fn judge(hours: &[Hour], from: usize, terms: &Terms) -> Vec<Judged> {
    let mut out = Vec::new();
    for (i, hour) in hours.iter().enumerate().skip(from) {
        let Some(figure) = hour.spend else { continue };
        let window = hours
            .get(i.saturating_sub(BASELINE_HOURS)..i)
            .unwrap_or(&[]);
        let figures: Vec<i64> = window
            .iter()
            .filter_map(|h| h.spend.map(Money::units))
            .collect();
        let Some(base) = baseline(&figures) else {
            continue;
        };
        out.push(Judged {
            hour: *hour,
            figure,
            baseline: base,
            spike: is_spike(figure.units(), &base, terms),
        });
    }
    out
}

/// What a subject's episodes are at: the hour the current (or last) one
/// began and its latest spike hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub episode_start: DateTime<Utc>,
    pub last_spike: DateTime<Utc>,
}

/// The spikes of `judged` (oldest first) that begin an episode, and the
/// new mark. A spike at or before the mark's last one was seen by an
/// earlier evaluation; one within [`EPISODE_QUIET_HOURS`] of the last
/// continues it.
pub fn episodes(previous: Option<Mark>, judged: &[Judged]) -> (Option<Mark>, Vec<Judged>) {
    let quiet = Duration::hours(EPISODE_QUIET_HOURS);
    let mut mark = previous;
    let mut starts = Vec::new();
    for j in judged.iter().filter(|j| j.spike) {
        let at = j.hour.start;
        mark = match mark {
            Some(m) if at <= m.last_spike => Some(m),
            Some(m) if at.signed_duration_since(m.last_spike) <= quiet => Some(Mark {
                last_spike: at,
                ..m
            }),
            _ => {
                starts.push(*j);
                Some(Mark {
                    episode_start: at,
                    last_spike: at,
                })
            }
        };
    }
    (mark, starts)
}

/// `12.5` for 12.5 times the median; `None` when the median is not above 0.
pub fn factor(figure: Money, median: i64) -> Option<String> {
    if median <= 0 {
        return None;
    }
    let ratio = figure
        .to_decimal()
        .checked_div(Money::from_units(median).to_decimal())?;
    let rounded =
        ratio.round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    Some(rounded.normalize().to_string())
}

/// The event of an episode's first hour. `key`: the key's id and name, or
/// `None` for the account.
pub fn event(key: Option<(i64, &str)>, spike: &Judged, sensitivity: Sensitivity) -> NewEvent {
    let hour = crate::clock::timestamp(spike.hour.start);
    let median = Money::from_units(spike.baseline.median);
    let factor = factor(spike.figure, spike.baseline.median);
    let subject = key.map_or_else(|| "account".to_owned(), |(id, _)| format!("key:{id}"));
    let who = key.map_or_else(
        || "Your account".to_owned(),
        |(_, name)| format!("Key “{name}”"),
    );
    let usual = match factor.as_deref() {
        Some(f) => format!("{f}× its usual {median} USD an hour"),
        None => format!("where it usually spends {median} USD an hour"),
    };
    let carried = match spike.hour.carried {
        1 => String::new(),
        n => format!(" (a share of {n} hours read after a gap)"),
    };
    let message = format!(
        "{who} spent {} USD in the hour from {} UTC{carried}, {usual}.",
        spike.figure,
        spike.hour.start.format("%Y-%m-%d %H:%M"),
    );
    NewEvent {
        dedup_key: format!("spike:{subject}|{hour}"),
        kind: KIND,
        api_key_id: key.map(|(id, _)| id),
        payload: json!({
            "type": KIND,
            "message": message,
            "api_key_id": key.map(|(id, _)| id),
            "api_key_name": key.map(|(_, name)| name),
            "scope": if key.is_some() { "key" } else { "account" },
            "hour": hour,
            "spend": spike.figure,
            "hours": spike.hour.carried,
            "baseline": median,
            "factor": factor,
            "sensitivity": sensitivity,
        }),
    }
}

#[cfg(test)]
mod tests;
