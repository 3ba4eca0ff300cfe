//! What a follower's mini-program runtime asks the platform for (the bridge behind `wx.login`,
//! `wx.checkSession`, `wx.getUserProfile`, `getPhoneNumber` and
//! `wx.requestSubscribeMessage`): `/herald/v1/users/{id}/miniprograms/{appid}/…`, for that
//! user's own session or the operator.

use axum::extract::{Path, Query, State};
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

/// A fresh single-use code of `purpose` (`wxlogin`, `phone`) for the user and mini program, good
/// for five minutes; `scope` carries what the code stands for.
async fn new_code(st: &AppState, purpose: &str, appid: &AppId, user: &User, scope: String, now: i64) -> Result<String, ApiError> {
    let code = mp::login_code(&mut rand::thread_rng());
    st.store
        .put_code(&OneTimeCode {
            code: code.clone(),
            purpose: purpose.into(),
            appid: Some(appid.clone()),
            user_id: user.id.clone(),
            scope,
            created_at: now,
            expires_at: now + mp::CODE_TTL,
            used_at: None,
        })
        .await?;
    Ok(code)
}

/// `json` sealed with the session key: `(encryptedData, iv)`.
fn sealed(key: &str, json: &Value) -> Result<(String, String), ApiError> {
    herald_wire::wxa::seal_fresh(key, &json.to_string()).map_err(|e| ApiError::internal(format!("{e:?}")))
}

/// `GET …/miniprograms/{appid}?env_version=`: the mini program as its runtime needs it: name,
/// the version the channel serves and the runtime's page for it (null when none), its
/// subscribe-message templates with how many messages of each the user has accepted, and
/// whether the user has a session.
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    /// release (the default), trial or develop: which channel's version to open.
    env_version: Option<String>,
}

pub async fn show(State(st): State<AppState>, who: ActingFor, Path((id, appid)): Path<(String, String)>, Query(q): Query<ShowQuery>) -> ApiResult<Value> {
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
    // The trial and develop versions open for testers only (and the operator).
    let unreleased = matches!(q.env_version.as_deref(), Some("trial" | "develop"));
    let refused = unreleased && !who.operator && !st.store.testers(&a.appid).await?.contains(&user.id);
    let version = if refused { None } else { super::mppackages::served_version(&st, &a.appid, q.env_version.as_deref()).await? };
    let runtime_url = version.as_ref().map(|v| format!("{}/mpr/{}/{}/", st.content_base().trim_end_matches('/'), a.appid, v));
    Ok(Json(json!({
        "appid": a.appid, "name": a.name, "verified": a.verified, "templates": templates, "session": session,
        "version": version, "runtime_url": runtime_url, "refused": refused.then_some("not_a_tester"),
    })))
}

