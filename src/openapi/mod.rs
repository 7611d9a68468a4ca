//! `GET /openapi.json`: the OpenAPI 3.1 description of every route.
//!
//! The document is generated from the code (`generate`, run natively by
//! `cargo xtask openapi`), checked in as `openapi.json` beside this crate's
//! manifest and embedded at build time; `cargo xtask test` fails when the
//! checked-in copy is stale, and the integration tests validate every real
//! response against it.

use crate::http::reply::Reply;
use crate::http::route::{self, Route};
use watcher_core::api_doc::vocabulary;

#[cfg(feature = "openapi")]
pub mod generate;

pub const ROUTES: &[Route] = &[route::open("GET", "/openapi.json", |_| {
    Box::pin(async { Ok(document()) })
})
.doc::<__path_document>()];

/// The checked-in `openapi.json` without its whitespace (`build.rs`).
pub(crate) const DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.min.json"));

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
    Reply::raw_json(200, DOCUMENT.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_is_openapi_3_1_json() {
        let doc: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/api/v1/stats"]["get"].is_object());
    }

    #[test]
    fn the_served_document_is_the_checked_in_one_without_whitespace() {
        let checked_in: serde_json::Value =
            serde_json::from_str(include_str!("../../openapi.json")).unwrap();
        let served: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
        assert_eq!(served, checked_in);
        assert!(!super::DOCUMENT.contains("\n  "));
        assert!(super::DOCUMENT.len() < include_str!("../../openapi.json").len());
    }
}
