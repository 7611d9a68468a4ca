//! No server outlives the process that started it, however that process
//! ends.
//!
//! Each server leads a process group of its own (so wrangler's workerd, or
//! uvicorn's children, go with it), and three things stop the group:
//!
//! * its handle, when dropped (the normal path, an error, a panic);
//! * an `atexit` hook, for handles that are never dropped (a test binary's
//!   shared Worker lives in a `static`);
//! * when the process dies without running either (a signal, `kill -9`):
//!   `PR_SET_PDEATHSIG` ends the group's leader at once, and a watchdog
//!   shell in the group, which outlives it, ends the rest (workerd, whose
//!   parent is wrangler, not us).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, MutexGuard, Once};
use std::time::Duration;

/// Process groups alive, for the exit hook.
static GROUPS: Mutex<Vec<u32>> = Mutex::new(Vec::new());
/// Directories removed at exit, after the groups are gone.
static DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// What runs at exit before any server is stopped.
type Last = Box<dyn FnOnce() + Send>;
static LAST: Mutex<Vec<Last>> = Mutex::new(Vec::new());
static HOOK: Once = Once::new();

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Term,
    Kill,
}

/// Sends `signal` to every process of group `pgid`.
pub fn signal_group(pgid: u32, signal: Signal) {
    // Never 0 or 1: `kill(0)` is our own group, `kill(-1)` everyone.
    let Ok(pgid) = i32::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        return;
    }
    let signal = match signal {
        Signal::Term => libc::SIGTERM,
        Signal::Kill => libc::SIGKILL,
    };
    // SAFETY: signals a process group; no memory is involved.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes `dir` at exit, once every server is stopped (a test run's
/// state; kept when the caller does not ask for this).
pub fn remove_at_exit(dir: &Path) {
    install_hook();
    lock(&DIRS).push(dir.to_path_buf());
}

/// Runs `last` at exit, while the servers still run and before any
/// directory is removed (a test run reading its database a last time).
pub fn before_exit(last: Last) {
    install_hook();
    lock(&LAST).push(last);
}

fn install_hook() {
    HOOK.call_once(|| {
        // SAFETY: registers a plain `extern "C" fn` that takes no argument.
        unsafe {
            libc::atexit(stop_everything);
        }
    });
}

extern "C" fn stop_everything() {
    for last in std::mem::take(&mut *lock(&LAST)) {
        // A panic must not cross into C: it would abort before the cleanup.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(last));
    }
    let groups = std::mem::take(&mut *lock(&GROUPS));
    for &pgid in &groups {
        signal_group(pgid, Signal::Term);
    }
    if !groups.is_empty() {
        std::thread::sleep(Duration::from_millis(300));
    }
    for &pgid in &groups {
        signal_group(pgid, Signal::Kill);
    }
    for dir in std::mem::take(&mut *lock(&DIRS)) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The group is gone (stopped or killed): the exit hook leaves it alone,
/// whoever gets its number next.
pub(crate) fn forget(pgid: u32) {
    lock(&GROUPS).retain(|&g| g != pgid);
}

/// Starts `cmd` as the leader of a new process group that dies with this
/// process, and its watchdog; the child and its group id.
pub(crate) fn spawn(mut cmd: Command, name: &str) -> Result<(Child, u32), String> {
    install_hook();
    cmd.process_group(0);
    // SAFETY: prctl in the child between fork and exec; async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let shown = format!("{cmd:?}");
    // PR_SET_PDEATHSIG fires when the thread that forked the child ends,
    // not the process: fork from a thread that never ends.
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("stack-parent".into())
        .spawn(move || {
            let _ = tx.send(cmd.spawn());
            loop {
                std::thread::park();
            }
        })
        .map_err(|e| format!("cannot start {name}: {e}"))?;
    let child = rx
        .recv()
        .map_err(|e| format!("cannot start {name}: {e}"))?
        .map_err(|e| format!("cannot start {name} ({shown}): {e}"))?;
    let pgid = child.id();
    lock(&GROUPS).push(pgid);
    watchdog(pgid).map_err(|e| format!("watchdog for {name}: {e}"))?;
    Ok((child, pgid))
}

/// A shell in group `pgid` that waits for this process to end, then ends
/// the group. It ignores TERM, INT and HUP so that it lives to send the
/// final KILL; the handle's own KILL of the group ends it on the normal
/// path. (`-s`: dash's builtin kill rejects `kill -TERM -- -PGID`.)
fn watchdog(pgid: u32) -> std::io::Result<Child> {
    let script = format!(
        "trap '' TERM INT HUP; while kill -0 {me} 2>/dev/null; do sleep 1; done; \
         kill -s TERM -- -{pgid} 2>/dev/null; sleep 3; kill -s KILL -- -{pgid} 2>/dev/null",
        me = std::process::id(),
    );
    let group = i32::try_from(pgid).map_err(std::io::Error::other)?;
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(group)
        .spawn()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alive(pid: u32) -> bool {
        // Zombies count as gone: they have exited.
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| !stat.contains(") Z "))
            .unwrap_or(false)
    }

    #[test]
    fn a_group_is_signalled_whole_and_the_hook_forgets_it() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 60 & echo $!; wait"])
            .stdout(Stdio::piped());
        let (mut child, pgid) = spawn(cmd, "sleeper").unwrap();
        assert!(lock(&GROUPS).contains(&pgid));
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        let grandchild: u32 = line.trim().parse().unwrap();
        assert!(alive(grandchild));
        signal_group(pgid, Signal::Kill);
        let _ = child.wait();
        std::thread::sleep(Duration::from_millis(200));
        assert!(!alive(grandchild), "the whole group goes");
        forget(pgid);
        assert!(!lock(&GROUPS).contains(&pgid));
    }

    #[test]
    fn no_signal_reaches_our_own_group_or_everyone() {
        // Would end this test binary if it got through.
        signal_group(0, Signal::Kill);
        signal_group(1, Signal::Kill);
    }
}
