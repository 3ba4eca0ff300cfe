//! AuthStore on SQLite.

use async_trait::async_trait;
use herald_wire::UserId;
use rusqlite::{params, OptionalExtension};

use super::SqliteStore;
use crate::{Result, SessionInfo};

#[async_trait]
impl crate::AuthStore for SqliteStore {
    async fn create_login(&self, login: &str, user: &UserId, password_hash: &str, now: i64) -> Result<bool> {
        self.write(|tx| {
            let n = tx
                .prepare_cached("INSERT INTO user_logins (login, user_id, password_hash, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")?
                .execute(params![login, user.as_str(), password_hash, now])?;
            Ok(n == 1)
        })
    }

    async fn login(&self, login: &str) -> Result<Option<(UserId, String)>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT user_id, password_hash FROM user_logins WHERE login = ?1")?
                .query_row([login], |r| Ok((UserId(r.get(0)?), r.get(1)?)))
                .optional()?)
        })
    }

    async fn login_of(&self, user: &UserId) -> Result<Option<String>> {
        self.read(|c| Ok(c.prepare_cached("SELECT login FROM user_logins WHERE user_id = ?1")?.query_row([user.as_str()], |r| r.get(0)).optional()?))
    }

    async fn set_password_hash(&self, user: &UserId, password_hash: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("UPDATE user_logins SET password_hash = ?2 WHERE user_id = ?1")?.execute(params![user.as_str(), password_hash])?;
            Ok(())
        })
    }

    async fn note_login_failure(&self, login: &str, now: i64, window: i64) -> Result<i64> {
        self.write(|tx| {
            Ok(tx
                .prepare_cached(
                    "INSERT INTO login_failures (login, window_start, failures) VALUES (?1, ?2, 1) \
                     ON CONFLICT (login) DO UPDATE SET \
                       failures = CASE WHEN login_failures.window_start <= ?2 - ?3 THEN 1 ELSE login_failures.failures + 1 END, \
                       window_start = CASE WHEN login_failures.window_start <= ?2 - ?3 THEN ?2 ELSE login_failures.window_start END \
                     RETURNING failures",
                )?
                .query_row(params![login, now, window], |r| r.get(0))?)
        })
    }

    async fn login_failures(&self, login: &str, now: i64, window: i64) -> Result<i64> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT failures FROM login_failures WHERE login = ?1 AND window_start > ?2 - ?3")?
                .query_row(params![login, now, window], |r| r.get(0))
                .optional()?
                .unwrap_or(0))
        })
    }

    async fn clear_login_failures(&self, login: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM login_failures WHERE login = ?1")?.execute([login])?;
            Ok(())
        })
    }

    async fn put_user_session(&self, id_hash: &str, user: &UserId, now: i64, expires_at: i64, user_agent: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("INSERT INTO sessions (id_hash, user_id, created_at, expires_at, user_agent) VALUES (?1, ?2, ?3, ?4, ?5)")?
                .execute(params![id_hash, user.as_str(), now, expires_at, user_agent])?;
            Ok(())
        })
    }

    async fn user_sessions(&self, user: &UserId, now: i64) -> Result<Vec<SessionInfo>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id_hash, created_at, expires_at, user_agent FROM sessions WHERE user_id = ?1 AND expires_at > ?2 ORDER BY created_at DESC, id_hash",
            )?;
            let rows = st
                .query_map(params![user.as_str(), now], |r| Ok(SessionInfo { id_hash: r.get(0)?, created_at: r.get(1)?, expires_at: r.get(2)?, user_agent: r.get(3)? }))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn end_user_sessions(&self, user: &UserId, prefix: &str) -> Result<u64> {
        if prefix.len() < 16 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(0);
        }
        self.write(|tx| {
            let n = tx
                .prepare_cached("DELETE FROM sessions WHERE user_id = ?1 AND substr(id_hash, 1, length(?2)) = ?2")?
                .execute(params![user.as_str(), prefix])?;
            Ok(n as u64)
        })
    }
}

#[async_trait]
impl crate::LiveStore for SqliteStore {
    async fn live_head(&self) -> Result<crate::LiveCursor> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT (SELECT COALESCE(MAX(seq), 0) FROM messages), (SELECT COALESCE(MAX(msg_id), 0) FROM mass_messages), \
                 (SELECT COALESCE(MAX(id), 0) FROM ledger_txns)",
            )?
            .query_row([], |r| Ok(crate::LiveCursor { message: r.get(0)?, mass: r.get(1)?, txn: r.get(2)? }))?)
        })
    }

    async fn live_changes(&self, from: crate::LiveCursor, _lookback: i64, limit: i64) -> Result<Vec<crate::LiveChange>> {
        use crate::LiveChange;
        use herald_wire::AppId;
        // One writer: ids are committed in order, nothing appears behind the cursor later.
        let lookback = 0;
        self.read(|c| {
            let mut out = Vec::new();
            let mut st = c.prepare_cached("SELECT seq, user_id, appid, direction FROM messages WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
            let rows = st.query_map(params![from.message - lookback, limit], |r| {
                Ok(LiveChange::Message { seq: r.get(0)?, user: UserId(r.get(1)?), appid: AppId(r.get(2)?), outbound: r.get::<_, String>(3)? == "out" })
            })?;
            out.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
            let mut st = c.prepare_cached("SELECT msg_id, appid FROM mass_messages WHERE msg_id > ?1 ORDER BY msg_id LIMIT ?2")?;
            let rows = st.query_map(params![from.mass - lookback, limit], |r| Ok(LiveChange::Mass { msg_id: r.get(0)?, appid: AppId(r.get(1)?) }))?;
            out.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
            let mut st = c.prepare_cached(
                "SELECT e.txn_id, substr(e.book, 8) FROM ledger_entries e WHERE e.txn_id > ?1 AND e.book LIKE 'wallet:%' ORDER BY e.txn_id LIMIT ?2",
            )?;
            let rows = st.query_map(params![from.txn - lookback, limit], |r| Ok(LiveChange::Wallet { txn: r.get(0)?, user: UserId(r.get(1)?) }))?;
            out.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
            Ok(out)
        })
    }
}
