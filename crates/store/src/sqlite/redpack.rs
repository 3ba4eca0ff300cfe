//! RedPackStore on SQLite.

use async_trait::async_trait;
use herald_domain::redpack::{check_open, HbType, RedPackStatus};
use rusqlite::{params, OptionalExtension, Row};

use super::ledger::{checked_legs, post_in};
use super::pay::queue_job;
use super::{parsed, SqliteStore};
use crate::ledger::Posted;
use crate::redpack::*;
use crate::{Result, StoreError};

fn redpack(r: &Row<'_>) -> rusqlite::Result<RedPack> {
    Ok(RedPack {
        send_listid: r.get(0)?,
        mchid: r.get(1)?,
        mch_billno: r.get(2)?,
        wxappid: r.get(3)?,
        re_openid: r.get(4)?,
        user_id: r.get(5)?,
        hb_type: parsed(r, 6, HbType::from_wire)?,
        total_amount: r.get(7)?,
        total_num: r.get(8)?,
        send_name: r.get(9)?,
        wishing: r.get(10)?,
        act_name: r.get(11)?,
        remark: r.get(12)?,
        scene_id: r.get(13)?,
        fingerprint: r.get(14)?,
        status: parsed(r, 15, RedPackStatus::from_wire)?,
        send_time: r.get(16)?,
        expires_at: r.get(17)?,
        refund_time: r.get(18)?,
        refund_amount: r.get(19)?,
        shares: Vec::new(),
    })
}

fn share(r: &Row<'_>) -> rusqlite::Result<Share> {
    Ok(Share { idx: r.get(0)?, amount: r.get(1)?, user_id: r.get(2)?, openid: r.get(3)?, rcv_time: r.get(4)? })
}

fn with_shares(c: &rusqlite::Connection, mut p: RedPack) -> Result<RedPack> {
    p.shares = c
        .prepare_cached(&format!("SELECT {SHARE_COLS} FROM red_packet_shares WHERE send_listid = ?1 ORDER BY idx"))?
        .query_map([&p.send_listid], share)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(p)
}

fn find(c: &rusqlite::Connection, cond: &str, a: &str, b: &str) -> Result<Option<RedPack>> {
    let p = c.prepare_cached(&format!("SELECT {REDPACK_COLS} FROM red_packets WHERE {cond}"))?.query_row(params![a, b], redpack).optional()?;
    p.map(|p| with_shares(c, p)).transpose()
}

fn by_id(c: &rusqlite::Connection, id: &str) -> Result<Option<RedPack>> {
    find(c, "?1 = ?1 AND send_listid = ?2", "", id)
}

fn vanished() -> StoreError {
    StoreError::Other("the red packet vanished".into())
}

#[async_trait]
impl RedPackStore for SqliteStore {
    async fn send_redpack(&self, p: &RedPack, return_at_ms: i64) -> Result<SendResult> {
        self.write(|tx| {
            if let Some(e) = find(tx, "mchid = ?1 AND mch_billno = ?2", &p.mchid, &p.mch_billno)? {
                return Ok(SendResult::Existing(e));
            }
            let t = send_txn(p)?;
            match post_in(tx, &t, &checked_legs(&t)?, p.send_time)? {
                Posted::New(_) => {}
                Posted::Insufficient(_, balance) => return Ok(SendResult::NotEnough(balance)),
                dup @ Posted::Duplicate(_) => return Err(StoreError::Other(format!("ledger posting refused: {dup:?}"))),
            }
            tx.prepare_cached(&format!(
                "INSERT INTO red_packets ({REDPACK_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, NULL, NULL)"
            ))?
            .execute(params![
                p.send_listid, p.mchid, p.mch_billno, p.wxappid, p.re_openid, p.user_id, p.hb_type.wire(), p.total_amount, p.total_num,
                p.send_name, p.wishing, p.act_name, p.remark, p.scene_id, p.fingerprint, RedPackStatus::Sent.wire(), p.send_time, p.expires_at
            ])?;
            for s in &p.shares {
                tx.prepare_cached("INSERT INTO red_packet_shares (send_listid, idx, amount) VALUES (?1, ?2, ?3)")?.execute(params![p.send_listid, s.idx, s.amount])?;
            }
            queue_job(tx, RETURN_JOB, &p.wxappid, &p.send_listid, return_at_ms)?;
            Ok(SendResult::Sent(by_id(tx, &p.send_listid)?.ok_or_else(vanished)?))
        })
    }

