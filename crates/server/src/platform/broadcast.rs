//! The console's mass messages: the account's tags, a preview of whom a mass message would reach
//! and how many the quota filters out (subscription accounts: one a day; service accounts: four
//! per follower a month), sending one (through `/cgi-bin/message/mass/sendall`'s own checks and
//! queue), and the history with sent, filtered and failed counts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use herald_domain::account::AccountType;
use herald_domain::broadcast::{self, SUBSCRIPTION_PER_DAY};
use herald_domain::time::{day_start, CST_OFFSET};
use serde::Deserialize;
use serde_json::{json, Value};

use super::console::AccountAccess;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::state::AppState;

/// `GET /herald/v1/accounts/{appid}/tags`: the account's tags with their follower counts.
pub async fn tags(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    let tags = st.store.tags(&a.account.appid).await?;
    Ok(Json(json!({"tags": tags.iter().map(|t| json!({"id": t.id, "name": t.name, "count": t.count})).collect::<Vec<_>>()})))
}

#[derive(Debug, Default, Deserialize)]
pub struct Audience {
    /// A tag's id; absent: every follower.
    #[serde(default)]
    pub tag_id: Option<i64>,
}

async fn target(st: &AppState, a: &AccountAccess, aud: &Audience) -> Result<Value, ApiError> {
    match aud.tag_id {
        None => Ok(json!({"all": true})),
        Some(t) => {
            if !st.store.tags(&a.account.appid).await?.iter().any(|tag| tag.id == t) {
                return Err(ApiError::bad_request("no such tag"));
            }
            Ok(json!({"tag_id": t}))
        }
    }
}

/// `POST /herald/v1/accounts/{appid}/mass/preview`: whom a mass message to everyone or a tag
/// would reach now, changing nothing: `targeted` followers, `filtered` by the monthly quota
/// (service accounts), `recipients`, and the daily limit (subscription accounts: `sent_today`
/// of `daily_limit`; `allowed` false once it is used, with the `reason`).
pub async fn preview(State(st): State<AppState>, a: AccountAccess, ApiJson(aud): ApiJson<Audience>) -> ApiResult<Value> {
    let target = target(&st, &a, &aud).await?;
    let now = st.clock.now().await?;
    let (targeted, filtered, sent_today) = st.store.mass_reach(&a.account.appid, &target, broadcast::month_key(now), day_start(now, CST_OFFSET)).await?;
    let service = a.account.ty == AccountType::Service;
    let filtered = if service { filtered } else { 0 };
    let (allowed, reason) = if broadcast::permit(a.kind(), false).is_err() {
        (false, Some("this account may not send mass messages"))
    } else if !service && sent_today >= SUBSCRIPTION_PER_DAY {
        (false, Some("a subscription account sends one mass message a day, and today's is sent"))
    } else {
        (true, None)
    };
    Ok(Json(json!({
        "targeted": targeted,
        "filtered": filtered,
        "recipients": if allowed { targeted - filtered } else { 0 },
        "sent_today": sent_today,
        "daily_limit": if service { Value::Null } else { json!(SUBSCRIPTION_PER_DAY) },
        "monthly_limit_per_follower": if service { json!(broadcast::PER_FOLLOWER_PER_MONTH) } else { Value::Null },
        "allowed": allowed,
        "reason": reason,
    })))
}

#[derive(Debug, Deserialize)]
pub struct MassIn {
    #[serde(default)]
    pub tag_id: Option<i64>,
    /// The text to send (a text mass message)…
    #[serde(default)]
    pub content: Option<String>,
    /// …or a draft's media_id (an mpnews mass message with its articles).
    #[serde(default)]
    pub media_id: Option<String>,
}

