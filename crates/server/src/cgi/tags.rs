//! Tags and the blacklist (`tags/*`, `user/tag/get`, `tags/members/*`).

use axum::extract::State;
use axum::Json;
use herald_domain::follower::PAGE_SIZE;
use herald_domain::tags::{check_batch, MAX_BATCH_BLACKLIST, MAX_BATCH_TAGGING};
use herald_wire::cgi::tags::*;
use herald_wire::cgi::OpenIdPage;
use herald_wire::{ErrCode, WxOk};

use crate::error::WxResult;
use crate::extract::{Caller, WxJson, WxJsonOrEmpty, USER_MANAGEMENT};
use crate::state::AppState;

pub async fn create(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<TagRequest>) -> WxResult<TagCreateResponse> {
    c.require(USER_MANAGEMENT)?;
    let name = b.tag.and_then(|t| t.name).ok_or(ErrCode::InvalidTagName)?;
    let t = st.store.create_tag(&c.account.appid, &name, c.now).await?;
    Ok(Json(TagCreateResponse { tag: TagOut { id: t.id, name: t.name } }))
}

pub async fn list(State(st): State<AppState>, c: Caller) -> WxResult<TagListResponse> {
    c.require(USER_MANAGEMENT)?;
    let tags = st.store.tags(&c.account.appid).await?;
    Ok(Json(TagListResponse { tags: tags.into_iter().map(|t| TagWithCount { id: t.id, name: t.name, count: t.count }).collect() }))
}

pub async fn update(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<TagRequest>) -> WxResult<WxOk> {
    c.require(USER_MANAGEMENT)?;
    let tag = b.tag.unwrap_or_default();
    let id = tag.id.ok_or(ErrCode::InvalidTagId)?;
    let name = tag.name.ok_or(ErrCode::InvalidTagName)?;
    st.store.rename_tag(&c.account.appid, id, &name).await?;
    Ok(Json(WxOk))
}

pub async fn delete(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<TagRequest>) -> WxResult<WxOk> {
    c.require(USER_MANAGEMENT)?;
    let id = b.tag.and_then(|t| t.id).ok_or(ErrCode::InvalidTagId)?;
    st.store.delete_tag(&c.account.appid, id).await?;
    Ok(Json(WxOk))
}

pub async fn members(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<TagUsersRequest>) -> WxResult<OpenIdPage> {
    c.require(USER_MANAGEMENT)?;
    let id = b.tagid.ok_or(ErrCode::InvalidTagId)?;
    let page = st.store.tag_page(&c.account.appid, id, b.next_openid.as_deref(), PAGE_SIZE).await?;
    Ok(Json(OpenIdPage::from_ids(None, page.openids)))
}

async fn tagging(st: &AppState, c: &Caller, b: BatchTaggingRequest, on: bool) -> WxResult<WxOk> {
    c.require(USER_MANAGEMENT)?;
    let list = b.openid_list.unwrap_or_default();
    check_batch(list.len(), MAX_BATCH_TAGGING)?;
    let id = b.tagid.ok_or(ErrCode::InvalidTagId)?;
    st.store.set_tagged(&c.account.appid, id, &list, on).await?;
    Ok(Json(WxOk))
}

pub async fn batch_tag(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<BatchTaggingRequest>) -> WxResult<WxOk> {
    tagging(&st, &c, b, true).await
}

pub async fn batch_untag(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<BatchTaggingRequest>) -> WxResult<WxOk> {
    tagging(&st, &c, b, false).await
}

pub async fn id_list(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<GetIdListRequest>) -> WxResult<GetIdListResponse> {
    c.require(USER_MANAGEMENT)?;
    let openid = b.openid.filter(|o| !o.is_empty()).ok_or(ErrCode::OpenidMissing)?;
    let f = st.store.follower_by_openid(&c.account.appid, &openid).await?.filter(|f| f.subscribed);
    let f = f.ok_or(ErrCode::InvalidOpenid)?;
    Ok(Json(GetIdListResponse { tagid_list: f.tag_ids }))
}

pub async fn blacklist(State(st): State<AppState>, c: Caller, WxJsonOrEmpty(b): WxJsonOrEmpty<BlacklistGetRequest>) -> WxResult<OpenIdPage> {
    c.require(USER_MANAGEMENT)?;
    let begin = b.begin_openid;
    let page = st.store.blacklist_page(&c.account.appid, begin.as_deref(), PAGE_SIZE).await?;
    Ok(Json(OpenIdPage::from_ids(Some(page.total), page.openids)))
}

async fn blacklisting(st: &AppState, c: &Caller, b: BlacklistBatchRequest, on: bool) -> WxResult<WxOk> {
    c.require(USER_MANAGEMENT)?;
    let list = b.openid_list.unwrap_or_default();
    check_batch(list.len(), MAX_BATCH_BLACKLIST)?;
    st.store.set_blacklisted(&c.account.appid, &list, on).await?;
    Ok(Json(WxOk))
}

pub async fn batch_blacklist(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<BlacklistBatchRequest>) -> WxResult<WxOk> {
    blacklisting(&st, &c, b, true).await
}

pub async fn batch_unblacklist(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<BlacklistBatchRequest>) -> WxResult<WxOk> {
    blacklisting(&st, &c, b, false).await
}
