//! The local D1 of a `wrangler dev` run, read straight from its SQLite file,
//! as an operator's `sqlite3` would: the file is in WAL mode, so a read-only
//! connection never takes the write lock the Worker needs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

/// The database's file: the one SQLite file of Miniflare's D1 object that
/// is not its metadata.
pub fn database_file(persist_dir: &Path) -> Result<PathBuf, String> {
    let dir = persist_dir.join("v3/d1/miniflare-D1DatabaseObject");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "sqlite")
                && p.file_stem().is_some_and(|s| s != "metadata")
        })
        .collect();
    match files.as_slice() {
        [one] => Ok(one.clone()),
        other => Err(format!(
            "{}: {} databases, expected one",
            dir.display(),
            other.len()
        )),
    }
}

/// A connection to `file` waiting up to 10 s for a lock instead of failing.
pub fn open(file: &Path, flags: OpenFlags) -> Result<Connection, String> {
    let db = Connection::open_with_flags(file, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    db.busy_timeout(Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    Ok(db)
}

/// The newest job run's id (0 before the first).
pub fn newest_run(persist_dir: &Path) -> Result<i64, String> {
    let db = open(
        &database_file(persist_dir)?,
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    db.query_row("SELECT COALESCE(MAX(id), 0) FROM job_runs", [], |row| {
        row.get(0)
    })
    .map_err(|e| e.to_string())
}

/// Waits until a job run newer than `after_id` is recorded and the runs up
/// to the newest one then are final (not `running` or `enqueued`: their
/// queued batches all reported), polling every `poll`, for at most `limit`.
/// Runs started later (another caller's) are not waited for.
pub fn wait_for_runs(
    persist_dir: &Path,
    after_id: i64,
    poll: Duration,
    limit: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    let db = open(
        &database_file(persist_dir)?,
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let (mut upto, mut open_runs) = (None, 0_i64);
    loop {
        if upto.is_none() {
            let newest: i64 = db
                .query_row("SELECT COALESCE(MAX(id), 0) FROM job_runs", [], |row| {
                    row.get(0)
                })
                .map_err(|e| e.to_string())?;
            upto = (newest > after_id).then_some(newest);
        }
        if let Some(upto) = upto {
            open_runs = db
                .query_row(
                    "SELECT COUNT(*) FROM job_runs WHERE id > ?1 AND id <= ?2
                       AND status IN ('running', 'enqueued')",
                    [after_id, upto],
                    |row| row.get(0),
                )
                .map_err(|e| e.to_string())?;
            if open_runs == 0 {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            return Err(if let Some(upto) = upto {
                format!(
                    "{open_runs} job run(s) after {after_id} not final after {limit:?}:\n{}",
                    open_runs_report(&db, after_id, upto)
                )
            } else {
                format!("no job run after {after_id} recorded within {limit:?}")
            });
        }
        std::thread::sleep(poll);
    }
}

/// The runs still open between `after_id` and `upto`, each with its batches
/// not final: what a wait that timed out was waiting for (a batch never
/// delivered, one held by a consumer, a run never planned).
fn open_runs_report(db: &Connection, after_id: i64, upto: i64) -> String {
    let query = || -> rusqlite::Result<Vec<String>> {
        let mut statement = db.prepare(
            "SELECT r.id, r.job, r.status, r.started_at, COALESCE(r.heartbeat_at, '-'),
                    COALESCE(b.batch, -1), COALESCE(b.status, '-'), COALESCE(b.attempts, 0),
                    COALESCE(b.lease_holder, '-'), COALESCE(b.leased_until, '-'),
                    COALESCE(b.started_at, '-')
               FROM job_runs r LEFT JOIN sync_batches b
                 ON b.run_id = r.id AND b.status IN ('queued', 'running')
              WHERE r.id > ?1 AND r.id <= ?2 AND r.status IN ('running', 'enqueued')
              ORDER BY r.id, b.batch",
        )?;
        let rows = statement.query_map([after_id, upto], |row| {
            Ok(format!(
                "run {} ({}) {} since {} (heartbeat {}): batch {} {} attempts {} holder {} until {} started {}",
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, i64>(5)?,
                row.get::<_, String>(6)?,
                row.get::<_, i64>(7)?,
                row.get::<_, String>(8)?,
                row.get::<_, String>(9)?,
                row.get::<_, String>(10)?,
            ))
        })?;
        rows.collect()
    };
    match query() {
        Ok(lines) if lines.is_empty() => "(none left open when read again)".to_owned(),
        Ok(lines) => lines.join("\n"),
        Err(e) => format!("(the open runs could not be read: {e})"),
    }
}
