//! PayStore on SQLite.

use async_trait::async_trait;
use herald_domain::ledger::{Book, Txn};
use herald_domain::pay::{RefundStatus, TradeState, TradeType};
use rusqlite::{params, OptionalExtension, Row};

use super::ledger::{checked_legs, post_in};
use super::{parsed, SqliteStore};
use crate::ledger::Posted;
use crate::pay::*;
use crate::pay::{MERCHANT_COLS, ORDER_COLS, REFUND_COLS};
use crate::{Result, StoreError};

fn merchant(r: &Row<'_>) -> rusqlite::Result<Merchant> {
    Ok(Merchant {
        mchid: r.get(0)?,
        name: r.get(1)?,
        apiv3_key: r.get(2)?,
        api_key: r.get(3)?,
        mch_serial: r.get(4)?,
        mch_public_key: r.get(5)?,
        mch_certificate: r.get(6)?,
        platform_serial: r.get(7)?,
        platform_certificate: r.get(8)?,
        platform_not_before: r.get(9)?,
        platform_not_after: r.get(10)?,
        public_key_id: r.get(11)?,
        key_mode: r.get(12)?,
        created_at: r.get(13)?,
        refund_mode: r.get(14)?,
        h5_domain: r.get(15)?,
        appids: Vec::new(),
    })
}

fn order(r: &Row<'_>) -> rusqlite::Result<Order> {
    Ok(Order {
        transaction_id: r.get(0)?,
        mchid: r.get(1)?,
        out_trade_no: r.get(2)?,
        appid: r.get(3)?,
        trade_type: parsed(r, 4, TradeType::from_wire)?,
        description: r.get(5)?,
        attach: r.get(6)?,
        notify_url: r.get(7)?,
        goods_tag: r.get(8)?,
        total: r.get(9)?,
        currency: r.get(10)?,
        payer_openid: r.get(11)?,
        scene_info: r.get(12)?,
        fingerprint: r.get(13)?,
        prepay_id: r.get(14)?,
        prepay_expires_at: r.get(15)?,
        code_key: r.get(16)?,
        state: parsed(r, 17, TradeState::from_wire)?,
        expires_at: r.get(18)?,
        created_at: r.get(19)?,
        success_time: r.get(20)?,
        payer_user: r.get(21)?,
        refunded: r.get(22)?,
        discount: r.get(23)?,
        promotion: r.get(24)?,
    })
}

fn refund(r: &Row<'_>) -> rusqlite::Result<Refund> {
    Ok(Refund {
        refund_id: r.get(0)?,
        mchid: r.get(1)?,
        out_refund_no: r.get(2)?,
        transaction_id: r.get(3)?,
        out_trade_no: r.get(4)?,
        amount: r.get(5)?,
        total: r.get(6)?,
        reason: r.get(7)?,
        notify_url: r.get(8)?,
        fingerprint: r.get(9)?,
        status: parsed(r, 10, RefundStatus::from_wire)?,
        created_at: r.get(11)?,
        success_time: r.get(12)?,
        payer_user: r.get(13)?,
        discount: r.get(14)?,
    })
}

