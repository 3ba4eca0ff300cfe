//! Orders (reference §3): create for JSAPI / mini programs, APP, H5 and Native; query by
//! transaction_id or out_trade_no; close.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use herald_domain::pay::{self, ids, TradeState, TradeType, CODE_URL_PREFIX, PREPAY_TTL};
use herald_store::pay::{Order, OrderKey, Placed};
use herald_wire::pay::types::{rfc3339_cst, CloseRequest, OrderRequest};
use herald_wire::pay::PayCode;
use serde_json::{json, Value};

use super::{bound, same_mchid, signed, PayError, PayRequest, PayResult};
use crate::state::AppState;

/// The transaction as queries and notifications show it, in its state at `now`.
pub fn transaction_json(o: &Order, now: i64) -> Value {
    let state = pay::effective_state(o.state, o.expires_at, now);
    let mut t = json!({
        "appid": o.appid,
        "mchid": o.mchid,
        "out_trade_no": o.out_trade_no,
        "trade_type": o.trade_type.wire(),
        "trade_state": state.wire(),
        "trade_state_desc": state.desc(),
        "attach": o.attach.clone().unwrap_or_default(),
        "amount": {"total": o.total, "currency": o.currency, "payer_currency": o.currency},
        "promotion_detail": [],
    });
    if let Some(openid) = &o.payer_openid {
        t["payer"] = json!({"openid": openid});
    }
    if let Some(scene) = o.scene_info.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()) {
        if let Some(device) = scene.get("device_id") {
            t["scene_info"] = json!({"device_id": device});
        }
    }
    if state.paid() {
        t["transaction_id"] = o.transaction_id.clone().into();
        t["bank_type"] = "OTHERS".into();
        t["success_time"] = o.success_time.map(rfc3339_cst).into();
        t["amount"]["payer_total"] = (o.total - o.discount).into();
        if let Some(p) = o.promotion.as_deref().and_then(|p| serde_json::from_str::<Value>(p).ok()) {
            t["promotion_detail"] = p;
        }
    }
    t
}

/// What a create answers for an order: prepay_id, code_url or h5_url.
fn created_json(st: &AppState, o: &Order) -> Value {
    match o.trade_type {
        TradeType::Jsapi | TradeType::App => json!({"prepay_id": o.prepay_id}),
        TradeType::Native => json!({"code_url": format!("{CODE_URL_PREFIX}{}", o.code_key.clone().unwrap_or_default())}),
        TradeType::H5 => {
            let package = rand::random::<u32>() % 1_000_000_000;
            json!({"h5_url": format!("{}/pay/h5?prepay_id={}&package={package}", st.base_url(), o.prepay_id)})
        }
    }
}

