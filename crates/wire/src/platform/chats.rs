//! A follower's chat list, subscription folder and the account directory, as the app reads them.
//! - `GET /herald/v1/users/{id}/chats`, `GET /herald/v1/users/{id}/subscriptions`,
//!   `GET /herald/v1/users/{id}/chats/{appid}/pushes`
//! - `GET /herald/v1/directory?q=`, `GET /herald/v1/directory/{appid}`

use serde::{Deserialize, Serialize};

use crate::ids::AppId;

/// One article of a mass message, with the follower's link to read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushArticleOut {
    #[schema(value_type = Object)]
    pub title: serde_json::Value,
    #[schema(value_type = Object)]
    pub author: serde_json::Value,
    #[schema(value_type = Object)]
    pub digest: serde_json::Value,
    #[schema(value_type = Object)]
    pub thumb_media_id: serde_json::Value,
    pub url: String,
}

/// A mass message as its follower sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushOut {
    /// Always `push`.
    pub kind: String,
    pub appid: AppId,
    pub account_name: String,
    pub msg_id: i64,
    /// `mpnews`, `text`, `image`, `voice`, `mpvideo`, `wxcard`.
    pub msgtype: String,
    /// The message as the account sent it (its `text`, `image`, … object).
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    pub articles: Vec<PushArticleOut>,
    /// One line for lists.
    pub preview: String,
    pub created_at: i64,
}

/// The newest thing in a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChatLastOut {
    /// `message` or `push`.
    pub kind: String,
    pub msgtype: String,
    pub preview: String,
    pub created_at: i64,
    /// The message's place in the conversation (messages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
}

/// One entry of the chat list: an account's chat, or the folded subscription folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChatOut {
    /// `account` or `subscriptions`.
    pub kind: String,
    /// The account (`account` entries only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<AppId>,
    pub name: String,
    /// `service` or `subscription` (`account` entries only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Whether the user still follows the account (`account` entries only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<bool>,
    pub last: ChatLastOut,
    pub unread: i64,
    /// Whether new messages here notify (service accounts); the folder never does.
    pub notify: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChatList {
    /// Newest first.
    pub chats: Vec<ChatOut>,
}

/// The subscription folder: subscription accounts' mass messages, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FolderOut {
    pub items: Vec<PushOut>,
}

/// One account's mass messages to this follower, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushList {
    pub pushes: Vec<PushOut>,
}

/// An official account as the directory shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DirectoryEntry {
    pub appid: AppId,
    pub name: String,
    /// `subscription` or `service`.
    pub account_type: String,
    pub verified: bool,
    /// Its introduction; empty when none.
    pub intro: String,
    /// Its own QR code's picture (one account's card only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qrcode_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DirectoryList {
    /// At most 50.
    pub accounts: Vec<DirectoryEntry>,
}

/// The answer of writes that have nothing else to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OkOut {
    pub ok: bool,
}
