//! How owners use the console: their logins (an email and a password hash), their sessions
//! (apart from followers' sessions), and the follower list the console pages through.

use async_trait::async_trait;
use herald_wire::{AppId, OwnerId};

use crate::{Result, SessionInfo};

/// One row of the console's follower list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowerRow {
    /// The keyset cursor: the follower's place in the account's follow order.
    pub follow_order: i64,
    pub openid: String,
    pub user_id: String,
    pub nickname: String,
    pub remark: String,
    pub subscribe_time: Option<i64>,
    pub blacklisted: bool,
    pub last_interaction_at: Option<i64>,
}

/// Which followers the console lists: subscribed ones, newest first, after a cursor, matching
/// a search (an exact openid, or a prefix of the remark or of the nickname).
#[derive(Debug, Clone, Default)]
pub struct FollowerFilter {
    pub search: Option<String>,
    pub blacklisted: Option<bool>,
    /// Only those with this tag.
    pub tag_id: Option<i64>,
    /// Only those who followed at or after this time.
    pub since: Option<i64>,
    /// Only those whose follow order is below this (the last row of the page before).
    pub before: Option<i64>,
    pub limit: i64,
}

/// One account's figures for one China Standard Time day (`day` = (Unix seconds + 8 h) / 86400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DailyRow {
    pub day: i64,
    pub follows: i64,
    pub unfollows: i64,
    pub received: i64,
    pub sent: i64,
}

/// A console session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    pub owner_id: OwnerId,
    /// The member whose login it is; None for the owner's own login (or the operator's view).
    pub member_id: Option<String>,
    /// The operator's read-only view of the owner's console.
    pub read_only: bool,
    pub expires_at: i64,
}

#[async_trait]
pub trait ConsoleStore: Send + Sync {
    /// Sets `owner`'s email and password hash (replacing any it had); false if the email
    /// belongs to another owner or to a member (nothing changes then).
    async fn set_owner_login(&self, owner: &OwnerId, email: &str, password_hash: &str, now: i64) -> Result<bool>;
    /// The owner an email belongs to and the password hash.
    async fn owner_login(&self, email: &str) -> Result<Option<(OwnerId, String)>>;
    /// The email an owner signs in with.
    async fn owner_email(&self, owner: &OwnerId) -> Result<Option<String>>;
    async fn set_owner_password_hash(&self, owner: &OwnerId, password_hash: &str) -> Result<()>;
    async fn put_owner_session(&self, id_hash: &str, s: &ConsoleSession, now: i64, user_agent: &str) -> Result<()>;
    /// A console session: whose, whose login, until when.
    async fn owner_session(&self, id_hash: &str) -> Result<Option<ConsoleSession>>;
    async fn delete_owner_session(&self, id_hash: &str) -> Result<()>;
    /// The live sessions of one login (the owner's own when `member` is None; the operator's
    /// read-only views are not among them), newest first.
    async fn owner_sessions(&self, owner: &OwnerId, member: Option<&str>, now: i64) -> Result<Vec<SessionInfo>>;
    /// Ends the sessions of one login whose id hash starts with `prefix` (at least 16 hex
    /// characters); how many ended.
    async fn end_owner_sessions(&self, owner: &OwnerId, member: Option<&str>, prefix: &str) -> Result<u64>;
    /// A page of the account's followers for the console.
    async fn follower_rows(&self, appid: &AppId, filter: &FollowerFilter) -> Result<Vec<FollowerRow>>;
    /// The console's inbox: subscribed followers who have interacted, the latest first.
    async fn inbox(&self, appid: &AppId, limit: i64) -> Result<Vec<FollowerRow>>;
    /// The account's daily figures for days `from..=to` that have any, oldest first (kept by
    /// the database's triggers on followers and messages).
    async fn account_daily(&self, appid: &AppId, from: i64, to: i64) -> Result<Vec<DailyRow>>;
    /// Folds what the database's triggers logged into the daily aggregates, for every account
    /// (PostgreSQL appends to a log that reading an account's days also folds; SQLite keeps the
    /// aggregates directly and folds nothing): how many log rows were folded.
    async fn fold_daily(&self) -> Result<u64>;
    /// How many calls the request log holds for the account since `since_ms` (WeChat APIs only),
    /// and how many of them failed (a non-zero errcode or an error status).
    async fn account_call_counts(&self, appid: &AppId, since_ms: i64) -> Result<(i64, i64)>;
    /// The account's quick replies, in order.
    async fn quick_replies(&self, appid: &AppId) -> Result<Vec<String>>;
    /// Replaces the account's quick replies.
    async fn set_quick_replies(&self, appid: &AppId, replies: &[String]) -> Result<()>;
    /// The account's API IP allow-list as stored (comma-separated; empty allows all).
    async fn ip_allow_list(&self, appid: &AppId) -> Result<String>;
    async fn set_ip_allow_list(&self, appid: &AppId, list: &str) -> Result<()>;
    /// The account's QR codes (not its own account code), newest first, each with how many
    /// subscribed followers came through a code of its scene and how many times it was scanned.
    async fn qr_codes(&self, appid: &AppId, limit: i64) -> Result<Vec<(crate::QrCode, i64, i64)>>;
    /// Counts one scan of the code with this ticket (no code: nothing).
    async fn count_qr_scan(&self, ticket: &str) -> Result<()>;
    /// What a mass message to `target` (`{"all":true}` or `{"tag_id":n}`) would reach now: the
    /// subscribed, non-blacklisted followers targeted, and how many of them this month's quota
    /// (month key `month`) would filter out; and how many mass messages the account sent on the
    /// day starting at `day_start`.
    async fn mass_reach(&self, appid: &AppId, target: &serde_json::Value, month: i64, day_start: i64) -> Result<(u64, u64, i64)>;
    /// The account's mass messages, newest first.
    async fn mass_history(&self, appid: &AppId, limit: i64) -> Result<Vec<crate::MassMessage>>;
    /// The last `limit` messages of a conversation (events left out), oldest first.
    async fn recent_messages(&self, appid: &AppId, user: &herald_wire::UserId, limit: i64) -> Result<Vec<crate::StoredMessage>>;
}

/// The LIKE pattern matching strings that start with `prefix` (with `\` as the escape).
pub(crate) fn like_prefix(prefix: &str) -> String {
    let mut p = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

pub(crate) fn valid_prefix(prefix: &str) -> bool {
    prefix.len() >= 16 && prefix.bytes().all(|b| b.is_ascii_hexdigit())
}