/// `POST …/login` (`wx.login`): a code for the developer server's `jscode2session`, valid five
/// minutes, used once. The session key stays the same while the session lives.
pub async fn login(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>) -> ApiResult<Value> {
    let (user, a) = load(&st, &id, &appid).await?;
    let now = st.clock.now().await?;
    session_key(&st, &a.appid, &user, now).await?;
    let code = new_code(&st, "wxlogin", &a.appid, &user, String::new(), now).await?;
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
    let (encrypted, iv) = self::sealed(&key, &sealed)?;
    Ok(Json(json!({
        "userInfo": info, "rawData": raw, "signature": herald_wire::wxa::raw_signature(&raw, &key),
        "encryptedData": encrypted, "iv": iv,
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
/// code, for `/wxa/business/getuserphonenumber`, lives five minutes and is used once; the
/// number is also sealed with the session key (`encryptedData`, `iv`), as older pages read it.
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
    let code = new_code(&st, "phone", &a.appid, &user, format!("{cc} {phone}"), now).await?;
    // The older way too: the number sealed with the session key, as encryptedData and iv.
    let key = session_key(&st, &a.appid, &user, now).await?;
    let number = if cc == "86" { phone.clone() } else { format!("+{cc}{phone}") };
    let info = json!({
        "phoneNumber": number, "purePhoneNumber": phone, "countryCode": cc,
        "watermark": {"timestamp": now, "appid": a.appid},
    });
    let (encrypted, iv) = sealed(&key, &info)?;
    Ok(Json(json!({"code": code, "expires_in": mp::CODE_TTL, "encryptedData": encrypted, "iv": iv})))
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

/// `GET …/storage`: the user's storage for the mini program, `{items: {key: value}}` (values
/// are the JSON text the runtime stored).
pub async fn storage(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>) -> ApiResult<Value> {
    let (user, a) = load(&st, &id, &appid).await?;
    let items: serde_json::Map<String, Value> = st.store.storage(&a.appid, &user.id).await?.into_iter().map(|(k, v)| (k, json!(v))).collect();
    Ok(Json(json!({"items": items})))
}

#[derive(Debug, Default, Deserialize)]
pub struct StorageIn {
    /// JSON text; null or absent removes the key.
    #[serde(default)]
    value: Option<String>,
}

/// `PUT …/storage/{key}` `{value}` (wx.setStorage; a null value is wx.removeStorage): at most
/// 1 MB a value and 10 MB in all (413 otherwise, nothing changed).
pub async fn set_storage(
    State(st): State<AppState>,
    _: ActingFor,
    Path((id, appid, key)): Path<(String, String, String)>,
    ApiJson(b): ApiJson<StorageIn>,
) -> ApiResult<Value> {
    let (user, a) = load(&st, &id, &appid).await?;
    if key.is_empty() || key.len() > 1024 {
        return Err(ApiError::bad_request("a storage key is 1 to 1024 bytes"));
    }
    if b.value.as_ref().is_some_and(|v| v.len() > mp::MAX_STORAGE_VALUE) {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "storage_full", "setStorage:fail entry size limit reached"));
    }
    let now = st.clock.now().await?;
    if !st.store.set_storage(&a.appid, &user.id, &key, b.value.as_deref(), now, mp::MAX_STORAGE).await? {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "storage_full", "setStorage:fail exceed storage max size 10Mb"));
    }
    Ok(Json(json!({"errMsg": "setStorage:ok"})))
}

/// `DELETE …/storage` (wx.clearStorage).
pub async fn clear_storage(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>) -> ApiResult<Value> {
    let (user, a) = load(&st, &id, &appid).await?;
    st.store.clear_storage(&a.appid, &user.id).await?;
    Ok(Json(json!({"errMsg": "clearStorage:ok"})))
}

#[derive(Debug, Default, Deserialize)]
pub struct RequestIn {
    url: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    header: serde_json::Map<String, Value>,
    /// A string is sent as it is; anything else as JSON (or as a query for GET).
    #[serde(default)]
    data: Value,
    #[serde(default)]
    timeout: Option<u64>,
}

/// `POST …/request` (wx.request): Herald makes the call for the mini program, only to a domain on
/// its list (`request:fail url not in domain list` otherwise), and answers as the page's
/// `success` gets it: `{statusCode, data, header, errMsg}`. Failures answer 200 with
/// `{errMsg: "request:fail …"}`, as the runtime hands them to `fail`.
pub async fn request(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>, ApiJson(b): ApiJson<RequestIn>) -> ApiResult<Value> {
    let (_user, a) = load(&st, &id, &appid).await?;
    let domains = st.store.request_domains(&a.appid).await?;
    if !mp::request_allowed(&b.url, &domains) {
        return Ok(Json(json!({"errMsg": "request:fail url not in domain list"})));
    }
    let method = b.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
    let Ok(m) = axum::http::Method::from_bytes(method.as_bytes()) else {
        return Ok(Json(json!({"errMsg": "request:fail invalid method"})));
    };
    let mut url = b.url.clone();
    let mut body = Vec::new();
    let mut content_type = b.header.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")).and_then(|(_, v)| v.as_str()).unwrap_or("application/json").to_string();
    match (&b.data, m == axum::http::Method::GET) {
        (Value::Null, _) => {}
        (Value::Object(o), true) => {
            let mut u = url::Url::parse(&url).map_err(|_| ApiError::bad_request("invalid url"))?;
            for (k, v) in o {
                u.query_pairs_mut().append_pair(k, &v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
            }
            url = u.to_string();
        }
        (Value::String(s), _) => body = s.clone().into_bytes(),
        (v, _) if content_type.starts_with("application/x-www-form-urlencoded") => {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, x) in v.as_object().into_iter().flatten() {
                ser.append_pair(k, &x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string()));
            }
            body = ser.finish().into_bytes();
        }
        (v, _) => {
            body = v.to_string().into_bytes();
            content_type = "application/json".into();
        }
    }
    let mut headers = header_pairs(&b.header);
    headers.push(("content-type".into(), content_type));
    headers.push(("referer".into(), format!("https://servicewechat.com/{}/0/page-frame.html", a.appid)));
    let hdrs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = crate::delivery::Outgoing {
        method: m,
        url: &url,
        query: &[],
        headers: &hdrs,
        body: body.into(),
        timeout: std::time::Duration::from_millis(b.timeout.unwrap_or(60_000).clamp(100, 60_000)),
        limit: 10 * 1024 * 1024,
    };
    match st.http.send(out).await {
        Ok(ans) => {
            let bytes = ans.body.unwrap_or_default();
            let data = serde_json::from_slice::<Value>(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)));
            Ok(Json(json!({"statusCode": ans.status, "data": data, "header": {}, "errMsg": "request:ok"})))
        }
        Err(crate::delivery::SendError::Timeout) => Ok(Json(json!({"errMsg": "request:fail timeout"}))),
        Err(e) => Ok(Json(json!({"errMsg": format!("request:fail {e}")}))),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DownloadIn {
    url: String,
    #[serde(default)]
    header: serde_json::Map<String, Value>,
}

