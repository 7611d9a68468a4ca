//! Exactness: the public API's totals against the generator's, as strings,
//! to the last of 10 decimals. A `MISMATCH` fails the bench.

use serde_json::Value;

use super::account::expect;
use super::dataset::{format_units, Dataset, Totals};
use crate::tools::Result;
use watcher_stack::client::Client;

/// (what was checked, passed) lines, in the order of the report.
pub type Checks = Vec<(String, bool)>;

/// The requests whose answers are checked (also measured later: they must
/// be the same requests).
pub struct Paths<'a> {
    pub stats_365: &'a str,
    pub usage_365: &'a str,
}

/// Checks stats (30 and 365 days), keys and usage; each line is prefixed
/// with `label` (e.g. `cache off: `).
pub fn check(
    api: &Client,
    token: &str,
    data: &Dataset,
    paths: &Paths,
    label: &str,
    checks: &mut Checks,
) -> Result {
    let get = |path: &str| -> Result<Value> {
        expect(api.get(path, Some(token))?, 200, &format!("GET {path}"))?.json()
    };
    let mut found = Vec::new();
    summary(
        "stats (30 days)",
        &data.last_30,
        &get("/api/v1/stats")?,
        &mut found,
    );
    summary(
        "stats (365 days)",
        &data.last_365,
        &get(paths.stats_365)?,
        &mut found,
    );
    keys(data, &get("/api/v1/keys")?, &mut found);
    let usage = get(paths.usage_365)?;
    found.push((
        "usage (365 days) pagination.total".into(),
        data.usage_rows.to_string(),
        usage["pagination"]["total"].to_string(),
    ));
    found.push((
        "usage (365 days, limit=1000) items on page 1".into(),
        "1000".into(),
        usage["items"].as_array().map_or(0, Vec::len).to_string(),
    ));
    record(found, label, checks);
    Ok(())
}

/// (name, expected, got)
pub type Found = Vec<(String, String, String)>;

/// Each of `found` as a check, prefixed with `label`, and on the terminal.
pub fn record(found: Found, label: &str, checks: &mut Checks) {
    for (name, expected, got) in found {
        let ok = expected == got;
        let line = if ok {
            format!("{label}{name} = {got}")
        } else {
            format!("{label}{name}: expected {expected}, got {got}")
        };
        eprintln!("{} {line}", if ok { "OK      " } else { "MISMATCH" });
        checks.push((line, ok));
    }
}

fn summary(name: &str, totals: &Totals, json: &Value, found: &mut Found) {
    let s = &json["summary"];
    let fields = [
        ("total_cost", format!("{:?}", format_units(totals.cost))),
        ("total_requests", totals.requests.to_string()),
        ("total_tokens_input", totals.tokens_input.to_string()),
        ("total_tokens_output", totals.tokens_output.to_string()),
    ];
    for (field, expected) in fields {
        found.push((format!("{name} {field}"), expected, s[field].to_string()));
    }
}

fn keys(data: &Dataset, json: &Value, found: &mut Found) {
    for key in &data.keys {
        let item = json["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["id"].as_i64() == Some(key.id)));
        let (cost, requests) = item.map_or(("missing".to_owned(), "missing".to_owned()), |i| {
            (
                i["stats"]["total_cost"].to_string(),
                i["stats"]["total_requests"].to_string(),
            )
        });
        found.push((
            format!("keys: {} total_cost", key.name),
            format!("{:?}", format_units(key.totals.cost)),
            cost,
        ));
        found.push((
            format!("keys: {} total_requests", key.name),
            key.totals.requests.to_string(),
            requests,
        ));
    }
}
