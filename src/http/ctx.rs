//! What a handler receives: the request reduced to plain data, and the
//! context it runs in. Below the dispatcher (`http::mod`), so handlers and
//! the dispatcher do not import each other.

use std::collections::HashMap;

use crate::app::App;
use crate::changes::Changes;
use crate::error::AppResult;

/// A request reduced to plain data, so handlers stay free of runtime types.
#[derive(Debug)]
pub struct Incoming {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-cased names.
    headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Incoming {
    /// `headers` by lower-cased name.
    pub fn new(
        method: String,
        path: String,
        query: Option<String>,
        headers: HashMap<String, String>,
        body: Vec<u8>,
    ) -> Self {
        Self {
            method,
            path,
            query,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The credential of an `Authorization: Bearer …` header.
    pub fn bearer(&self) -> Option<&str> {
        let value = self.header("authorization")?.trim();
        let (scheme, credential) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| credential.trim())
            .filter(|c| !c.is_empty())
    }

    /// The client network per-address limits count against (an IPv6 /64,
    /// see `domain::network`). Locally (or behind something that strips
    /// `CF-Connecting-IP`) there is none, and all such callers share one
    /// bucket.
    pub fn client_network(&self) -> String {
        crate::domain::network::client_network(self.header("cf-connecting-ip"))
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> AppResult<T> {
        super::body::parse_json(&self.body)
    }

    #[cfg(test)]
    pub fn for_test(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: None,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: body.to_vec(),
        }
    }
}

/// What every handler gets: the runtime, the request, and where to report
/// writes that change what `/api/v1` shows (see [`Changes`]).
pub struct Ctx<'a> {
    pub app: &'a App,
    pub req: &'a Incoming,
    pub changes: &'a Changes,
}
