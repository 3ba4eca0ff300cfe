//! The business console's sign-in and who may act on an account. Owners sign in with an email
//! and a password (Argon2id, failed attempts limited per email, as followers' sign-ins are) and
//! hold console sessions of their own (cookie `herald_console`, never a follower's session).
//! `AccountAccess` is who may call `/herald/v1/accounts/{appid}/…`: the operator (bearer
//! token) or the account's owner's console session, with the CSRF token on writes; another
//! owner's session gets the same 404 as an account that does not exist.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_domain::auth::{self as rules, csrf_token, session_id};
use herald_domain::oauth::SESSION_TTL;
use herald_store::{Account, Owner};
use herald_wire::platform::auth::{PasswordIn, SessionOut};
use herald_wire::platform::console::*;
use herald_wire::OwnerId;

use super::accounts::owner_out;
use super::auth::{agent, attempt, hash_password, password_matches};
use crate::error::{ApiError, ApiResult};
use crate::extract::{check_csrf, ApiJson, Operator};
use crate::state::AppState;
use crate::web::{cookie, hash};

pub const CONSOLE_COOKIE: &str = "herald_console";

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

/// An owner signed in to the console (cookie), with the CSRF token checked on writes.
pub struct OwnerSession {
    pub owner: Owner,
    pub session_hash: String,
}

impl OwnerSession {
    async fn of(parts: &Parts, st: &AppState) -> Result<Option<OwnerSession>, ApiError> {
        let Some(raw) = cookie(parts, CONSOLE_COOKIE) else { return Ok(None) };
        let h = hash(&raw);
        let Some((owner_id, expires)) = st.store.owner_session(&h).await? else { return Ok(None) };
        if expires <= st.clock.now().await? {
            return Ok(None);
        }
        Ok(st.store.owner(&owner_id).await?.map(|owner| OwnerSession { owner, session_hash: h }))
    }
}

impl FromRequestParts<AppState> for OwnerSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let s = OwnerSession::of(parts, st).await?.ok_or_else(|| unauthorized("not signed in to the console"))?;
        check_csrf(parts, &s.session_hash)?;
        Ok(s)
    }
}

/// The operator (bearer token) or an owner's console session.
pub enum Principal {
    Operator,
    Owner(OwnerSession),
}

impl Principal {
    /// May this caller see `owner`'s accounts?
    pub fn sees(&self, owner: &OwnerId) -> bool {
        match self {
            Principal::Operator => true,
            Principal::Owner(s) => &s.owner.id == owner,
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            return Operator::from_request_parts(parts, st).await.map(|_| Principal::Operator);
        }
        match OwnerSession::of(parts, st).await? {
            Some(s) => {
                check_csrf(parts, &s.session_hash)?;
                Ok(Principal::Owner(s))
            }
            None => Err(unauthorized("sign in to the console, or send the operator token as Authorization: Bearer <token>")),
        }
    }
}

/// Who may act on `/herald/v1/accounts/{appid}/…`, and the account.
pub struct AccountAccess {
    pub account: Account,
    pub owner: Owner,
    pub operator: bool,
}

impl FromRequestParts<AppState> for AccountAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let who = Principal::from_request_parts(parts, st).await?;
        let params = axum::extract::RawPathParams::from_request_parts(parts, st).await.map_err(|_| ApiError::not_found("account"))?;
        let appid = params.iter().find(|(k, _)| *k == "appid").map(|(_, v)| v.to_string()).unwrap_or_default();
        let account = st.store.account(&appid).await?.ok_or_else(|| ApiError::not_found("account"))?;
        if !who.sees(&account.owner_id) {
            return Err(ApiError::not_found("account"));
        }
        let owner = st.store.owner(&account.owner_id).await?.ok_or_else(|| ApiError::not_found("owner"))?;
        Ok(AccountAccess { account, owner, operator: matches!(who, Principal::Operator) })
    }
}

impl AccountAccess {
    /// The account's type and verification, which its permissions follow.
    pub fn kind(&self) -> herald_domain::account::AccountKind {
        herald_domain::account::AccountKind { ty: self.account.ty, verified: self.account.verified }
    }

    /// The account as a `/cgi-bin` caller, so a console endpoint runs the very checks and code
    /// of the WeChat-compatible API it stands for.
    pub async fn caller(&self, st: &AppState) -> Result<crate::extract::Caller, ApiError> {
        let account = herald_store::AccountAuth { appid: self.account.appid.clone(), owner_id: self.account.owner_id.clone(), kind: self.kind() };
        Ok(crate::extract::Caller { account, now: st.clock.now().await? })
    }
}

/// A `/cgi-bin` refusal as the platform API answers it: 400 `refused`, naming the errcode.
pub fn refused(e: crate::error::WxErr) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "refused", format!("{} (errcode {})", e.0.errmsg(), e.0.code.code()))
}

/// An AppSecret as the console shows it after it was first shown: its last four characters.
pub fn masked_secret(secret: &str) -> String {
    let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{}{tail}", "*".repeat(secret.chars().count().saturating_sub(4)))
}

fn failures_key(email: &str) -> String {
    format!("owner:{email}")
}

async fn me_out(st: &AppState, owner: &Owner, session_hash: &str) -> Result<ConsoleMeOut, ApiError> {
    let email = st.store.owner_email(&owner.id).await?.unwrap_or_default();
    Ok(ConsoleMeOut { owner: owner_out(owner), email, csrf_token: csrf_token(session_hash) })
}

