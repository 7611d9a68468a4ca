-- The hourly sync fans out through Cloudflare Queues (jobs/queue.rs): the
-- cron plans the run into batches of keys, one queue message each, and
-- every consumer invocation syncs one batch with its own subrequest budget.

-- job_runs gains the 'enqueued' status (planned, batches in flight) and the
-- batch counters. SQLite cannot change a CHECK in place; nothing
-- references job_runs yet, so it is rebuilt (no cascade).
CREATE TABLE job_runs_new (
    id            INTEGER PRIMARY KEY,
    job           TEXT    NOT NULL,
    cron          TEXT    NOT NULL,
    started_at    TEXT    NOT NULL,
    heartbeat_at  TEXT,
    finished_at   TEXT,
    status        TEXT    NOT NULL CHECK (status IN ('running', 'enqueued', 'ok', 'partial', 'failed', 'interrupted')),
    keys_ok       INTEGER NOT NULL DEFAULT 0,
    keys_failed   INTEGER NOT NULL DEFAULT 0,
    keys_deferred INTEGER NOT NULL DEFAULT 0,
    rows_written  INTEGER NOT NULL DEFAULT 0,
    rows_deleted  INTEGER NOT NULL DEFAULT 0,
    subrequests   INTEGER NOT NULL DEFAULT 0,
    duration_ms   INTEGER,
    error         TEXT,
    -- Batches planned, reported (ok/partial/failed) and dead-lettered; keys
    -- of dead batches (synced again by the next run).
    batches       INTEGER NOT NULL DEFAULT 0,
    batches_done  INTEGER NOT NULL DEFAULT 0,
    batches_dead  INTEGER NOT NULL DEFAULT 0,
    keys_dead     INTEGER NOT NULL DEFAULT 0,
    -- The most subrequests one invocation of this run made (the platform's
    -- limit is per invocation).
    max_subrequests INTEGER NOT NULL DEFAULT 0
);
INSERT INTO job_runs_new (id, job, cron, started_at, heartbeat_at, finished_at, status, keys_ok, keys_failed,
                          keys_deferred, rows_written, rows_deleted, subrequests, duration_ms, error, max_subrequests)
SELECT id, job, cron, started_at, heartbeat_at, finished_at, status, keys_ok, keys_failed,
       keys_deferred, rows_written, rows_deleted, subrequests, duration_ms, error, subrequests
FROM job_runs;
DROP TABLE job_runs;
ALTER TABLE job_runs_new RENAME TO job_runs;
CREATE INDEX job_runs_started_at ON job_runs (started_at);
CREATE INDEX job_runs_job ON job_runs (job, started_at);
CREATE INDEX job_runs_running ON job_runs (started_at) WHERE status IN ('running', 'enqueued');

-- One row per batch of a run: the keys it still has to sync (fewer after a
-- retry that made progress), and what its attempts did.
CREATE TABLE sync_batches (
    run_id        INTEGER NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
    batch         INTEGER NOT NULL,
    key_ids       TEXT    NOT NULL,   -- JSON array of api_keys ids
    keys          INTEGER NOT NULL,   -- keys planned
    status        TEXT    NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'ok', 'partial', 'failed', 'dead')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    -- A consumer holds a running batch until then (a redelivery meanwhile
    -- waits; a consumer that died lets go).
    leased_until  TEXT,
    keys_ok       INTEGER NOT NULL DEFAULT 0,
    keys_failed   INTEGER NOT NULL DEFAULT 0,
    keys_deferred INTEGER NOT NULL DEFAULT 0,
    rows_written  INTEGER NOT NULL DEFAULT 0,
    subrequests   INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    started_at    TEXT,
    finished_at   TEXT,
    PRIMARY KEY (run_id, batch)
) WITHOUT ROWID;

-- A batch's end reports to its run, once: only the change from queued or
-- running to a final status counts, so a redelivered message or a second
-- report changes nothing. The last batch closes the run with the status
-- RunOutcome::status would give the same figures.
CREATE TRIGGER sync_batches_report AFTER UPDATE OF status ON sync_batches
WHEN OLD.status IN ('queued', 'running') AND NEW.status IN ('ok', 'partial', 'failed', 'dead')
BEGIN
    UPDATE job_runs SET
        batches_done    = batches_done + (NEW.status != 'dead'),
        batches_dead    = batches_dead + (NEW.status = 'dead'),
        keys_dead       = keys_dead + CASE WHEN NEW.status = 'dead' THEN json_array_length(NEW.key_ids) ELSE 0 END,
        keys_ok         = keys_ok + NEW.keys_ok,
        keys_failed     = keys_failed + NEW.keys_failed,
        keys_deferred   = keys_deferred + NEW.keys_deferred,
        rows_written    = rows_written + NEW.rows_written,
        subrequests     = subrequests + NEW.subrequests,
        error           = CASE WHEN NEW.error IS NULL THEN error
                               ELSE substr(COALESCE(error || '; ', '') || NEW.error, 1, 2000) END,
        heartbeat_at    = NEW.finished_at
    WHERE id = NEW.run_id;
    UPDATE job_runs SET
        status = CASE
            WHEN keys_failed = 0 AND keys_deferred = 0 AND batches_dead = 0 AND error IS NULL THEN 'ok'
            WHEN keys_ok = 0 AND rows_written = 0 AND keys_deferred = 0 THEN 'failed'
            ELSE 'partial' END,
        finished_at = NEW.finished_at,
        duration_ms = CAST(ROUND((julianday(NEW.finished_at) - julianday(started_at)) * 86400000) AS INTEGER)
    WHERE id = NEW.run_id AND status = 'enqueued' AND batches_done + batches_dead >= batches;
END;
