//! The cashier: where a signed-in user confirms a payment and pays from their wallet. H5
//! orders' h5_url lands here (`/pay/h5`), and so does a scanned Native code
//! (`/pay/cashier?pr=…`); JSAPI, mini-program and APP orders by prepay_id.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use herald_domain::ledger::Book;
use herald_domain::pay::{self as rules};
use herald_store::pay::{Order, OrderKey};
use serde::Deserialize;

use super::{error_page, esc, hash, page, WebSession};
use crate::pay::payer::{self, PayerError};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct CashierQuery {
    #[serde(default)]
    prepay_id: Option<String>,
    /// A Native code's key.
    #[serde(default)]
    pr: Option<String>,
    /// Where an H5 page wants the browser back.
    #[serde(default)]
    redirect_url: Option<String>,
}

fn yuan(fen: i64) -> String {
    format!("¥{}.{:02}", fen / 100, fen % 100)
}

fn internal<E: std::fmt::Display>(e: E) -> Response {
    tracing::error!(error = %e, "cashier failed");
    error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again.")
}

fn key_of(q: &CashierQuery) -> Option<(OrderKey, String)> {
    if let Some(p) = q.prepay_id.as_deref().filter(|p| !p.is_empty()) {
        return Some((OrderKey::PrepayId(p.into()), p.into()));
    }
    let k = q.pr.as_deref().filter(|k| !k.is_empty())?;
    Some((OrderKey::CodeKey(k.into()), format!("{}{k}", rules::CODE_URL_PREFIX)))
}

fn csrf(session_hash: &str, reference: &str) -> String {
    hash(&format!("cashier:{session_hash}:{reference}"))
}

/// `GET /pay/h5?prepay_id&package[&redirect_url]`: where an H5 order's h5_url leads.
pub async fn h5(Query(q): Query<CashierQuery>) -> Response {
    let Some(p) = q.prepay_id.filter(|p| !p.is_empty()) else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid payment link", "The link has no prepay_id.");
    };
    let mut target = format!("/pay/cashier?prepay_id={}", url::form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>());
    if let Some(r) = q.redirect_url.filter(|r| !r.is_empty()) {
        target.push_str("&redirect_url=");
        target.extend(url::form_urlencoded::byte_serialize(r.as_bytes()));
    }
    Redirect::to(&target).into_response()
}

/// The order, its merchant's name and its merchant's H5 payment domain.
async fn order_and_merchant(st: &AppState, key: &OrderKey) -> Result<(Order, String, String), Response> {
    let o = st.store.order(key).await.map_err(internal)?.ok_or_else(|| error_page(StatusCode::NOT_FOUND, "Unknown payment", "This payment does not exist."))?;
    let (name, h5_domain) = st.store.merchant(&o.mchid).await.map_err(internal)?.map(|m| (m.name, m.h5_domain)).unwrap_or_default();
    Ok((o, name, h5_domain))
}

/// May the cashier send the payer back to `url`? Only to a page on the merchant's H5 payment
/// domain, as WeChat checks an H5 payment's redirect_url.
fn back_allowed(url: &str, h5_domain: &str) -> bool {
    !h5_domain.is_empty() && herald_domain::oauth::redirect_allowed(url, h5_domain)
}

/// WeChat's words when an H5 payment's parameters (here its redirect_url) are not the
/// merchant's.
fn bad_redirect() -> Response {
    error_page(StatusCode::BAD_REQUEST, "商家参数格式有误，请联系商家解决", "The page to return to is not on the merchant's H5 payment domain.")
}

