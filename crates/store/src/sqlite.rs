//! The SQLite backend (the default). Writes go through a one-connection pool, so write
//! transactions never race each other inside one process; reads use a separate pool in WAL
//! mode. `BEGIN IMMEDIATE` and a busy timeout cover a second process on the same file.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::{Result, StoreError};

pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
}

type Db = sqlx::Sqlite;
type Backend = SqliteStore;

/// SQL that differs between the backends.
mod dialect {
    /// Serialises writers on one account. The single write connection already does that.
    pub const LOCK_ACCOUNT: &str = "SELECT appid FROM accounts WHERE appid = $1";
}

impl SqliteStore {
    pub async fn connect(url: &str) -> Result<Self> {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("bad SQLite URL {url:?}: {e}")))?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .synchronous(SqliteSynchronous::Normal)
            .statement_cache_capacity(256);
        let opts = if memory { opts } else { opts.journal_mode(SqliteJournalMode::Wal) };
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(opts.clone())
            .await?;
        // An in-memory database exists once per connection: everything shares the writer.
        let read = if memory {
            write.clone()
        } else {
            let readers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(2) as u32;
            SqlitePoolOptions::new().max_connections(readers * 2).connect_with(opts.read_only(true)).await?
        };
        Ok(SqliteStore { read, write })
    }

    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations/sqlite").run(&self.write).await?;
        Ok(())
    }

    fn reader(&self) -> &SqlitePool {
        &self.read
    }

    fn writer(&self) -> &SqlitePool {
        &self.write
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, Db>> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }
}

include!("sql/common.rs");
include!("sql/settings.rs");
include!("sql/accounts.rs");
include!("sql/users.rs");
include!("sql/followers.rs");
include!("sql/tags.rs");
include!("sql/tokens.rs");
