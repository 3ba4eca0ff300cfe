//! The business console's sign-in and who may act on an account. Owners and their members sign
//! in with an email and a password (Argon2id, failed attempts limited per email, as followers'
//! sign-ins are) and, when they set one up, a TOTP code; they hold console sessions of their own
//! (cookie `herald_console`, never a follower's session). `AccountAccess` is who may call
//! `/herald/v1/accounts/{appid}/…`: the operator (bearer token) or a console session of the
//! account's owner whose role reaches the route's area (domain::console), with the CSRF token
//! on writes; another owner's session gets the same 404 as an account that does not exist, a
//! role that does not reach the area 403.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum::extract::MatchedPath;
use axum::http::Method;
use herald_domain::auth::{self as rules, csrf_token, session_id};
use herald_domain::console::{area_of, totp, Area, Role};
use herald_domain::oauth::SESSION_TTL;
use herald_store::{Account, ConsoleSession, LoginRef, Member, Owner};
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

/// A console session (cookie): the owner whose console it is, the member signed in (None: the
/// owner's own login, or the operator's view), the role, with the CSRF token checked on writes.
pub struct OwnerSession {
    pub owner: Owner,
    pub member: Option<Member>,
    pub role: Role,
    pub session_hash: String,
}

impl OwnerSession {
    async fn of(parts: &Parts, st: &AppState) -> Result<Option<OwnerSession>, ApiError> {
        let Some(raw) = cookie(parts, CONSOLE_COOKIE) else { return Ok(None) };
        let h = hash(&raw);
        let Some(s) = st.store.owner_session(&h).await? else { return Ok(None) };
        if s.expires_at <= st.clock.now().await? {
            return Ok(None);
        }
        let (member, role) = match (&s.member_id, s.read_only) {
            (_, true) => (None, Role::Viewer),
            (None, false) => (None, Role::Owner),
            (Some(id), false) => {
                // A removed member's sessions end with it; its role is read afresh each call.
                let Some(m) = st.store.member(id).await? else { return Ok(None) };
                let Some(role) = Role::invitable(&m.role) else { return Ok(None) };
                (Some(m), role)
            }
        };
        Ok(st.store.owner(&s.owner_id).await?.map(|owner| OwnerSession { owner, member, role, session_hash: h }))
    }

    /// The login this session is of (None: the operator's view, which is no one's login).
    pub fn login(&self) -> Option<LoginRef<'_>> {
        match (&self.member, self.role) {
            (_, Role::Viewer) => None,
            (Some(m), _) => Some(LoginRef::Member(&m.id)),
            (None, _) => Some(LoginRef::Owner(&self.owner.id)),
        }
    }

    fn member_id(&self) -> Option<&str> {
        self.member.as_ref().map(|m| m.id.as_str())
    }

    /// The login itself, or 403 for the operator's read-only view.
    pub fn own_login(&self) -> Result<LoginRef<'_>, ApiError> {
        self.login().ok_or_else(|| role_refusal(Role::Viewer, "the operator's view of a console is read-only"))
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
    Owner(Box<OwnerSession>),
}

impl Principal {
    /// The caller's role (the operator acts as an owner).
    pub fn role(&self) -> Role {
        match self {
            Principal::Operator => Role::Owner,
            Principal::Owner(s) => s.role,
        }
    }

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
                Ok(Principal::Owner(Box::new(s)))
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
    /// The console session's role (the operator acts as `Owner`).
    pub role: Role,
}

/// 403 for a role that does not reach an area.
fn not_allowed(role: Role, area: Option<Area>, write: bool) -> ApiError {
    let what = area.map_or("this", Area::as_str);
    let verb = if write { "change" } else { "see" };
    role_refusal(role, format!("the {role} role may not {verb} {what} on this account"))
}

