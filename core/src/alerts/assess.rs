//! Where each budget stands: its period, what was spent in it and where the
//! spend is heading. Used alike by the hourly evaluation and by every view
//! that shows a budget, so an alert and the dashboard never disagree.

#![deny(clippy::arithmetic_side_effects)]

use chrono::{DateTime, Duration, Utc};

use super::period::{Counters, Period, Window};
use super::runway::{self, Burn, Point, Runway, Standing};
use super::thresholds::Thresholds;
use crate::domain::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Set by the user.
    Budget,
    /// The key's own OpenRouter `limit`, over its `limit_reset`.
    OpenrouterLimit,
}

/// A budget, explicit or implicit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetDef {
    /// `None` for an implicit budget.
    pub id: Option<i64>,
    pub source: Source,
    /// `None`: the whole account.
    pub api_key_id: Option<i64>,
    pub amount: Money,
    pub period: Period,
    pub thresholds: Thresholds,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// What it does to its keys besides alerting (implicit budgets notify).
    pub policy: crate::policies::Policy,
}

impl BudgetDef {
    /// The name its marks and alerts are filed under.
    pub fn subject(&self) -> String {
        match (self.id, self.api_key_id) {
            (Some(id), _) => format!("budget:{id}"),
            (None, Some(key)) => format!("limit:{key}"),
            (None, None) => "limit:account".to_owned(),
        }
    }

    /// Its terms: other terms mean another budget (re-armed).
    pub fn terms(&self) -> String {
        format!(
            "{}/{}/{}",
            self.amount.units(),
            self.period.as_str(),
            self.thresholds.to_text()
        )
    }
}

/// A key's latest snapshot, as budgets read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    pub counters: Counters,
    /// OpenRouter's clock when it answered (the Worker's when unknown).
    pub observed_at: DateTime<Utc>,
    pub taken_at: DateTime<Utc>,
    pub limit: Option<Money>,
    pub limit_reset: Option<String>,
}

#[cfg(any(test, feature = "testing"))]
impl Latest {
    /// A snapshot taken (and answered) at `when` with this month's spend and
    /// the all-time usage; no spend today or this week, no limit.
    pub fn observed(when: &str, monthly: &str, usage: &str) -> Latest {
        use crate::testing::{at, usd};
        Latest {
            counters: Counters {
                usage: usd(usage),
                daily: Money::ZERO,
                weekly: Money::ZERO,
                monthly: usd(monthly),
            },
            observed_at: at(when),
            taken_at: at(when),
            limit: None,
            limit_reset: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    pub api_key_id: i64,
    pub name: String,
    pub latest: Option<Latest>,
    /// The oldest snapshot of the burn window, on OpenRouter's clock.
    pub oldest: Option<Point>,
}

impl KeyState {
    /// The burn rate on OpenRouter's clock, the clock the period and the
    /// projection's start are read on: one clock for every figure.
    pub fn burn(&self) -> Option<Burn> {
        let latest = self.latest.as_ref()?;
        let newest = Point {
            at: latest.observed_at,
            usage: latest.counters.usage,
        };
        Burn::between(self.oldest?, newest)
    }
}

/// Where one budget stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub window: Window,
    pub spent: Money,
    pub as_of: DateTime<Utc>,
    pub runway: Option<Runway>,
}

/// Implicit budgets: a key's OpenRouter limit, unless the user budgeted
/// that key. A zero limit (a key that may not spend) is not a budget.
pub fn implicit_budgets(keys: &[KeyState], explicit: &[BudgetDef]) -> Vec<BudgetDef> {
    keys.iter()
        .filter(|k| !explicit.iter().any(|b| b.api_key_id == Some(k.api_key_id)))
        .filter_map(|k| {
            let latest = k.latest.as_ref()?;
            let limit = latest.limit.filter(|l| *l > Money::ZERO)?;
            Some(BudgetDef {
                id: None,
                source: Source::OpenrouterLimit,
                api_key_id: Some(k.api_key_id),
                amount: limit,
                period: Period::of_limit_reset(latest.limit_reset.as_deref())?,
                thresholds: Thresholds::default(),
                created_at: None,
                updated_at: None,
                policy: crate::policies::Policy::default(),
            })
        })
        .collect()
}

/// `None` until the budget's key (any key, for the account) has a snapshot.
pub fn assess(budget: &BudgetDef, keys: &[KeyState]) -> Option<Assessment> {
    let scoped: Vec<&KeyState> = keys
        .iter()
        .filter(|k| budget.api_key_id.is_none_or(|id| id == k.api_key_id))
        .collect();
    let as_of = scoped
        .iter()
        .filter_map(|k| k.latest.as_ref().map(|l| l.observed_at))
        .max()?;
    let window = budget.period.window(as_of);
    // A key last seen in an earlier period spent nothing in this one (that
    // we know of).
    let current = |latest: &&Latest| window.start.is_none_or(|start| latest.observed_at >= start);
    let spent = scoped
        .iter()
        .filter_map(|k| k.latest.as_ref())
        .filter(current)
        .map(|l| budget.period.spent(&l.counters))
        .fold(Money::ZERO, |sum, s| sum.checked_add(s).unwrap_or(sum));
    let burns: Vec<Burn> = scoped.iter().filter_map(|k| k.burn()).collect();
    let burn = match burns.as_slice() {
        [one] if budget.api_key_id.is_some() => Some(*one),
        _ => Burn::sum(&burns),
    };
    let runway = burn.map(|b| {
        runway::project(
            &b,
            &Standing {
                spent,
                at: as_of,
                amount: budget.amount,
                resets_at: window.end,
            },
        )
    });
    Some(Assessment {
        window,
        spent,
        as_of,
        runway,
    })
}

/// How far back (on the Worker's clock) snapshots are scanned for the burn
/// window, which is cut on OpenRouter's clock: a day wider than the window,
/// for any skew between the two.
pub fn burn_scan_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.checked_sub_signed(Duration::days(runway::WINDOW_DAYS.saturating_add(1)))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::testing::{at, usd};

