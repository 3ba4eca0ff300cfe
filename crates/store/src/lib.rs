//! Herald's storage: one narrow trait per area, implemented once per database.
//!
//! `sqlite/` implements every trait on rusqlite (statements run inline, one module per area);
//! `postgres.rs` implements them on sqlx, with the SQL of each area in `postgres/<area>.rs`.
//! Schemas are in `migrations/<backend>/`, kept in lockstep. `tests/story.rs` runs one story
//! against both.

pub mod auth;
pub mod broadcast;
pub mod console;
pub mod content;
pub mod coupon;
pub mod fault;
pub mod members;
mod error;
mod keys;
mod postgres;
mod records;
mod sqlite;
pub mod web;
pub mod ledger;
pub mod miniprogram;
pub mod pay;
pub mod redpack;

use std::sync::Arc;

use async_trait::async_trait;
use herald_domain::time::{ClockState, UnixTime};
use herald_domain::token::IssuedToken;
use herald_wire::{AppId, OwnerId, TagId, UserId};

pub use auth::{AuthStore, LiveChange, LiveCursor, LiveStore, SessionInfo};
pub use broadcast::*;
pub use console::{ConsoleSession, ConsoleStore, DailyRow, FollowerFilter, FollowerRow};
pub use members::{LoginRef, Member, MemberInvite, MemberStore};
pub use content::*;
pub use error::{Result, StoreError};
pub use keys::conversation_key;
pub use miniprogram::{MiniProgramStore, MpChannel, MpLink, MpVersion, SubTemplate};
pub use postgres::PgStore;
pub use records::*;
pub use sqlite::SqliteStore;
pub use web::*;
pub use ledger::{Entry, LedgerStore, Posted};
pub use pay::PayStore;
pub use redpack::RedPackStore;
pub use coupon::CouponStore;
pub use fault::{FaultStore, LoggedCall, RequestLogStore, ResetStore, StoredFault};

/// Platform-wide settings and the shared clock.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value` under `key` unless a value is there already; returns the stored value.
    async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String>;
    /// The clock state last saved, if any.
    async fn clock(&self) -> Result<Option<ClockState>>;
    async fn set_clock(&self, state: ClockState) -> Result<()>;
}

/// Owners and their official accounts.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn insert_owner(&self, owner: &Owner) -> Result<()>;
    async fn owner(&self, id: &OwnerId) -> Result<Option<Owner>>;
    async fn owners(&self) -> Result<Vec<Owner>>;
    async fn insert_account(&self, account: &Account) -> Result<()>;
    async fn account(&self, appid: &str) -> Result<Option<Account>>;
    async fn accounts(&self) -> Result<Vec<Account>>;
    /// Writes the mutable fields: name, type, verified, secret, developer-server settings.
    async fn update_account(&self, account: &Account) -> Result<()>;
}

/// Platform end users.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn insert_user(&self, user: &User) -> Result<()>;
    async fn user(&self, id: &UserId) -> Result<Option<User>>;
    async fn users(&self) -> Result<Vec<User>>;
}

/// The relation between an account and a user: follows, OpenIDs, remarks, the blacklist.
#[async_trait]
pub trait FollowerStore: Send + Sync {
    /// Makes `user` follow `appid`. The first contact fixes the OpenID (`fresh.openid`) and,
    /// per owner, the UnionID (`fresh.unionid`); later follows reuse them. Returns the
    /// relation and whether this call changed it from not following to following.
    async fn follow(&self, appid: &AppId, user: &UserId, how: &FollowHow, fresh: &FreshIds, now: UnixTime)
        -> Result<(Follower, bool)>;
    /// The relation of `user` and `appid`, created (not following) on first contact, as web
    /// OAuth does for users who never followed.
    async fn meet(&self, appid: &AppId, user: &UserId, fresh: &FreshIds) -> Result<Follower>;
    /// Ends a follow. Returns the relation (None if the user never met the account) and
    /// whether this call changed it.
    async fn unfollow(&self, appid: &AppId, user: &UserId, now: UnixTime) -> Result<Option<(Follower, bool)>>;
    async fn follower_by_openid(&self, appid: &AppId, openid: &str) -> Result<Option<Follower>>;
    async fn follower_by_user(&self, appid: &AppId, user: &UserId) -> Result<Option<Follower>>;
    /// Every account this user has met, followed or not.
    async fn relations_of_user(&self, user: &UserId) -> Result<Vec<Follower>>;
    /// Current followers in follow order, after the one with openid `after`.
    /// `Rejected(InvalidOpenid)` if `after` is not a current follower.
    async fn subscribed_page(&self, appid: &AppId, after: Option<&str>, limit: usize) -> Result<Page>;
    async fn set_remark(&self, appid: &AppId, openid: &str, remark: &str) -> Result<()>;
    /// Blacklists (or lifts) every openid, all or none: `Rejected(InvalidOpenid)` if one is not
    /// a follower of the account.
    async fn set_blacklisted(&self, appid: &AppId, openids: &[String], on: bool) -> Result<()>;
    async fn blacklist_page(&self, appid: &AppId, after: Option<&str>, limit: usize) -> Result<Page>;
}

