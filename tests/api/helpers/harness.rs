//! The integration-test harness: one real Worker under `wrangler dev`
//! (workerd, local D1, the Durable Object, cron via `/__scheduled`) and one
//! OpenRouter simulator, started once per test binary and shared by every
//! test. Each test creates its own user, keys and tokens, so tests stay
//! independent while running in parallel.
//!
//! Processes: the simulator runs in-process on its own thread; wrangler is a
//! child in its own process group, started from a thread that never exits
//! (so `PR_SET_PDEATHSIG` fires only when the test process dies) and killed
//! with its whole group by an `atexit` hook: no orphan survives the run,
//! even when tests panic.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use openrouter_sim::{spawn_in_thread, SimConfig, SimHandle};
use serde_json::Value;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base_url: String,
    pub sim: SimHandle,
    pub persist_dir: PathBuf,
    pub log_path: PathBuf,
    pub jwt_secret: String,
}

/// Started once; a failed start is remembered, so the other tests fail fast
/// with its reason instead of starting a second wrangler on the same state.
static APP: OnceLock<Result<TestApp, String>> = OnceLock::new();
/// Where the run's state lives, for the exit hook.
static PERSIST_DIR: OnceLock<PathBuf> = OnceLock::new();
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
    if secret.trim().is_empty() {
        return;
    }
    if let Ok(mut secrets) = SECRETS.lock() {
        secrets.push(secret.to_owned());
        append("secrets.txt", &format!("{secret}\n"));
    }
}

/// Responses documented to hand a secret out once: the session of a login
/// or a password change, a new API token, a new webhook's signing secret.
const HANDS_OUT_A_SECRET: [(&str, &str, u16); 4] = [
    ("POST", "/api/auth/login", 200),
    ("POST", "/api/auth/password", 200),
    ("POST", "/api/tokens", 201),
    ("POST", "/api/webhooks", 201),
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

/// A port for a Worker to listen on, free now and out of reach of every
/// other server of the run: those (the simulators, the webhook receivers,
/// workerd's inner sockets) all bind port 0 and so get ports of the kernel's
/// ephemeral range, and this picks below it. Wrangler binds it seconds
/// after this check; a port picked by binding 0 and letting go could be
/// taken by one of them in between (seen in CI with a receiver's port).
fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let ephemeral_start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768);
    let (low, high) = (10_000_u32, ephemeral_start.min(65_536));
    if high > low + 1_000 {
        let span = high - low;
        let start = (std::process::id() % 997) * 37;
        for _ in 0..span {
            let n = NEXT.fetch_add(1, Ordering::SeqCst);
            let port = low + (start + n) % span;
            if let Ok(port) = u16::try_from(port) {
                if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                    return port;
                }
            }
        }
    }
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

