//! OpenRouter's API: `GET /api/v1/key` (also `/api/v1/auth/key`), `/api/v1/activity`
//! and `/api/v1/credits`, with OpenRouter's status codes and error messages. Every
//! request is logged and may be hit by an injected fault first.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::shapes::{ActivityItem, CreditsData, Data, KeyData, Money};
use super::{error_response, json_response, query_map, ConnKiller, Shared};
use crate::control::{FaultRequest, KeyKind, LimitReset, RequestLogEntry};
use crate::data::sha256_hex;
use crate::state::{activity_window, parse_ymd, Auth, KeyView, Sim, SimError};

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
        if let Some(resp) = apply_fault(&sim, seq, f, killer).await {
            return dated(&sim, resp);
        }
    }
    let resp = dispatch(&sim, &method, &uri, key_hash.as_deref());
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

fn current_key(sim: &Sim, key_hash: &str) -> Response {
    let Some(v) = sim.key_view(key_hash) else {
        return error_response(401, "User not found.");
    };
    let limit_remaining = limit_remaining(&v);
    json_response(
        200,
        &Data {
            data: KeyData::new(v, limit_remaining),
        },
    )
}

/// What is left of the key's limit in its current reset period (never negative).
fn limit_remaining(v: &KeyView) -> Option<Decimal> {
    let t = v.totals;
    v.limit.map(|limit| {
        let (spent, byok) = match v.limit_reset {
            None => (t.usage, t.byok),
            Some(LimitReset::Daily) => (t.daily, t.byok_daily),
            Some(LimitReset::Weekly) => (t.weekly, t.byok_weekly),
            Some(LimitReset::Monthly) => (t.monthly, t.byok_monthly),
        };
        let spent = if v.include_byok_in_limit {
            spent + byok
        } else {
            spent
        };
        (limit - spent).max(Decimal::ZERO)
    })
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
    let (workspace_id, user_id) = sim.account_ids(account).unwrap_or_default();
    // The account has one workspace and one user: filtering on any other matches nothing.
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
