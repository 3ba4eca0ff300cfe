//! Extractors that state who may call a handler and read requests as the SDKs send them.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use bytes::Bytes;
use herald_domain::account::Capability;
use herald_domain::time::UnixTime;
use herald_store::AccountAuth;
use herald_wire::ErrCode;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, WxErr};
use crate::state::AppState;

/// The first value of a query parameter.
pub fn query_param(parts: &Parts, name: &str) -> Option<String> {
    let q = parts.uri.query()?;
    url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// An Official Account API caller, authenticated by the `access_token` query parameter.
#[derive(Clone)]
pub struct Caller {
    pub account: AccountAuth,
    /// The platform's now, read once for the request.
    pub now: UnixTime,
}

impl Caller {
    /// 48001 unless the account's type and verification allow the capability.
    pub fn require(&self, cap: Capability) -> Result<(), WxErr> {
        herald_domain::account::permit(self.account.kind, cap).map_err(WxErr)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = WxErr;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let token = query_param(parts, "access_token").filter(|t| !t.is_empty()).ok_or(ErrCode::AccessTokenMissing)?;
        let now = st.clock.now().await?;
        let found = match st.tokens.get(&token) {
            Some(hit) => Some(hit),
            None => {
                let found = st.store.token_account(&token).await?;
                if let Some(f) = &found {
                    st.tokens.put(&token, f);
                }
                found
            }
        };
        herald_domain::token::validate(found.as_ref().map(|f| &f.0), now)?;
        let (_, account) = found.ok_or(ErrCode::InvalidCredential)?;
        if account.kind.ty == herald_domain::account::AccountType::MiniProgram && !mini_program_path(parts.uri.path()) {
            return Err(ErrCode::ApiUnauthorized.into());
        }
        Ok(Caller { account, now })
    }
}

/// The access-token APIs a mini program may call: its own, and the few it shares with official
/// accounts. Any other (menus, followers, mass messages…) answers it 48001.
fn mini_program_path(path: &str) -> bool {
    ["/wxa/", "/wxaapi/", "/cgi-bin/wxaapp/", "/cgi-bin/message/subscribe/", "/cgi-bin/getcallbackip", "/cgi-bin/get_api_domain_ip"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// A JSON body read as UTF-8 whatever the Content-Type (wechatpy sends none).
/// Empty → 44002; unparseable → 47001.
pub struct WxJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for WxJson<T> {
    type Rejection = WxErr;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(req, st).await.map_err(|_| WxErr::from(ErrCode::DataFormatError))?;
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(ErrCode::EmptyPostData.into());
        }
        serde_json::from_slice(&body).map(WxJson).map_err(|e| {
            WxErr(herald_wire::WxError::with_detail(ErrCode::DataFormatError, format!("data format error: {e}")))
        })
    }
}

/// Like `WxJson`, but an empty body means `T::default()`.
pub struct WxJsonOrEmpty<T>(pub T);

impl<T: DeserializeOwned + Default> FromRequest<AppState> for WxJsonOrEmpty<T> {
    type Rejection = WxErr;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Self::Rejection> {
        match WxJson::<T>::from_request(req, st).await {
            Ok(WxJson(t)) => Ok(WxJsonOrEmpty(t)),
            Err(WxErr(e)) if e.code == ErrCode::EmptyPostData => Ok(WxJsonOrEmpty(T::default())),
            Err(e) => Err(e),
        }
    }
}

/// Query parameters, leniently: unknown parameters are ignored, a malformed query is 40035.
pub struct WxQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<AppState> for WxQuery<T> {
    type Rejection = WxErr;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded_parse(q).map(WxQuery).map_err(|_| ErrCode::InvalidParameter.into())
    }
}

fn serde_urlencoded_parse<T: DeserializeOwned>(q: &str) -> Result<T, serde_json::Error> {
    // First value wins for repeated keys, like most web servers.
    let mut map = serde_json::Map::new();
    for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
        map.entry(k.into_owned()).or_insert(serde_json::Value::String(v.into_owned()));
    }
    serde_json::from_value(serde_json::Value::Object(map))
}

/// The platform operator, authenticated by `Authorization: Bearer <operator token>`.
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        match presented {
            Some(t) if constant_time_eq(t.as_bytes(), st.operator_token.as_bytes()) => Ok(Operator),
            Some(_) => Err(ApiError::new(axum::http::StatusCode::UNAUTHORIZED, "unauthorized", "wrong operator token")),
            None => Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send the operator token as Authorization: Bearer <token>",
            )),
        }
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A platform-API JSON body, read whatever the Content-Type; errors are 400s.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(req, st).await.map_err(|e| ApiError::bad_request(e.to_string()))?;
        let body: &[u8] = if body.iter().all(|b| b.is_ascii_whitespace()) { b"{}" } else { &body };
        serde_json::from_slice(body).map(ApiJson).map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
    }
}

/// Convenience for handlers: the capability every user-management API needs.
pub const USER_MANAGEMENT: Capability = Capability::UserManagement;

/// Is this a method that changes things (and so must carry the session's CSRF token)?
fn writes(parts: &Parts) -> bool {
    !matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS)
}

pub(crate) fn forbidden(message: &str) -> ApiError {
    ApiError::new(axum::http::StatusCode::FORBIDDEN, "forbidden", message)
}

/// A session-authenticated write must carry the session's CSRF token in `X-CSRF-Token`.
pub(crate) fn check_csrf(parts: &Parts, session_hash: &str) -> Result<(), ApiError> {
    if !writes(parts) {
        return Ok(());
    }
    let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if constant_time_eq(sent.as_bytes(), herald_domain::auth::csrf_token(session_hash).as_bytes()) {
        Ok(())
    } else {
        Err(forbidden("a session's writes carry its csrf_token in X-CSRF-Token (GET /herald/v1/me)"))
    }
}

/// The signed-in follower (session cookie), with the CSRF token checked on writes; 401 with no
/// live session.
pub struct Me {
    pub user: herald_store::User,
    pub session_hash: String,
}

impl FromRequestParts<AppState> for Me {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let Some((user, session_hash)) = crate::web::session_user(parts, st).await? else {
            return Err(ApiError::new(axum::http::StatusCode::UNAUTHORIZED, "unauthorized", "not signed in"));
        };
        check_csrf(parts, &session_hash)?;
        Ok(Me { user, session_hash })
    }
}

/// Who may act on `/herald/v1/users/{id}/…`: the operator (bearer token), or that user's own
/// session (CSRF-checked on writes). Another user's session learns nothing: it gets the same
/// 404 as a user that does not exist.
pub struct ActingFor {
    /// The operator called (not the user's own session).
    pub operator: bool,
}

impl FromRequestParts<AppState> for ActingFor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(axum::http::header::AUTHORIZATION) {
            return Operator::from_request_parts(parts, st).await.map(|_| ActingFor { operator: true });
        }
        let Some((user, session_hash)) = crate::web::session_user(parts, st).await? else {
            return Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "unauthorized",
                "sign in, or send the operator token as Authorization: Bearer <token>",
            ));
        };
        let params = axum::extract::RawPathParams::from_request_parts(parts, st).await.map_err(|_| ApiError::not_found("user"))?;
        let id = params.iter().find(|(k, _)| *k == "id").map(|(_, v)| v.to_string()).unwrap_or_default();
        if id != user.id.as_str() {
            return Err(ApiError::not_found("user"));
        }
        check_csrf(parts, &session_hash)?;
        Ok(ActingFor { operator: false })
    }
}
