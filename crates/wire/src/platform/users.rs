//! Simulated end users.
//! - `POST /herald/v1/users`, `GET /herald/v1/users`, `GET /herald/v1/users/{id}`
//! - `POST /herald/v1/users/{id}/follow` `{"appid","scene"}`, `POST /herald/v1/users/{id}/unfollow` `{"appid"}`
//! - `GET /herald/v1/users/{id}/following`

use serde::{Deserialize, Serialize};

use crate::ids::{AppId, OpenId, TagId, UnionId, UserId};

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserCreate {
    /// A fixed id (1 to 64 of letters, digits, `_` and `-`); made here when absent.
    #[serde(default)]
    pub id: Option<String>,
    pub nickname: String,
    #[serde(default)]
    pub profile: Option<super::profile::Profile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserOut {
    pub id: UserId,
    pub nickname: String,
    pub created_at: i64,
    pub profile: super::profile::Profile,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserList {
    pub users: Vec<UserOut>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowIn {
    pub appid: AppId,
    /// A `subscribe_scene` value; `ADD_SCENE_SEARCH` when absent.
    #[serde(default)]
    pub scene: Option<String>,
}

/// A user's relation with one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RelationOut {
    pub appid: AppId,
    pub account_name: String,
    pub account_type: String,
    pub openid: OpenId,
    pub unionid: UnionId,
    pub subscribed: bool,
    pub subscribe_time: Option<i64>,
    pub unsubscribe_time: Option<i64>,
    pub subscribe_scene: Option<String>,
    #[serde(default)]
    pub qr_scene: i64,
    #[serde(default)]
    pub qr_scene_str: String,
    pub remark: String,
    pub blacklisted: bool,
    pub tagid_list: Vec<TagId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RelationList {
    pub following: Vec<RelationOut>,
}
