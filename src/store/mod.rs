//! D1 access: one module per table holds that table's SQL; this module holds
//! the binding and error plumbing they share. Every value is bound, never
//! formatted into SQL.
//!
//! Money is bound as a decimal *string* of units: the INTEGER column affinity
//! stores it as an exact 64-bit integer, where a JavaScript number would lose
//! precision past 2^53. It is read back with `CAST(... AS TEXT)`.

pub mod alerts;
pub mod api_keys;
pub mod audit_log;
pub mod bucket_log;
pub mod budgets;
pub mod digests;
pub mod email;
pub mod events;
pub mod invitations;
pub mod job_runs;
pub mod key_actions;
pub mod key_drift;
pub mod organisations;
pub mod sessions;
pub mod snapshots;
pub mod spike_marks;
pub mod sync_batches;
pub mod tokens;
pub mod usage;
pub mod users;
pub mod webhooks;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::domain::money::Money;
use crate::error::{AppError, AppResult};

/// A bound parameter.
pub enum Arg {
    Int(i64),
    Text(String),
    Null,
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Int(v as i64)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<Money> for Arg {
    fn from(v: Money) -> Self {
        Arg::Text(v.units().to_string())
    }
}
impl<T: Into<Arg>> From<Option<T>> for Arg {
    fn from(v: Option<T>) -> Self {
        v.map_or(Arg::Null, Into::into)
    }
}

impl Arg {
    fn to_js(&self) -> JsValue {
        match self {
            // Row ids and counts stay far below 2^53.
            Arg::Int(v) => JsValue::from_f64(*v as f64),
            Arg::Text(v) => JsValue::from_str(v),
            Arg::Null => JsValue::NULL,
        }
    }
}

/// `args![a, b, c]` builds the parameter list of a statement.
#[macro_export]
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        vec![$($crate::store::Arg::from($value)),*]
    };
}

pub fn statement(db: &D1Database, sql: &str, args: Vec<Arg>) -> AppResult<D1PreparedStatement> {
    let values: Vec<JsValue> = args.iter().map(Arg::to_js).collect();
    db.prepare(sql).bind(&values).map_err(db_error)
}

/// D1 answers `SQLITE_BUSY` when another connection holds the database
/// file for a moment (locally: an operator's `wrangler d1 execute`; the local
/// D1 reports it as an opaque "internal error; reference = …"). The statement
/// did not run, so it is retried a few times before it becomes an error.
const BUSY_RETRIES_MS: [u64; 4] = [25, 75, 200, 500];

fn is_busy(err: &worker::Error) -> bool {
    let text = err.to_string();
    text.contains("SQLITE_BUSY")
        || text.contains("database is locked")
        || text.contains("internal error; reference")
}

async fn retry_busy<T, F, Fut>(mut attempt: F) -> AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = worker::Result<T>>,
{
    for wait_ms in BUSY_RETRIES_MS {
        match attempt().await {
            Err(e) if is_busy(&e) => {
                worker::Delay::from(std::time::Duration::from_millis(wait_ms)).await;
            }
            other => return other.map_err(db_error),
        }
    }
    attempt().await.map_err(db_error)
}

pub async fn first<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    args: Vec<Arg>,
) -> AppResult<Option<T>> {
    let statement = statement(db, sql, args)?;
    retry_busy(|| statement.first::<T>(None)).await
}

/// The `id` of the one row `sql` returns (an `INSERT … RETURNING id`, or a
/// lookup); `None` when it returns none.
pub async fn first_id(db: &D1Database, sql: &str, args: Vec<Arg>) -> AppResult<Option<i64>> {
    Ok(first::<Id>(db, sql, args).await?.map(|row| row.id))
}

/// The ids of every row `sql` returns (as `id`).
pub async fn ids(db: &D1Database, sql: &str, args: Vec<Arg>) -> AppResult<Vec<i64>> {
    Ok(all::<Id>(db, sql, args)
        .await?
        .into_iter()
        .map(|row| row.id)
        .collect())
}

/// The `id` a statement of a batch returned (`… RETURNING id`); `None`
/// when it returned no row.
pub fn returned_id(result: &worker::D1Result) -> AppResult<Option<i64>> {
    Ok(result
        .results::<Id>()
        .map_err(db_error)?
        .into_iter()
        .next()
        .map(|row| row.id))
}

#[derive(Deserialize)]
struct Id {
    id: i64,
}

pub async fn all<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    args: Vec<Arg>,
) -> AppResult<Vec<T>> {
    let statement = statement(db, sql, args)?;
    let result = retry_busy(|| statement.all()).await?;
    if let Some(error) = result.error() {
        return Err(AppError::internal(format!("D1: {error}")));
    }
    result.results::<T>().map_err(db_error)
}

/// The `n` of a `SELECT COUNT(*) AS n …` (0 without a row).
pub async fn count(db: &D1Database, sql: &str, args: Vec<Arg>) -> AppResult<i64> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    Ok(first::<Count>(db, sql, args).await?.map_or(0, |row| row.n))
}

