//! API fuzzing with schemathesis against the real Worker.
//!
//! `cargo xtask fuzz [--examples N] [--seed S] [--workers W] [--keep-state]`
//! is the long run; `cargo xtask test` runs [`bounded`] (100 examples per
//! operation and phase, about a minute). Both start a fresh stack (the
//! simulator and the built Worker under `wrangler dev` on an empty local D1,
//! started by the launcher through `bench/stack.rs`) with the rate limits raised through `--var` for
//! this run only (the fuzzer sends thousands of requests from one address;
//! the product's limits are untouched), create a user with a JWT, an API
//! token and two simulator keys (synced once, so usage routes have rows),
//! then run every operation of `/openapi.json` with `--checks all`: no 5xx,
//! every status, header, content type and body as documented (so every error
//! has the envelope), valid data accepted, invalid data refused, unknown
//! methods 405 with `Allow`, no route that ignores its credentials.
//! `fuzz/schemathesis.toml` holds the configuration (credentials come in
//! through the environment); any failed check, 5xx or `fail-on` warning
//! fails the run with schemathesis' report.
//!
//! Several passes, because some operations destroy the credentials the
//! others need: everything else first, then each of [`DESTRUCTIVE`] alone,
//! each pass with a session of its own (all logged in up front: once the
//! fuzzer has spent the login throttle's budget on wrong passwords, nobody
//! logs in from this address for 15 minutes). `DELETE /api/tokens/{id}` may
//! revoke the run's API token (schemathesis tries id 1), logout revokes its
//! session; changing the password and deleting the account need the
//! password, which the fuzzer does not know, but run last all the same.
//!
//! schemathesis (PyPI) lives in a project-local virtualenv,
//! `target/fuzz-venv`, installed by `cargo xtask setup` ([`setup`]) from the
//! exact pins of `requirements-fuzz.txt`.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::bench::stack::Stack;
use crate::tools::{self, step, Result};
use watcher_stack::client::Reach;

use account::prepare;
pub use venv::setup;
use venv::VENV;

mod account;
mod venv;

/// The configuration every pass uses (relative to the repository root).
const CONFIG: &str = "xtask/src/fuzz/schemathesis.toml";

/// Examples per operation and phase in `cargo xtask test` (about a minute
/// here, stack start included).
pub const BOUNDED_EXAMPLES: u32 = 100;
/// Examples per operation and phase in `cargo xtask fuzz` by default (about
/// seven minutes here).
const LONG_EXAMPLES: u32 = 1000;
/// Fixed, so a failure found by one run is found again by the next.
const SEED: u64 = 20_251_129;
/// Concurrent schemathesis workers. One: requests then reach the Worker in
/// the same order on every run, so the server state each one meets (ids,
/// counters) is the same too and, with the fixed seed, a failure found once
/// is found again. (Two were no faster on this project's 2 cores, which
/// workerd needs too.)
const WORKERS: u32 = 1;

/// Raised for the fuzz run only, through `wrangler dev --var` (never in
/// `wrangler.toml`): the public API's budgets (one address sends thousands
/// of requests) and the per-account key limits (the fuzzer adds keys).
/// Limits that are not settings (sign-ups, logins per address) stay: their
/// 429s are documented answers.
const HIGH_LIMITS: [&str; 4] = [
    "PUBLIC_RATE_LIMIT_PER_HOUR:1000000",
    "IP_RATE_LIMIT_PER_MINUTE:1000000",
    "KEY_ADDS_PER_HOUR:1000000",
    "MAX_KEYS_PER_USER:1000000",
];

const EMAIL: &str = "fuzz@example.com";
const PASSWORD: &str = "fuzz-password-0123";

/// Operations that may revoke the credentials they are called with, in the
/// order of their passes after the main one (schemathesis labels; a label
/// the document lacks fails the run: `unmatched_filter`).
const DESTRUCTIVE: [&str; 4] = [
    "DELETE /api/tokens/{id}",
    "POST /api/auth/password",
    "POST /api/auth/logout",
    "DELETE /api/auth/me",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub examples: u32,
    pub seed: u64,
    pub workers: u32,
    pub keep_state: bool,
}

