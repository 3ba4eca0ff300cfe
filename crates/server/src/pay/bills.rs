//! Bills (reference §1.5; WeChat Pay's 下载账单): `GET /v3/bill/tradebill` and
//! `/v3/bill/fundflowbill` answer `{hash_type, hash_value, download_url}` for one past day of
//! the merchant's payments and refunds, or of its balance's movements; a coupon stock's
//! `/use-flow` answers `{url, hash_value, hash_type}` for the coupons used so far, and its
//! `/refund-flow` the same for the coupons' part of the refunds of their orders. The file
//! itself comes from `GET /v3/billdownload/file?token=`, a signed request like any other,
//! whose answer is not signed (as WeChat's is not). The token names the file and is sealed
//! with a key derived from the platform key, so any node serves it, for 30 seconds, from the
//! stored orders: nothing about the bill is kept.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use herald_domain::ledger::Book;
use herald_domain::time::{cst_date, day_start, CST_OFFSET};
use herald_store::pay::{Order, OrderKey};
use herald_domain::pay::RefundStatus;
use herald_wire::pay::bill::{self, BillToken, CouponRefundRow, CouponUseRow, FundRow, PaidRow, RefundRow, TradeBillType};
use herald_wire::pay::types::parse_rfc3339;
use herald_wire::pay::PayCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{platform_key, signed, PayError, PayRequest, PayResult};
use crate::clock::system_now;
use crate::state::AppState;

type Params = Query<HashMap<String, String>>;

/// How long a download URL works (WeChat: 30 seconds).
const DOWNLOAD_TTL: i64 = 30;
/// How far back bills go (WeChat: three months).
const OLDEST_DAYS: i64 = 92;

fn bad(msg: &str) -> PayError {
    PayError::new(PayCode::ParamError, msg)
}

/// The start of `bill_date` (`yyyy-mm-dd`, China time), if it is a day whose bill exists:
/// before today and at most three months back, by the platform clock.
fn bill_day(date: Option<&String>, now: i64) -> Result<i64, PayError> {
    let date = date.ok_or_else(|| bad("输入源“/query/bill_date”映射到字段“账单日期”必填性规则校验失败,此字段为必填项"))?;
    let valid = date.len() == 10 && date.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let start = valid.then(|| parse_rfc3339(&format!("{date}T00:00:00+08:00"))).flatten().filter(|t| cst_date(*t) == *date);
    let start = start.ok_or_else(|| bad("bill_date 格式应为 yyyy-MM-dd"))?;
    let today = day_start(now, CST_OFFSET);
    if start >= today {
        return Err(PayError::new(PayCode::NoStatementExist, "账单日期应早于今天，当日账单次日生成"));
    }
    if start < today - OLDEST_DAYS * 86_400 {
        return Err(PayError::new(PayCode::NoStatementExist, "只能下载三个月以内的账单"));
    }
    Ok(start)
}

fn gzip_wanted(q: &HashMap<String, String>) -> Result<bool, PayError> {
    match q.get("tar_type").map(String::as_str) {
        None | Some("") => Ok(false),
        Some("GZIP") => Ok(true),
        Some(_) => Err(bad("tar_type 只支持 GZIP")),
    }
}

/// The key download tokens are sealed with: derived from the platform key, which every node
/// shares.
async fn token_secret(st: &AppState) -> Result<Vec<u8>, PayError> {
    let key = platform_key(st).await?;
    Ok(Sha256::new().chain_update(b"herald bill download\n").chain_update(key.to_pem().as_bytes()).finalize().to_vec())
}

