//! `/api/budgets` and `/api/alerts` (docs/alerts.md).

use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use super::period::Period;
use super::requests::{CreateBody, UpdateBody};
use super::standing::{self, AccountStanding};
use super::thresholds::Thresholds;
use super::view::{self, BudgetView};
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::money::Money;
use crate::domain::page::{Page, Pagination};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::policies::terms;
use crate::store::budgets::{BudgetRow, PolicyColumns};
use crate::store::{self, budgets::NewBudget, Unique};

/// 1,000,000 USD: far above any real budget, far below overflow.
const MAX_AMOUNT_UNITS: i64 = 1_000_000 * 10_000_000_000;
/// Budgets one account may have: every key's three periods would need 150
/// (at 50 keys); 100 is far past any real use, and bounds what the hourly
/// evaluation reads per account.
pub const MAX_PER_USER: i64 = 100;

#[derive(Serialize, ToSchema)]
struct BudgetList {
    /// The account's budgets, then the implicit ones.
    budgets: Vec<BudgetView>,
}

// Events as stored: each kind's fields (`domain::event`), one schema.
#[derive(Serialize, ToSchema)]
struct AlertEventPage {
    #[schema(value_type = Vec<vocabulary::schemas::AlertEvent>)]
    items: Vec<serde_json::Value>,
    pagination: Pagination,
}

fn amount(value: Money) -> AppResult<Money> {
    if value <= Money::ZERO || value.units() > MAX_AMOUNT_UNITS {
        return Err(AppError::invalid(
            "amount",
            "must be more than 0 and at most 1000000 USD",
        ));
    }
    Ok(value)
}

fn thresholds(values: Option<&[i64]>) -> AppResult<Thresholds> {
    Ok(match values {
        Some(values) => Thresholds::new("thresholds", values)?,
        None => Thresholds::default(),
    })
}

async fn standing_of(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<AccountStanding> {
    standing::load(&cx.app.db()?, user.org_id, clock::now()).await
}

/// The view of budget `id` as it stands now.
async fn view_of(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<BudgetView> {
    let standing = standing_of(cx, user).await?;
    standing
        .budgets
        .iter()
        .find(|b| b.id == Some(id))
        .map(|b| view::budget_view(b, &standing))
        .ok_or_else(|| AppError::not_found("Budget"))
}

/// A budget's terms and policy as the audit log records them.
fn recorded(amount: Money, period: &str, thresholds: &str, policy: &PolicyColumns<'_>) -> Fields {
    Fields::new()
        .with("amount", amount.to_string())
        .with("period", period)
        .with("thresholds", thresholds)
        .with("action", policy.action)
        .with("action_at", policy.action_at)
        .with("dry_run", policy.dry_run)
        .with("action_on_spike", policy.on_spike)
}

/// An audit entry about budget `row` (`monthly budget`, on its key if any).
fn entry_of(user: &AuthUser, kind: Kind, row: &BudgetRow) -> Entry {
    let entry = Entry::by_user(
        user.org_id,
        user.user_id,
        kind,
        &format!("{} budget", row.period),
    )
    .reference(Fields::new().with("budget_id", row.id));
    match row.api_key_id {
        Some(key) => entry.key(key),
        None => entry,
    }
}

/// The account's budgets
///
/// Explicit budgets, then implicit ones (keys' OpenRouter limits), each with its status and runway.
#[utoipa::path(
    get,
    path = "/api/budgets",
    operation_id = "listBudgets",
    tag = "alerts",
    responses(
        (status = 200, description = "The budgets.", body = BudgetList),
    )
)]
pub async fn list(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let standing = standing_of(cx, user).await?;
    Reply::ok(&BudgetList {
        budgets: view::all(&standing),
    })
}

/// One budget
///
/// Another user's budget is 404.
#[utoipa::path(
    get,
    path = "/api/budgets/{id}",
    operation_id = "getBudget",
    tag = "alerts",
    params(vocabulary::params::BudgetId),
    responses(
        (status = 200, description = "The budget.", body = BudgetView),
    )
)]
pub async fn get(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Reply> {
    Reply::ok(&view_of(cx, user, id).await?)
}

/// Set a budget
///
/// A budget on a key (`api_key_id`) or on the account (null). One per scope and period; at most 100 per account.
#[utoipa::path(
    post,
    path = "/api/budgets",
    operation_id = "createBudget",
    tag = "alerts",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The budget.", body = BudgetView),
        (status = 404, response = vocabulary::responses::NotFound),
        (status = 409, description = "This scope already has a budget for this period, or the account has 100 budgets.", body = vocabulary::schemas::ConflictError),
    )
)]
pub async fn create(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let body: CreateBody = cx.req.json()?;
    let amount = amount(body.amount.0)?;
    let period = Period::parse("period", &body.period)?;
    let thresholds = thresholds(body.thresholds.as_deref())?;
    let db = cx.app.db()?;
    let policy = terms::policy_of(&db, user, &body.policy(), None, body.api_key_id).await?;
    let new = NewBudget {
        org_id: user.org_id,
        api_key_id: body.api_key_id,
        amount,
        period: period.as_str(),
        thresholds: &thresholds.to_text(),
        policy: terms::columns(&policy),
    };
    let now = clock::timestamp(clock::now());
    let Some(row) = store::budgets::insert(&db, &new, MAX_PER_USER, &now)
        .await
        .map_err(conflict_for)?
    else {
        return Err(
            if store::budgets::count(&db, user.org_id).await? >= MAX_PER_USER {
                AppError::Conflict(format!(
                    "You already have {MAX_PER_USER} budgets; delete one first."
                ))
            } else {
                AppError::not_found("API key")
            },
        );
    };
    let entry = entry_of(user, Kind::BudgetCreated, &row).created(recorded(
        row.amount,
        &row.period,
        &row.thresholds,
        &row.policy(),
    ));
    Ok(Changed::new(
        Reply::created(&view_of(cx, user, row.id).await?)?,
        entry,
    ))
}

