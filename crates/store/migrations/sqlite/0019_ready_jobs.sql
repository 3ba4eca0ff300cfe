-- A job's lease moves out of `jobs` into a small table holding only the jobs that can be
-- claimed: the pending job at the head of each queue (a conversation's next callback, a
-- payment notification, a money job, ...). Claiming and retrying write only this table, whose
-- few rows share a few pages; a finished job leaves it and hands its queue on by adding the
-- next job's row. So `jobs` is written once per delivery, when it finishes, where it was
-- written three times (claimed, finished, and unblocked by the job before it, each at a
-- scattered page), and the claim reads past the jobs in flight in this table alone. A pending
-- job not in it waits behind the job before it (`next_id`). `attempts` counts the attempts
-- started while a job is ready and is copied to `jobs` when it finishes; `run_at` and
-- `pulled_ms` (0016) are the ready job's. Keep in lockstep with the other backend's
-- 0019_ready_jobs.sql.
CREATE TABLE ready_jobs (
    job_id INTEGER PRIMARY KEY,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    pulled_ms INTEGER NOT NULL DEFAULT 0,
    locked_by TEXT,
    locked_until INTEGER
);
INSERT INTO ready_jobs (job_id, run_at, attempts, pulled_ms, locked_by, locked_until)
    SELECT id, run_at, attempts, pulled_ms, locked_by, locked_until FROM jobs WHERE state = 'pending' AND blocked = 0;
DROP INDEX jobs_ready;
ALTER TABLE jobs DROP COLUMN blocked;
ALTER TABLE jobs DROP COLUMN locked_by;
ALTER TABLE jobs DROP COLUMN locked_until;
ALTER TABLE jobs DROP COLUMN pulled_ms;
