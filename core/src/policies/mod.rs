//! Policies: what a budget does to its OpenRouter keys besides alerting,
//! decided without I/O (docs/policies.md).
//!
//! A policy acts once per budget, key and period: `disable` sets
//! `disabled: true`, `limit` sets the key's OpenRouter `limit` over the
//! budget's period so that what the key may still spend is what the budget
//! has left. At the period's end the product puts back exactly the fields it
//! changed, unless a person changed one of them since. It never raises a
//! limit a person set, never enables a key a person disabled, never deletes.

#![deny(clippy::arithmetic_side_effects)]

pub mod events;
pub mod trigger;

pub use trigger::{spike_triggered, triggered, Trigger};

use serde::{Deserialize, Serialize};

use crate::alerts::period::Period;
use crate::domain::money::Money;
use crate::domain::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Alert only (the default).
    #[default]
    Notify,
    /// Disable the key on OpenRouter (`PATCH disabled: true`).
    Disable,
    /// Set the key's OpenRouter limit so it cannot spend past the budget.
    Limit,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Notify, Action::Disable, Action::Limit];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Notify => "notify",
            Action::Disable => "disable",
            Action::Limit => "limit",
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<Action, Invalid> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == text)
            .ok_or_else(|| Invalid::new(field, "must be one of notify, disable, limit"))
    }
}

/// A budget's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    pub action: Action,
    /// The percentage of the amount that triggers the action; `None`: when
    /// the projection says the amount is reached before the period resets.
    pub at_percent: Option<u8>,
    pub dry_run: bool,
    /// Also act when a spend spike starts on a key the budget covers
    /// (`alerts::spike`), whatever the budget's spend.
    pub on_spike: bool,
}

/// The settings of an OpenRouter key a policy may change, as its management
/// API shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = KeySettings)]
pub struct KeySettings {
    pub disabled: bool,
    /// null: no limit.
    #[schema(value_type = crate::api_doc::vocabulary::schemas::NullableMoney, required = true)]
    pub limit: Option<Money>,
    /// `daily`, `weekly`, `monthly`, or null (the limit never resets).
    #[schema(required = true)]
    pub limit_reset: Option<String>,
}

impl KeySettings {
    /// As the audit log records them (OpenRouter's settings: no secret).
    pub fn audited(&self) -> crate::domain::audit::Fields {
        crate::domain::audit::Fields::new()
            .with("disabled", self.disabled)
            .with("limit", self.limit.map(|m| m.to_string()))
            .with("limit_reset", self.limit_reset.clone())
    }
}

/// What an action is to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Disable,
    /// `limit` over `reset`: with the budget's own period, OpenRouter's
    /// `limit_remaining` becomes exactly what the budget has left.
    Limit {
        limit: Money,
        reset: Period,
    },
}

/// The key's settings after the change, from what they are now and what the
/// key may still spend under its current limit (`remaining`, OpenRouter's
/// `limit_remaining`); `None`: nothing to do (already disabled, or a limit as
/// tight already: a person's limit is never raised).
pub fn target(
    change: &Change,
    before: &KeySettings,
    remaining: Option<Money>,
    budget_left: Money,
) -> Option<KeySettings> {
    match change {
        Change::Disable => (!before.disabled).then(|| KeySettings {
            disabled: true,
            ..before.clone()
        }),
        Change::Limit { limit, reset } => {
            let tighter_already =
                before.limit.is_some() && remaining.is_some_and(|r| r <= budget_left);
            let after = KeySettings {
                disabled: before.disabled,
                limit: Some(*limit),
                limit_reset: Some(reset.as_str().to_owned()),
            };
            (!tighter_already && after != *before).then_some(after)
        }
    }
}

/// The fields of a `PATCH /keys/{hash}` body: only those that change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Patch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// `Some(None)` clears the limit (JSON null). A JSON number, as
    /// OpenRouter types it, written from the exact decimal's own text.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "exact_number"
    )]
    pub limit: Option<Option<Money>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_reset: Option<Option<String>>,
}

fn exact_number<S: serde::Serializer>(
    limit: &Option<Option<Money>>,
    out: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::Error;
    match limit {
        Some(Some(amount)) => serde_json::value::RawValue::from_string(amount.to_string())
            .map_err(S::Error::custom)?
            .serialize(out),
        _ => out.serialize_none(),
    }
}

