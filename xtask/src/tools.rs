//! Tool installation and the build/dev/test pipelines.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

pub type Result<T = ()> = std::result::Result<T, String>;

// The local tools and wrangler, as the stack's launcher runs them.
pub use watcher_stack::{cargo_bin, last_lines, offline_env, root, wrangler, WASM_OPT};

/// Must match the `worker` crate's minor version (worker-build refuses otherwise).
const WORKER_BUILD_VERSION: &str = "0.8.7";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The Worker's wasm, as worker-build writes it beside `build/worker/shim.mjs`.
pub const WORKER_WASM: &str = "build/index_bg.wasm";
/// The Worker's wasm, gzipped, may weigh at most this: every cold start
/// compiles all of it, and Cloudflare counts the upload gzipped. What keeps
/// it there is in the workspace manifest's release profile. Raised from
/// 800,000 for sign-in through Cloudflare Access (`auth::access`: the
/// assertion checks, the key-set fetch and cache, WebCrypto through
/// wasm-bindgen; no RSA crate): measured 799,034 -> 809,670 bytes gzip;
/// then for organisations (`orgs`, the membership in every session's one
/// statement, registration's batch, account deletion across organisations):
/// 809,670 -> 816,940; then for roles and invitations (the permission
/// check, members, invitation tokens, three audited routes): -> 830,710
/// (each documented route costs ~2-4 KB gzip of handler, serde and D1
/// glue); then for spend by member both ways (by who added a key and by
/// OpenRouter's `creator_user_id`, in the public API and the overview) and
/// mailed invitations: 847,082 -> 857,234. Far under Cloudflare's own
/// limit (3 MB gzip on the free plan).
pub const WASM_BUDGET_GZIP_BYTES: usize = 870_000;

/// Prints a step's title with the seconds since the first step, so a CI log
/// shows where the time went.
pub fn step(message: &str) {
    static FIRST: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let elapsed = FIRST.get_or_init(Instant::now).elapsed().as_secs();
    eprintln!("\x1b[1m==> [{elapsed} s] {message}\x1b[0m");
}

/// Every file under `dir` (recursively) whose name ends in `.{extension}`,
/// sorted; none when `dir` cannot be read.
pub fn files_ending(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
        if path.is_dir() {
            files.extend(files_ending(&path, extension));
        } else if path.extension().is_some_and(|e| e == extension) {
            files.push(path);
        }
    }
    files.sort();
    files
}

pub fn run(cmd: &mut Command) -> Result {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The wasm-bindgen version Cargo.lock resolved: the CLI must be exactly it.
fn locked_wasm_bindgen_version() -> Result<String> {
    let lock =
        fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(version.trim_end_matches('"').to_owned());
            }
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".into())
}

