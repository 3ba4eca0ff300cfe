-- The conversation index covered every job ever queued, so finishing a delivery rewrote a
-- random page of a large index. Only pending jobs are asked about by conversation: the
-- waiting ones (jobs_waiting) and the one under way, at most one per conversation (below).
DROP INDEX jobs_conversation;
CREATE INDEX jobs_running ON jobs (appid, user_id) WHERE state = 'pending' AND blocked = 0;
