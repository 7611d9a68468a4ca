//! The stack: the simulator (in-process) and one `wrangler dev` of the
//! Worker on a local D1.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use openrouter_sim::{spawn_in_thread, SimConfig, SimHandle};

use crate::server::Server;
use crate::wrangler::{apply_migrations, wrangler};

/// Starts of `wrangler dev` on fresh ports when the ones picked were taken
/// before it bound them (ports are free when picked, not reserved).
const PORT_ATTEMPTS: usize = 3;
/// What wrangler logs when it finds a port taken.
const PORT_TAKEN: &str = "Address already in use";
/// How long the Worker may take to answer `/health` by default: a cold
/// start on a busy 2-core machine can take a minute or two.
const HEALTH_DEADLINE: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
enum Simulator {
    Start(SimConfig),
    At(String),
    Without,
}

/// How to start a stack; see [`Stack::builder`] and [`Stack::other_worker`].
#[derive(Debug, Clone)]
pub struct StackBuilder {
    persist_dir: PathBuf,
    config: Option<PathBuf>,
    port: Option<u16>,
    simulator: Simulator,
    sim_log: Option<PathBuf>,
    vars: Vec<(String, String)>,
    log: Option<PathBuf>,
    prebuilt: bool,
    migrate: bool,
    test_scheduled: bool,
    health: (String, Duration),
}

/// A started stack: its simulator, unless it reaches one already running,
/// and its Worker. Each stops when dropped.
pub struct Stack {
    pub sim: Option<SimHandle>,
    pub worker: Worker,
}

/// One `wrangler dev`: a [`Server`] (its process, log and port) serving
/// the Worker on the local D1 of `persist_dir`.
pub struct Worker {
    pub base_url: String,
    pub persist_dir: PathBuf,
    /// wrangler's inspector (Chrome DevTools Protocol, `/json` lists the
    /// Worker's isolate), when it picked a port for it.
    pub inspector_port: Option<u16>,
    server: Server,
}

impl std::ops::Deref for Worker {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

impl std::ops::DerefMut for Worker {
    fn deref_mut(&mut self) -> &mut Server {
        &mut self.server
    }
}

impl Stack {
    /// The product: the D1 migrations applied to the persist directory
    /// (`.wrangler/state` unless set), a simulator started in-process with
    /// `SimConfig::default()` unless set, and `wrangler dev --local
    /// --test-scheduled` of the repository's `wrangler.toml` with
    /// `OPENROUTER_BASE_URL` pointing at the simulator, its output on this
    /// process's terminal unless logged, ready when `/health` answers 200
    /// (within 5 minutes unless set).
    pub fn builder() -> StackBuilder {
        StackBuilder {
            persist_dir: crate::root().join(".wrangler/state"),
            config: None,
            port: None,
            simulator: Simulator::Start(SimConfig::default()),
            sim_log: None,
            vars: Vec::new(),
            log: None,
            prebuilt: false,
            migrate: true,
            test_scheduled: true,
            health: ("/health".to_owned(), HEALTH_DEADLINE),
        }
    }

    /// Another Worker (its own `config`) on a stack's state: no simulator,
    /// no migrations, no cron route; ready when `health_path` answers 200.
    pub fn other_worker(config: &Path, health_path: &str) -> StackBuilder {
        StackBuilder {
            config: Some(config.to_path_buf()),
            simulator: Simulator::Without,
            migrate: false,
            test_scheduled: false,
            health: (health_path.to_owned(), HEALTH_DEADLINE),
            ..Stack::builder()
        }
    }
}

impl StackBuilder {
    /// The local D1 and Durable Object storage (`--persist-to`).
    pub fn persist_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.persist_dir = dir.as_ref().to_path_buf();
        self
    }

    /// A wrangler config instead of the repository's `wrangler.toml` (`-c`).
    pub fn config(mut self, config: impl AsRef<Path>) -> Self {
        self.config = Some(config.as_ref().to_path_buf());
        self
    }

