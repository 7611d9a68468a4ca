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
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

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
/// or a password change, a new API token.
const HANDS_OUT_A_SECRET: [(&str, &str, u16); 3] = [
    ("POST", "/api/auth/login", 200),
    ("POST", "/api/auth/password", 200),
    ("POST", "/api/tokens", 201),
];

/// Keeps the body for the final secret scan, unless it is one of the
/// responses that hand a secret out.
fn record_response_body(method: &str, url: &str, status: u16, text: &str) {
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

fn free_port() -> u16 {
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
            // Public answers say how many D1 statements they cost.
            &["ORW_DEBUG_COUNTERS:1"],
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
    /// the Worker). ~1.5 s per call: batch what a test needs.
    pub fn d1(&self, sql: &str) -> Vec<Value> {
        d1_query(&self.persist_dir, sql)
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

/// Rows of the local D1 in `persist_dir`, read with `wrangler d1 execute`,
/// retried while a Worker holds the database for a moment.
pub fn d1_query(persist_dir: &Path, sql: &str) -> Vec<Value> {
    for attempt in 0..5 {
        let out = wrangler_command()
            .args(["d1", "execute", "DB", "--local", "--json", "--persist-to"])
            .arg(persist_dir)
            .args(["--command", sql])
            .output()
            .expect("wrangler d1 execute runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if out.status.success() {
            let parsed: Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("d1 output is not JSON ({e}): {stdout}"));
            return parsed[0]["results"].as_array().cloned().unwrap_or_default();
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        // The Worker may hold the database for a moment (SQLITE_BUSY).
        if attempt < 4
            && (stderr.contains("BUSY") || stdout.contains("BUSY") || stderr.contains("locked"))
        {
            std::thread::sleep(Duration::from_millis(500));
            continue;
        }
        panic!("d1 query failed: {sql}\n{stdout}\n{stderr}");
    }
    unreachable!()
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

// ---- HTTP ------------------------------------------------------------------

/// A response, read whole: status, headers, raw text and JSON (Null if none).
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the contract's error envelope with this status and code.
    pub fn assert_error(&self, status: u16, code: &str) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(self.json["error"]["code"], code, "body: {}", self.text);
        assert!(
            self.json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "error without a message: {}",
            self.text
        );
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "error without JSON content type"
        );
        self
    }

    /// `Retry-After` in seconds (panics when absent: callers expect one).
    pub fn retry_after(&self) -> u64 {
        self.header("retry-after")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no numeric Retry-After on {}: {}", self.status, self.text))
    }

    /// The field a 422 names.
    pub fn error_field(&self) -> String {
        self.json["error"]["details"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A request builder with the few knobs tests need.
pub struct Call {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<(String, Vec<u8>)>,
}

pub fn call(method: &str, path: &str) -> Call {
    call_at(&app().base_url, method, path)
}

/// A request to another Worker than the shared one (see [`Worker`]).
pub fn call_at(base_url: &str, method: &str, path: &str) -> Call {
    Call {
        method: Method::from_bytes(method.as_bytes()).expect("method"),
        url: format!("{base_url}{path}"),
        headers: vec![("CF-Connecting-IP".into(), unique_ip())],
        body: None,
    }
}

pub fn get(path: &str) -> Call {
    call("GET", path)
}

pub fn post(path: &str) -> Call {
    call("POST", path)
}

impl Call {
    pub fn bearer(mut self, token: &str) -> Self {
        self.headers
            .push(("Authorization".into(), format!("Bearer {token}")));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn ip(self, ip: &str) -> Self {
        self.header("CF-Connecting-IP", ip)
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some(("application/json".into(), body.to_string().into_bytes()));
        self
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some((content_type.into(), body.into()));
        self
    }

    /// Sends the request and checks the response against `openapi.json`
    /// (status, body schema, documented headers): every response any test
    /// receives, so the document cannot drift from the Worker.
    pub async fn send(self) -> Res {
        let (method, url) = (self.method.to_string(), self.url.clone());
        let res = self.send_unchecked().await;
        check_contract(&method, &url, &res);
        res
    }

    /// For the few requests outside the document's reach (a body the
    /// client itself cannot frame, say); prefer [`Call::send`].
    pub async fn send_unchecked(self) -> Res {
        let (method, url) = (self.method.to_string(), self.url.clone());
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(90))
            .build()
            .expect("http client");
        let mut request = client.request(self.method, &self.url);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some((content_type, body)) = self.body {
            request = request.header("Content-Type", content_type).body(body);
        }
        let response = request.send().await.expect("the Worker answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        record_response_body(&method, &url, status, &text);
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            text,
            json,
        }
    }
}

/// Every response any test receives is checked against `openapi.json`, so
/// the document cannot drift from what the Worker really sends.
pub fn check_contract(method: &str, url: &str, res: &Res) {
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    if path.starts_with("/__scheduled") {
        return;
    }
    let body = if res.text.is_empty() {
        Value::Null
    } else if res.json.is_null() {
        Value::String(res.text.clone())
    } else {
        res.json.clone()
    };
    match path_template(path) {
        Some(template) => {
            crate::contract::assert_documented(method, &template, res.status, &body);
            if res.status != 405 {
                crate::contract::assert_documented_headers(
                    method,
                    &template,
                    res.status,
                    res.headers
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or(""))),
                );
            }
        }
        None => {
            assert_eq!(res.status, 404, "{method} {path} is not a documented route");
            crate::contract::assert_component_response("RouteNotFound", &body);
        }
    }
}

/// The OpenAPI path of a concrete path (`/api/keys/7/sync` -> `/api/keys/{id}/sync`).
pub fn path_template(path: &str) -> Option<String> {
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let documented = crate::contract::documented_operations();
    let segments: Vec<&str> = path.split('/').collect();
    documented.into_iter().map(|(_, p)| p).find(|template| {
        let parts: Vec<&str> = template.split('/').collect();
        parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(t, s)| {
                if *t == "{id}" {
                    !s.is_empty()
                        && s.len() <= 16
                        && s.bytes().all(|b| b.is_ascii_digit())
                        && *s != "0"
                } else {
                    t == s
                }
            })
    })
}

// ---- product-level helpers --------------------------------------------------

/// A registered, logged-in user.
pub struct User {
    pub email: String,
    pub jwt: String,
    pub id: i64,
}

pub async fn register(email: &str, password: &str) -> Res {
    post("/api/auth/register")
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
}

pub async fn login(email: &str, password: &str) -> Res {
    post("/api/auth/login")
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
}

pub async fn new_user() -> User {
    let email = format!("{}@example.com", unique("user"));
    let created = register(&email, PASSWORD).await;
    assert_eq!(created.status, 201, "register: {}", created.text);
    let logged_in = login(&email, PASSWORD).await;
    assert_eq!(logged_in.status, 200, "login: {}", logged_in.text);
    let jwt = logged_in.json["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    remember_secret(&jwt);
    User {
        email,
        jwt,
        id: created.json["id"].as_i64().expect("id"),
    }
}

impl User {
    pub async fn new_token(&self, name: &str) -> (i64, String) {
        let res = post("/api/tokens")
            .bearer(&self.jwt)
            .json(&json!({ "name": name }))
            .send()
            .await;
        assert_eq!(res.status, 201, "create token: {}", res.text);
        let token = res.json["token"].as_str().expect("token").to_owned();
        remember_secret(&token);
        (res.json["id"].as_i64().expect("id"), token)
    }

    pub async fn add_key(&self, name: &str, key: &str, kind: &str) -> Res {
        post("/api/keys")
            .bearer(&self.jwt)
            .json(&json!({ "name": name, "key": key, "kind": kind }))
            .send()
            .await
    }
}

// ---- simulator control --------------------------------------------------------

pub struct SimKey {
    pub key: String,
    pub hash: String,
    pub account: String,
}

pub async fn sim_post(path: &str, body: &Value) -> Value {
    let res = reqwest::Client::new()
        .post(app().sim_url(path))
        .json(body)
        .send()
        .await
        .expect("simulator answers");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    assert!(status.is_success(), "sim {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

pub async fn sim_get(path: &str) -> Value {
    let res = reqwest::Client::new()
        .get(app().sim_url(path))
        .send()
        .await
        .expect("simulator answers");
    assert_eq!(res.status(), StatusCode::OK, "sim GET {path}");
    res.json().await.expect("sim JSON")
}

/// Registers a key in the simulator (`extra` merges into the request).
pub async fn sim_key(extra: Value) -> SimKey {
    let mut body = json!({ "label": unique("k") });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    let res = sim_post("/_sim/keys", &body).await;
    let key = res["key"].as_str().expect("key").to_owned();
    remember_secret(&key);
    SimKey {
        key,
        hash: res["key_hash"].as_str().expect("key_hash").to_owned(),
        account: res["account"].as_str().expect("account").to_owned(),
    }
}

/// Installs a fault in the simulator; returns its id for [`lift_fault`].
pub async fn add_fault(fault: &Value) -> String {
    let id = sim_post("/_sim/faults", fault).await["id"].clone();
    id.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| id.to_string())
}

/// Removes a fault (already expired `times`-limited faults are fine), so
/// other tests' cron runs do not wait on this test's keys.
pub async fn lift_fault(id: &str) {
    let _ = reqwest::Client::new()
        .delete(app().sim_url(&format!("/_sim/faults/{id}")))
        .send()
        .await;
}

/// Makes the simulator reject (401) or accept a key again.
pub async fn set_revoked(sim: &SimKey, revoked: bool) {
    sim_post(
        &format!("/_sim/keys/{}/status", sim.hash),
        &json!({ "revoked": revoked }),
    )
    .await;
}

pub async fn fire_cron(expr: &str) -> Res {
    let path = format!("/__scheduled?cron={}", expr.replace(' ', "+"));
    let res = get(&path).send().await;
    assert_eq!(res.status, 200, "cron {expr}: {}", res.text);
    res
}

/// The newest job run's id, 0 when none has run.
pub fn max_job_run_id() -> i64 {
    app().d1("SELECT COALESCE(MAX(id), 0) AS id FROM job_runs")[0]["id"]
        .as_i64()
        .unwrap_or(0)
}

/// Waits until every job run that had started by now has finished.
///
/// Tests run in parallel and each fires the hourly sync, which syncs every
/// user's keys; a test that changes the simulator's answers (faults) and then
/// counts what the next run stores must not count what a run already in
/// flight stores with the old answers.
pub async fn settle_job_runs() {
    let started = max_job_run_id();
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let running = app().d1(&format!(
            "SELECT COUNT(*) AS n FROM job_runs WHERE id <= {started} AND status = 'running'"
        ))[0]["n"]
            .as_i64()
            .unwrap_or(0);
        if running == 0 {
            return;
        }
        if std::time::Instant::now() > deadline {
            // A run the runtime killed stays `running` forever; the caller's
            // own assertions then say what went wrong.
            eprintln!("{running} job runs still running after 90 s");
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Today's UTC date as `YYYY-MM-DD`.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

pub fn day(offset_days: i64) -> String {
    (today() + chrono::Duration::days(offset_days))
        .format("%Y-%m-%d")
        .to_string()
}
