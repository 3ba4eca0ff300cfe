//! The mini-program server APIs: login (`/sns/jscode2session`), wxacodes, phone numbers, URL
//! schemes and links, and the content and risk checks. Subscribe messages are in
//! `cgi::subscribe`. Every one but jscode2session takes a mini program's access_token
//! (48001 for an official account's).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use herald_domain::account::{AccountType, Capability};
use herald_domain::miniprogram as mp;
use herald_store::{CodeTake, FreshIds, MpLink};
use herald_wire::{AppId, ErrCode, WxError};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{WxErr, WxResult};
use crate::extract::{Caller, WxJson, WxQuery};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct SessionQuery {
    appid: Option<String>,
    secret: Option<String>,
    js_code: Option<String>,
    grant_type: Option<String>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// Is the mini program's owner behind other accounts too? Then the user's unionid is told.
pub async fn owner_has_others(st: &AppState, appid: &AppId) -> herald_store::Result<bool> {
    let Some(a) = st.store.account(appid.as_str()).await? else { return Ok(false) };
    Ok(st.store.accounts().await?.iter().any(|o| o.owner_id == a.owner_id && o.appid != a.appid))
}

/// Takes a single-use code of `purpose` for the mini program: 40029 unknown or expired, 40163
/// used before.
async fn take_live_code(st: &AppState, code: &str, purpose: &str, appid: &AppId, now: i64) -> Result<herald_store::OneTimeCode, WxErr> {
    match st.store.take_code(code, purpose, Some(appid), now).await? {
        CodeTake::Missing => Err(ErrCode::InvalidOauthCode.into()),
        CodeTake::Used(_) => Err(ErrCode::CodeBeenUsed.into()),
        CodeTake::Taken(c) if c.expires_at <= now => Err(ErrCode::InvalidOauthCode.into()),
        CodeTake::Taken(c) => Ok(c),
    }
}

/// `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`: a `wx.login`
/// code (single use, five minutes) for the user's openid and current session key.
pub async fn jscode2session(State(st): State<AppState>, WxQuery(q): WxQuery<SessionQuery>) -> WxResult<Value> {
    let account = match some(&q.appid) {
        Some(a) => st.store.account(a).await?,
        None => None,
    };
    herald_domain::token::check_credentials(Some("client_credential"), some(&q.appid), some(&q.secret), account.as_ref().map(|a| a.app_secret.as_str()))?;
    let account = account.ok_or(ErrCode::InvalidAppid)?;
    if account.ty != AccountType::MiniProgram {
        return Err(ErrCode::InvalidAppid.into());
    }
    if some(&q.grant_type).is_some_and(|g| g != "authorization_code") {
        return Err(ErrCode::InvalidGrantType.into());
    }
    let code = some(&q.js_code).ok_or(ErrCode::OauthCodeMissing)?;
    let now = st.clock.now().await?;
    let c = take_live_code(&st, code, "wxlogin", &account.appid, now).await?;
    let f = st.store.meet(&account.appid, &c.user_id, &FreshIds::random()).await?;
    let key = st.store.session_key(&account.appid, &c.user_id).await?.ok_or(ErrCode::InvalidOauthCode)?;
    let mut out = json!({"session_key": key, "openid": f.openid.0});
    if owner_has_others(&st, &account.appid).await? {
        out["unionid"] = json!(f.unionid.0);
    }
    Ok(Json(out))
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeIn {
    #[serde(default)]
    scene: Option<String>,
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    width: Option<i64>,
    #[serde(default)]
    env_version: Option<String>,
}

fn env_version(v: Option<&str>) -> Result<&'static str, WxErr> {
    match v.unwrap_or("release") {
        "release" | "" => Ok("release"),
        "trial" => Ok("trial"),
        "develop" => Ok("develop"),
        _ => Err(WxErr(WxError::with_detail(ErrCode::InvalidParameter, "invalid args env_version"))),
    }
}

/// The url a mini program's code encodes: the follower app opens it as the mini program's
/// page with the query (`scene=…` for unlimited codes).
pub fn code_url(st: &AppState, appid: &AppId, page: &str, query: &str, env: &str) -> String {
    let mut q = query.to_string();
    if env != "release" {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str("env_version=");
        q.push_str(env);
    }
    let page = if page.is_empty() { String::new() } else { format!("/{page}") };
    if q.is_empty() {
        format!("{}/mp/{appid}{page}", st.base_url())
    } else {
        format!("{}/mp/{appid}{page}?{q}", st.base_url())
    }
}

fn code_png(url: &str, width: u32) -> Response {
    match crate::qrimage::png_sized(url, width) {
        Ok(png) => ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "wxacode rendering failed");
            WxErr::from(ErrCode::SystemError).into_response()
        }
    }
}

