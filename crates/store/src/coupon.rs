//! Storage of coupon stocks and coupons (rules: `herald_domain::coupon`). Starting a cash
//! stock funds its budget and stopping it returns what is left, each in the same database
//! transaction as the status change (ledger reasons `coupon-fund:<stock>` and
//! `coupon-return:<stock>`); using a coupon happens inside `PayStore::pay_order`.

use async_trait::async_trait;
use herald_domain::coupon::{CouponStatus, StockAction, StockSpec, StockState, StockStatus};
use herald_domain::ledger::{Book, Fen, Txn};
use herald_domain::pay::Refusal;

use crate::{Result, StoreError};

pub(crate) const STOCK_COLS: &str = "stock_id, mchid, out_request_no, stock_name, comment, available_begin_time, available_end_time, \
     max_coupons, max_amount, max_amount_by_day, max_coupons_per_user, coupon_amount, transaction_minimum, no_cash, status, \
     distributed_coupons, rules, fingerprint, create_time, start_time, stop_time";
pub(crate) const COUPON_COLS: &str = "coupon_id, stock_id, appid, openid, user_id, out_request_no, status, create_time, used_time, transaction_id, used_mchid";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stock {
    pub stock_id: String,
    pub mchid: String,
    pub out_request_no: String,
    pub stock_name: String,
    pub comment: Option<String>,
    pub available_begin_time: i64,
    pub available_end_time: i64,
    pub max_coupons: i64,
    pub max_amount: Fen,
    pub max_amount_by_day: Fen,
    pub max_coupons_per_user: i64,
    pub coupon_amount: Fen,
    pub transaction_minimum: Fen,
    pub no_cash: bool,
    pub status: StockStatus,
    pub distributed_coupons: i64,
    /// JSON: `{stock_use_rule, coupon_use_rule, pattern_info}`.
    pub rules: String,
    pub fingerprint: String,
    pub create_time: i64,
    pub start_time: Option<i64>,
    pub stop_time: Option<i64>,
}

impl Stock {
    /// A new, unactivated stock from a checked request.
    pub fn from_spec(spec: &StockSpec, stock_id: String, mchid: &str, now: i64) -> Stock {
        Stock {
            stock_id,
            mchid: mchid.into(),
            out_request_no: spec.out_request_no.clone(),
            stock_name: spec.stock_name.clone(),
            comment: spec.comment.clone(),
            available_begin_time: spec.available_begin_time,
            available_end_time: spec.available_end_time,
            max_coupons: spec.max_coupons,
            max_amount: spec.max_amount,
            max_amount_by_day: spec.max_amount_by_day,
            max_coupons_per_user: spec.max_coupons_per_user,
            coupon_amount: spec.coupon_amount,
            transaction_minimum: spec.transaction_minimum,
            no_cash: spec.no_cash,
            status: StockStatus::Unactivated,
            distributed_coupons: 0,
            rules: spec.rules.to_string(),
            fingerprint: spec.fingerprint.clone(),
            create_time: now,
            start_time: None,
            stop_time: None,
        }
    }

    /// Whether `action` moves money: starting a cash stock funds it, stopping one returns what
    /// is left (the caller reads that balance only then).
    pub fn moves_money(&self, action: StockAction) -> bool {
        !self.no_cash && matches!(action, StockAction::Start | StockAction::Stop)
    }

    /// The money `action` moves, given what the stock's book holds: its whole budget from the
    /// merchant on start (`coupon-fund:<id>`), what is left back on stop (`coupon-return:<id>`).
    pub(crate) fn money(&self, action: StockAction, left: Fen) -> Result<Option<Txn>> {
        let book = Book::CouponStock(self.stock_id.clone());
        let merchant = Book::Merchant(self.mchid.clone());
        let t = match action {
            _ if !self.moves_money(action) => return Ok(None),
            StockAction::Start => Txn::transfer(format!("coupon-fund:{}", self.stock_id), merchant, book, self.max_amount),
            _ if left <= 0 => return Ok(None),
            _ => Txn::transfer(format!("coupon-return:{}", self.stock_id), book, merchant, left),
        };
        t.map(Some).map_err(|e| StoreError::Other(format!("{e:?}")))
    }