/// Follower tags.
#[async_trait]
pub trait TagStore: Send + Sync {
    /// Every tag with its follower count, the system star tag first.
    async fn tags(&self, appid: &AppId) -> Result<Vec<Tag>>;
    async fn create_tag(&self, appid: &AppId, name: &str, now: UnixTime) -> Result<Tag>;
    async fn rename_tag(&self, appid: &AppId, id: TagId, name: &str) -> Result<()>;
    async fn delete_tag(&self, appid: &AppId, id: TagId) -> Result<()>;
    /// Tags (or untags) every openid, all or none, under WeChat's limits.
    async fn set_tagged(&self, appid: &AppId, id: TagId, openids: &[String], on: bool) -> Result<()>;
    /// Followers carrying the tag, in follower order, after `after`.
    async fn tag_page(&self, appid: &AppId, id: TagId, after: Option<&str>, limit: usize) -> Result<Page>;
}

/// Access tokens.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// The token and the account it belongs to, in one read (the hot path of every API call).
    async fn token_account(&self, token: &str) -> Result<Option<(IssuedToken, AccountAuth)>>;
    /// Stores a new `/cgi-bin/token` token; earlier live client tokens stop at `cutoff`.
    async fn issue_client_token(&self, appid: &AppId, token: &IssuedToken, cutoff: UnixTime) -> Result<()>;
    /// Stable tokens issued at or after `since`, newest first.
    async fn stable_tokens(&self, appid: &AppId, since: UnixTime) -> Result<Vec<IssuedToken>>;
    /// Stores a new stable token; with `revoke_previous`, earlier stable tokens end now.
    async fn issue_stable_token(&self, appid: &AppId, token: &IssuedToken, revoke_previous: bool) -> Result<()>;
}

/// Builds the callback XML once the message's MsgId is known.
pub type CallbackBuilder<'a> = &'a (dyn Fn(Option<i64>) -> String + Send + Sync);

/// Conversations: both directions of every (account, user) pair, in order.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Stores what a user sent or raised, all in one transaction: the message (with a MsgId
    /// if `with_msg_id`), the follower's last interaction if it `opens_window`, and — when
    /// `callback` is given — a job delivering it to the developer server.
    async fn record_inbound(
        &self,
        msg: &NewMessage,
        with_msg_id: bool,
        opens_window: bool,
        callback: Option<CallbackBuilder<'_>>,
        now_ms: i64,
    ) -> Result<(StoredMessage, Option<i64>)>;
    /// Adds an account's message (a customer-service message, an auto-reply).
    async fn append_outbound(&self, msg: &NewMessage) -> Result<StoredMessage>;
    /// Messages after `after_seq`, oldest first.
    async fn conversation(&self, appid: &AppId, user: &UserId, after_seq: i64, limit: usize, include_events: bool)
        -> Result<Vec<StoredMessage>>;
}

