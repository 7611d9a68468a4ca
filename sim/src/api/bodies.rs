//! The management API's request bodies and query, validated as OpenRouter does: a
//! field of the wrong type or out of range is a 400 in its error shape naming the
//! field; unknown fields are ignored. Money is read from the JSON number's own text.

use std::collections::HashMap;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::control::LimitReset;
use crate::state::{parse_money, KeyPatch, NewKey, SimError};

type Fields = HashMap<String, Box<RawValue>>;

fn bad(message: impl Into<String>) -> SimError {
    SimError::new(400, message)
}

/// A JSON object's fields, each kept as its raw text.
fn object(body: &Bytes) -> Result<Fields, SimError> {
    serde_json::from_slice::<Fields>(body).map_err(|e| {
        bad(format!(
            "Invalid request body: expected a JSON object ({e})"
        ))
    })
}

fn is_null(raw: &RawValue) -> bool {
    raw.get().trim() == "null"
}

fn string(field: &str, raw: &RawValue) -> Result<String, SimError> {
    serde_json::from_str::<String>(raw.get()).map_err(|_| bad(format!("{field} must be a string")))
}

fn boolean(field: &str, raw: &RawValue) -> Result<bool, SimError> {
    serde_json::from_str::<bool>(raw.get()).map_err(|_| bad(format!("{field} must be a boolean")))
}

fn name(raw: &RawValue) -> Result<String, SimError> {
    let name = string("name", raw)?;
    if name.trim().is_empty() {
        return Err(bad("name must not be empty"));
    }
    Ok(name)
}

/// A non-negative JSON number of at most 10 decimals, or null.
fn limit(raw: &RawValue) -> Result<Option<Decimal>, SimError> {
    if is_null(raw) {
        return Ok(None);
    }
    let text = raw.get().trim();
    if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Err(bad("limit must be a number or null"));
    }
    parse_money("limit", text)
        .map(Some)
        .map_err(|e| bad(e.message))
}

fn limit_reset(raw: &RawValue) -> Result<Option<LimitReset>, SimError> {
    if is_null(raw) {
        return Ok(None);
    }
    serde_json::from_str::<LimitReset>(raw.get())
        .map(Some)
        .map_err(|_| bad("limit_reset must be one of daily, weekly, monthly or null"))
}

/// An ISO 8601 UTC timestamp with seconds, in the future, or null.
fn expires_at(raw: &RawValue, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, SimError> {
    if is_null(raw) {
        return Ok(None);
    }
    let text = string("expires_at", raw)?;
    let at = DateTime::parse_from_rfc3339(text.trim())
        .map_err(|_| {
            bad("expires_at must be an ISO 8601 timestamp with seconds (YYYY-MM-DDTHH:MM:SSZ)")
        })?
        .with_timezone(&Utc);
    if at <= now {
        return Err(bad("expires_at must be in the future"));
    }
    Ok(Some(at))
}

/// `PATCH /api/v1/keys/{hash}`: `name`, `disabled`, `limit` (null clears it),
/// `limit_reset` (null: never resets), `include_byok_in_limit`.
pub(super) fn key_patch(body: &Bytes) -> Result<KeyPatch, SimError> {
    let fields = object(body)?;
    let mut patch = KeyPatch::default();
    if let Some(raw) = fields.get("name") {
        patch.name = Some(name(raw)?);
    }
    if let Some(raw) = fields.get("disabled") {
        patch.disabled = Some(boolean("disabled", raw)?);
    }
    if let Some(raw) = fields.get("limit") {
        patch.limit = Some(limit(raw)?);
    }
    if let Some(raw) = fields.get("limit_reset") {
        patch.limit_reset = Some(limit_reset(raw)?);
    }
    if let Some(raw) = fields.get("include_byok_in_limit") {
        patch.include_byok_in_limit = Some(boolean("include_byok_in_limit", raw)?);
    }
    Ok(patch)
}

/// `POST /api/v1/keys`: `name` (required), `limit`, `limit_reset`,
/// `include_byok_in_limit`, `expires_at`.
pub(super) fn new_key(body: &Bytes, now: DateTime<Utc>) -> Result<NewKey, SimError> {
    let fields = object(body)?;
    let name = match fields.get("name") {
        Some(raw) if !is_null(raw) => name(raw)?,
        _ => return Err(bad("name is required")),
    };
    let opt = |field: &str| fields.get(field).map(AsRef::as_ref);
    Ok(NewKey {
        name,
        limit: opt("limit").map(limit).transpose()?.flatten(),
        limit_reset: opt("limit_reset").map(limit_reset).transpose()?.flatten(),
        include_byok_in_limit: opt("include_byok_in_limit")
            .filter(|raw| !is_null(raw))
            .map(|raw| boolean("include_byok_in_limit", raw))
            .transpose()?
            .unwrap_or(false),
        expires_at: opt("expires_at")
            .map(|raw| expires_at(raw, now))
            .transpose()?
            .flatten(),
    })
}

/// The query of `GET /api/v1/keys`: `(offset, include_disabled, workspace_id)`.
pub(super) fn list_query(
    q: &HashMap<String, String>,
) -> Result<(usize, bool, Option<String>), SimError> {
    let offset = match q.get("offset").map(|o| o.trim()).filter(|o| !o.is_empty()) {
        None => 0,
        Some(o) => o
            .parse::<usize>()
            .map_err(|_| bad("offset must be a non-negative integer"))?,
    };
    let include_disabled = match q.get("include_disabled").map(|v| v.trim()) {
        None | Some("") => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(bad("include_disabled must be true or false")),
    };
    let workspace = q
        .get("workspace_id")
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty());
    Ok((offset, include_disabled, workspace))
}
