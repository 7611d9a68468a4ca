//! `/api/settings`: the account's preferences (docs/integrations.md).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::alerts::spike::Sensitivity;
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::severity::Severity;
use crate::domain::tz::Zone;
use crate::domain::Invalid;
use crate::error::AppResult;
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::store;

#[derive(Serialize, ToSchema)]
struct Settings {
    #[schema(value_type = vocabulary::schemas::TimeZone)]
    tz: String,
    /// How readily spend spikes are told (docs/alerts.md): `off`, `low`, `normal` (default) or `high`.
    spike_sensitivity: Sensitivity,
    /// Which alerts also come by e-mail to the confirmed address (README, "E-mail and digests"): `off` (default), or the least severity mailed: `info` (every alert), `warning`, `critical`.
    #[schema(pattern = "^(off|info|warning|critical)$")]
    alert_emails: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateSettingsRequest)]
struct SettingsBody {
    #[serde(default)]
    #[schema(value_type = Option<vocabulary::schemas::TimeZone>)]
    tz: Option<String>,
    /// `off`, `low`, `normal` or `high`; anything else is 422.
    #[serde(default)]
    #[schema(value_type = Option<Sensitivity>)]
    spike_sensitivity: Option<String>,
    /// `off`, `info`, `warning` or `critical`; anything else is 422.
    #[serde(default)]
    #[schema(pattern = "^(off|info|warning|critical)$")]
    alert_emails: Option<String>,
}

/// `alert_emails` as stored: `None` for `off`, else the least severity.
fn alert_emails(text: &str) -> AppResult<Option<Severity>> {
    match text {
        "off" => Ok(None),
        other => Severity::parse(other).map(Some).map_err(|_| {
            Invalid::new("alert_emails", "must be off, info, warning or critical").into()
        }),
    }
}

async fn current(db: &worker::D1Database, org_id: i64) -> AppResult<Settings> {
    let tz = store::organisations::tz(db, org_id)
        .await?
        .ok_or_else(crate::auth::jwt::rejected)?;
    let stored = store::organisations::spike_sensitivity(db, org_id).await?;
    let spike_sensitivity =
        Sensitivity::parse("spike_sensitivity", stored.as_deref().unwrap_or("normal"))?;
    let alert_emails = store::organisations::alert_email_severity(db, org_id)
        .await?
        .unwrap_or_else(|| "off".to_owned());
    Ok(Settings {
        tz,
        spike_sensitivity,
        alert_emails,
    })
}

/// The account's preferences
///
/// The time zone local days follow (docs/integrations.md).
#[utoipa::path(
    get,
    path = "/api/settings",
    operation_id = "getSettings",
    tag = "auth",
    responses(
        (status = 200, description = "The settings.", body = Settings),
    )
)]
pub async fn get(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    Reply::ok(&current(&cx.app.db()?, user.org_id).await?)
}

/// Change the account's preferences
///
/// `tz`: an IANA zone name; `spike_sensitivity`: `off`, `low`, `normal` or `high` (docs/alerts.md); `alert_emails`: `off`, `info`, `warning` or `critical`. Each may be left out; a bad value is 422 naming it.
#[utoipa::path(
    patch,
    path = "/api/settings",
    operation_id = "updateSettings",
    tag = "auth",
    request_body = SettingsBody,
    responses(
        (status = 200, description = "The settings.", body = Settings),
    )
)]
pub async fn update(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let body: SettingsBody = cx.req.json()?;
    let zone = match body.tz.as_deref() {
        Some(tz) => Some(Zone::parse("tz", tz.trim())?),
        None => None,
    };
    let sensitivity = match body.spike_sensitivity.as_deref() {
        Some(text) => Some(Sensitivity::parse("spike_sensitivity", text)?),
        None => None,
    };
    let mailed = match body.alert_emails.as_deref() {
        Some(text) => Some(alert_emails(text)?),
        None => None,
    };
    let db = cx.app.db()?;
    let was = current(&db, user.org_id).await?;
    let now = clock::timestamp(clock::now());
    let (mut before, mut after) = (Fields::new(), Fields::new());
    if let Some(zone) = &zone {
        store::organisations::set_tz(&db, user.org_id, zone.name(), &now).await?;
        before = before.with("tz", was.tz.clone());
        after = after.with("tz", zone.name());
    }
    if let Some(level) = sensitivity {
        store::organisations::set_spike_sensitivity(&db, user.org_id, level.as_str(), &now).await?;
        before = before.with("spike_sensitivity", was.spike_sensitivity.as_str());
        after = after.with("spike_sensitivity", level.as_str());
    }
    if let Some(least) = mailed {
        let stored = least.map(Severity::as_str);
        store::organisations::set_alert_email_severity(&db, user.org_id, stored, &now).await?;
        before = before.with("alert_emails", was.alert_emails.as_str());
        after = after.with("alert_emails", stored.unwrap_or("off"));
    }
    let entry = Entry::by_user(user.org_id, user.user_id, Kind::SettingsUpdated, "settings")
        .changed(before, after);
    let reply = Reply::ok(&current(&db, user.org_id).await?)?;
    Ok(Changed::new(reply, entry))
}
