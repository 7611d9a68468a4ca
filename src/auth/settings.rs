//! `/api/settings`: the account's preferences (docs/integrations.md).

use serde::{Deserialize, Serialize};

use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::tz::Zone;
use crate::error::AppResult;
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::store;

#[derive(Serialize)]
struct Settings {
    tz: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    tz: String,
}

pub async fn get(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let tz = store::users::tz(&cx.app.db()?, user.user_id)
        .await?
        .ok_or_else(crate::auth::jwt::rejected)?;
    Reply::ok(&Settings { tz })
}

pub async fn update(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let body: SettingsBody = cx.req.json()?;
    let zone = Zone::parse("tz", body.tz.trim())?;
    let now = clock::timestamp(clock::now());
    store::users::set_tz(&cx.app.db()?, user.user_id, zone.name(), &now).await?;
    Reply::ok(&Settings {
        tz: zone.name().to_owned(),
    })
}
