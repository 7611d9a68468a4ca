//! `cargo xtask openapi`: writes `openapi.json` from the code (the Worker
//! crate's `openapi` binary, native, feature `openapi`); `check` is the
//! step of `cargo xtask test` that fails when the checked-in copy is stale.

use std::path::Path;
use std::process::Command;

use crate::tools::{root, run, step, Result};

fn generator(root: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.args([
        "run",
        "--quiet",
        "-p",
        "openrouter-watcher",
        "--features",
        "openapi",
        "--bin",
        "openapi",
        "--",
    ])
    .current_dir(root);
    cmd
}

/// Rewrites the document from the route tables and the types.
pub fn write() -> Result {
    step("openapi.json from the code");
    run(&mut generator(&root()))
}

/// Fails, naming what differs, when the checked-in document is not what
/// the code generates.
pub fn check(root: &Path) -> Result {
    step("openapi.json is what the code generates");
    run(generator(root).arg("--check"))
}