/// `POST /wxa/getwxacodeunlimit`: a code for a page with a scene of at most 32 characters,
/// as many as wanted; the page gets `query.scene` (URL-encoded) in `onLoad`.
pub async fn code_unlimited(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<CodeIn>) -> Result<Response, WxErr> {
    c.require(Capability::MiniProgram)?;
    let scene = b.scene.as_deref().unwrap_or("");
    mp::check_scene(scene)?;
    let page = b.page.as_deref().unwrap_or("");
    if !page.is_empty() {
        mp::check_page(page)?;
    }
    let env = env_version(b.env_version.as_deref())?;
    let query = format!("scene={}", url::form_urlencoded::byte_serialize(scene.as_bytes()).collect::<String>());
    Ok(code_png(&code_url(&st, &c.account.appid, page, &query, env), mp::code_width(b.width)))
}

/// `POST /wxa/getwxacode` and `POST /cgi-bin/wxaapp/createwxaqrcode`: a code for a path
/// with its own query.
pub async fn code_limited(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<CodeIn>) -> Result<Response, WxErr> {
    c.require(Capability::MiniProgram)?;
    let (page, query) = mp::split_path(b.path.as_deref().unwrap_or(""))?;
    let env = env_version(b.env_version.as_deref())?;
    Ok(code_png(&code_url(&st, &c.account.appid, &page, &query, env), mp::code_width(b.width)))
}

#[derive(Debug, Default, Deserialize)]
pub struct PhoneIn {
    #[serde(default)]
    code: Option<String>,
}

/// `POST /wxa/business/getuserphonenumber {code}`: the number the user agreed to share
/// (`getPhoneNumber`'s code: single use, five minutes).
pub async fn phone_number(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<PhoneIn>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    let code = b.code.as_deref().filter(|s| !s.is_empty()).ok_or(ErrCode::OauthCodeMissing)?;
    let k = take_live_code(&st, code, "phone", &c.account.appid, c.now).await?;
    let (country, pure) = k.scope.split_once(' ').unwrap_or(("86", k.scope.as_str()));
    let phone = if country == "86" { pure.to_string() } else { format!("+{country}{pure}") };
    Ok(Json(json!({
        "errcode": 0, "errmsg": "ok",
        "phone_info": {
            "phoneNumber": phone, "purePhoneNumber": pure, "countryCode": country,
            "watermark": {"timestamp": c.now, "appid": c.account.appid},
        },
    })))
}

#[derive(Debug, Default, Deserialize)]
pub struct LinkIn {
    #[serde(default)]
    jump_wxa: Option<JumpWxa>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    env_version: Option<String>,
    #[serde(default)]
    is_expire: bool,
    #[serde(default)]
    expire_type: i64,
    #[serde(default)]
    expire_time: Option<i64>,
    #[serde(default)]
    expire_interval: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct JumpWxa {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    env_version: Option<String>,
}

async fn new_link(st: &AppState, c: &Caller, kind: &str, path: Option<&str>, query: Option<&str>, env: Option<&str>, b: &LinkIn) -> Result<MpLink, WxErr> {
    let page = path.unwrap_or("").trim_start_matches('/');
    if !page.is_empty() {
        mp::check_page(page)?;
    }
    let query = query.unwrap_or("");
    if query.len() > 1024 {
        return Err(WxErr(WxError::with_detail(ErrCode::InvalidParameter, "invalid args query")));
    }
    let env = env_version(env)?;
    let expires_at = mp::link_expiry(c.now, b.is_expire, b.expire_type, b.expire_time, b.expire_interval)?;
    let l = MpLink {
        id: mp::link_id(&mut rand::thread_rng()),
        appid: c.account.appid.clone(),
        kind: kind.into(),
        page: page.into(),
        query: query.into(),
        env_version: env.into(),
        created_at: c.now,
        expires_at,
    };
    st.store.put_link(&l).await?;
    Ok(l)
}

/// `POST /wxa/generatescheme`: `weixin://dl/business/?t=…`, which the follower app opens.
pub async fn generate_scheme(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<LinkIn>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    let j = b.jump_wxa.as_ref();
    let l = new_link(
        &st,
        &c,
        "scheme",
        j.and_then(|j| j.path.as_deref()),
        j.and_then(|j| j.query.as_deref()),
        j.and_then(|j| j.env_version.as_deref()),
        &b,
    )
    .await?;
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "openlink": format!("weixin://dl/business/?t={}", l.id)})))
}

