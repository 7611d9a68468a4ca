//! The `/_sim` control API: thin handlers over `Sim`'s methods, with the request and
//! response bodies of [`crate::control`].

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::{error_response, json_response, parse_body, parse_required, query_map, Shared};
use crate::control::{
    BulkRegisterRequest, FaultCreated, FaultRequest, KeyStatusRequest, KeyStatusResponse,
    RegisterKeyRequest, SetClockRequest, SetCreditsRequest, UsageRecordRequest,
};
use crate::state::SimError;

pub(super) async fn not_found(uri: Uri) -> Response {
    error_response(404, &format!("Not Found: {}", uri.path()))
}

pub(super) async fn health() -> Response {
    json_response(200, &serde_json::json!({"status": "ok"}))
}

pub(super) async fn register_key(State(sim): State<Shared>, body: Bytes) -> Response {
    let result = parse_body::<RegisterKeyRequest>(&body).and_then(|req| sim.register_key(req));
    match result {
        Ok(k) => json_response(201, &k),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn list_keys(State(sim): State<Shared>) -> Response {
    json_response(200, &serde_json::json!({ "keys": sim.list_keys() }))
}

pub(super) async fn register_bulk(State(sim): State<Shared>, body: Bytes) -> Response {
    let result =
        parse_required::<BulkRegisterRequest>(&body).and_then(|req| sim.register_bulk(req));
    match result {
        Ok(r) => json_response(201, &r),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn add_usage(
    State(sim): State<Shared>,
    Path(hash): Path<String>,
    body: Bytes,
) -> Response {
    let result =
        parse_required::<UsageRecordRequest>(&body).and_then(|req| sim.add_usage(&hash, req));
    match result {
        Ok(()) => json_response(201, &serde_json::json!({ "ok": true })),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn truth(State(sim): State<Shared>, Path(hash): Path<String>) -> Response {
    match sim.truth(&hash) {
        Ok(t) => json_response(200, &t),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn set_status(
    State(sim): State<Shared>,
    Path(hash): Path<String>,
    body: Bytes,
) -> Response {
    let result = parse_required::<KeyStatusRequest>(&body)
        .and_then(|req| sim.set_revoked(&hash, req.revoked).map(|()| req.revoked));
    match result {
        Ok(revoked) => json_response(
            200,
            &KeyStatusResponse {
                key_hash: hash.to_ascii_lowercase(),
                revoked,
            },
        ),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn get_clock(State(sim): State<Shared>) -> Response {
    json_response(200, &sim.clock())
}

pub(super) async fn set_clock(State(sim): State<Shared>, body: Bytes) -> Response {
    let result = parse_required::<SetClockRequest>(&body).and_then(|req| {
        DateTime::parse_from_rfc3339(req.now.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| SimError::unprocessable(format!("now: not RFC 3339: {e}")))
    });
    match result {
        Ok(t) => json_response(200, &sim.set_clock(Some(t))),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn reset_clock(State(sim): State<Shared>) -> Response {
    json_response(200, &sim.set_clock(None))
}

pub(super) async fn add_fault(State(sim): State<Shared>, body: Bytes) -> Response {
    let result = parse_body::<FaultRequest>(&body).and_then(|req| sim.add_fault(req));
    match result {
        Ok(id) => json_response(201, &FaultCreated { id }),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn list_faults(State(sim): State<Shared>) -> Response {
    json_response(200, &sim.faults())
}

pub(super) async fn clear_faults(State(sim): State<Shared>) -> Response {
    sim.clear_faults();
    json_response(200, &serde_json::json!({ "ok": true }))
}

pub(super) async fn remove_fault(State(sim): State<Shared>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return error_response(400, "fault id must be a number");
    };
    if sim.remove_fault(id) {
        json_response(200, &serde_json::json!({ "ok": true }))
    } else {
        error_response(404, "unknown fault id")
    }
}

pub(super) async fn list_requests(State(sim): State<Shared>, uri: Uri) -> Response {
    match query_map(&uri) {
        Ok(q) => json_response(
            200,
            &sim.requests(
                q.get("key_hash").map(String::as_str),
                q.get("path").map(String::as_str),
                q.get("method").map(String::as_str),
            ),
        ),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn clear_requests(State(sim): State<Shared>) -> Response {
    sim.clear_requests();
    json_response(200, &serde_json::json!({ "ok": true }))
}

pub(super) async fn get_account(State(sim): State<Shared>, Path(id): Path<String>) -> Response {
    match sim.account(&id) {
        Ok(a) => json_response(200, &a),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn set_credits(
    State(sim): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let result = parse_required::<SetCreditsRequest>(&body)
        .and_then(|req| sim.set_credits(&id, req.total_credits.as_deref()));
    match result {
        Ok(a) => json_response(200, &a),
        Err(e) => e.into_response(),
    }
}
