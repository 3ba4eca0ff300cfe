//! The platform side of QR codes, menus, web OAuth and the JS-SDK: what a simulated user does
//! (scan a code, see and tap the menu), what the operator configures (an account's web
//! domain, sign-in links), and the JS-SDK signature check a client makes for a page.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use base64::Engine;
use herald_domain::conversation::{Inbound, PicKind, ScanCodeKind, UserEvent};
use herald_domain::menu;
use herald_domain::oauth::{normalize_domain, SIGNIN_LINK_TTL};
use herald_domain::qrcode::{scan_outcome, ScanOutcome, Scene, ACCOUNT_ACTION};
use herald_store::{FollowHow, OneTimeCode, QrCode};
use herald_wire::AppId;
use serde::Deserialize;
use serde_json::{json, Value};

use super::users::{follow_with, load_user, relation_out};
use crate::cgi::menu::{load as load_menus, viewer};
use crate::cgi::qrcode::{account_code, code_url, image_path};
use crate::conversation::{message_json, receive};
use crate::error::{ApiError, ApiResult};
use super::console::AccountAccess;
use crate::extract::{ActingFor, ApiJson, Operator};
use crate::state::AppState;

fn gone(msg: &str) -> ApiError {
    ApiError::new(StatusCode::GONE, "expired", msg)
}

/// `GET /herald/v1/accounts/{appid}/qrcode`: the account's own code.
pub async fn account_qrcode(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    let now = st.clock.now().await?;
    let code = account_code(&st, &a.account.appid, now).await.map_err(|e| ApiError::bad_request(e.0.errmsg()))?;
    Ok(Json(code_json(&st, &code)))
}

fn code_json(st: &AppState, code: &QrCode) -> Value {
    json!({
        "appid": code.appid, "ticket": code.ticket, "url": code_url(st, code), "action_name": code.action,
        "image_url": format!("{}{}", st.base_url(), image_path(code)), "expires_at": code.expires_at,
    })
}

#[derive(Debug, Deserialize)]
pub struct DomainIn {
    /// A host, optionally with a port (`shop.example.com`, `127.0.0.1:8080`); null clears it.
    domain: Option<String>,
}

/// `GET /herald/v1/accounts/{appid}/web_domain`: where web OAuth may redirect (null: nowhere).
pub async fn web_domain(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    let domain = st.store.web_domain(&a.account.appid).await?;
    Ok(Json(json!({"appid": a.account.appid, "domain": domain})))
}

/// `PUT /herald/v1/accounts/{appid}/web_domain`: where web OAuth may redirect.
pub async fn set_web_domain(State(st): State<AppState>, _: AccountAccess, Path(appid): Path<String>, ApiJson(b): ApiJson<DomainIn>) -> ApiResult<Value> {
    let domain = match b.domain.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Some(normalize_domain(d).ok_or_else(|| ApiError::bad_request("domain must be a host name, optionally with :port (no scheme or path)"))?),
        None => None,
    };
    if !st.store.set_web_domain(&AppId(appid.clone()), domain.as_deref()).await? {
        return Err(ApiError::not_found("account"));
    }
    Ok(Json(json!({"appid": appid, "domain": domain})))
}

#[derive(Debug, Default, Deserialize)]
pub struct SigninIn {
    /// A path on this server to open after signing in.
    next: Option<String>,
}

/// `POST /herald/v1/users/{id}/signin_links`: a link that signs the user in once, for a day.
pub async fn signin_link(State(st): State<AppState>, _: Operator, Path(id): Path<String>, ApiJson(b): ApiJson<SigninIn>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = load_user(&st, &id).await?;
    let token = herald_domain::idgen::secret_token(&mut rand::thread_rng(), "sl_");
    let now = st.clock.now().await?;
    st.store
        .put_code(&OneTimeCode {
            code: crate::web::hash(&token),
            purpose: "signin".into(),
            appid: None,
            user_id: user.id.clone(),
            scope: String::new(),
            created_at: now,
            expires_at: now + SIGNIN_LINK_TTL,
            used_at: None,
        })
        .await?;
    let mut url = url::Url::parse(&format!("{}/herald/signin", st.base_url())).map_err(|e| ApiError::bad_request(e.to_string()))?;
    url.query_pairs_mut().append_pair("token", &token);
    if let Some(next) = b.next.as_deref() {
        url.query_pairs_mut().append_pair("next", &crate::web::safe_next(Some(next)));
    }
    Ok((StatusCode::CREATED, Json(json!({"url": url.as_str(), "expires_at": now + SIGNIN_LINK_TTL}))))
}

