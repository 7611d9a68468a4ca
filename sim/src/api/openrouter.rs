//! OpenRouter's API: `GET /api/v1/key` (also `/api/v1/auth/key`), `/api/v1/activity`
//! and `/api/v1/credits` here, the management API `/api/v1/keys[/{hash}]`
//! ([`super::management`]) and `POST /api/v1/chat/completions` ([`super::inference`]),
//! with OpenRouter's status codes and error messages. Every request is logged and may be
//! hit by an injected fault first.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::shapes::{ActivityItem, CreditsData, Data, KeyData, Money};
use super::{error_response, inference, json_response, management, query_map, ConnKiller, Shared};
use crate::control::{FaultRequest, KeyKind, RequestLogEntry};
use crate::data::sha256_hex;
use crate::state::{activity_window, limit_remaining, parse_ymd, Auth, Sim, SimError};

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_string())
}

pub(super) async fn openrouter(
    State(sim): State<Shared>,
    killer: Option<Extension<ConnKiller>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Only the hash of the bearer is kept from here on.
    let key_hash = bearer(&headers).map(|k| sha256_hex(&k));
    drop(headers);
    let path = uri.path().to_string();
    let fault = sim.take_fault(key_hash.as_deref(), method.as_str(), &path);
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
        if let Some(resp) = apply_fault(&sim, seq, f, killer).await {
            return dated(&sim, resp);
        }
    }
    let request = Request {
        method: &method,
        uri: &uri,
        key_hash: key_hash.as_deref(),
        body: &body,
        seq,
    };
    let resp = dispatch(&sim, &request);
    sim.finish_log(seq, Some(resp.status().as_u16()));
    dated(&sim, resp)
}

/// Every answer carries the simulator's clock in `Date`, as OpenRouter's
/// carry its own: the usage counters reset on that clock, and a frozen or
/// moved clock must show there too (hyper adds the host's time only when
/// the header is absent).
fn dated(sim: &Sim, mut resp: Response) -> Response {
    let date = sim.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(value) = HeaderValue::from_str(&date) {
        resp.headers_mut().insert(header::DATE, value);
    }
    resp
}

/// Applies a fault to the request logged as `seq`: the answer (or a connection that is
/// never answered), or `None` when the request goes on normally after the delay.
async fn apply_fault(
    sim: &Sim,
    seq: u64,
    f: FaultRequest,
    killer: Option<Extension<ConnKiller>>,
) -> Option<Response> {
    if let Some(ms) = f.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if f.drop_connection == Some(true) {
        if let Some(Extension(k)) = killer {
            k.0.notify_one();
            // The connection task drops this future together with the socket.
            return Some(std::future::pending::<Response>().await);
        }
        let resp = error_response(500, "connection could not be dropped");
        sim.finish_log(seq, Some(500));
        return Some(resp);
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
        return Some(resp);
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
        return Some(resp);
    }
    None
}

/// One request to OpenRouter's API, as the handlers need it.
struct Request<'a> {
    method: &'a Method,
    uri: &'a Uri,
    key_hash: Option<&'a str>,
    body: &'a Bytes,
    /// Its number in the request log.
    seq: u64,
}

/// The paths the simulator serves.
#[derive(Clone, Copy)]
enum Route<'a> {
    CurrentKey,
    Activity,
    Credits,
    /// The management API: the listing (`None`) or one key by hash.
    Keys(Option<&'a str>),
    Chat,
}

