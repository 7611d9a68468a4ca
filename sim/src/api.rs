//! HTTP handlers: OpenRouter's `/api/v1/{key,activity,credits}` and the `/_sim` control API.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Extension, Router};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::Notify;

use crate::control::{
    BulkRegisterRequest, ErrorBody, ErrorDetail, FaultCreated, FaultRequest, KeyKind,
    KeyStatusRequest, KeyStatusResponse, RegisterKeyRequest, RequestLogEntry, SetClockRequest,
    SetCreditsRequest, UsageRecordRequest,
};
use crate::data::sha256_hex;
use crate::state::{activity_window, money_text, parse_ymd, Auth, Sim, SimError};

/// Lets a handler close its TCP connection without sending any response.
#[derive(Clone)]
pub(crate) struct ConnKiller(pub(crate) Arc<Notify>);

type Shared = Arc<Sim>;

pub(crate) fn router(sim: Shared) -> Router {
    Router::new()
        .route("/api/v1/{*rest}", any(openrouter))
        .route("/_sim/health", get(health))
        .route("/_sim/keys", post(register_key).get(list_keys))
        .route("/_sim/keys/bulk", post(register_bulk))
        .route("/_sim/keys/{hash}/usage", post(add_usage))
        .route("/_sim/keys/{hash}/truth", get(truth))
        .route("/_sim/keys/{hash}/status", post(set_status))
        .route(
            "/_sim/clock",
            get(get_clock).post(set_clock).delete(reset_clock),
        )
        .route(
            "/_sim/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/_sim/faults/{id}", axum::routing::delete(remove_fault))
        .route("/_sim/requests", get(list_requests).delete(clear_requests))
        .route("/_sim/accounts/{id}", get(get_account))
        .route("/_sim/accounts/{id}/credits", post(set_credits))
        .fallback(not_found)
        .with_state(sim)
}

// ---------------------------------------------------------------------------------------
// Responses

/// A JSON number whose text is the exact decimal (`0.0012345678`), never via `f64`.
pub(crate) struct Money(pub(crate) Decimal);

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(money_text(self.0)).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
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
    let body = ErrorBody {
        error: ErrorDetail {
            code: status,
            message: message.to_string(),
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

// ---------------------------------------------------------------------------------------
// OpenRouter API

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_string())
}

