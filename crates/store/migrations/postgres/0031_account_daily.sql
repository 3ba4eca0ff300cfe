-- Per account and China Standard Time day (day = (unix seconds + 8 h) / 86400): follows,
-- unfollows, messages received and sent (events left out), so the console's charts read at most
-- 90 rows at any follower count (issue 27). Statement-level triggers append what each statement
-- changed to account_daily_log, in the same transaction (one row per account and day a
-- statement touches, so a bulk insert of millions of followers adds one row); appending takes
-- no lock another writer waits on, where updating a shared counter row in the middle of every
-- follow and message would deadlock against the account locks those transactions take. Reading
-- folds an account's log into account_daily first (store/postgres/console.rs). Keep in lockstep
-- with the sqlite backend's 0031_account_daily.sql (whose one writer needs no log). Days before
-- this migration are filled from what the tables still hold.
CREATE TABLE account_daily (
    appid TEXT NOT NULL,
    day BIGINT NOT NULL,
    follows BIGINT NOT NULL DEFAULT 0,
    unfollows BIGINT NOT NULL DEFAULT 0,
    received BIGINT NOT NULL DEFAULT 0,
    sent BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (appid, day)
);
CREATE TABLE account_daily_log (
    appid TEXT NOT NULL,
    day BIGINT NOT NULL,
    follows BIGINT NOT NULL DEFAULT 0,
    unfollows BIGINT NOT NULL DEFAULT 0,
    received BIGINT NOT NULL DEFAULT 0,
    sent BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX account_daily_log_appid ON account_daily_log (appid);

INSERT INTO account_daily (appid, day, follows)
    SELECT appid, (subscribe_time + 28800) / 86400, COUNT(*) FROM followers WHERE subscribe_time IS NOT NULL GROUP BY 1, 2;
INSERT INTO account_daily (appid, day, unfollows)
    SELECT appid, (unsubscribe_time + 28800) / 86400, COUNT(*) FROM followers WHERE unsubscribe_time IS NOT NULL AND NOT subscribed GROUP BY 1, 2
    ON CONFLICT (appid, day) DO UPDATE SET unfollows = excluded.unfollows;
INSERT INTO account_daily (appid, day, received, sent)
    SELECT appid, (created_at + 28800) / 86400, COUNT(*) FILTER (WHERE direction = 'in'), COUNT(*) FILTER (WHERE direction <> 'in')
    FROM messages WHERE msg_type <> 'event' GROUP BY 1, 2
    ON CONFLICT (appid, day) DO UPDATE SET received = excluded.received, sent = excluded.sent;

CREATE FUNCTION account_daily_follow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_daily_log (appid, day, follows)
        SELECT appid, (subscribe_time + 28800) / 86400, COUNT(*) FROM new_rows
        WHERE subscribed AND subscribe_time IS NOT NULL GROUP BY 1, 2;
    RETURN NULL;
END $$;
CREATE TRIGGER account_daily_follow_insert AFTER INSERT ON followers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION account_daily_follow_insert();

CREATE FUNCTION account_daily_follow_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_daily_log (appid, day, follows, unfollows)
        SELECT n.appid, (COALESCE(CASE WHEN n.subscribed THEN n.subscribe_time ELSE n.unsubscribe_time END, 0) + 28800) / 86400,
               COUNT(*) FILTER (WHERE n.subscribed), COUNT(*) FILTER (WHERE NOT n.subscribed)
        FROM new_rows n JOIN old_rows o ON o.seq = n.seq
        WHERE n.subscribed <> o.subscribed GROUP BY 1, 2;
    RETURN NULL;
END $$;
CREATE TRIGGER account_daily_follow_update AFTER UPDATE ON followers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION account_daily_follow_update();

CREATE FUNCTION account_daily_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_daily_log (appid, day, received, sent)
        SELECT appid, (created_at + 28800) / 86400, COUNT(*) FILTER (WHERE direction = 'in'), COUNT(*) FILTER (WHERE direction <> 'in')
        FROM new_rows WHERE msg_type <> 'event' GROUP BY 1, 2;
    RETURN NULL;
END $$;
CREATE TRIGGER account_daily_message AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION account_daily_message();
