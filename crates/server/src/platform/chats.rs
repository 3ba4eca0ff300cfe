//! A follower's view, for the web client: the chat list (conversations and service accounts'
//! pushes, newest first, with unread counts; subscription accounts folded into one
//! "Subscriptions" entry) and the subscription folder (subscription accounts' articles).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use herald_domain::account::AccountType;
use herald_domain::broadcast::preview;
use herald_store::{MassMessage, StoredMessage};
use herald_wire::AppId;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::cgi::content::mass_article_url;
use super::users::load_user;
use crate::error::ApiResult;
use crate::extract::ActingFor;
use crate::extract::Operator;
use crate::state::AppState;

/// A mass message as the follower sees it.
pub fn push_json(st: &AppState, m: &MassMessage, account_name: &str) -> Value {
    let payload: Value = serde_json::from_str(&m.payload).unwrap_or(Value::Null);
    let articles: Vec<Value> = m
        .articles
        .as_deref()
        .and_then(|a| serde_json::from_str::<Value>(a).ok())
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(|(i, _)| !herald_domain::broadcast::is_deleted(&m.deleted, i + 1))
        .map(|(i, a)| {
            json!({
                "title": a["title"], "author": a["author"], "digest": a["digest"],
                "thumb_media_id": a["thumb_media_id"], "url": mass_article_url(st, &m.appid, m.msg_id, i),
            })
        })
        .collect();
    let first_title = articles.first().and_then(|a| a["title"].as_str()).map(str::to_string);
    json!({
        "kind": "push", "appid": m.appid, "account_name": account_name, "msg_id": m.msg_id, "msgtype": m.msgtype,
        "content": payload, "articles": articles, "preview": preview(&m.msgtype, &payload, first_title.as_deref()),
        "created_at": m.created_at,
    })
}

fn message_preview(s: &StoredMessage) -> String {
    let body: Value = serde_json::from_str(&s.message.body).unwrap_or(Value::Null);
    let title = body.get("articles").and_then(|a| a.get(0)).and_then(|a| a.get("title")).and_then(Value::as_str);
    preview(&s.message.msg_type, &body, title)
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub limit: Option<usize>,
}

