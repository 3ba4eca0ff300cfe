//! Records and storage for mini programs: session keys, subscribe-message templates and the
//! acceptances that let a mini program send them, URL schemes and links.

use async_trait::async_trait;
use herald_wire::{AppId, UserId};

use crate::Result;

/// A subscribe-message template a mini program chose from the public library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubTemplate {
    pub appid: AppId,
    pub pri_tmpl_id: String,
    pub tid: u32,
    /// The chosen keywords' ids, in order.
    pub kids: Vec<u32>,
    /// 2: one-time; 3: long-term.
    pub kind: u8,
    pub scene_desc: String,
    pub created_at: i64,
}

impl SubTemplate {
    pub fn kids_text(&self) -> String {
        self.kids.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(",")
    }

    pub fn parse_kids(s: &str) -> Vec<u32> {
        s.split(',').filter_map(|k| k.parse().ok()).collect()
    }
}

/// A URL scheme (`weixin://dl/business/?t=ID`) or URL link that opens a mini program's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpLink {
    pub id: String,
    pub appid: AppId,
    /// `scheme` or `urllink`.
    pub kind: String,
    pub page: String,
    pub query: String,
    pub env_version: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[async_trait]
pub trait MiniProgramStore: Send + Sync {
    /// Sets the user's current session key for the mini program (wx.login does).
    async fn set_session_key(&self, appid: &AppId, user: &UserId, key: &str, now: i64) -> Result<()>;
    async fn session_key(&self, appid: &AppId, user: &UserId) -> Result<Option<String>>;
    /// Adds a template unless the mini program has `max` already (false then).
    async fn add_sub_template(&self, t: &SubTemplate, max: usize) -> Result<bool>;
    /// The mini program's templates, oldest first.
    async fn sub_templates(&self, appid: &AppId) -> Result<Vec<SubTemplate>>;
    async fn delete_sub_template(&self, appid: &AppId, pri_tmpl_id: &str) -> Result<bool>;
    /// Records the user's acceptance of each template: one more message each.
    async fn accept_subscriptions(&self, appid: &AppId, user: &UserId, ids: &[String], now: i64) -> Result<()>;
    /// Uses one acceptance (for a one-time template; a long-term one is kept): false when the
    /// user has none.
    async fn take_subscription(&self, appid: &AppId, user: &UserId, pri_tmpl_id: &str, one_time: bool, now: i64) -> Result<bool>;
    /// How many messages of each template the user has accepted and not yet received.
    async fn subscriptions(&self, appid: &AppId, user: &UserId) -> Result<Vec<(String, i64)>>;
    async fn put_link(&self, l: &MpLink) -> Result<()>;
    async fn link(&self, id: &str) -> Result<Option<MpLink>>;
}
