-- Members of an organisation in the console (issue 27): invited by email with a role, they set
-- their password when they accept (until then password_hash is NULL and invite_hash holds the
-- SHA-256 of the invitation's token); an email signs in as one owner or one member, never both
-- (checked when either is written). Sessions say whose login they are (member_id NULL: the
-- owner's own) and whether they are the operator's read-only view. Either kind of login may
-- hold a TOTP secret (base32); totp_pending is one being set up, not yet confirmed by a code.
-- Keep in lockstep with the sqlite backend's 0029_console_members.sql.
CREATE TABLE console_members (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES owners(id),
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT,
    invite_hash TEXT UNIQUE,
    invite_expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    totp_secret TEXT,
    totp_pending TEXT
);
CREATE INDEX console_members_owner ON console_members (owner_id);
ALTER TABLE owner_logins ADD COLUMN totp_secret TEXT;
ALTER TABLE owner_logins ADD COLUMN totp_pending TEXT;
ALTER TABLE owner_sessions ADD COLUMN member_id TEXT;
ALTER TABLE owner_sessions ADD COLUMN read_only BOOLEAN NOT NULL DEFAULT FALSE;