/// 403 for what a console role may not do: `read_only` for the operator's view, `forbidden`
/// for a member's role.
pub(crate) fn role_refusal(role: Role, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, if role == Role::Viewer { "read_only" } else { "forbidden" }, message)
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
        let role = who.role();
        if role != Role::Owner {
            let template = parts.extensions.get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_default();
            let area = template.strip_prefix("/herald/v1/accounts/{appid}").and_then(area_of);
            let write = !matches!(parts.method, Method::GET | Method::HEAD);
            if !area.is_some_and(|a| role.may(a, write)) {
                return Err(not_allowed(role, area, write));
            }
        }
        let owner = st.store.owner(&account.owner_id).await?.ok_or_else(|| ApiError::not_found("owner"))?;
        Ok(AccountAccess { account, owner, operator: matches!(who, Principal::Operator), role })
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

/// The areas a role reads and changes, as the console shows them.
fn areas(role: Role, write: bool) -> Vec<String> {
    use Area::*;
    [Overview, Followers, Messages, Content, Broadcast, Menus, Developer, Account, Payments].into_iter().filter(|a| role.may(*a, write)).map(|a| a.as_str().to_string()).collect()
}

pub(crate) async fn me_out(st: &AppState, s: &OwnerSession) -> Result<ConsoleMeOut, ApiError> {
    let email = match (&s.member, s.role) {
        (_, Role::Viewer) => String::new(),
        (Some(m), _) => m.email.clone(),
        (None, _) => st.store.owner_email(&s.owner.id).await?.unwrap_or_default(),
    };
    let totp_enabled = match s.login() {
        Some(l) => st.store.login_totp(l).await?.0.is_some(),
        None => false,
    };
    Ok(ConsoleMeOut {
        owner: owner_out(&s.owner),
        email,
        csrf_token: csrf_token(&s.session_hash),
        role: s.role.to_string(),
        member_id: s.member_id().map(str::to_string),
        reads: areas(s.role, false),
        writes: areas(s.role, true),
        manages_members: s.role.manages_members(),
        totp_enabled,
    })
}

/// Starts a console session and answers who it is, with its cookie.
pub(crate) async fn start_session(st: &AppState, headers: &HeaderMap, owner: Owner, member: Option<Member>, role: Role) -> Result<Response, ApiError> {
    let now = st.clock.now().await?;
    let raw = herald_domain::idgen::secret_token(&mut rand::thread_rng(), "hc_");
    let h = hash(&raw);
    let mut ua = agent(headers).to_string();
    while ua.len() > 200 {
        ua.pop();
    }
    let row = ConsoleSession { owner_id: owner.id.clone(), member_id: member.as_ref().map(|m| m.id.clone()), read_only: role == Role::Viewer, expires_at: now + SESSION_TTL };
    st.store.put_owner_session(&h, &row, now, &ua).await?;
    let s = OwnerSession { owner, member, role, session_hash: h };
    let mut r = Json(me_out(st, &s).await?).into_response();
    r.headers_mut().insert(header::SET_COOKIE, session_cookie(st, &raw, SESSION_TTL));
    Ok(r)
}

