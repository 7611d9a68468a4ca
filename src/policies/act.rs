//! Taking, restoring and undoing actions on OpenRouter keys, through the
//! account's management key. Run after each sync batch's evaluation (for
//! the accounts it synced) and by a person's undo.
//!
//! Safety, in order: the key must be one the management key sees (`GET
//! /keys/{hash}` answers it: OpenRouter scopes that call to the account);
//! the settings before are read once and kept; only fields that differ are
//! patched (a retry after a PATCH that landed patches nothing); a restore
//! happens only while every field the action changed still holds what it
//! set. A failed call is retried on later runs ([`super::outcome::MAX_TRIES`]) and then
//! reported as `policy.failed`, never dropped.

use chrono::Duration;
use worker::D1Database;

use super::events::{self, Step};
use super::outcome::{audited, call_failed, event, facts, failed, kind_of, no_manager, outcome};
use super::{restoration, target, Change, KeySettings, Patch};
use crate::alerts::period::Period;
use crate::clock::{self, timestamp};
use crate::domain::audit::Kind;
use crate::domain::money::Money;
use crate::error::AppResult;
use crate::jobs::sync::sealed;
use crate::keys::vault::Vault;
use crate::openrouter::types::ManagedKey;
use crate::openrouter::{CallError, Client};
use crate::store::api_keys;
use crate::store::key_actions::{self, ActionRow, Outcome};

/// How long a run holds the actions it works on.
const LEASE_SECS: i64 = 120;

/// The account's management key: its row id and the key itself.
pub struct Manager {
    pub id: i64,
    pub key: String,
}

pub async fn manager(db: &D1Database, vault: &Vault, org_id: i64) -> AppResult<Option<Manager>> {
    let Some(id) = api_keys::management_key_id(db, org_id).await? else {
        return Ok(None);
    };
    let Some(row) = api_keys::target_by_id(db, id).await? else {
        return Ok(None);
    };
    Ok(sealed(&row)
        .and_then(|s| vault.open(&s, row.org_id, row.id).ok())
        .map(|key| Manager { id, key }))
}

/// Calls a person's request may make (look the key up, patch it, each with
/// its retries), and how long each may take.
pub const PERSON_CALLS: u32 = 6;
pub const PERSON_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(8);

/// The account's management key for a person's request: 409 without one.
pub async fn manager_for(
    app: &crate::app::App,
    db: &D1Database,
    org_id: i64,
) -> AppResult<Manager> {
    let vault = Vault::new(&app.encryption_key()?);
    manager(db, &vault, org_id).await?.ok_or_else(|| {
        crate::error::AppError::Conflict(
            "The account has no usable management key to act through.".to_owned(),
        )
    })
}

/// Works on the due actions of each account; returns how many settled.
pub async fn accounts(db: &D1Database, vault: &Vault, client: &Client<'_>, users: &[i64]) -> usize {
    let mut settled = 0usize;
    for &org_id in users {
        match account(db, vault, client, org_id).await {
            Ok(n) => settled = settled.saturating_add(n),
            Err(e) => worker::console_error!("policy actions of account {org_id}: {e}"),
        }
    }
    settled
}

async fn account(
    db: &D1Database,
    vault: &Vault,
    client: &Client<'_>,
    org_id: i64,
) -> AppResult<usize> {
    let now = clock::now();
    let lease = lease_end(now);
    let rows = key_actions::take_due(db, org_id, &timestamp(now), &lease).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let manager = manager(db, vault, org_id).await?;
    let mut settled = 0usize;
    for row in &rows {
        let result = match (&manager, row.state.as_str()) {
            (None, _) => no_manager(row),
            (Some(m), "pending") => take(db, client, m, row).await?,
            (Some(m), _) => restore(client, m, row, Step::Restored).await,
        };
        let outcome = Outcome {
            id: row.id,
            org_id,
            lease: &lease,
            ..result
        };
        if key_actions::settle(db, &outcome, &timestamp(clock::now())).await? {
            settled = settled.saturating_add(1);
        }
    }
    Ok(settled)
}

/// A person undoes an applied action now: the same restore, recorded as
/// `undone`. `None` when the action is not applied (or a run holds it).
pub async fn undo(
    db: &D1Database,
    client: &Client<'_>,
    manager: &Manager,
    org_id: i64,
    id: i64,
) -> AppResult<Option<String>> {
    let now = clock::now();
    let lease = lease_end(now);
    let Some(row) = key_actions::lease_applied(db, org_id, id, &timestamp(now), &lease).await?
    else {
        return Ok(None);
    };
    let outcome = Outcome {
        id,
        org_id,
        lease: &lease,
        ..restore(client, manager, &row, Step::Undone).await
    };
    let state = outcome.state.to_owned();
    key_actions::settle(db, &outcome, &timestamp(clock::now())).await?;
    Ok(Some(state))
}

/// When this run's hold ends, made unique by a random tag: two runs in the
/// same second must not read each other's rows. The tag sorts after the
/// time, so the lease still compares as its time.
fn lease_end(now: chrono::DateTime<chrono::Utc>) -> String {
    let mut tag = [0u8; 6];
    let tag = match getrandom::getrandom(&mut tag) {
        Ok(()) => tag.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        Err(_) => "run".to_owned(),
    };
    let until = now
        .checked_add_signed(Duration::seconds(LEASE_SECS))
        .unwrap_or(now);
    format!("{}#{tag}", timestamp(until))
}

