-- An account's introduction (WeChat's 功能介绍, issue 26): what its profile shows under its
-- name, at most 120 characters; empty when none. Keep in lockstep with the other backend's
-- 0027_account_intro.sql.
ALTER TABLE accounts ADD COLUMN intro TEXT NOT NULL DEFAULT '';