fn session_cookie(st: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if st.base_url().starts_with("https://") { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{CONSOLE_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")).expect("ASCII")
}

/// `POST /herald/v1/console/signin`: 401 for a wrong email or password (the same answer for
/// both); 429 after five failures for an email within 15 minutes, until the window passes.
pub async fn signin(State(st): State<AppState>, headers: HeaderMap, ApiJson(b): ApiJson<OwnerSignInIn>) -> Result<Response, ApiError> {
    fn wrong() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "wrong_credentials", "wrong email or password")
    }
    let Some(email) = rules::normalize_email(&b.email) else { return Err(wrong()) };
    let found = st.store.owner_login(&email).await?;
    let id = attempt(&st, &failures_key(&email), found, &b.password, wrong, "too many failed sign-ins for this email; try again in 15 minutes").await?;
    let owner = st.store.owner(&id).await?.ok_or_else(wrong)?;
    let now = st.clock.now().await?;
    let raw = herald_domain::idgen::secret_token(&mut rand::thread_rng(), "hc_");
    let h = hash(&raw);
    let mut ua = agent(&headers).to_string();
    while ua.len() > 200 {
        ua.pop();
    }
    st.store.put_owner_session(&h, &owner.id, now, now + SESSION_TTL, &ua).await?;
    let mut r = Json(me_out(&st, &owner, &h).await?).into_response();
    r.headers_mut().insert(header::SET_COOKIE, session_cookie(&st, &raw, SESSION_TTL));
    Ok(r)
}

/// `POST /herald/v1/console/signout`: ends this session.
pub async fn signout(State(st): State<AppState>, s: OwnerSession) -> Result<Response, ApiError> {
    st.store.delete_owner_session(&s.session_hash).await?;
    let mut r = Json(herald_wire::platform::auth::SignedOutOut { signed_out: true }).into_response();
    r.headers_mut().insert(header::SET_COOKIE, session_cookie(&st, "", 0));
    Ok(r)
}

/// `GET /herald/v1/console/me`.
pub async fn me(State(st): State<AppState>, s: OwnerSession) -> ApiResult<ConsoleMeOut> {
    Ok(Json(me_out(&st, &s.owner, &s.session_hash).await?))
}

/// `GET /herald/v1/console/sessions`: the owner's live console sessions, newest first.
pub async fn sessions(State(st): State<AppState>, s: OwnerSession) -> ApiResult<ConsoleSessionList> {
    let now = st.clock.now().await?;
    let sessions = st
        .store
        .owner_sessions(&s.owner.id, now)
        .await?
        .into_iter()
        .map(|x| SessionOut { id: session_id(&x.id_hash).to_string(), current: x.id_hash == s.session_hash, created_at: x.created_at, expires_at: x.expires_at, user_agent: x.user_agent })
        .collect();
    Ok(Json(ConsoleSessionList { sessions }))
}

/// `DELETE /herald/v1/console/sessions/{id}`: ends one of the owner's sessions (404 if none is).
pub async fn end_session(State(st): State<AppState>, s: OwnerSession, Path(id): Path<String>) -> ApiResult<herald_wire::platform::auth::SessionEndedOut> {
    if st.store.end_owner_sessions(&s.owner.id, &id).await? == 0 {
        return Err(ApiError::not_found("session"));
    }
    Ok(Json(herald_wire::platform::auth::SessionEndedOut { ended: 1 }))
}

/// `PUT /herald/v1/console/password`: needs the current password; the owner's other sessions end.
pub async fn change_password(State(st): State<AppState>, s: OwnerSession, ApiJson(b): ApiJson<PasswordIn>) -> ApiResult<herald_wire::platform::auth::PasswordChangedOut> {
    rules::check_password(&b.password).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let email = st.store.owner_email(&s.owner.id).await?.ok_or_else(|| ApiError::not_found("login"))?;
    let (_, stored) = st.store.owner_login(&email).await?.ok_or_else(|| ApiError::not_found("login"))?;
    if !password_matches(b.current.clone(), stored).await {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "wrong_credentials", "the current password is wrong"));
    }
    st.store.set_owner_password_hash(&s.owner.id, &hash_password(b.password.clone()).await?).await?;
    let now = st.clock.now().await?;
    for x in st.store.owner_sessions(&s.owner.id, now).await? {
        if x.id_hash != s.session_hash {
            st.store.delete_owner_session(&x.id_hash).await?;
        }
    }
    Ok(Json(herald_wire::platform::auth::PasswordChangedOut { changed: true }))
}

/// `PUT /herald/v1/owners/{id}/login` (operator): sets the email and password an owner signs in
/// to the console with (409 if another owner has the email).
pub async fn set_owner_login(State(st): State<AppState>, _: Operator, Path(id): Path<String>, ApiJson(b): ApiJson<OwnerSignInIn>) -> ApiResult<herald_wire::platform::console::OwnerLoginOut> {
    let owner = st.store.owner(&OwnerId(id)).await?.ok_or_else(|| ApiError::not_found("owner"))?;
    let email = rules::normalize_email(&b.email).ok_or_else(|| ApiError::bad_request("email must be an address like name@example.com"))?;
    rules::check_password(&b.password).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let hash = hash_password(b.password.clone()).await?;
    let now = st.clock.now().await?;
    if !st.store.set_owner_login(&owner.id, &email, &hash, now).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "email_taken", "another owner signs in with that email"));
    }
    Ok(Json(herald_wire::platform::console::OwnerLoginOut { owner: owner.id, email }))
}
