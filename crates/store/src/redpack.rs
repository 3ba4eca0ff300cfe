//! Storage of cash red packets (rules: `herald_domain::redpack`). Sending, opening and the
//! 24-hour return each move money through the ledger in the same database transaction as
//! the packet's change, with postings idempotent on their reason (`redpack:<id>`,
//! `redpack-open:<id>:<idx>`, `redpack-return:<id>`).

use async_trait::async_trait;
use herald_domain::ledger::{Book, Fen, Txn};
use herald_domain::redpack::{HbType, OpenRefusal, RedPackSpec, RedPackStatus};

use crate::{Result, StoreError};

pub(crate) const REDPACK_COLS: &str = "send_listid, mchid, mch_billno, wxappid, re_openid, user_id, hb_type, total_amount, total_num, \
     send_name, wishing, act_name, remark, scene_id, fingerprint, status, send_time, expires_at, refund_time, refund_amount";
pub(crate) const SHARE_COLS: &str = "idx, amount, user_id, openid, rcv_time";

/// The job that returns what nobody opened; its payload is the send_listid.
pub const RETURN_JOB: &str = "redpack_return";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub idx: i64,
    pub amount: Fen,
    pub user_id: Option<String>,
    pub openid: Option<String>,
    pub rcv_time: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedPack {
    pub send_listid: String,
    pub mchid: String,
    pub mch_billno: String,
    pub wxappid: String,
    pub re_openid: String,
    /// The user it was sent to.
    pub user_id: String,
    pub hb_type: HbType,
    pub total_amount: Fen,
    pub total_num: i64,
    pub send_name: String,
    pub wishing: String,
    pub act_name: String,
    pub remark: String,
    pub scene_id: Option<String>,
    pub fingerprint: String,
    /// As stored: SENT, RECEIVED or REFUND (see `RedPackStatus::effective`).
    pub status: RedPackStatus,
    pub send_time: i64,
    pub expires_at: i64,
    pub refund_time: Option<i64>,
    pub refund_amount: Option<Fen>,
    /// In idx order; drawn when sent.
    pub shares: Vec<Share>,
}

impl Share {
    /// Unopened shares of these amounts, in order.
    pub fn drawn(amounts: &[Fen]) -> Vec<Share> {
        amounts.iter().enumerate().map(|(i, a)| Share { idx: i as i64, amount: *a, user_id: None, openid: None, rcv_time: None }).collect()
    }
}

impl RedPack {
    /// A packet about to be sent: the checked request, who it goes to, its drawn shares.
    pub fn from_spec(spec: &RedPackSpec, send_listid: String, mchid: &str, user_id: &str, now: i64, amounts: &[Fen]) -> RedPack {
        RedPack {
            send_listid,
            mchid: mchid.into(),
            mch_billno: spec.mch_billno.clone(),
            wxappid: spec.wxappid.clone(),
            re_openid: spec.re_openid.clone(),
            user_id: user_id.into(),
            hb_type: spec.hb_type,
            total_amount: spec.total_amount,
            total_num: spec.total_num,
            send_name: spec.send_name.clone(),
            wishing: spec.wishing.clone(),
            act_name: spec.act_name.clone(),
            remark: spec.remark.clone(),
            scene_id: spec.scene_id.clone(),
            fingerprint: spec.fingerprint.clone(),
            status: RedPackStatus::Sent,
            send_time: now,
            expires_at: now + herald_domain::redpack::REFUND_AFTER_SECS,
            refund_time: None,
            refund_amount: None,
            shares: Share::drawn(amounts),
        }
    }

    pub fn shares_left(&self) -> i64 {
        self.shares.iter().filter(|s| s.user_id.is_none()).count() as i64
    }

    /// What nobody has opened yet.
    pub fn unopened_amount(&self) -> Fen {
        self.shares.iter().filter(|s| s.user_id.is_none()).map(|s| s.amount).sum()
    }

    pub fn share_of(&self, user_id: &str) -> Option<&Share> {
        self.shares.iter().find(|s| s.user_id.as_deref() == Some(user_id))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendResult {
    /// Sent: the money left the merchant; the return job is queued.
    Sent(RedPack),
    /// A packet with this mch_billno exists (the caller compares fingerprints).
    Existing(RedPack),
    /// The merchant's balance cannot cover it (balance given); nothing changed.
    NotEnough(Fen),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenResult {
    /// The user's share (amount) is now in their wallet.
    Opened(RedPack, Fen),
    /// The user opened it before (their amount).
    Already(RedPack, Fen),
    Refused(OpenRefusal),
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnResult {
    /// What was left went back to the merchant (the packet afterwards).
    Returned(Box<RedPack>),
    /// Nothing to return (every share opened, or returned before); the job is done.
    Nothing,
    /// Not 24 hours yet on the clock: the job is rescheduled.
    NotDue,
}

fn checked(t: std::result::Result<Txn, herald_domain::ledger::LedgerError>) -> Result<Txn> {
    t.map_err(|e| StoreError::Other(format!("{e:?}")))
}

/// Sending: merchant → the packet's book (`redpack:<id>`).
pub(crate) fn send_txn(p: &RedPack) -> Result<Txn> {
    checked(Txn::transfer(format!("redpack:{}", p.send_listid), Book::Merchant(p.mchid.clone()), Book::RedPacket(p.send_listid.clone()), p.total_amount))
}

/// Opening one share: the packet's book → the opener's wallet (`redpack-open:<id>:<idx>`).
pub(crate) fn open_txn(send_listid: &str, s: &Share, user_id: &str) -> Result<Txn> {
    checked(Txn::transfer(format!("redpack-open:{send_listid}:{}", s.idx), Book::RedPacket(send_listid.into()), Book::Wallet(user_id.into()), s.amount))
}

/// The 24-hour return: what nobody opened goes back to the merchant (`redpack-return:<id>`).
pub(crate) fn return_txn(p: &RedPack) -> Result<Txn> {
    checked(Txn::transfer(format!("redpack-return:{}", p.send_listid), Book::RedPacket(p.send_listid.clone()), Book::Merchant(p.mchid.clone()), p.unopened_amount()))
}

#[async_trait]
pub trait RedPackStore: Send + Sync {
    /// Sends a packet (its shares drawn): merchant → `RedPacket(send_listid)`, the rows, and
    /// the return job due at `return_at_ms`, in one transaction.
    async fn send_redpack(&self, p: &RedPack, return_at_ms: i64) -> Result<SendResult>;
    async fn redpack(&self, mchid: &str, mch_billno: &str) -> Result<Option<RedPack>>;
    async fn redpack_by_id(&self, send_listid: &str) -> Result<Option<RedPack>>;
    /// Packets sent to a user or opened by them, newest first.
    async fn redpacks_of_user(&self, user_id: &str, limit: i64) -> Result<Vec<RedPack>>;
    /// Opens a packet for a user (their openid under the packet's account): one share into
    /// their wallet, in one transaction. `recipient` and the refusals follow
    /// `herald_domain::redpack::check_open`.
    async fn open_redpack(&self, send_listid: &str, user_id: &str, openid: &str, now: i64) -> Result<OpenResult>;
    /// The return job: past `expires_at`, what is left goes back to the merchant and the
    /// packet becomes REFUND; `job_id` is marked done in the same transaction (or moved to
    /// when the clock says it is due).
    async fn return_redpack(&self, send_listid: &str, now: i64, now_ms: i64, job_id: Option<i64>) -> Result<ReturnResult>;
}
