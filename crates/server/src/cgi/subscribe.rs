//! Subscribe messages of mini programs: the public template library (`/wxaapi/newtmpl/…`),
//! the mini program's own templates, and `/cgi-bin/message/subscribe/send`, which needs the
//! user's acceptance in `wx.requestSubscribeMessage` (43101 otherwise). A message lands in
//! the user's chat with the mini program (its service notifications).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use herald_domain::account::Capability;
use herald_domain::miniprogram::{self as mp, CATEGORIES, LIBRARY};
use herald_store::{Direction, NewMessage, SubTemplate};
use herald_wire::{ErrCode, WxError, WxOk};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{WxErr, WxResult};
use crate::extract::{Caller, WxJson, WxQuery};
use crate::state::AppState;

/// `GET /wxaapi/newtmpl/getcategory`.
pub async fn categories(c: Caller) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    let data: Vec<Value> = CATEGORIES.iter().map(|(id, name)| json!({"id": id, "name": name})).collect();
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "data": data})))
}

#[derive(Debug, Default, Deserialize)]
pub struct TitlesQuery {
    ids: Option<String>,
    start: Option<usize>,
    limit: Option<usize>,
}

/// `GET /wxaapi/newtmpl/getpubtemplatetitles?ids=307,612&start=0&limit=30`.
pub async fn titles(c: Caller, WxQuery(q): WxQuery<TitlesQuery>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    let ids: Vec<u32> = q.ids.as_deref().unwrap_or("").split(',').filter_map(|s| s.trim().parse().ok()).collect();
    if ids.is_empty() {
        return Err(WxErr(WxError::with_detail(ErrCode::InvalidParameter, "invalid args ids")));
    }
    let limit = q.limit.unwrap_or(30);
    if limit == 0 || limit > 30 {
        return Err(WxErr(WxError::with_detail(ErrCode::InvalidParameter, "invalid args limit")));
    }
    let all: Vec<_> = LIBRARY.iter().filter(|t| ids.contains(&t.category_id)).collect();
    let data: Vec<Value> = all
        .iter()
        .skip(q.start.unwrap_or(0))
        .take(limit)
        .map(|t| json!({"tid": t.tid, "title": t.title, "type": t.kind, "categoryId": t.category_id.to_string()}))
        .collect();
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "count": all.len(), "data": data})))
}

#[derive(Debug, Default, Deserialize)]
pub struct KeywordsQuery {
    tid: Option<String>,
}

/// `GET /wxaapi/newtmpl/getpubtemplatekeywords?tid=1207`.
pub async fn keywords(c: Caller, WxQuery(q): WxQuery<KeywordsQuery>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    let t = q.tid.as_deref().and_then(|t| t.parse().ok()).and_then(mp::public_template).ok_or(ErrCode::TemplateTidInvalid)?;
    let data: Vec<Value> = t.keywords.iter().map(|k| json!({"kid": k.kid, "name": k.name, "example": k.example, "rule": k.rule.as_str()})).collect();
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "count": data.len(), "data": data})))
}

#[derive(Debug, Default, Deserialize)]
pub struct AddIn {
    #[serde(default)]
    tid: Value,
    #[serde(default, rename = "kidList")]
    kid_list: Vec<u32>,
    #[serde(default, rename = "sceneDesc")]
    scene_desc: String,
}

/// `POST /wxaapi/newtmpl/addtemplate {tid, kidList, sceneDesc}` → `priTmplId`.
pub async fn add(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<AddIn>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    // WeChat takes tid as a string or a number.
    let tid = match &b.tid {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    }
    .ok_or(ErrCode::TemplateTidInvalid)?;
    let chosen = mp::choose(tid, &b.kid_list, &b.scene_desc)?;
    let t = SubTemplate {
        appid: c.account.appid.clone(),
        pri_tmpl_id: mp::pri_tmpl_id(&mut rand::thread_rng()),
        tid,
        kids: chosen.kids(),
        kind: chosen.kind,
        scene_desc: b.scene_desc.clone(),
        created_at: c.now,
    };
    if !st.store.add_sub_template(&t, mp::MAX_TEMPLATES).await? {
        return Err(ErrCode::TooManySubscribeTemplates.into());
    }
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "priTmplId": t.pri_tmpl_id})))
}

