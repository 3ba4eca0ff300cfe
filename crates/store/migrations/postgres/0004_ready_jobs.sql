-- A conversation's callbacks go out one at a time, in order. Instead of asking, at every claim,
-- whether an earlier job of the same conversation is still pending (a scan of every pending
-- job), a job waits with blocked = 1 until the one before it finishes, which unblocks it.
ALTER TABLE jobs ADD COLUMN blocked SMALLINT NOT NULL DEFAULT 0;
UPDATE jobs SET blocked = 1 WHERE state = 'pending' AND user_id IS NOT NULL AND EXISTS
    (SELECT 1 FROM jobs e WHERE e.appid = jobs.appid AND e.user_id = jobs.user_id AND e.state = 'pending' AND e.id < jobs.id);
-- The claim reads only ready jobs (a few per conversation at most), in id order.
DROP INDEX jobs_due;
CREATE INDEX jobs_ready ON jobs (id) WHERE state = 'pending' AND blocked = 0;
CREATE INDEX jobs_waiting ON jobs (appid, user_id, id) WHERE state = 'pending' AND blocked = 1;