async fn openrouter(
    State(sim): State<Shared>,
    killer: Option<Extension<ConnKiller>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    // Only the hash of the bearer is kept from here on.
    let key_hash = bearer(&headers).map(|k| sha256_hex(&k));
    drop(headers);
    let path = uri.path().to_string();
    let fault = sim.take_fault(key_hash.as_deref(), &path);
    let seq = sim.start_log(RequestLogEntry {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().map(str::to_string),
        key_hash: key_hash.clone(),
        status: None,
        fault: fault.is_some(),
        at: String::new(),
        elapsed_ms: 0,
    });

    if let Some(f) = fault {
        if let Some(ms) = f.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if f.drop_connection == Some(true) {
            if let Some(Extension(k)) = killer {
                k.0.notify_one();
                // The connection task drops this future together with the socket.
                return std::future::pending::<Response>().await;
            }
            let resp = error_response(500, "connection could not be dropped");
            sim.finish_log(seq, Some(500));
            return resp;
        }
        if f.malformed == Some(true) {
            sim.finish_log(seq, Some(200));
            let mut resp = Response::new(Body::from(
                "{\"data\": {\"label\": \"sk-or-v1-0a1...f2e\", \"usage\": 0.12,",
            ));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            return resp;
        }
        if f.status.is_some() || f.retry_after.is_some() {
            let status = f.status.unwrap_or(429);
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            let mut resp = error_response(status, &format!("{reason} (simulated fault)"));
            if let Some(secs) = f.retry_after {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            sim.finish_log(seq, Some(status));
            return resp;
        }
    }

    let resp = dispatch(&sim, &method, &uri, key_hash.as_deref());
    sim.finish_log(seq, Some(resp.status().as_u16()));
    resp
}

fn dispatch(sim: &Sim, method: &Method, uri: &Uri, key_hash: Option<&str>) -> Response {
    let path = uri.path().trim_end_matches('/');
    let known = matches!(
        path,
        "/api/v1/key" | "/api/v1/auth/key" | "/api/v1/activity" | "/api/v1/credits"
    );
    if !known {
        return error_response(404, "Not Found");
    }
    if method != Method::GET {
        return error_response(405, "Method Not Allowed");
    }
    let (kind, account) = match sim.authenticate(key_hash) {
        Auth::Missing => return error_response(401, "No auth credentials found"),
        Auth::Unknown | Auth::Revoked => return error_response(401, "User not found."),
        Auth::Ok { kind, account } => (kind, account),
    };
    let Some(key_hash) = key_hash else {
        return error_response(401, "No auth credentials found");
    };
    match path {
        "/api/v1/key" | "/api/v1/auth/key" => current_key(sim, key_hash),
        "/api/v1/activity" => {
            if kind != KeyKind::Management {
                return error_response(403, "Only management keys can perform this operation");
            }
            activity(sim, &account, uri)
        }
        _ => {
            if kind != KeyKind::Management {
                return error_response(403, "Only management keys can perform this operation");
            }
            credits(sim, &account)
        }
    }
}

#[derive(Serialize)]
struct Data<T> {
    data: T,
}

#[derive(Serialize)]
struct FreeModelDailyRequests {
    limit: u64,
    remaining: u64,
    used: u64,
}

#[derive(Serialize)]
struct RateLimit {
    requests: i64,
    interval: &'static str,
    note: &'static str,
}

#[derive(Serialize)]
struct KeyData {
    label: String,
    limit: Option<Money>,
    limit_reset: Option<&'static str>,
    limit_remaining: Option<Money>,
    include_byok_in_limit: bool,
    usage: Money,
    usage_daily: Money,
    usage_weekly: Money,
    usage_monthly: Money,
    byok_usage: Money,
    byok_usage_daily: Money,
    byok_usage_weekly: Money,
    byok_usage_monthly: Money,
    is_free_tier: bool,
    is_management_key: bool,
    is_provisioning_key: bool,
    expires_at: Option<String>,
    allowed_data_regions: Vec<&'static str>,
    creator_user_id: Option<String>,
    organization_id: Option<String>,
    workspace_id: Option<String>,
    free_model_daily_requests: FreeModelDailyRequests,
    rate_limit: RateLimit,
}

fn current_key(sim: &Sim, key_hash: &str) -> Response {
    let Some(v) = sim.key_view(key_hash) else {
        return error_response(401, "User not found.");
    };
    let t = v.totals;
    let limit_remaining = v.limit.map(|limit| {
        let (spent, byok) = match v.limit_reset {
            None => (t.usage, t.byok),
            Some(crate::control::LimitReset::Daily) => (t.daily, t.byok_daily),
            Some(crate::control::LimitReset::Weekly) => (t.weekly, t.byok_weekly),
            Some(crate::control::LimitReset::Monthly) => (t.monthly, t.byok_monthly),
        };
        let spent = if v.include_byok_in_limit {
            spent + byok
        } else {
            spent
        };
        Money((limit - spent).max(Decimal::ZERO))
    });
    let management = v.kind == KeyKind::Management;
    let data = KeyData {
        label: v.masked,
        limit: v.limit.map(Money),
        limit_reset: v.limit_reset.map(|r| r.as_str()),
        limit_remaining,
        include_byok_in_limit: v.include_byok_in_limit,
        usage: Money(t.usage),
        usage_daily: Money(t.daily),
        usage_weekly: Money(t.weekly),
        usage_monthly: Money(t.monthly),
        byok_usage: Money(t.byok),
        byok_usage_daily: Money(t.byok_daily),
        byok_usage_weekly: Money(t.byok_weekly),
        byok_usage_monthly: Money(t.byok_monthly),
        is_free_tier: v.is_free_tier,
        is_management_key: management,
        is_provisioning_key: management,
        expires_at: None,
        allowed_data_regions: vec!["global"],
        creator_user_id: Some(v.user_id),
        organization_id: None,
        workspace_id: Some(v.workspace_id),
        free_model_daily_requests: FreeModelDailyRequests {
            limit: v.free_limit,
            remaining: v.free_limit.saturating_sub(v.free_used),
            used: v.free_used,
        },
        rate_limit: RateLimit {
            requests: -1,
            interval: "10s",
            note: "This field is deprecated and safe to ignore.",
        },
    };
    json_response(200, &Data { data })
}

#[derive(Serialize)]
struct ActivityItem {
    date: String,
    model: String,
    model_permaslug: String,
    endpoint_id: String,
    provider_name: String,
    usage: Money,
    byok_usage_inference: Money,
    requests: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
    reasoning_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_id: Option<String>,
}

fn activity(sim: &Sim, account: &str, uri: &Uri) -> Response {
    let q = match query_map(uri) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let today = sim.today();
    let (first, last) = activity_window(today);
    let date = match q.get("date").map(|d| d.trim()).filter(|d| !d.is_empty()) {
        None => None,
        Some(text) => match parse_ymd(text) {
            Some(d) if d >= first && d <= last => Some(d),
            Some(_) => {
                return error_response(
                    400,
                    &format!(
                        "Date must be within the last 30 completed UTC days ({first} to {last})"
                    ),
                )
            }
            None => return error_response(400, "Invalid date format, expected YYYY-MM-DD"),
        },
    };
    let by_workspace = match q.get("group_by").map(String::as_str) {
        None | Some("") => false,
        Some("workspace") => true,
        Some(_) => return error_response(400, "group_by must be 'workspace'"),
    };
    let (workspace_id, user_id) = sim.account_ids(account).unwrap_or_default();
    let mut empty = false;
    if let Some(w) = q.get("workspace_id").filter(|w| !w.is_empty()) {
        empty |= *w != workspace_id;
    }
    if let Some(u) = q.get("user_id").filter(|u| !u.is_empty()) {
        empty |= *u != user_id;
    }
    let key_hash = q
        .get("api_key_hash")
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty());
    let rows = if empty {
        Vec::new()
    } else {
        sim.activity(account, key_hash.as_deref(), date, by_workspace)
    };
    let items: Vec<ActivityItem> = rows
        .into_iter()
        .map(|r| ActivityItem {
            date: r.date.to_string(),
            model: r.model,
            model_permaslug: r.permaslug,
            endpoint_id: r.endpoint_id,
            provider_name: r.provider,
            usage: Money(r.usage),
            byok_usage_inference: Money(r.byok_usage_inference),
            requests: r.requests,
            prompt_tokens: r.prompt_tokens,
            completion_tokens: r.completion_tokens,
            reasoning_tokens: r.reasoning_tokens,
            workspace_id: r.workspace_id,
        })
        .collect();
    json_response(200, &Data { data: items })
}

