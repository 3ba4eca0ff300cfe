// CouponStore on PostgreSQL (see the SQLite twin). Changing a stock and sending from it lock
// the stock row, so its limits hold across nodes; creating a stock locks the merchant row
// (FOR NO KEY UPDATE: foreign-key share locks of payments and refunds do not wait on it).

use crate::coupon::{COUPON_COLS as PG_COUPON_COLS, STOCK_COLS as PG_STOCK_COLS};

fn stock_from_row(r: &DbRow) -> crate::Result<crate::coupon::Stock> {
    let status: String = r.try_get(14)?;
    Ok(crate::coupon::Stock {
        stock_id: r.try_get(0)?,
        mchid: r.try_get(1)?,
        out_request_no: r.try_get(2)?,
        stock_name: r.try_get(3)?,
        comment: r.try_get(4)?,
        available_begin_time: r.try_get(5)?,
        available_end_time: r.try_get(6)?,
        max_coupons: r.try_get(7)?,
        max_amount: r.try_get(8)?,
        max_amount_by_day: r.try_get(9)?,
        max_coupons_per_user: r.try_get(10)?,
        coupon_amount: r.try_get(11)?,
        transaction_minimum: r.try_get(12)?,
        no_cash: r.try_get::<i64, _>(13)? != 0,
        status: herald_domain::coupon::StockStatus::from_wire(&status).ok_or_else(|| crate::StoreError::Other(format!("bad stock status {status:?}")))?,
        distributed_coupons: r.try_get(15)?,
        rules: r.try_get(16)?,
        fingerprint: r.try_get(17)?,
        create_time: r.try_get(18)?,
        start_time: r.try_get(19)?,
        stop_time: r.try_get(20)?,
    })
}

fn coupon_from_row(r: &DbRow) -> crate::Result<crate::coupon::Coupon> {
    let status: String = r.try_get(6)?;
    Ok(crate::coupon::Coupon {
        coupon_id: r.try_get(0)?,
        stock_id: r.try_get(1)?,
        appid: r.try_get(2)?,
        openid: r.try_get(3)?,
        user_id: r.try_get(4)?,
        out_request_no: r.try_get(5)?,
        status: herald_domain::coupon::CouponStatus::from_wire(&status).ok_or_else(|| crate::StoreError::Other(format!("bad coupon status {status:?}")))?,
        create_time: r.try_get(7)?,
        used_time: r.try_get(8)?,
        transaction_id: r.try_get(9)?,
        used_mchid: r.try_get(10)?,
    })
}

async fn pg_stock<'c, E: sqlx::PgExecutor<'c>>(ex: E, stock_id: &str, lock: bool) -> crate::Result<Option<crate::coupon::Stock>> {
    let sql = format!("SELECT {PG_STOCK_COLS} FROM coupon_stocks WHERE stock_id = $1{}", if lock { " FOR UPDATE" } else { "" });
    sqlx::query(&sql).bind(stock_id).fetch_optional(ex).await?.as_ref().map(stock_from_row).transpose()
}

async fn pg_coupon<'c, E: sqlx::PgExecutor<'c>>(ex: E, cond: &str, a: &str, b: &str) -> crate::Result<Option<crate::coupon::Coupon>> {
    sqlx::query(&format!("SELECT {PG_COUPON_COLS} FROM coupons WHERE {cond}")).bind(a).bind(b).fetch_optional(ex).await?.as_ref().map(coupon_from_row).transpose()
}

fn pg_stock_vanished() -> crate::StoreError {
    crate::StoreError::Other("the stock vanished".into())
}