impl Options {
    pub fn bounded() -> Options {
        Options {
            examples: BOUNDED_EXAMPLES,
            seed: SEED,
            workers: WORKERS,
            keep_state: false,
        }
    }

    fn parse(args: &[String]) -> Result<Options> {
        let mut opts = Options {
            examples: LONG_EXAMPLES,
            ..Options::bounded()
        };
        let usage =
            "usage: cargo xtask fuzz [--examples N] [--seed S] [--workers W] [--keep-state]";
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
                    .ok_or_else(|| format!("{flag} needs a value; {usage}"))
            };
            let number = |text: String| -> Result<u64> {
                text.parse::<u64>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("{flag} takes a positive integer, not {text:?}"))
            };
            match flag {
                "--examples" => opts.examples = small(number(value()?)?, flag)?,
                "--seed" => opts.seed = number(value()?)?,
                "--workers" => opts.workers = small(number(value()?)?, flag)?.min(64),
                "--keep-state" => opts.keep_state = true,
                other => return Err(format!("unknown argument {other:?}; {usage}")),
            }
        }
        Ok(opts)
    }
}

fn small(n: u64, flag: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| format!("{flag} {n} is too large"))
}

/// `cargo xtask fuzz`: setup, build, then the long run.
pub fn run(args: &[String]) -> Result {
    let opts = Options::parse(args)?;
    tools::setup()?;
    tools::build_worker()?;
    fuzz(&opts)
}

/// The step of `cargo xtask test` (the Worker is already built).
pub fn bounded() -> Result {
    fuzz(&Options::bounded())
}

fn fuzz(opts: &Options) -> Result {
    let started = Instant::now();
    let root = tools::root();
    let schemathesis = venv::setup()?;
    // The launcher starts wrangler again if a port it picked was taken.
    let stack = Stack::start_with(&root, "fuzz", &HIGH_LIMITS)?;
    let passes = passes();
    let result = prepare(&stack, passes.len()).and_then(|credentials| {
        let base = stack.worker.client().base();
        for (pass, jwt) in passes.iter().zip(&credentials.jwts) {
            let args = schemathesis_args(&root.join(CONFIG), &base, pass, opts);
            step(&format!(
                "schemathesis, {}: ORW_FUZZ_JWT=… ORW_FUZZ_API_TOKEN=… {VENV}/bin/schemathesis {}",
                pass.name,
                args.join(" ")
            ));
            // Not `tools::run`: its error would print the environment.
            let status = Command::new(&schemathesis)
                .args(&args)
                .env("ORW_FUZZ_JWT", jwt)
                .env("ORW_FUZZ_API_TOKEN", &credentials.api_token)
                // Hypothesis writes `.hypothesis/` into the working directory.
                .current_dir(&stack.dir)
                .status()
                .map_err(|e| format!("cannot start {}: {e}", schemathesis.display()))?;
            if !status.success() {
                return Err(format!(
                    "schemathesis ({}) found failures, see its report above ({status})",
                    pass.name
                ));
            }
        }
        Ok(())
    });
    stack.conclude("fuzzing", &result, opts.keep_state, started);
    result
}

/// One schemathesis invocation: which operations it fuzzes.
#[derive(Debug)]
struct Pass {
    name: &'static str,
    include: Vec<&'static str>,
    exclude: Vec<&'static str>,
}

/// Everything but [`DESTRUCTIVE`], then each of those alone, in order.
fn passes() -> Vec<Pass> {
    let main = Pass {
        name: "every operation that keeps its credentials",
        include: Vec::new(),
        exclude: DESTRUCTIVE.to_vec(),
    };
    let destructive = DESTRUCTIVE.iter().map(|&label| Pass {
        name: label,
        include: vec![label],
        exclude: Vec::new(),
    });
    std::iter::once(main).chain(destructive).collect()
}