/// `POST /wxa/generate_urllink`: a web link (`<base>/wxa/l/…`) that opens the page.
pub async fn generate_urllink(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<LinkIn>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    let l = new_link(&st, &c, "urllink", b.path.as_deref(), b.query.as_deref(), b.env_version.as_deref(), &b).await?;
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "url_link": format!("{}/wxa/l/{}", st.base_url(), l.id)})))
}

/// `GET /wxa/l/{id}`: a URL link, followed: to the mini program's page in the follower app, or
/// 404 once expired.
pub async fn open_urllink(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    let now = match st.clock.now().await {
        Ok(n) => n,
        Err(e) => return WxErr::from(e).into_response(),
    };
    match st.store.link(&id).await {
        Ok(Some(l)) if l.expires_at > now => Redirect::to(&code_url(&st, &l.appid, &l.page, &l.query, &l.env_version)).into_response(),
        Ok(_) => (StatusCode::NOT_FOUND, "this link does not exist or has expired").into_response(),
        Err(e) => WxErr::from(e).into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SecCheckIn {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    scene: Option<i64>,
    #[serde(default)]
    openid: Option<String>,
}

/// `POST /wxa/msg_sec_check`: v1 answers 87014 for risky text; v2 (`version: 2`, with a
/// scene 1–4 and the user's openid) answers a `result` with `suggest` and `label`.
pub async fn msg_sec_check(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<SecCheckIn>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    let content = b.content.as_deref().unwrap_or("");
    if content.len() > 500 * 1024 {
        return Err(ErrCode::ContentTooLong.into());
    }
    let risky = mp::text_is_risky(content);
    if b.version != Some(2) {
        return if risky { Err(ErrCode::RiskyContent.into()) } else { Ok(Json(json!({"errcode": 0, "errmsg": "ok"}))) };
    }
    if !(1..=4).contains(&b.scene.unwrap_or(0)) {
        return Err(WxErr(WxError::with_detail(ErrCode::InvalidParameter, "invalid args scene")));
    }
    let openid = b.openid.as_deref().filter(|s| !s.is_empty()).ok_or(ErrCode::OpenidMissing)?;
    st.store.follower_by_openid(&c.account.appid, openid).await?.ok_or(ErrCode::InvalidOpenid)?;
    let (suggest, label) = if risky { ("risky", 20001) } else { ("pass", 100) };
    let trace = format!("{:016x}", rand::random::<u64>());
    Ok(Json(json!({
        "errcode": 0, "errmsg": "ok", "trace_id": trace,
        "result": {"suggest": suggest, "label": label},
        "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": if risky { 90 } else { 0 }}],
    })))
}

#[derive(Debug, Default, Deserialize)]
pub struct RiskIn {
    #[serde(default)]
    openid: Option<String>,
    #[serde(default)]
    scene: Option<i64>,
}