fn header_pairs(h: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    h.iter()
        .filter(|(k, _)| !["host", "content-length", "cookie", "referer", "content-type"].contains(&k.to_ascii_lowercase().as_str()))
        .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
        .collect()
}

/// `POST …/download` (wx.downloadFile): Herald fetches the file for the mini program, from its
/// request domains only, and answers `{statusCode, data (base64), contentType}` (10 MB at most);
/// failures answer `{errMsg: "downloadFile:fail …"}`.
pub async fn download(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>, ApiJson(b): ApiJson<DownloadIn>) -> ApiResult<Value> {
    let (_user, a) = load(&st, &id, &appid).await?;
    if !mp::request_allowed(&b.url, &st.store.request_domains(&a.appid).await?) {
        return Ok(Json(json!({"errMsg": "downloadFile:fail url not in domain list"})));
    }
    let headers = header_pairs(&b.header);
    let hdrs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = crate::delivery::Outgoing { method: axum::http::Method::GET, url: &b.url, query: &[], headers: &hdrs, body: Default::default(), timeout: std::time::Duration::from_secs(60), limit: 10 * 1024 * 1024 };
    use base64::Engine;
    match st.http.send(out).await {
        Ok(ans) => match ans.body {
            Some(bytes) => Ok(Json(json!({"statusCode": ans.status, "data": base64::engine::general_purpose::STANDARD.encode(&bytes), "errMsg": "downloadFile:ok"}))),
            None => Ok(Json(json!({"errMsg": "downloadFile:fail exceed max file size"}))),
        },
        Err(e) => Ok(Json(json!({"errMsg": format!("downloadFile:fail {e}")}))),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct UploadIn {
    url: String,
    /// The form field of the file.
    name: String,
    #[serde(default)]
    filename: String,
    #[serde(default, rename = "contentType")]
    content_type: String,
    /// The file, base64.
    data: String,
    #[serde(default, rename = "formData")]
    form_data: serde_json::Map<String, Value>,
    #[serde(default)]
    header: serde_json::Map<String, Value>,
}

/// `POST …/upload` (wx.uploadFile): Herald posts the file as a multipart form for the mini
/// program, to its request domains only: `{statusCode, data (the answer as text)}`, or
/// `{errMsg: "uploadFile:fail …"}`.
pub async fn upload(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>, ApiJson(b): ApiJson<UploadIn>) -> ApiResult<Value> {
    let (_user, a) = load(&st, &id, &appid).await?;
    if !mp::request_allowed(&b.url, &st.store.request_domains(&a.appid).await?) {
        return Ok(Json(json!({"errMsg": "uploadFile:fail url not in domain list"})));
    }
    use base64::Engine;
    let file = base64::engine::general_purpose::STANDARD.decode(b.data.trim()).map_err(|_| ApiError::bad_request("data must be base64"))?;
    let clean = |s: &str| s.replace(['"', '\r', '\n'], "");
    let boundary = format!("----HeraldFormBoundary{:016x}", rand::random::<u64>());
    let mut body = Vec::with_capacity(file.len() + 512);
    for (k, v) in &b.form_data {
        let v = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{v}\r\n", clean(k)).as_bytes());
    }
    let filename = if b.filename.is_empty() { "upload".to_string() } else { clean(&b.filename) };
    let ct = if b.content_type.is_empty() { "application/octet-stream".to_string() } else { clean(&b.content_type) };
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{filename}\"\r\nContent-Type: {ct}\r\n\r\n", clean(&b.name)).as_bytes());
    body.extend_from_slice(&file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut headers = header_pairs(&b.header);
    headers.push(("content-type".into(), format!("multipart/form-data; boundary={boundary}")));
    let hdrs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = crate::delivery::Outgoing { method: axum::http::Method::POST, url: &b.url, query: &[], headers: &hdrs, body: body.into(), timeout: std::time::Duration::from_secs(60), limit: 10 * 1024 * 1024 };
    match st.http.send(out).await {
        Ok(ans) => Ok(Json(json!({"statusCode": ans.status, "data": String::from_utf8_lossy(&ans.body.unwrap_or_default()), "errMsg": "uploadFile:ok"}))),
        Err(e) => Ok(Json(json!({"errMsg": format!("uploadFile:fail {e}")}))),
    }
}
