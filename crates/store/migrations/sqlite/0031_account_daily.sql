-- Per account and China Standard Time day (day = (unix seconds + 8 h) / 86400): follows,
-- unfollows, messages received and sent (events left out), so the console's charts read at most
-- 90 rows at any follower count (issue 27). Kept by triggers, in the same transaction as every
-- write that changes them, whichever code path writes; the PostgreSQL backend does the same
-- with statement-level triggers. Keep in lockstep with the postgres backend's
-- 0031_account_daily.sql. Days before this migration are filled from what the tables still
-- hold (a follower who followed and left twice counts once).
CREATE TABLE account_daily (
    appid TEXT NOT NULL,
    day INTEGER NOT NULL,
    follows INTEGER NOT NULL DEFAULT 0,
    unfollows INTEGER NOT NULL DEFAULT 0,
    received INTEGER NOT NULL DEFAULT 0,
    sent INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (appid, day)
);

INSERT INTO account_daily (appid, day, follows)
    SELECT appid, (subscribe_time + 28800) / 86400, COUNT(*) FROM followers WHERE subscribe_time IS NOT NULL GROUP BY 1, 2;
INSERT INTO account_daily (appid, day, unfollows)
    SELECT appid, (unsubscribe_time + 28800) / 86400, COUNT(*) FROM followers WHERE unsubscribe_time IS NOT NULL AND NOT subscribed GROUP BY 1, 2
    ON CONFLICT (appid, day) DO UPDATE SET unfollows = excluded.unfollows;
INSERT INTO account_daily (appid, day, received, sent)
    SELECT appid, (created_at + 28800) / 86400, SUM(direction = 'in'), SUM(direction <> 'in') FROM messages WHERE msg_type <> 'event' GROUP BY 1, 2
    ON CONFLICT (appid, day) DO UPDATE SET received = excluded.received, sent = excluded.sent;

CREATE TRIGGER account_daily_follow_insert AFTER INSERT ON followers WHEN NEW.subscribed AND NEW.subscribe_time IS NOT NULL
BEGIN
    INSERT INTO account_daily (appid, day, follows) VALUES (NEW.appid, (NEW.subscribe_time + 28800) / 86400, 1)
    ON CONFLICT (appid, day) DO UPDATE SET follows = follows + 1;
END;

CREATE TRIGGER account_daily_follow_update AFTER UPDATE OF subscribed ON followers WHEN NEW.subscribed <> OLD.subscribed
BEGIN
    INSERT INTO account_daily (appid, day, follows, unfollows)
    VALUES (
        NEW.appid,
        (COALESCE(CASE WHEN NEW.subscribed THEN NEW.subscribe_time ELSE NEW.unsubscribe_time END, 0) + 28800) / 86400,
        NEW.subscribed, NOT NEW.subscribed
    )
    ON CONFLICT (appid, day) DO UPDATE SET follows = follows + excluded.follows, unfollows = unfollows + excluded.unfollows;
END;

CREATE TRIGGER account_daily_message AFTER INSERT ON messages WHEN NEW.msg_type <> 'event'
BEGIN
    INSERT INTO account_daily (appid, day, received, sent)
    VALUES (NEW.appid, (NEW.created_at + 28800) / 86400, NEW.direction = 'in', NEW.direction <> 'in')
    ON CONFLICT (appid, day) DO UPDATE SET received = received + excluded.received, sent = sent + excluded.sent;
END;
