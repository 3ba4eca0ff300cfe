-- Quick replies (issue 27): the phrases an account's agents keep at hand in the console's inbox,
-- in their order. Keep in lockstep with the postgres backend's 0030_quick_replies.sql.
CREATE TABLE quick_replies (
    appid TEXT NOT NULL REFERENCES accounts(appid),
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (appid, position)
);
