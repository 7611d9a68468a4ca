//! `/api/keys`: store, list, rename, (de)activate, delete and sync keys.
//!
//! A key value enters once (in `POST`), is sealed with the vault, and never
//! leaves: views carry only a preview (prefix and last 4 characters).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::audit::{self, Event, Subject};
use crate::auth::session;
use crate::clock;
use crate::domain::account::Name;
use crate::domain::money::Money;
use crate::domain::page::Page;
use crate::domain::secrets::OpenRouterKey;
use crate::http::error::{AppError, AppResult};
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::http::Incoming;
use crate::jobs::sync::{KeyResult, SyncRun};
use crate::jobs::validate;
use crate::keys::vault::Vault;
use crate::openrouter::{Budget, CallError, Client};
use crate::rate_limit::{self, Bucket};
use crate::store::{self, api_keys::KeyRow};
use crate::usage::public;

/// Calls the immediate validation may make (one retry).
const VALIDATION_BUDGET: u32 = 2;
const VALIDATION_TIMEOUT: Duration = Duration::from_secs(5);
/// Outbound calls a manual sync may make: `/key` plus 30 days of activity,
/// with room for retries.
const MANUAL_SYNC_BUDGET: u32 = 40;
const MANUAL_SYNC_INTERVAL_SECS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
enum Kind {
    #[default]
    Inference,
    Management,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Inference => "inference",
            Kind::Management => "management",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    key: String,
    #[serde(default)]
    kind: Kind,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    is_active: Option<bool>,
}

#[derive(Serialize)]
pub struct SnapshotView {
    taken_at: String,
    limit: Option<Money>,
    limit_remaining: Option<Money>,
    limit_reset: Option<String>,
    usage: Money,
    usage_daily: Money,
    usage_weekly: Money,
    usage_monthly: Money,
    is_free_tier: bool,
}

#[derive(Serialize)]
pub struct KeyView {
    id: i64,
    name: String,
    kind: String,
    key_preview: String,
    is_active: bool,
    validation_status: String,
    last_validated_at: Option<String>,
    last_synced_at: Option<String>,
    last_sync_error: Option<String>,
    created_at: String,
    updated_at: String,
    snapshot: Option<SnapshotView>,
}

impl KeyView {
    pub fn from_row(row: KeyRow) -> AppResult<Self> {
        let snapshot = match (&row.snapshot_taken_at, &row.snapshot_usage) {
            (Some(taken_at), Some(usage)) => Some(SnapshotView {
                taken_at: taken_at.clone(),
                limit: store::money_opt(row.snapshot_limit.as_deref())?,
                limit_remaining: store::money_opt(row.snapshot_limit_remaining.as_deref())?,
                limit_reset: row.snapshot_limit_reset.clone(),
                usage: store::money(usage)?,
                usage_daily: store::money_opt(row.snapshot_usage_daily.as_deref())?
                    .unwrap_or_default(),
                usage_weekly: store::money_opt(row.snapshot_usage_weekly.as_deref())?
                    .unwrap_or_default(),
                usage_monthly: store::money_opt(row.snapshot_usage_monthly.as_deref())?
                    .unwrap_or_default(),
                is_free_tier: row.snapshot_is_free_tier == Some(1),
            }),
            _ => None,
        };
        Ok(Self {
            id: row.id,
            name: row.name,
            kind: row.kind,
            key_preview: row.key_preview,
            is_active: row.is_active == 1,
            validation_status: row.validation_status,
            last_validated_at: row.last_validated_at,
            last_synced_at: row.last_synced_at,
            last_sync_error: row.last_sync_error,
            created_at: row.created_at,
            updated_at: row.updated_at,
            snapshot,
        })
    }
}

#[derive(Serialize)]
struct CreatedView {
    #[serde(flatten)]
    key: KeyView,
    /// Why the key is `invalid` or `unknown` right after being stored.
    validation_detail: Option<String>,
}

fn conflict_for(err: AppError) -> AppError {
    if !store::is_unique_violation(&err) {
        return err;
    }
    match &err {
        AppError::Internal(cause) if cause.contains("key_hash") => {
            AppError::Conflict("This OpenRouter key is already stored in your account.".to_owned())
        }
        _ => AppError::Conflict("You already have a key with this name.".to_owned()),
    }
}

