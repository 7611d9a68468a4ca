//! `/api/organisations`: the organisations of the session's person.

use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::auth::session::AuthUser;
use crate::domain::role::Role;
use crate::error::AppResult;
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::store::organisations::{self, Membership};

#[derive(Serialize, ToSchema)]
#[schema(as = Organisation, description = "An organisation the person belongs to, with their role in it.")]
struct OrganisationView {
    /// Organisation id: send it as `X-Organisation` to act in it.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    id: i64,
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    role: Role,
    /// How many people belong to it.
    #[schema(minimum = 1)]
    members: i64,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    joined_at: String,
}

#[derive(Serialize, ToSchema)]
struct OrganisationList {
    /// The one a request acts in without `X-Organisation` first (the
    /// personal organisation made at registration), then in the order joined.
    items: Vec<OrganisationView>,
}

impl TryFrom<Membership> for OrganisationView {
    type Error = crate::error::AppError;

    fn try_from(row: Membership) -> AppResult<Self> {
        Ok(Self {
            role: Role::parse(&row.role).map_err(crate::error::AppError::internal)?,
            id: row.org_id,
            name: row.name,
            members: row.members,
            joined_at: row.joined_at,
        })
    }
}

/// Your organisations
///
/// Every organisation the session's person belongs to, with their role. A session's request acts in the organisation its `X-Organisation` header names (404 when the person is no member of it), and in the first of this list without it.
#[utoipa::path(
    get,
    path = "/api/organisations",
    operation_id = "listOrganisations",
    tag = "organisations",
    responses(
        (status = 200, description = "The person's organisations.", body = OrganisationList),
    )
)]
pub async fn list(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let rows = organisations::of_person(&cx.app.db()?, user.user_id).await?;
    let items = rows
        .into_iter()
        .map(OrganisationView::try_from)
        .collect::<AppResult<Vec<_>>>()?;
    Reply::ok(&OrganisationList { items })
}
