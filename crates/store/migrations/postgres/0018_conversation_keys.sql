-- The conversation index holds a 6-byte key per message instead of both ids
-- (`conversation_key` in keys.rs: the first 44 bits of md5(appid || ':' || user_id)); the seq
-- orders each conversation. Queries compare both ids as well, so two conversations sharing a
-- key stay apart. Keep in lockstep with the other backend's 0018_conversation_keys.sql.
ALTER TABLE messages ADD COLUMN conversation_key BIGINT NOT NULL DEFAULT 0;
UPDATE messages SET conversation_key = ('x' || substr(md5(appid || ':' || user_id), 1, 11))::bit(44)::bigint;
DROP INDEX messages_conversation;
CREATE INDEX messages_conversation ON messages (conversation_key, seq);
