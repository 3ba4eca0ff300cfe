-- Tokens not yet superseded: at most a few per account, found without scanning its history.
CREATE INDEX access_tokens_live ON access_tokens (appid, kind) WHERE revoked_at IS NULL;