pub async fn create(app: &App, req: &Incoming) -> AppResult<Reply> {
    let user = session::require(app, req).await?;
    let body: CreateBody = req.json()?;
    let name = Name::parse(&body.name)?;
    let key = OpenRouterKey::parse(&body.key)?;
    let vault = Vault::new(&app.encryption_key()?);
    let db = app.db()?;
    let now = clock::timestamp(clock::now());
    rate_limit::enforce(
        app,
        &Bucket {
            name: &format!("key-add:{}", user.user_id),
            limit: app.config.key_adds_per_hour,
            window_secs: 3600,
        },
    )
    .await?;

    let id = store::api_keys::insert_unsealed(
        &db,
        user.user_id,
        name.as_str(),
        body.kind.as_str(),
        &key.preview(),
        &key.hash(),
        &now,
        app.config.max_keys_per_user,
    )
    .await
    .map_err(conflict_for)?
    .ok_or_else(|| {
        AppError::Conflict(format!(
            "You already have {} keys; delete one first.",
            app.config.max_keys_per_user
        ))
    })?;
    // The ciphertext is bound to the row id, so it is sealed once the row exists.
    let sealed = vault.seal(key.expose(), user.user_id, id);
    let stored = match sealed {
        Ok(sealed) => store::api_keys::seal(&db, id, &sealed).await,
        Err(e) => Err(e),
    };
    if let Err(e) = stored {
        // Best effort: an unsealed row is never synced or shown as usable.
        if let Err(cleanup) = store::api_keys::remove_unsealed(&db, id).await {
            worker::console_error!("cannot remove unsealed key {id}: {cleanup}");
        }
        return Err(e);
    }

    let detail = validate_now(app, &db, id, body.kind, &key).await?;
    public::forget_answers(app, user.user_id).await;
    let subject = Subject {
        user_id: Some(user.user_id),
        id: Some(id),
        ..Subject::default()
    };
    audit::record(Event::KeyAdded, &req.client_network(), &subject);
    let row = store::api_keys::get(&db, user.user_id, id)
        .await?
        .ok_or_else(|| AppError::internal("stored key vanished"))?;
    Reply::created(&CreatedView {
        key: KeyView::from_row(row)?,
        validation_detail: detail,
    })
}

/// Asks OpenRouter once, right away: `valid` (with a first snapshot for an
/// inference key), `invalid` (401/403) or `unknown` (unreachable). Returns a
/// sentence for the client when the key is not `valid`.
async fn validate_now(
    app: &App,
    db: &worker::D1Database,
    id: i64,
    kind: Kind,
    key: &OpenRouterKey,
) -> AppResult<Option<String>> {
    let budget = Budget::new(VALIDATION_BUDGET);
    let client = Client::new(&app.config.openrouter_base_url, &budget, VALIDATION_TIMEOUT);
    let now = clock::now();
    let stamp = clock::timestamp(now);
    let (status, detail) = match kind {
        Kind::Inference => match client.key_info(key.expose()).await {
            Ok(info) => {
                store::snapshots::insert(db, id, &info, &stamp, now.date_naive()).await?;
                ("valid", None)
            }
            Err(e) => outcome_of_failure(e),
        },
        Kind::Management => match validate::check(&client, "management", key.expose()).await {
            Ok(true) => ("valid", None),
            Ok(false) => outcome_of_failure(CallError::Rejected { status: 401 }),
            Err(e) => outcome_of_failure(e),
        },
    };
    if status == "unknown" {
        store::api_keys::record_sync_error(
            db,
            id,
            detail.as_deref().unwrap_or_default(),
            false,
            &stamp,
        )
        .await?;
    } else {
        store::api_keys::set_validation(db, id, status, &stamp).await?;
    }
    Ok(detail)
}

fn outcome_of_failure(error: CallError) -> (&'static str, Option<String>) {
    match error {
        CallError::Rejected { .. } => (
            "invalid",
            Some("OpenRouter rejected this key; it is stored but will not be synced until it validates.".to_owned()),
        ),
        other => (
            "unknown",
            Some(format!("The key could not be validated yet ({}); it will be retried.", other.describe())),
        ),
    }
}

