//! What is measured: each public request
//! repeated (one question over and over, answer cache on) and cold (a
//! Worker started afresh with no answer cache, a question drawn per request
//! from distinct ones), the reference on the same questions, and the floors
//! of the cold phase.

use std::path::Path;

use super::dataset::format_day;
use super::floors::{Floor, FloorKind};
use super::load::Measure;
use super::reference::Reference;
use super::report::{Report, Row, Run};
use super::slices::{Load, Probe};
use super::stack::Stack;
use crate::tools::{step, Result};
use watcher_stack::client::{Client, Reach};
use watcher_stack::Worker;

/// The Worker's setting in the cold phase: no answer cache at all.
pub const CACHE_OFF: &str = "PUBLIC_ANSWER_CACHE_MS:0";
/// Cold 365-day windows: ending on the dataset's last day or up to
/// `COLD_SHIFTS - 1` days earlier (each reads at least 336 of its 365 days).
const COLD_SHIFTS: i64 = 30;

pub struct PublicRequest {
    pub label: &'static str,
    pub repeated: String,
    pub cold: Vec<String>,
    pub cold_note: String,
    pub target: Option<f64>,
    /// Floors measured right after the cold row.
    pub floors: Vec<FloorKind>,
}

/// `start_date=…&end_date=…` of the days `start..=end`.
fn range(start: i64, end: i64) -> String {
    format!(
        "start_date={}&end_date={}",
        format_day(start),
        format_day(end)
    )
}

/// The cold 365-day windows of the dataset's days `first..=last`.
pub fn windows_365(first: i64, last: i64) -> Vec<String> {
    (0..COLD_SHIFTS)
        .map(|k| range(first - k, last - k))
        .collect()
}

/// Every 30-day window of the dataset's days `first..=last`.
pub fn windows_30(first: i64, last: i64) -> Vec<String> {
    (first..=last - 29).map(|s| range(s, s + 29)).collect()
}

/// How the cold 365-day windows are chosen.
pub fn shifted_note() -> String {
    format!(
        "365-day windows ending on the dataset's last day or up to {} days earlier ({COLD_SHIFTS})",
        COLD_SHIFTS - 1
    )
}

/// `path?<window><tail>` for each window.
pub fn each(windows: &[String], path: &str, tail: &str) -> Vec<String> {
    windows
        .iter()
        .map(|r| format!("{path}?{r}{tail}"))
        .collect()
}

/// The four public requests over the dataset's days `first..=last`.
pub fn public_requests(first: i64, last: i64) -> Vec<PublicRequest> {
    let (windows_365, windows_30) = (windows_365(first, last), windows_30(first, last));
    let shifted = shifted_note();
    vec![
        PublicRequest {
            label: "`GET /api/v1/stats` (30 days)",
            repeated: "/api/v1/stats".into(),
            cold: each(&windows_30, "/api/v1/stats", ""),
            cold_note: format!("every 30-day window of the dataset ({})", windows_30.len()),
            target: Some(1.3),
            floors: vec![FloorKind::StatsThroughObject],
        },
        PublicRequest {
            label: "`GET /api/v1/stats` (365 days)",
            repeated: format!("/api/v1/stats?{}", range(first, last)),
            cold: each(&windows_365, "/api/v1/stats", ""),
            cold_note: shifted.clone(),
            target: Some(6.0),
            floors: vec![FloorKind::StatsThroughObject],
        },
        PublicRequest {
            label: "`GET /api/v1/usage` (365 days, limit=1000)",
            repeated: format!("/api/v1/usage?{}&limit=1000", range(first, last)),
            cold: each(&windows_365, "/api/v1/usage", "&limit=1000"),
            cold_note: format!("page 1 (1000 rows) of {shifted}"),
            target: Some(10.0),
            floors: vec![FloorKind::Page, FloorKind::PageThroughObject],
        },
        PublicRequest {
            label: "`GET /api/v1/keys`",
            repeated: "/api/v1/keys".into(),
            cold: vec!["/api/v1/keys".into()],
            cold_note: "the one question there is (1)".into(),
            target: Some(6.0),
            floors: vec![FloorKind::RoundTrips, FloorKind::Health],
        },
    ]
}

