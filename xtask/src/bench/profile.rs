//! `cargo xtask bench --profile`: where a cold public request's CPU goes.
//!
//! Builds the Worker as shipped but keeping the wasm's names section
//! (`worker-build --release --out-dir target/profile-build`, no strip: the
//! shipped `build/` is untouched), starts it on the bench's dataset, and
//! for each cold row (stats over 30 and 365 days, keys) restarts it with no
//! answer cache and records a V8 CPU profile of its isolate (the Worker and
//! its Durable Objects run in one isolate under `wrangler dev`) through
//! wrangler's inspector while `oha` asks the row's distinct questions
//! (`bench/profile/cdp.mjs` speaks the DevTools protocol). The profiles
//! are kept in `target/profiles/`; the summary ([`super::cpuprofile`]) is
//! printed and written to `bench/profile.md`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::cpuprofile::{self, Summary};
use super::floors::FloorKind;
use super::load;
use super::report::Report;
use super::requests::{PublicRequest, CACHE_OFF};
use super::slices::Load;
use super::stack::Stack;
use super::Options;
use crate::tools::{self, step, Result};
use watcher_stack::client::Reach;
use watcher_stack::Worker;

/// The Worker with its names, beside the shipped one.
const PROFILE_BUILD: &str = "target/profile-build";
/// V8's sampling interval (microseconds).
const INTERVAL_US: u32 = 200;

/// Builds the Worker keeping its names section into [`PROFILE_BUILD`]
/// (the shipped `build/` first, for its assets and its cargo artefacts).
pub fn build(root: &Path) -> Result<PathBuf> {
    tools::build_worker()?;
    let built = root.join(PROFILE_BUILD);
    if tools::up_to_date(
        &built.join("index_bg.wasm"),
        &[root.join(tools::WORKER_WASM)],
    ) {
        eprintln!("{PROFILE_BUILD} is newer than build/: not rebuilt");
        return Ok(built);
    }
    step("worker-build --release --out-dir target/profile-build (names kept)");
    tools::run(
        watcher_stack::offline_env(&mut Command::new(watcher_stack::cargo_bin("worker-build")))
            .args(["--release", "--out-dir", PROFILE_BUILD])
            .current_dir(root),
    )?;
    Ok(built)
}

/// `--profile`: the bench's user, token and dataset, then CPU profiles
/// of the cold public rows and their floors; writes `bench/profile.md`.
pub fn run(root: &Path, stack: &mut Stack, oha: &PathBuf, opts: &Options) -> Result {
    let mut report = Report::default();
    let subject = super::prepare(stack, &mut report)?;
    let dir = stack.dir.clone();
    let load = Load {
        oha,
        opts,
        dir: &dir,
    };
    let who = (subject.token.as_str(), subject.org_id);
    let text = rows(&load, root, stack, who, &subject.requests)?;
    let text = format!(
        "{text}\n- Taken {} on {}\n- Command: `{}`\n- Versions: {}\n",
        super::about::now(),
        super::about::machine(),
        opts.command(),
        super::about::versions(root)
    );
    println!("{text}");
    let out = root.join("bench/profile.md");
    std::fs::write(&out, &text).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// The cold rows profiled: stats (30 and 365 days) and keys.
fn profiled(requests: &[PublicRequest]) -> Vec<&PublicRequest> {
    requests
        .iter()
        .filter(|r| !r.repeated.starts_with("/api/v1/usage"))
        .collect()
}

/// Profiles each cold row, then its floor (the same questions to the
/// bare Worker of `bench/floor/`, a Durable Object call that runs the
/// same sum, or a trivial statement for keys); returns the report's text.
fn rows(
    load: &Load,
    root: &Path,
    stack: &mut Stack,
    (token, org_id): (&str, i64),
    requests: &[PublicRequest],
) -> Result<String> {
    let out = root.join("target/profiles");
    // Only this run's records: `--profile-read` reads every one there.
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut summaries = Vec::new();
    let mut rows = profiled(requests);
    if load.opts.reverse_cold {
        rows.reverse();
    }
    for request in rows {
        let name = format!("profile-{}", slug(&request.repeated));
        stack.restart_worker(&name, &[CACHE_OFF])?;
        step(&format!("profile, cold: {}", request.label));
        let target = Profiled {
            name: &name,
            label: request.label,
            paths: &request.cold,
            token: Some(token),
        };
        summaries.push(target.record(load, root, &stack.worker, &out)?);
        let kind = if request.repeated.starts_with("/api/v1/stats") {
            FloorKind::StatsThroughObject
        } else {
            FloorKind::RoundTrips
        };
        let paths: Vec<String> = match kind.mirrors() {
            Some(product) => request
                .cold
                .iter()
                .map(|p| p.replacen(product, kind.floor_path(), 1))
                .collect(),
            None => vec![kind.floor_path().to_owned()],
        };
        step(&format!("profile, floor of {}", request.label));
        let floor = stack.start_floor(root, org_id)?;
        let label = format!("floor of {}: `{}`", request.label, kind.floor_path());
        let target = Profiled {
            name: &format!("{name}-floor"),
            label: &label,
            paths: &paths,
            token: None,
        };
        summaries.push(target.record(load, root, &floor, &out)?);
    }
    Ok(cpuprofile::report(
        &summaries,
        out.strip_prefix(root).unwrap_or(&out),
    ))
}

/// One target profiled under load.
struct Profiled<'a> {
    /// Of its files.
    name: &'a str,
    label: &'a str,
    paths: &'a [String],
    token: Option<&'a str>,
}