/// The key as the management key sees it; `Err` is the outcome to record.
async fn look_up(
    client: &Client<'_>,
    m: &Manager,
    row: &ActionRow,
) -> Result<ManagedKey, Outcome<'static>> {
    match client.managed_key(&m.key, &row.key_hash).await {
        Ok(key) => Ok(key),
        Err(CallError::Refused { status: 404 }) => Err(match row.state.as_str() {
            "pending" => failed(row, "the management key does not own this key (OpenRouter does not list it for that account)"),
            _ => Outcome {
                detail: Some("left alone: the management key no longer sees this key".to_owned()),
                ..outcome("kept")
            },
        }),
        Err(e) => Err(call_failed(row, &e)),
    }
}

async fn take(
    db: &D1Database,
    client: &Client<'_>,
    m: &Manager,
    row: &ActionRow,
) -> AppResult<Outcome<'static>> {
    let key = match look_up(client, m, row).await {
        Ok(key) => key,
        Err(outcome) => return Ok(outcome),
    };
    let current = key.settings();
    let stored = serde_json::to_string(&current).unwrap_or_default();
    let before: KeySettings = key_actions::keep_before(db, row.id, &stored)
        .await?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(current.clone());
    let (change, left) = match (
        row.action.as_str(),
        row.target_limit,
        row.target_reset.as_deref(),
    ) {
        ("limit", Some(limit), Some(reset)) => {
            let Ok(period) = Period::parse("target_reset", reset) else {
                return Ok(failed(row, "the stored limit period is unreadable"));
            };
            // What the budget has left, by OpenRouter's own counter now.
            let left = limit
                .checked_sub(key.usage_over(period))
                .filter(|left| *left > Money::ZERO)
                .unwrap_or(Money::ZERO);
            (
                Change::Limit {
                    limit,
                    reset: period,
                },
                left,
            )
        }
        _ => (Change::Disable, Money::ZERO),
    };
    let Some(after) = target(&change, &before, key.limit_remaining, left) else {
        return Ok(Outcome {
            detail: Some(match change {
                Change::Disable => "nothing to do: the key is disabled already".to_owned(),
                Change::Limit { .. } => {
                    "nothing to do: the key's own limit is as tight already".to_owned()
                }
            }),
            via_key_id: Some(m.id),
            ..outcome("skipped")
        });
    };
    Ok(apply(client, m, row, &before, current, after).await)
}

/// Takes the action (or, in a dry run, only says what it would set).
async fn apply(
    client: &Client<'_>,
    m: &Manager,
    row: &ActionRow,
    before: &KeySettings,
    current: KeySettings,
    after: KeySettings,
) -> Outcome<'static> {
    if row.dry_run != 0 {
        return Outcome {
            after: serde_json::to_string(&after).ok(),
            detail: Some("dry run: nothing was changed on OpenRouter".to_owned()),
            via_key_id: Some(m.id),
            audit: audited(row, Kind::PolicyDryRun, Some((before, &after))),
            ..outcome("dry_run")
        };
    }
    let patch = Patch::between(&current, &after);
    let confirmed = if patch.is_empty() {
        current
    } else {
        match client.update_key(&m.key, &row.key_hash, &patch).await {
            Ok(key) => key.settings(),
            Err(e) => return call_failed(row, &e),
        }
    };
    Outcome {
        after: serde_json::to_string(&confirmed).ok(),
        detail: None,
        via_key_id: Some(m.id),
        event: event(events::changed(
            &facts(row),
            Step::Applied,
            before,
            &confirmed,
        )),
        audit: audited(row, kind_of(before, &confirmed), Some((before, &confirmed))),
        ..outcome("applied")
    }
}

/// Whether the action's period has ended on OpenRouter's clock (its
/// answer's `Date`), not the Worker's.
fn period_over(key: &ManagedKey, row: &ActionRow) -> bool {
    let openrouter_now = key.served_at.as_deref().and_then(clock::parse_timestamp);
    let period_end = clock::parse_timestamp(&row.period_end);
    openrouter_now.unwrap_or_else(clock::now) >= period_end.unwrap_or_else(clock::now)
}

async fn restore(
    client: &Client<'_>,
    m: &Manager,
    row: &ActionRow,
    step: Step,
) -> Outcome<'static> {
    let parse = |text: &Option<String>| serde_json::from_str::<KeySettings>(text.as_deref()?).ok();
    let (Some(before), Some(after)) = (parse(&row.before), parse(&row.after)) else {
        return Outcome {
            detail: Some("left alone: the settings before the action were not recorded".to_owned()),
            ..outcome("kept")
        };
    };
    let key = match look_up(client, m, row).await {
        Ok(key) => key,
        Err(outcome) => return outcome,
    };
    if step == Step::Restored && !period_over(&key, row) {
        return outcome("applied");
    }
    let current = key.settings();
    let done = if step == Step::Undone {
        "undone"
    } else {
        "restored"
    };
    let patch = match restoration(&before, &after, &current) {
        Ok(patch) => patch,
        Err(field) => {
            return Outcome {
                detail: Some(format!(
                    "left as set on OpenRouter: `{field}` was changed there since the action"
                )),
                ..outcome("kept")
            }
        }
    };
    let restored = if patch.is_empty() {
        current.clone()
    } else {
        match client.update_key(&m.key, &row.key_hash, &patch).await {
            Ok(key) => key.settings(),
            Err(e) => return call_failed(row, &e),
        }
    };
    // A person's undo is recorded by its route (`policy.undone`).
    let kind = kind_of(&current, &restored);
    let audit = (step != Step::Undone).then(|| audited(row, kind, Some((&current, &restored))));
    Outcome {
        detail: None,
        event: event(events::changed(&facts(row), step, &current, &restored)),
        audit: audit.flatten(),
        ..outcome(done)
    }
}
