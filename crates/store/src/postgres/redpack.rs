// RedPackStore on PostgreSQL (see the SQLite twin). Sending locks the merchant row (FOR NO
// KEY UPDATE, which leaves the foreign-key share locks of concurrent payments and refunds
// alone, so no deadlock), so two nodes sending one mch_billno take turns and the second
// finds the first's packet; opening and returning lock the packet row.

use crate::redpack::{REDPACK_COLS as PG_REDPACK_COLS, SHARE_COLS as PG_SHARE_COLS};

fn redpack_from_row(r: &DbRow) -> crate::Result<crate::redpack::RedPack> {
    let hb: String = r.try_get(6)?;
    let status: String = r.try_get(15)?;
    Ok(crate::redpack::RedPack {
        send_listid: r.try_get(0)?,
        mchid: r.try_get(1)?,
        mch_billno: r.try_get(2)?,
        wxappid: r.try_get(3)?,
        re_openid: r.try_get(4)?,
        user_id: r.try_get(5)?,
        hb_type: herald_domain::redpack::HbType::from_wire(&hb).ok_or_else(|| crate::StoreError::Other(format!("bad hb_type {hb:?}")))?,
        total_amount: r.try_get(7)?,
        total_num: r.try_get(8)?,
        send_name: r.try_get(9)?,
        wishing: r.try_get(10)?,
        act_name: r.try_get(11)?,
        remark: r.try_get(12)?,
        scene_id: r.try_get(13)?,
        fingerprint: r.try_get(14)?,
        status: herald_domain::redpack::RedPackStatus::from_wire(&status).ok_or_else(|| crate::StoreError::Other(format!("bad red packet status {status:?}")))?,
        send_time: r.try_get(16)?,
        expires_at: r.try_get(17)?,
        refund_time: r.try_get(18)?,
        refund_amount: r.try_get(19)?,
        shares: Vec::new(),
    })
}

async fn pg_redpack(c: &mut sqlx::PgConnection, cond: &str, a: &str, b: &str, lock: bool) -> crate::Result<Option<crate::redpack::RedPack>> {
    let sql = format!("SELECT {PG_REDPACK_COLS} FROM red_packets WHERE {cond}{}", if lock { " FOR UPDATE" } else { "" });
    let Some(row) = sqlx::query(&sql).bind(a).bind(b).fetch_optional(&mut *c).await? else { return Ok(None) };
    let mut p = redpack_from_row(&row)?;
    let rows = sqlx::query(&format!("SELECT {PG_SHARE_COLS} FROM red_packet_shares WHERE send_listid = $1 ORDER BY idx"))
        .bind(&p.send_listid)
        .fetch_all(&mut *c)
        .await?;
    for r in rows {
        p.shares.push(crate::redpack::Share {
            idx: r.try_get::<i32, _>(0)? as i64,
            amount: r.try_get(1)?,
            user_id: r.try_get(2)?,
            openid: r.try_get(3)?,
            rcv_time: r.try_get(4)?,
        });
    }
    Ok(Some(p))
}

const PG_BY_ID: &str = "$1 = $1 AND send_listid = $2";

fn pg_redpack_vanished() -> crate::StoreError {
    crate::StoreError::Other("the red packet vanished".into())
}

#[async_trait::async_trait]
impl crate::RedPackStore for Backend {
    async fn send_redpack(&self, p: &crate::redpack::RedPack, return_at_ms: i64) -> crate::Result<crate::redpack::SendResult> {
        use crate::redpack::SendResult;
        let mut tx = self.begin().await?;
        sqlx::query("SELECT mchid FROM merchants WHERE mchid = $1 FOR NO KEY UPDATE").bind(&p.mchid).fetch_optional(&mut *tx).await?;
        if let Some(e) = pg_redpack(&mut tx, "mchid = $1 AND mch_billno = $2", &p.mchid, &p.mch_billno, false).await? {
            tx.commit().await?;
            return Ok(SendResult::Existing(e));
        }
        let t = crate::redpack::send_txn(p)?;
        match pg_post_in(&mut tx, &t, p.send_time).await? {
            crate::Posted::New(_) => {}
            crate::Posted::Insufficient(_, balance) => return Ok(SendResult::NotEnough(balance)),
            dup @ crate::Posted::Duplicate(_) => return Err(pg_ledger_failed(dup)),
        }
        sqlx::query(&format!(
            "INSERT INTO red_packets ({PG_REDPACK_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, NULL, NULL)"
        ))
        .bind(&p.send_listid)
        .bind(&p.mchid)
        .bind(&p.mch_billno)
        .bind(&p.wxappid)
        .bind(&p.re_openid)
        .bind(&p.user_id)
        .bind(p.hb_type.wire())
        .bind(p.total_amount)
        .bind(p.total_num)
        .bind(&p.send_name)
        .bind(&p.wishing)
        .bind(&p.act_name)
        .bind(&p.remark)
        .bind(&p.scene_id)
        .bind(&p.fingerprint)
        .bind(herald_domain::redpack::RedPackStatus::Sent.wire())
        .bind(p.send_time)
        .bind(p.expires_at)
        .execute(&mut *tx)
        .await?;
        for s in &p.shares {
            sqlx::query("INSERT INTO red_packet_shares (send_listid, idx, amount) VALUES ($1, $2, $3)")
                .bind(&p.send_listid)
                .bind(s.idx as i32)
                .bind(s.amount)
                .execute(&mut *tx)
                .await?;
        }
        pg_queue_job(&mut tx, crate::redpack::RETURN_JOB, &p.wxappid, &p.send_listid, return_at_ms).await?;
        let sent = pg_redpack(&mut tx, PG_BY_ID, "", &p.send_listid, false).await?.ok_or_else(pg_redpack_vanished)?;
        tx.commit().await?;
        Ok(SendResult::Sent(sent))
    }

