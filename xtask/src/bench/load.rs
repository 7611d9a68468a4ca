//! The load generator: `oha` from crates.io, pinned, and its JSON report.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::tools::{self, Result};

/// The version every figure in `bench/results.md` was taken with.
pub const OHA_VERSION: &str = "1.16.0";
pub const CONCURRENCY: u32 = 8;

fn installed_version(bin: &PathBuf) -> Option<String> {
    let out = Command::new(bin)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace().nth(1).map(str::to_owned)
}

/// Installs the pinned oha unless it is already there (~3 min cold on
/// 2 cores). Default features: oha 1.16 does not build without a TLS stack.
pub fn ensure_oha() -> Result<PathBuf> {
    let bin = tools::cargo_bin("oha");
    if installed_version(&bin).as_deref() == Some(OHA_VERSION) {
        return Ok(bin);
    }
    tools::step(&format!("cargo install oha {OHA_VERSION}"));
    let install = |locked: bool| {
        let mut cmd = Command::new("cargo");
        cmd.args(["install", "oha", "--version", OHA_VERSION, "--force"]);
        if locked {
            cmd.arg("--locked");
        }
        tools::run(&mut cmd)
    };
    if let Err(e) = install(true) {
        eprintln!("{e}; retrying without --locked");
        install(false)?;
    }
    match installed_version(&bin) {
        Some(v) if v == OHA_VERSION => Ok(bin),
        other => Err(format!(
            "oha {OHA_VERSION} expected at {}, found {other:?}",
            bin.display()
        )),
    }
}

#[derive(Debug, Clone, Default)]
pub struct Measure {
    /// Responses with a 2xx status per second.
    pub ok_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub responses: u64,
    pub non_2xx: u64,
    /// Connection-level failures (deadline aborts at the end excluded).
    pub errors: u64,
    pub statuses: String,
}

/// What oha asks: one URL over and over, or for each request one drawn at
/// random from a file of URLs (`--urls-from-file`, one per line).
pub enum Target<'a> {
    Url(&'a str),
    UrlFile(&'a Path),
}

/// `oha -c 8 -z <duration>` against `target`, JSON report parsed.
pub fn measure(
    oha: &PathBuf,
    target: &Target,
    bearer: Option<&str>,
    duration: Duration,
) -> Result<Measure> {
    let mut cmd = Command::new(oha);
    cmd.args([
        "--no-tui",
        "--output-format",
        "json",
        "-c",
        &CONCURRENCY.to_string(),
        "-z",
        &format!("{}ms", duration.as_millis()),
    ]);
    if let Some(token) = bearer {
        cmd.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let url = match target {
        Target::Url(url) => url.to_string(),
        Target::UrlFile(file) => {
            cmd.arg("--urls-from-file");
            file.display().to_string()
        }
    };
    cmd.arg(&url);
    let out = cmd
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run oha: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "oha {url} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse_report(&String::from_utf8_lossy(&out.stdout))
}

pub fn parse_report(text: &str) -> Result<Measure> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("oha report is not JSON ({e})"))?;
    let seconds = json["summary"]["total"].as_f64().unwrap_or(0.0);
    let latency = &json["metrics"]["latency_ms"];
    let mut m = Measure {
        p50_ms: latency["p50"].as_f64().unwrap_or(f64::NAN),
        p99_ms: latency["p99"].as_f64().unwrap_or(f64::NAN),
        ..Measure::default()
    };
    let mut ok = 0u64;
    let mut statuses = Vec::new();
    if let Some(codes) = json["statusCodeDistribution"].as_object() {
        for (code, count) in codes {
            let count = count.as_u64().unwrap_or(0);
            m.responses += count;
            if code.starts_with('2') {
                ok += count;
            } else {
                m.non_2xx += count;
            }
            statuses.push(format!("{code}×{count}"));
        }
    }
    if let Some(errors) = json["errorDistribution"].as_object() {
        for (what, count) in errors {
            if !what.contains("deadline") {
                m.errors += count.as_u64().unwrap_or(0);
                statuses.push(format!("{what}×{}", count.as_u64().unwrap_or(0)));
            }
        }
    }
    m.statuses = statuses.join(", ");
    m.ok_per_sec = if seconds > 0.0 {
        ok as f64 / seconds
    } else {
        0.0
    };
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_json_report() {
        let m = parse_report(
            r#"{"summary":{"successRate":1.0,"total":2.0},
                "metrics":{"latency_ms":{"p50":5.5,"p99":20.25}},
                "statusCodeDistribution":{"200":100,"429":4},
                "errorDistribution":{"aborted due to deadline":8,"connection closed":1}}"#,
        )
        .unwrap();
        assert_eq!((m.responses, m.non_2xx, m.errors), (104, 4, 1));
        assert_eq!(m.ok_per_sec, 50.0);
        assert_eq!((m.p50_ms, m.p99_ms), (5.5, 20.25));
    }
}