#[derive(Debug, Default, Deserialize)]
pub struct ScanIn {
    ticket: Option<String>,
    url: Option<String>,
    /// A picture of the code, base64 (PNG or JPEG).
    image: Option<String>,
}

/// The code a scan names: by ticket, by url (`…/q/<key>`), or by a picture of it.
async fn resolve(st: &AppState, b: &ScanIn) -> Result<QrCode, ApiError> {
    let from_url = |u: &str| -> Result<String, ApiError> {
        let parsed = url::Url::parse(u).map_err(|_| ApiError::bad_request("the code's url is not a URL"))?;
        let mut segs = parsed.path_segments().map(|s| s.collect::<Vec<_>>()).unwrap_or_default();
        segs.retain(|s| !s.is_empty());
        match segs.as_slice() {
            [.., "q", key] => Ok(key.to_string()),
            _ => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_a_code", format!("{u} is not a Herald QR code"))),
        }
    };
    let code = if let Some(t) = b.ticket.as_deref().filter(|t| !t.is_empty()) {
        st.store.qrcode(t).await?
    } else if let Some(u) = b.url.as_deref().filter(|u| !u.is_empty()) {
        st.store.qrcode_by_key(&from_url(u)?).await?
    } else if let Some(img) = b.image.as_deref() {
        let bytes = base64::engine::general_purpose::STANDARD.decode(img.trim()).map_err(|_| ApiError::bad_request("image must be base64"))?;
        let text = crate::qrimage::decode(&bytes).map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unreadable", e))?;
        st.store.qrcode_by_key(&from_url(&text)?).await?
    } else {
        return Err(ApiError::bad_request("give the code's ticket, its url, or an image of it"));
    };
    code.ok_or_else(|| ApiError::not_found("QR code"))
}

/// The text a scan reads without a ticket: the url given, or the one decoded from the picture.
fn scanned_text(b: &ScanIn) -> Option<String> {
    match (b.url.as_deref(), b.image.as_deref()) {
        (Some(u), _) if !u.is_empty() => Some(u.to_string()),
        (_, Some(img)) if b.ticket.as_deref().is_none_or(str::is_empty) => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(img.trim()).ok()?;
            crate::qrimage::decode(&bytes).ok()
        }
        _ => None,
    }
}

/// A scanned WeChat Pay Native code (`weixin://wxpay/bizpayurl?pr=…`): where the payer
/// confirms it (the cashier page) and what it asks for. Paying is `POST .../payments`.
async fn native_pay_code(st: &AppState, text: &str) -> Result<Option<Value>, ApiError> {
    let Some(key) = herald_domain::pay::code_url_key(text) else { return Ok(None) };
    let o = st.store.order(&herald_store::pay::OrderKey::CodeKey(key.into())).await?.ok_or_else(|| ApiError::not_found("order"))?;
    let m = st.store.merchant(&o.mchid).await?.ok_or_else(|| ApiError::not_found("merchant"))?;
    Ok(Some(json!({
        "kind": "pay", "code_url": text, "merchant": m.name, "description": o.description, "amount": o.total,
        "cashier_url": format!("{}/pay/cashier?pr={key}", st.base_url()),
    })))
}

/// A scanned mini-program code (`<base>/mp/{appid}/{page}?{query}`, as the wxacode APIs make
/// them): which mini program and page it opens, with the query the page's `onLoad` gets.
async fn mini_program_code(st: &AppState, text: &str) -> Result<Option<Value>, ApiError> {
    let Ok(u) = url::Url::parse(text) else { return Ok(None) };
    let segs: Vec<&str> = u.path_segments().map(|s| s.filter(|s| !s.is_empty()).collect()).unwrap_or_default();
    let [mp, appid, page @ ..] = segs.as_slice() else { return Ok(None) };
    if *mp != "mp" {
        return Ok(None);
    }
    let a = st.store.account(appid).await?.filter(|a| a.ty == herald_domain::account::AccountType::MiniProgram).ok_or_else(|| ApiError::not_found("mini program"))?;
    // A page gets `query.scene` still URL-encoded, as on WeChat (pages decodeURIComponent it).
    let query: serde_json::Map<String, Value> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "scene" { url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>().replace('+', "%20") } else { v.into_owned() };
            (k.into_owned(), json!(v))
        })
        .collect();
    Ok(Some(json!({
        "kind": "miniprogram", "appid": a.appid, "name": a.name, "path": page.join("/"), "query": query,
        "url": text,
    })))
}

