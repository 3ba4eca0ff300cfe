//! ConversationStore and AutoReplyStore on SQLite.

use async_trait::async_trait;
use herald_domain::conversation::MSG_ID_BASE;
use herald_wire::{AppId, OpenId, UserId};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{parsed, SqliteStore};
use crate::{CallbackBuilder, Direction, NewMessage, Result, StoredMessage};

pub(super) const MESSAGE_COLS: &str = "seq, appid, user_id, openid, direction, source, msg_type, body, msg_id, reply_for, created_at";

pub(super) fn message(r: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        seq: r.get(0)?,
        msg_id: r.get(8)?,
        reply_for: r.get(9)?,
        message: NewMessage {
            appid: AppId(r.get(1)?),
            user_id: UserId(r.get(2)?),
            openid: OpenId(r.get(3)?),
            direction: parsed(r, 4, Direction::parse)?,
            source: r.get(5)?,
            msg_type: r.get(6)?,
            body: r.get(7)?,
            created_at: r.get(10)?,
        },
    })
}

/// Inserts a message; the stored row.
pub(super) fn insert_message(c: &Connection, m: &NewMessage) -> Result<StoredMessage> {
    Ok(c.prepare_cached(&format!(
        "INSERT INTO messages (appid, user_id, openid, direction, source, msg_type, body, msg_id, reply_for, reply_key, created_at, conversation_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, NULL, NULL, ?8, ?9) RETURNING {MESSAGE_COLS}"
    ))?
    .query_row(
        params![m.appid.as_str(), m.user_id.as_str(), m.openid.as_str(), m.direction.as_str(), m.source, m.msg_type, m.body, m.created_at, m.key()],
        message,
    )?)
}

/// Inserts what a job's delivery put in the conversation (a reply or the notice), at most once
/// per round of the job: false if it already was.
pub(super) fn insert_reply(c: &Connection, m: &NewMessage, job: i64, round: i64) -> Result<bool> {
    let n = c
        .prepare_cached(
            "INSERT INTO messages (appid, user_id, openid, direction, source, msg_type, body, msg_id, reply_for, reply_key, created_at, conversation_key) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9, ?10, ?11) ON CONFLICT (reply_key) DO NOTHING",
        )?
        .execute(params![
            m.appid.as_str(),
            m.user_id.as_str(),
            m.openid.as_str(),
            m.direction.as_str(),
            m.source,
            m.msg_type,
            m.body,
            job,
            format!("{job}:{round}"),
            m.created_at,
            m.key()
        ])?;
    Ok(n == 1)
}

#[async_trait]
impl crate::ConversationStore for SqliteStore {
    async fn record_inbound(
        &self,
        m: &NewMessage,
        with_msg_id: bool,
        opens_window: bool,
        callback: Option<CallbackBuilder<'_>>,
        now_ms: i64,
    ) -> Result<(StoredMessage, Option<i64>)> {
        self.write(|tx| {
            let mut stored = insert_message(tx, m)?;
            if with_msg_id {
                let id = MSG_ID_BASE + stored.seq;
                tx.prepare_cached("UPDATE messages SET msg_id = ?2 WHERE seq = ?1")?.execute(params![stored.seq, id])?;
                stored.msg_id = Some(id);
            }
            if opens_window {
                tx.prepare_cached("UPDATE followers SET last_interaction_at = ?3 WHERE appid = ?1 AND user_id = ?2")?
                    .execute(params![m.appid.as_str(), m.user_id.as_str(), m.created_at])?;
            }
            let job = match callback {
                None => None,
                Some(build) => {
                    let payload = build(stored.msg_id);
                    // Queued behind the conversation's pending callbacks, if any (see `insert_job`).
                    let id = super::jobs::insert_job(
                        tx,
                        &super::jobs::NewJob {
                            kind: "callback",
                            appid: m.appid.as_str(),
                            user_id: Some(m.user_id.as_str()),
                            message_seq: Some(stored.seq),
                            payload: &payload,
                            run_at: now_ms,
                        },
                    )?;
                    Some(id)
                }
            };
            Ok((stored, job))
        })
    }

    async fn append_outbound(&self, m: &NewMessage) -> Result<StoredMessage> {
        self.write(|tx| insert_message(tx, m))
    }

    async fn conversation(&self, appid: &AppId, user: &UserId, after_seq: i64, limit: usize, include_events: bool) -> Result<Vec<StoredMessage>> {
        self.read(|c| {
            let events = if include_events { "" } else { " AND msg_type <> 'event'" };
            let mut st = c.prepare_cached(&format!(
                "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_key = ?5 AND appid = ?1 AND user_id = ?2 AND seq > ?3{events} ORDER BY seq LIMIT ?4"
            ))?;
            let rows = st
                .query_map(params![appid.as_str(), user.as_str(), after_seq, limit as i64, crate::conversation_key(appid.as_str(), user.as_str())], message)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}

#[async_trait]
impl crate::AutoReplyStore for SqliteStore {
    async fn auto_replies(&self, appid: &AppId) -> Result<Option<String>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT config FROM auto_replies WHERE appid = ?1")?.query_row([appid.as_str()], |r| r.get(0)).optional()?)
        })
    }

    async fn set_auto_replies(&self, appid: &AppId, config: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO auto_replies (appid, config) VALUES (?1, ?2) ON CONFLICT (appid) DO UPDATE SET config = excluded.config",
                [appid.as_str(), config],
            )?;
            Ok(())
        })
    }
}
