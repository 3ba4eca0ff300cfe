//! Coupon stocks (v3 "favor", 代金券): what a stock must hold, its life (unactivated →
//! running ⇄ paused → stoped), who may be sent a coupon, and which coupon an order can use.
//!
//! Money: a cash stock (`no_cash` false, 预充值) is funded when it starts: its whole budget
//! moves from the merchant to `Book::CouponStock(stock_id)`, pays each coupon's part of a
//! payment, and what is left goes back to the merchant when it stops. A no-cash stock (免充值)
//! holds no money: the merchant simply receives less.

use herald_wire::pay::types::parse_rfc3339;
use herald_wire::pay::PayCode;
use serde_json::Value;

use crate::ledger::Fen;
use crate::pay::{Refusal, TradeType};

/// A stock's status, spelled as WeChat spells it (`stoped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockStatus {
    Unactivated,
    Running,
    Paused,
    Stopped,
}

impl StockStatus {
    pub fn wire(self) -> &'static str {
        match self {
            StockStatus::Unactivated => "unactivated",
            StockStatus::Running => "running",
            StockStatus::Paused => "paused",
            StockStatus::Stopped => "stoped",
        }
    }

    pub fn from_wire(s: &str) -> Option<StockStatus> {
        [StockStatus::Unactivated, StockStatus::Running, StockStatus::Paused, StockStatus::Stopped].into_iter().find(|x| x.wire() == s)
    }
}

/// What the merchant asks of a stock (`/v3/marketing/favor/stocks/{id}/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockAction {
    Start,
    Pause,
    Restart,
    Stop,
}

impl StockAction {
    pub fn from_path(s: &str) -> Option<StockAction> {
        match s {
            "start" => Some(StockAction::Start),
            "pause" => Some(StockAction::Pause),
            "restart" => Some(StockAction::Restart),
            "stop" => Some(StockAction::Stop),
            _ => None,
        }
    }

    /// The field of the answer that carries the time: `start_time`, `pause_time`, …
    pub fn time_field(self) -> &'static str {
        match self {
            StockAction::Start => "start_time",
            StockAction::Pause => "pause_time",
            StockAction::Restart => "restart_time",
            StockAction::Stop => "stop_time",
        }
    }
}

/// The status an action leads to, or why it cannot be taken now.
pub fn transition(from: StockStatus, action: StockAction) -> Result<StockStatus, Refusal> {
    use StockAction::*;
    use StockStatus::*;
    match (from, action) {
        (Unactivated, Start) => Ok(Running),
        (Running, Pause) => Ok(Paused),
        (Paused, Restart) => Ok(Running),
        (Running | Paused, Stop) => Ok(Stopped),
        _ => Err((PayCode::InvalidRequest, format!("批次状态为 {}，不能执行该操作", from.wire()))),
    }
}

/// A coupon's status (`SENDED` as WeChat spells it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponStatus {
    Sended,
    Used,
    Expired,
}

impl CouponStatus {
    pub fn wire(self) -> &'static str {
        match self {
            CouponStatus::Sended => "SENDED",
            CouponStatus::Used => "USED",
            CouponStatus::Expired => "EXPIRED",
        }
    }

    pub fn from_wire(s: &str) -> Option<CouponStatus> {
        [CouponStatus::Sended, CouponStatus::Used, CouponStatus::Expired].into_iter().find(|x| x.wire() == s)
    }

    /// An unused coupon past its stock's end is EXPIRED.
    pub fn effective(self, available_end_time: i64, now: i64) -> CouponStatus {
        if self == CouponStatus::Sended && now > available_end_time {
            CouponStatus::Expired
        } else {
            self
        }
    }
}

/// A checked stock request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockSpec {
    pub stock_name: String,
    pub comment: Option<String>,
    pub belong_merchant: String,
    pub available_begin_time: i64,
    pub available_end_time: i64,
    pub max_coupons: i64,
    pub max_amount: Fen,
    pub max_amount_by_day: Fen,
    pub max_coupons_per_user: i64,
    pub coupon_amount: Fen,
    pub transaction_minimum: Fen,
    pub no_cash: bool,
    pub out_request_no: String,
    /// `{stock_use_rule, coupon_use_rule, pattern_info}` as given (answered back in queries,
    /// and read by `applies`).
    pub rules: Value,
    pub fingerprint: String,
}

fn param(msg: impl Into<String>) -> Refusal {
    (PayCode::ParamError, msg.into())
}