#[async_trait::async_trait]
impl crate::CouponStore for Backend {
    async fn create_stock(&self, s: &crate::coupon::Stock) -> crate::Result<crate::coupon::StockPlaced> {
        use crate::coupon::StockPlaced;
        let mut tx = self.begin().await?;
        sqlx::query("SELECT mchid FROM merchants WHERE mchid = $1 FOR NO KEY UPDATE").bind(&s.mchid).fetch_optional(&mut *tx).await?;
        let prior = sqlx::query(&format!("SELECT {PG_STOCK_COLS} FROM coupon_stocks WHERE mchid = $1 AND out_request_no = $2"))
            .bind(&s.mchid)
            .bind(&s.out_request_no)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(p) = prior {
            tx.commit().await?;
            return Ok(StockPlaced::Existing(stock_from_row(&p)?));
        }
        sqlx::query(&format!(
            "INSERT INTO coupon_stocks ({PG_STOCK_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
        ))
        .bind(&s.stock_id)
        .bind(&s.mchid)
        .bind(&s.out_request_no)
        .bind(&s.stock_name)
        .bind(&s.comment)
        .bind(s.available_begin_time)
        .bind(s.available_end_time)
        .bind(s.max_coupons)
        .bind(s.max_amount)
        .bind(s.max_amount_by_day)
        .bind(s.max_coupons_per_user)
        .bind(s.coupon_amount)
        .bind(s.transaction_minimum)
        .bind(s.no_cash as i64)
        .bind(s.status.wire())
        .bind(s.distributed_coupons)
        .bind(&s.rules)
        .bind(&s.fingerprint)
        .bind(s.create_time)
        .bind(s.start_time)
        .bind(s.stop_time)
        .execute(&mut *tx)
        .await?;
        let created = pg_stock(&mut *tx, &s.stock_id, false).await?.ok_or_else(pg_stock_vanished)?;
        tx.commit().await?;
        Ok(StockPlaced::New(created))
    }

    async fn stock(&self, stock_id: &str) -> crate::Result<Option<crate::coupon::Stock>> {
        pg_stock(self.reader(), stock_id, false).await
    }

    async fn stocks(&self, mchid: &str, status: Option<herald_domain::coupon::StockStatus>, offset: i64, limit: i64) -> crate::Result<(Vec<crate::coupon::Stock>, i64)> {
        let st = status.map(|s| s.wire()).unwrap_or("");
        let cond = "mchid = $1 AND ($2 = '' OR status = $2)";
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM coupon_stocks WHERE {cond}")).bind(mchid).bind(st).fetch_one(self.reader()).await?;
        let rows = sqlx::query(&format!("SELECT {PG_STOCK_COLS} FROM coupon_stocks WHERE {cond} ORDER BY create_time DESC, stock_id DESC LIMIT $3 OFFSET $4"))
            .bind(mchid)
            .bind(st)
            .bind(limit)
            .bind(offset)
            .fetch_all(self.reader())
            .await?;
        Ok((rows.iter().map(stock_from_row).collect::<crate::Result<Vec<_>>>()?, total))
    }

    async fn change_stock(&self, stock_id: &str, action: herald_domain::coupon::StockAction, now: i64) -> crate::Result<crate::coupon::StockChange> {
        use crate::coupon::StockChange;
        let mut tx = self.begin().await?;
        let Some(s) = pg_stock(&mut *tx, stock_id, true).await? else {
            tx.commit().await?;
            return Ok(StockChange::Missing);
        };
        let to = match herald_domain::coupon::transition(s.status, action) {
            Ok(t) => t,
            Err(r) => {
                tx.commit().await?;
                return Ok(StockChange::Refused(r));
            }
        };
        let left: i64 = if s.moves_money(action) {
            let held: Option<i64> = sqlx::query_scalar("SELECT balance FROM ledger_books WHERE book = $1")
                .bind(herald_domain::ledger::Book::CouponStock(stock_id.into()).key())
                .fetch_optional(&mut *tx)
                .await?;
            held.unwrap_or(0)
        } else {
            0
        };
        if let Some(t) = s.money(action, left)? {
            match pg_post_in(&mut tx, &t, now).await? {
                crate::Posted::New(_) => {}
                crate::Posted::Insufficient(_, balance) => return Ok(StockChange::NotEnough(balance)),
                dup => return Err(pg_ledger_failed(dup)),
            }
        }
        let (start, stop) = s.times_after(action, now);
        sqlx::query("UPDATE coupon_stocks SET status = $2, start_time = $3, stop_time = $4 WHERE stock_id = $1")
            .bind(stock_id)
            .bind(to.wire())
            .bind(start)
            .bind(stop)
            .execute(&mut *tx)
            .await?;
        let changed = pg_stock(&mut *tx, stock_id, false).await?.ok_or_else(pg_stock_vanished)?;
        tx.commit().await?;
        Ok(StockChange::Changed(Box::new(changed)))
    }

