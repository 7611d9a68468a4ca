//! Where a run leaves an action, and the event that says so.

use super::events::{self, ActionFacts};
use super::KeySettings;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::openrouter::CallError;
use crate::store::events::EventWrite;
use crate::store::key_actions::{ActionRow, Outcome};

/// Runs that may fail to reach OpenRouter before an action is reported
/// failed (each run's client already retries 429 and 5xx within the call).
pub const MAX_TRIES: i64 = 3;

/// An outcome without its row's identity (filled in by the caller).
pub fn outcome(state: &'static str) -> Outcome<'static> {
    Outcome {
        id: 0,
        org_id: 0,
        state,
        after: None,
        detail: None,
        failed_try: false,
        via_key_id: None,
        lease: "",
        event: None,
        audit: None,
    }
}

pub fn facts(row: &ActionRow) -> ActionFacts<'_> {
    ActionFacts {
        action_id: row.id,
        action: &row.action,
        api_key_id: row.api_key_id,
        key_name: &row.key_name,
        budget_id: row.budget_id,
        budget_label: &row.budget_label,
        trigger: &row.trigger_label,
        restore_at: &row.period_end,
    }
}

pub fn event(new: events::NewEvent) -> Option<EventWrite> {
    Some(EventWrite {
        dedup_key: new.dedup_key,
        kind: new.kind,
        api_key_id: new.api_key_id,
        payload: new.payload.to_string(),
    })
}

/// The audit log's entry for what the product did to the key.
pub fn audited(
    row: &ActionRow,
    kind: Kind,
    change: Option<(&KeySettings, &KeySettings)>,
) -> Option<Entry> {
    let entry = Entry::by_product(row.org_id, kind, &row.key_name)
        .key(row.api_key_id)
        .reference(
            Fields::new()
                .with("action_id", row.id)
                .with("budget_id", row.budget_id)
                .with("budget", row.budget_label.as_str())
                .with("trigger", row.trigger_label.as_str()),
        );
    Some(match change {
        Some((before, after)) => entry.changed(before.audited(), after.audited()),
        None => entry,
    })
}

/// What a change of the key's settings is, for the audit log.
pub fn kind_of(before: &KeySettings, after: &KeySettings) -> Kind {
    match (before.disabled, after.disabled) {
        (false, true) => Kind::KeyDisabled,
        (true, false) => Kind::KeyEnabled,
        _ => Kind::KeyLimitChanged,
    }
}

/// Given up: reported once.
pub fn failed(row: &ActionRow, reason: &str) -> Outcome<'static> {
    Outcome {
        detail: Some(reason.to_owned()),
        event: event(events::failed(&facts(row), reason)),
        audit: audited(row, Kind::PolicyFailed, None)
            .map(|e| e.created(Fields::new().with("reason", reason))),
        ..outcome("failed")
    }
}

pub fn no_manager(row: &ActionRow) -> Outcome<'static> {
    let reason = "the account has no usable management key to act through";
    match row.state.as_str() {
        "pending" => failed(row, reason),
        // Applied, and nothing to restore through: tried again next run.
        _ => Outcome {
            detail: Some(format!("not restored yet: {reason}")),
            ..outcome("applied")
        },
    }
}

/// A call that did not go through: tried again on a later run, reported
/// after [`MAX_TRIES`]; a refusal (401/403/4xx) is final at once.
pub fn call_failed(row: &ActionRow, error: &CallError) -> Outcome<'static> {
    let reason = error.describe();
    let transient = !matches!(
        error,
        CallError::Rejected { .. } | CallError::Refused { .. }
    );
    let tries = row.attempts.saturating_add(1);
    match (row.state.as_str(), transient && tries < MAX_TRIES) {
        (state @ ("pending" | "applied"), true) => Outcome {
            detail: Some(format!("try {tries} of {MAX_TRIES}: {reason}")),
            failed_try: true,
            ..outcome(if state == "pending" {
                "pending"
            } else {
                "applied"
            })
        },
        ("pending", false) => Outcome {
            failed_try: true,
            ..failed(row, &reason)
        },
        // A restore that cannot go through is reported and left applied:
        // the person sees it on the key and can undo by hand.
        (_, _) => Outcome {
            detail: Some(format!("could not restore: {reason}")),
            failed_try: true,
            event: if tries == MAX_TRIES {
                event(events::failed(&facts(row), &reason))
            } else {
                None
            },
            ..outcome("applied")
        },
    }
}
