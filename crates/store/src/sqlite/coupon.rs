//! CouponStore on SQLite.

use async_trait::async_trait;
use herald_domain::coupon::{check_send, transition, CouponStatus, StockAction, StockStatus};
use herald_domain::ledger::Book;
use rusqlite::{params, OptionalExtension, Row};

use super::ledger::{checked_legs, post_in};
use super::{parsed, SqliteStore};
use crate::coupon::*;
use crate::ledger::Posted;
use crate::{Result, StoreError};

fn stock(r: &Row<'_>) -> rusqlite::Result<Stock> {
    Ok(Stock {
        stock_id: r.get(0)?,
        mchid: r.get(1)?,
        out_request_no: r.get(2)?,
        stock_name: r.get(3)?,
        comment: r.get(4)?,
        available_begin_time: r.get(5)?,
        available_end_time: r.get(6)?,
        max_coupons: r.get(7)?,
        max_amount: r.get(8)?,
        max_amount_by_day: r.get(9)?,
        max_coupons_per_user: r.get(10)?,
        coupon_amount: r.get(11)?,
        transaction_minimum: r.get(12)?,
        no_cash: r.get::<_, i64>(13)? != 0,
        status: parsed(r, 14, StockStatus::from_wire)?,
        distributed_coupons: r.get(15)?,
        rules: r.get(16)?,
        fingerprint: r.get(17)?,
        create_time: r.get(18)?,
        start_time: r.get(19)?,
        stop_time: r.get(20)?,
    })
}

fn coupon(r: &Row<'_>) -> rusqlite::Result<Coupon> {
    Ok(Coupon {
        coupon_id: r.get(0)?,
        stock_id: r.get(1)?,
        appid: r.get(2)?,
        openid: r.get(3)?,
        user_id: r.get(4)?,
        out_request_no: r.get(5)?,
        status: parsed(r, 6, CouponStatus::from_wire)?,
        create_time: r.get(7)?,
        used_time: r.get(8)?,
        transaction_id: r.get(9)?,
        used_mchid: r.get(10)?,
    })
}

fn find_stock(c: &rusqlite::Connection, stock_id: &str) -> Result<Option<Stock>> {
    Ok(c.prepare_cached(&format!("SELECT {STOCK_COLS} FROM coupon_stocks WHERE stock_id = ?1"))?.query_row([stock_id], stock).optional()?)
}

fn find_coupon(c: &rusqlite::Connection, cond: &str, a: &str, b: &str) -> Result<Option<Coupon>> {
    Ok(c.prepare_cached(&format!("SELECT {COUPON_COLS} FROM coupons WHERE {cond}"))?.query_row(params![a, b], coupon).optional()?)
}

fn posting_failed(p: Posted) -> StoreError {
    StoreError::Other(format!("ledger posting refused: {p:?}"))
}

#[async_trait]
impl CouponStore for SqliteStore {
    async fn create_stock(&self, s: &Stock) -> Result<StockPlaced> {
        self.write(|tx| {
            let prior = tx
                .prepare_cached(&format!("SELECT {STOCK_COLS} FROM coupon_stocks WHERE mchid = ?1 AND out_request_no = ?2"))?
                .query_row(params![s.mchid, s.out_request_no], stock)
                .optional()?;
            if let Some(p) = prior {
                return Ok(StockPlaced::Existing(p));
            }
            tx.prepare_cached(&format!(
                "INSERT INTO coupon_stocks ({STOCK_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"
            ))?
            .execute(params![
                s.stock_id, s.mchid, s.out_request_no, s.stock_name, s.comment, s.available_begin_time, s.available_end_time, s.max_coupons,
                s.max_amount, s.max_amount_by_day, s.max_coupons_per_user, s.coupon_amount, s.transaction_minimum, s.no_cash as i64,
                s.status.wire(), s.distributed_coupons, s.rules, s.fingerprint, s.create_time, s.start_time, s.stop_time
            ])?;
            Ok(StockPlaced::New(find_stock(tx, &s.stock_id)?.ok_or_else(|| StoreError::Other("the stock vanished".into()))?))
        })
    }

    async fn stock(&self, stock_id: &str) -> Result<Option<Stock>> {
        self.read(|c| find_stock(c, stock_id))
    }

    async fn stocks(&self, mchid: &str, status: Option<StockStatus>, offset: i64, limit: i64) -> Result<(Vec<Stock>, i64)> {
        self.read(|c| {
            let st = status.map(|s| s.wire()).unwrap_or("");
            let cond = "mchid = ?1 AND (?2 = '' OR status = ?2)";
            let total: i64 = c.prepare_cached(&format!("SELECT COUNT(*) FROM coupon_stocks WHERE {cond}"))?.query_row(params![mchid, st], |r| r.get(0))?;
            let page = c
                .prepare_cached(&format!("SELECT {STOCK_COLS} FROM coupon_stocks WHERE {cond} ORDER BY create_time DESC, stock_id DESC LIMIT ?3 OFFSET ?4"))?
                .query_map(params![mchid, st, limit, offset], stock)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((page, total))
        })
    }