/// `POST /wxa/getuserriskrank`: every simulated user is rank 0 (normal). WeChat's field is
/// spelled `unoin_id`; `union_id` is answered too, as some SDKs read it.
pub async fn user_risk_rank(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<RiskIn>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    let openid = b.openid.as_deref().filter(|s| !s.is_empty()).ok_or(ErrCode::OpenidMissing)?;
    if !matches!(b.scene, Some(0 | 1)) {
        return Err(WxErr(WxError::with_detail(ErrCode::InvalidParameter, "invalid args scene")));
    }
    st.store.follower_by_openid(&c.account.appid, openid).await?.ok_or(ErrCode::InvalidOpenid)?;
    let id = rand::random::<u32>() as u64;
    Ok(Json(json!({"errcode": 0, "errmsg": "getuserriskrank succ", "risk_rank": 0, "unoin_id": id, "union_id": id})))
}

#[derive(Debug, Default, Deserialize)]
pub struct ModifyDomainIn {
    #[serde(default)]
    action: String,
    #[serde(default)]
    requestdomain: Vec<String>,
}

/// `POST /wxa/modify_domain {action: get|set|add|delete, requestdomain}`: the mini program's
/// request domains (the socket, upload and download lists are answered empty).
pub async fn modify_domain(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<ModifyDomainIn>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    let mut list = st.store.request_domains(&c.account.appid).await?;
    let given = crate::platform::mppackages::clean_domains(&b.requestdomain).map_err(|e| WxErr(WxError::with_detail(ErrCode::InvalidParameter, format!("invalid args {e}"))))?;
    match b.action.as_str() {
        "get" => {}
        "set" => list = given,
        "add" => list.extend(given.into_iter().filter(|d| !list.contains(d)).collect::<Vec<_>>()),
        "delete" => list.retain(|d| !given.contains(d)),
        _ => return Err(WxErr(WxError::with_detail(ErrCode::InvalidParameter, "invalid args action"))),
    }
    if b.action != "get" {
        if list.len() > mp::MAX_REQUEST_DOMAINS {
            return Err(WxErr(WxError::with_detail(ErrCode::InvalidParameter, "invalid args too many domains")));
        }
        st.store.set_request_domains(&c.account.appid, &list).await?;
    }
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "requestdomain": list, "wsrequestdomain": [], "uploaddomain": [], "downloaddomain": []})))
}

#[derive(Debug, Default, Deserialize)]
pub struct TesterIn {
    #[serde(default)]
    wechatid: String,
    #[serde(default)]
    userstr: String,
    #[serde(default)]
    action: String,
}

/// `POST /wxa/bind_tester {wechatid}`: a user (by username, phone number or user id) may open
/// the trial version → `userstr`. 85001 unknown, 85004 already a tester, 85002 full.
pub async fn bind_tester(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<TesterIn>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    let user = crate::platform::mppackages::find_user(&st, &b.wechatid).await?.ok_or(ErrCode::TesterNotFound)?;
    match st.store.add_tester(&c.account.appid, &user, c.now, mp::MAX_TESTERS).await? {
        None => Err(ErrCode::TooManyTesters.into()),
        Some(false) => Err(ErrCode::TesterAlreadyBound.into()),
        Some(true) => Ok(Json(json!({"errcode": 0, "errmsg": "ok", "userstr": crate::platform::mppackages::userstr(&c.account.appid, &user)}))),
    }
}

/// `POST /wxa/unbind_tester {wechatid | userstr}`.
pub async fn unbind_tester(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<TesterIn>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    let user = if !b.userstr.is_empty() {
        st.store.testers(&c.account.appid).await?.into_iter().find(|u| crate::platform::mppackages::userstr(&c.account.appid, u) == b.userstr)
    } else {
        crate::platform::mppackages::find_user(&st, &b.wechatid).await?
    };
    let user = user.ok_or(ErrCode::TesterNotFound)?;
    st.store.remove_tester(&c.account.appid, &user).await?;
    Ok(Json(json!({"errcode": 0, "errmsg": "ok"})))
}

/// `POST /wxa/memberauth {action: "get_experiencer"}`: the testers' `userstr`s.
pub async fn member_auth(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<TesterIn>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    if b.action != "get_experiencer" {
        return Err(WxErr(WxError::with_detail(ErrCode::InvalidParameter, "invalid args action")));
    }
    let members: Vec<Value> = st.store.testers(&c.account.appid).await?.iter().map(|u| json!({"userstr": crate::platform::mppackages::userstr(&c.account.appid, u)})).collect();
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "members": members})))
}
