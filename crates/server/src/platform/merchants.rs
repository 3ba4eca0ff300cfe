//! WeChat Pay merchants, as the operator runs them: create (keys and certificates made
//! here when the merchant brings none), bind verified service accounts, read balances and
//! the notifications sent; and paying as a simulated user.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use herald_domain::account::{permit, Capability};
use herald_domain::ledger::Book;
use herald_domain::pay::ids;
use herald_store::pay::{Merchant, OrderKey};
use herald_wire::pay::auth::canonical_serial;
use herald_wire::pay::keys::{random_serial, read_certificate, PrivateKey, PublicKey};
use serde::Deserialize;
use serde_json::{json, Value};

use super::users::load_user;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ActingFor, ApiJson, Operator};
use crate::pay::payer::{self, ClientSign, PayerError};
use crate::state::AppState;

/// Platform certificates are issued for five years, from a day before now.
const CERT_YEARS: i64 = 5;

#[derive(Debug, Default, Deserialize)]
pub struct MerchantIn {
    #[serde(default)]
    mchid: Option<String>,
    name: String,
    #[serde(default)]
    appids: Vec<String>,
    #[serde(default)]
    apiv3_key: Option<String>,
    #[serde(default)]
    api_key: Option<String>,
    /// The merchant's API certificate (`apiclient_cert.pem`)…
    #[serde(default)]
    certificate: Option<String>,
    /// …or its public key and serial.
    #[serde(default)]
    public_key: Option<String>,
    #[serde(default)]
    serial_no: Option<String>,
    /// `certificate` (default) or `public_key`: which key notifications name.
    #[serde(default)]
    key_mode: Option<String>,
    /// `auto` (default: refunds settle SUCCESS at once) or `hold`.
    #[serde(default)]
    refund_mode: Option<String>,
    /// The H5 payment domain (a host name, optionally with :port): the cashier's "Back" link
    /// goes only to pages there, as WeChat checks an H5 payment's redirect_url.
    #[serde(default)]
    h5_domain: Option<String>,
}

fn h5_domain_of(given: Option<&str>) -> Result<String, ApiError> {
    match given.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => herald_domain::oauth::normalize_domain(d).ok_or_else(|| ApiError::bad_request("h5_domain must be a host name, optionally with :port (no scheme or path)")),
        None => Ok(String::new()),
    }
}

fn merchant_out(m: &Merchant, platform_public_key: &str) -> Value {
    json!({
        "mchid": m.mchid,
        "name": m.name,
        "appids": m.appids,
        "apiv3_key": m.apiv3_key,
        "api_key": m.api_key,
        "serial_no": m.mch_serial,
        "certificate": m.mch_certificate,
        "platform_serial": m.platform_serial,
        "platform_certificate": m.platform_certificate,
        "public_key_id": m.public_key_id,
        "public_key": platform_public_key,
        "key_mode": m.key_mode,
        "refund_mode": m.refund_mode,
        "h5_domain": m.h5_domain,
        "created_at": m.created_at,
    })
}

async fn check_app(st: &AppState, appid: &str) -> Result<(), ApiError> {
    let a = st.store.account(appid).await?.ok_or_else(|| ApiError::not_found("account"))?;
    permit(a.kind(), Capability::Payments)
        .map_err(|_| ApiError::new(StatusCode::CONFLICT, "not_allowed", format!("{appid} is not a verified service account; only those can take payments")))
}

fn valid_key(k: &str) -> bool {
    k.len() == 32 && k.is_ascii()
}

