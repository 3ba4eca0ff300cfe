//! WeChat Pay's rules (reference §3, §4, §5): order checks and idempotency, the trade
//! states, refund limits, notification retries, and the shapes of the ids. Pure: `now` is an
//! argument.

use herald_wire::pay::types::{parse_rfc3339, OrderRequest, RefundRequest};
use herald_wire::pay::PayCode;
use rand::Rng;
use sha2::{Digest, Sha256};

/// The largest amount in fen an order or refund may carry. WeChat Pay's `amount.total` is a
/// 32-bit int on the wire; larger values are refused as a parameter error, as WeChat's
/// schema check refuses them.
pub const MAX_AMOUNT: i64 = i32::MAX as i64;
const AMOUNT_TOO_LARGE: &str = "输入源“/body/amount/total”映射到字段“总金额”类型校验失败,数值超出范围";

/// A refused request: the v3 code and a message naming what is wrong.
pub type Refusal = (PayCode, String);

fn param(msg: impl Into<String>) -> Refusal {
    (PayCode::ParamError, msg.into())
}

/// How the payer pays (the path segment of `/v3/pay/transactions/{kind}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeType {
    /// Official-account pages and mini programs (both report `JSAPI`).
    Jsapi,
    App,
    /// A browser outside the messenger (`MWEB`).
    H5,
    Native,
}

impl TradeType {
    pub fn from_path(s: &str) -> Option<TradeType> {
        Some(match s {
            "jsapi" => TradeType::Jsapi,
            "app" => TradeType::App,
            "h5" => TradeType::H5,
            "native" => TradeType::Native,
            _ => return None,
        })
    }

    /// The `trade_type` queries report.
    pub fn wire(self) -> &'static str {
        match self {
            TradeType::Jsapi => "JSAPI",
            TradeType::App => "APP",
            TradeType::H5 => "MWEB",
            TradeType::Native => "NATIVE",
        }
    }

    pub fn from_wire(s: &str) -> Option<TradeType> {
        [TradeType::Jsapi, TradeType::App, TradeType::H5, TradeType::Native].into_iter().find(|t| t.wire() == s)
    }
}

/// `trade_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeState {
    NotPay,
    Success,
    Closed,
    /// The last attempt failed (in Herald: the wallet could not cover it). It can still be paid.
    PayError,
    /// Paid, and a refund was asked for.
    Refund,
}

impl TradeState {
    pub fn wire(self) -> &'static str {
        match self {
            TradeState::NotPay => "NOTPAY",
            TradeState::Success => "SUCCESS",
            TradeState::Closed => "CLOSED",
            TradeState::PayError => "PAYERROR",
            TradeState::Refund => "REFUND",
        }
    }

    pub fn from_wire(s: &str) -> Option<TradeState> {
        [TradeState::NotPay, TradeState::Success, TradeState::Closed, TradeState::PayError, TradeState::Refund]
            .into_iter()
            .find(|t| t.wire() == s)
    }

    pub fn desc(self) -> &'static str {
        match self {
            TradeState::NotPay => "未支付",
            TradeState::Success => "支付成功",
            TradeState::Closed => "已关闭",
            TradeState::PayError => "支付失败，请重新下单支付",
            TradeState::Refund => "转入退款",
        }
    }

    /// Can a payer still pay an order in this state?
    pub fn payable(self) -> bool {
        matches!(self, TradeState::NotPay | TradeState::PayError)
    }

    /// Was it paid?
    pub fn paid(self) -> bool {
        matches!(self, TradeState::Success | TradeState::Refund)
    }
}

/// Orders live 7 days unless `time_expire` says otherwise; at least one minute.
pub const DEFAULT_ORDER_TTL: i64 = 7 * 86_400;
pub const MIN_ORDER_TTL: i64 = 60;
/// A prepay_id is good for two hours whatever the order's expiry (then re-order with the
/// same request for a fresh one).
pub const PREPAY_TTL: i64 = 2 * 3600;
/// Refunds are accepted up to a year after payment.
pub const REFUND_WINDOW: i64 = 365 * 86_400;
/// How long a payment notification waits for the merchant's answer.
pub const NOTIFY_TIMEOUT_MS: u64 = 5_000;
/// The gaps before each retry of a notification, in seconds: 15s, 15s, 30s, 3m, 10m, 20m,
/// 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h (16 attempts in all).
pub const NOTIFY_RETRY_SECS: [i64; 15] = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10_800, 10_800, 10_800, 21_600, 21_600];