/// `POST /herald/v1/users/{id}/scan`: the user scans a code (JSON `{ticket}`, `{url}` or
/// `{image}`, or the picture itself as the body with an image Content-Type). A non-follower
/// follows (subscribe with `qrscene_<scene>` and `Ticket`); a follower raises SCAN.
pub async fn scan(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> ApiResult<Value> {
    let user = load_user(&st, &id).await?;
    let is_image = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|c| c.starts_with("image/"));
    let input = if is_image {
        ScanIn { image: Some(base64::engine::general_purpose::STANDARD.encode(&body)), ..ScanIn::default() }
    } else {
        let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &body };
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?
    };
    if let Some(text) = scanned_text(&input) {
        if let Some(out) = native_pay_code(&st, &text).await? {
            return Ok(Json(out));
        }
        if let Some(out) = mini_program_code(&st, &text).await? {
            return Ok(Json(out));
        }
    }
    let code = resolve(&st, &input).await?;
    let now = st.clock.now().await?;
    if code.expires_at.is_some_and(|e| e <= now) {
        return Err(gone("this QR code has expired"));
    }
    st.store.count_qr_scan(&code.ticket).await?;
    let scene = match (code.action.as_str(), code.scene_id) {
        (ACCOUNT_ACTION, _) => None,
        (_, 0) => Some(Scene::Str(code.scene_str.clone())),
        (_, n) => Some(Scene::Id(n)),
    };
    let following = st.store.follower_by_user(&code.appid, &user.id).await?.is_some_and(|f| f.subscribed);
    let outcome = scan_outcome(scene.as_ref(), &code.ticket, following);
    let event = match &outcome {
        ScanOutcome::Subscribe { event_key, ticket } => {
            let how = FollowHow { scene: "ADD_SCENE_QR_CODE".into(), qr_scene: code.scene_id, qr_scene_str: code.scene_str.clone() };
            follow_with(&st, &user, &code.appid, &how, event_key.clone(), ticket.clone()).await?;
            Some("subscribe")
        }
        ScanOutcome::Scan { event_key, ticket } => {
            let ev = UserEvent::Scan { event_key: event_key.clone(), ticket: Some(ticket.clone()) };
            receive(&st, &user, &code.appid, Inbound::Event(ev)).await?;
            Some("SCAN")
        }
        ScanOutcome::Open => None,
    };
    let f = st.store.follower_by_user(&code.appid, &user.id).await?.ok_or_else(|| ApiError::not_found("relation"))?;
    Ok(Json(json!({
        "appid": code.appid, "event": event, "scene": scene.map(|s| s.key()),
        "relation": serde_json::to_value(relation_out(&st, &f).await?).unwrap_or(Value::Null),
    })))
}

