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
    /// 2xx answers, and the seconds they took (oha's total).
    pub ok: u64,
    pub seconds: f64,
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
        // Requests in flight at the deadline are waited for and counted:
        // aborting them would undercount the slowest target most (8
        // in-flight 1-second requests per slice for the reference's usage).
        "--wait-ongoing-requests-after-deadline",
        // A request `wrangler dev` holds (it now and then keeps one until
        // its client gives up) is an error after a minute, not a bench
        // that never ends.
        "-t",
        "60s",
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
    m.ok = ok;
    m.seconds = seconds;
    m.ok_per_sec = rate(ok, seconds);
    Ok(m)
}

fn rate(ok: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        ok as f64 / seconds
    } else {
        0.0
    }
}

/// One figure from several slices of the same load: answers over total
/// time; p50 and p99 are the slices' own, averaged with their answers as
/// weights (oha reports percentiles, not the latencies themselves).
pub fn merge(slices: &[Measure]) -> Measure {
    let ok: u64 = slices.iter().map(|m| m.ok).sum();
    let seconds: f64 = slices.iter().map(|m| m.seconds).sum();
    let weight: u64 = slices.iter().map(|m| m.responses).sum();
    let mean = |f: fn(&Measure) -> f64| {
        let total: f64 = slices.iter().map(|m| f(m) * m.responses as f64).sum();
        if weight > 0 {
            total / weight as f64
        } else {
            f64::NAN
        }
    };
    Measure {
        ok_per_sec: rate(ok, seconds),
        p50_ms: mean(|m| m.p50_ms),
        p99_ms: mean(|m| m.p99_ms),
        ok,
        seconds,
        responses: weight,
        non_2xx: slices.iter().map(|m| m.non_2xx).sum(),
        errors: slices.iter().map(|m| m.errors).sum(),
        statuses: slices
            .iter()
            .map(|m| m.statuses.as_str())
            .collect::<Vec<_>>()
            .join(" | "),
    }
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

    #[test]
    fn slices_merge_into_one_figure() {
        let slice = |ok: u64, seconds: f64, p50: f64| Measure {
            ok,
            seconds,
            responses: ok,
            ok_per_sec: ok as f64 / seconds,
            p50_ms: p50,
            p99_ms: 2.0 * p50,
            ..Measure::default()
        };
        let m = merge(&[slice(300, 5.0, 10.0), slice(100, 5.0, 30.0)]);
        assert_eq!((m.ok, m.ok_per_sec), (400, 40.0));
        assert_eq!((m.p50_ms, m.p99_ms), (15.0, 30.0));
        assert_eq!(merge(&[]).ok_per_sec, 0.0);
    }
}