/// After `attempts` failed attempts, how long until the next one (None: give up).
pub fn notify_retry_after(attempts: i64) -> Option<i64> {
    usize::try_from(attempts - 1).ok().and_then(|i| NOTIFY_RETRY_SECS.get(i).copied())
}

/// An order request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSpec {
    pub trade_type: TradeType,
    pub appid: String,
    pub mchid: String,
    pub description: String,
    pub out_trade_no: String,
    pub attach: Option<String>,
    pub notify_url: String,
    pub goods_tag: Option<String>,
    pub total: i64,
    pub currency: String,
    pub payer_openid: Option<String>,
    pub scene_info: Option<serde_json::Value>,
    /// Unix seconds.
    pub expires_at: i64,
    /// What identifies the request for idempotency (see `fingerprint`).
    pub fingerprint: String,
}

fn check_len(name: &str, v: &str, max: usize) -> Result<(), Refusal> {
    if v.chars().count() > max {
        return Err(param(format!("{name} 长度超过 {max}")));
    }
    if v.chars().any(|c| c.len_utf8() > 3) {
        return Err(param(format!("{name} 含有 4 字节 UTF-8 字符")));
    }
    Ok(())
}

fn required<'a>(name: &str, v: &'a Option<String>) -> Result<&'a str, Refusal> {
    match v.as_deref() {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(param(format!("输入源“/body/{name}”映射到字段“{name}”必填性规则校验失败,此字段为必填项"))),
    }
}

/// `out_trade_no` and `out_refund_no`: 6–32 of `[0-9A-Za-z_-|*]` (refund numbers allow `@`).
pub fn valid_out_no(s: &str, refund: bool) -> bool {
    (6..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-|*".contains(&b) || (refund && b == b'@'))
}

/// notify_url: http(s), an absolute URL, no query string (WeChat's rule).
pub fn valid_notify_url(s: &str) -> bool {
    match url::Url::parse(s) {
        Ok(u) => matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && u.query().is_none() && s.len() <= 255,
        Err(_) => false,
    }
}

/// The request's identity for idempotency: the body with its keys sorted, hashed. The same
/// out_trade_no with the same fingerprint gets the same order back.
pub fn fingerprint(kind: TradeType, body: &serde_json::Value) -> String {
    body_hash(kind.wire(), body)
}

/// SHA-256 of `prefix` and the body with its keys sorted (serde_json's map is a BTreeMap
/// here, so `to_string` writes keys in order; a test checks key order does not matter).
pub(crate) fn body_hash(prefix: &str, body: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(format!("{prefix}\n{body}").as_bytes()))
}

/// Checks an order request (mchid is checked against the caller by the handler).
pub fn check_order(kind: TradeType, req: &OrderRequest, body: &serde_json::Value, now: i64) -> Result<OrderSpec, Refusal> {
    let appid = required("appid", &req.appid)?;
    let mchid = required("mchid", &req.mchid)?;
    let description = required("description", &req.description)?;
    check_len("description", description, 127)?;
    let out_trade_no = required("out_trade_no", &req.out_trade_no)?;
    if !valid_out_no(out_trade_no, false) {
        return Err(param("out_trade_no 应为 6-32 位数字、大小写字母、_-|* 组成"));
    }
    let notify_url = required("notify_url", &req.notify_url)?;
    if !valid_notify_url(notify_url) {
        return Err(param("notify_url 应为不带参数的 http(s) 完整地址"));
    }
    if let Some(a) = &req.attach {
        check_len("attach", a, 128)?;
    }
    let amount = req.amount.as_ref().ok_or_else(|| param("输入源“/body/amount”映射到字段“订单金额”必填性规则校验失败,此字段为必填项"))?;
    let total = amount.total.ok_or_else(|| param("输入源“/body/amount/total”映射到字段“总金额”必填性规则校验失败,此字段为必填项"))?;
    if total < 1 {
        return Err(param("amount.total 应大于等于 1"));
    }
    if total > MAX_AMOUNT {
        return Err(param(AMOUNT_TOO_LARGE));
    }
    let currency = amount.currency.clone().unwrap_or_else(|| "CNY".into());
    if currency != "CNY" {
        return Err(param("Currency code is invalid"));
    }
    let payer_openid = req.payer.as_ref().and_then(|p| p.openid.clone()).filter(|o| !o.is_empty());
    if kind == TradeType::Jsapi && payer_openid.is_none() {
        return Err(param("JSAPI支付必须传openid"));
    }
    if kind == TradeType::H5 {
        let ip = req.scene_info.as_ref().and_then(|s| s.get("payer_client_ip")).and_then(|v| v.as_str());
        let h5 = req.scene_info.as_ref().and_then(|s| s.get("h5_info"));
        if ip.is_none() || h5.is_none() {
            return Err(param("H5 支付须传 scene_info.payer_client_ip 与 scene_info.h5_info"));
        }
    }
    let expires_at = match &req.time_expire {
        None => now + DEFAULT_ORDER_TTL,
        Some(t) => {
            let at = parse_rfc3339(t).ok_or_else(|| param("time_expire 应为 RFC 3339 格式，如 2018-06-08T10:34:56+08:00"))?;
            at.max(now + MIN_ORDER_TTL)
        }
    };
    Ok(OrderSpec {
        trade_type: kind,
        appid: appid.into(),
        mchid: mchid.into(),
        description: description.into(),
        out_trade_no: out_trade_no.into(),
        attach: req.attach.clone(),
        notify_url: notify_url.into(),
        goods_tag: req.goods_tag.clone(),
        total,
        currency,
        payer_openid,
        scene_info: req.scene_info.clone(),
        expires_at,
        fingerprint: fingerprint(kind, body),
    })
}

