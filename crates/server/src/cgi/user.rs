//! Followers: `user/get`, `user/info`, `user/info/batchget`, `user/info/updateremark`.

use axum::extract::State;
use axum::Json;
use herald_domain::follower::{self, BATCHGET_MAX, PAGE_SIZE};
use herald_store::Follower;
use herald_wire::cgi::user::{BatchGetRequest, BatchGetResponse, UpdateRemarkRequest, UserGetQuery, UserInfo, UserInfoQuery};
use herald_wire::cgi::OpenIdPage;
use herald_wire::{ErrCode, WxOk};

use crate::error::WxResult;
use crate::extract::{Caller, WxJson, WxQuery, USER_MANAGEMENT};
use crate::state::AppState;

/// `user/info` as WeChat gives it: everything for a follower, little for anyone else.
pub fn user_info(f: &Follower) -> UserInfo {
    if !f.subscribed {
        return UserInfo {
            subscribe: 0,
            openid: f.openid.clone(),
            language: None,
            subscribe_time: None,
            unionid: Some(f.unionid.clone()),
            remark: None,
            groupid: None,
            tagid_list: None,
            subscribe_scene: None,
            qr_scene: None,
            qr_scene_str: None,
        };
    }
    UserInfo {
        subscribe: 1,
        openid: f.openid.clone(),
        language: Some("zh_CN".into()),
        subscribe_time: f.subscribe_time,
        unionid: Some(f.unionid.clone()),
        remark: Some(f.remark.clone()),
        groupid: Some(0),
        tagid_list: Some(f.tag_ids.clone()),
        subscribe_scene: f.subscribe_scene.clone(),
        qr_scene: Some(f.qr_scene),
        qr_scene_str: Some(f.qr_scene_str.clone()),
    }
}

pub async fn list(State(st): State<AppState>, c: Caller, WxQuery(q): WxQuery<UserGetQuery>) -> WxResult<OpenIdPage> {
    c.require(USER_MANAGEMENT)?;
    let page = st.store.subscribed_page(&c.account.appid, q.next_openid.as_deref(), PAGE_SIZE).await?;
    Ok(Json(OpenIdPage::from_ids(Some(page.total), page.openids)))
}

pub async fn info(State(st): State<AppState>, c: Caller, WxQuery(q): WxQuery<UserInfoQuery>) -> WxResult<UserInfo> {
    c.require(USER_MANAGEMENT)?;
    let openid = q.openid.filter(|o| !o.is_empty()).ok_or(ErrCode::OpenidMissing)?;
    let f = st.store.follower_by_openid(&c.account.appid, &openid).await?.ok_or(ErrCode::InvalidOpenid)?;
    Ok(Json(user_info(&f)))
}

pub async fn batch_get(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<BatchGetRequest>) -> WxResult<BatchGetResponse> {
    c.require(USER_MANAGEMENT)?;
    let list = b.user_list.unwrap_or_default();
    herald_domain::tags::check_batch(list.len(), BATCHGET_MAX)?;
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let openid = item.openid.filter(|o| !o.is_empty()).ok_or(ErrCode::OpenidMissing)?;
        let f = st.store.follower_by_openid(&c.account.appid, &openid).await?.ok_or(ErrCode::InvalidOpenid)?;
        out.push(user_info(&f));
    }
    Ok(Json(BatchGetResponse { user_info_list: out }))
}

pub async fn update_remark(State(st): State<AppState>, c: Caller, WxJson(b): WxJson<UpdateRemarkRequest>) -> WxResult<WxOk> {
    c.require(USER_MANAGEMENT)?;
    let openid = b.openid.filter(|o| !o.is_empty()).ok_or(ErrCode::OpenidMissing)?;
    let remark = b.remark.unwrap_or_default();
    follower::check_remark(&remark)?;
    st.store.set_remark(&c.account.appid, &openid, &remark).await?;
    Ok(Json(WxOk))
}
