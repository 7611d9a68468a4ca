//! `/api/settings/digest` (which digests, where) and
//! `POST /api/digest/preview` (the current period so far, sent now).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use super::deliver::{self, Timing};
use super::gather::{self, Asked};
use super::period::{self, DigestKind};
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::Invalid;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::rate_limit::{self, Bucket};
use crate::store::{self, digests::SettingsRow};
use crate::usage::local::zone_of;

/// Previews one account may ask for per hour (the e-mail cap still applies).
pub const PREVIEWS_PER_HOUR: u32 = 30;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DigestSettings)]
struct DigestSettings {
    /// `off`, `weekly` (Monday to Sunday), `monthly` or `both`, in the account's time zone.
    #[schema(pattern = "^(off|weekly|monthly|both)$")]
    schedule: String,
    /// `email` (the confirmed address) or `webhook` (`webhook_id`).
    #[schema(pattern = "^(email|webhook)$")]
    channel: String,
    /// The webhook digests go to when `channel` is `webhook` (not a PagerDuty one);
    /// omitted in a change means null. Always present in an answer.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    #[serde(default)]
    webhook_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = DigestPreview)]
struct PreviewView {
    /// `weekly` or `monthly`.
    #[schema(pattern = "^(weekly|monthly)$")]
    kind: &'static str,
    #[schema(value_type = vocabulary::schemas::Date)]
    period_start: String,
    #[schema(value_type = vocabulary::schemas::Date)]
    period_end: String,
    #[schema(pattern = "^(email|webhook)$")]
    channel: String,
    /// `sent`, `capped` (over today's e-mail cap: not sent) or `failed`.
    #[schema(pattern = "^(sent|capped|failed|skipped)$")]
    status: &'static str,
    /// The period's spend: the dashboard's `totals.total_cost` over the same dates.
    #[schema(value_type = String, pattern = r"^-?[0-9]+(\.[0-9]+)?$", examples("12.0153"))]
    total_cost: crate::domain::money::Money,
}

async fn stored(cx: &Ctx<'_>, org_id: i64) -> AppResult<SettingsRow> {
    Ok(store::digests::settings(&cx.app.db()?, org_id)
        .await?
        .unwrap_or(SettingsRow {
            schedule: "off".to_owned(),
            channel: "email".to_owned(),
            webhook_id: None,
        }))
}

fn shown(row: SettingsRow) -> DigestSettings {
    DigestSettings {
        schedule: row.schedule,
        channel: row.channel,
        webhook_id: row.webhook_id,
    }
}

/// The account's digests
///
/// Which digests it gets and where.
#[utoipa::path(
    get,
    path = "/api/settings/digest",
    operation_id = "getDigestSettings",
    tag = "alerts",
    responses((status = 200, description = "The settings.", body = DigestSettings))
)]
pub async fn get(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    Reply::ok(&shown(stored(cx, user.org_id).await?))
}

/// Choose the account's digests
///
/// Weekly (Monday to Sunday) and/or monthly spend digests, cut in the account's time zone, sent by the hourly digest run once each period ends: by e-mail (to the confirmed address) or to one of the account's webhooks (not PagerDuty).
#[utoipa::path(
    put,
    path = "/api/settings/digest",
    operation_id = "setDigestSettings",
    tag = "alerts",
    request_body = DigestSettings,
    responses(
        (status = 200, description = "The settings.", body = DigestSettings),
        (status = 422, response = vocabulary::responses::ValidationError),
    )
)]
pub async fn set(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let body: DigestSettings = cx.req.json()?;
    // An id out of the document's range is refused whatever the channel
    // (with `email` it would be ignored, not accepted).
    if body
        .webhook_id
        .is_some_and(|id| !(1..=9_007_199_254_740_991).contains(&id))
    {
        return Err(Invalid::new("webhook_id", "must be 1 to 9007199254740991, or null").into());
    }
    if !["off", "weekly", "monthly", "both"].contains(&body.schedule.as_str()) {
        return Err(Invalid::new("schedule", "must be off, weekly, monthly or both").into());
    }
    let webhook_id = match body.channel.as_str() {
        "email" => None,
        "webhook" => Some(usable_webhook(cx, user.org_id, body.webhook_id).await?),
        _ => return Err(Invalid::new("channel", "must be email or webhook").into()),
    };
    let before = stored(cx, user.org_id).await?;
    let after = SettingsRow {
        schedule: body.schedule,
        channel: body.channel,
        webhook_id,
    };
    let now = clock::timestamp(clock::now());
    store::digests::set_settings(&cx.app.db()?, user.org_id, &after, &now).await?;
    let fields = |row: &SettingsRow| {
        Fields::new()
            .with("digest", row.schedule.as_str())
            .with("digest_channel", row.channel.as_str())
            .with("digest_webhook_id", row.webhook_id)
    };
    let entry = Entry::by_user(user.org_id, user.user_id, Kind::SettingsUpdated, "digests")
        .changed(fields(&before), fields(&after));
    Ok(Changed::new(Reply::ok(&shown(after))?, entry))
}

