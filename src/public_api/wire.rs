//! What the Worker and a token's object say to each other: the question,
//! and the outcome with its decision in headers and the answer, untouched,
//! as the body.

use serde::{Deserialize, Serialize};

use crate::rate_limit::Decision;
use crate::usage::answers::PublicQuery;

/// A public-API request for its token's object: answer a question, or
/// (`query: None`, the parameters were invalid) only check the token and
/// charge its bucket, so the Worker can send the validation error.
#[derive(Debug, Serialize, Deserialize)]
pub struct PublicAsk {
    pub token_hash: String,
    pub query: Option<PublicQuery>,
    pub limit: u32,
    pub window_secs: i64,
}

/// The object's answer. On the wire: the answer's JSON as the response body
/// (passed through untouched, however large), the outcome and the decision
/// in headers.
#[derive(Debug, PartialEq)]
pub enum PublicOutcome {
    Answered {
        decision: Decision,
        body: String,
    },
    /// A valid token charged for a request without a question (invalid
    /// parameters).
    Charged {
        decision: Decision,
    },
    Limited {
        decision: Decision,
    },
    /// Not an active API token: nothing charged, nothing stored.
    Invalid,
}

pub const OUTCOME_HEADER: &str = "X-Orw-Outcome";
pub const DECISION_HEADER: &str = "X-Orw-Decision";
/// How many D1 statements the object ran for this request (0 or 1).
pub const D1_STATEMENTS_HEADER: &str = "X-Orw-D1-Statements";

impl PublicOutcome {
    /// (outcome, decision as JSON, body) for the response of the object.
    pub fn to_parts(&self) -> (&'static str, Option<String>, &str) {
        let decision = |d: &Decision| serde_json::to_string(d).ok();
        match self {
            Self::Answered { decision: d, body } => ("answered", decision(d), body),
            Self::Charged { decision: d } => ("charged", decision(d), ""),
            Self::Limited { decision: d } => ("limited", decision(d), ""),
            Self::Invalid => ("invalid", None, ""),
        }
    }

    pub fn from_parts(outcome: Option<&str>, decision: Option<&str>, body: String) -> Option<Self> {
        let decision = || decision.and_then(|d| serde_json::from_str::<Decision>(d).ok());
        match outcome? {
            "answered" => Some(Self::Answered {
                decision: decision()?,
                body,
            }),
            "charged" => Some(Self::Charged {
                decision: decision()?,
            }),
            "limited" => Some(Self::Limited {
                decision: decision()?,
            }),
            "invalid" => Some(Self::Invalid),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_cross_the_wire_intact() {
        let decision = Decision {
            allowed: true,
            limit: 100,
            remaining: 99,
            reset_epoch: 1_800_000_000,
            retry_after: 0,
        };
        for outcome in [
            PublicOutcome::Answered {
                decision,
                body: r#"{"items":[],"total":0}"#.to_owned(),
            },
            PublicOutcome::Limited {
                decision: Decision {
                    allowed: false,
                    remaining: 0,
                    retry_after: 36,
                    ..decision
                },
            },
            PublicOutcome::Charged { decision },
            PublicOutcome::Invalid,
        ] {
            let (name, decision, body) = outcome.to_parts();
            let back = PublicOutcome::from_parts(Some(name), decision.as_deref(), body.to_owned());
            assert_eq!(back, Some(outcome));
        }
        assert_eq!(
            PublicOutcome::from_parts(Some("answered"), None, String::new()),
            None
        );
        assert_eq!(PublicOutcome::from_parts(None, None, String::new()), None);
    }
}
