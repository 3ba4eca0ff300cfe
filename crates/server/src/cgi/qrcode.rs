//! QR codes and short keys: `/cgi-bin/qrcode/create`, `/cgi-bin/showqrcode` (the PNG, on the
//! host SDKs call `mp.weixin.qq.com`), `/cgi-bin/shorten/gen` and `/cgi-bin/shorten/fetch`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_domain::account::Capability;
use herald_domain::qrcode::{self as qr, Scene, MAX_PERMANENT};
use herald_store::QrCode;
use herald_wire::{AppId, ErrCode, WxError};
use serde_json::{json, Value};

use crate::error::{WxErr, WxResult};
use crate::extract::{Caller, WxJson, WxQuery};
use crate::state::AppState;

/// A code's url: what its image encodes and what a scan reads.
pub fn code_url(st: &AppState, q: &QrCode) -> String {
    format!("{}/q/{}", st.base_url(), q.url_key)
}

/// Where a code's PNG is served (`showqrcode`, the ticket URL-encoded).
pub fn image_path(q: &QrCode) -> String {
    let ticket: String = url::form_urlencoded::byte_serialize(q.ticket.as_bytes()).collect();
    format!("/cgi-bin/showqrcode?ticket={ticket}")
}

/// A new code of `appid` with a fresh ticket and url key.
pub fn fresh_code(appid: &AppId, action: &str, scene: (i64, String), permanent: bool, now: i64, expires_at: Option<i64>) -> QrCode {
    let mut rng = rand::thread_rng();
    QrCode {
        ticket: qr::ticket(&mut rng),
        url_key: qr::url_key(&mut rng),
        appid: appid.clone(),
        action: action.to_string(),
        scene_id: scene.0,
        scene_str: scene.1,
        permanent,
        created_at: now,
        expires_at,
    }
}

pub async fn create(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    c.require(Capability::QrCodes)?;
    let req = qr::parse_create(&body)?;
    let scene = match &req.scene {
        Scene::Id(i) => (*i, String::new()),
        Scene::Str(s) => (0, s.clone()),
    };
    let fresh = fresh_code(&c.account.appid, &req.action, scene, req.permanent, c.now, req.expire_seconds.map(|s| c.now + s));
    let code = st.store.create_qrcode(&fresh, MAX_PERMANENT).await?;
    let mut out = json!({"ticket": code.ticket, "url": code_url(&st, &code)});
    if let Some(secs) = req.expire_seconds {
        out["expire_seconds"] = json!(secs);
    }
    Ok(Json(out))
}

/// The account's own code (created on first use): a subscription account's only one.
pub async fn account_code(st: &AppState, appid: &AppId, now: i64) -> Result<QrCode, WxErr> {
    let fresh = fresh_code(appid, qr::ACCOUNT_ACTION, (0, String::new()), true, now, None);
    Ok(st.store.create_qrcode(&fresh, MAX_PERMANENT).await?)
}

#[derive(serde::Deserialize)]
pub struct TicketQuery {
    #[serde(default)]
    ticket: String,
}

/// A live code by ticket, or why not.
pub async fn live_code(st: &AppState, ticket: &str) -> Result<QrCode, WxError> {
    let code = st.store.qrcode(ticket).await.map_err(|e| WxErr::from(e).0)?;
    let code = code.ok_or_else(|| WxError::with_detail(ErrCode::InvalidParameter, "invalid ticket"))?;
    let now = st.clock.now().await.map_err(|_| WxError::new(ErrCode::SystemError))?;
    if code.expires_at.is_some_and(|e| e <= now) {
        return Err(WxError::with_detail(ErrCode::InvalidParameter, "ticket expired"));
    }
    Ok(code)
}

/// `GET /cgi-bin/showqrcode?ticket=`: no access_token; the PNG, or 404 with a JSON error for
/// an unknown or expired ticket.
pub async fn show(State(st): State<AppState>, WxQuery(q): WxQuery<TicketQuery>) -> Response {
    match live_code(&st, &q.ticket).await {
        Ok(code) => match crate::qrimage::png(&code_url(&st, &code)) {
            Ok(png) => ([(header::CONTENT_TYPE, "image/png".to_string()), (header::CACHE_CONTROL, "max-age=60".into())], png).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "QR rendering failed");
                WxErr::from(ErrCode::SystemError).into_response()
            }
        },
        Err(mut e) => {
            e.rid = Some(crate::error::rid());
            (StatusCode::NOT_FOUND, Json(e)).into_response()
        }
    }
}

pub async fn shorten_gen(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    c.require(Capability::QrCodes)?;
    let (data, secs) = qr::parse_shorten(&body)?;
    let key = qr::short_key(&mut rand::thread_rng());
    st.store.put_short_key(&key, &c.account.appid, &data, c.now, c.now + secs).await?;
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "short_key": key})))
}

pub async fn shorten_fetch(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    c.require(Capability::QrCodes)?;
    let key = body.get("short_key").and_then(Value::as_str).unwrap_or("");
    let found = st.store.short_key(&c.account.appid, key).await?;
    let (data, created, expires) = found
        .filter(|(_, _, expires)| *expires > c.now)
        .ok_or_else(|| WxError::with_detail(ErrCode::InvalidParameter, "invalid short_key"))?;
    Ok(Json(json!({
        "errcode": 0, "errmsg": "ok", "long_data": data, "create_time": created, "expire_seconds": expires - c.now
    })))
}
