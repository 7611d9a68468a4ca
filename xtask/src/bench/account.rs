//! The bench's accounts, made through the web API like a user would.

use serde_json::json;

use crate::tools::Result;
use watcher_stack::client::{Client, Response};

const PASSWORD: &str = "bench-password-0123";

pub fn expect(resp: Response, status: u16, what: &str) -> Result<Response> {
    if resp.status == status {
        Ok(resp)
    } else {
        Err(format!(
            "{what}: expected {status}, got {}: {}",
            resp.status,
            resp.body.chars().take(400).collect::<String>()
        ))
    }
}

/// Registers `<who>-<pid>@bench.example` and logs in: (the id of the personal organisation their keys and figures go to, JWT).
pub fn register_and_login(api: &Client, who: &str) -> Result<(i64, String)> {
    let body = json!({
        "email": format!("{who}-{}@bench.example", std::process::id()),
        "password": PASSWORD,
    })
    .to_string();
    let user = expect(
        api.post("/api/auth/register", None, &body)?,
        201,
        "POST /api/auth/register",
    )?
    .json()?;
    user["id"].as_i64().ok_or("register: no id in the answer")?;
    let login = expect(
        api.post("/api/auth/login", None, &body)?,
        200,
        "POST /api/auth/login",
    )?
    .json()?;
    let jwt = login["access_token"]
        .as_str()
        .ok_or("login: no access_token")?
        .to_owned();
    let organisations = expect(
        api.get("/api/organisations", Some(&jwt))?,
        200,
        "GET /api/organisations",
    )?
    .json()?;
    let org_id = organisations["items"][0]["id"]
        .as_i64()
        .ok_or("organisations: no personal organisation")?;
    Ok((org_id, jwt))
}

/// A new API token (`POST /api/tokens`).
pub fn new_token(api: &Client, jwt: &str) -> Result<String> {
    let body = json!({"name": "bench"}).to_string();
    let answer = expect(
        api.post("/api/tokens", Some(jwt), &body)?,
        201,
        "POST /api/tokens",
    )?
    .json()?;
    answer["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "POST /api/tokens: no token in the answer".into())
}
