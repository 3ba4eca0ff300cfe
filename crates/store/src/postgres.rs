//! The PostgreSQL backend: the same schema and behaviour as SQLite, for several nodes on one
//! database. Writers on one account are serialised with a row lock on the account.
//! The SQL of each area is in `postgres/<area>.rs`, included below.

use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::Result;

pub struct PgStore {
    pool: PgPool,
}

type Db = sqlx::Postgres;
type Backend = PgStore;

mod dialect {
    /// Serialises writers on one account across nodes.
    pub const LOCK_ACCOUNT: &str = "SELECT appid FROM accounts WHERE appid = $1 FOR UPDATE";
}

impl PgStore {
    /// Connects, creating the database first if it does not exist.
    /// Connects (creating the database if it is missing). An unreachable server is named as
    /// such within seconds, not after the pool's 30-second wait.
    pub async fn connect(url: &str) -> Result<Self> {
        let place = url::Url::parse(url)
            .ok()
            .map(|u| format!("{}:{}", u.host_str().unwrap_or("?"), u.port().unwrap_or(5432)))
            .unwrap_or_else(|| "the configured address".into());
        let probe = tokio::time::timeout(std::time::Duration::from_secs(5), sqlx::Postgres::database_exists(url)).await;
        match probe {
            Err(_) => return Err(crate::StoreError::Other(format!("PostgreSQL at {place} did not answer within 5 s"))),
            Ok(Err(e)) => return Err(crate::StoreError::Other(format!("cannot reach PostgreSQL at {place}: {e}"))),
            Ok(Ok(false)) => sqlx::Postgres::create_database(url).await?,
            Ok(Ok(true)) => {}
        }
        let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(std::time::Duration::from_secs(10)).connect(url).await?;
        Ok(PgStore { pool })
    }

    pub async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations/postgres").run(&self.pool).await?;
        Ok(())
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, Db>> {
        Ok(self.pool.begin().await?)
    }
}

include!("postgres/common.rs");
include!("postgres/settings.rs");
include!("postgres/accounts.rs");
include!("postgres/users.rs");
include!("postgres/auth.rs");
include!("postgres/console.rs");
include!("postgres/members.rs");
include!("postgres/fault.rs");
include!("postgres/followers.rs");
include!("postgres/tags.rs");
include!("postgres/tokens.rs");
include!("postgres/conversations.rs");
include!("postgres/jobs.rs");
include!("postgres/broadcast.rs");
include!("postgres/content.rs");
include!("postgres/web.rs");
include!("postgres/ledger.rs");
include!("postgres/pay.rs");
include!("postgres/redpack.rs");
include!("postgres/coupon.rs");
include!("postgres/miniprogram.rs");
