-- Crash safety for jobs: a run writes `heartbeat_at` while it makes progress,
-- and a run whose heartbeat stopped (its invocation was killed: a deploy, a
-- crash, the platform's limits) is closed as `interrupted` by the next run,
-- instead of staying `running` forever. SQLite cannot change a CHECK in
-- place; nothing references job_runs, so it is rebuilt (no cascade).
CREATE TABLE job_runs_new (
    id            INTEGER PRIMARY KEY,
    job           TEXT    NOT NULL,
    cron          TEXT    NOT NULL,
    started_at    TEXT    NOT NULL,
    heartbeat_at  TEXT,
    finished_at   TEXT,
    status        TEXT    NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed', 'interrupted')),
    keys_ok       INTEGER NOT NULL DEFAULT 0,
    keys_failed   INTEGER NOT NULL DEFAULT 0,
    keys_deferred INTEGER NOT NULL DEFAULT 0,
    rows_written  INTEGER NOT NULL DEFAULT 0,
    rows_deleted  INTEGER NOT NULL DEFAULT 0,
    subrequests   INTEGER NOT NULL DEFAULT 0,
    duration_ms   INTEGER,
    error         TEXT
);
INSERT INTO job_runs_new (id, job, cron, started_at, finished_at, status, keys_ok, keys_failed,
                          keys_deferred, rows_written, rows_deleted, subrequests, duration_ms, error)
SELECT id, job, cron, started_at, finished_at, status, keys_ok, keys_failed,
       keys_deferred, rows_written, rows_deleted, subrequests, duration_ms, error
FROM job_runs;
DROP TABLE job_runs;
ALTER TABLE job_runs_new RENAME TO job_runs;
CREATE INDEX job_runs_started_at ON job_runs (started_at);
CREATE INDEX job_runs_job ON job_runs (job, started_at);
CREATE INDEX job_runs_running ON job_runs (started_at) WHERE status = 'running';
