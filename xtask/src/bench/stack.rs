//! The product under test for the bench and the fuzzer: the stack (the
//! simulator and `wrangler dev` on a fresh local D1, started by the
//! launcher, `stack/`), isolated from the work tree.
//!
//! `wrangler dev` with the repository's `wrangler.toml` watches `src/` and
//! reruns the `[build]` command (and reloads the Worker) on every save, and
//! reads `build/` where any `cargo xtask build` rewrites it. A benchmark must
//! not be disturbed by either, so the bench runs a copy of `build/` with a
//! generated config (same bindings, vars and migrations, no `[build]`) and
//! a copy of `.dev.vars`, all under `target/<label>-state-<pid>/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use watcher_stack::{SimHandle, StackBuilder, Worker};

use crate::tools::{self, Result};

/// How long a Worker of the bench may take to answer its ready check.
const READY_WITHIN: Duration = Duration::from_secs(90);

/// Raised for every start of the bench's Worker: the public budget (the
/// rate limiter still runs, it just never refuses) and the key limits (the
/// sync-at-scale bench stores 10,000 keys).
const BENCH_VARS: [&str; 3] = [
    "PUBLIC_RATE_LIMIT_PER_HOUR:1000000",
    "MAX_KEYS_PER_USER:100000",
    "KEY_ADDS_PER_HOUR:1000000",
];

pub struct Stack {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub persist: PathBuf,
    pub sim: SimHandle,
    pub worker: Worker,
    /// How the Worker was started, for restarts on the same state.
    launch: StackBuilder,
}

impl Stack {
    /// A stack whose state lives in `target/<label>-state-<pid>/`, with
    /// `extra_vars` (`NAME:value`) passed to `wrangler dev` after the usual
    /// ones (a later `--var` wins over an earlier one of the same name).
    pub fn start_with(root: &Path, label: &str, extra_vars: &[&str]) -> Result<Stack> {
        Stack::start_built(root, &root.join("build"), label, extra_vars)
    }

