// PayStore on PostgreSQL (see the SQLite twin). Paying, refunding and settling lock the
// order (or refund) row first, so two nodes acting on one order take turns; the ledger's
// books are then locked in book order.

use crate::pay::{MERCHANT_COLS as PG_MERCHANT_COLS, ORDER_COLS as PG_ORDER_COLS, REFUND_COLS as PG_REFUND_COLS};

fn merchant_from_row(r: &DbRow) -> crate::Result<crate::pay::Merchant> {
    Ok(crate::pay::Merchant {
        mchid: r.try_get(0)?,
        name: r.try_get(1)?,
        apiv3_key: r.try_get(2)?,
        api_key: r.try_get(3)?,
        mch_serial: r.try_get(4)?,
        mch_public_key: r.try_get(5)?,
        mch_certificate: r.try_get(6)?,
        platform_serial: r.try_get(7)?,
        platform_certificate: r.try_get(8)?,
        platform_not_before: r.try_get(9)?,
        platform_not_after: r.try_get(10)?,
        public_key_id: r.try_get(11)?,
        key_mode: r.try_get(12)?,
        created_at: r.try_get(13)?,
        refund_mode: r.try_get(14)?,
        h5_domain: r.try_get(15)?,
        appids: Vec::new(),
    })
}

fn order_from_row(r: &DbRow) -> crate::Result<crate::pay::Order> {
    let tt: String = r.try_get(4)?;
    let state: String = r.try_get(17)?;
    Ok(crate::pay::Order {
        transaction_id: r.try_get(0)?,
        mchid: r.try_get(1)?,
        out_trade_no: r.try_get(2)?,
        appid: r.try_get(3)?,
        trade_type: herald_domain::pay::TradeType::from_wire(&tt).ok_or_else(|| bad_value("trade type", &tt))?,
        description: r.try_get(5)?,
        attach: r.try_get(6)?,
        notify_url: r.try_get(7)?,
        goods_tag: r.try_get(8)?,
        total: r.try_get(9)?,
        currency: r.try_get(10)?,
        payer_openid: r.try_get(11)?,
        scene_info: r.try_get(12)?,
        fingerprint: r.try_get(13)?,
        prepay_id: r.try_get(14)?,
        prepay_expires_at: r.try_get(15)?,
        code_key: r.try_get(16)?,
        state: herald_domain::pay::TradeState::from_wire(&state).ok_or_else(|| bad_value("trade state", &state))?,
        expires_at: r.try_get(18)?,
        created_at: r.try_get(19)?,
        success_time: r.try_get(20)?,
        payer_user: r.try_get(21)?,
        refunded: r.try_get(22)?,
        discount: r.try_get(23)?,
        promotion: r.try_get(24)?,
    })
}

fn refund_from_row(r: &DbRow) -> crate::Result<crate::pay::Refund> {
    let status: String = r.try_get(10)?;
    Ok(crate::pay::Refund {
        refund_id: r.try_get(0)?,
        mchid: r.try_get(1)?,
        out_refund_no: r.try_get(2)?,
        transaction_id: r.try_get(3)?,
        out_trade_no: r.try_get(4)?,
        amount: r.try_get(5)?,
        total: r.try_get(6)?,
        reason: r.try_get(7)?,
        notify_url: r.try_get(8)?,
        fingerprint: r.try_get(9)?,
        status: herald_domain::pay::RefundStatus::from_wire(&status).ok_or_else(|| bad_value("refund status", &status))?,
        created_at: r.try_get(11)?,
        success_time: r.try_get(12)?,
        payer_user: r.try_get(13)?,
        discount: r.try_get(14)?,
    })
}

async fn pg_merchant(c: &mut sqlx::PgConnection, mchid: &str) -> crate::Result<Option<crate::pay::Merchant>> {
    let row = sqlx::query(&format!("SELECT {PG_MERCHANT_COLS} FROM merchants WHERE mchid = $1")).bind(mchid).fetch_optional(&mut *c).await?;
    let Some(row) = row else { return Ok(None) };
    let mut m = merchant_from_row(&row)?;
    m.appids = sqlx::query_scalar("SELECT appid FROM merchant_apps WHERE mchid = $1 ORDER BY appid").bind(mchid).fetch_all(&mut *c).await?;
    Ok(Some(m))
}