/// The durable job queue and the delivery log.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Claims up to `limit` due jobs for `worker` with a lease, counting the attempt. A job is
    /// claimable only when no earlier job of the same conversation is pending, so one user's
    /// callbacks go out (and their replies come back) in order.
    async fn claim_jobs(&self, worker: &str, now_ms: i64, lease_ms: i64, limit: usize) -> Result<Vec<Job>>;
    /// Records the attempt and applies the outcome, in one transaction. A reply or notice joins
    /// the conversation at most once per delivery round. Returns false (and changes nothing) if
    /// the job is no longer this worker's.
    async fn finish_job(&self, job_id: i64, worker: &str, attempt: &Attempt, outcome: &JobOutcome, now_ms: i64) -> Result<bool> {
        let done = [Finished { job_id, worker: worker.to_string(), attempt: attempt.clone(), outcome: outcome.clone() }];
        Ok(self.finish_jobs(&done, now_ms).await?.first().copied().unwrap_or(false))
    }
    /// `finish_job` for many jobs in one transaction (group commit): each is applied exactly as
    /// `finish_job` would apply it; the answer says, job by job, whether it was still the
    /// worker's.
    async fn finish_jobs(&self, done: &[Finished], now_ms: i64) -> Result<Vec<bool>>;
    /// `finish_jobs` and then `claim_jobs`, in one transaction: a worker's whole write for one
    /// round, so a busy queue costs one commit per round rather than two.
    async fn finish_and_claim(&self, done: &[Finished], worker: &str, now_ms: i64, lease_ms: i64, limit: usize)
        -> Result<(Vec<bool>, Vec<Job>)>;
    async fn job(&self, id: i64) -> Result<Option<Job>>;
    /// An account's jobs, newest first, optionally only those in `state`.
    async fn jobs(&self, appid: &AppId, state: Option<&str>, limit: usize) -> Result<Vec<Job>>;
    async fn attempts(&self, job_id: i64) -> Result<Vec<Attempt>>;
    /// Puts a finished or failed job back in the queue, due now, as a new delivery round.
    /// False if it is pending.
    async fn requeue(&self, job_id: i64, now_ms: i64) -> Result<bool>;
    /// Requeues every failed job of an account; returns how many.
    async fn requeue_failed(&self, appid: &AppId, now_ms: i64) -> Result<i64>;
    /// Brings every pending job of `kind` `ms` milliseconds closer (the simulated clock
    /// moved); returns how many.
    async fn pull_jobs_forward(&self, kind: &str, ms: i64) -> Result<i64>;
}

/// Auto-replies of accounts without a developer server (a JSON document per account).
#[async_trait]
pub trait AutoReplyStore: Send + Sync {
    async fn auto_replies(&self, appid: &AppId) -> Result<Option<String>>;
    async fn set_auto_replies(&self, appid: &AppId, config: &str) -> Result<()>;
}

/// Everything Herald stores.
pub trait Store:
    AuthStore + ConsoleStore + MemberStore + MiniProgramStore + FaultStore + ResetStore + RequestLogStore + LiveStore + SettingsStore + AccountStore + UserStore + FollowerStore + TagStore + TokenStore + ConversationStore + JobStore + AutoReplyStore + BroadcastStore + ContentStore + WebStore + LedgerStore + PayStore + RedPackStore + CouponStore
{
}
impl<T> Store for T where
    T: AuthStore + ConsoleStore + MemberStore + MiniProgramStore + FaultStore + ResetStore + RequestLogStore + LiveStore + SettingsStore + AccountStore + UserStore + FollowerStore + TagStore + TokenStore + ConversationStore + JobStore + AutoReplyStore + BroadcastStore + ContentStore + WebStore + LedgerStore + PayStore + RedPackStore + CouponStore
{
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Opens the database a URL names (`sqlite://path`, `sqlite::memory:`, `postgres://…`),
/// creating a SQLite file if needed, and runs the migrations when `migrate` is set.
pub async fn open(url: &str, migrate: bool) -> Result<Arc<dyn Store>> {
    match Backend::of_url(url) {
        Some(Backend::Sqlite) => {
            let s = SqliteStore::connect(url).await?;
            if migrate {
                s.migrate().await?;
            }
            Ok(Arc::new(s))
        }
        Some(Backend::Postgres) => {
            let s = PgStore::connect(url).await?;
            if migrate {
                s.migrate().await?;
            }
            Ok(Arc::new(s))
        }
        None => Err(StoreError::Other(format!(
            "unsupported database URL {url:?}: use sqlite://PATH or postgres://…"
        ))),
    }
}
