//! Storage of WeChat Pay (rules: `herald_domain::pay`): merchants and their bound accounts,
//! request nonces, orders, refunds and the notifications queued for merchants. Every change
//! of money happens in the same database transaction as the state change it belongs to, with
//! the ledger posting idempotent on its reason, so a retried request or a restarted worker
//! never pays or refunds twice.

use async_trait::async_trait;
use herald_domain::coupon::refund_split;
use herald_domain::ledger::{Book, Fen, Txn};
use herald_domain::pay::{Refusal, RefundStatus, TradeState, TradeType};

use crate::{Job, Result};

/// Column lists both backends read and write, in the records' field order.
pub(crate) const MERCHANT_COLS: &str = "mchid, name, apiv3_key, api_key, mch_serial, mch_public_key, mch_certificate, platform_serial, \
     platform_certificate, platform_not_before, platform_not_after, public_key_id, key_mode, created_at, refund_mode, h5_domain";
pub(crate) const ORDER_COLS: &str = "transaction_id, mchid, out_trade_no, appid, trade_type, description, attach, notify_url, goods_tag, \
     total, currency, payer_openid, scene_info, fingerprint, prepay_id, prepay_expires_at, code_key, state, expires_at, created_at, \
     success_time, payer_user, refunded, discount, promotion";
pub(crate) const REFUND_COLS: &str = "refund_id, mchid, out_refund_no, transaction_id, out_trade_no, amount, total, reason, notify_url, \
     fingerprint, status, created_at, success_time, payer_user, discount";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    pub mchid: String,
    pub name: String,
    pub apiv3_key: String,
    pub api_key: String,
    pub mch_serial: String,
    pub mch_public_key: String,
    pub mch_certificate: Option<String>,
    pub platform_serial: String,
    pub platform_certificate: String,
    pub platform_not_before: i64,
    pub platform_not_after: i64,
    pub public_key_id: String,
    /// `certificate` or `public_key`.
    pub key_mode: String,
    pub created_at: i64,
    /// `auto` (refunds settle SUCCESS at once) or `hold` (they wait for the operator).
    pub refund_mode: String,
    /// The H5 payment domain: where the cashier may send the payer back (empty: nowhere).
    pub h5_domain: String,
    /// Bound official accounts (filled on reads).
    pub appids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub transaction_id: String,
    pub mchid: String,
    pub out_trade_no: String,
    pub appid: String,
    pub trade_type: TradeType,
    pub description: String,
    pub attach: Option<String>,
    pub notify_url: String,
    pub goods_tag: Option<String>,
    pub total: Fen,
    pub currency: String,
    pub payer_openid: Option<String>,
    /// JSON.
    pub scene_info: Option<String>,
    pub fingerprint: String,
    pub prepay_id: String,
    pub prepay_expires_at: i64,
    pub code_key: Option<String>,
    pub state: TradeState,
    pub expires_at: i64,
    pub created_at: i64,
    pub success_time: Option<i64>,
    pub payer_user: Option<String>,
    pub refunded: Fen,
    /// What a coupon paid (the payer paid `total - discount`).
    pub discount: Fen,
    /// promotion_detail (JSON array) when a coupon was used.
    pub promotion: Option<String>,
}

/// How an order is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderKey {
    OutTradeNo(String, String),
    TransactionId(String, String),
    PrepayId(String),
    CodeKey(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub refund_id: String,
    pub mchid: String,
    pub out_refund_no: String,
    pub transaction_id: String,
    pub out_trade_no: String,
    pub amount: Fen,
    pub total: Fen,
    pub reason: Option<String>,
    pub notify_url: Option<String>,
    pub fingerprint: String,
    pub status: RefundStatus,
    pub created_at: i64,
    pub success_time: Option<i64>,
    pub payer_user: String,
    /// The order's discount (what a coupon paid of `total`).
    pub discount: Fen,
}

impl Refund {
    /// (to the payer, back to the merchant) of this refund.
    pub fn split(&self) -> (Fen, Fen) {
        refund_split(self.amount, self.total, self.discount)
    }
}

