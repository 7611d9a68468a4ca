//! Security events: one structured log line each (JSON, `security_event`
//! first), so an operator can search and alert on them. They carry ids,
//! the client network and hashes, never a secret (password, JWT, API token,
//! OpenRouter key) and never an email in clear.

use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Register,
    LoginOk,
    LoginFailed,
    LoginThrottled,
    Logout,
    PasswordChanged,
    PasswordChangeFailed,
    AccountDeleted,
    /// An organisation deleted by an owner (`id`: the organisation's).
    OrganisationDeleted,
    TokenCreated,
    TokenRevoked,
    KeyAdded,
    KeyDeleted,
    /// A sign-in through Cloudflare Access.
    AccessLoginOk,
    /// A Cloudflare Access assertion refused (`reason` says which check).
    AccessRefused,
}

impl Event {
    pub fn name(self) -> &'static str {
        match self {
            Event::Register => "register",
            Event::LoginOk => "login_ok",
            Event::LoginFailed => "login_failed",
            Event::LoginThrottled => "login_throttled",
            Event::Logout => "logout",
            Event::PasswordChanged => "password_changed",
            Event::PasswordChangeFailed => "password_change_failed",
            Event::AccountDeleted => "account_deleted",
            Event::OrganisationDeleted => "organisation_deleted",
            Event::TokenCreated => "token_created",
            Event::TokenRevoked => "token_revoked",
            Event::KeyAdded => "key_added",
            Event::KeyDeleted => "key_deleted",
            Event::AccessLoginOk => "access_login_ok",
            Event::AccessRefused => "access_refused",
        }
    }
}

/// Who and what an event is about; every field optional.
#[derive(Debug, Default, Clone)]
pub struct Subject<'a> {
    pub user_id: Option<i64>,
    /// The token's, key's or organisation's row id.
    pub id: Option<i64>,
    /// SHA-256 hex of the email tried (failed logins), shortened.
    pub email_sha256: Option<&'a str>,
    /// Why a credential was refused (a short fixed name, never its value).
    pub reason: Option<&'a str>,
}

/// The line for one event.
pub fn line(event: Event, client_network: &str, subject: &Subject<'_>) -> String {
    let mut fields = Map::new();
    fields.insert("security_event".into(), json!(event.name()));
    fields.insert("client".into(), json!(client_network));
    if let Some(user_id) = subject.user_id {
        fields.insert("user_id".into(), json!(user_id));
    }
    if let Some(id) = subject.id {
        fields.insert("id".into(), json!(id));
    }
    if let Some(hash) = subject.email_sha256 {
        fields.insert("email_sha256".into(), json!(&hash[..hash.len().min(16)]));
    }
    if let Some(reason) = subject.reason {
        fields.insert("reason".into(), json!(reason));
    }
    Value::Object(fields).to_string()
}

pub fn record(event: Event, client_network: &str, subject: &Subject<'_>) {
    worker::console_log!("{}", line(event, client_network, subject));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_json_line_with_the_event_first() {
        let text = line(
            Event::LoginFailed,
            "2001:db8::/64",
            &Subject {
                email_sha256: Some("0123456789abcdef0123456789abcdef"),
                ..Subject::default()
            },
        );
        assert!(
            text.starts_with(r#"{"security_event":"login_failed""#),
            "{text}"
        );
        assert!(!text.contains('\n'));
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["client"], "2001:db8::/64");
        assert_eq!(parsed["email_sha256"], "0123456789abcdef", "shortened");
        assert!(parsed.get("user_id").is_none());
    }

    #[test]
    fn ids_are_carried() {
        let text = line(
            Event::TokenRevoked,
            "198.51.100.1",
            &Subject {
                user_id: Some(7),
                id: Some(9),
                ..Subject::default()
            },
        );
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            (parsed["user_id"].as_i64(), parsed["id"].as_i64()),
            (Some(7), Some(9))
        );
    }
}
