//! The hourly evaluation: after the sync's snapshots, each synced account's
//! budgets are assessed, what crossed a line becomes an event, and events
//! get a delivery per webhook. [`plan`] decides (pure); [`accounts`] reads
//! and writes.

#![deny(clippy::arithmetic_side_effects)]

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use worker::D1Database;

use super::assess::{assess, BudgetDef, KeyState};
use super::events::{budget_event, woke_up_event};
use super::marks::{evaluate, watch_activity, ActivityMark, Observation};
use super::runway::Outlook;
use super::spikes::event_write;
use super::standing::{self, AccountStanding};
use crate::clock::{parse_timestamp, timestamp};
use crate::error::AppResult;
use crate::store::alerts::{self, ActivityWrite, Evaluation, MarksWrite};

/// Evaluates each account; one account's failure is logged and leaves the
/// others (and the sync) alone. Returns how many events were raised.
pub async fn accounts(db: &D1Database, org_ids: &[i64]) -> usize {
    let mut raised = 0;
    for &org_id in org_ids {
        match account(db, org_id).await {
            Ok(n) => raised = n.saturating_add(raised),
            Err(e) => worker::console_error!("alert evaluation of account {org_id}: {e}"),
        }
    }
    raised
}

async fn account(db: &D1Database, org_id: i64) -> AppResult<usize> {
    let now = crate::clock::now();
    let standing = standing::load(db, org_id, now).await?;
    let activity = alerts::activity_marks(db, org_id)
        .await?
        .into_iter()
        .filter_map(|row| {
            let last_spent_at = parse_timestamp(&row.last_spent_at)?;
            Some((
                row.api_key_id,
                ActivityMark {
                    usage: row.snapshot_usage,
                    last_spent_at,
                },
            ))
        })
        .collect();
    let mut evaluation = plan(org_id, &standing, &activity, now);
    if let Some(latest) = super::spikes::latest(&standing.keys) {
        watch_spend(db, org_id, latest, &standing, &mut evaluation).await;
    }
    let raised = evaluation.events.len();
    if !evaluation.is_empty() {
        alerts::record(db, &evaluation, &timestamp(now)).await?;
    }
    Ok(raised)
}

/// Spikes and drift as of the account's latest observation. Reading them
/// can fail without holding back the budgets' alerts: logged, left for the
/// next run (which judges the same hours and days again).
async fn watch_spend(
    db: &D1Database,
    org_id: i64,
    latest: DateTime<Utc>,
    standing: &AccountStanding,
    out: &mut Evaluation,
) {
    match super::spikes::load(db, org_id, latest).await {
        Ok(Some(watch)) => super::spikes::plan(&watch, standing, out),
        Ok(None) => {}
        Err(e) => worker::console_error!("spike check of account {org_id}: {e}"),
    }
    match super::drifts::load(db, org_id, latest).await {
        Ok(inputs) => super::drifts::plan(&inputs, &standing.keys, out),
        Err(e) => worker::console_error!("drift check of account {org_id}: {e}"),
    }
}

/// What one account's latest snapshots change: marks to write and events to
/// raise. Nothing is written for what did not change.
pub fn plan(
    org_id: i64,
    standing: &AccountStanding,
    activity: &HashMap<i64, ActivityMark>,
    now: DateTime<Utc>,
) -> Evaluation {
    let mut evaluation = Evaluation {
        org_id,
        marks: Vec::new(),
        activity: Vec::new(),
        events: Vec::new(),
        claims: Vec::new(),
        spike_marks: Vec::new(),
        drifts: Vec::new(),
    };
    let now = timestamp(now);
    for budget in &standing.budgets {
        plan_budget(budget, standing, &now, &mut evaluation);
    }
    for key in &standing.keys {
        plan_activity(key, activity.get(&key.api_key_id), &mut evaluation);
    }
    evaluation
}

fn plan_budget(budget: &BudgetDef, standing: &AccountStanding, now: &str, out: &mut Evaluation) {
    let Some(state) = assess(budget, &standing.keys) else {
        return;
    };
    let subject = budget.subject();
    let terms = budget.terms();
    let period = state.window.label();
    let previous = standing.marks.get(&subject);
    let seen = Observation {
        terms: &terms,
        period: &period,
        spent: state.spent,
        amount: budget.amount,
        thresholds: &budget.thresholds,
        projected_over: state.window.end.is_some()
            && state
                .runway
                .as_ref()
                .is_some_and(|r| r.status == Outlook::WillExceed),
        now,
    };
    out.claims
        .extend(crate::policies::plan::claims(budget, &state, standing));
    let Some((marks, raised)) = evaluate(previous, &seen) else {
        return;
    };
    let key_name = standing.key_name(budget.api_key_id);
    for alert in &raised {
        let dedup_key = alert.dedup_key(&subject, &marks);
        let event = budget_event(budget, key_name, &state, alert, dedup_key);
        out.events.push(event_write(event));
    }
    if previous != Some(&marks) {
        out.marks.push(MarksWrite {
            subject,
            budget_id: budget.id,
            api_key_id: budget.api_key_id,
            terms: marks.terms,
            armed_at: marks.armed_at,
            period_start: marks.period,
            fired_percent: marks.fired_percent,
            projection_alerted: marks.projection_alerted,
        });
    }
}

