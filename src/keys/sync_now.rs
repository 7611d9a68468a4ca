//! `POST /api/keys/{id}/sync`: one key synced now, exactly as the hourly
//! job would; at most once a minute per key and
//! [`MANUAL_SYNCS_PER_ACCOUNT_PER_HOUR`] times an hour per account.

use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::app::App;
use crate::auth::session::AuthUser;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::key::KeyKind;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::jobs::sync::{KeyResult, SyncRun};
use crate::keys::reads::owned;
use crate::keys::vault::Vault;
use crate::keys::views::KeyView;
use crate::openrouter::Budget;
use crate::rate_limit::{self, Bucket};
use crate::store;

/// Outbound calls a manual sync may make: the listing's pages or `/key`,
/// plus 30 days of activity, with room for retries.
const MANUAL_SYNC_BUDGET: u32 = 40;
const MANUAL_SYNC_INTERVAL_SECS: i64 = 60;
/// Manual syncs one account may run per hour, across its keys: the hourly
/// job does the rest, and one account's clicks must not fill the D1 every
/// tenant shares (each sync is a snapshot).
pub const MANUAL_SYNCS_PER_ACCOUNT_PER_HOUR: u32 = 30;

/// What a manual sync did (`sync_now`).
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum SyncStatus {
    Ok,
    Failed,
    Deferred,
}

impl SyncStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Deferred => "deferred",
        }
    }
}

#[derive(Serialize, ToSchema)]
struct SyncOutcome {
    /// `ok`: synced; `failed`: OpenRouter refused or failed (also recorded on the key); `deferred`: did not fit the request budget, the hourly job finishes it.
    #[schema(inline)]
    status: SyncStatus,
    /// Why the sync failed or was deferred; null when `ok`.
    #[schema(required = true)]
    error: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct KeySyncResult {
    key: KeyView,
    #[schema(inline)]
    sync: SyncOutcome,
}

/// Sync one key now
///
/// Runs the hourly sync for this inference key right away (snapshot: from its account's listing when a management key reads it, else `GET /key`; and activity through that management key if any; a key watched through a management key is synced from its listing only), at most once a minute per key (429 with Retry-After otherwise). An OpenRouter failure is not an HTTP error: the answer is 200 with `sync.status` `failed` and the reason (also recorded on the key). Management keys are not synced themselves: 409. Another user's key is 404. No body.
#[utoipa::path(
    post,
    path = "/api/keys/{id}/sync",
    operation_id = "syncKey",
    tag = "keys",
    params(vocabulary::params::KeyId),
    responses(
        (status = 200, description = "Sync attempted; the key as it is now, and the outcome.", body = KeySyncResult),
        (status = 409, description = "This is a management key (it is not synced itself).", body = vocabulary::schemas::ConflictError),
        (status = 429, description = "This key was synced less than a minute ago, or the account ran 30 manual syncs in the last hour.", body = vocabulary::schemas::RateLimitedError, headers(("Retry-After" = String))),
    )
)]
pub async fn sync_now(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let app = cx.app;
    let db = app.db()?;
    let target = store::api_keys::target(&db, user.org_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("API key"))?;
    if !target.is_active {
        return Err(AppError::Conflict(
            "This key is disabled; enable it (PATCH is_active: true) to sync it.".to_owned(),
        ));
    }
    if target.kind != KeyKind::Inference {
        return Err(AppError::Conflict(
            "Management keys are not synced themselves; they are used to read your inference keys' activity.".to_owned(),
        ));
    }
    limit(app, user.org_id, id).await?;
    let vault = Vault::new(&app.encryption_key()?);
    let budget = Budget::new(MANUAL_SYNC_BUDGET);
    let targets = std::slice::from_ref(&target);
    let base_url = &app.config.openrouter_base_url;
    let mut run = SyncRun::prepare(&db, &vault, base_url, &budget, targets).await?;
    if app.config.sync_key_listing {
        run.read_listings(targets).await?;
    }
    let result = run.key(&target).await;
    if matches!(result, KeyResult::Synced { rows } if rows > 0) {
        cx.changes.org(user.org_id);
    }
    let (status, error) = sync_status(&result);
    let view = owned(app, user.org_id, id).await?;
    let error = error.or_else(|| {
        view.last_sync_error()
            .map(str::to_owned)
            .filter(|_| matches!(status, SyncStatus::Failed))
    });
    let entry = Entry::by_user(
        user.org_id,
        user.user_id,
        Kind::KeySyncRequested,
        view.name(),
    )
    .key(id)
    .created(Fields::new().with("status", status.as_str()));
    let reply = Reply::ok(&KeySyncResult {
        key: view,
        sync: SyncOutcome { status, error },
    })?;
    Ok(Changed::new(reply, entry))
}

/// 30 manual syncs an hour per account, one a minute per key.
async fn limit(app: &App, org_id: i64, id: i64) -> AppResult<()> {
    rate_limit::enforce(
        app,
        &Bucket {
            name: &format!("account-sync:{org_id}"),
            limit: MANUAL_SYNCS_PER_ACCOUNT_PER_HOUR,
            window_secs: 3600,
        },
    )
    .await?;
    rate_limit::enforce(
        app,
        &Bucket {
            name: &format!("key-sync:{id}"),
            limit: 1,
            window_secs: MANUAL_SYNC_INTERVAL_SECS,
        },
    )
    .await?;
    Ok(())
}

/// A manual sync's `status`, and why when it did not finish.
fn sync_status(result: &KeyResult) -> (SyncStatus, Option<String>) {
    let later = |why: &str| Some(format!("{why}; the hourly job will finish it."));
    match result {
        KeyResult::Synced { .. } => (SyncStatus::Ok, None),
        KeyResult::Failed { .. } => (SyncStatus::Failed, None),
        KeyResult::Deferred => (
            SyncStatus::Deferred,
            later("The sync did not fit its request budget"),
        ),
        KeyResult::RateLimited { .. } => (
            SyncStatus::Deferred,
            later("OpenRouter is rate limiting this key"),
        ),
    }
}
