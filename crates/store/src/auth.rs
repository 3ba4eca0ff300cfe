//! How followers sign in: logins (a username or phone number) with password hashes, failed
//! attempts counted per login, and the sessions a user holds.

use async_trait::async_trait;
use herald_wire::UserId;

use crate::Result;

/// One of a user's sessions, as the user sees it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The SHA-256 of the cookie value, as stored.
    pub id_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub user_agent: String,
}

#[async_trait]
pub trait AuthStore: Send + Sync {
    /// Gives `user` the login `login` (already normalised); false if it is taken.
    async fn create_login(&self, login: &str, user: &UserId, password_hash: &str, now: i64) -> Result<bool>;
    /// The user a login belongs to and the password hash.
    async fn login(&self, login: &str) -> Result<Option<(UserId, String)>>;
    /// The login of a user, if it has one.
    async fn login_of(&self, user: &UserId) -> Result<Option<String>>;
    async fn set_password_hash(&self, user: &UserId, password_hash: &str) -> Result<()>;
    /// Counts a failed sign-in for `login` and returns the failures in the window that began
    /// at most `window` seconds before `now` (a new window starts when the old one is over).
    async fn note_login_failure(&self, login: &str, now: i64, window: i64) -> Result<i64>;
    /// The failures counted for `login` in the current window.
    async fn login_failures(&self, login: &str, now: i64, window: i64) -> Result<i64>;
    async fn clear_login_failures(&self, login: &str) -> Result<()>;
    /// A session, remembering the browser that opened it.
    async fn put_user_session(&self, id_hash: &str, user: &UserId, now: i64, expires_at: i64, user_agent: &str) -> Result<()>;
    /// The user's live sessions, newest first.
    async fn user_sessions(&self, user: &UserId, now: i64) -> Result<Vec<SessionInfo>>;
    /// Ends the user's sessions whose id hash starts with `prefix` (at least 16 characters);
    /// how many ended.
    async fn end_user_sessions(&self, user: &UserId, prefix: &str) -> Result<u64>;
}

/// Where a watcher of the live feed has read to: the newest message, mass message and
/// ledger transaction it has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveCursor {
    pub message: i64,
    pub mass: i64,
    pub txn: i64,
}

/// Something a follower's open app should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveChange {
    /// A message joined a conversation (`outbound`: the account sent it).
    Message { seq: i64, user: UserId, appid: herald_wire::AppId, outbound: bool },
    /// An account sent a mass message (its followers' folders or chats change).
    Mass { msg_id: i64, appid: herald_wire::AppId },
    /// A wallet moved.
    Wallet { txn: i64, user: UserId },
}

/// The change feed every node reads to tell its connected followers what happened, whichever
/// node stored it.
#[async_trait]
pub trait LiveStore: Send + Sync {
    /// The newest of each: where a new watcher starts.
    async fn live_head(&self) -> Result<LiveCursor>;
    /// Changes after `from` less `lookback` (rows committed late on PostgreSQL, whose ids are
    /// handed out before commit, are still seen; the caller drops what it has seen), at most
    /// `limit` of each kind, oldest first. SQLite's single writer commits ids in order, so it
    /// needs no lookback and reads from `from` itself.
    async fn live_changes(&self, from: LiveCursor, lookback: i64, limit: i64) -> Result<Vec<LiveChange>>;
}
