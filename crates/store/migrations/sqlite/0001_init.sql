-- Herald schema, SQLite flavour. Keep in lockstep with ../postgres/0001_init.sql.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    simulated BOOLEAN NOT NULL,
    offset_secs INTEGER NOT NULL,
    frozen_at INTEGER
);

CREATE TABLE owners (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE accounts (
    appid TEXT PRIMARY KEY,
    original_id TEXT NOT NULL UNIQUE,
    owner_id TEXT NOT NULL REFERENCES owners(id),
    name TEXT NOT NULL,
    account_type TEXT NOT NULL,
    verified BOOLEAN NOT NULL,
    app_secret TEXT NOT NULL,
    server_url TEXT,
    server_token TEXT,
    encoding_aes_key TEXT,
    message_mode TEXT NOT NULL,
    next_tag_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    nickname TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE unionids (
    owner_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    unionid TEXT NOT NULL UNIQUE,
    PRIMARY KEY (owner_id, user_id)
);

-- One row per (account, user) the account has ever known: the OpenID is stable.
CREATE TABLE followers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    appid TEXT NOT NULL REFERENCES accounts(appid),
    user_id TEXT NOT NULL REFERENCES users(id),
    openid TEXT NOT NULL UNIQUE,
    unionid TEXT NOT NULL,
    subscribed BOOLEAN NOT NULL,
    follow_order INTEGER NOT NULL,
    subscribe_time INTEGER,
    unsubscribe_time INTEGER,
    subscribe_scene TEXT,
    qr_scene INTEGER NOT NULL,
    qr_scene_str TEXT NOT NULL,
    remark TEXT NOT NULL,
    blacklisted BOOLEAN NOT NULL,
    blacklist_order INTEGER,
    UNIQUE (appid, user_id)
);
CREATE INDEX followers_subscribed ON followers (appid, subscribed, follow_order);
CREATE INDEX followers_blacklist ON followers (appid, blacklisted, blacklist_order);
CREATE INDEX followers_user ON followers (user_id);

CREATE TABLE tags (
    appid TEXT NOT NULL REFERENCES accounts(appid),
    tag_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (appid, tag_id)
);

CREATE TABLE follower_tags (
    appid TEXT NOT NULL,
    tag_id INTEGER NOT NULL,
    follower_seq INTEGER NOT NULL REFERENCES followers(seq),
    PRIMARY KEY (appid, tag_id, follower_seq)
);
CREATE INDEX follower_tags_follower ON follower_tags (follower_seq);

CREATE TABLE access_tokens (
    token TEXT PRIMARY KEY,
    appid TEXT NOT NULL REFERENCES accounts(appid),
    kind TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    forced BOOLEAN NOT NULL
);
CREATE INDEX access_tokens_account ON access_tokens (appid, kind, issued_at);

-- Monotonic counters shared by every node (follow order, blacklist order).
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
