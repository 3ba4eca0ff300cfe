//! BroadcastStore on SQLite.

use async_trait::async_trait;
use herald_domain::account::AccountType;
use herald_domain::broadcast::{chunk_of, decode_set, encode_set, mark_deleted, split_chunks, MonthQuota};
use herald_domain::conversation::MSG_ID_BASE;
use herald_wire::{AppId, ErrCode, UserId};
use roaring::RoaringTreemap;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::conversations::{insert_message, message, MESSAGE_COLS};
use super::SqliteStore;
use crate::broadcast::*;
use crate::{NewMessage, Result, StoreError, StoredMessage};

pub(super) const MASS_COLS: &str = "msg_id, appid, msgtype, payload, articles, target, client_msg_id, status, total_count, filter_count, \
     sent_count, error_count, deleted, day_start, created_at, finished_at";
/// The queue (in `jobs.user_id`) an account's mass-message jobs wait in, one at a time.
const MASS_QUEUE: &str = "~mass";

pub(super) fn mass(r: &Row<'_>) -> rusqlite::Result<MassMessage> {
    Ok(MassMessage {
        msg_id: r.get(0)?,
        appid: AppId(r.get(1)?),
        msgtype: r.get(2)?,
        payload: r.get(3)?,
        articles: r.get(4)?,
        target: r.get(5)?,
        client_msg_id: r.get(6)?,
        status: r.get(7)?,
        total: r.get(8)?,
        filtered: r.get(9)?,
        sent: r.get(10)?,
        errors: r.get(11)?,
        deleted: r.get(12)?,
        day_start: r.get(13)?,
        created_at: r.get(14)?,
        finished_at: r.get(15)?,
    })
}

fn mass_by_id(c: &Connection, appid: &str, msg_id: i64) -> Result<Option<MassMessage>> {
    Ok(c.prepare_cached(&format!("SELECT {MASS_COLS} FROM mass_messages WHERE appid = ?1 AND msg_id = ?2"))?
        .query_row(params![appid, msg_id], mass)
        .optional()?)
}

fn other(e: String) -> StoreError {
    StoreError::Other(e)
}

/// Adds or removes follower number `seq` in the account's current-follower set.
pub(super) fn set_member(tx: &Transaction<'_>, appid: &str, seq: i64, on: bool) -> Result<()> {
    let chunk = chunk_of(seq);
    let mut set = member_set(tx, appid, chunk)?;
    let changed = if on { set.insert(seq as u64) } else { set.remove(seq as u64) };
    if changed {
        put_member_set(tx, appid, chunk, &set)?;
    }
    Ok(())
}

fn member_set(tx: &Transaction<'_>, appid: &str, chunk: i64) -> Result<RoaringTreemap> {
    let blob: Option<Vec<u8>> = tx
        .prepare_cached("SELECT members FROM follower_sets WHERE appid = ?1 AND chunk = ?2")?
        .query_row(params![appid, chunk], |r| r.get(0))
        .optional()?;
    decode_set(blob.as_deref().unwrap_or_default()).map_err(other)
}

fn put_member_set(tx: &Transaction<'_>, appid: &str, chunk: i64, set: &RoaringTreemap) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO follower_sets (appid, chunk, members) VALUES (?1, ?2, ?3) \
         ON CONFLICT (appid, chunk) DO UPDATE SET members = excluded.members",
    )?
    .execute(params![appid, chunk, encode_set(set)])?;
    Ok(())
}

/// Keeps the follower set in step with `followers.subscribed` for one user.
pub(super) fn sync_member(tx: &Transaction<'_>, appid: &str, user: &str) -> Result<()> {
    let row: Option<(i64, bool)> = tx
        .prepare_cached("SELECT seq, subscribed FROM followers WHERE appid = ?1 AND user_id = ?2")?
        .query_row(params![appid, user], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        Some((seq, on)) => set_member(tx, appid, seq, on),
        None => Ok(()),
    }
}