/// `GET /pay/cashier?prepay_id=…|pr=…`: the confirmation page.
pub async fn show(State(st): State<AppState>, session: WebSession, Query(q): Query<CashierQuery>) -> Response {
    let Some((key, reference)) = key_of(&q) else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid payment link", "The link names no payment.");
    };
    let (o, merchant, h5_domain) = match order_and_merchant(&st, &key).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if q.redirect_url.as_deref().is_some_and(|r| !r.is_empty() && !back_allowed(r, &h5_domain)) {
        return bad_redirect();
    }
    let Some((user, session_hash)) = session.0 else {
        let body = format!(
            "<div class=\"card\"><h1>Sign in to pay</h1><p><b>{}</b> asks for {}.</p><p class=\"muted\">Open this page from the Herald client, or use a sign-in link.</p></div>",
            esc(&merchant),
            yuan(o.total)
        );
        return (StatusCode::UNAUTHORIZED, Html(page("Sign in", &body))).into_response();
    };
    let now = match st.clock.now().await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let state = rules::effective_state(o.state, o.expires_at, now);
    if !state.payable() {
        return error_page(StatusCode::CONFLICT, "This payment is over", state.desc());
    }
    let balance = st.store.balance(&Book::Wallet(user.id.0.clone())).await.unwrap_or(0);
    // The best coupon that applies is preselected, as WeChat's cashier does; the form carries
    // its id so the payment uses the coupon shown.
    let coupon = payer::choose_coupon(&st, &user, &o, &payer::CouponChoice::Best, now).await.unwrap_or_default();
    let (due, coupon_line, coupon_id) = match &coupon {
        Some(c) => {
            let promo: serde_json::Value = serde_json::from_str(&c.promotion).unwrap_or_default();
            let name = promo[0]["name"].as_str().unwrap_or("Coupon").to_string();
            (o.total - c.amount, format!("<p id=\"coupon\">{} <b>−{}</b></p>", esc(&name), yuan(c.amount)), c.coupon_id.clone())
        }
        None => (o.total, String::new(), "none".to_string()),
    };
    let hidden = |name: &str, v: &str| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", esc(v));
    let body = format!(
        "<div class=\"card\" id=\"cashier\"><p class=\"muted\">{merchant}</p><h1 id=\"amount\">{amount}</h1><p id=\"description\">{desc}</p>{coupon_line}\
         <p class=\"muted\">Wallet balance: <span id=\"balance\">{bal}</span> · {nick}</p>\
         <form method=\"post\" action=\"/pay/cashier\">{fields}<button class=\"primary\" type=\"submit\" id=\"pay\">Pay {due}</button></form></div>",
        merchant = esc(&merchant),
        amount = yuan(o.total),
        due = yuan(due),
        desc = esc(&o.description),
        bal = yuan(balance),
        nick = esc(&user.nickname),
        fields = [
            hidden("ref", &reference),
            hidden("redirect_url", q.redirect_url.as_deref().unwrap_or("")),
            hidden("csrf", &csrf(&session_hash, &reference)),
            hidden("coupon_id", &coupon_id),
        ]
        .concat(),
    );
    Html(page("Pay", &body)).into_response()
}

/// `POST /pay/cashier`: pays.
pub async fn confirm(State(st): State<AppState>, session: WebSession, body: Bytes) -> Response {
    let form: std::collections::HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let Some((user, session_hash)) = session.0 else {
        return error_page(StatusCode::UNAUTHORIZED, "Not signed in", "Sign in and open the payment again.");
    };
    let reference = get("ref");
    if get("csrf") != csrf(&session_hash, &reference) {
        return error_page(StatusCode::FORBIDDEN, "This form has expired", "Open the payment again.");
    }
    let Some(key) = payer::order_key(&reference) else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid payment", "The form names no payment.");
    };
    let (o, merchant, h5_domain) = match order_and_merchant(&st, &key).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let choice = match form.get("coupon_id") {
        Some(c) => payer::CouponChoice::from_field(Some(c)),
        None => payer::CouponChoice::Best,
    };
    match payer::pay(&st, &user, key, None, &choice).await {
        Ok(paid) => {
            let balance = st.store.balance(&Book::Wallet(user.id.0.clone())).await.unwrap_or(0);
            let back = get("redirect_url");
            let link = if back_allowed(&back, &h5_domain) {
                format!("<p><a id=\"back\" href=\"{}\">Back to {}</a></p>", esc(&back), esc(&merchant))
            } else {
                String::new()
            };
            let body = format!(
                "<div class=\"card\" id=\"paid\"><h1>Paid {}</h1><p>to <b>{}</b> · {}</p><p class=\"muted\">Transaction {} · balance <span id=\"balance\">{}</span></p>{link}<p><a href=\"/wallet\">Done</a></p></div>",
                yuan(paid.total - paid.discount),
                esc(&merchant),
                esc(&paid.description),
                esc(&paid.transaction_id),
                yuan(balance)
            );
            Html(page("Paid", &body)).into_response()
        }
        Err(PayerError::Insufficient(balance)) => {
            let body = format!(
                "<div class=\"card\" id=\"insufficient\"><h1 class=\"error\">Not enough balance</h1><p>{} is due; your wallet holds <span id=\"balance\">{}</span>.</p></div>",
                yuan(o.total),
                yuan(balance)
            );
            (StatusCode::PAYMENT_REQUIRED, Html(page("Not enough balance", &body))).into_response()
        }
        Err(PayerError::Refused((_, m))) => error_page(StatusCode::CONFLICT, "Payment refused", &m),
        Err(PayerError::Missing) | Err(PayerError::BadSign) => error_page(StatusCode::NOT_FOUND, "Unknown payment", "This payment does not exist."),
        Err(PayerError::Store(e)) => internal(e),
    }
}