/// `POST /herald/v1/merchants`.
pub async fn create(State(st): State<AppState>, _: Operator, ApiJson(b): ApiJson<MerchantIn>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::bad_request("name is 1 to 64 characters"));
    }
    let mchid = b.mchid.clone().unwrap_or_else(|| format!("19{:08}", rand::random::<u32>() % 100_000_000));
    if !(8..=32).contains(&mchid.len()) || !mchid.bytes().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::bad_request("mchid is 8 to 32 digits"));
    }
    for a in &b.appids {
        check_app(&st, a).await?;
    }
    let apiv3_key = b.apiv3_key.clone().unwrap_or_else(|| ids::api_key(&mut rand::thread_rng()));
    let api_key = b.api_key.clone().unwrap_or_else(|| ids::api_key(&mut rand::thread_rng()));
    if !valid_key(&apiv3_key) || !valid_key(&api_key) {
        return Err(ApiError::bad_request("apiv3_key and api_key are 32 ASCII characters"));
    }
    let key_mode = b.key_mode.clone().unwrap_or_else(|| "certificate".into());
    if !matches!(key_mode.as_str(), "certificate" | "public_key") {
        return Err(ApiError::bad_request("key_mode is certificate or public_key"));
    }
    let refund_mode = b.refund_mode.clone().unwrap_or_else(|| "auto".into());
    check_refund_mode(&refund_mode)?;
    let h5_domain = h5_domain_of(b.h5_domain.as_deref())?;
    let now = st.clock.now().await?;
    // The merchant's API key: from its certificate, from a public key and serial, or made here.
    let (mch_serial, mch_public_key, mch_certificate, private_key) = match (&b.certificate, &b.public_key) {
        (Some(pem), _) => {
            let info = read_certificate(pem).map_err(ApiError::bad_request)?;
            (info.serial, info.public_key.to_pem(), Some(pem.trim().to_string() + "\n"), None)
        }
        (None, Some(pem)) => {
            let key = PublicKey::from_pem(pem).map_err(ApiError::bad_request)?;
            let serial = b.serial_no.as_deref().and_then(canonical_serial).ok_or_else(|| ApiError::bad_request("serial_no (hex) comes with public_key"))?;
            (serial, key.to_pem(), None, None)
        }
        (None, None) => {
            let key = tokio::task::spawn_blocking(|| PrivateKey::generate(&mut rand::rngs::OsRng))
                .await
                .map_err(|e| ApiError::bad_request(e.to_string()))?
                .map_err(ApiError::bad_request)?;
            let serial = random_serial(&mut rand::thread_rng());
            let cert = key.self_signed_certificate(&serial, &mchid, now - 86_400, now + CERT_YEARS * 365 * 86_400).map_err(ApiError::bad_request)?;
            (hex::encode_upper(serial), key.public().to_pem(), Some(cert), Some(key.to_pem()))
        }
    };
    let platform = crate::pay::platform_key(&st).await?;
    let serial = random_serial(&mut rand::thread_rng());
    let (nb, na) = (crate::clock::system_now() - 86_400, crate::clock::system_now() + CERT_YEARS * 365 * 86_400);
    let platform_certificate = platform.self_signed_certificate(&serial, &format!("Herald Pay Platform {mchid}"), nb, na).map_err(ApiError::bad_request)?;
    let m = Merchant {
        mchid: mchid.clone(),
        name: name.into(),
        apiv3_key,
        api_key,
        mch_serial,
        mch_public_key,
        mch_certificate,
        platform_serial: hex::encode_upper(serial),
        platform_certificate,
        platform_not_before: nb,
        platform_not_after: na,
        public_key_id: ids::public_key_id(&mut rand::thread_rng()),
        key_mode,
        created_at: now,
        refund_mode,
        h5_domain,
        appids: b.appids.clone(),
    };
    if !st.store.create_merchant(&m).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "exists", format!("merchant {mchid} exists")));
    }
    let m = st.store.merchant(&mchid).await?.ok_or_else(|| ApiError::not_found("merchant"))?;
    let mut out = merchant_out(&m, &platform.public().to_pem());
    if let Some(pk) = private_key {
        out["private_key"] = pk.into();
    }
    Ok((StatusCode::CREATED, Json(out)))
}

