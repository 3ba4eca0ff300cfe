//! Followers sign up and sign in on the app origin (username or phone number and a password,
//! Argon2id), with failed attempts limited per login; they see who they are (with the CSRF
//! token their writes carry) and list and end their sessions.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_domain::auth::{self as rules, csrf_token, session_id, FAILURE_WINDOW};
use herald_store::User;
use herald_wire::platform::auth::*;
use herald_wire::platform::users::{UserCreate, UserOut};

use super::users::create_user;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Me};
use crate::state::AppState;
use crate::web::{start_session, SESSION_COOKIE};

fn user_out(u: &User) -> UserOut {
    UserOut { id: u.id.clone(), nickname: u.nickname.clone(), created_at: u.created_at, profile: u.profile.clone() }
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes), off the async threads.
pub(crate) async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default().hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng)).map(|h| h.to_string())
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

pub(crate) async fn password_matches(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || PasswordHash::new(&stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()))
        .await
        .unwrap_or(false)
}

/// A hash verified when a login does not exist, so that unknown and known logins take the
/// same time (made once per process).
pub(crate) async fn decoy() -> Result<String, ApiError> {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY.get_or_try_init(|| hash_password(herald_domain::idgen::secret_token(&mut rand::thread_rng(), "decoy_"))).await.cloned()
}

pub(crate) fn agent(headers: &HeaderMap) -> &str {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The answer to a sign-up or sign-in: who, the new session's cookie and CSRF token.
async fn signed_in(st: &AppState, user: &User, headers: &HeaderMap, status: StatusCode) -> Result<Response, ApiError> {
    let (cookie, hash) = start_session(st, &user.id, agent(headers)).await?;
    let login = st.store.login_of(&user.id).await?;
    let mut r = (status, Json(MeOut { user: user_out(user), login, csrf_token: csrf_token(&hash) })).into_response();
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(r)
}

/// `POST /herald/v1/auth/signup`: a new user with a login and password, signed in.
pub async fn signup(State(st): State<AppState>, headers: HeaderMap, ApiJson(b): ApiJson<SignUpIn>) -> Result<Response, ApiError> {
    let login = rules::normalize_login(&b.login).map_err(|e| ApiError::bad_request(e.to_string()))?;
    rules::check_password(&b.password).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if st.store.login(&login).await?.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "login_taken", "that login is taken"));
    }
    let nickname = b.nickname.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| b.login.trim().to_string());
    let hash = hash_password(b.password.clone()).await?;
    let user = create_user(&st, &UserCreate { id: None, nickname, profile: None }).await?;
    let now = st.clock.now().await?;
    if !st.store.create_login(&login, &user.id, &hash, now).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "login_taken", "that login is taken"));
    }
    signed_in(&st, &user, &headers, StatusCode::CREATED).await
}

/// `POST /herald/v1/users/{id}/login` (operator): gives an existing user a login and password
/// for the app (409 if the user has one or the login is taken).
pub async fn give_login(State(st): State<AppState>, _: crate::extract::Operator, Path(id): Path<String>, ApiJson(b): ApiJson<SignInIn>) -> Result<(StatusCode, Json<MeLogin>), ApiError> {
    let user = super::users::load_user(&st, &id).await?;
    let login = rules::normalize_login(&b.login).map_err(|e| ApiError::bad_request(e.to_string()))?;
    rules::check_password(&b.password).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if st.store.login_of(&user.id).await?.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "has_login", "this user has a login already"));
    }
    let hash = hash_password(b.password.clone()).await?;
    let now = st.clock.now().await?;
    if !st.store.create_login(&login, &user.id, &hash, now).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "login_taken", "that login is taken"));
    }
    Ok((StatusCode::CREATED, Json(MeLogin { user: user.id.0, login })))
}

#[derive(serde::Serialize)]
pub struct MeLogin {
    user: String,
    login: String,
}

