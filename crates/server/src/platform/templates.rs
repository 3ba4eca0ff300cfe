//! Template messages in the console: industries, the account's templates and the library, and
//! sending one to a follower. Each endpoint runs the `/cgi-bin` handler it stands for as the
//! account, so the rules (verified service accounts only, 25 templates, the follower must
//! follow) and the stored shapes are the same; refusals are 400 `refused` naming WeChat's
//! errcode.

use axum::extract::{Path, State};
use axum::Json;
use herald_domain::template::{self as tpl, INDUSTRIES, LIBRARY};
use herald_wire::platform::templates::*;
use serde_json::{json, Value};

use super::console::{refused, AccountAccess};
use crate::extract::Caller;
use herald_domain::account::Capability;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, WxJson};
use crate::state::AppState;

fn library_entry(t: &tpl::LibraryTemplate, template_id: &str) -> TemplateOut {
    let ind = tpl::industry_json(Some(t.industry));
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    TemplateOut {
        template_id: template_id.to_string(),
        template_id_short: t.short_id.to_string(),
        title: t.title.to_string(),
        primary_industry: s(&ind["first_class"]),
        deputy_industry: s(&ind["second_class"]),
        content: t.content.to_string(),
        example: t.example.to_string(),
        keys: tpl::keys(t.content).into_iter().map(str::to_string).collect(),
    }
}

/// The account's templates page, for a caller that may use templates (48001 otherwise, as on
/// the wire).
async fn templates_out(st: &AppState, c: &Caller) -> Result<TemplatesOut, ApiError> {
    c.require(Capability::Templates).map_err(refused)?;
    let appid = &c.account.appid;
    let settings = st.store.account_settings(appid).await?;
    let templates = st.store.templates(appid).await?.into_iter().filter_map(|t| tpl::find(&t.short_id).map(|l| library_entry(l, &t.template_id))).collect();
    Ok(TemplatesOut {
        industry_id1: settings.industry1,
        industry_id2: settings.industry2,
        industries: INDUSTRIES.iter().enumerate().map(|(i, (a, b))| IndustryOut { id: i as i64 + 1, first_class: a.to_string(), second_class: b.to_string() }).collect(),
        templates,
        library: LIBRARY.iter().map(|t| library_entry(t, "")).collect(),
    })
}

/// `GET /herald/v1/accounts/{appid}/templates`.
pub async fn list(State(st): State<AppState>, a: AccountAccess) -> ApiResult<TemplatesOut> {
    let c = a.caller(&st).await?;
    Ok(Json(templates_out(&st, &c).await?))
}

/// `PUT /herald/v1/accounts/{appid}/templates/industry` (`template/api_set_industry`).
pub async fn set_industry(State(st): State<AppState>, a: AccountAccess, ApiJson(b): ApiJson<IndustryIn>) -> ApiResult<TemplatesOut> {
    let c = a.caller(&st).await?;
    let _ = crate::cgi::template::set_industry(State(st.clone()), c.clone(), WxJson(json!({"industry_id1": b.industry_id1, "industry_id2": b.industry_id2}))).await.map_err(refused)?;
    Ok(Json(templates_out(&st, &c).await?))
}

/// `POST /herald/v1/accounts/{appid}/templates` (`template/api_add_template`).
pub async fn add(State(st): State<AppState>, a: AccountAccess, ApiJson(b): ApiJson<TemplateAddIn>) -> ApiResult<TemplatesOut> {
    let c = a.caller(&st).await?;
    let _ = crate::cgi::template::add_template(State(st.clone()), c.clone(), WxJson(json!({"template_id_short": b.template_id_short}))).await.map_err(refused)?;
    Ok(Json(templates_out(&st, &c).await?))
}

/// `DELETE /herald/v1/accounts/{appid}/templates/{id}` (`template/del_private_template`).
pub async fn delete(State(st): State<AppState>, a: AccountAccess, Path((_, id)): Path<(String, String)>) -> ApiResult<TemplatesOut> {
    let c = a.caller(&st).await?;
    let _ = crate::cgi::template::del_template(State(st.clone()), c.clone(), WxJson(json!({"template_id": id}))).await.map_err(refused)?;
    Ok(Json(templates_out(&st, &c).await?))
}

/// `POST /herald/v1/accounts/{appid}/templates/send` (`message/template/send`): each field's
/// text by key; the follower sees it in the chat, the developer server gets the
/// TEMPLATESENDJOBFINISH event.
pub async fn send(State(st): State<AppState>, a: AccountAccess, ApiJson(b): ApiJson<TemplateSendIn>) -> ApiResult<TemplateSentOut> {
    let c = a.caller(&st).await?;
    let data: serde_json::Map<String, Value> = b.data.iter().map(|(k, v)| (k.clone(), json!({"value": v}))).collect();
    let body = json!({"touser": b.touser, "template_id": b.template_id, "url": b.url.unwrap_or_default(), "data": data});
    let Json(out) = crate::cgi::template::send(State(st), c, WxJson(body)).await.map_err(refused)?;
    Ok(Json(TemplateSentOut { msgid: out["msgid"].as_i64().unwrap_or(0) }))
}
