//! When a budget calls for its policy's action.

#![deny(clippy::arithmetic_side_effects)]

use chrono::{DateTime, Utc};

use super::{Action, Policy};
use crate::alerts::assess::Assessment;
use crate::alerts::runway::Outlook;
use crate::domain::money::Money;

/// What crossed the policy's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Percent(u8),
    Projected,
    /// A spend spike whose episode began in the hour starting then.
    Spike(DateTime<Utc>),
}

impl Trigger {
    pub fn label(self) -> String {
        match self {
            Trigger::Percent(p) => format!("{p} %"),
            Trigger::Projected => "projected exhaustion".to_owned(),
            Trigger::Spike(hour) => format!("spend spike at {} UTC", hour.format("%Y-%m-%d %H:%M")),
        }
    }
}

/// Whether a spike that began at `hour` on one of the budget's keys calls
/// for its policy's action: the policy acts on spikes, and the budget has a
/// period (what the product restores at) that the hour is in.
pub fn spike_triggered(
    policy: &Policy,
    state: &Assessment,
    hour: DateTime<Utc>,
) -> Option<Trigger> {
    let (Some(start), Some(end)) = (state.window.start, state.window.end) else {
        return None;
    };
    let acts = policy.on_spike && policy.action != Action::Notify;
    (acts && start <= hour && hour < end).then_some(Trigger::Spike(hour))
}

/// Whether the budget, as assessed now, calls for its policy's action.
/// Only a budget with a period acts (a period is what the product restores
/// at).
pub fn triggered(policy: &Policy, amount: Money, state: &Assessment) -> Option<Trigger> {
    if policy.action == Action::Notify || state.window.end.is_none() {
        return None;
    }
    match policy.at_percent {
        Some(percent) => {
            let spent = i128::from(state.spent.units()).checked_mul(100)?;
            let line = i128::from(amount.units()).checked_mul(i128::from(percent))?;
            (spent >= line).then_some(Trigger::Percent(percent))
        }
        None => state
            .runway
            .as_ref()
            .is_some_and(|r| matches!(r.status, Outlook::WillExceed | Outlook::Exceeded))
            .then_some(Trigger::Projected),
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::alerts::period::Window;
    use crate::testing::{at, usd};
    use proptest::prelude::*;

    fn assessed(spent: &str) -> Assessment {
        Assessment {
            window: Window {
                start: Some(at("2026-12-01T00:00:00Z")),
                end: Some(at("2027-01-01T00:00:00Z")),
            },
            spent: usd(spent),
            as_of: at("2026-12-10T00:00:00Z"),
            runway: None,
        }
    }

    #[test]
    fn the_line_is_crossed_at_exactly_its_percentage() {
        let policy = Policy {
            action: Action::Disable,
            at_percent: Some(80),
            dry_run: false,
            on_spike: false,
        };
        assert_eq!(
            triggered(&policy, usd("10"), &assessed("7.9999999999")),
            None
        );
        assert_eq!(
            triggered(&policy, usd("10"), &assessed("8")),
            Some(Trigger::Percent(80))
        );
        let notify = Policy::default();
        assert_eq!(triggered(&notify, usd("10"), &assessed("100")), None);
        let mut lifetime = assessed("100");
        lifetime.window.end = None;
        assert_eq!(
            triggered(&policy, usd("10"), &lifetime),
            None,
            "no period, nothing to restore at"
        );
    }

    #[test]
    fn a_spike_acts_only_for_a_policy_that_asks_within_its_period() {
        let mut policy = Policy {
            action: Action::Disable,
            at_percent: Some(100),
            dry_run: false,
            on_spike: true,
        };
        let state = assessed("0");
        let hour = at("2026-12-09T03:00:00Z");
        assert_eq!(
            spike_triggered(&policy, &state, hour),
            Some(Trigger::Spike(hour))
        );
        assert_eq!(
            Trigger::Spike(hour).label(),
            "spend spike at 2026-12-09 03:00 UTC"
        );
        let before = at("2026-11-30T23:00:00Z");
        assert_eq!(
            spike_triggered(&policy, &state, before),
            None,
            "an earlier period's"
        );
        let mut lifetime = assessed("0");
        lifetime.window.end = None;
        assert_eq!(
            spike_triggered(&policy, &lifetime, hour),
            None,
            "nothing to restore at"
        );
        policy.action = Action::Notify;
        assert_eq!(spike_triggered(&policy, &state, hour), None);
        policy.action = Action::Limit;
        policy.on_spike = false;
        assert_eq!(spike_triggered(&policy, &state, hour), None);
    }

    proptest! {
        #[test]
        fn no_amount_makes_the_trigger_panic(spent in any::<i64>(), amount in any::<i64>(), p in 1u8..=100) {
            let policy = Policy { action: Action::Limit, at_percent: Some(p), dry_run: true, on_spike: true };
            let mut state = assessed("0");
            state.spent = Money::from_units(spent);
            let _ = triggered(&policy, Money::from_units(amount), &state);
        }

    }
}