/// One sign-in attempt, for followers and owners alike: `found` is the login's id and password
/// hash (None for an unknown login, checked against a decoy so both take the same time); failures
/// are counted under `key`, and once five fall within 15 minutes every attempt is refused with
/// 429 `limited` until the window passes. Ok is the id whose password matched.
pub(crate) async fn attempt<T>(st: &AppState, key: &str, found: Option<(T, String)>, password: &str, wrong: fn() -> ApiError, limited: &str) -> Result<T, ApiError> {
    let now = st.clock.now().await?;
    if !rules::may_try(st.store.login_failures(key, now, FAILURE_WINDOW).await?) {
        return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", limited));
    }
    let stored = match &found {
        Some((_, h)) => h.clone(),
        None => decoy().await?,
    };
    let ok = password_matches(password.chars().take(rules::MAX_PASSWORD_BYTES).collect(), stored).await;
    match (found, ok) {
        (Some((id, _)), true) => {
            st.store.clear_login_failures(key).await?;
            Ok(id)
        }
        _ => {
            st.store.note_login_failure(key, now, FAILURE_WINDOW).await?;
            Err(wrong())
        }
    }
}

/// `POST /herald/v1/auth/signin`: 401 for a wrong login or password (the same answer for
/// both); 429 after five failures for a login within 15 minutes, until the window passes.
pub async fn signin(State(st): State<AppState>, headers: HeaderMap, ApiJson(b): ApiJson<SignInIn>) -> Result<Response, ApiError> {
    fn wrong() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "wrong_credentials", "wrong login or password")
    }
    let Ok(login) = rules::normalize_login(&b.login) else { return Err(wrong()) };
    let found = st.store.login(&login).await?;
    let id = attempt(&st, &login, found, &b.password, wrong, "too many failed sign-ins for this login; try again in 15 minutes").await?;
    let user = st.store.user(&id).await?.ok_or_else(wrong)?;
    signed_in(&st, &user, &headers, StatusCode::OK).await
}

/// `POST /herald/v1/auth/signout`: ends this session.
pub async fn signout(State(st): State<AppState>, me: Me) -> Result<Response, ApiError> {
    st.store.delete_session(&me.session_hash).await?;
    let mut r = Json(herald_wire::platform::auth::SignedOutOut { signed_out: true }).into_response();
    r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")).expect("ASCII"));
    Ok(r)
}

/// `GET /herald/v1/me`.
pub async fn me(State(st): State<AppState>, me: Me) -> ApiResult<MeOut> {
    let login = st.store.login_of(&me.user.id).await?;
    Ok(Json(MeOut { user: user_out(&me.user), login, csrf_token: csrf_token(&me.session_hash) }))
}

/// `PUT /herald/v1/me/password`: needs the current password; other sessions end.
pub async fn change_password(State(st): State<AppState>, me: Me, ApiJson(b): ApiJson<PasswordIn>) -> ApiResult<herald_wire::platform::auth::PasswordChangedOut> {
    rules::check_password(&b.password).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let Some(login) = st.store.login_of(&me.user.id).await? else {
        return Err(ApiError::new(StatusCode::CONFLICT, "no_login", "this user signs in by link only"));
    };
    let (_, stored) = st.store.login(&login).await?.ok_or_else(|| ApiError::not_found("login"))?;
    if !password_matches(b.current.clone(), stored).await {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "wrong_credentials", "the current password is wrong"));
    }
    st.store.set_password_hash(&me.user.id, &hash_password(b.password.clone()).await?).await?;
    let now = st.clock.now().await?;
    for s in st.store.user_sessions(&me.user.id, now).await? {
        if s.id_hash != me.session_hash {
            st.store.delete_session(&s.id_hash).await?;
        }
    }
    Ok(Json(herald_wire::platform::auth::PasswordChangedOut { changed: true }))
}

/// `GET /herald/v1/me/sessions`: this user's live sessions, newest first.
pub async fn sessions(State(st): State<AppState>, me: Me) -> ApiResult<SessionList> {
    let now = st.clock.now().await?;
    let sessions = st
        .store
        .user_sessions(&me.user.id, now)
        .await?
        .into_iter()
        .map(|s| SessionOut { id: session_id(&s.id_hash).to_string(), current: s.id_hash == me.session_hash, created_at: s.created_at, expires_at: s.expires_at, user_agent: s.user_agent })
        .collect();
    Ok(Json(SessionList { sessions }))
}

/// `DELETE /herald/v1/me/sessions/{id}`: ends one of this user's sessions (404 if none is).
pub async fn end_session(State(st): State<AppState>, me: Me, Path(id): Path<String>) -> ApiResult<herald_wire::platform::auth::SessionEndedOut> {
    if st.store.end_user_sessions(&me.user.id, &id).await? == 0 {
        return Err(ApiError::not_found("session"));
    }
    Ok(Json(herald_wire::platform::auth::SessionEndedOut { ended: 1 }))
}
