//! Coupon stocks on APIv3 (`/v3/marketing/favor/...`, 代金券): create a stock, start, pause,
//! restart or stop it, list and read stocks, send a coupon to a user, and read a user's
//! coupons. Coupons are used at payment (`crate::pay::payer`), where they show in the
//! order's promotion_detail, and the stock creator is told through COUPON.USE notifications
//! to the URL it sets with `POST /v3/marketing/favor/callbacks`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use herald_domain::coupon::{self, StockAction, StockStatus};
use herald_domain::pay::ids;
use herald_store::coupon::{Coupon, CouponCallback, CouponSent, Stock, StockChange, StockPlaced};
use herald_wire::pay::types::rfc3339_cst;
use herald_wire::pay::PayCode;
use herald_wire::AppId;
use serde_json::{json, Value};

use super::{bound, same_mchid, signed, PayError, PayRequest, PayResult};
use crate::state::AppState;

type Params = Query<HashMap<String, String>>;

fn stock_json(s: &Stock) -> Value {
    let rules: Value = serde_json::from_str(&s.rules).unwrap_or_default();
    let mut v = json!({
        "stock_id": s.stock_id,
        "stock_creator_mchid": s.mchid,
        "stock_name": s.stock_name,
        "status": s.status.wire(),
        "create_time": rfc3339_cst(s.create_time),
        "description": s.comment.clone().unwrap_or_default(),
        "stock_use_rule": rules.get("stock_use_rule").cloned().unwrap_or(Value::Null),
        "available_begin_time": rfc3339_cst(s.available_begin_time),
        "available_end_time": rfc3339_cst(s.available_end_time),
        "distributed_coupons": s.distributed_coupons,
        "no_cash": s.no_cash,
        "singleitem": false,
        "stock_type": "NORMAL",
        "card_id": "",
        "cut_to_message": Value::Null,
    });
    if let Some(t) = s.start_time {
        v["start_time"] = rfc3339_cst(t).into();
    }
    if let Some(t) = s.stop_time {
        v["stop_time"] = rfc3339_cst(t).into();
    }
    v
}

/// A coupon as queries and COUPON.USE notifications show it, in its state at `now`.
pub(crate) fn coupon_json(c: &Coupon, s: &Stock, now: i64) -> Value {
    let mut v = json!({
        "stock_creator_mchid": s.mchid,
        "stock_id": s.stock_id,
        "coupon_id": c.coupon_id,
        "cut_to_message": Value::Null,
        "coupon_name": s.stock_name,
        "status": c.status.effective(s.available_end_time, now).wire(),
        "description": s.comment.clone().unwrap_or_default(),
        "create_time": rfc3339_cst(c.create_time),
        "coupon_type": "NORMAL",
        "no_cash": s.no_cash,
        "available_begin_time": rfc3339_cst(s.available_begin_time),
        "available_end_time": rfc3339_cst(s.available_end_time),
        "singleitem": false,
        "normal_coupon_information": {"coupon_amount": s.coupon_amount, "transaction_minimum": s.transaction_minimum},
    });
    if let (Some(at), Some(transaction_id)) = (c.used_time, &c.transaction_id) {
        v["consume_information"] = json!({
            "consume_time": rfc3339_cst(at),
            "consume_mchid": c.used_mchid.clone().unwrap_or_else(|| s.mchid.clone()),
            "transaction_id": transaction_id,
        });
    }
    v
}

/// The stock, if it is the caller's.
pub(super) async fn own_stock(st: &AppState, req: &PayRequest, stock_id: &str) -> Result<Stock, PayError> {
    match st.store.stock(stock_id).await? {
        Some(s) if s.mchid == req.merchant.mchid => Ok(s),
        _ => Err(PayError::new(PayCode::ResourceNotExists, "批次不存在")),
    }
}

fn creator_matches(req: &PayRequest, given: Option<&str>) -> Result<(), PayError> {
    match given {
        Some(g) if g != req.merchant.mchid => Err(PayError::new(PayCode::NoAuth, "stock_creator_mchid 与调用商户号不一致")),
        _ => Ok(()),
    }
}

