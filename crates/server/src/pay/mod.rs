//! The WeChat Pay APIv3-compatible API (`/v3/...`): request authentication, signed
//! responses and v3 errors here; certificates.rs, orders.rs, refunds.rs hold the endpoints;
//! notify.rs builds and delivers notifications and settles refunds (run by the worker);
//! payer.rs is the payer's side (paying from the wallet), shared by the platform API and the
//! cashier page.

pub mod bills;
pub mod certificates;
pub mod coupons;
pub mod notify;
pub mod orders;
pub mod payer;
pub mod redpack;
pub mod refunds;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use herald_domain::pay::Refusal;
use herald_store::pay::Merchant;
use herald_store::StoreError;
use herald_wire::pay::auth::{self, AuthHeader};
use herald_wire::pay::keys::PrivateKey;
use herald_wire::pay::{code, PayCode};
use rand::distributions::{Alphanumeric, DistString};

use crate::clock::system_now;
use crate::state::AppState;

/// Whether a job is one of payments' own, which move money and mark themselves done in the
/// same transaction: refund settlements and red packets' 24-hour returns.
pub fn is_money_job(kind: &str) -> bool {
    matches!(kind, "refund_settle" | herald_store::redpack::RETURN_JOB)
}

/// Runs such a job (a failure is logged; the lease expires and it runs again).
pub async fn run_money_job(st: &AppState, job: &herald_store::Job) {
    match job.kind.as_str() {
        "refund_settle" => notify::settle(st, job).await,
        herald_store::redpack::RETURN_JOB => redpack::return_job(st, job).await,
        other => tracing::error!(kind = other, "not a payments job"),
    }
}

/// A v3 error: `{code, message}` with the code's HTTP status.
#[derive(Debug)]
pub struct PayError {
    pub code: PayCode,
    pub message: String,
}

impl PayError {
    pub fn new(code: PayCode, message: impl Into<String>) -> Self {
        PayError { code, message: message.into() }
    }
}

impl From<PayCode> for PayError {
    fn from(c: PayCode) -> Self {
        PayError::new(c, c.message())
    }
}

impl From<Refusal> for PayError {
    fn from((c, m): Refusal) -> Self {
        PayError::new(c, m)
    }
}

impl From<StoreError> for PayError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage failed");
        PayCode::SystemError.into()
    }
}

impl IntoResponse for PayError {
    fn into_response(self) -> Response {
        let body = code::body(self.code, Some(&self.message), None).to_string();
        let mut r = Response::new(Body::from(body));
        *r.status_mut() = StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        if let Ok(v) = HeaderValue::from_str(&request_id()) {
            r.headers_mut().insert("Request-ID", v);
        }
        r
    }
}

pub type PayResult = Result<Response, PayError>;

/// A request id in WeChat Pay's shape: 42 upper-case hex characters, `-`, a number.
pub fn request_id() -> String {
    format!("{:032X}{:010X}-0", rand::random::<u128>(), rand::random::<u64>() >> 24)
}

/// The platform's signing key: one per installation, made on first use and kept in the
/// settings table so every node signs with the same key.
pub async fn platform_key(st: &AppState) -> Result<Arc<PrivateKey>, StoreError> {
    st.pay_key
        .get_or_try_init(|| async {
            let pem = match st.store.setting("pay_platform_key").await? {
                Some(p) => p,
                None => {
                    let fresh = tokio::task::spawn_blocking(|| PrivateKey::generate(&mut rand::rngs::OsRng))
                        .await
                        .map_err(|e| StoreError::Other(e.to_string()))?
                        .map_err(StoreError::Other)?;
                    st.store.setting_or_insert("pay_platform_key", &fresh.to_pem()).await?
                }
            };
            PrivateKey::from_pem(&pem).map(Arc::new).map_err(StoreError::Other)
        })
        .await
        .cloned()
}

/// The `Wechatpay-*` headers of a signed response or notification over `body`.
pub fn signature_headers(key: &PrivateKey, serial: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let ts = system_now().to_string();
    let nonce = Alphanumeric.sample_string(&mut rand::thread_rng(), 32).to_uppercase();
    let sig = key.sign(&auth::response_message(&ts, &nonce, body));
    vec![
        ("Wechatpay-Timestamp", ts),
        ("Wechatpay-Nonce", nonce),
        ("Wechatpay-Signature", sig),
        ("Wechatpay-Serial", serial.to_string()),
        ("Wechatpay-Signature-Type", auth::SCHEME.to_string()),
    ]
}

