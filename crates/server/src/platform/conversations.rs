//! Simulated users talking to accounts, conversations, the delivery log, redelivery and
//! auto-replies.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use herald_domain::conversation::{menu_option, Inbound, UserEvent, UserMessage};
use herald_store::{Direction, Job};
use herald_wire::platform::deliveries::{AttemptOut, DeliveryList, DeliveryOut, RequeuedOut};
use herald_wire::{AppId, UserId};
use serde::Deserialize;
use serde_json::{json, Value};

use super::users::load_user;
use crate::clock::system_now_ms;
use crate::conversation::{message_json, receive, AutoReplies};
use crate::error::{ApiError, ApiResult};
use super::console::AccountAccess;
use crate::extract::{ActingFor, ApiJson};
use crate::state::AppState;

fn appid_of(body: &Value) -> Result<AppId, ApiError> {
    body.get("appid").and_then(Value::as_str).map(AppId::from).ok_or_else(|| ApiError::bad_request("appid is required"))
}

/// `POST /herald/v1/users/{id}/messages` `{"appid", "msgtype", ...}`.
pub async fn send_message(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>, ApiJson(body): ApiJson<Value>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = load_user(&st, &id).await?;
    let appid = appid_of(&body)?;
    let mut body = body;
    // A picture the follower sends (base64 in `image`) becomes a temporary medium of the
    // account, as WeChat's do: PicUrl and MediaId in the callback, media/get for the account.
    if body.get("msgtype").and_then(Value::as_str) == Some("image") {
        if let Some(data) = body.get("image").and_then(Value::as_str) {
            let (pic_url, media_id) = user_image(&st, &appid, data).await?;
            body["pic_url"] = json!(pic_url);
            body["media_id"] = json!(media_id);
        }
    }
    let mut msg: UserMessage = serde_json::from_value(body).map_err(|e| ApiError::bad_request(format!("invalid message: {e}")))?;
    if let UserMessage::Text { content, bizmsgmenuid: Some(id) } = &mut msg {
        let option = menu_choice(&st, &user.id, &appid, id).await?;
        if !content.is_empty() && *content != option {
            return Err(ApiError::bad_request(format!("option {id} of the menu message reads {option:?}, not {content:?}")));
        }
        *content = option;
    }
    msg.check().map_err(ApiError::bad_request)?;
    let stored = receive(&st, &user, &appid, Inbound::Message(msg)).await?;
    Ok((StatusCode::CREATED, Json(message_json(&stored))))
}

/// The largest picture a follower sends (WeChat's image media limit).
const USER_IMAGE_MAX: usize = 10 << 20;

/// Stores a follower's picture as a temporary image medium of the account: its URL (on the
/// content origin) and media id.
async fn user_image(st: &AppState, appid: &AppId, b64: &str) -> Result<(String, String), ApiError> {
    use base64::Engine;
    let b64 = b64.split_once(',').map_or(b64, |(head, rest)| if head.starts_with("data:") { rest } else { b64 });
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64.trim()).map_err(|_| ApiError::bad_request("image is not base64"))?;
    if bytes.is_empty() || bytes.len() > USER_IMAGE_MAX {
        return Err(ApiError::bad_request("a picture is 1 byte to 10 MB"));
    }
    let content_type = crate::cgi::content::sniff(&bytes);
    if !matches!(content_type, "image/png" | "image/jpeg" | "image/gif") {
        return Err(ApiError::bad_request("a picture is a PNG, JPEG or GIF"));
    }
    let hash = st.blobs.put(&bytes).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let now = st.clock.now().await?;
    let m = herald_store::Media {
        media_id: herald_domain::content::media_id(&mut rand::thread_rng()),
        appid: appid.clone(),
        kind: "temp".into(),
        media_type: "image".into(),
        blob_hash: Some(hash.clone()),
        filename: "image".into(),
        content_type: content_type.into(),
        size: bytes.len() as i64,
        meta: "{}".into(),
        created_at: now,
        updated_at: now,
        expires_at: Some(now + herald_domain::content::TEMP_MEDIA_SECS),
    };
    st.store.put_media(&m).await?;
    Ok((crate::cgi::content::file_url(st, &hash), m.media_id))
}

