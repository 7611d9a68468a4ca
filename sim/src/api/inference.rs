//! A minimal `POST /api/v1/chat/completions`, a test instrument: it answers a canned
//! reply in OpenAI's shape (as OpenRouter does, with `usage.cost`) and charges the key a
//! deterministic cost for today, so that tests spend through the real path. Refused like
//! OpenRouter: 401 for a missing, unknown, revoked, deleted, expired or disabled key (and
//! a management key, which cannot call models), 402 once a key's `limit_remaining` is 0,
//! 400 for a body without a known `model` or without `messages`.

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::shapes::Money;
use super::{error_with_metadata, json_response};
use crate::data::{find_model, ModelSpec};
use crate::state::{Sim, SimError};

/// Tokens of the canned reply (fewer when `max_tokens` asks for fewer).
const REPLY_TOKENS: u64 = 8;

#[derive(Serialize)]
struct Message {
    role: &'static str,
    content: String,
}

#[derive(Serialize)]
struct Choice {
    index: u32,
    message: Message,
    finish_reason: &'static str,
}

#[derive(Serialize)]
struct Usage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
    cost: Money,
}

#[derive(Serialize)]
struct ChatResult {
    id: String,
    object: &'static str,
    created: i64,
    model: &'static str,
    provider: &'static str,
    system_fingerprint: Option<String>,
    choices: Vec<Choice>,
    usage: Usage,
}

/// What a request asks for: the model and its token counts.
struct Ask {
    model: &'static ModelSpec,
    prompt_tokens: u64,
    completion_tokens: u64,
}

fn bad(message: impl Into<String>) -> SimError {
    SimError::new(400, message)
}

/// The characters of a message's content: a string, or the `text` of its parts.
fn content_chars(content: &Value) -> Option<u64> {
    match content {
        Value::String(s) => Some(s.chars().count() as u64),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .map(|t| t.chars().count() as u64)
                .sum(),
        ),
        _ => None,
    }
}

/// The model and token counts of a body: prompt tokens are a quarter of the messages'
/// characters (at least 1).
fn ask(body: &Bytes) -> Result<Ask, SimError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("Invalid JSON body: {e}")))?;
    let slug = v
        .get("model")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("model is required"))?;
    let model = find_model(slug).ok_or_else(|| bad(format!("{slug} is not a valid model ID")))?;
    let messages = v
        .get("messages")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| bad("messages must be a non-empty array"))?;
    let mut chars = 0u64;
    for m in messages {
        let role_ok = m.get("role").and_then(Value::as_str).is_some();
        let content = m.get("content").and_then(content_chars);
        match (role_ok, content) {
            (true, Some(n)) => chars = chars.saturating_add(n),
            _ => return Err(bad("each message needs a role and a content")),
        }
    }
    let completion_tokens = v
        .get("max_tokens")
        .and_then(Value::as_u64)
        .map_or(REPLY_TOKENS, |m| m.clamp(1, REPLY_TOKENS));
    Ok(Ask {
        model,
        prompt_tokens: chars.div_ceil(4).max(1),
        completion_tokens,
    })
}

/// Answers one chat completion of an authenticated inference key (`seq`: its number in
/// the request log, which makes the generation id).
pub(super) fn chat(sim: &Sim, key_hash: &str, seq: u64, body: &Bytes) -> Response {
    let ask = match ask(body) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let charge = match sim.charge(
        key_hash,
        ask.model,
        ask.prompt_tokens,
        ask.completion_tokens,
    ) {
        Ok(c) => c,
        Err(e) if e.status == 402 => {
            let metadata = serde_json::json!({ "limit_source": "openrouter_key_limit" });
            return error_with_metadata(402, &e.message, Some(metadata));
        }
        Err(e) => return e.into_response(),
    };
    let result = ChatResult {
        id: format!("gen-sim-{seq}"),
        object: "chat.completion",
        created: sim.now().timestamp(),
        model: ask.model.slug,
        provider: charge.provider,
        system_fingerprint: None,
        choices: vec![Choice {
            index: 0,
            message: Message {
                role: "assistant",
                content: "This is a simulated reply.".to_string(),
            },
            finish_reason: "stop",
        }],
        usage: Usage {
            prompt_tokens: ask.prompt_tokens,
            completion_tokens: ask.completion_tokens,
            total_tokens: ask.prompt_tokens.saturating_add(ask.completion_tokens),
            cost: Money(charge.cost),
        },
    };
    json_response(200, &result)
}