fn string<'a>(v: &'a Value, path: &str, max_chars: usize) -> Result<&'a str, Refusal> {
    let s = v.pointer(path).and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or_else(|| param(format!("输入源“{path}”必填")))?;
    if s.chars().count() > max_chars {
        return Err(param(format!("{path} 超过 {max_chars} 个字符")));
    }
    Ok(s)
}

fn int(v: &Value, path: &str) -> Result<i64, Refusal> {
    v.pointer(path).and_then(Value::as_i64).ok_or_else(|| param(format!("输入源“{path}”必填，且为整数")))
}

fn time(v: &Value, path: &str) -> Result<i64, Refusal> {
    parse_rfc3339(string(v, path, 40)?).ok_or_else(|| param(format!("{path} 不是 RFC 3339 时间")))
}

/// Checks a `POST /v3/marketing/favor/coupon-stocks` body. `caller` is the requesting mchid.
pub fn check_stock(body: &Value, caller: &str, now: i64) -> Result<StockSpec, Refusal> {
    let stock_name = string(body, "/stock_name", 20)?;
    let comment = body.get("comment").and_then(Value::as_str).map(str::to_string);
    let belong_merchant = string(body, "/belong_merchant", 32)?;
    if belong_merchant != caller {
        return Err((PayCode::NoAuth, "belong_merchant 必须是调用商户号".into()));
    }
    let out_request_no = string(body, "/out_request_no", 128)?;
    let begin = time(body, "/available_begin_time")?;
    let end = time(body, "/available_end_time")?;
    if end <= begin || end <= now {
        return Err(param("可用结束时间必须晚于开始时间和当前时间"));
    }
    if end - begin > 90 * 86_400 {
        return Err(param("批次可用时间最长 90 天"));
    }
    let stock_type = body.get("stock_type").and_then(Value::as_str).unwrap_or("NORMAL");
    if stock_type != "NORMAL" {
        return Err(param("stock_type 只支持 NORMAL"));
    }
    let max_coupons = int(body, "/stock_use_rule/max_coupons")?;
    let max_amount = int(body, "/stock_use_rule/max_amount")?;
    let max_amount_by_day = body.pointer("/stock_use_rule/max_amount_by_day").and_then(Value::as_i64).unwrap_or(max_amount);
    let max_coupons_per_user = int(body, "/stock_use_rule/max_coupons_per_user")?;
    let coupon_amount = int(body, "/coupon_use_rule/fixed_normal_coupon/coupon_amount")?;
    let transaction_minimum = int(body, "/coupon_use_rule/fixed_normal_coupon/transaction_minimum")?;
    if !(1..=1_000_000_000).contains(&max_coupons) || !(1..=100).contains(&max_coupons_per_user) {
        return Err(param("max_coupons 为 1 到 10 亿，max_coupons_per_user 为 1 到 100"));
    }
    if !(1..=10_000_000).contains(&coupon_amount) {
        return Err(param("coupon_amount 为 1 分到 10 万元"));
    }
    if transaction_minimum <= coupon_amount {
        return Err(param("使用门槛 transaction_minimum 必须大于面额 coupon_amount"));
    }
    if max_amount != max_coupons * coupon_amount {
        return Err(param("max_amount 必须等于 max_coupons × coupon_amount"));
    }
    if max_amount_by_day <= 0 || max_amount_by_day > max_amount {
        return Err(param("max_amount_by_day 必须在 1 到 max_amount 之间"));
    }
    let no_cash = body.get("no_cash").and_then(Value::as_bool).unwrap_or(false);
    let rules = serde_json::json!({
        "stock_use_rule": body.get("stock_use_rule"),
        "coupon_use_rule": body.get("coupon_use_rule"),
        "pattern_info": body.get("pattern_info"),
    });
    Ok(StockSpec {
        stock_name: stock_name.into(),
        comment,
        belong_merchant: belong_merchant.into(),
        available_begin_time: begin,
        available_end_time: end,
        max_coupons,
        max_amount,
        max_amount_by_day,
        max_coupons_per_user,
        coupon_amount,
        transaction_minimum,
        no_cash,
        out_request_no: out_request_no.into(),
        fingerprint: crate::pay::body_hash("coupon-stock", body),
        rules,
    })
}

/// What the send and use rules need to know about a stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockState {
    pub status: StockStatus,
    pub available_begin_time: i64,
    pub available_end_time: i64,
    pub max_coupons: i64,
    pub distributed: i64,
    pub max_coupons_per_user: i64,
}

