//! `GET /openapi.json`: the OpenAPI 3.1 description of every route.
//!
//! The document is generated from the code (`generate`, run natively by
//! `cargo xtask openapi`), checked in as `openapi.json` beside this crate's
//! manifest and embedded at build time; `cargo xtask test` fails when the
//! checked-in copy is stale, and the integration tests validate every real
//! response against it.

use crate::http::reply::{Body, Reply};
use crate::http::route::{self, Route};
use watcher_core::api_doc::vocabulary;

#[cfg(feature = "openapi")]
pub mod generate;

pub const ROUTES: &[Route] = &[route::open("GET", "/openapi.json", |_| {
    Box::pin(async { Ok(document()) })
})
.doc::<__path_document>()];

pub(crate) const DOCUMENT: &str = include_str!("../../openapi.json");

/// This OpenAPI document
///
/// The OpenAPI 3.1 description of every route, body and error. An integration test validates real responses against it. No authentication.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    tag = "system",
    responses(
        (status = 200, description = "The document.", body = vocabulary::schemas::OpenApiDocument),
    )
)]
pub fn document() -> Reply {
    match serde_json::from_str(DOCUMENT) {
        Ok(value) => Reply {
            status: 200,
            body: Body::Json(value),
            headers: Vec::new(),
        },
        Err(e) => Reply::error(&crate::error::AppError::internal(e)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_is_openapi_3_1_json() {
        let doc: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/api/v1/stats"]["get"].is_object());
    }
}
