//! Custom menus: `/cgi-bin/menu/create|get|delete`, `/cgi-bin/get_current_selfmenu_info`, and
//! conditional menus (`menu/addconditional`, `menu/delconditional`, `menu/trymatch`).

use axum::extract::State;
use axum::Json;
use herald_domain::account::Capability;
use herald_domain::menu::{self, MatchRule, MenuDef, Viewer, MAX_CONDITIONAL, MAX_DOMAINS};
use herald_store::Follower;
use herald_wire::lenient::int_value;
use herald_wire::{AppId, ErrCode, WxError, WxOk};
use serde_json::{json, Value};

use crate::error::WxResult;
use crate::extract::{Caller, WxJson};
use crate::state::AppState;

/// An account's menus, parsed: the default (if any) and conditional ones, oldest first.
pub async fn load(st: &AppState, appid: &AppId) -> Result<Vec<MenuDef>, herald_store::StoreError> {
    Ok(st
        .store
        .menus(appid)
        .await?
        .into_iter()
        .map(|m| MenuDef {
            menuid: m.menuid,
            buttons: serde_json::from_str(&m.buttons).unwrap_or_default(),
            rule: m.matchrule.and_then(|r| rule_from_json(&serde_json::from_str(&r).unwrap_or(Value::Null))),
        })
        .collect())
}

fn rule_from_json(v: &Value) -> Option<MatchRule> {
    MatchRule::parse(Some(v)).ok()
}

/// What conditional menus match a follower against: their tags and their user's profile.
pub async fn viewer(st: &AppState, f: &Follower) -> Result<Viewer, herald_store::StoreError> {
    let p = st.store.user(&f.user_id).await?.map(|u| u.profile).unwrap_or_default();
    Ok(Viewer {
        tag_ids: f.tag_ids.clone(),
        sex: p.sex,
        platform_type: p.platform_type(),
        country: p.country,
        province: p.province,
        city: p.city,
        language: p.language,
    })
}

/// The jump domains of `buttons` together with those of the menus kept beside them: at most 3.
pub fn check_domains(buttons: &[Value], kept: &[MenuDef]) -> Result<(), WxError> {
    let mut all = menu::domains_of(buttons);
    for m in kept {
        all.extend(menu::domains_of(&m.buttons));
    }
    if all.len() > MAX_DOMAINS {
        return Err(WxError::with_detail(ErrCode::MenuDomainLimit, format!("domain count reach limit: {} jump domains across menus", all.len())));
    }
    Ok(())
}

pub async fn create(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    let (buttons, _) = menu::check_menu(&body)?;
    let kept: Vec<MenuDef> = load(&st, &c.account.appid).await?.into_iter().filter(|m| m.rule.is_some()).collect();
    check_domains(&buttons, &kept)?;
    st.store.set_default_menu(&c.account.appid, &Value::Array(buttons).to_string(), c.now).await?;
    Ok(Json(WxOk))
}

pub async fn get(State(st): State<AppState>, c: Caller) -> WxResult<Value> {
    let menus = load(&st, &c.account.appid).await?;
    let default = menus.iter().find(|m| m.rule.is_none()).ok_or(ErrCode::MenuNotExist)?;
    let mut out = json!({"menu": {"button": default.buttons, "menuid": default.menuid}});
    let conditional: Vec<Value> = menus
        .iter()
        .filter_map(|m| m.rule.as_ref().map(|r| json!({"button": m.buttons, "matchrule": r.to_json(), "menuid": m.menuid})))
        .collect();
    if !conditional.is_empty() {
        out["conditionalmenu"] = Value::Array(conditional);
    }
    Ok(Json(out))
}

pub async fn delete(State(st): State<AppState>, c: Caller) -> WxResult<WxOk> {
    st.store.delete_menus(&c.account.appid).await?;
    Ok(Json(WxOk))
}

pub async fn selfmenu_info(State(st): State<AppState>, c: Caller) -> WxResult<Value> {
    let menus = load(&st, &c.account.appid).await?;
    Ok(Json(match menus.iter().find(|m| m.rule.is_none()) {
        Some(d) => json!({"is_menu_open": 1, "selfmenu_info": menu::selfmenu_json(&d.buttons)}),
        None => json!({"is_menu_open": 0, "selfmenu_info": {"button": []}}),
    }))
}

pub async fn add_conditional(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    c.require(Capability::ConditionalMenus)?;
    let (buttons, _) = menu::check_menu(&body)?;
    let rule = MatchRule::parse(body.get("matchrule"))?;
    if let Some(t) = rule.tag_id {
        if !st.store.tags(&c.account.appid).await?.iter().any(|tag| tag.id == t) {
            return Err(WxError::with_detail(ErrCode::InvalidTagId, "invalid tag id: the matchrule names no tag of this account").into());
        }
    }
    check_domains(&buttons, &load(&st, &c.account.appid).await?)?;
    let id = st
        .store
        .add_conditional_menu(&c.account.appid, &Value::Array(buttons).to_string(), &rule.to_json().to_string(), c.now, MAX_CONDITIONAL)
        .await?;
    Ok(Json(json!({"menuid": id.to_string()})))
}

pub async fn del_conditional(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<WxOk> {
    c.require(Capability::ConditionalMenus)?;
    let id = int_value(body.get("menuid")).ok_or(ErrCode::NoSuchMenuId)?;
    if !st.store.delete_conditional_menu(&c.account.appid, id).await? {
        return Err(ErrCode::NoSuchMenuId.into());
    }
    Ok(Json(WxOk))
}

/// `menu/trymatch`: the menu the follower `user_id` (an openid) would see.
pub async fn try_match(State(st): State<AppState>, c: Caller, WxJson(body): WxJson<Value>) -> WxResult<Value> {
    c.require(Capability::ConditionalMenus)?;
    let user = body.get("user_id").and_then(Value::as_str).unwrap_or("");
    let f = st.store.follower_by_openid(&c.account.appid, user).await?.ok_or(ErrCode::NoMenuUser)?;
    let menus = load(&st, &c.account.appid).await?;
    let who = viewer(&st, &f).await?;
    let m = menu::pick(&menus, &who).ok_or(ErrCode::MenuNotExist)?;
    Ok(Json(json!({"button": m.buttons})))
}