/// The file a token names, uncompressed; `None` when there is nothing to bill.
async fn render(st: &AppState, t: &BillToken) -> Result<Option<String>, PayError> {
    match t.kind.as_str() {
        "trade" => {
            let from = bill_day(Some(&t.subject), t.as_of)?;
            let kind = t.bill_type.unwrap_or(TradeBillType::All);
            let paid: Vec<PaidRow> = st.store.orders_paid_between(&t.mchid, from, from + 86_400).await?.iter().map(paid_row).collect();
            let mut refunds = Vec::new();
            for r in st.store.refunds_between(&t.mchid, from, from + 86_400).await? {
                // The refunded order is often among the day's payments; read it only if not.
                let order = match paid.iter().find(|p| p.transaction_id == r.transaction_id) {
                    Some(p) => p.clone(),
                    None => match st.store.order(&OrderKey::TransactionId(t.mchid.clone(), r.transaction_id.clone())).await? {
                        Some(o) => paid_row(&o),
                        None => continue,
                    },
                };
                let (_, coupon_part) = r.split();
                refunds.push(RefundRow {
                    time: r.created_at,
                    order,
                    refund_id: r.refund_id.clone(),
                    out_refund_no: r.out_refund_no.clone(),
                    amount: r.amount,
                    coupon_part,
                    status: r.status.wire().to_string(),
                });
            }
            let empty = match kind {
                TradeBillType::All => paid.is_empty() && refunds.is_empty(),
                TradeBillType::Success => paid.is_empty(),
                TradeBillType::Refund => refunds.is_empty(),
            };
            Ok((!empty).then(|| bill::trade_bill(kind, &paid, &refunds)))
        }
        "fund" => {
            let from = bill_day(Some(&t.subject), t.as_of)?;
            let entries = st.store.entries_between(&Book::Merchant(t.mchid.clone()), from, from + 86_400).await?;
            let rows: Vec<FundRow> = entries
                .iter()
                .map(|e| {
                    let (name, kind, id) = fund_business(&e.reason);
                    FundRow { time: e.created_at, business_id: id, flow_id: e.txn_id.to_string(), name: name.into(), kind: kind.into(), delta: e.delta, balance_after: e.balance_after, remark: String::new() }
                })
                .collect();
            Ok((!rows.is_empty()).then(|| bill::fund_flow_bill(&rows)))
        }
        "coupon_use" => {
            let Some(stock) = st.store.stock(&t.subject).await? else { return Ok(None) };
            let mut rows = Vec::new();
            for c in st.store.used_coupons(&stock.stock_id, t.as_of).await? {
                let (Some(txid), Some(used)) = (c.transaction_id.clone(), c.used_time) else { continue };
                let mchid = c.used_mchid.clone().unwrap_or_else(|| stock.mchid.clone());
                let order = st.store.order(&OrderKey::TransactionId(mchid.clone(), txid.clone())).await?;
                rows.push(CouponUseRow {
                    stock_id: stock.stock_id.clone(),
                    coupon_id: c.coupon_id.clone(),
                    no_cash: stock.no_cash,
                    amount: stock.coupon_amount,
                    order_total: order.as_ref().map(|o| o.total).unwrap_or(0),
                    trade_type: order.as_ref().map(|o| o.trade_type.wire().to_string()).unwrap_or_default(),
                    transaction_id: txid,
                    time: used,
                    mchid,
                });
            }
            Ok(Some(bill::coupon_use_flow(&rows)))
        }
        "coupon_refund" => {
            let Some(stock) = st.store.stock(&t.subject).await? else { return Ok(None) };
            let mut rows = Vec::new();
            for c in st.store.used_coupons(&stock.stock_id, t.as_of).await? {
                let Some(txid) = c.transaction_id.clone() else { continue };
                let mchid = c.used_mchid.clone().unwrap_or_else(|| stock.mchid.clone());
                let order = st.store.order(&OrderKey::TransactionId(mchid.clone(), txid.clone())).await?;
                for r in st.store.refunds_of(&txid).await? {
                    let Some(done) = r.success_time.filter(|&at| r.status == RefundStatus::Success && at <= t.as_of) else { continue };
                    let (_, coupon_part) = r.split();
                    if coupon_part == 0 {
                        continue;
                    }
                    rows.push(CouponRefundRow {
                        stock_id: stock.stock_id.clone(),
                        coupon_id: c.coupon_id.clone(),
                        no_cash: stock.no_cash,
                        amount: coupon_part,
                        order_total: order.as_ref().map(|o| o.total).unwrap_or(r.total),
                        trade_type: order.as_ref().map(|o| o.trade_type.wire().to_string()).unwrap_or_default(),
                        transaction_id: txid.clone(),
                        refund_id: r.refund_id.clone(),
                        time: done,
                        mchid: mchid.clone(),
                    });
                }
            }
            rows.sort_by(|a, b| (a.time, &a.refund_id).cmp(&(b.time, &b.refund_id)));
            Ok(Some(bill::coupon_refund_flow(&rows)))
        }
        _ => Ok(None),
    }
}

