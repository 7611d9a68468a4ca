//! `GET /api/v1/metrics`: the account's figures as OpenMetrics text, for
//! Prometheus and Grafana. Pure, tested natively.
//!
//! Conventions (prometheus.io/docs/practices/naming): an `openrouter_`
//! prefix, base units in the name (`_usd`, `_seconds`), counters as
//! `_total`, one label per dimension. Money is printed exactly (its decimal
//! text, never through `f64`). A key without a limit has no limit samples:
//! absent, never `+Inf`.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::periods::{period_spend, SnapshotSpend};
use crate::domain::money::Money;

pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A key's latest snapshot as the metrics read it.
#[derive(Debug, Clone)]
pub struct KeySnapshot {
    pub taken_at: DateTime<Utc>,
    pub daily: Money,
    pub weekly: Money,
    pub monthly: Money,
    pub usage: Money,
    pub limit: Option<Money>,
    pub remaining: Option<Money>,
    pub limit_reset: Option<String>,
}

#[derive(Debug, Clone)]
pub struct KeyFigures {
    pub id: i64,
    pub name: String,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub snapshot: Option<KeySnapshot>,
}

/// One model's figures over the last completed UTC day.
#[derive(Debug, Clone)]
pub struct ModelFigures {
    pub model: String,
    pub requests: i64,
    pub tokens_input: i64,
    pub tokens_output: i64,
    pub cost: Money,
}

struct Family<'a> {
    name: &'a str,
    kind: &'a str,
    unit: Option<&'a str>,
    help: &'a str,
    samples: Vec<(String, String)>,
}

impl Family<'_> {
    fn write(&self, out: &mut String) {
        if self.samples.is_empty() {
            return;
        }
        let _ = writeln!(out, "# TYPE {} {}", self.name, self.kind);
        if let Some(unit) = self.unit {
            let _ = writeln!(out, "# UNIT {} {unit}", self.name);
        }
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let suffix = match self.kind {
            "counter" => "_total",
            "info" => "_info",
            _ => "",
        };
        for (labels, value) in &self.samples {
            let _ = writeln!(out, "{}{suffix}{{{labels}}} {value}", self.name);
        }
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn key_labels(key: &KeyFigures) -> String {
    format!("key_id=\"{}\",key_name=\"{}\"", key.id, escape(&key.name))
}

/// The exposition's last line (OpenMetrics: a text without it is cut).
pub const END: &str = "# EOF\n";

/// The exposition as the API document states it: text ending with [`END`].
pub struct OpenMetricsText;

impl PartialSchema for OpenMetricsText {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!("{END}$")))
            .into()
    }
}

impl ToSchema for OpenMetricsText {}

pub fn render(
    keys: &[KeyFigures],
    models: &[ModelFigures],
    day: &str,
    now: DateTime<Utc>,
) -> String {
    let mut families = key_families(keys, now);
    families.extend(model_families(models, day));
    let mut out = String::new();
    for family in &families {
        family.write(&mut out);
    }
    out.push_str(END);
    out
}

fn key_families(keys: &[KeyFigures], now: DateTime<Utc>) -> Vec<Family<'static>> {
    let mut spend = Vec::new();
    let (mut usage, mut limit, mut remaining, mut age) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for key in keys {
        let labels = key_labels(key);
        if let Some(synced) = key.last_synced_at {
            age.push((
                labels.clone(),
                (now - synced).num_seconds().max(0).to_string(),
            ));
        }
        let Some(s) = &key.snapshot else { continue };
        // A counter counts only in the period its snapshot was taken in.
        let current = SnapshotSpend {
            taken_at: s.taken_at,
            usage_daily: s.daily,
            usage_weekly: s.weekly,
            usage_monthly: s.monthly,
        };
        if let Ok(p) = period_spend(&[current], now) {
            for (period, value) in [
                ("day", p.today),
                ("week", p.this_week),
                ("month", p.this_month),
            ] {
                spend.push((format!("{labels},period=\"{period}\""), value.to_string()));
            }
        }
        usage.push((labels.clone(), s.usage.to_string()));
        let reset = s.limit_reset.as_deref().unwrap_or("never");
        if let Some(l) = s.limit {
            limit.push((
                format!("{labels},limit_reset=\"{}\"", escape(reset)),
                l.to_string(),
            ));
        }
        if let Some(r) = s.remaining {
            remaining.push((
                format!("{labels},limit_reset=\"{}\"", escape(reset)),
                r.to_string(),
            ));
        }
    }
    vec![
        Family { name: "openrouter_key_spend_usd", kind: "gauge", unit: Some("usd"), help: "Spend in the current UTC day, week (from Monday) or month, from OpenRouter's counters.", samples: spend },
        Family { name: "openrouter_key_usage_usd", kind: "counter", unit: Some("usd"), help: "All-time spend of the key, as OpenRouter reports it.", samples: usage },
        Family { name: "openrouter_key_limit_usd", kind: "gauge", unit: Some("usd"), help: "The key's OpenRouter spending limit (absent when unlimited).", samples: limit },
        Family { name: "openrouter_key_limit_remaining_usd", kind: "gauge", unit: Some("usd"), help: "What the key may still spend before its limit resets (absent when unlimited).", samples: remaining },
        Family { name: "openrouter_key_last_sync_age_seconds", kind: "gauge", unit: Some("seconds"), help: "Seconds since the key was last synced from OpenRouter.", samples: age },
    ]
}

