//! Mass messages: `/cgi-bin/message/mass/{sendall,send,preview,delete,get,speed/get,speed/set}`.
//! A send is queued with its fan-out job; the worker applies the seeds' quotas and raises
//! MASSSENDJOBFINISH (see `herald_domain::broadcast`).

use axum::extract::State;
use axum::Json;
use herald_domain::broadcast::{self, check_client_msg_id, check_content, MassContent};
use herald_domain::time::{day_start, CST_OFFSET};
use herald_store::{Direction, NewMass, NewMessage};
use herald_wire::lenient::{flag_value as truthy, int_value as int_of};
use herald_wire::{ErrCode, WxError, WxOk};
use serde_json::{json, Value};

use crate::error::{WxErr, WxResult};
use crate::extract::{Caller, WxJson, WxJsonOrEmpty};
use crate::state::AppState;


/// The content of an mpnews message: the articles of the draft, material or uploaded news it
/// names, kept with the message so later edits do not change what was sent.
async fn articles_for(st: &AppState, c: &Caller, content: &MassContent) -> Result<Option<String>, WxErr> {
    if content.msgtype != "mpnews" {
        return Ok(None);
    }
    let id = content.media_id.as_deref().unwrap_or_default();
    let articles = crate::cgi::content::news_articles(st, &c.account.appid, id, c.now).await?.ok_or(ErrCode::InvalidMediaId)?;
    broadcast::check_article_count(articles.as_array().map_or(0, Vec::len))?;
    Ok(Some(articles.to_string()))
}

async fn check_media(st: &AppState, c: &Caller, content: &MassContent) -> Result<(), WxErr> {
    match (content.msgtype.as_str(), content.media_id.as_deref()) {
        ("image" | "voice" | "mpvideo", Some(id)) => {
            crate::cgi::content::usable_media(st, &c.account.appid, id, c.now).await?.ok_or(ErrCode::InvalidMediaId)?;
            Ok(())
        }
        _ => Ok(()),
    }
}

pub async fn queue(st: &AppState, c: &Caller, body: &Value, target: Value, daily: bool) -> WxResult<Value> {
    let content = check_content(body)?;
    let client_msg_id = check_client_msg_id(body.get("clientmsgid").and_then(Value::as_str))?;
    check_media(st, c, &content).await?;
    let articles = articles_for(st, c, &content).await?;
    let ty = c.account.kind.ty;
    let m = NewMass {
        appid: c.account.appid.clone(),
        msgtype: content.msgtype.clone(),
        payload: content.payload.to_string(),
        articles,
        target: target.to_string(),
        client_msg_id,
        created_at: c.now,
        day_start: day_start(c.now, CST_OFFSET),
        daily_limit: (daily && broadcast::lands_in_folder(ty)).then_some(broadcast::SUBSCRIPTION_PER_DAY),
    };
    let (msg, _first) = st.store.create_mass(&m, crate::clock::system_now_ms()).await?;
    st.wake.notify_one();
    let mut out = json!({"errcode": 0, "errmsg": "send job submission success", "msg_id": msg.msg_id});
    if msg.msgtype == "mpnews" {
        out["msg_data_id"] = json!(msg.msg_id);
    }
    Ok(Json(out))
}

/// `sendall`: to every follower (`is_to_all`) or to a tag (`tag_id`, or wechatpy's `group_id`).
pub async fn sendall(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    broadcast::permit(c.account.kind, false)?;
    let filter = body.get("filter").cloned().unwrap_or(Value::Null);
    let target = if truthy(filter.get("is_to_all")) {
        json!({"all": true})
    } else {
        let tag = int_of(filter.get("tag_id")).or_else(|| int_of(filter.get("group_id"))).ok_or(ErrCode::InvalidParameter)?;
        if !st.store.tags(&c.account.appid).await?.iter().any(|t| t.id == tag) {
            return Err(ErrCode::InvalidTagId.into());
        }
        json!({"tag_id": tag})
    };
    queue(&st, &c, &body, target, true).await
}

/// `send`: to a list of openids (verified service accounts).
pub async fn send(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    broadcast::permit(c.account.kind, true)?;
    let list: Vec<String> = body
        .get("touser")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    if list.is_empty() || list.len() > broadcast::MAX_OPENIDS {
        return Err(ErrCode::InvalidOpenidList.into());
    }
    queue(&st, &c, &body, json!({"openids": list}), false).await
}

/// `preview`: one follower sees the message at once, outside every quota.
pub async fn preview(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    broadcast::permit(c.account.kind, false)?;
    let content = check_content(&body)?;
    check_media(&st, &c, &content).await?;
    let articles = articles_for(&st, &c, &content).await?;
    let touser = body.get("touser").and_then(Value::as_str).filter(|s| !s.is_empty());
    let Some(touser) = touser else {
        // towxname: Herald users have no WeChat ids.
        return Err(WxError::with_detail(ErrCode::InvalidParameter, "towxname is not supported; use touser").into());
    };
    let f = st.store.follower_by_openid(&c.account.appid, touser).await?.ok_or(ErrCode::InvalidOpenid)?;
    if !f.subscribed {
        return Err(ErrCode::RequireSubscribe.into());
    }
    let mut payload = content.payload.clone();
    if let (Some(a), Some(o)) = (articles, payload.as_object_mut()) {
        o.insert("articles".into(), serde_json::from_str(&a).unwrap_or(Value::Null));
    }
    let stored = st
        .store
        .append_outbound(&NewMessage {
            appid: c.account.appid.clone(),
            user_id: f.user_id,
            openid: f.openid,
            direction: Direction::Out,
            source: "preview".into(),
            msg_type: content.msgtype,
            body: payload.to_string(),
            created_at: c.now,
        })
        .await?;
    Ok(Json(json!({"errcode": 0, "errmsg": "preview success", "msg_id": stored.seq})))
}

pub async fn delete(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    broadcast::permit(c.account.kind, false)?;
    let id = int_of(body.get("msg_id")).ok_or(ErrCode::InvalidParameter)?;
    let idx = int_of(body.get("article_idx")).unwrap_or(0);
    if !st.store.delete_mass(&c.account.appid, id, idx).await? {
        return Err(WxError::with_detail(ErrCode::InvalidParameter, "invalid msg_id").into());
    }
    Ok(Json(WxOk))
}

pub async fn get(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    broadcast::permit(c.account.kind, false)?;
    let id = int_of(body.get("msg_id")).ok_or(ErrCode::InvalidParameter)?;
    let m = st.store.mass(&c.account.appid, id).await?.ok_or_else(|| WxError::with_detail(ErrCode::InvalidParameter, "invalid msg_id"))?;
    Ok(Json(json!({"msg_id": m.msg_id, "msg_status": m.status})))
}

pub async fn speed_get(State(st): State<AppState>, c: Caller, WxJsonOrEmpty(_b): WxJsonOrEmpty<Value>) -> WxResult<Value> {
    broadcast::permit(c.account.kind, false)?;
    let s = st.store.account_settings(&c.account.appid).await?;
    Ok(Json(broadcast::speed_json(s.mass_speed)))
}

pub async fn speed_set(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    broadcast::permit(c.account.kind, false)?;
    let speed = int_of(body.get("speed")).ok_or(ErrCode::NoSpeed)?;
    if !(0..broadcast::SPEEDS.len() as i64).contains(&speed) {
        return Err(ErrCode::SpeedOutOfRange.into());
    }
    st.store.set_mass_speed(&c.account.appid, speed).await?;
    Ok(Json(WxOk))
}