fn paid_row(o: &Order) -> PaidRow {
    let no_cash = o.promotion.as_deref().and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok()).map_or(0, |p| {
        p.as_array().into_iter().flatten().filter(|d| d["type"] == "NOCASH").filter_map(|d| d["amount"].as_i64()).sum()
    });
    PaidRow {
        time: o.success_time.unwrap_or(o.created_at),
        appid: o.appid.clone(),
        mchid: o.mchid.clone(),
        transaction_id: o.transaction_id.clone(),
        out_trade_no: o.out_trade_no.clone(),
        openid: o.payer_openid.clone().unwrap_or_default(),
        trade_type: o.trade_type.wire().to_string(),
        total: o.total,
        coupon: o.discount,
        no_cash,
        description: o.description.clone(),
        attach: o.attach.clone().unwrap_or_default(),
    }
}

/// 业务名称, 业务类型 and the business id of a ledger movement, from its reason.
fn fund_business(reason: &str) -> (&'static str, &'static str, String) {
    let (head, rest) = reason.split_once(':').unwrap_or((reason, ""));
    let (name, kind) = match head {
        "pay" => ("交易", "交易"),
        "refund" | "refund-settle" => ("退款", "退款"),
        "redpack" | "redpack-return" => ("现金红包", "现金红包"),
        "coupon-fund" | "coupon-return" => ("代金券", "营销"),
        "mchtopup" => ("充值", "充值"),
        _ => ("其他", "其他"),
    };
    (name, kind, rest.split(':').next_back().unwrap_or(rest).to_string())
}

/// Renders the file now (to hash it and to refuse a day with nothing in it) and answers the
/// signed `{hash_type, hash_value, <url_field>}`.
async fn answer(st: &AppState, req: &PayRequest, t: BillToken, url_field: &str) -> PayResult {
    let file = render(st, &t).await?.ok_or_else(|| PayError::new(PayCode::NoStatementExist, "该日期无账单"))?;
    let url = format!("{}/v3/billdownload/file?token={}", st.base_url(), t.seal(&token_secret(st).await?));
    let body = json!({"hash_type": "SHA1", "hash_value": bill::sha1_hex(file.as_bytes()), url_field: url});
    signed(st, req, StatusCode::OK, Some(&body)).await
}

/// `GET /v3/bill/tradebill?bill_date=&bill_type=ALL|SUCCESS|REFUND&tar_type=GZIP`.
pub async fn trade(State(st): State<AppState>, Query(q): Params, req: PayRequest) -> PayResult {
    let now = st.clock.now().await?;
    bill_day(q.get("bill_date"), now)?;
    let kind = match q.get("bill_type").map(String::as_str) {
        None | Some("") => TradeBillType::All,
        Some(k) => TradeBillType::parse(k).ok_or_else(|| bad("bill_type 应为 ALL、SUCCESS 或 REFUND"))?,
    };
    let t = BillToken {
        mchid: req.merchant.mchid.clone(),
        kind: "trade".into(),
        subject: q["bill_date"].clone(),
        bill_type: Some(kind),
        gzip: gzip_wanted(&q)?,
        as_of: now,
        expires: system_now() + DOWNLOAD_TTL,
    };
    answer(&st, &req, t, "download_url").await
}