/// What to answer when an order with the same out_trade_no exists already.
pub fn reorder(existing_fingerprint: &str, existing_state: TradeState, spec: &OrderSpec) -> Result<(), Refusal> {
    if existing_state.paid() {
        return Err((PayCode::OrderPaid, "该订单已支付".into()));
    }
    if existing_state == TradeState::Closed {
        return Err((PayCode::OrderClosed, "订单已关闭".into()));
    }
    if existing_fingerprint != spec.fingerprint {
        return Err((PayCode::InvalidRequest, "请求重入时，参数与首次请求时不一致".into()));
    }
    Ok(())
}

/// Why a payer cannot pay an order now.
pub fn check_payable(state: TradeState, expires_at: i64, now: i64) -> Result<(), Refusal> {
    if state.paid() {
        return Err((PayCode::OrderPaid, "该订单已支付".into()));
    }
    if state == TradeState::Closed {
        return Err((PayCode::OrderClosed, "订单已关闭".into()));
    }
    if now >= expires_at {
        return Err((PayCode::OrderClosed, "订单已失效".into()));
    }
    Ok(())
}

/// The state a query reports: an unpaid order past its expiry is closed.
pub fn effective_state(state: TradeState, expires_at: i64, now: i64) -> TradeState {
    if state.payable() && now >= expires_at {
        TradeState::Closed
    } else {
        state
    }
}

/// A refund request, checked as far as it can be without the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundSpec {
    pub transaction_id: Option<String>,
    pub out_trade_no: Option<String>,
    pub out_refund_no: String,
    pub reason: Option<String>,
    pub notify_url: Option<String>,
    pub refund: i64,
    pub total: i64,
    pub fingerprint: String,
}

pub fn check_refund(req: &RefundRequest, body: &serde_json::Value) -> Result<RefundSpec, Refusal> {
    let transaction_id = req.transaction_id.clone().filter(|s| !s.is_empty());
    let out_trade_no = req.out_trade_no.clone().filter(|s| !s.is_empty());
    if transaction_id.is_none() && out_trade_no.is_none() {
        return Err(param("transaction_id 与 out_trade_no 必须二选一"));
    }
    let out_refund_no = required("out_refund_no", &req.out_refund_no)?;
    if !valid_out_no(out_refund_no, true) {
        return Err(param("out_refund_no 应为 6-64 位数字、大小写字母、_-|*@ 组成"));
    }
    if let Some(r) = &req.reason {
        check_len("reason", r, 80)?;
    }
    if let Some(u) = &req.notify_url {
        if !valid_notify_url(u) {
            return Err(param("notify_url 应为不带参数的 http(s) 完整地址"));
        }
    }
    let amount = req.amount.as_ref().ok_or_else(|| param("输入源“/body/amount”映射到字段“金额信息”必填性规则校验失败,此字段为必填项"))?;
    let refund = amount.refund.ok_or_else(|| param("输入源“/body/amount/refund”映射到字段“退款金额”必填性规则校验失败,此字段为必填项"))?;
    let total = amount.total.ok_or_else(|| param("输入源“/body/amount/total”映射到字段“原订单金额”必填性规则校验失败,此字段为必填项"))?;
    if refund < 1 {
        return Err(param("amount.refund 应大于等于 1"));
    }
    if refund > MAX_AMOUNT || total > MAX_AMOUNT {
        return Err(param(AMOUNT_TOO_LARGE));
    }
    if amount.currency.as_deref().is_some_and(|c| c != "CNY") {
        return Err(param("Currency code is invalid"));
    }
    Ok(RefundSpec {
        transaction_id,
        out_trade_no,
        out_refund_no: out_refund_no.into(),
        reason: req.reason.clone(),
        notify_url: req.notify_url.clone(),
        refund,
        total,
        fingerprint: body_hash("refund", body),
    })
}

