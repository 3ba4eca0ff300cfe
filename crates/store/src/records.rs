//! What the stores hold, as plain values.

use herald_domain::account::{AccountKind, AccountType, MessageMode, OwnerKind};
use herald_domain::time::UnixTime;
use herald_wire::{AppId, OpenId, OwnerId, TagId, UnionId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub id: OwnerId,
    pub kind: OwnerKind,
    pub name: String,
    pub created_at: UnixTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerSettings {
    pub url: Option<String>,
    pub token: Option<String>,
    pub encoding_aes_key: Option<String>,
    pub mode: MessageMode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub appid: AppId,
    /// The account's own WeChat id (`gh_…`), the `ToUserName` of callbacks.
    pub original_id: String,
    pub owner_id: OwnerId,
    pub owner_kind: OwnerKind,
    pub name: String,
    pub ty: AccountType,
    pub verified: bool,
    pub app_secret: String,
    pub server: ServerSettings,
    pub created_at: UnixTime,
}

impl Account {
    pub fn kind(&self) -> AccountKind {
        AccountKind { ty: self.ty, verified: self.verified }
    }
}

/// What an API call needs to know about the calling account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountAuth {
    pub appid: AppId,
    pub owner_id: OwnerId,
    pub kind: AccountKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub nickname: String,
    pub created_at: UnixTime,
}

/// How a user came to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowHow {
    pub scene: String,
    pub qr_scene: i64,
    pub qr_scene_str: String,
}

impl Default for FollowHow {
    fn default() -> Self {
        FollowHow {
            scene: herald_domain::follower::DEFAULT_SCENE.to_string(),
            qr_scene: 0,
            qr_scene_str: String::new(),
        }
    }
}

/// Ids to use if a follow is the user's first contact with the account (or owner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshIds {
    pub openid: OpenId,
    pub unionid: herald_wire::UnionId,
}

/// An (account, user) relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follower {
    pub appid: AppId,
    pub user_id: UserId,
    pub openid: OpenId,
    pub unionid: UnionId,
    pub subscribed: bool,
    pub subscribe_time: Option<UnixTime>,
    pub unsubscribe_time: Option<UnixTime>,
    pub subscribe_scene: Option<String>,
    pub qr_scene: i64,
    pub qr_scene_str: String,
    pub remark: String,
    pub blacklisted: bool,
    pub tag_ids: Vec<TagId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: TagId,
    pub name: String,
    pub count: i64,
}

/// A page of openids and, where the API reports one, the total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub total: i64,
    pub openids: Vec<OpenId>,
}
