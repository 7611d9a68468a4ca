//! `GET /health`: the Worker is up and D1 answers a real query.

use serde_json::json;

use crate::app::App;
use crate::http::error::{AppError, AppResult};
use crate::http::reply::Reply;
use crate::store;

pub async fn check(app: &App) -> AppResult<Reply> {
    // A real table, so a database without the schema is not "ok".
    let probe = match app.db() {
        Ok(db) => {
            store::first::<serde::de::IgnoredAny>(
                &db,
                "SELECT EXISTS (SELECT 1 FROM job_runs) AS ok",
                vec![],
            )
            .await
        }
        Err(e) => Err(e),
    };
    match probe {
        Ok(_) => Reply::ok(&json!({ "status": "ok", "database": "ok" })),
        Err(e) => {
            worker::console_error!("health: {e}");
            Err(AppError::Unavailable(
                "The database is unavailable.".to_owned(),
            ))
        }
    }
}