/// `stats`, `stats-365`, `usage-365`, `keys`: file names of a request.
fn slug(request: &PublicRequest) -> String {
    let path = request.repeated.trim_start_matches("/api/v1/");
    let name = path.split('?').next().unwrap_or(path);
    let days = if path.contains("start_date") {
        "-365"
    } else {
        ""
    };
    format!("{name}{days}")
}

/// The reference's probe, or `None` (without a reference, or when it
/// fails its 200 check: reported, not fatal).
fn reference_probe(
    load: &Load,
    reference: Option<&Reference>,
    paths: &[String],
    name: &str,
) -> Option<Probe> {
    let r = reference?;
    let name = format!("{name}-reference");
    match load.probe(&r.server.client(), paths, Some(&r.token), &name) {
        Ok(probe) => Some(probe),
        Err(e) => {
            eprintln!("  reference failed: {e}");
            None
        }
    }
}

/// Ours, the floors, then the reference (if any), measured side by side:
/// (ours, floors, reference).
fn side_by_side(
    load: &Load,
    ours: Probe,
    floors: Vec<Probe>,
    reference: Option<Probe>,
) -> Result<(Measure, Vec<Measure>, Option<Measure>)> {
    let (name, n_floors, has_reference) = (ours.name.clone(), floors.len(), reference.is_some());
    let probes: Vec<Probe> = std::iter::once(ours)
        .chain(floors)
        .chain(reference)
        .collect();
    let mut measures = load.interleaved(&probes).into_iter();
    let ours = measures
        .next()
        .flatten()
        .ok_or(format!("{name}: not measured"))?;
    let floors = measures
        .by_ref()
        .take(n_floors)
        .collect::<Option<Vec<_>>>()
        .ok_or(format!("{name}: a floor was not measured"))?;
    let reference = if has_reference {
        measures.next().flatten()
    } else {
        None
    };
    Ok((ours, floors, reference))
}

/// The repeated rows, on the Worker as configured (answer cache on).
pub fn repeated(
    load: &Load,
    api: &Client,
    token: &str,
    reference: Option<&Reference>,
    requests: &[PublicRequest],
    report: &mut Report,
) -> Result {
    for request in requests {
        step(&format!("load, repeated: {}", request.label));
        let paths = std::slice::from_ref(&request.repeated);
        let name = format!("repeated-{}", slug(request));
        let ours = load.probe(api, paths, Some(token), &name)?;
        let theirs = reference_probe(load, reference, paths, &name);
        let (ours, _, reference) = side_by_side(load, ours, Vec::new(), theirs)?;
        report.rows.push(Row {
            label: request.label.to_owned(),
            target: request.target,
            repeated: Some(Run {
                questions: format!("`{}`", request.repeated),
                ours,
                reference,
            }),
            cold: None,
        });
    }
    Ok(())
}

/// The cold rows of the public requests (see [`cold_row`]), each beside
/// the reference.
pub fn cold(
    load: &Load,
    root: &Path,
    stack: &mut Stack,
    subject: (&str, i64),
    reference: Option<&Reference>,
    requests: &[PublicRequest],
    report: &mut Report,
) -> Result {
    let (token, org_id) = subject;
    // `--reverse-cold`: whether a row's figure owes anything to its place
    // (the first cold row runs first after the repeated phase).
    let mut order: Vec<usize> = (0..requests.len()).collect();
    if load.opts.reverse_cold {
        order.reverse();
    }
    for i in order {
        let request = &requests[i];
        let row = Cold {
            name: format!("cold-{}", slug(request)),
            label: request.label,
            questions: &request.cold,
            note: &request.cold_note,
            bearer: token,
            floors: &request.floors,
            what: "usage",
        };
        report.rows[i].cold = Some(cold_row(
            load,
            (root, stack, org_id),
            &row,
            reference,
            report,
        )?);
    }
    Ok(())
}