async fn load(st: &AppState, mchid: &str) -> Result<Merchant, ApiError> {
    st.store.merchant(mchid).await?.ok_or_else(|| ApiError::not_found("merchant"))
}

/// `GET /herald/v1/merchants/{mchid}`: the merchant, its balance and its keys' public parts.
pub async fn show(State(st): State<AppState>, _: Operator, Path(mchid): Path<String>) -> ApiResult<Value> {
    let m = load(&st, &mchid).await?;
    let platform = crate::pay::platform_key(&st).await?;
    let mut out = merchant_out(&m, &platform.public().to_pem());
    out["balance"] = st.store.balance(&Book::Merchant(m.mchid.clone())).await?.into();
    Ok(Json(out))
}

/// `POST /herald/v1/merchants/{mchid}/topup`: funds the merchant's balance (what red
/// packets and refunds are paid from), as a merchant tops up its WeChat Pay account.
pub async fn topup(State(st): State<AppState>, _: Operator, Path(mchid): Path<String>, ApiJson(b): ApiJson<super::wallet::TopUpIn>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let m = load(&st, &mchid).await?;
    let (status, balance, replayed, request) = super::wallet::fund(&st, Book::Merchant(m.mchid.clone()), &format!("mchtopup:{}", m.mchid), &b).await?;
    Ok((status, Json(json!({"mchid": m.mchid, "balance": balance, "replayed": replayed, "request_id": request}))))
}

fn check_refund_mode(mode: &str) -> Result<(), ApiError> {
    if matches!(mode, "auto" | "hold") {
        Ok(())
    } else {
        Err(ApiError::bad_request("refund_mode is auto or hold"))
    }
}

#[derive(Debug, Deserialize)]
pub struct RefundModeIn {
    mode: String,
}

/// `PUT /herald/v1/merchants/{mchid}/refund_mode`: `auto` settles refunds SUCCESS at once;
/// `hold` leaves new refunds PROCESSING until the operator settles them (below), which is
/// how a merchant's code meets REFUND.CLOSED and REFUND.ABNORMAL.
pub async fn refund_mode(State(st): State<AppState>, _: Operator, Path(mchid): Path<String>, ApiJson(b): ApiJson<RefundModeIn>) -> ApiResult<Value> {
    load(&st, &mchid).await?;
    check_refund_mode(&b.mode)?;
    st.store.set_merchant_refund_mode(&mchid, &b.mode).await?;
    Ok(Json(json!({"mchid": mchid, "refund_mode": b.mode})))
}

#[derive(Debug, Deserialize)]
pub struct H5DomainIn {
    domain: Option<String>,
}

/// `PUT /herald/v1/merchants/{mchid}/h5_domain` with `{domain}`: the merchant's H5 payment
/// domain (null or empty: none, and the cashier links nowhere back).
pub async fn set_h5_domain(State(st): State<AppState>, _: Operator, Path(mchid): Path<String>, ApiJson(b): ApiJson<H5DomainIn>) -> ApiResult<Value> {
    load(&st, &mchid).await?;
    let domain = h5_domain_of(b.domain.as_deref())?;
    st.store.set_merchant_h5_domain(&mchid, &domain).await?;
    Ok(Json(json!({"mchid": mchid, "h5_domain": domain})))
}

#[derive(Debug, Deserialize)]
pub struct SettleIn {
    status: String,
}