/// A stored template as `gettemplate` and the follower app show it.
pub fn template_json(t: &SubTemplate) -> Option<Value> {
    let c = mp::chosen(t.tid, &t.kids)?;
    let kw: Vec<Value> = c.keywords.iter().map(|k| json!({"key": k.key(), "name": k.name, "rule": k.rule.as_str()})).collect();
    Some(json!({
        "priTmplId": t.pri_tmpl_id, "title": c.title, "content": c.content(), "example": c.example(), "type": t.kind,
        "keywordEnumValueList": [], "keywords": kw, "sceneDesc": t.scene_desc,
    }))
}

/// `GET /wxaapi/newtmpl/gettemplate`.
pub async fn list(State(st): State<AppState>, c: Caller) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    let data: Vec<Value> = st.store.sub_templates(&c.account.appid).await?.iter().filter_map(template_json).collect();
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "data": data})))
}

#[derive(Debug, Default, Deserialize)]
pub struct DelIn {
    #[serde(default, rename = "priTmplId")]
    pri_tmpl_id: String,
}

/// `POST /wxaapi/newtmpl/deltemplate {priTmplId}`.
pub async fn delete(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<DelIn>) -> WxResult<WxOk> {
    c.require(Capability::MiniProgram)?;
    if !st.store.delete_sub_template(&c.account.appid, &b.pri_tmpl_id).await? {
        return Err(ErrCode::InvalidTemplateId.into());
    }
    Ok(Json(WxOk))
}

#[derive(Debug, Default, Deserialize)]
pub struct SendIn {
    #[serde(default)]
    touser: String,
    #[serde(default)]
    template_id: String,
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    miniprogram_state: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// `data: {"thing1": {"value": "…"}, …}` as a map of values; 47003 for another shape.
fn data_values(data: &Value) -> Result<BTreeMap<String, String>, WxErr> {
    let obj = data.as_object().ok_or_else(|| WxErr(WxError::with_detail(ErrCode::ArgumentInvalid, "argument invalid! data is empty")))?;
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        let value = match v.get("value") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(WxErr(WxError::with_detail(ErrCode::ArgumentInvalid, format!("argument invalid! data.{k}.value is empty")))),
        };
        out.insert(k.clone(), value);
    }
    Ok(out)
}

/// `POST /cgi-bin/message/subscribe/send`.
pub async fn send(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<SendIn>) -> WxResult<Value> {
    c.require(Capability::MiniProgram)?;
    if b.touser.is_empty() {
        return Err(ErrCode::InvalidOpenid.into());
    }
    let t = st.store.sub_templates(&c.account.appid).await?.into_iter().find(|t| t.pri_tmpl_id == b.template_id).ok_or(ErrCode::InvalidTemplateId)?;
    let chosen = mp::chosen(t.tid, &t.kids).ok_or(ErrCode::InvalidTemplateId)?;
    let values = mp::check_data(&chosen, &data_values(&b.data)?)?;
    let state = mp::check_state(b.miniprogram_state.as_deref())?;
    let page = b.page.as_deref().unwrap_or("").trim_start_matches('/');
    if !page.is_empty() {
        mp::split_path(page)?;
    }
    let f = st.store.follower_by_openid(&c.account.appid, &b.touser).await?.ok_or(ErrCode::InvalidOpenid)?;
    if !st.store.take_subscription(&c.account.appid, &f.user_id, &t.pri_tmpl_id, t.kind == 2, c.now).await? {
        return Err(ErrCode::UserRefusedMessage.into());
    }
    let fields: Vec<Value> = values.iter().map(|(key, name, value)| json!({"key": key, "name": name, "value": value})).collect();
    let body = json!({
        "template_id": t.pri_tmpl_id, "title": chosen.title, "fields": fields, "page": page,
        "miniprogram_state": state, "lang": b.lang.as_deref().unwrap_or("zh_CN"),
    });
    let msg = NewMessage {
        appid: c.account.appid.clone(),
        user_id: f.user_id,
        openid: f.openid,
        direction: Direction::Out,
        source: "subscribe".into(),
        msg_type: "subscribe".into(),
        body: body.to_string(),
        created_at: c.now,
    };
    let stored = st.store.append_outbound(&msg).await?;
    Ok(Json(json!({"errcode": 0, "errmsg": "ok", "msgid": stored.seq})))
}
