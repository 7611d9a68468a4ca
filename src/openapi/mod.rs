//! `GET /openapi.json`: the OpenAPI 3.1 description of every route.
//!
//! The document is generated from the code (`generate`, run natively by
//! `cargo xtask openapi`), checked in as `openapi.json` beside this crate's
//! manifest and served from the static assets (`cargo xtask build` writes
//! `public/openapi.json`); `cargo xtask test` fails when the
//! checked-in copy is stale, and the integration tests validate every real
//! response against it.

use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::{self, Route};
use watcher_core::api_doc::vocabulary;

#[cfg(feature = "openapi")]
pub mod generate;

pub const ROUTES: &[Route] =
    &[route::open("GET", "/openapi.json", |cx| Box::pin(document(cx))).doc::<__path_document>()];

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
pub async fn document(cx: &Ctx<'_>) -> AppResult<Reply> {
    // `cargo xtask build` writes it into the static assets without its
    // whitespace; `wrangler.toml` routes `/openapi.json` to the Worker, so
    // the asset is reached only through the binding.
    let missing = |e: worker::Error| {
        AppError::Misconfigured(format!(
            "the API document is not in the static assets ({e})"
        ))
    };
    let mut answer = cx
        .app
        .env
        .assets("ASSETS")
        .map_err(missing)?
        .fetch("https://assets.local/openapi.json", None)
        .await
        .map_err(missing)?;
    if answer.status_code() != 200 {
        return Err(AppError::Misconfigured(format!(
            "the API document is not in the static assets (HTTP {})",
            answer.status_code()
        )));
    }
    Ok(Reply::raw_json(200, answer.text().await.map_err(missing)?))
}