impl Profiled<'_> {
    /// Warms the target up, profiles its isolate while `oha` asks its
    /// questions, keeps the record (`<name>.json`) and summarises it.
    fn record(&self, load: &Load, root: &Path, worker: &Worker, out: &Path) -> Result<Summary> {
        let probe = load.probe(&worker.client(), self.paths, self.token, self.name)?;
        let port = worker
            .inspector_port
            .ok_or("the Worker was started without an inspector port")?;
        let prefix = out.join(self.name);
        let (measure, files) = record(root, port, &prefix, || {
            load::measure(load.oha, &probe.target(), self.token, load.opts.duration)
        })?;
        let meta = serde_json::json!({
            "label": self.label,
            "answers": measure.ok,
            "per_sec": measure.ok_per_sec,
            "files": files,
        });
        let meta_file = prefix.with_extension("json");
        std::fs::write(&meta_file, meta.to_string())
            .map_err(|e| format!("{}: {e}", meta_file.display()))?;
        let summary = summarise(&meta_file)?;
        eprintln!("{}", summary.render());
        Ok(summary)
    }
}

/// Runs `work` with the isolate's profiler on; the profiles' files.
fn record<T>(
    root: &Path,
    port: u16,
    prefix: &Path,
    work: impl FnOnce() -> Result<T>,
) -> Result<(T, Vec<PathBuf>)> {
    let mut node = Command::new("timeout");
    node.args(["600", "node"])
        .arg(root.join("bench/profile/cdp.mjs"))
        .arg(port.to_string())
        .arg(prefix)
        .arg(INTERVAL_US.to_string())
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = node
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let stdout = child.stdout.take().ok_or("node: no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let started = lines.next().and_then(|l| l.ok()).unwrap_or_default();
    if !started.starts_with("started") {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("the profiler did not start: {started:?}"));
    }
    eprintln!("  profiler {started}");
    let result = work();
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"stop\n");
    }
    let stopped = lines.next().and_then(|l| l.ok()).unwrap_or_default();
    let status = child.wait().map_err(|e| format!("node: {e}"))?;
    let n: usize = stopped
        .strip_prefix("stopped ")
        .and_then(|n| n.trim().parse().ok())
        .ok_or(format!("the profiler did not stop ({status}): {stopped:?}"))?;
    let files = (0..n)
        .map(|i| PathBuf::from(format!("{}-{i}.cpuprofile", prefix.display())))
        .collect();
    Ok((result?, files))
}

/// `stats`, `stats-365`, `keys`.
fn slug(repeated: &str) -> String {
    let path = repeated.trim_start_matches("/api/v1/");
    let name = path.split('?').next().unwrap_or(path);
    if path.contains("start_date") {
        format!("{name}-365")
    } else {
        name.to_owned()
    }
}

/// A profiled row from its record (`<name>.json`: the row, its answers
/// and its profiles' files).
fn summarise(meta_file: &Path) -> Result<Summary> {
    let read =
        |file: &Path| std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()));
    let meta: serde_json::Value = serde_json::from_str(&read(meta_file)?)
        .map_err(|e| format!("{}: {e}", meta_file.display()))?;
    let mut profiles = Vec::new();
    for file in meta["files"].as_array().into_iter().flatten() {
        let file = meta_file.with_file_name(
            file.as_str()
                .and_then(|f| Path::new(f).file_name())
                .ok_or("a record without its files")?,
        );
        profiles.push(cpuprofile::parse(&read(&file)?)?);
    }
    Ok(Summary::of(
        meta["label"].as_str().unwrap_or("?"),
        &profiles,
        meta["answers"].as_u64().unwrap_or(0),
        meta["per_sec"].as_f64().unwrap_or(0.0),
    ))
}

/// `--profile-read DIR`: the summary of profiles already taken (every
/// `profile-*.json` record in `dir`), without running anything.
pub fn read(dir: &Path) -> Result<String> {
    let mut records: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    // In the order they were taken.
    records.sort_by_key(|r| std::fs::metadata(r).and_then(|m| m.modified()).ok());
    let summaries = records
        .iter()
        .map(|r| summarise(r))
        .collect::<Result<Vec<_>>>()?;
    Ok(cpuprofile::report(&summaries, dir))
}
