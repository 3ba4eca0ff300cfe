//! Template messages (verified service accounts; a subscription account gets 48001):
//! industries, templates from the platform's library, and `/cgi-bin/message/template/send`
//! with its TEMPLATESENDJOBFINISH event.

use axum::extract::State;
use axum::Json;
use herald_domain::account::Capability;
use herald_domain::broadcast::template_finish_xml;
use herald_domain::template::{self as tpl, MAX_TEMPLATES};
use herald_store::{Direction, NewMessage};
use herald_wire::{ErrCode, WxError, WxOk};
use serde_json::{json, Value};

use crate::error::WxResult;
use crate::extract::{Caller, WxJson};
use crate::state::AppState;

pub async fn set_industry(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    c.require(Capability::Templates)?;
    let id1 = tpl::industry(body.get("industry_id1"))?;
    let id2 = tpl::industry(body.get("industry_id2"))?;
    st.store.set_industry(&c.account.appid, id1, id2, c.now).await?;
    Ok(Json(WxOk))
}

pub async fn get_industry(State(st): State<AppState>, c: Caller) -> WxResult<Value> {
    c.require(Capability::Templates)?;
    let s = st.store.account_settings(&c.account.appid).await?;
    Ok(Json(json!({"primary_industry": tpl::industry_json(s.industry1), "secondary_industry": tpl::industry_json(s.industry2)})))
}

pub async fn add_template(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    c.require(Capability::Templates)?;
    let short = body.get("template_id_short").and_then(Value::as_str).unwrap_or("");
    tpl::find(short).ok_or(ErrCode::InvalidTemplateId)?;
    let fresh = herald_domain::content::media_id(&mut rand::thread_rng())[..43].to_string();
    let id = st.store.add_template(&c.account.appid, short, &fresh, MAX_TEMPLATES, c.now).await?;
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "template_id": id})))
}

pub async fn list_templates(State(st): State<AppState>, c: Caller) -> WxResult<Value> {
    c.require(Capability::Templates)?;
    let list: Vec<Value> = st
        .store
        .templates(&c.account.appid)
        .await?
        .into_iter()
        .filter_map(|t| {
            let lib = tpl::find(&t.short_id)?;
            let ind = tpl::industry_json(Some(lib.industry));
            Some(json!({
                "template_id": t.template_id, "title": lib.title,
                "primary_industry": ind["first_class"], "deputy_industry": ind["second_class"],
                "content": lib.content, "example": lib.example
            }))
        })
        .collect();
    Ok(Json(json!({"template_list": list})))
}

pub async fn del_template(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    c.require(Capability::Templates)?;
    let id = body.get("template_id").and_then(Value::as_str).unwrap_or("");
    if !st.store.delete_template(&c.account.appid, id).await? {
        return Err(ErrCode::InvalidTemplateId.into());
    }
    Ok(Json(WxOk))
}

/// `message/template/send`: the follower must follow (43004) and not be blacklisted (43019).
pub async fn send(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    c.require(Capability::Templates)?;
    let touser = body.get("touser").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or(ErrCode::InvalidOpenid)?;
    let template_id = body.get("template_id").and_then(Value::as_str).unwrap_or("");
    let t = st.store.templates(&c.account.appid).await?.into_iter().find(|t| t.template_id == template_id);
    let lib = t.and_then(|t| tpl::find(&t.short_id)).ok_or(ErrCode::InvalidTemplateId)?;
    let data = tpl::check_data(body.get("data"))?;
    let f = st.store.follower_by_openid(&c.account.appid, touser).await?.ok_or(ErrCode::InvalidOpenid)?;
    if !f.subscribed {
        return Err(ErrCode::RequireSubscribe.into());
    }
    if f.blacklisted {
        return Err(ErrCode::UserBlacklisted.into());
    }
    let url = body.get("url").and_then(Value::as_str).unwrap_or("");
    let mini = body.get("miniprogram").filter(|m| m.is_object());
    if let Some(m) = mini {
        if m.get("appid").and_then(Value::as_str).unwrap_or("").is_empty() {
            return Err(WxError::with_detail(ErrCode::InvalidParameter, "miniprogram.appid is required").into());
        }
    }
    let payload = json!({
        "template_id": template_id, "title": lib.title, "content": tpl::render(lib.content, data),
        "data": data, "url": url, "miniprogram": mini, "client_msg_id": body.get("client_msg_id"),
    });
    let account = st.store.account(c.account.appid.as_str()).await?.ok_or(ErrCode::InvalidAppid)?;
    let (original, openid, now) = (account.original_id.clone(), f.openid.0.clone(), c.now);
    let event = move |msg_id: i64| template_finish_xml(&original, &openid, msg_id, "success", now);
    let msg = NewMessage {
        appid: c.account.appid.clone(),
        user_id: f.user_id,
        openid: f.openid,
        direction: Direction::Out,
        source: "template".into(),
        msg_type: "template".into(),
        body: payload.to_string(),
        created_at: c.now,
    };
    let stored = st.store.append_with_event(&msg, Some(&event), crate::clock::system_now_ms()).await?;
    st.wake.notify_one();
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "msgid": stored.msg_id})))
}