fn seqs(c: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<RoaringTreemap> {
    let mut st = c.prepare_cached(sql)?;
    let mut rows = st.query(p)?;
    let mut set = RoaringTreemap::new();
    while let Some(r) = rows.next()? {
        set.insert(r.get::<_, i64>(0)? as u64);
    }
    Ok(set)
}

/// The followers a mass message targets, blacklisted ones left out.
pub(super) fn target_set(c: &Connection, appid: &str, target: &serde_json::Value) -> Result<RoaringTreemap> {
    let mut set = if let Some(tag) = target.get("tag_id").and_then(serde_json::Value::as_i64) {
        seqs(
            c,
            "SELECT f.seq FROM follower_tags ft JOIN followers f ON f.seq = ft.follower_seq \
             WHERE ft.appid = ?1 AND ft.tag_id = ?2 AND f.subscribed = TRUE",
            params![appid, tag],
        )?
    } else if let Some(list) = target.get("openids").and_then(serde_json::Value::as_array) {
        let mut set = RoaringTreemap::new();
        let mut st = c.prepare_cached("SELECT seq FROM followers WHERE appid = ?1 AND openid = ?2 AND subscribed = TRUE")?;
        for o in list.iter().filter_map(serde_json::Value::as_str) {
            if let Some(seq) = st.query_row(params![appid, o], |r| r.get::<_, i64>(0)).optional()? {
                set.insert(seq as u64);
            }
        }
        set
    } else {
        let mut set = RoaringTreemap::new();
        let mut st = c.prepare_cached("SELECT members FROM follower_sets WHERE appid = ?1")?;
        let mut rows = st.query([appid])?;
        while let Some(r) = rows.next()? {
            let blob: Vec<u8> = r.get(0)?;
            set |= decode_set(&blob).map_err(other)?;
        }
        set
    };
    set -= seqs(c, "SELECT seq FROM followers WHERE appid = ?1 AND blacklisted = TRUE", [appid])?;
    Ok(set)
}

pub(super) fn insert_event_job(tx: &Transaction<'_>, appid: &str, payload: &str, now_ms: i64) -> Result<()> {
    let job = super::jobs::NewJob { kind: "callback", appid, user_id: None, message_seq: None, payload, run_at: now_ms };
    super::jobs::insert_job(tx, &job)?;
    Ok(())
}

pub(super) fn has_server(c: &Connection, appid: &str) -> Result<bool> {
    Ok(c.prepare_cached("SELECT server_url IS NOT NULL FROM accounts WHERE appid = ?1")?
        .query_row([appid], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

#[async_trait]
impl BroadcastStore for SqliteStore {
    async fn create_mass(&self, m: &NewMass, now_ms: i64) -> Result<(MassMessage, bool)> {
        self.write(|tx| {
            let appid = m.appid.as_str();
            if let Some(cid) = &m.client_msg_id {
                let found = tx
                    .prepare_cached(&format!("SELECT {MASS_COLS} FROM mass_messages WHERE appid = ?1 AND client_msg_id = ?2"))?
                    .query_row(params![appid, cid], mass)
                    .optional()?;
                if let Some(first) = found {
                    return Ok((first, false));
                }
            }
            if let Some(limit) = m.daily_limit {
                let n: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM mass_messages WHERE appid = ?1 AND day_start = ?2")?
                    .query_row(params![appid, m.day_start], |r| r.get(0))?;
                if n >= limit {
                    return Err(StoreError::Rejected(ErrCode::NoMassQuota));
                }
            }
            let msg_id: i64 = tx
                .prepare_cached(
                    "INSERT INTO mass_messages (appid, msgtype, payload, articles, target, client_msg_id, status, day_start, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'SENDING', ?7, ?8) RETURNING msg_id",
                )?
                .query_row(params![appid, m.msgtype, m.payload, m.articles, m.target, m.client_msg_id, m.day_start, m.created_at], |r| r.get(0))?;
            // An account's mass messages go out one at a time, in order: they queue like one
            // conversation (see `jobs::insert_job`).
            let payload = msg_id.to_string();
            let job = super::jobs::NewJob { kind: "mass", appid, user_id: Some(MASS_QUEUE), message_seq: None, payload: &payload, run_at: now_ms };
            super::jobs::insert_job(tx, &job)?;
            Ok((mass_by_id(tx, appid, msg_id)?.ok_or(StoreError::NotFound)?, true))
        })
    }

    async fn mass(&self, appid: &AppId, msg_id: i64) -> Result<Option<MassMessage>> {
        self.read(|c| mass_by_id(c, appid.as_str(), msg_id))
    }

    async fn delete_mass(&self, appid: &AppId, msg_id: i64, article_idx: i64) -> Result<bool> {
        self.write(|tx| {
            let Some(m) = mass_by_id(tx, appid.as_str(), msg_id)? else { return Ok(false) };
            let deleted = mark_deleted(&m.deleted, article_idx, None);
            let status = if deleted == "*" { "DELETE" } else { m.status.as_str() };
            tx.prepare_cached("UPDATE mass_messages SET deleted = ?3, status = ?4 WHERE appid = ?1 AND msg_id = ?2")?
                .execute(params![appid.as_str(), msg_id, deleted, status])?;
            Ok(true)
        })
    }

    async fn run_mass(&self, job_id: i64, worker: &str, now_ms: i64, event: MassEvent<'_>) -> Result<bool> {
        self.write(|tx| {
            if !super::jobs::holds(tx, job_id, worker)? {
                return Ok(false);
            }
            let (appid, payload): (String, String) = tx
                .prepare_cached("SELECT appid, (SELECT payload FROM job_payloads WHERE job_id = jobs.id) FROM jobs WHERE id = ?1")?
                .query_row(params![job_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let msg_id: i64 = payload.parse().map_err(|_| other(format!("bad mass job payload {payload:?}")))?;
            let m = mass_by_id(tx, &appid, msg_id)?.ok_or(StoreError::NotFound)?;
            // The month the message was sent in (platform time), whenever the job runs.
            let month = herald_domain::broadcast::month_key(m.created_at);
            let ty: String = tx.prepare_cached("SELECT account_type FROM accounts WHERE appid = ?1")?.query_row([&appid], |r| r.get(0))?;
            let target: serde_json::Value = serde_json::from_str(&m.target).map_err(|e| other(e.to_string()))?;
            let set = target_set(tx, &appid, &target)?;
            let total = set.len();
            let (recipients, filtered) = if AccountType::parse(&ty) == Some(AccountType::Service) {
                let blob: Option<Vec<u8>> = tx
                    .prepare_cached("SELECT levels FROM mass_quota WHERE appid = ?1 AND month = ?2")?
                    .query_row(params![appid, month], |r| r.get(0))
                    .optional()?;
                let mut quota = MonthQuota::decode(blob.as_deref().unwrap_or_default()).map_err(other)?;
                let r = quota.apply(&set);
                tx.prepare_cached(
                    "INSERT INTO mass_quota (appid, month, levels) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (appid, month) DO UPDATE SET levels = excluded.levels",
                )?
                .execute(params![appid, month, quota.encode()])?;
                (r.recipients, r.filtered)
            } else {
                (set, 0)
            };
            let sent = recipients.len();
            let status = if m.status == "DELETE" { "DELETE" } else { "SEND_SUCCESS" };
            let now_s = now_ms / 1000;
            tx.prepare_cached(
                "UPDATE mass_messages SET status = ?2, total_count = ?3, filter_count = ?4, sent_count = ?5, error_count = 0, \
                 finished_at = ?6 WHERE msg_id = ?1",
            )?
            .execute(params![msg_id, status, total as i64, filtered as i64, sent as i64, now_s])?;
            let mut put = tx.prepare_cached("INSERT INTO mass_recipients (msg_id, chunk, members) VALUES (?1, ?2, ?3)")?;
            for (chunk, part) in split_chunks(&recipients) {
                put.execute(params![msg_id, chunk, encode_set(&part)])?;
            }
            drop(put);
            super::jobs::end_job(tx, job_id, now_ms)?;
            let done = mass_by_id(tx, &appid, msg_id)?.ok_or(StoreError::NotFound)?;
            if has_server(tx, &appid)? {
                if let Some(xml) = event(&done) {
                    insert_event_job(tx, &appid, &xml, now_ms)?;
                }
            }
            Ok(true)
        })
    }

    async fn mass_inbox(&self, user: &UserId, limit: usize) -> Result<Vec<MassMessage>> {
        self.read(|c| {
            let follows: Vec<(i64, String)> = c
                .prepare_cached("SELECT seq, appid FROM followers WHERE user_id = ?1")?
                .query_map([user.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::new();
            // One small piece of each message's recipients: the one holding this follower.
            let cols = MASS_COLS.split(", ").map(|c| format!("m.{c}")).collect::<Vec<_>>().join(", ");
            let mut st = c.prepare_cached(&format!(
                "SELECT {cols}, r.members FROM mass_messages m JOIN mass_recipients r ON r.msg_id = m.msg_id AND r.chunk = ?2 \
                 WHERE m.appid = ?1 AND m.status = 'SEND_SUCCESS' ORDER BY m.msg_id DESC LIMIT ?3"
            ))?;
            for (seq, appid) in follows {
                let mut rows = st.query(params![appid, chunk_of(seq), limit as i64])?;
                while let Some(r) = rows.next()? {
                    let blob = r.get_ref(16)?.as_blob().map_err(|e| other(e.to_string()))?;
                    if decode_set(blob).map_err(other)?.contains(seq as u64) {
                        out.push(mass(r)?);
                    }
                }
            }
            out.sort_by_key(|m| std::cmp::Reverse((m.created_at, m.msg_id)));
            out.truncate(limit);
            Ok(out)
        })
    }

    async fn mass_received(&self, appid: &AppId, openid: &str, month: i64) -> Result<i64> {
        self.read(|c| {
            let Some(seq) = c
                .prepare_cached("SELECT seq FROM followers WHERE appid = ?1 AND openid = ?2")?
                .query_row(params![appid.as_str(), openid], |r| r.get::<_, i64>(0))
                .optional()?
            else {
                return Ok(0);
            };
            let blob: Option<Vec<u8>> = c
                .prepare_cached("SELECT levels FROM mass_quota WHERE appid = ?1 AND month = ?2")?
                .query_row(params![appid.as_str(), month], |r| r.get(0))
                .optional()?;
            Ok(MonthQuota::decode(blob.as_deref().unwrap_or_default()).map_err(other)?.received(seq as u64) as i64)
        })
    }

    async fn account_settings(&self, appid: &AppId) -> Result<AccountSettings> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT industry1, industry2, industry_set_at, mass_speed FROM account_settings WHERE appid = ?1")?
                .query_row([appid.as_str()], |r| {
                    Ok(AccountSettings { industry1: r.get(0)?, industry2: r.get(1)?, industry_set_at: r.get(2)?, mass_speed: r.get(3)? })
                })
                .optional()?
                .unwrap_or_default())
        })
    }

    async fn set_industry(&self, appid: &AppId, id1: i64, id2: i64, now: i64) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO account_settings (appid, industry1, industry2, industry_set_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (appid) DO UPDATE SET industry1 = ?2, industry2 = ?3, industry_set_at = ?4",
            )?
            .execute(params![appid.as_str(), id1, id2, now])?;
            Ok(())
        })
    }

    async fn set_mass_speed(&self, appid: &AppId, speed: i64) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO account_settings (appid, mass_speed) VALUES (?1, ?2) ON CONFLICT (appid) DO UPDATE SET mass_speed = ?2",
            )?
            .execute(params![appid.as_str(), speed])?;
            Ok(())
        })
    }

    async fn add_template(&self, appid: &AppId, short_id: &str, fresh_id: &str, max: usize, now: i64) -> Result<String> {
        self.write(|tx| {
            let found: Option<String> = tx
                .prepare_cached("SELECT template_id FROM templates WHERE appid = ?1 AND short_id = ?2")?
                .query_row(params![appid.as_str(), short_id], |r| r.get(0))
                .optional()?;
            if let Some(id) = found {
                return Ok(id);
            }
            let n: i64 = tx.prepare_cached("SELECT COUNT(*) FROM templates WHERE appid = ?1")?.query_row([appid.as_str()], |r| r.get(0))?;
            if n as usize >= max {
                return Err(StoreError::Rejected(ErrCode::TooManyTemplates));
            }
            tx.prepare_cached("INSERT INTO templates (template_id, appid, short_id, created_at) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![fresh_id, appid.as_str(), short_id, now])?;
            Ok(fresh_id.to_string())
        })
    }

    async fn templates(&self, appid: &AppId) -> Result<Vec<AccountTemplate>> {
        self.read(|c| {
            let rows = c
                .prepare_cached("SELECT template_id, short_id, created_at FROM templates WHERE appid = ?1 ORDER BY created_at, template_id")?
                .query_map([appid.as_str()], |r| Ok(AccountTemplate { template_id: r.get(0)?, short_id: r.get(1)?, created_at: r.get(2)? }))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn delete_template(&self, appid: &AppId, template_id: &str) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.prepare_cached("DELETE FROM templates WHERE appid = ?1 AND template_id = ?2")?.execute(params![appid.as_str(), template_id])? > 0)
        })
    }

    async fn append_with_event(&self, msg: &NewMessage, event: Option<MessageEvent<'_>>, now_ms: i64) -> Result<StoredMessage> {
        self.write(|tx| {
            let mut stored = insert_message(tx, msg)?;
            let id = MSG_ID_BASE + stored.seq;
            tx.prepare_cached("UPDATE messages SET msg_id = ?2 WHERE seq = ?1")?.execute(params![stored.seq, id])?;
            stored.msg_id = Some(id);
            if let Some(build) = event {
                if has_server(tx, msg.appid.as_str())? {
                    insert_event_job(tx, msg.appid.as_str(), &build(id), now_ms)?;
                }
            }
            Ok(stored)
        })
    }

    async fn mark_read(&self, user: &UserId, appid: &AppId, read_seq: i64, read_at: i64) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO chat_reads (user_id, appid, read_seq, read_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (user_id, appid) DO UPDATE SET read_seq = MAX(read_seq, ?3), read_at = MAX(read_at, ?4)",
            )?
            .execute(params![user.as_str(), appid.as_str(), read_seq, read_at])?;
            Ok(())
        })
    }

    async fn chat_reads(&self, user: &UserId) -> Result<Vec<ChatRead>> {
        self.read(|c| {
            let rows = c
                .prepare_cached("SELECT appid, read_seq, read_at FROM chat_reads WHERE user_id = ?1")?
                .query_map([user.as_str()], |r| Ok(ChatRead { appid: AppId(r.get(0)?), read_seq: r.get(1)?, read_at: r.get(2)? }))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    async fn chat_tail(&self, appid: &AppId, user: &UserId, after_seq: i64) -> Result<(Option<StoredMessage>, i64)> {
        let key = crate::conversation_key(appid.as_str(), user.as_str());
        self.read(|c| {
            let last = c
                .prepare_cached(&format!(
                    "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_key = ?3 AND appid = ?1 AND user_id = ?2 AND msg_type <> 'event' ORDER BY seq DESC LIMIT 1"
                ))?
                .query_row(params![appid.as_str(), user.as_str(), key], message)
                .optional()?;
            let unread: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM messages WHERE conversation_key = ?4 AND appid = ?1 AND user_id = ?2 AND seq > ?3 AND direction = 'out'")?
                .query_row(params![appid.as_str(), user.as_str(), after_seq, key], |r| r.get(0))?;
            Ok((last, unread))
        })
    }

    async fn bulk_follow(&self, appid: &AppId, n: u64, now: i64) -> Result<UserId> {
        self.write(|tx| {
            let owner: String = tx.prepare_cached("SELECT owner_id FROM accounts WHERE appid = ?1")?.query_row([appid.as_str()], |r| r.get(0))?;
            let tag = format!("{:08x}", rand::random::<u32>());
            let mut user = tx.prepare_cached("INSERT INTO users (id, nickname, created_at) VALUES (?1, ?2, ?3)")?;
            let mut union = tx.prepare_cached("INSERT INTO unionids (owner_id, user_id, unionid) VALUES (?1, ?2, ?3)")?;
            let mut follower = tx.prepare_cached(
                "INSERT INTO followers (appid, user_id, openid, unionid, subscribed, follow_order, subscribe_time, \
                 unsubscribe_time, subscribe_scene, qr_scene, qr_scene_str, remark, blacklisted, blacklist_order) \
                 VALUES (?1, ?2, ?3, ?4, TRUE, ?5, ?6, NULL, 'ADD_SCENE_OTHERS', 0, '', '', FALSE, NULL) RETURNING seq",
            )?;
            let mut set = RoaringTreemap::new();
            for i in 0..n {
                let id = format!("u_bulk{tag}{i:09}");
                let unionid = format!("oBulk{tag}{i:012}");
                let openid = format!("oBulkOpen{tag}{i:012}");
                user.execute(params![id, format!("Bulk {i}"), now])?;
                union.execute(params![owner, id, unionid])?;
                let seq: i64 = follower.query_row(params![appid.as_str(), id, openid, unionid, i as i64, now], |r| r.get(0))?;
                set.insert(seq as u64);
            }
            drop((user, union, follower));
            for (chunk, part) in split_chunks(&set) {
                let mut existing = member_set(tx, appid.as_str(), chunk)?;
                existing |= part;
                put_member_set(tx, appid.as_str(), chunk, &existing)?;
            }
            Ok(UserId(format!("u_bulk{tag}{:09}", 0)))
        })
    }
}