    /// (start_time, stop_time) after `action` at `now`.
    pub(crate) fn times_after(&self, action: StockAction, now: i64) -> (Option<i64>, Option<i64>) {
        match action {
            StockAction::Start => (Some(now), self.stop_time),
            StockAction::Stop => (self.start_time, Some(now)),
            _ => (self.start_time, self.stop_time),
        }
    }

    pub fn state(&self) -> StockState {
        StockState {
            status: self.status,
            available_begin_time: self.available_begin_time,
            available_end_time: self.available_end_time,
            max_coupons: self.max_coupons,
            distributed: self.distributed_coupons,
            max_coupons_per_user: self.max_coupons_per_user,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coupon {
    pub coupon_id: String,
    pub stock_id: String,
    pub appid: String,
    pub openid: String,
    pub user_id: String,
    pub out_request_no: String,
    /// As stored: SENDED or USED (see `CouponStatus::effective`).
    pub status: CouponStatus,
    pub create_time: i64,
    pub used_time: Option<i64>,
    pub transaction_id: Option<String>,
    /// The merchant whose order used it.
    pub used_mchid: Option<String>,
}

/// Where a stock creator's COUPON.USE notifications go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponCallback {
    pub mchid: String,
    pub notify_url: String,
    /// False: notifications are not sent.
    pub enabled: bool,
    pub update_time: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockPlaced {
    New(Stock),
    /// A stock with this out_request_no exists (the caller compares fingerprints).
    Existing(Stock),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockChange {
    Changed(Box<Stock>),
    Missing,
    Refused(Refusal),
    /// Starting a cash stock: the merchant's balance cannot fund its budget (balance given).
    NotEnough(Fen),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CouponSent {
    Sent(Coupon),
    /// A coupon with this out_request_no was sent from this stock before.
    Existing(Coupon),
    StockMissing,
    Refused(Refusal),
}

#[async_trait]
pub trait CouponStore: Send + Sync {
    async fn create_stock(&self, s: &Stock) -> Result<StockPlaced>;
    async fn stock(&self, stock_id: &str) -> Result<Option<Stock>>;
    /// A merchant's stocks, newest first, with how many there are in all.
    async fn stocks(&self, mchid: &str, status: Option<StockStatus>, offset: i64, limit: i64) -> Result<(Vec<Stock>, i64)>;
    /// Starts, pauses, restarts or stops a stock (the rules of `coupon::transition`),
    /// funding a cash stock's budget on start and returning what is left on stop.
    async fn change_stock(&self, stock_id: &str, action: StockAction, now: i64) -> Result<StockChange>;
    /// Sends a coupon (the send rules checked on the locked stock).
    async fn send_coupon(&self, c: &Coupon, now: i64) -> Result<CouponSent>;
    async fn coupon(&self, coupon_id: &str) -> Result<Option<Coupon>>;
    /// A user's coupons under one openid, newest first.
    async fn coupons_of(&self, openid: &str) -> Result<Vec<Coupon>>;
    /// A stock's coupons used at or before `until`, in the order they were used (its use flow).
    async fn used_coupons(&self, stock_id: &str, until: i64) -> Result<Vec<Coupon>>;
    /// A user's unused coupons with their stocks (what a payment may use).
    async fn usable_coupons(&self, user_id: &str) -> Result<Vec<(Coupon, Stock)>>;
    /// Sets (or replaces) where the merchant's COUPON.USE notifications go.
    async fn set_coupon_callback(&self, cb: &CouponCallback) -> Result<()>;
    async fn coupon_callback(&self, mchid: &str) -> Result<Option<CouponCallback>>;
}