    async fn change_stock(&self, stock_id: &str, action: StockAction, now: i64) -> Result<StockChange> {
        self.write(|tx| {
            let Some(s) = find_stock(tx, stock_id)? else { return Ok(StockChange::Missing) };
            let to = match transition(s.status, action) {
                Ok(t) => t,
                Err(r) => return Ok(StockChange::Refused(r)),
            };
            let left: i64 = if s.moves_money(action) {
                tx.prepare_cached("SELECT balance FROM ledger_books WHERE book = ?1")?
                    .query_row([Book::CouponStock(stock_id.into()).key()], |r| r.get(0))
                    .optional()?
                    .unwrap_or(0)
            } else {
                0
            };
            if let Some(t) = s.money(action, left)? {
                match post_in(tx, &t, &checked_legs(&t)?, now)? {
                    Posted::New(_) => {}
                    Posted::Insufficient(_, balance) => return Ok(StockChange::NotEnough(balance)),
                    dup @ Posted::Duplicate(_) => return Err(posting_failed(dup)),
                }
            }
            let (start, stop) = s.times_after(action, now);
            tx.prepare_cached("UPDATE coupon_stocks SET status = ?2, start_time = ?3, stop_time = ?4 WHERE stock_id = ?1")?
                .execute(params![stock_id, to.wire(), start, stop])?;
            Ok(StockChange::Changed(Box::new(find_stock(tx, stock_id)?.ok_or_else(|| StoreError::Other("the stock vanished".into()))?)))
        })
    }

    async fn send_coupon(&self, c: &Coupon, now: i64) -> Result<CouponSent> {
        self.write(|tx| {
            if let Some(e) = find_coupon(tx, "stock_id = ?1 AND out_request_no = ?2", &c.stock_id, &c.out_request_no)? {
                return Ok(CouponSent::Existing(e));
            }
            let Some(s) = find_stock(tx, &c.stock_id)? else { return Ok(CouponSent::StockMissing) };
            let has: i64 = tx.prepare_cached("SELECT COUNT(*) FROM coupons WHERE stock_id = ?1 AND user_id = ?2")?.query_row(params![c.stock_id, c.user_id], |r| r.get(0))?;
            if let Err(r) = check_send(&s.state(), has, now) {
                return Ok(CouponSent::Refused(r));
            }
            tx.prepare_cached(&format!("INSERT INTO coupons ({COUPON_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'SENDED', ?7, NULL, NULL, NULL)"))?
                .execute(params![c.coupon_id, c.stock_id, c.appid, c.openid, c.user_id, c.out_request_no, now])?;
            tx.prepare_cached("UPDATE coupon_stocks SET distributed_coupons = distributed_coupons + 1 WHERE stock_id = ?1")?.execute([&c.stock_id])?;
            Ok(CouponSent::Sent(find_coupon(tx, "?1 = ?1 AND coupon_id = ?2", "", &c.coupon_id)?.ok_or_else(|| StoreError::Other("the coupon vanished".into()))?))
        })
    }

    async fn coupon(&self, coupon_id: &str) -> Result<Option<Coupon>> {
        self.read(|c| find_coupon(c, "?1 = ?1 AND coupon_id = ?2", "", coupon_id))
    }

    async fn coupons_of(&self, openid: &str) -> Result<Vec<Coupon>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!("SELECT {COUPON_COLS} FROM coupons WHERE openid = ?1 ORDER BY create_time DESC, coupon_id DESC"))?
                .query_map([openid], coupon)?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    async fn used_coupons(&self, stock_id: &str, until: i64) -> Result<Vec<Coupon>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {COUPON_COLS} FROM coupons WHERE stock_id = ?1 AND status = 'USED' AND used_time <= ?2 ORDER BY used_time, coupon_id"
            ))?
            .query_map(params![stock_id, until], coupon)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    async fn usable_coupons(&self, user_id: &str) -> Result<Vec<(Coupon, Stock)>> {
        self.read(|c| {
            let coupons = c
                .prepare_cached(&format!("SELECT {COUPON_COLS} FROM coupons WHERE user_id = ?1 AND status = 'SENDED' ORDER BY create_time, coupon_id"))?
                .query_map([user_id], coupon)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(coupons.len());
            for cp in coupons {
                if let Some(s) = find_stock(c, &cp.stock_id)? {
                    out.push((cp, s));
                }
            }
            Ok(out)
        })
    }

    async fn set_coupon_callback(&self, cb: &CouponCallback) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO coupon_callbacks (mchid, notify_url, enabled, update_time) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (mchid) DO UPDATE SET notify_url = excluded.notify_url, enabled = excluded.enabled, update_time = excluded.update_time",
            )?
            .execute(params![cb.mchid, cb.notify_url, cb.enabled, cb.update_time])?;
            Ok(())
        })
    }

    async fn coupon_callback(&self, mchid: &str) -> Result<Option<CouponCallback>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT mchid, notify_url, enabled, update_time FROM coupon_callbacks WHERE mchid = ?1")?
                .query_row([mchid], |r| Ok(CouponCallback { mchid: r.get(0)?, notify_url: r.get(1)?, enabled: r.get(2)?, update_time: r.get(3)? }))
                .optional()?)
        })
    }
}
