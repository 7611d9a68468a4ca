//! A server process: started in a group of its own (see `reaper`), waited
//! for, stopped.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::client::{Client, Response};
use crate::reaper::{self, Signal};

/// Lines of the log an error shows.
const TAIL: usize = 40;
/// How long a server may answer the ready check with something else before
/// that answer is the error (a Worker whose secrets are missing answers
/// `/health` with 503 at once, and for ever).
const WRONG_ANSWERS_FOR: Duration = Duration::from_secs(10);
/// How long one readiness probe may take to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Server {
    pub name: String,
    pub port: u16,
    /// Where its output goes (appended), or `None`: this process's terminal.
    pub log: Option<PathBuf>,
    child: Option<Child>,
    pgid: u32,
    /// Killed (`kill`): nothing left to stop.
    killed: AtomicBool,
}

impl Server {
    /// Starts `cmd` (no input; output appended to `log`, or to this
    /// process's own when `None`) as the leader of a new process group.
    pub fn spawn(
        name: &str,
        port: u16,
        mut cmd: Command,
        log: Option<&Path>,
    ) -> Result<Server, String> {
        cmd.stdin(Stdio::null());
        if let Some(log) = log {
            let out = OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .map_err(|e| format!("{}: {e}", log.display()))?;
            let err = out.try_clone().map_err(|e| e.to_string())?;
            cmd.stdout(out).stderr(err);
        }
        let (child, pgid) = reaper::spawn(cmd, name)?;
        Ok(Server {
            name: name.to_owned(),
            port,
            log: log.map(Path::to_path_buf),
            child: Some(child),
            pgid,
            killed: AtomicBool::new(false),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls `GET path` until it answers 200. Fails early, with the tail of
    /// the log, if the process exits or answers something else for 10 s,
    /// and once `limit` has passed.
    pub fn wait_ready(&mut self, path: &str, limit: Duration) -> Result<(), String> {
        let started = Instant::now();
        let mut answering_since: Option<Instant> = None;
        loop {
            let probe = Client::new(self.port).with_timeout(PROBE_TIMEOUT);
            if let Ok(Response { status, body }) = probe.get(path, None) {
                if status == 200 {
                    eprintln!(
                        "{} ready on {} in {:.1}s",
                        self.name,
                        self.base_url(),
                        started.elapsed().as_secs_f64()
                    );
                    return Ok(());
                }
                let since = *answering_since.get_or_insert_with(Instant::now);
                if since.elapsed() > WRONG_ANSWERS_FOR {
                    let body: String = body.chars().take(400).collect();
                    return Err(self.failure(&format!("answers GET {path} with {status}: {body}")));
                }
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok()?) {
                return Err(self.failure(&format!("exited ({status}) before answering {path}")));
            }
            if started.elapsed() > limit {
                let secs = limit.as_secs();
                return Err(self.failure(&format!(
                    "did not answer GET {path} with 200 within {secs} s"
                )));
            }
            sleep(Duration::from_millis(250));
        }
    }

    fn failure(&self, what: &str) -> String {
        match &self.log {
            Some(log) => format!(
                "{} {what}; last lines of {}:\n{}",
                self.name,
                log.display(),
                self.log_tail(TAIL)
            ),
            None => format!("{} {what} (its output is above)", self.name),
        }
    }

    /// Everything it has logged so far (empty without a log file).
    pub fn log(&self) -> String {
        self.log
            .as_ref()
            .and_then(|log| std::fs::read_to_string(log).ok())
            .unwrap_or_default()
    }

    /// Whether its process still runs, and the tail of its log: what a
    /// client that lost its connection to it reports (a refused connection
    /// says nothing of why the server went).
    pub fn state(&self) -> String {
        let pid = self.child.as_ref().map(Child::id);
        let running = pid.is_some_and(|pid| {
            // A zombie has exited; only its parent has not read its status.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| !stat.contains(") Z "))
        });
        let what = match (pid, running) {
            (Some(pid), true) => format!("is running (pid {pid})"),
            (Some(pid), false) => format!("has exited (pid {pid})"),
            (None, _) => "was stopped".to_owned(),
        };
        self.failure(&what)
    }

    pub fn log_tail(&self, lines: usize) -> String {
        crate::last_lines(&self.log(), lines).join("\n")
    }

    /// Waits for it to end by itself (`cargo xtask dev` runs until Ctrl-C).
    pub fn wait(&mut self) -> Result<ExitStatus, String> {
        let child = self.child.as_mut().ok_or("already stopped")?;
        let status = child.wait().map_err(|e| format!("{}: {e}", self.name))?;
        self.stop();
        Ok(status)
    }

    /// KILL to the whole group at once, as in a crash (workerd dies
    /// mid-request); then a moment for the system to free its files.
    pub fn kill(&self) {
        if self.killed.swap(true, Ordering::SeqCst) {
            return;
        }
        reaper::signal_group(self.pgid, Signal::Kill);
        reaper::forget(self.pgid);
        sleep(Duration::from_millis(500));
    }

    /// TERM to the group, up to 5 s for the leader to exit, then KILL to
    /// whatever is left of it (the watchdog included).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if !self.killed.load(Ordering::SeqCst) {
            reaper::signal_group(self.pgid, Signal::Term);
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                sleep(Duration::from_millis(100));
            }
            sleep(Duration::from_millis(300));
            reaper::signal_group(self.pgid, Signal::Kill);
            reaper::forget(self.pgid);
        }
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("stack-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_process_that_exits_fails_the_wait_with_its_log() {
        let dir = temp("exits");
        let log = dir.join("x.log");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo Address already in use; exit 3"]);
        let port = crate::free_port().unwrap();
        let mut server = Server::spawn("x", port, cmd, Some(&log)).unwrap();
        let err = server
            .wait_ready("/health", Duration::from_secs(20))
            .unwrap_err();
        assert!(err.contains("x exited"), "{err}");
        assert!(err.contains("Address already in use"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn its_state_says_whether_it_runs_with_its_log() {
        let dir = temp("state");
        let log = dir.join("x.log");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo started; sleep 30"]);
        let server = Server::spawn("x", 1, cmd, Some(&log)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !server.log().contains("started") && Instant::now() < deadline {
            sleep(Duration::from_millis(20));
        }
        let state = server.state();
        assert!(state.starts_with("x is running (pid "), "{state}");
        assert!(state.ends_with("started"), "{state}");
        server.kill();
        let state = server.state();
        assert!(state.starts_with("x has exited"), "{state}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_wrong_answer_fails_the_wait_and_a_right_one_ends_it() {
        use std::sync::Arc;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let healthy = Arc::new(AtomicBool::new(false));
        let answers = Arc::clone(&healthy);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                let mut buf = [0u8; 1024];
                let _ = std::io::Read::read(&mut stream, &mut buf);
                let status = match answers.load(Ordering::SeqCst) {
                    true => "200 OK",
                    false => "503 No",
                };
                let answer = format!("HTTP/1.1 {status}\r\nConnection: close\r\n\r\nbody");
                let _ = std::io::Write::write_all(&mut stream, answer.as_bytes());
            }
        });
        let mut cmd = Command::new("sleep");
        cmd.arg("60");
        let mut server = Server::spawn("y", port, cmd, None).unwrap();
        let err = server
            .wait_ready("/health", Duration::from_secs(60))
            .unwrap_err();
        assert!(err.contains("answers GET /health with 503: body"), "{err}");
        healthy.store(true, Ordering::SeqCst);
        server
            .wait_ready("/health", Duration::from_secs(5))
            .unwrap();
        server.stop();
        assert!(server.child.is_none());
    }
}
