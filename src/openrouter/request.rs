//! One request to OpenRouter as the client sends it (`client`).

use worker::{Headers, Method, Request, RequestInit, RequestRedirect};

/// The request to OpenRouter: bearer auth, JSON, and a redirect answered
/// as is, never followed (following it would send the key to wherever it
/// points).
pub fn outbound(
    key: &str,
    method: Method,
    url: &str,
    body: Option<&str>,
) -> worker::Result<Request> {
    let headers = Headers::new();
    headers
        .set("Authorization", &format!("Bearer {key}"))
        .and_then(|_| headers.set("Accept", "application/json"))
        .and_then(|_| match body {
            Some(_) => headers.set("Content-Type", "application/json"),
            None => Ok(()),
        })
        .and_then(|_| headers.set("HTTP-Referer", "https://github.com/openrouter-watcher"))
        .and_then(|_| headers.set("X-Title", "OpenRouter Watcher"))?;
    let mut init = RequestInit::new();
    init.with_method(method)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    if let Some(body) = body {
        init.with_body(Some(wasm_bindgen::JsValue::from_str(body)));
    }
    Request::new_with_init(url, &init)
}

/// A key hash as one path segment: OpenRouter's hashes are hex; anything
/// else is refused rather than sent into a URL.
pub fn path_segment(hash: &str) -> Option<&str> {
    let plain = !hash.is_empty()
        && hash.len() <= 128
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plain.then_some(hash)
}
