//! HTTP handlers: OpenRouter's `/api/v1/{key,activity,credits}` ([`openrouter`], with
//! their JSON bodies in [`shapes`]), its management API `/api/v1/keys`
//! ([`management`], its bodies read by [`bodies`]), a minimal `/api/v1/chat/completions`
//! ([`inference`]) and the `/_sim` control API ([`control`]).

mod bodies;
mod control;
mod inference;
mod management;
mod openrouter;
mod shapes;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::Query;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Notify;

use crate::control::{ErrorBody, ErrorDetail};
use crate::state::{Sim, SimError};

/// Lets a handler close its TCP connection without sending any response.
#[derive(Clone)]
pub(crate) struct ConnKiller(pub(crate) Arc<Notify>);

type Shared = Arc<Sim>;

pub(crate) fn router(sim: Shared) -> Router {
    Router::new()
        .route("/api/v1/{*rest}", any(openrouter::openrouter))
        .route("/_sim/health", get(control::health))
        .route(
            "/_sim/keys",
            post(control::register_key).get(control::list_keys),
        )
        .route("/_sim/keys/bulk", post(control::register_bulk))
        .route("/_sim/keys/{hash}/usage", post(control::add_usage))
        .route("/_sim/keys/{hash}/truth", get(control::truth))
        .route("/_sim/keys/{hash}/status", post(control::set_status))
        .route(
            "/_sim/clock",
            get(control::get_clock)
                .post(control::set_clock)
                .delete(control::reset_clock),
        )
        .route(
            "/_sim/faults",
            post(control::add_fault)
                .get(control::list_faults)
                .delete(control::clear_faults),
        )
        .route("/_sim/faults/{id}", delete(control::remove_fault))
        .route(
            "/_sim/requests",
            get(control::list_requests).delete(control::clear_requests),
        )
        .route("/_sim/accounts/{id}", get(control::get_account))
        .route("/_sim/accounts/{id}/credits", post(control::set_credits))
        .fallback(control::not_found)
        .with_state(sim)
}

fn json_response<T: Serialize>(status: u16, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut resp = Response::new(Body::from(bytes));
            *resp.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp
        }
        Err(e) => error_response(500, &format!("serialization failed: {e}")),
    }
}

pub(crate) fn error_response(status: u16, message: &str) -> Response {
    error_with_metadata(status, message, None)
}

/// OpenRouter's error shape with its optional `metadata`.
pub(crate) fn error_with_metadata(
    status: u16,
    message: &str,
    metadata: Option<serde_json::Value>,
) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: status,
            message: message.to_string(),
            metadata,
        },
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        error_response(self.status, &self.message)
    }
}

/// An optional JSON body: empty (or whitespace) means the type's default.
fn parse_body<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, SimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_required(body)
}

fn parse_required<T: DeserializeOwned>(body: &Bytes) -> Result<T, SimError> {
    serde_json::from_slice(body).map_err(|e| SimError::new(400, format!("invalid JSON body: {e}")))
}

fn query_map(uri: &Uri) -> Result<HashMap<String, String>, SimError> {
    Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| SimError::new(400, format!("invalid query string: {e}")))
}