/// May a coupon of this stock be sent to a user holding `user_has` of them already?
pub fn check_send(s: &StockState, user_has: i64, now: i64) -> Result<(), Refusal> {
    if s.status != StockStatus::Running {
        return Err((PayCode::InvalidRequest, format!("批次状态为 {}，不能发券", s.status.wire())));
    }
    if now < s.available_begin_time || now > s.available_end_time {
        return Err((PayCode::InvalidRequest, "不在批次的可用时间内".into()));
    }
    if s.distributed >= s.max_coupons {
        return Err((PayCode::RuleLimit, "批次已发完".into()));
    }
    if user_has >= s.max_coupons_per_user {
        return Err((PayCode::RuleLimit, "用户领券已达上限".into()));
    }
    Ok(())
}

/// The payment-side description of a coupon: `coupon_use_rule`'s `goods_tag`, `trade_type`
/// and `available_merchants`, read from the stock's rules.
fn list<'a>(rules: &'a Value, path: &str) -> Vec<&'a str> {
    rules.pointer(path).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

/// The `coupon_use_rule.trade_type` values an order's trade type falls under (official
/// accounts, Native and H5 are `OTHER`; Herald cannot tell a mini program's JSAPI order from
/// an official account's, so JSAPI matches `MICROAPP` as well).
fn trade_type_names(t: TradeType) -> &'static [&'static str] {
    match t {
        TradeType::Jsapi => &["OTHER", "MICROAPP"],
        TradeType::App => &["APPPAY"],
        TradeType::Native | TradeType::H5 => &["OTHER"],
    }
}

/// Can a coupon (its stock's status, rules and amounts) pay part of an order now?
#[allow(clippy::too_many_arguments)]
pub fn applies(
    stock: &StockState,
    stock_mchid: &str,
    rules: &Value,
    transaction_minimum: Fen,
    order_mchid: &str,
    order_total: Fen,
    goods_tag: Option<&str>,
    trade_type: TradeType,
    now: i64,
) -> bool {
    if stock.status != StockStatus::Running || now < stock.available_begin_time || now > stock.available_end_time {
        return false;
    }
    if order_total < transaction_minimum {
        return false;
    }
    let merchants = list(rules, "/coupon_use_rule/available_merchants");
    if order_mchid != stock_mchid && !merchants.contains(&order_mchid) {
        return false;
    }
    let tags = list(rules, "/coupon_use_rule/goods_tag");
    if !tags.is_empty() && !goods_tag.is_some_and(|g| tags.contains(&g)) {
        return false;
    }
    let types = list(rules, "/coupon_use_rule/trade_type");
    types.is_empty() || trade_type_names(trade_type).iter().any(|t| types.contains(t))
}

