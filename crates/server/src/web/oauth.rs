//! The web OAuth authorize page (`/connect/oauth2/authorize`) and its consent form.
//! snsapi_base redirects at once with a code; snsapi_userinfo asks the signed-in user first.
//! Failures show WeChat's error codes on the page, as WeChat does.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use herald_domain::account::Capability;
use herald_domain::idgen;
use herald_domain::oauth::{self, Scope, CODE_TTL, MAX_STATE_BYTES};
use herald_store::{Account, FreshIds, OneTimeCode, User};
use herald_wire::ErrCode;
use serde::Deserialize;

use super::{error_page, esc, hash, page, WebSession};
use crate::extract::WxQuery;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, Clone)]
pub struct AuthorizeQuery {
    #[serde(default)]
    appid: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: String,
}

fn wx_error(code: ErrCode, detail: &str) -> Response {
    error_page(StatusCode::BAD_REQUEST, &format!("Error {}", code.code()), &format!("{} ({detail})", code.message()))
}

fn internal<E: std::fmt::Display>(e: E) -> Response {
    tracing::error!(error = %e, "authorize page failed");
    error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again.")
}

/// Checks an authorize request as WeChat does; the account and scope if it may go on.
async fn check(st: &AppState, q: &AuthorizeQuery) -> Result<(Account, Scope), Response> {
    if q.appid.is_empty() {
        return Err(wx_error(ErrCode::AppidEmpty, "appid is required"));
    }
    let account = st.store.account(&q.appid).await.map_err(internal)?.ok_or_else(|| wx_error(ErrCode::InvalidAppid, "no such account"))?;
    if q.redirect_uri.is_empty() {
        return Err(wx_error(ErrCode::RedirectUriEmpty, "redirect_uri is required"));
    }
    let scope = Scope::parse(&q.scope).map_err(|c| wx_error(c, "scope must be snsapi_base or snsapi_userinfo"))?;
    if herald_domain::account::permit(account.kind(), Capability::WebOAuth).is_err() {
        return Err(wx_error(ErrCode::ScopeUnauthorized, "web OAuth is for verified service accounts"));
    }
    let domain = st.store.web_domain(&account.appid).await.map_err(internal)?;
    if !domain.as_deref().is_some_and(|d| oauth::redirect_allowed(&q.redirect_uri, d)) {
        return Err(wx_error(ErrCode::RedirectUriMismatch, "redirect_uri must lie under the web domain configured for the account"));
    }
    if q.response_type != "code" {
        return Err(wx_error(ErrCode::InvalidParameter, "response_type must be code"));
    }
    if q.state.len() > MAX_STATE_BYTES {
        return Err(wx_error(ErrCode::InvalidParameter, "state is at most 128 bytes"));
    }
    Ok((account, scope))
}

/// The redirect to the developer's page with a fresh code.
async fn grant_code(st: &AppState, account: &Account, user: &User, scope: Scope, q: &AuthorizeQuery) -> Result<Response, Response> {
    st.store.meet(&account.appid, &user.id, &FreshIds::random()).await.map_err(internal)?;
    let now = st.clock.now().await.map_err(internal)?;
    let code = idgen::secret_token(&mut rand::thread_rng(), "");
    st.store
        .put_code(&OneTimeCode {
            code: code.clone(),
            purpose: "oauth".into(),
            appid: Some(account.appid.clone()),
            user_id: user.id.clone(),
            scope: scope.as_str().into(),
            created_at: now,
            expires_at: now + CODE_TTL,
            used_at: None,
        })
        .await
        .map_err(internal)?;
    let mut target = url::Url::parse(&q.redirect_uri).map_err(|_| wx_error(ErrCode::RedirectUriMismatch, "redirect_uri is not a URL"))?;
    target.set_fragment(None);
    target.query_pairs_mut().append_pair("code", &code).append_pair("state", &q.state);
    Ok(Redirect::to(target.as_str()).into_response())
}

fn consent_csrf(session_hash: &str) -> String {
    hash(&format!("consent:{session_hash}"))
}

/// `GET /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state`.
pub async fn authorize(State(st): State<AppState>, session: WebSession, WxQuery(q): WxQuery<AuthorizeQuery>) -> Response {
    let (account, scope) = match check(&st, &q).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some((user, session_hash)) = session.0 else {
        let body = format!(
            "<div class=\"card\"><h1>Sign in to continue</h1><p><b>{}</b> wants you to sign in with Herald.</p>\
             <p class=\"muted\">Open this page from the Herald client, or use a sign-in link.</p></div>",
            esc(&account.name)
        );
        return (StatusCode::UNAUTHORIZED, Html(page("Sign in", &body))).into_response();
    };
    if scope == Scope::Base {
        return grant_code(&st, &account, &user, scope, &q).await.unwrap_or_else(|r| r);
    }
    let hidden = |name: &str, v: &str| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", esc(v));
    let body = format!(
        "<div class=\"card\" id=\"consent\"><h1>{name}</h1><p>This page, provided by <b>{name}</b>, asks for:</p>\
         <ul><li>your public profile (nickname, avatar, region and sex)</li></ul>\
         <p class=\"muted\">Signed in as {nick}</p>\
         <form method=\"post\" action=\"/connect/oauth2/authorize/confirm\">{fields}\
         <button class=\"primary\" type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>\
         <button class=\"secondary\" type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form></div>",
        name = esc(&account.name),
        nick = esc(&user.nickname),
        fields = [
            hidden("appid", &q.appid),
            hidden("redirect_uri", &q.redirect_uri),
            hidden("response_type", &q.response_type),
            hidden("scope", &q.scope),
            hidden("state", &q.state),
            hidden("csrf", &consent_csrf(&session_hash)),
        ]
        .concat(),
    );
    Html(page("Authorize", &body)).into_response()
}

/// `POST /connect/oauth2/authorize/confirm`: the consent form's answer.
pub async fn confirm(State(st): State<AppState>, session: WebSession, body: Bytes) -> Response {
    let form: std::collections::HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let Some((user, session_hash)) = session.0 else {
        return error_page(StatusCode::UNAUTHORIZED, "Not signed in", "Sign in and open the page again.");
    };
    if get("csrf") != consent_csrf(&session_hash) {
        return error_page(StatusCode::FORBIDDEN, "This form has expired", "Open the page again.");
    }
    let q = AuthorizeQuery {
        appid: get("appid"),
        redirect_uri: get("redirect_uri"),
        response_type: get("response_type"),
        scope: get("scope"),
        state: get("state"),
    };
    let (account, scope) = match check(&st, &q).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if get("decision") != "allow" {
        let body = format!("<div class=\"card\"><h1>Not shared</h1><p>You did not share your profile with <b>{}</b>.</p></div>", esc(&account.name));
        return Html(page("Not shared", &body)).into_response();
    }
    grant_code(&st, &account, &user, scope, &q).await.unwrap_or_else(|r| r)
}
