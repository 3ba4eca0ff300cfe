-- Conversations, the durable job queue, delivery attempts, auto-replies (issue 3).
-- Keep in lockstep with ../sqlite/0003_conversations.sql.
ALTER TABLE followers ADD COLUMN last_interaction_at BIGINT;

-- Both directions of every (account, user) conversation, in order.
CREATE TABLE messages (
    seq BIGSERIAL PRIMARY KEY,
    appid TEXT NOT NULL REFERENCES accounts(appid),
    user_id TEXT NOT NULL REFERENCES users(id),
    openid TEXT NOT NULL,
    direction TEXT NOT NULL,
    source TEXT NOT NULL,
    msg_type TEXT NOT NULL,
    body TEXT NOT NULL,
    msg_id BIGINT,
    reply_for BIGINT,
    -- At most one reply per delivery round of a job: "<job id>:<round>".
    reply_key TEXT UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages (appid, user_id, seq);

-- Background work. A job is claimed with a lease; an expired lease makes it claimable again.
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    appid TEXT NOT NULL,
    user_id TEXT,
    message_seq BIGINT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    round BIGINT NOT NULL DEFAULT 0,
    run_at BIGINT NOT NULL,
    locked_by TEXT,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_account ON jobs (appid, id);
-- One conversation's callbacks go out one at a time, in order.
CREATE INDEX jobs_conversation ON jobs (appid, user_id, state, id);

CREATE TABLE delivery_attempts (
    id BIGSERIAL PRIMARY KEY,
    job_id BIGINT NOT NULL REFERENCES jobs(id),
    appid TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    url TEXT NOT NULL,
    request TEXT NOT NULL,
    status BIGINT,
    response TEXT,
    latency_ms BIGINT NOT NULL,
    error TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX delivery_attempts_job ON delivery_attempts (job_id);
CREATE INDEX delivery_attempts_account ON delivery_attempts (appid, id);

CREATE TABLE auto_replies (
    appid TEXT PRIMARY KEY REFERENCES accounts(appid),
    config TEXT NOT NULL
);
