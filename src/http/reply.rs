//! What a handler answers, before it becomes a `worker::Response`.
//!
//! Pure, so status, headers and envelopes are unit-tested natively; the one
//! conversion to the runtime type lives in `http::mod`.

use serde::Serialize;
use serde_json::Value;

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(Value),
    /// JSON already serialised (passed through from a Durable Object).
    RawJson(String),
    Csv(String),
    /// `usage::metrics` text for Prometheus.
    OpenMetrics(String),
    /// A small page of ours (an e-mail link's confirmation button).
    Html(String),
    Empty,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Body,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(status: u16, value: &impl Serialize) -> Result<Self, AppError> {
        let value = serde_json::to_value(value).map_err(AppError::internal)?;
        Ok(Self {
            status,
            body: Body::Json(value),
            headers: Vec::new(),
        })
    }

    pub fn raw_json(status: u16, text: String) -> Self {
        Self {
            status,
            body: Body::RawJson(text),
            headers: Vec::new(),
        }
    }

    pub fn ok(value: &impl Serialize) -> Result<Self, AppError> {
        Self::json(200, value)
    }

    pub fn created(value: &impl Serialize) -> Result<Self, AppError> {
        Self::json(201, value)
    }

    pub fn no_content() -> Self {
        Self {
            status: 204,
            body: Body::Empty,
            headers: Vec::new(),
        }
    }

    pub fn csv(text: String, filename: &str) -> Self {
        Self {
            status: 200,
            body: Body::Csv(text),
            headers: vec![(
                "Content-Disposition".to_owned(),
                format!("attachment; filename=\"{filename}\""),
            )],
        }
    }

    pub fn openmetrics(text: String) -> Self {
        Self {
            status: 200,
            body: Body::OpenMetrics(text),
            headers: Vec::new(),
        }
    }

    pub fn html(text: String) -> Self {
        Self {
            status: 200,
            body: Body::Html(text),
            headers: Vec::new(),
        }
    }

    pub fn error(err: &AppError) -> Self {
        Self {
            status: err.status(),
            body: Body::Json(err.body()),
            headers: err
                .headers()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        match self
            .headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name.to_owned(), value)),
        }
        self
    }

    pub fn content_type(&self) -> Option<&'static str> {
        match self.body {
            Body::Json(_) | Body::RawJson(_) => Some("application/json; charset=utf-8"),
            Body::Csv(_) => Some("text/csv; charset=utf-8"),
            Body::OpenMetrics(_) => Some(crate::usage::metrics::CONTENT_TYPE),
            Body::Html(_) => Some("text/html; charset=utf-8"),
            Body::Empty => None,
        }
    }

    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            Body::Json(value) => value.to_string().into_bytes(),
            Body::RawJson(text) => text.clone().into_bytes(),
            Body::Csv(text) | Body::OpenMetrics(text) | Body::Html(text) => {
                text.clone().into_bytes()
            }
            Body::Empty => Vec::new(),
        }
    }
}

impl From<AppError> for Reply {
    fn from(err: AppError) -> Self {
        Reply::error(&err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_become_envelopes_with_their_headers() {
        let reply = Reply::from(AppError::Unauthorized("Missing bearer token.".into()));
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.content_type(),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            reply.headers,
            vec![("WWW-Authenticate".to_owned(), "Bearer".to_owned())]
        );
        let body: Value = serde_json::from_slice(&reply.body_bytes()).unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }

    #[test]
    fn headers_are_replaced_not_duplicated() {
        let reply = Reply::no_content()
            .with_header("X-A", "1")
            .with_header("x-a", "2");
        assert_eq!(reply.headers, vec![("X-A".to_owned(), "2".to_owned())]);
        assert!(reply.body_bytes().is_empty());
    }
}
