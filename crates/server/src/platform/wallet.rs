//! Wallets: a user's simulated balance, which the operator tops up, and the ledger's audit.
//! Money moves only through the ledger (`herald_domain::ledger`), in integer fen.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use herald_domain::ledger::{Book, Txn};
use herald_store::Posted;
pub use herald_wire::platform::wallet::TopUpIn;
use herald_wire::platform::wallet::{CouponList, CouponOut, LedgerAuditOut, TopUpOut, WalletEntryOut, WalletOut};

use super::users::load_user;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ActingFor, ApiJson, Operator};
use crate::state::AppState;

/// The most one top-up may add: 1,000,000 yuan.
const MAX_TOPUP_FEN: i64 = 100_000_000;

/// `POST /herald/v1/users/{id}/wallet/topup`.
/// A follower tops up its own wallet only where the operator allows it (`self_topup`, on by
/// default: the sandbox); the operator always may.
pub async fn topup(State(st): State<AppState>, by: ActingFor, Path(id): Path<String>, ApiJson(b): ApiJson<TopUpIn>) -> Result<(StatusCode, Json<TopUpOut>), ApiError> {
    let user = load_user(&st, &id).await?;
    if !by.operator && !st.self_topup {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "topup_disabled", "this platform does not let followers top up their own wallets"));
    }
    let (status, balance, replayed, request) = fund(&st, Book::Wallet(user.id.0.clone()), &format!("topup:{}", user.id), &b).await?;
    Ok((status, Json(TopUpOut { user: user.id, balance, replayed, request_id: request })))
}

/// Moves money from the outside world into `book` (a wallet or a merchant's balance), once
/// per request_id: the status, the balance after, whether it was a replay, the request_id.
pub async fn fund(st: &AppState, book: Book, reason: &str, b: &TopUpIn) -> Result<(StatusCode, i64, bool, String), ApiError> {
    if !(1..=MAX_TOPUP_FEN).contains(&b.amount) {
        return Err(ApiError::bad_request(format!("amount is in fen, 1 to {MAX_TOPUP_FEN}")));
    }
    let request = match b.request_id.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) if r.len() <= 64 => r.to_string(),
        Some(_) => return Err(ApiError::bad_request("request_id is at most 64 bytes")),
        None => herald_domain::idgen::prefixed_id(&mut rand::thread_rng(), ""),
    };
    let t = Txn::transfer(format!("{reason}:{request}"), Book::World, book.clone(), b.amount).map_err(|e| ApiError::bad_request(format!("{e:?}")))?;
    let now = st.clock.now().await?;
    let (status, replayed) = match st.store.post(&t, now).await? {
        Posted::New(_) => (StatusCode::CREATED, false),
        Posted::Duplicate(_) => (StatusCode::OK, true),
        Posted::Insufficient(..) => return Err(ApiError::new(StatusCode::CONFLICT, "insufficient", "the platform cannot fund this")),
    };
    Ok((status, st.store.balance(&book).await?, replayed, request))
}

/// `GET /herald/v1/users/{id}/wallet`: the balance (fen) and the newest 50 movements.
pub async fn show(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>) -> ApiResult<WalletOut> {
    let user = load_user(&st, &id).await?;
    let wallet = Book::Wallet(user.id.0.clone());
    let balance = st.store.balance(&wallet).await?;
    let entries: Vec<WalletEntryOut> = st
        .store
        .entries(&wallet, 50)
        .await?
        .into_iter()
        .map(|e| WalletEntryOut { reason: e.reason, amount: e.delta, balance_after: e.balance_after, created_at: e.created_at })
        .collect();
    Ok(Json(WalletOut { user: user.id, balance, entries }))
}

/// `GET /herald/v1/ledger`: the audit: the sum of every book (always 0), how many books,
/// and how many are below zero other than the outside world's (always 0).
pub async fn audit(State(st): State<AppState>, _: Operator) -> ApiResult<LedgerAuditOut> {
    let (total, books, negative) = st.store.ledger_audit().await?;
    let world = st.store.balance(&Book::World).await?;
    Ok(Json(LedgerAuditOut { total, books, negative_books: negative, money_in_platform: -world }))
}

/// `GET /herald/v1/users/{id}/coupons`: the coupons the user can use now, with their stock's
/// name, amount, minimum order and end.
pub async fn coupons(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>) -> ApiResult<CouponList> {
    let user = load_user(&st, &id).await?;
    let coupons: Vec<CouponOut> = st
        .store
        .usable_coupons(&user.id.0)
        .await?
        .into_iter()
        .map(|(c, s)| {
            CouponOut {
                coupon_id: c.coupon_id,
                stock_id: s.stock_id,
                stock_name: s.stock_name,
                mchid: s.mchid,
                amount: s.coupon_amount,
                transaction_minimum: s.transaction_minimum,
                available_end_time: s.available_end_time,
                create_time: c.create_time,
            }
        })
        .collect();
    Ok(Json(CouponList { coupons }))
}
