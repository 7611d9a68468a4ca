//! The API contract: real responses checked against `openapi.json`.
//!
//! `openapi.json` (beside `Cargo.toml`, also served at `GET /openapi.json`) is
//! the one description of every route. Integration tests call
//! [`assert_documented`] on the responses they get, so a handler that drifts
//! from the document (a field added, renamed, retyped, a status not listed)
//! fails a test instead of surprising a client.
//!
//! Rules:
//! - `path_template` is the document's path key (`/api/keys/{id}`), `method`
//!   any case.
//! - The status must be listed for that operation. The one exception is 405:
//!   a documented path answers 405 to every method it does not document, which
//!   the document describes once as `#/components/responses/MethodNotAllowed`;
//!   a 405 for such a method is checked against that response.
//! - A JSON response body is validated (JSON Schema 2020-12, formats asserted,
//!   `$ref`s resolved into `#/components/...`) against the schema of its
//!   `application/json` content. A response documented without content must
//!   come with an empty body, passed as `Value::Null`. A non-JSON body
//!   (`text/csv`) is passed as `Value::String` of its text.
//! - Needs no server: the unit tests below run in the integration test binary.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};

const DOCUMENT_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
/// The operation keys of an OpenAPI Path Item object.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
const JSON: &str = "application/json";

/// The parsed `openapi.json`, read once per test binary.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let text = std::fs::read_to_string(DOCUMENT_PATH)
            .unwrap_or_else(|e| panic!("cannot read {DOCUMENT_PATH}: {e}"));
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{DOCUMENT_PATH} is not valid JSON: {e}"))
    })
}

/// Panics with a readable message unless `body` (already parsed JSON; pass
/// `serde_json::Value::Null` for empty bodies) is a documented response of
/// `method` `path_template` with `status` in openapi.json, validated against
/// its schema (with `$ref` resolution into components).
pub fn assert_documented(method: &str, path_template: &str, status: u16, body: &Value) {
    let what = format!(
        "{} {path_template} -> {status}",
        method.to_ascii_uppercase()
    );
    let (response, pointer) = match response_of(method, path_template, status) {
        Ok(found) => found,
        Err(why) => panic!("contract: {what}: {why}\nbody: {}", show(body)),
    };
    if let Err(why) = check_body(response, &pointer, body) {
        panic!("contract: {what}: {why}\nbody: {}", show(body));
    }
}

/// Panics unless the headers of a response include every header the document
/// marks required for it, and the documented ones present have valid values
/// (integers where the schema says integer). Names compare case-insensitively;
/// undocumented headers are allowed. Pass e.g.
/// `resp.headers().iter().map(|(k, v)| (k.as_str(), v.to_str().unwrap_or("")))`.
pub fn assert_documented_headers<I, K, V>(
    method: &str,
    path_template: &str,
    status: u16,
    headers: I,
) where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let what = format!(
        "{} {path_template} -> {status}",
        method.to_ascii_uppercase()
    );
    let present: HashMap<String, String> = headers
        .into_iter()
        .map(|(k, v)| (k.as_ref().to_ascii_lowercase(), v.as_ref().to_owned()))
        .collect();
    let (response, pointer) = response_of(method, path_template, status)
        .unwrap_or_else(|why| panic!("contract: {what}: {why}"));
    let Some(documented) = response.get("headers").and_then(Value::as_object) else {
        return;
    };
    for (name, header) in documented {
        let header = resolve(header);
        let required = header.get("required").and_then(Value::as_bool) == Some(true);
        let Some(text) = present.get(&name.to_ascii_lowercase()) else {
            if required {
                panic!(
                    "contract: {what}: required header `{name}` is missing; got {:?}",
                    present.keys().collect::<Vec<_>>()
                );
            }
            continue;
        };
        let Some(schema) = header.get("schema") else {
            continue;
        };
        let is_integer = resolve(schema).get("type").and_then(Value::as_str) == Some("integer");
        let value = if is_integer {
            match text.trim().parse::<i64>() {
                Ok(n) => json!(n),
                Err(_) => panic!("contract: {what}: header `{name}: {text}` is not an integer"),
            }
        } else {
            json!(text)
        };
        if let Err(errors) = validate(schema, &format!("{pointer}/headers/{name}"), &value) {
            panic!(
                "contract: {what}: header `{name}: {text}` does not match its schema:\n{errors}"
            );
        }
    }
}