    /// A fixed port (and wrangler's own inspector port, 9229). By default
    /// a free port and a free inspector port are picked ([`crate::free_port`]).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Starts a simulator in-process with `config`.
    pub fn sim(mut self, config: SimConfig) -> Self {
        self.simulator = Simulator::Start(config);
        self
    }

    /// Reaches a simulator already running at `base_url` (no `/api/v1`).
    pub fn sim_url(mut self, base_url: impl Into<String>) -> Self {
        self.simulator = Simulator::At(base_url.into());
        self
    }

    /// Writes the started simulator's banner (where it listens, its demo
    /// keys) to `path`.
    pub fn sim_log(mut self, path: impl AsRef<Path>) -> Self {
        self.sim_log = Some(path.as_ref().to_path_buf());
        self
    }

    /// `--var NAME:VALUE`, after the stack's own and earlier ones (the last
    /// of a name wins).
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    /// [`StackBuilder::var`] for each of `specs`, written `NAME:VALUE`
    /// as wrangler takes them.
    pub fn vars(self, specs: &[&str]) -> Self {
        specs.iter().fold(self, |builder, spec| {
            let (name, value) = spec.split_once(':').unwrap_or((spec, ""));
            builder.var(name, value)
        })
    }

    /// Appends wrangler's output (and the migrations') to `path` instead of
    /// this process's terminal.
    pub fn log(mut self, path: impl AsRef<Path>) -> Self {
        self.log = Some(path.as_ref().to_path_buf());
        self
    }

    /// The Worker as built (`ORW_SKIP_BUILD=1`: wrangler's `[build]` does
    /// nothing), without prompts (`CI=true`).
    pub fn prebuilt(mut self) -> Self {
        self.prebuilt = true;
        self
    }

    /// Whether to apply the D1 migrations first (by default, for the
    /// product: they are idempotent, and skipped on a restart that knows).
    pub fn migrations(mut self, apply: bool) -> Self {
        self.migrate = apply;
        self
    }

    /// How long the Worker may take to become ready.
    pub fn health_deadline(mut self, limit: Duration) -> Self {
        self.health.1 = limit;
        self
    }

    /// Starts the stack and waits until the Worker is ready; `wrangler dev`
    /// is started again on fresh ports (up to 3 times) when it found a
    /// port taken.
    pub fn start(self) -> Result<Stack, String> {
        let (sim, sim_url) = self.prepare()?;
        let attempts = match (self.port, &self.log) {
            (None, Some(_)) => PORT_ATTEMPTS,
            _ => 1,
        };
        for attempt in 1..=attempts {
            let logged = self.log_len();
            let mut worker = self.spawn_worker(sim_url.as_deref())?;
            let (path, limit) = &self.health;
            match worker.wait_ready(path, *limit) {
                Ok(()) => return Ok(Stack { sim, worker }),
                Err(why) if attempt < attempts && self.port_taken(logged) => {
                    eprintln!("{why}\na port was taken meanwhile: wrangler dev again");
                }
                Err(why) => return Err(why),
            }
        }
        Err("wrangler dev: no attempt left".to_owned())
    }

    /// Starts the stack without waiting for the Worker (`cargo xtask dev`
    /// shows wrangler's output and keeps it running whatever it says):
    /// wait with `stack.worker.wait_ready`.
    pub fn launch(self) -> Result<Stack, String> {
        let (sim, sim_url) = self.prepare()?;
        let worker = self.spawn_worker(sim_url.as_deref())?;
        Ok(Stack { sim, worker })
    }

