//! What is measured: each public request
//! repeated (one question over and over, answer cache on) and cold (a
//! Worker started afresh with no answer cache, a question drawn per request
//! from distinct ones), the reference on the same questions, and the floors
//! of the cold phase.

use std::fs;
use std::path::{Path, PathBuf};

use super::account::expect;
use super::dataset::format_day;
use super::load::{self, Measure, Target};
use super::reference::Reference;
use super::report::{Floor, FloorKind, Report, Row, Run};
use super::stack::Stack;
use super::Options;
use crate::http::Client;
use crate::tools::{step, Result};

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
}

/// The four public requests over the dataset's days `first..=last`.
pub fn public_requests(first: i64, last: i64) -> Vec<PublicRequest> {
    let range = |start: i64, end: i64| {
        format!(
            "start_date={}&end_date={}",
            format_day(start),
            format_day(end)
        )
    };
    let windows_365: Vec<String> = (0..COLD_SHIFTS)
        .map(|k| range(first - k, last - k))
        .collect();
    let windows_30: Vec<String> = (first..=last - 29).map(|s| range(s, s + 29)).collect();
    let shifted = format!(
        "365-day windows ending on the dataset's last day or up to {} days earlier ({COLD_SHIFTS})",
        COLD_SHIFTS - 1
    );
    let each = |windows: &[String], path: &str, tail: &str| -> Vec<String> {
        windows
            .iter()
            .map(|r| format!("{path}?{r}{tail}"))
            .collect()
    };
    vec![
        PublicRequest {
            label: "`GET /api/v1/stats` (30 days)",
            repeated: "/api/v1/stats".into(),
            cold: each(&windows_30, "/api/v1/stats", ""),
            cold_note: format!("every 30-day window of the dataset ({})", windows_30.len()),
            target: Some(1.3),
        },
        PublicRequest {
            label: "`GET /api/v1/stats` (365 days)",
            repeated: format!("/api/v1/stats?{}", range(first, last)),
            cold: each(&windows_365, "/api/v1/stats", ""),
            cold_note: shifted.clone(),
            target: Some(6.0),
        },
        PublicRequest {
            label: "`GET /api/v1/usage` (365 days, limit=1000)",
            repeated: format!("/api/v1/usage?{}&limit=1000", range(first, last)),
            cold: each(&windows_365, "/api/v1/usage", "&limit=1000"),
            cold_note: format!("page 1 (1000 rows) of {shifted}"),
            target: Some(10.0),
        },
        PublicRequest {
            label: "`GET /api/v1/keys`",
            repeated: "/api/v1/keys".into(),
            cold: vec!["/api/v1/keys".into()],
            cold_note: "the one question there is (1)".into(),
            target: Some(6.0),
        },
    ]
}

/// How oha runs, and where the URL lists go.
pub struct Load<'a> {
    pub oha: &'a PathBuf,
    pub opts: &'a Options,
    pub dir: &'a Path,
}

impl Load<'_> {
    /// Checks a 200 on the first and last question, then warm-up and
    /// measurement; with several questions oha draws one per request from
    /// `<name>.urls` (`--urls-from-file`).
    pub fn measure(
        &self,
        client: &Client,
        paths: &[String],
        token: Option<&str>,
        name: &str,
    ) -> Result<Measure> {
        let (Some(first), Some(last)) = (paths.first(), paths.last()) else {
            return Err("no question to measure".into());
        };
        for path in [first, last] {
            let what = format!("GET {}{path}", client.base());
            expect(client.get(path, token)?, 200, &what)?;
        }
        let urls: Vec<String> = paths
            .iter()
            .map(|p| format!("{}{p}", client.base()))
            .collect();
        let list = self.dir.join(format!("{name}.urls"));
        let target = if let [url] = urls.as_slice() {
            Target::Url(url)
        } else {
            fs::write(&list, urls.join("\n") + "\n")
                .map_err(|e| format!("{}: {e}", list.display()))?;
            Target::UrlFile(&list)
        };
        load::measure(self.oha, &target, token, self.opts.warmup)?;
        let m = load::measure(self.oha, &target, token, self.opts.duration)?;
        eprintln!("  {name}: {}", summary(&m));
        Ok(m)
    }

    /// The reference on the same questions; a failure is reported, not fatal.
    fn reference(&self, r: Option<&Reference>, paths: &[String], name: &str) -> Option<Measure> {
        let r = r?;
        let client = r.server.client();
        match self.measure(&client, paths, Some(&r.token), &format!("{name}-reference")) {
            Ok(m) => Some(m),
            Err(e) => {
                eprintln!("  reference failed: {e}");
                None
            }
        }
    }
}