/// `POST /v3/marketing/favor/coupon-stocks` → `{stock_id, create_time}`; the same
/// out_request_no answers the same stock.
pub async fn create(State(st): State<AppState>, req: PayRequest) -> PayResult {
    let body = req.json()?;
    let now = st.clock.now().await?;
    let spec = coupon::check_stock(&body, &req.merchant.mchid, now)?;
    let stock = Stock::from_spec(&spec, ids::stock_id(&mut rand::thread_rng()), &req.merchant.mchid, now);
    let s = match st.store.create_stock(&stock).await? {
        StockPlaced::New(s) => s,
        StockPlaced::Existing(s) if s.fingerprint == spec.fingerprint => s,
        StockPlaced::Existing(_) => return Err(PayError::new(PayCode::InvalidRequest, "out_request_no 已使用，且请求参数不一致")),
    };
    signed(&st, &req, StatusCode::OK, Some(&json!({"stock_id": s.stock_id, "create_time": rfc3339_cst(s.create_time)}))).await
}

/// `POST /v3/marketing/favor/stocks/{stock_id}/{start|pause|restart|stop}` with
/// `{stock_creator_mchid}`. Starting a cash stock takes its budget from the merchant's
/// balance (NOT_ENOUGH if short); stopping returns what is left.
pub async fn change(State(st): State<AppState>, Path((stock_id, action)): Path<(String, String)>, req: PayRequest) -> PayResult {
    let action = StockAction::from_path(&action).ok_or_else(|| PayError::new(PayCode::InvalidRequest, "不支持的批次操作"))?;
    let body = req.json()?;
    creator_matches(&req, body.get("stock_creator_mchid").and_then(Value::as_str))?;
    own_stock(&st, &req, &stock_id).await?;
    let now = st.clock.now().await?;
    let s = match st.store.change_stock(&stock_id, action, now).await? {
        StockChange::Changed(s) => *s,
        StockChange::Missing => return Err(PayError::new(PayCode::ResourceNotExists, "批次不存在")),
        StockChange::Refused(r) => return Err(r.into()),
        StockChange::NotEnough(b) => return Err(PayError::new(PayCode::NotEnough, format!("商户余额不足以预充值批次预算（余额 {b} 分）"))),
    };
    let mut out = json!({"stock_id": s.stock_id});
    out[action.time_field()] = rfc3339_cst(now).into();
    signed(&st, &req, StatusCode::OK, Some(&out)).await
}

/// `GET /v3/marketing/favor/stocks?offset=&limit=&stock_creator_mchid=&status=`.
pub async fn list(State(st): State<AppState>, Query(q): Params, req: PayRequest) -> PayResult {
    creator_matches(&req, q.get("stock_creator_mchid").map(String::as_str))?;
    let offset = q.get("offset").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0).max(0);
    let limit = q.get("limit").and_then(|v| v.parse::<i64>().ok()).unwrap_or(10).clamp(1, 10);
    let status = match q.get("status").map(String::as_str).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(StockStatus::from_wire(s).ok_or_else(|| PayError::new(PayCode::ParamError, "status 取值不正确"))?),
    };
    let (page, total) = st.store.stocks(&req.merchant.mchid, status, offset, limit).await?;
    let data: Vec<Value> = page.iter().map(stock_json).collect();
    signed(&st, &req, StatusCode::OK, Some(&json!({"total_count": total, "limit": limit, "offset": offset, "data": data}))).await
}

/// `GET /v3/marketing/favor/stocks/{stock_id}?stock_creator_mchid=`.
pub async fn detail(State(st): State<AppState>, Path(stock_id): Path<String>, Query(q): Params, req: PayRequest) -> PayResult {
    creator_matches(&req, q.get("stock_creator_mchid").map(String::as_str))?;
    let s = own_stock(&st, &req, &stock_id).await?;
    signed(&st, &req, StatusCode::OK, Some(&stock_json(&s))).await
}

/// `offset` and `limit` (1–50) of a stock's list query.
fn page(q: &HashMap<String, String>) -> Result<(usize, usize), PayError> {
    let num = |k: &str, default: usize| q.get(k).filter(|v| !v.is_empty()).map_or(Ok(default), |v| v.parse::<usize>().map_err(|_| PayError::new(PayCode::ParamError, format!("{k} 应为非负整数"))));
    let (offset, limit) = (num("offset", 0)?, num("limit", 50)?);
    if !(1..=50).contains(&limit) {
        return Err(PayError::new(PayCode::ParamError, "limit 应在 1 到 50 之间"));
    }
    Ok((offset, limit))
}

