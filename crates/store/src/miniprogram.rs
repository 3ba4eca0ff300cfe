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

/// An uploaded package version: its source (a zip) and compiled output are blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpVersion {
    pub appid: AppId,
    pub version: String,
    pub description: String,
    pub source_blob: String,
    pub compiled_blob: String,
    pub files: i64,
    pub bytes: i64,
    pub created_at: i64,
}

/// Which version a channel (`develop`, `trial`, `release`) serves, and the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpChannel {
    pub channel: String,
    pub version: String,
    pub previous: Option<String>,
    pub updated_at: i64,
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
    /// Stores a new version; false when the mini program has that version already.
    async fn put_version(&self, v: &MpVersion) -> Result<bool>;
    async fn version(&self, appid: &AppId, version: &str) -> Result<Option<MpVersion>>;
    /// Newest first.
    async fn versions(&self, appid: &AppId) -> Result<Vec<MpVersion>>;
    /// Points a channel at a version; the version it served becomes `previous`.
    async fn set_channel(&self, appid: &AppId, channel: &str, version: &str, now: i64) -> Result<()>;
    /// Points release back at its previous version (once: the previous is then forgotten).
    /// None when there is none.
    async fn roll_back_release(&self, appid: &AppId, now: i64) -> Result<Option<String>>;
    async fn channels(&self, appid: &AppId) -> Result<Vec<MpChannel>>;
    /// The user's storage for the mini program, by key.
    async fn storage(&self, appid: &AppId, user: &UserId) -> Result<Vec<(String, String)>>;
    /// Sets (Some) or removes (None) a key; false, changing nothing, when the user's storage
    /// would then hold more than `max_total` bytes of keys and values.
    async fn set_storage(&self, appid: &AppId, user: &UserId, key: &str, value: Option<&str>, now: i64, max_total: usize) -> Result<bool>;
    async fn clear_storage(&self, appid: &AppId, user: &UserId) -> Result<()>;
    async fn request_domains(&self, appid: &AppId) -> Result<Vec<String>>;
    async fn set_request_domains(&self, appid: &AppId, domains: &[String]) -> Result<()>;
    /// Makes the user a tester unless the mini program has `max` already: Ok(None) when full,
    /// Ok(Some(false)) when the user was one already.
    async fn add_tester(&self, appid: &AppId, user: &UserId, now: i64, max: usize) -> Result<Option<bool>>;
    async fn remove_tester(&self, appid: &AppId, user: &UserId) -> Result<bool>;
    async fn testers(&self, appid: &AppId) -> Result<Vec<UserId>>;
}
