//! `GET /health`: the Worker is up, its settings and secrets are valid, and
//! D1 answers a real query. A missing or malformed secret or setting is a
//! 503 naming the variable (never its value), so a bad deployment shows at
//! once instead of at the first login.

use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::http::reply::Reply;
use crate::http::route::{self, Route};
use crate::store;

pub const ROUTES: &[Route] =
    &[route::probe("/health", |app| Box::pin(check(app))).doc::<__path_check>()];

// A part that answers (`"ok"`; a failing part is a 503 instead).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Up {
    Ok,
}

#[derive(Serialize, ToSchema)]
struct Health {
    #[schema(inline)]
    status: Up,
    #[schema(inline)]
    database: Up,
}

/// Liveness and database check
///
/// The Worker is up and D1 answers a real query on the schema. No authentication.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "system",
    responses(
        (status = 200, description = "Up, and D1 answers.", body = Health),
        (status = 503, description = "D1 does not answer, or a secret or setting is missing or malformed: the message names the variable, never its value.", body = vocabulary::schemas::ServiceUnavailableError),
    )
)]
pub async fn check(app: &App) -> AppResult<Reply> {
    app.jwt_secret().map_err(AppError::as_unavailable)?;
    app.encryption_key().map_err(AppError::as_unavailable)?;
    // A real table, so a database without the schema is not "ok".
    let probe = match app.db() {
        Ok(db) => store::job_runs::probe(&db).await,
        Err(e) => Err(e),
    };
    match probe {
        Ok(_) => Reply::ok(&Health {
            status: Up::Ok,
            database: Up::Ok,
        }),
        Err(e) => {
            worker::console_error!("health: {e}");
            Err(AppError::Unavailable(
                "The database is unavailable.".to_owned(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config;

    #[test]
    fn a_missing_secret_is_a_503_naming_it_and_never_its_value() {
        let err = config::jwt_secret(Some("too-short-secret".into()))
            .unwrap_err()
            .as_unavailable();
        assert_eq!(err.status(), 503);
        let body = err.body().to_string();
        assert!(body.contains("JWT_SECRET"), "{body}");
        assert!(!body.contains("too-short-secret"), "{body}");
        let err = config::encryption_key(None).unwrap_err().as_unavailable();
        assert!(err.body().to_string().contains("ENCRYPTION_KEY"));
    }
}