/// `POST /herald/v1/merchants/{mchid}/refunds/{out_refund_no}/settle` with `{status}`:
/// SUCCESS (the money to the payer), CLOSED or ABNORMAL (back to the merchant); the
/// merchant's notify_url gets REFUND.SUCCESS, REFUND.CLOSED or REFUND.ABNORMAL. 409 if the
/// refund is settled already.
pub async fn settle_refund(State(st): State<AppState>, _: Operator, Path((mchid, no)): Path<(String, String)>, ApiJson(b): ApiJson<SettleIn>) -> ApiResult<Value> {
    use herald_domain::pay::RefundStatus;
    let status = RefundStatus::from_wire(&b.status)
        .filter(|s| *s != RefundStatus::Processing)
        .ok_or_else(|| ApiError::bad_request("status is SUCCESS, CLOSED or ABNORMAL"))?;
    let m = load(&st, &mchid).await?;
    let r = st.store.refund(&m.mchid, &no).await?.ok_or_else(|| ApiError::not_found("refund"))?;
    let appid = st.store.order(&OrderKey::TransactionId(m.mchid.clone(), r.transaction_id.clone())).await?.map(|o| o.appid).unwrap_or_default();
    let now = st.clock.now().await?;
    let notify = move |r: &herald_store::pay::Refund, m: &Merchant| crate::pay::notify::refunded(r, m, &appid);
    let settled = st
        .store
        .settle_refund(&r.refund_id, status, now, crate::clock::system_now_ms(), None, &notify)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "settled", format!("refund {no} is {} already", r.status.wire())))?;
    st.wake.notify_one();
    Ok(Json(crate::pay::refunds::refund_json(&settled)))
}

#[derive(Debug, Deserialize)]
pub struct BindIn {
    appid: String,
}

