//! The integration-test harness: one real Worker under `wrangler dev`
//! (workerd, local D1, the Durable Object, cron via `/__scheduled`) and one
//! OpenRouter simulator, started once per test binary and shared by every
//! test. Each test creates its own user, keys and tokens, so tests stay
//! independent while running in parallel.
//!
//! Processes: the stack's launcher (`watcher-stack`, shared with `cargo
//! xtask dev`, `bench` and `fuzz`) runs the simulator in-process on its own
//! thread and wrangler as a child in its own process group, killed with
//! its whole group at exit, when this process dies, or when its handle
//! drops: no orphan survives the run, even when tests panic.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;
use watcher_stack::scan_files::secret_line;
use watcher_stack::{SimConfig, SimHandle, Stack};

pub use watcher_stack::Worker;

pub const PASSWORD: &str = "correct horse battery staple";

/// The shared stack: its simulator and its Worker (whose `base_url`,
/// `persist_dir` and `log()` it gives through `Deref`).
pub struct TestApp {
    pub sim: SimHandle,
    pub log_path: PathBuf,
    pub jwt_secret: String,
    pub worker: Worker,
}

impl std::ops::Deref for TestApp {
    type Target = Worker;

    fn deref(&self) -> &Worker {
        &self.worker
    }
}

/// Started once; a failed start is remembered, so the other tests fail fast
/// with its reason instead of starting a second wrangler on the same state.
static APP: OnceLock<Result<TestApp, String>> = OnceLock::new();
static UNIQUE: AtomicU32 = AtomicU32::new(0);
/// Every secret the tests have seen, to prove none reaches the Worker's log.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn app() -> &'static TestApp {
    match APP.get_or_init(|| std::panic::catch_unwind(TestApp::start).map_err(panic_message)) {
        Ok(app) => app,
        Err(why) => panic!("the test environment did not start: {why}"),
    }
}

/// The shared stack if it has started, without starting it.
pub fn started_app() -> Option<&'static TestApp> {
    APP.get().and_then(|app| app.as_ref().ok())
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// A value unique within this test run (emails, names, client IPs).
pub fn unique(prefix: &str) -> String {
    let n = UNIQUE.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}{}-{n}", std::process::id())
}

/// A distinct client IP per call, so IP rate-limit buckets don't collide.
pub fn unique_ip() -> String {
    let n = UNIQUE.fetch_add(1, Ordering::SeqCst);
    format!(
        "10.{}.{}.{}",
        (std::process::id() % 200) + 1,
        (n / 250) % 250,
        n % 250 + 1
    )
}

/// This run's directory: the wrangler log, the state, and what the final
/// secret scan reads (`cargo xtask test` scans it after the run).
pub fn run_dir() -> PathBuf {
    root()
        .join("target/it")
        .join(std::process::id().to_string())
}

fn append(file: &str, text: &str) {
    use std::io::Write;
    let dir = run_dir();
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(file))
    {
        let _ = f.write_all(text.as_bytes());
    }
}

/// Every secret a test uses: none may appear in a response body (except
/// the one response that hands it out) or in any log line. Kept in memory
/// and in `secrets.txt` for the final scan.
pub fn remember_secret(secret: &str) {
    remember(secret, None);
}

/// A secret that is also mailed to `to` (an invitation's token): as
/// [`remember_secret`], except that the messages to `to` may carry it.
pub fn remember_mailed_secret(secret: &str, to: &str) {
    remember(secret, Some(to));
}

fn remember(secret: &str, mailed_to: Option<&str>) {
    if secret.trim().is_empty() {
        return;
    }
    if let Ok(mut secrets) = SECRETS.lock() {
        secrets.push(secret.to_owned());
        append("secrets.txt", &secret_line(secret, mailed_to));
    }
}

/// Responses documented to hand a secret out once: the session of a login,
/// an Access sign-in or a password change, a new API token, a new webhook's
/// signing secret, a new invitation's token.
const HANDS_OUT_A_SECRET: [(&str, &str, u16); 6] = [
    ("POST", "/api/auth/login", 200),
    ("POST", "/api/auth/access", 200),
    ("POST", "/api/auth/password", 200),
    ("POST", "/api/tokens", 201),
    ("POST", "/api/webhooks", 201),
    ("POST", "/api/organisations/invitations", 201),
];

