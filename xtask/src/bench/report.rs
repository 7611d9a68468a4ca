//! `bench/results.md`: what the run measured, as Markdown.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use super::about;
use super::exact::Checks;
use super::floors::{Floor, FloorKind};
use super::load::Measure;
use super::requests::CACHE_OFF;
use super::slices::SLICES;
use super::sync::{SYNC_CRON, SYNC_KEYS};
use super::Options;

/// A cold row at or above this share of the floor of its round trips sits
/// on that floor (the design's limit is reached).
const ON_THE_FLOOR: f64 = 0.9;

/// Everything `bench/results.md` reports.
#[derive(Default)]
pub struct Report {
    pub settings: String,
    pub load: String,
    pub checks: Checks,
    pub rows: Vec<Row>,
    pub floors: Vec<Floor>,
    pub reference_note: String,
    pub reference_versions: String,
    pub sync: Vec<String>,
    /// The wasm's size and the Worker's start-up.
    pub worker: Vec<String>,
    pub plans: Vec<(String, String)>,
}

/// One request, measured repeated and cold (a public request) or cold
/// only (the web API's dashboard and export).
pub struct Row {
    pub label: String,
    pub target: Option<f64>,
    pub repeated: Option<Run>,
    pub cold: Option<Run>,
}

pub struct Run {
    /// What was asked.
    pub questions: String,
    pub ours: Measure,
    pub reference: Option<Measure>,
}

pub fn render(report: &Report, root: &Path, opts: &Options, started: Instant) -> String {
    let mut out = String::new();
    header(&mut out, report, root, opts, started);
    throughput(&mut out, report);
    floors(&mut out, report);
    let w = &mut out;
    let _ = writeln!(w, "\nReference: {}\n", report.reference_note);
    let _ = writeln!(
        w,
        "## Exactness (expected totals computed while generating the rows)\n"
    );
    for (line, ok) in &report.checks {
        let _ = writeln!(w, "- {}: {line}", if *ok { "OK" } else { "MISMATCH" });
    }
    let _ = writeln!(w, "\n## The Worker: size and start-up\n");
    for line in &report.worker {
        let _ = writeln!(w, "{line}");
    }
    let _ = writeln!(
        w,
        "\n## Sync at scale (hourly job, `GET /__scheduled?cron={}`)\n",
        SYNC_CRON.replace('+', " ")
    );
    let _ = writeln!(
        w,
        "Ten more accounts store {SYNC_KEYS} simulator keys and their accounts' management keys; an hourly run plans them into `SYNC_QUEUE` batches, twice: without the management keys' listings (`SYNC_KEY_LISTING=0`, one `GET /key` per key) and with them (`GET /keys`, 100 keys a page); each consumer invocation may make at most `SYNC_SUBREQUEST_BUDGET` ({}) calls to OpenRouter (the platform allows 1,000 subrequests per invocation). \"cron answered\" is when `/__scheduled` returned (planning done), \"run final\" when the last batch reported; \"subrequests\" is the run's outbound calls as the Worker counted them (retries included), `GET /key` and `GET /keys` the simulator's log of the run.\n",
        about::sync_budget(root)
    );
    for line in &report.sync {
        let _ = writeln!(w, "{line}");
    }
    let _ = writeln!(
        w,
        "\n## Query plans (`EXPLAIN QUERY PLAN` of `src/store/usage/public_sql.rs`)\n"
    );
    for (name, plan) in &report.plans {
        let _ = writeln!(w, "`{name}`:\n\n```\n{plan}\n```\n");
    }
    out
}