pub fn setup() -> Result {
    let started = Instant::now();
    let root = root();

    step("wasm target");
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == WASM_TARGET) {
        run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }

    step(&format!("worker-build {WORKER_BUILD_VERSION}"));
    let have = output(Command::new(cargo_bin("worker-build")).arg("--version")).unwrap_or_default();
    if !have.contains(WORKER_BUILD_VERSION) {
        run(Command::new("cargo").args([
            "install",
            "worker-build",
            "--version",
            WORKER_BUILD_VERSION,
            "--locked",
        ]))?;
    }

    let bindgen = locked_wasm_bindgen_version()?;
    step(&format!(
        "wasm-bindgen CLI {bindgen} (the version in Cargo.lock)"
    ));
    let have = output(Command::new(cargo_bin("wasm-bindgen")).arg("--version")).unwrap_or_default();
    if !have.split_whitespace().any(|w| w == bindgen) {
        // Not --locked: its lockfile names a crate version the registry here lacks.
        run(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &bindgen,
            "--force",
        ]))?;
    }

    step("npm ci (wrangler, binaryen, @openrouter/sdk, playwright-core)");
    let lock =
        fs::read(root.join("package-lock.json")).map_err(|e| format!("package-lock.json: {e}"))?;
    let stamp_path = root.join("node_modules").join(".orw-lock-stamp");
    let stamp = format!("{:x}", fnv1a(&lock));
    if fs::read_to_string(&stamp_path).ok().as_deref() != Some(stamp.as_str()) {
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&root))?;
        fs::write(&stamp_path, &stamp).map_err(|e| e.to_string())?;
    }

    step(".dev.vars (local secrets)");
    ensure_dev_vars(&root.join(".dev.vars"))?;

    crate::fuzz::setup()?;

    eprintln!("setup done in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Change detector for package-lock.json and requirements-fuzz.txt (not
/// security relevant).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

fn random_base64(len: usize) -> Result<String> {
    let mut bytes = vec![0u8; len];
    getrandom::getrandom(&mut bytes).map_err(|e| e.to_string())?;
    Ok(STANDARD.encode(bytes))
}

/// Writes `.dev.vars` with fresh random secrets unless both are present.
fn ensure_dev_vars(path: &Path) -> Result {
    let existing = fs::read_to_string(path).unwrap_or_default();
    let has = |name: &str| existing.lines().any(|l| l.starts_with(&format!("{name}=")));
    if has("JWT_SECRET") && has("ENCRYPTION_KEY") {
        return Ok(());
    }
    let mut text = existing.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !has("JWT_SECRET") {
        text.push_str(&format!("JWT_SECRET={}\n", random_base64(48)?));
    }
    if !has("ENCRYPTION_KEY") {
        text.push_str(&format!("ENCRYPTION_KEY={}\n", random_base64(32)?));
    }
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote fresh secrets to {}", path.display());
    Ok(())
}

pub fn build_worker() -> Result {
    if std::env::var_os("ORW_SKIP_BUILD").is_some() {
        eprintln!("ORW_SKIP_BUILD set: using the existing build/worker");
        return Ok(());
    }
    crate::web::build()?;
    let root = root();
    crate::openapi::write_served(&root)?;
    let output = root.join(WORKER_WASM);
    let inputs = [
        "src",
        "core/src",
        "core/Cargo.toml",
        "Cargo.toml",
        "Cargo.lock",
        "openapi.json",
    ]
    .map(|p| root.join(p));
    if up_to_date(&output, &inputs) {
        eprintln!("build/ is newer than src/, core/, Cargo.* and openapi.json: not rebuilt");
        return check_wasm_budget(&output);
    }
    step("worker-build --release");
    run(offline_env(&mut Command::new(cargo_bin("worker-build")))
        .arg("--release")
        .current_dir(&root))?;
    strip_names(&output)
}

/// Drops the wasm's names section and producers (about 330 KB, 56 KB
/// gzip, of a Worker whose every byte is paid at each cold start).
/// worker-build keeps the names for stack traces; ours need none: the
/// panic hook logs the panic's message and source location.
fn strip_names(wasm: &Path) -> Result {
    step("wasm-opt -Oz --strip-debug --strip-producers");
    let stripped = wasm.with_extension("stripped.wasm");
    // The features worker-build enables, no more: a newer encoding could
    // reach workerd before it reads it.
    let features = [
        "mutable-globals",
        "sign-ext",
        "nontrapping-float-to-int",
        "bulk-memory",
        "multivalue",
        "reference-types",
        "exception-handling",
    ]
    .map(|feature| format!("--enable-{feature}"));
    run(Command::new(root().join(WASM_OPT))
        .arg(wasm)
        .args(features)
        // -Oz once more over worker-build's pass: ~2.5 KB gzip fewer, for
        // ~20 s of build.
        .args(["-Oz", "--strip-debug", "--strip-producers", "-o"])
        .arg(&stripped))?;
    fs::rename(&stripped, wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    check_wasm_budget(wasm)
}

fn check_wasm_budget(wasm: &Path) -> Result {
    let bytes = fs::read(wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let gzipped = gzip_len(&bytes)?;
    eprintln!(
        "Worker wasm: {} bytes, {gzipped} bytes gzip (budget {WASM_BUDGET_GZIP_BYTES})",
        bytes.len()
    );
    if gzipped > WASM_BUDGET_GZIP_BYTES {
        return Err(format!(
            "{} is {gzipped} bytes gzipped, over the budget of {WASM_BUDGET_GZIP_BYTES}: \
             find what grew with `twiggy top {}`",
            wasm.display(),
            wasm.display()
        ));
    }
    Ok(())
}

/// Size of `bytes` gzipped at the best compression.
pub fn gzip_len(bytes: &[u8]) -> Result<usize> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).map_err(|e| e.to_string())?;
    Ok(encoder.finish().map_err(|e| e.to_string())?.len())
}

/// Whether `output` exists and is newer than every file under `inputs`
/// (files or directories), so a build can be skipped.
pub fn up_to_date(output: &Path, inputs: &[PathBuf]) -> bool {
    fn newest(path: &Path) -> Option<std::time::SystemTime> {
        let meta = fs::metadata(path).ok()?;
        if !meta.is_dir() {
            return meta.modified().ok();
        }
        fs::read_dir(path)
            .ok()?
            .filter_map(|e| e.ok())
            .filter_map(|e| newest(&e.path()))
            .max()
    }
    let Some(built) = fs::metadata(output).and_then(|m| m.modified()).ok() else {
        return false;
    };
    inputs
        .iter()
        .all(|input| newest(input).is_some_and(|changed| changed < built))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_is_up_to_date_only_when_newer_than_every_input() {
        let dir = std::env::temp_dir().join(format!("orw-fresh-{}", std::process::id()));
        let src = dir.join("src");
        fs::create_dir_all(src.join("deep")).unwrap();
        fs::write(src.join("deep/a.rs"), "a").unwrap();
        let output = dir.join("out.wasm");
        assert!(
            !up_to_date(&output, std::slice::from_ref(&src)),
            "no output yet"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(&output, "built").unwrap();
        assert!(up_to_date(&output, std::slice::from_ref(&src)));
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(src.join("deep/a.rs"), "changed").unwrap();
        assert!(
            !up_to_date(&output, std::slice::from_ref(&src)),
            "a nested change"
        );
        assert!(
            !up_to_date(&output, &[dir.join("missing")]),
            "a missing input"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
