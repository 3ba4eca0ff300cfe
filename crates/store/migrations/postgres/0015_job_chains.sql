-- A queue's pending jobs (a conversation's callbacks, an account's mass messages) form a
-- chain: each names the next in next_id. Finishing one unblocks the row it names, instead of
-- searching an index of every waiting job (jobs_waiting), whose random page each delivery
-- rewrote; a new job joins at the tail, the one pending job per queue with no next
-- (jobs_tail). Keep in lockstep with the other backend's 0015_job_chains.sql.
ALTER TABLE jobs ADD COLUMN next_id BIGINT;
-- Existing queues: the running job first, then the waiting ones in order; the first of each
-- queue is claimable.
UPDATE jobs SET next_id = chain.next_id
  FROM (SELECT id, lead(id) OVER (PARTITION BY appid, user_id ORDER BY blocked, id) AS next_id
          FROM jobs WHERE state = 'pending' AND user_id IS NOT NULL) AS chain
  WHERE jobs.id = chain.id;
UPDATE jobs SET blocked = 0 WHERE id IN
  (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY appid, user_id ORDER BY blocked, id) AS k
                     FROM jobs WHERE state = 'pending' AND user_id IS NOT NULL) AS head
    WHERE k = 1);
DROP INDEX jobs_waiting;
DROP INDEX jobs_running;
CREATE INDEX jobs_tail ON jobs (appid, user_id) WHERE state = 'pending' AND next_id IS NULL AND user_id IS NOT NULL;
