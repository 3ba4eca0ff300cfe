//! Mini-program packages: upload (a zip, compiled at once with glass-easel's compilers and
//! refused with every error's file, line and column), versions, the develop/trial/release
//! channels and a rollback; and what the runtime on the content origin loads: its page, a
//! version's compiled `package.js` and the package's own files (pictures).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_domain::account::AccountType;
use herald_store::MpVersion;
use serde::Deserialize;
use serde_json::{json, Value};

use super::console::AccountAccess;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::AppState;

/// Channels a version can be served on.
pub const CHANNELS: &[&str] = &["develop", "trial", "release"];

fn mini_program(a: &AccountAccess) -> Result<(), ApiError> {
    if a.account.ty == AccountType::MiniProgram {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::CONFLICT, "not_a_mini_program", "only a mini program has packages"))
    }
}

/// A version name: 1 to 64 of letters, digits, `.`, `_` and `-`.
pub fn check_version(v: &str) -> Result<(), ApiError> {
    if v.is_empty() || v.len() > 64 || !v.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        return Err(ApiError::bad_request("version is 1 to 64 letters, digits, dots, dashes or underscores"));
    }
    Ok(())
}

fn js_string(s: &str) -> String {
    // JSON strings are JavaScript strings; U+2028/9 are escaped by serde_json already.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()).replace("</", "<\\/")
}

/// The compiled package as the runtime loads it: one script defining `__heraldMp`, with every
/// module wrapped in a function (no eval in the runtime: the content origin's policy allows
/// scripts from itself only).
pub fn package_js(c: &herald_mp::Compiled) -> String {
    let mut out = String::with_capacity(c.templates.len() + c.scripts.values().map(String::len).sum::<usize>() + 4096);
    out.push_str("globalThis.__heraldMp = {\n");
    out.push_str(&format!("app: {},\n", c.app));
    out.push_str(&format!("pages: {},\n", json!(c.pages)));
    out.push_str(&format!("components: {},\n", serde_json::to_string(&c.components).unwrap_or_else(|_| "[]".into())));
    out.push_str(&format!("styles: {},\n", json!(c.styles)));
    out.push_str(&format!("templates: {},\n", c.templates));
    out.push_str("modules: {\n");
    for (path, src) in &c.scripts {
        out.push_str(&js_string(path));
        // App, Page, Component, Behavior, getApp, getCurrentPages and wx are globals, as on
        // WeChat: a shared module (a component library's helper) calls the Component of the
        // component being defined when it runs, not of the first that required it.
        out.push_str(": function (module, exports, require) {\n");
        out.push_str(src);
        out.push_str("\n},\n");
    }
    out.push_str("}};\n");
    out
}

#[derive(Debug, Default, Deserialize)]
pub struct UploadQuery {
    version: Option<String>,
    #[serde(default)]
    description: String,
}

/// `POST /herald/v1/accounts/{appid}/miniprogram/versions?version=…&description=…` with the
/// package as a zip body: compiled, stored, and served on the develop channel. 422 with
/// `errors[{file, line, column, message}]` when it does not compile; 409 for a version that
/// exists.
pub async fn upload(State(st): State<AppState>, a: AccountAccess, Query(q): Query<UploadQuery>, body: Bytes) -> Result<Response, ApiError> {
    mini_program(&a)?;
    let version = q.version.unwrap_or_default();
    check_version(&version)?;
    if q.description.chars().count() > 256 {
        return Err(ApiError::bad_request("description is at most 256 characters"));
    }
    if st.store.version(&a.account.appid, &version).await?.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "exists", format!("version {version} exists")));
    }
    let files = herald_mp::read_zip(&body).map_err(|d| ApiError::bad_request(d.message))?;
    let compiled = match tokio::task::spawn_blocking(move || (herald_mp::compile(&files), files.len())).await {
        Ok((Ok(c), n)) => (c, n),
        Ok((Err(errors), _)) => {
            let message = format!("the package does not compile: {}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"code": "compile_failed", "message": message, "errors": errors}))).into_response());
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    let (c, n) = compiled;
    let js = package_js(&c);
    let source_blob = st.blobs.put(&body)?;
    let compiled_blob = st.blobs.put(js.as_bytes())?;
    let now = st.clock.now().await?;
    let v = MpVersion {
        appid: a.account.appid.clone(),
        version: version.clone(),
        description: q.description,
        source_blob,
        compiled_blob,
        files: n as i64,
        bytes: body.len() as i64,
        created_at: now,
    };
    if !st.store.put_version(&v).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "exists", format!("version {version} exists")));
    }
    st.store.set_channel(&a.account.appid, "develop", &version, now).await?;
    Ok((StatusCode::CREATED, Json(json!({"version": version, "files": n, "bytes": body.len(), "pages": c.pages, "warnings": c.warnings}))).into_response())
}