    async fn send_coupon(&self, c: &crate::coupon::Coupon, now: i64) -> crate::Result<crate::coupon::CouponSent> {
        use crate::coupon::CouponSent;
        let mut tx = self.begin().await?;
        // The stock's lock serialises sends from it (its limits and out_request_no checks).
        let Some(s) = pg_stock(&mut *tx, &c.stock_id, true).await? else {
            tx.commit().await?;
            return Ok(CouponSent::StockMissing);
        };
        if let Some(e) = pg_coupon(&mut *tx, "stock_id = $1 AND out_request_no = $2", &c.stock_id, &c.out_request_no).await? {
            tx.commit().await?;
            return Ok(CouponSent::Existing(e));
        }
        let (has,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM coupons WHERE stock_id = $1 AND user_id = $2").bind(&c.stock_id).bind(&c.user_id).fetch_one(&mut *tx).await?;
        if let Err(r) = herald_domain::coupon::check_send(&s.state(), has, now) {
            tx.commit().await?;
            return Ok(CouponSent::Refused(r));
        }
        sqlx::query(&format!("INSERT INTO coupons ({PG_COUPON_COLS}) VALUES ($1, $2, $3, $4, $5, $6, 'SENDED', $7, NULL, NULL, NULL)"))
            .bind(&c.coupon_id)
            .bind(&c.stock_id)
            .bind(&c.appid)
            .bind(&c.openid)
            .bind(&c.user_id)
            .bind(&c.out_request_no)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE coupon_stocks SET distributed_coupons = distributed_coupons + 1 WHERE stock_id = $1").bind(&c.stock_id).execute(&mut *tx).await?;
        let sent = pg_coupon(&mut *tx, "$1 = $1 AND coupon_id = $2", "", &c.coupon_id).await?.ok_or_else(|| crate::StoreError::Other("the coupon vanished".into()))?;
        tx.commit().await?;
        Ok(CouponSent::Sent(sent))
    }

    async fn coupon(&self, coupon_id: &str) -> crate::Result<Option<crate::coupon::Coupon>> {
        pg_coupon(self.reader(), "$1 = $1 AND coupon_id = $2", "", coupon_id).await
    }

    async fn coupons_of(&self, openid: &str) -> crate::Result<Vec<crate::coupon::Coupon>> {
        let rows = sqlx::query(&format!("SELECT {PG_COUPON_COLS} FROM coupons WHERE openid = $1 ORDER BY create_time DESC, coupon_id DESC"))
            .bind(openid)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(coupon_from_row).collect()
    }

    async fn used_coupons(&self, stock_id: &str, until: i64) -> crate::Result<Vec<crate::coupon::Coupon>> {
        let rows = sqlx::query(&format!(
            "SELECT {PG_COUPON_COLS} FROM coupons WHERE stock_id = $1 AND status = 'USED' AND used_time <= $2 ORDER BY used_time, coupon_id"
        ))
        .bind(stock_id)
        .bind(until)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(coupon_from_row).collect()
    }

    async fn usable_coupons(&self, user_id: &str) -> crate::Result<Vec<(crate::coupon::Coupon, crate::coupon::Stock)>> {
        let rows = sqlx::query(&format!("SELECT {PG_COUPON_COLS} FROM coupons WHERE user_id = $1 AND status = 'SENDED' ORDER BY create_time, coupon_id"))
            .bind(user_id)
            .fetch_all(self.reader())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let c = coupon_from_row(r)?;
            if let Some(s) = pg_stock(self.reader(), &c.stock_id, false).await? {
                out.push((c, s));
            }
        }
        Ok(out)
    }

    async fn set_coupon_callback(&self, cb: &crate::coupon::CouponCallback) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO coupon_callbacks (mchid, notify_url, enabled, update_time) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (mchid) DO UPDATE SET notify_url = excluded.notify_url, enabled = excluded.enabled, update_time = excluded.update_time",
        )
        .bind(&cb.mchid)
        .bind(&cb.notify_url)
        .bind(cb.enabled)
        .bind(cb.update_time)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn coupon_callback(&self, mchid: &str) -> crate::Result<Option<crate::coupon::CouponCallback>> {
        let row = sqlx::query("SELECT mchid, notify_url, enabled, update_time FROM coupon_callbacks WHERE mchid = $1").bind(mchid).fetch_optional(self.reader()).await?;
        row.map(|r| {
            Ok(crate::coupon::CouponCallback { mchid: r.try_get(0)?, notify_url: r.try_get(1)?, enabled: r.try_get(2)?, update_time: r.try_get(3)? })
        })
        .transpose()
    }
}
