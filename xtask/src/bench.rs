//! `cargo xtask bench [--duration 15s] [--warmup 2s] [--skip-sync]
//! [--skip-reference] [--keep-state] [--reverse-cold] [--profile]
//! [--profile-read DIR]`: the public API's benchmark, end to end (with
//! `--profile`, CPU profiles of its cold public rows instead: `profile.rs`).
//!
//! Starts the built Worker under `wrangler dev` on a fresh local D1 with the
//! simulator, loads one user with 5 keys × 40 models × 365 days = 73,000
//! `usage_stats` rows straight into D1, checks the public API's totals to
//! the last of 10 decimals, prints the query plans, then measures each
//! public request with `oha -c 8` twice:
//! repeated (one question, answer cache on) and cold (the Worker restarted
//! with `PUBLIC_ANSWER_CACHE_MS=0`, a distinct question per request), each
//! beside the original Python stack asked the same questions in the same
//! run, and beside the floors of the cold phase (`/health`, and the bare
//! Worker of `bench/floor/`). Then the web API's heavy reads cold, with the
//! user's session, each beside the floor Worker reading the same rows: the
//! dashboard's call (365 and 30 days) and the CSV export (30 days). Last,
//! checks that the hourly sync copes with 10,000 keys. Writes
//! `bench/results.md`. See `bench/README.md`.

mod about;
mod account;
mod cpuprofile;
mod dataset;
mod exact;
mod floors;
mod frames;
mod load;
mod plans;
mod profile;
mod reference;
mod report;
mod requests;
mod slices;
pub mod stack;
mod sync;
mod web;
mod worker;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use self::dataset::{format_units, Dataset};
use self::exact::Paths;
use self::reference::Reference;
use self::report::Report;
use self::requests::PublicRequest;
use self::slices::Load;
use self::stack::Stack;
use crate::tools::{self, step, Result};
use watcher_stack::client::{Client, Reach};

pub(crate) struct Options {
    duration: Duration,
    warmup: Duration,
    skip_sync: bool,
    skip_reference: bool,
    keep_state: bool,
    /// `--profile`: CPU profiles of the cold public rows instead of the
    /// benchmark (`profile.rs`).
    profile: bool,
    /// `--profile-read DIR`: only summarise the profiles in `DIR`.
    profile_read: Option<PathBuf>,
    /// `--reverse-cold`: the cold public rows in reverse order (keys,
    /// usage, stats over 365 days, then over 30 days).
    reverse_cold: bool,
    /// As given, for the report.
    args: Vec<String>,
}

impl Options {
    /// The command as run.
    fn command(&self) -> String {
        std::iter::once("cargo xtask bench")
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn parse(args: &[String]) -> Result<Options> {
        let mut opts = Options {
            duration: Duration::from_secs(15),
            warmup: Duration::from_secs(2),
            skip_sync: false,
            skip_reference: false,
            keep_state: false,
            profile: false,
            profile_read: None,
            reverse_cold: false,
            args: args.to_vec(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v.to_owned())),
                None => (arg.as_str(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next().cloned())
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag {
                "--duration" => opts.duration = parse_duration(&value()?)?,
                "--warmup" => opts.warmup = parse_duration(&value()?)?,
                "--skip-sync" => opts.skip_sync = true,
                "--skip-reference" => opts.skip_reference = true,
                "--keep-state" => opts.keep_state = true,
                "--profile" => opts.profile = true,
                "--profile-read" => opts.profile_read = Some(PathBuf::from(value()?)),
                "--reverse-cold" => opts.reverse_cold = true,
                other => {
                    return Err(format!(
                        "unknown argument {other:?}; usage: cargo xtask bench [--duration 15s] \
                         [--warmup 2s] [--skip-sync] [--skip-reference] [--keep-state] [--profile] \
                         [--profile-read DIR] [--reverse-cold]"
                    ))
                }
            }
        }
        Ok(opts)
    }
}

/// `15s`, `500ms`, `1m`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || format!("bad duration {text:?} (e.g. 15s, 500ms, 1m)");
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |i| text.split_at(i));
    let n: f64 = number.parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(bad()),
    };
    if secs <= 0.0 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