/// The command line of one pass (credentials travel in the environment,
/// never in arguments).
fn schemathesis_args(config: &Path, base: &str, pass: &Pass, opts: &Options) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "--config-file".into(),
        config.display().to_string(),
        "run".into(),
        format!("{base}/openapi.json"),
        "--url".into(),
        base.into(),
        "--checks".into(),
        "all".into(),
        "--max-examples".into(),
        opts.examples.to_string(),
        "--seed".into(),
        opts.seed.to_string(),
        "--workers".into(),
        opts.workers.to_string(),
        // A Worker that never answers is a failure, not a hung run.
        "--request-timeout".into(),
        "60".into(),
        // Nothing carried over from an earlier run: the seed alone decides.
        "--generation-database".into(),
        "none".into(),
        "--no-color".into(),
    ];
    for name in &pass.include {
        args.extend(["--include-name".into(), (*name).into()]);
    }
    for name in &pass.exclude {
        args.extend(["--exclude-name".into(), (*name).into()]);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_default_to_the_long_run_and_parse_flags() {
        let long = Options::parse(&[]).unwrap();
        assert_eq!(long.examples, LONG_EXAMPLES);
        assert_eq!(
            (long.seed, long.workers, long.keep_state),
            (SEED, WORKERS, false)
        );
        let opts = Options::parse(&strings(&[
            "--examples",
            "500",
            "--seed=7",
            "--workers",
            "1",
            "--keep-state",
        ]))
        .unwrap();
        assert_eq!(
            opts,
            Options {
                examples: 500,
                seed: 7,
                workers: 1,
                keep_state: true
            }
        );
        assert_eq!(Options::bounded().examples, BOUNDED_EXAMPLES);
        for bad in [
            &["--examples"][..],
            &["--examples", "0"],
            &["--examples", "x"],
            &["--examples", "99999999999"],
            &["--nope"],
        ] {
            assert!(Options::parse(&strings(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_pass_checks_everything_with_the_seed_and_url() {
        let opts = Options::bounded();
        for pass in &passes() {
            let args = schemathesis_args(
                Path::new("/r/xtask/src/fuzz/schemathesis.toml"),
                "http://127.0.0.1:9",
                pass,
                &opts,
            );
            let joined = args.join(" ");
            assert!(
                joined.starts_with(
                    "--config-file /r/xtask/src/fuzz/schemathesis.toml run \
                     http://127.0.0.1:9/openapi.json --url http://127.0.0.1:9 --checks all"
                ),
                "{joined}"
            );
            assert!(joined.contains(&format!("--max-examples {BOUNDED_EXAMPLES} ")));
            assert!(joined.contains(&format!("--seed {SEED} ")));
        }
    }

    #[test]
    fn passes_cover_every_operation_once_and_revoke_last() {
        let opts = Options::bounded();
        let args = |pass: &Pass| schemathesis_args(Path::new("c"), "http://h", pass, &opts);
        let filters = |args: &[String], flag: &str| -> Vec<String> {
            args.windows(2)
                .filter(|w| w[0] == flag)
                .map(|w| w[1].clone())
                .collect()
        };
        let passes = passes();
        assert_eq!(passes.len(), 1 + DESTRUCTIVE.len());
        let first = args(&passes[0]);
        assert!(filters(&first, "--include-name").is_empty());
        assert_eq!(filters(&first, "--exclude-name"), DESTRUCTIVE);
        for (pass, label) in passes[1..].iter().zip(DESTRUCTIVE) {
            assert_eq!(filters(&args(pass), "--include-name"), [label]);
            assert!(filters(&args(pass), "--exclude-name").is_empty());
        }
        // The API token is revoked only after the pass that uses it, and
        // deleting the account (which ends every session) comes last.
        assert_eq!(DESTRUCTIVE[0], "DELETE /api/tokens/{id}");
        assert_eq!(DESTRUCTIVE[DESTRUCTIVE.len() - 1], "DELETE /api/auth/me");
    }
}
