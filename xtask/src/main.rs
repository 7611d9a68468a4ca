//! `cargo xtask <command>`: everything a fresh machine needs, idempotently.
//!
//! * `setup`: wasm target, worker-build, the exact wasm-bindgen CLI, `npm ci`,
//!   `.dev.vars` with fresh secrets. Seconds when already done.
//! * `build`: the dashboard (type-checked, bundled by esbuild into
//!   `public/assets/`, size-checked) and the wasm Worker
//!   (`build/worker/shim.mjs`), with local tools only.
//! * `dev`: setup, migrations, the OpenRouter simulator (demo scenario),
//!   `wrangler dev --local --test-scheduled`, and a demo user with the
//!   simulator's keys, synced once.
//! * `test`: setup, fmt, clippy, native unit tests, the dashboard's unit
//!   tests, wasm build, integration and browser tests against the real
//!   Worker under `wrangler dev`, then a bounded schemathesis run.
//! * `openapi`: writes `openapi.json` from the route tables and the types
//!   (`test` fails when the checked-in copy differs).
//! * `bench`: see `bench/README.md`.
//! * `fuzz [--examples N] [--seed S] [--workers W] [--keep-state]`:
//!   schemathesis on every operation of `/openapi.json` against the real
//!   Worker, long (`test` runs a bounded pass); see `xtask/src/fuzz.rs`.

mod bench;
mod circles;
mod deadlines;
mod dev;
mod fuzz;
mod lint;
mod openapi;
mod pipeline;
mod secret_scan;
mod tools;
mod watchdog;
mod web;

use std::process::ExitCode;

/// Every task, as `cargo xtask` (or `cargo xtask help`) lists them.
const TASKS: [(&str, &str); 8] = [
    (
        "setup",
        "install every tool the others need (idempotent, seconds when done)",
    ),
    (
        "build",
        "type-check and bundle the dashboard, build the wasm Worker",
    ),
    (
        "dev",
        "run the product locally on :8787 with the simulator and a demo login",
    ),
    ("test", "every check and test (what CI runs)"),
    (
        "lint",
        "the architecture checks alone (layering, SQL, sizes; part of test)",
    ),
    (
        "openapi",
        "write openapi.json from the route tables and types (test checks it)",
    ),
    (
        "bench",
        "the public API under load, cached and cold, beside the original stack; the dashboard and the CSV export cold",
    ),
    (
        "fuzz",
        "a long schemathesis run over every operation of /openapi.json",
    ),
];

fn print_tasks() {
    println!("cargo xtask <task> [options]\n");
    for (task, what) in TASKS {
        println!("  {task:<6} {what}");
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    let result = match command {
        "setup" => tools::setup(),
        "build" => tools::build_worker(),
        "dev" => dev::start(),
        "test" => pipeline::test(rest),
        "lint" => lint::check(&tools::root()),
        "openapi" => openapi::write(),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "help" | "-h" | "--help" => {
            print_tasks();
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("unknown task {other:?}\n");
            print_tasks();
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {command}: {e}");
            ExitCode::FAILURE
        }
    }
}
