//! Background servers that never outlive the bench.
//!
//! Each server starts in its own process group (so wrangler's workerd and
//! uvicorn's children go with it) and is stopped by killing the group when
//! its guard drops: at the end, on any error, on a panic. A watchdog shell in
//! the same group kills the group if xtask itself dies (Ctrl-C, kill), since
//! no destructor runs then.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::http::Client;
use crate::tools::Result;

pub struct Server {
    pub name: String,
    pub port: u16,
    pub log: PathBuf,
    child: Option<Child>,
    pgid: u32,
}

impl Server {
    /// Spawns `cmd` (stdout and stderr to `log`) in a new process group.
    pub fn spawn(name: &str, port: u16, cmd: &mut Command, log: &Path) -> Result<Server> {
        let out = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {name} ({cmd:?}): {e}"))?;
        let pgid = child.id();
        let server = Server {
            name: name.to_owned(),
            port,
            log: log.to_owned(),
            child: Some(child),
            pgid,
        };
        // Ignores TERM/INT/HUP so it survives to send the final KILL; the
        // guard's own KILL of the group ends it on the normal path. (`-s`:
        // dash's builtin kill rejects `kill -TERM -- -PGID`.)
        let script = format!(
            "trap '' TERM INT HUP; while kill -0 {me} 2>/dev/null; do sleep 1; done; \
             kill -s TERM -- -{pgid} 2>/dev/null; sleep 3; kill -s KILL -- -{pgid} 2>/dev/null",
            me = std::process::id(),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(pgid as i32)
            .spawn()
            .map_err(|e| format!("watchdog for {name}: {e}"))?;
        Ok(server)
    }

    pub fn client(&self) -> Client {
        Client::new(self.port)
    }

    /// Polls `path` until it answers 200; fails early if the process exits.
    pub fn wait_ready(&mut self, path: &str, limit: Duration) -> Result {
        let started = Instant::now();
        let client = self.client().with_timeout(Duration::from_secs(5));
        let mut answering_since: Option<Instant> = None;
        loop {
            if let Ok(resp) = client.get(path, None) {
                // Up but answering something else: give it 10 s, then report
                // what it says instead of waiting out the limit.
                let since = *answering_since.get_or_insert_with(Instant::now);
                if resp.status != 200 && since.elapsed() > Duration::from_secs(10) {
                    return Err(format!(
                        "{} answers GET {path} with {}: {}",
                        self.name,
                        resp.status,
                        resp.body.chars().take(400).collect::<String>()
                    ));
                }
                if resp.status == 200 {
                    eprintln!(
                        "{} ready on {} in {:.1}s",
                        self.name,
                        client.base(),
                        started.elapsed().as_secs_f64()
                    );
                    return Ok(());
                }
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!(
                        "{} exited ({status}) before answering {path}:\n{}",
                        self.name,
                        self.log_tail(30)
                    ));
                }
            }
            if started.elapsed() > limit {
                return Err(format!(
                    "{} did not answer GET {path} with 200 within {}s:\n{}",
                    self.name,
                    limit.as_secs(),
                    self.log_tail(30)
                ));
            }
            sleep(Duration::from_millis(200));
        }
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        crate::tools::last_lines(&text, lines).join("\n")
    }

    /// TERM to the group, up to 5 s for the leader to exit, then KILL to
    /// whatever is left of the group (the watchdog included).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        signal_group("TERM", self.pgid);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            sleep(Duration::from_millis(100));
        }
        sleep(Duration::from_millis(300));
        signal_group("KILL", self.pgid);
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn signal_group(signal: &str, pgid: u32) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// `n` distinct ports that were free a moment ago on 127.0.0.1.
pub fn free_ports(n: usize) -> Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| format!("no free port: {e}"))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| format!("no free port: {e}"))
}