/// One of the stock's `coupon_use_rule` lists, as given at creation.
fn rule_list(s: &Stock, field: &str) -> Vec<Value> {
    let rules: Value = serde_json::from_str(&s.rules).unwrap_or_default();
    rules["coupon_use_rule"][field].as_array().cloned().unwrap_or_default()
}

/// `GET /v3/marketing/favor/stocks/{stock_id}/merchants?stock_creator_mchid=&offset=&limit=`:
/// where the stock's coupons may be used (its `available_merchants`, or the creator alone).
pub async fn merchants(State(st): State<AppState>, Path(stock_id): Path<String>, Query(q): Params, req: PayRequest) -> PayResult {
    creator_matches(&req, q.get("stock_creator_mchid").map(String::as_str))?;
    let (offset, limit) = page(&q)?;
    let s = own_stock(&st, &req, &stock_id).await?;
    let mut all = rule_list(&s, "available_merchants");
    if all.is_empty() {
        all.push(s.mchid.clone().into());
    }
    let body = json!({
        "stock_id": s.stock_id, "stock_creator_mchid": s.mchid, "total_count": all.len(), "offset": offset, "limit": limit,
        "mchid_list": all.into_iter().skip(offset).take(limit).collect::<Vec<_>>(),
    });
    signed(&st, &req, StatusCode::OK, Some(&body)).await
}

/// `GET /v3/marketing/favor/stocks/{stock_id}/items?stock_creator_mchid=&offset=&limit=`: the
/// single items the stock is limited to (`available_items`; none for a whole-order stock).
pub async fn items(State(st): State<AppState>, Path(stock_id): Path<String>, Query(q): Params, req: PayRequest) -> PayResult {
    creator_matches(&req, q.get("stock_creator_mchid").map(String::as_str))?;
    let (offset, limit) = page(&q)?;
    let s = own_stock(&st, &req, &stock_id).await?;
    let all = rule_list(&s, "available_items");
    let body = json!({
        "stock_id": s.stock_id, "total_count": all.len(), "offset": offset, "limit": limit,
        "data": all.into_iter().skip(offset).take(limit).collect::<Vec<_>>(),
    });
    signed(&st, &req, StatusCode::OK, Some(&body)).await
}

/// `POST /v3/marketing/favor/users/{openid}/coupons` with `{stock_id, out_request_no, appid,
/// stock_creator_mchid}` → `{coupon_id}`; the same out_request_no answers the same coupon.
pub async fn send(State(st): State<AppState>, Path(openid): Path<String>, req: PayRequest) -> PayResult {
    let body = req.json()?;
    let field = |k: &str| body.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
    let need = |k: &str| field(k).ok_or_else(|| PayError::new(PayCode::ParamError, format!("输入源“/body/{k}”必填")));
    let (stock_id, out_request_no, appid) = (need("stock_id")?, need("out_request_no")?, need("appid")?);
    creator_matches(&req, Some(need("stock_creator_mchid")?))?;
    if body.get("coupon_value").is_some() || body.get("coupon_minimum").is_some() {
        return Err(PayError::new(PayCode::ParamError, "coupon_value 和 coupon_minimum 仅适用于指定面额发券的批次"));
    }
    bound(&req.merchant, appid)?;
    own_stock(&st, &req, stock_id).await?;
    let follower = st.store.follower_by_openid(&AppId(appid.into()), &openid).await?.ok_or_else(|| PayError::new(PayCode::ParamError, "openid 与 appid 不匹配"))?;
    let now = st.clock.now().await?;
    let c = Coupon {
        coupon_id: ids::coupon_id(&mut rand::thread_rng()),
        stock_id: stock_id.into(),
        appid: appid.into(),
        openid: openid.clone(),
        user_id: follower.user_id.0.clone(),
        out_request_no: out_request_no.into(),
        status: coupon::CouponStatus::Sended,
        create_time: now,
        used_time: None,
        transaction_id: None,
        used_mchid: None,
    };
    let sent = match st.store.send_coupon(&c, now).await? {
        CouponSent::Sent(c) => c,
        CouponSent::Existing(e) if e.openid == openid => e,
        CouponSent::Existing(_) => return Err(PayError::new(PayCode::InvalidRequest, "out_request_no 已用于其他用户")),
        CouponSent::StockMissing => return Err(PayError::new(PayCode::ResourceNotExists, "批次不存在")),
        CouponSent::Refused(r) => return Err(r.into()),
    };
    signed(&st, &req, StatusCode::OK, Some(&json!({"coupon_id": sent.coupon_id}))).await
}