/// `POST /herald/v1/accounts/{appid}/mass`: sends a text mass message, or a draft's articles
/// (mpnews), to everyone or a tag,
/// under `/cgi-bin/message/mass/sendall`'s rules (400 `refused` naming WeChat's errcode, e.g.
/// 45028 once a subscription account's daily message is sent). 202 with the `msg_id`: the
/// fan-out runs in the background.
pub async fn send(State(st): State<AppState>, a: AccountAccess, ApiJson(b): ApiJson<MassIn>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let target = target(&st, &a, &Audience { tag_id: b.tag_id }).await?;
    broadcast::permit(a.kind(), false).map_err(|e| super::console::refused(e.into()))?;
    let caller = a.caller(&st).await?;
    let body = match (&b.content, &b.media_id) {
        (Some(text), None) => json!({"msgtype": "text", "text": {"content": text}}),
        (None, Some(id)) => json!({"msgtype": "mpnews", "mpnews": {"media_id": id}, "send_ignore_reprint": 0}),
        _ => return Err(ApiError::bad_request("give exactly one of content (text) and media_id (a draft's articles)")),
    };
    let sent = crate::cgi::mass::queue(&st, &caller, &body, target, true).await.map_err(super::console::refused)?;
    Ok((StatusCode::ACCEPTED, Json(json!({"msg_id": sent.0["msg_id"]}))))
}

/// `GET /herald/v1/accounts/{appid}/mass`: the last 50 mass messages, newest first, with their
/// audience, status and counts.
pub async fn history(State(st): State<AppState>, a: AccountAccess) -> ApiResult<Value> {
    let list = st.store.mass_history(&a.account.appid, 50).await?;
    let out: Vec<Value> = list
        .iter()
        .map(|m| {
            let payload: Value = serde_json::from_str(&m.payload).unwrap_or(Value::Null);
            let first_title = m.articles.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()).and_then(|v| v[0]["title"].as_str().map(str::to_string));
            json!({
                "msg_id": m.msg_id,
                "msgtype": m.msgtype,
                "preview": broadcast::preview(&m.msgtype, &payload, first_title.as_deref()),
                "target": serde_json::from_str::<Value>(&m.target).unwrap_or(Value::Null),
                "status": m.status,
                "total": m.total,
                "filtered": m.filtered,
                "sent": m.sent,
                "errors": m.errors,
                "created_at": m.created_at,
                "finished_at": m.finished_at,
            })
        })
        .collect();
    Ok(Json(json!({"mass_messages": out})))
}

#[derive(Debug, Deserialize)]
pub struct TagNameIn {
    pub name: String,
}

fn tag_request(id: Option<i64>, name: Option<String>) -> Result<herald_wire::cgi::tags::TagRequest, ApiError> {
    serde_json::from_value(json!({"tag": {"id": id, "name": name}})).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// `POST /herald/v1/accounts/{appid}/tags`: `{name}` → `{id, name}`, under `/cgi-bin/tags/create`'s
/// rules (400 refused naming the errcode: a name over 30 characters, a taken name, 100 tags).
pub async fn create_tag(State(st): State<AppState>, a: AccountAccess, ApiJson(b): ApiJson<TagNameIn>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let c = a.caller(&st).await?;
    let Json(out) = crate::cgi::tags::create(State(st), c, crate::extract::WxJson(tag_request(None, Some(b.name))?)).await.map_err(super::console::refused)?;
    Ok((StatusCode::CREATED, Json(json!({"id": out.tag.id, "name": out.tag.name}))))
}

/// `PUT /herald/v1/accounts/{appid}/tags/{id}`: renames a tag (`{name}`), as `tags/update`.
pub async fn rename_tag(State(st): State<AppState>, a: AccountAccess, axum::extract::Path((_, id)): axum::extract::Path<(String, i64)>, ApiJson(b): ApiJson<TagNameIn>) -> ApiResult<Value> {
    let c = a.caller(&st).await?;
    let _ok = crate::cgi::tags::update(State(st), c, crate::extract::WxJson(tag_request(Some(id), Some(b.name.clone()))?)).await.map_err(super::console::refused)?;
    Ok(Json(json!({"id": id, "name": b.name})))
}

/// `DELETE /herald/v1/accounts/{appid}/tags/{id}`: as `tags/delete` (its followers lose it).
pub async fn delete_tag(State(st): State<AppState>, a: AccountAccess, axum::extract::Path((_, id)): axum::extract::Path<(String, i64)>) -> ApiResult<Value> {
    let c = a.caller(&st).await?;
    let _ok = crate::cgi::tags::delete(State(st), c, crate::extract::WxJson(tag_request(Some(id), None)?)).await.map_err(super::console::refused)?;
    Ok(Json(json!({"deleted": id})))
}