/// `GET /v3/bill/fundflowbill?bill_date=&account_type=BASIC&tar_type=GZIP`. Herald keeps one
/// balance per merchant, the basic account; the operation and fee accounts have no bills.
pub async fn fund_flow(State(st): State<AppState>, Query(q): Params, req: PayRequest) -> PayResult {
    let now = st.clock.now().await?;
    bill_day(q.get("bill_date"), now)?;
    match q.get("account_type").map(String::as_str) {
        None | Some("") | Some("BASIC") => {}
        Some("OPERATION") | Some("FEES") => return Err(PayError::new(PayCode::NoStatementExist, "该账户无资金账单")),
        Some(_) => return Err(bad("account_type 应为 BASIC、OPERATION 或 FEES")),
    }
    let t = BillToken {
        mchid: req.merchant.mchid.clone(),
        kind: "fund".into(),
        subject: q["bill_date"].clone(),
        bill_type: None,
        gzip: gzip_wanted(&q)?,
        as_of: now,
        expires: system_now() + DOWNLOAD_TTL,
    };
    answer(&st, &req, t, "download_url").await
}

/// `GET /v3/marketing/favor/stocks/{stock_id}/use-flow`: the stock creator's file of the
/// coupons used so far.
pub async fn coupon_use_flow(State(st): State<AppState>, Path(stock_id): Path<String>, req: PayRequest) -> PayResult {
    stock_flow(&st, &req, stock_id, "coupon_use").await
}

/// `GET /v3/marketing/favor/stocks/{stock_id}/refund-flow`: the stock creator's file of the
/// coupons' part of every refund so far of the orders they paid for.
pub async fn coupon_refund_flow(State(st): State<AppState>, Path(stock_id): Path<String>, req: PayRequest) -> PayResult {
    stock_flow(&st, &req, stock_id, "coupon_refund").await
}

/// A stock's file of `kind` as of now, for its creator only: `{url, hash_value, hash_type}`.
async fn stock_flow(st: &AppState, req: &PayRequest, stock_id: String, kind: &str) -> PayResult {
    super::coupons::own_stock(st, req, &stock_id).await?;
    let t = BillToken {
        mchid: req.merchant.mchid.clone(),
        kind: kind.into(),
        subject: stock_id,
        bill_type: None,
        gzip: false,
        as_of: st.clock.now().await?,
        expires: system_now() + DOWNLOAD_TTL,
    };
    answer(st, req, t, "url").await
}

/// `GET /v3/billdownload/file?token=`: the file, gzipped when the bill asked for GZIP, for
/// the merchant it was made for. Not signed.
pub async fn download(State(st): State<AppState>, Query(q): Params, req: PayRequest) -> Result<Response, PayError> {
    let secret = token_secret(&st).await?;
    let t = q.get("token").and_then(|tok| BillToken::open(tok, &secret)).ok_or_else(|| PayError::new(PayCode::InvalidRequest, "下载链接无效"))?;
    if t.mchid != req.merchant.mchid {
        return Err(PayError::new(PayCode::NoAuth, "无权下载该账单"));
    }
    if system_now() > t.expires {
        return Err(PayError::new(PayCode::InvalidRequest, "下载链接已过期，请重新申请"));
    }
    let file = render(&st, &t).await?.ok_or_else(|| PayError::new(PayCode::NoStatementExist, "该日期无账单"))?;
    let (bytes, kind) = if t.gzip { (bill::gzip(file.as_bytes()), "application/x-gzip") } else { (file.into_bytes(), "text/csv; charset=utf-8") };
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&super::request_id()) {
        r.headers_mut().insert("Request-ID", v);
    }
    Ok(r)
}