pub async fn list(app: &App, req: &Incoming) -> AppResult<Reply> {
    let user = session::require(app, req).await?;
    let query = QueryParams::parse(req.query.as_deref(), &["page", "limit"])?;
    let page = Page::parse(query.get("page"), query.get("limit"))?;
    let db = app.db()?;
    let rows = store::api_keys::list(&db, user.user_id, page.limit(), page.offset()).await?;
    let total = match rows.first().and_then(|r| r.total) {
        Some(total) => total,
        None => store::api_keys::count(&db, user.user_id).await?,
    };
    let items = rows
        .into_iter()
        .map(KeyView::from_row)
        .collect::<AppResult<Vec<_>>>()?;
    Reply::ok(&serde_json::json!({ "items": items, "pagination": page.info(total) }))
}

async fn owned(app: &App, user_id: i64, id: i64) -> AppResult<KeyView> {
    let row = store::api_keys::get(&app.db()?, user_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("API key"))?;
    KeyView::from_row(row)
}

pub async fn get(app: &App, req: &Incoming, id: i64) -> AppResult<Reply> {
    let user = session::require(app, req).await?;
    Reply::ok(&owned(app, user.user_id, id).await?)
}

pub async fn update(app: &App, req: &Incoming, id: i64) -> AppResult<Reply> {
    let user = session::require(app, req).await?;
    let body: UpdateBody = req.json()?;
    if body.name.is_none() && body.is_active.is_none() {
        return Err(AppError::invalid(
            "body",
            "must set `name` and/or `is_active`",
        ));
    }
    let name = body.name.as_deref().map(Name::parse).transpose()?;
    let now = clock::timestamp(clock::now());
    let found = store::api_keys::update(
        &app.db()?,
        user.user_id,
        id,
        name.as_ref().map(Name::as_str),
        body.is_active,
        &now,
    )
    .await
    .map_err(conflict_for)?;
    if !found {
        return Err(AppError::not_found("API key"));
    }
    public::forget_answers(app, user.user_id).await;
    Reply::ok(&owned(app, user.user_id, id).await?)
}

pub async fn delete(app: &App, req: &Incoming, id: i64) -> AppResult<Reply> {
    let user = session::require(app, req).await?;
    if store::api_keys::delete(&app.db()?, user.user_id, id).await? {
        public::forget_answers(app, user.user_id).await;
        let subject = Subject {
            user_id: Some(user.user_id),
            id: Some(id),
            ..Subject::default()
        };
        audit::record(Event::KeyDeleted, &req.client_network(), &subject);
        Ok(Reply::no_content())
    } else {
        Err(AppError::not_found("API key"))
    }
}

/// Syncs one key now, exactly as the hourly job would; at most once a
/// minute per key.
pub async fn sync_now(app: &App, req: &Incoming, id: i64) -> AppResult<Reply> {
    let user = session::require(app, req).await?;
    let db = app.db()?;
    let target = store::api_keys::target(&db, user.user_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("API key"))?;
    if !target.is_active {
        return Err(AppError::Conflict(
            "This key is disabled; enable it (PATCH is_active: true) to sync it.".to_owned(),
        ));
    }
    if target.kind != "inference" {
        return Err(AppError::Conflict(
            "Management keys are not synced themselves; they are used to read your inference keys' activity.".to_owned(),
        ));
    }
    rate_limit::enforce(
        app,
        &Bucket {
            name: &format!("key-sync:{id}"),
            limit: 1,
            window_secs: MANUAL_SYNC_INTERVAL_SECS,
        },
    )
    .await?;
    let vault = Vault::new(&app.encryption_key()?);
    let budget = Budget::new(MANUAL_SYNC_BUDGET);
    let run = SyncRun::prepare(
        &db,
        &vault,
        &app.config.openrouter_base_url,
        &budget,
        std::slice::from_ref(&target),
    )
    .await?;
    let result = run.key(&target).await;
    if matches!(result, KeyResult::Synced { rows } if rows > 0) {
        public::forget_answers(app, user.user_id).await;
    }
    let (status, error) = match result {
        KeyResult::Synced { .. } => ("ok", None),
        KeyResult::Failed { .. } => ("failed", None),
        KeyResult::Deferred => (
            "deferred",
            Some(
                "The sync did not fit its request budget; the hourly job will finish it."
                    .to_owned(),
            ),
        ),
    };
    let view = owned(app, user.user_id, id).await?;
    let error = error.or_else(|| view.last_sync_error.clone().filter(|_| status == "failed"));
    Reply::ok(&serde_json::json!({ "key": view, "sync": { "status": status, "error": error } }))
}
