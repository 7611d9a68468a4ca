//! The one gate every web-API (JWT) route goes through.

use crate::app::App;
use crate::auth::jwt::{self, Session};
use crate::clock;
use crate::domain::secrets::looks_like_api_token;
use crate::error::AppResult;
use crate::http::ctx::Incoming;
use crate::store;

/// The authenticated caller of a web-API route.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: i64,
    pub session: Session,
}

/// Bearer JWT -> live, unrevoked session of an existing user, or the same
/// 401 for every failure. API tokens are refused here (they belong to
/// `/api/v1`), before any signature work.
pub async fn require(app: &App, req: &Incoming) -> AppResult<AuthUser> {
    let token = req.bearer().ok_or_else(jwt::rejected)?;
    if looks_like_api_token(token) {
        return Err(jwt::rejected());
    }
    let session = jwt::verify(&app.jwt_secret()?, token, clock::now())?;
    if !store::sessions::live_user(&app.db()?, session.user_id, session.epoch, &session.jti).await?
    {
        return Err(jwt::rejected());
    }
    Ok(AuthUser {
        user_id: session.user_id,
        session,
    })
}