/// A cold row: what it asks, with which credential, beside which floors.
pub struct Cold<'a> {
    /// Of its files (`<name>.urls`, `wrangler-<name>.log`).
    pub name: String,
    pub label: &'a str,
    pub questions: &'a [String],
    /// How the questions were chosen.
    pub note: &'a str,
    pub bearer: &'a str,
    pub floors: &'a [FloorKind],
    /// The row, as the floors' requests name it ("the cold usage row's …").
    pub what: &'a str,
}

/// One cold row: before it, the Worker is started again on the same data
/// with `CACHE_OFF` (a fresh process: under `wrangler dev` workerd's heap
/// grows with every D1 result, so rows do not inherit each other's); its
/// floors (fresh floor Workers, reading as `org_id`) and the reference are
/// measured side by side with it. The floors go into `report`.
pub fn cold_row(
    load: &Load,
    (root, stack, org_id): (&Path, &mut Stack, i64),
    row: &Cold,
    reference: Option<&Reference>,
    report: &mut Report,
) -> Result<Run> {
    stack.restart_worker(&row.name, &[CACHE_OFF])?;
    step(&format!("load, cold: {}", row.label));
    let api = stack.worker.client();
    let ours = load.probe(&api, row.questions, Some(row.bearer), &row.name)?;
    // Fresh floor Workers, alive until the row is measured.
    let mut servers = Vec::new();
    let mut floors = Vec::new();
    for &kind in row.floors {
        let (client, paths) = floor_target(root, stack, org_id, kind, row, &mut servers)?;
        let probe_name = format!("floor{}", kind.floor_path().replace('/', "-"));
        floors.push((kind, load.probe(&client, &paths, None, &probe_name)?, paths));
    }
    let shown: Vec<(FloorKind, String)> = floors
        .iter()
        .map(|(k, _, paths)| (*k, shown_request(*k, paths, row.what)))
        .collect();
    let probes = floors.into_iter().map(|(_, probe, _)| probe).collect();
    let theirs = reference_probe(load, reference, row.questions, &row.name);
    let (ours, measures, reference) = side_by_side(load, ours, probes, theirs)?;
    drop(servers);
    for ((kind, request), measure) in shown.into_iter().zip(measures) {
        let label = row.label.to_owned();
        report.floors.push(Floor {
            kind,
            request,
            measure,
            row: label,
        });
    }
    Ok(Run {
        questions: row.note.to_owned(),
        ours,
        reference,
    })
}

/// Where a floor is measured: `/health` on the product, the others on a
/// fresh floor Worker (`bench/floor/`, kept in `servers`) with the row's
/// questions on the floor's path.
fn floor_target(
    root: &Path,
    stack: &Stack,
    org_id: i64,
    kind: FloorKind,
    row: &Cold,
    servers: &mut Vec<Worker>,
) -> Result<(Client, Vec<String>)> {
    let path = kind.floor_path();
    let paths: Vec<String> = match kind.mirrors() {
        None => vec![path.to_owned()],
        Some(product) => {
            let to_floor = |p: &String| p.replacen(product, path, 1);
            row.questions.iter().map(to_floor).collect()
        }
    };
    if kind == FloorKind::Health {
        return Ok((stack.worker.client(), paths));
    }
    let server = stack.start_floor(root, org_id)?;
    let client = server.client();
    servers.push(server);
    Ok((client, paths))
}

fn shown_request(kind: FloorKind, paths: &[String], what: &str) -> String {
    match paths {
        [one] => one.clone(),
        many => format!(
            "{}?…: the cold {what} row's {} questions",
            kind.floor_path(),
            many.len()
        ),
    }
}