/// Runs a write and returns how many rows it changed.
pub async fn run(db: &D1Database, sql: &str, args: Vec<Arg>) -> AppResult<usize> {
    let statement = statement(db, sql, args)?;
    let result = retry_busy(|| statement.run()).await?;
    changes(&result)
}

/// Runs statements as one transaction (D1 batches are atomic).
pub async fn batch(db: &D1Database, statements: Vec<D1PreparedStatement>) -> AppResult<usize> {
    let results = batch_results(db, statements).await?;
    results.iter().map(changes).sum()
}

pub async fn batch_results(
    db: &D1Database,
    statements: Vec<D1PreparedStatement>,
) -> AppResult<Vec<worker::D1Result>> {
    if statements.is_empty() {
        return Ok(Vec::new());
    }
    retry_busy(|| db.batch(statements.clone())).await
}

pub fn changes(result: &worker::D1Result) -> AppResult<usize> {
    if let Some(error) = result.error() {
        return Err(AppError::internal(format!("D1: {error}")));
    }
    Ok(result
        .meta()
        .map_err(db_error)?
        .and_then(|m| m.changes)
        .unwrap_or(0))
}

pub fn db_error(err: worker::Error) -> AppError {
    AppError::internal(format!("D1: {err}"))
}

/// A row's `name` (what `DELETE … RETURNING name` answers).
#[derive(Deserialize)]
pub struct Named {
    pub name: String,
}

/// The UNIQUE indexes a client can run into (each mapped to a 409 by the
/// handler that knows what it means).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// `users_email`
    UserEmail,
    /// `api_keys_user_key_hash`: the same key twice in one account.
    KeyOfUser,
    /// `api_keys_user_name`: two keys of one account with one name.
    KeyNameOfUser,
    /// `budgets_scope_period`: two budgets of one scope over one period.
    BudgetOfScope,
}

/// The index a failed write broke, if it was one of [`Unique`]. SQLite
/// names the index's columns (`UNIQUE constraint failed: api_keys.org_id,
/// api_keys.key_hash`); this is the one place that reads that text.
pub fn unique_violation(err: &AppError) -> Option<Unique> {
    let AppError::Internal(cause) = err else {
        return None;
    };
    let columns = cause.split("UNIQUE constraint failed: ").nth(1)?;
    // An index on an expression is named, not its columns.
    if columns.starts_with("index 'budgets_scope_period'") {
        return Some(Unique::BudgetOfScope);
    }
    let columns: Vec<&str> = columns
        .split(|c: char| c == ',' || c.is_whitespace() || c == ':')
        .filter(|c| c.contains('.'))
        .collect();
    match columns.as_slice() {
        ["users.email"] => Some(Unique::UserEmail),
        ["api_keys.org_id", "api_keys.key_hash"] => Some(Unique::KeyOfUser),
        ["api_keys.org_id", "api_keys.name"] => Some(Unique::KeyNameOfUser),
        _ => None,
    }
}

/// Serde: a money column read as `CAST(x AS TEXT)`, decoded in the row.
pub fn money_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Money, D::Error> {
    let text = String::deserialize(de)?;
    Money::parse_units(&text).map_err(serde::de::Error::custom)
}

/// Serde: a nullable money column read as text.
pub fn money_text_opt<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<Money>, D::Error> {
    Option::<String>::deserialize(de)?
        .map(|text| Money::parse_units(&text).map_err(serde::de::Error::custom))
        .transpose()
}

/// Serde: an INTEGER 0/1 column (D1 hands it over as a number) as `bool`.
pub fn int_bool<'de, D: serde::Deserializer<'de>>(de: D) -> Result<bool, D::Error> {
    i64::deserialize(de).map(|v| v != 0)
}

/// Parses a money column read as `CAST(x AS TEXT)`.
pub fn money(text: &str) -> AppResult<Money> {
    Money::parse_units(text).map_err(AppError::internal)
}

/// Parses an optional money column.
pub fn money_opt(text: Option<&str>) -> AppResult<Option<Money>> {
    text.map(money).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violations_name_their_index() {
        let err = |text: &str| AppError::internal(format!("D1: {text}"));
        assert_eq!(
            unique_violation(&err(
                "D1_ERROR: UNIQUE constraint failed: api_keys.org_id, api_keys.key_hash: SQLITE_CONSTRAINT"
            )),
            Some(Unique::KeyOfUser)
        );
        assert_eq!(
            unique_violation(&err(
                "UNIQUE constraint failed: api_keys.org_id, api_keys.name"
            )),
            Some(Unique::KeyNameOfUser)
        );
        assert_eq!(
            unique_violation(&err("UNIQUE constraint failed: users.email")),
            Some(Unique::UserEmail)
        );
        assert_eq!(
            unique_violation(&err(
                "D1_ERROR: UNIQUE constraint failed: index 'budgets_scope_period': SQLITE_CONSTRAINT"
            )),
            Some(Unique::BudgetOfScope)
        );
        assert_eq!(unique_violation(&err("no such table: users")), None);
        assert_eq!(unique_violation(&AppError::Conflict("x".into())), None);
    }
}
