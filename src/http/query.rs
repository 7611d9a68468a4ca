//! Query strings: decoded once, each known parameter at most once.
//!
//! Unknown parameters are ignored, as most HTTP APIs do (cache busters and
//! client bookkeeping must not break a call); a known one given twice is
//! ambiguous and refused.

use std::collections::BTreeMap;

use crate::error::AppError;

/// The decoded parameters of one request.
#[derive(Debug, Default)]
pub struct QueryParams(BTreeMap<String, String>);

impl QueryParams {
    /// `known` lists the parameters the route understands.
    pub fn parse(raw: Option<&str>, known: &[&str]) -> Result<Self, AppError> {
        let mut params = BTreeMap::new();
        for (key, value) in worker::url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !known.contains(&key.as_ref()) {
                continue;
            }
            if params.insert(key.to_string(), value.into_owned()).is_some() {
                return Err(AppError::BadRequest(format!(
                    "Query parameter `{key}` is given more than once."
                )));
            }
        }
        Ok(Self(params))
    }

    /// A parameter's value; an empty value counts as given (and is then
    /// refused by the parameter's own parser, naming it).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_values() {
        let q =
            QueryParams::parse(Some("model=openai%2Fgpt-4o&page=2"), &["model", "page"]).unwrap();
        assert_eq!(q.get("model"), Some("openai/gpt-4o"));
        assert_eq!(q.get("page"), Some("2"));
        assert_eq!(q.get("limit"), None);
    }

    #[test]
    fn ignores_unknown_and_refuses_repeated_parameters() {
        let q = QueryParams::parse(Some("x=1&x=2&page=3"), &["page"]).unwrap();
        assert_eq!((q.get("x"), q.get("page")), (None, Some("3")));
        assert_eq!(
            QueryParams::parse(Some("page=1&page=2"), &["page"])
                .unwrap_err()
                .status(),
            400
        );
        assert!(QueryParams::parse(None, &[]).is_ok());
    }
}
