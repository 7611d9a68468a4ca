//! An action on a key as `/api/actions` shows it.

use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use super::KeySettings;
use crate::domain::page::Pagination;
use crate::store::key_actions::ActionRow;

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    /// Claimed; not taken yet (or a call failed and is tried again next run).
    Pending,
    /// Taken on OpenRouter; put back at `restore_at`.
    Applied,
    /// A dry run: `after` is what it would have set; nothing changed.
    DryRun,
    /// Nothing to do (the key was disabled already, or its own limit is as tight).
    Skipped,
    /// Could not be taken; `detail` says why (and `policy.failed` was raised).
    Failed,
    /// Put back when the budget's period ended.
    Restored,
    /// Put back by a person.
    Undone,
    /// Left as it is: a person changed the key on OpenRouter since the action.
    Kept,
    /// A limit a person set from the dashboard (one click); never put back.
    Set,
}

impl ActionState {
    const ALL: [ActionState; 9] = [
        Self::Pending,
        Self::Applied,
        Self::DryRun,
        Self::Skipped,
        Self::Failed,
        Self::Restored,
        Self::Undone,
        Self::Kept,
        Self::Set,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Applied => "applied",
            Self::DryRun => "dry_run",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
            Self::Restored => "restored",
            Self::Undone => "undone",
            Self::Kept => "kept",
            Self::Set => "set",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = KeyAction, description = "What a policy did (or, in a dry run, would do) to one OpenRouter key.")]
pub struct ActionView {
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub id: i64,
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub api_key_id: i64,
    pub api_key_name: String,
    /// Null once the budget is deleted (the action is still put back).
    #[schema(required = true, minimum = 1, maximum = 9007199254740991_i64)]
    pub budget_id: Option<i64>,
    /// The budget, as a sentence names it: `10 USD monthly budget`.
    pub budget: String,
    /// What crossed the line: `80 %` or `projected exhaustion`.
    pub trigger: String,
    #[schema(inline)]
    pub action: super::Action,
    pub dry_run: bool,
    #[schema(inline)]
    pub state: ActionState,
    /// The key's settings on OpenRouter before the action (null until read).
    #[schema(required = true)]
    pub before: Option<KeySettings>,
    /// What the action set (or would set, in a dry run).
    #[schema(required = true)]
    pub after: Option<KeySettings>,
    /// Why it stands where it stands (a failure, a skip, a key left alone), or null.
    #[schema(required = true)]
    pub detail: Option<String>,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    pub period_start: String,
    /// When the product puts the key back: the budget period's end, on OpenRouter's clock.
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    pub restore_at: String,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    pub created_at: String,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = KeyActionPage)]
pub struct ActionPage {
    pub items: Vec<ActionView>,
    pub pagination: Pagination,
}

fn settings(text: Option<&str>) -> Option<KeySettings> {
    serde_json::from_str(text?).ok()
}

pub fn action_view(row: &ActionRow) -> ActionView {
    ActionView {
        id: row.id,
        api_key_id: row.api_key_id,
        api_key_name: row.key_name.clone(),
        budget_id: row.budget_id,
        budget: row.budget_label.clone(),
        trigger: row.trigger_label.clone(),
        action: super::Action::parse("action", &row.action).unwrap_or_default(),
        dry_run: row.dry_run != 0,
        state: ActionState::parse(&row.state).unwrap_or(ActionState::Pending),
        before: settings(row.before.as_deref()),
        after: settings(row.after.as_deref()),
        detail: row.detail.clone(),
        period_start: row.period_start.clone(),
        restore_at: row.period_end.clone(),
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
    }
}