/// `POST /v3/pay/transactions/{jsapi|app|h5|native}`.
pub async fn create(State(st): State<AppState>, Path(kind): Path<String>, req: PayRequest) -> PayResult {
    let kind = TradeType::from_path(&kind).ok_or_else(|| PayError::new(PayCode::InvalidRequest, "不支持的下单方式"))?;
    let body = req.json()?;
    let parsed: OrderRequest = serde_json::from_value(body.clone()).map_err(|e| PayError::new(PayCode::ParamError, format!("参数错误: {e}")))?;
    let now = st.clock.now().await?;
    let spec = pay::check_order(kind, &parsed, &body, now)?;
    let m = &req.merchant;
    same_mchid(m, Some(&spec.mchid))?;
    bound(m, &spec.appid)?;
    if let Some(openid) = &spec.payer_openid {
        let known = st.store.follower_by_openid(&herald_wire::AppId(spec.appid.clone()), openid).await?;
        if known.is_none() {
            return Err(PayError::new(PayCode::ParamError, "openid 与 appid 不匹配"));
        }
    }
    let order = {
    let mut rng = rand::thread_rng();
    Order {
        transaction_id: ids::transaction_id(&mut rng, now),
        mchid: spec.mchid.clone(),
        out_trade_no: spec.out_trade_no.clone(),
        appid: spec.appid.clone(),
        trade_type: kind,
        description: spec.description.clone(),
        attach: spec.attach.clone(),
        notify_url: spec.notify_url.clone(),
        goods_tag: spec.goods_tag.clone(),
        total: spec.total,
        currency: spec.currency.clone(),
        payer_openid: spec.payer_openid.clone(),
        scene_info: spec.scene_info.as_ref().map(|v| v.to_string()),
        fingerprint: spec.fingerprint.clone(),
        prepay_id: ids::prepay_id(&mut rng, now),
        prepay_expires_at: now + PREPAY_TTL,
        code_key: (kind == TradeType::Native).then(|| ids::code_key(&mut rng)),
        state: TradeState::NotPay,
        expires_at: spec.expires_at,
        created_at: now,
        success_time: None,
        payer_user: None,
        refunded: 0,
        discount: 0,
        promotion: None,
    }
    };
    let current = match st.store.place_order(&order).await? {
        Placed::New => order,
        Placed::Existing(e) => {
            let mut e = *e;
            pay::reorder(&e.fingerprint, pay::effective_state(e.state, e.expires_at, now), &spec)?;
            if now >= e.prepay_expires_at {
                e.prepay_id = ids::prepay_id(&mut rand::thread_rng(), now);
                e.prepay_expires_at = now + PREPAY_TTL;
                st.store.renew_prepay(&e.transaction_id, &e.prepay_id, e.prepay_expires_at).await?;
            }
            e
        }
    };
    signed(&st, &req, StatusCode::OK, Some(&created_json(&st, &current))).await
}

fn query_mchid(q: &Option<String>) -> Option<String> {
    url::form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes()).find(|(k, _)| k == "mchid").map(|(_, v)| v.into_owned())
}

async fn answer(st: &AppState, req: &PayRequest, o: Option<Order>, by_id: bool) -> PayResult {
    let now = st.clock.now().await?;
    match o {
        // An unpaid order has no transaction_id to be found by.
        Some(o) if !by_id || o.state.paid() => signed(st, req, StatusCode::OK, Some(&transaction_json(&o, now))).await,
        _ => Err(PayCode::OrderNotExist.into()),
    }
}

/// `GET /v3/pay/transactions/id/{transaction_id}?mchid=`.
pub async fn by_id(State(st): State<AppState>, Path(id): Path<String>, RawQuery(q): RawQuery, req: PayRequest) -> PayResult {
    same_mchid(&req.merchant, query_mchid(&q).as_deref())?;
    let o = st.store.order(&OrderKey::TransactionId(req.merchant.mchid.clone(), id)).await?;
    answer(&st, &req, o, true).await
}

/// `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=`.
pub async fn by_out_trade_no(State(st): State<AppState>, Path(no): Path<String>, RawQuery(q): RawQuery, req: PayRequest) -> PayResult {
    same_mchid(&req.merchant, query_mchid(&q).as_deref())?;
    let o = st.store.order(&OrderKey::OutTradeNo(req.merchant.mchid.clone(), no)).await?;
    answer(&st, &req, o, false).await
}

/// `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close` → 204. Closing a closed
/// order again is fine; a paid one cannot be closed.
pub async fn close(State(st): State<AppState>, Path(no): Path<String>, req: PayRequest) -> PayResult {
    let body: CloseRequest = serde_json::from_value(req.json()?).unwrap_or_default();
    same_mchid(&req.merchant, body.mchid.as_deref())?;
    let o = st.store.close_order(&req.merchant.mchid, &no).await?.ok_or(PayError::from(PayCode::OrderNotExist))?;
    if o.state.paid() {
        return Err(PayError::new(PayCode::OrderPaid, "订单已支付，不能关闭"));
    }
    signed(&st, &req, StatusCode::NO_CONTENT, None).await
}