/// Checks a refund against its order: paid, within a year, the right total, and never more
/// than what is left.
pub fn check_refund_against(spec: &RefundSpec, state: TradeState, total: i64, refunded: i64, paid_at: Option<i64>, now: i64) -> Result<(), Refusal> {
    if !state.paid() {
        return Err((PayCode::ResourceNotExists, "订单不存在或未支付".into()));
    }
    if paid_at.is_some_and(|t| now > t + REFUND_WINDOW) {
        return Err((PayCode::InvalidRequest, "订单已超过退款期限".into()));
    }
    if spec.total != total {
        return Err(param("订单金额与原订单金额不一致"));
    }
    if refunded + spec.refund > total {
        return Err((PayCode::InvalidRequest, "申请退款金额超过订单可退金额".into()));
    }
    Ok(())
}

/// `status` of a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundStatus {
    Processing,
    Success,
    Closed,
    Abnormal,
}

impl RefundStatus {
    pub fn wire(self) -> &'static str {
        match self {
            RefundStatus::Processing => "PROCESSING",
            RefundStatus::Success => "SUCCESS",
            RefundStatus::Closed => "CLOSED",
            RefundStatus::Abnormal => "ABNORMAL",
        }
    }

    pub fn from_wire(s: &str) -> Option<RefundStatus> {
        [RefundStatus::Processing, RefundStatus::Success, RefundStatus::Closed, RefundStatus::Abnormal]
            .into_iter()
            .find(|t| t.wire() == s)
    }

    /// The notification's event_type and summary.
    pub fn event(self) -> Option<(&'static str, &'static str)> {
        match self {
            RefundStatus::Processing => None,
            RefundStatus::Success => Some(("REFUND.SUCCESS", "退款成功")),
            RefundStatus::Closed => Some(("REFUND.CLOSED", "退款关闭")),
            RefundStatus::Abnormal => Some(("REFUND.ABNORMAL", "退款异常")),
        }
    }
}

/// Ids shaped like WeChat's.
pub mod ids {
    use super::*;

    fn digits(rng: &mut impl Rng, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
    }

    /// 28 digits: `4200` + yyyymmdd (CST) + 16 random digits.
    pub fn transaction_id(rng: &mut impl Rng, now: i64) -> String {
        format!("4200{}{}", crate::time::cst_date(now).replace('-', ""), digits(rng, 16))
    }

    /// 29 digits: `5000` + yyyymmdd + 17 random digits.
    pub fn refund_id(rng: &mut impl Rng, now: i64) -> String {
        format!("5000{}{}", crate::time::cst_date(now).replace('-', ""), digits(rng, 17))
    }

    /// A red packet's send_listid (and detail_id): `1000041701` + yyyymmdd + 13 random
    /// digits, 31 digits as WeChat's.
    pub fn redpack_id(rng: &mut impl Rng, now: i64) -> String {
        format!("1000041701{}{}", crate::time::cst_date(now).replace('-', ""), digits(rng, 13))
    }

    /// A coupon stock id: 8 digits, as WeChat's.
    pub fn stock_id(rng: &mut impl Rng) -> String {
        format!("{}{}", rng.gen_range(1..10u8), digits(rng, 7))
    }

    /// A coupon id: 10 digits.
    pub fn coupon_id(rng: &mut impl Rng) -> String {
        format!("{}{}", rng.gen_range(1..10u8), digits(rng, 9))
    }

    /// `wx` + yyyymmddHHMMSS (CST) + 20 hex digits: 36 characters.
    pub fn prepay_id(rng: &mut impl Rng, now: i64) -> String {
        format!("wx{}{:020x}", crate::time::cst_compact(now), rng.gen::<u128>() >> 48)
    }