#[derive(Serialize)]
struct CreditsData {
    total_credits: Money,
    total_usage: Money,
}

fn credits(sim: &Sim, account: &str) -> Response {
    let (total_credits, total_usage) = sim
        .credits(account)
        .unwrap_or((Decimal::ZERO, Decimal::ZERO));
    json_response(
        200,
        &Data {
            data: CreditsData {
                total_credits: Money(total_credits),
                total_usage: Money(total_usage),
            },
        },
    )
}

// ---------------------------------------------------------------------------------------
// Control API

async fn not_found(uri: Uri) -> Response {
    error_response(404, &format!("Not Found: {}", uri.path()))
}

async fn health() -> Response {
    json_response(200, &serde_json::json!({"status": "ok"}))
}

async fn register_key(State(sim): State<Shared>, body: Bytes) -> Response {
    let result = parse_body::<RegisterKeyRequest>(&body).and_then(|req| sim.register_key(req));
    match result {
        Ok(k) => json_response(201, &k),
        Err(e) => e.into_response(),
    }
}

async fn list_keys(State(sim): State<Shared>) -> Response {
    json_response(200, &serde_json::json!({ "keys": sim.list_keys() }))
}

async fn register_bulk(State(sim): State<Shared>, body: Bytes) -> Response {
    let result =
        parse_required::<BulkRegisterRequest>(&body).and_then(|req| sim.register_bulk(req));
    match result {
        Ok(r) => json_response(201, &r),
        Err(e) => e.into_response(),
    }
}

