//! Changing a member's role, removing a member, leaving. Who may do what
//! is `domain::role::may_change` and `may_remove`; that an organisation
//! always keeps an owner is checked by the store, in the statement itself.

use serde::Deserialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::auth::session::AuthUser;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::role::{may_change, may_remove, Role};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::store::{self, organisations};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChangeMemberRequest, description = "Unknown fields are refused (422).")]
struct ChangeBody {
    #[schema(value_type = Role)]
    role: String,
}

/// The member's role in the organisation the request acts in, or 404.
async fn current_role(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Role> {
    let role = organisations::role_of(&cx.app.db()?, user.org_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("member"))?;
    Role::parse(&role).map_err(AppError::internal)
}

fn last_owner() -> AppError {
    AppError::Conflict(
        "This is the organisation's last owner: make another member an owner first.".to_owned(),
    )
}

/// Change a member's role
///
/// Admins give the roles below theirs (member, viewer) to members below theirs; owners change anyone's role, owners included. The last owner cannot step down (409). The path's id is the person's (`user_id` of `GET /api/organisations/members`).
#[utoipa::path(
    patch,
    path = "/api/organisations/members/{id}",
    operation_id = "changeMember",
    tag = "organisations",
    params(("id" = i64, Path, minimum = 1, maximum = 9007199254740991_i64, description = "The member's person id.")),
    request_body = ChangeBody,
    responses(
        (status = 204, description = "Changed."),
        (status = 409, description = "The last owner would step down.", body = vocabulary::schemas::ConflictError),
    )
)]
pub async fn change(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let body: ChangeBody = cx.req.json()?;
    let to = Role::parse(&body.role)?;
    let from = current_role(cx, user, id).await?;
    may_change(user.role, from, to).map_err(|needed| AppError::Forbidden {
        needed,
        held: user.role,
    })?;
    if !organisations::set_role(&cx.app.db()?, user.org_id, id, to.as_str()).await? {
        return Err(last_owner());
    }
    let email = member_email(cx, id).await?;
    let entry = Entry::by_user(user.org_id, user.user_id, Kind::MemberRoleChanged, &email)
        .changed(
            Fields::new().with("role", from.as_str()),
            Fields::new().with("role", to.as_str()),
        )
        .reference(Fields::new().with("user_id", id));
    Ok(Changed::new(Reply::no_content(), entry))
}

/// Remove a member, or leave
///
/// The person whose id the path names leaves the organisation the request acts in: themselves (any role may leave), or someone removed by an admin (members and viewers) or an owner (anyone). Their keys, budgets and tokens stay with the organisation. The last owner cannot leave (409); a person's personal organisation is left only by deleting the account.
#[utoipa::path(
    delete,
    path = "/api/organisations/members/{id}",
    operation_id = "removeMember",
    tag = "organisations",
    params(("id" = i64, Path, minimum = 1, maximum = 9007199254740991_i64, description = "The member's person id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 409, description = "The last owner would leave, or the person's personal organisation.", body = vocabulary::schemas::ConflictError),
    )
)]
pub async fn remove(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let target = current_role(cx, user, id).await?;
    let leaving = id == user.user_id;
    if !leaving {
        may_remove(user.role, target).map_err(|needed| AppError::Forbidden {
            needed,
            held: user.role,
        })?;
    }
    let db = cx.app.db()?;
    if store::users::personal_org(&db, id).await? == Some(user.org_id) {
        return Err(AppError::Conflict(
            "This is the person's personal organisation: it goes with their account.".to_owned(),
        ));
    }
    let email = member_email(cx, id).await?;
    if !organisations::remove_member(&db, user.org_id, id).await? {
        return Err(last_owner());
    }
    let kind = if leaving {
        Kind::MemberLeft
    } else {
        Kind::MemberRemoved
    };
    let entry = Entry::by_user(user.org_id, user.user_id, kind, &email)
        .removed(
            Fields::new()
                .with("email", email.as_str())
                .with("role", target.as_str()),
        )
        .reference(Fields::new().with("user_id", id));
    Ok(Changed::new(Reply::no_content(), entry))
}

async fn member_email(cx: &Ctx<'_>, id: i64) -> AppResult<String> {
    Ok(store::users::by_id(&cx.app.db()?, id)
        .await?
        .map(|row| row.email)
        .unwrap_or_default())
}
