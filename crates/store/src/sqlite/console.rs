//! ConsoleStore on SQLite.

use async_trait::async_trait;
use herald_wire::{AppId, OwnerId};
use rusqlite::{params, OptionalExtension};

use super::broadcast::{mass, target_set, MASS_COLS};
use super::conversations::{message, MESSAGE_COLS};
use super::web::{qr, QR_COLS};
use super::SqliteStore;
use crate::console::{like_prefix, valid_prefix, ConsoleSession, FollowerFilter, FollowerRow};
use crate::{Result, SessionInfo};

#[async_trait]
impl crate::ConsoleStore for SqliteStore {
    async fn set_owner_login(&self, owner: &OwnerId, email: &str, password_hash: &str, now: i64) -> Result<bool> {
        self.write(|tx| {
            let holder: Option<String> =
                tx.prepare_cached("SELECT owner_id FROM owner_logins WHERE email = ?1")?.query_row([email], |r| r.get(0)).optional()?;
            if holder.is_some_and(|h| h != owner.as_str()) {
                return Ok(false);
            }
            if tx.prepare_cached("SELECT 1 FROM console_members WHERE email = ?1")?.exists([email])? {
                return Ok(false);
            }
            tx.prepare_cached("DELETE FROM owner_logins WHERE owner_id = ?1")?.execute([owner.as_str()])?;
            tx.prepare_cached("INSERT INTO owner_logins (email, owner_id, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![email, owner.as_str(), password_hash, now])?;
            Ok(true)
        })
    }

    async fn owner_login(&self, email: &str) -> Result<Option<(OwnerId, String)>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT owner_id, password_hash FROM owner_logins WHERE email = ?1")?
                .query_row([email], |r| Ok((OwnerId(r.get(0)?), r.get(1)?)))
                .optional()?)
        })
    }

    async fn owner_email(&self, owner: &OwnerId) -> Result<Option<String>> {
        self.read(|c| Ok(c.prepare_cached("SELECT email FROM owner_logins WHERE owner_id = ?1")?.query_row([owner.as_str()], |r| r.get(0)).optional()?))
    }

    async fn set_owner_password_hash(&self, owner: &OwnerId, password_hash: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("UPDATE owner_logins SET password_hash = ?2 WHERE owner_id = ?1")?.execute(params![owner.as_str(), password_hash])?;
            Ok(())
        })
    }

    async fn put_owner_session(&self, id_hash: &str, s: &ConsoleSession, now: i64, user_agent: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO owner_sessions (id_hash, owner_id, created_at, expires_at, user_agent, member_id, read_only) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![id_hash, s.owner_id.as_str(), now, s.expires_at, user_agent, s.member_id, s.read_only])?;
            Ok(())
        })
    }

    async fn owner_session(&self, id_hash: &str) -> Result<Option<ConsoleSession>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT owner_id, expires_at, member_id, read_only FROM owner_sessions WHERE id_hash = ?1")?
                .query_row([id_hash], |r| Ok(ConsoleSession { owner_id: OwnerId(r.get(0)?), expires_at: r.get(1)?, member_id: r.get(2)?, read_only: r.get(3)? }))
                .optional()?)
        })
    }

    async fn delete_owner_session(&self, id_hash: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM owner_sessions WHERE id_hash = ?1")?.execute([id_hash])?;
            Ok(())
        })
    }

    async fn owner_sessions(&self, owner: &OwnerId, member: Option<&str>, now: i64) -> Result<Vec<SessionInfo>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id_hash, created_at, expires_at, user_agent FROM owner_sessions \
                 WHERE owner_id = ?1 AND member_id IS ?3 AND NOT read_only AND expires_at > ?2 ORDER BY created_at DESC, id_hash",
            )?;
            let rows = st
                .query_map(params![owner.as_str(), now, member], |r| Ok(SessionInfo { id_hash: r.get(0)?, created_at: r.get(1)?, expires_at: r.get(2)?, user_agent: r.get(3)? }))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn end_owner_sessions(&self, owner: &OwnerId, member: Option<&str>, prefix: &str) -> Result<u64> {
        if !valid_prefix(prefix) {
            return Ok(0);
        }
        self.write(|tx| {
            let n = tx
                .prepare_cached("DELETE FROM owner_sessions WHERE owner_id = ?1 AND member_id IS ?3 AND NOT read_only AND substr(id_hash, 1, length(?2)) = ?2")?
                .execute(params![owner.as_str(), prefix, member])?;
            Ok(n as u64)
        })
    }

    async fn follower_rows(&self, appid: &AppId, f: &FollowerFilter) -> Result<Vec<FollowerRow>> {
        let search = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let pattern = search.map(like_prefix);
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT f.follow_order, f.openid, f.user_id, u.nickname, f.remark, f.subscribe_time, f.blacklisted, f.last_interaction_at \
                 FROM followers f JOIN users u ON u.id = f.user_id \
                 WHERE f.appid = ?1 AND f.subscribed AND (?2 IS NULL OR f.follow_order < ?2) AND (?3 IS NULL OR f.blacklisted = ?3) \
                   AND (?4 IS NULL OR f.openid = ?4 OR f.remark LIKE ?5 ESCAPE '\\' OR u.nickname LIKE ?5 ESCAPE '\\') \
                   AND (?7 IS NULL OR EXISTS (SELECT 1 FROM follower_tags ft WHERE ft.appid = f.appid AND ft.tag_id = ?7 AND ft.follower_seq = f.seq)) \
                   AND (?8 IS NULL OR f.subscribe_time >= ?8) \
                 ORDER BY f.follow_order DESC LIMIT ?6",
            )?;
            let rows = st
                .query_map(params![appid.as_str(), f.before, f.blacklisted, search, pattern, f.limit, f.tag_id, f.since], row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn inbox(&self, appid: &AppId, limit: i64) -> Result<Vec<FollowerRow>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT f.follow_order, f.openid, f.user_id, u.nickname, f.remark, f.subscribe_time, f.blacklisted, f.last_interaction_at \
                 FROM followers f JOIN users u ON u.id = f.user_id \
                 WHERE f.appid = ?1 AND f.subscribed AND f.last_interaction_at IS NOT NULL \
                 ORDER BY f.last_interaction_at DESC, f.follow_order DESC LIMIT ?2",
            )?;
            let rows = st.query_map(params![appid.as_str(), limit], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn account_daily(&self, appid: &AppId, from: i64, to: i64) -> Result<Vec<crate::DailyRow>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT day, follows, unfollows, received, sent FROM account_daily WHERE appid = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day")?;
            let rows = st
                .query_map(params![appid.as_str(), from, to], |r| Ok(crate::DailyRow { day: r.get(0)?, follows: r.get(1)?, unfollows: r.get(2)?, received: r.get(3)?, sent: r.get(4)? }))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn fold_daily(&self) -> Result<u64> {
        Ok(0)
    }

    async fn account_call_counts(&self, appid: &AppId, since_ms: i64) -> Result<(i64, i64)> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT COUNT(*), COALESCE(SUM(COALESCE(errcode, 0) <> 0 OR status >= 400), 0) FROM request_log \
                 WHERE appid = ?1 AND at_ms >= ?2 AND path NOT LIKE '/herald/%'",
            )?
            .query_row(params![appid.as_str(), since_ms], |r| Ok((r.get(0)?, r.get(1)?)))?)
        })
    }

    async fn quick_replies(&self, appid: &AppId) -> Result<Vec<String>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT text FROM quick_replies WHERE appid = ?1 ORDER BY position")?;
            let rows = st.query_map([appid.as_str()], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(rows)
        })
    }

    async fn set_quick_replies(&self, appid: &AppId, replies: &[String]) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM quick_replies WHERE appid = ?1")?.execute([appid.as_str()])?;
            let mut st = tx.prepare_cached("INSERT INTO quick_replies (appid, position, text) VALUES (?1, ?2, ?3)")?;
            for (i, r) in replies.iter().enumerate() {
                st.execute(params![appid.as_str(), i as i64, r])?;
            }
            Ok(())
        })
    }

    async fn ip_allow_list(&self, appid: &AppId) -> Result<String> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT ip_allow_list FROM accounts WHERE appid = ?1")?.query_row([appid.as_str()], |r| r.get(0)).optional()?.unwrap_or_default())
        })
    }

    async fn set_ip_allow_list(&self, appid: &AppId, list: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("UPDATE accounts SET ip_allow_list = ?2 WHERE appid = ?1")?.execute(params![appid.as_str(), list])?;
            Ok(())
        })
    }

    async fn mass_reach(&self, appid: &AppId, target: &serde_json::Value, month: i64, day_start: i64) -> Result<(u64, u64, i64)> {
        self.read(|c| {
            let set = target_set(c, appid.as_str(), target)?;
            let blob: Option<Vec<u8>> = c
                .prepare_cached("SELECT levels FROM mass_quota WHERE appid = ?1 AND month = ?2")?
                .query_row(params![appid.as_str(), month], |r| r.get(0))
                .optional()?;
            let quota = herald_domain::broadcast::MonthQuota::decode(blob.as_deref().unwrap_or_default()).map_err(crate::StoreError::Other)?;
            let today: i64 =
                c.prepare_cached("SELECT COUNT(*) FROM mass_messages WHERE appid = ?1 AND day_start = ?2")?.query_row(params![appid.as_str(), day_start], |r| r.get(0))?;
            Ok((set.len(), quota.filtered(&set), today))
        })
    }

    async fn mass_history(&self, appid: &AppId, limit: i64) -> Result<Vec<crate::MassMessage>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("SELECT {MASS_COLS} FROM mass_messages WHERE appid = ?1 ORDER BY msg_id DESC LIMIT ?2"))?;
            let rows = st.query_map(params![appid.as_str(), limit], mass)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn qr_codes(&self, appid: &AppId, limit: i64) -> Result<Vec<(crate::QrCode, i64, i64)>> {
        let cols = QR_COLS.split(", ").map(|c| format!("q.{c}")).collect::<Vec<_>>().join(", ");
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {cols}, (SELECT COUNT(*) FROM followers f WHERE f.appid = q.appid AND f.subscribed AND f.subscribe_scene = 'ADD_SCENE_QR_CODE' AND f.qr_scene = q.scene_id AND f.qr_scene_str = q.scene_str), q.scans FROM qrcodes q WHERE q.appid = ?1 AND q.action <> ?2 ORDER BY q.created_at DESC, q.ticket LIMIT ?3"
            ))?;
            let rows = st
                .query_map(params![appid.as_str(), herald_domain::qrcode::ACCOUNT_ACTION, limit], |r| Ok((qr(r)?, r.get(9)?, r.get(10)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn count_qr_scan(&self, ticket: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("UPDATE qrcodes SET scans = scans + 1 WHERE ticket = ?1")?.execute([ticket])?;
            Ok(())
        })
    }

    async fn recent_messages(&self, appid: &AppId, user: &herald_wire::UserId, limit: i64) -> Result<Vec<crate::StoredMessage>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_key = ?3 AND appid = ?1 AND user_id = ?2 AND msg_type <> 'event' \
                 ORDER BY seq DESC LIMIT ?4"
            ))?;
            let mut rows = st
                .query_map(params![appid.as_str(), user.as_str(), crate::conversation_key(appid.as_str(), user.as_str()), limit], message)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.reverse();
            Ok(rows)
        })
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FollowerRow> {
    Ok(FollowerRow {
        follow_order: r.get(0)?,
        openid: r.get(1)?,
        user_id: r.get(2)?,
        nickname: r.get(3)?,
        remark: r.get(4)?,
        subscribe_time: r.get(5)?,
        blacklisted: r.get(6)?,
        last_interaction_at: r.get(7)?,
    })
}
