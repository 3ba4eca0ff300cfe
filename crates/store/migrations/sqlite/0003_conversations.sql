-- Conversations, the durable job queue, delivery attempts, auto-replies (issue 3).
-- Keep in lockstep with ../postgres/0003_conversations.sql.
ALTER TABLE followers ADD COLUMN last_interaction_at INTEGER;

-- Both directions of every (account, user) conversation, in order.
CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    appid TEXT NOT NULL REFERENCES accounts(appid),
    user_id TEXT NOT NULL REFERENCES users(id),
    openid TEXT NOT NULL,
    direction TEXT NOT NULL,
    source TEXT NOT NULL,
    msg_type TEXT NOT NULL,
    body TEXT NOT NULL,
    msg_id INTEGER,
    reply_for INTEGER,
    -- At most one reply per delivery round of a job: "<job id>:<round>".
    reply_key TEXT UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (appid, user_id, seq);

-- Background work. A job is claimed with a lease; an expired lease makes it claimable again.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    appid TEXT NOT NULL,
    user_id TEXT,
    message_seq INTEGER,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    round INTEGER NOT NULL DEFAULT 0,
    run_at INTEGER NOT NULL,
    locked_by TEXT,
    locked_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_account ON jobs (appid, id);
-- One conversation's callbacks go out one at a time, in order.
CREATE INDEX jobs_conversation ON jobs (appid, user_id, state, id);

CREATE TABLE delivery_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL REFERENCES jobs(id),
    appid TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    url TEXT NOT NULL,
    request TEXT NOT NULL,
    status INTEGER,
    response TEXT,
    latency_ms INTEGER NOT NULL,
    error TEXT,
    at INTEGER NOT NULL
);
CREATE INDEX delivery_attempts_job ON delivery_attempts (job_id);
CREATE INDEX delivery_attempts_account ON delivery_attempts (appid, id);

CREATE TABLE auto_replies (
    appid TEXT PRIMARY KEY REFERENCES accounts(appid),
    config TEXT NOT NULL
);
