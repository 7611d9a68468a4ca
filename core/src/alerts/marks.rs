//! The idempotency rules: what a new observation alerts, given what was
//! already alerted.
//!
//! A budget's marks name the period they belong to and the highest threshold
//! already sent in it. Each threshold fires once per period; a re-run with
//! the same (or an older) observation sends nothing; a newer period re-arms
//! the budget and says so (`recovered`) if anything had fired. Changing a
//! budget's terms (amount, period, thresholds) re-arms it without a
//! `recovered`: the old marks were about another budget.

#![deny(clippy::arithmetic_side_effects)]

use chrono::{DateTime, Duration, Utc};

use super::thresholds::{reached, Thresholds};
use crate::domain::money::Money;

/// A key silent this long that spends again is worth an alert.
pub const DORMANT_AFTER: Duration = Duration::days(14);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marks {
    /// The budget's terms these marks were made under.
    pub terms: String,
    /// When the budget was (re-)armed, for the record; alerts are keyed by
    /// the terms instead ([`Alert::dedup_key`]), which every racing
    /// evaluation reads alike.
    pub armed_at: String,
    /// `Window::label` of the period.
    pub period: String,
    pub fired_percent: u8,
    pub projection_alerted: bool,
}

/// What the latest snapshot says about a budget.
#[derive(Debug, Clone)]
pub struct Observation<'a> {
    pub terms: &'a str,
    pub period: &'a str,
    pub spent: Money,
    pub amount: Money,
    pub thresholds: &'a Thresholds,
    /// The runway reaches the amount before the period resets.
    pub projected_over: bool,
    pub now: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    Threshold(u8),
    ProjectedExhaustion,
    Recovered { previous_period: String },
}

impl Alert {
    /// Unique per budget, terms, period and alert, and nothing else: two
    /// evaluations of the same figures (overlapping runs, a redelivered
    /// batch, two consumers racing across a second boundary) name the same
    /// alert, so the store keeps one. A budget whose terms change back to
    /// earlier ones in the same period does not alert twice for a line it
    /// already reported under them.
    pub fn dedup_key(&self, subject: &str, marks: &Marks) -> String {
        let what = match self {
            Alert::Threshold(p) => format!("threshold:{p}"),
            Alert::ProjectedExhaustion => "projection".to_owned(),
            Alert::Recovered { .. } => "recovered".to_owned(),
        };
        format!("{subject}|{}|{}|{what}", marks.terms, marks.period)
    }
}

/// The new marks and the alerts to send; `None` when the observation
/// belongs to a period older than the marks' (a stale snapshot): nothing
/// changes.
pub fn evaluate(previous: Option<&Marks>, seen: &Observation) -> Option<(Marks, Vec<Alert>)> {
    let fresh = |armed_at: &str| Marks {
        terms: seen.terms.to_owned(),
        armed_at: armed_at.to_owned(),
        period: seen.period.to_owned(),
        fired_percent: 0,
        projection_alerted: false,
    };
    let mut alerts = Vec::new();
    let mut marks = match previous {
        None => fresh(seen.now),
        Some(old) if old.terms != seen.terms => fresh(seen.now),
        Some(old) if seen.period < old.period.as_str() => return None,
        Some(old) if seen.period > old.period.as_str() => {
            if old.fired_percent > 0 || old.projection_alerted {
                alerts.push(Alert::Recovered {
                    previous_period: old.period.clone(),
                });
            }
            fresh(&old.armed_at)
        }
        Some(old) => old.clone(),
    };
    for &percent in seen.thresholds.as_slice() {
        if percent > marks.fired_percent && reached(seen.spent, seen.amount, percent) {
            alerts.push(Alert::Threshold(percent));
            marks.fired_percent = percent;
        }
    }
    let over = reached(seen.spent, seen.amount, 100);
    if seen.projected_over && !over && !marks.projection_alerted {
        alerts.push(Alert::ProjectedExhaustion);
        marks.projection_alerted = true;
    }
    Some((marks, alerts))
}

/// When a key was last seen spending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityMark {
    pub usage: Money,
    pub last_spent_at: DateTime<Utc>,
}

