//! Simulated end users: create them, follow and unfollow accounts, list what they follow.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use herald_domain::conversation::{Inbound, UserEvent};
use herald_domain::{follower, idgen};
use herald_store::{Follower, FollowHow, FreshIds, User};
use herald_wire::platform::profile::Profile;
use herald_wire::platform::users::*;
use herald_wire::UserId;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ActingFor, ApiJson, Operator};
use crate::state::AppState;

fn user_out(u: &User) -> UserOut {
    UserOut { id: u.id.clone(), nickname: u.nickname.clone(), created_at: u.created_at, profile: u.profile.clone() }
}

pub(crate) async fn relation_out(st: &AppState, f: &Follower) -> Result<RelationOut, ApiError> {
    let a = st.store.account(f.appid.as_str()).await?.ok_or_else(|| ApiError::not_found("account"))?;
    Ok(RelationOut {
        appid: f.appid.clone(),
        account_name: a.name,
        account_type: a.ty.as_str().into(),
        openid: f.openid.clone(),
        unionid: f.unionid.clone(),
        subscribed: f.subscribed,
        subscribe_time: f.subscribe_time,
        unsubscribe_time: f.unsubscribe_time,
        subscribe_scene: f.subscribe_scene.clone(),
        qr_scene: f.qr_scene,
        qr_scene_str: f.qr_scene_str.clone(),
        remark: f.remark.clone(),
        blacklisted: f.blacklisted,
        tagid_list: f.tag_ids.clone(),
    })
}

pub async fn create(State(st): State<AppState>, _: Operator, ApiJson(b): ApiJson<UserCreate>) -> Result<(StatusCode, Json<UserOut>), ApiError> {
    let u = create_user(&st, &b).await?;
    Ok((StatusCode::CREATED, Json(user_out(&u))))
}

pub async fn create_user(st: &AppState, b: &UserCreate) -> Result<User, ApiError> {
    let nickname = b.nickname.trim();
    if nickname.is_empty() || nickname.chars().count() > 64 {
        return Err(ApiError::bad_request("a nickname must be 1 to 64 characters"));
    }
    let profile = b.profile.clone().unwrap_or_default();
    profile.check().map_err(ApiError::bad_request)?;
    let id = match &b.id {
        Some(id) => {
            if id.is_empty() || id.len() > 64 || !id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
                return Err(ApiError::bad_request("a user id is 1 to 64 letters, digits, '_' or '-'"));
            }
            if st.store.user(&UserId(id.clone())).await?.is_some() {
                return Err(ApiError::new(StatusCode::CONFLICT, "exists", format!("user {id} exists")));
            }
            UserId(id.clone())
        }
        None => UserId(idgen::prefixed_id(&mut rand::thread_rng(), "u_")),
    };
    let u = User { id, nickname: nickname.to_string(), created_at: st.clock.now().await?, profile };
    st.store.insert_user(&u).await?;
    Ok(u)
}

pub async fn list(State(st): State<AppState>, _: Operator) -> ApiResult<UserList> {
    Ok(Json(UserList { users: st.store.users().await?.iter().map(user_out).collect() }))
}

/// The user `id`, or 404.
pub(crate) async fn load_user(st: &AppState, id: &str) -> Result<User, ApiError> {
    st.store.user(&UserId(id.to_string())).await?.ok_or_else(|| ApiError::not_found("user"))
}

pub async fn show(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>) -> ApiResult<UserOut> {
    Ok(Json(user_out(&load_user(&st, &id).await?)))
}

#[derive(Debug, Deserialize)]
pub struct NicknameIn {
    nickname: String,
}

/// `PUT /herald/v1/users/{id}/nickname`: 1 to 64 characters (what `sns/userinfo` answers).
pub async fn set_nickname(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>, ApiJson(b): ApiJson<NicknameIn>) -> ApiResult<UserOut> {
    let mut user = load_user(&st, &id).await?;
    let nickname = b.nickname.trim();
    if nickname.is_empty() || nickname.chars().count() > 64 {
        return Err(ApiError::bad_request("a nickname must be 1 to 64 characters"));
    }
    st.store.set_user_nickname(&user.id, nickname).await?;
    user.nickname = nickname.to_string();
    Ok(Json(user_out(&user)))
}

/// The largest avatar picture accepted.
const AVATAR_MAX: usize = 2 << 20;

