//! What a follower's mini-program runtime asks the platform for (the bridge behind `wx.login`,
//! `wx.checkSession`, `wx.getUserProfile`, `getPhoneNumber` and
//! `wx.requestSubscribeMessage`): `/herald/v1/users/{id}/miniprograms/{appid}/…`, for that
//! user's own session or the operator.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use herald_domain::account::AccountType;
use herald_domain::miniprogram as mp;
use herald_store::{Account, FreshIds, OneTimeCode, User};
use herald_wire::AppId;
use serde::Deserialize;
use serde_json::{json, Value};

use super::users::load_user;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ActingFor, ApiJson};
use crate::state::AppState;

async fn load(st: &AppState, id: &str, appid: &str) -> Result<(User, Account), ApiError> {
    let user = load_user(st, id).await?;
    let a = st.store.account(appid).await?.filter(|a| a.ty == AccountType::MiniProgram).ok_or_else(|| ApiError::not_found("mini program"))?;
    Ok((user, a))
}

/// The user's session key, made on first use.
async fn session_key(st: &AppState, appid: &AppId, user: &User, now: i64) -> Result<String, ApiError> {
    if let Some(k) = st.store.session_key(appid, &user.id).await? {
        return Ok(k);
    }
    let k = mp::session_key(&mut rand::thread_rng());
    st.store.set_session_key(appid, &user.id, &k, now).await?;
    Ok(k)
}

/// `GET …/miniprograms/{appid}`: the mini program as its runtime needs it: name, its
/// subscribe-message templates with how many messages of each the user has accepted, and
/// whether the user has a session.
pub async fn show(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>) -> ApiResult<Value> {
    let (user, a) = load(&st, &id, &appid).await?;
    let accepted = st.store.subscriptions(&a.appid, &user.id).await?;
    let templates: Vec<Value> = st
        .store
        .sub_templates(&a.appid)
        .await?
        .iter()
        .filter_map(|t| {
            let mut j = crate::cgi::subscribe::template_json(t)?;
            j["accepted"] = json!(accepted.iter().find(|(id, _)| *id == t.pri_tmpl_id).map_or(0, |(_, n)| *n));
            Some(j)
        })
        .collect();
    let session = st.store.session_key(&a.appid, &user.id).await?.is_some();
    Ok(Json(json!({"appid": a.appid, "name": a.name, "verified": a.verified, "templates": templates, "session": session})))
}

/// `POST …/login` (`wx.login`): a code for the developer server's `jscode2session`, valid five
/// minutes, used once. The session key stays the same while the session lives.
pub async fn login(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>) -> ApiResult<Value> {
    let (user, a) = load(&st, &id, &appid).await?;
    let now = st.clock.now().await?;
    session_key(&st, &a.appid, &user, now).await?;
    let code = mp::login_code(&mut rand::thread_rng());
    st.store
        .put_code(&OneTimeCode {
            code: code.clone(),
            purpose: "wxlogin".into(),
            appid: Some(a.appid.clone()),
            user_id: user.id.clone(),
            scope: String::new(),
            created_at: now,
            expires_at: now + mp::CODE_TTL,
            used_at: None,
        })
        .await?;
    Ok(Json(json!({"code": code, "expires_in": mp::CODE_TTL})))
}

/// `GET …/session` (`wx.checkSession`): whether the user's session key is live.
pub async fn check_session(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>) -> ApiResult<Value> {
    let (user, a) = load(&st, &id, &appid).await?;
    Ok(Json(json!({"valid": st.store.session_key(&a.appid, &user.id).await?.is_some()})))
}

/// `POST …/user_profile` (`wx.getUserProfile`, `wx.getUserInfo`): the profile as `userInfo`
/// and `rawData`, its `signature`, and `encryptedData`/`iv` sealed with the session key, so a
/// developer server opens them as it would WeChat's.
pub async fn user_profile(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>) -> ApiResult<Value> {
    let (user, a) = load(&st, &id, &appid).await?;
    let now = st.clock.now().await?;
    let key = session_key(&st, &a.appid, &user, now).await?;
    let f = st.store.meet(&a.appid, &user.id, &FreshIds::random()).await?;
    let p = &user.profile;
    let info = json!({
        "nickName": user.nickname, "gender": p.sex, "language": p.language, "city": p.city,
        "province": p.province, "country": p.country, "avatarUrl": p.headimgurl,
    });
    let raw = info.to_string();
    let mut sealed = info.clone();
    sealed["openId"] = json!(f.openid.0);
    if crate::cgi::wxa::owner_has_others(&st, &a.appid).await? {
        sealed["unionId"] = json!(f.unionid.0);
    }
    sealed["watermark"] = json!({"timestamp": now, "appid": a.appid});
    let iv: [u8; 16] = rand::random();
    let encrypted = herald_wire::wxa::seal(&key, &iv, &sealed.to_string()).map_err(|e| ApiError::internal(format!("{e:?}")))?;
    use base64::Engine;
    Ok(Json(json!({
        "userInfo": info, "rawData": raw, "signature": herald_wire::wxa::raw_signature(&raw, &key),
        "encryptedData": encrypted, "iv": base64::engine::general_purpose::STANDARD.encode(iv),
    })))
}

