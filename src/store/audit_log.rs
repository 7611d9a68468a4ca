//! `audit_log`: every change made to an account, by its user or by the
//! product (`domain::audit`). Kept one year (the weekly cleanup), deleted
//! with the account (cascade).
//!
//! Recording a product action (a job changing a key on its own):
//!
//! ```ignore
//! use crate::domain::audit::{Entry, Fields, Kind};
//! let entry = Entry::by_product(org_id, Kind::KeyUpdated, &key_name)
//!     .key(key_id)
//!     .changed(Fields::new().with("is_active", true), Fields::new().with("is_active", false))
//!     .reference(Fields::new().with("budget_id", budget_id));
//! store::audit_log::record(&db, &entry).await?;          // on its own, now
//! statements.push(store::audit_log::statement(&db, &entry, &now)?); // or in the change's batch (atomic)
//! ```
//!
//! Routes never call this: a route that changes something answers a
//! `http::route::Changed`, whose entry the dispatcher records.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use crate::args;
use crate::clock;
use crate::domain::audit::{Entry, Fields, KindFilter};
use crate::error::AppResult;

const INSERT: &str = "INSERT INTO audit_log
    (org_id, at, actor, actor_user_id, kind, api_key_id, subject, before, after, reference)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/// The statement that records `entry` at `at` (RFC 3339), to run in the
/// batch of the change it describes.
pub fn statement(db: &D1Database, entry: &Entry, at: &str) -> AppResult<D1PreparedStatement> {
    super::statement(db, INSERT, values(entry, at))
}

/// Records `entry` now, on its own.
pub async fn record(db: &D1Database, entry: &Entry) -> AppResult<()> {
    let at = clock::timestamp(clock::now());
    super::run(db, INSERT, values(entry, &at)).await?;
    Ok(())
}

fn values(entry: &Entry, at: &str) -> Vec<super::Arg> {
    let json = |fields: &Option<Fields>| fields.as_ref().map(Fields::to_json);
    args![
        entry.org_id,
        at,
        entry.actor.as_str(),
        entry.actor.user_id(),
        entry.kind.as_str(),
        entry.api_key_id,
        entry.subject.as_str(),
        json(&entry.before),
        json(&entry.after),
        json(&entry.reference),
    ]
}

/// Which entries of an account a read selects.
#[derive(Debug, Clone, Copy)]
pub struct AuditFilter {
    pub org_id: i64,
    pub kind: Option<KindFilter>,
    pub api_key_id: Option<i64>,
}

impl AuditFilter {
    /// `WHERE` of the filter: ?1 user, ?2 exact kind, ?3 family prefix
    /// (`key.`), ?4 key.
    fn args(&self) -> Vec<super::Arg> {
        let (exact, family) = match self.kind {
            Some(KindFilter::Exact(kind)) => (Some(kind.as_str().to_owned()), None),
            Some(KindFilter::Family(family)) => (None, Some(format!("{family}."))),
            None => (None, None),
        };
        args![self.org_id, exact, family, self.api_key_id]
    }
}

const WHERE: &str = "WHERE org_id = ?1 AND (?2 IS NULL OR kind = ?2)
    AND (?3 IS NULL OR substr(kind, 1, length(?3)) = ?3)
    AND (?4 IS NULL OR api_key_id = ?4)";

/// An entry as the API shows it: one JSON object, built by SQLite from
/// the row (`before`, `after` and `reference` are JSON objects already), so
/// the Worker passes it on without decoding it.
#[derive(Debug, Clone, Deserialize)]
pub struct EntryJson {
    pub json: String,
    /// Rows matching the filter, on every row (window function).
    #[serde(default)]
    pub total: Option<i64>,
}

const ENTRY_JSON: &str = "json_object('id', id, 'at', at, 'actor', actor,
    'actor_user_id', actor_user_id, 'kind', kind, 'api_key_id', api_key_id,
    'subject', subject, 'before', json(before), 'after', json(after),
    'reference', json(reference)) AS json";

/// A page of entries, newest first.
pub async fn list(
    db: &D1Database,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<EntryJson>> {
    let mut args = filter.args();
    args.extend(args![limit, offset]);
    super::all(
        db,
        &format!(
            "SELECT {ENTRY_JSON}, COUNT(*) OVER () AS total
             FROM audit_log {WHERE} ORDER BY id DESC LIMIT ?5 OFFSET ?6"
        ),
        args,
    )
    .await
}

/// How many entries match (for a page past the end, which has no row).
pub async fn count(db: &D1Database, filter: &AuditFilter) -> AppResult<i64> {
    super::count(
        db,
        &format!("SELECT COUNT(*) AS n FROM audit_log {WHERE}"),
        filter.args(),
    )
    .await
}

/// Entries recorded before `before` (RFC 3339), at most `batch` of them.
pub async fn delete_older_than(db: &D1Database, before: &str, batch: i64) -> AppResult<usize> {
    super::run(
        db,
        "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ?1 LIMIT ?2)",
        args![before, batch],
    )
    .await
}