    async fn redpack(&self, mchid: &str, mch_billno: &str) -> crate::Result<Option<crate::redpack::RedPack>> {
        pg_redpack(&mut *self.reader().acquire().await?, "mchid = $1 AND mch_billno = $2", mchid, mch_billno, false).await
    }

    async fn redpack_by_id(&self, send_listid: &str) -> crate::Result<Option<crate::redpack::RedPack>> {
        pg_redpack(&mut *self.reader().acquire().await?, PG_BY_ID, "", send_listid, false).await
    }

    async fn redpacks_of_user(&self, user_id: &str, limit: i64) -> crate::Result<Vec<crate::redpack::RedPack>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT send_listid FROM red_packets WHERE user_id = $1 OR send_listid IN \
             (SELECT send_listid FROM red_packet_shares WHERE user_id = $1) ORDER BY send_time DESC, send_listid DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        let mut c = self.reader().acquire().await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(pg_redpack(&mut c, PG_BY_ID, "", &id, false).await?);
        }
        Ok(out)
    }

    async fn open_redpack(&self, send_listid: &str, user_id: &str, openid: &str, now: i64) -> crate::Result<crate::redpack::OpenResult> {
        use crate::redpack::OpenResult;
        let mut tx = self.begin().await?;
        let Some(p) = pg_redpack(&mut tx, PG_BY_ID, "", send_listid, true).await? else {
            tx.commit().await?;
            return Ok(OpenResult::Missing);
        };
        if let Some(s) = p.share_of(user_id) {
            let amount = s.amount;
            tx.commit().await?;
            return Ok(OpenResult::Already(p, amount));
        }
        if let Err(r) = herald_domain::redpack::check_open(p.hb_type, p.status, p.expires_at, now, p.user_id == user_id, p.shares_left()) {
            tx.commit().await?;
            return Ok(OpenResult::Refused(r));
        }
        let s = p.shares.iter().find(|s| s.user_id.is_none()).ok_or_else(pg_redpack_vanished)?;
        let t = crate::redpack::open_txn(send_listid, s, user_id)?;
        match pg_post_in(&mut tx, &t, now).await? {
            crate::Posted::New(_) => {}
            other => return Err(pg_ledger_failed(other)),
        }
        sqlx::query("UPDATE red_packet_shares SET user_id = $3, openid = $4, rcv_time = $5 WHERE send_listid = $1 AND idx = $2")
            .bind(send_listid)
            .bind(s.idx as i32)
            .bind(user_id)
            .bind(openid)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if p.shares_left() == 1 {
            sqlx::query("UPDATE red_packets SET status = 'RECEIVED' WHERE send_listid = $1").bind(send_listid).execute(&mut *tx).await?;
        }
        let amount = s.amount;
        let opened = pg_redpack(&mut tx, PG_BY_ID, "", send_listid, false).await?.ok_or_else(pg_redpack_vanished)?;
        tx.commit().await?;
        Ok(OpenResult::Opened(opened, amount))
    }

    async fn return_redpack(&self, send_listid: &str, now: i64, now_ms: i64, job_id: Option<i64>) -> crate::Result<crate::redpack::ReturnResult> {
        use crate::redpack::ReturnResult;
        use herald_domain::redpack::RedPackStatus;
        let mut tx = self.begin().await?;
        let Some(p) = pg_redpack(&mut tx, PG_BY_ID, "", send_listid, true).await? else {
            tx.commit().await?;
            return Ok(ReturnResult::Nothing);
        };
        if p.status == RedPackStatus::Sent && now < p.expires_at {
            if let Some(j) = job_id {
                reschedule_job(&mut tx, j, now_ms + (p.expires_at - now) * 1000).await?;
            }
            tx.commit().await?;
            return Ok(ReturnResult::NotDue);
        }
        if let Some(j) = job_id {
            end_job(&mut tx, j, now_ms).await?;
        }
        if p.status != RedPackStatus::Sent {
            tx.commit().await?;
            return Ok(ReturnResult::Nothing);
        }
        let left = p.unopened_amount();
        let t = crate::redpack::return_txn(&p)?;
        match pg_post_in(&mut tx, &t, now).await? {
            crate::Posted::New(_) => {}
            other => return Err(pg_ledger_failed(other)),
        }
        sqlx::query("UPDATE red_packets SET status = 'REFUND', refund_time = $2, refund_amount = $3 WHERE send_listid = $1")
            .bind(send_listid)
            .bind(now)
            .bind(left)
            .execute(&mut *tx)
            .await?;
        let returned = pg_redpack(&mut tx, PG_BY_ID, "", send_listid, false).await?.ok_or_else(pg_redpack_vanished)?;
        tx.commit().await?;
        Ok(ReturnResult::Returned(Box::new(returned)))
    }
}
