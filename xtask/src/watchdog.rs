//! A deadline on a whole test step. Past it the step is killed and the
//! report names the tests still running and shows the tail of every log
//! of the run: a hang is a failure that says where, never CI's own timeout
//! ending the job without a word.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::sleep;
use std::time::{Duration, Instant};

use watcher_stack::{signal_group, Signal};

use crate::tools::Result;

/// Lines of each log shown when a step overruns.
const LOG_TAIL: usize = 40;

/// Runs the libtest binary behind `cmd` (its output passes through) and
/// kills it, with its process group, once `limit` has passed.
pub fn run_tests_within(cmd: &mut Command, limit: Duration, logs: &Path) -> Result {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    let progress = Arc::new(Mutex::new(Progress::default()));
    let reader = child.stdout.take().map(|stdout| {
        let progress = Arc::clone(&progress);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                println!("{line}");
                if let Ok(mut progress) = progress.lock() {
                    progress.read(&line);
                }
            }
        })
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => sleep(Duration::from_millis(500)),
            Ok(None) | Err(_) => {
                kill_group(child.id());
                let _ = child.wait();
                let report = progress.lock().map(|p| p.unfinished()).unwrap_or_default();
                return Err(overrun(&shown, limit, &report, logs));
            }
        }
    };
    if let Some(reader) = reader {
        let _ = reader.join();
    }
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// What libtest said so far: tests that ran past 60 s, tests that ended.
#[derive(Default)]
struct Progress {
    slow: BTreeSet<String>,
    ended: BTreeSet<String>,
}

impl Progress {
    fn read(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("test ") else {
            return;
        };
        if let Some(name) = rest.strip_suffix(" has been running for over 60 seconds") {
            self.slow.insert(name.to_owned());
        } else if let Some((name, _outcome)) = rest.split_once(" ... ") {
            self.ended.insert(name.to_owned());
        }
    }

    /// Tests past 60 s that never ended (libtest names a test only when
    /// it ends or passes 60 s, so these are the ones that hung).
    fn unfinished(&self) -> Vec<String> {
        self.slow.difference(&self.ended).cloned().collect()
    }
}

fn kill_group(pgid: u32) {
    for signal in [Signal::Term, Signal::Kill] {
        signal_group(pgid, signal);
        sleep(Duration::from_secs(3));
    }
}

fn overrun(shown: &str, limit: Duration, unfinished: &[String], logs: &Path) -> String {
    let mut report = format!(
        "{shown} did not finish in {} s and was killed.\nstill running: {}\n",
        limit.as_secs(),
        if unfinished.is_empty() {
            "(no test had passed 60 s)".to_owned()
        } else {
            unfinished.join(", ")
        }
    );
    for log in crate::tools::files_ending(logs, "log") {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let tail = crate::tools::last_lines(&text, LOG_TAIL);
        report.push_str(&format!(
            "\n--- last {} lines of {} ---\n{}\n",
            tail.len(),
            log.display(),
            tail.join("\n")
        ));
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tests_past_sixty_seconds_that_never_ended_are_named() {
        let mut progress = Progress::default();
        for line in [
            "running 3 tests",
            "test a::quick ... ok",
            "test b::slow has been running for over 60 seconds",
            "test c::hung has been running for over 60 seconds",
            "test b::slow ... FAILED",
        ] {
            progress.read(line);
        }
        assert_eq!(progress.unfinished(), vec!["c::hung".to_owned()]);
    }

    #[test]
    fn an_overrun_is_killed_and_reported_with_the_logs() {
        let dir = std::env::temp_dir().join(format!("watchdog-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("run")).unwrap();
        std::fs::write(dir.join("run/wrangler.log"), "ready\nGET /health 200\n").unwrap();
        let started = Instant::now();
        let err = run_tests_within(
            Command::new("sh").args([
                "-c",
                "echo 'test x::hung has been running for over 60 seconds'; sleep 30",
            ]),
            Duration::from_millis(300),
            &dir,
        )
        .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "killed, not awaited"
        );
        assert!(err.contains("still running: x::hung"), "{err}");
        assert!(err.contains("GET /health 200"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(run_tests_within(&mut Command::new("true"), Duration::from_secs(20), &dir).is_ok());
    }
}
