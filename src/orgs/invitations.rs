//! Invitations to an organisation: by e-mail address and role, as a
//! single-use link mailed to that address and shown once to who invites;
//! listed and revoked by admins while pending;
//! accepted by the person signed in with that address, with the link, or
//! at once on signing in through Cloudflare Access (the address is then
//! verified by Access).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::account::Email;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::role::{may_invite, Role};
use crate::domain::secrets::{invitation_hash, new_invitation_token, INVITATION_DAYS};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::store::{self, invitations::NewInvitation};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = InviteRequest, description = "Unknown fields are refused (422).")]
struct InviteBody {
    /// Who may accept it: the person signed in with this address.
    #[schema(max_length = 254)]
    email: String,
    /// `admin` (an owner's invitation only), `member` or `viewer`.
    #[schema(value_type = InvitedRoleDoc)]
    role: String,
    /// Mail the invitation's link to `email` (the default); `false`: only this answer carries it.
    #[serde(default = "yes")]
    #[schema(default = true)]
    send_email: bool,
}

fn yes() -> bool {
    true
}

/// A role an invitation can give (never owner).
#[derive(Serialize, ToSchema)]
#[schema(as = InvitedRole)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum InvitedRoleDoc {
    Admin,
    Member,
    Viewer,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Invitation)]
struct InvitationView {
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    id: i64,
    email: String,
    role: Role,
    /// The single-use token, in this answer only (only its SHA-256 is kept): whoever holds it and signs in with `email` joins by `POST /api/invitations/accept`.
    #[schema(pattern = "^or_inv_[A-Za-z0-9_-]{43}$")]
    token: String,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    expires_at: String,
    /// What became of the message to `email`: `sent`, `capped` (the organisation's daily e-mail cap is used up), `failed`, or `off` (`send_email` was false).
    #[schema(pattern = "^(sent|capped|failed|off)$")]
    mail: &'static str,
}

/// Invite someone
///
/// An invitation to the organisation the request acts in, for one e-mail address and one role below owner (only an owner may invite an admin), valid 7 days and once. Its link (`PUBLIC_URL/#/join?token=…`, the token in the fragment) is mailed to that address, within the organisation's daily e-mail cap and without an unsubscribe link (it is a one-off message); the token is also in this answer, and only here: pass it on yourself when the mail cannot reach them. Admins and owners.
#[utoipa::path(
    post,
    path = "/api/organisations/invitations",
    operation_id = "inviteMember",
    tag = "organisations",
    request_body = InviteBody,
    responses(
        (status = 201, description = "Invited.", body = InvitationView),
    )
)]
pub async fn invite(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let body: InviteBody = cx.req.json()?;
    let email = Email::parse(&body.email).map_err(|e| AppError::invalid("email", e.reason))?;
    let role = Role::parse(&body.role)?;
    if role == Role::Owner {
        return Err(AppError::invalid(
            "role",
            "must be admin, member or viewer: ownership is handed over, not invited",
        ));
    }
    may_invite(user.role, role).map_err(|needed| AppError::Forbidden {
        needed,
        held: user.role,
    })?;
    let (token, token_hash) = new_invitation_token().map_err(AppError::internal)?;
    let now = clock::now();
    let expires_at = clock::timestamp(now + chrono::Duration::days(INVITATION_DAYS));
    let new = NewInvitation {
        org_id: user.org_id,
        email: email.as_str(),
        role: role.as_str(),
        token_hash: &token_hash,
        invited_by: user.user_id,
        expires_at: &expires_at,
    };
    let db = cx.app.db()?;
    let id = store::invitations::insert(&db, &new, &clock::timestamp(now))
        .await?
        .ok_or_else(|| AppError::internal("invitation insert returned no row"))?;
    let mail = match body.send_email {
        true => super::invitation_mail::send(cx, user, &email, role, &token).await,
        false => "off",
    };
    // Never the token: who, with which role, until when.
    let entry = Entry::by_user(
        user.org_id,
        user.user_id,
        Kind::MemberInvited,
        email.as_str(),
    )
    .created(
        Fields::new()
            .with("email", email.as_str())
            .with("role", role.as_str())
            .with("expires_at", expires_at.as_str())
            .with("mail", mail)
            .secret("token", "created"),
    )
    .reference(Fields::new().with("invitation_id", id));
    let reply = Reply::created(&InvitationView {
        id,
        email: email.as_str().to_owned(),
        role,
        token,
        expires_at,
        mail,
    })?;
    Ok(Changed::new(reply, entry))
}

