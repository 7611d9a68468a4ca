//! An organisation's members, with their roles.

use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::auth::session::AuthUser;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::store;

#[derive(Serialize, ToSchema)]
#[schema(as = Member, description = "A person in the organisation.")]
struct MemberView {
    /// The person's id.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    user_id: i64,
    #[schema(max_length = 254)]
    email: String,
    role: Role,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    joined_at: String,
}

#[derive(Serialize, ToSchema)]
struct MemberList {
    /// Owners first, then admins, members and viewers, each by when they joined.
    items: Vec<MemberView>,
}

/// The organisation's members
///
/// Everyone in the organisation the request acts in, with their role. Any role may read it.
#[utoipa::path(
    get,
    path = "/api/organisations/members",
    operation_id = "listMembers",
    tag = "organisations",
    responses(
        (status = 200, description = "The members.", body = MemberList),
    )
)]
pub async fn list(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let rows = store::organisations::members(&cx.app.db()?, user.org_id).await?;
    let items = rows
        .into_iter()
        .map(|row| {
            Ok(MemberView {
                role: Role::parse(&row.role).map_err(AppError::internal)?,
                user_id: row.user_id,
                email: row.email,
                joined_at: row.joined_at,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Reply::ok(&MemberList { items })
}