fn order_where(key: &crate::pay::OrderKey) -> (&'static str, &str, &str) {
    use crate::pay::OrderKey;
    match key {
        OrderKey::OutTradeNo(m, n) => ("mchid = $1 AND out_trade_no = $2", m.as_str(), n.as_str()),
        OrderKey::TransactionId(m, t) => ("mchid = $1 AND transaction_id = $2", m.as_str(), t.as_str()),
        OrderKey::PrepayId(p) => ("$1 = $1 AND prepay_id = $2", "", p.as_str()),
        OrderKey::CodeKey(k) => ("$1 = $1 AND code_key = $2", "", k.as_str()),
    }
}

async fn pg_order<'c, E: sqlx::PgExecutor<'c>>(ex: E, key: &crate::pay::OrderKey, lock: bool) -> crate::Result<Option<crate::pay::Order>> {
    let (cond, a, b) = order_where(key);
    let sql = format!("SELECT {PG_ORDER_COLS} FROM pay_orders WHERE {cond}{}", if lock { " FOR UPDATE" } else { "" });
    let row = sqlx::query(&sql).bind(a).bind(b).fetch_optional(ex).await?;
    row.as_ref().map(order_from_row).transpose()
}

async fn pg_refund_by<'c, E: sqlx::PgExecutor<'c>>(ex: E, cond: &str, a: &str, b: &str) -> crate::Result<Option<crate::pay::Refund>> {
    let row = sqlx::query(&format!("SELECT {PG_REFUND_COLS} FROM pay_refunds WHERE {cond}")).bind(a).bind(b).fetch_optional(ex).await?;
    row.as_ref().map(refund_from_row).transpose()
}

/// Queues a job outside any conversation (never blocked); its id.
async fn pg_queue_job(tx: &mut Tx, kind: &str, appid: &str, payload: &str, run_at_ms: i64) -> crate::Result<i64> {
    insert_job(tx, &NewJob { kind, appid, user_id: None, message_seq: None, payload, run_at: run_at_ms }).await
}

