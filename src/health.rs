//! `GET /health`: the Worker is up, its settings and secrets are valid, and
//! D1 answers a real query. A missing or malformed secret or setting is a
//! 503 naming the variable (never its value), so a bad deployment shows at
//! once instead of at the first login.

use serde_json::json;

use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::http::reply::Reply;
use crate::store;

pub async fn check(app: &App) -> AppResult<Reply> {
    app.jwt_secret().map_err(unavailable)?;
    app.encryption_key().map_err(unavailable)?;
    // A real table, so a database without the schema is not "ok".
    let probe = match app.db() {
        Ok(db) => store::job_runs::probe(&db).await,
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

/// What `/health` says when the Worker cannot run: the misconfiguration
/// (which names the variable) as a 503.
pub fn unavailable(err: AppError) -> AppError {
    match err {
        AppError::Misconfigured(what) => {
            AppError::Unavailable(format!("The Worker is misconfigured: {what}."))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    #[test]
    fn a_missing_secret_is_a_503_naming_it_and_never_its_value() {
        let err = unavailable(config::jwt_secret(Some("too-short-secret".into())).unwrap_err());
        assert_eq!(err.status(), 503);
        let body = err.body().to_string();
        assert!(body.contains("JWT_SECRET"), "{body}");
        assert!(!body.contains("too-short-secret"), "{body}");
        let err = unavailable(config::encryption_key(None).unwrap_err());
        assert!(err.body().to_string().contains("ENCRYPTION_KEY"));
    }
}
