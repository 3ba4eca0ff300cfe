-- Followers sign in with a username or phone number and a password (Argon2id PHC strings);
-- failed attempts are counted per login in a sliding window (the rate limit lives in the
-- database, so every node sees it); sessions remember the browser that opened them, for the
-- list a user can revoke from. Keep in lockstep with the other backend's 0021_user_logins.sql.
CREATE TABLE user_logins (
    login TEXT PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE REFERENCES users(id),
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE login_failures (
    login TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures BIGINT NOT NULL
);
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_user ON sessions (user_id);