#[derive(Debug, Default, Deserialize)]
pub struct PhoneIn {
    /// The number shared; the user's own phone login when absent.
    #[serde(default)]
    phone: Option<String>,
    /// Without `+`; 86 when absent.
    #[serde(default)]
    country_code: Option<String>,
}

/// `POST …/phone_code` (`<button open-type="getPhoneNumber">`): the user shares a number; the
/// code, for `/wxa/business/getuserphonenumber`, lives five minutes and is used once.
pub async fn phone_code(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>, ApiJson(b): ApiJson<PhoneIn>) -> ApiResult<Value> {
    let (user, a) = load(&st, &id, &appid).await?;
    let phone = match b.phone.as_deref().map(|p| p.chars().filter(|c| !" -".contains(*c)).collect::<String>()).filter(|p| !p.is_empty()) {
        Some(p) => p,
        None => st
            .store
            .login_of(&user.id)
            .await?
            .filter(|l| l.chars().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| ApiError::bad_request("the user has no phone number: give one as phone"))?,
    };
    let cc = b.country_code.as_deref().unwrap_or("86").trim_start_matches('+');
    let ok = |s: &str, n: std::ops::RangeInclusive<usize>| n.contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit());
    if !ok(&phone, 5..=15) || !ok(cc, 1..=4) {
        return Err(ApiError::bad_request("phone is 5 to 15 digits and country_code 1 to 4 digits"));
    }
    let now = st.clock.now().await?;
    let code = mp::login_code(&mut rand::thread_rng());
    st.store
        .put_code(&OneTimeCode {
            code: code.clone(),
            purpose: "phone".into(),
            appid: Some(a.appid.clone()),
            user_id: user.id.clone(),
            scope: format!("{cc} {phone}"),
            created_at: now,
            expires_at: now + mp::CODE_TTL,
            used_at: None,
        })
        .await?;
    Ok(Json(json!({"code": code, "expires_in": mp::CODE_TTL})))
}

#[derive(Debug, Default, Deserialize)]
pub struct SubscribeIn {
    #[serde(default, rename = "tmplIds")]
    tmpl_ids: Vec<String>,
    /// The ids the user allowed; the others are rejected.
    #[serde(default)]
    accept: Vec<String>,
}

/// `POST …/subscriptions` (`wx.requestSubscribeMessage`): the user's answer for 1 to 3 of the
/// mini program's templates; each one accepted allows one more message (one-time templates).
/// Answers as the page's `success` does: `{errMsg, <id>: "accept" | "reject"}`.
pub async fn subscribe(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>, ApiJson(b): ApiJson<SubscribeIn>) -> ApiResult<Value> {
    let (user, a) = load(&st, &id, &appid).await?;
    if b.tmpl_ids.is_empty() || b.tmpl_ids.len() > mp::MAX_SUBSCRIBE_AT_ONCE {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_tmpl_ids", "requestSubscribeMessage:fail tmplIds must hold 1 to 3 template ids"));
    }
    let known = st.store.sub_templates(&a.appid).await?;
    if let Some(bad) = b.tmpl_ids.iter().find(|t| !known.iter().any(|k| &k.pri_tmpl_id == *t)) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "no_template",
            format!("requestSubscribeMessage:fail No template data return, verify the template id exist: {bad}"),
        ));
    }
    if b.accept.iter().any(|t| !b.tmpl_ids.contains(t)) {
        return Err(ApiError::bad_request("accept names a template that was not asked for"));
    }
    let now = st.clock.now().await?;
    st.store.meet(&a.appid, &user.id, &FreshIds::random()).await?;
    st.store.accept_subscriptions(&a.appid, &user.id, &b.accept, now).await?;
    let mut out = json!({"errMsg": "requestSubscribeMessage:ok"});
    for t in &b.tmpl_ids {
        out[t] = json!(if b.accept.contains(t) { "accept" } else { "reject" });
    }
    Ok(Json(out))
}