    fn key(id: i64, when: &str, monthly: &str, usage: &str, limit: Option<&str>) -> KeyState {
        KeyState {
            api_key_id: id,
            name: format!("k{id}"),
            latest: Some(Latest {
                limit: limit.map(usd),
                limit_reset: Some("monthly".into()),
                ..Latest::observed(when, monthly, usage)
            }),
            oldest: Some(Point {
                at: at(when) - Duration::days(7),
                usage: usd(usage).checked_sub(usd("7")).unwrap(),
            }),
        }
    }

    fn budget(id: Option<i64>, key: Option<i64>, amount: &str) -> BudgetDef {
        BudgetDef {
            id,
            source: Source::Budget,
            api_key_id: key,
            amount: usd(amount),
            period: Period::Monthly,
            thresholds: Thresholds::default(),
            created_at: None,
            updated_at: None,
            policy: crate::policies::Policy::default(),
        }
    }

    #[test]
    fn a_key_limit_is_an_implicit_budget_unless_the_key_is_budgeted() {
        let keys = [
            key(1, "2026-11-29T10:00:00Z", "1", "20", Some("10")),
            key(2, "2026-11-29T10:00:00Z", "1", "20", Some("10")),
            key(3, "2026-11-29T10:00:00Z", "1", "20", None),
            key(4, "2026-11-29T10:00:00Z", "1", "20", Some("0")),
        ];
        let explicit = [budget(Some(9), Some(2), "5")];
        let implicit = implicit_budgets(&keys, &explicit);
        assert_eq!(implicit.len(), 1);
        assert_eq!(implicit[0].api_key_id, Some(1));
        assert_eq!(implicit[0].subject(), "limit:1");
        assert_eq!(implicit[0].terms(), "100000000000/monthly/50,80,100");
        assert_eq!(explicit[0].subject(), "budget:9");
    }

    #[test]
    fn an_account_sums_the_keys_seen_in_the_current_period() {
        let keys = [
            key(1, "2026-11-29T10:00:00Z", "3", "20", None),
            key(2, "2026-11-29T10:00:05Z", "4.5", "30", None),
            // Last seen in October: nothing of it counts in November.
            key(3, "2026-10-31T23:00:00Z", "9", "40", None),
        ];
        let a = assess(&budget(Some(1), None, "10"), &keys).unwrap();
        assert_eq!(a.spent, usd("7.5"));
        assert_eq!(a.as_of, at("2026-11-29T10:00:05Z"));
        assert_eq!(a.window.label(), "2026-11-01T00:00:00Z");
        // Three keys at 1 USD/day each.
        let runway = a.runway.unwrap();
        assert_eq!(runway.burn_rate_per_day, usd("3"));
        let one = assess(&budget(Some(2), Some(2), "10"), &keys).unwrap();
        assert_eq!(one.spent, usd("4.5"));
        assert_eq!(one.runway.unwrap().burn_rate_per_day, usd("1"));
        assert!(assess(&budget(Some(3), Some(99), "10"), &keys).is_none());
    }
}
