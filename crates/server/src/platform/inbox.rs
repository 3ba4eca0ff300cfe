//! The console's messages: an account's inbox (followers who interacted, latest first), one
//! follower's conversation with the 48-hour window's time left, and replying as an agent with a
//! text customer-service message while the window is open (the reason when it is not).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use herald_domain::conversation::{window_left, window_open};
use herald_store::{Direction, FollowerRow, NewMessage};
use herald_wire::platform::console::FollowerOut;
use serde::Deserialize;
use serde_json::{json, Value};

use super::console::AccountAccess;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::AppState;

/// A follower as the console lists it, with the window's time left at `now`.
pub(super) fn follower_out(r: FollowerRow, now: i64) -> FollowerOut {
    FollowerOut {
        window_left: window_left(r.last_interaction_at, now),
        openid: r.openid,
        nickname: r.nickname,
        remark: r.remark,
        subscribe_time: r.subscribe_time,
        blacklisted: r.blacklisted,
    }
}

/// `GET /herald/v1/accounts/{appid}/inbox`: the 50 followers who interacted last, latest first,
/// each with its window's time left.
pub async fn inbox(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    let now = st.clock.now().await?;
    let rows = st.store.inbox(&a.account.appid, 50).await?;
    let out: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let at = r.last_interaction_at;
            let mut v = serde_json::to_value(follower_out(r, now)).unwrap_or(Value::Null);
            v["last_interaction_at"] = json!(at);
            v
        })
        .collect();
    Ok(Json(json!({"conversations": out})))
}

/// The subscribed follower `openid` of the account, as the console lists it.
async fn follower(st: &AppState, a: &AccountAccess, openid: &str) -> Result<(herald_store::Follower, String), ApiError> {
    let f = st.store.follower_by_openid(&a.account.appid, openid).await?.filter(|f| f.subscribed).ok_or_else(|| ApiError::not_found("follower"))?;
    let nickname = st.store.user(&f.user_id).await?.map(|u| u.nickname).unwrap_or_default();
    Ok((f, nickname))
}

/// `GET /herald/v1/accounts/{appid}/followers/{openid}/messages`: the last 100 messages (oldest
/// first) and the follower, with the window's time left.
pub async fn conversation(State(st): State<AppState>, a: AccountAccess, Path((_, openid)): Path<(String, String)>) -> ApiResult<Value> {
    let (f, nickname) = follower(&st, &a, &openid).await?;
    let now = st.clock.now().await?;
    let msgs = st.store.recent_messages(&a.account.appid, &f.user_id, 100).await?;
    let out = FollowerOut {
        window_left: window_left(f.last_interaction_at, now),
        openid: f.openid.as_str().to_string(),
        nickname,
        remark: f.remark.clone(),
        subscribe_time: f.subscribe_time,
        blacklisted: f.blacklisted,
    };
    Ok(Json(json!({"follower": out, "messages": msgs.iter().map(crate::conversation::message_json).collect::<Vec<_>>()})))
}

#[derive(Debug, Deserialize)]
pub struct ReplyIn {
    /// The text to send (1 to 2,000 characters).
    pub content: String,
}

/// `POST /herald/v1/accounts/{appid}/followers/{openid}/messages`: a text customer-service
/// message from an agent. 409 `window_closed` when the follower has not interacted in the last
/// 48 hours, 409 `blacklisted` for a blacklisted follower, 403 `not_permitted` for an account
/// type without customer service.
pub async fn reply(State(st): State<AppState>, a: AccountAccess, Path((_, openid)): Path<(String, String)>, ApiJson(b): ApiJson<ReplyIn>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let content = b.content.trim();
    if content.is_empty() || content.chars().count() > 2000 {
        return Err(ApiError::bad_request("a reply is 1 to 2,000 characters"));
    }
    if herald_domain::account::permit(a.kind(), herald_domain::account::Capability::CustomerService).is_err() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "not_permitted", "this account type cannot send customer-service messages"));
    }
    let (f, _) = follower(&st, &a, &openid).await?;
    if f.blacklisted {
        return Err(ApiError::new(StatusCode::CONFLICT, "blacklisted", "this follower is on the blacklist"));
    }
    let now = st.clock.now().await?;
    if !window_open(f.last_interaction_at, now) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "window_closed",
            "the 48-hour window is closed: the follower has not sent a message, followed, scanned or tapped the menu in the last 48 hours",
        ));
    }
    let stored = st
        .store
        .append_outbound(&NewMessage {
            appid: a.account.appid.clone(),
            user_id: f.user_id,
            openid: f.openid,
            direction: Direction::Out,
            source: "custom".into(),
            msg_type: "text".into(),
            body: json!({"content": content}).to_string(),
            created_at: now,
        })
        .await?;
    st.live.poke();
    Ok((StatusCode::CREATED, Json(crate::conversation::message_json(&stored))))
}