async fn add_usage(State(sim): State<Shared>, Path(hash): Path<String>, body: Bytes) -> Response {
    let result =
        parse_required::<UsageRecordRequest>(&body).and_then(|req| sim.add_usage(&hash, req));
    match result {
        Ok(()) => json_response(201, &serde_json::json!({ "ok": true })),
        Err(e) => e.into_response(),
    }
}

async fn truth(State(sim): State<Shared>, Path(hash): Path<String>) -> Response {
    match sim.truth(&hash) {
        Ok(t) => json_response(200, &t),
        Err(e) => e.into_response(),
    }
}

async fn set_status(State(sim): State<Shared>, Path(hash): Path<String>, body: Bytes) -> Response {
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

async fn get_clock(State(sim): State<Shared>) -> Response {
    json_response(200, &sim.clock())
}

async fn set_clock(State(sim): State<Shared>, body: Bytes) -> Response {
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

async fn reset_clock(State(sim): State<Shared>) -> Response {
    json_response(200, &sim.set_clock(None))
}

async fn add_fault(State(sim): State<Shared>, body: Bytes) -> Response {
    let result = parse_body::<FaultRequest>(&body).and_then(|req| sim.add_fault(req));
    match result {
        Ok(id) => json_response(201, &FaultCreated { id }),
        Err(e) => e.into_response(),
    }
}

async fn list_faults(State(sim): State<Shared>) -> Response {
    json_response(200, &sim.faults())
}

async fn clear_faults(State(sim): State<Shared>) -> Response {
    sim.clear_faults();
    json_response(200, &serde_json::json!({ "ok": true }))
}

async fn remove_fault(State(sim): State<Shared>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return error_response(400, "fault id must be a number");
    };
    if sim.remove_fault(id) {
        json_response(200, &serde_json::json!({ "ok": true }))
    } else {
        error_response(404, "unknown fault id")
    }
}

async fn list_requests(State(sim): State<Shared>, uri: Uri) -> Response {
    match query_map(&uri) {
        Ok(q) => json_response(
            200,
            &sim.requests(
                q.get("key_hash").map(String::as_str),
                q.get("path").map(String::as_str),
            ),
        ),
        Err(e) => e.into_response(),
    }
}

async fn clear_requests(State(sim): State<Shared>) -> Response {
    sim.clear_requests();
    json_response(200, &serde_json::json!({ "ok": true }))
}

async fn get_account(State(sim): State<Shared>, Path(id): Path<String>) -> Response {
    match sim.account(&id) {
        Ok(a) => json_response(200, &a),
        Err(e) => e.into_response(),
    }
}

async fn set_credits(State(sim): State<Shared>, Path(id): Path<String>, body: Bytes) -> Response {
    let result = parse_required::<SetCreditsRequest>(&body)
        .and_then(|req| sim.set_credits(&id, req.total_credits.as_deref()));
    match result {
        Ok(a) => json_response(200, &a),
        Err(e) => e.into_response(),
    }
}