fn conflict_for(err: AppError) -> AppError {
    match store::unique_violation(&err) {
        Some(Unique::BudgetOfScope) => AppError::Conflict(
            "This key (or the account) already has a budget for this period; change that one instead."
                .to_owned(),
        ),
        _ => err,
    }
}

/// Change a budget's terms
///
/// Re-arms the budget.
#[utoipa::path(
    patch,
    path = "/api/budgets/{id}",
    operation_id = "updateBudget",
    tag = "alerts",
    params(vocabulary::params::BudgetId),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The budget.", body = BudgetView),
        (status = 409, description = "This scope already has a budget for that period.", body = vocabulary::schemas::ConflictError),
    )
)]
pub async fn update(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let body: UpdateBody = cx.req.json()?;
    if body.is_empty() {
        return Err(AppError::invalid(
            "body",
            "must set `amount`, `period`, `thresholds` and/or the policy",
        ));
    }
    let db = cx.app.db()?;
    let current = store::budgets::get(&db, user.org_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("Budget"))?;
    let amount = amount(body.amount.map_or(current.amount, |a| a.0))?;
    let period = match &body.period {
        Some(text) => Period::parse("period", text)?,
        None => Period::parse("period", &current.period)?,
    };
    let thresholds = match &body.thresholds {
        Some(values) => Thresholds::new("thresholds", values)?,
        None => Thresholds::from_text(&current.thresholds).unwrap_or_default(),
    };
    let asked = body.policy();
    let policy = terms::policy_of(&db, user, &asked, Some(&current), current.api_key_id).await?;
    let changed = NewBudget {
        org_id: user.org_id,
        api_key_id: current.api_key_id,
        amount,
        period: period.as_str(),
        thresholds: &thresholds.to_text(),
        policy: terms::columns(&policy),
    };
    let now = clock::timestamp(clock::now());
    let found = store::budgets::update(&db, id, &changed, &now)
        .await
        .map_err(conflict_for)?;
    if !found {
        return Err(AppError::not_found("Budget"));
    }
    let entry = entry_of(user, Kind::BudgetUpdated, &current).changed(
        recorded(
            current.amount,
            &current.period,
            &current.thresholds,
            &current.policy(),
        ),
        recorded(amount, period.as_str(), changed.thresholds, &changed.policy),
    );
    Ok(Changed::new(
        Reply::ok(&view_of(cx, user, id).await?)?,
        entry,
    ))
}

/// Delete a budget
///
/// A key with an OpenRouter limit falls back to its implicit budget.
#[utoipa::path(
    delete,
    path = "/api/budgets/{id}",
    operation_id = "deleteBudget",
    tag = "alerts",
    params(vocabulary::params::BudgetId),
    responses(
        (status = 204, description = "Deleted."),
    )
)]
pub async fn delete(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let row = store::budgets::delete(&cx.app.db()?, user.org_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("Budget"))?;
    let entry = entry_of(user, Kind::BudgetDeleted, &row).removed(recorded(
        row.amount,
        &row.period,
        &row.thresholds,
        &row.policy(),
    ));
    Ok(Changed::new(Reply::no_content(), entry))
}

/// The account's alerts
///
/// Events raised by the hourly evaluation and test events, newest first.
#[utoipa::path(
    get,
    path = "/api/alerts",
    operation_id = "listAlerts",
    tag = "alerts",
    params(vocabulary::params::Page, vocabulary::params::Limit),
    responses(
        (status = 200, description = "A page of events.", body = AlertEventPage),
        (status = 400, response = vocabulary::responses::BadRequest),
        (status = 422, response = vocabulary::responses::ValidationError),
    )
)]
pub async fn events(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let query = QueryParams::parse(cx.req.query.as_deref(), &["page", "limit"])?;
    let page = Page::parse(query.get("page"), query.get("limit"))?;
    let db = cx.app.db()?;
    let rows = store::alerts::events(&db, user.org_id, page.limit(), page.offset()).await?;
    let total = match rows.first().and_then(|r| r.total) {
        Some(total) => total,
        None => store::alerts::count_events(&db, user.org_id).await?,
    };
    let items = rows
        .iter()
        .map(|r| crate::domain::event::render(r.id, &r.created_at, &r.payload))
        .collect();
    Reply::ok(&AlertEventPage {
        items,
        pagination: page.info(total),
    })
}