impl<'a> Route<'a> {
    fn of(path: &'a str) -> Option<Route<'a>> {
        match path {
            "/api/v1/key" | "/api/v1/auth/key" => Some(Route::CurrentKey),
            "/api/v1/activity" => Some(Route::Activity),
            "/api/v1/credits" => Some(Route::Credits),
            "/api/v1/keys" => Some(Route::Keys(None)),
            "/api/v1/chat/completions" => Some(Route::Chat),
            _ => path
                .strip_prefix("/api/v1/keys/")
                .filter(|h| !h.is_empty() && !h.contains('/'))
                .map(|h| Route::Keys(Some(h))),
        }
    }

    fn allows(self, method: &Method) -> bool {
        match self {
            Route::Keys(hash) => management::allowed(hash, method),
            Route::Chat => method == Method::POST,
            _ => method == Method::GET,
        }
    }
}

fn dispatch(sim: &Sim, req: &Request<'_>) -> Response {
    let path = req.uri.path().trim_end_matches('/');
    let Some(route) = Route::of(path) else {
        return error_response(404, "Not Found");
    };
    if !route.allows(req.method) {
        return management::not_allowed();
    }
    let (kind, account) = match sim.authenticate(req.key_hash) {
        Auth::Missing => return error_response(401, "No auth credentials found"),
        Auth::Unknown => return error_response(401, "User not found."),
        Auth::Disabled => return error_response(401, "API key is disabled"),
        Auth::Ok { kind, account } => (kind, account),
    };
    let Some(key_hash) = req.key_hash else {
        return error_response(401, "No auth credentials found");
    };
    let management = kind == KeyKind::Management;
    match route {
        Route::CurrentKey => current_key(sim, key_hash),
        // Management keys cannot call models: OpenRouter knows no user for them there.
        Route::Chat if management => error_response(401, "User not found."),
        Route::Chat => inference::chat(sim, key_hash, req.seq, req.body),
        _ if !management => error_response(403, "Only management keys can perform this operation"),
        Route::Activity => activity(sim, &account, req.uri),
        Route::Credits => credits(sim, &account),
        Route::Keys(hash) => {
            management::handle(sim, &account, key_hash, req.method, hash, req.uri, req.body)
        }
    }
}

fn current_key(sim: &Sim, key_hash: &str) -> Response {
    let Some(v) = sim.key_view(key_hash) else {
        return error_response(401, "User not found.");
    };
    let limit_remaining =
        limit_remaining(v.limit, v.limit_reset, v.include_byok_in_limit, &v.totals);
    json_response(
        200,
        &Data {
            data: KeyData::new(v, limit_remaining),
        },
    )
}

fn activity(sim: &Sim, account: &str, uri: &Uri) -> Response {
    let q = match query_map(uri) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let date = match activity_date(sim, &q) {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let by_workspace = match q.get("group_by").map(String::as_str) {
        None | Some("") => false,
        Some("workspace") => true,
        Some(_) => return error_response(400, "group_by must be 'workspace'"),
    };
    // The account has one workspace: filtering on any other matches nothing.
    let other_workspace = q
        .get("workspace_id")
        .filter(|w| !w.is_empty())
        .is_some_and(|w| Some(w) != sim.workspace_id(account).as_ref());
    // Its keys are created by several members: `user_id` keeps the keys of one of them
    // (an id that created none of the account's keys matches nothing).
    let user_id = q
        .get("user_id")
        .map(String::as_str)
        .filter(|u| !u.is_empty());
    let key_hash = q
        .get("api_key_hash")
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty());
    let rows = if other_workspace {
        Vec::new()
    } else {
        sim.activity(account, key_hash.as_deref(), user_id, date, by_workspace)
    };
    let items: Vec<ActivityItem> = rows.into_iter().map(ActivityItem::from).collect();
    json_response(200, &Data { data: items })
}

/// The `date` filter of `/activity`: absent, or a day of the activity window.
fn activity_date(sim: &Sim, q: &HashMap<String, String>) -> Result<Option<NaiveDate>, SimError> {
    let Some(text) = q.get("date").map(|d| d.trim()).filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    let (first, last) = activity_window(sim.today());
    match parse_ymd(text) {
        Some(d) if d >= first && d <= last => Ok(Some(d)),
        Some(_) => Err(SimError::new(
            400,
            format!("Date must be within the last 30 completed UTC days ({first} to {last})"),
        )),
        None => Err(SimError::new(
            400,
            "Invalid date format, expected YYYY-MM-DD",
        )),
    }
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