pub fn run(args: &[String]) -> Result {
    let opts = Options::parse(args)?;
    if let Some(dir) = &opts.profile_read {
        println!("{}", profile::read(dir)?);
        return Ok(());
    }
    let started = Instant::now();
    tools::setup()?;
    let root = tools::root();
    let build = if opts.profile {
        profile::build(&root)?
    } else {
        tools::build_worker()?;
        root.join("build")
    };
    let oha = load::ensure_oha()?;
    let mut stack = Stack::start_built(&root, &build, "bench", &[])?;
    let result = if opts.profile {
        profile::run(&root, &mut stack, &oha, &opts)
    } else {
        bench(&root, &mut stack, &oha, &opts, started)
    };
    stack.conclude("bench", &result, opts.keep_state, started);
    result
}

/// The bench user, its session and token and data, and the requests asked
/// of it.
struct Subject {
    org_id: i64,
    jwt: String,
    token: String,
    data: Dataset,
    requests: Vec<PublicRequest>,
    web_requests: Vec<web::WebRequest>,
}

impl Subject {
    /// The requests whose answers are checked (the measured ones).
    fn paths(&self) -> Paths<'_> {
        Paths {
            stats_365: &self.requests[1].repeated,
            usage_365: &self.requests[2].repeated,
        }
    }
}

fn bench(
    root: &Path,
    stack: &mut Stack,
    oha: &PathBuf,
    opts: &Options,
    started: Instant,
) -> Result {
    let mut report = Report {
        settings: format!(
            "`oha -c {}` for {}s per target after a {}s warm-up; the targets of a row (ours, the \
             reference, the row's floors) take turns in {} slices",
            load::CONCURRENCY,
            opts.duration.as_secs_f64(),
            opts.warmup.as_secs_f64(),
            slices::SLICES
        ),
        ..Report::default()
    };
    let subject = prepare(stack, &mut report)?;
    let reference = start_reference(root, stack, &subject, opts, &mut report);
    let dir = stack.dir.clone();
    let load = Load {
        oha,
        opts,
        dir: &dir,
    };
    let token = &subject.token;
    let requests = &subject.requests;
    let r = reference.as_ref();
    let api = stack.worker.client();
    requests::repeated(&load, &api, token, r, requests, &mut report)?;
    let who = (token.as_str(), subject.org_id);
    requests::cold(&load, root, stack, who, r, requests, &mut report)?;
    drop(reference);
    let session = (subject.jwt.as_str(), subject.org_id);
    web::cold(
        &load,
        (root, stack),
        session,
        &subject.web_requests,
        &mut report,
    )?;
    step("exactness again, answer cache off");
    let (api, paths) = (stack.worker.client(), subject.paths());
    let checks = &mut report.checks;
    exact::check(&api, token, &subject.data, &paths, "cache off: ", checks)?;
    step("the Worker: wasm size and start-up (wrangler check startup)");
    report.worker = worker::facts(root)?;
    if opts.skip_sync {
        report.sync.push("skipped (--skip-sync)".into());
    } else {
        step(&format!("sync scale: {} keys, hourly job", sync::SYNC_KEYS));
        report.sync = sync::check(stack)?;
    }
    write_report(&report, root, opts, started)
}

/// The bench user and token, the dataset, exactness and query plans.
fn prepare(stack: &Stack, report: &mut Report) -> Result<Subject> {
    let api = stack.worker.client();
    step("bench user, API token");
    let (org_id, jwt) = account::register_and_login(&api, "bench")?;
    let token = account::new_token(&api, &jwt)?;
    let data = load_dataset(stack, org_id, report)?;
    let requests = requests::public_requests(data.first_day, data.last_day);
    let web_requests = web::web_requests(data.first_day, data.last_day);
    let subject = Subject {
        org_id,
        jwt,
        token,
        data,
        requests,
        web_requests,
    };
    step("exactness: the API's totals against the generator's");
    let paths = subject.paths();
    exact::check(
        &api,
        &subject.token,
        &subject.data,
        &paths,
        "",
        &mut report.checks,
    )?;
    web::check(&api, &subject.jwt, &subject.data, &mut report.checks)?;
    step("query plans of the public queries");
    report.plans = plans::query_plans(stack, &subject.data);
    for (name, plan) in &report.plans {
        eprintln!("{name}:\n{plan}");
    }
    Ok(subject)
}

