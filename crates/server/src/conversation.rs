//! What happens when a user sends a message or raises an event: it is stored (before anything
//! is sent), the 48-hour window restarts if it should, and then either a delivery job goes to
//! the account's developer server or the account's auto-replies answer.

use herald_domain::conversation::{Inbound, UserEvent};
use herald_store::{Direction, NewMessage, StoredMessage, User};
use herald_wire::AppId;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::system_now_ms;
use crate::error::ApiError;
use crate::state::AppState;

/// An account's auto-replies, used when it has no developer server.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AutoReplies {
    /// Sent when someone follows.
    #[serde(default)]
    pub subscribe: Option<Value>,
    /// Sent for a message no keyword matches.
    #[serde(default, rename = "default")]
    pub fallback: Option<Value>,
    #[serde(default)]
    pub keywords: Vec<KeywordReply>,
    /// When the rules were last saved (set by Herald, not by the caller); WeChat's
    /// `create_time` of each keyword rule.
    #[serde(default)]
    pub saved_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeywordReply {
    pub keyword: String,
    /// `equal` (the default) or `contain`.
    #[serde(default = "equal", rename = "match")]
    pub mode: String,
    pub reply: Value,
}

fn equal() -> String {
    "equal".into()
}

/// A reply must be `{"msgtype": text|image|voice|video|music|news, ...}` with its fields.
pub fn check_reply(r: &Value) -> Result<(), String> {
    let ty = r.get("msgtype").and_then(Value::as_str).ok_or("a reply needs a msgtype")?;
    let need = |f: &str| match r.get(f) {
        Some(Value::String(s)) if !s.is_empty() => Ok(()),
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= 8 => Ok(()),
        _ => Err(format!("a {ty} reply needs {f}")),
    };
    match ty {
        "text" => need("content"),
        "image" | "voice" | "video" => need("media_id"),
        "music" => need("musicurl"),
        "news" => need("articles"),
        other => Err(format!("unknown reply msgtype {other:?}")),
    }
}