async fn pg_queue_notification(tx: &mut Tx, n: &crate::pay::NewNotification, now: i64, run_at_ms: i64) -> crate::Result<()> {
    let job = pg_queue_job(tx, "pay_notify", &n.appid, &n.payload, run_at_ms).await?;
    sqlx::query("INSERT INTO pay_notifications (job_id, mchid, event_type, subject, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(job)
        .bind(&n.mchid)
        .bind(&n.event_type)
        .bind(&n.subject)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn pg_ledger_failed(p: crate::Posted) -> crate::StoreError {
    crate::StoreError::Other(format!("ledger posting refused: {p:?}"))
}

#[async_trait::async_trait]
impl crate::PayStore for Backend {
    async fn create_merchant(&self, m: &crate::pay::Merchant) -> crate::Result<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(&format!(
            "INSERT INTO merchants ({PG_MERCHANT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING"
        ))
        .bind(&m.mchid)
        .bind(&m.name)
        .bind(&m.apiv3_key)
        .bind(&m.api_key)
        .bind(&m.mch_serial)
        .bind(&m.mch_public_key)
        .bind(&m.mch_certificate)
        .bind(&m.platform_serial)
        .bind(&m.platform_certificate)
        .bind(m.platform_not_before)
        .bind(m.platform_not_after)
        .bind(&m.public_key_id)
        .bind(&m.key_mode)
        .bind(m.created_at)
        .bind(&m.refund_mode)
        .bind(&m.h5_domain)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            for a in &m.appids {
                sqlx::query("INSERT INTO merchant_apps (mchid, appid) VALUES ($1, $2) ON CONFLICT DO NOTHING").bind(&m.mchid).bind(a).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn merchant(&self, mchid: &str) -> crate::Result<Option<crate::pay::Merchant>> {
        pg_merchant(&mut *self.reader().acquire().await?, mchid).await
    }

    async fn merchants(&self) -> crate::Result<Vec<crate::pay::Merchant>> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT mchid FROM merchants ORDER BY created_at, mchid").fetch_all(self.reader()).await?;
        let mut out = Vec::with_capacity(ids.len());
        let mut c = self.reader().acquire().await?;
        for id in ids {
            out.extend(pg_merchant(&mut c, &id).await?);
        }
        Ok(out)
    }

    async fn bind_merchant_app(&self, mchid: &str, appid: &str) -> crate::Result<()> {
        sqlx::query("INSERT INTO merchant_apps (mchid, appid) VALUES ($1, $2) ON CONFLICT DO NOTHING").bind(mchid).bind(appid).execute(self.writer()).await?;
        Ok(())
    }

    async fn set_merchant_key_mode(&self, mchid: &str, mode: &str) -> crate::Result<()> {
        sqlx::query("UPDATE merchants SET key_mode = $2 WHERE mchid = $1").bind(mchid).bind(mode).execute(self.writer()).await?;
        Ok(())
    }

    async fn set_merchant_refund_mode(&self, mchid: &str, mode: &str) -> crate::Result<()> {
        sqlx::query("UPDATE merchants SET refund_mode = $2 WHERE mchid = $1").bind(mchid).bind(mode).execute(self.writer()).await?;
        Ok(())
    }

    async fn set_merchant_h5_domain(&self, mchid: &str, domain: &str) -> crate::Result<()> {
        sqlx::query("UPDATE merchants SET h5_domain = $2 WHERE mchid = $1").bind(mchid).bind(domain).execute(self.writer()).await?;
        Ok(())
    }

    async fn use_pay_nonce(&self, mchid: &str, nonce: &str, now: i64, forget_before: i64) -> crate::Result<bool> {
        if rand::random::<u8>() == 0 {
            sqlx::query("DELETE FROM pay_nonces WHERE at < $1").bind(forget_before).execute(self.writer()).await?;
        }
        let n = sqlx::query("INSERT INTO pay_nonces (mchid, nonce, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(mchid)
            .bind(nonce)
            .bind(now)
            .execute(self.writer())
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn place_order(&self, o: &crate::pay::Order) -> crate::Result<crate::pay::Placed> {
        let n = sqlx::query(&format!(
            "INSERT INTO pay_orders ({PG_ORDER_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) \
             ON CONFLICT (mchid, out_trade_no) DO NOTHING"
        ))
        .bind(&o.transaction_id)
        .bind(&o.mchid)
        .bind(&o.out_trade_no)
        .bind(&o.appid)
        .bind(o.trade_type.wire())
        .bind(&o.description)
        .bind(&o.attach)
        .bind(&o.notify_url)
        .bind(&o.goods_tag)
        .bind(o.total)
        .bind(&o.currency)
        .bind(&o.payer_openid)
        .bind(&o.scene_info)
        .bind(&o.fingerprint)
        .bind(&o.prepay_id)
        .bind(o.prepay_expires_at)
        .bind(&o.code_key)
        .bind(o.state.wire())
        .bind(o.expires_at)
        .bind(o.created_at)
        .bind(o.success_time)
        .bind(&o.payer_user)
        .bind(o.refunded)
        .bind(o.discount)
        .bind(&o.promotion)
        .execute(self.writer())
        .await?
        .rows_affected();
        if n == 1 {
            return Ok(crate::pay::Placed::New);
        }
        let key = crate::pay::OrderKey::OutTradeNo(o.mchid.clone(), o.out_trade_no.clone());
        let existing = pg_order(self.writer(), &key, false).await?.ok_or_else(|| crate::StoreError::Other("the conflicting order vanished".into()))?;
        Ok(crate::pay::Placed::Existing(Box::new(existing)))
    }

    async fn renew_prepay(&self, transaction_id: &str, prepay_id: &str, until: i64) -> crate::Result<()> {
        sqlx::query("UPDATE pay_orders SET prepay_id = $2, prepay_expires_at = $3 WHERE transaction_id = $1")
            .bind(transaction_id)
            .bind(prepay_id)
            .bind(until)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn order(&self, key: &crate::pay::OrderKey) -> crate::Result<Option<crate::pay::Order>> {
        pg_order(self.reader(), key, false).await
    }

    async fn close_order(&self, mchid: &str, out_trade_no: &str) -> crate::Result<Option<crate::pay::Order>> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE pay_orders SET state = 'CLOSED' WHERE mchid = $1 AND out_trade_no = $2 AND state IN ('NOTPAY', 'PAYERROR')")
            .bind(mchid)
            .bind(out_trade_no)
            .execute(&mut *tx)
            .await?;
        let o = pg_order(&mut *tx, &crate::pay::OrderKey::OutTradeNo(mchid.into(), out_trade_no.into()), false).await?;
        tx.commit().await?;
        Ok(o)
    }

    async fn pay_order(&self, p: &crate::pay::Payment, check: &crate::pay::Check<'_>, notify: &crate::pay::Notify<'_, crate::pay::Order>) -> crate::Result<crate::pay::PayResult> {
        use crate::pay::PayResult;
        let mut tx = self.begin().await?;
        let Some(o) = pg_order(&mut *tx, &p.key, true).await? else { return Ok(PayResult::Missing) };
        if let Err(r) = check(&o) {
            return Ok(PayResult::Refused(r));
        }
        if let Some(c) = &p.coupon {
            let n = sqlx::query("UPDATE coupons SET status = 'USED', used_time = $3, transaction_id = $4, used_mchid = $5 WHERE coupon_id = $1 AND user_id = $2 AND status = 'SENDED'")
                .bind(&c.coupon_id)
                .bind(&p.user)
                .bind(p.now)
                .bind(&o.transaction_id)
                .bind(&o.mchid)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                tx.commit().await?;
                return Ok(PayResult::CouponGone);
            }
        }
        let t = crate::pay::payment_txn(&o, p)?;
        match pg_post_in(&mut tx, &t, p.now).await? {
            crate::Posted::New(_) => {}
            crate::Posted::Insufficient(_, balance) => {
                if let Some(c) = &p.coupon {
                    sqlx::query("UPDATE coupons SET status = 'SENDED', used_time = NULL, transaction_id = NULL, used_mchid = NULL WHERE coupon_id = $1").bind(&c.coupon_id).execute(&mut *tx).await?;
                }
                sqlx::query("UPDATE pay_orders SET state = 'PAYERROR' WHERE transaction_id = $1").bind(&o.transaction_id).execute(&mut *tx).await?;
                tx.commit().await?;
                return Ok(PayResult::Insufficient(balance));
            }
            dup => return Err(pg_ledger_failed(dup)),
        }
        if let Some(c) = &p.coupon {
            sqlx::query("UPDATE pay_orders SET discount = $2, promotion = $3 WHERE transaction_id = $1")
                .bind(&o.transaction_id)
                .bind(c.amount)
                .bind(&c.promotion)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE pay_orders SET state = 'SUCCESS', success_time = $2, payer_user = $3, payer_openid = $4 WHERE transaction_id = $1")
            .bind(&o.transaction_id)
            .bind(p.now)
            .bind(&p.user)
            .bind(&p.openid)
            .execute(&mut *tx)
            .await?;
        let paid = pg_order(&mut *tx, &p.key, false).await?.ok_or_else(|| crate::StoreError::Other("the paid order vanished".into()))?;
        let m = pg_merchant(&mut tx, &paid.mchid).await?.ok_or_else(|| crate::StoreError::Other("the order's merchant vanished".into()))?;
        if let Some(n) = notify(&paid, &m) {
            pg_queue_notification(&mut tx, &n, p.now, p.now_ms).await?;
        }
        if let Some(n) = p.coupon.as_ref().and_then(|c| c.notification.as_ref()) {
            pg_queue_notification(&mut tx, n, p.now, p.now_ms).await?;
        }
        tx.commit().await?;
        Ok(PayResult::Paid(Box::new(paid)))
    }

    async fn create_refund(&self, r: &crate::pay::NewRefund, check: &crate::pay::Check<'_>) -> crate::Result<crate::pay::RefundResult> {
        use crate::pay::RefundResult;
        use herald_domain::ledger::{Book, Txn};
        let mut tx = self.begin().await?;
        // The order's lock serialises refunds of one order (and their out_refund_no checks).
        let Some(o) = pg_order(&mut *tx, &r.order, true).await? else {
            // An unknown order can still be a known refund's (same out_refund_no, other key).
            return Ok(match pg_refund_by(&mut *tx, "mchid = $1 AND out_refund_no = $2", &r.mchid, &r.out_refund_no).await? {
                Some(e) => RefundResult::Existing(e),
                None => RefundResult::OrderMissing,
            });
        };
        if let Some(e) = pg_refund_by(&mut *tx, "mchid = $1 AND out_refund_no = $2", &r.mchid, &r.out_refund_no).await? {
            return Ok(RefundResult::Existing(e));
        }
        if let Err(x) = check(&o) {
            return Ok(RefundResult::Refused(x));
        }
        let t = Txn::transfer(format!("refund:{}", r.refund_id), Book::Merchant(o.mchid.clone()), Book::Refund(r.refund_id.clone()), r.amount)
            .map_err(|e| crate::StoreError::Other(format!("{e:?}")))?;
        match pg_post_in(&mut tx, &t, r.now).await? {
            crate::Posted::New(_) => {}
            crate::Posted::Insufficient(_, balance) => return Ok(RefundResult::NotEnough(balance)),
            dup => return Err(pg_ledger_failed(dup)),
        }
        sqlx::query(&format!(
            "INSERT INTO pay_refunds ({PG_REFUND_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'PROCESSING', $11, NULL, $12, $13)"
        ))
        .bind(&r.refund_id)
        .bind(&r.mchid)
        .bind(&r.out_refund_no)
        .bind(&o.transaction_id)
        .bind(&o.out_trade_no)
        .bind(r.amount)
        .bind(r.total)
        .bind(&r.reason)
        .bind(&r.notify_url)
        .bind(&r.fingerprint)
        .bind(r.now)
        .bind(o.payer_user.clone().unwrap_or_default())
        .bind(o.discount)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE pay_orders SET state = 'REFUND', refunded = refunded + $2 WHERE transaction_id = $1")
            .bind(&o.transaction_id)
            .bind(r.amount)
            .execute(&mut *tx)
            .await?;
        pg_queue_job(&mut tx, "refund_settle", &o.appid, &r.refund_id, r.now_ms).await?;
        let created = pg_refund_by(&mut *tx, "mchid = $1 AND out_refund_no = $2", &r.mchid, &r.out_refund_no)
            .await?
            .ok_or_else(|| crate::StoreError::Other("the refund vanished".into()))?;
        tx.commit().await?;
        Ok(RefundResult::Created(created))
    }

    async fn settle_refund(
        &self,
        refund_id: &str,
        status: herald_domain::pay::RefundStatus,
        now: i64,
        now_ms: i64,
        job_id: Option<i64>,
        notify: &crate::pay::Notify<'_, crate::pay::Refund>,
    ) -> crate::Result<Option<crate::pay::Refund>> {
        use herald_domain::pay::RefundStatus;
        let mut tx = self.begin().await?;
        if let Some(j) = job_id {
            end_job(&mut tx, j, now_ms).await?;
        }
        let row = sqlx::query(&format!("SELECT {PG_REFUND_COLS} FROM pay_refunds WHERE refund_id = $1 FOR UPDATE")).bind(refund_id).fetch_optional(&mut *tx).await?;
        let Some(rf) = row.as_ref().map(refund_from_row).transpose()? else {
            tx.commit().await?;
            return Ok(None);
        };
        if rf.status != RefundStatus::Processing || status == RefundStatus::Processing {
            tx.commit().await?;
            return Ok(None);
        }
        let t = crate::pay::settle_txn(&rf, status);
        match pg_post_in(&mut tx, &t, now).await? {
            crate::Posted::New(_) => {}
            other => return Err(pg_ledger_failed(other)),
        }
        let success_time = (status == RefundStatus::Success).then_some(now);
        sqlx::query("UPDATE pay_refunds SET status = $2, success_time = $3 WHERE refund_id = $1")
            .bind(refund_id)
            .bind(status.wire())
            .bind(success_time)
            .execute(&mut *tx)
            .await?;
        if status != RefundStatus::Success {
            sqlx::query("UPDATE pay_orders SET refunded = refunded - $2 WHERE transaction_id = $1").bind(&rf.transaction_id).bind(rf.amount).execute(&mut *tx).await?;
        }
        let settled = pg_refund_by(&mut *tx, "$1 = $1 AND refund_id = $2", "", refund_id)
            .await?
            .ok_or_else(|| crate::StoreError::Other("the refund vanished".into()))?;
        let m = pg_merchant(&mut tx, &settled.mchid).await?.ok_or_else(|| crate::StoreError::Other("the refund's merchant vanished".into()))?;
        if let Some(n) = notify(&settled, &m) {
            pg_queue_notification(&mut tx, &n, now, now_ms).await?;
        }
        tx.commit().await?;
        Ok(Some(settled))
    }

    async fn refund(&self, mchid: &str, out_refund_no: &str) -> crate::Result<Option<crate::pay::Refund>> {
        pg_refund_by(self.reader(), "mchid = $1 AND out_refund_no = $2", mchid, out_refund_no).await
    }

    async fn refund_by_id(&self, refund_id: &str) -> crate::Result<Option<crate::pay::Refund>> {
        pg_refund_by(self.reader(), "$1 = $1 AND refund_id = $2", "", refund_id).await
    }

    async fn refunds_of(&self, transaction_id: &str) -> crate::Result<Vec<crate::pay::Refund>> {
        let rows = sqlx::query(&format!("SELECT {PG_REFUND_COLS} FROM pay_refunds WHERE transaction_id = $1 ORDER BY created_at, refund_id"))
            .bind(transaction_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(refund_from_row).collect()
    }

    async fn orders_paid_between(&self, mchid: &str, from: i64, to: i64) -> crate::Result<Vec<crate::pay::Order>> {
        let rows = sqlx::query(&format!(
            "SELECT {PG_ORDER_COLS} FROM pay_orders WHERE mchid = $1 AND success_time >= $2 AND success_time < $3 ORDER BY success_time, transaction_id"
        ))
        .bind(mchid)
        .bind(from)
        .bind(to)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(order_from_row).collect()
    }

    async fn refunds_between(&self, mchid: &str, from: i64, to: i64) -> crate::Result<Vec<crate::pay::Refund>> {
        let rows = sqlx::query(&format!(
            "SELECT {PG_REFUND_COLS} FROM pay_refunds WHERE mchid = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at, refund_id"
        ))
        .bind(mchid)
        .bind(from)
        .bind(to)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(refund_from_row).collect()
    }

    async fn pay_notifications(&self, mchid: &str, limit: i64) -> crate::Result<Vec<crate::pay::Notification>> {
        let sql = format!(
            "SELECT n.event_type, n.subject, n.created_at, {} FROM pay_notifications n JOIN jobs j ON j.id = n.job_id \
             WHERE n.mchid = $1 ORDER BY n.job_id DESC LIMIT $2",
            job_cols("j")
        );
        let rows = sqlx::query(&sql).bind(mchid).bind(limit).fetch_all(self.reader()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let job = job_from_row_at(r, 3)?;
            out.push(crate::pay::Notification { event_type: r.try_get(0)?, subject: r.try_get(1)?, created_at: r.try_get(2)?, job });
        }
        Ok(out)
    }
}
