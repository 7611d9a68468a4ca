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

/// Preloaded into every `wrangler` this crate runs: Node's servers keep
/// idle connections open, so workerd never writes into one Node is closing
/// (the file says why: a local queue that stopped delivering for good).
pub const NODE_PRELOAD: &str = "stack/node/keep-alive.cjs";

/// `wrangler`, run from the repository's root with [`offline_env`] and
/// [`NODE_PRELOAD`].
pub fn wrangler() -> Command {
    let root = crate::root();
    let mut cmd = Command::new(root.join("node_modules/.bin/wrangler"));
    offline_env(&mut cmd)
        .env("NODE_OPTIONS", node_options(&root))
        .current_dir(root);
    cmd
}

/// `NODE_OPTIONS` with the preload after whatever the caller had set.
fn node_options(root: &Path) -> String {
    let preload = format!("--require={}", root.join(NODE_PRELOAD).display());
    match std::env::var("NODE_OPTIONS") {
        Ok(options) if !options.trim().is_empty() => format!("{options} {preload}"),
        _ => preload,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Node as `wrangler()` starts it: a server Miniflare creates the way
    /// its bundle does (`createServer` looked up on the module at the call)
    /// never closes an idle connection.
    #[test]
    fn wranglers_node_keeps_idle_connections_open() {
        let wrangler = wrangler();
        let mut node = Command::new("node");
        for (name, value) in wrangler.get_envs() {
            match value {
                Some(value) => node.env(name, value),
                None => node.env_remove(name),
            };
        }
        let script = "const http = require('node:http'); \
                      const esm = { default: http }; \
                      const server = esm.default.createServer(() => {}); \
                      const plain = new http.Server(); \
                      console.log(server.keepAliveTimeout, plain.keepAliveTimeout);";
        let out = node.args(["-e", script]).output().expect("node runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Node's own default stays for servers made otherwise: the preload
        // changes exactly what Miniflare's loopback server is made by.
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0 5000");
    }

    #[test]
    fn the_preload_follows_what_the_caller_set() {
        let root = crate::root();
        let options = node_options(&root);
        assert!(options.ends_with(&format!("--require={}", root.join(NODE_PRELOAD).display())));
        assert!(root.join(NODE_PRELOAD).is_file());
    }
}
