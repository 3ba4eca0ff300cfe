-- A job's payload is written once and read when the job is claimed, while its state is
-- rewritten at every claim, finish and hand-over. Kept in the job's row, the payload made the
-- row ten times larger than its state, so the few hundred jobs a busy queue rewrites at once
-- each sat on a page of their own (1.8 pages logged per delivery). Kept apart, the state rows
-- are small and share pages. Keep in lockstep with the other backend's 0014_job_payloads.sql.
CREATE TABLE job_payloads (
    job_id INTEGER PRIMARY KEY REFERENCES jobs(id),
    payload TEXT NOT NULL
);
INSERT INTO job_payloads (job_id, payload) SELECT id, payload FROM jobs;
ALTER TABLE jobs DROP COLUMN payload;