fn model_families(models: &[ModelFigures], day: &str) -> Vec<Family<'static>> {
    let label = |m: &ModelFigures| format!("model=\"{}\"", escape(&m.model));
    let mut tokens = Vec::new();
    for m in models {
        tokens.push((
            format!("{},direction=\"input\"", label(m)),
            m.tokens_input.to_string(),
        ));
        tokens.push((
            format!("{},direction=\"output\"", label(m)),
            m.tokens_output.to_string(),
        ));
    }
    vec![
        Family {
            name: "openrouter_model_day",
            kind: "info",
            unit: None,
            help: "The UTC day the openrouter_model_ metrics cover: the last completed one.",
            samples: vec![(format!("day=\"{day}\""), "1".to_owned())],
        },
        Family {
            name: "openrouter_model_requests",
            kind: "gauge",
            unit: None,
            help: "Requests per model over the last completed UTC day.",
            samples: models
                .iter()
                .map(|m| (label(m), m.requests.to_string()))
                .collect(),
        },
        Family {
            name: "openrouter_model_tokens",
            kind: "gauge",
            unit: None,
            help: "Tokens per model over the last completed UTC day.",
            samples: tokens,
        },
        Family {
            name: "openrouter_model_spend_usd",
            kind: "gauge",
            unit: Some("usd"),
            help: "Spend per model over the last completed UTC day.",
            samples: models
                .iter()
                .map(|m| (label(m), m.cost.to_string()))
                .collect(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{at, usd};

    fn two_keys() -> [KeyFigures; 2] {
        let snapshot = |taken: &str, d: &str, w: &str, m: &str, u: &str| KeySnapshot {
            taken_at: at(taken),
            daily: usd(d),
            weekly: usd(w),
            monthly: usd(m),
            usage: usd(u),
            limit: None,
            remaining: None,
            limit_reset: None,
        };
        let limited = KeySnapshot {
            limit: Some(usd("50")),
            remaining: Some(usd("20")),
            limit_reset: Some("monthly".into()),
            ..snapshot("2026-11-29T10:00:00Z", "0.1234567891", "2", "30", "100.5")
        };
        [
            KeyFigures {
                id: 1,
                name: "Prod \"eu\"\\1".into(),
                last_synced_at: Some(at("2026-11-29T10:00:00Z")),
                snapshot: Some(limited),
            },
            KeyFigures {
                id: 2,
                name: "Unlimited".into(),
                last_synced_at: None,
                // Yesterday's snapshot: nothing of it is today's.
                snapshot: Some(snapshot("2026-11-28T23:00:00Z", "9", "9", "9", "9")),
            },
        ]
    }

    #[test]
    fn renders_openmetrics_with_exact_values_and_no_infinite_limits() {
        let now = at("2026-11-29T10:30:00Z");
        let keys = two_keys();
        let models = [ModelFigures {
            model: "openai/gpt-4o".into(),
            requests: 3,
            tokens_input: 100,
            tokens_output: 50,
            cost: usd("0.01"),
        }];
        let text = render(&keys, &models, "2026-11-28", now);
        let p1 = r#"key_id="1",key_name="Prod \"eu\"\\1""#;
        for line in [
            format!(r#"openrouter_key_spend_usd{{{p1},period="day"}} 0.1234567891"#),
            format!(r#"openrouter_key_usage_usd_total{{{p1}}} 100.5"#),
            format!(r#"openrouter_key_limit_usd{{{p1},limit_reset="monthly"}} 50"#),
            format!(r#"openrouter_key_last_sync_age_seconds{{{p1}}} 1800"#),
            r#"openrouter_key_spend_usd{key_id="2",key_name="Unlimited",period="day"} 0"#
                .to_owned(),
            r#"openrouter_key_spend_usd{key_id="2",key_name="Unlimited",period="week"} 9"#
                .to_owned(),
            r#"openrouter_model_tokens{model="openai/gpt-4o",direction="output"} 50"#.to_owned(),
            r#"openrouter_model_day_info{day="2026-11-28"} 1"#.to_owned(),
            "# UNIT openrouter_key_spend_usd usd".to_owned(),
            "# TYPE openrouter_key_usage_usd counter".to_owned(),
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
        assert!(!text.contains("Inf"));
        assert!(!text.contains(r#"key_id="2",key_name="Unlimited",limit_reset"#));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn an_account_without_keys_still_says_which_day() {
        let text = render(&[], &[], "2026-11-28", at("2026-11-29T00:00:00Z"));
        assert_eq!(
            text,
            "# TYPE openrouter_model_day info\n# HELP openrouter_model_day The UTC day the openrouter_model_ metrics cover: the last completed one.\nopenrouter_model_day_info{day=\"2026-11-28\"} 1\n# EOF\n"
        );
    }
}