/// `GET /herald/v1/users/{id}/menus/{appid}`: the menu this user sees in the chat.
pub async fn user_menu(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>) -> ApiResult<Value> {
    let user = load_user(&st, &id).await?;
    let appid = AppId(appid);
    let f = st.store.follower_by_user(&appid, &user.id).await?.ok_or_else(|| ApiError::not_found("relation"))?;
    let menus = load_menus(&st, &appid).await?;
    Ok(Json(match menu::pick(&menus, &viewer(&st, &f).await?) {
        Some(m) => json!({"menuid": m.menuid, "conditional": m.rule.is_some(), "button": m.buttons}),
        None => json!({"menuid": null, "conditional": false, "button": []}),
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct TapIn {
    /// `[i]` for a top-level button, `[i, j]` for a sub-button.
    #[serde(default)]
    path: Vec<usize>,
    /// scancode_*: what was scanned.
    #[serde(default)]
    scan_type: Option<String>,
    #[serde(default)]
    scan_result: Option<String>,
    /// pic_*: the MD5 sums of the pictures sent.
    #[serde(default)]
    pics: Vec<String>,
    /// location_select: where.
    #[serde(default)]
    location: Option<LocationIn>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LocationIn {
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    scale: Option<i64>,
    #[serde(default)]
    label: String,
    #[serde(default)]
    poiname: String,
}

/// `POST /herald/v1/users/{id}/menus/{appid}/tap`: taps a button of the menu the user sees.
/// click, view, miniprogram, scancode_*, pic_* and location_select raise their events; view
/// answers the url to open and miniprogram the page; media_id and article types answer the
/// content they show.
pub async fn tap(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>, ApiJson(b): ApiJson<TapIn>) -> ApiResult<Value> {
    let user = load_user(&st, &id).await?;
    let appid = AppId(appid);
    let f = st.store.follower_by_user(&appid, &user.id).await?.filter(|f| f.subscribed).ok_or_else(|| {
        ApiError::new(StatusCode::CONFLICT, "not_following", "the user must follow the account to use its menu")
    })?;
    let menus = load_menus(&st, &appid).await?;
    let m = menu::pick(&menus, &viewer(&st, &f).await?).ok_or_else(|| ApiError::not_found("menu"))?;
    let button = menu::button_at(&m.buttons, &b.path).ok_or_else(|| ApiError::bad_request("path names no button of the menu"))?;
    let ty = button.get("type").and_then(Value::as_str).ok_or_else(|| ApiError::bad_request("that button opens sub-buttons; tap one of them"))?;
    let field = |k: &str| button.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let key = field("key");
    let menu_id = Some(m.menuid.to_string());
    let mut out = json!({"type": ty});
    let event = match ty {
        "click" => Some(UserEvent::Click { event_key: key }),
        "view" => {
            out["url"] = json!(field("url"));
            Some(UserEvent::View { event_key: field("url"), menu_id })
        }
        "miniprogram" => {
            out["miniprogram"] = json!({"appid": field("appid"), "pagepath": field("pagepath")});
            out["url"] = json!(field("url"));
            Some(UserEvent::ViewMiniprogram { event_key: field("pagepath"), menu_id })
        }
        "scancode_push" | "scancode_waitmsg" => {
            let kind = if ty == "scancode_push" { ScanCodeKind::ScancodePush } else { ScanCodeKind::ScancodeWaitmsg };
            let scan_result = b.scan_result.clone().filter(|s| !s.is_empty()).ok_or_else(|| ApiError::bad_request("a scancode tap needs scan_result"))?;
            Some(UserEvent::ScanCode { kind, event_key: key, scan_type: b.scan_type.clone().unwrap_or_else(|| "qrcode".into()), scan_result })
        }
        "pic_sysphoto" | "pic_photo_or_album" | "pic_weixin" => {
            let kind = match ty {
                "pic_sysphoto" => PicKind::PicSysphoto,
                "pic_photo_or_album" => PicKind::PicPhotoOrAlbum,
                _ => PicKind::PicWeixin,
            };
            if b.pics.is_empty() || b.pics.len() > 9 {
                return Err(ApiError::bad_request("a picture tap sends 1 to 9 pictures (pics: their MD5 sums)"));
            }
            Some(UserEvent::Pic { kind, event_key: key, pic_md5: b.pics.clone() })
        }
        "location_select" => {
            let l = b.location.as_ref().ok_or_else(|| ApiError::bad_request("a location_select tap needs location"))?;
            if l.latitude.abs() > 90.0 || l.longitude.abs() > 180.0 {
                return Err(ApiError::bad_request("latitude must be within ±90 and longitude within ±180"));
            }
            Some(UserEvent::LocationSelect {
                event_key: key,
                location_x: l.latitude,
                location_y: l.longitude,
                scale: l.scale.unwrap_or(15),
                label: l.label.clone(),
                poiname: l.poiname.clone(),
            })
        }
        "media_id" | "view_limited" => {
            let media = st.store.media(&appid, &field("media_id")).await?;
            out["media"] = match media {
                Some(m) => json!({"media_id": m.media_id, "media_type": m.media_type, "url": m.blob_hash.map(|h| crate::cgi::content::file_url(&st, &h))}),
                None => Value::Null,
            };
            None
        }
        _ => {
            let article = field("article_id");
            out["url"] = json!(crate::cgi::content::published_url(&st, &article, 0));
            None
        }
    };
    if let Some(ev) = event {
        let stored = receive(&st, &user, &appid, Inbound::Event(ev)).await?;
        out["message"] = message_json(&stored);
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize)]
pub struct JsCheckIn {
    appid: String,
    url: String,
    #[serde(alias = "nonceStr")]
    noncestr: String,
    timestamp: Value,
    signature: String,
}

/// `POST /herald/v1/jssdk/verify`: is a page's `wx.config` signature valid? The client asks
/// this before it grants a page the JS-SDK. No credential: the answer reveals nothing secret.
pub async fn jssdk_verify(State(st): State<AppState>, ApiJson(b): ApiJson<JsCheckIn>) -> ApiResult<Value> {
    let account = st.store.account(&b.appid).await?.ok_or_else(|| ApiError::not_found("account"))?;
    let ts = match &b.timestamp {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(ApiError::bad_request("timestamp must be a number")),
    };
    let ok = crate::cgi::sns::check_js_signature(&st, &account.appid, &b.noncestr, &ts, &b.url, &b.signature)
        .await
        .map_err(|e| ApiError::bad_request(e.0.errmsg()))?;
    Ok(Json(if ok {
        json!({"valid": true, "errcode": 0, "errmsg": "ok"})
    } else {
        json!({"valid": false, "errcode": 63002, "errmsg": "invalid signature"})
    }))
}
