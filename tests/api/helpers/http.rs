//! The HTTP client of the tests: every response is read whole, recorded
//! for the final secret scan and checked against `openapi.json`.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::harness::{app, record_response_body, started_app, unique_ip};

/// How long a test waits for a connection and for a whole answer, from the
/// Worker, the simulator or anything else it calls.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(90);

/// The only way a test builds an HTTP client (`cargo xtask lint` refuses
/// `reqwest::get` and bare clients under `tests/`): every request has a
/// deadline, so a peer that never answers fails its test with the URL
/// instead of hanging the run until CI's own timeout kills it silently.
/// A new client per call: each `#[tokio::test]` has a runtime of its own,
/// and a pooled connection must not outlive the runtime that opened it.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(ANSWER_TIMEOUT)
        .build()
        .expect("an HTTP client")
}

/// A response, read whole: status, headers, raw text and JSON (Null if none).
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the contract's error envelope with this status and code.
    pub fn assert_error(&self, status: u16, code: &str) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(self.json["error"]["code"], code, "body: {}", self.text);
        assert!(
            self.json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "error without a message: {}",
            self.text
        );
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "error without JSON content type"
        );
        self
    }

    /// `Retry-After` in seconds (panics when absent: callers expect one).
    pub fn retry_after(&self) -> u64 {
        self.header("retry-after")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no numeric Retry-After on {}: {}", self.status, self.text))
    }

    /// The field a 422 names.
    pub fn error_field(&self) -> String {
        self.json["error"]["details"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A request builder with the few knobs tests need.
pub struct Call {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<(String, Vec<u8>)>,
}

pub fn call(method: &str, path: &str) -> Call {
    call_at(&app().base_url, method, path)
}

/// A request to another Worker than the shared one (see [`Worker`]).
pub fn call_at(base_url: &str, method: &str, path: &str) -> Call {
    Call {
        method: Method::from_bytes(method.as_bytes()).expect("method"),
        url: format!("{base_url}{path}"),
        headers: vec![("CF-Connecting-IP".into(), unique_ip())],
        body: None,
    }
}

pub fn get(path: &str) -> Call {
    call("GET", path)
}

pub fn post(path: &str) -> Call {
    call("POST", path)
}

impl Call {
    pub fn bearer(mut self, token: &str) -> Self {
        self.headers
            .push(("Authorization".into(), format!("Bearer {token}")));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn ip(self, ip: &str) -> Self {
        self.header("CF-Connecting-IP", ip)
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some(("application/json".into(), body.to_string().into_bytes()));
        self
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some((content_type.into(), body.into()));
        self
    }

    /// Sends the request and checks the response against `openapi.json`
    /// (status, body schema, documented headers): every response any test
    /// receives, so the document cannot drift from the Worker.
    pub async fn send(self) -> Res {
        let (method, url) = (self.method.to_string(), self.url.clone());
        let res = self.send_unchecked().await;
        check_contract(&method, &url, &res);
        res
    }

    /// For the few requests outside the document's reach (a body the
    /// client itself cannot frame, say); prefer [`Call::send`].
    pub async fn send_unchecked(self) -> Res {
        let (method, url) = (self.method.to_string(), self.url.clone());
        let mut request = client().request(self.method, &self.url);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some((content_type, body)) = self.body {
            request = request.header("Content-Type", content_type).body(body);
        }
        let retry = request.try_clone();
        let (status, headers, text) = exchange(request, &url).await;
        // Local workerd now and then drops an isolate under load and answers
        // this instead of running the request (never the Worker's own
        // answer); it asks for the request to be sent again, so it is, once.
        let (status, headers, text) = match retry {
            Some(again) if status == 503 && text.starts_with(RESTARTED) => {
                eprintln!("{method} {url}: workerd restarted mid-request; sent again");
                exchange(again, &url).await
            }
            _ => (status, headers, text),
        };
        record_response_body(&method, &url, status, &text);
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            text,
            json,
        }
    }
}

/// Miniflare's answer when workerd restarted the isolate mid-request.
pub const RESTARTED: &str = "Your worker restarted mid-request";

async fn exchange(
    request: reqwest::RequestBuilder,
    url: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => panic!("no answer from {url}: {e}{}", whose_state(url)),
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.text().await.expect("a readable body"),
    )
}

/// When `url` is the shared Worker's: whether its `wrangler dev` still
/// runs, and the end of its log (a refused connection alone says nothing of
/// why the Worker went).
fn whose_state(url: &str) -> String {
    match started_app() {
        Some(app) if url.starts_with(&app.base_url) => format!("\n{}", app.state()),
        _ => String::new(),
    }
}

/// Every response any test receives is checked against `openapi.json`, so
/// the document cannot drift from what the Worker really sends.
pub fn check_contract(method: &str, url: &str, res: &Res) {
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    if path.starts_with("/__scheduled") {
        return;
    }
    let body = if res.text.is_empty() {
        Value::Null
    } else if res.json.is_null() {
        Value::String(res.text.clone())
    } else {
        res.json.clone()
    };
    match path_template(path) {
        Some(template) => {
            crate::contract::assert_documented(method, &template, res.status, &body);
            if res.status != 405 {
                crate::contract::assert_documented_headers(
                    method,
                    &template,
                    res.status,
                    res.headers
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or(""))),
                );
            }
        }
        None => {
            assert_eq!(res.status, 404, "{method} {path} is not a documented route");
            crate::contract::assert_component_response("RouteNotFound", &body);
        }
    }
}

/// The OpenAPI path of a concrete path (`/api/keys/7/sync` -> `/api/keys/{id}/sync`).
pub fn path_template(path: &str) -> Option<String> {
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let documented = crate::contract::documented_operations();
    let segments: Vec<&str> = path.split('/').collect();
    documented.into_iter().map(|(_, p)| p).find(|template| {
        let parts: Vec<&str> = template.split('/').collect();
        parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(t, s)| {
                if *t == "{id}" {
                    !s.is_empty()
                        && s.len() <= 16
                        && s.bytes().all(|b| b.is_ascii_digit())
                        && *s != "0"
                } else {
                    t == s
                }
            })
    })
}
