-- The conversation index held both ids per message (about 48 bytes); each batch of
-- deliveries dirtied one of its pages per reply. It now holds a 6-byte key per message
-- (`conversation_key` in keys.rs; the rowid, which is seq, orders each conversation), a third
-- of the size, so a batch dirties fewer pages. Queries compare both ids as well, so two
-- conversations sharing a key stay apart. herald_conversation_key is the same function,
-- registered on the connection that migrates. Keep in lockstep with the other backend's
-- 0018_conversation_keys.sql.
ALTER TABLE messages ADD COLUMN conversation_key INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET conversation_key = herald_conversation_key(appid, user_id);
DROP INDEX messages_conversation;
CREATE INDEX messages_conversation ON messages (conversation_key);
