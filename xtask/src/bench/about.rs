//! The run's circumstances, for the report's header.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::dataset;
use super::load;

pub fn now() -> String {
    dataset::timestamp(dataset::now_secs())
}

pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU".to_owned(), |s| s.trim().to_owned());
    let mem = fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(String::new(), |kb| {
            format!(", {:.0} GiB RAM", kb / 1048576.0)
        });
    format!("{cores} cores (nproc), {cpu}{mem}")
}

fn command_output(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "?".into())
}

fn package_version(path: PathBuf) -> String {
    fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|j| j["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

pub fn versions(root: &Path) -> String {
    let git = |args: &[&str]| command_output(Command::new("git").args(args).current_dir(root));
    let commit = git(&["rev-parse", "--short", "HEAD"]);
    let dirty = !git(&[
        "status",
        "--porcelain",
        "--",
        "src",
        "core",
        "migrations",
        "Cargo.toml",
    ])
    .is_empty();
    format!(
        "commit {commit}{}, {}, wrangler {}, workerd {}, oha {}",
        if dirty { " + uncommitted changes" } else { "" },
        command_output(Command::new("rustc").arg("--version")),
        package_version(root.join("node_modules/wrangler/package.json")),
        package_version(root.join("node_modules/@cloudflare/workerd-linux-64/package.json")),
        load::OHA_VERSION
    )
}

pub fn sync_budget(root: &Path) -> String {
    fs::read_to_string(root.join("wrangler.toml"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.trim_start().starts_with("SYNC_SUBREQUEST_BUDGET"))
        .and_then(|l| l.split('=').nth(1))
        .map_or("?".into(), |v| v.trim().trim_matches('"').to_owned())
}
