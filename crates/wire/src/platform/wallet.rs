//! A follower's wallet (integer fen), its coupons, and the ledger's audit.
//! - `POST /herald/v1/users/{id}/wallet/topup`, `GET /herald/v1/users/{id}/wallet`
//! - `GET /herald/v1/users/{id}/coupons`, `GET /herald/v1/ledger`

use serde::{Deserialize, Serialize};

use crate::ids::UserId;

/// `POST /herald/v1/users/{id}/wallet/topup` (and a merchant's top-up).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TopUpIn {
    /// Fen, 1 to 100,000,000.
    pub amount: i64,
    /// Makes the top-up idempotent: the same request_id tops up once (at most 64 bytes).
    #[serde(default)]
    pub request_id: Option<String>,
}

/// A wallet's top-up: 201 when new, 200 when `request_id` was seen before (`replayed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TopUpOut {
    pub user: UserId,
    /// Fen, after the top-up.
    pub balance: i64,
    pub replayed: bool,
    pub request_id: String,
}

/// One movement of a wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WalletEntryOut {
    pub reason: String,
    /// Fen: positive in, negative out.
    pub amount: i64,
    pub balance_after: i64,
    pub created_at: i64,
}

/// `GET /herald/v1/users/{id}/wallet`: the balance and the newest 50 movements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WalletOut {
    pub user: UserId,
    /// Fen.
    pub balance: i64,
    pub entries: Vec<WalletEntryOut>,
}

/// `GET /herald/v1/ledger`: every book sums to zero and none but the outside world's is negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LedgerAuditOut {
    /// Always 0.
    pub total: i64,
    pub books: i64,
    /// Always 0.
    pub negative_books: i64,
    /// Fen brought in from outside (top-ups) and not taken out.
    pub money_in_platform: i64,
}

/// A coupon the user can use now, with its stock's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CouponOut {
    pub coupon_id: String,
    pub stock_id: String,
    pub stock_name: String,
    pub mchid: String,
    /// Fen off.
    pub amount: i64,
    /// The smallest order it applies to, fen.
    pub transaction_minimum: i64,
    /// Unix seconds.
    pub available_end_time: i64,
    /// Unix seconds.
    pub create_time: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CouponList {
    pub coupons: Vec<CouponOut>,
}

/// One opened share of a red packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RedPackShareOut {
    pub openid: Option<String>,
    /// Fen.
    pub amount: i64,
    pub rcv_time: i64,
}

/// A red packet as a user sees it (sent to them, or reached by them for a fission packet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RedPackOut {
    pub send_listid: String,
    pub appid: String,
    pub mchid: String,
    /// `NORMAL` or `GROUP` (fission).
    pub hb_type: String,
    pub send_name: String,
    pub wishing: String,
    pub act_name: String,
    /// Fen.
    pub total_amount: i64,
    pub total_num: i64,
    /// WeChat's status: `SENDING`, `SENT`, `RECEIVED`, `REFUND`, …
    pub status: String,
    pub send_time: i64,
    pub expires_at: i64,
    /// Whether it was sent to this user.
    pub for_me: bool,
    /// This user's share, when opened.
    pub opened_amount: Option<i64>,
    pub shares_left: i64,
    pub opened: Vec<RedPackShareOut>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RedPackList {
    /// Newest first, at most 100.
    pub redpacks: Vec<RedPackOut>,
}

/// `POST /herald/v1/users/{id}/redpacks/{send_listid}/open`: 201 when opened now, 200 when it was
/// opened before (`replayed`), with the share and the wallet's balance after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RedPackOpenedOut {
    #[serde(flatten)]
    pub packet: RedPackOut,
    /// Fen: this user's share.
    pub amount: i64,
    /// Fen: the wallet after.
    pub balance: i64,
    pub replayed: bool,
}
