-- Mini programs (issue 28): each user's current session key per mini program (set by wx.login,
-- answered by jscode2session), the subscribe-message templates a mini program chose from the
-- public library, what each user accepted in wx.requestSubscribeMessage (one message per
-- acceptance for one-time templates), and URL schemes and links. wx.login and phone-number
-- codes are one_time_codes (purposes wxlogin and phone). Keep in lockstep with the sqlite
-- backend's 0026_miniprograms.sql.
CREATE TABLE mp_sessions (
    appid TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_key TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (appid, user_id)
);

CREATE TABLE mp_templates (
    appid TEXT NOT NULL,
    pri_tmpl_id TEXT NOT NULL,
    tid BIGINT NOT NULL,
    kids TEXT NOT NULL,
    kind BIGINT NOT NULL,
    scene_desc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (appid, pri_tmpl_id)
);

CREATE TABLE mp_subscriptions (
    appid TEXT NOT NULL,
    user_id TEXT NOT NULL,
    pri_tmpl_id TEXT NOT NULL,
    remaining BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (appid, user_id, pri_tmpl_id)
);

CREATE TABLE mp_links (
    id TEXT PRIMARY KEY,
    appid TEXT NOT NULL,
    kind TEXT NOT NULL,
    page TEXT NOT NULL,
    query TEXT NOT NULL,
    env_version TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Uploaded packages: each version's source files and compiled output are blobs (content
-- addressed); a channel (develop, trial, release) points at a version, and release remembers
-- the one before it for a rollback.
CREATE TABLE mp_versions (
    appid TEXT NOT NULL,
    version TEXT NOT NULL,
    description TEXT NOT NULL,
    source_blob TEXT NOT NULL,
    compiled_blob TEXT NOT NULL,
    files BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (appid, version)
);

CREATE TABLE mp_channels (
    appid TEXT NOT NULL,
    channel TEXT NOT NULL,
    version TEXT NOT NULL,
    previous TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (appid, channel)
);

-- wx.setStorage: per mini program per user, persisted on the server (values are JSON text).
CREATE TABLE mp_storage (
    appid TEXT NOT NULL,
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (appid, user_id, key)
);

-- A mini program's server domains (wx.request may reach only these), comma-separated.
CREATE TABLE mp_settings (
    appid TEXT PRIMARY KEY,
    request_domains TEXT NOT NULL
);

-- The users who may open the trial and develop versions (WeChat's testers, "体验者").
CREATE TABLE mp_testers (
    appid TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (appid, user_id)
);