#[derive(Serialize, ToSchema)]
#[schema(as = PendingInvitation)]
struct PendingView {
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    id: i64,
    #[schema(max_length = 254)]
    email: String,
    role: Role,
    /// The address of who invited, or null once their account is gone.
    #[schema(max_length = 254)]
    invited_by: Option<String>,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    created_at: String,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    expires_at: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = PendingInvitationList)]
struct PendingList {
    /// Newest first; never a token (only each token's hash is kept).
    items: Vec<PendingView>,
}

/// Pending invitations
///
/// The invitations of the organisation the request acts in that can still be accepted: neither accepted, revoked nor expired. Admins and owners.
#[utoipa::path(
    get,
    path = "/api/organisations/invitations",
    operation_id = "listInvitations",
    tag = "organisations",
    responses(
        (status = 200, description = "The pending invitations.", body = PendingList),
    )
)]
pub async fn list(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let now = clock::timestamp(clock::now());
    let rows = store::invitations::pending(&cx.app.db()?, user.org_id, &now).await?;
    let items = rows
        .into_iter()
        .map(|row| {
            Ok(PendingView {
                id: row.id,
                email: row.email,
                role: Role::parse(&row.role).map_err(AppError::internal)?,
                invited_by: row.invited_by,
                created_at: row.created_at,
                expires_at: row.expires_at,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Reply::ok(&PendingList { items })
}

/// Revoke an invitation
///
/// Its link can no longer be used. Only a pending invitation can be revoked (an accepted one is 409: remove the member instead); an admin's invitation only by an owner, as only an owner can invite an admin. Admins and owners.
#[utoipa::path(
    delete,
    path = "/api/organisations/invitations/{id}",
    operation_id = "revokeInvitation",
    tag = "organisations",
    params(("id" = i64, Path, minimum = 1, maximum = 9007199254740991_i64, description = "The invitation's id.")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 409, description = "It was accepted or revoked already.", body = vocabulary::schemas::ConflictError),
    )
)]
pub async fn revoke(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let db = cx.app.db()?;
    let held = store::invitations::in_org(&db, user.org_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("invitation"))?;
    let role = Role::parse(&held.role).map_err(AppError::internal)?;
    may_invite(user.role, role).map_err(|needed| AppError::Forbidden {
        needed,
        held: user.role,
    })?;
    // The statement takes only a pending invitation: one accepted or
    // revoked, before or meanwhile, changes nothing.
    let now = clock::timestamp(clock::now());
    if !store::invitations::revoke(&db, user.org_id, id, user.user_id, &now).await? {
        return Err(AppError::Conflict(
            "This invitation was accepted or revoked already; remove the member instead."
                .to_owned(),
        ));
    }
    let entry = Entry::by_user(
        user.org_id,
        user.user_id,
        Kind::MemberInvitationRevoked,
        &held.email,
    )
    .removed(
        Fields::new()
            .with("email", held.email.as_str())
            .with("role", role.as_str())
            .with("expires_at", held.expires_at.as_str()),
    )
    .reference(Fields::new().with("invitation_id", id));
    Ok(Changed::new(Reply::no_content(), entry))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AcceptInvitationRequest, description = "Unknown fields are refused (422).")]
struct AcceptBody {
    /// The invitation's token.
    #[schema(max_length = 100)]
    token: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = JoinedOrganisation)]
