-- Quick replies (issue 27): the phrases an account's agents keep at hand in the console's inbox,
-- in their order. Keep in lockstep with the sqlite backend's 0030_quick_replies.sql.
CREATE TABLE quick_replies (
    appid TEXT NOT NULL REFERENCES accounts(appid),
    position BIGINT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (appid, position)
);