    /// The key of a Native code_url: `weixin://wxpay/bizpayurl?pr=<key>`.
    pub fn code_key(rng: &mut impl Rng) -> String {
        use rand::distributions::{Alphanumeric, DistString};
        Alphanumeric.sample_string(rng, 9)
    }

    /// A 32-byte APIv3 key / v2 API key.
    pub fn api_key(rng: &mut impl Rng) -> String {
        use rand::distributions::{Alphanumeric, DistString};
        Alphanumeric.sample_string(rng, 32)
    }

    /// `PUB_KEY_ID_` + 28 digits.
    pub fn public_key_id(rng: &mut impl Rng) -> String {
        format!("PUB_KEY_ID_01{}", digits(rng, 26))
    }
}

pub const CODE_URL_PREFIX: &str = "weixin://wxpay/bizpayurl?pr=";

/// The key of a Native code_url, if `s` is one.
pub fn code_url_key(s: &str) -> Option<&str> {
    s.strip_prefix(CODE_URL_PREFIX).filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The JSAPI / mini-program paySign message: `appId\ntimeStamp\nnonceStr\npackage\n`; for
/// APP the fourth line is the bare prepay_id.
pub fn pay_sign_message(appid: &str, timestamp: &str, nonce: &str, package_or_prepay: &str) -> Vec<u8> {
    format!("{appid}\n{timestamp}\n{nonce}\n{package_or_prepay}\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_wire::pay::types::Amount;

    fn req() -> (OrderRequest, serde_json::Value) {
        let body = serde_json::json!({"appid":"wx1","mchid":"1900000109","description":"Tea","out_trade_no":"T2026001",
            "notify_url":"https://shop.example/notify","amount":{"total":100},"payer":{"openid":"o1"}});
        (serde_json::from_value(body.clone()).unwrap(), body)
    }

    #[test]
    fn checks_orders() {
        let (r, b) = req();
        let s = check_order(TradeType::Jsapi, &r, &b, 1_000).unwrap();
        assert_eq!((s.total, s.currency.as_str(), s.expires_at), (100, "CNY", 1_000 + DEFAULT_ORDER_TTL));
        let mut no_payer = r.clone();
        no_payer.payer = None;
        assert_eq!(check_order(TradeType::Jsapi, &no_payer, &b, 0).unwrap_err().1, "JSAPI支付必须传openid");
        assert!(check_order(TradeType::Native, &no_payer, &b, 0).is_ok());
        let mut zero = r.clone();
        zero.amount = Some(Amount { total: Some(0), currency: None });
        assert_eq!(check_order(TradeType::Native, &zero, &b, 0).unwrap_err().0, PayCode::ParamError);
        for too_much in [MAX_AMOUNT + 1, i64::MAX] {
            let mut dear = r.clone();
            dear.amount = Some(Amount { total: Some(too_much), currency: None });
            assert_eq!(check_order(TradeType::Native, &dear, &b, 0).unwrap_err().0, PayCode::ParamError, "{too_much}");
        }
        let mut most = r.clone();
        most.amount = Some(Amount { total: Some(MAX_AMOUNT), currency: None });
        assert!(check_order(TradeType::Native, &most, &b, 0).is_ok());
        let mut q = r.clone();
        q.notify_url = Some("https://shop.example/notify?x=1".into());
        assert!(check_order(TradeType::Native, &q, &b, 0).is_err());
        let mut short = r.clone();
        short.out_trade_no = Some("T1".into());
        assert!(check_order(TradeType::Native, &short, &b, 0).is_err());
        let mut soon = r.clone();
        soon.time_expire = Some("1970-01-01T08:00:10+08:00".into());
        assert_eq!(check_order(TradeType::Jsapi, &soon, &b, 1_000).unwrap().expires_at, 1_060, "at least a minute");
        assert!(check_order(TradeType::H5, &r, &b, 0).is_err(), "H5 needs scene_info");
    }

    #[test]
    fn reorders_are_idempotent_only_for_the_same_request() {
        let (r, b) = req();
        let s = check_order(TradeType::Jsapi, &r, &b, 0).unwrap();
        let reordered: serde_json::Value = serde_json::from_str(
            r#"{"payer":{"openid":"o1"},"amount":{"total":100},"notify_url":"https://shop.example/notify","out_trade_no":"T2026001","description":"Tea","mchid":"1900000109","appid":"wx1"}"#,
        )
        .unwrap();
        assert_eq!(fingerprint(TradeType::Jsapi, &reordered), s.fingerprint, "key order does not matter");
        assert!(reorder(&s.fingerprint, TradeState::NotPay, &s).is_ok());
        let mut more = b.clone();
        more["amount"]["total"] = 200.into();
        assert_eq!(reorder(&fingerprint(TradeType::Jsapi, &more), TradeState::NotPay, &s).unwrap_err().0, PayCode::InvalidRequest);
        assert_ne!(fingerprint(TradeType::Native, &b), s.fingerprint, "another trade type is another request");
        assert_eq!(reorder(&s.fingerprint, TradeState::Success, &s).unwrap_err().0, PayCode::OrderPaid);
        assert_eq!(reorder(&s.fingerprint, TradeState::Closed, &s).unwrap_err().0, PayCode::OrderClosed);
    }

    #[test]
    fn orders_expire_into_closed() {
        assert_eq!(effective_state(TradeState::NotPay, 100, 99), TradeState::NotPay);
        assert_eq!(effective_state(TradeState::NotPay, 100, 100), TradeState::Closed);
        assert_eq!(effective_state(TradeState::Success, 100, 1_000), TradeState::Success);
        assert!(check_payable(TradeState::PayError, 100, 50).is_ok());
        assert_eq!(check_payable(TradeState::NotPay, 100, 100).unwrap_err().0, PayCode::OrderClosed);
        assert_eq!(check_payable(TradeState::Refund, 100, 0).unwrap_err().0, PayCode::OrderPaid);
    }

    #[test]
    fn refunds_never_exceed_what_was_paid() {
        let body = serde_json::json!({"out_trade_no":"T2026001","out_refund_no":"R2026001","amount":{"refund":60,"total":100,"currency":"CNY"}});
        let s = check_refund(&serde_json::from_value(body.clone()).unwrap(), &body).unwrap();
        assert!(check_refund_against(&s, TradeState::Success, 100, 0, Some(0), 10).is_ok());
        assert!(check_refund_against(&s, TradeState::Refund, 100, 40, Some(0), 10).is_ok());
        assert_eq!(check_refund_against(&s, TradeState::Refund, 100, 41, Some(0), 10).unwrap_err().0, PayCode::InvalidRequest);
        assert_eq!(check_refund_against(&s, TradeState::NotPay, 100, 0, None, 10).unwrap_err().0, PayCode::ResourceNotExists);
        assert_eq!(check_refund_against(&s, TradeState::Success, 99, 0, Some(0), 10).unwrap_err().0, PayCode::ParamError);
        assert_eq!(check_refund_against(&s, TradeState::Success, 100, 0, Some(0), REFUND_WINDOW + 1).unwrap_err().0, PayCode::InvalidRequest);
        let neither = serde_json::json!({"out_refund_no":"R2026001","amount":{"refund":1,"total":100}});
        assert!(check_refund(&serde_json::from_value(neither.clone()).unwrap(), &neither).is_err());
    }

    #[test]
    fn retries_follow_wechats_schedule() {
        let gaps: Vec<i64> = (1..=16).map_while(notify_retry_after).collect();
        assert_eq!(gaps.len(), 15);
        assert_eq!(gaps.iter().sum::<i64>(), 15 + 15 + 30 + 180 + 600 + 1200 + 3 * 1800 + 3600 + 3 * 10_800 + 2 * 21_600);
        assert_eq!(notify_retry_after(16), None);
        assert_eq!(notify_retry_after(0), None);
    }

    #[test]
    fn ids_look_like_wechats() {
        let mut r = rand::thread_rng();
        let now = 1_700_000_000; // 2023-11-15 06:13:20 CST
        let t = ids::transaction_id(&mut r, now);
        assert!(t.len() == 28 && t.starts_with("420020231115") && t.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(ids::refund_id(&mut r, now).len(), 29);
        let p = ids::prepay_id(&mut r, now);
        assert!(p.starts_with("wx20231115061320") && p.len() == 36, "{p}");
        let code = format!("{CODE_URL_PREFIX}{}", ids::code_key(&mut r));
        assert_eq!(code_url_key(&code).map(str::len), Some(9));
        assert_eq!(code_url_key("weixin://other?pr=x"), None);
    }
}
