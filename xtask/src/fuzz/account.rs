//! The fuzz run's account: a user with one session per pass, an API token,
//! and real keys (synced once) for the routes that take ids.

use serde_json::{json, Value};

use super::{EMAIL, PASSWORD};
use crate::bench::stack::Stack;
use crate::tools::{step, Result};
use watcher_stack::client::{Client, Reach};

pub struct Credentials {
    /// One session per pass.
    pub jwts: Vec<String>,
    pub api_token: String,
}

/// A user with `sessions` JWTs and an API token, and real resources for the
/// routes that take ids: an inference key and a management key of one
/// simulator account, synced once (so the usage routes have rows).
pub fn prepare(stack: &Stack, sessions: usize) -> Result<Credentials> {
    step("fuzz user, JWT, API token, simulator keys, one sync");
    let worker = stack.worker.client();
    let sim = stack.sim.client();
    let credentials = json!({ "email": EMAIL, "password": PASSWORD }).to_string();
    expect(
        &worker,
        worker.post("/api/auth/register", None, &credentials),
        201,
    )?;
    let mut jwts = Vec::with_capacity(sessions);
    for _ in 0..sessions.max(1) {
        let login = expect(
            &worker,
            worker.post("/api/auth/login", None, &credentials),
            200,
        )?;
        jwts.push(string_field(&login, "access_token")?);
    }
    let jwt = jwts[0].clone();
    let token = expect(
        &worker,
        worker.post("/api/tokens", Some(&jwt), r#"{"name":"fuzz"}"#),
        201,
    )?;
    let api_token = string_field(&token, "token")?;
    for kind in ["inference", "management"] {
        let body = json!({ "account": "fuzz", "label": format!("fuzz {kind}"), "kind": kind });
        let registered = expect(&sim, sim.post("/_sim/keys", None, &body.to_string()), 201)?;
        let key = string_field(&registered, "key")?;
        let body = json!({ "name": format!("fuzz {kind}"), "key": key, "kind": kind });
        expect(
            &worker,
            worker.post("/api/keys", Some(&jwt), &body.to_string()),
            201,
        )?;
    }
    let synced = worker.get("/__scheduled?cron=0+*+*+*+*", None)?;
    if synced.status != 200 {
        return Err(format!("sync: {} {}", synced.status, synced.body));
    }
    Ok(Credentials { jwts, api_token })
}

fn expect(
    client: &Client,
    answer: Result<watcher_stack::client::Response>,
    status: u16,
) -> Result<Value> {
    let answer = answer?;
    if answer.status != status {
        return Err(format!(
            "{}: expected {status}, got {}: {}",
            client.base(),
            answer.status,
            answer.body.chars().take(300).collect::<String>()
        ));
    }
    answer.json()
}

fn string_field(value: &Value, name: &str) -> Result<String> {
    value[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no string {name:?} in {value}"))
}