    /// The simulator (started or reached: its base URL) and the migrations.
    fn prepare(&self) -> Result<(Option<SimHandle>, Option<String>), String> {
        let sim = match &self.simulator {
            Simulator::Start(config) => Some(
                spawn_in_thread(config.clone())
                    .map_err(|e| format!("the OpenRouter simulator ({config:?}): {e}"))?,
            ),
            _ => None,
        };
        let sim_url = match (&self.simulator, &sim) {
            (Simulator::At(url), _) => Some(url.trim_end_matches('/').to_owned()),
            (_, Some(sim)) => Some(sim.base_url()),
            _ => None,
        };
        if let (Some(path), Some(sim)) = (&self.sim_log, &sim) {
            std::fs::write(path, sim.banner()).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if self.migrate {
            let printed = apply_migrations(&self.persist_dir, self.config.as_deref())?;
            self.show(&printed)?;
        }
        Ok((sim, sim_url))
    }

    /// Puts `text` where wrangler's output goes.
    fn show(&self, text: &str) -> Result<(), String> {
        let Some(log) = &self.log else {
            eprint!("{text}");
            return Ok(());
        };
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .map_err(|e| format!("{}: {e}", log.display()))
    }

    fn log_len(&self) -> u64 {
        let len = self
            .log
            .as_ref()
            .and_then(|log| std::fs::metadata(log).ok());
        len.map_or(0, |meta| meta.len())
    }

    /// Whether what the log gained past `from` says a port was taken.
    fn port_taken(&self, from: u64) -> bool {
        let text = self.log.as_ref().and_then(|log| std::fs::read(log).ok());
        let text = text.unwrap_or_default();
        let from = usize::try_from(from).unwrap_or(usize::MAX).min(text.len());
        String::from_utf8_lossy(&text[from..]).contains(PORT_TAKEN)
    }

    fn spawn_worker(&self, sim_url: Option<&str>) -> Result<Worker, String> {
        let (port, inspector) = match self.port {
            Some(port) => (port, None),
            None => (crate::free_port()?, Some(crate::free_port()?)),
        };
        let mut cmd = wrangler();
        cmd.args(self.dev_args(port, inspector, sim_url));
        let (name, registry) = self.dev_registry();
        cmd.env(name, registry);
        if self.prebuilt {
            cmd.env("ORW_SKIP_BUILD", "1").env("CI", "true");
        }
        let server = Server::spawn("wrangler dev", port, cmd, self.log.as_deref())?;
        Ok(Worker {
            base_url: server.base_url(),
            persist_dir: self.persist_dir.clone(),
            inspector_port: inspector,
            server,
        })
    }

    /// The dev registry this `wrangler dev` reads and writes: its own,
    /// beside its state. wrangler's default is one per machine
    /// (`~/.config/.wrangler/registry`), where every Worker announces
    /// itself by name and every `wrangler dev` watches the others; the test
    /// stacks run a dozen Workers of the same name at once, starting and
    /// stopping, each rewriting the others' entry. Runs where they shared it
    /// logged workerd's "RPC connection broken … incoming RPC message
    /// exceeds size limit" and then lost requests in flight: a queue batch
    /// never reported (the queue stalled for good) or a dashboard request
    /// answered after 28 s. No Worker here binds another by name, so a
    /// registry of its own loses nothing.
    fn dev_registry(&self) -> (&'static str, PathBuf) {
        (
            "WRANGLER_REGISTRY_PATH",
            self.persist_dir.join("dev-registry"),
        )
    }

    /// `wrangler dev`'s arguments.
    fn dev_args(&self, port: u16, inspector: Option<u16>, sim_url: Option<&str>) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["dev".into()];
        if let Some(config) = &self.config {
            args.extend(["-c".into(), config.into()]);
        }
        args.push("--local".into());
        if self.test_scheduled {
            args.push("--test-scheduled".into());
        }
        args.extend(["--ip", "127.0.0.1", "--port"].map(OsString::from));
        args.push(port.to_string().into());
        if let Some(inspector) = inspector {
            args.extend(["--inspector-port".into(), inspector.to_string().into()]);
        }
        args.extend(["--persist-to".into(), self.persist_dir.clone().into()]);
        let base_url =
            sim_url.map(|url| ("OPENROUTER_BASE_URL".to_owned(), format!("{url}/api/v1")));
        for (name, value) in base_url.iter().chain(&self.vars) {
            args.extend(["--var".into(), format!("{name}:{value}").into()]);
        }
        args.push("--show-interactive-dev-session=false".into());
        args
    }
}

#[cfg(test)]
mod tests;
