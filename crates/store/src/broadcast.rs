//! Records and the storage trait for broadcast: mass messages under their quotas, templates,
//! account settings, and what followers have read.

use async_trait::async_trait;
use herald_wire::{AppId, UserId};

use crate::{NewMessage, Result, StoredMessage};

/// A mass message (times in platform seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MassMessage {
    pub msg_id: i64,
    pub appid: AppId,
    pub msgtype: String,
    /// The type's object, JSON.
    pub payload: String,
    /// For mpnews: the articles as sent, JSON.
    pub articles: Option<String>,
    /// `{"all":true}`, `{"tag_id":n}` or `{"openids":[...]}`.
    pub target: String,
    pub client_msg_id: Option<String>,
    /// SENDING, SEND_SUCCESS, SEND_FAIL, DELETE.
    pub status: String,
    pub total: i64,
    pub filtered: i64,
    pub sent: i64,
    pub errors: i64,
    /// Deleted article indexes (1-based, comma-separated), or `*` for the whole message.
    pub deleted: String,
    pub day_start: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// A mass message to queue.
#[derive(Debug, Clone)]
pub struct NewMass {
    pub appid: AppId,
    pub msgtype: String,
    pub payload: String,
    pub articles: Option<String>,
    pub target: String,
    pub client_msg_id: Option<String>,
    pub created_at: i64,
    pub day_start: i64,
    /// At most this many mass messages since `day_start` (subscription accounts), else 45028.
    pub daily_limit: Option<i64>,
}

/// Per-account settings that templates and mass sending use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSettings {
    pub industry1: Option<i64>,
    pub industry2: Option<i64>,
    pub industry_set_at: Option<i64>,
    pub mass_speed: i64,
}

/// A template an account added from the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountTemplate {
    pub template_id: String,
    pub short_id: String,
    pub created_at: i64,
}

/// How far a user has read one chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRead {
    pub appid: AppId,
    pub read_seq: i64,
    pub read_at: i64,
}

/// Builds a developer-server event for a finished mass message (None: no event).
pub type MassEvent<'a> = &'a (dyn Fn(&MassMessage) -> Option<String> + Send + Sync);
/// Builds a developer-server event for a stored message, given its MsgId.
pub type MessageEvent<'a> = &'a (dyn Fn(i64) -> String + Send + Sync);

#[async_trait]
pub trait BroadcastStore: Send + Sync {
    /// Queues a mass message and its fan-out job in one transaction. A repeated
    /// `client_msg_id` changes nothing and returns the first message (and false).
    async fn create_mass(&self, m: &NewMass, now_ms: i64) -> Result<(MassMessage, bool)>;
    async fn mass(&self, appid: &AppId, msg_id: i64) -> Result<Option<MassMessage>>;
    /// Marks the whole message (`*`) or one article deleted; false if there is no such message.
    async fn delete_mass(&self, appid: &AppId, msg_id: i64, article_idx: i64) -> Result<bool>;
    /// Runs a claimed fan-out job in one transaction: works out the target followers, applies
    /// the month's quota (service accounts), stores who received it, finishes the job and
    /// queues the finish event. False if the job is no longer this worker's.
    async fn run_mass(&self, job_id: i64, worker: &str, now_ms: i64, event: MassEvent<'_>) -> Result<bool>;
    /// The mass messages a user received from the accounts they follow, newest first.
    async fn mass_inbox(&self, user: &UserId, limit: usize) -> Result<Vec<MassMessage>>;
    /// How many mass messages follower `openid` received from the account in `month`.
    async fn mass_received(&self, appid: &AppId, openid: &str, month: i64) -> Result<i64>;

    async fn account_settings(&self, appid: &AppId) -> Result<AccountSettings>;
    async fn set_industry(&self, appid: &AppId, id1: i64, id2: i64, now: i64) -> Result<()>;
    async fn set_mass_speed(&self, appid: &AppId, speed: i64) -> Result<()>;

    /// Adds a library template; the same one twice returns the first template_id. 45026 past
    /// `max` templates.
    async fn add_template(&self, appid: &AppId, short_id: &str, fresh_id: &str, max: usize, now: i64) -> Result<String>;
    async fn templates(&self, appid: &AppId) -> Result<Vec<AccountTemplate>>;
    async fn delete_template(&self, appid: &AppId, template_id: &str) -> Result<bool>;
    /// Stores an outbound message (a template message) with the MsgId it is known by, and
    /// queues `event` for the developer server, in one transaction.
    async fn append_with_event(&self, msg: &NewMessage, event: Option<MessageEvent<'_>>, now_ms: i64) -> Result<StoredMessage>;

    async fn mark_read(&self, user: &UserId, appid: &AppId, read_seq: i64, read_at: i64) -> Result<()>;
    async fn chat_reads(&self, user: &UserId) -> Result<Vec<ChatRead>>;
    /// The newest message of a conversation, and how many account messages follow `after_seq`.
    async fn chat_tail(&self, appid: &AppId, user: &UserId, after_seq: i64) -> Result<(Option<StoredMessage>, i64)>;

    /// Load-test seeding: `n` new users following the account at once; returns the first
    /// new user's id.
    async fn bulk_follow(&self, appid: &AppId, n: u64, now: i64) -> Result<UserId>;
}