/// A notification to queue with a state change: the job's account, URL and body, and what
/// it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub appid: String,
    pub mchid: String,
    pub event_type: String,
    /// out_trade_no or out_refund_no.
    pub subject: String,
    /// JSON `{"url":…, "body":…}`: the body is fixed, each attempt signs it anew.
    pub payload: String,
}

/// One queued notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub event_type: String,
    pub subject: String,
    pub created_at: i64,
    pub job: Job,
}

/// The answer to placing an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    New,
    /// An order with this out_trade_no exists already.
    Existing(Box<Order>),
}

/// A coupon paying part of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponUse {
    pub coupon_id: String,
    pub stock_id: String,
    pub amount: Fen,
    /// A no-cash stock: the merchant receives `total - amount`; else the stock pays `amount`.
    pub no_cash: bool,
    /// The order's promotion_detail (JSON array).
    pub promotion: String,
    /// The stock creator's COUPON.USE notification, queued with the payment.
    pub notification: Option<NewNotification>,
}

/// A payer paying an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub key: OrderKey,
    /// A coupon of the payer's (checked by the caller; the store checks it is still unused
    /// and theirs, and marks it USED in the same transaction).
    pub coupon: Option<CouponUse>,
    pub user: String,
    /// The payer's openid under the order's appid.
    pub openid: String,
    pub now: i64,
    /// Real milliseconds (the job queue's time).
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayResult {
    Paid(Box<Order>),
    /// Nothing moved: the order does not exist.
    Missing,
    /// Nothing moved: the rules refused (paid, closed, expired, another payer's order).
    Refused(Refusal),
    /// The wallet could not cover it: the order is now PAYERROR (balance given).
    Insufficient(Fen),
    /// Nothing moved: the coupon was used meanwhile (or is not the payer's).
    CouponGone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    pub refund_id: String,
    pub mchid: String,
    pub out_refund_no: String,
    pub order: OrderKey,
    pub amount: Fen,
    pub total: Fen,
    pub reason: Option<String>,
    pub notify_url: Option<String>,
    pub fingerprint: String,
    pub now: i64,
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundResult {
    /// Accepted (PROCESSING); a settle job is queued.
    Created(Refund),
    /// A refund with this out_refund_no exists.
    Existing(Refund),
    OrderMissing,
    Refused(Refusal),
    /// The merchant's balance cannot cover it (balance given).
    NotEnough(Fen),
}

/// The rules applied to an order locked inside a transaction.
pub type Check<'a> = dyn Fn(&Order) -> std::result::Result<(), Refusal> + Sync + 'a;
/// Builds the notification of a change (None: the merchant gets none).
pub type Notify<'a, T> = dyn Fn(&T, &Merchant) -> Option<NewNotification> + Sync + 'a;

#[async_trait]
pub trait PayStore: Send + Sync {
    /// False if the mchid is taken.
    async fn create_merchant(&self, m: &Merchant) -> Result<bool>;
    async fn merchant(&self, mchid: &str) -> Result<Option<Merchant>>;
    async fn merchants(&self) -> Result<Vec<Merchant>>;
    async fn bind_merchant_app(&self, mchid: &str, appid: &str) -> Result<()>;
    async fn set_merchant_key_mode(&self, mchid: &str, mode: &str) -> Result<()>;
    async fn set_merchant_refund_mode(&self, mchid: &str, mode: &str) -> Result<()>;
    async fn set_merchant_h5_domain(&self, mchid: &str, domain: &str) -> Result<()>;
    /// Records a request nonce; false if it was seen (a replay). Forgets nonces older than
    /// `forget_before`.
    async fn use_pay_nonce(&self, mchid: &str, nonce: &str, now: i64, forget_before: i64) -> Result<bool>;
    async fn place_order(&self, o: &Order) -> Result<Placed>;
    async fn renew_prepay(&self, transaction_id: &str, prepay_id: &str, until: i64) -> Result<()>;
    async fn order(&self, key: &OrderKey) -> Result<Option<Order>>;
    /// Closes a payable order; answers the order as it is afterwards (None if unknown).
    async fn close_order(&self, mchid: &str, out_trade_no: &str) -> Result<Option<Order>>;
    /// Pays an order from the payer's wallet: the ledger posting (`pay:<transaction_id>`),
    /// the state change and the notification in one transaction. `check` applies the rules
    /// to the locked order; `notify` builds the TRANSACTION.SUCCESS notification from the paid
    /// order.
    async fn pay_order(&self, p: &Payment, check: &Check<'_>, notify: &Notify<'_, Order>) -> Result<PayResult>;
    /// Accepts a refund: merchant → refund escrow (`refund:<refund_id>`), the order's state
    /// and refunded sum, the refund row and its settle job, in one transaction.
    async fn create_refund(&self, r: &NewRefund, check: &Check<'_>) -> Result<RefundResult>;
    /// Settles a PROCESSING refund as `status` (escrow → wallet on SUCCESS, back to the
    /// merchant otherwise), queues its notification and marks `job_id` done, in one
    /// transaction. None (and nothing changes) if it was settled before.
    async fn settle_refund(
        &self,
        refund_id: &str,
        status: RefundStatus,
        now: i64,
        now_ms: i64,
        job_id: Option<i64>,
        notify: &Notify<'_, Refund>,
    ) -> Result<Option<Refund>>;
    async fn refund(&self, mchid: &str, out_refund_no: &str) -> Result<Option<Refund>>;
    async fn refund_by_id(&self, refund_id: &str) -> Result<Option<Refund>>;
    async fn refunds_of(&self, transaction_id: &str) -> Result<Vec<Refund>>;
    /// A merchant's orders paid in `[from, to)` (platform time), by payment time: a trade
    /// bill's payments.
    async fn orders_paid_between(&self, mchid: &str, from: i64, to: i64) -> Result<Vec<Order>>;
    /// A merchant's refunds requested in `[from, to)`, oldest first: a trade bill's refunds.
    async fn refunds_between(&self, mchid: &str, from: i64, to: i64) -> Result<Vec<Refund>>;
    /// A merchant's notifications, newest first.
    async fn pay_notifications(&self, mchid: &str, limit: i64) -> Result<Vec<Notification>>;
}

/// The ledger transaction of paying `o`: from the payer's wallet, and from the coupon's
/// stock for a cash coupon; a no-cash coupon makes the merchant receive less.
pub(crate) fn payment_txn(o: &Order, p: &Payment) -> Result<Txn> {
    let reason = format!("pay:{}", o.transaction_id);
    let t = match &p.coupon {
        None => Txn::payment(reason, &p.user, &o.mchid, o.total, None),
        Some(c) if c.no_cash => Txn::payment(reason, &p.user, &o.mchid, o.total - c.amount, None),
        Some(c) => Txn::payment(reason, &p.user, &o.mchid, o.total, Some((c.stock_id.as_str(), c.amount))),
    };
    t.map_err(|e| crate::StoreError::Other(format!("{e:?}")))
}

/// The ledger transaction of settling a refund: out of its escrow to the payer (their share,
/// when a coupon paid part of the order) and the rest back to the merchant; all of it back to
/// the merchant when the refund closes or fails.
pub(crate) fn settle_txn(rf: &Refund, status: RefundStatus) -> Txn {
    let (to_payer, to_merchant) = if status == RefundStatus::Success { rf.split() } else { (0, rf.amount) };
    let mut legs = vec![(Book::Refund(rf.refund_id.clone()), -rf.amount)];
    if to_payer > 0 {
        legs.push((Book::Wallet(rf.payer_user.clone()), to_payer));
    }
    if to_merchant > 0 {
        legs.push((Book::Merchant(rf.mchid.clone()), to_merchant));
    }
    Txn { reason: format!("refund-settle:{}", rf.refund_id), legs }
}
