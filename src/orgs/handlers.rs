//! `/api/organisations`: the organisations of the session's person, and
//! making a new one.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::account::Name;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::role::Role;
use crate::error::AppResult;
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateOrganisationRequest, description = "Unknown fields are refused (422).")]
struct CreateBody {
    #[schema(value_type = vocabulary::schemas::Name)]
    name: String,
}

/// Make an organisation
///
/// A new organisation, owned by the session's person; its id goes in `X-Organisation` to act in it. Keys, budgets, webhooks and tokens are made there like anywhere else. Any person may make one.
#[utoipa::path(
    post,
    path = "/api/organisations",
    operation_id = "createOrganisation",
    tag = "organisations",
    request_body = CreateBody,
    responses(
        (status = 201, description = "Made; the person is its owner.", body = OrganisationView),
    )
)]
pub async fn create(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let body: CreateBody = cx.req.json()?;
    let name = Name::parse(&body.name)?;
    let now = clock::timestamp(clock::now());
    let org_id = organisations::create(&cx.app.db()?, name.as_str(), user.user_id, &now)
        .await?
        .ok_or_else(|| crate::error::AppError::internal("organisation insert returned no row"))?;
    let entry = Entry::by_user(
        org_id,
        user.user_id,
        Kind::OrganisationCreated,
        name.as_str(),
    )
    .created(Fields::new().with("name", name.as_str()));
    let reply = Reply::created(&OrganisationView {
        id: org_id,
        name: name.as_str().to_owned(),
        role: Role::Owner,
        members: 1,
        joined_at: now,
    })?;
    Ok(Changed::new(reply, entry))
}
