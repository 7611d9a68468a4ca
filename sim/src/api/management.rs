//! OpenRouter's management API of API keys, for a management key of `account`:
//! `GET|POST /api/v1/keys`, `GET|PATCH|DELETE /api/v1/keys/{hash}`. A key of another
//! account, a management key's hash, an unknown or deleted hash: 404.

use axum::body::Bytes;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};

use super::bodies::{key_patch, list_query, new_key};
use super::shapes::{CreatedKey, Data, Deleted, ManagedKeyData};
use super::{error_response, json_response, query_map};
use crate::state::{Sim, SimError};

/// The methods each path of the management API answers.
pub(super) fn allowed(hash: Option<&str>, method: &Method) -> bool {
    match hash {
        None => [Method::GET, Method::POST].contains(method),
        Some(_) => [Method::GET, Method::PATCH, Method::DELETE].contains(method),
    }
}

/// Answers one management request (its method already [`allowed`]) made with the
/// management key `caller_hash` of `account`.
pub(super) fn handle(
    sim: &Sim,
    account: &str,
    caller_hash: &str,
    method: &Method,
    hash: Option<&str>,
    uri: &Uri,
    body: &Bytes,
) -> Response {
    let result = match (hash, method.as_str()) {
        (None, "GET") => list(sim, account, uri),
        (None, _) => create(sim, account, caller_hash, body),
        (Some(h), "GET") => sim.managed_key(account, h).map(|k| {
            json_response(
                200,
                &Data {
                    data: ManagedKeyData::from(k),
                },
            )
        }),
        (Some(h), "PATCH") => key_patch(body)
            .and_then(|patch| sim.update_managed(account, h, patch))
            .map(|k| {
                json_response(
                    200,
                    &Data {
                        data: ManagedKeyData::from(k),
                    },
                )
            }),
        (Some(h), _) => sim
            .delete_managed(account, h)
            .map(|()| json_response(200, &Deleted { deleted: true })),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn list(sim: &Sim, account: &str, uri: &Uri) -> Result<Response, SimError> {
    let (offset, include_disabled, workspace) = list_query(&query_map(uri)?)?;
    // The account has one workspace: any other id lists nothing.
    let own_workspace = sim.workspace_id(account).unwrap_or_default();
    let keys = if workspace.is_some_and(|w| w != own_workspace) {
        Vec::new()
    } else {
        sim.list_managed(account, offset, include_disabled)
    };
    let data: Vec<ManagedKeyData> = keys.into_iter().map(ManagedKeyData::from).collect();
    Ok(json_response(200, &Data { data }))
}

fn create(sim: &Sim, account: &str, caller_hash: &str, body: &Bytes) -> Result<Response, SimError> {
    let new = new_key(body, sim.now())?;
    let (key, view) = sim.create_managed(account, caller_hash, new)?;
    Ok(json_response(
        201,
        &CreatedKey {
            data: ManagedKeyData::from(view),
            key,
        },
    ))
}

/// 405 for a management path and a method it does not answer.
pub(super) fn not_allowed() -> Response {
    error_response(405, "Method Not Allowed")
}
