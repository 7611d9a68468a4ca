//! How much an event matters (`domain::event`), and which events a
//! webhook receives.
//!
//! One severity per event kind ([`of_kind`]): used by a webhook's
//! `min_severity` filter and as PagerDuty's `payload.severity`. A kind the
//! table does not know (one added later) is a `warning`: it reaches every
//! webhook that asked for warnings, and pages nobody as critical.
//!
//! A webhook's `event_kinds` lists kinds (`budget.threshold_reached`) or
//! families (`budget`: every `budget.*`); `null` receives every kind.

use serde::Serialize;
use utoipa::ToSchema;

use super::Invalid;

/// How much an event matters, least first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something to know: a test, a recovery, a key put back.
    #[default]
    Info,
    /// Something to look at soon: a threshold, a projection, a spike.
    Warning,
    /// Something that stops or may stop work now: a key disabled by policy,
    /// a policy that failed to act.
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Info, Severity::Warning, Severity::Critical];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }

    /// 0, 1, 2: how the store's SQL compares severities.
    pub const fn rank(self) -> i64 {
        match self {
            Self::Info => 0,
            Self::Warning => 1,
            Self::Critical => 2,
        }
    }

    /// `min_severity` as a request gives it.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| Invalid::new("min_severity", "must be info, warning or critical"))
    }
}

/// Every kind the product emits, with its severity.
pub const KINDS: &[(&str, Severity)] = &[
    ("budget.threshold_reached", Severity::Warning),
    ("budget.projected_exhaustion", Severity::Warning),
    ("budget.recovered", Severity::Info),
    ("key.woke_up", Severity::Warning),
    ("key.disabled", Severity::Critical),
    ("key.enabled", Severity::Info),
    ("key.limit_changed", Severity::Warning),
    ("policy.failed", Severity::Critical),
    ("spend.spike", Severity::Warning),
    ("data.drift", Severity::Warning),
    ("test", Severity::Info),
];

/// What a kind not in [`KINDS`] counts as.
pub const UNKNOWN: Severity = Severity::Warning;

pub fn of_kind(kind: &str) -> Severity {
    KINDS
        .iter()
        .find(|(known, _)| *known == kind)
        .map_or(UNKNOWN, |(_, severity)| *severity)
}

/// `budget` for `budget.threshold_reached`; a kind without a dot is its
/// own family (`test`).
pub fn family(kind: &str) -> &str {
    kind.split_once('.').map_or(kind, |(family, _)| family)
}

/// Entries one `event_kinds` list may hold.
pub const MAX_KINDS: usize = 20;

/// A webhook's `event_kinds`: known kinds or families, at least one, no
/// repeats (kept in the order given).
pub fn parse_kinds(kinds: &[String]) -> Result<Vec<String>, Invalid> {
    let bad = |reason: String| Invalid::new("event_kinds", reason);
    if kinds.is_empty() {
        return Err(bad(
            "must name at least one kind or family (null receives every kind)".to_owned(),
        ));
    }
    if kinds.len() > MAX_KINDS {
        return Err(bad(format!("may hold at most {MAX_KINDS} entries")));
    }
    let mut out: Vec<String> = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let known = KINDS.iter().any(|(k, _)| *k == kind || family(k) == kind);
        if !known {
            return Err(bad(format!(
                "has an unknown kind or family: {:?} (known: {})",
                kind.chars().take(64).collect::<String>(),
                known_list()
            )));
        }
        if !out.contains(kind) {
            out.push(kind.clone());
        }
    }
    Ok(out)
}

/// Every family, then every kind: what `event_kinds` may name.
pub fn filters() -> Vec<&'static str> {
    let mut unique: Vec<&str> = Vec::new();
    let families = KINDS.iter().map(|(k, _)| family(k));
    for name in families.chain(KINDS.iter().map(|(k, _)| *k)) {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    unique
}

fn known_list() -> String {
    filters().join(", ")
}

/// The API document's name for an entry of `event_kinds`: one of
/// [`filters`].
pub struct EventKindFilter;

impl utoipa::PartialSchema for EventKindFilter {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let schema = serde_json::json!({
            "type": "string",
            "description": "An event kind, or a family (the part before the dot: every kind of it).",
            "enum": filters(),
        });
        serde_json::from_value(schema).unwrap_or_else(|_| {
            utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::default())
        })
    }
}

impl utoipa::ToSchema for EventKindFilter {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("EventKindFilter")
    }
}

/// Whether a webhook with these filters receives an event of `kind`: the
/// rule the store's SQL applies (`store::events`), stated here to be tested.
pub fn receives(kinds: Option<&[String]>, min: Severity, kind: &str) -> bool {
    let listed = kinds.is_none_or(|list| list.iter().any(|k| k == kind || k == family(kind)));
    listed && of_kind(kind) >= min
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_severity_and_an_unknown_one_is_a_warning() {
        let table = [
            ("budget.threshold_reached", "warning"),
            ("budget.projected_exhaustion", "warning"),
            ("budget.recovered", "info"),
            ("key.woke_up", "warning"),
            ("key.disabled", "critical"),
            ("key.enabled", "info"),
            ("key.limit_changed", "warning"),
            ("policy.failed", "critical"),
            ("spend.spike", "warning"),
            ("data.drift", "warning"),
            ("test", "info"),
            ("something.new", "warning"),
            ("", "warning"),
        ];
        for (kind, severity) in table {
            assert_eq!(of_kind(kind).as_str(), severity, "{kind}");
        }
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Critical);
    }

    #[test]
    fn severities_parse_by_name_and_anything_else_names_the_field() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()).ok(), Some(s));
        }
        let err = Severity::parse("urgent").unwrap_err();
        assert!(err.to_string().contains("min_severity"), "{err}");
    }

    #[test]
    fn kinds_and_families_are_accepted_and_the_rest_named() {
        let given = ["budget", "key.disabled", "budget"].map(String::from);
        assert_eq!(parse_kinds(&given).unwrap(), ["budget", "key.disabled"]);
        for bad in [vec![], vec!["budgets".to_owned()], vec!["key.".to_owned()]] {
            let err = parse_kinds(&bad).unwrap_err();
            assert!(err.to_string().contains("event_kinds"), "{err}");
        }
        let many: Vec<String> = (0..21).map(|_| "key".to_owned()).collect();
        assert!(parse_kinds(&many).is_err());
        let all: Vec<String> = filters().into_iter().map(String::from).collect();
        assert!(all.len() <= MAX_KINDS, "every filter fits in one list");
        assert_eq!(parse_kinds(&all).unwrap(), all);
        assert_eq!(
            &all[..6],
            ["budget", "key", "policy", "spend", "data", "test"]
        );
    }

    #[test]
    fn a_webhook_receives_what_its_kinds_and_minimum_allow() {
        let keys = ["key".to_owned()];
        let threshold = "budget.threshold_reached";
        assert!(receives(None, Severity::Info, threshold));
        assert!(!receives(Some(&keys), Severity::Info, threshold));
        assert!(!receives(None, Severity::Critical, threshold));
        assert!(receives(Some(&keys), Severity::Critical, "key.disabled"));
        assert!(!receives(Some(&keys), Severity::Critical, "key.enabled"));
        let exact = ["budget.recovered".to_owned()];
        assert!(receives(Some(&exact), Severity::Info, "budget.recovered"));
        assert!(!receives(Some(&exact), Severity::Info, threshold));
        assert_eq!(family("budget.threshold_reached"), "budget");
        assert_eq!(family("test"), "test");
    }
}
