//! Fault rules (see `herald_domain::fault`): stored so every node applies the same ones and
//! shares their counts.

use async_trait::async_trait;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFault {
    pub id: i64,
    /// The rule, as JSON.
    pub spec: String,
    /// Uses left, for a counted rule.
    pub remaining: Option<i64>,
    pub created_at: i64,
}

#[async_trait]
pub trait FaultStore: Send + Sync {
    async fn add_fault(&self, spec: &str, remaining: Option<i64>, now: i64) -> Result<i64>;
    /// The rules, oldest first, spent ones (no use left) left out.
    async fn faults(&self) -> Result<Vec<StoredFault>>;
    async fn delete_fault(&self, id: i64) -> Result<bool>;
    async fn clear_faults(&self) -> Result<u64>;
    /// Takes one use of a counted rule: false when none is left (another call took the last).
    async fn take_fault(&self, id: i64) -> Result<bool>;
}

/// Returning a database to nothing (the reset a test suite calls between tests).
#[async_trait]
pub trait ResetStore: Send + Sync {
    /// Deletes every row of every table but the platform's settings (the operator token, the
    /// payment platform key), the clock and the migrations; ids start again.
    async fn wipe(&self) -> Result<()>;
}

/// Tables a wipe keeps.
pub(crate) const KEPT_TABLES: &[&str] = &["settings", "clock", "_herald_migrations", "_sqlx_migrations"];
/// Settings a wipe forgets (they describe data that is gone).
pub(crate) const FORGOTTEN_SETTINGS: &[&str] = &["demo"];

/// One call in the request log.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct LoggedCall {
    pub id: i64,
    pub at_ms: i64,
    pub appid: Option<String>,
    pub mchid: Option<String>,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub errcode: Option<i64>,
    pub latency_ms: i64,
    pub request: String,
    pub response: String,
    /// The fault rule that answered, if one did.
    pub fault: Option<i64>,
}

#[async_trait]
pub trait RequestLogStore: Send + Sync {
    /// Records calls (their ids are ignored) and forgets all but the newest `keep` and those
    /// older than `forget_before_ms`.
    async fn log_calls(&self, calls: &[LoggedCall], keep: i64, forget_before_ms: i64) -> Result<()>;
    /// Calls after id `after`, oldest first, at most `limit`, of one AppID when given.
    async fn logged_calls(&self, after: i64, appid: Option<&str>, limit: i64) -> Result<Vec<LoggedCall>>;
    /// An account's calls to the WeChat-compatible APIs (not the platform API), newest first,
    /// before id `before` when given; only those answered with a non-zero errcode or an error
    /// status when `errors_only`.
    async fn account_calls(&self, appid: &str, before: Option<i64>, errors_only: bool, limit: i64) -> Result<Vec<LoggedCall>>;
}