impl AutoReplies {
    /// The account's saved rules; none saved (or unreadable) is no rules.
    pub async fn stored(st: &AppState, appid: &AppId) -> Result<AutoReplies, herald_store::StoreError> {
        Ok(st.store.auto_replies(appid).await?.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
    }

    pub fn check(&self) -> Result<(), String> {
        for r in self.subscribe.iter().chain(self.fallback.iter()).chain(self.keywords.iter().map(|k| &k.reply)) {
            check_reply(r)?;
        }
        for k in &self.keywords {
            if k.keyword.is_empty() || !matches!(k.mode.as_str(), "equal" | "contain") {
                return Err("a keyword must be non-empty and match \"equal\" or \"contain\"".into());
            }
        }
        Ok(())
    }

    /// `GET /cgi-bin/get_current_autoreply_info`: these rules in WeChat's shape. `active` is
    /// false when a developer server answers the account's messages instead, as WeChat turns
    /// the console's auto-replies off in developer mode.
    pub fn wechat_info(&self, active: bool) -> Value {
        let on = |set: bool| i64::from(active && set);
        let mut out = json!({
            "is_add_friend_reply_open": on(self.subscribe.is_some()),
            "is_autoreply_open": on(self.fallback.is_some() || !self.keywords.is_empty()),
        });
        if let Some(r) = &self.subscribe {
            out["add_friend_autoreply_info"] = reply_info(r);
        }
        if let Some(r) = &self.fallback {
            out["message_default_autoreply_info"] = reply_info(r);
        }
        if !self.keywords.is_empty() {
            let list: Vec<Value> = self
                .keywords
                .iter()
                .map(|k| {
                    json!({
                        "rule_name": k.keyword,
                        "create_time": self.saved_at,
                        "reply_mode": "reply_all",
                        "keyword_list_info": [{"type": "text", "match_mode": k.mode, "content": k.keyword}],
                        "reply_list_info": [reply_info(&k.reply)],
                    })
                })
                .collect();
            out["keyword_autoreply_info"] = json!({ "list": list });
        }
        out
    }

    /// The reply to send for this inbound, if any.
    pub fn answer(&self, inbound: &Inbound) -> Option<&Value> {
        match inbound {
            Inbound::Event(UserEvent::Subscribe { .. }) => self.subscribe.as_ref(),
            Inbound::Event(_) => None,
            Inbound::Message(m) => {
                let text = match m {
                    herald_domain::conversation::UserMessage::Text { content, .. } => Some(content.as_str()),
                    _ => None,
                };
                let hit = text.and_then(|t| {
                    self.keywords.iter().find(|k| if k.mode == "contain" { t.contains(&k.keyword) } else { t.trim() == k.keyword })
                });
                hit.map(|k| &k.reply).or(self.fallback.as_ref())
            }
        }
    }
}

/// One reply as `get_current_autoreply_info` shows it: `{type, content}` (the text, or the
/// media_id of an image, voice or video), or `{type: "news", news_info: {list}}`. WeChat's
/// console has no music reply; Herald's shows as `{type: "music", content: <musicurl>}`.
fn reply_info(r: &Value) -> Value {
    let field = |k: &str| r.get(k).cloned().unwrap_or_else(|| json!(""));
    match r.get("msgtype").and_then(Value::as_str).unwrap_or_default() {
        "text" => json!({"type": "text", "content": field("content")}),
        "image" => json!({"type": "img", "content": field("media_id")}),
        ty @ ("voice" | "video") => json!({"type": ty, "content": field("media_id")}),
        "music" => json!({"type": "music", "content": field("musicurl")}),
        _ => {
            let articles = r.get("articles").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            let list: Vec<Value> = articles
                .iter()
                .map(|a| {
                    let f = |k: &str| a.get(k).cloned().unwrap_or_else(|| json!(""));
                    json!({
                        "title": f("title"), "author": "", "digest": f("description"), "show_cover": 1,
                        "cover_url": f("picurl"), "content_url": f("url"), "source_url": "",
                    })
                })
                .collect();
            json!({"type": "news", "news_info": {"list": list}})
        }
    }
}

/// Stores what `user` sent or raised to `appid` and sets its delivery in motion.
pub async fn receive(st: &AppState, user: &User, appid: &AppId, inbound: Inbound) -> Result<StoredMessage, ApiError> {
    let account = st.store.account(appid.as_str()).await?.ok_or_else(|| ApiError::not_found("account"))?;
    let follower = st.store.follower_by_user(appid, &user.id).await?;
    let follower = match follower {
        Some(f) if f.subscribed || matches!(inbound, Inbound::Event(UserEvent::Unsubscribe)) => f,
        _ => {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "not_following",
                "the user must follow the account to message it",
            ))
        }
    };
    let now = st.clock.now().await?;
    let is_message = matches!(inbound, Inbound::Message(_));
    let msg = NewMessage {
        appid: appid.clone(),
        user_id: user.id.clone(),
        openid: follower.openid.clone(),
        direction: Direction::In,
        source: if is_message { "user" } else { "event" }.into(),
        msg_type: inbound.kind().into(),
        body: inbound.body_json(),
        created_at: now,
    };
    let original = account.original_id.clone();
    let openid = follower.openid.0.clone();
    let build = |msg_id: Option<i64>| inbound.callback_xml(&original, &openid, now, msg_id.unwrap_or(0));
    let has_server = account.server.url.is_some();
    let callback: Option<herald_store::CallbackBuilder<'_>> = if has_server { Some(&build) } else { None };
    let (stored, job) = st.store.record_inbound(&msg, is_message, inbound.opens_window(), callback, system_now_ms()).await?;
    if job.is_some() {
        st.wake.notify_one();
    } else {
        let replies = AutoReplies::stored(st, appid).await?;
        if let Some(reply) = replies.answer(&inbound) {
            let ty = reply.get("msgtype").and_then(Value::as_str).unwrap_or("text").to_string();
            let mut body = reply.clone();
            if let Some(o) = body.as_object_mut() {
                o.remove("msgtype");
            }
            st.store
                .append_outbound(&NewMessage {
                    direction: Direction::Out,
                    source: "auto_reply".into(),
                    msg_type: ty,
                    body: body.to_string(),
                    ..msg.clone()
                })
                .await?;
        }
    }
    st.live.poke();
    Ok(stored)
}

/// A conversation message as the platform API shows it.
pub fn message_json(s: &StoredMessage) -> Value {
    let m = &s.message;
    serde_json::json!({
        "seq": s.seq,
        "appid": m.appid,
        "openid": m.openid,
        "direction": m.direction.as_str(),
        "source": m.source,
        "msgtype": m.msg_type,
        "body": serde_json::from_str::<Value>(&m.body).unwrap_or(Value::Null),
        "msg_id": s.msg_id,
        "reply_for": s.reply_for,
        "created_at": m.created_at,
    })
}
