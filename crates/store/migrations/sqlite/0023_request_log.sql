-- The request log (herald logs): every WeChat-compatible and platform call a node answered,
-- with secrets masked and bodies cut to 4 KiB, kept bounded by count and age. Keep in
-- lockstep with the other backend's 0023_request_log.sql.
CREATE TABLE request_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    appid TEXT,
    mchid TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    errcode INTEGER,
    latency_ms INTEGER NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    fault INTEGER
);
CREATE INDEX request_log_appid ON request_log (appid, id);
