//! `/api/settings`: the account's preferences (docs/integrations.md).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::tz::Zone;
use crate::error::AppResult;
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::store;

#[derive(Serialize, ToSchema)]
struct Settings {
    #[schema(value_type = vocabulary::schemas::TimeZone)]
    tz: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateSettingsRequest)]
struct SettingsBody {
    #[schema(value_type = vocabulary::schemas::TimeZone)]
    tz: String,
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
    let tz = store::users::tz(&cx.app.db()?, user.user_id)
        .await?
        .ok_or_else(crate::auth::jwt::rejected)?;
    Reply::ok(&Settings { tz })
}

/// Change the account's preferences
///
/// `tz`: an IANA zone name; unknown names are 422.
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
    let zone = Zone::parse("tz", body.tz.trim())?;
    let db = cx.app.db()?;
    let was = store::users::tz(&db, user.user_id)
        .await?
        .ok_or_else(crate::auth::jwt::rejected)?;
    let now = clock::timestamp(clock::now());
    store::users::set_tz(&db, user.user_id, zone.name(), &now).await?;
    let entry = Entry::by_user(user.user_id, Kind::SettingsUpdated, "settings").changed(
        Fields::new().with("tz", was),
        Fields::new().with("tz", zone.name()),
    );
    let reply = Reply::ok(&Settings {
        tz: zone.name().to_owned(),
    })?;
    Ok(Changed::new(reply, entry))
}
