//! The one gate every web-API (JWT) route goes through: a live session, and
//! the organisation the request acts in with the person's role there.

use crate::app::App;
use crate::auth::jwt::{self, Session};
use crate::clock;
use crate::domain::role::Role;
use crate::domain::secrets::looks_like_api_token;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Incoming;
use crate::store;

/// Names the organisation a session's request acts in. Without it, the
/// person's first organisation (the personal one made at registration).
pub const ORGANISATION_HEADER: &str = "x-organisation";

/// The authenticated caller of a web-API route, in one organisation.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The person (JWT `sub`).
    pub user_id: i64,
    /// The organisation whose data the request reads and changes.
    pub org_id: i64,
    pub role: Role,
    pub session: Session,
}

/// Bearer JWT -> live, unrevoked session of an existing user, or the same
/// 401 for every failure; then the organisation asked for, or 404 when the
/// person is no member of it (as for any id not theirs), 422 when the
/// header holds no id. API tokens are
/// refused here (they belong to `/api/v1`), before any signature work.
pub async fn require(app: &App, req: &Incoming) -> AppResult<AuthUser> {
    let token = req.bearer().ok_or_else(jwt::rejected)?;
    if looks_like_api_token(token) {
        return Err(jwt::rejected());
    }
    let session = jwt::verify(&app.jwt_secret()?, token, clock::now())?;
    let asked = organisation_asked(req)?;
    let live = store::sessions::live_member(
        &app.db()?,
        session.user_id,
        session.epoch,
        &session.jti,
        asked,
    )
    .await?
    .ok_or_else(jwt::rejected)?;
    let (Some(org_id), Some(role)) = (live.org_id, live.role) else {
        return Err(AppError::not_found("organisation"));
    };
    let role = Role::parse(&role).map_err(|e| AppError::internal(format!("memberships: {e}")))?;
    Ok(AuthUser {
        user_id: session.user_id,
        org_id,
        role,
        session,
    })
}

/// The organisation id the request names, if any: an id as paths take
/// them (1 to 2^53-1), or a 422 naming the header.
fn organisation_asked(req: &Incoming) -> AppResult<Option<i64>> {
    match req.header(ORGANISATION_HEADER).map(str::trim) {
        None => Ok(None),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|id| (1..=MAX_ID).contains(id))
            .map(Some)
            .ok_or_else(|| {
                AppError::invalid(
                    "X-Organisation",
                    "must be an organisation id: an integer from 1 to 2^53-1",
                )
            }),
    }
}

/// Ids stay exact in JavaScript (the dashboard's numbers).
const MAX_ID: i64 = (1 << 53) - 1;
