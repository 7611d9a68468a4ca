//! The one application error type, and its single mapping to HTTP.
//!
//! Every failure a handler can meet becomes an [`AppError`]; [`AppError::status`]
//! and [`AppError::body`] turn it into the contract's envelope
//! `{"error": {"code", "message", "details"?}}`. Internal causes are logged by
//! the caller and never shown: the client only ever sees a generic sentence.

use serde::Serialize;

use crate::domain::role::Role;
use crate::domain::scope::Scope;
use crate::domain::Invalid;
use serde_json::{json, Value};

/// Which field was wrong and why, for `validation_error` responses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The offending field or query parameter (`body` for the body as a whole; dotted path for nested fields).
    pub field: String,
    /// Why it was refused.
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    NotFound(String),
    /// The session is fine but too old for this action: send the password.
    #[error("{0}")]
    ReauthenticationRequired(String),
    /// A valid API token without the scope this operation needs (RFC 6750 §3).
    #[error("insufficient scope")]
    InsufficientScope(Scope),
    /// A person whose role in the organisation is below what the
    /// operation needs.
    #[error("forbidden")]
    Forbidden { needed: Role, held: Role },
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<&'static str> },
    #[error("{0}")]
    Conflict(String),
    #[error("request body is too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("{message}")]
    Validation {
        message: String,
        details: Vec<FieldError>,
    },
    #[error("rate limited")]
    RateLimited { retry_after: u64 },
    #[error("{0}")]
    Upstream(String),
    #[error("{0}")]
    Unavailable(String),
    /// The cause is for the log only; the client sees a generic message.
    #[error("internal error: {0}")]
    Internal(String),
    /// A missing or malformed setting; names the variable, never its value.
    #[error("misconfigured: {0}")]
    Misconfigured(String),
}

impl AppError {
    /// A 422 about one field.
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Self::Validation {
            message: format!("`{field}` {reason}"),
            details: vec![FieldError::new(field, reason)],
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    /// What the health check says of a deployment that cannot run: a
    /// misconfiguration (which names the variable) is a 503.
    pub fn as_unavailable(self) -> Self {
        match self {
            Self::Misconfigured(what) => {
                Self::Unavailable(format!("The Worker is misconfigured: {what}."))
            }
            other => other,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthorized(_) => 401,
            Self::ReauthenticationRequired(_)
            | Self::InsufficientScope(_)
            | Self::Forbidden { .. } => 403,
            Self::NotFound(_) => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::Conflict(_) => 409,
            Self::PayloadTooLarge { .. } => 413,
            Self::UnsupportedMediaType => 415,
            Self::Validation { .. } => 422,
            Self::RateLimited { .. } => 429,
            Self::Internal(_) | Self::Misconfigured(_) => 500,
            Self::Upstream(_) => 502,
            Self::Unavailable(_) => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::ReauthenticationRequired(_) => "reauthentication_required",
            Self::InsufficientScope(_) => "insufficient_scope",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Validation { .. } => "validation_error",
            Self::RateLimited { .. } => "rate_limited",
            Self::Internal(_) | Self::Misconfigured(_) => "internal",
            Self::Upstream(_) => "upstream_error",
            Self::Unavailable(_) => "service_unavailable",
        }
    }

    fn message(&self) -> String {
        match self {
            Self::BadRequest(m)
            | Self::Unauthorized(m)
            | Self::NotFound(m)
            | Self::ReauthenticationRequired(m)
            | Self::Conflict(m)
            | Self::Upstream(m)
            | Self::Unavailable(m) => m.clone(),
            Self::Validation { message, .. } => message.clone(),
            Self::InsufficientScope(scope) => {
                format!("This token lacks the scope {}.", scope.name())
            }
            Self::Forbidden { needed, held } => format!(
                "This needs the {} role in this organisation; yours is {}.",
                needed.as_str(),
                held.as_str()
            ),
            Self::MethodNotAllowed { allow } => {
                format!("This route only accepts {}.", allow.join(", "))
            }
            Self::PayloadTooLarge { limit } => {
                format!("The request body exceeds the limit of {limit} bytes.")
            }
            Self::UnsupportedMediaType => {
                "Request bodies must be sent as application/json.".to_owned()
            }
            Self::RateLimited { retry_after } => {
                format!("Too many requests; retry in {retry_after} seconds.")
            }
            Self::Internal(_) => "An internal error occurred.".to_owned(),
            Self::Misconfigured(what) => format!("The server is misconfigured: {what}."),
        }
    }

    /// The JSON envelope every error has (`openapi.json`, schema `Error`).
    pub fn body(&self) -> Value {
        let mut error = json!({ "code": self.code(), "message": self.message() });
        if let (Self::Validation { details, .. }, Some(fields)) = (self, error.as_object_mut()) {
            fields.insert("details".to_owned(), json!(details));
        }
        json!({ "error": error })
    }

    /// Headers the status itself calls for.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::MethodNotAllowed { allow } => vec![("Allow", allow.join(", "))],
            Self::RateLimited { retry_after } => vec![("Retry-After", retry_after.to_string())],
            Self::Unauthorized(_) => vec![("WWW-Authenticate", "Bearer".to_owned())],
            Self::InsufficientScope(scope) => vec![(
                "WWW-Authenticate",
                format!(
                    "Bearer error=\"insufficient_scope\", scope=\"{}\"",
                    scope.name()
                ),
            )],
            _ => vec![],
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// A domain rule broken by client input is a 422 naming the field.
impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> Self {
        AppError::invalid(&invalid.field, invalid.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = AppError::internal("D1_ERROR: no such table: users at SELECT ...");
        let body = err.body().to_string();
        assert_eq!(err.status(), 500);
        assert!(!body.contains("users"), "{body}");
        assert_eq!(err.body()["error"]["code"], "internal");
    }

    #[test]
    fn validation_errors_name_the_field() {
        let err = AppError::invalid("password", "must be at least 12 characters");
        assert_eq!(err.status(), 422);
        let body = err.body();
        assert_eq!(body["error"]["code"], "validation_error");
        assert_eq!(body["error"]["details"][0]["field"], "password");
    }

    #[test]
    fn a_broken_domain_rule_is_a_422_naming_its_field() {
        let err = AppError::from(Invalid::new("start_date", "must not be after end_date"));
        assert_eq!(err.status(), 422);
        assert_eq!(err.body()["error"]["details"][0]["field"], "start_date");
    }

    #[test]
    fn method_not_allowed_lists_allowed_methods() {
        let err = AppError::MethodNotAllowed {
            allow: vec!["GET", "HEAD"],
        };
        assert_eq!(err.status(), 405);
        assert_eq!(err.headers(), vec![("Allow", "GET, HEAD".to_owned())]);
    }

    #[test]
    fn a_missing_scope_is_a_403_naming_it_in_body_and_header() {
        let err = AppError::InsufficientScope(Scope::UsageRead);
        assert_eq!(err.status(), 403);
        assert_eq!(
            err.body(),
            json!({"error": {"code": "insufficient_scope", "message": "This token lacks the scope usage:read."}})
        );
        assert_eq!(
            err.headers(),
            vec![(
                "WWW-Authenticate",
                r#"Bearer error="insufficient_scope", scope="usage:read""#.to_owned()
            )]
        );
    }

    #[test]
    fn rate_limited_carries_retry_after() {
        let err = AppError::RateLimited { retry_after: 17 };
        assert_eq!(err.status(), 429);
        assert_eq!(err.headers(), vec![("Retry-After", "17".to_owned())]);
    }
}
