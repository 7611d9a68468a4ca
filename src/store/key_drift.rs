//! `key_drift`: the days a key's `/activity` rows and running total
//! disagreed (migration 0012), as first found: a later evaluation of the
//! same day changes nothing (`INSERT OR IGNORE`), like its event.

use worker::{D1Database, D1PreparedStatement};

use crate::args;
use crate::domain::money::Money;
use crate::error::AppResult;

pub struct DriftWrite {
    pub api_key_id: i64,
    pub day: String,
    pub activity: Money,
    pub running_total: Money,
}

/// The day's insert; skipped when its key was deleted meanwhile.
pub fn statement(db: &D1Database, drift: &DriftWrite, now: &str) -> AppResult<D1PreparedStatement> {
    super::statement(
        db,
        "INSERT OR IGNORE INTO key_drift (api_key_id, day, activity, running_total, detected_at)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?1)",
        args![
            drift.api_key_id,
            &drift.day,
            drift.activity,
            drift.running_total,
            now
        ],
    )
}

/// The latest drifting day of each key, joined to a key's row (columns
/// `drift_*`, NULL when the key never drifted): `api_keys`' views use it.
pub const LATEST: &str = "LEFT JOIN key_drift d ON d.api_key_id = k.id
        AND d.day = (SELECT MAX(day) FROM key_drift WHERE api_key_id = k.id)";

/// The columns of [`LATEST`].
pub const COLUMNS: &str = "d.day AS drift_day, CAST(d.activity AS TEXT) AS drift_activity,
        CAST(d.running_total AS TEXT) AS drift_running_total";

/// The drifting days already found of the user's keys, from `from_day`
/// on: `(api_key_id, day)`.
pub async fn known(db: &D1Database, org_id: i64, from_day: &str) -> AppResult<Vec<(i64, String)>> {
    #[derive(serde::Deserialize)]
    struct Row {
        api_key_id: i64,
        day: String,
    }
    let rows: Vec<Row> = super::all(
        db,
        "SELECT d.api_key_id, d.day FROM key_drift d JOIN api_keys k ON k.id = d.api_key_id
         WHERE k.org_id = ?1 AND d.day >= ?2",
        args![org_id, from_day],
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.api_key_id, r.day)).collect())
}
