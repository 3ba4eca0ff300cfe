//! Customer-service messages: `POST /cgi-bin/message/custom/send` and `/custom/typing`,
//! open for 48 hours after the follower's last interaction; and the account's auto-reply
//! rules, `GET /cgi-bin/get_current_autoreply_info`.

use axum::extract::State;
use axum::Json;
use herald_domain::account::Capability;
use herald_domain::conversation::{check_custom, window_open};
use herald_store::{Direction, Follower, NewMessage};
use herald_wire::{ErrCode, WxError, WxOk};
use serde_json::Value;

use crate::cgi::content::{news_articles, usable_media};
use crate::conversation::AutoReplies;
use crate::error::{WxErr, WxResult};
use crate::extract::{Caller, WxJson};
use crate::state::AppState;

/// The follower `touser` names, if the account may reach them now.
async fn reachable(st: &AppState, c: &Caller, body: &Value) -> Result<Follower, WxErr> {
    c.require(Capability::CustomerService)?;
    let touser = body.get("touser").and_then(Value::as_str).filter(|t| !t.is_empty()).ok_or(ErrCode::InvalidOpenid)?;
    let f = st.store.follower_by_openid(&c.account.appid, touser).await?.ok_or(ErrCode::InvalidOpenid)?;
    if !f.subscribed {
        return Err(ErrCode::ResponseOutOfTime.into());
    }
    if f.blacklisted {
        return Err(ErrCode::UserBlacklisted.into());
    }
    if !window_open(f.last_interaction_at, c.now) {
        return Err(ErrCode::ResponseOutOfTime.into());
    }
    Ok(f)
}

pub async fn custom_send(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    let msg = check_custom(body.get("msgtype").and_then(Value::as_str), &body)?;
    let f = reachable(&st, &c, &body).await?;
    let mut payload = msg.payload;
    resolve_content(&st, &c, &msg.msgtype, &mut payload).await?;
    if let (Some(kf), Some(o)) = (body.get("customservice"), payload.as_object_mut()) {
        o.insert("customservice".into(), kf.clone());
    }
    st.store
        .append_outbound(&NewMessage {
            appid: c.account.appid.clone(),
            user_id: f.user_id,
            openid: f.openid,
            direction: Direction::Out,
            source: "custom".into(),
            msg_type: msg.msgtype,
            body: payload.to_string(),
            created_at: c.now,
        })
        .await?;
    st.live.poke();
    Ok(Json(WxOk))
}

/// Checks the media a customer-service message names (40007 for one this account cannot use,
/// or of the wrong type) and keeps with an mpnews or mpnewsarticle message the articles it
/// shows, so the follower's conversation holds what was sent even if the material changes.
async fn resolve_content(st: &AppState, c: &Caller, msgtype: &str, payload: &mut Value) -> Result<(), WxErr> {
    let field = |name: &str| payload.get(name).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let invalid = |name: &str, id: &str| WxErr::from(WxError::with_detail(ErrCode::InvalidMediaId, format!("invalid {name} {id}")));
    let media = |id: Option<String>, types: &'static [&'static str]| async move {
        let Some(id) = id else { return Ok(()) };
        match usable_media(st, &c.account.appid, &id, c.now).await? {
            Some(m) if types.contains(&m.media_type.as_str()) => Ok(()),
            _ => Err(invalid("media_id", &id)),
        }
    };
    const PICTURE: &[&str] = &["image", "thumb"];
    let articles = match msgtype {
        "image" => return media(field("media_id"), &["image"]).await,
        "voice" => return media(field("media_id"), &["voice"]).await,
        "video" => {
            media(field("media_id"), &["video"]).await?;
            return media(field("thumb_media_id"), PICTURE).await;
        }
        "music" | "miniprogrampage" => return media(field("thumb_media_id"), PICTURE).await,
        "mpnews" => {
            let id = field("media_id").unwrap_or_default();
            news_articles(st, &c.account.appid, &id, c.now).await?.ok_or_else(|| invalid("media_id", &id))?
        }
        "mpnewsarticle" => {
            let id = field("article_id").unwrap_or_default();
            let p = st.store.publication_by_article(&id).await?.filter(|p| p.appid == c.account.appid && p.deleted != "*");
            let p = p.ok_or_else(|| invalid("article_id", &id))?;
            serde_json::from_str(&p.articles).unwrap_or(Value::Null)
        }
        _ => return Ok(()),
    };
    if let Some(o) = payload.as_object_mut() {
        o.insert("articles".into(), articles);
    }
    Ok(())
}

pub async fn custom_typing(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    match body.get("command").and_then(Value::as_str) {
        Some("Typing" | "CancelTyping") => {}
        _ => return Err(ErrCode::InvalidParameter.into()),
    }
    reachable(&st, &c, &body).await?;
    Ok(Json(WxOk))
}

/// The rules set through the platform API (`/herald/v1/accounts/{appid}/auto_replies`),
/// reported as off while a developer server answers the account's messages.
pub async fn autoreply_info(State(st): State<AppState>, c: Caller) -> WxResult<Value> {
    let appid = &c.account.appid;
    let account = st.store.account(appid.as_str()).await?.ok_or(ErrCode::InvalidAppid)?;
    let rules = AutoReplies::stored(&st, appid).await?;
    Ok(Json(rules.wechat_info(account.server.url.is_none())))
}
