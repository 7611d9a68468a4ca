//! What every cold start of the Worker pays for: the size of its wasm
//! (raw and gzipped, as Cloudflare counts it) and the start-up phase that
//! `wrangler check startup` profiles in workerd (parsing and running the
//! global scope: compiling and instantiating the module).

use std::path::Path;
use std::process::Command;

use crate::tools::{self, Result};

/// Start-up profiles taken; the median is reported (the spread says how
/// busy the machine was).
const STARTUPS: usize = 7;

/// The wasm's size and the start-up figures, as report lines.
pub fn facts(root: &Path) -> Result<Vec<String>> {
    let wasm = root.join(tools::WORKER_WASM);
    let bytes = std::fs::read(&wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let gzip = tools::gzip_len(&bytes)?;
    let mut spans = Vec::with_capacity(STARTUPS);
    for _ in 0..STARTUPS {
        spans.push(startup_ms(root)?);
    }
    spans.sort_by(f64::total_cmp);
    let median = spans[STARTUPS / 2];
    let (low, high) = (spans[0], spans[STARTUPS - 1]);
    Ok(vec![
        format!(
            "- `{}`: {} bytes, {} bytes gzip -9 (budget {} bytes gzip, checked by `cargo xtask build`)",
            tools::WORKER_WASM,
            bytes.len(),
            gzip,
            tools::WASM_BUDGET_GZIP_BYTES
        ),
        format!(
            "- start-up phase (`wrangler check startup`, workerd on this machine): median {median:.0} ms of {STARTUPS} (from {low:.0} to {high:.0} ms)"
        ),
    ])
}

/// One start-up profile's span, in milliseconds.
fn startup_ms(root: &Path) -> Result<f64> {
    let profile = root.join("target/bench-startup.cpuprofile");
    let _ = std::fs::remove_file(&profile);
    let mut cmd = tools::wrangler();
    cmd.args(["check", "startup", "--outfile"])
        .arg(&profile)
        .env("ORW_SKIP_BUILD", "1");
    let out = quiet(&mut cmd)?;
    let text = std::fs::read_to_string(&profile)
        .map_err(|e| format!("wrangler check startup wrote no profile ({e}):\n{out}"))?;
    span_ms(&text)
}

fn quiet(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{cmd:?} failed ({}):\n{text}", out.status))
    }
}

/// The span of a V8 CPU profile (`startTime` to `endTime`, microseconds).
fn span_ms(profile: &str) -> Result<f64> {
    let profile: serde_json::Value =
        serde_json::from_str(profile).map_err(|e| format!("a CPU profile: {e}"))?;
    let at = |field: &str| {
        profile[field]
            .as_f64()
            .ok_or_else(|| format!("a CPU profile without {field}"))
    };
    Ok((at("endTime")? - at("startTime")?) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_spans_its_start_to_its_end() {
        let profile =
            r#"{"nodes":[],"startTime":1000,"endTime":48500,"samples":[],"timeDeltas":[]}"#;
        assert_eq!(span_ms(profile).unwrap(), 47.5);
        assert!(span_ms(r#"{"nodes":[]}"#).is_err());
    }
}
