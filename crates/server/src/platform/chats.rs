//! A follower's view, for the web client: the chat list (conversations and service accounts'
//! pushes, newest first, with unread counts; subscription accounts folded into one
//! "Subscriptions" entry) and the subscription folder (subscription accounts' articles).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use herald_domain::account::AccountType;
use herald_domain::broadcast::preview;
use herald_store::{MassMessage, StoredMessage};
use herald_wire::platform::chats::{ChatLastOut, ChatList, ChatOut, FolderOut, OkOut, PushArticleOut, PushList, PushOut};
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
pub fn push_out(st: &AppState, m: &MassMessage, account_name: &str) -> PushOut {
    let payload: Value = serde_json::from_str(&m.payload).unwrap_or(Value::Null);
    let articles: Vec<PushArticleOut> = m
        .articles
        .as_deref()
        .and_then(|a| serde_json::from_str::<Value>(a).ok())
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(|(i, _)| !herald_domain::broadcast::is_deleted(&m.deleted, i + 1))
        .map(|(i, a)| {
            PushArticleOut {
                title: a["title"].clone(),
                author: a["author"].clone(),
                digest: a["digest"].clone(),
                thumb_media_id: a["thumb_media_id"].clone(),
                url: mass_article_url(st, &m.appid, m.msg_id, i),
            }
        })
        .collect();
    let first_title = articles.first().and_then(|a| a.title.as_str()).map(str::to_string);
    PushOut {
        kind: "push".into(),
        appid: m.appid.clone(),
        account_name: account_name.to_string(),
        msg_id: m.msg_id,
        msgtype: m.msgtype.clone(),
        preview: preview(&m.msgtype, &payload, first_title.as_deref()),
        content: payload,
        articles,
        created_at: m.created_at,
    }
}

/// A push as the newest thing in a chat (or in the folder's entry).
fn chat_last(p: &PushOut) -> ChatLastOut {
    ChatLastOut { kind: "push".into(), msgtype: p.msgtype.clone(), preview: p.preview.clone(), created_at: p.created_at, seq: None }
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
pub async fn chats(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>) -> ApiResult<ChatList> {
    let user = load_user(&st, &id).await?;
    let reads: HashMap<AppId, (i64, i64)> = st.store.chat_reads(&user.id).await?.into_iter().map(|r| (r.appid, (r.read_seq, r.read_at))).collect();
    let pushes = st.store.mass_inbox(&user.id, 200).await?;
    let mut entries: Vec<ChatOut> = Vec::new();
    let (mut folder_unread, mut folder_last): (i64, Option<PushOut>) = (0, None);
    for f in st.store.relations_of_user(&user.id).await? {
        let Some(account) = st.store.account(f.appid.as_str()).await? else { continue };
        let (read_seq, read_at) = reads.get(&f.appid).copied().unwrap_or((0, 0));
        let (last_msg, unread_msgs) = st.store.chat_tail(&f.appid, &user.id, read_seq).await?;
        let mine: Vec<&MassMessage> = pushes.iter().filter(|m| m.appid == f.appid).collect();
        let unread_pushes = mine.iter().filter(|m| m.created_at > read_at).count() as i64;
        // The newest push, made once: a service account's chat shows it, a subscription
        // account's goes to the folder.
        let last_push = mine.first().map(|m| push_out(&st, m, &account.name));
        let push_for_chat = if account.ty == AccountType::Service { last_push.as_ref() } else { None };
        let last = match (&last_msg, push_for_chat) {
            (Some(m), Some(p)) if p.created_at > m.message.created_at => Some(chat_last(p)),
            (Some(m), _) => Some(ChatLastOut {
                kind: "message".into(),
                msgtype: m.message.msg_type.clone(),
                preview: message_preview(m),
                created_at: m.message.created_at,
                seq: Some(m.seq),
            }),
            (None, Some(p)) => Some(chat_last(p)),
            (None, None) => None,
        };
        if account.ty == AccountType::Subscription {
            folder_unread += unread_pushes;
            if let Some(p) = last_push {
                if folder_last.as_ref().is_none_or(|l| l.created_at < p.created_at) {
                    folder_last = Some(p);
                }
            }
        }
        let Some(last) = last else { continue };
        let unread = unread_msgs + if account.ty == AccountType::Service { unread_pushes } else { 0 };
        entries.push(ChatOut {
            kind: "account".into(),
            appid: Some(f.appid.clone()),
            name: account.name.clone(),
            account_type: Some(account.ty.as_str().into()),
            following: Some(f.subscribed),
            last,
            unread,
            notify: account.ty == AccountType::Service,
        });
    }
    if let Some(p) = folder_last {
        let last = chat_last(&p);
        entries.push(ChatOut {
            kind: "subscriptions".into(),
            appid: None,
            name: "Subscriptions".into(),
            account_type: None,
            following: None,
            last,
            unread: folder_unread,
            notify: false,
        });
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.last.created_at));
    Ok(Json(ChatList { chats: entries }))
}

/// `GET /herald/v1/users/{id}/subscriptions`: the subscription folder, newest first.
pub async fn folder(State(st): State<AppState>, _: ActingFor, Path(id): Path<String>, Query(q): Query<ListQuery>) -> ApiResult<FolderOut> {
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
            items.push(push_out(&st, &m, name));
        }
    }
    Ok(Json(FolderOut { items }))
}

/// `POST /herald/v1/users/{id}/chats/{appid}/read`: everything in that chat so far is read.
pub async fn mark_read(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>) -> ApiResult<OkOut> {
    let user = load_user(&st, &id).await?;
    let appid = AppId(appid);
    let (last, _) = st.store.chat_tail(&appid, &user.id, 0).await?;
    let now = st.clock.now().await?;
    st.store.mark_read(&user.id, &appid, last.map_or(0, |m| m.seq), now).await?;
    Ok(Json(OkOut { ok: true }))
}

/// `GET /herald/v1/users/{id}/pushes/{appid}`: the mass messages this user received from one
/// account, newest first (with template messages, they are what a service account's chat shows
/// besides the conversation).
pub async fn pushes(State(st): State<AppState>, _: ActingFor, Path((id, appid)): Path<(String, String)>) -> ApiResult<PushList> {
    let user = load_user(&st, &id).await?;
    let appid = AppId(appid);
    let name = st.store.account(appid.as_str()).await?.map(|a| a.name).unwrap_or_default();
    let pushes = st.store.mass_inbox(&user.id, 500).await?.iter().filter(|m| m.appid == appid).map(|m| push_out(&st, m, &name)).collect();
    Ok(Json(PushList { pushes }))
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