/// How a refund of `refund` from an order of `total` with `discount` paid by a coupon splits:
/// (to the payer, back to the merchant). The payer gets back their share of what they paid.
pub fn refund_split(refund: Fen, total: Fen, discount: Fen) -> (Fen, Fen) {
    if discount <= 0 || total <= 0 {
        return (refund, 0);
    }
    let discount_refund = ((refund as i128 * discount as i128) / total as i128) as Fen;
    (refund - discount_refund, discount_refund)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_795_000_000;

    fn body() -> Value {
        json!({
            "stock_name": "Tea 5 off", "belong_merchant": "1900000109", "out_request_no": "S1",
            "available_begin_time": "2026-11-18T00:00:00.000+08:00", "available_end_time": "2026-12-18T00:00:00.000+08:00",
            "stock_use_rule": {"max_coupons": 10, "max_amount": 500, "max_amount_by_day": 500, "max_coupons_per_user": 2, "natural_person_limit": false, "prevent_api_abuse": false},
            "coupon_use_rule": {"fixed_normal_coupon": {"coupon_amount": 50, "transaction_minimum": 100}, "goods_tag": ["tea"], "trade_type": ["OTHER"]},
            "no_cash": false, "stock_type": "NORMAL",
        })
    }

    #[test]
    fn a_good_stock_passes() {
        let s = check_stock(&body(), "1900000109", NOW).unwrap();
        assert_eq!((s.max_coupons, s.coupon_amount, s.transaction_minimum, s.no_cash), (10, 50, 100, false));
        assert_eq!(s.available_end_time - s.available_begin_time, 30 * 86_400);
        assert_eq!(check_stock(&body(), "1900000109", NOW).unwrap().fingerprint, s.fingerprint);
    }

    #[test]
    fn bad_stocks_are_refused() {
        let cases: Vec<(&str, Value, PayCode)> = vec![
            ("/stock_name", Value::Null, PayCode::ParamError),
            ("/belong_merchant", json!("1900000110"), PayCode::NoAuth),
            ("/available_end_time", json!("2026-11-17T00:00:00+08:00"), PayCode::ParamError),
            ("/available_end_time", json!("yesterday"), PayCode::ParamError),
            ("/stock_use_rule/max_amount", json!(499), PayCode::ParamError),
            ("/coupon_use_rule/fixed_normal_coupon/transaction_minimum", json!(50), PayCode::ParamError),
            ("/stock_type", json!("DISCOUNT_CUT"), PayCode::ParamError),
            ("/stock_use_rule/max_coupons_per_user", json!(0), PayCode::ParamError),
        ];
        for (path, value, code) in cases {
            let mut b = body();
            *b.pointer_mut(path).unwrap() = value.clone();
            assert_eq!(check_stock(&b, "1900000109", NOW).unwrap_err().0, code, "{path}={value}");
        }
    }

    #[test]
    fn the_life_of_a_stock() {
        use StockAction::*;
        use StockStatus::*;
        assert_eq!(transition(Unactivated, Start), Ok(Running));
        assert_eq!(transition(Running, Pause), Ok(Paused));
        assert_eq!(transition(Paused, Restart), Ok(Running));
        assert_eq!(transition(Paused, Stop), Ok(Stopped));
        assert!(transition(Running, Start).is_err());
        assert!(transition(Unactivated, Pause).is_err());
        assert!(transition(Stopped, Restart).is_err());
        assert_eq!(StockStatus::from_wire("stoped"), Some(Stopped));
    }

    #[test]
    fn sending_respects_status_window_and_limits() {
        let mut s = StockState { status: StockStatus::Running, available_begin_time: NOW - 10, available_end_time: NOW + 10, max_coupons: 3, distributed: 0, max_coupons_per_user: 1 };
        assert_eq!(check_send(&s, 0, NOW), Ok(()));
        assert_eq!(check_send(&s, 1, NOW).unwrap_err().0, PayCode::RuleLimit);
        assert_eq!(check_send(&s, 0, NOW + 11).unwrap_err().0, PayCode::InvalidRequest);
        s.distributed = 3;
        assert_eq!(check_send(&s, 0, NOW).unwrap_err().0, PayCode::RuleLimit);
        s.distributed = 0;
        s.status = StockStatus::Paused;
        assert_eq!(check_send(&s, 0, NOW).unwrap_err().0, PayCode::InvalidRequest);
    }

    #[test]
    fn which_orders_a_coupon_applies_to() {
        let st = StockState { status: StockStatus::Running, available_begin_time: NOW - 10, available_end_time: NOW + 10, max_coupons: 3, distributed: 1, max_coupons_per_user: 1 };
        let rules = json!({"coupon_use_rule": {"goods_tag": ["tea"], "trade_type": ["OTHER"], "available_merchants": ["1900000200"]}});
        let ok = |mchid: &str, total: Fen, tag: Option<&str>, tt: TradeType, now: i64| applies(&st, "1900000109", &rules, 100, mchid, total, tag, tt, now);
        assert!(ok("1900000109", 100, Some("tea"), TradeType::Native, NOW));
        assert!(ok("1900000200", 100, Some("tea"), TradeType::Jsapi, NOW), "an available merchant");
        assert!(!ok("1900000300", 100, Some("tea"), TradeType::Native, NOW), "another merchant");
        assert!(!ok("1900000109", 99, Some("tea"), TradeType::Native, NOW), "below the minimum");
        assert!(!ok("1900000109", 100, None, TradeType::Native, NOW), "no goods_tag");
        assert!(!ok("1900000109", 100, Some("cake"), TradeType::Native, NOW), "another goods_tag");
        assert!(!ok("1900000109", 100, Some("tea"), TradeType::App, NOW), "APPPAY is not allowed");
        assert!(!ok("1900000109", 100, Some("tea"), TradeType::Native, NOW + 11), "past the end");
        assert!(applies(&st, "1900000109", &json!({}), 100, "1900000109", 150, None, TradeType::App, NOW), "no restrictions");
        assert_eq!(CouponStatus::Sended.effective(NOW, NOW + 1), CouponStatus::Expired);
        assert_eq!(CouponStatus::Used.effective(NOW, NOW + 1), CouponStatus::Used);
    }

    #[test]
    fn refunds_split_in_proportion() {
        assert_eq!(refund_split(100, 100, 0), (100, 0));
        assert_eq!(refund_split(100, 100, 30), (70, 30));
        assert_eq!(refund_split(50, 100, 30), (35, 15));
        assert_eq!(refund_split(1, 3, 1), (1, 0));
        let (p, m) = refund_split(77, 300, 50);
        assert_eq!(p + m, 77);
    }
}
