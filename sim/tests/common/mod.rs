#![allow(dead_code)]

use std::str::FromStr;
use std::time::Duration;

use openrouter_sim::control::{RegisterKeyRequest, RegisteredKey, TruthResponse};
use openrouter_sim::{serve, RunningSim, SimConfig};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

pub struct Harness {
    pub sim: RunningSim,
    pub http: reqwest::Client,
}

pub async fn start(seed: u64) -> Harness {
    let sim = serve(SimConfig {
        seed,
        ..SimConfig::default()
    })
    .await
    .expect("start the simulator");
    Harness {
        sim,
        http: client(),
    }
}

/// The only way these tests build an HTTP client (`cargo xtask lint`
/// refuses bare ones): every request has a deadline, so a simulator that
/// never answers fails its test instead of hanging the run.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client")
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn parse<T: for<'de> Deserialize<'de>>(&self) -> T {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("unexpected shape ({e}): {}", self.text))
    }

    /// Asserts OpenRouter's error shape with `code` equal to the HTTP status.
    pub fn assert_error(&self, status: u16) {
        assert_eq!(self.status, status, "body: {}", self.text);
        let v = self.json();
        assert_eq!(
            v["error"]["code"],
            Value::from(status),
            "body: {}",
            self.text
        );
        assert!(v["error"]["message"].is_string(), "body: {}", self.text);
    }
}

impl Harness {
    pub fn base(&self) -> String {
        self.sim.base_url()
    }

    pub fn api(&self) -> String {
        format!("{}/api/v1", self.sim.base_url())
    }

    pub async fn get(&self, path_and_query: &str, key: Option<&str>) -> Reply {
        self.try_get(path_and_query, key)
            .await
            .unwrap_or_else(|e| panic!("GET {path_and_query}: {e}"))
    }

    pub async fn try_get(&self, path_and_query: &str, key: Option<&str>) -> reqwest::Result<Reply> {
        let mut req = self.http.get(format!("{}{}", self.base(), path_and_query));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await?;
        Ok(Reply {
            status,
            headers,
            text,
        })
    }

    pub async fn send_json(&self, method: reqwest::Method, path: &str, body: &Value) -> Reply {
        let resp = self
            .http
            .request(method, format!("{}{}", self.base(), path))
            .json(body)
            .send()
            .await
            .expect("control request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("control body");
        Reply {
            status,
            headers,
            text,
        }
    }

    /// An OpenRouter API call with a bearer and an optional JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base(), path));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        Reply {
            status,
            headers,
            text,
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send_json(reqwest::Method::POST, path, &body).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        let resp = self
            .http
            .delete(format!("{}{}", self.base(), path))
            .send()
            .await
            .expect("control request");
        Reply {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            text: resp.text().await.expect("control body"),
        }
    }

    pub async fn register(&self, req: RegisterKeyRequest) -> RegisteredKey {
        let body = serde_json::to_value(&req).expect("serialize");
        let r = self.post("/_sim/keys", body).await;
        assert_eq!(r.status, 201, "register: {}", r.text);
        r.parse()
    }

    pub async fn truth(&self, key_hash: &str) -> TruthResponse {
        let r = self
            .get(&format!("/_sim/keys/{key_hash}/truth"), None)
            .await;
        assert_eq!(r.status, 200, "truth: {}", r.text);
        r.parse()
    }

    pub async fn set_clock(&self, rfc3339: &str) {
        let r = self
            .post("/_sim/clock", serde_json::json!({ "now": rfc3339 }))
            .await;
        assert_eq!(r.status, 200, "clock: {}", r.text);
    }
}

pub fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|e| panic!("not a decimal {text:?}: {e}"))
}

/// A money field must be a JSON *number* whose text is an exact decimal (<= 10 dp).
pub fn money(raw: &RawValue) -> Decimal {
    let t = raw.get();
    assert!(
        !t.starts_with('"') && !t.contains(['e', 'E']),
        "money must be a plain JSON number, got {t}"
    );
    let d = dec(t);
    assert!(d.scale() <= 10, "more than 10 decimals: {t}");
    d
}

pub fn opt_money(raw: &Option<Box<RawValue>>) -> Option<Decimal> {
    raw.as_deref().map(money)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyData {
    pub label: String,
    pub limit: Option<Box<RawValue>>,
    pub limit_reset: Option<String>,
    pub limit_remaining: Option<Box<RawValue>>,
    pub include_byok_in_limit: bool,
    pub usage: Box<RawValue>,
    pub usage_daily: Box<RawValue>,
    pub usage_weekly: Box<RawValue>,
    pub usage_monthly: Box<RawValue>,
    pub byok_usage: Box<RawValue>,
    pub byok_usage_daily: Box<RawValue>,
    pub byok_usage_weekly: Box<RawValue>,
    pub byok_usage_monthly: Box<RawValue>,
    pub is_free_tier: bool,
    pub is_management_key: bool,
    pub is_provisioning_key: bool,
    pub expires_at: Option<String>,
    pub allowed_data_regions: Vec<String>,
    pub creator_user_id: Option<String>,
    pub organization_id: Option<String>,
    pub workspace_id: Option<String>,
    pub free_model_daily_requests: FreeModel,
    pub rate_limit: RateLimit,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreeModel {
    pub limit: u64,
    pub remaining: u64,
    pub used: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub requests: i64,
    pub interval: String,
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyResponse {
    pub data: KeyData,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityRow {
    pub date: String,
    pub model: String,
    pub model_permaslug: String,
    pub endpoint_id: String,
    pub provider_name: String,
    pub usage: Box<RawValue>,
    pub byok_usage_inference: Box<RawValue>,
    pub requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub reasoning_tokens: u64,
    #[serde(default)]
    pub workspace_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityResponse {
    pub data: Vec<ActivityRow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditsData {
    pub total_credits: Box<RawValue>,
    pub total_usage: Box<RawValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditsResponse {
    pub data: CreditsData,
}

pub fn inference(label: &str, account: &str) -> RegisterKeyRequest {
    RegisterKeyRequest {
        label: Some(label.to_string()),
        account: Some(account.to_string()),
        ..RegisterKeyRequest::default()
    }
}

pub fn management(label: &str, account: &str) -> RegisterKeyRequest {
    RegisterKeyRequest {
        label: Some(label.to_string()),
        account: Some(account.to_string()),
        kind: Some(openrouter_sim::control::KeyKind::Management),
        ..RegisterKeyRequest::default()
    }
}

/// One API key of the management API, exactly the documented fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedKey {
    pub hash: String,
    pub name: String,
    pub label: String,
    pub disabled: bool,
    pub limit: Option<Box<RawValue>>,
    pub limit_remaining: Option<Box<RawValue>>,
    pub limit_reset: Option<String>,
    pub include_byok_in_limit: bool,
    pub usage: Box<RawValue>,
    pub usage_daily: Box<RawValue>,
    pub usage_weekly: Box<RawValue>,
    pub usage_monthly: Box<RawValue>,
    pub byok_usage: Box<RawValue>,
    pub byok_usage_daily: Box<RawValue>,
    pub byok_usage_weekly: Box<RawValue>,
    pub byok_usage_monthly: Box<RawValue>,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub expires_at: Option<String>,
    pub creator_user_id: Option<String>,
    pub workspace_id: String,
    pub external_user: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedKeyResponse {
    pub data: ManagedKey,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedKeyList {
    pub data: Vec<ManagedKey>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatedKeyResponse {
    pub data: ManagedKey,
    pub key: String,
}