fn plan_activity(key: &KeyState, previous: Option<&ActivityMark>, out: &mut Evaluation) {
    let Some(latest) = &key.latest else { return };
    let (mark, woke) = watch_activity(previous, latest.counters.usage, latest.taken_at);
    if let (true, Some(previous)) = (woke, previous) {
        let silent = latest
            .taken_at
            .signed_duration_since(previous.last_spent_at)
            .num_days();
        let since = timestamp(previous.last_spent_at);
        let event = woke_up_event(
            key.api_key_id,
            &key.name,
            silent,
            latest.counters.usage,
            &since,
        );
        out.events.push(event_write(event));
    }
    if previous != Some(&mark) {
        out.activity.push(ActivityWrite {
            api_key_id: key.api_key_id,
            usage: mark.usage,
            last_spent_at: timestamp(mark.last_spent_at),
        });
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::alerts::assess::{Latest, Source};
    use crate::alerts::marks::Marks;
    use crate::alerts::period::Period;
    use crate::alerts::thresholds::Thresholds;
    use crate::testing::{at, usd};

    fn standing(monthly: &str, usage: &str, limit: Option<&str>) -> AccountStanding {
        AccountStanding {
            keys: vec![KeyState {
                api_key_id: 7,
                name: "Production".into(),
                latest: Some(Latest {
                    limit: limit.map(usd),
                    ..Latest::observed("2026-11-15T12:00:00Z", monthly, usage)
                }),
                oldest: None,
            }],
            budgets: vec![BudgetDef {
                id: Some(3),
                source: Source::Budget,
                api_key_id: Some(7),
                amount: usd("10"),
                period: Period::Monthly,
                thresholds: Thresholds::default(),
                created_at: None,
                updated_at: None,
                policy: Default::default(),
            }],
            marks: HashMap::new(),
        }
    }

    #[test]
    fn a_crossed_threshold_becomes_an_event_and_marks_and_a_rerun_adds_nothing() {
        let now = at("2026-11-15T12:00:05Z");
        let first = plan(1, &standing("5.1", "5.1", None), &HashMap::new(), now);
        assert_eq!(first.events.len(), 1);
        let event: serde_json::Value = serde_json::from_str(&first.events[0].payload).unwrap();
        assert_eq!(event["threshold"], 50);
        assert_eq!(
            event["message"],
            "Key “Production” has used 51% of its 10 USD monthly budget (5.1 USD spent; threshold 50%)."
        );
        assert_eq!(first.marks.len(), 1);
        assert_eq!(first.activity.len(), 1, "the key's watch starts");

        // The same snapshot again, with what the first run stored.
        let mut again = standing("5.1", "5.1", None);
        let m = &first.marks[0];
        again.marks.insert(
            m.subject.clone(),
            Marks {
                terms: m.terms.clone(),
                armed_at: m.armed_at.clone(),
                period: m.period_start.clone(),
                fired_percent: m.fired_percent,
                projection_alerted: m.projection_alerted,
            },
        );
        let watched = HashMap::from([(
            7,
            ActivityMark {
                usage: usd("5.1"),
                last_spent_at: at("2026-11-15T12:00:00Z"),
            },
        )]);
        let second = plan(1, &again, &watched, now);
        assert!(second.events.is_empty() && second.marks.is_empty() && second.activity.is_empty());
    }

    #[test]
    fn a_lifetime_openrouter_limit_alerts_as_an_implicit_budget() {
        let mut s = standing("0", "3.2", Some("4"));
        s.budgets.clear();
        s.budgets = crate::alerts::assess::implicit_budgets(&s.keys, &[]);
        let e = plan(1, &s, &HashMap::new(), at("2026-11-15T12:00:05Z"));
        let thresholds: Vec<i64> = e
            .events
            .iter()
            .map(|w| {
                serde_json::from_str::<serde_json::Value>(&w.payload).unwrap()["threshold"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(thresholds, [50, 80]);
        assert_eq!(e.marks[0].subject, "limit:7");
        assert_eq!(e.marks[0].period_start, "lifetime");
    }

    #[test]
    fn a_key_waking_up_after_weeks_is_an_event() {
        let watched = HashMap::from([(
            7,
            ActivityMark {
                usage: usd("5"),
                last_spent_at: at("2026-10-20T12:00:00Z"),
            },
        )]);
        let mut s = standing("0.1", "5.1", None);
        s.budgets.clear();
        let e = plan(1, &s, &watched, at("2026-11-15T12:00:05Z"));
        assert_eq!(e.events.len(), 1);
        assert_eq!(e.events[0].kind, crate::alerts::events::WOKE_UP);
        let event: serde_json::Value = serde_json::from_str(&e.events[0].payload).unwrap();
        assert_eq!(event["silent_days"], 26);
        // A later snapshot of the same wake-up (a run at the same time that
        // saw more spend) names the same event.
        let mut later = standing("0.2", "5.2", None);
        later.budgets.clear();
        if let Some(latest) = later.keys[0].latest.as_mut() {
            latest.taken_at = at("2026-11-15T12:30:00Z");
        }
        let again = plan(1, &later, &watched, at("2026-11-15T12:30:05Z"));
        assert_eq!(again.events[0].dedup_key, e.events[0].dedup_key);
    }
}
