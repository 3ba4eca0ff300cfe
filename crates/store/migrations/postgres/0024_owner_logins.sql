-- Owners sign in to the console with an email and a password (Argon2id PHC strings); failed
-- attempts share login_failures (keyed "owner:<email>"); console sessions are their own table,
-- so a follower's session can never act as an owner's or the reverse. Keep in lockstep with the
-- sqlite backend's 0024_owner_logins.sql.
CREATE TABLE owner_logins (
    email TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL UNIQUE REFERENCES owners(id),
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE owner_sessions (
    id_hash TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES owners(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX owner_sessions_owner ON owner_sessions (owner_id);
