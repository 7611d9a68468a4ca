//! What the Worker and a token's object say to each other: a [`TokenAsk`]
//! (JSON), and for a question a [`PublicOutcome`], sent as one line of
//! JSON (the outcome, its decision and what it cost) followed by the
//! answer, untouched however large: never re-encoded, never in a header.

use serde::{Deserialize, Serialize};

use crate::rate_limit::Decision;
use crate::usage::answers::PublicQuery;

/// What the Worker asks a token's object.
#[derive(Debug, Serialize, Deserialize)]
pub enum TokenAsk {
    /// A public-API request: answer it, or (`query: None`, the parameters
    /// were invalid) only check the token and charge its bucket, so the
    /// Worker can send the validation error.
    Public(PublicAsk),
    /// Something the token can see changed: forget the cached answers.
    Invalidate,
    /// The token was revoked: refuse it from now on without asking D1.
    Revoke,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PublicAsk {
    pub token_hash: String,
    /// The scope the operation needs, by name (`Scope::name`): a token
    /// without it is charged and refused (`Denied`), whatever the question.
    pub scope: String,
    pub query: Option<PublicQuery>,
    pub limit: u32,
    pub window_secs: i64,
}

/// The object's answer to a [`TokenAsk::Public`].
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
    /// A valid token without the operation's scope: charged, not answered.
    Denied {
        decision: Decision,
    },
    /// Not an active API token (or an expired one): nothing charged,
    /// nothing stored.
    Invalid,
}

/// The first line of the object's response.
#[derive(Debug, Serialize, Deserialize)]
struct Head {
    outcome: Outcome,
    /// D1 statements the object ran for this request (0 or 1).
    d1_statements: u32,
}

#[derive(Debug, Serialize, Deserialize)]
enum Outcome {
    Answered(Decision),
    Charged(Decision),
    Limited(Decision),
    Denied(Decision),
    Invalid,
}

impl PublicOutcome {
    /// The response body: the head line, then the answer (if any).
    pub fn encode(&self, d1_statements: u32) -> String {
        let (outcome, body) = match self {
            Self::Answered { decision, body } => (Outcome::Answered(*decision), body.as_str()),
            Self::Charged { decision } => (Outcome::Charged(*decision), ""),
            Self::Limited { decision } => (Outcome::Limited(*decision), ""),
            Self::Denied { decision } => (Outcome::Denied(*decision), ""),
            Self::Invalid => (Outcome::Invalid, ""),
        };
        let head = Head {
            outcome,
            d1_statements,
        };
        // A serialised `Head` never holds a raw line break (JSON escapes it).
        let mut text = serde_json::to_string(&head).unwrap_or_default();
        text.push('\n');
        text.push_str(body);
        text
    }

    /// The outcome and the D1 statements it cost, or `None` when `text` is
    /// not an encoded outcome.
    pub fn decode(mut text: String) -> Option<(Self, u32)> {
        let split = text.find('\n')?;
        let body = text.split_off(split + 1);
        let head: Head = serde_json::from_str(text.trim_end()).ok()?;
        let outcome = match head.outcome {
            Outcome::Answered(decision) => Self::Answered { decision, body },
            Outcome::Charged(decision) => Self::Charged { decision },
            Outcome::Limited(decision) => Self::Limited { decision },
            Outcome::Denied(decision) => Self::Denied { decision },
            Outcome::Invalid => Self::Invalid,
        };
        Some((outcome, head.d1_statements))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::scope::Scope;

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
                body: "{\"items\":[],\n\"total\":0}\n# EOF\n".to_owned(),
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
            PublicOutcome::Denied { decision },
            PublicOutcome::Invalid,
        ] {
            let text = outcome.encode(1);
            assert_eq!(PublicOutcome::decode(text), Some((outcome, 1)));
        }
        assert_eq!(PublicOutcome::decode("no head".to_owned()), None);
        assert_eq!(
            PublicOutcome::decode("{\"outcome\":\"Nope\"}\n".to_owned()),
            None
        );
    }

    #[test]
    fn asks_cross_the_wire_intact() {
        let ask = TokenAsk::Public(PublicAsk {
            token_hash: "ab".repeat(32),
            scope: Scope::KeysRead.name().to_owned(),
            query: Some(PublicQuery::Keys),
            limit: 1000,
            window_secs: 3600,
        });
        let back: TokenAsk = serde_json::from_str(&serde_json::to_string(&ask).unwrap()).unwrap();
        assert!(matches!(
            back,
            TokenAsk::Public(PublicAsk { limit: 1000, .. })
        ));
        for ask in [TokenAsk::Invalidate, TokenAsk::Revoke] {
            let text = serde_json::to_string(&ask).unwrap();
            assert!(serde_json::from_str::<TokenAsk>(&text).is_ok(), "{text}");
        }
    }
}