/// `GET /v3/marketing/favor/users/{openid}/coupons/{coupon_id}?appid=`.
pub async fn coupon(State(st): State<AppState>, Path((openid, coupon_id)): Path<(String, String)>, Query(q): Params, req: PayRequest) -> PayResult {
    let appid = q.get("appid").map(String::as_str).unwrap_or("");
    bound(&req.merchant, appid)?;
    let c = st.store.coupon(&coupon_id).await?.filter(|c| c.openid == openid && c.appid == appid);
    let c = c.ok_or_else(|| PayError::new(PayCode::ResourceNotExists, "代金券不存在"))?;
    let s = st.store.stock(&c.stock_id).await?.ok_or_else(|| PayError::new(PayCode::ResourceNotExists, "批次不存在"))?;
    let now = st.clock.now().await?;
    signed(&st, &req, StatusCode::OK, Some(&coupon_json(&c, &s, now))).await
}

/// `GET /v3/marketing/favor/users/{openid}/coupons?appid=&stock_id=&status=&creator_mchid=&offset=&limit=`.
pub async fn user_coupons(State(st): State<AppState>, Path(openid): Path<String>, Query(q): Params, req: PayRequest) -> PayResult {
    let appid = q.get("appid").map(String::as_str).unwrap_or("");
    bound(&req.merchant, appid)?;
    let offset = q.get("offset").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    let limit = q.get("limit").and_then(|v| v.parse::<usize>().ok()).unwrap_or(20).clamp(1, 100);
    let want = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let now = st.clock.now().await?;
    let mut rows = Vec::new();
    // A user's coupons mostly share a few stocks: each is read once.
    let mut stocks: HashMap<String, Option<Stock>> = HashMap::new();
    for c in st.store.coupons_of(&openid).await?.into_iter().filter(|c| c.appid == appid) {
        if !stocks.contains_key(&c.stock_id) {
            stocks.insert(c.stock_id.clone(), st.store.stock(&c.stock_id).await?);
        }
        let Some(s) = stocks[&c.stock_id].as_ref() else { continue };
        let status = c.status.effective(s.available_end_time, now);
        let keep = want("stock_id").is_none_or(|x| x == s.stock_id)
            && want("status").is_none_or(|x| x == status.wire())
            && want("creator_mchid").or(want("sender_mchid")).or(want("available_mchid")).is_none_or(|x| x == s.mchid);
        if keep {
            rows.push(coupon_json(&c, s, now));
        }
    }
    let total = rows.len();
    let data: Vec<Value> = rows.into_iter().skip(offset).take(limit).collect();
    signed(&st, &req, StatusCode::OK, Some(&json!({"data": data, "total_count": total, "limit": limit, "offset": offset}))).await
}

/// `POST /v3/marketing/favor/callbacks` with `{mchid, notify_url, switch}` → `{update_time,
/// notify_url}`: where the caller's COUPON.USE notifications go (`switch` false stops them).
pub async fn callbacks(State(st): State<AppState>, req: PayRequest) -> PayResult {
    let body = req.json()?;
    same_mchid(&req.merchant, body.get("mchid").and_then(Value::as_str))?;
    let url = body.get("notify_url").and_then(Value::as_str).filter(|u| !u.is_empty()).ok_or_else(|| PayError::new(PayCode::ParamError, "回调 url 不能为空"))?;
    if !herald_domain::pay::valid_notify_url(url) {
        return Err(PayError::new(PayCode::ParamError, "notify_url 格式不正确"));
    }
    let enabled = match body.get("switch") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(PayError::new(PayCode::ParamError, "switch 应为 true 或 false")),
    };
    let now = st.clock.now().await?;
    st.store.set_coupon_callback(&CouponCallback { mchid: req.merchant.mchid.clone(), notify_url: url.into(), enabled, update_time: now }).await?;
    signed(&st, &req, StatusCode::OK, Some(&json!({"update_time": rfc3339_cst(now), "notify_url": url}))).await
}
