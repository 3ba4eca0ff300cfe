//! The payer's side: paying an order from the signed-in (or simulated) user's wallet, by
//! prepay_id (JSAPI, mini program, APP, H5) or by a Native code_url. The client-side
//! signature (JSAPI paySign, APP sign) is checked against the merchant's key when given.

use herald_domain::coupon;
use herald_domain::pay::{self, TradeType};
use herald_store::coupon::{Coupon, Stock};
use herald_store::pay::{CouponUse, NewNotification, Order, OrderKey, PayResult, Payment};
use herald_store::{FreshIds, StoreError, User};
use herald_wire::pay::PayCode;

use crate::clock::system_now_ms;
use crate::state::AppState;

/// What the payer's client signed (`wx.requestPayment` / `getBrandWCPayRequest`, or the APP
/// OpenSDK request).
#[derive(Debug, Clone, Default)]
pub struct ClientSign {
    pub appid: String,
    pub timestamp: String,
    pub nonce: String,
    /// `prepay_id=…` for JSAPI; the bare prepay_id for APP.
    pub package: String,
    pub sign: String,
}

#[derive(Debug)]
pub enum PayerError {
    Missing,
    BadSign,
    Refused(pay::Refusal),
    /// The wallet holds this much, not enough; the order is PAYERROR.
    Insufficient(i64),
    Store(StoreError),
}

impl From<StoreError> for PayerError {
    fn from(e: StoreError) -> Self {
        PayerError::Store(e)
    }
}

/// Checks a client signature for the order it names.
fn check_sign(st: &AppState, o: &Order, mch_public_key: &str, s: &ClientSign) -> Result<(), PayerError> {
    let expected_package = match o.trade_type {
        TradeType::App => o.prepay_id.clone(),
        _ => format!("prepay_id={}", o.prepay_id),
    };
    if s.appid != o.appid || s.package != expected_package {
        return Err(PayerError::BadSign);
    }
    let key = super::merchant_key(st, mch_public_key).map_err(|e| PayerError::Store(StoreError::Other(e)))?;
    if key.verify(&pay::pay_sign_message(&s.appid, &s.timestamp, &s.nonce, &s.package), &s.sign) {
        Ok(())
    } else {
        Err(PayerError::BadSign)
    }
}

/// Which of the payer's coupons pays part of the order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CouponChoice {
    /// The one worth most among those that apply (what the cashier preselects).
    #[default]
    Best,
    /// None.
    Skip,
    /// This one (refused if it does not apply).
    Id(String),
}

impl CouponChoice {
    /// From a request's `coupon_id`: absent → best, `""` or `"none"` → none, else that coupon.
    pub fn from_field(f: Option<&str>) -> CouponChoice {
        match f.map(str::trim) {
            None => CouponChoice::Best,
            Some("") | Some("none") => CouponChoice::Skip,
            Some(id) => CouponChoice::Id(id.into()),
        }
    }
}

/// The coupon the payer uses on `o`, and the order's promotion_detail with it (what the
/// cashier page shows; `pay` adds the COUPON.USE notification).
pub async fn choose_coupon(st: &AppState, user: &User, o: &Order, choice: &CouponChoice, now: i64) -> Result<Option<CouponUse>, PayerError> {
    Ok(pick_coupon(st, user, o, choice, now).await?.map(|(c, s)| coupon_use(&c, &s)))
}

/// The payer's coupon (and its stock) that `choice` names among those that apply to `o`.
async fn pick_coupon(st: &AppState, user: &User, o: &Order, choice: &CouponChoice, now: i64) -> Result<Option<(Coupon, Stock)>, PayerError> {
    if *choice == CouponChoice::Skip {
        return Ok(None);
    }
    let usable = st.store.usable_coupons(&user.id.0).await?;
    let applies = |s: &Stock| {
        let rules: serde_json::Value = serde_json::from_str(&s.rules).unwrap_or_default();
        coupon::applies(&s.state(), &s.mchid, &rules, s.transaction_minimum, &o.mchid, o.total, o.goods_tag.as_deref(), o.trade_type, now)
    };
    Ok(match choice {
        CouponChoice::Id(id) => {
            let found = usable.into_iter().find(|(c, _)| c.coupon_id == *id);
            match found {
                Some((c, s)) if applies(&s) => Some((c, s)),
                _ => return Err(PayerError::Refused((PayCode::InvalidRequest, "该代金券不可用于此订单".into()))),
            }
        }
        _ => usable.into_iter().filter(|(_, s)| applies(s)).max_by_key(|(c, s)| (s.coupon_amount, std::cmp::Reverse(s.available_end_time), std::cmp::Reverse(c.create_time))),
    })
}

