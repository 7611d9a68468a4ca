//! `/api/audit` and `/api/audit.csv`: the account's audit log, filtered by
//! kind (`key.updated`, or a family: `key`) and by key, newest first.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::auth::session::AuthUser;
use crate::domain::audit::{Kind, KindFilter, KindFilterParam};
use crate::domain::page::{parse_bounded, Page, Pagination};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::store::audit_log::{self, AuditFilter};
use crate::usage::csv::{self, Cell};

// Who made a change: the account's user, or the product on its own.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum AuditActor {
    User,
    Product,
}

// One entry as `store::audit_log::list` answers it (JSON built by SQLite);
// this type only states its schema.
#[derive(ToSchema)]
#[schema(as = AuditEntry, description = "One change to the account. Never holds a secret: a secret field is recorded only as changed (`\"secret\": \"created\"`), a webhook URL only by its origin and a fingerprint.")]
#[allow(dead_code)]
pub struct Item {
    /// Entry id (increasing: newer entries have larger ids).
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    id: i64,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    at: String,
    #[schema(inline)]
    actor: AuditActor,
    /// The user who made the change; null when the product did.
    #[schema(minimum = 1, maximum = 9007199254740991_i64, required = true)]
    actor_user_id: Option<i64>,
    kind: Kind,
    /// The key the change is about, if any (it may since have been deleted).
    #[schema(minimum = 1, maximum = 9007199254740991_i64, required = true)]
    api_key_id: Option<i64>,
    /// What the change is about, as named at the time (a key's name, `monthly budget`, `settings`).
    #[schema(max_length = 200)]
    subject: String,
    /// The changed fields' values before (null: none, e.g. something new).
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>, required = true)]
    before: Option<()>,
    /// The changed fields' values after (null: none, e.g. something deleted); for an action, its outcome.
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>, required = true)]
    after: Option<()>,
    /// Which row the change is about (`budget_id`, `webhook_id`, `token_id`), or what caused an action of the product.
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>, required = true)]
    reference: Option<()>,
}

// The page's shape, for the document; `list` writes it from SQLite's JSON.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AuditPage {
    /// Newest first.
    items: Vec<Item>,
    pagination: Pagination,
}

fn filter(user: &AuthUser, query: &QueryParams) -> AppResult<AuditFilter> {
    Ok(AuditFilter {
        org_id: user.org_id,
        kind: query
            .get("kind")
            .map(|k| KindFilter::parse("kind", k))
            .transpose()?,
        api_key_id: query
            .get("api_key_id")
            .map(|v| parse_bounded("api_key_id", Some(v), 0, 1, i64::MAX))
            .transpose()?,
    })
}

/// The audit log
///
/// Every change made to the account, by its user (keys, budgets, webhooks, API tokens, settings, password) or by the product on its own, newest first: when, who, what, the key it is about and the changed fields before and after. Never a secret. Kept one year; deleted with the account. Filters: `kind` (one kind, e.g. `key.updated`, or a family, e.g. `key` for every `key.*`), `api_key_id`.
#[utoipa::path(
    get,
    path = "/api/audit",
    operation_id = "listAudit",
    tag = "audit",
    params(("kind" = inline(Option<KindFilterParam>), Query, description = "One kind (`key.updated`) or a family of kinds (`key`: every `key.*`); anything else is 422."), vocabulary::params::ApiKeyIdFilter, vocabulary::params::Page, vocabulary::params::Limit),
    responses(
        (status = 200, description = "A page of entries, newest first.", body = AuditPage),
        (status = 400, response = vocabulary::responses::BadRequest),
        (status = 422, response = vocabulary::responses::ValidationError),
    )
)]
pub async fn list(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let query = QueryParams::parse(
        cx.req.query.as_deref(),
        &["kind", "api_key_id", "page", "limit"],
    )?;
    let filter = filter(user, &query)?;
    let page = Page::parse(query.get("page"), query.get("limit"))?;
    let db = cx.app.db()?;
    let rows = audit_log::list(&db, &filter, page.limit(), page.offset()).await?;
    let total = match rows.first().and_then(|r| r.total) {
        Some(total) => total,
        None => audit_log::count(&db, &filter).await?,
    };
    let items: Vec<&str> = rows.iter().map(|r| r.json.as_str()).collect();
    let pagination = serde_json::to_string(&page.info(total)).map_err(AppError::internal)?;
    Ok(Reply::raw_json(
        200,
        format!(
            "{{\"items\":[{}],\"pagination\":{pagination}}}",
            items.join(",")
        ),
    ))
}

/// Entries one CSV export may hold: a larger export is refused (422), to be
/// narrowed by kind or key.
pub const CSV_MAX_ROWS: i64 = 100_000;

/// The CSV's columns.
pub const CSV_COLUMNS: [&str; 10] = [
    "id",
    "at",
    "actor",
    "actor_user_id",
    "kind",
    "api_key_id",
    "subject",
    "before",
    "after",
    "reference",
];

/// The audit log as CSV
///
/// The same filters as GET /api/audit, every matching entry (no pagination), newest first, as RFC 4180 CSV with a header row `id,at,actor,actor_user_id,kind,api_key_id,subject,before,after,reference` (CRLF line ends; `before`, `after` and `reference` are JSON objects or empty). Errors are JSON. At most 100,000 entries (422 on `kind` beyond: filter by kind or key). Text cells that a spreadsheet would run as a formula are prefixed with a single quote.
#[utoipa::path(
    get,
    path = "/api/audit.csv",
    operation_id = "auditCsv",
    tag = "audit",
    params(("kind" = inline(Option<KindFilterParam>), Query, description = "One kind (`key.updated`) or a family of kinds (`key`: every `key.*`); anything else is 422."), vocabulary::params::ApiKeyIdFilter),
    responses(
        (status = 200, description = "The CSV file (`text/csv; charset=utf-8`).", body = inline(AuditCsv), content_type = "text/csv", headers(("Content-Disposition" = String))),
        (status = 400, response = vocabulary::responses::BadRequest),
        (status = 422, response = vocabulary::responses::ValidationError),
    )
)]
pub async fn csv(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let query = QueryParams::parse(cx.req.query.as_deref(), &["kind", "api_key_id"])?;
    let filter = filter(user, &query)?;
    let rows = audit_log::list(&cx.app.db()?, &filter, CSV_MAX_ROWS + 1, 0).await?;
    if rows.len() as i64 > CSV_MAX_ROWS {
        return Err(AppError::invalid(
            "kind",
            format!("selects more than {CSV_MAX_ROWS} entries; filter by kind or key"),
        ));
    }
    let mut text = csv::header(&CSV_COLUMNS);
    for row in &rows {
        let entry: Value = serde_json::from_str(&row.json).map_err(AppError::internal)?;
        // Each column's value as the JSON has it: text unquoted, null empty.
        let cells: Vec<String> = CSV_COLUMNS
            .iter()
            .map(|column| match entry.get(column) {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            })
            .collect();
        let line: Vec<Cell<'_>> = cells.iter().map(|c| Cell::Text(c)).collect();
        text.push_str(&csv::line(&line));
    }
    Ok(Reply::csv(text, "audit-log.csv"))
}

/// The export's body as the API document states it: text whose first line
/// is the header row.
struct AuditCsv;

impl utoipa::PartialSchema for AuditCsv {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(format!("^{}\r?\n", CSV_COLUMNS.join(","))))
            .into()
    }
}

impl ToSchema for AuditCsv {}
