-- QR codes, short keys, menus, web OAuth, JS-SDK tickets, web sign-in. Keep in lockstep with
-- ../postgres/0006_web.sql.
ALTER TABLE users ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';
ALTER TABLE accounts ADD COLUMN web_domain TEXT;

CREATE TABLE qrcodes (
    ticket TEXT PRIMARY KEY,
    url_key TEXT NOT NULL UNIQUE,
    appid TEXT NOT NULL REFERENCES accounts(appid),
    action TEXT NOT NULL,
    scene_id INTEGER NOT NULL,
    scene_str TEXT NOT NULL,
    permanent BOOLEAN NOT NULL,
    -- appid/action/scene of a permanent code: the same scene gives the same code.
    perm_key TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX qrcodes_permanent ON qrcodes (appid) WHERE permanent;

CREATE TABLE short_keys (
    short_key TEXT PRIMARY KEY,
    appid TEXT NOT NULL REFERENCES accounts(appid),
    long_data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- The default menu has no matchrule; conditional menus have one.
CREATE TABLE menus (
    menuid INTEGER PRIMARY KEY AUTOINCREMENT,
    appid TEXT NOT NULL REFERENCES accounts(appid),
    buttons TEXT NOT NULL,
    matchrule TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX menus_account ON menus (appid, menuid);

-- Single-use codes: web OAuth codes and sign-in links (stored as a SHA-256 for links).
CREATE TABLE one_time_codes (
    code TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    appid TEXT,
    user_id TEXT NOT NULL REFERENCES users(id),
    scope TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

CREATE TABLE web_grants (
    access_token TEXT PRIMARY KEY,
    refresh_token TEXT NOT NULL UNIQUE,
    appid TEXT NOT NULL REFERENCES accounts(appid),
    user_id TEXT NOT NULL REFERENCES users(id),
    openid TEXT NOT NULL,
    scope TEXT NOT NULL,
    access_expires_at INTEGER NOT NULL,
    refresh_expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE js_tickets (
    appid TEXT NOT NULL REFERENCES accounts(appid),
    kind TEXT NOT NULL,
    ticket TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (appid, kind)
);

-- Web sessions, by the SHA-256 of the cookie value.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