extern "C" fn stop_wrangler() {
    let pgids = WORKER_PGIDS.lock().map(|p| p.clone()).unwrap_or_default();
    for pgid in &pgids {
        // SAFETY: signalling process groups we created; no memory involved.
        unsafe {
            libc::kill(-pgid, libc::SIGTERM);
        }
    }
    if !pgids.is_empty() {
        std::thread::sleep(Duration::from_millis(300));
    }
    for pgid in &pgids {
        // SAFETY: as above.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    if std::env::var_os("ORW_KEEP_STATE").is_none() {
        if let Some(dir) = PERSIST_DIR.get() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn wrangler_command() -> Command {
    let mut cmd = Command::new(root().join("node_modules/.bin/wrangler"));
    cmd.current_dir(root())
        .env("ORW_SKIP_BUILD", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "true");
    cmd
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
        let sim = spawn_in_thread(SimConfig {
            port: 0,
            seed: 42,
            scenario: None,
        })
        .expect("the OpenRouter simulator starts");
        let run_dir = run_dir();
        remember_secret(PASSWORD);
        let persist_dir = run_dir.join("state");
        let _ = PERSIST_DIR.set(persist_dir.clone());
        // SAFETY: registering a plain extern "C" fn.
        unsafe {
            libc::atexit(stop_wrangler);
        }
        let worker = Worker::start(
            &sim,
            &persist_dir,
            &run_dir.join("wrangler.log"),
            // Public answers say how many D1 statements they cost; webhooks
            // may point at the tests' receiver on this machine.
            &["ORW_DEBUG_COUNTERS:1", "WEBHOOK_LOOPBACK:1"],
        )
        .unwrap_or_else(|why| panic!("{why}"));
        TestApp {
            base_url: worker.base_url,
            sim,
            persist_dir,
            log_path: worker.log_path,
            jwt_secret: read_dev_var("JWT_SECRET"),
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

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

/// One `wrangler dev` (workerd, local D1 in `persist_dir`, the Durable
/// Object) in its own process group: the shared one every test uses, and
/// extra ones a test may start, kill and restart (crash safety). Every group
/// is killed by the exit hook, even when tests panic.
pub struct Worker {
    pub base_url: String,
    pub persist_dir: PathBuf,
    pub log_path: PathBuf,
    pgid: i32,
}

/// Process groups of every Worker started, for the exit hook.
static WORKER_PGIDS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

impl Worker {
    /// Applies the migrations to `persist_dir` and starts a Worker on it,
    /// reaching `sim`, with extra `--var NAME:VALUE`s; waits until healthy.
    pub fn start(
        sim: &SimHandle,
        persist_dir: &Path,
        log_path: &Path,
        vars: &[&str],
    ) -> Result<Worker, String> {
        std::fs::create_dir_all(persist_dir).map_err(|e| e.to_string())?;
        let migrate = wrangler_command()
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(persist_dir)
            .output()
            .map_err(|e| format!("wrangler runs: {e}"))?;
        if !migrate.status.success() {
            return Err(format!(
                "migrations failed: {}",
                String::from_utf8_lossy(&migrate.stderr)
            ));
        }
        let port = free_port();
        let inspector = free_port();
        let sim_api = format!("{}/api/v1", sim.base_url());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path)
            .map_err(|e| e.to_string())?;
        let log_err = log.try_clone().map_err(|e| e.to_string())?;
        let persist = persist_dir.to_path_buf();
        let mut vars: Vec<String> = vars.iter().map(|v| v.to_string()).collect();
        vars.push(format!("OPENROUTER_BASE_URL:{sim_api}"));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("wrangler-parent".into())
            .spawn(move || {
                let mut cmd = wrangler_command();
                cmd.args(["dev", "--local", "--test-scheduled", "--ip", "127.0.0.1"])
                    .args([
                        "--port",
                        &port.to_string(),
                        "--inspector-port",
                        &inspector.to_string(),
                    ])
                    .arg("--persist-to")
                    .arg(&persist)
                    .args(vars.iter().flat_map(|v| ["--var", v.as_str()]))
                    .arg("--show-interactive-dev-session=false")
                    .stdin(Stdio::null())
                    .stdout(log)
                    .stderr(log_err)
                    .process_group(0);
                // SAFETY: prctl in the child before exec; async-signal-safe.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                        Ok(())
                    });
                }
                let child = cmd.spawn();
                let _ = tx.send(child.map(|c| c.id()));
                // The child dies with this thread's process (PDEATHSIG is
                // per thread), so the thread never exits.
                loop {
                    std::thread::park();
                }
            })
            .map_err(|e| e.to_string())?;
        let pid = rx
            .recv()
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("wrangler starts: {e}"))? as i32;
        if let Ok(mut pgids) = WORKER_PGIDS.lock() {
            pgids.push(pid);
        }
        let worker = Worker {
            base_url: format!("http://127.0.0.1:{port}"),
            persist_dir: persist_dir.to_path_buf(),
            log_path: log_path.to_path_buf(),
            pgid: pid,
        };
        if let Err(why) = wait_for_health(&worker.base_url, log_path) {
            worker.kill();
            return Err(why);
        }
        Ok(worker)
    }

    /// What it has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// SIGKILL to the whole group: workerd dies mid-request, as in a crash.
    pub fn kill(&self) {
        // SAFETY: signalling a process group we created; no memory involved.
        unsafe {
            libc::kill(-self.pgid, libc::SIGKILL);
        }
        // Let the OS reap it and free the database files.
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Generous: a cold start on a busy 2-core machine can take a minute or two.
const START_TIMEOUT: Duration = Duration::from_secs(300);

fn wait_for_health(base_url: &str, log_path: &Path) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if health_status(base_url) == Some(200) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(format!(
        "wrangler dev did not become healthy in {} s; log:\n{}",
        START_TIMEOUT.as_secs(),
        std::fs::read_to_string(log_path).unwrap_or_default()
    ))
}

/// `GET /health` over a plain socket: the harness starts outside any test's
/// async runtime.
fn health_status(base_url: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let host = base_url.strip_prefix("http://")?;
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}