/// A signed response: JSON `body` (compact, raw UTF-8), or an empty one for 204.
pub async fn signed(st: &AppState, req: &PayRequest, status: StatusCode, body: Option<&serde_json::Value>) -> PayResult {
    let key = platform_key(st).await?;
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let mut r = Response::new(Body::from(bytes.clone()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if body.is_some() {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    }
    for (name, value) in signature_headers(&key, &req.serial, &bytes) {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&request_id()) {
        h.insert("Request-ID", v);
    }
    Ok(r)
}

/// An authenticated APIv3 request: the merchant, the raw body, and the serial responses
/// name (the public key id when the request named it, else the platform certificate's).
pub struct PayRequest {
    pub merchant: Merchant,
    pub body: Bytes,
    pub serial: String,
}

impl PayRequest {
    /// The body as JSON, refused as WeChat refuses a syntax error.
    pub fn json(&self) -> Result<serde_json::Value, PayError> {
        serde_json::from_slice(&self.body).map_err(|e| PayError::new(PayCode::ParamError, format!("解析 Json 出错 (位置: /body): {e}")))
    }
}

fn sign_error(msg: &str) -> PayError {
    PayError::new(PayCode::SignError, msg)
}

/// The most parsed merchant keys a node keeps; past it the cache starts again.
const MAX_CACHED_KEYS: usize = 4096;

/// A merchant's API public key, parsed once per node from its PEM text (request signatures
/// and payers' JSAPI paySign).
pub(crate) fn merchant_key(st: &AppState, pem: &str) -> Result<Arc<herald_wire::pay::keys::PublicKey>, String> {
    let cached = st.pay_public_keys.lock().unwrap_or_else(|p| p.into_inner()).get(pem).cloned();
    if let Some(k) = cached {
        return Ok(k);
    }
    let key = Arc::new(herald_wire::pay::keys::PublicKey::from_pem(pem)?);
    let mut keys = st.pay_public_keys.lock().unwrap_or_else(|p| p.into_inner());
    if keys.len() >= MAX_CACHED_KEYS {
        keys.clear();
    }
    keys.insert(pem.to_string(), key.clone());
    Ok(key)
}

/// Checks the Authorization header over the raw request target and body.
async fn authenticate(st: &AppState, method: &str, target: &str, headers: &HeaderMap, body: &[u8]) -> Result<(Merchant, String), PayError> {
    let raw = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(|| sign_error("缺少 Authorization 头"))?;
    let a = AuthHeader::parse(raw).map_err(|e| match e {
        auth::AuthError::Scheme => sign_error("Authorization 头应以 WECHATPAY2-SHA256-RSA2048 开头"),
        auth::AuthError::Field(f) => sign_error(&format!("Authorization 头缺少或错误的字段 {f}")),
    })?;
    // Nothing is written for a request until its signature is checked: an unsigned request
    // records no nonce, and a forged one cannot burn a real one.
    if a.nonce_str.len() > auth::MAX_NONCE_LEN {
        return Err(sign_error("nonce_str 长度不能超过 32 个字符"));
    }
    let now = system_now();
    // The SDKs sign with the real time, whatever the simulated clock says.
    if (now - a.timestamp()).abs() > auth::MAX_SKEW_SECS {
        return Err(sign_error("请求时间戳与当前时间相差超过 5 分钟"));
    }
    let m = st.store.merchant(&a.mchid).await?.ok_or_else(|| PayError::new(PayCode::MchNotExists, "商户号不存在"))?;
    if !auth::same_serial(&a.serial_no, &m.mch_serial) {
        return Err(sign_error("商户证书序列号有误"));
    }
    let key = merchant_key(st, &m.mch_public_key).map_err(|e| {
        tracing::error!(mchid = %m.mchid, error = %e, "a merchant's stored key does not parse");
        PayError::from(PayCode::SystemError)
    })?;
    let signed_over = |url: &str| {
        key.verify(&auth::request_message(method, url, &a.timestamp, &a.nonce_str, body), &a.signature)
            || (body.is_empty() && key.verify(&auth::request_message_without_body_line(method, url, &a.timestamp, &a.nonce_str), &a.signature))
    };
    // wechatpay-node-v3 signs an absolute URL with only WeChat's own host taken off, so a
    // download URL of Herald's (`/v3/billdownload/file`) is signed whole: accept the request
    // target written after Herald's public URL too. The string still binds method, path,
    // query, time, nonce and body.
    let ok = signed_over(target) || (!st.base_url().is_empty() && signed_over(&format!("{}{target}", st.base_url())));
    if !ok {
        return Err(sign_error("签名错误，请检查后再试"));
    }
    if !st.store.use_pay_nonce(&m.mchid, &a.nonce_str, now, now - 2 * auth::MAX_SKEW_SECS).await? {
        return Err(sign_error("nonce_str 重复，请求被拒绝（重放）"));
    }
    // Which key the merchant's SDK verifies with: the public key when it names the id.
    let wanted = headers.get("Wechatpay-Serial").and_then(|v| v.to_str().ok()).map(str::trim);
    let mode = match wanted {
        Some(s) if s == m.public_key_id => "public_key",
        Some(s) if auth::same_serial(s, &m.platform_serial) => "certificate",
        _ => m.key_mode.as_str(),
    };
    if mode != m.key_mode {
        st.store.set_merchant_key_mode(&m.mchid, mode).await?;
    }
    let serial = if mode == "public_key" { m.public_key_id.clone() } else { m.platform_serial.clone() };
    Ok((m, serial))
}

impl FromRequest<AppState> for PayRequest {
    type Rejection = PayError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let target = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| parts.uri.path().to_string());
        let body = axum::body::to_bytes(body, 1 << 20).await.map_err(|_| PayError::new(PayCode::ParamError, "请求体过大"))?;
        let (merchant, serial) = authenticate(st, parts.method.as_str(), &target, &parts.headers, &body).await?;
        Ok(PayRequest { merchant, body, serial })
    }
}

/// Is `appid` bound to the merchant?
pub fn bound(m: &Merchant, appid: &str) -> Result<(), PayError> {
    if m.appids.iter().any(|a| a == appid) {
        Ok(())
    } else {
        Err(PayError::new(PayCode::AppidMchidNotMatch, "AppID和mch_id不匹配"))
    }
}

/// `mchid` in a body or query must be the caller's.
pub fn same_mchid(m: &Merchant, given: Option<&str>) -> Result<(), PayError> {
    match given {
        Some(g) if g == m.mchid => Ok(()),
        Some(_) => Err(PayError::new(PayCode::InvalidRequest, "http header中的mchid与post payload中的mchid不匹配")),
        None => Err(PayError::new(PayCode::ParamError, "输入源“/body/mchid”映射到字段“直连商户号”必填性规则校验失败,此字段为必填项")),
    }
}
