//! Changing a member's role, removing a member, leaving, and deleting the
//! organisation. Who may do what is `domain::role::may_change` and
//! `may_remove` (deleting: owners, declared on the route); that an
//! organisation always keeps an owner is checked by the store, in the
//! statement itself.

use serde::Deserialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::auth::account::reauthenticate;
use crate::auth::session::AuthUser;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::role::{may_change, may_remove, Role};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::public_api;
use crate::security_log::{self, Event, Subject};
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeleteOrganisationRequest, description = "Unknown fields are refused (422).")]
struct DeleteBody {
    /// The organisation's name, exactly: a check that the right one goes (422 on `name` otherwise).
    #[schema(max_length = 100)]
    name: String,
    /// The owner's password. An account without one (made by a Cloudflare Access sign-in) sends none: its session must have signed in within the last 10 minutes.
    #[schema(max_length = 1024)]
    password: Option<String>,
}

/// Delete the organisation
///
/// Deletes the organisation the request acts in and, in the same statement, everything in it: its keys, snapshots, usage, budgets, policies, webhooks, alerts, API tokens (they stop answering at once), invitations, audit log and memberships; its members keep their accounts and other organisations. Owners only; `name` must be the organisation's name, and the password confirms who asks, as for deleting an account. A person's personal organisation goes only with the account (409). Its id is never given to another organisation.
#[utoipa::path(
    delete,
    path = "/api/organisations",
    operation_id = "deleteOrganisation",
    tag = "organisations",
    request_body = DeleteBody,
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "An account without a password (Cloudflare Access) whose session signed in more than 10 minutes ago: sign in through Access again.", body = vocabulary::schemas::ReauthenticationRequiredError),
        (status = 409, description = "A person's personal organisation.", body = vocabulary::schemas::ConflictError),
        (status = 429, description = "Too many wrong passwords for this account or from this network (shared with the login limit).", body = vocabulary::schemas::RateLimitedError, headers(("Retry-After" = String))),
    )
)]
pub async fn delete(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let body: DeleteBody = cx.req.json()?;
    let db = cx.app.db()?;
    let name = organisations::name(&db, user.org_id)
        .await?
        .ok_or_else(|| AppError::not_found("organisation"))?;
    if body.name != name {
        return Err(AppError::invalid("name", "is not this organisation's name"));
    }
    if store::users::personal_org(&db, user.user_id).await? == Some(user.org_id) {
        return Err(personal());
    }
    reauthenticate(cx, user, body.password.as_deref()).await?;
    let token_hashes = store::tokens::active_hashes(&db, user.org_id).await?;
    if !organisations::delete(&db, user.org_id).await? {
        // Another member's personal organisation (they invited people into it).
        return Err(personal());
    }
    for hash in &token_hashes {
        public_api::revoke_token(cx.app, hash).await;
    }
    let subject = Subject {
        user_id: Some(user.user_id),
        id: Some(user.org_id),
        ..Subject::default()
    };
    security_log::record(
        Event::OrganisationDeleted,
        &cx.req.client_network(),
        &subject,
    );
    Ok(Reply::no_content())
}

fn personal() -> AppError {
    AppError::Conflict(
        "This is a person's personal organisation: it goes only with their account.".to_owned(),
    )
}
