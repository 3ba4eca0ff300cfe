-- The request log (herald logs): every WeChat-compatible and platform call a node answered,
-- with secrets masked and bodies cut to 4 KiB, kept bounded by count and age. Keep in
-- lockstep with the other backend's 0023_request_log.sql.
CREATE TABLE request_log (
    id BIGSERIAL PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    appid TEXT,
    mchid TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status BIGINT NOT NULL,
    errcode BIGINT,
    latency_ms BIGINT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    fault BIGINT
);
CREATE INDEX request_log_appid ON request_log (appid, id);