fn with_apps(c: &rusqlite::Connection, mut m: Merchant) -> Result<Merchant> {
    let mut st = c.prepare_cached("SELECT appid FROM merchant_apps WHERE mchid = ?1 ORDER BY appid")?;
    m.appids = st.query_map([&m.mchid], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(m)
}

fn load_merchant(c: &rusqlite::Connection, mchid: &str) -> Result<Option<Merchant>> {
    let m = c.prepare_cached(&format!("SELECT {MERCHANT_COLS} FROM merchants WHERE mchid = ?1"))?.query_row([mchid], merchant).optional()?;
    m.map(|m| with_apps(c, m)).transpose()
}

/// Records a request nonce (false if seen before), sometimes forgetting old ones.
fn use_nonce(tx: &rusqlite::Transaction<'_>, mchid: &str, nonce: &str, now: i64, forget_before: i64) -> Result<bool> {
    if rand::random::<u8>() == 0 {
        tx.prepare_cached("DELETE FROM pay_nonces WHERE at < ?1")?.execute([forget_before])?;
    }
    let n = tx.prepare_cached("INSERT INTO pay_nonces (mchid, nonce, at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")?.execute(params![mchid, nonce, now])?;
    Ok(n == 1)
}

fn find_order(c: &rusqlite::Connection, key: &OrderKey) -> Result<Option<Order>> {
    let (sql, a, b) = match key {
        OrderKey::OutTradeNo(m, n) => ("mchid = ?1 AND out_trade_no = ?2", m.as_str(), n.as_str()),
        OrderKey::TransactionId(m, t) => ("mchid = ?1 AND transaction_id = ?2", m.as_str(), t.as_str()),
        OrderKey::PrepayId(p) => ("?1 = ?1 AND prepay_id = ?2", "", p.as_str()),
        OrderKey::CodeKey(k) => ("?1 = ?1 AND code_key = ?2", "", k.as_str()),
    };
    Ok(c.prepare_cached(&format!("SELECT {ORDER_COLS} FROM pay_orders WHERE {sql}"))?.query_row(params![a, b], order).optional()?)
}

fn find_refund(c: &rusqlite::Connection, mchid: &str, out_refund_no: &str) -> Result<Option<Refund>> {
    Ok(c.prepare_cached(&format!("SELECT {REFUND_COLS} FROM pay_refunds WHERE mchid = ?1 AND out_refund_no = ?2"))?
        .query_row(params![mchid, out_refund_no], refund)
        .optional()?)
}

/// Queues a job outside any conversation (never blocked); its id.
pub(super) fn queue_job(tx: &rusqlite::Transaction<'_>, kind: &str, appid: &str, payload: &str, run_at_ms: i64) -> Result<i64> {
    super::jobs::insert_job(tx, &super::jobs::NewJob { kind, appid, user_id: None, message_seq: None, payload, run_at: run_at_ms })
}

fn queue_notification(tx: &rusqlite::Transaction<'_>, n: &NewNotification, now: i64, run_at_ms: i64) -> Result<()> {
    let job = queue_job(tx, "pay_notify", &n.appid, &n.payload, run_at_ms)?;
    tx.prepare_cached("INSERT INTO pay_notifications (job_id, mchid, event_type, subject, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![job, n.mchid, n.event_type, n.subject, now])?;
    Ok(())
}

fn ledger_failed(p: Posted) -> StoreError {
    StoreError::Other(format!("ledger posting refused: {p:?}"))
}

#[async_trait]
impl PayStore for SqliteStore {
    async fn create_merchant(&self, m: &Merchant) -> Result<bool> {
        self.write(|tx| {
            let n = tx.prepare_cached(&format!(
                "INSERT INTO merchants ({MERCHANT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) ON CONFLICT DO NOTHING"
            ))?
            .execute(params![
                m.mchid, m.name, m.apiv3_key, m.api_key, m.mch_serial, m.mch_public_key, m.mch_certificate, m.platform_serial,
                m.platform_certificate, m.platform_not_before, m.platform_not_after, m.public_key_id, m.key_mode, m.created_at, m.refund_mode, m.h5_domain
            ])?;
            if n == 1 {
                for a in &m.appids {
                    tx.prepare_cached("INSERT INTO merchant_apps (mchid, appid) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?.execute(params![m.mchid, a])?;
                }
            }
            Ok(n == 1)
        })
    }

    async fn merchant(&self, mchid: &str) -> Result<Option<Merchant>> {
        self.read(|c| load_merchant(c, mchid))
    }

    async fn merchants(&self) -> Result<Vec<Merchant>> {
        self.read(|c| {
            let all = c
                .prepare_cached(&format!("SELECT {MERCHANT_COLS} FROM merchants ORDER BY created_at, mchid"))?
                .query_map([], merchant)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            all.into_iter().map(|m| with_apps(c, m)).collect()
        })
    }

    async fn bind_merchant_app(&self, mchid: &str, appid: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("INSERT INTO merchant_apps (mchid, appid) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?.execute(params![mchid, appid])?;
            Ok(())
        })
    }

    async fn set_merchant_key_mode(&self, mchid: &str, mode: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("UPDATE merchants SET key_mode = ?2 WHERE mchid = ?1")?.execute(params![mchid, mode])?;
            Ok(())
        })
    }

    async fn set_merchant_refund_mode(&self, mchid: &str, mode: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("UPDATE merchants SET refund_mode = ?2 WHERE mchid = ?1")?.execute(params![mchid, mode])?;
            Ok(())
        })
    }

    async fn set_merchant_h5_domain(&self, mchid: &str, domain: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("UPDATE merchants SET h5_domain = ?2 WHERE mchid = ?1")?.execute(params![mchid, domain])?;
            Ok(())
        })
    }

    async fn use_pay_nonce(&self, mchid: &str, nonce: &str, now: i64, forget_before: i64) -> Result<bool> {
        // Grouped with the other payment requests' small writes.
        let (mchid, nonce) = (mchid.to_string(), nonce.to_string());
        self.write_grouped(move |tx| use_nonce(tx, &mchid, &nonce, now, forget_before)).await
    }

    async fn place_order(&self, o: &Order) -> Result<Placed> {
        let o = o.clone();
        self.write_grouped(move |tx| {
            if let Some(e) = find_order(tx, &OrderKey::OutTradeNo(o.mchid.clone(), o.out_trade_no.clone()))? {
                return Ok(Placed::Existing(Box::new(e)));
            }
            tx.prepare_cached(&format!(
                "INSERT INTO pay_orders ({ORDER_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)"
            ))?
            .execute(params![
                o.transaction_id, o.mchid, o.out_trade_no, o.appid, o.trade_type.wire(), o.description, o.attach, o.notify_url, o.goods_tag,
                o.total, o.currency, o.payer_openid, o.scene_info, o.fingerprint, o.prepay_id, o.prepay_expires_at, o.code_key,
                o.state.wire(), o.expires_at, o.created_at, o.success_time, o.payer_user, o.refunded, o.discount, o.promotion
            ])?;
            Ok(Placed::New)
        })
        .await
    }

    async fn renew_prepay(&self, transaction_id: &str, prepay_id: &str, until: i64) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("UPDATE pay_orders SET prepay_id = ?2, prepay_expires_at = ?3 WHERE transaction_id = ?1")?
                .execute(params![transaction_id, prepay_id, until])?;
            Ok(())
        })
    }

    async fn order(&self, key: &OrderKey) -> Result<Option<Order>> {
        self.read(|c| find_order(c, key))
    }

    async fn close_order(&self, mchid: &str, out_trade_no: &str) -> Result<Option<Order>> {
        self.write(|tx| {
            tx.prepare_cached("UPDATE pay_orders SET state = 'CLOSED' WHERE mchid = ?1 AND out_trade_no = ?2 AND state IN ('NOTPAY', 'PAYERROR')")?
                .execute(params![mchid, out_trade_no])?;
            find_order(tx, &OrderKey::OutTradeNo(mchid.into(), out_trade_no.into()))
        })
    }

    async fn pay_order(&self, p: &Payment, check: &Check<'_>, notify: &Notify<'_, Order>) -> Result<PayResult> {
        self.write(|tx| {
            let Some(o) = find_order(tx, &p.key)? else { return Ok(PayResult::Missing) };
            if let Err(r) = check(&o) {
                return Ok(PayResult::Refused(r));
            }
            if let Some(c) = &p.coupon {
                let n = tx
                    .prepare_cached("UPDATE coupons SET status = 'USED', used_time = ?3, transaction_id = ?4, used_mchid = ?5 WHERE coupon_id = ?1 AND user_id = ?2 AND status = 'SENDED'")?
                    .execute(params![c.coupon_id, p.user, p.now, o.transaction_id, o.mchid])?;
                if n == 0 {
                    return Ok(PayResult::CouponGone);
                }
            }
            let t = payment_txn(&o, p)?;
            match post_in(tx, &t, &checked_legs(&t)?, p.now)? {
                Posted::New(_) => {}
                Posted::Insufficient(_, balance) => {
                    if let Some(c) = &p.coupon {
                        tx.prepare_cached("UPDATE coupons SET status = 'SENDED', used_time = NULL, transaction_id = NULL, used_mchid = NULL WHERE coupon_id = ?1")?.execute([&c.coupon_id])?;
                    }
                    tx.prepare_cached("UPDATE pay_orders SET state = 'PAYERROR' WHERE transaction_id = ?1")?.execute([&o.transaction_id])?;
                    return Ok(PayResult::Insufficient(balance));
                }
                dup @ Posted::Duplicate(_) => return Err(ledger_failed(dup)),
            }
            if let Some(c) = &p.coupon {
                tx.prepare_cached("UPDATE pay_orders SET discount = ?2, promotion = ?3 WHERE transaction_id = ?1")?.execute(params![o.transaction_id, c.amount, c.promotion])?;
            }
            tx.prepare_cached(
                "UPDATE pay_orders SET state = 'SUCCESS', success_time = ?2, payer_user = ?3, payer_openid = ?4 WHERE transaction_id = ?1",
            )?
            .execute(params![o.transaction_id, p.now, p.user, p.openid])?;
            let paid = find_order(tx, &p.key)?.ok_or_else(|| StoreError::Other("the paid order vanished".into()))?;
            let m = load_merchant(tx, &paid.mchid)?.ok_or_else(|| StoreError::Other("the order's merchant vanished".into()))?;
            if let Some(n) = notify(&paid, &m) {
                queue_notification(tx, &n, p.now, p.now_ms)?;
            }
            if let Some(n) = p.coupon.as_ref().and_then(|c| c.notification.as_ref()) {
                queue_notification(tx, n, p.now, p.now_ms)?;
            }
            Ok(PayResult::Paid(Box::new(paid)))
        })
    }

    async fn create_refund(&self, r: &NewRefund, check: &Check<'_>) -> Result<RefundResult> {
        self.write(|tx| {
            if let Some(e) = find_refund(tx, &r.mchid, &r.out_refund_no)? {
                return Ok(RefundResult::Existing(e));
            }
            let Some(o) = find_order(tx, &r.order)? else { return Ok(RefundResult::OrderMissing) };
            if let Err(x) = check(&o) {
                return Ok(RefundResult::Refused(x));
            }
            let t = Txn::transfer(format!("refund:{}", r.refund_id), Book::Merchant(o.mchid.clone()), Book::Refund(r.refund_id.clone()), r.amount)
                .map_err(|e| StoreError::Other(format!("{e:?}")))?;
            match post_in(tx, &t, &checked_legs(&t)?, r.now)? {
                Posted::New(_) => {}
                Posted::Insufficient(_, balance) => return Ok(RefundResult::NotEnough(balance)),
                dup @ Posted::Duplicate(_) => return Err(ledger_failed(dup)),
            }
            let payer = o.payer_user.clone().unwrap_or_default();
            tx.prepare_cached(&format!(
                "INSERT INTO pay_refunds ({REFUND_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'PROCESSING', ?11, NULL, ?12, ?13)"
            ))?
            .execute(params![
                r.refund_id, r.mchid, r.out_refund_no, o.transaction_id, o.out_trade_no, r.amount, r.total, r.reason, r.notify_url,
                r.fingerprint, r.now, payer, o.discount
            ])?;
            tx.prepare_cached("UPDATE pay_orders SET state = 'REFUND', refunded = refunded + ?2 WHERE transaction_id = ?1")?
                .execute(params![o.transaction_id, r.amount])?;
            queue_job(tx, "refund_settle", &o.appid, &r.refund_id, r.now_ms)?;
            let created = find_refund(tx, &r.mchid, &r.out_refund_no)?.ok_or_else(|| StoreError::Other("the refund vanished".into()))?;
            Ok(RefundResult::Created(created))
        })
    }

    async fn settle_refund(&self, refund_id: &str, status: RefundStatus, now: i64, now_ms: i64, job_id: Option<i64>, notify: &Notify<'_, Refund>) -> Result<Option<Refund>> {
        self.write(|tx| {
            if let Some(j) = job_id {
                super::jobs::end_job(tx, j, now_ms)?;
            }
            let get = |tx: &rusqlite::Transaction<'_>| -> Result<Option<Refund>> {
                Ok(tx.prepare_cached(&format!("SELECT {REFUND_COLS} FROM pay_refunds WHERE refund_id = ?1"))?.query_row([refund_id], refund).optional()?)
            };
            let Some(rf) = get(tx)? else { return Ok(None) };
            if rf.status != RefundStatus::Processing || status == RefundStatus::Processing {
                return Ok(None);
            }
            let t = settle_txn(&rf, status);
            match post_in(tx, &t, &checked_legs(&t)?, now)? {
                Posted::New(_) => {}
                other => return Err(ledger_failed(other)),
            }
            let success_time = (status == RefundStatus::Success).then_some(now);
            tx.prepare_cached("UPDATE pay_refunds SET status = ?2, success_time = ?3 WHERE refund_id = ?1")?
                .execute(params![refund_id, status.wire(), success_time])?;
            if status != RefundStatus::Success {
                tx.prepare_cached("UPDATE pay_orders SET refunded = refunded - ?2 WHERE transaction_id = ?1")?.execute(params![rf.transaction_id, rf.amount])?;
            }
            let settled = get(tx)?.ok_or_else(|| StoreError::Other("the refund vanished".into()))?;
            let m = load_merchant(tx, &settled.mchid)?.ok_or_else(|| StoreError::Other("the refund's merchant vanished".into()))?;
            if let Some(n) = notify(&settled, &m) {
                queue_notification(tx, &n, now, now_ms)?;
            }
            Ok(Some(settled))
        })
    }

    async fn refund(&self, mchid: &str, out_refund_no: &str) -> Result<Option<Refund>> {
        self.read(|c| find_refund(c, mchid, out_refund_no))
    }

    async fn refund_by_id(&self, refund_id: &str) -> Result<Option<Refund>> {
        self.read(|c| Ok(c.prepare_cached(&format!("SELECT {REFUND_COLS} FROM pay_refunds WHERE refund_id = ?1"))?.query_row([refund_id], refund).optional()?))
    }

    async fn refunds_of(&self, transaction_id: &str) -> Result<Vec<Refund>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!("SELECT {REFUND_COLS} FROM pay_refunds WHERE transaction_id = ?1 ORDER BY created_at, refund_id"))?
                .query_map([transaction_id], refund)?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    async fn orders_paid_between(&self, mchid: &str, from: i64, to: i64) -> Result<Vec<Order>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {ORDER_COLS} FROM pay_orders WHERE mchid = ?1 AND success_time >= ?2 AND success_time < ?3 ORDER BY success_time, transaction_id"
            ))?
            .query_map(params![mchid, from, to], order)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    async fn refunds_between(&self, mchid: &str, from: i64, to: i64) -> Result<Vec<Refund>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {REFUND_COLS} FROM pay_refunds WHERE mchid = ?1 AND created_at >= ?2 AND created_at < ?3 ORDER BY created_at, refund_id"
            ))?
            .query_map(params![mchid, from, to], refund)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    async fn pay_notifications(&self, mchid: &str, limit: i64) -> Result<Vec<Notification>> {
        self.read(|c| {
            let rows: Vec<(i64, String, String, i64)> = c
                .prepare_cached("SELECT job_id, event_type, subject, created_at FROM pay_notifications WHERE mchid = ?1 ORDER BY job_id DESC LIMIT ?2")?
                .query_map(params![mchid, limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(rows.len());
            for (job_id, event_type, subject, created_at) in rows {
                let job = c
                    .prepare_cached(&format!("SELECT {} FROM jobs WHERE id = ?1", super::jobs::job_cols("jobs")))?
                    .query_row([job_id], super::jobs::job)?;
                out.push(Notification { event_type, subject, created_at, job });
            }
            Ok(out)
        })
    }
}
