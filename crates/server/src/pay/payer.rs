//! The payer's side: paying an order from the signed-in (or simulated) user's wallet, by
//! prepay_id (JSAPI, mini program, APP, H5) or by a Native code_url. The client-side
//! signature (JSAPI paySign, APP sign) is checked against the merchant's key when given.

use herald_domain::pay::{self, TradeType};
use herald_store::pay::{Order, OrderKey, PayResult, Payment};
use herald_store::{FreshIds, StoreError, User};
use herald_wire::pay::keys::PublicKey;
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
fn check_sign(o: &Order, mch_public_key: &str, s: &ClientSign) -> Result<(), PayerError> {
    let expected_package = match o.trade_type {
        TradeType::App => o.prepay_id.clone(),
        _ => format!("prepay_id={}", o.prepay_id),
    };
    if s.appid != o.appid || s.package != expected_package {
        return Err(PayerError::BadSign);
    }
    let key = PublicKey::from_pem(mch_public_key).map_err(|e| PayerError::Store(StoreError::Other(e)))?;
    if key.verify(&pay::pay_sign_message(&s.appid, &s.timestamp, &s.nonce, &s.package), &s.sign) {
        Ok(())
    } else {
        Err(PayerError::BadSign)
    }
}

/// Pays the order `key` names as `user`.
pub async fn pay(st: &AppState, user: &User, key: OrderKey, sign: Option<&ClientSign>) -> Result<Order, PayerError> {
    let o = st.store.order(&key).await?.ok_or(PayerError::Missing)?;
    if let Some(s) = sign {
        let m = st.store.merchant(&o.mchid).await?.ok_or(PayerError::Missing)?;
        check_sign(&o, &m.mch_public_key, s)?;
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
    let payment = Payment { key, user: user.id.0.clone(), openid: follower.openid.0.clone(), now, now_ms: system_now_ms() };
    match st.store.pay_order(&payment, &check, &super::notify::paid).await? {
        PayResult::Paid(o) => {
            st.wake.notify_one();
            Ok(*o)
        }
        PayResult::Missing => Err(PayerError::Missing),
        PayResult::Refused(r) => Err(PayerError::Refused(r)),
        PayResult::Insufficient(b) => Err(PayerError::Insufficient(b)),
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
