//! An entry of the audit log: who changed what in an account and when, with
//! the changed fields' values before and after.
//!
//! Who: the account's user (`Actor::User`) or the product itself
//! (`Actor::Product`: a job acting on its own, e.g. disabling a key). What:
//! a [`Kind`] (`key.updated`), the key it is about if any (kept as a plain
//! id, so the history outlives the key), a human label of the thing at the
//! time (`subject`, e.g. the key's name), and the changed fields only
//! (`before`/`after`, JSON objects). A product action names what caused it
//! in `reference` (e.g. `{"budget_id": 3}`).
//!
//! **Never a secret.** No OpenRouter key, API token, password or webhook
//! signing secret is ever a value here: a secret field is recorded only as
//! having changed ([`Fields::secret`], e.g. `"secret": "created"`), and a
//! webhook URL only by its origin and a fingerprint ([`url_shown`]), since
//! some receivers (Slack's) carry a credential in the path.

use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::Invalid;

mod kind;
pub use kind::Kind;

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The account's user (through the dashboard or the web API).
    User(i64),
    /// The product, on its own (a job).
    Product,
}

impl Actor {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User(_) => "user",
            Self::Product => "product",
        }
    }

    pub const fn user_id(self) -> Option<i64> {
        match self {
            Self::User(id) => Some(id),
            Self::Product => None,
        }
    }
}

/// The `kind` filter of the audit log: one kind exactly (`key.updated`), or
/// every kind of a family (`key`: `key.created`, `key.updated`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindFilter {
    Exact(Kind),
    Family(&'static str),
}

impl KindFilter {
    pub fn parse(field: &str, text: &str) -> Result<Self, Invalid> {
        if let Some(kind) = Kind::ALL.into_iter().find(|k| k.as_str() == text) {
            return Ok(Self::Exact(kind));
        }
        Kind::ALL
            .into_iter()
            .map(Kind::family)
            .find(|family| *family == text)
            .map(Self::Family)
            .ok_or_else(|| {
                Invalid::new(
                    field,
                    "must be a kind (e.g. key.updated) or a family of kinds (e.g. key)",
                )
            })
    }
}

/// The `kind` filter as the API document states it: one of the kinds or
/// one of their families.
pub struct KindFilterParam;

impl utoipa::PartialSchema for KindFilterParam {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let mut values: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        for family in Kind::ALL.map(Kind::family) {
            if !values.contains(&family) {
                values.push(family);
            }
        }
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(values))
            .into()
    }
}

impl ToSchema for KindFilterParam {}

/// Field values of an entry (`before`, `after`, `reference`), in the order
/// they were set. Plain values only: see [`Fields::secret`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(Map<String, Value>);

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    /// A secret field: only what happened to it (`"created"`, `"rotated"`),
    /// never its value.
    pub fn secret(self, name: &str, what: &'static str) -> Self {
        self.with(name, what)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The JSON object, as stored.
    pub fn to_json(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}

/// One change, about to be recorded (its id and time come from the store).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The organisation the entry belongs to (deleted with it).
    pub org_id: i64,
    pub actor: Actor,
    pub kind: Kind,
    /// The key it is about, if any.
    pub api_key_id: Option<i64>,
    /// What it is about, as a person reads it (the key's name at the time).
    pub subject: String,
    pub before: Option<Fields>,
    pub after: Option<Fields>,
    /// What caused a product action, or which row it is about (`budget_id`).
    pub reference: Option<Fields>,
}

/// Subjects longer than this are cut (names are at most 100 characters).
const SUBJECT_CHARS: usize = 200;

impl Entry {
    /// A change a person (`user_id`) made in organisation `org_id`.
    pub fn by_user(org_id: i64, user_id: i64, kind: Kind, subject: &str) -> Self {
        Self::new(org_id, Actor::User(user_id), kind, subject)
    }

    /// An action the product took in the organisation, on its own.
    pub fn by_product(org_id: i64, kind: Kind, subject: &str) -> Self {
        Self::new(org_id, Actor::Product, kind, subject)
    }

    fn new(org_id: i64, actor: Actor, kind: Kind, subject: &str) -> Self {
        Self {
            org_id,
            actor,
            kind,
            api_key_id: None,
            subject: subject.chars().take(SUBJECT_CHARS).collect(),
            before: None,
            after: None,
            reference: None,
        }
    }

    pub fn key(mut self, api_key_id: i64) -> Self {
        self.api_key_id = Some(api_key_id);
        self
    }

    /// Something new: its fields after.
    pub fn created(mut self, after: Fields) -> Self {
        self.after = non_empty(after);
        self
    }