    /// [`Stack::start_with`] of the Worker built in `build` (a copy of it).
    pub fn start_built(
        root: &Path,
        build: &Path,
        label: &str,
        extra_vars: &[&str],
    ) -> Result<Stack> {
        let dir = root
            .join("target")
            .join(format!("{label}-state-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let persist = dir.join("d1");
        fs::create_dir_all(&persist).map_err(|e| format!("{}: {e}", persist.display()))?;
        let config = write_config(root, build, &dir)?;
        tools::step(&format!(
            "fresh local D1 in {}, the OpenRouter simulator, wrangler dev (built Worker, no \
             rebuild, no watch)",
            persist.display()
        ));
        let launch = watcher_stack::Stack::builder()
            .persist_dir(&persist)
            .config(&config)
            .vars(&BENCH_VARS)
            .vars(extra_vars)
            .prebuilt()
            .health_deadline(READY_WITHIN);
        let started = launch
            .clone()
            .sim_log(dir.join("sim.log"))
            .log(dir.join("wrangler.log"))
            .start()?;
        let sim = started.sim.ok_or("the simulator did not start")?;
        Ok(Stack {
            launch: launch.sim_url(sim.base_url()).migrations(false),
            dir,
            config,
            persist,
            sim,
            worker: started.worker,
        })
    }

    /// Stops the Worker and starts it again on the same state (the same
    /// local D1 and Durable Object storage) with `more_vars` (`NAME:value`)
    /// after the stack's own; its log is `wrangler-<label>.log`.
    pub fn restart_worker(&mut self, label: &str, more_vars: &[&str]) -> Result {
        tools::step(&format!(
            "wrangler dev again ({label}: {})",
            more_vars.join(" ")
        ));
        self.worker.stop();
        let log = self.dir.join(format!("wrangler-{label}.log"));
        let started = self.launch.clone().vars(more_vars).log(log).start()?;
        self.worker = started.worker;
        Ok(())
    }

    /// The bare Worker of `bench/floor/worker.js` on the same local D1 (same
    /// `--persist-to`, same D1 binding and database), reading as `org_id`.
    pub fn start_floor(&self, root: &Path, org_id: i64) -> Result<Worker> {
        let config = write_floor_config(root, &self.dir, org_id)?;
        tools::step("wrangler dev (the floor: bench/floor/worker.js)");
        let floor = watcher_stack::Stack::other_worker(&config, "/noop")
            .persist_dir(&self.persist)
            .prebuilt()
            .health_deadline(READY_WITHIN)
            .log(self.dir.join("wrangler-floor.log"))
            .start()?;
        Ok(floor.worker)
    }

    fn d1(&self) -> Command {
        let mut cmd = tools::wrangler();
        cmd.args(["d1", "execute", "DB", "--local", "--persist-to"])
            .arg(&self.persist)
            .arg("-c")
            .arg(&self.config)
            .env("CI", "true");
        cmd
    }

    pub fn execute_file(&self, file: &Path) -> Result {
        let out = self
            .d1()
            .arg("--file")
            .arg(file)
            .args(["--yes", "--json"])
            .output()
            .map_err(|e| format!("wrangler d1 execute: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "wrangler d1 execute --file {} failed: {}{}",
                file.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// One SQL statement through `wrangler d1 execute --json`: its rows.
    pub fn query(&self, sql: &str) -> Result<Vec<serde_json::Value>> {
        let out = self
            .d1()
            .args(["--json", "--command", sql])
            .output()
            .map_err(|e| format!("wrangler d1 execute: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!(
                "wrangler d1 execute {sql:?} failed: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let start = text
            .find('[')
            .ok_or_else(|| format!("no JSON in {text:?}"))?;
        let json: serde_json::Value = serde_json::from_str(&text[start..])
            .map_err(|e| format!("wrangler d1 execute output ({e}): {text}"))?;
        Ok(json[0]["results"].as_array().cloned().unwrap_or_default())
    }

    /// Ends a task run on this stack: on failure, says why with the tail of
    /// wrangler's log and keeps the state; on success, how long it took.
    pub fn conclude(self, task: &str, result: &Result, keep: bool, started: std::time::Instant) {
        if let Err(e) = result {
            eprintln!("{task} failed: {e}");
            eprintln!(
                "--- wrangler dev (last lines) ---\n{}",
                self.worker.log_tail(25)
            );
        }
        self.finish(result.is_err() || keep);
        if result.is_ok() {
            eprintln!("{task} done in {:.0}s", started.elapsed().as_secs_f64());
        }
    }

    /// Stops both servers (their handles would too) and, unless `keep`,
    /// removes the state directory.
    pub fn finish(mut self, keep: bool) {
        self.worker.stop();
        drop(self.sim);
        if keep {
            eprintln!("state and logs kept in {}", self.dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// The floor Worker's config: `bench/floor/worker.js`, the repository's
/// compatibility date and `[[d1_databases]]` table (so it opens the same
/// local database), its own Durable Object class.
fn write_floor_config(root: &Path, dir: &Path, org_id: i64) -> Result<PathBuf> {
    let source = fs::read_to_string(root.join("wrangler.toml"))
        .map_err(|e| format!("wrangler.toml: {e}"))?;
    let mut date = None;
    let mut d1 = String::new();
    let mut table = String::new();
    for line in source.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            table = trimmed.to_owned();
        }
        let key = trimmed.split('=').next().unwrap_or("").trim();
        match (table.as_str(), key) {
            ("", "compatibility_date") => date = Some(trimmed.to_owned()),
            ("[[d1_databases]]", "migrations_dir") => {}
            ("[[d1_databases]]", _) if !trimmed.starts_with('#') && !trimmed.is_empty() => {
                d1.push_str(trimmed);
                d1.push('\n');
            }
            _ => {}
        }
    }
    let date = date.ok_or("wrangler.toml has no compatibility_date")?;
    if !d1.contains("binding") {
        return Err("wrangler.toml has no [[d1_databases]] table".into());
    }
    let main = root.join("bench/floor/worker.js");
    if !main.exists() {
        return Err(format!("{} is missing", main.display()));
    }
    let text = format!(
        "name = \"orw-bench-floor\"\nmain = {:?}\n{date}\n\n{d1}\n\
         [[durable_objects.bindings]]\nname = \"HOP\"\nclass_name = \"Hop\"\n\n\
         [[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Hop\"]\n\n\
         [vars]\nBENCH_ORG_ID = \"{org_id}\"\n",
        main.display().to_string()
    );
    let config = dir.join("floor.wrangler.toml");
    fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
    Ok(config)
}

/// The repository's `wrangler.toml` without `[build]`, with absolute paths,
/// plus the build output and `.dev.vars` beside it.
fn write_config(root: &Path, built: &Path, dir: &Path) -> Result<PathBuf> {
    let build = dir.join("build");
    copy_dir(built, &build)?;
    if !build.join("worker/shim.mjs").exists() || !build.join("index_bg.wasm").exists() {
        return Err(format!(
            "no built Worker in {}: run `cargo xtask build` (or drop ORW_SKIP_BUILD)",
            built.display()
        ));
    }
    let dev_vars = root.join(".dev.vars");
    fs::copy(&dev_vars, dir.join(".dev.vars"))
        .map_err(|e| format!("{}: {e} (run `cargo xtask setup`)", dev_vars.display()))?;

    let source = fs::read_to_string(root.join("wrangler.toml"))
        .map_err(|e| format!("wrangler.toml: {e}"))?;
    let quoted = |p: PathBuf| format!("{:?}", p.display().to_string());
    let mut text = String::new();
    let (mut table, mut replaced) = (String::new(), 0);
    for line in source.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            table = trimmed.to_owned();
        }
        if table == "[build]" {
            continue;
        }
        let key = trimmed.split('=').next().unwrap_or("").trim();
        let line = match (table.as_str(), key) {
            ("", "main") => {
                replaced += 1;
                format!("main = {}", quoted(build.join("worker/shim.mjs")))
            }
            ("[assets]", "directory") => {
                replaced += 1;
                format!("directory = {}", quoted(root.join("public")))
            }
            ("[[d1_databases]]", "migrations_dir") => {
                replaced += 1;
                format!("migrations_dir = {}", quoted(root.join("migrations")))
            }
            _ => line.to_owned(),
        };
        text.push_str(&line);
        text.push('\n');
    }
    if replaced != 3 {
        return Err(
            "wrangler.toml changed shape (main, [assets] directory, migrations_dir): update xtask/src/bench/stack.rs"
                .into(),
        );
    }
    let config = dir.join("wrangler.toml");
    fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
    Ok(config)
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        // `.tmp/`: a build in progress (worker-build's scratch space).
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target).map_err(|e| format!("{}: {e}", target.display()))?;
        }
    }
    Ok(())
}
