//! The web API's heavy reads, cold: the dashboard's one call (`GET
//! /api/stats/dashboard`, 365 and 30 days) and the CSV export (`GET
//! /api/usage.csv`, 30 days), with the bench user's session, each beside
//! the floor Worker reading the same rows (`bench/floor/`). They have no
//! answer cache and no reference (the original had neither route): each
//! request is a distinct range all the same, as the public cold rows.

use std::path::Path;

use super::account::expect;
use super::dataset::{self, format_units, Dataset};
use super::exact::{self, Checks};
use super::floors::FloorKind;
use super::report::{Report, Row};
use super::requests::{cold_row, each, shifted_note, windows_30, windows_365, Cold};
use super::slices::Load;
use super::stack::Stack;
use crate::tools::Result;
use watcher_stack::client::Client;

const DASHBOARD: &str = "/api/stats/dashboard";
const EXPORT: &str = "/api/usage.csv";

pub struct WebRequest {
    pub label: &'static str,
    /// Of its files.
    pub name: &'static str,
    pub cold: Vec<String>,
    pub cold_note: String,
    pub floor: FloorKind,
    /// The row, as its floor's request names it.
    pub what: &'static str,
}

/// The dashboard over 365 and 30 days and the export over 30 days (the
/// Usage screen's default range), on the dataset's days `first..=last`.
pub fn web_requests(first: i64, last: i64) -> Vec<WebRequest> {
    let (windows_365, windows_30) = (windows_365(first, last), windows_30(first, last));
    let every_30 = format!("every 30-day window of the dataset ({})", windows_30.len());
    let rows_30 = dataset::KEYS * dataset::MODELS.len() * 30;
    vec![
        WebRequest {
            label: "`GET /api/stats/dashboard` (365 days)",
            name: "dashboard-365",
            cold: each(&windows_365, DASHBOARD, ""),
            cold_note: shifted_note(),
            floor: FloorKind::Dashboard,
            what: "dashboard (365 days)",
        },
        WebRequest {
            label: "`GET /api/stats/dashboard` (30 days)",
            name: "dashboard-30",
            cold: each(&windows_30, DASHBOARD, ""),
            cold_note: every_30.clone(),
            floor: FloorKind::Dashboard,
            what: "dashboard (30 days)",
        },
        WebRequest {
            label: "`GET /api/usage.csv` (30 days)",
            name: "export-30",
            cold: each(&windows_30, EXPORT, ""),
            cold_note: format!("{rows_30} rows each, {every_30}"),
            floor: FloorKind::Export,
            what: "export",
        },
    ]
}

/// The cold rows of the web requests, with the session `jwt` of the bench
/// user `org_id`, after the public rows.
pub fn cold(
    load: &Load,
    (root, stack): (&Path, &mut Stack),
    (jwt, org_id): (&str, i64),
    requests: &[WebRequest],
    report: &mut Report,
) -> Result {
    for request in requests {
        let row = Cold {
            name: format!("cold-{}", request.name),
            label: request.label,
            questions: &request.cold,
            note: &request.cold_note,
            bearer: jwt,
            floors: std::slice::from_ref(&request.floor),
            what: request.what,
        };
        let run = cold_row(load, (root, stack, org_id), &row, None, report)?;
        report.rows.push(Row {
            label: request.label.to_owned(),
            target: None,
            repeated: None,
            cold: Some(run),
        });
    }
    Ok(())
}

/// The dashboard's totals over the dataset's 365 days against the
/// generator's, and the export's row count over its last 30 days.
pub fn check(api: &Client, jwt: &str, data: &Dataset, checks: &mut Checks) -> Result {
    let range = |first: i64| {
        format!(
            "start_date={}&end_date={}",
            dataset::format_day(first),
            dataset::format_day(data.last_day)
        )
    };
    let get = |path: String| expect(api.get(&path, Some(jwt))?, 200, &format!("GET {path}"));
    let dashboard = get(format!("{DASHBOARD}?{}", range(data.first_day)))?.json()?;
    let totals = &dashboard["totals"];
    let csv = get(format!("{EXPORT}?{}", range(data.last_day - 29)))?;
    let found = vec![
        (
            "dashboard (365 days) totals.total_cost".into(),
            format!("{:?}", format_units(data.last_365.cost)),
            totals["total_cost"].to_string(),
        ),
        (
            "dashboard (365 days) totals.total_requests".into(),
            data.last_365.requests.to_string(),
            totals["total_requests"].to_string(),
        ),
        (
            "usage.csv (30 days) rows".into(),
            (dataset::KEYS * dataset::MODELS.len() * 30).to_string(),
            csv.body.lines().skip(1).count().to_string(),
        ),
    ];
    exact::record(found, "", checks);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_web_question_is_distinct_and_on_its_route() {
        let (first, last) = (20_000, 20_000 + dataset::DAYS - 1);
        let requests = web_requests(first, last);
        assert_eq!(requests.len(), 3);
        for request in &requests {
            let mut distinct = request.cold.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), request.cold.len(), "{}", request.label);
            let route = request.floor.mirrors().unwrap();
            assert!(request.cold.iter().all(|q| q.starts_with(route)));
        }
        assert_eq!(requests[0].cold.len(), 30);
        assert_eq!(requests[1].cold.len(), 336);
        assert_eq!(
            requests[2].cold_note,
            format!("6000 rows each, every 30-day window of the dataset (336)")
        );
    }
}
