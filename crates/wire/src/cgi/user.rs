//! Followers.
//! - `GET /cgi-bin/user/get?next_openid=`
//! - `GET /cgi-bin/user/info?openid=&lang=`
//! - `POST /cgi-bin/user/info/batchget` `{"user_list":[{"openid","lang"}]}`
//! - `POST /cgi-bin/user/info/updateremark` `{"openid","remark"}`

use serde::{Deserialize, Serialize};

use crate::ids::{OpenId, TagId, UnionId};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserGetQuery {
    pub next_openid: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserInfoQuery {
    pub openid: Option<String>,
    pub lang: Option<String>,
}

/// One entry of `user_list`; wechat-api sends `language` where wechatpy sends `lang`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BatchGetItem {
    pub openid: Option<String>,
    #[serde(alias = "language")]
    pub lang: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BatchGetRequest {
    #[serde(default)]
    pub user_list: Option<Vec<BatchGetItem>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchGetResponse {
    pub user_info_list: Vec<UserInfo>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UpdateRemarkRequest {
    pub openid: Option<String>,
    pub remark: Option<String>,
}

/// `user/info`. For someone who does not (or no longer) follow, only `subscribe: 0` and
/// `openid` (and `unionid`) are given, as WeChat does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub subscribe: i64,
    pub openid: OpenId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscribe_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unionid: Option<UnionId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groupid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tagid_list: Option<Vec<TagId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscribe_scene: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_scene: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_scene_str: Option<String>,
}

/// The `lang` values WeChat accepts.
pub const LANGS: &[&str] = &["zh_CN", "zh_TW", "en"];