#[derive(Debug, Default, Deserialize)]
pub struct FollowerEdit {
    /// At most 30 characters; empty clears it.
    #[serde(default)]
    pub remark: Option<String>,
    #[serde(default)]
    pub blacklisted: Option<bool>,
    /// The follower's tags, replacing those it has (at most 20, the account's own).
    #[serde(default)]
    pub tag_ids: Option<Vec<i64>>,
}

/// `GET /herald/v1/accounts/{appid}/followers/{openid}`: the follower with its tags.
pub async fn show(State(st): State<AppState>, a: AccountAccess, Path((_, openid)): Path<(String, String)>) -> ApiResult<Value> {
    let (f, nickname) = follower(&st, &a, &openid).await?;
    let now = st.clock.now().await?;
    Ok(Json(profile_json(&f, nickname, now)))
}

fn profile_json(f: &herald_store::Follower, nickname: String, now: i64) -> Value {
    json!({
        "openid": f.openid,
        "nickname": nickname,
        "remark": f.remark,
        "blacklisted": f.blacklisted,
        "tag_ids": f.tag_ids,
        "subscribe_time": f.subscribe_time,
        "subscribe_scene": f.subscribe_scene,
        "qr_scene": f.qr_scene,
        "qr_scene_str": f.qr_scene_str,
        "window_left": window_left(f.last_interaction_at, now),
    })
}

/// `PUT /herald/v1/accounts/{appid}/followers/{openid}`: the fields given of the remark, the blacklist and the
/// tags, under the rules of `/cgi-bin/user/info/updateremark`, `members/batchblacklist` and
/// `tags/members/batchtagging` (400 naming the errcode). Every field is checked before any is
/// written.
pub async fn edit(State(st): State<AppState>, a: AccountAccess, Path((_, openid)): Path<(String, String)>, ApiJson(b): ApiJson<FollowerEdit>) -> ApiResult<Value> {
    let (f, nickname) = follower(&st, &a, &openid).await?;
    let appid = &a.account.appid;
    let refused = |e: herald_wire::ErrCode| super::console::refused(e.into());
    if let Some(r) = &b.remark {
        herald_domain::follower::check_remark(r).map_err(refused)?;
    }
    let (add, drop): (Vec<i64>, Vec<i64>) = match &b.tag_ids {
        None => (vec![], vec![]),
        Some(want) => {
            let mine: Vec<i64> = st.store.tags(appid).await?.iter().map(|t| t.id).collect();
            if let Some(bad) = want.iter().find(|t| !mine.contains(t)) {
                return Err(ApiError::bad_request(format!("no tag {bad} on this account")));
            }
            if want.len() > herald_domain::tags::MAX_TAGS_PER_FOLLOWER {
                return Err(refused(herald_wire::ErrCode::UserTooManyTags));
            }
            (want.iter().filter(|t| !f.tag_ids.contains(t)).copied().collect(), f.tag_ids.iter().filter(|t| !want.contains(t)).copied().collect())
        }
    };
    let one = [f.openid.as_str().to_string()];
    if let Some(r) = &b.remark {
        st.store.set_remark(appid, &one[0], r).await?;
    }
    if let Some(on) = b.blacklisted {
        st.store.set_blacklisted(appid, &one, on).await?;
    }
    for t in drop {
        st.store.set_tagged(appid, t, &one, false).await?;
    }
    for t in add {
        st.store.set_tagged(appid, t, &one, true).await?;
    }
    let (f, _) = follower(&st, &a, &openid).await?;
    Ok(Json(profile_json(&f, nickname, st.clock.now().await?)))
}

/// `GET /herald/v1/accounts/{appid}/quick_replies`: the phrases agents keep at hand, in order.
pub async fn quick_replies(State(st): State<AppState>, a: AccountAccess) -> ApiResult<herald_wire::platform::console::QuickRepliesIo> {
    Ok(Json(herald_wire::platform::console::QuickRepliesIo { replies: st.store.quick_replies(&a.account.appid).await? }))
}

/// `PUT /herald/v1/accounts/{appid}/quick_replies`: replaces them (trimmed, blank ones dropped;
/// 400 over 50 or over 600 characters, changing nothing).
pub async fn set_quick_replies(
    State(st): State<AppState>,
    a: AccountAccess,
    ApiJson(b): ApiJson<herald_wire::platform::console::QuickRepliesIo>,
) -> ApiResult<herald_wire::platform::console::QuickRepliesIo> {
    let replies = herald_domain::console::check_quick_replies(&b.replies).map_err(ApiError::bad_request)?;
    st.store.set_quick_replies(&a.account.appid, &replies).await?;
    Ok(Json(herald_wire::platform::console::QuickRepliesIo { replies }))
}
