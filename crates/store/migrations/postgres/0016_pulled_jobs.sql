-- Advancing the simulated clock pulls pending jobs' run_at forward (payment notifications'
-- retries, red packets' return). A job in flight then has its next run_at written after the
-- pull, computed from the clock as it was: pulled_ms counts what was pulled since the job was
-- claimed, and that next run_at is moved forward by as much. Keep in lockstep with the other
-- backend's 0016_pulled_jobs.sql.
ALTER TABLE jobs ADD COLUMN pulled_ms BIGINT NOT NULL DEFAULT 0;