/// Panics unless `body` matches `#/components/responses/{name}` (for answers
/// that belong to no operation, e.g. `RouteNotFound` for an unknown path).
pub fn assert_component_response(name: &str, body: &Value) {
    let pointer = format!("/components/responses/{name}");
    let response = document()
        .pointer(&pointer)
        .unwrap_or_else(|| panic!("contract: no response `{name}` in components"));
    if let Err(why) = check_body(response, &pointer, body) {
        panic!(
            "contract: component response {name}: {why}\nbody: {}",
            show(body)
        );
    }
}

/// Every documented operation as (method upper-case, path).
pub fn documented_operations() -> Vec<(String, String)> {
    let paths = document()["paths"]
        .as_object()
        .expect("openapi.json has no `paths` object");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| (m.to_ascii_uppercase(), path.clone()))
        })
        .collect()
}

/// The documented Response object (references followed) and a JSON pointer
/// naming it, or why there is none.
fn response_of(method: &str, path: &str, status: u16) -> Result<(&'static Value, String), String> {
    let doc = document();
    let method = method.to_ascii_lowercase();
    let item = doc["paths"]
        .get(path)
        .ok_or_else(|| format!("path `{path}` is not in openapi.json"))?;
    let Some(operation) = item
        .get(&method)
        .filter(|_| METHODS.contains(&method.as_str()))
    else {
        let allowed: Vec<String> = METHODS
            .iter()
            .filter(|m| item.get(**m).is_some())
            .map(|m| m.to_ascii_uppercase())
            .collect();
        if status == 405 {
            let pointer = "/components/responses/MethodNotAllowed".to_owned();
            let response = doc
                .pointer(&pointer)
                .ok_or("405 is not described (components.responses.MethodNotAllowed)")?;
            return Ok((resolve(response), pointer));
        }
        return Err(format!(
            "operation `{}` is not documented for this path (documented: {})",
            method.to_ascii_uppercase(),
            allowed.join(", ")
        ));
    };
    let responses = operation
        .get("responses")
        .and_then(Value::as_object)
        .ok_or("the operation has no `responses`")?;
    let key = status.to_string();
    let response = responses.get(&key).ok_or_else(|| {
        format!(
            "status {status} is not documented (documented: {})",
            responses.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    })?;
    let pointer = format!(
        "/paths/{}/{method}/responses/{key}",
        path.replace('~', "~0").replace('/', "~1")
    );
    Ok((resolve(response), pointer))
}

fn check_body(response: &Value, pointer: &str, body: &Value) -> Result<(), String> {
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return match body {
            Value::Null => Ok(()),
            _ => Err("the response is documented without a body, but one was given".to_owned()),
        };
    };
    let (media, media_type) = match content.get(JSON) {
        Some(media) => (JSON, media),
        None => {
            let (media, media_type) = content
                .iter()
                .next()
                .ok_or("the response has an empty `content`")?;
            if !body.is_string() {
                return Err(format!(
                    "a `{media}` body must be passed as a JSON string of its text"
                ));
            }
            (media.as_str(), media_type)
        }
    };
    let schema = media_type
        .get("schema")
        .ok_or_else(|| format!("`{media}` content has no schema"))?;
    let key = format!("{pointer}/content/{}", media.replace('/', "~1"));
    validate(schema, &key, body)
        .map_err(|errors| format!("the `{media}` body does not match its schema:\n{errors}"))
}

