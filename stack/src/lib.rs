//! The one launcher of the local stack: the OpenRouter simulator and the
//! Worker under `wrangler dev` on a local D1 with the migrations applied.
//! `cargo xtask dev`, `cargo xtask bench`/`fuzz` and the integration tests
//! all start it here, with the same robustness:
//!
//! * ports are picked free below the kernel's ephemeral range (where every
//!   other server of a run, binding port 0, lands), and `wrangler dev` is
//!   started again on fresh ports when one was taken meanwhile;
//! * the migrations are applied to the persist directory first;
//! * the Worker is ready when `GET /health` answers 200, within a deadline;
//!   a process that exits, or a server that keeps answering something else,
//!   fails early; every failure says why with the tail of the log;
//! * every server runs in a process group of its own, stopped when its
//!   handle drops, killed with its group at exit (`atexit`), when its
//!   parent dies (`PR_SET_PDEATHSIG`) and, when even that is not enough
//!   (the parent killed outright: workerd is wrangler's child), by a
//!   watchdog shell in the group.
//!
//! ```no_run
//! use watcher_stack::{SimConfig, Stack};
//! let stack = Stack::builder()
//!     .persist_dir("target/example/d1")
//!     .sim(SimConfig::default())
//!     .var("WEBHOOK_LOOPBACK", "1")
//!     .log("target/example/wrangler.log")
//!     .prebuilt()
//!     .start()?;
//! println!("{}", stack.worker.base_url);
//! # Ok::<(), String>(())
//! ```

pub mod client;
pub mod d1;
pub mod demo;
mod launch;
mod ports;
mod reaper;
pub mod scan_files;
mod server;
mod wrangler;

use std::path::{Path, PathBuf};

pub use launch::{Stack, StackBuilder, Worker};
pub use openrouter_sim::{self, SimConfig, SimHandle};
pub use ports::free_port;
pub use reaper::{before_exit, remove_at_exit, signal_group, Signal};
pub use server::Server;
pub use wrangler::{apply_migrations, cargo_bin, offline_env, wrangler, WASM_OPT};

/// The repository's root (this crate is `stack/` in it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The last `n` lines of `text`.
pub fn last_lines(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}