/// The benchmark dataset, straight into the stack's D1.
fn load_dataset(stack: &Stack, org_id: i64, report: &mut Report) -> Result<Dataset> {
    step("dataset: 5 keys × 40 models × 365 days straight into local D1");
    let now = dataset::timestamp(dataset::now_secs());
    let (sql, tsv) = (stack.dir.join("dataset.sql"), stack.dir.join("dataset.tsv"));
    let data = dataset::generate(org_id, 1, dataset::today(), &now, &sql, &tsv)?;
    let t = Instant::now();
    stack.execute_file(&sql)?;
    report.load = format!(
        "{} `usage_stats` rows ({} statements of {} rows, {:.1} MB of SQL) loaded with `wrangler d1 execute --local --file` in {:.1}s; the rollups are filled by the triggers.",
        data.rows,
        data.rows.div_ceil(dataset::ROWS_PER_INSERT),
        dataset::ROWS_PER_INSERT,
        data.sql_bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    eprintln!("{}", report.load);
    Ok(data)
}

/// The Python reference loaded with the same rows, or `None` (and why).
fn start_reference(
    root: &Path,
    stack: &Stack,
    subject: &Subject,
    opts: &Options,
    report: &mut Report,
) -> Option<Reference> {
    if opts.skip_reference {
        report.reference_note = "skipped (--skip-reference)".into();
        return None;
    }
    match reference::start(root, &stack.dir, &stack.dir.join("dataset.tsv")) {
        Ok(r) => {
            report.reference_versions = r.versions.clone();
            report.reference_note = reference_exactness(&r.server.client(), &r.token, subject);
            eprintln!("{}", report.reference_note);
            Some(r)
        }
        Err(e) => {
            report.reference_note = format!("not measured: {e}");
            eprintln!("reference unavailable, going on without it: {e}");
            None
        }
    }
}

fn reference_exactness(client: &Client, token: &str, subject: &Subject) -> String {
    let got = client
        .get(subject.paths().stats_365, Some(token))
        .and_then(|resp| account::expect(resp, 200, "reference stats"))
        .and_then(|resp| resp.json())
        .map(|j| j["summary"]["total_cost"].to_string())
        .unwrap_or_else(|e| e);
    let expected = format_units(subject.data.last_365.cost);
    let verdict = if got.trim_matches('"') == expected {
        "exact"
    } else {
        "NOT exact (float sum)"
    };
    format!("365-day `total_cost` from the reference: {got} (exact: \"{expected}\"): {verdict}")
}

fn write_report(report: &Report, root: &Path, opts: &Options, started: Instant) -> Result {
    let text = report::render(report, root, opts, started);
    println!("{text}");
    let out = root.join("bench/results.md");
    fs::write(&out, &text).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("wrote {}", out.display());
    if report.checks.iter().any(|(_, ok)| !ok) {
        return Err("the API's totals are not exact (see MISMATCH above)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_flags_parse() {
        assert_eq!(parse_duration("15s").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("fast").is_err());
        let args = ["--duration=3s", "--skip-sync"].map(String::from);
        let opts = Options::parse(&args).unwrap();
        assert_eq!(opts.duration, Duration::from_secs(3));
        assert!(opts.skip_sync && !opts.skip_reference && !opts.reverse_cold);
        assert!(
            Options::parse(&["--reverse-cold".to_owned()])
                .unwrap()
                .reverse_cold
        );
        assert_eq!(
            opts.command(),
            "cargo xtask bench --duration=3s --skip-sync"
        );
        assert!(Options::parse(&["--nope".to_owned()]).is_err());
    }
}