/// `GET /herald/v1/users/{id}/chats`.
pub async fn chats(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>) -> ApiResult<Value> {
    let user = load_user(&st, &id).await?;
    let reads: HashMap<AppId, (i64, i64)> = st.store.chat_reads(&user.id).await?.into_iter().map(|r| (r.appid, (r.read_seq, r.read_at))).collect();
    let pushes = st.store.mass_inbox(&user.id, 200).await?;
    let mut entries: Vec<(i64, Value)> = Vec::new();
    let (mut folder_unread, mut folder_last): (i64, Option<Value>) = (0, None);
    for f in st.store.relations_of_user(&user.id).await? {
        let Some(account) = st.store.account(f.appid.as_str()).await? else { continue };
        let (read_seq, read_at) = reads.get(&f.appid).copied().unwrap_or((0, 0));
        let (last_msg, unread_msgs) = st.store.chat_tail(&f.appid, &user.id, read_seq).await?;
        let mine: Vec<&MassMessage> = pushes.iter().filter(|m| m.appid == f.appid).collect();
        let unread_pushes = mine.iter().filter(|m| m.created_at > read_at).count() as i64;
        let last_push = mine.first().map(|m| push_json(&st, m, &account.name));
        if account.ty == AccountType::Subscription {
            folder_unread += unread_pushes;
            if let Some(p) = last_push {
                if folder_last.as_ref().is_none_or(|l| l["created_at"].as_i64() < p["created_at"].as_i64()) {
                    folder_last = Some(p);
                }
            }
        }
        let push_for_chat = if account.ty == AccountType::Service { mine.first().copied() } else { None };
        let last = match (&last_msg, push_for_chat) {
            (Some(m), Some(p)) if p.created_at > m.message.created_at => Some(json!({"kind": "push", "msgtype": p.msgtype, "preview": push_json(&st, p, &account.name)["preview"], "created_at": p.created_at})),
            (Some(m), _) => Some(json!({"kind": "message", "msgtype": m.message.msg_type, "preview": message_preview(m), "created_at": m.message.created_at, "seq": m.seq})),
            (None, Some(p)) => Some(json!({"kind": "push", "msgtype": p.msgtype, "preview": push_json(&st, p, &account.name)["preview"], "created_at": p.created_at})),
            (None, None) => None,
        };
        let Some(last) = last else { continue };
        let unread = unread_msgs + if account.ty == AccountType::Service { unread_pushes } else { 0 };
        let at = last["created_at"].as_i64().unwrap_or(0);
        entries.push((at, json!({
            "kind": "account", "appid": f.appid, "name": account.name, "account_type": account.ty.as_str(),
            "following": f.subscribed, "last": last, "unread": unread, "notify": account.ty == AccountType::Service,
        })));
    }
    if let Some(last) = folder_last {
        let at = last["created_at"].as_i64().unwrap_or(0);
        entries.push((at, json!({"kind": "subscriptions", "name": "Subscriptions", "last": last, "unread": folder_unread, "notify": false})));
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    Ok(Json(json!({"chats": entries.into_iter().map(|(_, v)| v).collect::<Vec<_>>()})))
}

/// `GET /herald/v1/users/{id}/subscriptions`: the subscription folder, newest first.
pub async fn folder(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>, Query(q): Query<ListQuery>) -> ApiResult<Value> {
    let user = load_user(&st, &id).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let mut names: HashMap<AppId, Option<(String, AccountType)>> = HashMap::new();
    let mut items = Vec::new();
    for m in st.store.mass_inbox(&user.id, limit).await? {
        if !names.contains_key(&m.appid) {
            let a = st.store.account(m.appid.as_str()).await?.map(|a| (a.name, a.ty));
            names.insert(m.appid.clone(), a);
        }
        if let Some(Some((name, AccountType::Subscription))) = names.get(&m.appid) {
            items.push(push_json(&st, &m, name));
        }
    }
    Ok(Json(json!({"items": items})))
}

/// `POST /herald/v1/users/{id}/chats/{appid}/read`: everything in that chat so far is read.
pub async fn mark_read(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>) -> ApiResult<Value> {
    let user = load_user(&st, &id).await?;
    let appid = AppId(appid);
    let (last, _) = st.store.chat_tail(&appid, &user.id, 0).await?;
    let now = st.clock.now().await?;
    st.store.mark_read(&user.id, &appid, last.map_or(0, |m| m.seq), now).await?;
    Ok(Json(json!({"ok": true})))
}

/// `GET /herald/v1/users/{id}/pushes/{appid}`: the mass messages this user received from one
/// account, newest first (with template messages, they are what a service account's chat shows
/// besides the conversation).
pub async fn pushes(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>) -> ApiResult<Value> {
    let user = load_user(&st, &id).await?;
    let appid = AppId(appid);
    let name = st.store.account(appid.as_str()).await?.map(|a| a.name).unwrap_or_default();
    let items: Vec<Value> = st.store.mass_inbox(&user.id, 500).await?.iter().filter(|m| m.appid == appid).map(|m| push_json(&st, m, &name)).collect();
    Ok(Json(json!({"pushes": items})))
}

/// `GET /herald/v1/template-library`: the platform's templates accounts add by short id.
pub async fn template_library(_: Operator) -> ApiResult<Value> {
    let list: Vec<Value> = herald_domain::template::LIBRARY
        .iter()
        .map(|t| {
            let ind = herald_domain::template::industry_json(Some(t.industry));
            json!({"template_id_short": t.short_id, "title": t.title, "industry_id": t.industry,
                   "primary_industry": ind["first_class"], "deputy_industry": ind["second_class"],
                   "content": t.content, "example": t.example})
        })
        .collect();
    Ok(Json(json!({"templates": list})))
}