/// Validates `instance` against `schema` (a schema of the document, whose
/// `$ref`s point into `#/components`). Compiled validators are cached by key.
fn validate(schema: &Value, key: &str, instance: &Value) -> Result<(), String> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let cached = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(key)
        .cloned();
    let validator = match cached {
        Some(validator) => validator,
        None => {
            let validator = Arc::new(compile(schema).map_err(|e| format!("schema error: {e}"))?);
            cache
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(key.to_owned(), validator.clone());
            validator
        }
    };
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .take(20)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("  at `{}`: {e}", if at.is_empty() { "/" } else { &at })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// A standalone 2020-12 schema: the document's schema, with the document's
/// `components` beside it so `#/components/...` references resolve.
fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": document()["components"],
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| e.to_string())
}

/// Follows local references (`#/...`) of OpenAPI Reference objects.
fn resolve(value: &'static Value) -> &'static Value {
    let mut current = value;
    for _ in 0..16 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.strip_prefix('#').unwrap_or_else(|| {
                    panic!("contract: only local references are supported: {reference}")
                });
                current = document()
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("contract: dangling reference {reference}"));
            }
            None => return current,
        }
    }
    panic!("contract: reference cycle at {value}")
}

fn show(body: &Value) -> String {
    let text = serde_json::to_string_pretty(body).unwrap_or_else(|_| body.to_string());
    const MAX: usize = 4000;
    if text.len() > MAX {
        let mut end = MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}… ({} bytes)", &text[..end], text.len())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `check`, expecting it to panic; returns the panic message.
    fn rejection(check: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let err = std::panic::catch_unwind(check).expect_err("the contract accepted it");
        err.downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    fn snapshot() -> Value {
        json!({
            "taken_at": "2026-11-25T20:00:00Z",
            "limit": "25",
            "limit_remaining": null,
            "limit_reset": "monthly",
            "usage": "12.0153",
            "usage_daily": "0.5",
            "usage_weekly": "3",
            "usage_monthly": "0",
            "is_free_tier": false
        })
    }

    fn key() -> Value {
        json!({
            "id": 7,
            "name": "prod",
            "kind": "inference",
            "key_preview": "sk-or-v1-…ab12",
            "is_active": true,
            "validation_status": "valid",
            "last_validated_at": "2026-11-25T20:00:00Z",
            "last_synced_at": null,
            "last_sync_error": null,
            "created_at": "2026-11-25T20:00:00Z",
            "updated_at": "2026-11-25T20:00:00Z",
            "watched_via": null,
            "added_by": 3,
            "creator_user_id": "user_2abcdefghijklmnopqrstuvwxyz",
            "drift": null,
            "snapshot": snapshot()
        })
    }

    fn stats() -> Value {
        json!({
            "summary": {
                "total_requests": 12,
                "total_cost": "12.0153",
                "total_tokens_input": 1000,
                "total_tokens_output": 200
            },
            "period": { "start_date": "2026-10-27", "end_date": "2026-11-25", "days": 30 }
        })
    }

    /// The check every test response goes through (`Call::send`) fails the
    /// test on a field the document does not have: drift cannot pass.
    #[test]
    #[should_panic(expected = "contract: GET /health -> 200")]
    fn a_drifted_field_fails_the_check_every_response_goes_through() {
        let body = json!({ "status": "ok", "database": "ok", "uptime": 3 });
        let res = crate::helpers::Res {
            status: 200,
            headers: reqwest::header::HeaderMap::new(),
            text: body.to_string(),
            json: body,
        };
        crate::helpers::check_contract("GET", "http://127.0.0.1:1/health", &res);
    }

    #[test]
    fn the_same_check_passes_the_documented_shape() {
        let body = json!({ "status": "ok", "database": "ok" });
        let res = crate::helpers::Res {
            status: 200,
            headers: reqwest::header::HeaderMap::new(),
            text: body.to_string(),
            json: body,
        };
        crate::helpers::check_contract("GET", "http://127.0.0.1:1/health", &res);
    }

    #[test]
    fn accepts_documented_responses() {
        assert_documented("GET", "/api/v1/stats", 200, &stats());
        let mut detail = key();
        detail["budgets"] = json!([]);
        detail["runway"] = Value::Null;
        assert_documented("get", "/api/keys/{id}", 200, &detail);
        let mut no_snapshot = key();
        no_snapshot["snapshot"] = Value::Null;
        assert_documented("PATCH", "/api/keys/{id}", 200, &no_snapshot);
        let mut created = key();
        created["validation_detail"] = json!("OpenRouter rejected this key.");
        assert_documented("POST", "/api/keys", 201, &created);
        assert_documented(
            "POST",
            "/api/keys/{id}/sync",
            200,
            &json!({ "key": key(), "sync": { "status": "failed", "error": "401" } }),
        );
        assert_documented(
            "GET",
            "/api/keys",
            200,
            &json!({ "items": [key()], "pagination": { "page": 1, "limit": 100, "total": 1, "pages": 1 } }),
        );
        assert_documented(
            "GET",
            "/api/tokens",
            200,
            &json!([{
                "id": 1, "name": "ci", "prefix": "or_api_AbC-_9",
                "created_at": "2026-11-25T20:00:00Z", "last_used_at": null, "is_active": true,
                "scopes": ["metrics:read"], "api_key_ids": [3], "expires_at": "2027-03-04T00:00:00Z",
                "expired": false
            }]),
        );
        let mut watched = key();
        watched["key_preview"] = json!("sk-or-v1-0e6...c96");
        watched["watched_via"] = json!(3);
        assert_documented(
            "POST",
            "/api/keys/import",
            201,
            &json!({ "items": [watched] }),
        );
        assert_documented(
            "GET",
            "/api/keys/untracked",
            200,
            &json!({
                "items": [{
                    "hash": "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943",
                    "name": "staging", "label": "sk-or-v1-0e6...c96", "disabled": false,
                    "limit": null, "limit_reset": null, "usage": "1.5", "usage_monthly": "0.25",
                    "management_key_id": 3
                }],
                "incomplete": [{ "management_key_id": 4, "reason": "its listing could not be read" }]
            }),
        );
        assert_documented("DELETE", "/api/tokens/{id}", 204, &Value::Null);
        assert_documented("OPTIONS", "/api/v1/usage", 204, &Value::Null);
        assert_documented(
            "GET",
            "/health",
            200,
            &json!({ "status": "ok", "database": "ok" }),
        );
        assert_documented(
            "GET",
            "/api/usage.csv",
            200,
            &json!("date,model,api_key_id,requests_count,tokens_input,tokens_output,cost\r\n"),
        );
        assert_documented(
            "GET",
            "/api/v1/usage",
            422,
            &json!({ "error": {
                "code": "validation_error",
                "message": "`start_date` is required",
                "details": [{ "field": "start_date", "reason": "is required" }]
            } }),
        );
        assert_documented(
            "GET",
            "/api/auth/me",
            401,
            &json!({ "error": { "code": "unauthorized", "message": "Missing, invalid or expired session token." } }),
        );
        // 405 belongs to no operation: any documented path, any other method.
        assert_documented(
            "PUT",
            "/api/keys/{id}",
            405,
            &json!({ "error": { "code": "method_not_allowed", "message": "This route only accepts GET, PATCH, DELETE." } }),
        );
        assert_component_response(
            "RouteNotFound",
            &json!({ "error": { "code": "not_found", "message": "No route matches this path." } }),
        );
    }

    #[test]
    fn rejects_a_missing_required_field() {
        let mut body = stats();
        body["summary"]
            .as_object_mut()
            .unwrap()
            .remove("total_cost");
        let message = rejection(move || assert_documented("GET", "/api/v1/stats", 200, &body));
        assert!(message.contains("total_cost"), "{message}");
        let mut created = key();
        created.as_object_mut().unwrap().remove("snapshot");
        created["validation_detail"] = Value::Null;
        rejection(move || assert_documented("POST", "/api/keys", 201, &created));
    }

    #[test]
    fn rejects_an_extra_field() {
        let mut body = key();
        body["key"] = json!("sk-or-v1-secret");
        let message = rejection(move || assert_documented("GET", "/api/keys/{id}", 200, &body));
        assert!(message.contains("key"), "{message}");
        // The creation-only field is not part of the plain view.
        let mut body = key();
        body["validation_detail"] = Value::Null;
        rejection(move || assert_documented("GET", "/api/keys/{id}", 200, &body));
        let body = json!({ "error": { "code": "not_found", "message": "x", "stack": "..." } });
        rejection(move || assert_documented("GET", "/api/keys/{id}", 404, &body));
    }

    #[test]
    fn rejects_a_wrong_type_or_format() {
        // Money is a decimal string, never a JSON number.
        let mut body = stats();
        body["summary"]["total_cost"] = json!(12.0153);
        let message = rejection(move || assert_documented("GET", "/api/v1/stats", 200, &body));
        assert!(message.contains("total_cost"), "{message}");
        let mut body = key();
        body["created_at"] = json!("2026-11-25 20:00:00");
        rejection(move || assert_documented("GET", "/api/keys/{id}", 200, &body));
        let mut body = stats();
        body["period"]["start_date"] = json!("2026-02-30");
        rejection(move || assert_documented("GET", "/api/v1/stats", 200, &body));
        // An error code that does not belong to the status.
        let body = json!({ "error": { "code": "not_found", "message": "nope" } });
        rejection(move || assert_documented("GET", "/api/auth/me", 401, &body));
        // A CSV body must be passed as text.
        rejection(|| assert_documented("GET", "/api/usage.csv", 200, &json!({ "a": 1 })));
    }

    #[test]
    fn rejects_undocumented_statuses_and_operations() {
        let message = rejection(|| assert_documented("GET", "/api/v1/keys", 404, &Value::Null));
        assert!(
            message.contains("status 404 is not documented"),
            "{message}"
        );
        let message = rejection(|| assert_documented("PUT", "/api/keys", 200, &json!({})));
        assert!(message.contains("not documented"), "{message}");
        let message = rejection(|| assert_documented("GET", "/api/nope", 200, &json!({})));
        assert!(message.contains("not in openapi.json"), "{message}");
        // A documented method is not a 405.
        rejection(|| {
            assert_documented(
                "GET",
                "/api/keys",
                405,
                &json!({ "error": { "code": "method_not_allowed", "message": "x" } }),
            )
        });
        // No body where none is documented.
        rejection(|| assert_documented("POST", "/api/auth/logout", 204, &json!({})));
    }

    #[test]
    fn checks_documented_headers() {
        assert_documented_headers(
            "GET",
            "/api/v1/keys",
            429,
            [
                ("x-ratelimit-limit", "100"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "1790000000"),
                ("Retry-After", "17"),
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Expose-Headers", "X-RateLimit-Limit"),
                ("Content-Type", "application/json; charset=utf-8"),
            ],
        );
        rejection(|| {
            assert_documented_headers(
                "GET",
                "/api/v1/keys",
                200,
                [("Access-Control-Allow-Origin", "*")],
            )
        });
        rejection(|| {
            assert_documented_headers("POST", "/api/auth/login", 429, [("Retry-After", "soon")])
        });
        assert_documented_headers("DELETE", "/api/keys", 405, [("Allow", "GET, POST")]);
    }

    /// The crate's own error envelopes, money and pagination, as the handlers
    /// build them, match the document (no server needed).
    #[test]
    fn the_crates_envelopes_match_the_document() {
        use openrouter_watcher::domain::money::Money;
        use openrouter_watcher::domain::page::Page;
        use openrouter_watcher::error::AppError;

        // (error, its schema, a documented response carrying its headers)
        let cases = [
            (
                AppError::BadRequest("The request body is not valid JSON.".into()),
                "BadRequestError",
                "BadRequest",
            ),
            (
                AppError::Unauthorized("Missing bearer token.".into()),
                "UnauthorizedError",
                "Unauthorized",
            ),
            (AppError::not_found("API key"), "NotFoundError", "NotFound"),
            (
                AppError::ReauthenticationRequired("Send your password.".into()),
                "ReauthenticationRequiredError",
                "BadRequest",
            ),
            (
                AppError::MethodNotAllowed {
                    allow: vec!["GET", "POST"],
                },
                "MethodNotAllowedError",
                "MethodNotAllowed",
            ),
            (
                AppError::Conflict("Duplicate.".into()),
                "ConflictError",
                "BadRequest",
            ),
            (
                AppError::PayloadTooLarge { limit: 65536 },
                "PayloadTooLargeError",
                "PayloadTooLarge",
            ),
            (
                AppError::UnsupportedMediaType,
                "UnsupportedMediaTypeError",
                "UnsupportedMediaType",
            ),
            (
                AppError::invalid("start_date", "is required"),
                "ValidationError",
                "ValidationError",
            ),
            (
                AppError::RateLimited { retry_after: 17 },
                "RateLimitedError",
                "PublicRateLimited",
            ),
            (
                AppError::internal("D1_ERROR: no such table"),
                "InternalError",
                "Internal",
            ),
            (
                AppError::Misconfigured("JWT_SECRET is missing".into()),
                "InternalError",
                "Internal",
            ),
            (
                AppError::Unavailable("The database is unavailable.".into()),
                "ServiceUnavailableError",
                "Internal",
            ),
        ];
        for (err, schema, response) in cases {
            let pointer = format!("#/components/schemas/{schema}");
            validate(&json!({ "$ref": pointer }), &pointer, &err.body())
                .unwrap_or_else(|e| panic!("{err:?} does not match {schema}: {e}"));
            let documented = resolve(&document()["components"]["responses"][response]);
            for (header, _) in err.headers() {
                assert!(
                    documented["headers"].get(header).is_some(),
                    "{response} lacks the header {header} the code sends"
                );
            }
        }
        assert_documented(
            "GET",
            "/health",
            503,
            &AppError::Unavailable("The database is unavailable.".into()).body(),
        );
        let money = json!({ "$ref": "#/components/schemas/Money" });
        for units in [0, 1, 120_153_000_000, -2_500_000_000, i64::MAX] {
            let value = serde_json::to_value(Money::from_units(units)).unwrap();
            validate(&money, "#/components/schemas/Money", &value)
                .unwrap_or_else(|e| panic!("{value}: {e}"));
        }
        let pagination = json!({ "$ref": "#/components/schemas/Pagination" });
        let page = Page::parse(Some("3"), Some("25")).unwrap();
        for total in [0, 1, 101] {
            let value = serde_json::to_value(page.info(total)).unwrap();
            validate(&pagination, "#/components/schemas/Pagination", &value)
                .unwrap_or_else(|e| panic!("{value}: {e}"));
        }
    }

    /// Every reference resolves and every response schema compiles, so a typo
    /// in the document fails here rather than in a test that hits the route.
    #[test]
    fn the_document_is_self_consistent() {
        fn walk(value: &'static Value, refs: &mut Vec<&'static str>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        refs.push(r);
                    }
                    map.values().for_each(|v| walk(v, refs));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
                _ => {}
            }
        }
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut refs = Vec::new();
        walk(doc, &mut refs);
        for r in refs {
            let pointer = r.strip_prefix('#').expect("local reference");
            assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
        }
        for (method, path) in documented_operations() {
            let operation = &doc["paths"][&path][method.to_ascii_lowercase()];
            let responses = operation["responses"].as_object().expect("responses");
            for status in responses.keys() {
                let status: u16 = status.parse().expect("numeric status");
                let (response, pointer) = response_of(&method, &path, status).unwrap();
                if let Some(content) = response.get("content").and_then(Value::as_object) {
                    for (media, media_type) in content {
                        let key = format!("{pointer}/content/{}", media.replace('/', "~1"));
                        // Compiles (an instance's errors are irrelevant here).
                        if let Err(e) = validate(&media_type["schema"], &key, &Value::Null) {
                            assert!(!e.starts_with("schema error"), "{key}: {e}");
                        }
                    }
                }
            }
        }
    }
}
