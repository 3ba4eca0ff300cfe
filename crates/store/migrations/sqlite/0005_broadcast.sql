-- Broadcast: files, materials, drafts, publishing, mass messages, templates, chat reads.

-- Every file an account uploads, by content hash; the bytes live in the blob store.
CREATE TABLE media (
    media_id TEXT PRIMARY KEY,
    appid TEXT NOT NULL REFERENCES accounts(appid),
    -- temp (3 days), material (permanent), image (media/uploadimg), draft
    kind TEXT NOT NULL,
    -- image, voice, video, thumb, news (for drafts and news: `meta` holds the articles)
    media_type TEXT NOT NULL,
    blob_hash TEXT,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    meta TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX media_account ON media (appid, kind, media_type, created_at);

-- Published articles (freepublish): one row per publish job.
CREATE TABLE publications (
    publish_id INTEGER PRIMARY KEY AUTOINCREMENT,
    appid TEXT NOT NULL REFERENCES accounts(appid),
    article_id TEXT NOT NULL UNIQUE,
    media_id TEXT NOT NULL,
    articles TEXT NOT NULL,
    -- indexes (1-based) deleted, comma-separated; '*' when the whole publication is
    deleted TEXT NOT NULL,
    status INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX publications_account ON publications (appid, publish_id);

-- Mass messages. Who received one is a set of follower numbers (roaring bitmaps in
-- mass_recipients), not a row per follower.
CREATE TABLE mass_messages (
    msg_id INTEGER PRIMARY KEY AUTOINCREMENT,
    appid TEXT NOT NULL REFERENCES accounts(appid),
    msgtype TEXT NOT NULL,
    payload TEXT NOT NULL,
    articles TEXT,
    -- {"all":true} | {"tag_id":n} | {"openids":[...]}
    target TEXT NOT NULL,
    client_msg_id TEXT,
    status TEXT NOT NULL,
    total_count INTEGER NOT NULL DEFAULT 0,
    filter_count INTEGER NOT NULL DEFAULT 0,
    sent_count INTEGER NOT NULL DEFAULT 0,
    error_count INTEGER NOT NULL DEFAULT 0,
    deleted TEXT NOT NULL DEFAULT '',
    day_start INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    finished_at INTEGER,
    UNIQUE (appid, client_msg_id)
);
CREATE INDEX mass_account ON mass_messages (appid, msg_id);
CREATE INDEX mass_day ON mass_messages (appid, day_start);

-- Who received a mass message, in pieces of 65,536 follower numbers: a follower's chat list
-- reads one small piece per message.
CREATE TABLE mass_recipients (
    msg_id INTEGER NOT NULL,
    chunk INTEGER NOT NULL,
    members BLOB NOT NULL,
    PRIMARY KEY (msg_id, chunk)
);

-- A month's per-follower quota of an account (four follower sets, see domain::broadcast).
CREATE TABLE mass_quota (
    appid TEXT NOT NULL,
    month INTEGER NOT NULL,
    levels BLOB NOT NULL,
    PRIMARY KEY (appid, month)
);

-- Which followers (by followers.seq) currently follow, in chunks of 65,536 numbers, so a send
-- to all reads a few hundred small sets instead of every follower row.
CREATE TABLE follower_sets (
    appid TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    members BLOB NOT NULL,
    PRIMARY KEY (appid, chunk)
);

CREATE TABLE account_settings (
    appid TEXT PRIMARY KEY REFERENCES accounts(appid),
    industry1 INTEGER,
    industry2 INTEGER,
    industry_set_at INTEGER,
    mass_speed INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE templates (
    template_id TEXT PRIMARY KEY,
    appid TEXT NOT NULL REFERENCES accounts(appid),
    short_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (appid, short_id)
);

-- What a user has read of each chat (messages up to read_seq, pushes up to read_at).
CREATE TABLE chat_reads (
    user_id TEXT NOT NULL,
    appid TEXT NOT NULL,
    read_seq INTEGER NOT NULL,
    read_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, appid)
);