fn session_cookie(st: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if st.base_url().starts_with("https://") { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{CONSOLE_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")).expect("ASCII")
}

/// Whose login an email is.
enum Login {
    Owner(OwnerId),
    Member(Member),
}

/// `POST /herald/v1/console/signin`: an owner's or a member's email and password, and the TOTP
/// code when the login has a second factor. 401 for a wrong email or password (the same answer
/// for both), 429 after five failures for an email within 15 minutes, until the window passes;
/// 401 `totp_required` / `wrong_totp` for a missing or wrong code (wrong codes are limited the
/// same way, on their own count).
pub async fn signin(State(st): State<AppState>, headers: HeaderMap, ApiJson(b): ApiJson<OwnerSignInIn>) -> Result<Response, ApiError> {
    fn wrong() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "wrong_credentials", "wrong email or password")
    }
    fn wrong_totp() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "wrong_totp", "wrong authentication code")
    }
    let Some(email) = rules::normalize_email(&b.email) else { return Err(wrong()) };
    let found = match st.store.owner_login(&email).await? {
        Some((id, h)) => Some((Login::Owner(id), h)),
        None => st.store.member_login(&email).await?.map(|(m, h)| (Login::Member(m), h)),
    };
    let login = attempt(&st, &failures_key(&email), found, &b.password, wrong, "too many failed sign-ins for this email; try again in 15 minutes").await?;
    let login_ref = match &login {
        Login::Owner(id) => LoginRef::Owner(id),
        Login::Member(m) => LoginRef::Member(&m.id),
    };
    if let (Some(secret), _) = st.store.login_totp(login_ref).await? {
        let Some(code) = b.totp.as_deref().filter(|c| !c.trim().is_empty()) else {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "totp_required", "enter the code from your authenticator app"));
        };
        let key = format!("totp:{email}");
        let now = st.clock.now().await?;
        if !rules::may_try(st.store.login_failures(&key, now, rules::FAILURE_WINDOW).await?) {
            return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", "too many wrong codes for this email; try again in 15 minutes"));
        }
        if !totp::check(&secret, code, crate::clock::system_now_ms() / 1000) {
            st.store.note_login_failure(&key, now, rules::FAILURE_WINDOW).await?;
            return Err(wrong_totp());
        }
        st.store.clear_login_failures(&key).await?;
    }
    let (owner_id, member, role) = match login {
        Login::Owner(id) => (id, None, Role::Owner),
        Login::Member(m) => {
            let role = Role::invitable(&m.role).ok_or_else(wrong)?;
            (m.owner_id.clone(), Some(m), role)
        }
    };
    let owner = st.store.owner(&owner_id).await?.ok_or_else(wrong)?;
    start_session(&st, &headers, owner, member, role).await
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
    Ok(Json(me_out(&st, &s).await?))
}

/// `GET /herald/v1/console/sessions`: the login's live console sessions, newest first.
pub async fn sessions(State(st): State<AppState>, s: OwnerSession) -> ApiResult<ConsoleSessionList> {
    s.own_login()?;
    let now = st.clock.now().await?;
    let sessions = st
        .store
        .owner_sessions(&s.owner.id, s.member_id(), now)
        .await?
        .into_iter()
        .map(|x| SessionOut { id: session_id(&x.id_hash).to_string(), current: x.id_hash == s.session_hash, created_at: x.created_at, expires_at: x.expires_at, user_agent: x.user_agent })
        .collect();
    Ok(Json(ConsoleSessionList { sessions }))
}

/// `DELETE /herald/v1/console/sessions/{id}`: ends one of the login's sessions (404 if none is).
pub async fn end_session(State(st): State<AppState>, s: OwnerSession, Path(id): Path<String>) -> ApiResult<herald_wire::platform::auth::SessionEndedOut> {
    s.own_login()?;
    if st.store.end_owner_sessions(&s.owner.id, s.member_id(), &id).await? == 0 {
        return Err(ApiError::not_found("session"));
    }
    Ok(Json(herald_wire::platform::auth::SessionEndedOut { ended: 1 }))
}

/// `PUT /herald/v1/console/password`: needs the current password; the login's other sessions end.
pub async fn change_password(State(st): State<AppState>, s: OwnerSession, ApiJson(b): ApiJson<PasswordIn>) -> ApiResult<herald_wire::platform::auth::PasswordChangedOut> {
    let login = s.own_login()?;
    rules::check_password(&b.password).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let stored = match login {
        LoginRef::Owner(id) => {
            let email = st.store.owner_email(id).await?.ok_or_else(|| ApiError::not_found("login"))?;
            st.store.owner_login(&email).await?.ok_or_else(|| ApiError::not_found("login"))?.1
        }
        LoginRef::Member(id) => st.store.member_password_hash(id).await?.ok_or_else(|| ApiError::not_found("login"))?,
    };
    if !password_matches(b.current.clone(), stored).await {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "wrong_credentials", "the current password is wrong"));
    }
    let new_hash = hash_password(b.password.clone()).await?;
    match login {
        LoginRef::Owner(id) => st.store.set_owner_password_hash(id, &new_hash).await?,
        LoginRef::Member(id) => st.store.set_member_password_hash(id, &new_hash).await?,
    }
    let now = st.clock.now().await?;
    for x in st.store.owner_sessions(&s.owner.id, s.member_id(), now).await? {
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
