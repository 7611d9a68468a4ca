//! A local simulator of the parts of OpenRouter's API that OpenRouter Watcher uses
//! (`GET /api/v1/key`, `/api/v1/activity`, `/api/v1/credits`, the management API of keys
//! `/api/v1/keys[/{hash}]`, and a minimal `POST /api/v1/chat/completions` for tests to
//! spend through), faithful to the shapes of the official `@openrouter/sdk`, with
//! deterministic generated data, exact decimal money, and a control API under `/_sim` for
//! tests (keys, usage, truth, clock, faults, log).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = openrouter_sim::serve(openrouter_sim::SimConfig::default()).await?;
//! let api_base = format!("{}/api/v1", sim.base_url());
//! # let _ = api_base; Ok(()) }
//! ```

mod api;
pub mod control;
mod data;
mod state;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinSet;
use tower_service::Service;

pub use state::{Sim, SimError, ACTIVITY_WINDOW_DAYS, DEFAULT_HISTORY_DAYS, KEYS_PAGE_SIZE};

use control::{KeyKind, LimitReset, RegisterKeyRequest, RegisteredKey};

/// How to start the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Seed of every generated key string and history.
    pub seed: u64,
    /// Data to preload: `Some("demo")` or none.
    pub scenario: Option<String>,
    /// OpenRouter's clock frozen at this moment from the start (before the
    /// scenario's keys get their history, which then ends on its day); none:
    /// the real time. `Sim::set_clock` moves or releases it later.
    pub clock: Option<DateTime<Utc>>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            seed: 42,
            scenario: None,
            clock: None,
        }
    }
}

/// Where a started simulator listens and what it holds: what both handles,
/// [`RunningSim`] and [`SimHandle`], give access to (through `Deref`).
#[derive(Clone)]
pub struct Serving {
    addr: SocketAddr,
    sim: Arc<Sim>,
    scenario_keys: Vec<RegisteredKey>,
}

impl Serving {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash; OpenRouter's API base is this
    /// plus `/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The simulator's state, for tests that drive it in-process.
    pub fn sim(&self) -> Arc<Sim> {
        self.sim.clone()
    }

    /// Keys preloaded by the scenario (full key strings: they are fake).
    pub fn scenario_keys(&self) -> &[RegisteredKey] {
        &self.scenario_keys
    }

    /// What a started simulator tells its operator: where it listens, then
    /// one `demo key: <label> <kind> <key>` line per preloaded key.
    pub fn banner(&self) -> String {
        let mut text = format!("openrouter-sim listening on {}\n", self.base_url());
        for k in &self.scenario_keys {
            let kind = match k.kind {
                KeyKind::Inference => "inference",
                KeyKind::Management => "management",
            };
            text.push_str(&format!("demo key: {} {kind} {}\n", k.label, k.key));
        }
        text
    }
}

/// A simulator serving on the current tokio runtime. Stops when dropped.
pub struct RunningSim {
    serving: Serving,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::ops::Deref for RunningSim {
    type Target = Serving;

    fn deref(&self) -> &Serving {
        &self.serving
    }
}

impl RunningSim {
    /// Stops accepting, closes every open connection and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds `127.0.0.1:port` and serves on the current tokio runtime.
pub async fn serve(config: SimConfig) -> std::io::Result<RunningSim> {
    let sim = Arc::new(Sim::new(config.seed));
    if config.clock.is_some() {
        sim.set_clock(config.clock);
    }
    let scenario_keys = load_scenario(&sim, config.scenario.as_deref())?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, sim.clone(), stop_rx));
    Ok(RunningSim {
        serving: Serving {
            addr,
            sim,
            scenario_keys,
        },
        stop: Some(stop_tx),
        task: Some(task),
    })
}

async fn accept_loop(listener: TcpListener, sim: Arc<Sim>, mut stop: oneshot::Receiver<()>) {
    let app = api::router(sim);
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                conns.spawn(async move {
                    let kill = Arc::new(Notify::new());
                    let killer = api::ConnKiller(kill.clone());
                    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                        req.extensions_mut().insert(killer.clone());
                        let mut app = app.clone();
                        async move { app.call(req).await }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc);
                    tokio::select! {
                        _ = conn => {}
                        _ = kill.notified() => {}
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
}

/// A simulator running on its own thread and tokio runtime, so that it outlives the
/// runtimes of individual `#[tokio::test]`s. Stops when dropped.
pub struct SimHandle {
    serving: Serving,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::ops::Deref for SimHandle {
    type Target = Serving;

    fn deref(&self) -> &Serving {
        &self.serving
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

type Started = std::io::Result<Serving>;

/// Starts the simulator on a dedicated thread with its own multi-threaded runtime.
pub fn spawn_in_thread(config: SimConfig) -> std::io::Result<SimHandle> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Started>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("openrouter-sim".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                match serve(config).await {
                    Ok(running) => {
                        let _ = ready_tx.send(Ok(running.serving.clone()));
                        let _ = stop_rx.await;
                        running.shutdown().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })?;
    let serving = ready_rx
        .recv()
        .map_err(|_| std::io::Error::other("the simulator thread ended before it was ready"))??;
    Ok(SimHandle {
        serving,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

fn load_scenario(sim: &Sim, scenario: Option<&str>) -> std::io::Result<Vec<RegisteredKey>> {
    let invalid = |e: SimError| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
    match scenario {
        None | Some("") | Some("none") => Ok(Vec::new()),
        Some("demo") => {
            let account = Some("demo".to_string());
            let alice = RegisterKeyRequest {
                label: Some("demo-alice".into()),
                account: account.clone(),
                creator: Some("alice".into()),
                ..Default::default()
            };
            let bob = RegisterKeyRequest {
                label: Some("demo-bob".into()),
                account: account.clone(),
                creator: Some("bob".into()),
                limit: Some("50".into()),
                limit_reset: Some(LimitReset::Monthly),
                ..Default::default()
            };
            let admin = RegisterKeyRequest {
                label: Some("demo-admin".into()),
                account,
                kind: Some(KeyKind::Management),
                ..Default::default()
            };
            [alice, bob, admin]
                .into_iter()
                .map(|r| sim.register_key(r).map_err(invalid))
                .collect()
        }
        Some(other) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("unknown scenario {other:?} (known: demo)"),
        )),
    }
}