    /// Something removed: its fields before.
    pub fn removed(mut self, before: Fields) -> Self {
        self.before = non_empty(before);
        self
    }

    /// A change of `after`'s fields from `before`'s: only the fields whose
    /// value differs are kept, on both sides (null before when it had none).
    pub fn changed(mut self, before: Fields, after: Fields) -> Self {
        let (mut was, mut is) = (Fields::new(), Fields::new());
        for (name, value) in after.0 {
            let old = before.0.get(&name).cloned().unwrap_or(Value::Null);
            if old != value {
                was.0.insert(name.clone(), old);
                is.0.insert(name, value);
            }
        }
        self.before = non_empty(was);
        self.after = non_empty(is);
        self
    }

    pub fn reference(mut self, reference: Fields) -> Self {
        self.reference = non_empty(reference);
        self
    }
}

fn non_empty(fields: Fields) -> Option<Fields> {
    (!fields.is_empty()).then_some(fields)
}

/// A webhook URL as the audit log shows it: its origin, and for anything
/// past it a fingerprint (8 hex digits of its SHA-256), so two URLs can be
/// told apart without the path, where some receivers keep a credential.
pub fn url_shown(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if path.is_empty() {
        return format!("{scheme}://{host}/");
    }
    let fingerprint: String = super::secrets::sha256_hex(url).chars().take(8).collect();
    format!("{scheme}://{host}/… ({fingerprint})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_are_dotted_unique_and_serialised_as_named() {
        for kind in Kind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
            assert!(kind.as_str().starts_with(&format!("{}.", kind.family())));
        }
        let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
    }

    #[test]
    fn the_filter_takes_a_kind_or_a_family() {
        assert_eq!(
            KindFilter::parse("kind", "key.updated").unwrap(),
            KindFilter::Exact(Kind::KeyUpdated)
        );
        assert_eq!(
            KindFilter::parse("kind", "key").unwrap(),
            KindFilter::Family("key")
        );
        for bad in ["", "key.", "keys", "key.%", "KEY.updated"] {
            assert_eq!(KindFilter::parse("kind", bad).unwrap_err().field, "kind");
        }
    }

    #[test]
    fn a_change_keeps_only_the_fields_that_differ() {
        let entry = Entry::by_user(7, 7, Kind::KeyUpdated, "prod")
            .key(3)
            .changed(
                Fields::new().with("name", "prod").with("is_active", true),
                Fields::new().with("name", "prod").with("is_active", false),
            );
        assert_eq!(entry.actor, Actor::User(7));
        assert_eq!(entry.api_key_id, Some(3));
        assert_eq!(entry.before.unwrap().to_json(), r#"{"is_active":true}"#);
        assert_eq!(entry.after.unwrap().to_json(), r#"{"is_active":false}"#);
        let same = Entry::by_user(7, 7, Kind::KeyUpdated, "prod").changed(
            Fields::new().with("name", "a"),
            Fields::new().with("name", "a"),
        );
        assert_eq!((same.before, same.after), (None, None));
        let new_field = Entry::by_product(7, Kind::SettingsUpdated, "settings")
            .changed(Fields::new(), Fields::new().with("tz", "Europe/Rome"));
        assert_eq!(new_field.actor.user_id(), None);
        assert_eq!(new_field.before.unwrap().to_json(), r#"{"tz":null}"#);
    }

    #[test]
    fn secrets_are_only_said_to_have_changed() {
        let after = Fields::new()
            .with("name", "hook")
            .secret("secret", "created");
        assert_eq!(after.to_json(), r#"{"name":"hook","secret":"created"}"#);
    }

    #[test]
    fn subjects_are_bounded() {
        let long = "é".repeat(500);
        let entry = Entry::by_user(1, 1, Kind::KeyCreated, &long);
        assert_eq!(entry.subject.chars().count(), SUBJECT_CHARS);
    }

    #[test]
    fn webhook_urls_show_their_origin_and_a_fingerprint() {
        let slack = "https://hooks.slack.com/services/T000/B000/XXXXSECRET";
        let shown = url_shown(slack);
        assert!(shown.starts_with("https://hooks.slack.com/… ("), "{shown}");
        assert!(!shown.contains("XXXXSECRET") && !shown.contains("services"));
        assert_ne!(
            shown,
            url_shown("https://hooks.slack.com/services/T000/B000/other")
        );
        assert_eq!(url_shown("https://example.com/"), "https://example.com/");
        assert_eq!(url_shown("http://127.0.0.1:9/"), "http://127.0.0.1:9/");
    }
}