struct JoinedView {
    /// The organisation joined: send it as `X-Organisation` to act in it.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    id: i64,
    name: String,
    role: Role,
}

/// Accept an invitation
///
/// Joins the organisation of the invitation with its role. The session's person must be signed in with the address it was sent to; an unknown, used or expired token, or one sent to another address, is 422 on `token` (the message says which); already a member, 409. Any role in any organisation: it concerns the person.
#[utoipa::path(
    post,
    path = "/api/invitations/accept",
    operation_id = "acceptInvitation",
    tag = "organisations",
    request_body = AcceptBody,
    responses(
        (status = 200, description = "Joined.", body = JoinedView),
        (status = 409, description = "Already a member.", body = vocabulary::schemas::ConflictError),
    )
)]
pub async fn accept(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let body: AcceptBody = cx.req.json()?;
    let refused = || {
        AppError::invalid(
            "token",
            "is not a valid invitation, or it was used or has expired",
        )
    };
    let hash = invitation_hash(body.token.trim()).ok_or_else(refused)?;
    let db = cx.app.db()?;
    let found = store::invitations::find(&db, &hash, user.user_id)
        .await?
        .ok_or_else(refused)?;
    let now = clock::timestamp(clock::now());
    if found.accepted_at.is_some() || found.revoked_at.is_some() || found.expires_at <= now {
        return Err(refused());
    }
    let person = store::users::by_id(&db, user.user_id)
        .await?
        .ok_or_else(crate::auth::jwt::rejected)?;
    if person.email != found.email {
        return Err(AppError::invalid(
            "token",
            "was sent to another e-mail address: sign in with that one to accept it",
        ));
    }
    if found.already_member == 1 {
        return Err(AppError::Conflict(
            "You are a member of this organisation already.".to_owned(),
        ));
    }
    if !store::invitations::accept(&db, found.id, user.user_id, &now).await? {
        return Err(refused());
    }
    let role = Role::parse(&found.role).map_err(AppError::internal)?;
    let entry = joined(
        found.org_id,
        user.user_id,
        &person.email,
        role,
        found.id,
        None,
    );
    let reply = Reply::ok(&JoinedView {
        id: found.org_id,
        name: found.org_name,
        role,
    })?;
    Ok(Changed::new(reply, entry))
}

/// Signing in through Cloudflare Access: Access has verified `email`, so
/// every invitation to it that can still be accepted is, one organisation
/// each (the oldest invitation of several to one). The audit entries of the
/// joins, for the sign-in to record.
pub async fn join_by_access(
    db: &worker::D1Database,
    user_id: i64,
    email: &str,
) -> AppResult<Vec<Entry>> {
    let now = clock::timestamp(clock::now());
    let mut open = store::invitations::open_for(db, email, user_id, &now).await?;
    let mut seen = std::collections::BTreeSet::new();
    open.retain(|invitation| seen.insert(invitation.org_id));
    let mut entries = Vec::new();
    for invitation in open {
        if !store::invitations::accept(db, invitation.id, user_id, &now).await? {
            continue;
        }
        let role = Role::parse(&invitation.role).map_err(AppError::internal)?;
        let access = Some("cloudflare_access");
        entries.push(joined(
            invitation.org_id,
            user_id,
            email,
            role,
            invitation.id,
            access,
        ));
    }
    Ok(entries)
}

/// `member.joined`: who joined with which role, through which invitation,
/// and the sign-in that accepted it when it was not the link.
fn joined(
    org_id: i64,
    user_id: i64,
    email: &str,
    role: Role,
    invitation_id: i64,
    sign_in: Option<&str>,
) -> Entry {
    let mut after = Fields::new()
        .with("email", email)
        .with("role", role.as_str());
    if let Some(sign_in) = sign_in {
        after = after.with("sign_in", sign_in);
    }
    Entry::by_user(org_id, user_id, Kind::MemberJoined, email)
        .created(after)
        .reference(Fields::new().with("invitation_id", invitation_id))
}