async fn usable_webhook(cx: &Ctx<'_>, org_id: i64, id: Option<i64>) -> AppResult<i64> {
    let missing = || {
        Invalid::new(
            "webhook_id",
            "must name one of your webhooks (not PagerDuty)",
        )
    };
    let id = id.ok_or_else(missing)?;
    let hook = store::webhooks::get(&cx.app.db()?, org_id, id)
        .await?
        .ok_or_else(missing)?;
    if hook.format == "pagerduty" {
        return Err(missing().into());
    }
    Ok(id)
}

/// Send a digest preview now
///
/// The current period so far (the week from Monday, or the month, as the account's schedule says; weekly when off or both), through the account's channel, now. By e-mail only to a confirmed address (else 409), within the daily cap (`status: capped` when over it). At most 30 an hour.
#[utoipa::path(
    post,
    path = "/api/digest/preview",
    operation_id = "previewDigest",
    tag = "alerts",
    responses(
        (status = 200, description = "What was sent.", body = PreviewView),
        (status = 409, description = "No confirmed address (e-mail), or no webhook chosen.", body = vocabulary::schemas::ConflictError),
        (status = 429, description = "Too many previews: 30 an hour.", body = vocabulary::schemas::RateLimitedError, headers(("Retry-After" = String))),
    )
)]
pub async fn preview(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let settings = stored(cx, user.org_id).await?;
    let db = cx.app.db()?;
    ready(cx, user.org_id, &settings).await?;
    let name = format!("digest-preview:{}", user.org_id);
    let bucket = Bucket {
        name: &name,
        limit: PREVIEWS_PER_HOUR,
        window_secs: 3600,
    };
    rate_limit::enforce(cx.app, &bucket).await?;
    let kind = match settings.schedule.as_str() {
        "monthly" => DigestKind::Monthly,
        _ => DigestKind::Weekly,
    };
    let zone = zone_of(&db, user.org_id, None).await?;
    let now = clock::now();
    let bad_period = || AppError::internal("digest period out of the calendar");
    let period = period::to_date(kind, zone.day_of(now)).ok_or_else(bad_period)?;
    let previous = period::previous_to_date(&period).ok_or_else(bad_period)?;
    let asked = Asked {
        org_id: user.org_id,
        zone: &zone,
        period,
        previous,
        preview: true,
        dashboard_url: super::dashboard_url(cx.app)?,
    };
    let digest = gather::gather(&db, &asked, now).await?;
    let fate = deliver::deliver(cx.app, user.org_id, &settings, &digest, Timing::Now).await?;
    let entry = Entry::by_user(
        user.org_id,
        user.user_id,
        Kind::DigestPreviewed,
        "digest preview",
    )
    .created(
        Fields::new()
            .with("kind", kind.as_str())
            .with("channel", settings.channel.as_str())
            .with("status", fate.status),
    );
    let reply = Reply::ok(&PreviewView {
        kind: kind.as_str(),
        period_start: period.start.to_string(),
        period_end: period.end.to_string(),
        channel: settings.channel,
        status: fate.status,
        total_cost: digest.total,
    })?;
    Ok(Changed::new(reply, entry))
}

/// A preview needs somewhere to go: a confirmed address or a webhook.
async fn ready(cx: &Ctx<'_>, org_id: i64, settings: &SettingsRow) -> AppResult<()> {
    if settings.channel == "webhook" {
        return match settings.webhook_id {
            Some(_) => Ok(()),
            None => Err(AppError::Conflict(
                "Choose the webhook digests go to first.".to_owned(),
            )),
        };
    }
    let confirmed = store::email::get(&cx.app.db()?, org_id)
        .await?
        .is_some_and(|a| a.status == "confirmed");
    match confirmed {
        true => Ok(()),
        false => Err(AppError::Conflict(
            "Confirm an e-mail address first: nothing but its confirmation is sent to an unconfirmed address.".to_owned(),
        )),
    }
}