fn header(w: &mut String, report: &Report, root: &Path, opts: &Options, started: Instant) {
    let _ = writeln!(w, "# Benchmark results (`cargo xtask bench`)\n");
    let _ = writeln!(w, "Taken {} on {}.\n", about::now(), about::machine());
    let _ = writeln!(w, "- Command: `{}`", opts.command());
    let _ = writeln!(w, "- Versions: {}", about::versions(root));
    if !report.reference_versions.is_empty() {
        let _ = writeln!(w, "- Reference: {}", report.reference_versions);
    }
    let _ = writeln!(w, "- Load: {}", report.settings);
    let _ = writeln!(w, "- Data: {}", report.load);
    let short = opts.duration < Duration::from_secs(15);
    let _ = writeln!(
        w,
        "- Whole run (setup, build check, load, measurements, sync): {:.0}s{}\n",
        started.elapsed().as_secs_f64(),
        if short {
            " — a SHORT run: use the default 15s for figures to compare"
        } else {
            ""
        }
    );
}

fn throughput(w: &mut String, report: &Report) {
    let _ = writeln!(w, "## Throughput and latency\n");
    let _ = writeln!(
        w,
        "Each request twice (SPEC §11, \"Cold and warm\"). **Repeated**: one question over and over, \
         the product's answer cache on (as a dashboard that repeats itself sees it). **Cold**: the \
         Worker started again on the same data with `--var {CACHE_OFF}` (no answer cache; a fresh \
         process per row) and each request a question drawn at random from distinct ones (oha \
         `--urls-from-file`). The reference has no cache; it is asked the same questions. Within a \
         row, ours, the reference and the row's floors are measured side by side: they take turns \
         in {SLICES} slices, so a busy moment of the machine falls on all of them. req/s counts 2xx \
         answers only; ratio = ours / reference req/s; SPEC §11's targets are judged on the cold \
         rows.\n"
    );
    let _ = writeln!(
        w,
        "| request | questions | req/s | p50 ms | p99 ms | non-2xx | reference req/s | ref p50 ms | ref p99 ms | ref non-2xx | ratio | target |"
    );
    let _ = writeln!(
        w,
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for row in &report.rows {
        if let Some(repeated) = &row.repeated {
            let _ = writeln!(w, "{}", run_line(row, repeated, false));
        }
        if let Some(cold) = &row.cold {
            let _ = writeln!(w, "{}", run_line(row, cold, true));
        }
    }
    let _ = writeln!(w, "\nQuestions:\n");
    for row in &report.rows {
        let _ = write!(w, "- {}:", row.label);
        if let Some(repeated) = &row.repeated {
            let _ = write!(w, " repeated `{}`", repeated.questions.trim_matches('`'));
        }
        if let Some(cold) = &row.cold {
            let _ = write!(w, "\n  cold: {}", cold.questions);
        }
        let _ = writeln!(w);
    }
}

fn ratio(run: &Run) -> Option<f64> {
    let r = run.reference.as_ref()?;
    (r.ok_per_sec > 0.0).then(|| run.ours.ok_per_sec / r.ok_per_sec)
}

fn run_line(row: &Row, run: &Run, cold: bool) -> String {
    let m = &run.ours;
    let reference = match &run.reference {
        Some(r) => format!(
            "{:.1} | {:.1} | {:.1} | {}",
            r.ok_per_sec,
            r.p50_ms,
            r.p99_ms,
            r.non_2xx + r.errors
        ),
        None => "- | - | - | -".into(),
    };
    let ratio = ratio(run);
    let target = match (row.target, ratio, cold) {
        (Some(t), Some(r), true) => {
            format!("≥ {t}×: **{}**", if r >= t { "met" } else { "NOT met" })
        }
        (Some(t), None, true) => format!("≥ {t}×"),
        (Some(_), _, false) => "(judged cold)".into(),
        (None, _, _) => "-".into(),
    };
    format!(
        "| {} | {} | {:.1} | {:.1} | {:.1} | {} | {reference} | {} | {target} |",
        row.label,
        if cold { "cold" } else { "repeated" },
        m.ok_per_sec,
        m.p50_ms,
        m.p99_ms,
        m.non_2xx + m.errors,
        ratio.map_or("-".into(), |r| format!("{r:.1}×")),
    )
}

fn floors(w: &mut String, report: &Report) {
    if report.floors.is_empty() {
        return;
    }
    let _ = writeln!(w, "\n## Floors (cold phase, same run)\n");
    let _ = writeln!(
        w,
        "The least work that gives the same answer, with the same oha settings, measured side by \
         side with the cold row it belongs to (the usage page's with the usage row, the dashboard's \
         and the export's with their rows, the others with the keys row). The floor Worker is `bench/floor/worker.js`: plain JavaScript, same local \
         D1, a fresh process per row.\n"
    );
    let _ = writeln!(w, "| floor | request | req/s | p50 ms | p99 ms | non-2xx |");
    let _ = writeln!(w, "| --- | --- | ---: | ---: | ---: | ---: |");
    let mut floors: Vec<&Floor> = report.floors.iter().collect();
    floors.sort_by_key(|f| f.kind);
    for floor in floors {
        let m = &floor.measure;
        let _ = writeln!(
            w,
            "| {} | `{}` | {:.1} | {:.1} | {:.1} | {} |",
            floor.kind.label(),
            floor.request,
            m.ok_per_sec,
            m.p50_ms,
            m.p99_ms,
            m.non_2xx + m.errors
        );
    }
    let _ = writeln!(w);
    for line in verdicts(report) {
        let _ = writeln!(w, "- {line}");
    }
}

/// Each cold row against its floors.
pub fn verdicts(report: &Report) -> Vec<String> {
    // The floor of that kind measured beside the row, else the first.
    let floor = |kind: FloorKind, row: &str| {
        let of_kind = || report.floors.iter().filter(move |f| f.kind == kind);
        of_kind()
            .find(|f| f.row == row)
            .or_else(|| of_kind().next())
            .map(|f| f.measure.ok_per_sec)
            .filter(|r| *r > 0.0)
    };
    let mut lines = Vec::new();
    for row in &report.rows {
        let Some(cold) = &row.cold else { continue };
        let ours = cold.ours.ok_per_sec;
        let kinds = FloorKind::of_row(&row.label);
        let shares: Vec<String> = kinds
            .iter()
            .filter_map(|&k| {
                floor(k, &row.label)
                    .map(|f| format!("{:.0} % of {} ({f:.1})", 100.0 * ours / f, k.short()))
            })
            .collect();
        let mut line = format!("cold {}: {ours:.1} req/s, {}", row.label, shares.join(", "));
        let limit = kinds.last().and_then(|&k| floor(k, &row.label));
        if limit.is_some_and(|f| ours >= ON_THE_FLOOR * f) {
            line.push_str(": on the floor of its round trips, the design's limit is reached");
        }
        if let (Some(t), Some(r)) = (row.target, ratio(cold)) {
            line.push_str(&format!("; {r:.1}× the reference (target ≥ {t}×)"));
        }
        lines.push(line + ".");
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(ok_per_sec: f64) -> Measure {
        Measure {
            ok_per_sec,
            ..Measure::default()
        }
    }

    fn cold_row(label: &str, ok_per_sec: f64) -> Row {
        Row {
            label: label.to_owned(),
            target: None,
            repeated: None,
            cold: Some(Run {
                questions: String::new(),
                ours: measure(ok_per_sec),
                reference: None,
            }),
        }
    }

    #[test]
    fn a_cold_row_is_held_to_the_floor_measured_beside_it() {
        let (d365, d30) = (
            "`GET /api/stats/dashboard` (365 days)",
            "`GET /api/stats/dashboard` (30 days)",
        );
        let floor = |row: &str, ok| Floor {
            kind: FloorKind::Dashboard,
            request: String::new(),
            measure: measure(ok),
            row: row.to_owned(),
        };
        let report = Report {
            rows: vec![cold_row(d365, 20.0), cold_row(d30, 95.0)],
            floors: vec![floor(d365, 40.0), floor(d30, 100.0)],
            ..Report::default()
        };
        let lines = verdicts(&report);
        assert!(
            lines[0].contains("50 % of the bare Worker's cells (40.0)."),
            "{lines:?}"
        );
        assert!(lines[1].contains("95 % of the bare Worker's cells (100.0): on the floor"));
        assert!(lines.iter().all(|l| !l.contains("reference")));
    }
}
