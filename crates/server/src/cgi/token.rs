//! `GET /cgi-bin/token` and `POST /cgi-bin/stable_token` (rules: `herald_domain::token`).

use axum::extract::State;
use axum::Json;
use herald_domain::token::{self, IssuedToken, StableDecision, TokenKind, TOKEN_TTL};
use herald_wire::cgi::token::{StableTokenRequest, TokenQuery, TokenResponse};
use herald_wire::AppId;

use crate::error::WxResult;
use crate::extract::{WxJson, WxQuery};
use crate::state::AppState;

/// The address a request came from (the connection's peer), when the listener knows it.
pub struct Peer(pub Option<std::net::IpAddr>);

impl axum::extract::FromRequestParts<AppState> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Peer(parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip())))
    }
}

/// The credentials, then the account's IP allow-list (40164 naming the caller's address).
async fn check(st: &AppState, peer: &Peer, grant: Option<&str>, appid: Option<&str>, secret: Option<&str>) -> Result<AppId, crate::error::WxErr> {
    let account = match appid.filter(|a| !a.is_empty()) {
        Some(a) => st.store.account(a).await?,
        None => None,
    };
    token::check_credentials(grant, appid, secret, account.as_ref().map(|a| a.app_secret.as_str()))?;
    let appid = account.map(|a| a.appid).unwrap_or_default();
    if let Some(ip) = peer.0 {
        let list = st.store.ip_allow_list(&appid).await?;
        if !herald_domain::allowlist::allows(&list, ip) {
            return Err(herald_wire::WxError::with_detail(herald_wire::ErrCode::IpNotInWhitelist, herald_domain::allowlist::refusal(ip)).into());
        }
    }
    Ok(appid)
}

fn fresh(kind: TokenKind, now: i64, forced: bool) -> IssuedToken {
    IssuedToken {
        token: herald_domain::idgen::access_token(&mut rand::thread_rng()),
        kind,
        issued_at: now,
        expires_at: now + TOKEN_TTL,
        revoked_at: None,
        forced,
    }
}

pub async fn get_token(State(st): State<AppState>, peer: Peer, WxQuery(q): WxQuery<TokenQuery>) -> WxResult<TokenResponse> {
    let appid = check(&st, &peer, q.grant_type.as_deref(), q.appid.as_deref(), q.secret.as_deref()).await?;
    let now = st.clock.now().await?;
    let t = fresh(TokenKind::Client, now, false);
    st.store.issue_client_token(&appid, &t, token::client_rotation_cutoff(now)).await?;
    st.tokens.forget_account(&appid);
    Ok(Json(TokenResponse { access_token: t.token, expires_in: TOKEN_TTL }))
}

pub async fn stable_token(State(st): State<AppState>, peer: Peer, WxJson(b): WxJson<StableTokenRequest>) -> WxResult<TokenResponse> {
    let appid = check(&st, &peer, b.grant_type.as_deref(), b.appid.as_deref(), b.secret.as_deref()).await?;
    let now = st.clock.now().await?;
    let history = st.store.stable_tokens(&appid, now - 2 * 86_400).await?;
    let force = b.force_refresh.unwrap_or(false);
    match token::stable_decision(&history, force, now)? {
        StableDecision::Reuse(t) => Ok(Json(TokenResponse { expires_in: token::expires_in(&t, now), access_token: t.token })),
        StableDecision::Issue { revoke_previous } => {
            let t = fresh(TokenKind::Stable, now, force);
            st.store.issue_stable_token(&appid, &t, revoke_previous).await?;
            st.tokens.forget_account(&appid);
            Ok(Json(TokenResponse { access_token: t.token, expires_in: TOKEN_TTL }))
        }
    }
}
