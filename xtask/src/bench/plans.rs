//! `EXPLAIN QUERY PLAN` of the public queries, run on the bench's D1. The
//! SQL is the store's own: `src/store/usage/public_sql.rs` is compiled into
//! xtask as well, so the plans always follow the code.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::dataset::Dataset;
use super::stack::Stack;

#[path = "../../../src/store/usage/public_sql.rs"]
mod public_sql;

/// (name, plan) of each public statement, with literal parameters (an
/// unknown token hash: the plan does not depend on it).
pub fn query_plans(stack: &Stack, data: &Dataset) -> Vec<(String, String)> {
    let hash = format!("'{}'", "0".repeat(64));
    let (start, end) = (format!("'{}'", data.start), format!("'{}'", data.today));
    let queries: [(&str, &str, Vec<&str>); 5] = [
        (
            "PUBLIC_STATS",
            public_sql::PUBLIC_STATS,
            vec![&hash, &start, &end],
        ),
        (
            "PUBLIC_STATS_BY_MEMBER",
            public_sql::PUBLIC_STATS_BY_MEMBER,
            vec![&hash, &start, &end],
        ),
        (
            "PUBLIC_USAGE",
            public_sql::PUBLIC_USAGE,
            vec![&hash, &start, &end, "1000", "0"],
        ),
        ("PUBLIC_KEYS", public_sql::PUBLIC_KEYS, vec![&hash]),
        (
            "PUBLIC_METRICS",
            public_sql::PUBLIC_METRICS,
            vec![&hash, &end],
        ),
    ];
    queries
        .into_iter()
        .map(|(name, sql, params)| {
            let sql = bind(sql, &params);
            let plan = match stack.query(&format!("EXPLAIN QUERY PLAN {sql}")) {
                Ok(rows) => render_plan(&rows),
                Err(e) => format!("(EXPLAIN failed: {e})"),
            };
            (name.to_owned(), plan)
        })
        .collect()
}

/// Replaces `?N` with `params[N-1]`, highest N first (`?1` is a prefix of `?10`).
fn bind(sql: &str, params: &[&str]) -> String {
    let mut sql = sql.to_owned();
    for (i, value) in params.iter().enumerate().rev() {
        sql = sql.replace(&format!("?{}", i + 1), value);
    }
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn render_plan(rows: &[Value]) -> String {
    let mut depth: BTreeMap<i64, usize> = BTreeMap::new();
    let mut out = String::new();
    for row in rows {
        let id = row["id"].as_i64().unwrap_or(0);
        let parent = row["parent"].as_i64().unwrap_or(0);
        let d = depth.get(&parent).map_or(0, |d| d + 1);
        depth.insert(id, d);
        let _ = writeln!(
            out,
            "{}{}",
            "  ".repeat(d),
            row["detail"].as_str().unwrap_or("?")
        );
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_are_bound_highest_first() {
        let params: Vec<String> = (1..=10).map(|i| format!("v{i}")).collect();
        let params: Vec<&str> = params.iter().map(String::as_str).collect();
        assert_eq!(
            bind("SELECT ?1, ?10\n  FROM t", &params),
            "SELECT v1, v10 FROM t"
        );
    }

    #[test]
    fn the_store_statements_take_the_parameters_the_plans_bind() {
        assert!(
            public_sql::PUBLIC_USAGE.contains("?5") && !public_sql::PUBLIC_USAGE.contains("?6")
        );
        assert!(
            public_sql::PUBLIC_STATS.contains("?3") && !public_sql::PUBLIC_STATS.contains("?4")
        );
        assert!(
            public_sql::PUBLIC_STATS_BY_MEMBER.contains("?3")
                && !public_sql::PUBLIC_STATS_BY_MEMBER.contains("?4")
        );
        assert!(public_sql::PUBLIC_KEYS.contains("?1") && !public_sql::PUBLIC_KEYS.contains("?2"));
        assert!(
            public_sql::PUBLIC_METRICS.contains("?2") && !public_sql::PUBLIC_METRICS.contains("?3")
        );
    }

    #[test]
    fn plans_are_indented_by_parent() {
        let rows = [
            json!({"id": 2, "parent": 0, "detail": "SCAN a"}),
            json!({"id": 5, "parent": 2, "detail": "SEARCH b"}),
            json!({"id": 9, "parent": 0, "detail": "SCAN c"}),
        ];
        assert_eq!(render_plan(&rows), "SCAN a\n  SEARCH b\nSCAN c");
    }
}
