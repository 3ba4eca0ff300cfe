//! The account directory a signed-in follower searches: official accounts' names, types,
//! verification, and an account's own QR code (mini programs are opened by their codes). Readable by any signed-in user and by the operator.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::Json;
use serde::Deserialize;
use herald_wire::platform::chats::{DirectoryEntry, DirectoryList};

use crate::error::{ApiError, ApiResult};
use crate::extract::Operator;
use crate::state::AppState;

/// Anyone signed in (a session) or the operator.
pub struct Viewer;

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(axum::http::header::AUTHORIZATION) {
            return Operator::from_request_parts(parts, st).await.map(|_| Viewer);
        }
        match crate::web::session_user(parts, st).await? {
            Some(_) => Ok(Viewer),
            None => Err(ApiError::new(axum::http::StatusCode::UNAUTHORIZED, "unauthorized", "not signed in")),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

fn entry(a: &herald_store::Account) -> DirectoryEntry {
    DirectoryEntry {
        appid: a.appid.clone(),
        name: a.name.clone(),
        account_type: a.ty.as_str().into(),
        verified: a.verified,
        intro: a.intro.clone(),
        qrcode_url: None,
    }
}

/// `GET /herald/v1/directory?q=`: accounts whose name contains `q` (any case), at most 50.
pub async fn search(State(st): State<AppState>, _: Viewer, Query(q): Query<SearchQuery>) -> ApiResult<DirectoryList> {
    let needle = q.q.trim().to_lowercase();
    let accounts: Vec<DirectoryEntry> = st
        .store
        .accounts()
        .await?
        .iter()
        .filter(|a| a.ty.is_official())
        .filter(|a| needle.is_empty() || a.name.to_lowercase().contains(&needle) || a.appid.as_str() == needle)
        .take(50)
        .map(entry)
        .collect();
    Ok(Json(DirectoryList { accounts }))
}

/// `GET /herald/v1/directory/{appid}`: one account's card, with its own QR code's picture.
pub async fn show(State(st): State<AppState>, _: Viewer, Path(appid): Path<String>) -> ApiResult<DirectoryEntry> {
    let a = st.store.account(&appid).await?.ok_or_else(|| ApiError::not_found("account"))?;
    let now = st.clock.now().await?;
    let mut out = entry(&a);
    if let Ok(code) = crate::cgi::qrcode::account_code(&st, &a.appid, now).await {
        out.qrcode_url = Some(format!("{}{}", st.base_url(), crate::cgi::qrcode::image_path(&code)));
    }
    Ok(Json(out))
}