/// `PUT /herald/v1/users/{id}/avatar`: a PNG, JPEG or GIF picture as the body becomes the
/// user's avatar (`headimgurl`, served from the content origin; what `sns/userinfo`
/// answers).
pub async fn set_avatar(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>, body: bytes::Bytes) -> ApiResult<UserOut> {
    let mut user = load_user(&st, &id).await?;
    if body.is_empty() || body.len() > AVATAR_MAX {
        return Err(ApiError::bad_request(format!("an avatar is a picture of 1 byte to {AVATAR_MAX} bytes")));
    }
    if !matches!(crate::cgi::content::sniff(&body), "image/png" | "image/jpeg" | "image/gif") {
        return Err(ApiError::bad_request("an avatar is a PNG, JPEG or GIF picture"));
    }
    let hash = st.blobs.put(&body).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    user.profile.headimgurl = crate::cgi::content::file_url(&st, &hash);
    st.store.set_user_profile(&user.id, &user.profile.to_json()).await?;
    Ok(Json(user_out(&user)))
}

/// Replaces a user's profile (sex, language, region, platform: what conditional menus match
/// and `/sns/userinfo` reports).
pub async fn set_profile(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>, ApiJson(p): ApiJson<Profile>) -> ApiResult<UserOut> {
    let mut user = load_user(&st, &id).await?;
    p.check().map_err(ApiError::bad_request)?;
    st.store.set_user_profile(&user.id, &p.to_json()).await?;
    user.profile = p;
    Ok(Json(user_out(&user)))
}

pub async fn follow(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>, ApiJson(b): ApiJson<FollowIn>) -> ApiResult<RelationOut> {
    let user = load_user(&st, &id).await?;
    let f = follow_account(&st, &user, &b).await?;
    Ok(Json(relation_out(&st, &f).await?))
}

/// Makes `user` follow `b.appid`; a no-op for a current follower.
pub async fn follow_account(st: &AppState, user: &User, b: &FollowIn) -> Result<Follower, ApiError> {
    let scene = b.scene.clone().unwrap_or_else(|| follower::DEFAULT_SCENE.to_string());
    if !follower::check_scene(&scene) {
        return Err(ApiError::bad_request(format!("unknown subscribe scene {scene:?}")));
    }
    let how = FollowHow { scene, ..FollowHow::default() };
    Ok(follow_with(st, user, &b.appid, &how, None, None).await?.0)
}

/// Makes `user` follow `appid` as `how` says; a new follow raises subscribe (with the QR
/// code's `EventKey` and `Ticket` when given). Returns the relation and whether it changed.
pub async fn follow_with(
    st: &AppState,
    user: &User,
    appid: &herald_wire::AppId,
    how: &FollowHow,
    event_key: Option<String>,
    ticket: Option<String>,
) -> Result<(Follower, bool), ApiError> {
    let a = st.store.account(appid.as_str()).await?.ok_or_else(|| ApiError::not_found("account"))?;
    if !a.ty.is_official() {
        return Err(ApiError::new(axum::http::StatusCode::CONFLICT, "not_followable", "a mini program is opened, not followed"));
    }
    let fresh = FreshIds::random();
    let now = st.clock.now().await?;
    let (f, changed) = st.store.follow(appid, &user.id, how, &fresh, now).await?;
    if changed {
        let ev = UserEvent::Subscribe { event_key, ticket };
        crate::conversation::receive(st, user, appid, Inbound::Event(ev)).await?;
    }
    Ok((f, changed))
}

#[derive(Debug, Default, Deserialize)]
pub struct UnfollowIn {
    pub appid: herald_wire::AppId,
}

pub async fn unfollow(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>, ApiJson(b): ApiJson<UnfollowIn>) -> ApiResult<RelationOut> {
    let user = load_user(&st, &id).await?;
    let now = st.clock.now().await?;
    let (f, changed) = st
        .store
        .unfollow(&b.appid, &user.id, now)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_following", "the user does not follow this account"))?;
    if changed {
        crate::conversation::receive(&st, &user, &b.appid, Inbound::Event(UserEvent::Unsubscribe)).await?;
    }
    Ok(Json(relation_out(&st, &f).await?))
}

pub async fn following(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>) -> ApiResult<RelationList> {
    let user = load_user(&st, &id).await?;
    let mut out = Vec::new();
    for f in st.store.relations_of_user(&user.id).await?.iter().filter(|f| f.subscribed) {
        out.push(relation_out(&st, f).await?);
    }
    Ok(Json(RelationList { following: out }))
}
