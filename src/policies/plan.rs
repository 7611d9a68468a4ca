//! Which actions an account's evaluation asks for: each explicit budget
//! whose policy triggered, on its key or (an account budget) on each key
//! with a snapshot; and each spike on a key of a budget whose policy acts
//! on spikes. Claims are idempotent (`store::key_actions`), so asking
//! again every hour while the line stays crossed takes nothing twice.

use chrono::{DateTime, Utc};

use super::{spike_triggered, triggered, Action, Trigger};
use crate::alerts::assess::{Assessment, BudgetDef};
use crate::alerts::standing::AccountStanding;
use crate::clock::timestamp;
use crate::store::key_actions::Claim;

pub fn claims(budget: &BudgetDef, state: &Assessment, standing: &AccountStanding) -> Vec<Claim> {
    let Some(trigger) = triggered(&budget.policy, budget.amount, state) else {
        return Vec::new();
    };
    standing
        .keys
        .iter()
        .filter(|k| k.latest.is_some())
        .filter(|k| budget.api_key_id.is_none_or(|id| id == k.api_key_id))
        .filter_map(|key| claim(budget, state, key.api_key_id, trigger))
        .collect()
}

/// The claim a spike that began at `hour` on key `api_key_id` makes on
/// `budget`: only on a budget that covers the key (its own, or the
/// account's) and whose policy acts on spikes, and only on that key (the
/// runaway one), not on every key of an account budget.
pub fn spike_claim(
    budget: &BudgetDef,
    state: &Assessment,
    api_key_id: i64,
    hour: DateTime<Utc>,
) -> Option<Claim> {
    if budget.api_key_id.is_some_and(|id| id != api_key_id) {
        return None;
    }
    let trigger = spike_triggered(&budget.policy, state, hour)?;
    claim(budget, state, api_key_id, trigger)
}

fn claim(
    budget: &BudgetDef,
    state: &Assessment,
    api_key_id: i64,
    trigger: Trigger,
) -> Option<Claim> {
    let (Some(budget_id), Some(start), Some(end)) =
        (budget.id, state.window.start, state.window.end)
    else {
        return None;
    };
    let limit = budget.policy.action == Action::Limit;
    Some(Claim {
        api_key_id,
        budget_id,
        budget_label: format!("{} USD {} budget", budget.amount, budget.period.as_str()),
        trigger_label: trigger.label(),
        action: budget.policy.action.as_str(),
        dry_run: budget.policy.dry_run,
        period_start: timestamp(start),
        period_end: timestamp(end),
        target_limit: limit.then_some(budget.amount),
        target_reset: limit.then_some(budget.period.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::assess::{assess, KeyState, Latest, Source};
    use crate::alerts::period::Period;
    use crate::alerts::thresholds::Thresholds;
    use crate::policies::Policy;
    use crate::testing::usd;
    use std::collections::HashMap;

    fn key(id: i64, monthly: &str) -> KeyState {
        KeyState {
            api_key_id: id,
            name: format!("k{id}"),
            latest: Some(Latest::observed("2026-12-10T12:00:00Z", monthly, monthly)),
            oldest: None,
        }
    }

    fn budget(key: Option<i64>, action: Action, at: Option<u8>) -> BudgetDef {
        BudgetDef {
            id: Some(3),
            source: Source::Budget,
            api_key_id: key,
            amount: usd("10"),
            period: Period::Monthly,
            thresholds: Thresholds::default(),
            created_at: None,
            updated_at: None,
            policy: Policy {
                action,
                at_percent: at,
                dry_run: false,
                on_spike: true,
            },
        }
    }

    fn claims_of(b: &BudgetDef, keys: Vec<KeyState>) -> Vec<Claim> {
        let standing = AccountStanding {
            keys,
            budgets: vec![b.clone()],
            marks: HashMap::new(),
        };
        let state = assess(b, &standing.keys).unwrap();
        claims(b, &state, &standing)
    }

    #[test]
    fn a_key_budget_claims_its_key_once_the_line_is_crossed() {
        let b = budget(Some(1), Action::Limit, Some(80));
        assert!(claims_of(&b, vec![key(1, "7.99"), key(2, "50")]).is_empty());
        let c = claims_of(&b, vec![key(1, "8"), key(2, "50")]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].api_key_id, 1);
        assert_eq!(c[0].target_limit, Some(usd("10")));
        assert_eq!(c[0].target_reset, Some("monthly"));
        assert_eq!(c[0].period_end, "2027-01-01T00:00:00Z");
        assert_eq!(c[0].trigger_label, "80 %");
    }

    #[test]
    fn a_spike_claims_only_its_own_key_on_a_budget_that_covers_it() {
        let hour = crate::clock::parse_timestamp("2026-12-09T03:00:00Z").unwrap();
        let keys = vec![key(1, "1"), key(2, "1")];
        let account = budget(None, Action::Disable, Some(100));
        let state = assess(&account, &keys).unwrap();
        let c = spike_claim(&account, &state, 2, hour).expect("a claim on key 2");
        assert_eq!((c.api_key_id, c.action), (2, "disable"));
        assert_eq!(c.trigger_label, "spend spike at 2026-12-09 03:00 UTC");
        let other = budget(Some(1), Action::Limit, Some(100));
        let state = assess(&other, &keys).unwrap();
        assert!(
            spike_claim(&other, &state, 2, hour).is_none(),
            "key 1's budget"
        );
        let mut quiet = account.clone();
        quiet.policy.on_spike = false;
        let state = assess(&quiet, &keys).unwrap();
        assert!(spike_claim(&quiet, &state, 2, hour).is_none());
    }

    #[test]
    fn an_account_budget_disables_every_key_it_has_seen() {
        let b = budget(None, Action::Disable, Some(100));
        let c = claims_of(&b, vec![key(1, "6"), key(2, "4")]);
        assert_eq!(c.iter().map(|c| c.api_key_id).collect::<Vec<_>>(), [1, 2]);
        assert!(c
            .iter()
            .all(|c| c.action == "disable" && c.target_limit.is_none()));
        assert!(claims_of(&budget(None, Action::Notify, Some(1)), vec![key(1, "60")]).is_empty());
    }
}
