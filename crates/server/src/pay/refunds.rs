//! Refunds (reference §4): `POST /v3/refund/domestic/refunds` and
//! `GET /v3/refund/domestic/refunds/{out_refund_no}`. A refund is accepted as PROCESSING with
//! the money held in escrow, then settled by the worker (notify.rs).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use herald_domain::pay::{self, ids};
use herald_store::pay::{NewRefund, OrderKey, Refund, RefundResult};
use herald_wire::pay::types::{rfc3339_cst, RefundRequest};
use herald_wire::pay::PayCode;
use serde_json::{json, Value};

use super::{signed, PayError, PayRequest, PayResult};
use crate::clock::system_now_ms;
use crate::state::AppState;

/// The refund as create, query and notifications show it.
pub fn refund_json(r: &Refund) -> Value {
    let (payer_refund, discount_refund) = r.split();
    let mut v = json!({
        "refund_id": r.refund_id,
        "out_refund_no": r.out_refund_no,
        "transaction_id": r.transaction_id,
        "out_trade_no": r.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": rfc3339_cst(r.created_at),
        "status": r.status.wire(),
        "funds_account": "AVAILABLE",
        "amount": {
            "total": r.total, "refund": r.amount, "from": [], "payer_total": r.total - r.discount, "payer_refund": payer_refund,
            "settlement_refund": r.amount, "settlement_total": r.total, "discount_refund": discount_refund, "currency": "CNY", "refund_fee": 0,
        },
        "promotion_detail": [],
    });
    if let Some(t) = r.success_time {
        v["success_time"] = rfc3339_cst(t).into();
    }
    v
}

pub async fn create(State(st): State<AppState>, req: PayRequest) -> PayResult {
    let body = req.json()?;
    let parsed: RefundRequest = serde_json::from_value(body.clone()).map_err(|e| PayError::new(PayCode::ParamError, format!("参数错误: {e}")))?;
    let spec = pay::check_refund(&parsed, &body)?;
    let now = st.clock.now().await?;
    let mchid = req.merchant.mchid.clone();
    let order = match (&spec.transaction_id, &spec.out_trade_no) {
        (Some(t), _) => OrderKey::TransactionId(mchid.clone(), t.clone()),
        (None, Some(n)) => OrderKey::OutTradeNo(mchid.clone(), n.clone()),
        (None, None) => return Err(PayCode::ParamError.into()),
    };
    let new = NewRefund {
        refund_id: ids::refund_id(&mut rand::thread_rng(), now),
        mchid,
        out_refund_no: spec.out_refund_no.clone(),
        order,
        amount: spec.refund,
        total: spec.total,
        reason: spec.reason.clone(),
        notify_url: spec.notify_url.clone(),
        fingerprint: spec.fingerprint.clone(),
        now,
        now_ms: system_now_ms(),
    };
    let check = |o: &herald_store::pay::Order| pay::check_refund_against(&spec, o.state, o.total, o.refunded, o.success_time, now);
    let refund = match st.store.create_refund(&new, &check).await? {
        RefundResult::Created(r) => {
            st.wake.notify_one();
            r
        }
        RefundResult::Existing(r) if r.fingerprint == spec.fingerprint => r,
        RefundResult::Existing(_) => return Err(PayError::new(PayCode::InvalidRequest, "请求重入时，参数与首次请求时不一致")),
        RefundResult::OrderMissing => return Err(PayError::new(PayCode::ResourceNotExists, "订单不存在")),
        RefundResult::Refused(r) => return Err(r.into()),
        RefundResult::NotEnough(_) => return Err(PayError::new(PayCode::NotEnough, "基本账户余额不足，请充值后重新发起")),
    };
    signed(&st, &req, StatusCode::OK, Some(&refund_json(&refund))).await
}

pub async fn query(State(st): State<AppState>, Path(no): Path<String>, req: PayRequest) -> PayResult {
    match st.store.refund(&req.merchant.mchid, &no).await? {
        Some(r) => signed(&st, &req, StatusCode::OK, Some(&refund_json(&r))).await,
        None => Err(PayError::new(PayCode::ResourceNotExists, "退款单不存在")),
    }
}
