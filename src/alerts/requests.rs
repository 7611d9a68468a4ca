//! The bodies of the budget routes (`handlers`): what a request may set,
//! with the documentation the API document carries for each field.

use serde::Deserialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::alerts::period::UserPeriod;
use crate::domain::money::EnteredAmount;
use crate::policies::terms::{self, Requested};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateBudgetRequest)]
pub struct CreateBody {
    /// The key; null or absent: the whole account.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub api_key_id: Option<i64>,
    #[schema(inline)]
    pub amount: EnteredAmount,
    #[schema(inline, value_type = UserPeriod)]
    pub period: String,
    /// Default [50, 80, 100].
    #[serde(default)]
    #[schema(inline, nullable = false, value_type = vocabulary::schemas::Thresholds)]
    pub thresholds: Option<Vec<i64>>,
    /// What the budget does to its keys besides alerting (docs/policies.md): `notify` (the default: alert only), `disable` (disable the key on OpenRouter; for an account budget, every key of the account), `limit` (set the key's OpenRouter limit over the budget's period so what it may still spend is what the budget has left; key budgets only). `disable` and `limit` act through the account's management key (422 without one) and are undone when the period resets.
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(inline, nullable = false, value_type = crate::policies::Action)]
    pub action: Option<String>,
    /// The percentage of the amount at which the action is taken (1 to 100; 100 when a new budget does not say); null: when the projection says the amount is reached before the period resets.
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub action_at: Option<Option<i64>>,
    /// true: record what the action would do without changing anything on OpenRouter.
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(nullable = false)]
    pub dry_run: Option<bool>,
    /// true: also take the action when a spend spike starts on a key the budget covers (docs/alerts.md), whatever the budget's spend; once per key and period like the other triggers, undone at the reset. Needs `action` `disable` or `limit` (422 otherwise); false (the default) when the action goes back to `notify`.
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(nullable = false)]
    pub action_on_spike: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateBudgetRequest, description = "New terms re-arm the budget (its thresholds may fire again in this period).", min_properties = 1)]
pub struct UpdateBody {
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(inline, nullable = false)]
    pub amount: Option<EnteredAmount>,
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(inline, nullable = false, value_type = UserPeriod)]
    pub period: Option<String>,
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(inline, nullable = false, value_type = vocabulary::schemas::Thresholds)]
    pub thresholds: Option<Vec<i64>>,
    /// What the budget does to its keys besides alerting (docs/policies.md): `notify` (the default: alert only), `disable` (disable the key on OpenRouter; for an account budget, every key of the account), `limit` (set the key's OpenRouter limit over the budget's period so what it may still spend is what the budget has left; key budgets only). `disable` and `limit` act through the account's management key (422 without one) and are undone when the period resets.
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(inline, nullable = false, value_type = crate::policies::Action)]
    pub action: Option<String>,
    /// The percentage of the amount at which the action is taken (1 to 100; 100 when a new budget does not say); null: when the projection says the amount is reached before the period resets.
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub action_at: Option<Option<i64>>,
    /// true: record what the action would do without changing anything on OpenRouter.
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(nullable = false)]
    pub dry_run: Option<bool>,
    /// true: also take the action when a spend spike starts on a key the budget covers (docs/alerts.md), whatever the budget's spend; once per key and period like the other triggers, undone at the reset. Needs `action` `disable` or `limit` (422 otherwise); false (the default) when the action goes back to `notify`.
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(nullable = false)]
    pub action_on_spike: Option<bool>,
}

impl CreateBody {
    /// Its policy fields.
    pub fn policy(&self) -> Requested<'_> {
        terms::requested(
            &self.action,
            self.action_at,
            self.dry_run,
            self.action_on_spike,
        )
    }
}

impl UpdateBody {
    /// Its policy fields.
    pub fn policy(&self) -> Requested<'_> {
        terms::requested(
            &self.action,
            self.action_at,
            self.dry_run,
            self.action_on_spike,
        )
    }

    /// Whether it sets nothing at all.
    pub fn is_empty(&self) -> bool {
        self.amount.is_none()
            && self.period.is_none()
            && self.thresholds.is_none()
            && self.action.is_none()
            && self.action_at.is_none()
            && self.dry_run.is_none()
            && self.action_on_spike.is_none()
    }
}