/// The key's new mark, and whether it just woke up: its all-time usage grew
/// after [`DORMANT_AFTER`] or more without growing. A key seen for the first
/// time starts its watch now (its past is not known well enough to alert).
pub fn watch_activity(
    previous: Option<&ActivityMark>,
    usage: Money,
    at: DateTime<Utc>,
) -> (ActivityMark, bool) {
    match previous {
        Some(old) if usage > old.usage => (
            ActivityMark {
                usage,
                last_spent_at: at,
            },
            at.signed_duration_since(old.last_spent_at) >= DORMANT_AFTER,
        ),
        Some(old) => (
            ActivityMark {
                usage,
                last_spent_at: old.last_spent_at,
            },
            false,
        ),
        None => (
            ActivityMark {
                usage,
                last_spent_at: at,
            },
            false,
        ),
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::testing::usd;

    const NOV: &str = "2026-11-01T00:00:00Z";
    const DEC: &str = "2026-12-01T00:00:00Z";

    fn seen<'a>(period: &'a str, spent: &str, thresholds: &'a Thresholds) -> Observation<'a> {
        Observation {
            terms: "10/monthly/50,80,100",
            period,
            spent: usd(spent),
            amount: usd("10"),
            thresholds,
            projected_over: false,
            now: "2026-11-29T10:00:00Z",
        }
    }

    #[test]
    fn each_threshold_fires_once_per_period_and_a_new_period_recovers() {
        let t = Thresholds::default();
        let (m1, a1) = evaluate(None, &seen(NOV, "5.1", &t)).unwrap();
        assert_eq!(a1, [Alert::Threshold(50)]);
        let (m2, a2) = evaluate(Some(&m1), &seen(NOV, "8.2", &t)).unwrap();
        assert_eq!(a2, [Alert::Threshold(80)]);
        let (m3, a3) = evaluate(Some(&m2), &seen(NOV, "10.3", &t)).unwrap();
        assert_eq!(a3, [Alert::Threshold(100)]);
        // The same observation again: nothing new, marks unchanged.
        let (m4, a4) = evaluate(Some(&m3), &seen(NOV, "10.3", &t)).unwrap();
        assert!(a4.is_empty());
        assert_eq!(m4, m3);
        // December: recovered, re-armed, and December's own crossings fire.
        let (m5, a5) = evaluate(Some(&m4), &seen(DEC, "0", &t)).unwrap();
        assert_eq!(
            a5,
            [Alert::Recovered {
                previous_period: NOV.into()
            }]
        );
        assert_eq!((m5.fired_percent, m5.period.as_str()), (0, DEC));
        let (_, a6) = evaluate(Some(&m5), &seen(DEC, "6", &t)).unwrap();
        assert_eq!(a6, [Alert::Threshold(50)]);
        // A stale November snapshot changes nothing.
        assert!(evaluate(Some(&m5), &seen(NOV, "10.3", &t)).is_none());
    }

    #[test]
    fn a_jump_fires_every_threshold_it_crosses_and_quiet_periods_do_not_recover() {
        let t = Thresholds::default();
        let (m, a) = evaluate(None, &seen(NOV, "9", &t)).unwrap();
        assert_eq!(a, [Alert::Threshold(50), Alert::Threshold(80)]);
        assert_eq!(m.fired_percent, 80);
        let (quiet, _) = evaluate(None, &seen(NOV, "1", &t)).unwrap();
        let (_, a) = evaluate(Some(&quiet), &seen(DEC, "0", &t)).unwrap();
        assert!(a.is_empty());
    }

    #[test]
    fn new_terms_re_arm_without_recovering_and_change_the_idempotency_key() {
        let t = Thresholds::default();
        let (m1, _) = evaluate(None, &seen(NOV, "9", &t)).unwrap();
        let mut raised = seen(NOV, "9", &t);
        raised.terms = "20/monthly/50,80,100";
        raised.amount = usd("20");
        raised.now = "2026-11-29T11:00:00Z";
        let (m2, a2) = evaluate(Some(&m1), &raised).unwrap();
        assert!(a2.is_empty(), "9 of 20 is 45 %: {a2:?}");
        assert_ne!(
            Alert::Threshold(50).dedup_key("budget:1", &m1),
            Alert::Threshold(50).dedup_key("budget:1", &m2)
        );
        assert_eq!(
            Alert::Threshold(50).dedup_key("budget:1", &m1),
            format!("budget:1|10/monthly/50,80,100|{NOV}|threshold:50")
        );
    }

    #[test]
    fn a_projection_alerts_once_and_not_once_the_budget_is_spent() {
        let t = Thresholds::new("t", &[90]).unwrap();
        let mut s = seen(NOV, "3", &t);
        s.projected_over = true;
        let (m, a) = evaluate(None, &s).unwrap();
        assert_eq!(a, [Alert::ProjectedExhaustion]);
        let (m, a) = evaluate(Some(&m), &s).unwrap();
        assert!(a.is_empty());
        let mut dec = seen(DEC, "10", &t);
        dec.projected_over = true;
        let (_, a) = evaluate(Some(&m), &dec).unwrap();
        assert_eq!(
            a,
            [
                Alert::Recovered {
                    previous_period: NOV.into()
                },
                Alert::Threshold(90)
            ]
        );
    }

    #[test]
    fn a_key_silent_for_fourteen_days_wakes_up() {
        let t0 = crate::clock::parse_timestamp("2026-11-01T00:00:00Z").unwrap();
        let (first, woke) = watch_activity(None, usd("3"), t0);
        assert!(!woke);
        let quiet = t0 + Duration::days(13);
        let (still, woke) = watch_activity(Some(&first), usd("3"), quiet);
        assert!(!woke);
        assert_eq!(still.last_spent_at, t0);
        let (_, woke) = watch_activity(Some(&still), usd("3.1"), t0 + Duration::days(13));
        assert!(!woke, "13 days is not dormant");
        let (after, woke) = watch_activity(Some(&still), usd("3.1"), t0 + DORMANT_AFTER);
        assert!(woke);
        assert_eq!(after.last_spent_at, t0 + DORMANT_AFTER);
    }

    #[test]
    fn two_evaluations_racing_across_a_second_name_the_same_alerts() {
        let t = Thresholds::default();
        let mut early = seen(NOV, "5.1", &t);
        early.now = "2026-11-29T10:00:00Z";
        let mut late = seen(NOV, "8.2", &t);
        late.now = "2026-11-29T10:00:01Z";
        // Neither saw the other's marks: both start from none.
        let (m1, a1) = evaluate(None, &early).unwrap();
        let (m2, a2) = evaluate(None, &late).unwrap();
        let keys = |marks: &Marks, alerts: &[Alert]| -> Vec<String> {
            alerts
                .iter()
                .map(|a| a.dedup_key("budget:1", marks))
                .collect()
        };
        let first = keys(&m1, &a1);
        let second = keys(&m2, &a2);
        assert_eq!(first.len(), 1);
        assert_eq!(second.len(), 2);
        assert_eq!(first[0], second[0], "the 50 % alert is one alert");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn each_threshold_fires_at_most_once_per_period(
                spends in proptest::collection::vec((any::<i64>(), 0_usize..3, any::<bool>()), 1..20),
                amount in any::<i64>(),
            ) {
                let t = Thresholds::default();
                let periods = ["2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"];
                let mut marks: Option<Marks> = None;
                let mut fired: Vec<(String, Alert)> = Vec::new();
                for (spent, period, projected_over) in spends {
                    let seen = Observation {
                        terms: "terms",
                        period: periods[period],
                        spent: Money::from_units(spent),
                        amount: Money::from_units(amount),
                        thresholds: &t,
                        projected_over,
                        now: "2026-11-29T10:00:00Z",
                    };
                    let Some((next, alerts)) = evaluate(marks.as_ref(), &seen) else { continue };
                    for alert in alerts {
                        let key = alert.dedup_key("budget:1", &next);
                        if matches!(alert, Alert::Threshold(_) | Alert::ProjectedExhaustion) {
                            prop_assert!(fired.iter().all(|(k, _)| *k != key), "{} twice", key);
                        }
                        fired.push((key, alert));
                    }
                    marks = Some(next);
                }
            }

            #[test]
            fn watching_activity_never_panics(
                usage in any::<i64>(), before in any::<i64>(), seconds in any::<i64>(), last in any::<i64>(),
            ) {
                let at = DateTime::from_timestamp(seconds / 1_000, 0).unwrap_or_default();
                let last = DateTime::from_timestamp(last / 1_000, 0).unwrap_or_default();
                let previous = ActivityMark { usage: Money::from_units(before), last_spent_at: last };
                let (mark, _) = watch_activity(Some(&previous), Money::from_units(usage), at);
                prop_assert!(mark.usage == Money::from_units(usage));
            }
        }
    }
}