fn version_json(v: &MpVersion) -> Value {
    json!({"version": v.version, "description": v.description, "files": v.files, "bytes": v.bytes, "created_at": v.created_at})
}

/// `GET /herald/v1/accounts/{appid}/miniprogram/versions`: versions (newest first) and which one
/// each channel serves.
pub async fn versions(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    mini_program(&a)?;
    let versions: Vec<Value> = st.store.versions(&a.account.appid).await?.iter().map(version_json).collect();
    let mut channels = serde_json::Map::new();
    for c in st.store.channels(&a.account.appid).await? {
        channels.insert(c.channel.clone(), json!({"version": c.version, "previous": c.previous, "updated_at": c.updated_at}));
    }
    Ok(Json(json!({"versions": versions, "channels": channels})))
}

#[derive(Debug, Default, Deserialize)]
pub struct ChannelIn {
    version: String,
    /// `release` when absent.
    #[serde(default)]
    channel: Option<String>,
}

/// `POST /herald/v1/accounts/{appid}/miniprogram/channels {version, channel}`: serve a version on
/// develop, trial or release.
pub async fn set_channel(State(st): State<AppState>, a: AccountAccess, ApiJson(b): ApiJson<ChannelIn>) -> ApiResult<Value> {
    mini_program(&a)?;
    let channel = b.channel.as_deref().unwrap_or("release");
    if !CHANNELS.contains(&channel) {
        return Err(ApiError::bad_request("channel is develop, trial or release"));
    }
    st.store.version(&a.account.appid, &b.version).await?.ok_or_else(|| ApiError::not_found("version"))?;
    st.store.set_channel(&a.account.appid, channel, &b.version, st.clock.now().await?).await?;
    versions(State(st), a).await
}

/// `POST /herald/v1/accounts/{appid}/miniprogram/rollback`: release goes back to the version it
/// served before (once, as WeChat's revertcoderelease); 409 when there is none.
pub async fn rollback(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    mini_program(&a)?;
    if st.store.roll_back_release(&a.account.appid, st.clock.now().await?).await?.is_none() {
        return Err(ApiError::new(StatusCode::CONFLICT, "no_previous_release", "there is no earlier release to go back to"));
    }
    versions(State(st), a).await
}

/// The version a channel serves (`release` unless `env_version` says trial or develop).
pub async fn served_version(st: &AppState, appid: &herald_wire::AppId, env: Option<&str>) -> Result<Option<String>, ApiError> {
    let channel = match env {
        Some("trial") => "trial",
        Some("develop") => "develop",
        _ => "release",
    };
    Ok(st.store.channels(appid).await?.into_iter().find(|c| c.channel == channel).map(|c| c.version))
}

/// The runtime's page on the content origin (`/mpr/{appid}/{version}/`): the web build's
/// `mp.html`, with its own policy (scripts from this origin, a sandbox with scripts but an
/// opaque origin, framed by the app only).
pub async fn runtime_page(State(st): State<AppState>, Path((appid, version)): Path<(String, String)>) -> Response {
    if st.store.version(&herald_wire::AppId(appid.clone()), &version).await.ok().flatten().is_none() {
        return (StatusCode::NOT_FOUND, "no such mini program version").into_response();
    }
    match herald_webui::asset("mp.html") {
        Some(a) => {
            let csp = crate::layers::runtime_csp(st.base_url(), st.content_base());
            ([(header::CONTENT_TYPE, a.content_type.to_string()), (header::CONTENT_SECURITY_POLICY, csp), (header::CACHE_CONTROL, "no-cache".into())], a.bytes)
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "the web build has no mini-program runtime").into_response(),
    }
}

/// `/mpr/{appid}/{version}/package.js`: the compiled package (immutable per version).
pub async fn package(State(st): State<AppState>, Path((appid, version)): Path<(String, String)>) -> Response {
    let Ok(Some(v)) = st.store.version(&herald_wire::AppId(appid.clone()), &version).await else { return (StatusCode::NOT_FOUND, "no such version").into_response() };
    match st.blobs.get(&v.compiled_blob) {
        Ok(Some(js)) => ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=86400")], js).into_response(),
        _ => (StatusCode::NOT_FOUND, "the package is missing").into_response(),
    }
}

