use herald_wire::ErrCode;

/// What storage can say went wrong. Rule violations found inside a transaction come back as
/// `Rejected` with the WeChat code to answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("rejected: {0:?}")]
    Rejected(ErrCode),
    #[error("database: {0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_string()),
            _ => StoreError::Other(e.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Other(format!("migration failed: {e}"))
    }
}

impl From<ErrCode> for StoreError {
    fn from(c: ErrCode) -> Self {
        StoreError::Rejected(c)
    }
}