/// Using `c` of stock `s`: its amount and the order's promotion_detail (no notification yet).
fn coupon_use(c: &Coupon, s: &Stock) -> CouponUse {
    let promotion = serde_json::json!([{
        "coupon_id": c.coupon_id, "name": s.stock_name, "scope": "GLOBAL", "type": if s.no_cash { "NOCASH" } else { "CASH" },
        "amount": s.coupon_amount, "stock_id": s.stock_id, "wechatpay_contribute": 0, "merchant_contribute": s.coupon_amount,
        "other_contribute": 0, "currency": "CNY",
    }]);
    CouponUse {
        coupon_id: c.coupon_id.clone(),
        stock_id: s.stock_id.clone(),
        amount: s.coupon_amount,
        no_cash: s.no_cash,
        promotion: promotion.to_string(),
        notification: None,
    }
}

/// The COUPON.USE notification of `c` used on `o`, for the stock creator, if it set a
/// notification URL and has not switched it off.
async fn coupon_used(st: &AppState, c: &Coupon, s: &Stock, o: &Order, now: i64) -> Result<Option<NewNotification>, StoreError> {
    let Some(cb) = st.store.coupon_callback(&s.mchid).await?.filter(|cb| cb.enabled) else { return Ok(None) };
    let Some(m) = st.store.merchant(&s.mchid).await? else { return Ok(None) };
    let used = Coupon {
        status: coupon::CouponStatus::Used,
        used_time: Some(now),
        transaction_id: Some(o.transaction_id.clone()),
        used_mchid: Some(o.mchid.clone()),
        ..c.clone()
    };
    let resource = super::coupons::coupon_json(&used, s, now);
    Ok(super::notify::build(&m, &c.appid, &cb.notify_url, &c.coupon_id, ("COUPON.USE", "代金券核销通知", "coupon"), &resource, now))
}

/// Pays the order `key` names as `user`, with a coupon as `choice` says.
pub async fn pay(st: &AppState, user: &User, key: OrderKey, sign: Option<&ClientSign>, choice: &CouponChoice) -> Result<Order, PayerError> {
    let o = st.store.order(&key).await?.ok_or(PayerError::Missing)?;
    if let Some(s) = sign {
        let m = st.store.merchant(&o.mchid).await?.ok_or(PayerError::Missing)?;
        check_sign(st, &o, &m.mch_public_key, s)?;
    }
    let follower = st.store.meet(&herald_wire::AppId(o.appid.clone()), &user.id, &FreshIds::random()).await?;
    let now = st.clock.now().await?;
    let by_prepay = matches!(key, OrderKey::PrepayId(_));
    let openid = follower.openid.0.clone();
    let check = move |o: &Order| {
        pay::check_payable(o.state, o.expires_at, now)?;
        if by_prepay && now >= o.prepay_expires_at {
            return Err((PayCode::OrderClosed, "prepay_id 已失效，请重新下单".into()));
        }
        match &o.payer_openid {
            Some(p) if *p != openid => Err((PayCode::InvalidRequest, "此订单只能由下单时指定的用户支付".into())),
            _ => Ok(()),
        }
    };
    let coupon = match pick_coupon(st, user, &o, choice, now).await? {
        Some((c, s)) => Some(CouponUse { notification: coupon_used(st, &c, &s, &o, now).await?, ..coupon_use(&c, &s) }),
        None => None,
    };
    let payment = Payment { key, coupon, user: user.id.0.clone(), openid: follower.openid.0.clone(), now, now_ms: system_now_ms() };
    match st.store.pay_order(&payment, &check, &super::notify::paid).await? {
        PayResult::Paid(o) => {
            st.wake.notify_one();
            Ok(*o)
        }
        PayResult::Missing => Err(PayerError::Missing),
        PayResult::Refused(r) => Err(PayerError::Refused(r)),
        PayResult::Insufficient(b) => Err(PayerError::Insufficient(b)),
        PayResult::CouponGone => Err(PayerError::Refused((PayCode::InvalidRequest, "代金券已被使用，请重新支付".into()))),
    }
}

/// Which order a payer-side reference names: a prepay_id, `prepay_id=…`, a code_url or an
/// h5_url.
pub fn order_key(reference: &str) -> Option<OrderKey> {
    let r = reference.trim();
    if let Some(k) = pay::code_url_key(r) {
        return Some(OrderKey::CodeKey(k.into()));
    }
    if let Some(p) = r.strip_prefix("prepay_id=") {
        return Some(OrderKey::PrepayId(p.into()));
    }
    if r.starts_with("http://") || r.starts_with("https://") {
        let u = url::Url::parse(r).ok()?;
        return u.query_pairs().find(|(k, _)| k == "prepay_id").map(|(_, v)| OrderKey::PrepayId(v.into_owned()));
    }
    (r.starts_with("wx") && r.len() > 2).then(|| OrderKey::PrepayId(r.into()))
}