fn summary(m: &Measure) -> String {
    format!(
        "{:.1} req/s, p50 {:.1} ms, p99 {:.1} ms, non-2xx {}, errors {} [{}]",
        m.ok_per_sec, m.p50_ms, m.p99_ms, m.non_2xx, m.errors, m.statuses
    )
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
        let ours = load.measure(api, paths, Some(token), &name)?;
        report.rows.push(Row {
            label: request.label.to_owned(),
            target: request.target,
            repeated: Run {
                questions: format!("`{}`", request.repeated),
                ours,
                reference: load.reference(reference, paths, &name),
            },
            cold: None,
        });
    }
    Ok(())
}

/// The cold rows: before each, the Worker is started again on the same
/// data with `CACHE_OFF` (a fresh process: under `wrangler dev` workerd's
/// heap grows with every D1 result, so rows do not inherit each other's).
pub fn cold(
    load: &Load,
    root: &Path,
    stack: &mut Stack,
    token: &str,
    reference: Option<&Reference>,
    requests: &[PublicRequest],
    report: &mut Report,
) -> Result {
    for (request, row) in requests.iter().zip(&mut report.rows) {
        let name = format!("cold-{}", slug(request));
        stack.restart_worker(root, &name, &[CACHE_OFF])?;
        step(&format!("load, cold: {}", request.label));
        let ours = load.measure(&stack.worker.client(), &request.cold, Some(token), &name)?;
        row.cold = Some(Run {
            questions: request.cold_note.clone(),
            ours,
            reference: load.reference(reference, &request.cold, &name),
        });
    }
    Ok(())
}

/// `/health` on the product, then the floor Worker (`bench/floor/`, a fresh
/// one per row) on the cold usage row's questions.
pub fn floors(
    load: &Load,
    root: &Path,
    stack: &Stack,
    user_id: i64,
    usage: &PublicRequest,
    report: &mut Report,
) -> Result {
    step("load, floor: `GET /health`");
    let health = ["/health".to_owned()];
    let measure = load.measure(&stack.worker.client(), &health, None, "floor-health")?;
    report
        .floors
        .push(Floor::new(FloorKind::Health, "/health".into(), measure));
    for kind in [
        FloorKind::RoundTrips,
        FloorKind::Page,
        FloorKind::PageThroughObject,
    ] {
        let paths: Vec<String> = match kind.floor_path() {
            "/hop/one" => vec!["/hop/one".into()],
            prefix => {
                let to_floor = |p: &String| p.replacen("/api/v1/usage", prefix, 1);
                usage.cold.iter().map(to_floor).collect()
            }
        };
        step(&format!("load, floor: {}", kind.floor_path()));
        let floor = stack.start_floor(root, user_id)?;
        let name = format!("floor{}", kind.floor_path().replace('/', "-"));
        let measure = load.measure(&floor.client(), &paths, None, &name)?;
        let request = match paths.len() {
            1 => paths[0].clone(),
            n => format!(
                "{}?…: the cold usage row's {n} questions",
                kind.floor_path()
            ),
        };
        report.floors.push(Floor::new(kind, request, measure));
    }
    Ok(())
}