/// The text of option `id` of the latest customer-service menu message (msgmenu) in the
/// user's conversation with the account that offers it: what tapping that option sends.
async fn menu_choice(st: &AppState, user: &UserId, appid: &AppId, id: &str) -> Result<String, ApiError> {
    const PAGE: usize = 500;
    let (mut after, mut found) = (0, None);
    loop {
        let page = st.store.conversation(appid, user, after, PAGE, false).await?;
        for m in &page {
            if m.message.direction == Direction::Out && m.message.msg_type == "msgmenu" {
                let body = serde_json::from_str::<Value>(&m.message.body).unwrap_or(Value::Null);
                found = menu_option(&body, id).or(found);
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE => after = last.seq,
            _ => break,
        }
    }
    found.ok_or_else(|| ApiError::bad_request(format!("no menu message in this conversation offers option {id}")))
}

/// `POST /herald/v1/users/{id}/events` `{"appid", "event", ...}`: SCAN, LOCATION, CLICK, VIEW.
/// (Follows and unfollows raise subscribe and unsubscribe themselves.)
pub async fn raise_event(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>, ApiJson(body): ApiJson<Value>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = load_user(&st, &id).await?;
    let appid = appid_of(&body)?;
    let ev: UserEvent = serde_json::from_value(body).map_err(|e| ApiError::bad_request(format!("invalid event: {e}")))?;
    if matches!(ev, UserEvent::Subscribe { .. } | UserEvent::Unsubscribe) {
        return Err(ApiError::bad_request("follow and unfollow raise subscribe and unsubscribe: use /follow and /unfollow"));
    }
    let stored = receive(&st, &user, &appid, Inbound::Event(ev)).await?;
    Ok((StatusCode::CREATED, Json(message_json(&stored))))
}

#[derive(Debug, Deserialize)]
pub struct ConversationQuery {
    #[serde(default)]
    pub after: i64,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub events: bool,
}

/// `GET /herald/v1/users/{id}/conversations/{appid}`: both directions, oldest first.
pub async fn conversation(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>, Query(q): Query<ConversationQuery>) -> ApiResult<Value> {
    let user = load_user(&st, &id).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let msgs = st.store.conversation(&AppId(appid), &user.id, q.after, limit, q.events).await?;
    Ok(Json(json!({"messages": msgs.iter().map(message_json).collect::<Vec<_>>()})))
}

/// The plain text of an encrypted callback body (`<Encrypt>` in safe or compatible mode), for
/// reading in the delivery log; None when the body is not encrypted or does not decrypt.
fn decrypted(crypto: Option<&herald_wire::callback::crypto::MsgCrypto>, body: Option<&str>) -> Option<String> {
    let enc = herald_wire::callback::xml::parse(body?).ok()?.get("Encrypt")?.to_string();
    crypto?.decrypt(&enc).ok()
}

async fn delivery_out(st: &AppState, j: &Job, crypto: Option<&herald_wire::callback::crypto::MsgCrypto>) -> Result<DeliveryOut, ApiError> {
    let attempts = st.store.attempts(j.id).await?;
    Ok(DeliveryOut {
        id: j.id,
        kind: j.kind.clone(),
        state: j.state.clone(),
        message_seq: j.message_seq,
        payload: j.payload.clone(),
        attempts: attempts
            .iter()
            .map(|a| AttemptOut {
                attempt: a.attempt,
                url: a.url.clone(),
                request: a.request.clone(),
                status: a.status,
                response: a.response.clone(),
                latency_ms: a.latency_ms,
                error: a.error.clone(),
                at: a.at,
                request_plain: decrypted(crypto, Some(a.request.as_str())),
                response_plain: decrypted(crypto, a.response.as_deref()),
            })
            .collect(),
        last_error: j.last_error.clone(),
        created_at: j.created_at,
        finished_at: j.finished_at,
    })
}

#[derive(Debug, Deserialize)]
pub struct DeliveryQuery {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

/// `GET /herald/v1/accounts/{appid}/deliveries`: callbacks newest first, each with its attempts.
/// Each attempt carries `request_plain` and `response_plain`: an encrypted body (safe or
/// compatible mode) decrypted with the account's EncodingAESKey, for reading.
pub async fn deliveries(State(st): State<AppState>, a: AccountAccess, Path(appid): Path<String>, Query(q): Query<DeliveryQuery>) -> ApiResult<DeliveryList> {
    let crypto = a.account.server.encoding_aes_key.as_deref().and_then(|k| herald_wire::callback::crypto::MsgCrypto::new(k, a.account.appid.as_str()).ok());
    if let Some(s) = &q.state {
        if !matches!(s.as_str(), "pending" | "done" | "failed") {
            return Err(ApiError::bad_request("state must be pending, done or failed"));
        }
    }
    let jobs = st.store.jobs(&AppId(appid), q.state.as_deref(), q.limit.unwrap_or(100).clamp(1, 1000)).await?;
    let mut out = Vec::with_capacity(jobs.len());
    for j in &jobs {
        out.push(delivery_out(&st, j, crypto.as_ref()).await?);
    }
    Ok(Json(DeliveryList { deliveries: out }))
}

/// `POST /herald/v1/accounts/{appid}/deliveries/{id}/redeliver`.
pub async fn redeliver(State(st): State<AppState>, _: AccountAccess, Path((appid, id)): Path<(String, i64)>) -> ApiResult<RequeuedOut> {
    let job = st.store.job(id).await?.filter(|j| j.appid.as_str() == appid).ok_or_else(|| ApiError::not_found("delivery"))?;
    if !st.store.requeue(job.id, system_now_ms()).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "pending", "the delivery is still pending"));
    }
    st.wake.notify_one();
    Ok(Json(RequeuedOut { requeued: 1 }))
}

/// `POST /herald/v1/accounts/{appid}/deliveries/redeliver_failed`.
pub async fn redeliver_failed(State(st): State<AppState>, _: AccountAccess, Path(appid): Path<String>) -> ApiResult<RequeuedOut> {
    let n = st.store.requeue_failed(&AppId(appid), system_now_ms()).await?;
    st.wake.notify_one();
    Ok(Json(RequeuedOut { requeued: n as i64 }))
}

/// `GET /herald/v1/accounts/{appid}/auto_replies`.
pub async fn get_auto_replies(State(st): State<AppState>, _: AccountAccess, Path(appid): Path<String>) -> ApiResult<AutoReplies> {
    Ok(Json(AutoReplies::stored(&st, &AppId(appid)).await?))
}

/// `PUT /herald/v1/accounts/{appid}/auto_replies`: used when the account has no developer server.
pub async fn set_auto_replies(State(st): State<AppState>, a: AccountAccess, ApiJson(mut b): ApiJson<AutoReplies>) -> ApiResult<AutoReplies> {
    b.check().map_err(ApiError::bad_request)?;
    b.saved_at = st.clock.now().await?;
    let text = serde_json::to_string(&b).map_err(|e| ApiError::bad_request(e.to_string()))?;
    st.store.set_auto_replies(&a.account.appid, &text).await?;
    Ok(Json(b))
}