/// `/mpr/{appid}/{version}/files/{*path}`: a file of the package (its pictures), read from the
/// uploaded zip.
pub async fn file(State(st): State<AppState>, Path((appid, version, path)): Path<(String, String, String)>) -> Response {
    let Ok(Some(v)) = st.store.version(&herald_wire::AppId(appid.clone()), &version).await else { return (StatusCode::NOT_FOUND, "no such version").into_response() };
    let Some(path) = herald_mp::clean_path(&path) else { return (StatusCode::NOT_FOUND, "not found").into_response() };
    let Ok(Some(zip)) = st.blobs.get(&v.source_blob) else { return (StatusCode::NOT_FOUND, "the package is missing").into_response() };
    let files: BTreeMap<String, Vec<u8>> = match herald_mp::read_zip(&zip) {
        Ok(f) => f,
        Err(_) => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    // Only what a page may show: pictures and fonts, never the scripts' sources.
    let ty = match path.rsplit('.').next().unwrap_or("") {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "woff2" => "font/woff2",
        _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    match files.get(&path) {
        Some(b) => ([(header::CONTENT_TYPE, ty), (header::CACHE_CONTROL, "public, max-age=86400")], b.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DomainsIn {
    #[serde(default)]
    requestdomain: Vec<String>,
}

/// The request domains checked and normalised (400 naming a bad one).
pub fn clean_domains(list: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for d in list {
        let n = herald_domain::miniprogram::normalize_domain(d).ok_or_else(|| format!("{d} is not an http(s) origin such as https://api.example.com"))?;
        if !out.contains(&n) {
            out.push(n);
        }
    }
    if out.len() > herald_domain::miniprogram::MAX_REQUEST_DOMAINS {
        return Err("at most 200 request domains".into());
    }
    Ok(out)
}

/// `GET /herald/v1/accounts/{appid}/miniprogram/domains`.
pub async fn domains(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    mini_program(&a)?;
    Ok(Json(json!({"requestdomain": st.store.request_domains(&a.account.appid).await?})))
}

/// `PUT /herald/v1/accounts/{appid}/miniprogram/domains {requestdomain: [...]}`: the servers
/// wx.request may reach.
pub async fn set_domains(State(st): State<AppState>, a: AccountAccess, ApiJson(b): ApiJson<DomainsIn>) -> ApiResult<Value> {
    mini_program(&a)?;
    let list = clean_domains(&b.requestdomain).map_err(ApiError::bad_request)?;
    st.store.set_request_domains(&a.account.appid, &list).await?;
    Ok(Json(json!({"requestdomain": list})))
}

/// The opaque `userstr` WeChat answers for a tester: stable per mini program and user.
pub fn userstr(appid: &herald_wire::AppId, user: &herald_wire::UserId) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(format!("tester:{appid}:{user}").as_bytes())[..16])
}

/// A user named by id, or by the username or phone number they sign in with (WeChat's
/// `wechatid`).
pub async fn find_user(st: &AppState, who: &str) -> Result<Option<herald_wire::UserId>, herald_store::StoreError> {
    if let Some(u) = st.store.user(&herald_wire::UserId(who.to_string())).await? {
        return Ok(Some(u.id));
    }
    let login = who.trim().to_lowercase();
    Ok(st.store.login(&login).await?.map(|(id, _)| id))
}

/// `GET /herald/v1/accounts/{appid}/miniprogram/testers`.
pub async fn testers(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    mini_program(&a)?;
    let mut out = Vec::new();
    for id in st.store.testers(&a.account.appid).await? {
        let nickname = st.store.user(&id).await?.map(|u| u.nickname).unwrap_or_default();
        let login = st.store.login_of(&id).await?;
        out.push(json!({"user_id": id, "nickname": nickname, "login": login, "userstr": userstr(&a.account.appid, &id)}));
    }
    Ok(Json(json!({"testers": out})))
}

#[derive(Debug, Default, Deserialize)]
pub struct TesterIn {
    /// A user id, username or phone number.
    #[serde(default)]
    user: String,
}

/// `POST /herald/v1/accounts/{appid}/miniprogram/testers {user}`: the user may open the trial and
/// develop versions (100 testers at most).
pub async fn add_tester(State(st): State<AppState>, a: AccountAccess, ApiJson(b): ApiJson<TesterIn>) -> ApiResult<Value> {
    mini_program(&a)?;
    let id = find_user(&st, &b.user).await?.ok_or_else(|| ApiError::not_found("user"))?;
    if st.store.add_tester(&a.account.appid, &id, st.clock.now().await?, herald_domain::miniprogram::MAX_TESTERS).await?.is_none() {
        return Err(ApiError::new(StatusCode::CONFLICT, "too_many_testers", "a mini program has at most 100 testers"));
    }
    testers(State(st), a).await
}

/// `DELETE /herald/v1/accounts/{appid}/miniprogram/testers/{user}`.
pub async fn remove_tester(State(st): State<AppState>, a: AccountAccess, Path((_, user)): Path<(String, String)>) -> ApiResult<Value> {
    mini_program(&a)?;
    st.store.remove_tester(&a.account.appid, &herald_wire::UserId(user)).await?;
    testers(State(st), a).await
}