    async fn redpack(&self, mchid: &str, mch_billno: &str) -> Result<Option<RedPack>> {
        self.read(|c| find(c, "mchid = ?1 AND mch_billno = ?2", mchid, mch_billno))
    }

    async fn redpack_by_id(&self, send_listid: &str) -> Result<Option<RedPack>> {
        self.read(|c| by_id(c, send_listid))
    }

    async fn redpacks_of_user(&self, user_id: &str, limit: i64) -> Result<Vec<RedPack>> {
        self.read(|c| {
            let all = c
                .prepare_cached(&format!(
                    "SELECT {REDPACK_COLS} FROM red_packets WHERE user_id = ?1 OR send_listid IN \
                     (SELECT send_listid FROM red_packet_shares WHERE user_id = ?1) ORDER BY send_time DESC, send_listid DESC LIMIT ?2"
                ))?
                .query_map(params![user_id, limit], redpack)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            all.into_iter().map(|p| with_shares(c, p)).collect()
        })
    }

    async fn open_redpack(&self, send_listid: &str, user_id: &str, openid: &str, now: i64) -> Result<OpenResult> {
        self.write(|tx| {
            let Some(p) = by_id(tx, send_listid)? else { return Ok(OpenResult::Missing) };
            if let Some(s) = p.share_of(user_id) {
                let amount = s.amount;
                return Ok(OpenResult::Already(p, amount));
            }
            if let Err(r) = check_open(p.hb_type, p.status, p.expires_at, now, p.user_id == user_id, p.shares_left()) {
                return Ok(OpenResult::Refused(r));
            }
            let s = p.shares.iter().find(|s| s.user_id.is_none()).ok_or_else(vanished)?;
            let t = open_txn(send_listid, s, user_id)?;
            match post_in(tx, &t, &checked_legs(&t)?, now)? {
                Posted::New(_) => {}
                other => return Err(StoreError::Other(format!("ledger posting refused: {other:?}"))),
            }
            tx.prepare_cached("UPDATE red_packet_shares SET user_id = ?3, openid = ?4, rcv_time = ?5 WHERE send_listid = ?1 AND idx = ?2")?
                .execute(params![send_listid, s.idx, user_id, openid, now])?;
            let amount = s.amount;
            if p.shares_left() == 1 {
                tx.prepare_cached("UPDATE red_packets SET status = 'RECEIVED' WHERE send_listid = ?1")?.execute([send_listid])?;
            }
            Ok(OpenResult::Opened(by_id(tx, send_listid)?.ok_or_else(vanished)?, amount))
        })
    }

    async fn return_redpack(&self, send_listid: &str, now: i64, now_ms: i64, job_id: Option<i64>) -> Result<ReturnResult> {
        self.write(|tx| {
            let Some(p) = by_id(tx, send_listid)? else { return Ok(ReturnResult::Nothing) };
            if p.status == RedPackStatus::Sent && now < p.expires_at {
                if let Some(j) = job_id {
                    super::jobs::reschedule_job(tx, j, now_ms + (p.expires_at - now) * 1000)?;
                }
                return Ok(ReturnResult::NotDue);
            }
            if let Some(j) = job_id {
                super::jobs::end_job(tx, j, now_ms)?;
            }
            if p.status != RedPackStatus::Sent {
                return Ok(ReturnResult::Nothing);
            }
            let left = p.unopened_amount();
            let t = return_txn(&p)?;
            match post_in(tx, &t, &checked_legs(&t)?, now)? {
                Posted::New(_) => {}
                other => return Err(StoreError::Other(format!("ledger posting refused: {other:?}"))),
            }
            tx.prepare_cached("UPDATE red_packets SET status = 'REFUND', refund_time = ?2, refund_amount = ?3 WHERE send_listid = ?1")?
                .execute(params![send_listid, now, left])?;
            Ok(ReturnResult::Returned(Box::new(by_id(tx, send_listid)?.ok_or_else(vanished)?)))
        })
    }
}