/// Keeps the body for the final secret scan, unless it is one of the
/// responses that hand a secret out.
pub(super) fn record_response_body(method: &str, url: &str, status: u16, text: &str) {
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    if HANDS_OUT_A_SECRET.contains(&(method, path, status)) || text.is_empty() {
        return;
    }
    append(
        "responses.log",
        &format!("{method} {path} {status}\n{text}\n"),
    );
}

pub fn remembered_secrets() -> Vec<String> {
    SECRETS.lock().map(|s| s.clone()).unwrap_or_default()
}

fn read_dev_var(name: &str) -> String {
    let text = std::fs::read_to_string(root().join(".dev.vars"))
        .expect(".dev.vars is missing: run `cargo xtask setup`");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("{name} missing from .dev.vars"))
}

impl TestApp {
    fn start() -> TestApp {
        assert!(
            root().join("build/worker/shim.mjs").exists(),
            "build/worker/shim.mjs is missing: run `cargo xtask build` (cargo xtask test does it)"
        );
        let run_dir = run_dir();
        remember_secret(PASSWORD);
        let persist_dir = run_dir.join("state");
        if std::env::var_os("ORW_KEEP_STATE").is_none() {
            watcher_stack::remove_at_exit(&persist_dir);
        }
        let log_path = run_dir.join("wrangler.log");
        let _ = std::fs::create_dir_all(&run_dir);
        // Sign-in through Cloudflare Access, against a fake team on this
        // machine (`access`); no other route reads its header.
        let team = format!("ACCESS_TEAM_DOMAIN:{}", super::access::fake_team().origin);
        let audience = format!("ACCESS_AUD:{}", super::access::ACCESS_AUD);
        let stack = Stack::builder()
            .sim(SimConfig {
                port: 0,
                seed: 42,
                scenario: None,
                clock: None,
            })
            // Public answers say how many D1 statements they cost; webhooks
            // may point at the tests' receiver on this machine.
            .vars(&[
                "ORW_DEBUG_COUNTERS:1",
                "WEBHOOK_LOOPBACK:1",
                &team,
                &audience,
            ]);
        let stack = for_tests(stack, &persist_dir, &log_path, &[])
            .start()
            .unwrap_or_else(|why| panic!("{why}"));
        dump_audit_log_at_exit(&persist_dir);
        super::mailbox::keep_mail_at_exit();
        TestApp {
            sim: stack.sim.expect("the OpenRouter simulator starts"),
            log_path,
            jwt_secret: read_dev_var("JWT_SECRET"),
            worker: stack.worker,
        }
    }

    pub fn sim_url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    /// Rows from local D1, read the way an operator would (no test routes in
    /// the Worker).
    pub fn d1(&self, sql: &str) -> Vec<Value> {
        super::d1::d1_query(&self.persist_dir, sql)
    }
}

/// The secret scan reads the audit log too (`audit_log.txt`): every entry
/// of this D1, as the run ends, one JSON object a line.
pub fn dump_audit_log_at_exit(persist_dir: &Path) {
    let dir = persist_dir.to_path_buf();
    watcher_stack::before_exit(Box::new(move || {
        let rows = super::d1::d1_try(&dir, "SELECT * FROM audit_log ORDER BY id")
            .unwrap_or_else(|why| vec![Value::String(format!("the audit log: {why}"))]);
        let lines: String = rows.iter().map(|row| format!("{row}\n")).collect();
        append("audit_log.txt", &lines);
    }));
}

/// A test's `wrangler dev` (workerd, local D1 in `persist_dir`, the
/// Durable Object, log in `log_path`): the built Worker, with extra `--var
/// NAME:VALUE`s after the stack's, the migrations applied first.
pub fn for_tests(
    builder: watcher_stack::StackBuilder,
    persist_dir: &Path,
    log_path: &Path,
    vars: &[&str],
) -> watcher_stack::StackBuilder {
    builder
        .persist_dir(persist_dir)
        .vars(vars)
        .log(log_path)
        .prebuilt()
}

/// A Worker of a test's own on `persist_dir`, reaching the simulator at
/// `sim_url`; ready when this returns. Stopped when dropped; `kill()` ends
/// it as in a crash.
pub fn start_worker(
    sim_url: &str,
    persist_dir: &Path,
    log_path: &Path,
    vars: &[&str],
) -> Result<Worker, String> {
    let builder = Stack::builder().sim_url(sim_url);
    let stack = for_tests(builder, persist_dir, log_path, vars).start()?;
    Ok(stack.worker)
}