impl Patch {
    /// What turns `from` into `to`.
    pub fn between(from: &KeySettings, to: &KeySettings) -> Patch {
        Patch {
            disabled: (from.disabled != to.disabled).then_some(to.disabled),
            limit: (from.limit != to.limit).then_some(to.limit),
            limit_reset: (from.limit_reset != to.limit_reset).then(|| to.limit_reset.clone()),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Patch::default()
    }
}

/// Putting back what an action changed: the patch from `after` to `before`,
/// if every field the action changed still holds what it set; otherwise the
/// field a person changed since (the key is left as they set it).
pub fn restoration(
    before: &KeySettings,
    after: &KeySettings,
    now: &KeySettings,
) -> Result<Patch, &'static str> {
    let changed = Patch::between(before, after);
    if changed.disabled.is_some() && now.disabled != after.disabled {
        return Err("disabled");
    }
    if changed.limit.is_some() && now.limit != after.limit {
        return Err("limit");
    }
    if changed.limit_reset.is_some() && now.limit_reset != after.limit_reset {
        return Err("limit_reset");
    }
    Ok(Patch::between(after, before))
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::testing::usd;
    use proptest::prelude::*;

    fn settings(disabled: bool, limit: Option<&str>, reset: Option<&str>) -> KeySettings {
        KeySettings {
            disabled,
            limit: limit.map(usd),
            limit_reset: reset.map(str::to_owned),
        }
    }

    #[test]
    fn disabling_a_disabled_key_is_nothing_to_do() {
        let on = settings(false, None, None);
        assert_eq!(
            target(&Change::Disable, &on, None, usd("1")),
            Some(settings(true, None, None))
        );
        assert_eq!(
            target(
                &Change::Disable,
                &settings(true, None, None),
                None,
                usd("1")
            ),
            None
        );
    }

    #[test]
    fn a_limit_is_set_over_the_budget_period_and_never_raised() {
        let change = Change::Limit {
            limit: usd("10"),
            reset: Period::Monthly,
        };
        let none = settings(false, None, None);
        assert_eq!(
            target(&change, &none, None, usd("2")),
            Some(settings(false, Some("10"), Some("monthly")))
        );
        // A person's limit leaving 1.5 USD is tighter than the 2 USD left.
        let tight = settings(false, Some("5"), Some("daily"));
        assert_eq!(target(&change, &tight, Some(usd("1.5")), usd("2")), None);
        // One leaving 30 USD is looser: the budget's limit replaces it.
        let loose = settings(false, Some("100"), None);
        assert_eq!(
            target(&change, &loose, Some(usd("30")), usd("2")),
            Some(settings(false, Some("10"), Some("monthly")))
        );
    }

    #[test]
    fn restoring_puts_back_only_what_was_changed_unless_a_person_changed_it() {
        let before = settings(false, Some("100"), None);
        let after = settings(false, Some("10"), Some("monthly"));
        let patch = restoration(&before, &after, &after).unwrap();
        assert_eq!(
            serde_json::to_string(&patch).unwrap(),
            r#"{"limit":100,"limit_reset":null}"#
        );
        // Someone disabled it meanwhile: not a field the action changed.
        let disabled_since = settings(true, Some("10"), Some("monthly"));
        assert!(restoration(&before, &after, &disabled_since).is_ok());
        let relimited = settings(false, Some("20"), Some("monthly"));
        assert_eq!(restoration(&before, &after, &relimited), Err("limit"));

        let on = settings(false, None, None);
        let off = settings(true, None, None);
        assert_eq!(
            serde_json::to_string(&restoration(&on, &off, &off).unwrap()).unwrap(),
            r#"{"disabled":false}"#
        );
        assert_eq!(
            restoration(&on, &off, &on),
            Err("disabled"),
            "re-enabled by hand"
        );
    }

    proptest! {
        #[test]
        fn a_restoration_undoes_exactly_the_change(
            disabled in any::<bool>(), limit in proptest::option::of(0i64..i64::MAX),
            budget in 1i64..i64::MAX, left in 0i64..i64::MAX, remaining in proptest::option::of(0i64..i64::MAX),
        ) {
            let before = KeySettings { disabled, limit: limit.map(Money::from_units), limit_reset: None };
            for change in [Change::Disable, Change::Limit { limit: Money::from_units(budget), reset: Period::Weekly }] {
                if let Some(after) = target(&change, &before, remaining.map(Money::from_units), Money::from_units(left)) {
                    let patch = restoration(&before, &after, &after).unwrap();
                    let restored = KeySettings {
                        disabled: patch.disabled.unwrap_or(after.disabled),
                        limit: patch.limit.unwrap_or(after.limit),
                        limit_reset: patch.limit_reset.clone().unwrap_or(after.limit_reset.clone()),
                    };
                    prop_assert_eq!(restored, before.clone());
                }
            }
        }
    }
}
