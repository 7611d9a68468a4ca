//! An invitation's message: its link mailed to the invited address, from
//! the inviting organisation's daily allowance (README, "Teams").

use crate::auth::session::AuthUser;
use crate::domain::account::Email;
use crate::domain::role::Role;
use crate::domain::secrets::INVITATION_DAYS;
use crate::email::invitation_letter;
use crate::email::send::{self, Letter, Outcome};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::store;

/// What became of the message: `sent`, `capped` or `failed`. The
/// invitation stands whatever it is: its link is in the answer too.
pub async fn send(
    cx: &Ctx<'_>,
    user: &AuthUser,
    to: &Email,
    role: Role,
    token: &str,
) -> &'static str {
    match mail(cx, user, to, role, token).await {
        Ok(outcome) => outcome.as_str(),
        Err(e) => {
            worker::console_error!("email: an invitation could not be mailed: {e}");
            Outcome::Failed.as_str()
        }
    }
}

/// Mails the invitation's link to the invited address, from the
/// organisation's daily allowance.
async fn mail(
    cx: &Ctx<'_>,
    user: &AuthUser,
    to: &Email,
    role: Role,
    token: &str,
) -> AppResult<Outcome> {
    let settings = send::settings(cx.app)?;
    let db = cx.app.db()?;
    let by = store::users::by_id(&db, user.user_id)
        .await?
        .ok_or_else(|| AppError::internal("the inviter is gone"))?;
    let organisation = store::organisations::name(&db, user.org_id)
        .await?
        .ok_or_else(|| AppError::internal("the organisation is gone"))?;
    let (subject, text) = invitation_letter::render(&invitation_letter::Invitation {
        by: &by.email,
        organisation: &organisation,
        role: role.as_str(),
        to: to.as_str(),
        public_url: &settings.public_url,
        token,
        days: INVITATION_DAYS,
    });
    send::send(
        cx.app,
        &Letter {
            org_id: user.org_id,
            to: to.as_str(),
            nonce: None,
            purpose: "invitation",
            subject: &subject,
            text: &text,
            html: None,
        },
    )
    .await
}