/// `POST /herald/v1/merchants/{mchid}/apps`: binds a verified service account.
pub async fn bind(State(st): State<AppState>, _: Operator, Path(mchid): Path<String>, ApiJson(b): ApiJson<BindIn>) -> ApiResult<Value> {
    load(&st, &mchid).await?;
    check_app(&st, &b.appid).await?;
    st.store.bind_merchant_app(&mchid, &b.appid).await?;
    Ok(Json(json!({"mchid": mchid, "appids": load(&st, &mchid).await?.appids})))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET /herald/v1/merchants/{mchid}/notifications`: what was sent to notify_url, newest
/// first, with every attempt.
pub async fn notifications(State(st): State<AppState>, _: Operator, Path(mchid): Path<String>, Query(q): Query<ListQuery>) -> ApiResult<Value> {
    load(&st, &mchid).await?;
    let mut out = Vec::new();
    for n in st.store.pay_notifications(&mchid, q.limit.unwrap_or(50).clamp(1, 500)).await? {
        let attempts: Vec<Value> = st
            .store
            .attempts(n.job.id)
            .await?
            .iter()
            .map(|a| json!({"attempt": a.attempt, "at_ms": a.at, "status": a.status, "response": a.response, "error": a.error, "latency_ms": a.latency_ms}))
            .collect();
        let payload: Value = serde_json::from_str(&n.job.payload).unwrap_or_default();
        out.push(json!({
            "id": n.job.id, "event_type": n.event_type, "subject": n.subject, "created_at": n.created_at,
            "url": payload["url"], "body": payload["body"], "state": n.job.state, "next_attempt_ms": (n.job.state == "pending").then_some(n.job.run_at),
            "attempts": attempts,
        }));
    }
    Ok(Json(json!({"notifications": out})))
}

/// `GET /herald/v1/merchants/{mchid}/orders/{out_trade_no}`: the order as WeChat would
/// report it, with its refunds.
pub async fn order(State(st): State<AppState>, _: Operator, Path((mchid, no)): Path<(String, String)>) -> ApiResult<Value> {
    let o = st.store.order(&OrderKey::OutTradeNo(mchid, no)).await?.ok_or_else(|| ApiError::not_found("order"))?;
    let now = st.clock.now().await?;
    let mut out = crate::pay::orders::transaction_json(&o, now);
    out["transaction_id"] = o.transaction_id.clone().into();
    out["prepay_id"] = o.prepay_id.clone().into();
    out["payer_user"] = o.payer_user.clone().into();
    out["refunds"] = st.store.refunds_of(&o.transaction_id).await?.iter().map(crate::pay::refunds::refund_json).collect::<Vec<_>>().into();
    Ok(Json(out))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayIn {
    /// A prepay_id, `prepay_id=…`, a Native code_url or an h5_url.
    #[serde(default, rename = "prepay_id")]
    prepay_id: Option<String>,
    #[serde(default, rename = "code_url")]
    code_url: Option<String>,
    #[serde(default, rename = "h5_url")]
    h5_url: Option<String>,
    /// What `getBrandWCPayRequest` / `wx.requestPayment` get: checked when given.
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    time_stamp: Option<String>,
    #[serde(default)]
    nonce_str: Option<String>,
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    pay_sign: Option<String>,
    /// The APP OpenSDK request's fields (lower case, as wechatpay-node-v3 returns them).
    #[serde(default, rename = "appid")]
    app_appid: Option<String>,
    #[serde(default)]
    prepayid: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    noncestr: Option<String>,
    #[serde(default)]
    sign: Option<String>,
    /// Which coupon to use: absent → the best that applies, `""`/`"none"` → none.
    #[serde(default, rename = "coupon_id")]
    coupon_id: Option<String>,
}

/// `POST /herald/v1/users/{id}/payments`: the user pays, from their wallet, as their client
/// would after `getBrandWCPayRequest`, `wx.requestPayment`, the APP SDK, an H5 page or a
/// scan of a Native code.
pub async fn pay(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>, ApiJson(b): ApiJson<PayIn>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = load_user(&st, &id).await?;
    let (reference, sign) = if let Some(ps) = &b.pay_sign {
        let s = ClientSign {
            appid: b.app_id.clone().unwrap_or_default(),
            timestamp: b.time_stamp.clone().unwrap_or_default(),
            nonce: b.nonce_str.clone().unwrap_or_default(),
            package: b.package.clone().unwrap_or_default(),
            sign: ps.clone(),
        };
        (s.package.clone(), Some(s))
    } else if let (Some(s), Some(p)) = (&b.sign, &b.prepayid) {
        let c = ClientSign {
            appid: b.app_appid.clone().unwrap_or_default(),
            timestamp: b.timestamp.clone().unwrap_or_default(),
            nonce: b.noncestr.clone().unwrap_or_default(),
            package: p.clone(),
            sign: s.clone(),
        };
        (p.clone(), Some(c))
    } else {
        let r = b.prepay_id.clone().or(b.code_url.clone()).or(b.h5_url.clone()).or(b.package.clone()).unwrap_or_default();
        (r, None)
    };
    let key = payer::order_key(&reference).ok_or_else(|| ApiError::bad_request("give prepay_id, code_url, h5_url, or the signed client request"))?;
    match payer::pay(&st, &user, key, sign.as_ref(), &payer::CouponChoice::from_field(b.coupon_id.as_deref())).await {
        Ok(o) => {
            let balance = st.store.balance(&Book::Wallet(user.id.0.clone())).await?;
            Ok((
                StatusCode::OK,
                Json(json!({"err_msg": "get_brand_wcpay_request:ok", "transaction_id": o.transaction_id, "out_trade_no": o.out_trade_no,
                    "mchid": o.mchid, "appid": o.appid, "openid": o.payer_openid, "amount": o.total, "payer_total": o.total - o.discount,
                    "discount": o.discount, "balance": balance})),
            ))
        }
        Err(e) => Err(payer_error(e)),
    }
}

pub fn payer_error(e: PayerError) -> ApiError {
    match e {
        PayerError::Missing => ApiError::not_found("order"),
        PayerError::BadSign => ApiError::new(StatusCode::BAD_REQUEST, "bad_sign", "the client signature (paySign) does not verify with the merchant's key"),
        PayerError::Refused((c, m)) => ApiError::new(StatusCode::CONFLICT, c.code(), m),
        PayerError::Insufficient(b) => ApiError::new(StatusCode::PAYMENT_REQUIRED, "NOTENOUGH", format!("余额不足: the wallet holds {b} fen")),
        PayerError::Store(e) => e.into(),
    }
}
