//! The repository's wrangler (`node_modules/.bin/wrangler`, pinned in
//! `package-lock.json`), run with local tools only.

use std::path::{Path, PathBuf};
use std::process::Command;

/// binaryen's wasm-opt, pinned in package-lock.json (relative to the root).
pub const WASM_OPT: &str = "node_modules/binaryen/bin/wasm-opt";

/// `~/.cargo/bin/<name>` (or `$CARGO_HOME/bin/<name>`).
pub fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin").join(name)
}

/// The environment that keeps worker-build and wrangler off the internet:
/// the local wasm-bindgen, esbuild and wasm-opt, no metrics, and
/// `~/.cargo/bin` first in `PATH` (wrangler's `[build]` runs `cargo xtask
/// build`, which needs worker-build).
pub fn offline_env(cmd: &mut Command) -> &mut Command {
    let root = crate::root();
    let path = format!(
        "{}:{}",
        cargo_bin("").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.env("WASM_BINDGEN_BIN", cargo_bin("wasm-bindgen"))
        .env(
            "ESBUILD_BIN",
            root.join("node_modules/@esbuild/linux-x64/bin/esbuild"),
        )
        .env("WASM_OPT_BIN", root.join(WASM_OPT))
        .env("WRANGLER_SEND_METRICS", "false")
        .env("PATH", path)
}

/// `wrangler`, run from the repository's root with [`offline_env`].
pub fn wrangler() -> Command {
    let root = crate::root();
    let mut cmd = Command::new(root.join("node_modules/.bin/wrangler"));
    offline_env(&mut cmd).current_dir(root);
    cmd
}

/// `wrangler d1 migrations apply DB --local` on the local D1 in
/// `persist_dir` (created if missing), with `config` instead of the
/// repository's `wrangler.toml` when given: what it printed.
pub fn apply_migrations(persist_dir: &Path, config: Option<&Path>) -> Result<String, String> {
    std::fs::create_dir_all(persist_dir).map_err(|e| format!("{}: {e}", persist_dir.display()))?;
    let mut cmd = wrangler();
    cmd.args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
        .arg(persist_dir)
        .env("CI", "true");
    if let Some(config) = config {
        cmd.arg("-c").arg(config);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start wrangler: {e}"))?;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(printed)
    } else {
        Err(format!(
            "the D1 migrations on {} failed ({}):\n{printed}",
            persist_dir.display(),
            out.status
        ))
    }
}
