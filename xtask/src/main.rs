//! `cargo xtask <command>`: everything a fresh machine needs, idempotently.
//!
//! * `setup`: wasm target, worker-build, the exact wasm-bindgen CLI, `npm ci`,
//!   `.dev.vars` with fresh secrets. Seconds when already done.
//! * `build`: the wasm Worker (`build/worker/shim.mjs`) with local tools only.
//! * `dev`: setup, migrations, the OpenRouter simulator (demo scenario) and
//!   `wrangler dev --local --test-scheduled`.
//! * `test`: setup, fmt, clippy, native unit tests, wasm build, integration
//!   tests against the real Worker under `wrangler dev`.
//! * `bench`: see `bench/README.md`.

mod bench;
mod tools;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    let result = match command {
        "setup" => tools::setup(),
        "build" => tools::build_worker(),
        "dev" => tools::dev(),
        "test" => tools::test(rest),
        "bench" => bench::run(rest),
        _ => {
            eprintln!("usage: cargo xtask <setup|build|dev|test|bench>");
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
