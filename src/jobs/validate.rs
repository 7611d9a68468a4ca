//! Daily key validation (02:00 UTC): ask OpenRouter about every stored key
//! and record whether it still works. A key that is valid again rejoins the
//! hourly sync (which skips `invalid` keys).

use futures_util::stream::{self, StreamExt};

use super::plan::summarise;
use super::sync::{KeyResult, CALL_TIMEOUT, CONCURRENCY};
use crate::app::App;
use crate::clock;
use crate::domain::key::{KeyKind, ValidationStatus};
use crate::error::AppResult;
use crate::keys::vault::Vault;
use crate::openrouter::{Budget, CallError, Client};
use crate::store::api_keys::{self, SyncTarget};
use crate::store::job_runs::RunOutcome;

const QUEUE_LIMIT: i64 = 100_000;

/// What OpenRouter says about a key: `Ok(true)` valid, `Ok(false)` rejected.
/// Management keys are checked with `/credits` (their `/key` says little).
pub async fn check(client: &Client<'_>, kind: KeyKind, key: &str) -> Result<bool, CallError> {
    let answer = if kind == KeyKind::Management {
        client.credits(key).await.map(drop)
    } else {
        client.key_info(key).await.map(drop)
    };
    match answer {
        Ok(()) => Ok(true),
        Err(CallError::Rejected { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

pub async fn run(app: &App) -> AppResult<RunOutcome> {
    let db = app.db()?;
    let vault = Vault::new(&app.encryption_key()?);
    let budget = Budget::new(app.config.sync_subrequest_budget);
    let client = Client::new(&app.config.openrouter_base_url, &budget, CALL_TIMEOUT);
    let queue = api_keys::validation_queue(&db, QUEUE_LIMIT).await?;
    let validate = |target: &SyncTarget| {
        let (db, vault, client) = (&db, &vault, &client);
        let target = target.clone();
        async move {
            let now = clock::timestamp(clock::now());
            let Some(key) = super::sync::sealed(&target)
                .and_then(|s| vault.open(&s, target.org_id, target.id).ok())
            else {
                return KeyResult::Failed {
                    error: format!("key {}: the stored key cannot be decrypted", target.id),
                };
            };
            let recorded = match check(client, target.kind, &key).await {
                // A key a policy disabled is refused until it is put back.
                Ok(false) if disabled_by_policy(db, target.id).await => {
                    Ok(KeyResult::Synced { rows: 0 })
                }
                Ok(valid) => api_keys::set_validation(
                    db,
                    target.id,
                    if valid {
                        ValidationStatus::Valid
                    } else {
                        ValidationStatus::Invalid
                    },
                    &now,
                )
                .await
                .map(|_| KeyResult::Synced { rows: 0 }),
                Err(CallError::BudgetExhausted) => Ok(KeyResult::Deferred),
                Err(e) => api_keys::record_sync_error(db, target.id, &e.describe(), false, &now)
                    .await
                    .map(|_| KeyResult::Failed {
                        error: format!("key {}: {}", target.id, e.describe()),
                    }),
            };
            recorded.unwrap_or_else(|e| KeyResult::Failed {
                error: format!("key {}: {e}", target.id),
            })
        }
    };
    let results: Vec<KeyResult> = stream::iter(queue.iter())
        .map(validate)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    Ok(summarise(&results, budget.used(), Vec::new()))
}

async fn disabled_by_policy(db: &worker::D1Database, api_key_id: i64) -> bool {
    crate::store::key_actions::disabled_by_policy(db, api_key_id)
        .await
        .unwrap_or(false)
}
